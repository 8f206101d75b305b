//! How the experiment spends its forward passes: the coarse-then-fine α search, and an evaluator
//! that never runs a pass whose answer it already has. Plain Rust: the passes themselves come
//! from a [`Features`] source (this machine's engine or the page's worker pool).
//!
//! Three answers need no pass:
//! - a mask that changes nothing (α = 0, or an empty unit set) gives the baseline features, which
//!   are computed once per held-out part for the whole run, not once per layer;
//! - when the readout's features are a layer's spatial means and the intervention is in that
//!   layer, the features under a mask are the baseline features times the gains (the mean of a
//!   scaled map is the scaled mean), so the readout layer costs no network pass at all;
//! - below the readout layer, each pass starts from the intervened layer's cached output (see
//!   `features::features_under`), so only the layers above run.

use super::source::{FeatureRows, Features, Part};
use crate::error::Failure;
use crate::model::GainMask;
use serde::{Deserialize, Serialize};

/// The enhancement search on the validation split: every `coarse` step over `0..=max`, then every
/// `fine` step within half a coarse step of the best coarse α. With `coarse == fine` it is the
/// full grid. α values are whole multiples of `fine`, so no float drift creeps in.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlphaSearch {
    pub max: f32,
    pub coarse: f32,
    pub fine: f32,
}

impl Default for AlphaSearch {
    /// 0…5: steps of 1, then steps of 0.1 within ±0.5 of the best (the paper's resolution near
    /// the optimum, in 11–15 passes per emotion instead of 51).
    fn default() -> Self {
        Self {
            max: 5.0,
            coarse: 1.0,
            fine: 0.1,
        }
    }
}

impl AlphaSearch {
    /// The full grid at `step` (the paper's search when `step` is 0.1).
    pub fn grid(max: f32, step: f32) -> Self {
        Self {
            max,
            coarse: step,
            fine: step,
        }
    }

    pub fn validate(&self) -> Result<(), Failure> {
        let ok = |v: f32| v.is_finite() && v > 0.0;
        if !ok(self.max) || !ok(self.coarse) || !ok(self.fine) || self.fine > self.coarse {
            return Err(Failure::bad_input(format!(
                "α search needs 0 < fine step ({}) ≤ coarse step ({}) and a positive maximum ({})",
                self.fine, self.coarse, self.max
            )));
        }
        if self.max / self.fine > 10_000.0 {
            return Err(Failure::bad_input(format!(
                "α step {} over 0…{} is more than 10,000 values",
                self.fine, self.max
            )));
        }
        Ok(())
    }

    fn ticks(&self, v: f32) -> i64 {
        (v / self.fine).round() as i64
    }

    fn alpha(&self, tick: i64) -> f32 {
        ((tick as f64 * self.fine as f64) * 1e4).round() as f32 / 1e4
    }

    /// Stage 1: `0, coarse, 2·coarse, …` up to `max`.
    pub fn coarse_grid(&self) -> Vec<f32> {
        let (step, top) = (self.ticks(self.coarse).max(1), self.ticks(self.max));
        (0..=top / step).map(|i| self.alpha(i * step)).collect()
    }

    /// Stage 2: the fine steps within half a coarse step of `best`, inside `0..=max`, that the
    /// coarse grid did not already try.
    pub fn fine_around(&self, best: f32) -> Vec<f32> {
        let step = self.ticks(self.coarse).max(1);
        if step == 1 {
            return Vec::new();
        }
        let (b, half, top) = (self.ticks(best), step / 2, self.ticks(self.max));
        ((b - half).max(0)..=(b + half).min(top))
            .filter(|t| t % step != 0)
            .map(|t| self.alpha(t))
            .collect()
    }

    /// Passes per emotion, roughly (for progress estimates).
    pub fn passes_estimate(&self) -> usize {
        let step = self.ticks(self.coarse).max(1) as usize;
        let fine = if step == 1 { 0 } else { 2 * (step / 2) };
        self.coarse_grid().len() - 1 + fine
    }
}

/// The best α by F1 (ties go to the smaller α: no enhancement unless it helps).
pub fn best_alpha(scored: &[(f32, f64)]) -> (f32, f64) {
    let mut v = scored.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v.into_iter().fold(
        (0.0, f64::MIN),
        |b, (a, f)| if f > b.1 + 1e-12 { (a, f) } else { b },
    )
}

/// Whether `mask` changes nothing.
pub fn is_identity(mask: &GainMask) -> bool {
    mask.layers.values().all(|g| g.iter().all(|v| *v == 1.0))
}

/// When `mask` scales one set of `layer`'s units by one non-negative gain and touches nothing
/// else: that set and α (gain − 1). Such masks can share the linear step
/// (`Network::forward_linear`: a max pool commutes with a non-negative scale, not a negative one).
pub fn uniform_gain(mask: &GainMask, layer: &str) -> Option<(Vec<usize>, f32)> {
    if mask.layers.keys().any(|l| l != layer) {
        return None;
    }
    let Some(g) = mask.get(layer) else {
        return Some((Vec::new(), 0.0));
    };
    let set: Vec<usize> = (0..g.len()).filter(|&i| g[i] != 1.0).collect();
    let gain = set.first().map_or(1.0, |&i| g[i]);
    (gain >= 0.0 && set.iter().all(|&i| g[i] == gain)).then_some((set, gain - 1.0))
}

/// Masks grouped by the set they scale (in the order sets first appear), each with its masks'
/// indices and α; and the indices of masks that are not one gain on one set of `layer`.
pub type SetGroups = (Vec<(Vec<usize>, Vec<(usize, f32)>)>, Vec<usize>);

pub fn group_by_set(masks: &[GainMask], layer: &str) -> SetGroups {
    let (mut groups, mut others): SetGroups = (Vec::new(), Vec::new());
    for (i, m) in masks.iter().enumerate() {
        match uniform_gain(m, layer) {
            Some((set, alpha)) => match groups.iter_mut().find(|g| g.0 == set) {
                Some(g) => g.1.push((i, alpha)),
                None => groups.push((set, vec![(i, alpha)])),
            },
            None => others.push(i),
        }
    }
    (groups, others)
}

/// A [`Features`] source wrapped so that it only runs the passes it must (see the module doc).
pub struct Evaluator<'f, F: Features> {
    pub source: &'f mut F,
    /// The layer whose spatial means are the readout's features, if they are.
    pub readout_layer: Option<String>,
    baseline: [Option<Vec<Vec<f32>>>; 2],
    /// Network passes asked of the source (masks × parts), for the run's summary.
    pub passes: usize,
    /// Conditions answered without a pass.
    pub saved: usize,
}

impl<'f, F: Features> Evaluator<'f, F> {
    pub fn new(source: &'f mut F, readout_layer: Option<String>) -> Self {
        Self {
            source,
            readout_layer,
            baseline: [None, None],
            passes: 0,
            saved: 0,
        }
    }

    async fn baseline(&mut self, layer: &str, part: Part) -> Result<Vec<Vec<f32>>, Failure> {
        let slot = part as usize;
        if self.baseline[slot].is_none() {
            let mut rows = self.source.under(layer, part, &[GainMask::none()]).await?;
            self.passes += 1;
            self.baseline[slot] = rows.pop();
        }
        Ok(self.baseline[slot].clone().unwrap_or_default())
    }

    /// Features of `part` under each of `masks` (all intervening in `layer`).
    pub async fn under(
        &mut self,
        layer: &str,
        part: Part,
        masks: &[GainMask],
    ) -> Result<FeatureRows, Failure> {
        let base = self.baseline(layer, part).await?;
        let linear = self.readout_layer.as_deref() == Some(layer);
        let mut out: Vec<Option<Vec<Vec<f32>>>> = vec![None; masks.len()];
        let mut run = Vec::new();
        for (i, m) in masks.iter().enumerate() {
            let only_here = m.layers.keys().all(|l| l == layer);
            match m.get(layer) {
                _ if is_identity(m) => out[i] = Some(base.clone()),
                Some(g) if linear && only_here => {
                    let scaled = base
                        .iter()
                        .map(|r| r.iter().zip(g).map(|(v, g)| v * g).collect())
                        .collect();
                    out[i] = Some(scaled);
                }
                _ => run.push(i),
            }
        }
        self.saved += masks.len() - run.len();
        if !run.is_empty() {
            let todo: Vec<GainMask> = run.iter().map(|&i| masks[i].clone()).collect();
            let rows = self.source.under(layer, part, &todo).await?;
            self.passes += todo.len();
            for (i, r) in run.into_iter().zip(rows) {
                out[i] = Some(r);
            }
        }
        out.into_iter()
            .map(|r| {
                r.ok_or_else(|| Failure::bad_input("the feature source returned too few rows"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarse_then_fine() {
        let s = AlphaSearch::default();
        assert_eq!(s.coarse_grid(), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.fine_around(0.0), [0.1, 0.2, 0.3, 0.4, 0.5]);
        assert_eq!(
            s.fine_around(2.0),
            [1.5, 1.6, 1.7, 1.8, 1.9, 2.1, 2.2, 2.3, 2.4, 2.5]
        );
        assert_eq!(s.fine_around(5.0), [4.5, 4.6, 4.7, 4.8, 4.9]);
        assert_eq!(s.passes_estimate(), 15);
        let g = AlphaSearch::grid(5.0, 0.1);
        assert_eq!(g.coarse_grid().len(), 51);
        assert_eq!(g.coarse_grid()[37], 3.7);
        assert!(g.fine_around(2.0).is_empty());
        assert!(AlphaSearch::grid(5.0, 0.0).validate().is_err());
        let inverted = AlphaSearch {
            max: 5.0,
            coarse: 0.1,
            fine: 1.0,
        };
        assert!(inverted.validate().is_err());
        assert!(s.validate().is_ok());
    }

    #[test]
    fn best_alpha_prefers_smaller_on_ties() {
        assert_eq!(
            best_alpha(&[(2.0, 0.5), (0.0, 0.5), (1.0, 0.4)]),
            (0.0, 0.5)
        );
        assert_eq!(
            best_alpha(&[(0.0, 0.5), (1.3, 0.6), (1.2, 0.6)]),
            (1.2, 0.6)
        );
    }

    #[test]
    fn masks_group_by_the_set_they_scale() {
        let l = "conv2";
        let mut two_gains = GainMask::enhance(l, 4, &[0], 1.5);
        two_gains.set(l, 4, &[1], 3.0);
        let mut two_layers = GainMask::lesion(l, 4, &[2]);
        two_layers.set("conv3", 2, &[0], 0.0);
        let masks = [
            GainMask::enhance(l, 4, &[1, 3], 0.5),
            GainMask::lesion(l, 4, &[0]),
            GainMask::lesion(l, 4, &[1, 3]),
            two_gains,
            GainMask::none(),
            two_layers,
            GainMask::enhance(l, 4, &[1, 3], 2.0),
            GainMask::enhance("conv1", 4, &[1], 2.0),
        ];
        let (groups, others) = group_by_set(&masks, l);
        assert_eq!(
            groups,
            [
                (vec![1, 3], vec![(0, 0.5), (2, -1.0), (6, 2.0)]),
                (vec![0], vec![(1, -1.0)]),
                (vec![], vec![(4, 0.0)]),
            ]
        );
        assert_eq!(others, [3, 5, 7]);
        assert_eq!(
            uniform_gain(&GainMask::enhance(l, 3, &[2], 0.0), l),
            Some((vec![], 0.0))
        );
    }

    #[test]
    fn identity_masks() {
        assert!(is_identity(&GainMask::none()));
        assert!(is_identity(&GainMask::enhance("l", 3, &[1], 0.0)));
        assert!(is_identity(&GainMask::lesion("l", 3, &[])));
        assert!(!is_identity(&GainMask::lesion("l", 3, &[2])));
    }
}
