//! Agreement of two unit selections (e.g. emotion-selective units found on two data sets).
//!
//! With `N` units, `K` selected in `a`, `n` selected in `b` and `x` selected in both, the null of
//! independent selections is hypergeometric (population `N`, `K` successes, `n` draws):
//! `P(X = i) = C(K, i) · C(N−K, n−i) / C(N, n)`. We report its mean `K·n/N` and the one-sided
//! upper-tail p-value `P(X ≥ x)`, summed term by term in `f64` from log-factorials
//! (`ln C(a, b)` via `libm::lgamma`) and clamped to `[0, 1]`.

/// Overlap of two selections over the same units.
#[derive(Clone, Debug, PartialEq)]
pub struct Overlap {
    pub n_units: usize,
    /// Units selected in `a` (`K`).
    pub in_a: usize,
    /// Units selected in `b` (`n`).
    pub in_b: usize,
    /// Units selected in both (`x`).
    pub both: usize,
    /// Hypergeometric mean `in_a · in_b / n_units` (0 when there are no units).
    pub expected: f64,
    /// `P(X ≥ both)` under the hypergeometric null.
    pub p_value: f64,
}

/// `ln C(n, r)` for `r ≤ n`.
fn ln_choose(n: usize, r: usize) -> f64 {
    let lf = |m: usize| libm::lgamma(m as f64 + 1.0);
    lf(n) - lf(r) - lf(n - r)
}

/// Upper tail `P(X ≥ x)` of the hypergeometric distribution (population `n`, `k` successes,
/// `draws` draws). Requires `k ≤ n` and `draws ≤ n`.
pub fn hypergeom_upper_tail(n: usize, k: usize, draws: usize, x: usize) -> f64 {
    assert!(
        k <= n && draws <= n,
        "hypergeometric parameters out of range"
    );
    let lo = (draws + k).saturating_sub(n); // smallest possible X
    let hi = k.min(draws); // largest possible X
    if x <= lo {
        return 1.0;
    }
    if x > hi {
        return 0.0;
    }
    let ln_total = ln_choose(n, draws);
    let tail: f64 = (x..=hi)
        .map(|i| libm::exp(ln_choose(k, i) + ln_choose(n - k, draws - i) - ln_total))
        .sum();
    tail.clamp(0.0, 1.0)
}

use super::profile::LayerProfile;

/// Counts and hypergeometric test for two selections of equal length.
pub fn overlap(a: &[bool], b: &[bool]) -> Overlap {
    assert_eq!(a.len(), b.len(), "selections must cover the same units");
    let n_units = a.len();
    let in_a = a.iter().filter(|&&s| s).count();
    let in_b = b.iter().filter(|&&s| s).count();
    let both = a.iter().zip(b).filter(|(&x, &y)| x && y).count();
    let expected = if n_units == 0 {
        0.0
    } else {
        in_a as f64 * in_b as f64 / n_units as f64
    };
    let p_value = hypergeom_upper_tail(n_units, in_a, in_b, both);
    Overlap {
        n_units,
        in_a,
        in_b,
        both,
        expected,
        p_value,
    }
}

/// Units of a layer that beat the permutation null (p < 0.05), preferring `emotion` when given.
pub fn significant(l: &LayerProfile, emotion: Option<usize>) -> Vec<bool> {
    l.units
        .iter()
        .map(|u| u.p_null < 0.05 && emotion.is_none_or(|e| u.preferred == e))
        .collect()
}

/// Per unit, the emotion it is selective for on both sets (the paper's "genuine" units): it
/// beats the null on each, preferring the same emotion.
pub fn genuine(a: &LayerProfile, b: &LayerProfile) -> Vec<Option<usize>> {
    a.units
        .iter()
        .zip(&b.units)
        .map(|(x, y)| {
            (x.p_null < 0.05 && y.p_null < 0.05 && x.preferred == y.preferred)
                .then_some(x.preferred)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::profile::UnitProfile;

    fn sel(n: usize, on: &[usize]) -> Vec<bool> {
        (0..n).map(|i| on.contains(&i)).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn n10_k4_n3_tails() {
        // N = 10, K = 4, n = 3, C(10,3) = 120.
        // P(X=0) = C(6,3)/120 = 20/120; P(X=1) = 4·15/120 = 60/120;
        // P(X=2) = 6·6/120 = 36/120; P(X=3) = 4·1/120 = 4/120.
        assert!(close(hypergeom_upper_tail(10, 4, 3, 0), 1.0));
        assert!(close(hypergeom_upper_tail(10, 4, 3, 1), 100.0 / 120.0));
        assert!(close(hypergeom_upper_tail(10, 4, 3, 2), 40.0 / 120.0)); // = 1/3
        assert!(close(hypergeom_upper_tail(10, 4, 3, 3), 4.0 / 120.0));
        assert_eq!(hypergeom_upper_tail(10, 4, 3, 4), 0.0);
    }

    #[test]
    fn overlap_counts_and_p() {
        // a = {0,1,2,3} (K = 4), b = {2,3,7} (n = 3), both = {2,3} → x = 2.
        let o = overlap(&sel(10, &[0, 1, 2, 3]), &sel(10, &[2, 3, 7]));
        assert_eq!((o.n_units, o.in_a, o.in_b, o.both), (10, 4, 3, 2));
        assert!(close(o.expected, 1.2)); // 4·3/10
        assert!(close(o.p_value, 1.0 / 3.0));
    }

    #[test]
    fn complete_overlap_is_extreme() {
        // N = 20, K = n = 10, x = 10: P = 1/C(20,10) = 1/184756.
        let a = sel(20, &(0..10).collect::<Vec<_>>());
        let o = overlap(&a, &a);
        assert_eq!(o.both, 10);
        assert!((o.p_value * 184_756.0 - 1.0).abs() < 1e-9, "{}", o.p_value);
        assert!(close(o.expected, 5.0));
    }

    #[test]
    fn forced_overlap_has_p_one() {
        // N = 5, K = 4, n = 4: X ≥ 4+4−5 = 3 always, so P(X ≥ 3) = 1.
        // P(X ≥ 4) = C(4,4)·C(1,0)/C(5,4) = 1/5.
        let o = overlap(&sel(5, &[0, 1, 2, 3]), &sel(5, &[1, 2, 3, 4]));
        assert_eq!((o.both, o.p_value), (3, 1.0));
        assert!(close(hypergeom_upper_tail(5, 4, 4, 4), 0.2));
    }

    #[test]
    fn large_population_tail() {
        // N = 100, K = 50, n = 2: P(X ≥ 2) = C(50,2)/C(100,2) = 1225/4950.
        assert!(close(hypergeom_upper_tail(100, 50, 2, 2), 1225.0 / 4950.0));
        // Empty selections: nothing to overlap, p = 1.
        let o = overlap(&[false; 4], &[true; 4]);
        assert_eq!((o.both, o.expected, o.p_value), (0, 0.0, 1.0));
        assert_eq!(overlap(&[], &[]).p_value, 1.0);
    }

    #[test]
    fn genuine_units_agree_on_both_sets() {
        let unit = |p: f32, e: usize| UnitProfile {
            si: 0.3,
            preferred: e,
            tuning: vec![0.0; 3],
            selected: true,
            p_null: p,
            affect_r: None,
            genuine: None,
        };
        let layer = |units: Vec<UnitProfile>| LayerProfile {
            name: "c".into(),
            response_mean: vec![0.0; units.len()],
            response_sd: vec![1.0; units.len()],
            units,
            null_threshold95: 0.2,
            share_significant: 0.5,
        };
        let a = layer(vec![
            unit(0.01, 0),
            unit(0.01, 1),
            unit(0.5, 2),
            unit(0.01, 2),
        ]);
        let b = layer(vec![
            unit(0.02, 0),
            unit(0.01, 2),
            unit(0.01, 2),
            unit(0.049, 2),
        ]);
        assert_eq!(genuine(&a, &b), [Some(0), None, None, Some(2)]);
        assert_eq!(significant(&a, Some(2)), [false, false, false, true]);
        assert_eq!(significant(&b, None), [true; 4]);
    }
}
