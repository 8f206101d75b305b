//! The browser app (wasm only): one store in context, one component per pipeline stage.

mod app;
pub mod components;
pub mod fetch;
pub mod runtime;
pub mod store;

pub use app::App;
