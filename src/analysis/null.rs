//! Seeded label-permutation null for the selectivity index.
//!
//! Responses stay fixed; only the image labels are shuffled (Fisher–Yates driven by
//! [`SplitMix64`], seeded), so class sizes are preserved. Each permutation recomputes every unit's
//! SI (see [`super::selectivity`]) from refilled per-class sums: O(n_images × n_units) per
//! permutation and no allocation per unit. Permutations are applied cumulatively to one label
//! vector; each composed permutation is still uniform and independent of the previous one.
//!
//! * `p_value(unit) = (1 + #{perm : SI_perm(unit) ≥ SI_real(unit)}) / (1 + n_perm)`, compared in
//!   `f64` along the same arithmetic path as the real SI, so a permutation that reproduces the
//!   real grouping counts as a tie;
//! * `threshold95` = nearest-rank 95th percentile of the pooled null SIs of all units and
//!   permutations (see [`percentile_nearest_rank`]); `+∞` when nothing was pooled;
//! * `share_significant` = fraction of units whose real SI (as `f32`) is strictly above it.

use super::selectivity::class_moments;
use super::split::shuffle;
use crate::weights::init::SplitMix64;

/// Outcome of [`permutation_null`] for one layer.
#[derive(Clone, Debug, PartialEq)]
pub struct NullResult {
    /// Per-unit permutation p-value, in `[1/(1+n_perm), 1]`.
    pub p_values: Vec<f32>,
    /// Nearest-rank 95th percentile of the pooled null SI values.
    pub threshold95: f32,
    /// Fraction of units with real SI > `threshold95`.
    pub share_significant: f64,
    pub n_perm: usize,
}

/// Nearest-rank percentile: with the `N` values sorted ascending `x_(1) ≤ … ≤ x_(N)`, returns
/// `x_(r)` with `r = ⌈percent · N / 100⌉` (integer arithmetic, so no rounding surprises). `percent`
/// must be in `1..=100`. Reorders `values` (linear-time selection); `None` when empty.
pub fn percentile_nearest_rank(values: &mut [f32], percent: u32) -> Option<f32> {
    assert!(
        (1..=100).contains(&percent),
        "percent must be in 1..=100, got {percent}"
    );
    if values.is_empty() {
        return None;
    }
    let rank = (percent as usize * values.len()).div_ceil(100);
    let (_, v, _) = values.select_nth_unstable_by(rank - 1, |a, b| a.total_cmp(b));
    Some(*v)
}

/// Permutation null of the SI for every unit of a layer (`resp` is `[n_images][n_units]`).
pub fn permutation_null(
    resp: &[f32],
    n_units: usize,
    labels: &[usize],
    k: usize,
    n_perm: usize,
    seed: u64,
) -> NullResult {
    let mut m = class_moments(resp, n_units, labels, k);
    let real: Vec<f64> = (0..n_units).map(|u| m.si(u).0).collect();
    let mut exceed = vec![0usize; n_units];
    let mut pooled: Vec<f32> = Vec::with_capacity(n_perm * n_units);
    let mut perm = labels.to_vec();
    let mut rng = SplitMix64::new(seed);
    for _ in 0..n_perm {
        shuffle(&mut perm, &mut rng);
        m.refill(resp, &perm);
        for (u, (&r, ex)) in real.iter().zip(exceed.iter_mut()).enumerate() {
            let si = m.si(u).0;
            if si >= r {
                *ex += 1;
            }
            pooled.push(si as f32);
        }
    }
    let denom = (1 + n_perm) as f64;
    let p_values = exceed
        .iter()
        .map(|&e| ((1 + e) as f64 / denom) as f32)
        .collect();
    let threshold95 = percentile_nearest_rank(&mut pooled, 95).unwrap_or(f32::INFINITY);
    let share_significant = if n_units == 0 {
        0.0
    } else {
        real.iter().filter(|&&r| r as f32 > threshold95).count() as f64 / n_units as f64
    };
    NullResult {
        p_values,
        threshold95,
        share_significant,
        n_perm,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 30 images, labels 0..3 in blocks of 10; unit 0 separates the classes perfectly
    /// (10·c + within-class jitter 0.1·(i mod 5)), unit 1 is constant, units 2.. are uniform noise.
    fn layer(n_noise: usize, noise_seed: u64) -> (Vec<f32>, usize, Vec<usize>) {
        let n_units = 2 + n_noise;
        let labels: Vec<usize> = (0..30).map(|i| i / 10).collect();
        let mut rng = SplitMix64::new(noise_seed);
        let mut resp = Vec::with_capacity(30 * n_units);
        for (i, &c) in labels.iter().enumerate() {
            resp.push(10.0 * c as f32 + 0.1 * (i % 5) as f32);
            resp.push(3.0);
            resp.extend((0..n_noise).map(|_| rng.next_open01() as f32));
        }
        (resp, n_units, labels)
    }

    #[test]
    fn percentile_nearest_rank_hand_computed() {
        // N = 20, 95 %: r = ⌈19⌉ = 19 → 19th smallest of 1..=20 is 19.
        let mut v: Vec<f32> = (1..=20).rev().map(|x| x as f32).collect();
        assert_eq!(percentile_nearest_rank(&mut v, 95), Some(19.0));
        // N = 10, 95 %: r = ⌈9.5⌉ = 10 → the maximum.
        let mut v: Vec<f32> = (1..=10).map(|x| x as f32).collect();
        assert_eq!(percentile_nearest_rank(&mut v, 95), Some(10.0));
        // N = 3, 95 %: r = ⌈2.85⌉ = 3; N = 4, 50 %: r = 2.
        assert_eq!(percentile_nearest_rank(&mut [5.0, 1.0, 3.0], 95), Some(5.0));
        assert_eq!(
            percentile_nearest_rank(&mut [4.0, 1.0, 3.0, 2.0], 50),
            Some(2.0)
        );
        assert_eq!(percentile_nearest_rank(&mut [], 95), None);
    }

    #[test]
    fn separating_unit_is_significant_constant_is_not() {
        let (resp, n_units, labels) = layer(0, 1);
        let r = permutation_null(&resp, n_units, &labels, 3, 200, 42);
        // No shuffle of 30 labels (odds ~1/5.5e12) reproduces the blocks: p = 1/(1+200).
        assert_eq!(r.p_values[0], (1.0 / 201.0) as f32);
        // Constant unit: every SI (real and null) is exactly 0 → all 200 tie → p = 201/201.
        assert_eq!(r.p_values[1], 1.0);
        // Half the pooled values are exactly 0, the separator's null SIs are small but positive.
        assert!(
            r.threshold95 > 0.0 && r.threshold95 < 2.0,
            "{}",
            r.threshold95
        );
        assert_eq!(r.share_significant, 0.5); // the separator only
        assert_eq!(r.n_perm, 200);
    }

    #[test]
    fn noise_units_are_mostly_not_significant() {
        let (resp, n_units, labels) = layer(40, 7);
        let r = permutation_null(&resp, n_units, &labels, 3, 300, 3);
        let noise = &r.p_values[2..];
        let mean_p = noise.iter().map(|&p| p as f64).sum::<f64>() / noise.len() as f64;
        // Under the null p is ~uniform: mean ≈ 0.5, about 5 % below 0.05.
        assert!((0.3..0.7).contains(&mean_p), "mean p = {mean_p}");
        assert!(
            noise.iter().filter(|&&p| p < 0.05).count() <= 6,
            "{noise:?}"
        );
        // Significant: the separator plus a few noise units (Binomial(40, 0.05): mean 2,
        // P(≥ 8) ≈ 0.003); with this seed 5 noise units pass, so share = 6/42.
        assert!(r.share_significant >= 1.0 / 42.0 && r.share_significant <= 8.0 / 42.0);
        assert_eq!(r.p_values[0], (1.0 / 301.0) as f32);
    }

    #[test]
    fn deterministic_per_seed_and_seed_sensitive() {
        let (resp, n_units, labels) = layer(10, 11);
        let a = permutation_null(&resp, n_units, &labels, 3, 100, 5);
        let b = permutation_null(&resp, n_units, &labels, 3, 100, 5);
        let c = permutation_null(&resp, n_units, &labels, 3, 100, 6);
        assert_eq!(a, b);
        assert_ne!(a.p_values[2..], c.p_values[2..]);
    }

    #[test]
    fn zero_permutations() {
        // Nothing pooled: threshold +∞, nothing significant, p = (1+0)/(1+0) = 1.
        let (resp, n_units, labels) = layer(1, 2);
        let r = permutation_null(&resp, n_units, &labels, 3, 0, 0);
        assert_eq!(r.p_values, vec![1.0; 3]);
        assert_eq!((r.threshold95, r.share_significant), (f32::INFINITY, 0.0));
    }
}
