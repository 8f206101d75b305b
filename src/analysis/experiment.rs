//! The paper's intervention experiment, one layer at a time: lesion (gain 0) or enhance
//! (gain 1 + α, best α chosen on val) the layer's units selective for emotion e, and compare the
//! readout's test F1 for e against the same number of random units (seeded draws).
//!
//! This module is plain Rust (no burn): it builds the masks, searches α and scores F1. The
//! readout features under each mask come from a [`Features`] source, through the
//! [`Evaluator`] that runs only the passes it must: the engine on this machine
//! (`features::LocalFeatures`, the CLI) or the page's worker pool (data-parallel over images).
//! Both give the same numbers, bit for bit, so the page's results equal the CLI's.

use super::head::{standardise, Head};
use super::metrics::f1_binary;
use super::profile::Profile;
pub use super::source::{draw, FeatureRows, Features, MeanSd, Part};
use super::sweep::{best_alpha, AlphaSearch, Evaluator};
use super::valence_lesion::{run_valence, ValenceResult};
use crate::error::Failure;
use crate::model::GainMask;
use crate::weights::init::SplitMix64;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentConfig {
    /// How α (gain = 1 + α) is searched on val.
    pub search: AlphaSearch,
    /// Random-unit control draws (≥ 5 in the paper's spirit).
    pub control_draws: usize,
    pub seed: u64,
    pub batch: usize,
}

impl Default for ExperimentConfig {
    fn default() -> Self {
        Self {
            search: AlphaSearch::default(),
            control_draws: 5,
            seed: 1,
            batch: 16,
        }
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
    /// Every α tried on val with its val F1, ascending α (the search's trace).
    #[serde(default)]
    pub val_f1_by_alpha: Vec<(f32, f64)>,
}

/// What the experiment needs from a profile for one layer.
pub struct LayerUnits<'a> {
    pub name: &'a str,
    /// Selected units (top SI fraction) preferring each emotion.
    pub selective: Vec<Vec<usize>>,
    pub n_units: usize,
}

impl<'a> LayerUnits<'a> {
    /// Layer `name` of profile `p`: its selected units per emotion; an error when `p` has no
    /// such layer.
    pub fn of(p: &Profile, name: &'a str) -> Result<Self, Failure> {
        let lp = p
            .layer(name)
            .ok_or_else(|| Failure::bad_input(format!("layer `{name}` is not in the profile")))?;
        Ok(Self {
            name,
            selective: p.selective(lp),
            n_units: lp.units.len(),
        })
    }
}

/// The frozen readout: standardisation plus one binary head per emotion.
pub struct Readout<'a> {
    pub mean: &'a [f32],
    pub sd: &'a [f32],
    pub heads: &'a [Head],
}

impl<'a> Readout<'a> {
    /// The readout of profile `p`.
    pub fn of(p: &'a Profile) -> Self {
        Self {
            mean: &p.readout.feature_mean,
            sd: &p.readout.feature_sd,
            heads: &p.readout.binary,
        }
    }

    /// Head `e`'s probability that a raw feature row shows emotion `e`.
    pub fn prob(&self, row: &[f32], e: usize) -> f32 {
        let z = standardise(row, self.mean, self.sd);
        super::head::softmax(&self.heads[e].logits(&z))[1]
    }

    /// Binary predictions of head `e` for feature rows.
    pub fn predict(&self, rows: &[Vec<f32>], e: usize) -> Vec<bool> {
        rows.iter()
            .map(|r| {
                let z = standardise(r, self.mean, self.sd);
                let l = self.heads[e].logits(&z);
                l[1] > l[0]
            })
            .collect()
    }
}

/// Conv layers computed per image when intervening in `layer` (that layer and those above),
/// given the network's conv layer names in order.
pub fn layers_above(names: &[&str], layer: &str) -> usize {
    names.len() - names.iter().position(|n| *n == layer).unwrap_or(0)
}

/// Masks enhancing each emotion's selective units at each of its α values.
pub fn val_masks(units: &LayerUnits<'_>, alphas: &[Vec<f32>]) -> Vec<GainMask> {
    let mut masks = Vec::new();
    for (sel, al) in units.selective.iter().zip(alphas) {
        for a in al {
            masks.push(GainMask::enhance(units.name, units.n_units, sel, *a));
        }
    }
    masks
}

/// Masks run on the test part: none, then per emotion lesion and enhance at its α, and the
/// random-unit controls of both. Masks that change nothing (α = 0) cost no pass.
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

/// Estimated work (images × conv layers computed) of one layer, for progress bars: the val
/// search plus the test conditions, with every enhancement assumed to help. `above` is 0 at the
/// readout's own layer (no pass there).
pub fn work_of(above: usize, k: usize, cfg: &ExperimentConfig, n_val: usize, n_test: usize) -> u64 {
    let val = k * cfg.search.passes_estimate() * n_val;
    let test = k * (2 + 2 * cfg.control_draws) * n_test;
    ((val + test) * above) as u64
}

/// [`work_of`] for each of `layers` of profile `p`, counted as the passes tick it: the layers
/// above the intervened one (its own output is cached), nothing but the baselines at the
/// readout's own layer.
pub fn estimates(p: &Profile, layers: &[String], cfg: &ExperimentConfig) -> Vec<u64> {
    let names: Vec<&str> = p.layers.iter().map(|l| l.name.as_str()).collect();
    let own = readout_layer(p);
    let (k, nv, nt) = (p.classes.len(), p.split.val.len(), p.split.test.len());
    layers
        .iter()
        .map(|l| match own.as_deref() == Some(l.as_str()) {
            true => (nv + nt) as u64,
            false => work_of((layers_above(&names, l) - 1).max(1), k, cfg, nv, nt),
        })
        .collect()
}

/// F1 of head `e` on each feature-row set.
fn f1_each(readout: &Readout<'_>, feats: &[Vec<Vec<f32>>], e: usize, y: &[usize]) -> Vec<f64> {
    let truth: Vec<bool> = y.iter().map(|y| *y == e).collect();
    feats
        .iter()
        .map(|f| f1_binary(&readout.predict(f, e), &truth))
        .collect()
}

/// The α search on val (coarse grid, then fine steps around each emotion's best): the chosen α
/// per emotion, and every α tried with its val F1.
async fn search_alpha<F: Features>(
    ev: &mut Evaluator<'_, F>,
    units: &LayerUnits<'_>,
    readout: &Readout<'_>,
    val_y: &[usize],
    search: &AlphaSearch,
) -> Result<(Vec<f32>, Vec<Vec<(f32, f64)>>), Failure> {
    let k = units.selective.len();
    let mut tried: Vec<Vec<(f32, f64)>> = vec![Vec::new(); k];
    let mut stage: Vec<Vec<f32>> = vec![search.coarse_grid(); k];
    for round in 0..2 {
        let feats = ev
            .under(units.name, Part::Val, &val_masks(units, &stage))
            .await?;
        let mut at = 0;
        for (e, alphas) in stage.iter().enumerate() {
            let f1 = f1_each(readout, &feats[at..at + alphas.len()], e, val_y);
            tried[e].extend(alphas.iter().copied().zip(f1));
            at += alphas.len();
        }
        if round == 0 {
            stage = tried
                .iter()
                .map(|t| search.fine_around(best_alpha(t).0))
                .collect();
        }
    }
    let best = tried.iter().map(|t| best_alpha(t).0).collect();
    for t in &mut tried {
        t.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Ok((best, tried))
}

/// Runs the experiment for one layer. `val_y`/`test_y` are the class labels of the parts'
/// images, in the order the feature source returns them.
pub async fn run_layer<F: Features>(
    ev: &mut Evaluator<'_, F>,
    units: &LayerUnits<'_>,
    classes: &[String],
    readout: &Readout<'_>,
    (val_y, test_y): (&[usize], &[usize]),
    cfg: &ExperimentConfig,
) -> Result<Vec<ConditionResult>, Failure> {
    let (best, tried) = search_alpha(ev, units, readout, val_y, &cfg.search).await?;
    // Test: baseline, lesion, enhance at best α, and the random controls.
    let feats = ev
        .under(units.name, Part::Test, &test_masks(units, &best, cfg))
        .await?;
    Ok(score_test(
        &feats, units, classes, readout, test_y, &best, &tried, cfg,
    ))
}

/// The rows of one layer from the test features under [`test_masks`] (in that order): F1 before,
/// after the lesion, the enhancement at `best` α, and the controls' mean ± sd. `tried` is each
/// emotion's α search trace (empty when α was given).
#[allow(clippy::too_many_arguments)]
pub fn score_test(
    feats: &FeatureRows,
    units: &LayerUnits<'_>,
    classes: &[String],
    readout: &Readout<'_>,
    test_y: &[usize],
    best: &[f32],
    tried: &[Vec<(f32, f64)>],
    cfg: &ExperimentConfig,
) -> Vec<ConditionResult> {
    let per_e = 2 + 2 * cfg.control_draws;
    let mut rows = Vec::new();
    for (e, class) in classes.iter().enumerate() {
        let base = 1 + e * per_e;
        let mut idx = vec![0, base, base + 1];
        idx.extend((0..2 * cfg.control_draws).map(|d| base + 2 + d));
        let picked: Vec<Vec<Vec<f32>>> = idx.iter().map(|&m| feats[m].clone()).collect();
        let f1 = f1_each(readout, &picked, e, test_y);
        let controls = |off: usize| -> Vec<f64> {
            (0..cfg.control_draws)
                .map(|d| f1[3 + 2 * d + off])
                .collect()
        };
        rows.push(ConditionResult {
            layer: units.name.to_string(),
            emotion: class.clone(),
            n_units: units.selective[e].len(),
            f1_before: f1[0],
            f1_lesion: f1[1],
            f1_enhance: f1[2],
            best_alpha: best[e],
            control_lesion: MeanSd::of(&controls(0)),
            control_enhance: MeanSd::of(&controls(1)),
            val_f1_by_alpha: tried.get(e).cloned().unwrap_or_default(),
        });
    }
    rows
}

/// The layer whose spatial means are the readout's features (`conv5_3 spatial means`), if any.
pub fn readout_layer(p: &Profile) -> Option<String> {
    p.readout
        .features
        .strip_suffix(" spatial means")
        .map(str::to_string)
}

/// What one layer of the experiment found.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerOutcome {
    /// Lesion and enhancement per emotion.
    pub rows: Vec<ConditionResult>,
    /// The valence lesion, where the profile has ratings.
    pub valence: Option<ValenceResult>,
}

/// [`run_layer`] (and the valence lesion) for each of `layers`, with the selective units and the
/// readout of profile `p` (the CLI and the browser both run this); `done` gets each layer's
/// outcome as it finishes, and may stop the run by returning an error (a results file that
/// cannot be written).
pub async fn run_profile<F: Features>(
    features: &mut F,
    p: &Profile,
    layers: &[String],
    cfg: &ExperimentConfig,
    mut done: impl FnMut(LayerOutcome) -> Result<(), Failure>,
) -> Result<RunStats, Failure> {
    cfg.search.validate()?;
    let readout = Readout::of(p);
    let val_y: Vec<usize> = p.split.val.iter().map(|&i| p.labels[i]).collect();
    let test_y: Vec<usize> = p.split.test.iter().map(|&i| p.labels[i]).collect();
    let mut ev = Evaluator::new(features, readout_layer(p));
    for name in layers {
        let units = LayerUnits::of(p, name)?;
        let rows = run_layer(
            &mut ev,
            &units,
            &p.classes,
            &readout,
            (&val_y, &test_y),
            cfg,
        )
        .await?;
        let valence = run_valence(&mut ev, p, name, cfg.control_draws, cfg.seed).await?;
        done(LayerOutcome { rows, valence })?;
    }
    Ok(RunStats {
        passes: ev.passes,
        saved: ev.saved,
    })
}

/// Network passes (masks × held-out parts) a run asked for, and conditions answered without one.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RunStats {
    pub passes: usize,
    pub saved: usize,
}

#[cfg(test)]
mod tests;
