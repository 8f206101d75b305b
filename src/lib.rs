//! Emotion Neurons: emotion-selective units in object-recognition CNNs (Liu, Bo, Ding & Fang,
//! PLOS Comput Biol 2024), in the browser and on the command line.
//!
//! The model, weights and preprocessing code never touch the DOM; the UI (wasm only) lives in
//! `ui`.

pub mod affectview;
pub mod analysis;
pub mod arch;
#[cfg(feature = "engine")]
pub mod engine;
pub mod error;
pub mod first_visit;
pub mod grid_pixels;
pub mod labview;
pub mod lesson;
pub mod limits;
pub mod model;
#[cfg(feature = "engine")]
pub mod preprocess;
pub mod protocol;
pub mod sched;
pub mod weights;
#[cfg(feature = "engine")]
pub mod worker_core;

#[cfg(feature = "cli")]
pub mod cli;

/// Browser glue shared by both wasm binaries.
#[cfg(all(target_family = "wasm", feature = "web"))]
pub mod web;

/// The page (wasm, built without the engine): store, components, the worker client.
#[cfg(all(target_family = "wasm", feature = "app"))]
pub mod ui;

/// The engine's side of the protocol (wasm): the interactive worker and the pool workers.
#[cfg(all(target_family = "wasm", feature = "worker"))]
pub mod worker;

pub use arch::Arch;
pub use model::GainMask;
#[cfg(feature = "engine")]
pub use model::{Activations, Keep, Network};
pub use weights::manifest::{Manifest, ModelEntry, Preprocessing};
pub use weights::TensorMap;
