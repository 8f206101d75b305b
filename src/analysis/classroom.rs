//! The classroom experiment: the paper's lesion test on a small labelled set that ships with the
//! site (`static/classroom/`), with the shipped profile's selective units and readout and the α
//! the shipped OASIS experiment chose. No α search and no val part: every pass is on the set,
//! which is [`Part::Test`] of the [`Features`] source. The page (on its pool) and `neurons
//! classroom` (on this machine) both run [`run_set`], so their rows are equal.
//!
//! Plain Rust (no burn): the passes come from the source.

use super::experiment::{
    readout_layer, score_test, test_masks, ConditionResult, ExperimentConfig, Features, LayerUnits,
    Part, Readout,
};
use super::profile::Profile;
use super::sweep::Evaluator;
use crate::error::Failure;
use serde::{Deserialize, Serialize};

/// The α used where the shipped experiment has no row for a layer and emotion (the untrained
/// controls have no shipped experiment).
pub const DEFAULT_ALPHA: f32 = 1.0;

/// One picture of the set, as `static/classroom/set.json` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetImage {
    pub file: String,
    /// OASIS's theme (its image name).
    pub theme: String,
    /// OASIS's category (Person, Animal, Object, Scenery).
    pub category: String,
    pub valence: f32,
    pub arousal: f32,
    /// pleasant, neutral or unpleasant.
    pub class: String,
    pub source: String,
}

/// The manifest of the set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassroomSet {
    pub name: String,
    #[serde(default)]
    pub about: String,
    pub images: Vec<SetImage>,
}

impl ClassroomSet {
    /// Parses and checks a manifest: at least one image, no file twice, plain file names.
    pub fn parse(text: &str) -> Result<Self, Failure> {
        let set: Self = serde_json::from_str(text)
            .map_err(|e| Failure::bad_input(format!("the classroom set's manifest: {e}")))?;
        if set.images.is_empty() {
            return Err(Failure::bad_input("the classroom set lists no images"));
        }
        let mut seen = std::collections::HashSet::new();
        for im in &set.images {
            if im.file.is_empty() || im.file.contains(['/', '\\']) || im.file.starts_with('.') {
                return Err(Failure::bad_input(format!(
                    "the classroom set names a file outside its folder: `{}`",
                    im.file
                )));
            }
            if !seen.insert(im.file.as_str()) {
                return Err(Failure::bad_input(format!(
                    "the classroom set lists `{}` twice",
                    im.file
                )));
            }
        }
        Ok(set)
    }

    /// Each image's class as an index into `classes` (a profile's).
    pub fn labels(&self, classes: &[String]) -> Result<Vec<usize>, Failure> {
        self.images
            .iter()
            .map(|im| {
                classes.iter().position(|c| *c == im.class).ok_or_else(|| {
                    Failure::bad_input(format!(
                        "`{}` is labelled `{}`, which the profile does not know ({})",
                        im.file,
                        im.class,
                        classes.join(", ")
                    ))
                })
            })
            .collect()
    }

    /// Images per class of `classes`.
    pub fn counts(&self, classes: &[String]) -> Vec<usize> {
        classes
            .iter()
            .map(|c| self.images.iter().filter(|i| i.class == *c).count())
            .collect()
    }
}

/// The α per emotion for `layer`: the shipped experiment's choice where it has one.
pub fn alphas_for(shipped: &[ConditionResult], layer: &str, classes: &[String]) -> Vec<f32> {
    classes
        .iter()
        .map(|c| {
            shipped
                .iter()
                .find(|r| r.layer == layer && r.emotion == *c)
                .map_or(DEFAULT_ALPHA, |r| r.best_alpha)
        })
        .collect()
}

/// How one picture's readout moved: its own emotion's head, probability that the picture shows
/// that emotion, before, with that emotion's selective units lesioned, and with as many random
/// units lesioned (mean over the draws).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageShift {
    pub before: f32,
    pub lesion: f32,
    pub random: f32,
}

/// What the classroom experiment found on one layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetOutcome {
    pub rows: Vec<ConditionResult>,
    /// One per image of the set, in its order.
    pub images: Vec<ImageShift>,
}

/// Masks the run needs on `layer` (for progress estimates): those of [`test_masks`].
pub fn set_masks(p: &Profile, layer: &str, alphas: &[f32], draws: usize) -> Result<usize, Failure> {
    let units = LayerUnits::of(p, layer)?;
    Ok(test_masks(&units, alphas, &config(p, draws)).len())
}

fn config(p: &Profile, draws: usize) -> ExperimentConfig {
    ExperimentConfig {
        control_draws: draws,
        seed: p.seed,
        ..ExperimentConfig::default()
    }
}

/// Lesions and enhances (at `alphas`, one per emotion) `layer`'s selective units of profile `p`
/// and `draws` random draws of as many units, scoring the readout on the set (`labels`, in the
/// order the source returns the images).
pub async fn run_set<F: Features>(
    source: &mut F,
    p: &Profile,
    layer: &str,
    alphas: &[f32],
    labels: &[usize],
    draws: usize,
) -> Result<SetOutcome, Failure> {
    let units = LayerUnits::of(p, layer)?;
    if alphas.len() != p.classes.len() {
        return Err(Failure::bad_input("one α per emotion is needed"));
    }
    let cfg = config(p, draws);
    let readout = Readout::of(p);
    let mut ev = Evaluator::new(source, readout_layer(p));
    let feats = ev
        .under(layer, Part::Test, &test_masks(&units, alphas, &cfg))
        .await?;
    if feats.iter().any(|f| f.len() != labels.len()) {
        return Err(Failure::bad_input(
            "the feature source returned another number of images than the set has",
        ));
    }
    let rows = score_test(
        &feats,
        &units,
        &p.classes,
        &readout,
        labels,
        alphas,
        &[],
        &cfg,
    );
    let per_e = 2 + 2 * draws;
    let images = labels
        .iter()
        .enumerate()
        .map(|(i, &e)| {
            let base = 1 + e * per_e;
            let random = (0..draws)
                .map(|d| readout.prob(&feats[base + 2 + 2 * d][i], e))
                .sum::<f32>()
                / draws.max(1) as f32;
            ImageShift {
                before: readout.prob(&feats[0][i], e),
                lesion: readout.prob(&feats[base][i], e),
                random,
            }
        })
        .collect();
    Ok(SetOutcome { rows, images })
}

#[cfg(test)]
mod tests;
