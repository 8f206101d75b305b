//! Emotion Neurons: emotion-selective units in object-recognition CNNs (Liu, Bo, Ding & Fang,
//! PLOS Comput Biol 2024), in the browser and on the command line.
//!
//! The model, weights and preprocessing code never touch the DOM; the UI (wasm only) lives in
//! [`ui`].

pub mod analysis;
pub mod arch;
pub mod engine;
pub mod model;
pub mod preprocess;
pub mod weights;

#[cfg(feature = "cli")]
pub mod cli;

#[cfg(target_family = "wasm")]
pub mod ui;

pub use arch::Arch;
pub use model::{Activations, GainMask, Keep, Network};
pub use weights::manifest::{Manifest, ModelEntry, Preprocessing};
pub use weights::TensorMap;
