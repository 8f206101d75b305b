//! The direct kernel over one image: tasks of (output block group × rows), each through
//! [`run_group`], and the merge of their spatial sums.

use super::kernel::{run_group, Geo, Group};
use super::{runs, threads, Blocked, Epilogue, Packed, Shared, OB};
#[cfg(not(target_family = "wasm"))]
use rayon::prelude::*;

/// `p`'s conv of `x` with `epi`'s epilogue, times the gains, with a zero border of `out_pad`,
/// and each output channel's spatial mean. `x` must be blocked with this conv's block and
/// padding (see [`Blocked::reblock`]). `parallel` spreads the output blocks over rayon's threads.
pub(super) fn run(
    p: &Packed,
    x: &Blocked,
    gains: Option<&[f32]>,
    out_pad: usize,
    (parallel, epi): (bool, Epilogue),
) -> (Blocked, Vec<f32>) {
    assert!(
        x.c == p.ci && x.cb == p.cib && x.pad == p.pad,
        "input blocked as ({}, {}, pad {}), the conv needs ({}, {}, pad {})",
        x.c,
        x.cb,
        x.pad,
        p.ci,
        p.cib,
        p.pad
    );
    let bias = p.bias_for(epi);
    let v = p.path.lanes();
    let (ho, wo) = p.out_size(x.h, x.w);
    let geo = Geo {
        cib: p.cib,
        nib: x.blocks(),
        k: p.k,
        s: p.stride,
        in_row: x.wp() * x.cb,
        in_block: x.hp() * x.wp() * x.cb,
        ho,
        wo,
        op: out_pad,
        relu: epi.relu,
    };
    let ncob = p.co.div_ceil(v);
    let gain = p.gains(gains);
    // Every inside value is written by the kernel (all V lanes of every output pixel).
    let mut out = Blocked::with_border(p.co, v, (ho, wo), out_pad);
    let (ob, wc) = (geo.out_block(v), geo.w_cob(v));
    assert_eq!(out.data.len(), ncob * ob);
    assert_eq!(p.w.len(), ncob * wc);
    assert!(x.data.len() >= geo.nib * geo.in_block);
    let runs = runs(wo, p.path.run());
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
            w: p.w[cob * wc..].as_ptr(),
            bias: bias[cob * v..].as_ptr(),
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
        unsafe { run_group(p.path, &geo, &g, nb, y0..y1, &runs) };
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
    let means = sums[..p.co].iter().map(|s| (s / n) as f32).collect();
    (out, means)
}
