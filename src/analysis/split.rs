//! Stratified, seeded train / validation / test split.
//!
//! Per class `c` (with `n_c` images): the class's indices, in ascending order, are shuffled by
//! Fisher–Yates ([`shuffle`]) with a [`SplitMix64`] stream seeded by
//! `fnv1a("{seed}/split/class{c}")`; the first `round(n_c · f_train)` go to train, the next
//! `round(n_c · f_val)` to validation (clamped so that test is never negative), the rest to test.
//! Fractions are clamped to `[0, 1]`; `round` is half away from zero. Each output list is sorted.

use crate::weights::init::{fnv1a, SplitMix64};

/// Indices into the data set, each list sorted ascending; together a partition of `0..n`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Split {
    pub train: Vec<usize>,
    pub val: Vec<usize>,
    pub test: Vec<usize>,
}

/// Rows `idx` of a row-major matrix with `cols` columns.
pub fn rows(m: &[f32], cols: usize, idx: &[usize]) -> Vec<f32> {
    idx.iter()
        .flat_map(|&i| m[i * cols..(i + 1) * cols].iter().copied())
        .collect()
}

/// Uniform in-place Fisher–Yates shuffle: for `i = n−1 … 1` swap `items[i]` with `items[j]`,
/// `j = ⌊u · (i+1) / 2⁶⁴⌋` for the next 64-bit output `u` (multiply-shift, bias ≤ n / 2⁶⁴).
pub fn shuffle<T>(items: &mut [T], rng: &mut SplitMix64) {
    for i in (1..items.len()).rev() {
        let j = ((rng.next_u64() as u128 * (i as u128 + 1)) >> 64) as usize;
        items.swap(i, j);
    }
}

/// Stratified split of images by class `labels` (each `< k`); `fractions = (train, val)`.
pub fn stratified_split(labels: &[usize], k: usize, fractions: (f64, f64), seed: u64) -> Split {
    let (f_train, f_val) = (fractions.0.clamp(0.0, 1.0), fractions.1.clamp(0.0, 1.0));
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &c) in labels.iter().enumerate() {
        assert!(c < k, "label {c} out of range for k = {k}");
        by_class[c].push(i);
    }
    let mut split = Split {
        train: Vec::new(),
        val: Vec::new(),
        test: Vec::new(),
    };
    for (c, idx) in by_class.iter_mut().enumerate() {
        let mut rng = SplitMix64::new(fnv1a(&format!("{seed}/split/class{c}")));
        shuffle(idx, &mut rng);
        let n = idx.len();
        let n_train = ((n as f64 * f_train).round() as usize).min(n);
        let n_val = ((n as f64 * f_val).round() as usize).min(n - n_train);
        split.train.extend_from_slice(&idx[..n_train]);
        split.val.extend_from_slice(&idx[n_train..n_train + n_val]);
        split.test.extend_from_slice(&idx[n_train + n_val..]);
    }
    split.train.sort_unstable();
    split.val.sort_unstable();
    split.test.sort_unstable();
    split
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 226 class-0, 359 class-1, 315 class-2 images, interleaved so that classes are not blocks.
    fn labels_900() -> Vec<usize> {
        let mut labels: Vec<usize> = [(0, 226), (1, 359), (2, 315)]
            .iter()
            .flat_map(|&(c, n)| std::iter::repeat_n(c, n))
            .collect();
        shuffle(&mut labels, &mut SplitMix64::new(99));
        labels
    }

    fn count(idx: &[usize], labels: &[usize], c: usize) -> usize {
        idx.iter().filter(|&&i| labels[i] == c).count()
    }

    #[test]
    fn shuffle_hand_computed() {
        // SplitMix64(0) outputs 0xE220A8397B1DCDAF, then 0x6E789E6AA1B965F4.
        // n = 3: i = 2: j = ⌊0.8833·3⌋ = 2 (no swap); i = 1: j = ⌊0.4315·2⌋ = 0 → swap 0,1.
        let mut v = [10, 20, 30];
        shuffle(&mut v, &mut SplitMix64::new(0));
        assert_eq!(v, [20, 10, 30]);
    }

    #[test]
    fn per_class_counts_hand_computed() {
        // (0.5, 0.25): class 0: 113 train, round(56.5) = 57 val, 226−170 = 56 test;
        // class 1: round(179.5) = 180, round(89.75) = 90, 89; class 2: round(157.5) = 158,
        // round(78.75) = 79, 78. Totals 451 / 226 / 223 = 900.
        let labels = labels_900();
        let s = stratified_split(&labels, 3, (0.5, 0.25), 1);
        let expect = [(113, 57, 56), (180, 90, 89), (158, 79, 78)];
        for (c, &(tr, va, te)) in expect.iter().enumerate() {
            let got = (
                count(&s.train, &labels, c),
                count(&s.val, &labels, c),
                count(&s.test, &labels, c),
            );
            assert_eq!(got, (tr, va, te), "class {c}");
        }
        assert_eq!((s.train.len(), s.val.len(), s.test.len()), (451, 226, 223));
    }

    #[test]
    fn disjoint_covering_and_sorted() {
        let labels = labels_900();
        let s = stratified_split(&labels, 3, (0.6, 0.2), 8);
        let mut seen = vec![0u8; labels.len()];
        for list in [&s.train, &s.val, &s.test] {
            assert!(
                list.windows(2).all(|w| w[0] < w[1]),
                "not strictly ascending"
            );
            list.iter().for_each(|&i| seen[i] += 1);
        }
        assert!(seen.iter().all(|&n| n == 1));
    }

    #[test]
    fn deterministic_and_seed_sensitive() {
        let labels = labels_900();
        let a = stratified_split(&labels, 3, (0.5, 0.25), 1);
        assert_eq!(a, stratified_split(&labels, 3, (0.5, 0.25), 1));
        let b = stratified_split(&labels, 3, (0.5, 0.25), 2);
        assert_ne!(a.train, b.train);
        assert_eq!(a.train.len(), b.train.len());
    }

    #[test]
    fn val_is_clamped_so_test_is_not_negative() {
        // n_c = 10, (0.8, 0.3): train 8, val round(3) = 3 → clamped to 2, test 0.
        let labels = vec![0; 10];
        let s = stratified_split(&labels, 2, (0.8, 0.3), 0);
        assert_eq!((s.train.len(), s.val.len(), s.test.len()), (8, 2, 0));
    }
}
