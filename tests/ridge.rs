//! The valence/arousal ridge readout (`analysis::ridge`) against an independent closed form in
//! numpy (`tests/ridge_reference.py`), in its primal and dual forms.
#![cfg(feature = "cli")]

mod common;
use common::*;

/// The ridge readout of valence/arousal against numpy's closed form on the same rows: weights
/// by `np.linalg.solve`, correlation by `np.corrcoef`.
#[test]
fn ridge_readout_matches_numpy() {
    for (d, n) in [(12, 80), (50, 20)] {
        ridge_case(d, n);
    }
}

/// One ridge case against numpy: `n` training rows of `d` features (more features than rows
/// takes the dual form).
fn ridge_case(d: usize, n: usize) {
    use emotion_neurons::analysis::ridge::{pearson, rmse, Ridge};
    use emotion_neurons::weights::init::SplitMix64;
    let mut rng = SplitMix64::new(21);
    let nt = 40;
    let x: Vec<f32> = (0..n * d).map(|_| rng.next_normal() as f32).collect();
    let xt: Vec<f32> = (0..nt * d).map(|_| rng.next_normal() as f32).collect();
    let target = |r: &[f32], e: f64| 4.0 + 0.7 * r[1] as f64 - 0.4 * r[7] as f64 + e;
    let y: Vec<f64> = x
        .chunks(d)
        .map(|r| target(r, 0.5 * rng.next_normal()))
        .collect();
    let yt: Vec<f64> = xt
        .chunks(d)
        .map(|r| target(r, 0.5 * rng.next_normal()))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let lambdas: &[f64] = if d <= n {
        &[0.0, 0.1, 3.0]
    } else {
        &[0.1, 3.0]
    };
    for &lambda in lambdas {
        let ours = Ridge::fit(&x, d, &y, lambda).unwrap().predict(&xt);
        let case = serde_json::json!({"d": d, "x_train": x, "y_train": y, "x_test": xt,
            "y_test": yt, "lambda": lambda});
        let f = dir.path().join("case.json");
        std::fs::write(&f, case.to_string()).unwrap();
        let out: serde_json::Value =
            serde_json::from_slice(&python("tests/ridge_reference.py", &[f.as_os_str()])).unwrap();
        let theirs: Vec<f64> = out["pred"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let worst = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        println!("ridge d {d} n {n} λ {lambda}: worst prediction difference vs numpy {worst:.2e}");
        assert!(worst < 1e-9, "λ {lambda}: {worst}");
        assert!((pearson(&ours, &yt) - out["r"].as_f64().unwrap()).abs() < 1e-9);
        assert!((rmse(&ours, &yt) - out["rmse"].as_f64().unwrap()).abs() < 1e-9);
    }
}
