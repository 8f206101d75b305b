//! The network proper (feature `engine`): plain burn tensor ops over loaded weights.

mod activations;
mod affine;
pub mod direct;
pub mod fastconv;
mod host;

pub use activations::{read_rows, Activations, HostMeans, LayerActivation};
pub use affine::PreActivation;

use super::GainMask;
use crate::arch::{Arch, Feature};
use crate::error::Failure;
use crate::weights::TensorMap;
use burn::tensor::activation::relu;
use burn::tensor::module::{adaptive_avg_pool2d, conv2d, linear, max_pool2d};
use burn::tensor::ops::{ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor, TensorData};

struct Conv {
    name: &'static str,
    /// `None` when the CPU fast path holds the only copy (see [`Network::load`]).
    weights: Option<(Tensor<4>, Tensor<1>)>,
    options: ConvOptions<2>,
}

struct Linear {
    /// `[in, out]` (burn's layout; torchvision stores `[out, in]`).
    weight: Tensor<2>,
    bias: Tensor<1>,
    relu: bool,
}

enum Step {
    Conv(Box<Conv>),
    Pool(MaxPoolOptions<2>),
}

/// What a forward pass keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Spatial means only (cheap: what profiling needs).
    Means,
    /// Post-ReLU maps and means (for heatmaps).
    Maps,
}

/// A loaded network on one device.
pub struct Network {
    pub arch: Arch,
    steps: Vec<Step>,
    classifier: Option<Vec<Linear>>,
    device: Device,
    /// The CPU fast path, when the device is burn's CPU backend (VGG-16 and AlexNet);
    /// `use_host` switches it off for comparisons.
    host: Option<host::HostStack>,
    use_host: bool,
}

fn tensor<const D: usize>(
    map: &TensorMap,
    key: &str,
    device: &Device,
) -> Result<Tensor<D>, Failure> {
    let t = map
        .get(key)
        .ok_or_else(|| Failure::model_load(format!("weights are missing `{key}`")))?;
    Ok(Tensor::from_data(
        TensorData::new(t.data.clone(), t.shape.clone()),
        device,
    ))
}

impl Network {
    /// Builds the network from torchvision-named weights. The classifier is loaded when all its
    /// keys are present; a conv-only model has none.
    pub fn load(arch: Arch, weights: &TensorMap, device: &Device) -> Result<Self, Failure> {
        let with_classifier = weights.contains("classifier.0.bias")
            || weights.contains("classifier.1.bias")
            || weights.contains("classifier.6.bias");
        weights.check_shapes(&arch.parameter_shapes(with_classifier))?;
        // On burn's CPU device the conv stack runs on the host fast path, which keeps its own
        // copy of the conv weights: that copy is the only one (one copy of the weights per
        // worker). A pass that keeps whole maps builds burn's tensors from it for that pass.
        let host = if *device == Device::flex() {
            host::HostStack::build(arch, weights)
        } else {
            None
        };
        let mut steps = Vec::new();
        for f in arch.features() {
            steps.push(match f {
                Feature::Conv(c) => Step::Conv(Box::new(Conv {
                    name: c.name,
                    weights: match host {
                        Some(_) => None,
                        None => Some((
                            tensor(weights, &format!("features.{}.weight", c.index), device)?,
                            tensor(weights, &format!("features.{}.bias", c.index), device)?,
                        )),
                    },
                    options: ConvOptions::new([c.stride; 2], [c.padding; 2], [1, 1], 1),
                })),
                Feature::MaxPool { kernel, stride } => {
                    Step::Pool(MaxPoolOptions::new([kernel; 2]).with_stride([stride; 2]))
                }
            });
        }
        let classifier = if with_classifier {
            let mut layers = Vec::new();
            for l in arch.classifier() {
                let w: Tensor<2> =
                    tensor(weights, &format!("classifier.{}.weight", l.index), device)?;
                layers.push(Linear {
                    weight: w.transpose(),
                    bias: tensor(weights, &format!("classifier.{}.bias", l.index), device)?,
                    relu: l.relu,
                });
            }
            Some(layers)
        } else {
            None
        };
        Ok(Self {
            arch,
            steps,
            classifier,
            device: device.clone(),
            host,
            use_host: true,
        })
    }

    /// Turns the native CPU fast path on or off (it is on where available); returns whether
    /// the network has one.
    pub fn set_fast_cpu(&mut self, on: bool) -> bool {
        self.use_host = on;
        self.host.is_some()
    }

    /// The CPU fast path's kernel: `Some("avx512")` etc. for the direct kernel, `Some("gemm")`
    /// for im2col + gemm, `None` when the network runs on burn's ops (a GPU, or switched off).
    pub fn conv_path(&self) -> Option<&'static str> {
        let h = self.host.as_ref().filter(|_| self.use_host)?;
        Some(h.path().map_or("gemm", |p| p.name()))
    }

    /// Steps `from..to` on the host fast path, when it applies (means only). The read of `x`
    /// is synchronous, which burn's CPU backend allows everywhere (wasm included).
    fn host_run(
        &self,
        from: usize,
        to: usize,
        x: &Tensor<4>,
        mask: &GainMask,
    ) -> Option<(Tensor<4>, Vec<LayerActivation>)> {
        let host = self.host.as_ref().filter(|_| self.use_host)?;
        let dims = x.dims();
        let data: Vec<f32> = x.clone().into_data().try_into_vec().ok()?;
        Some(self.tensors_of(host.run(from, to, &data, dims, mask)))
    }

    /// A host run's maps and means as tensors.
    fn tensors_of(&self, run: host::HostRun) -> (Tensor<4>, Vec<LayerActivation>) {
        let b = run.dims[0];
        let layers = run
            .means
            .into_iter()
            .map(|(name, m)| {
                let c = m.len() / b.max(1);
                LayerActivation {
                    name,
                    map: None,
                    means: Tensor::from_data(TensorData::new(m, [b, c]), &self.device),
                }
            })
            .collect();
        let y = Tensor::from_data(TensorData::new(run.maps, run.dims), &self.device);
        (y, layers)
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn has_classifier(&self) -> bool {
        self.classifier.is_some()
    }

    /// `(layer name, units)` for every conv layer.
    pub fn layers(&self) -> Vec<(&'static str, usize)> {
        self.arch
            .convs()
            .iter()
            .map(|c| (c.name, c.out_channels))
            .collect()
    }

    /// Runs `x` (`[batch, 3, h, w]`, already normalised) through the network.
    pub fn forward(&self, x: Tensor<4>, mask: &GainMask, keep: Keep) -> Activations {
        self.forward_from(0, x, mask, keep)
    }

    /// Index of the step that computes conv layer `name` (its input can be cached).
    pub fn step_of(&self, name: &str) -> Option<usize> {
        self.steps
            .iter()
            .position(|s| matches!(s, Step::Conv(c) if c.name == name))
    }

    /// Input to step `step` for `x`: run the steps below it with no mask. Interventions in one
    /// layer cache this once per image and rerun only the layers above.
    pub fn input_to(&self, step: usize, x: Tensor<4>) -> Tensor<4> {
        self.run_steps(0..step, x, &GainMask::none(), None).0
    }

    /// [`Self::input_to`] plus the (unmasked) means of the conv layers below `step`, which an
    /// intervention at `step` cannot change.
    pub fn forward_to(&self, step: usize, x: Tensor<4>) -> (Tensor<4>, Vec<LayerActivation>) {
        self.run_steps(0..step, x, &GainMask::none(), Some(Keep::Means))
    }

    /// Steps `range` on `x` under `mask`: the output and, unless `keep` is `None`, each conv
    /// layer's activation. Uses the CPU fast path when it applies (means only).
    fn run_steps(
        &self,
        range: std::ops::Range<usize>,
        mut x: Tensor<4>,
        mask: &GainMask,
        keep: Option<Keep>,
    ) -> (Tensor<4>, Vec<LayerActivation>) {
        if keep != Some(Keep::Maps) {
            if let Some(r) = self.host_run(range.start, range.end, &x, mask) {
                return r;
            }
        }
        let mut layers = Vec::new();
        for s in &self.steps[range] {
            let (y, name) = self.apply(s, x, mask);
            if let (Some(name), Some(keep)) = (name, keep) {
                let [b, c, _, _] = y.dims();
                layers.push(LayerActivation {
                    name,
                    map: (keep == Keep::Maps).then(|| y.clone()),
                    means: y.clone().mean_dims(&[2, 3]).reshape([b, c]),
                });
            }
            x = y;
        }
        (x, layers)
    }

    /// Runs the network from step `start` on that step's input. Layers below `start` are not in
    /// the returned activations.
    pub fn forward_from(
        &self,
        start: usize,
        x: Tensor<4>,
        mask: &GainMask,
        keep: Keep,
    ) -> Activations {
        let (x, layers) = self.run_steps(start..self.steps.len(), x, mask, Some(keep));
        self.head(x, layers)
    }

    /// The classifier (when the model has one) on the last maps `x`, with the conv layers'
    /// activations.
    fn head(&self, x: Tensor<4>, layers: Vec<LayerActivation>) -> Activations {
        let (mut fc7, mut logits) = (None, None);
        if let Some(cls) = &self.classifier {
            let s = self.arch.avgpool_size();
            let pooled = adaptive_avg_pool2d(x, [s, s]);
            let [b, c, h, w] = pooled.dims();
            let mut h2: Tensor<2> = pooled.reshape([b, c * h * w]);
            for (i, l) in cls.iter().enumerate() {
                h2 = linear(h2, l.weight.clone(), Some(l.bias.clone()));
                if l.relu {
                    h2 = relu(h2);
                }
                if i == 1 {
                    fc7 = Some(h2.clone());
                }
            }
            logits = Some(h2);
        }
        Activations {
            layers,
            fc7,
            logits,
        }
    }

    fn apply(
        &self,
        step: &Step,
        x: Tensor<4>,
        mask: &GainMask,
    ) -> (Tensor<4>, Option<&'static str>) {
        match step {
            Step::Pool(o) => (max_pool2d(x, o.clone()), None),
            Step::Conv(c) => {
                let (w, b) = match &c.weights {
                    Some((w, b)) => (w.clone(), b.clone()),
                    None => {
                        let h = self
                            .host
                            .as_ref()
                            .and_then(|h| h.conv(c.name))
                            .expect("a conv without burn weights has a host copy");
                        (
                            Tensor::from_data(
                                TensorData::new(h.weight.clone(), [h.co, h.ci, h.k, h.k]),
                                &self.device,
                            ),
                            Tensor::from_data(
                                TensorData::new(h.bias.clone(), [h.co]),
                                &self.device,
                            ),
                        )
                    }
                };
                let y = relu(conv2d(x, w, Some(b), c.options.clone()));
                let y = match mask.get(c.name) {
                    Some(g) => {
                        let gains = Tensor::<1>::from_data(
                            TensorData::new(g.to_vec(), [g.len()]),
                            &self.device,
                        )
                        .reshape([1, g.len(), 1, 1]);
                        y * gains
                    }
                    None => y,
                };
                (y, Some(c.name))
            }
        }
    }
}
