//! Classification metrics: binary F1, per-class F1 and macro F1.
//!
//! `F1 = 2·TP / (2·TP + FP + FN)` (the harmonic mean of precision and recall), defined as 0
//! when there are no true positives, including a class absent from both prediction and truth.
//! Macro F1 is the unweighted mean of the `k` per-class values (one-vs-rest).

/// F1 from counts; 0 when `tp = 0`.
fn f1_from_counts(tp: usize, fp: usize, fn_: usize) -> f64 {
    if tp == 0 {
        0.0
    } else {
        2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
    }
}

/// F1 of the positive class (`true`).
pub fn f1_binary(pred: &[bool], truth: &[bool]) -> f64 {
    assert_eq!(
        pred.len(),
        truth.len(),
        "pred and truth must have equal length"
    );
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (&p, &t) in pred.iter().zip(truth) {
        match (p, t) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            (false, false) => {}
        }
    }
    f1_from_counts(tp, fp, fn_)
}

/// One-vs-rest F1 of each class `0..k` (labels must be `< k`).
pub fn per_class_f1(pred: &[usize], truth: &[usize], k: usize) -> Vec<f64> {
    assert_eq!(
        pred.len(),
        truth.len(),
        "pred and truth must have equal length"
    );
    let (mut tp, mut fp, mut fn_) = (vec![0; k], vec![0; k], vec![0; k]);
    for (&p, &t) in pred.iter().zip(truth) {
        assert!(p < k && t < k, "label out of range for k = {k}");
        if p == t {
            tp[p] += 1;
        } else {
            fp[p] += 1;
            fn_[t] += 1;
        }
    }
    (0..k)
        .map(|c| f1_from_counts(tp[c], fp[c], fn_[c]))
        .collect()
}

/// Unweighted mean of [`per_class_f1`] (0 for `k = 0`).
pub fn macro_f1(pred: &[usize], truth: &[usize], k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    per_class_f1(pred, truth, k).iter().sum::<f64>() / k as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn binary_hand_computed() {
        // pred [T,T,F,F,T], truth [T,F,T,F,T]: TP = 2 (0,4), FP = 1 (1), FN = 1 (2).
        // F1 = 4 / (4+1+1) = 2/3.
        let (t, f) = (true, false);
        assert!(close(
            f1_binary(&[t, t, f, f, t], &[t, f, t, f, t]),
            2.0 / 3.0
        ));
        // TP = 1, FP = 3, FN = 0 → 2/5.
        assert!(close(f1_binary(&[t, t, t, t], &[t, f, f, f]), 0.4));
        // Perfect → 1; no true positives → 0.
        assert!(close(f1_binary(&[t, f], &[t, f]), 1.0));
        assert_eq!(f1_binary(&[f, t], &[t, f]), 0.0);
        assert_eq!(f1_binary(&[f, f], &[f, f]), 0.0);
    }

    #[test]
    fn multiclass_hand_computed() {
        // truth [0,0,1,1,2,2], pred [0,1,1,1,2,0].
        // class 0: TP 1 (0), FP 1 (5), FN 1 (1) → 2/4 = 1/2.
        // class 1: TP 2 (2,3), FP 1 (1), FN 0 → 4/5.
        // class 2: TP 1 (4), FP 0, FN 1 (5) → 2/3.
        // macro = (1/2 + 4/5 + 2/3)/3 = (15+24+20)/90 = 59/90.
        let truth = [0, 0, 1, 1, 2, 2];
        let pred = [0, 1, 1, 1, 2, 0];
        let f = per_class_f1(&pred, &truth, 3);
        assert!(
            close(f[0], 0.5) && close(f[1], 0.8) && close(f[2], 2.0 / 3.0),
            "{f:?}"
        );
        assert!(close(macro_f1(&pred, &truth, 3), 59.0 / 90.0));
    }

    #[test]
    fn absent_class_counts_as_zero_in_macro() {
        // k = 4, class 3 never occurs; classes 0..3 perfect → macro = (1+1+1+0)/4 = 0.75.
        let y = [0, 1, 2];
        assert_eq!(per_class_f1(&y, &y, 4), vec![1.0, 1.0, 1.0, 0.0]);
        assert!(close(macro_f1(&y, &y, 4), 0.75));
    }
}
