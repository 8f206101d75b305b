//! Continuous affect from unit responses: closed-form ridge regression from (standardised)
//! readout features to a rating (OASIS's mean valence or arousal, 1–7), the penalty chosen on
//! the validation split, scored on the test split by Pearson r and RMSE with a seeded bootstrap
//! 95 % interval. Plain Rust over slices.

use crate::error::Failure;
use crate::weights::init::SplitMix64;
use serde::{Deserialize, Serialize};

/// Penalties tried, as multiples of the number of training images (features are standardised,
/// so one grid fits every layer).
pub const LAMBDAS: [f64; 9] = [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0];
/// Bootstrap resamples of the test split.
pub const BOOTSTRAP: usize = 1000;

/// A ridge model: `y = b + w · x`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ridge {
    pub w: Vec<f64>,
    pub b: f64,
}

impl Ridge {
    /// Fits `y ≈ b + w · x` minimising `Σ (y − ŷ)² + λ·n·|w|²` (`x`: `n` rows of `d`, the
    /// intercept unpenalised), by Cholesky on `XcᵀXc + λ·n·I` with centred `x` and `y` (or on
    /// `XcXcᵀ + λ·n·I` when there are more features than rows).
    pub fn fit(x: &[f32], d: usize, y: &[f64], lambda: f64) -> Result<Self, Failure> {
        let n = y.len();
        if n == 0 || x.len() != n * d {
            return Err(Failure::failed(format!(
                "ridge: {} values for {n} rows of {d}",
                x.len()
            )));
        }
        let mx: Vec<f64> = (0..d)
            .map(|j| (0..n).map(|i| x[i * d + j] as f64).sum::<f64>() / n as f64)
            .collect();
        let my = y.iter().sum::<f64>() / n as f64;
        let xc: Vec<f64> = (0..n * d).map(|i| x[i] as f64 - mx[i % d]).collect();
        let yc: Vec<f64> = y.iter().map(|v| v - my).collect();
        let w = if d <= n {
            // Primal: (XcᵀXc + λn·I) w = Xcᵀ yc, a d × d system.
            let mut a = vec![0f64; d * d];
            let mut rhs = vec![0f64; d];
            for (row, yc) in xc.chunks_exact(d).zip(&yc) {
                for j in 0..d {
                    rhs[j] += row[j] * yc;
                    for k in 0..=j {
                        a[j * d + k] += row[j] * row[k];
                    }
                }
            }
            for j in 0..d {
                a[j * d + j] += lambda * n as f64;
            }
            cholesky_solve(&mut a, d, &rhs)?
        } else {
            // Dual, for more features than images (fc7's 4096): w = Xcᵀ (XcXcᵀ + λn·I)⁻¹ yc,
            // an n × n system (the same solution).
            let mut k = vec![0f64; n * n];
            for i in 0..n {
                for j in 0..=i {
                    let (a, b) = (&xc[i * d..][..d], &xc[j * d..][..d]);
                    k[i * n + j] = a.iter().zip(b).map(|(p, q)| p * q).sum();
                }
                k[i * n + i] += lambda * n as f64;
            }
            let alpha = cholesky_solve(&mut k, n, &yc)?;
            let mut w = vec![0f64; d];
            for (row, a) in xc.chunks_exact(d).zip(&alpha) {
                for (w, x) in w.iter_mut().zip(row) {
                    *w += a * x;
                }
            }
            w
        };
        let b = my - w.iter().zip(&mx).map(|(w, m)| w * m).sum::<f64>();
        Ok(Self { w, b })
    }

    pub fn predict(&self, x: &[f32]) -> Vec<f64> {
        let d = self.w.len();
        x.chunks_exact(d.max(1))
            .map(|r| {
                self.b
                    + r.iter()
                        .zip(&self.w)
                        .map(|(x, w)| *x as f64 * w)
                        .sum::<f64>()
            })
            .collect()
    }
}

/// Solves `A w = rhs` for symmetric positive definite `A` (lower triangle used; overwritten).
fn cholesky_solve(a: &mut [f64], d: usize, rhs: &[f64]) -> Result<Vec<f64>, Failure> {
    for j in 0..d {
        let mut s = a[j * d + j];
        for k in 0..j {
            s -= a[j * d + k] * a[j * d + k];
        }
        if s <= 0.0 || !s.is_finite() {
            return Err(Failure::failed(
                "ridge: the system is not positive definite",
            ));
        }
        let l = s.sqrt();
        a[j * d + j] = l;
        for i in j + 1..d {
            let mut s = a[i * d + j];
            for k in 0..j {
                s -= a[i * d + k] * a[j * d + k];
            }
            a[i * d + j] = s / l;
        }
    }
    let mut z = rhs.to_vec();
    for i in 0..d {
        for k in 0..i {
            z[i] -= a[i * d + k] * z[k];
        }
        z[i] /= a[i * d + i];
    }
    for i in (0..d).rev() {
        for k in i + 1..d {
            z[i] -= a[k * d + i] * z[k];
        }
        z[i] /= a[i * d + i];
    }
    Ok(z)
}

/// Pearson correlation (0 when either side is constant).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa == 0.0 || sbb == 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

pub fn rmse(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()).max(1) as f64;
    (a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>() / n).sqrt()
}

/// How well the units predict one rating on held-out images.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AffectFit {
    /// `valence` or `arousal`.
    pub target: String,
    /// The penalty chosen on the validation split (multiple of the training-set size).
    pub lambda: f64,
    pub n_test: usize,
    pub r: f64,
    /// Bootstrap 95 % interval of `r` over test images.
    pub r_ci95: [f64; 2],
    pub rmse: f64,
    pub rmse_ci95: [f64; 2],
    /// RMSE of always predicting the training mean, for scale.
    pub rmse_mean_only: f64,
    /// The fitted model on the profile's standardised readout features (`rating = bias + weight ·
    /// z`), so the lab can place a new image on the rating scale.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weight: Vec<f32>,
    #[serde(default)]
    pub bias: f32,
}

/// Fits `target` (train), picks λ by validation RMSE, scores the test split.
pub fn affect_fit(
    target: &str,
    (x_train, y_train): (&[f32], &[f64]),
    (x_val, y_val): (&[f32], &[f64]),
    (x_test, y_test): (&[f32], &[f64]),
    d: usize,
    seed: u64,
) -> Result<AffectFit, Failure> {
    let mut best: Option<(f64, f64)> = None;
    for &l in &LAMBDAS {
        let m = Ridge::fit(x_train, d, y_train, l)?;
        let e = rmse(&m.predict(x_val), y_val);
        if best.is_none_or(|b| e < b.1) {
            best = Some((l, e));
        }
    }
    let lambda = best.map_or(1.0, |b| b.0);
    let model = Ridge::fit(x_train, d, y_train, lambda)?;
    let pred = model.predict(x_test);
    let mean = y_train.iter().sum::<f64>() / y_train.len().max(1) as f64;
    let (r_ci95, rmse_ci95) = bootstrap(&pred, y_test, seed);
    Ok(AffectFit {
        target: target.to_string(),
        lambda,
        n_test: y_test.len(),
        r: pearson(&pred, y_test),
        r_ci95,
        rmse: rmse(&pred, y_test),
        rmse_ci95,
        rmse_mean_only: rmse(&vec![mean; y_test.len()], y_test),
        weight: model.w.iter().map(|w| *w as f32).collect(),
        bias: model.b as f32,
    })
}

/// Percentile bootstrap (2.5 %, 97.5 %) of r and RMSE over resampled test images.
fn bootstrap(pred: &[f64], truth: &[f64], seed: u64) -> ([f64; 2], [f64; 2]) {
    let n = pred.len();
    if n < 2 {
        return ([f64::NAN; 2], [f64::NAN; 2]);
    }
    let mut rng = SplitMix64::new(seed);
    let (mut rs, mut es) = (Vec::new(), Vec::new());
    let (mut p, mut t) = (vec![0.0; n], vec![0.0; n]);
    for _ in 0..BOOTSTRAP {
        for i in 0..n {
            let j = (rng.next_u64() % n as u64) as usize;
            (p[i], t[i]) = (pred[j], truth[j]);
        }
        rs.push(pearson(&p, &t));
        es.push(rmse(&p, &t));
    }
    (interval(&mut rs), interval(&mut es))
}

fn interval(v: &mut [f64]) -> [f64; 2] {
    v.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    [at(0.025), at(0.975)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_and_rmse_by_hand() {
        // x = 1,2,3; y = 2,4,7: means 2 and 13/3; Σdx·dy = 5, Σdx² = 2, Σdy² = 38/3.
        let r = pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 7.0]);
        assert!((r - 5.0 / (2.0f64 * 38.0 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(pearson(&[1.0, 1.0], &[2.0, 3.0]), 0.0);
        // Errors 1, −1, 2: sqrt(6/3).
        assert!((rmse(&[1.0, 2.0, 3.0], &[0.0, 3.0, 1.0]) - 2f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn ridge_without_penalty_recovers_an_exact_line_and_the_penalty_shrinks_it() {
        // y = 3 + 2·x0 − x1 on 5 points.
        let x = [0.0, 1.0, 1.0, 0.0, 2.0, 1.0, 3.0, 5.0, 4.0, 2.0];
        let y: Vec<f64> = x
            .chunks(2)
            .map(|r| 3.0 + 2.0 * r[0] as f64 - r[1] as f64)
            .collect();
        let m = Ridge::fit(&x, 2, &y, 0.0).unwrap();
        assert!(
            (m.w[0] - 2.0).abs() < 1e-9 && (m.w[1] + 1.0).abs() < 1e-9,
            "{m:?}"
        );
        assert!((m.b - 3.0).abs() < 1e-9);
        // One feature, λ·n added to Σdx²: x = 0, 1, 2, y = 0, 1, 2 (Σdx² = 2, Σdx·dy = 2),
        // λ = 1/3 with n = 3: w = 2 / (2 + 1) and b = 1 − w.
        let m = Ridge::fit(&[0.0, 1.0, 2.0], 1, &[0.0, 1.0, 2.0], 1.0 / 3.0).unwrap();
        assert!((m.w[0] - 2.0 / 3.0).abs() < 1e-12 && (m.b - 1.0 / 3.0).abs() < 1e-12);
        // More features than rows: the dual form gives the primal's answer.
        let wide: Vec<f32> = (0..4 * 6).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
        let yw = [1.0, -2.0, 0.5, 3.0];
        let dual = Ridge::fit(&wide, 6, &yw, 0.2).unwrap();
        // The optimality condition of the primal problem: Xcᵀ(yc − Xc w) = λn·w.
        let n = 4.0;
        let mx: Vec<f64> = (0..6)
            .map(|j| (0..4).map(|i| wide[i * 6 + j] as f64).sum::<f64>() / n)
            .collect();
        let my = yw.iter().sum::<f64>() / n;
        for j in 0..6 {
            let g: f64 = (0..4)
                .map(|i| {
                    let row = &wide[i * 6..][..6];
                    let fit: f64 = (0..6).map(|k| (row[k] as f64 - mx[k]) * dual.w[k]).sum();
                    (row[j] as f64 - mx[j]) * ((yw[i] - my) - fit)
                })
                .sum();
            assert!((g - 0.2 * n * dual.w[j]).abs() < 1e-9, "feature {j}: {g}");
        }
        let huge = Ridge::fit(&x, 2, &y, 1e9).unwrap();
        let mean = y.iter().sum::<f64>() / 5.0;
        assert!(huge.predict(&x).iter().all(|p| (p - mean).abs() < 1e-6));
        assert!(Ridge::fit(&x, 3, &y, 1.0).is_err());
    }

    #[test]
    fn affect_fit_finds_a_signal_and_not_noise() {
        let mut rng = SplitMix64::new(3);
        let d = 6;
        let make = |n: usize, rng: &mut SplitMix64| {
            let x: Vec<f32> = (0..n * d).map(|_| rng.next_normal() as f32).collect();
            let y: Vec<f64> = x
                .chunks(d)
                .map(|r| 4.0 + 0.8 * r[0] as f64 - 0.5 * r[3] as f64 + 0.3 * rng.next_normal())
                .collect();
            (x, y)
        };
        let (tr, va, te) = (
            make(200, &mut rng),
            make(100, &mut rng),
            make(100, &mut rng),
        );
        let f = affect_fit(
            "valence",
            (&tr.0, &tr.1),
            (&va.0, &va.1),
            (&te.0, &te.1),
            d,
            9,
        )
        .unwrap();
        assert!(
            f.r > 0.9 && f.r_ci95[0] <= f.r && f.r <= f.r_ci95[1],
            "{f:?}"
        );
        assert!(f.rmse < 0.5 * f.rmse_mean_only, "{f:?}");
        // Shuffled targets: nothing to find, and the interval says so.
        let mut y = te.1.clone();
        y.rotate_left(37);
        let g = affect_fit("arousal", (&tr.0, &tr.1), (&va.0, &va.1), (&te.0, &y), d, 9).unwrap();
        assert!(g.r_ci95[0] < 0.0 && g.r.abs() < 0.3, "{g:?}");
        // Deterministic for a seed.
        let again = affect_fit(
            "valence",
            (&tr.0, &tr.1),
            (&va.0, &va.1),
            (&te.0, &te.1),
            d,
            9,
        );
        assert_eq!(again.unwrap(), f);
    }
}
