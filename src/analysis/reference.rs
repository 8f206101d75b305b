//! The shipped OASIS experiment as the lab shows it (`static/reference/<model>.json`, made by
//! `scripts/make_reference.py` from `neurons experiment`'s records): the full-scale result a class
//! compares its classroom run with, and the α per layer and emotion the classroom run enhances
//! with.

use super::experiment::{ConditionResult, MeanSd};
use crate::error::Failure;
use serde::{Deserialize, Serialize};

/// One layer × emotion over several runs (profile seeds, i.e. splits of OASIS).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpreadRow {
    pub layer: String,
    pub emotion: String,
    pub runs: usize,
    pub f1_before: MeanSd,
    pub f1_lesion: MeanSd,
    pub f1_enhance: MeanSd,
    pub best_alpha: MeanSd,
    pub control_lesion: MeanSd,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub model: String,
    pub dataset: String,
    /// Random-unit draws per condition.
    pub controls: usize,
    /// The run on the shipped profile's split, every layer it covers.
    pub rows: Vec<ConditionResult>,
    /// Mean ± sd over runs on other splits, for the layers that have them.
    #[serde(default)]
    pub spread: Vec<SpreadRow>,
}

impl Reference {
    /// Parses a reference file; it must be of `model`.
    pub fn parse(text: &str, model: &str) -> Result<Self, Failure> {
        let r: Self = serde_json::from_str(text)
            .map_err(|e| Failure::bad_input(format!("the shipped results are damaged: {e}")))?;
        if r.model != model {
            return Err(Failure::bad_input(format!(
                "the shipped results are of `{}`, not `{model}`",
                r.model
            )));
        }
        Ok(r)
    }

    /// The spread of `layer` × `emotion`, if runs on other splits cover it.
    pub fn spread_of(&self, layer: &str, emotion: &str) -> Option<&SpreadRow> {
        self.spread
            .iter()
            .find(|s| s.layer == layer && s.emotion == emotion)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_references_parse_and_cover_their_layers() {
        let vgg = Reference::parse(
            include_str!("../../static/reference/vgg16-imagenet-conv.json"),
            "vgg16-imagenet-conv",
        )
        .unwrap();
        // 13 layers × 3 emotions, five-run spreads for the top layers.
        assert_eq!(vgg.rows.len(), 39);
        let s = vgg.spread_of("conv5_3", "pleasant").unwrap();
        assert_eq!(s.runs, 5);
        assert!((s.f1_lesion.mean - 0.028).abs() < 1e-3, "{:?}", s.f1_lesion);
        let alex = include_str!("../../static/reference/alexnet-imagenet-conv.json");
        assert_eq!(
            Reference::parse(alex, "alexnet-imagenet-conv")
                .unwrap()
                .rows
                .len(),
            15
        );
        let e = Reference::parse(alex, "vgg16-imagenet-conv").unwrap_err();
        assert!(e.message.contains("not `vgg16-imagenet-conv`"));
        assert!(Reference::parse("{}", "x").is_err());
    }
}
