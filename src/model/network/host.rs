//! [`Network`](super::Network)'s CPU fast path: the conv stack on host memory, for VGG-16 and
//! AlexNet (strided convs included). It runs the direct NCHWc kernel ([`super::direct`]) on the
//! best instruction set the machine has, keeping activations blocked from the first conv to the
//! last; `NEURONS_CONV=gemm` selects the older im2col + gemm path ([`super::fastconv`]) for
//! comparisons. Images of a batch run in parallel natively; a single image spreads its work
//! over the threads instead. In wasm everything runs on the worker's one thread.

use super::direct::{self, Blocked, Epilogue, Packed, Path};
use super::fastconv::{max_pool, HostConv};
use super::GainMask;
use crate::arch::{Arch, Feature};
use crate::weights::TensorMap;
#[cfg(not(target_family = "wasm"))]
use rayon::prelude::*;

enum HostStep {
    Conv(&'static str, HostConv),
    Pool { k: usize, s: usize },
}

pub(super) struct HostStack {
    steps: Vec<HostStep>,
    /// The convs packed for the direct kernel, one per step (`None` for pools); `None` on the
    /// gemm path.
    direct: Option<Vec<Option<Packed>>>,
}

/// `[channels, h, w]` of one image's maps.
type Dims = (usize, usize, usize);

/// What a host run returns: the last maps `[b, c, h, w]` (flat) and their dims, and each conv
/// layer's means, image-major `[b · units]`.
pub(super) struct HostRun {
    pub maps: Vec<f32>,
    pub dims: [usize; 4],
    pub means: Vec<(&'static str, Vec<f32>)>,
}

impl HostStack {
    /// The host copy of conv layer `name`'s weights.
    pub(super) fn conv(&self, name: &str) -> Option<&HostConv> {
        self.steps.iter().find_map(|s| match s {
            HostStep::Conv(n, c) if *n == name => Some(c),
            _ => None,
        })
    }

    /// Host copies of the conv weights, or `None` when a conv's weights are missing.
    pub fn build(arch: Arch, weights: &TensorMap) -> Option<Self> {
        let mut steps = Vec::new();
        for f in arch.features() {
            steps.push(match f {
                Feature::Conv(c) => {
                    let w = weights.get(&format!("features.{}.weight", c.index))?;
                    let b = weights.get(&format!("features.{}.bias", c.index))?;
                    HostStep::Conv(
                        c.name,
                        HostConv {
                            co: c.out_channels,
                            ci: c.in_channels,
                            k: c.kernel,
                            pad: c.padding,
                            stride: c.stride,
                            weight: w.data.clone(),
                            bias: b.data.clone(),
                        },
                    )
                }
                Feature::MaxPool { kernel, stride } => HostStep::Pool {
                    k: kernel,
                    s: stride,
                },
            });
        }
        let direct = Path::chosen().map(|path| {
            steps
                .iter()
                .map(|s| match s {
                    HostStep::Conv(_, c) => Some(Packed::new(
                        path,
                        (c.co, c.ci, c.k),
                        c.pad,
                        c.stride,
                        &c.weight,
                        &c.bias,
                        path.block_for(c.ci),
                    )),
                    HostStep::Pool { .. } => None,
                })
                .collect()
        });
        Some(Self { steps, direct })
    }

    /// The instruction set of the direct kernel, or `None` on the gemm path.
    pub fn path(&self) -> Option<Path> {
        self.direct
            .as_ref()
            .and_then(|d| d.iter().flatten().next().map(|p| p.path))
    }

    /// A batch through steps `from..to` on the direct kernel, a layer at a time (Winograd pools
    /// the tiles of every image; other convs and the pools run the images in parallel): blocked
    /// once on entry, each conv writes the next conv's padding, back to `[c, h, w]` at the end.
    fn batch_direct(
        &self,
        packed: &[Option<Packed>],
        (from, to): (usize, usize),
        imgs: &[&[f32]],
        dims: Dims,
        mask: &GainMask,
    ) -> Vec<(Vec<f32>, Dims, Vec<Vec<f32>>)> {
        // The border the step after `i` needs: the padding of the conv that follows, if any.
        let pad_after = |i: usize| match packed.get(i + 1) {
            Some(Some(p)) if i + 1 < to => p.pad,
            _ => 0,
        };
        let (cb, pad) = match packed.get(from) {
            Some(Some(p)) => (p.cib, p.pad),
            _ => (
                packed.iter().flatten().next().map_or(1, |p| p.path.lanes()),
                0,
            ),
        };
        if from == to {
            return imgs
                .iter()
                .map(|x| (x.to_vec(), dims, Vec::new()))
                .collect();
        }
        let (c, h, w) = dims;
        let mut xs: Vec<Blocked> = each(imgs, |img| Blocked::from_nchw(img, (c, h, w), cb, pad));
        let mut means: Vec<Vec<Vec<f32>>> = vec![Vec::new(); imgs.len()];
        for i in from..to {
            xs = match (&self.steps[i], &packed[i]) {
                (HostStep::Conv(name, _), Some(p)) => {
                    let xs: Vec<Blocked> = each_owned(xs, |x| x.reblock(p.cib, p.pad));
                    let refs: Vec<&Blocked> = xs.iter().collect();
                    let out = p.run_batch(&refs, mask.get(name), pad_after(i));
                    out.into_iter()
                        .zip(&mut means)
                        .map(|((y, m), all)| {
                            all.push(m);
                            y
                        })
                        .collect()
                }
                (HostStep::Pool { k, s }, _) => each_owned(xs, |x| {
                    let cb = x.cb;
                    direct::max_pool(&x.reblock(cb, 0), *k, *s, pad_after(i))
                }),
                (HostStep::Conv(..), None) => unreachable!("every conv is packed"),
            };
        }
        let out_dims = xs.first().map_or(dims, |x| (x.c, x.h, x.w));
        each_owned(xs, |x| x.to_nchw())
            .into_iter()
            .zip(means)
            .map(|(x, m)| (x, out_dims, m))
            .collect()
    }

    /// The pre-activation of the first conv after step `at` (through the pools between) for a
    /// batch `x` of step `at`'s output (`[b, c, h, w]`, flat): `conv + bias` of all channels
    /// (`keep: None`), or `conv` of the channels in `keep` alone, without bias (the part that is
    /// linear in their gains). Returns that conv's step, the maps and their dims; `None` on the
    /// gemm path or past the last conv.
    pub(super) fn pre_next(
        &self,
        at: usize,
        x: &[f32],
        [b, c, h, w]: [usize; 4],
        keep: Option<&[usize]>,
    ) -> Option<(usize, Vec<f32>, [usize; 4])> {
        let packed = self.direct.as_ref()?;
        let next =
            (at + 1..self.steps.len()).find(|&i| matches!(self.steps[i], HostStep::Conv(..)))?;
        let p = packed[next].as_ref()?;
        let per = c * h * w;
        let masked: Vec<f32>;
        let x = match keep {
            None => x,
            Some(keep) => {
                let mut on = vec![false; c];
                keep.iter().filter(|&&k| k < c).for_each(|&k| on[k] = true);
                masked = x
                    .chunks(h * w)
                    .enumerate()
                    .flat_map(|(i, plane)| {
                        let z = !on[i % c];
                        plane.iter().map(move |v| if z { 0.0 } else { *v })
                    })
                    .collect();
                &masked
            }
        };
        let imgs: Vec<&[f32]> = x.chunks(per.max(1)).take(b).collect();
        // The pools between, then the conv with the chosen epilogue.
        let pooled = self.batch_direct(packed, (at + 1, next), &imgs, (c, h, w), &GainMask::none());
        let (pc, ph, pw) = pooled.first().map_or((c, h, w), |o| o.1);
        let xs: Vec<Blocked> = each(&pooled, |o| {
            Blocked::from_nchw(&o.0, (pc, ph, pw), p.cib, p.pad)
        });
        let refs: Vec<&Blocked> = xs.iter().collect();
        let epi = if keep.is_some() {
            Epilogue::LINEAR
        } else {
            Epilogue::PRE
        };
        let out = p.run_batch_with(&refs, None, 0, epi);
        let (ho, wo) = p.out_size(ph, pw);
        let maps: Vec<Vec<f32>> = each(&out, |o| o.0.to_nchw());
        Some((next, maps.concat(), [b, p.co, ho, wo]))
    }

    /// One image through steps `from..to` on the gemm path.
    fn one(
        &self,
        from: usize,
        to: usize,
        img: &[f32],
        (mut c, mut h, mut w): Dims,
        mask: &GainMask,
        parallel: bool,
    ) -> (Vec<f32>, Dims, Vec<Vec<f32>>) {
        let mut x = img.to_vec();
        let mut means = Vec::new();
        for step in &self.steps[from..to] {
            match step {
                HostStep::Conv(name, conv) => {
                    let (y, m) = conv.run(&x, (h, w), mask.get(name), parallel);
                    (h, w) = conv.out_size(h, w);
                    c = conv.co;
                    x = y;
                    means.push(m);
                }
                HostStep::Pool { k, s } => {
                    x = max_pool(&x, c, (h, w), *k, *s);
                    (h, w) = ((h - k) / s + 1, (w - k) / s + 1);
                }
            }
        }
        (x, (c, h, w), means)
    }

    /// Runs a batch `x` (`[b, c, h, w]`, flat) through steps `from..to`.
    pub fn run(
        &self,
        from: usize,
        to: usize,
        x: &[f32],
        [b, c, h, w]: [usize; 4],
        mask: &GainMask,
    ) -> HostRun {
        let per = c * h * w;
        let imgs: Vec<&[f32]> = x.chunks(per.max(1)).take(b).collect();
        let out = match &self.direct {
            Some(packed) => self.batch_direct(packed, (from, to), &imgs, (c, h, w), mask),
            None => {
                let parallel = b == 1;
                each(&imgs, |img| {
                    self.one(from, to, img, (c, h, w), mask, parallel)
                })
            }
        };
        let (oc, oh, ow) = out.first().map_or((c, h, w), |o| o.1);
        let names = self.steps[from..to].iter().filter_map(|s| match s {
            HostStep::Conv(n, _) => Some(*n),
            HostStep::Pool { .. } => None,
        });
        let means = names
            .enumerate()
            .map(|(l, n)| (n, out.iter().flat_map(|o| o.2[l].iter().copied()).collect()))
            .collect();
        HostRun {
            maps: out.iter().flat_map(|o| o.0.iter().copied()).collect(),
            dims: [b, oc, oh, ow],
            means,
        }
    }
}

/// `f` of every item, in parallel natively.
fn each<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync + Send) -> Vec<U> {
    #[cfg(not(target_family = "wasm"))]
    return items.par_iter().map(f).collect();
    #[cfg(target_family = "wasm")]
    items.iter().map(f).collect()
}

/// `f` of every owned item, in parallel natively.
fn each_owned<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync + Send) -> Vec<U> {
    #[cfg(not(target_family = "wasm"))]
    return items.into_par_iter().map(f).collect();
    #[cfg(target_family = "wasm")]
    items.into_iter().map(f).collect()
}

#[cfg(test)]
mod tests {
    use crate::arch::Arch;
    use crate::model::{GainMask, Keep, Network};
    use crate::weights::init::he_normal;
    use burn::tensor::{Device, Tensor, TensorData};

    fn means(net: &Network, x: Tensor<4>, start: usize, mask: &GainMask) -> Vec<Vec<f32>> {
        net.forward_from(start, x, mask, Keep::Means)
            .layers
            .into_iter()
            .map(|l| l.means.into_data().try_into_vec().unwrap())
            .collect()
    }

    /// The fast path against burn's own ops, from the input and from a cached layer's input,
    /// with a lesion in `lesioned` and an enhancement in `enhanced`, at batch 1 (rows split over
    /// the threads) and batch 7 (images in parallel).
    fn fast_path_equals_burns_ops(arch: Arch, dims: (usize, usize, usize), layers: [&str; 3]) {
        for batch in [1, 7] {
            fast_path_at_batch(arch, batch, dims, layers);
        }
    }

    fn fast_path_at_batch(
        arch: Arch,
        batch: usize,
        (c, h, w): (usize, usize, usize),
        layers: [&str; 3],
    ) {
        let [lesioned, enhanced, from] = layers;
        let d = Device::flex();
        let mut net = Network::load(arch, &he_normal(arch, false, "t"), &d).unwrap();
        let data: Vec<f32> = (0..batch * c * h * w)
            .map(|i| ((i * 37) % 101) as f32 / 50.0 - 1.0)
            .collect();
        let x = || Tensor::<4>::from_data(TensorData::new(data.clone(), [batch, c, h, w]), &d);
        let units = |l: &str| {
            arch.convs()
                .into_iter()
                .find(|v| v.name == l)
                .unwrap()
                .out_channels
        };
        let mut mask = GainMask::lesion(lesioned, units(lesioned), &[0, 5, 9]);
        mask.set(enhanced, units(enhanced), &[1, 2], 3.5);
        let step = net.step_of(from).unwrap();
        assert!(net.set_fast_cpu(true), "{arch:?} on flex has the fast path");
        let fast = means(&net, x(), 0, &mask);
        let fast_from = means(&net, net.input_to(step, x()), step, &mask);
        net.set_fast_cpu(false);
        let slow = means(&net, x(), 0, &mask);
        let slow_from = means(&net, net.input_to(step, x()), step, &mask);
        let n = arch.convs().len();
        let skipped = arch.convs().iter().position(|v| v.name == from).unwrap();
        assert_eq!(fast.len(), n);
        assert_eq!(fast_from.len(), n - skipped);
        for (a, b) in fast
            .iter()
            .chain(&fast_from)
            .zip(slow.iter().chain(&slow_from))
        {
            let scale = b.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
            for (p, q) in a.iter().zip(b) {
                assert!((p - q).abs() <= 1e-4 * scale, "{p} vs {q}");
            }
        }
        // The lesioned units are silent on both paths, in every image.
        let l = arch
            .convs()
            .iter()
            .position(|v| v.name == lesioned)
            .unwrap();
        let u = units(lesioned);
        assert_eq!(fast[l].len(), batch * u);
        for i in 0..batch {
            assert_eq!(fast[l][i * u + 5], 0.0);
        }
        assert!(fast[l].iter().any(|&v| v > 0.0));
    }

    #[test]
    fn vgg16_fast_path_equals_burns_ops_with_masks_and_cached_inputs() {
        fast_path_equals_burns_ops(Arch::Vgg16, (3, 40, 36), ["conv3_2", "conv5_1", "conv4_1"]);
    }

    /// AlexNet: conv1 has stride 4 and its pools overlap (3 × 3, stride 2); odd input size.
    #[test]
    fn alexnet_fast_path_equals_burns_ops_with_masks_and_cached_inputs() {
        fast_path_equals_burns_ops(Arch::Alexnet, (3, 83, 79), ["conv1", "conv4", "conv3"]);
    }
}
