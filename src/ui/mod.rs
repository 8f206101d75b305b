//! The browser app (wasm only): one store in context, one component per pipeline stage.

pub mod analyse;
mod app;
pub mod canvas;
pub mod components;
pub mod fetch;
pub mod gpu_probe;
pub mod profiler;
pub mod runtime;
pub mod store;
pub mod url_state;

pub use app::App;
