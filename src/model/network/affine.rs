//! The experiment's linear step. An intervention scales some channels `S` of one layer's output
//! by `1 + α`; a max pool commutes with a non-negative scale per channel, and a conv is linear,
//! so the next conv's pre-activation is `z₀ + α · Δ_S`, where `z₀` is the unmasked one and
//! `Δ_S` the conv of the channels in `S` alone, without bias. One pass for `z₀` (per batch) and
//! one for each set's `Δ_S` serve every α of that set (the α search, lesion α = −1 and the
//! enhancement): per α only `relu(z₀ + α · Δ_S)` and the layers above it run.

use super::{Activations, Keep, LayerActivation, Network};
use crate::model::GainMask;
use burn::tensor::{Tensor, TensorData};

/// A pre-activation of the conv after an intervened layer, on the host.
pub struct PreActivation {
    /// The conv's step and layer name.
    step: usize,
    name: &'static str,
    /// `[b, c, h, w]`, flat.
    data: Vec<f32>,
    dims: [usize; 4],
}

impl Network {
    /// The next conv's pre-activation for `y`, the (unmasked) output of the conv at `step`:
    /// `z₀` with `keep: None`, `Δ_S` with `keep: Some(S)`. `None` when the network has no
    /// linear step here (not on the CPU fast path's direct kernel, or no conv above `step`).
    pub fn pre_next(
        &self,
        step: usize,
        y: &Tensor<4>,
        keep: Option<&[usize]>,
    ) -> Option<PreActivation> {
        let host = self.host.as_ref().filter(|_| self.use_host)?;
        let dims = y.dims();
        let data: Vec<f32> = y.clone().into_data().try_into_vec().ok()?;
        let (next, data, dims) = host.pre_next(step, &data, dims, keep)?;
        let name = self.arch.convs().get(self.conv_index(next)?)?.name;
        Some(PreActivation {
            step: next,
            name,
            data,
            dims,
        })
    }

    /// Position of the conv at `step` among the conv layers.
    fn conv_index(&self, step: usize) -> Option<usize> {
        let name = match &self.steps.get(step)? {
            super::Step::Conv(c) => c.name,
            super::Step::Pool(_) => return None,
        };
        self.arch.convs().iter().position(|c| c.name == name)
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
        let [b, c, h, w] = z0.dims;
        let hw = h * w;
        let x: Vec<f32> = match delta {
            Some(d) => {
                assert_eq!(
                    d.dims, z0.dims,
                    "Δ and z₀ come from the same batch and conv"
                );
                z0.data
                    .iter()
                    .zip(&d.data)
                    .map(|(z, d)| (alpha.mul_add(*d, *z)).max(0.0))
                    .collect()
            }
            None => z0.data.iter().map(|z| z.max(0.0)).collect(),
        };
        let means: Vec<f32> = x
            .chunks(hw.max(1))
            .map(|plane| (plane.iter().map(|v| *v as f64).sum::<f64>() / hw as f64) as f32)
            .collect();
        let here = LayerActivation {
            name: z0.name,
            map: None,
            means: Tensor::from_data(TensorData::new(means, [b, c]), &self.device),
        };
        let x = Tensor::<4>::from_data(TensorData::new(x, [b, c, h, w]), &self.device);
        let mut acts = self.forward_from(z0.step + 1, x, mask, Keep::Means);
        acts.layers.insert(0, here);
        acts
    }
}
