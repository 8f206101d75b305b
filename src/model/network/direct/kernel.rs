//! The register-blocked microkernel: `OB` blocks of `V` output channels × `RX` output pixels of
//! one row stay in registers while the whole reduction (input blocks × kernel taps × channels of
//! a block) runs; each step loads `OB` weight vectors and broadcasts `RX` input values, for
//! `OB · RX` fused multiply-adds. Bias, ReLU, gain, the store and the spatial sum follow in the
//! same pass. Generic over [`Lanes`]; [`super::Path`]'s entry points instantiate it inside
//! `#[target_feature]` functions so that every intrinsic inlines.

use super::lanes::{self, Lanes};
use super::Path;

/// Sizes of one convolution on the blocked layout, in floats.
#[derive(Clone, Copy, Debug)]
pub(super) struct Geo {
    /// Channels per input block (the pixel stride of the input) and number of input blocks.
    pub cib: usize,
    pub nib: usize,
    pub k: usize,
    pub s: usize,
    /// Input: floats per padded row and per block.
    pub in_row: usize,
    pub in_block: usize,
    /// Output size, and the zero border written around it (the next conv's padding).
    pub ho: usize,
    pub wo: usize,
    pub op: usize,
    /// Whether the epilogue applies ReLU (off for the pre-activation).
    pub relu: bool,
}

impl Geo {
    /// Floats of packed weights per output block: `[nib][k][k][cib][V]`.
    pub fn w_cob(&self, v: usize) -> usize {
        self.nib * self.k * self.k * self.cib * v
    }
    pub fn out_row(&self, v: usize) -> usize {
        (self.wo + 2 * self.op) * v
    }
    pub fn out_block(&self, v: usize) -> usize {
        (self.ho + 2 * self.op) * self.out_row(v)
    }
}

/// What one call computes: the output blocks of one group (`ob` blocks from `w`, `bias`,
/// `gain`, written to `out`, spatial sums added to `sums`).
pub(super) struct Group {
    pub inp: *const f32,
    pub w: *const f32,
    pub bias: *const f32,
    pub gain: *const f32,
    pub out: *mut f32,
    pub sums: *mut f64,
}

/// The widest vector of any path (AVX-512: 16 floats).
pub(super) const MAX_LANES: usize = 16;

/// `OB` output blocks × `RX` pixels at row `y`, column `x0`; `PX` is `stride · cib` when known
/// at compile time, else 0.
///
/// # Safety
/// `g`'s pointers must cover the group as [`Geo`] describes it (input rows `y·s..y·s + k`,
/// columns `x0·s..(x0 + RX − 1)·s + k` of every input block; `OB` weight, bias and gain blocks;
/// output pixels `x0..x0 + RX` of row `y` in `OB` blocks; `OB · V` sums), and `L`'s
/// instruction set must be available.
#[inline(always)]
// Indexing `acc[o][r]` inside the `r` loop is the register block: each broadcast meets every
// output block before the next pixel's.
#[allow(clippy::needless_range_loop)]
pub(super) unsafe fn tile<L: Lanes, const OB: usize, const RX: usize, const PX: usize>(
    geo: &Geo,
    g: &Group,
    y: usize,
    x0: usize,
) {
    let v = L::V;
    let w_cob = geo.w_cob(v);
    let taps = geo.k * geo.cib;
    // Floats between neighbouring output pixels' inputs: a constant when the caller knows it
    // (stride 1 on whole blocks), so every broadcast addresses off one base register.
    let px = if PX > 0 { PX } else { geo.s * geo.cib };
    // SAFETY: all offsets stay inside the regions the caller guarantees (see above).
    unsafe {
        let mut acc = [[L::zero(); RX]; OB];
        for b in 0..geo.nib {
            for dy in 0..geo.k {
                let irow = g
                    .inp
                    .add(b * geo.in_block + (y * geo.s + dy) * geo.in_row + x0 * px);
                let wrow = g.w.add((b * geo.k + dy) * taps * v);
                // One kernel row: (dx, channel) pairs are contiguous in input and weights.
                for j in 0..taps {
                    let mut wv = [L::zero(); OB];
                    for (o, w) in wv.iter_mut().enumerate() {
                        *w = L::load(wrow.add(o * w_cob + j * v));
                    }
                    for r in 0..RX {
                        let x = L::splat(irow.add(r * px + j));
                        for o in 0..OB {
                            acc[o][r] = L::fma(x, wv[o], acc[o][r]);
                        }
                    }
                }
            }
        }
        let zero = L::zero();
        let out_row = geo.out_row(v);
        let out_block = geo.out_block(v);
        for (o, acc) in acc.iter().enumerate() {
            let bias = L::load(g.bias.add(o * v));
            let gain = L::load(g.gain.add(o * v));
            let dst = g
                .out
                .add(o * out_block + (y + geo.op) * out_row + (x0 + geo.op) * v);
            // The run's `RX` pixels are summed in f32, then added to the running sums in f64:
            // a layer sums up to 50,176 positions, too many for an f32 running sum to stay
            // within 1e-5 of the mean.
            let mut sum = zero;
            for (r, a) in acc.iter().enumerate() {
                let pre = L::add(*a, bias);
                let y = L::mul(if geo.relu { L::max(pre, zero) } else { pre }, gain);
                L::store(dst.add(r * v), y);
                sum = L::add(sum, y);
            }
            let mut lanes = [0f32; MAX_LANES];
            L::store(lanes.as_mut_ptr(), sum);
            for (l, x) in lanes[..v].iter().enumerate() {
                *g.sums.add(o * v + l) += *x as f64;
            }
        }
    }
}

/// Calls `tile::<L, OB, n, PX>` for a run width `n` known only at run time.
macro_rules! dispatch_width {
    ($l:ty, $ob:literal, $px:expr, $geo:expr, $g:expr, $y:expr, $x0:expr, $n:expr, [$($w:literal)*]) => {
        match $n {
            $($w => tile::<$l, $ob, $w, { $px }>($geo, $g, $y, $x0),)*
            n => unreachable!("run width {n}"),
        }
    };
}

/// Output rows of one task.
type Rows = std::ops::Range<usize>;
/// `(x0, n)`: a run of `n` output pixels from column `x0`.
type Run = (usize, usize);

/// Rows `rows` of one group on `path`.
///
/// # Safety
/// `g` must cover `nb` output blocks as `geo` describes (see [`tile`]), every run of `runs`
/// at most the path's run width, and `path` must be available on this machine.
pub(super) unsafe fn run_group(
    path: Path,
    geo: &Geo,
    g: &Group,
    nb: usize,
    rows: Rows,
    runs: &[Run],
) {
    // SAFETY: forwarded from the caller.
    unsafe {
        match path {
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => avx512(geo, g, nb, rows, runs),
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => avx2(geo, g, nb, rows, runs),
            #[cfg(all(target_family = "wasm", target_feature = "simd128"))]
            Path::Simd128 => simd128(geo, g, nb, rows, runs),
            Path::Scalar => scalar(geo, g, nb, rows, runs),
            #[allow(unreachable_patterns)]
            p => unreachable!("{p:?} is not built for this target"),
        }
    }
}

/// The loops of one group: every row, every run, with the run width as a constant, and the
/// pixel stride too when it is one whole block (stride 1: every layer but the first).
macro_rules! drive {
    ($l:ty, $v:literal, $geo:expr, $g:expr, $nb:expr, $rows:expr, $runs:expr, $widths:tt) => {{
        let dense = $geo.s == 1 && $geo.cib == $v;
        for y in $rows {
            for &(x0, n) in $runs {
                match ($nb == 2, dense) {
                    (true, true) => dispatch_width!($l, 2, $v, $geo, $g, y, x0, n, $widths),
                    (true, false) => dispatch_width!($l, 2, 0, $geo, $g, y, x0, n, $widths),
                    (false, true) => dispatch_width!($l, 1, $v, $geo, $g, y, x0, n, $widths),
                    (false, false) => dispatch_width!($l, 1, 0, $geo, $g, y, x0, n, $widths),
                }
            }
        }
    }};
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn avx512(geo: &Geo, g: &Group, nb: usize, rows: Rows, runs: &[Run]) {
    // SAFETY: the caller's contract (run_group).
    unsafe { drive!(lanes::Avx512, 16, geo, g, nb, rows, runs, [1 2 3 4 5 6 7 8 9 10 11 12 13 14]) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2(geo: &Geo, g: &Group, nb: usize, rows: Rows, runs: &[Run]) {
    // SAFETY: the caller's contract (run_group).
    unsafe { drive!(lanes::Avx2, 8, geo, g, nb, rows, runs, [1 2 3 4 5 6]) }
}

#[cfg(all(target_family = "wasm", target_feature = "simd128"))]
unsafe fn simd128(geo: &Geo, g: &Group, nb: usize, rows: Rows, runs: &[Run]) {
    // SAFETY: the caller's contract (run_group).
    unsafe { drive!(lanes::Simd128, 4, geo, g, nb, rows, runs, [1 2 3 4 5]) }
}

unsafe fn scalar(geo: &Geo, g: &Group, nb: usize, rows: Rows, runs: &[Run]) {
    // SAFETY: the caller's contract (run_group).
    unsafe { drive!(lanes::Scalar, 8, geo, g, nb, rows, runs, [1 2 3 4]) }
}
