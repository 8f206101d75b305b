//! Winograd F(4×4, 3×3) for the 3×3 stride-1 convs on the blocked layout: every 6×6 input tile
//! is transformed once (`V = Bᵀ d B`), the 36 transformed positions are 36 independent products
//! `M[ξ] = U[ξ] · V[ξ]` over the input channels (the filters `U = G g Gᵀ` are transformed once, at
//! load, in f64), and `Y = Aᵀ M A` gives a 4×4 output tile: 36 multiplies per 16 outputs and input
//! channel instead of the direct conv's 144. Bias, ReLU, the gain mask, the store into the next
//! conv's padded layout and the spatial sum are fused into the output transform, as in the direct
//! kernel.
//!
//! Tiles of every image of a batch are one pool: a chunk of tiles (from one or several images)
//! shares each streamed filter matrix, which is what makes the small late layers (14 × 14: 16
//! tiles per image) pay at batch 16. Work is split into (chunk, output-channel part) tasks.

// The transforms are small matrix products: index loops over rows and columns read as the maths.
#![allow(clippy::needless_range_loop)]

use super::lanes::Lanes;
use super::Shared;

/// Transformed tile side, output tile side, positions per tile.
const T6: usize = 6;
const T4: usize = 4;
const XI: usize = T6 * T6;

/// Filters transformed for one path: `u[ξ][co / V][ci][V]`.
pub struct Wino {
    pub co: usize,
    pub ci: usize,
    pub v: usize,
    u: Vec<f32>,
}

/// `G` of F(4, 3) (points 0, ±1, ±2, ∞).
const G: [[f64; 3]; 6] = [
    [1.0 / 4.0, 0.0, 0.0],
    [-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0],
    [-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0],
    [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
    [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
    [0.0, 0.0, 1.0],
];

impl Wino {
    /// Whether a conv of this shape runs on Winograd: 3 × 3, stride 1, padding 1, and input
    /// channels in whole vectors of `v` (not the image's 3 channels).
    pub fn fits(k: usize, stride: usize, pad: usize, ci: usize, v: usize) -> bool {
        k == 3 && stride == 1 && pad == 1 && ci.is_multiple_of(v) && ci >= v
    }

    /// Transforms torchvision-layout weights `[co, ci, 3, 3]` for vectors of `v` floats.
    pub fn new(co: usize, ci: usize, v: usize, weight: &[f32]) -> Self {
        assert_eq!(weight.len(), co * ci * 9, "weights are [co, ci, 3, 3]");
        let ncob = co.div_ceil(v);
        let mut u = vec![0f32; XI * ncob * ci * v];
        for o in 0..co {
            for c in 0..ci {
                let g = &weight[(o * ci + c) * 9..][..9];
                // G g (6 × 3), then (G g) Gᵀ (6 × 6), in f64.
                let mut gg = [[0f64; 3]; 6];
                for (i, row) in gg.iter_mut().enumerate() {
                    for (b, x) in row.iter_mut().enumerate() {
                        *x = (0..3).map(|a| G[i][a] * g[a * 3 + b] as f64).sum();
                    }
                }
                for i in 0..T6 {
                    for k in 0..T6 {
                        let val: f64 = (0..3).map(|b| gg[i][b] * G[k][b]).sum();
                        let xi = i * T6 + k;
                        u[((xi * ncob + o / v) * ci + c) * v + o % v] = val as f32;
                    }
                }
            }
        }
        Self { co, ci, v, u }
    }

    /// Floats of transformed filters (for memory reports).
    pub fn floats(&self) -> usize {
        self.u.len()
    }
}

/// Sizes of one Winograd run, in tiles and floats.
#[derive(Clone, Copy, Debug)]
pub(super) struct Plan {
    pub v: usize,
    /// Input blocks (`ci / V`), output blocks (`co / V`, rounded up).
    pub nib: usize,
    pub ncob: usize,
    /// Output size, tiles per row and per column, tiles per image.
    pub ho: usize,
    pub wo: usize,
    pub tw: usize,
    pub per_img: usize,
    /// Input: padded plane sizes (floats per row, per block), rows and columns of the plane.
    pub in_row: usize,
    pub in_block: usize,
    pub hp: usize,
    pub wp: usize,
    /// Output border and floats per row and per block.
    pub op: usize,
    pub out_row: usize,
    pub out_block: usize,
    /// Tiles per chunk (the scratch's `G`).
    pub chunk: usize,
    /// Whether the epilogue applies ReLU (off for the pre-activation).
    pub relu: bool,
}

impl Plan {
    /// Floats of transformed input per chunk: `[nib][chunk][36][V]`.
    pub fn vt_len(&self) -> usize {
        XI * self.nib * self.chunk * self.v
    }
    /// Floats of products for `nb` output blocks: `[nb][chunk][36][V]`.
    pub fn m_len(&self, nb: usize) -> usize {
        XI * nb * self.chunk * self.v
    }
}

/// One task's inputs and outputs: tiles `t0..t1` (numbered across images), output blocks
/// `b0..b1`.
pub(super) struct Task<'a> {
    pub inputs: &'a [Shared],
    pub outputs: &'a [Shared],
    pub u: *const f32,
    pub bias: *const f32,
    pub gain: *const f32,
    pub tiles: (usize, usize),
    pub blocks: (usize, usize),
}

impl Wino {
    pub(super) fn u_ptr(&self) -> *const f32 {
        self.u.as_ptr()
    }
}

/// `Bᵀ d` for one column (or row) of six vectors.
#[inline(always)]
unsafe fn bt<L: Lanes>(d: [L::R; 6]) -> [L::R; 6] {
    // SAFETY: register arithmetic only (the caller's instruction set).
    unsafe {
        let (c2, c4, c5) = (L::set(2.0), L::set(4.0), L::set(5.0));
        let d42 = L::sub(d[4], d[2]);
        [
            L::sub(L::fma(c4, d[0], d[4]), L::mul(c5, d[2])),
            L::sub(L::add(d[3], d[4]), L::mul(c4, L::add(d[1], d[2]))),
            L::fma(c4, L::sub(d[1], d[2]), L::sub(d[4], d[3])),
            L::fma(c2, L::sub(d[3], d[1]), d42),
            L::fma(c2, L::sub(d[1], d[3]), d42),
            L::sub(L::fma(c4, d[1], d[5]), L::mul(c5, d[3])),
        ]
    }
}

/// `Aᵀ m` for one column (or row) of six vectors.
#[inline(always)]
unsafe fn at<L: Lanes>(m: [L::R; 6]) -> [L::R; 4] {
    // SAFETY: register arithmetic only.
    unsafe {
        let (s12, d12) = (L::add(m[1], m[2]), L::sub(m[1], m[2]));
        let (s34, d34) = (L::add(m[3], m[4]), L::sub(m[3], m[4]));
        [
            L::add(L::add(m[0], s12), s34),
            L::fma(L::set(2.0), d34, d12),
            L::fma(L::set(4.0), s34, s12),
            L::add(L::fma(L::set(8.0), d34, d12), m[5]),
        ]
    }
}

/// Image, tile row and tile column of tile `t`.
#[inline(always)]
fn locate(p: &Plan, t: usize) -> (usize, usize, usize) {
    let (img, r) = (t / p.per_img, t % p.per_img);
    (img, r / p.tw, r % p.tw)
}

/// Transforms tiles `t0..t1` of every input block into `vt` (`[nib][chunk][36][V]`: a tile's 36
/// positions are contiguous, for the products and the output transform alike).
///
/// # Safety
/// `inputs` must hold each image's padded blocked planes as `p` describes, `vt` `p.vt_len()`
/// floats, `t1 − t0 ≤ p.chunk`, and `L`'s instruction set must be available.
#[inline(always)]
pub(super) unsafe fn input_transform<L: Lanes>(
    p: &Plan,
    inputs: &[Shared],
    t0: usize,
    t1: usize,
    vt: *mut f32,
) {
    let v = L::V;
    // SAFETY: reads stay inside the padded planes (edge tiles go through a zeroed copy), writes
    // inside `vt` (the caller's contract).
    unsafe {
        let mut edge = [0f32; XI * super::kernel::MAX_LANES];
        for t in t0..t1 {
            let (img, ty, tx) = locate(p, t);
            let (y0, x0) = (ty * T4, tx * T4);
            let inside = y0 + T6 <= p.hp && x0 + T6 <= p.wp;
            for b in 0..p.nib {
                let base = inputs[img].at(b * p.in_block).cast_const();
                let (src, row) = if inside {
                    (base.add(y0 * p.in_row + x0 * v), p.in_row)
                } else {
                    edge[..XI * v].fill(0.0);
                    for i in 0..T6.min(p.hp - y0) {
                        for j in 0..T6.min(p.wp.saturating_sub(x0)) {
                            let s = base.add((y0 + i) * p.in_row + (x0 + j) * v);
                            std::ptr::copy_nonoverlapping(
                                s,
                                edge.as_mut_ptr().add((i * T6 + j) * v),
                                v,
                            );
                        }
                    }
                    (edge.as_ptr(), T6 * v)
                };
                let mut tmp = [[L::zero(); T6]; T6];
                for j in 0..T6 {
                    let col = std::array::from_fn(|i| L::load(src.add(i * row + j * v)));
                    let c = bt::<L>(col);
                    for i in 0..T6 {
                        tmp[i][j] = c[i];
                    }
                }
                let dst = vt.add((b * p.chunk + (t - t0)) * XI * v);
                for (i, r) in tmp.iter().enumerate() {
                    for (k, val) in bt::<L>(*r).iter().enumerate() {
                        L::store(dst.add((i * T6 + k) * v), *val);
                    }
                }
            }
        }
    }
}

/// `M[ξ]` for `OB` output blocks × `RX` tiles: the sum over input channels of transformed
/// input × transformed filter.
///
/// # Safety
/// `vt` points at position ξ of tile `r0` of block 0 (tiles `36 · V` floats apart, blocks
/// `p.chunk · 36 · V`), `u` at output block `cob` of position ξ (blocks `ci · V` apart), `m` at
/// position ξ of tile `r0` of the first of `OB` output blocks (laid out as `vt`), all valid for
/// what they index; `L` available.
#[inline(always)]
#[allow(clippy::needless_range_loop)]
pub(super) unsafe fn product<L: Lanes, const OB: usize, const RX: usize>(
    p: &Plan,
    vt: *const f32,
    u: *const f32,
    m: *mut f32,
) {
    let v = L::V;
    let (g_stride, t_stride, u_stride) = (p.chunk * XI * v, XI * v, p.nib * v * v);
    // SAFETY: the caller's contract.
    unsafe {
        let mut acc = [[L::zero(); RX]; OB];
        for b in 0..p.nib {
            let xr = vt.add(b * g_stride);
            let wr = u.add(b * v * v);
            for j in 0..v {
                let mut wv = [L::zero(); OB];
                for (o, w) in wv.iter_mut().enumerate() {
                    *w = L::load(wr.add(o * u_stride + j * v));
                }
                for r in 0..RX {
                    let x = L::splat(xr.add(r * t_stride + j));
                    for o in 0..OB {
                        acc[o][r] = L::fma(x, wv[o], acc[o][r]);
                    }
                }
            }
        }
        for (o, a) in acc.iter().enumerate() {
            for (r, x) in a.iter().enumerate() {
                L::store(m.add(o * g_stride + r * t_stride), *x);
            }
        }
    }
}

/// The output transform and epilogue of tiles `t0..t1` for output blocks `b0..b1` (whose
/// products are `m`, `[b1 − b0][chunk][36][V]`): bias, ReLU, gain, the store of the pixels inside
/// the output, and their sums into `sums` (`[image][b1 − b0][V]`, images counted from the first
/// tile's).
///
/// # Safety
/// As [`input_transform`], for `task`'s outputs (each image's blocked output as `p` describes),
/// `m` and `sums`.
#[inline(always)]
pub(super) unsafe fn output_transform<L: Lanes>(
    p: &Plan,
    task: &Task,
    m: *const f32,
    sums: &mut [f64],
) {
    let v = L::V;
    let (t0, t1) = task.tiles;
    let (b0, b1) = task.blocks;
    let nb = b1 - b0;
    let img0 = t0 / p.per_img;
    // SAFETY: the caller's contract; stores stay inside the output's inside area.
    unsafe {
        let zero = L::zero();
        for t in t0..t1 {
            let (img, ty, tx) = locate(p, t);
            let (y0, x0) = (ty * T4, tx * T4);
            let (ny, nx) = (T4.min(p.ho - y0), T4.min(p.wo - x0));
            for ob in 0..nb {
                let src = m.add((ob * p.chunk + (t - t0)) * XI * v);
                let mut tmp = [[zero; T6]; T4];
                for k in 0..T6 {
                    let col = std::array::from_fn(|i| L::load(src.add((i * T6 + k) * v)));
                    let c = at::<L>(col);
                    for r in 0..T4 {
                        tmp[r][k] = c[r];
                    }
                }
                let cob = b0 + ob;
                let bias = L::load(task.bias.add(cob * v));
                let gain = L::load(task.gain.add(cob * v));
                let dst = task.outputs[img]
                    .at(cob * p.out_block + (y0 + p.op) * p.out_row + (x0 + p.op) * v);
                let mut sum = zero;
                for (r, row) in tmp.iter().enumerate().take(ny) {
                    let y = at::<L>(*row);
                    for (c, val) in y.iter().enumerate().take(nx) {
                        let pre = L::add(*val, bias);
                        let out = L::mul(if p.relu { L::max(pre, zero) } else { pre }, gain);
                        L::store(dst.add(r * p.out_row + c * v), out);
                        sum = L::add(sum, out);
                    }
                }
                let mut lanes = [0f32; super::kernel::MAX_LANES];
                L::store(lanes.as_mut_ptr(), sum);
                let at = ((img - img0) * nb + ob) * v;
                for (s, x) in sums[at..at + v].iter_mut().zip(&lanes[..v]) {
                    *s += *x as f64;
                }
            }
        }
    }
}
