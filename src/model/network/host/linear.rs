//! The host side of the experiment's linear step (see `network::affine`): the next conv's
//! pre-activation kept blocked, in the layout the conv after it reads, and the run from
//! `relu(z₀ + α · Δ)` to the top, with no layout round trip.

use super::{each, each_owned, HostRun, HostStack, HostStep};
use crate::model::network::direct::{Blocked, Epilogue};
use crate::model::GainMask;

/// A pre-activation of the conv at `step`, one blocked map per image, with the border the step
/// above it reads.
pub struct Pre {
    pub step: usize,
    pub name: &'static str,
    pub maps: Vec<Blocked>,
}

impl HostStack {
    /// The pre-activation of the first conv after step `at` (through the pools between) for a
    /// batch `x` of step `at`'s output (`[b, c, h, w]`, flat): `conv + bias` of all channels
    /// (`keep: None`), or `conv` of the channels in `keep` alone, without bias (the part that is
    /// linear in their gains). `None` on the gemm path or past the last conv.
    pub fn pre_next(
        &self,
        at: usize,
        x: &[f32],
        [b, c, h, w]: [usize; 4],
        keep: Option<&[usize]>,
    ) -> Option<Pre> {
        let packed = self.direct.as_ref()?;
        let next =
            (at + 1..self.steps.len()).find(|&i| matches!(self.steps[i], HostStep::Conv(..)))?;
        let (HostStep::Conv(name, _), Some(p)) = (&self.steps[next], packed[next].as_ref()) else {
            return None;
        };
        let per = c * h * w;
        let imgs: Vec<&[f32]> = x.chunks(per.max(1)).take(b).collect();
        let mut on = vec![keep.is_none(); c];
        keep.unwrap_or(&[])
            .iter()
            .filter(|&&k| k < c)
            .for_each(|&k| on[k] = true);
        // Blocked for the first step after `at`, with the channels outside `keep` zeroed.
        let (cb, pad) = match &packed[at + 1] {
            Some(q) => (q.cib, q.pad),
            None => (p.path.lanes(), 0),
        };
        let xs = each(&imgs, |img| {
            let mut m = Blocked::from_nchw(img, (c, h, w), cb, pad);
            if keep.is_some() {
                m.zero_channels(&on);
            }
            m
        });
        let (xs, _) = self.run_blocked(packed, (at + 1, next), xs, &GainMask::none());
        let xs: Vec<Blocked> = each_owned(xs, |x| x.reblock(p.cib, p.pad));
        let refs: Vec<&Blocked> = xs.iter().collect();
        let epi = if keep.is_some() {
            Epilogue::LINEAR
        } else {
            Epilogue::PRE
        };
        let pad = Self::pad_after(packed, next, self.steps.len());
        let maps = p
            .run_batch_with(&refs, None, pad, epi)
            .into_iter()
            .map(|o| o.0)
            .collect();
        Some(Pre {
            step: next,
            name,
            maps,
        })
    }

    /// The stack from `z0`'s conv to the top with that conv's output `relu(z₀ + α · Δ)`
    /// (`delta` `None`: `relu(z₀)`), under `mask` above it: the last maps and every conv's means
    /// from `z0`'s conv up.
    pub fn run_linear(
        &self,
        z0: &Pre,
        delta: Option<&Pre>,
        alpha: f32,
        mask: &GainMask,
    ) -> Option<HostRun> {
        let packed = self.direct.as_ref()?;
        let pairs: Vec<(&Blocked, Option<&Blocked>)> = match delta {
            Some(d) => {
                assert_eq!(
                    d.maps.len(),
                    z0.maps.len(),
                    "Δ and z₀ come from the same batch"
                );
                z0.maps.iter().zip(d.maps.iter().map(Some)).collect()
            }
            None => z0.maps.iter().map(|z| (z, None)).collect(),
        };
        // Borders are zero in both, so they stay zero.
        let xs: Vec<Blocked> = each(&pairs, |(z, d)| {
            let mut x = Blocked::with_border(z.c, z.cb, (z.h, z.w), z.pad);
            match d {
                Some(d) => {
                    for (o, (a, b)) in x.data.iter_mut().zip(z.data.iter().zip(&d.data)) {
                        *o = (alpha * b + a).max(0.0);
                    }
                }
                None => {
                    for (o, a) in x.data.iter_mut().zip(&z.data) {
                        *o = a.max(0.0);
                    }
                }
            }
            x
        });
        let here: Vec<Vec<f32>> = each(&xs, Blocked::channel_means);
        let (ys, above) = self.run_blocked(packed, (z0.step + 1, self.steps.len()), xs, mask);
        let b = ys.len();
        let (c, h, w) = ys.first().map_or((0, 0, 0), |y| (y.c, y.h, y.w));
        let mut names = vec![z0.name];
        names.extend(self.steps[z0.step + 1..].iter().filter_map(|s| match s {
            HostStep::Conv(n, _) => Some(*n),
            HostStep::Pool { .. } => None,
        }));
        let means = names
            .into_iter()
            .enumerate()
            .map(|(l, n)| {
                let rows = (0..b).flat_map(|i| match l {
                    0 => here[i].clone(),
                    _ => above[i][l - 1].clone(),
                });
                (n, rows.collect())
            })
            .collect();
        let maps = each_owned(ys, |y| y.to_nchw()).concat();
        Some(HostRun {
            maps,
            dims: [b, c, h, w],
            means,
        })
    }
}
