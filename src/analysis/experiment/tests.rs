//! The experiment on toy feature sources: masks and draws, the evaluator's shortcuts (which
//! must change no result) and the coarse-then-fine α search against the full grid.

use super::*;
use crate::analysis::sweep::{AlphaSearch, Evaluator};

#[test]
fn draws_sd_and_masks() {
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
        search: AlphaSearch::grid(1.0, 1.0),
        control_draws: 2,
        seed: 4,
        batch: 1,
    };
    // k = 3: val 3·1·10, test 3·(2 + 4)·5, times 2 layers above.
    assert_eq!(work_of(2, 3, &cfg, 10, 5), (30 + 90) * 2);
    let units = LayerUnits {
        name: "l",
        selective: vec![vec![0, 1], vec![2], vec![]],
        n_units: 6,
    };
    let alphas = vec![vec![0.0, 1.0]; 3];
    assert_eq!(val_masks(&units, &alphas).len(), 6);
    let t = test_masks(&units, &[0.0, 1.0, 2.0], &cfg);
    assert_eq!(t.len(), 1 + 3 * 6);
    assert!(t[0].is_empty());
    // The same seed draws the same controls (the pool and the CLI agree on them).
    assert_eq!(t, test_masks(&units, &[0.0, 1.0, 2.0], &cfg));
}

/// A toy network whose readout features are one layer's unit responses times the gains,
/// passed through a fixed nonlinearity unless `linear` (so the evaluator's shortcut applies).
struct Toy {
    val: Vec<Vec<f32>>,
    test: Vec<Vec<f32>>,
    linear: bool,
    passes: usize,
}

impl Features for Toy {
    async fn under(
        &mut self,
        layer: &str,
        part: Part,
        masks: &[GainMask],
    ) -> Result<FeatureRows, Failure> {
        self.passes += masks.len();
        let rows = if part == Part::Val {
            &self.val
        } else {
            &self.test
        };
        Ok(masks
            .iter()
            .map(|m| {
                rows.iter()
                    .map(|r| {
                        let g = m.get(layer).map_or(vec![1.0; r.len()], |g| g.to_vec());
                        let v = r.iter().zip(&g).map(|(v, g)| v * g);
                        if self.linear {
                            v.collect()
                        } else {
                            v.map(|x| x.min(1.5)).collect()
                        }
                    })
                    .collect()
            })
            .collect())
    }
}

fn toy(linear: bool) -> (Toy, Vec<usize>, Vec<usize>, Vec<Head>) {
    let mut rng = SplitMix64::new(9);
    let mut u = || (rng.next_u64() % 1000) as f32 / 1000.0;
    let mut rows = |n: usize| -> (Vec<Vec<f32>>, Vec<usize>) {
        let y: Vec<usize> = (0..n).map(|i| i % 3).collect();
        // Unit e responds to class e, weakly, under noise.
        let r = y
            .iter()
            .map(|&c| {
                (0..6)
                    .map(|j| u() + 0.3 * (j % 3 == c) as i32 as f32)
                    .collect()
            })
            .collect();
        (r, y)
    };
    let (val, vy) = rows(60);
    let (test, ty) = rows(60);
    // Head e: logit(e) − logit(not e) = units e and e+3 minus a threshold.
    let heads = (0..3)
        .map(|e| {
            let mut weight = vec![0.0; 12];
            weight[2 * e + 1] = 1.0;
            weight[2 * (e + 3) + 1] = 1.0;
            Head {
                weight,
                bias: vec![0.0, -1.4],
            }
        })
        .collect();
    let t = Toy {
        val,
        test,
        linear,
        passes: 0,
    };
    (t, vy, ty, heads)
}

fn run(
    toy_src: &mut Toy,
    readout_layer: Option<&str>,
    cfg: &ExperimentConfig,
) -> Vec<ConditionResult> {
    let (_, vy, ty, heads) = toy(true);
    let (mean, sd) = (vec![0.0; 6], vec![1.0; 6]);
    let readout = Readout {
        mean: &mean,
        sd: &sd,
        heads: &heads,
    };
    let units = LayerUnits {
        name: "l",
        selective: vec![vec![0, 3], vec![1, 4], vec![2, 5]],
        n_units: 6,
    };
    let classes: Vec<String> = ["p", "n", "u"].map(String::from).to_vec();
    let mut ev = Evaluator::new(toy_src, readout_layer.map(String::from));
    pollster_free(run_layer(
        &mut ev,
        &units,
        &classes,
        &readout,
        (&vy, &ty),
        cfg,
    ))
    .unwrap()
}

/// Polls a future that never waits (the toy source answers at once).
fn pollster_free<T>(f: impl std::future::Future<Output = T>) -> T {
    use std::task::{Context, Poll, Waker};
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the toy source never waits"),
    }
}

#[test]
fn shortcut_and_dedupe_change_no_result() {
    let cfg = ExperimentConfig::default();
    let (mut direct, ..) = toy(true);
    let (mut short, ..) = toy(true);
    let a = run(&mut direct, None, &cfg);
    let b = run(&mut short, Some("l"), &cfg);
    assert_eq!(a, b);
    assert_eq!(
        short.passes, 2,
        "only the two baselines run at the readout's layer"
    );
    assert!(direct.passes > 30);
    // Lesioning the units the heads read kills every positive prediction.
    assert!(
        a.iter().all(|r| r.f1_lesion == 0.0 && r.f1_before > 0.3),
        "{a:?}"
    );
}

#[test]
fn coarse_then_fine_finds_the_grids_best_on_val() {
    let (mut full_src, ..) = toy(false);
    let (mut cf_src, ..) = toy(false);
    let full = ExperimentConfig {
        search: AlphaSearch::grid(5.0, 0.1),
        ..Default::default()
    };
    let a = run(&mut full_src, None, &full);
    let b = run(&mut cf_src, None, &ExperimentConfig::default());
    for (a, b) in a.iter().zip(&b) {
        // The full grid's best on val is at least as good as what the search found.
        let best_val = |r: &ConditionResult| {
            r.val_f1_by_alpha
                .iter()
                .find(|t| t.0 == r.best_alpha)
                .unwrap()
                .1
        };
        assert!(best_val(a) >= best_val(b) - 1e-12);
        assert_eq!(a.val_f1_by_alpha.len(), 51);
        assert!(b.val_f1_by_alpha.len() <= 16);
        // The α search keeps to whole tenths.
        assert!(b
            .val_f1_by_alpha
            .iter()
            .all(|t| (t.0 * 10.0 - (t.0 * 10.0).round()).abs() < 1e-4));
    }
    assert!(cf_src.passes < full_src.passes / 2);
}
