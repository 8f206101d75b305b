//! Per-unit emotion selectivity (Liu, Bo, Ding & Fang 2024).
//!
//! A layer's responses are a row-major matrix `resp` of shape `[n_images][n_units]` (one unit =
//! one channel, response = spatial mean of its post-ReLU map), with one class label per image.
//!
//! For unit responses `x`, class means `x̄_c`, sample variances `σ²_c` (n − 1 denominator) and
//! `k ≥ 2` classes:
//!
//! * tuning `S_e = (x̄_e − x̄_all) / sd_all` (sd over all images; all zero when `sd_all = 0`);
//! * `d′(e) = (x̄_e − mean_{c≠e} x̄_c) / sqrt(Σ_c σ²_c / (k − 1))` (all zero when the denominator is
//!   zero). This is the k-class generalisation of the paper's three-class index
//!   `(x̄_e − (x̄_a + x̄_b)/2) / sqrt((σ²_p + σ²_n + σ²_u)/2)`, which it reproduces for `k = 3`;
//! * selectivity index `SI = max_e d′(e)`, preferred class = argmax (lowest index on ties).
//!
//! An empty class takes the overall mean (adding no signal); a class with fewer than two images
//! has variance 0. Responses must be finite.
//!
//! Numerics: each unit is shifted by its first response before summing (no catastrophic
//! cancellation for responses ~100 with small spread; a constant unit gives exact zeros).

/// Per-unit selectivity summary.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitStats {
    /// Tuning value `S_e` for each class `e`.
    pub tuning: Vec<f32>,
    /// `d′(e)` for each class `e`.
    pub dprime: Vec<f32>,
    /// Selectivity index: `max_e d′(e)`.
    pub si: f32,
    /// Class with the largest `d′` (lowest index on ties).
    pub preferred: usize,
}

/// Shifted per-class sums for every unit of a layer: the sufficient statistics of all indices.
#[derive(Clone, Debug, PartialEq)]
pub struct Moments {
    pub n_units: usize,
    pub k: usize,
    /// Images per class.
    pub counts: Vec<usize>,
    /// Per unit: the shift (response to image 0; 0 for an empty layer).
    pub shift: Vec<f64>,
    /// `[k][n_units]`: `Σ (x − shift)` over the class's images.
    pub sum: Vec<f64>,
    /// `[k][n_units]`: `Σ (x − shift)²` over the class's images.
    pub sum_sq: Vec<f64>,
}

/// Accumulates [`Moments`] for a layer in one pass over `resp` (plus one row for the shift).
pub fn class_moments(resp: &[f32], n_units: usize, labels: &[usize], k: usize) -> Moments {
    assert!(k >= 2, "need at least two classes, got k = {k}");
    // The first row (absent only for an empty layer, where the shift is moot).
    let shift = (0..n_units).map(|u| resp.get(u).map_or(0.0, |&x| x as f64));
    let mut m = Moments {
        n_units,
        k,
        counts: vec![0; k],
        shift: shift.collect(),
        sum: vec![0.0; k * n_units],
        sum_sq: vec![0.0; k * n_units],
    };
    m.refill(resp, labels);
    m
}

impl Moments {
    /// Recomputes counts and sums under new `labels`, keeping the shift (used by the null).
    pub fn refill(&mut self, resp: &[f32], labels: &[usize]) {
        let nu = self.n_units;
        assert_eq!(resp.len(), labels.len() * nu, "resp shape");
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.sum.iter_mut().for_each(|s| *s = 0.0);
        self.sum_sq.iter_mut().for_each(|s| *s = 0.0);
        for (i, &c) in labels.iter().enumerate() {
            assert!(c < self.k, "label {c} out of range for k = {}", self.k);
            self.counts[c] += 1;
            let row = resp[i * nu..(i + 1) * nu].iter().zip(&self.shift);
            let sums = self.sum[c * nu..(c + 1) * nu].iter_mut();
            let sqs = self.sum_sq[c * nu..(c + 1) * nu].iter_mut();
            for (((&x, &sh), s), q) in row.zip(sums).zip(sqs) {
                let d = x as f64 - sh;
                *s += d;
                *q += d * d;
            }
        }
    }

    pub fn n_images(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Shifted total sum and sum of squares of unit `u`.
    fn totals(&self, u: usize) -> (f64, f64) {
        (0..self.k).fold((0.0, 0.0), |(s, q), c| {
            let j = c * self.n_units + u;
            (s + self.sum[j], q + self.sum_sq[j])
        })
    }

    fn centred_total_mean(&self, u: usize) -> f64 {
        self.totals(u).0 / self.n_images().max(1) as f64 // 0 for no images
    }

    fn centred_class_mean(&self, c: usize, u: usize) -> f64 {
        match self.counts[c] {
            0 => self.centred_total_mean(u),
            n => self.sum[c * self.n_units + u] / n as f64,
        }
    }

    /// Sample variance of unit `u` over all images (0 for fewer than two images).
    pub fn total_var(&self, u: usize) -> f64 {
        let (s, q) = self.totals(u);
        sample_var(self.n_images(), s, q)
    }

    /// Mean response of unit `u` to class `c` (the overall mean for an empty class).
    pub fn class_mean(&self, c: usize, u: usize) -> f64 {
        self.shift[u] + self.centred_class_mean(c, u)
    }

    /// Sample variance of unit `u` within class `c` (0 for fewer than two images).
    pub fn class_var(&self, c: usize, u: usize) -> f64 {
        let j = c * self.n_units + u;
        sample_var(self.counts[c], self.sum[j], self.sum_sq[j])
    }

    /// The pooled `d′` denominator `sqrt(Σ_c σ²_c / (k − 1))` of unit `u`.
    fn dprime_den(&self, u: usize) -> f64 {
        let pooled: f64 = (0..self.k).map(|c| self.class_var(c, u)).sum();
        libm::sqrt(pooled / (self.k - 1) as f64)
    }

    fn dprime_with(&self, u: usize, e: usize, den: f64) -> f64 {
        if den <= 0.0 {
            return 0.0;
        }
        let others: f64 = (0..self.k)
            .filter(|&c| c != e)
            .map(|c| self.centred_class_mean(c, u))
            .sum::<f64>()
            / (self.k - 1) as f64;
        (self.centred_class_mean(e, u) - others) / den
    }

    /// `d′(e)` of unit `u`.
    pub fn dprime(&self, u: usize, e: usize) -> f64 {
        self.dprime_with(u, e, self.dprime_den(u))
    }

    /// `(SI, preferred)` of unit `u` without allocating.
    pub fn si(&self, u: usize) -> (f64, usize) {
        let den = self.dprime_den(u);
        let first = (self.dprime_with(u, 0, den), 0);
        (1..self.k)
            .map(|e| (self.dprime_with(u, e, den), e))
            .fold(first, |best, d| if d.0 > best.0 { d } else { best })
    }
}

/// Sample variance from shifted sums, clamped at 0 against rounding.
fn sample_var(n: usize, s: f64, q: f64) -> f64 {
    if n < 2 {
        return 0.0;
    }
    ((q - s * s / n as f64) / (n - 1) as f64).max(0.0)
}

/// Tuning, `d′`, SI and preferred class of every unit of a layer.
pub fn layer_selectivity(
    resp: &[f32],
    n_units: usize,
    labels: &[usize],
    k: usize,
) -> Vec<UnitStats> {
    let m = class_moments(resp, n_units, labels, k);
    (0..n_units)
        .map(|u| {
            let sd = libm::sqrt(m.total_var(u));
            let mu = m.centred_total_mean(u);
            let z = |e: usize| (m.centred_class_mean(e, u) - mu) / sd;
            let tuning = (0..k)
                .map(|e| if sd > 0.0 { z(e) as f32 } else { 0.0 })
                .collect();
            let dprime = (0..k).map(|e| m.dprime(u, e) as f32).collect();
            let (si, preferred) = m.si(u);
            UnitStats {
                tuning,
                dprime,
                si: si as f32,
                preferred,
            }
        })
        .collect()
}

/// Marks the top `round(n × fraction)` units by SI as selected (descending SI, lower index first
/// on ties; NaN ranks last). `fraction` is clamped to `[0, 1]`; the paper keeps the top 80 %.
pub fn select_top(si: &[f32], fraction: f64) -> Vec<bool> {
    let n = si.len();
    let n_sel = ((n as f64 * fraction.clamp(0.0, 1.0)).round() as usize).min(n);
    let key = |i: usize| si[i].max(f32::NEG_INFINITY); // NaN → −∞
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(a.cmp(&b)));
    let mut selected = vec![false; n];
    for &i in &order[..n_sel] {
        selected[i] = true;
    }
    selected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f64) -> bool {
        (a as f64 - b).abs() < 1e-5
    }

    #[test]
    fn three_class_hand_computed() {
        // Labels [0,0,1,1,2,2], x = [1,3, 4,6, 8,10]: class means 2, 5, 9; variances 2 each.
        // Overall mean 32/6 = 16/3; Σx² = 1+9+16+36+64+100 = 226;
        // SS = 226 − 6·(16/3)² = 226 − 512/3 = 166/3; var = 166/15; sd = sqrt(166/15) ≈ 3.32666.
        // d′ denominator sqrt((2+2+2)/2) = √3.
        // d′0 = (2 − (5+9)/2)/√3 = −5/√3; d′1 = (5 − 11/2)/√3 = −0.5/√3; d′2 = (9 − 7/2)/√3 = 5.5/√3.
        let (x, labels) = ([1f32, 3., 4., 6., 8., 10.], [0, 0, 1, 1, 2, 2]);
        let s = layer_selectivity(&x, 1, &labels, 3);
        let u = &s[0];
        let sd = (166.0f64 / 15.0).sqrt();
        let r3 = 3f64.sqrt();
        assert!(close(u.tuning[0], (2.0 - 16.0 / 3.0) / sd)); // ≈ −1.00200
        assert!(close(u.tuning[1], (5.0 - 16.0 / 3.0) / sd)); // ≈ −0.10020
        assert!(close(u.tuning[2], (9.0 - 16.0 / 3.0) / sd)); // ≈ 1.10220
        assert!(close(u.dprime[0], -5.0 / r3)); // ≈ −2.88675
        assert!(close(u.dprime[1], -0.5 / r3)); // ≈ −0.28868
        assert!(close(u.dprime[2], 5.5 / r3)); // ≈ 3.17543
        assert!(close(u.si, 5.5 / r3));
        assert_eq!(u.preferred, 2);
        // Numerical stability: 1e7 + small integers is exact in f32, and the shifted sums must
        // give bit-identical indices (naive Σx² ≈ 6e14 would lose the spread).
        let far: Vec<f32> = x.iter().map(|v| v + 1.0e7).collect();
        assert_eq!(layer_selectivity(&far, 1, &labels, 3), s);
        let m = class_moments(&far, 1, &labels, 3);
        assert_eq!((m.class_mean(2, 0), m.class_var(2, 0)), (1.0e7 + 9.0, 2.0));
        assert!((m.total_var(0) - 166.0 / 15.0).abs() < 1e-12);
    }

    #[test]
    fn two_class_unequal_sizes_and_empty_class() {
        // Class 0: [2,4,6] mean 4, var (4+0+4)/2 = 4. Class 1: [10,12] mean 11, var (1+1)/1 = 2.
        // k = 2: den = sqrt((4+2)/1) = √6; d′0 = (4−11)/√6 = −7/√6, d′1 = 7/√6 ≈ 2.85774.
        let s = layer_selectivity(&[2., 4., 6., 10., 12.], 1, &[0, 0, 0, 1, 1], 2);
        let r6 = 6f64.sqrt();
        assert!(close(s[0].dprime[0], -7.0 / r6) && close(s[0].dprime[1], 7.0 / r6));
        assert_eq!((s[0].preferred, close(s[0].si, 7.0 / r6)), (1, true));
        // k = 3 with class 2 empty: class 0 [0,2] mean 1 var 2; class 1 [4,6] mean 5 var 2;
        // class 2 takes the overall mean 3 and variance 0. den = sqrt((2+2+0)/2) = √2;
        // d′0 = (1 − (5+3)/2)/√2 = −3/√2; d′1 = (5 − (1+3)/2)/√2 = 3/√2; d′2 = (3 − 3)/√2 = 0.
        let s = layer_selectivity(&[0., 2., 4., 6.], 1, &[0, 0, 1, 1], 3);
        let r2 = 2f64.sqrt();
        assert!(close(s[0].dprime[0], -3.0 / r2) && close(s[0].dprime[1], 3.0 / r2));
        assert_eq!((s[0].dprime[2], s[0].preferred), (0.0, 1));
    }

    #[test]
    fn degenerate_units_row_major() {
        // Three units, rows = images, labels [0,0,1,1,2,2].
        // Unit 0 constant 5 → sd 0 and den 0 → all zeros, preferred 0.
        // Unit 1: class 0 [−1,1] (mean 0), classes 1 and 2 both [9,11] (mean 10); variances 2.
        //   d′1 = d′2 = (10 − (0+10)/2)/√3 = 5/√3 → tie → preferred 1.
        // Unit 2: classes constant 1, 4, 7 → σ²_c = 0 → den 0 → d′ = 0, but tuning is set:
        //   mean 4, sd = sqrt((9+9+0+0+9+9)/5) = sqrt(7.2), S_0 = −3/sqrt(7.2).
        let resp = [
            5., -1., 1., 5., 1., 1., 5., 9., 4., 5., 11., 4., 5., 9., 7., 5., 11., 7.,
        ];
        let s = layer_selectivity(&resp, 3, &[0, 0, 1, 1, 2, 2], 3);
        assert!(s[0].tuning.iter().chain(&s[0].dprime).all(|&x| x == 0.0));
        assert_eq!((s[0].si, s[0].preferred), (0.0, 0));
        assert_eq!((s[1].dprime[1], s[1].preferred), (s[1].dprime[2], 1));
        assert!(close(s[1].si, 5.0 / 3f64.sqrt()));
        assert_eq!((s[2].dprime.clone(), s[2].si), (vec![0.0; 3], 0.0));
        assert!(close(s[2].tuning[0], -3.0 / 7.2f64.sqrt()));
    }

    #[test]
    fn select_top_orders_and_breaks_ties_by_index() {
        let si = [0.5, 2.0, 1.0, 2.0, -1.0];
        // round(5·0.6) = 3 → indices 1, 3 (SI 2.0) and 2 (SI 1.0).
        assert_eq!(select_top(&si, 0.6), vec![false, true, true, true, false]);
        // round(5·0.2) = 1 → the tie at 2.0 goes to index 1.
        assert_eq!(select_top(&si, 0.2), vec![false, true, false, false, false]);
        // round(5·0.8) = 4 → all but the lowest.
        assert_eq!(select_top(&si, 0.8), vec![true, true, true, true, false]);
        // round(10·0.25) = round(2.5) = 3; NaN ranks last.
        let si10 = [f32::NAN, 9., 8., 7., 6., 5., 4., 3., 2., 1.];
        assert_eq!(select_top(&si10, 0.25).iter().filter(|&&b| b).count(), 3);
        assert!(!select_top(&si10, 0.9)[0]);
    }
}
