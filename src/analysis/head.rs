//! A trained linear readout head and the small numeric helpers around it (plain Rust, no burn):
//! the page scores emotions and runs the experiment's bookkeeping with these, the engine trains
//! them ([`super::readout`], feature `engine`).

use serde::{Deserialize, Serialize};

/// A trained linear head: `logits = standardise(x) · weight + bias`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Head {
    /// Row-major `[feature_dim][outputs]`.
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

impl Head {
    pub fn outputs(&self) -> usize {
        self.bias.len()
    }

    /// Logits of one standardised feature row.
    pub fn logits(&self, x: &[f32]) -> Vec<f32> {
        let o = self.outputs();
        let mut out = self.bias.clone();
        for (i, xi) in x.iter().enumerate() {
            for (j, out_j) in out.iter_mut().enumerate() {
                *out_j += xi * self.weight[i * o + j];
            }
        }
        out
    }
}

/// Softmax probabilities of logits.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let m = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = logits.iter().map(|l| (l - m).exp()).collect();
    let s: f32 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

pub fn standardise(x: &[f32], mean: &[f32], sd: &[f32]) -> Vec<f32> {
    x.chunks(mean.len())
        .flat_map(|row| row.iter().zip(mean).zip(sd).map(|((v, m), s)| (v - m) / s))
        .collect()
}

/// Indices of the `k` largest values, largest first (ties: lower index first).
pub fn top_k(values: &[f32], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|a, b| values[*b].total_cmp(&values[*a]).then(a.cmp(b)));
    idx.truncate(k);
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_softmax_standardise_topk_by_hand() {
        // 2 features, 2 outputs: logits = b + x·W.
        let h = Head {
            weight: vec![1.0, 0.0, 0.5, -1.0],
            bias: vec![0.1, 0.2],
        };
        assert_eq!(h.logits(&[2.0, 4.0]), vec![0.1 + 2.0 + 2.0, 0.2 - 4.0]);
        let p = softmax(&[0.0, (3f32).ln()]);
        assert!((p[0] - 0.25).abs() < 1e-6 && (p[1] - 0.75).abs() < 1e-6);
        assert_eq!(
            standardise(&[3.0, 10.0, 5.0, 20.0], &[4.0, 10.0], &[1.0, 5.0]),
            vec![-1.0, 0.0, 1.0, 2.0]
        );
        assert_eq!(top_k(&[0.1, 0.9, 0.5, 0.9], 3), vec![1, 3, 2]);
        assert!(top_k(&[], 5).is_empty());
    }
}
