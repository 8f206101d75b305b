//! [`Network`](super::Network)'s CPU fast path: the conv stack on host memory, for VGG-16 and
//! AlexNet (strided convs included). It runs the direct NCHWc kernel ([`super::direct`]) on the
//! best instruction set the machine has, keeping activations blocked from the first conv to the
//! last; `NEURONS_CONV=gemm` selects the older im2col + gemm path ([`super::fastconv`]) for
//! comparisons. Images of a batch run in parallel natively; a single image spreads its work
//! over the threads instead. In wasm everything runs on the worker's one thread.

use super::direct::{self, Blocked, Packed, Path};
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

    /// A batch through steps `from..to` on the direct kernel: blocked once on entry (for the
    /// first step), [`HostStack::run_blocked`], back to `[c, h, w]` at the end.
    fn batch_direct(
        &self,
        packed: &[Option<Packed>],
        (from, to): (usize, usize),
        imgs: &[&[f32]],
        dims: Dims,
        mask: &GainMask,
    ) -> Vec<(Vec<f32>, Dims, Vec<Vec<f32>>)> {
        if from == to {
            return imgs
                .iter()
                .map(|x| (x.to_vec(), dims, Vec::new()))
                .collect();
        }
        let (cb, pad) = match packed.get(from) {
            Some(Some(p)) => (p.cib, p.pad),
            _ => (
                packed.iter().flatten().next().map_or(1, |p| p.path.lanes()),
                0,
            ),
        };
        let (c, h, w) = dims;
        let xs: Vec<Blocked> = each(imgs, |img| Blocked::from_nchw(img, (c, h, w), cb, pad));
        let (xs, means) = self.run_blocked(packed, (from, to), xs, mask);
        let out_dims = xs.first().map_or(dims, |x| (x.c, x.h, x.w));
        each_owned(xs, |x| x.to_nchw())
            .into_iter()
            .zip(means)
            .map(|(x, m)| (x, out_dims, m))
            .collect()
    }

    /// The border the step after `i` needs when steps run up to `to`: the padding of the conv
    /// that follows, if any.
    fn pad_after(packed: &[Option<Packed>], i: usize, to: usize) -> usize {
        match packed.get(i + 1) {
            Some(Some(p)) if i + 1 < to => p.pad,
            _ => 0,
        }
    }

    /// Blocked maps through steps `from..to`, a layer at a time (Winograd pools the tiles of
    /// every image; other convs and the pools run the images in parallel); each conv writes the
    /// next conv's padding. Returns the last maps and each image's conv means.
    fn run_blocked(
        &self,
        packed: &[Option<Packed>],
        (from, to): (usize, usize),
        mut xs: Vec<Blocked>,
        mask: &GainMask,
    ) -> (Vec<Blocked>, Vec<Vec<Vec<f32>>>) {
        let mut means: Vec<Vec<Vec<f32>>> = vec![Vec::new(); xs.len()];
        for i in from..to {
            let pad = Self::pad_after(packed, i, to);
            xs = match (&self.steps[i], &packed[i]) {
                (HostStep::Conv(name, _), Some(p)) => {
                    let xs: Vec<Blocked> = each_owned(xs, |x| x.reblock(p.cib, p.pad));
                    let refs: Vec<&Blocked> = xs.iter().collect();
                    let out = p.run_batch(&refs, mask.get(name), pad);
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
                    direct::max_pool(&x.reblock(cb, 0), *k, *s, pad)
                }),
                (HostStep::Conv(..), None) => unreachable!("every conv is packed"),
            };
        }
        (xs, means)
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

mod linear;
#[cfg(test)]
mod tests;

pub use linear::Pre;
