//! The paper's method as a library shared by the CLI and the browser. Statistics are plain Rust
//! over slices (no DOM, no burn); burn appears only where the network runs (`responses`,
//! `experiment`) and where the readout trains (`readout`).

pub mod charts;
pub mod classroom;
pub mod dataset;
pub mod emotion_map;
pub mod experiment;
#[cfg(feature = "engine")]
pub mod features;
pub mod figures;
pub mod head;
pub mod metrics;
pub mod null;
pub mod overlap;
pub mod picked;
#[cfg(feature = "engine")]
pub mod pipeline;
pub mod profile;
#[cfg(feature = "engine")]
pub mod readout;
pub mod reference;
pub mod responses;
pub mod ridge;
pub mod robust;
pub mod selectivity;
pub mod source;
pub mod split;
pub mod sweep;
pub mod valence_lesion;
