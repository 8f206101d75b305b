//! The browser app (wasm only): one store in context, one component per pipeline stage.

pub mod analyse;
mod app;
pub mod canvas;
pub mod components;
pub mod download;
pub mod experiment;
pub mod fetch;
pub mod gpu_probe;
pub mod local_set;
pub mod local_weights;
pub mod pass_cache;
pub mod profiler;
pub mod recovery;
pub mod runtime;
pub mod store;
pub mod url_state;

pub use app::App;
