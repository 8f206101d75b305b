//! The model engine: VGG-16 and AlexNet as plain burn tensor ops over loaded weights. The forward
//! pass takes a [`GainMask`] and returns [`Activations`]. Weights are never edited.

mod gain;
pub use gain::GainMask;

#[cfg(feature = "engine")]
mod network;
#[cfg(feature = "engine")]
pub use network::*;
