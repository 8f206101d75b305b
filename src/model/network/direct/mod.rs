//! Direct convolution on channel-blocked activations (NCHWc): the CPU fast path's kernel.
//!
//! Activations are stored as `[c / V][h + 2p][w + 2p][V]` ([`Blocked`]): the `V` channels of a
//! pixel are one SIMD vector, and the zero border is the next conv's padding, written once.
//! Weights are packed per instruction set ([`Packed`]) as `[co / V][ci / cb][k][k][cb][V]`.
//! The kernel (`kernel::tile`) keeps `2 × RX` output vectors in registers over the whole
//! reduction, so nothing like an im2col tile is ever materialised, and fuses bias, ReLU, the
//! gain mask and the spatial mean into its store.
//!
//! Instruction sets ([`Path`]): AVX-512F (V = 16, 14 pixels per run), AVX2 + FMA (V = 8, 6),
//! wasm `simd128` (V = 4, 5), and a portable fallback (V = 8, 4), chosen at run time natively.
//! `unsafe` lives only in this module (the pointer work of `run`, `kernel`, `lanes`, `peak`) and in
//! `fastconv`; the crate denies it elsewhere.

#![allow(unsafe_code)]

mod blocked;
mod kernel;
mod lanes;
#[cfg(not(target_family = "wasm"))]
mod peak;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_wino;
mod wino_run;
mod winograd;

pub use blocked::{max_pool, Blocked};
use kernel::{run_group, Geo, Group};
#[cfg(not(target_family = "wasm"))]
pub use peak::peak_gflops;
#[cfg(not(target_family = "wasm"))]
use rayon::prelude::*;
pub use winograd::Wino;

/// An instruction set the kernel is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    Avx512,
    Avx2,
    Simd128,
    Scalar,
}

/// Output channel blocks computed together (both in registers).
const OB: usize = 2;

impl Path {
    /// Floats per vector: the channel block of activations and weights.
    pub fn lanes(self) -> usize {
        match self {
            Path::Avx512 => 16,
            Path::Avx2 | Path::Scalar => 8,
            Path::Simd128 => 4,
        }
    }

    /// Output pixels per run (the register block is `2 × run` vectors).
    fn run(self) -> usize {
        match self {
            Path::Avx512 => 14,
            Path::Avx2 => 6,
            // V8 keeps one of x64's 16 vector registers as scratch and needs a temporary for
            // the multiply before the add: 2 × 5 accumulators + 2 weights + 2 fit.
            Path::Simd128 => 5,
            Path::Scalar => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Path::Avx512 => "avx512",
            Path::Avx2 => "avx2",
            Path::Simd128 => "simd128",
            Path::Scalar => "scalar",
        }
    }

    /// The paths this machine can run, best first (the portable one always).
    // On wasm the x86 arm is compiled out and clippy sees only pushes.
    #[allow(clippy::vec_init_then_push)]
    pub fn available() -> Vec<Path> {
        let mut out = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                out.push(Path::Avx512);
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                out.push(Path::Avx2);
            }
        }
        #[cfg(all(target_family = "wasm", target_feature = "simd128"))]
        out.push(Path::Simd128);
        out.push(Path::Scalar);
        out
    }

    /// The path the fast path uses: the best available, unless `NEURONS_CONV` names another
    /// (`avx512`, `avx2`, `scalar`) or `gemm` (the im2col + gemm path, for comparisons).
    /// `None` means gemm.
    pub fn chosen() -> Option<Path> {
        let avail = Self::available();
        #[cfg(not(target_family = "wasm"))]
        if let Ok(want) = std::env::var("NEURONS_CONV") {
            if want == "gemm" {
                return None;
            }
            if let Some(p) = avail.iter().find(|p| p.name() == want) {
                return Some(*p);
            }
        }
        avail.first().copied()
    }

    /// The input channel block for `ci` channels: `ci` itself when fewer than a vector (the
    /// image's 3 channels), else a whole vector (channels padded with zeros to a multiple).
    pub fn block_for(self, ci: usize) -> usize {
        ci.min(self.lanes())
    }
}

/// A convolution's weights packed for one [`Path`] and input block.
pub struct Packed {
    pub path: Path,
    pub co: usize,
    pub ci: usize,
    /// Input channel block the weights are packed for.
    pub cib: usize,
    pub k: usize,
    pub pad: usize,
    pub stride: usize,
    w: Vec<f32>,
    /// Bias padded to whole output blocks.
    bias: Vec<f32>,
    /// The same filters transformed for Winograd, where the shape fits and it is on.
    wino: Option<Wino>,
}

impl Packed {
    /// Packs torchvision-layout weights `[co, ci, k, k]` for `path` and input block `cib`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        path: Path,
        (co, ci, k): (usize, usize, usize),
        pad: usize,
        stride: usize,
        weight: &[f32],
        bias: &[f32],
        cib: usize,
    ) -> Self {
        assert_eq!(weight.len(), co * ci * k * k, "weights are [co, ci, k, k]");
        assert!(cib > 0 && stride > 0 && k > 0);
        let v = path.lanes();
        let (ncob, nib) = (co.div_ceil(v), ci.div_ceil(cib));
        let mut w = vec![0f32; ncob * nib * k * k * cib * v];
        let mut i = 0;
        for cob in 0..ncob {
            for b in 0..nib {
                for dy in 0..k {
                    for dx in 0..k {
                        for c in b * cib..(b + 1) * cib {
                            for o in cob * v..(cob + 1) * v {
                                if o < co && c < ci {
                                    w[i] = weight[((o * ci + c) * k + dy) * k + dx];
                                }
                                i += 1;
                            }
                        }
                    }
                }
            }
        }
        let mut b = bias.to_vec();
        b.resize(ncob * v, 0.0);
        let wino = (winograd_on() && cib == v && Wino::fits(k, stride, pad, ci, v))
            .then(|| Wino::new(co, ci, v, weight));
        Self {
            path,
            co,
            ci,
            cib,
            k,
            pad,
            stride,
            w,
            bias: b,
            wino,
        }
    }

    /// The same conv on the direct kernel only (Winograd's transformed filters dropped).
    pub fn direct_only(mut self) -> Self {
        self.wino = None;
        self
    }

    /// Whether this conv runs on Winograd.
    pub fn winograd(&self) -> bool {
        self.wino.is_some()
    }

    /// Gains padded to whole output blocks (ones where none are given).
    fn gains(&self, gains: Option<&[f32]>) -> Vec<f32> {
        let mut gain = gains.map_or_else(|| vec![1.0; self.co], <[f32]>::to_vec);
        assert_eq!(gain.len(), self.co, "one gain per output channel");
        gain.resize(self.co.div_ceil(self.path.lanes()) * self.path.lanes(), 0.0);
        gain
    }

    /// [`Packed::run`] for every image of `xs`: Winograd runs the tiles of all images as one
    /// pool; the direct kernel runs the images in parallel (natively).
    pub fn run_batch(
        &self,
        xs: &[&Blocked],
        gains: Option<&[f32]>,
        out_pad: usize,
    ) -> Vec<(Blocked, Vec<f32>)> {
        if let Some(w) = &self.wino {
            let parallel = cfg!(not(target_family = "wasm"));
            let gain = self.gains(gains);
            return wino_run::run(w, self.path, xs, (&self.bias, &gain), out_pad, parallel);
        }
        let one = |x: &&Blocked| self.run(x, gains, out_pad, xs.len() == 1);
        #[cfg(not(target_family = "wasm"))]
        return xs.par_iter().map(one).collect();
        #[cfg(target_family = "wasm")]
        xs.iter().map(one).collect()
    }

    /// Output size for an `h × w` input.
    pub fn out_size(&self, h: usize, w: usize) -> (usize, usize) {
        let (p, k, s) = (self.pad, self.k, self.stride);
        ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1)
    }

    /// `relu(conv(x) + bias) · gain` with a zero border of `out_pad`, and each output channel's
    /// spatial mean. `x` must be blocked with this conv's block and padding (see
    /// [`Blocked::reblock`]). `parallel` spreads the output blocks over rayon's threads.
    pub fn run(
        &self,
        x: &Blocked,
        gains: Option<&[f32]>,
        out_pad: usize,
        parallel: bool,
    ) -> (Blocked, Vec<f32>) {
        assert!(
            x.c == self.ci && x.cb == self.cib && x.pad == self.pad,
            "input blocked as ({}, {}, pad {}), the conv needs ({}, {}, pad {})",
            x.c,
            x.cb,
            x.pad,
            self.ci,
            self.cib,
            self.pad
        );
        if let Some(w) = &self.wino {
            let gain = self.gains(gains);
            let mut out = wino_run::run(w, self.path, &[x], (&self.bias, &gain), out_pad, parallel);
            return out.remove(0);
        }
        let v = self.path.lanes();
        let (ho, wo) = self.out_size(x.h, x.w);
        let geo = Geo {
            cib: self.cib,
            nib: x.blocks(),
            k: self.k,
            s: self.stride,
            in_row: x.wp() * x.cb,
            in_block: x.hp() * x.wp() * x.cb,
            ho,
            wo,
            op: out_pad,
        };
        let ncob = self.co.div_ceil(v);
        let gain = self.gains(gains);
        // Every inside value is written by the kernel (all V lanes of every output pixel).
        let mut out = Blocked::with_border(self.co, v, (ho, wo), out_pad);
        let (ob, wc) = (geo.out_block(v), geo.w_cob(v));
        assert_eq!(out.data.len(), ncob * ob);
        assert_eq!(self.w.len(), ncob * wc);
        assert!(x.data.len() >= geo.nib * geo.in_block);
        let runs = runs(wo, self.path.run());
        // Tasks: a group of OB output blocks × a range of rows. With threads and few groups
        // (one image of an early layer), rows are split too, so every thread has work.
        let groups = ncob.div_ceil(OB);
        let parts = if parallel {
            (4 * threads()).div_ceil(groups).clamp(1, ho)
        } else {
            1
        };
        let tasks: Vec<(usize, usize, usize)> = (0..groups)
            .flat_map(|g| (0..parts).map(move |p| (g, p * ho / parts, (p + 1) * ho / parts)))
            .filter(|t| t.1 < t.2)
            .collect();
        let dst = Shared(out.data.as_mut_ptr());
        let task = |&(gi, y0, y1): &(usize, usize, usize)| -> Vec<f64> {
            let cob = gi * OB;
            let nb = (ncob - cob).min(OB);
            let mut sums = vec![0f64; OB * v];
            let g = Group {
                inp: x.data.as_ptr(),
                w: self.w[cob * wc..].as_ptr(),
                bias: self.bias[cob * v..].as_ptr(),
                gain: gain[cob * v..].as_ptr(),
                out: dst.at(cob * ob),
                sums: sums.as_mut_ptr(),
            };
            // SAFETY: the asserts above tie the buffers to `geo`: the output holds `ncob`
            // whole blocks, of which this task writes blocks `cob..cob + nb`, rows `y0..y1`
            // only (no two tasks share a block and a row); weights, bias and gain have `nb`
            // blocks from `cob`; `sums` has `nb · V` f64s; the output size from `out_size`
            // keeps every input read inside the padded planes. The path came from
            // `Path::available`.
            unsafe { run_group(self.path, &geo, &g, nb, y0..y1, &runs) };
            sums
        };
        #[cfg(not(target_family = "wasm"))]
        let partial: Vec<Vec<f64>> = if parallel {
            tasks.par_iter().map(task).collect()
        } else {
            tasks.iter().map(task).collect()
        };
        #[cfg(target_family = "wasm")]
        let partial: Vec<Vec<f64>> = tasks.iter().map(task).collect();
        let mut sums = vec![0f64; ncob * v];
        for (t, s) in tasks.iter().zip(partial) {
            let at = t.0 * OB * v;
            let n = (sums.len() - at).min(OB * v);
            for (a, b) in sums[at..at + n].iter_mut().zip(&s) {
                *a += b;
            }
        }
        let n = (ho * wo) as f64;
        let means = sums[..self.co].iter().map(|s| (s / n) as f32).collect();
        (out, means)
    }
}

/// An output buffer shared by threads that each write their own disjoint region of it (here:
/// `Packed::run`'s (blocks, rows) tasks; in `fastconv`, gemm tiles' column ranges).
#[derive(Clone, Copy)]
pub(super) struct Shared(pub(super) *mut f32);
// SAFETY: the users write disjoint regions only (see each use).
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

impl Shared {
    /// The pointer `i` floats in (a method, so closures capture the whole wrapper).
    pub(super) fn at(self, i: usize) -> *mut f32 {
        self.0.wrapping_add(i)
    }
}

/// Whether 3 × 3 stride-1 convs run on Winograd: yes, unless `NEURONS_WINOGRAD=off` (for
/// comparisons with the direct kernel).
pub fn winograd_on() -> bool {
    #[cfg(not(target_family = "wasm"))]
    if std::env::var("NEURONS_WINOGRAD").is_ok_and(|v| v == "off") {
        return false;
    }
    true
}

/// Threads the fast path may use (rayon's natively; wasm here has one).
pub(super) fn threads() -> usize {
    #[cfg(not(target_family = "wasm"))]
    return rayon::current_num_threads();
    #[cfg(target_family = "wasm")]
    1
}

/// A row of `wo` pixels cut into near-equal runs of at most `max`: `(x0, n)` each.
fn runs(wo: usize, max: usize) -> Vec<(usize, usize)> {
    let k = wo.div_ceil(max).max(1);
    let mut x0 = 0;
    (0..k)
        .map(|i| {
            let n = (wo - x0) / (k - i);
            let r = (x0, n);
            x0 += n;
            r
        })
        .filter(|r| r.1 > 0)
        .collect()
}
