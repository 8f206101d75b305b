//! Error bars: the profile's headline figures over several seeded splits (and, for untrained
//! networks, several initialisations), and a rank-based SI beside the paper's d′.
//!
//! The rank SI is the paper's SI computed on each unit's responses replaced by their ranks over
//! the training images (ties share their mean rank). A few extreme images move a rank by at most
//! one place, so a unit whose d′ rests on them loses its selectivity here. Plain Rust over slices.

use super::experiment::MeanSd;
use super::null::permutation_null;
use super::profile::Profile;
use super::responses::Responses;
use super::selectivity::layer_selectivity;
use super::split::rows;
use crate::weights::init::fnv1a;
use serde::{Deserialize, Serialize};

/// Each column of a row-major `[rows][cols]` matrix replaced by its ranks (1-based, ties get
/// their mean rank).
pub fn rank_columns(m: &[f32], cols: usize) -> Vec<f32> {
    let rows = m.len() / cols.max(1);
    let mut out = vec![0f32; m.len()];
    let mut idx: Vec<usize> = Vec::with_capacity(rows);
    for c in 0..cols {
        idx.clear();
        idx.extend(0..rows);
        idx.sort_by(|&a, &b| m[a * cols + c].total_cmp(&m[b * cols + c]));
        let mut i = 0;
        while i < rows {
            let v = m[idx[i] * cols + c];
            let mut j = i;
            while j + 1 < rows && m[idx[j + 1] * cols + c] == v {
                j += 1;
            }
            let rank = (i + j) as f32 / 2.0 + 1.0;
            for &r in &idx[i..=j] {
                out[r * cols + c] = rank;
            }
            i = j + 1;
        }
    }
    out
}

/// Share of units beating the layer's permutation null, and mean SI, on ranks.
pub fn rank_selectivity(
    train: &[f32],
    n_units: usize,
    labels: &[usize],
    k: usize,
    n_perm: usize,
    seed: u64,
) -> (f64, f64) {
    let ranked = rank_columns(train, n_units);
    let stats = layer_selectivity(&ranked, n_units, labels, k);
    let null = permutation_null(&ranked, n_units, labels, k, n_perm, seed);
    let mean = stats.iter().map(|s| s.si as f64).sum::<f64>() / n_units.max(1) as f64;
    (null.share_significant, mean)
}

/// One split's (or one initialisation's) headline figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitFigures {
    pub split_seed: u64,
    /// `None` for the shipped weights; else the initialisation seed used.
    pub init_seed: Option<String>,
    /// Per layer: share beating the null, mean SI (d′), and both again on ranks.
    pub layers: Vec<LayerFigures>,
    pub f1_binary: Vec<f64>,
    pub f1_macro: f64,
    /// Test r of the valence and arousal ridge readouts, where the set has ratings.
    pub affect_r: Vec<(String, f64)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerFigures {
    pub name: String,
    pub share: f64,
    pub mean_si: f64,
    pub share_rank: f64,
    pub mean_si_rank: f64,
}

impl SplitFigures {
    /// The figures of profile `p`; `rank` holds each layer's `(share, mean SI)` on ranks.
    pub fn of(p: &Profile, rank: &[(f64, f64)], init_seed: Option<String>) -> Self {
        let layers = p
            .layers
            .iter()
            .zip(rank)
            .map(|(l, r)| LayerFigures {
                name: l.name.clone(),
                share: l.share_significant,
                mean_si: l.units.iter().map(|u| u.si as f64).sum::<f64>()
                    / l.units.len().max(1) as f64,
                share_rank: r.0,
                mean_si_rank: r.1,
            })
            .collect();
        Self {
            split_seed: p.seed,
            init_seed,
            layers,
            f1_binary: p.readout.f1_binary.clone(),
            f1_macro: p.readout.f1_joint_macro,
            affect_r: p.affect.iter().map(|a| (a.target.clone(), a.r)).collect(),
        }
    }
}

/// The figures of profile `p` made from `resp` (one row per image of the profile), with the
/// rank SI computed on the same training split and as many label permutations.
pub fn figures(p: &Profile, resp: &Responses, init_seed: Option<String>) -> SplitFigures {
    let labels: Vec<usize> = p.split.train.iter().map(|&i| p.labels[i]).collect();
    let rank: Vec<(f64, f64)> = resp
        .layers
        .iter()
        .enumerate()
        .map(|(l, name)| {
            let n = resp.units[l];
            let train = rows(&resp.data[l], n, &p.split.train);
            let seed = p.seed ^ fnv1a(name) ^ fnv1a("ranks");
            rank_selectivity(&train, n, &labels, p.classes.len(), p.n_permutations, seed)
        })
        .collect();
    SplitFigures::of(p, &rank, init_seed)
}

/// Mean ± sd over the runs of every headline figure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub model: String,
    pub classes: Vec<String>,
    /// What varied between runs, in words.
    pub varied: String,
    pub layers: Vec<LayerSpread>,
    pub f1_binary: Vec<MeanSd>,
    pub f1_macro: MeanSd,
    pub affect_r: Vec<(String, MeanSd)>,
    pub runs: Vec<SplitFigures>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerSpread {
    pub name: String,
    pub share: MeanSd,
    pub mean_si: MeanSd,
    pub share_rank: MeanSd,
    pub mean_si_rank: MeanSd,
}

impl Spread {
    pub fn of(model: &str, classes: &[String], varied: &str, runs: Vec<SplitFigures>) -> Self {
        let over =
            |f: &dyn Fn(&SplitFigures) -> f64| MeanSd::of(&runs.iter().map(f).collect::<Vec<_>>());
        let first = runs.first();
        let layers = first.map_or(Vec::new(), |r| {
            (0..r.layers.len())
                .map(|l| LayerSpread {
                    name: r.layers[l].name.clone(),
                    share: over(&|s| s.layers[l].share),
                    mean_si: over(&|s| s.layers[l].mean_si),
                    share_rank: over(&|s| s.layers[l].share_rank),
                    mean_si_rank: over(&|s| s.layers[l].mean_si_rank),
                })
                .collect()
        });
        let f1_binary = (0..classes.len())
            .map(|e| over(&|s| s.f1_binary.get(e).copied().unwrap_or(f64::NAN)))
            .collect();
        let affect_r = first.map_or(Vec::new(), |r| {
            (0..r.affect_r.len())
                .map(|t| (r.affect_r[t].0.clone(), over(&|s| s.affect_r[t].1)))
                .collect()
        });
        Self {
            model: model.to_string(),
            classes: classes.to_vec(),
            varied: varied.to_string(),
            layers,
            f1_binary,
            f1_macro: over(&|s| s.f1_macro),
            affect_r,
            runs,
        }
    }

    /// A Markdown table of the spreads.
    pub fn markdown(&self) -> String {
        let pm = |m: &MeanSd, scale: f64, d: usize| {
            format!("{:.d$} ± {:.d$}", m.mean * scale, m.sd * scale)
        };
        let mut s = format!(
            "# Spread over {} runs: `{}`\n\n{}. Mean ± sd over the runs.\n\n\
             | layer | share beating the null (d′) | mean SI (d′) | share beating the null (ranks) | mean SI (ranks) |\n\
             |---|---|---|---|---|\n",
            self.runs.len(),
            self.model,
            self.varied
        );
        for l in &self.layers {
            s += &format!(
                "| {} | {} % | {} | {} % | {} |\n",
                l.name,
                pm(&l.share, 100.0, 1),
                pm(&l.mean_si, 1.0, 3),
                pm(&l.share_rank, 100.0, 1),
                pm(&l.mean_si_rank, 1.0, 3)
            );
        }
        s += "\n| readout | test |\n|---|---|\n";
        for (c, f) in self.classes.iter().zip(&self.f1_binary) {
            s += &format!("| F1 {c} | {} |\n", pm(f, 1.0, 3));
        }
        s += &format!("| macro F1 (joint) | {} |\n", pm(&self.f1_macro, 1.0, 3));
        for (t, r) in &self.affect_r {
            s += &format!("| {t} r (ridge) | {} |\n", pm(r, 1.0, 3));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_by_hand() {
        // Two columns: [3, 1, 2, 2] and [10, 20, 30, 40].
        let m = [3.0, 10.0, 1.0, 20.0, 2.0, 30.0, 2.0, 40.0];
        assert_eq!(
            rank_columns(&m, 2),
            [4.0, 1.0, 1.0, 2.0, 2.5, 3.0, 2.5, 4.0]
        );
    }

    #[test]
    fn one_extreme_image_makes_d_prime_selective_but_not_ranks() {
        // 300 images, 3 classes with identical responses (0, 0.01, …, 0.99 each), except one
        // huge response in class 0: d′ ≈ sqrt(2/100) from that image alone, ranks ≈ 0.03.
        let labels: Vec<usize> = (0..300).map(|i| i % 3).collect();
        let mut resp: Vec<f32> = (0..300).map(|i| (i / 3) as f32 / 100.0).collect();
        resp[0] = 1000.0;
        let d = layer_selectivity(&resp, 1, &labels, 3)[0].si;
        let r = layer_selectivity(&rank_columns(&resp, 1), 1, &labels, 3)[0].si;
        assert!((d - 0.1414).abs() < 0.002, "d′ SI {d}");
        assert!(r < 0.05, "rank SI {r} against d′ {d}");
    }

    #[test]
    fn spread_over_runs() {
        let run = |share: f64, f1: f64| SplitFigures {
            split_seed: 1,
            init_seed: None,
            layers: vec![LayerFigures {
                name: "c".into(),
                share,
                mean_si: 0.1,
                share_rank: share / 2.0,
                mean_si_rank: 0.05,
            }],
            f1_binary: vec![f1, f1],
            f1_macro: f1,
            affect_r: vec![("valence".into(), 0.5)],
        };
        let classes = vec!["a".to_string(), "b".to_string()];
        let s = Spread::of("m", &classes, "splits", vec![run(0.2, 0.4), run(0.4, 0.6)]);
        assert!((s.layers[0].share.mean - 0.3).abs() < 1e-12);
        assert!((s.layers[0].share.sd - 0.02f64.sqrt()).abs() < 1e-12);
        assert!((s.f1_macro.mean - 0.5).abs() < 1e-12);
        assert_eq!(s.affect_r[0].1.sd, 0.0);
        let md = s.markdown();
        assert!(
            md.contains("| c | 30.0 ± 14.1 % | 0.100 ± 0.000 | 15.0 ± 7.1 % |"),
            "{md}"
        );
    }
}
