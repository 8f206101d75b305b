//! What the experiment is made of, below it and the modules it calls (`sweep`,
//! `valence_lesion`): where its forward passes come from ([`Features`], per [`Part`]), the
//! random-unit draw, and a mean ± sd. Plain Rust.

use crate::error::Failure;
use crate::model::GainMask;
use crate::weights::init::SplitMix64;
use serde::{Deserialize, Serialize};

/// Mean and sample sd.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanSd {
    pub mean: f64,
    pub sd: f64,
}

impl MeanSd {
    pub fn of(v: &[f64]) -> Self {
        let n = v.len().max(1) as f64;
        let mean = v.iter().sum::<f64>() / n;
        let sd = if v.len() > 1 {
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        Self { mean, sd }
    }
}

/// Which held-out part of the profile's split a feature request is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Part {
    /// Chooses α.
    Val,
    /// Scores every condition.
    Test,
}

/// Readout features of every image of a part under each mask: `[mask][image][feature]`, images
/// in the part's order.
pub type FeatureRows = Vec<Vec<Vec<f32>>>;

/// Where the experiment's forward passes run. An error stops the run.
#[allow(async_fn_in_trait)]
pub trait Features {
    async fn under(
        &mut self,
        layer: &str,
        part: Part,
        masks: &[GainMask],
    ) -> Result<FeatureRows, Failure>;
}

/// `k` of `0..n_units` without replacement (the random-unit control; the lab's "same number at
/// random" button draws with the same function).
pub fn draw(n_units: usize, k: usize, rng: &mut SplitMix64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n_units).collect();
    for i in 0..k.min(n_units) {
        let j = i + (rng.next_u64() % (n_units - i) as u64) as usize;
        idx.swap(i, j);
    }
    idx.truncate(k.min(n_units));
    idx
}
