//! The paper's intervention experiment, one layer at a time: lesion (gain 0) or enhance
//! (gain 1 + α, best α chosen on val) the layer's units selective for emotion e, and compare the
//! readout's test F1 for e against the same number of random units (seeded draws).
//!
//! Efficiency: for each batch the input to the intervened layer is computed once and every
//! condition reruns only the layers above it.

use super::metrics::f1_binary;
use super::profile::Profile;
use super::readout::{standardise, Head};
use super::responses::readout_features;
use crate::engine::Engine;
use crate::model::{GainMask, Keep, Network};
use crate::preprocess::Prepared;
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

/// Told of the work done (images × conv layers computed) after every batch × condition; an
/// error stops the run (the browser uses this to repaint, report progress and cancel).
#[allow(async_fn_in_trait)]
pub trait Progress {
    async fn tick(&mut self, work: u64) -> Result<(), String>;
}

/// Counts the work only (for a throughput figure).
#[derive(Debug, Default)]
pub struct Count(pub u64);

impl Progress for Count {
    async fn tick(&mut self, work: u64) -> Result<(), String> {
        self.0 += work;
        Ok(())
    }
}

/// Conv layers computed per image when intervening in `layer` (that layer and those above).
pub fn layers_above(net: &Network, layer: &str) -> usize {
    net.layers().len()
        - net
            .layers()
            .iter()
            .position(|(n, _)| *n == layer)
            .unwrap_or(0)
}

/// Total work [`run_layer`] reports for one layer: val sweep plus test conditions.
pub fn work_of(
    net: &Network,
    layer: &str,
    k: usize,
    cfg: &ExperimentConfig,
    n_val: usize,
    n_test: usize,
) -> u64 {
    let val = k * cfg.alphas.len() * n_val;
    let test = (1 + k * (2 + 2 * cfg.control_draws)) * n_test;
    ((val + test) * layers_above(net, layer)) as u64
}

/// Runs `masks` on `images`, reusing each batch's input to `layer`; returns feature rows per mask.
async fn features_under(
    engine: &Engine,
    net: &Network,
    layer: &str,
    images: &[&Prepared],
    masks: &[GainMask],
    batch: usize,
    progress: &mut impl Progress,
) -> Result<Vec<Vec<Vec<f32>>>, String> {
    let step = net
        .step_of(layer)
        .ok_or_else(|| format!("unknown layer `{layer}`"))?;
    let above = layers_above(net, layer);
    let mut out = vec![Vec::new(); masks.len()];
    for chunk in images.chunks(batch.max(1)) {
        let input = net.input_to(step, engine.batch(chunk));
        for (m, mask) in masks.iter().enumerate() {
            let acts = net.forward_from(step, input.clone(), mask, Keep::Means);
            out[m].extend(readout_features(&acts).await?.0);
            progress.tick((chunk.len() * above) as u64).await?;
        }
    }
    Ok(out)
}

fn draw(n_units: usize, k: usize, rng: &mut SplitMix64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n_units).collect();
    for i in 0..k.min(n_units) {
        let j = i + (rng.next_u64() % (n_units - i) as u64) as usize;
        idx.swap(i, j);
    }
    idx.truncate(k.min(n_units));
    idx
}

/// Runs the experiment for one layer. `val`/`test` pair images with their class labels.
/// `progress` hears of the images × conv layers computed (see [`work_of`]).
#[allow(clippy::too_many_arguments)]
pub async fn run_layer(
    engine: &Engine,
    net: &Network,
    units: &LayerUnits<'_>,
    classes: &[String],
    readout: &Readout<'_>,
    val: (&[&Prepared], &[usize]),
    test: (&[&Prepared], &[usize]),
    cfg: &ExperimentConfig,
    progress: &mut impl Progress,
) -> Result<Vec<ConditionResult>, String> {
    let (l, n) = (units.name, units.n_units);
    let k = classes.len();
    // Val: the enhancement sweep, to choose α per emotion.
    let mut masks = Vec::new();
    for e in 0..k {
        for a in &cfg.alphas {
            masks.push(GainMask::enhance(l, n, &units.selective[e], *a));
        }
    }
    let feats = features_under(engine, net, l, val.0, &masks, cfg.batch, progress).await?;
    let mut best = vec![0f32; k];
    for e in 0..k {
        let truth: Vec<bool> = val.1.iter().map(|y| *y == e).collect();
        let mut best_f1 = f64::MIN;
        for (ai, a) in cfg.alphas.iter().enumerate() {
            let f1 = f1_binary(
                &readout.predict(&feats[e * cfg.alphas.len() + ai], e),
                &truth,
            );
            if f1 > best_f1 + 1e-12 {
                best_f1 = f1;
                best[e] = *a;
            }
        }
    }
    // Test: baseline, lesion, enhance at best α, and the random controls.
    let mut rng = SplitMix64::new(cfg.seed ^ crate::weights::init::fnv1a(l));
    let mut masks = vec![GainMask::none()];
    for (sel, alpha) in units.selective.iter().zip(&best) {
        masks.push(GainMask::lesion(l, n, sel));
        masks.push(GainMask::enhance(l, n, sel, *alpha));
        for _ in 0..cfg.control_draws {
            let r = draw(n, sel.len(), &mut rng);
            masks.push(GainMask::lesion(l, n, &r));
            masks.push(GainMask::enhance(l, n, &r, *alpha));
        }
    }
    let feats = features_under(engine, net, l, test.0, &masks, cfg.batch, progress).await?;
    let per_e = 2 + 2 * cfg.control_draws;
    let mut rows = Vec::new();
    for e in 0..k {
        let truth: Vec<bool> = test.1.iter().map(|y| *y == e).collect();
        let f1 = |m: usize| f1_binary(&readout.predict(&feats[m], e), &truth);
        let base = 1 + e * per_e;
        let controls = |off: usize| -> Vec<f64> {
            (0..cfg.control_draws)
                .map(|d| f1(base + 2 + 2 * d + off))
                .collect()
        };
        rows.push(ConditionResult {
            layer: l.to_string(),
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
#[allow(clippy::too_many_arguments)]
pub async fn run_profile(
    engine: &Engine,
    net: &Network,
    p: &Profile,
    layers: &[String],
    val: (&[&Prepared], &[usize]),
    test: (&[&Prepared], &[usize]),
    cfg: &ExperimentConfig,
    progress: &mut impl Progress,
    mut done: impl FnMut(Vec<ConditionResult>),
) -> Result<(), String> {
    let readout = Readout {
        mean: &p.readout.feature_mean,
        sd: &p.readout.feature_sd,
        heads: &p.readout.binary,
    };
    for name in layers {
        let lp = p
            .layer(name)
            .ok_or_else(|| format!("layer `{name}` is not in the profile"))?;
        let units = LayerUnits {
            name,
            selective: p.selective(lp),
            n_units: lp.units.len(),
        };
        let rows = run_layer(
            engine, net, &units, &p.classes, &readout, val, test, cfg, progress,
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
    }
}
