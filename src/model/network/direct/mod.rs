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
mod direct_run;
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
        self.run_batch_with(xs, gains, out_pad, Epilogue::RELU)
    }

    /// [`Packed::run_batch`] with another epilogue (the pre-activation, for the experiment's
    /// linear step).
    pub fn run_batch_with(
        &self,
        xs: &[&Blocked],
        gains: Option<&[f32]>,
        out_pad: usize,
        epi: Epilogue,
    ) -> Vec<(Blocked, Vec<f32>)> {
        if let Some(w) = &self.wino {
            let parallel = cfg!(not(target_family = "wasm"));
            let (bias, gain) = (self.bias_for(epi), self.gains(gains));
            return wino_run::run(
                w,
                self.path,
                xs,
                (&bias, &gain),
                out_pad,
                (parallel, epi.relu),
            );
        }
        let one = |x: &&Blocked| direct_run::run(self, x, gains, out_pad, (xs.len() == 1, epi));
        #[cfg(not(target_family = "wasm"))]
        return xs.par_iter().map(one).collect();
        #[cfg(target_family = "wasm")]
        xs.iter().map(one).collect()
    }

    /// The bias the epilogue adds: this conv's, or zeros.
    fn bias_for(&self, epi: Epilogue) -> Vec<f32> {
        match epi.bias {
            true => self.bias.clone(),
            false => vec![0.0; self.bias.len()],
        }
    }

    /// Output size for an `h × w` input.
    pub fn out_size(&self, h: usize, w: usize) -> (usize, usize) {
        let (p, k, s) = (self.pad, self.k, self.stride);
        ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1)
    }

    /// `relu(conv(x) + bias) · gain` with a zero border of `out_pad`, and each output channel's
    /// spatial mean. `x` must be blocked with this conv's block and padding (see
    /// [`Blocked::reblock`]). `parallel` spreads the work over rayon's threads.
    pub fn run(
        &self,
        x: &Blocked,
        gains: Option<&[f32]>,
        out_pad: usize,
        parallel: bool,
    ) -> (Blocked, Vec<f32>) {
        if let Some(w) = &self.wino {
            let gain = self.gains(gains);
            let bias = (&self.bias[..], &gain[..]);
            let mut out = wino_run::run(w, self.path, &[x], bias, out_pad, (parallel, true));
            return out.remove(0);
        }
        direct_run::run(self, x, gains, out_pad, (parallel, Epilogue::RELU))
    }
}

/// What a conv adds to its sums before the store: its bias or not, then ReLU or not (then the
/// gains, always).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Epilogue {
    pub bias: bool,
    pub relu: bool,
}

impl Epilogue {
    /// The layer's output: `relu(conv + bias)`.
    pub const RELU: Self = Self {
        bias: true,
        relu: true,
    };
    /// `conv + bias`, the pre-activation.
    pub const PRE: Self = Self {
        bias: true,
        relu: false,
    };
    /// `conv` alone: the linear part.
    pub const LINEAR: Self = Self {
        bias: false,
        relu: false,
    };
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
