//! From responses to a profile: split, per-unit statistics on the training split, the permutation
//! null, and the trained readout scored on the test split.

use super::dataset::{Dataset, Thresholds};
use super::metrics::{f1_binary, macro_f1, per_class_f1};
use super::null::permutation_null;
use super::profile::{LayerProfile, Profile, ReadoutProfile, UnitProfile, PROFILE_VERSION};
use super::readout::{standardise, standardiser, train_head, Head, TrainConfig};
use super::responses::Responses;
use super::selectivity::{layer_selectivity, select_top};
use super::split::{rows, stratified_split};
use crate::weights::init::fnv1a;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileConfig {
    pub seed: u64,
    /// The paper keeps the top 80 % of units by SI.
    pub top_fraction: f64,
    pub n_permutations: usize,
    pub train: TrainConfig,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            top_fraction: 0.8,
            n_permutations: 200,
            train: TrainConfig::default(),
        }
    }
}

fn mean_sd(m: &[f32], cols: usize) -> (Vec<f32>, Vec<f32>) {
    let n = (m.len() / cols.max(1)) as f64;
    let mut mean = vec![0f64; cols];
    for r in m.chunks(cols) {
        for (a, v) in mean.iter_mut().zip(r) {
            *a += *v as f64;
        }
    }
    mean.iter_mut().for_each(|a| *a /= n.max(1.0));
    let mut var = vec![0f64; cols];
    for r in m.chunks(cols) {
        for ((s, v), mu) in var.iter_mut().zip(r).zip(&mean) {
            *s += (*v as f64 - mu).powi(2);
        }
    }
    let sd = var
        .iter()
        .map(|s| (s / (n - 1.0).max(1.0)).sqrt() as f32)
        .collect();
    (mean.iter().map(|m| *m as f32).collect(), sd)
}

fn predict(head: &Head, x: &[f32], dim: usize) -> Vec<usize> {
    x.chunks(dim)
        .map(|r| {
            let l = head.logits(r);
            (0..l.len()).fold(0, |b, i| if l[i] > l[b] { i } else { b })
        })
        .collect()
}

/// Builds the profile of `resp` (one row per item of `ds`, in order).
pub fn build_profile(
    model: &str,
    ds: &Dataset,
    thresholds: Option<Thresholds>,
    resp: &Responses,
    cfg: &ProfileConfig,
) -> Profile {
    let labels = ds.labels();
    let k = ds.classes.len();
    let split = stratified_split(&labels, k, (0.5, 0.25), cfg.seed);
    let train_labels: Vec<usize> = split.train.iter().map(|&i| labels[i]).collect();
    let mut layers = Vec::new();
    for (l, name) in resp.layers.iter().enumerate() {
        let n_units = resp.units[l];
        let train = rows(&resp.data[l], n_units, &split.train);
        let stats = layer_selectivity(&train, n_units, &train_labels, k);
        let si: Vec<f32> = stats.iter().map(|s| s.si).collect();
        let selected = select_top(&si, cfg.top_fraction);
        let null = permutation_null(
            &train,
            n_units,
            &train_labels,
            k,
            cfg.n_permutations,
            cfg.seed ^ fnv1a(name),
        );
        let (response_mean, response_sd) = mean_sd(&train, n_units);
        let affect_r = unit_affect_r(ds, &split.train, &train, n_units);
        let units = stats
            .into_iter()
            .zip(selected)
            .zip(&null.p_values)
            .enumerate()
            .map(|(u, ((s, selected), p))| UnitProfile {
                si: s.si,
                preferred: s.preferred,
                tuning: s.tuning,
                selected,
                p_null: *p,
                affect_r: affect_r.as_ref().map(|r| r[u]),
                genuine: None,
            })
            .collect();
        layers.push(LayerProfile {
            name: name.clone(),
            units,
            null_threshold95: null.threshold95,
            share_significant: null.share_significant,
            response_mean,
            response_sd,
        });
    }
    // Readout on standardised features.
    let d = resp.feature_dim;
    let x_train = rows(&resp.features, d, &split.train);
    let (fmean, fsd) = standardiser(&x_train, d);
    let z_train = standardise(&x_train, &fmean, &fsd);
    let z_test = standardise(&rows(&resp.features, d, &split.test), &fmean, &fsd);
    let test_labels: Vec<usize> = split.test.iter().map(|&i| labels[i]).collect();
    let mut binary = Vec::new();
    let mut f1s = Vec::new();
    for (e, class) in ds.classes.iter().enumerate() {
        let y: Vec<usize> = train_labels.iter().map(|l| (*l == e) as usize).collect();
        let h = train_head(
            &z_train,
            d,
            &y,
            2,
            cfg.train,
            &format!("{}/binary/{class}", cfg.seed),
        );
        let pred: Vec<bool> = predict(&h, &z_test, d).iter().map(|p| *p == 1).collect();
        let truth: Vec<bool> = test_labels.iter().map(|l| *l == e).collect();
        f1s.push(f1_binary(&pred, &truth));
        binary.push(h);
    }
    let joint = train_head(
        &z_train,
        d,
        &train_labels,
        k,
        cfg.train,
        &format!("{}/joint", cfg.seed),
    );
    let pj = predict(&joint, &z_test, d);
    let z_val = standardise(&rows(&resp.features, d, &split.val), &fmean, &fsd);
    let affect = affect_fits(ds, &split, (&z_train, &z_val, &z_test), d, cfg.seed);
    let readout = ReadoutProfile {
        features: resp.feature_source.clone(),
        feature_mean: fmean,
        feature_sd: fsd,
        binary,
        joint,
        f1_binary: f1s,
        f1_joint: per_class_f1(&pj, &test_labels, k),
        f1_joint_macro: macro_f1(&pj, &test_labels, k),
    };
    Profile {
        version: PROFILE_VERSION,
        model: model.to_string(),
        dataset: ds.spec.clone(),
        classes: ds.classes.clone(),
        thresholds,
        seed: cfg.seed,
        images: ds.names(),
        labels,
        statistics_from: format!(
            "training split only ({} of {} images)",
            split.train.len(),
            ds.items.len()
        ),
        split,
        top_fraction: cfg.top_fraction,
        n_permutations: cfg.n_permutations,
        layers,
        readout,
        affect,
        ratings: ds
            .items
            .iter()
            .map(|i| i.rating)
            .collect::<Option<_>>()
            .unwrap_or_default(),
        genuine_from: None,
    }
}

/// Per unit, Pearson r of its training-split responses (`train`, `[image][unit]`) with the mean
/// valence and arousal ratings, when every item has ratings.
fn unit_affect_r(
    ds: &Dataset,
    train_idx: &[usize],
    train: &[f32],
    n_units: usize,
) -> Option<Vec<[f32; 2]>> {
    let ratings: Vec<[f32; 2]> = train_idx
        .iter()
        .map(|&i| ds.items[i].rating)
        .collect::<Option<_>>()?;
    let target = |t: usize| -> Vec<f64> { ratings.iter().map(|r| r[t] as f64).collect() };
    let (valence, arousal) = (target(0), target(1));
    Some(
        (0..n_units)
            .map(|u| {
                let x: Vec<f64> = train.chunks(n_units).map(|r| r[u] as f64).collect();
                [
                    super::ridge::pearson(&x, &valence) as f32,
                    super::ridge::pearson(&x, &arousal) as f32,
                ]
            })
            .collect(),
    )
}

/// Valence and arousal ridge readouts on the split, when every item has ratings.
fn affect_fits(
    ds: &Dataset,
    split: &super::split::Split,
    (z_train, z_val, z_test): (&[f32], &[f32], &[f32]),
    d: usize,
    seed: u64,
) -> Vec<super::ridge::AffectFit> {
    let Some(ratings) = ds
        .items
        .iter()
        .map(|i| i.rating)
        .collect::<Option<Vec<_>>>()
    else {
        return Vec::new();
    };
    ["valence", "arousal"]
        .iter()
        .enumerate()
        .filter_map(|(t, name)| {
            let y =
                |idx: &[usize]| -> Vec<f64> { idx.iter().map(|&i| ratings[i][t] as f64).collect() };
            super::ridge::affect_fit(
                name,
                (z_train, &y(&split.train)),
                (z_val, &y(&split.val)),
                (z_test, &y(&split.test)),
                d,
                seed ^ fnv1a(name),
            )
            .ok()
        })
        .collect()
}
