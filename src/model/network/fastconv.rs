//! A fused CPU path for the conv stacks of VGG-16 and AlexNet (stride 1, and AlexNet conv1's
//! stride 4), used on burn's CPU backend when only spatial means are asked for (profiling,
//! experiments, benchmarks).
//!
//! Where the time went (perf, VGG-16 batch 16): burn flex's conv2d spends about as long
//! converting layouts, gathering im2col tiles and running separate bias, ReLU and gain passes as
//! in its gemm microkernel. Here the padded input is laid out so that every kernel tap is a
//! contiguous shift of it: im2col tiles are plain `memcpy`s (strided convs gather every s-th
//! value instead), one gemm per tile (AVX-512 kernels where the CPU has them), and bias + ReLU +
//! gain + spatial mean happen in one epilogue pass.
//! Images run in parallel. Checked against burn's own conv2d below and against ONNX Runtime in
//! `tests/parity.rs`.

#![allow(unsafe_code)]

use super::direct::{threads, Shared};
use gemm::Parallelism;
#[cfg(not(target_family = "wasm"))]
use rayon::prelude::*;
use std::cell::RefCell;

/// A convolution with host weights: `weight` is torchvision's `[co, ci, k, k]`, which is already
/// the gemm left-hand side `[co, ci·k·k]` for tiles whose rows are `(ci, dy, dx)`.
pub struct HostConv {
    pub co: usize,
    pub ci: usize,
    pub k: usize,
    pub pad: usize,
    /// 1 for VGG-16 and AlexNet's conv2–5; 4 for AlexNet's conv1.
    pub stride: usize,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

thread_local! {
    /// Scratch buffers (padded input, gemm output), reused across calls so large layers do not
    /// fault in fresh pages every time.
    static SCRATCH: RefCell<[Vec<f32>; 2]> = const { RefCell::new([Vec::new(), Vec::new()]) };
    /// Each thread's im2col tile.
    static TILE: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

fn grow(v: &mut Vec<f32>, n: usize) {
    if v.len() < n {
        v.resize(n, 0.0);
    }
}

/// Floats per im2col tile (16 MiB: gemm packs the weights once per tile, so tiles are large).
const TILE_FLOATS: usize = 1 << 22;

impl HostConv {
    /// Output size for an `h × w` input.
    pub fn out_size(&self, h: usize, w: usize) -> (usize, usize) {
        let (p, k, s) = (self.pad, self.k, self.stride);
        ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1)
    }

    /// `relu(conv(x) + bias) · gain` of one image `x` (`[ci, h, w]`): the output
    /// `[co, h', w']` and each channel's spatial mean. `parallel` spreads the tiles over
    /// rayon's threads (for a single image; batches run images in parallel instead).
    pub fn run(
        &self,
        x: &[f32],
        (h, w): (usize, usize),
        gains: Option<&[f32]>,
        parallel: bool,
    ) -> (Vec<f32>, Vec<f32>) {
        let (p, k, s, ci, co) = (self.pad, self.k, self.stride, self.ci, self.co);
        let (hp, wp) = (h + 2 * p, w + 2 * p);
        let (ho, wo) = self.out_size(h, w);
        // Stride 1: output on the padded-width grid (columns x ≥ wo are discarded by the
        // epilogue), so every tile row is one contiguous copy. Strided: the dense output grid,
        // gathered every `s`-th value.
        let row_w = if s == 1 { wp } else { wo };
        let ncols = ho * row_w;
        let plane = hp * wp + k;
        let kdim = ci * k * k;
        let tn = (TILE_FLOATS / kdim).clamp(64, 8192).min(ncols);
        // With threads, at least one tile per thread.
        let tn = if parallel {
            tn.min(ncols.div_ceil(threads()).max(16))
        } else {
            tn
        };
        // The buffers are taken out for the call (and put back after), so a nested call on this
        // thread (rayon may run another image's work while this one waits) gets its own.
        let [mut padded, mut q] = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
        let result = {
            let (padded, q) = (&mut padded, &mut q);
            grow(padded, ci * plane);
            grow(q, co * ncols);
            padded[..ci * plane].fill(0.0);
            for c in 0..ci {
                for y in 0..h {
                    let dst = c * plane + (y + p) * wp + p;
                    padded[dst..dst + w].copy_from_slice(&x[(c * h + y) * w..][..w]);
                }
            }
            let (padded, out) = (&padded[..], Shared(q.as_mut_ptr()));
            let tile_at = |t0: usize| {
                let n = tn.min(ncols - t0);
                TILE.with(|t| {
                    let tile = &mut *t.borrow_mut();
                    grow(tile, kdim * tn);
                    for c in 0..ci {
                        for dy in 0..k {
                            for dx in 0..k {
                                let row = (c * k * k + dy * k + dx) * tn;
                                let at = c * plane + dy * wp + dx;
                                if s == 1 {
                                    let src = at + t0;
                                    tile[row..row + n].copy_from_slice(&padded[src..src + n]);
                                } else {
                                    gather(&mut tile[row..row + n], &padded[at..], t0, wo, wp, s);
                                }
                            }
                        }
                    }
                    // SAFETY: dst is `co` rows of `ncols` (row stride ncols) from column t0, with
                    // n ≤ ncols − t0 columns, disjoint from every other tile's; lhs is `co × kdim`
                    // row-major; rhs is `kdim` rows of stride tn with n ≤ tn columns.
                    unsafe {
                        gemm::gemm(
                            co,
                            n,
                            kdim,
                            out.at(t0),
                            1,
                            ncols as isize,
                            false,
                            self.weight.as_ptr(),
                            1,
                            kdim as isize,
                            tile.as_ptr(),
                            1,
                            tn as isize,
                            0.0,
                            1.0,
                            false,
                            false,
                            false,
                            Parallelism::None,
                        );
                    }
                });
            };
            let starts: Vec<usize> = (0..ncols).step_by(tn).collect();
            each_tile(starts, parallel, tile_at);
            let mut out = Vec::with_capacity(co * ho * wo);
            let mut means = vec![0f32; co];
            for (o, mean) in means.iter_mut().enumerate() {
                let (b, g) = (self.bias[o], gains.map_or(1.0, |g| g[o]));
                let mut sum = 0f64;
                for y in 0..ho {
                    let at = out.len();
                    out.extend(
                        q[o * ncols + y * row_w..][..wo]
                            .iter()
                            .map(|s| (s + b).max(0.0) * g),
                    );
                    sum += out[at..].iter().sum::<f32>() as f64;
                }
                *mean = (sum / (ho * wo) as f64) as f32;
            }
            (out, means)
        };
        SCRATCH.with(|s| *s.borrow_mut() = [padded, q]);
        result
    }
}

/// One strided tile row: output columns `t0..t0 + dst.len()` of a `wo`-wide grid read
/// `src[(s·y)·wp + s·x]` (`src` starts at the row's kernel tap).
fn gather(dst: &mut [f32], src: &[f32], t0: usize, wo: usize, wp: usize, s: usize) {
    let (mut y, mut x) = (t0 / wo, t0 % wo);
    let mut i = 0;
    while i < dst.len() {
        let n = (wo - x).min(dst.len() - i);
        let base = s * y * wp + s * x;
        for (j, d) in dst[i..i + n].iter_mut().enumerate() {
            *d = src[base + s * j];
        }
        i += n;
        (y, x) = (y + 1, 0);
    }
}

/// Runs `f` on every tile start, on rayon's threads when `parallel` (natively; wasm here has
/// one thread).
fn each_tile(starts: Vec<usize>, parallel: bool, f: impl Fn(usize) + Send + Sync) {
    #[cfg(not(target_family = "wasm"))]
    if parallel {
        starts.into_par_iter().for_each(f);
        return;
    }
    let _ = parallel;
    starts.into_iter().for_each(f);
}

/// Max pooling without padding (`k × k` windows, stride `s`, floor mode) of `[c, h, w]`.
pub fn max_pool(x: &[f32], c: usize, (h, w): (usize, usize), k: usize, s: usize) -> Vec<f32> {
    let (ho, wo) = ((h - k) / s + 1, (w - k) / s + 1);
    let mut out = vec![f32::NEG_INFINITY; c * ho * wo];
    for ch in 0..c {
        for y in 0..ho {
            for dy in 0..k {
                let src = &x[(ch * h + y * s + dy) * w..][..w];
                let dst = &mut out[(ch * ho + y) * wo..][..wo];
                for (xo, d) in dst.iter_mut().enumerate() {
                    for v in &src[xo * s..xo * s + k] {
                        *d = d.max(*v);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::init::SplitMix64;
    use burn::tensor::activation::relu;
    use burn::tensor::module::{conv2d, max_pool2d};
    use burn::tensor::ops::{ConvOptions, MaxPoolOptions};
    use burn::tensor::{Device, Tensor, TensorData};

    fn random(n: usize, seed: u64) -> Vec<f32> {
        let mut r = SplitMix64::new(seed);
        (0..n)
            .map(|_| (r.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
            .collect()
    }

    /// burn's conv2d + bias + ReLU on the flex backend: the independent reference.
    fn burn_conv(c: &HostConv, x: &[f32], h: usize, w: usize) -> Vec<f32> {
        let d = Device::flex();
        let t = |v: &[f32], s: Vec<usize>| TensorData::new(v.to_vec(), s);
        let y = relu(conv2d(
            Tensor::<4>::from_data(t(x, vec![1, c.ci, h, w]), &d),
            Tensor::<4>::from_data(t(&c.weight, vec![c.co, c.ci, c.k, c.k]), &d),
            Some(Tensor::<1>::from_data(t(&c.bias, vec![c.co]), &d)),
            ConvOptions::new([c.stride; 2], [c.pad, c.pad], [1, 1], 1),
        ));
        y.into_data().try_into_vec().unwrap()
    }

    #[test]
    fn conv_matches_burn_for_several_shapes() {
        for (i, &(ci, co, k, pad, stride, h, w)) in [
            (3, 8, 3, 1, 1, 17, 13),
            (16, 5, 5, 2, 1, 9, 11),
            (4, 6, 1, 0, 1, 7, 7),
            (300, 4, 3, 1, 1, 6, 5),
            // AlexNet's conv1 (11 × 11, stride 4, pad 2) at odd sizes, and a stride-2 case.
            (3, 7, 11, 2, 4, 37, 29),
            (3, 5, 11, 2, 4, 63, 64),
            (5, 6, 3, 1, 2, 10, 9),
        ]
        .iter()
        .enumerate()
        {
            let c = HostConv {
                co,
                ci,
                k,
                pad,
                stride,
                weight: random(co * ci * k * k, 1 + i as u64),
                bias: random(co, 10 + i as u64),
            };
            let x = random(ci * h * w, 20 + i as u64);
            let gains: Vec<f32> = (0..co).map(|o| o as f32 * 0.5).collect();
            let (plain, _) = c.run(&x, (h, w), None, i % 2 == 1);
            let (gained, means) = c.run(&x, (h, w), Some(&gains), false);
            let reference = burn_conv(&c, &x, h, w);
            assert_eq!(plain.len(), reference.len());
            let scale = reference.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
            for (a, b) in plain.iter().zip(&reference) {
                assert!((a - b).abs() <= 1e-5 * scale, "shape {i}: {a} vs {b}");
            }
            let (ho, wo) = c.out_size(h, w);
            for o in 0..co {
                let ch = &reference[o * ho * wo..][..ho * wo];
                let mean = ch.iter().sum::<f32>() / ch.len() as f32 * gains[o];
                assert!((means[o] - mean).abs() <= 1e-5 * scale, "mean {o}");
                assert_eq!(gained[o * ho * wo], plain[o * ho * wo] * gains[o]);
            }
        }
    }

    #[test]
    fn pooling_matches_burn() {
        let (c, h, w) = (3, 9, 8);
        let x = random(c * h * w, 7);
        for (k, s) in [(2, 2), (3, 2)] {
            let ours = max_pool(&x, c, (h, w), k, s);
            let d = Device::flex();
            let t = Tensor::<4>::from_data(TensorData::new(x.clone(), [1, c, h, w]), &d);
            let theirs: Vec<f32> = max_pool2d(t, MaxPoolOptions::new([k, k]).with_stride([s, s]))
                .into_data()
                .try_into_vec()
                .unwrap();
            assert_eq!(ours, theirs, "k {k} s {s}");
        }
    }
}
