//! The browser app (wasm only): one store in context, one component per pipeline stage.

mod app;
pub mod canvas;
pub mod classroom;
pub mod client;
pub mod components;
pub mod download;
pub mod emotion_maps;
pub mod experiment;
pub mod fetch;
pub mod lesson;
pub mod local_set;
pub mod models;
pub mod offline;
pub mod pool;
pub mod profiler;
pub mod results;
pub mod session;
pub mod startup;
pub mod store;
pub mod upgrade;
pub mod url_state;

pub use app::App;
