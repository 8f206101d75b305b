//! A profile: per-layer, per-unit selectivity of one model on one labelled set (statistics from
//! the training split only), plus the trained readout. Written as `profile.json` and
//! `units.csv`; a bad profile is refused with a clear message.

use super::dataset::Thresholds;
use super::head::Head;
use super::split::Split;
use crate::error::Failure;
use serde::{Deserialize, Serialize};

pub const PROFILE_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitProfile {
    pub si: f32,
    pub preferred: usize,
    /// Tuning value per class.
    pub tuning: Vec<f32>,
    pub selected: bool,
    pub p_null: f32,
    /// Pearson r of the unit's response with the mean valence and the mean arousal rating over
    /// the training split, where the set has ratings (OASIS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affect_r: Option<[f32; 2]>,
    /// The emotion this unit is selective for on both halves of a split set (`neurons overlap
    /// --mark`): the paper's "genuine" units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genuine: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerProfile {
    pub name: String,
    pub units: Vec<UnitProfile>,
    /// 95th percentile of the permutation-null SI in this layer.
    pub null_threshold95: f32,
    /// Share of units whose SI beats `null_threshold95`.
    pub share_significant: f64,
    /// Per-unit response mean and sd over the training split (to z-score a new image).
    pub response_mean: Vec<f32>,
    pub response_sd: Vec<f32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReadoutProfile {
    /// `fc7` or `<layer> spatial means`.
    pub features: String,
    pub feature_mean: Vec<f32>,
    pub feature_sd: Vec<f32>,
    /// One-vs-rest heads (outputs: [not e, e]), one per class.
    pub binary: Vec<Head>,
    /// Joint softmax head over all classes.
    pub joint: Head,
    /// Test-split F1 of each binary head.
    pub f1_binary: Vec<f64>,
    /// Test-split per-class F1 and macro F1 of the joint head.
    pub f1_joint: Vec<f64>,
    pub f1_joint_macro: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub version: u32,
    pub model: String,
    pub dataset: String,
    pub classes: Vec<String>,
    pub thresholds: Option<Thresholds>,
    pub seed: u64,
    /// Image names (file names), indexed by the split.
    pub images: Vec<String>,
    pub labels: Vec<usize>,
    pub split: Split,
    /// Where the per-unit statistics come from, in words.
    pub statistics_from: String,
    pub top_fraction: f64,
    pub n_permutations: usize,
    pub layers: Vec<LayerProfile>,
    pub readout: ReadoutProfile,
    /// Ridge readouts of the mean valence and arousal ratings from the readout features, where
    /// the set has ratings (OASIS); empty otherwise (and in profiles made before them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affect: Vec<super::ridge::AffectFit>,
    /// Each image's mean `[valence, arousal]` rating, in `images` order, where the set has them:
    /// the lab draws them as context (positions only, never the images).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<[f32; 2]>,
    /// Where the units' `genuine` marks come from (the two profiles compared), when marked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genuine_from: Option<String>,
}

fn finite(v: &[f32]) -> bool {
    v.iter().all(|x| x.is_finite())
}

impl Profile {
    /// Parses and validates a profile; `model` (when given) must match.
    pub fn parse(text: &str, model: Option<&str>) -> Result<Self, Failure> {
        let head: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Failure::bad_input(format!("profile is not valid JSON: {e}")))?;
        match head.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == PROFILE_VERSION as u64 => {}
            Some(v) => {
                return Err(Failure::bad_input(format!(
                    "profile version {v} is not supported (expected {PROFILE_VERSION})"
                )))
            }
            None => {
                return Err(Failure::bad_input(
                    "profile has no version: not an Emotion Neurons profile",
                ))
            }
        }
        let p: Profile = serde_json::from_value(head)
            .map_err(|e| Failure::bad_input(format!("profile is incomplete: {e}")))?;
        if let Some(m) = model {
            if p.model != m {
                return Err(Failure::bad_input(format!(
                    "profile is for model `{}`, not `{m}`",
                    p.model
                )));
            }
        }
        p.validate()?;
        Ok(p)
    }

    pub fn validate(&self) -> Result<(), Failure> {
        let k = self.classes.len();
        if k < 2 || self.labels.len() != self.images.len() || self.labels.iter().any(|l| *l >= k) {
            return Err(Failure::bad_input(
                "profile classes, images and labels do not agree",
            ));
        }
        for l in &self.layers {
            let n = l.units.len();
            if l.response_mean.len() != n || l.response_sd.len() != n {
                return Err(Failure::bad_input(format!(
                    "profile layer `{}` has inconsistent sizes",
                    l.name
                )));
            }
            for (i, u) in l.units.iter().enumerate() {
                if !u.si.is_finite()
                    || !u.p_null.is_finite()
                    || !finite(&u.tuning)
                    || u.tuning.len() != k
                    || u.preferred >= k
                    || u.genuine.is_some_and(|g| g >= k)
                    || u.affect_r.is_some_and(|r| !finite(&r))
                {
                    return Err(Failure::bad_input(format!(
                        "profile layer `{}` unit {i} holds NaN or invalid values",
                        l.name
                    )));
                }
            }
            if !finite(&l.response_mean) || !finite(&l.response_sd) {
                return Err(Failure::bad_input(format!(
                    "profile layer `{}` holds NaN responses",
                    l.name
                )));
            }
        }
        let r = &self.readout;
        let d = r.feature_mean.len();
        let heads = r.binary.iter().chain(std::iter::once(&r.joint));
        for h in heads {
            if h.weight.len() != d * h.outputs() || !finite(&h.weight) || !finite(&h.bias) {
                return Err(Failure::bad_input(
                    "profile readout heads are malformed or hold NaN",
                ));
            }
        }
        if r.binary.len() != k || r.joint.outputs() != k {
            return Err(Failure::bad_input(
                "profile readout does not match its classes",
            ));
        }
        for f in &self.affect {
            let sized = f.weight.is_empty() || f.weight.len() == d;
            if !sized || !finite(&f.weight) || !f.bias.is_finite() {
                return Err(Failure::bad_input(format!(
                    "profile {} readout is malformed or holds NaN",
                    f.target
                )));
            }
        }
        if !self.ratings.is_empty()
            && (self.ratings.len() != self.images.len() || self.ratings.iter().any(|r| !finite(r)))
        {
            return Err(Failure::bad_input(
                "profile ratings do not match its images",
            ));
        }
        Ok(())
    }

    pub fn layer(&self, name: &str) -> Option<&LayerProfile> {
        self.layers.iter().find(|l| l.name == name)
    }

    /// Selected units of `layer` preferring each class.
    pub fn selective(&self, layer: &LayerProfile) -> Vec<Vec<usize>> {
        (0..self.classes.len())
            .map(|e| {
                layer
                    .units
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| u.selected && u.preferred == e)
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect()
    }

    /// The joint head's class probabilities for one raw feature row.
    pub fn emotion_probs(&self, features: &[f32]) -> Vec<f32> {
        let r = &self.readout;
        let z = super::head::standardise(features, &r.feature_mean, &r.feature_sd);
        super::head::softmax(&r.joint.logits(&z))
    }

    /// Predicted `[valence, arousal]` (1–7 scale) for one raw feature row, when the profile
    /// carries both ridge models.
    pub fn affect_predict(&self, features: &[f32]) -> Option<[f32; 2]> {
        Some([
            self.affect_of("valence", features)?,
            self.affect_of("arousal", features)?,
        ])
    }

    /// One rating (`valence` or `arousal`) predicted for one raw feature row, when the profile
    /// carries that ridge model.
    pub fn affect_of(&self, target: &str, features: &[f32]) -> Option<f32> {
        let r = &self.readout;
        let z = super::head::standardise(features, &r.feature_mean, &r.feature_sd);
        let f = self.affect.iter().find(|f| f.target == target)?;
        (f.weight.len() == z.len())
            .then(|| f.bias + f.weight.iter().zip(&z).map(|(w, x)| w * x).sum::<f32>())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("profile serialises") + "\n"
    }

    /// `layer,unit,si,preferred,tuning_<class>…,selected,p_null,valence_r,arousal_r` (the last two empty without ratings).
    pub fn units_csv(&self) -> String {
        let mut s = String::from("layer,unit,si,preferred");
        for c in &self.classes {
            s += &format!(",tuning_{c}");
        }
        s += ",selected,p_null,valence_r,arousal_r\n";
        for l in &self.layers {
            for (i, u) in l.units.iter().enumerate() {
                s += &format!("{},{i},{},{}", l.name, u.si, self.classes[u.preferred]);
                for t in &u.tuning {
                    s += &format!(",{t}");
                }
                let [v, a] = u
                    .affect_r
                    .map_or([String::new(), String::new()], |r| r.map(|x| x.to_string()));
                s += &format!(",{},{},{v},{a}\n", u.selected, u.p_null);
            }
        }
        s
    }
}
