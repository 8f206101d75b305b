//! Running [`Wino`] over a batch: the plan (chunks of tiles across images, split by output
//! channels when a few chunks must feed every thread), the per-path entry points, and the
//! merge of each task's spatial sums.

use super::lanes::{self, Lanes};
use super::winograd::{input_transform, output_transform, product, Plan, Task, Wino};
use super::{threads, Blocked, Path, Shared, OB};
#[cfg(not(target_family = "wasm"))]
use rayon::prelude::*;
use std::cell::RefCell;

thread_local! {
    /// Each thread's transformed-input and product scratch.
    static SCRATCH: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Floats of transformed input a chunk may take (512 KB: the fastest VGG-16 at batch 1 and 16
/// here of 64 K to 8 M floats; the products and the filters' slices share the L2 with it).
const CHUNK_FLOATS: usize = 1 << 17;

/// `relu(conv(x) + bias) · gain` of every image of `xs` (3 × 3, stride 1, padding 1, blocked
/// with this path's vector), with a zero border of `out_pad`, and each image's channel means.
/// `bias` and `gain` are padded to whole output blocks.
pub(super) fn run(
    w: &Wino,
    path: Path,
    xs: &[&Blocked],
    (bias, gain): (&[f32], &[f32]),
    out_pad: usize,
    (parallel, relu): (bool, bool),
) -> Vec<(Blocked, Vec<f32>)> {
    let v = path.lanes();
    let Some(first) = xs.first() else {
        return Vec::new();
    };
    let (ho, wo) = (first.h, first.w);
    for x in xs {
        assert!(
            x.c == w.ci && x.cb == v && x.pad == 1 && (x.h, x.w) == (ho, wo),
            "Winograd input blocked as ({}, {}, pad {}, {}×{}), needs ({}, {v}, pad 1, {ho}×{wo})",
            x.c,
            x.cb,
            x.pad,
            x.h,
            x.w,
            w.ci
        );
    }
    assert_eq!(w.v, v, "filters transformed for another vector width");
    let ncob = w.co.div_ceil(v);
    assert!(bias.len() >= ncob * v && gain.len() >= ncob * v);
    let (th, tw) = (ho.div_ceil(4), wo.div_ceil(4));
    let total = th * tw * xs.len();
    let rx = path.run();
    let chunk = ((CHUNK_FLOATS / (36 * w.ci)).max(rx) / rx * rx).min(total);
    let out_probe = Blocked::with_border(w.co, v, (ho, wo), out_pad);
    let plan = Plan {
        v,
        nib: w.ci / v,
        ncob,
        ho,
        wo,
        tw,
        per_img: th * tw,
        in_row: first.wp() * v,
        in_block: first.hp() * first.wp() * v,
        hp: first.hp(),
        wp: first.wp(),
        op: out_pad,
        out_row: out_probe.wp() * v,
        out_block: out_probe.hp() * out_probe.wp() * v,
        chunk,
        relu,
    };
    let mut outs: Vec<Blocked> = std::iter::once(out_probe)
        .chain((1..xs.len()).map(|_| Blocked::with_border(w.co, v, (ho, wo), out_pad)))
        .collect();
    // Read only (the pointer type is shared with the outputs).
    let inputs: Vec<Shared> = xs
        .iter()
        .map(|x| Shared(x.data.as_ptr().cast_mut()))
        .collect();
    let outputs: Vec<Shared> = outs
        .iter_mut()
        .map(|o| Shared(o.data.as_mut_ptr()))
        .collect();
    let nchunks = total.div_ceil(chunk);
    let groups = ncob.div_ceil(OB);
    let parts = if parallel {
        (4 * threads()).div_ceil(nchunks).clamp(1, groups)
    } else {
        1
    };
    let jobs: Vec<((usize, usize), (usize, usize))> = (0..nchunks)
        .flat_map(|c| {
            let tiles = (c * chunk, ((c + 1) * chunk).min(total));
            (0..parts).map(move |p| {
                let blocks = (
                    p * groups / parts * OB,
                    ((p + 1) * groups / parts * OB).min(ncob),
                );
                (tiles, blocks)
            })
        })
        .filter(|(_, b)| b.0 < b.1)
        .collect();
    let job = |&(tiles, blocks): &((usize, usize), (usize, usize))| -> Vec<f64> {
        let task = Task {
            inputs: &inputs,
            outputs: &outputs,
            u: w.u_ptr(),
            bias: bias.as_ptr(),
            gain: gain.as_ptr(),
            tiles,
            blocks,
        };
        let imgs = (tiles.1 - 1) / plan.per_img - tiles.0 / plan.per_img + 1;
        let mut sums = vec![0f64; imgs * (blocks.1 - blocks.0) * v];
        SCRATCH.with(|s| {
            let (vt, m) = &mut *s.borrow_mut();
            grow(vt, plan.vt_len());
            grow(m, plan.m_len(blocks.1 - blocks.0));
            // SAFETY: the asserts above tie every input and output to `plan`; this task's tiles
            // and blocks are its own (no two tasks share a tile and a block); the scratch has
            // the plan's sizes; the path came from `Path::available`.
            unsafe { run_task(path, &plan, &task, vt, m, &mut sums) };
        });
        sums
    };
    #[cfg(not(target_family = "wasm"))]
    let partial: Vec<Vec<f64>> = if parallel {
        jobs.par_iter().map(job).collect()
    } else {
        jobs.iter().map(job).collect()
    };
    #[cfg(target_family = "wasm")]
    let partial: Vec<Vec<f64>> = jobs.iter().map(job).collect();
    let mut sums = vec![vec![0f64; ncob * v]; xs.len()];
    for ((tiles, blocks), s) in jobs.iter().zip(partial) {
        let nbv = (blocks.1 - blocks.0) * v;
        for (i, chunk) in s.chunks_exact(nbv).enumerate() {
            let img = tiles.0 / plan.per_img + i;
            for (a, b) in sums[img][blocks.0 * v..blocks.1 * v].iter_mut().zip(chunk) {
                *a += b;
            }
        }
    }
    let n = (ho * wo) as f64;
    outs.into_iter()
        .zip(sums)
        .map(|(o, s)| (o, s[..w.co].iter().map(|s| (s / n) as f32).collect()))
        .collect()
}

fn grow(v: &mut Vec<f32>, n: usize) {
    if v.len() < n {
        v.resize(n, 0.0);
    }
}

/// One task on `path`.
///
/// # Safety
/// See [`run`]'s use: inputs, outputs and scratch as `plan` describes, `path` available.
unsafe fn run_task(
    path: Path,
    p: &Plan,
    t: &Task,
    vt: &mut [f32],
    m: &mut [f32],
    sums: &mut [f64],
) {
    // SAFETY: forwarded from the caller.
    unsafe {
        match path {
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => avx512(p, t, vt, m, sums),
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => avx2(p, t, vt, m, sums),
            #[cfg(all(target_family = "wasm", target_feature = "simd128"))]
            Path::Simd128 => simd128(p, t, vt, m, sums),
            Path::Scalar => task_on::<lanes::Scalar, 4>(p, t, vt, m, sums),
            #[allow(unreachable_patterns)]
            other => unreachable!("{other:?} is not built for this target"),
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn avx512(p: &Plan, t: &Task, vt: &mut [f32], m: &mut [f32], sums: &mut [f64]) {
    // SAFETY: the caller's contract (run_task).
    unsafe { task_on::<lanes::Avx512, 14>(p, t, vt, m, sums) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2(p: &Plan, t: &Task, vt: &mut [f32], m: &mut [f32], sums: &mut [f64]) {
    // SAFETY: the caller's contract (run_task).
    unsafe { task_on::<lanes::Avx2, 6>(p, t, vt, m, sums) }
}

#[cfg(all(target_family = "wasm", target_feature = "simd128"))]
unsafe fn simd128(p: &Plan, t: &Task, vt: &mut [f32], m: &mut [f32], sums: &mut [f64]) {
    // SAFETY: the caller's contract (run_task).
    unsafe { task_on::<lanes::Simd128, 5>(p, t, vt, m, sums) }
}

/// Input transform, the 36 products in runs of `RX` tiles, output transform.
///
/// # Safety
/// As [`run_task`]; `RX` is the path's run width.
#[inline(always)]
unsafe fn task_on<L: Lanes, const RX: usize>(
    p: &Plan,
    t: &Task,
    vt: &mut [f32],
    m: &mut [f32],
    sums: &mut [f64],
) {
    let v = L::V;
    let (t0, t1) = t.tiles;
    let (b0, b1) = t.blocks;
    let nt = t1 - t0;
    let ci = p.nib * v;
    // SAFETY: every offset below stays inside the plan's scratch and filter sizes.
    unsafe {
        input_transform::<L>(p, t.inputs, t0, t1, vt.as_mut_ptr());
        for xi in 0..36 {
            let vx = vt.as_ptr().add(xi * v);
            let ux = t.u.add(xi * p.ncob * ci * v);
            let mx = m.as_mut_ptr().add(xi * v);
            let mut ob = b0;
            while ob < b1 {
                let k = (b1 - ob).min(OB);
                let mut r0 = 0;
                while r0 < nt {
                    let n = (nt - r0).min(RX);
                    let (vp, up) = (vx.add(r0 * 36 * v), ux.add(ob * ci * v));
                    let mp = mx.add(((ob - b0) * p.chunk + r0) * 36 * v);
                    if n == RX && k == 2 {
                        product::<L, 2, RX>(p, vp, up, mp);
                    } else {
                        tail::<L>(p, (vp, up, mp), k, n);
                    }
                    r0 += n;
                }
                ob += k;
            }
        }
        output_transform::<L>(p, t, m.as_ptr(), sums);
    }
}

/// A short run (fewer than `RX` tiles) or a single output block: runs of 4, 2 and 1 tiles.
///
/// # Safety
/// As [`product`], for `k` blocks and `n` tiles.
#[inline(always)]
unsafe fn tail<L: Lanes>(
    p: &Plan,
    (vp, up, mp): (*const f32, *const f32, *mut f32),
    k: usize,
    n: usize,
) {
    let v = L::V;
    // SAFETY: the caller's contract, a piece of the run at a time.
    unsafe {
        let mut r = 0;
        while r < n {
            let step = match n - r {
                4.. => 4,
                2 | 3 => 2,
                _ => 1,
            };
            let (vr, mr) = (vp.add(r * 36 * v), mp.add(r * 36 * v));
            match (k, step) {
                (2, 4) => product::<L, 2, 4>(p, vr, up, mr),
                (2, 2) => product::<L, 2, 2>(p, vr, up, mr),
                (2, _) => product::<L, 2, 1>(p, vr, up, mr),
                (_, 4) => product::<L, 1, 4>(p, vr, up, mr),
                (_, 2) => product::<L, 1, 2>(p, vr, up, mr),
                _ => product::<L, 1, 1>(p, vr, up, mr),
            }
            r += step;
        }
    }
}
