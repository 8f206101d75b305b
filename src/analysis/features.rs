//! The experiment's forward passes on this machine's engine (feature `engine`): the CLI's
//! [`Features`] source, and what each pool worker runs on its share of the images.

use super::experiment::{layers_above, FeatureRows, Features, Part};
use super::responses::readout_features;
use super::sweep::group_by_set;
use crate::engine::Engine;
use crate::error::Failure;
use crate::model::{read_rows, GainMask, Keep, Network};
use crate::preprocess::Prepared;
use burn::tensor::{Tensor, TensorData};

/// Told of the work done (images × conv layers computed) after every batch × mask; an error
/// stops the run (a worker uses it to report progress and hear a cancel).
#[allow(async_fn_in_trait)]
pub trait Progress {
    async fn tick(&mut self, work: u64) -> Result<(), Failure>;
}

/// Runs `masks` on `images`: `[mask][image][feature]`. Each batch runs the layers up to and
/// including `layer` once, unmasked. Masks that scale one set of `layer`'s units by one gain take
/// the linear step where the network has it (the CPU fast path): the next conv's pre-activation
/// is computed once per batch, its part from each set once, and each mask runs from there. Other
/// masks (and every mask off the fast path) scale the cached output by their gains for `layer`
/// (the gain acts after the ReLU) and run the layers above. When the readout is `layer`'s own
/// spatial means, the scaled means are the features and nothing above runs.
#[allow(clippy::too_many_arguments)]
pub async fn features_under(
    engine: &Engine,
    net: &Network,
    layer: &str,
    images: &[&Prepared],
    masks: &[GainMask],
    batch: usize,
    progress: &mut impl Progress,
    lower: &mut LowerCache,
) -> Result<FeatureRows, Failure> {
    let step = net
        .step_of(layer)
        .ok_or_else(|| Failure::bad_input(format!("unknown layer `{layer}`")))?;
    let names: Vec<&str> = net.layers().iter().map(|l| l.0).collect();
    let above = layers_above(&names, layer).saturating_sub(1);
    let own_means = !net.has_classifier() && names.last() == Some(&layer);
    let mut out = vec![Vec::new(); masks.len()];
    let (groups, others) = group_by_set(masks, layer);
    let key = (layer.to_string(), images.len(), batch);
    let hit = lower.key.as_ref() == Some(&key);
    if !hit {
        lower.key = None;
        lower.outputs.clear();
    }
    // Whether this call keeps the outputs: decided on the first batch, from its size.
    let mut keep = false;
    for (b, chunk) in images.chunks(batch.max(1)).enumerate() {
        let (output, means) = match hit {
            true => lower.outputs[b].clone(),
            false => {
                let (output, below) = net.forward_to(step + 1, engine.batch(chunk));
                let means = below.into_iter().last().map(|l| l.means);
                if b == 0 {
                    let bytes = output.dims().iter().product::<usize>() * 4 / chunk.len().max(1);
                    keep = bytes * images.len() <= lower.max_bytes;
                }
                if keep {
                    lower.outputs.push((output.clone(), means.clone()));
                }
                (output, means)
            }
        };
        let tick = (chunk.len() * above.max(1)) as u64;
        // The linear step (see `Network::forward_linear`): z₀ once per batch, Δ once per set.
        // The output on the host once per batch, for z₀ and every set's Δ.
        let host_y: Option<Vec<f32>> = match !own_means && net.has_linear_step() {
            true => output.clone().into_data().try_into_vec().ok(),
            false => None,
        };
        let dims = output.dims();
        let z0 = host_y
            .as_ref()
            .and_then(|y| net.pre_next(step, y, dims, None));
        let mut rest = others.clone();
        match &z0 {
            Some(z0) => {
                for (set, members) in &groups {
                    let delta = match set.is_empty() {
                        true => None,
                        false => host_y
                            .as_ref()
                            .and_then(|y| net.pre_next(step, y, dims, Some(set))),
                    };
                    for &(m, alpha) in members {
                        let acts = net.forward_linear(z0, delta.as_ref(), alpha, &masks[m]);
                        out[m].extend(readout_features(&acts).await?.0);
                        progress.tick(tick).await?;
                    }
                }
            }
            None => rest = (0..masks.len()).collect(),
        }
        for m in rest {
            let mask = &masks[m];
            let gains = mask.get(layer).map(|g| {
                Tensor::<1>::from_data(TensorData::new(g.to_vec(), [g.len()]), net.device())
            });
            let rows = if own_means {
                let means = means.clone().ok_or("the network has no conv layer")?;
                let c = means.dims()[1];
                let scaled = match gains {
                    Some(g) => means * g.reshape([1, c]),
                    None => means,
                };
                read_rows(scaled).await?
            } else {
                let x = match gains {
                    Some(g) => {
                        let c = output.dims()[1];
                        output.clone() * g.reshape([1, c, 1, 1])
                    }
                    None => output.clone(),
                };
                let acts = net.forward_from(step + 1, x, mask, Keep::Means);
                readout_features(&acts).await?.0
            };
            out[m].extend(rows);
            progress.tick(tick).await?;
        }
    }
    if keep {
        lower.key = Some(key);
    }
    Ok(out)
}

/// The intervened layer's unmasked output (and means) per batch, kept between calls for the same
/// layer and image set (the α search's two rounds on val; the test conditions and the valence
/// lesion on test), when it fits in `max_bytes`. Its first call for a set computes them.
#[derive(Default)]
pub struct LowerCache {
    /// Layer, images and batch size of the kept outputs; `None` when nothing is kept.
    key: Option<(String, usize, usize)>,
    outputs: Vec<(Tensor<4>, Option<Tensor<2>>)>,
    pub max_bytes: usize,
}

impl LowerCache {
    /// Keeps nothing (the page's pool workers: their memory is the browser's).
    pub fn off() -> Self {
        Self::default()
    }

    /// Keeps up to `max_bytes` of outputs.
    pub fn up_to(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            ..Self::default()
        }
    }
}

/// The val and test images of a profile on this machine's engine.
pub struct LocalFeatures<'a, P: Progress> {
    pub engine: &'a Engine,
    pub net: &'a Network,
    pub val: &'a [&'a Prepared],
    pub test: &'a [&'a Prepared],
    pub batch: usize,
    pub progress: P,
    /// The intervened layer's output, kept between calls (see [`LowerCache`]); one per part.
    pub lower: [LowerCache; 2],
}

impl<P: Progress> Features for LocalFeatures<'_, P> {
    async fn under(
        &mut self,
        layer: &str,
        part: Part,
        masks: &[GainMask],
    ) -> Result<FeatureRows, Failure> {
        let images = match part {
            Part::Val => self.val,
            Part::Test => self.test,
        };
        let lower = &mut self.lower[part as usize];
        features_under(
            self.engine,
            self.net,
            layer,
            images,
            masks,
            self.batch,
            &mut self.progress,
            lower,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;
    use crate::weights::init::{he_normal, SplitMix64};

    struct Quiet;
    impl Progress for Quiet {
        async fn tick(&mut self, _: u64) -> Result<(), Failure> {
            Ok(())
        }
    }

    /// The linear step (fast path: z₀ + α·Δ) against burn's own ops running every mask in
    /// full, for lesions, enhancements, random sets and a mask it cannot take (two gains),
    /// below a pool and not.
    fn linear_step_equals_full_passes(arch: Arch, layer: &str) {
        let engine = Engine::cpu("test");
        let mut net = Network::load(arch, &he_normal(arch, false, "t"), &engine.device).unwrap();
        let mut r = SplitMix64::new(3);
        let imgs: Vec<Prepared> = (0..3)
            .map(|_| Prepared {
                input: (0..3 * 224 * 224)
                    .map(|_| (r.next_u64() >> 40) as f32 / 8e6 - 1.0)
                    .collect(),
                display: Vec::new(),
            })
            .collect();
        let refs: Vec<&Prepared> = imgs.iter().collect();
        let n = net.layers().iter().find(|l| l.0 == layer).unwrap().1;
        let sel = [0, 3, 7, 12];
        let mut two = GainMask::enhance(layer, n, &sel, 2.0);
        two.set(layer, n, &[20], 0.5);
        let masks = [
            GainMask::lesion(layer, n, &sel),
            GainMask::enhance(layer, n, &sel, 1.7),
            GainMask::enhance(layer, n, &sel, 4.3),
            GainMask::lesion(layer, n, &[1, 2, 30]),
            two,
            GainMask::none(),
        ];
        let run = |net: &Network| {
            pollster::block_on(features_under(
                &engine,
                net,
                layer,
                &refs,
                &masks,
                2,
                &mut Quiet,
                &mut LowerCache::off(),
            ))
            .unwrap()
        };
        let step = net.step_of(layer).unwrap();
        let y = net.forward_to(step + 1, engine.batch(&refs[..1])).0;
        let host_y: Vec<f32> = y.clone().into_data().try_into_vec().unwrap();
        assert!(net.has_linear_step());
        assert!(
            net.pre_next(step, &host_y, y.dims(), None).is_some(),
            "the fast path has the linear step"
        );
        let fast = run(&net);
        // Kept between calls: the second call reuses the first's lower layers, same answer.
        let mut kept = LowerCache::up_to(1 << 30);
        for round in 0..2 {
            let got = pollster::block_on(features_under(
                &engine, &net, layer, &refs, &masks, 2, &mut Quiet, &mut kept,
            ))
            .unwrap();
            assert_eq!(got, fast, "round {round}");
            assert_eq!(kept.outputs.len(), 2, "two batches kept");
        }
        let mut small = LowerCache::up_to(1000);
        pollster::block_on(features_under(
            &engine, &net, layer, &refs, &masks, 2, &mut Quiet, &mut small,
        ))
        .unwrap();
        assert!(
            small.outputs.is_empty() && small.key.is_none(),
            "too big to keep"
        );
        net.set_fast_cpu(false);
        let slow = run(&net);
        for (m, (a, b)) in fast.iter().zip(&slow).enumerate() {
            assert_eq!(a.len(), 3);
            let scale = b.iter().flatten().fold(1e-6f32, |s, v| s.max(v.abs()));
            for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
                assert!(
                    (x - y).abs() <= 2e-5 * scale,
                    "{arch:?} {layer} mask {m}: {x} vs {y}"
                );
            }
        }
        // The lesion changed the features (the test can tell masks apart).
        assert!(fast[0] != fast[5]);
    }

    #[test]
    fn vgg16_linear_step_below_a_pool_and_not() {
        linear_step_equals_full_passes(Arch::Vgg16, "conv4_3");
        linear_step_equals_full_passes(Arch::Vgg16, "conv5_1");
    }

    #[test]
    fn alexnet_linear_step_below_a_pool() {
        linear_step_equals_full_passes(Arch::Alexnet, "conv2");
    }
}
