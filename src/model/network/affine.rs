//! The experiment's linear step. An intervention scales some channels `S` of one layer's output
//! by `1 + α`; a max pool commutes with a non-negative scale per channel, and a conv is linear,
//! so the next conv's pre-activation is `z₀ + α · Δ_S`, where `z₀` is the unmasked one and
//! `Δ_S` the conv of the channels in `S` alone, without bias. One pass for `z₀` (per batch) and
//! one for each set's `Δ_S` serve every α of that set (the α search, lesion α = −1 and the
//! enhancement): per α only `relu(z₀ + α · Δ_S)` and the layers above it run.

use super::host::Pre;
use super::{Activations, Network};
use crate::model::GainMask;

/// A pre-activation of the conv after an intervened layer, held by the CPU fast path.
pub struct PreActivation(Pre);

impl Network {
    /// Whether interventions can take the linear step: the CPU fast path on the direct kernel.
    pub fn has_linear_step(&self) -> bool {
        let host = self.host.as_ref().filter(|_| self.use_host);
        host.is_some_and(|h| h.path().is_some())
    }

    /// The next conv's pre-activation for `y` (`[b, c, h, w]`, flat, read back once by the
    /// caller for all its sets), the unmasked output of the conv at `step`: `z₀` with `keep:
    /// None`, `Δ_S` with `keep: Some(S)`. `None` when the network has no linear step here (not
    /// on the CPU fast path's direct kernel, or no conv above `step`).
    pub fn pre_next(
        &self,
        step: usize,
        y: &[f32],
        dims: [usize; 4],
        keep: Option<&[usize]>,
    ) -> Option<PreActivation> {
        let host = self.host.as_ref().filter(|_| self.use_host)?;
        host.pre_next(step, y, dims, keep).map(PreActivation)
    }

    /// The network from `z0`'s conv on, with that conv's output `relu(z₀ + α · Δ)` (`delta`
    /// `None`: `relu(z₀)`), under `mask` for the layers above it. Its activations start with that
    /// conv's means, as [`Network::forward_from`] at the intervened layer would give them.
    pub fn forward_linear(
        &self,
        z0: &PreActivation,
        delta: Option<&PreActivation>,
        alpha: f32,
        mask: &GainMask,
    ) -> Activations {
        let host = self
            .host
            .as_ref()
            .expect("a pre-activation comes from the fast path");
        let run = host
            .run_linear(&z0.0, delta.map(|d| &d.0), alpha, mask)
            .expect("the fast path that made the pre-activation runs it");
        let (x, layers) = self.tensors_of(run);
        self.head(x, layers)
    }
}
