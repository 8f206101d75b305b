//! The paper's intervention experiment, one layer at a time: lesion (gain 0) or enhance
//! (gain 1 + α, best α chosen on val) the layer's units selective for emotion e, and compare the
//! readout's test F1 for e against the same number of random units (seeded draws).
//!
//! This module is plain Rust (no burn): it builds the masks, chooses α and scores F1. The
//! readout features under each mask come from a [`Features`] source: the engine on this machine
//! (`responses::LocalFeatures`, the CLI) or the page's worker pool (data-parallel over images).
//! Both give the same numbers, bit for bit, so the page's results equal the CLI's.

use super::head::{standardise, Head};
use super::metrics::f1_binary;
use super::profile::Profile;
use crate::model::GainMask;
use crate::protocol::Failure;
use crate::weights::init::SplitMix64;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentConfig {
    /// Enhancement gains to try on val: gain = 1 + α.
    pub alphas: Vec<f32>,
    /// Random-unit control draws (≥ 5 in the paper's spirit).
    pub control_draws: usize,
    pub seed: u64,
    pub batch: usize,
}

impl Default for ExperimentConfig {
    fn default() -> Self {
        Self {
            alphas: alpha_grid(5.0, 0.1),
            control_draws: 5,
            seed: 1,
            batch: 16,
        }
    }
}

/// `0, step, 2·step, …, max`.
pub fn alpha_grid(max: f32, step: f32) -> Vec<f32> {
    let n = (max / step).round() as usize;
    (0..=n)
        .map(|i| (i as f32 * step * 1e4).round() / 1e4)
        .collect()
}

/// Mean and sample sd.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanSd {
    pub mean: f64,
    pub sd: f64,
}

impl MeanSd {
    pub fn of(v: &[f64]) -> Self {
        let n = v.len().max(1) as f64;
        let mean = v.iter().sum::<f64>() / n;
        let sd = if v.len() > 1 {
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        Self { mean, sd }
    }
}

/// One layer × emotion row of the results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionResult {
    pub layer: String,
    pub emotion: String,
    pub n_units: usize,
    pub f1_before: f64,
    pub f1_lesion: f64,
    pub f1_enhance: f64,
    pub best_alpha: f32,
    pub control_lesion: MeanSd,
    pub control_enhance: MeanSd,
}

/// What the experiment needs from a profile for one layer.
pub struct LayerUnits<'a> {
    pub name: &'a str,
    /// Selected units (top SI fraction) preferring each emotion.
    pub selective: Vec<Vec<usize>>,
    pub n_units: usize,
}

/// The frozen readout: standardisation plus one binary head per emotion.
pub struct Readout<'a> {
    pub mean: &'a [f32],
    pub sd: &'a [f32],
    pub heads: &'a [Head],
}

impl Readout<'_> {
    /// Binary predictions of head `e` for feature rows.
    fn predict(&self, rows: &[Vec<f32>], e: usize) -> Vec<bool> {
        rows.iter()
            .map(|r| {
                let z = standardise(r, self.mean, self.sd);
                let l = self.heads[e].logits(&z);
                l[1] > l[0]
            })
            .collect()
    }
}

/// Which held-out part of the profile's split a feature request is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Part {
    /// Chooses α.
    Val,
    /// Scores every condition.
    Test,
}

/// Readout features of every image of a part under each mask: `[mask][image][feature]`, images
/// in the part's order.
pub type FeatureRows = Vec<Vec<Vec<f32>>>;

/// Where the experiment's forward passes run. An error stops the run.
#[allow(async_fn_in_trait)]
pub trait Features {
    async fn under(
        &mut self,
        layer: &str,
        part: Part,
        masks: &[GainMask],
    ) -> Result<FeatureRows, Failure>;
}

/// Conv layers computed per image when intervening in `layer` (that layer and those above),
/// given the network's conv layer names in order.
pub fn layers_above(names: &[&str], layer: &str) -> usize {
    names.len() - names.iter().position(|n| *n == layer).unwrap_or(0)
}

/// Masks of the validation sweep: for each emotion, its selective units enhanced at each α.
pub fn val_masks(units: &LayerUnits<'_>, cfg: &ExperimentConfig) -> Vec<GainMask> {
    let mut masks = Vec::new();
    for sel in &units.selective {
        for a in &cfg.alphas {
            masks.push(GainMask::enhance(units.name, units.n_units, sel, *a));
        }
    }
    masks
}

/// Masks run on the test part (see [`val_masks`]): none, then per emotion lesion and enhance
/// at its α, and the random-unit controls of both.
pub fn test_masks(units: &LayerUnits<'_>, best: &[f32], cfg: &ExperimentConfig) -> Vec<GainMask> {
    let (l, n) = (units.name, units.n_units);
    let mut rng = SplitMix64::new(cfg.seed ^ crate::weights::init::fnv1a(l));
    let mut masks = vec![GainMask::none()];
    for (sel, alpha) in units.selective.iter().zip(best) {
        masks.push(GainMask::lesion(l, n, sel));
        masks.push(GainMask::enhance(l, n, sel, *alpha));
        for _ in 0..cfg.control_draws {
            let r = draw(n, sel.len(), &mut rng);
            masks.push(GainMask::lesion(l, n, &r));
            masks.push(GainMask::enhance(l, n, &r, *alpha));
        }
    }
    masks
}

/// Total work (images × conv layers computed) of one layer: val sweep plus test conditions.
pub fn work_of(above: usize, k: usize, cfg: &ExperimentConfig, n_val: usize, n_test: usize) -> u64 {
    let val = k * cfg.alphas.len() * n_val;
    let test = (1 + k * (2 + 2 * cfg.control_draws)) * n_test;
    ((val + test) * above) as u64
}

/// `k` of `0..n_units` without replacement (the random-unit control; the lab's "same number at
/// random" button draws with the same function).
pub fn draw(n_units: usize, k: usize, rng: &mut SplitMix64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n_units).collect();
    for i in 0..k.min(n_units) {
        let j = i + (rng.next_u64() % (n_units - i) as u64) as usize;
        idx.swap(i, j);
    }
    idx.truncate(k.min(n_units));
    idx
}

/// Runs the experiment for one layer. `val_y`/`test_y` are the class labels of the parts'
/// images, in the order `features` returns them.
pub async fn run_layer(
    features: &mut impl Features,
    units: &LayerUnits<'_>,
    classes: &[String],
    readout: &Readout<'_>,
    (val_y, test_y): (&[usize], &[usize]),
    cfg: &ExperimentConfig,
) -> Result<Vec<ConditionResult>, Failure> {
    let k = classes.len();
    // Val: the enhancement sweep, to choose α per emotion.
    let feats = features
        .under(units.name, Part::Val, &val_masks(units, cfg))
        .await?;
    let mut best = vec![0f32; k];
    for (e, best_e) in best.iter_mut().enumerate() {
        let truth: Vec<bool> = val_y.iter().map(|y| *y == e).collect();
        let mut best_f1 = f64::MIN;
        for (ai, a) in cfg.alphas.iter().enumerate() {
            let f1 = f1_binary(
                &readout.predict(&feats[e * cfg.alphas.len() + ai], e),
                &truth,
            );
            if f1 > best_f1 + 1e-12 {
                best_f1 = f1;
                *best_e = *a;
            }
        }
    }
    // Test: baseline, lesion, enhance at best α, and the random controls.
    let feats = features
        .under(units.name, Part::Test, &test_masks(units, &best, cfg))
        .await?;
    let per_e = 2 + 2 * cfg.control_draws;
    let mut rows = Vec::new();
    for e in 0..k {
        let truth: Vec<bool> = test_y.iter().map(|y| *y == e).collect();
        let f1 = |m: usize| f1_binary(&readout.predict(&feats[m], e), &truth);
        let base = 1 + e * per_e;
        let controls = |off: usize| -> Vec<f64> {
            (0..cfg.control_draws)
                .map(|d| f1(base + 2 + 2 * d + off))
                .collect()
        };
        rows.push(ConditionResult {
            layer: units.name.to_string(),
            emotion: classes[e].clone(),
            n_units: units.selective[e].len(),
            f1_before: f1(0),
            f1_lesion: f1(base),
            f1_enhance: f1(base + 1),
            best_alpha: best[e],
            control_lesion: MeanSd::of(&controls(0)),
            control_enhance: MeanSd::of(&controls(1)),
        });
    }
    Ok(rows)
}

/// [`run_layer`] for each of `layers`, with the selective units and the readout of profile `p`
/// (the CLI and the browser both run this); `done` gets each layer's rows as it finishes.
pub async fn run_profile(
    features: &mut impl Features,
    p: &Profile,
    layers: &[String],
    cfg: &ExperimentConfig,
    mut done: impl FnMut(Vec<ConditionResult>),
) -> Result<(), Failure> {
    let readout = Readout {
        mean: &p.readout.feature_mean,
        sd: &p.readout.feature_sd,
        heads: &p.readout.binary,
    };
    let val_y: Vec<usize> = p.split.val.iter().map(|&i| p.labels[i]).collect();
    let test_y: Vec<usize> = p.split.test.iter().map(|&i| p.labels[i]).collect();
    for name in layers {
        let lp = p
            .layer(name)
            .ok_or_else(|| Failure::bad_input(format!("layer `{name}` is not in the profile")))?;
        let units = LayerUnits {
            name,
            selective: p.selective(lp),
            n_units: lp.units.len(),
        };
        let rows = run_layer(
            features,
            &units,
            &p.classes,
            &readout,
            (&val_y, &test_y),
            cfg,
        )
        .await?;
        done(rows);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_grid_and_draws() {
        assert_eq!(alpha_grid(5.0, 0.1).len(), 51);
        assert_eq!(alpha_grid(1.0, 0.5), [0.0, 0.5, 1.0]);
        let mut r = SplitMix64::new(3);
        let d = draw(10, 4, &mut r);
        assert_eq!(d.len(), 4);
        let mut s = d.clone();
        s.sort();
        s.dedup();
        assert_eq!(s.len(), 4, "draws are without replacement");
        let m = MeanSd::of(&[1.0, 2.0, 3.0]);
        assert_eq!((m.mean, m.sd), (2.0, 1.0));
        assert_eq!(layers_above(&["a", "b", "c"], "b"), 2);
        let cfg = ExperimentConfig {
            alphas: vec![0.0, 1.0],
            control_draws: 2,
            seed: 4,
            batch: 1,
        };
        // k = 3: val 3·2·10, test (1 + 3·(2 + 4))·5, times 2 layers above.
        assert_eq!(work_of(2, 3, &cfg, 10, 5), (60 + 95) * 2);
        let units = LayerUnits {
            name: "l",
            selective: vec![vec![0, 1], vec![2], vec![]],
            n_units: 6,
        };
        assert_eq!(val_masks(&units, &cfg).len(), 6);
        let t = test_masks(&units, &[0.0, 1.0, 2.0], &cfg);
        assert_eq!(t.len(), 1 + 3 * 6);
        assert!(t[0].is_empty());
        // The same seed draws the same controls (the pool and the CLI agree on them).
        assert_eq!(t, test_masks(&units, &[0.0, 1.0, 2.0], &cfg));
    }
}
