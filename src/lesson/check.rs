//! What unlocks a step: checks over facts the page derives from its store, and the
//! measurements (readouts under each intervention) the lesson records as the student works.

use serde::{Deserialize, Serialize};

/// One condition a step waits for. Named in the lesson file by [`Check::NAMES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// An image is in and the readout shows it.
    Image,
    /// The layer on screen is the network's last conv layer (conv5_3, conv5).
    LastLayer,
    /// A unit is in focus and it prefers the emotion the readout gives the image.
    FocusPreferred,
    /// Selective units were lesioned.
    LesionSelective,
    /// As many random units as a selective lesion were lesioned (same model, image, layer).
    LesionRandom,
    /// Selective units were enhanced with α > 0.
    Enhance,
    /// An untrained network is in use and a readout of it was measured.
    Untrained,
    /// The experiment has results.
    Experiment,
    /// The classroom experiment ran on the classroom set.
    ClassSet,
    /// The emotion map of the image is shown.
    EmotionMap,
    /// The full OASIS experiment shipped with the site is open (the Experiment tab).
    Reference,
}

impl Check {
    pub const NAMES: [&'static str; 11] = [
        "image",
        "last-layer",
        "focus-preferred",
        "lesion-selective",
        "lesion-random",
        "enhance",
        "untrained",
        "experiment",
        "class-set",
        "emotion-map",
        "reference",
    ];
    const ALL: [Check; 11] = [
        Check::Image,
        Check::LastLayer,
        Check::FocusPreferred,
        Check::LesionSelective,
        Check::LesionRandom,
        Check::Enhance,
        Check::Untrained,
        Check::Experiment,
        Check::ClassSet,
        Check::EmotionMap,
        Check::Reference,
    ];

    pub fn parse(name: &str) -> Option<Check> {
        let i = Self::NAMES.iter().position(|n| *n == name)?;
        Some(Self::ALL[i])
    }

    /// Whether the facts satisfy this check.
    pub fn done(self, f: &Facts) -> bool {
        let lesioned = |sel: Selection| {
            f.measures
                .iter()
                .filter(move |m| m.act == Act::Lesion && m.selection == sel && m.units > 0)
        };
        match self {
            Check::Image => f.image,
            Check::LastLayer => f.last_layer,
            Check::FocusPreferred => f.focus_prefers_top,
            Check::LesionSelective => lesioned(Selection::Selective).next().is_some(),
            Check::LesionRandom => lesioned(Selection::Random).any(|r| {
                lesioned(Selection::Selective).any(|s| {
                    (&s.model, &s.image, &s.layer, s.units)
                        == (&r.model, &r.image, &r.layer, r.units)
                })
            }),
            Check::Enhance => f.measures.iter().any(|m| {
                m.act == Act::Enhance && m.selection == Selection::Selective && m.alpha > 0.0
            }),
            Check::Untrained => !f.trained && f.measures.iter().any(|m| !m.trained),
            Check::Experiment => f.experiment_rows > 0,
            Check::ClassSet => f.class_set,
            Check::EmotionMap => f.emotion_map,
            Check::Reference => f.reference,
        }
    }
}

/// What the page knows now, derived from its store.
#[derive(Clone, Debug, Default)]
pub struct Facts<'a> {
    /// An image is in and its readout is shown.
    pub image: bool,
    pub last_layer: bool,
    pub focus_prefers_top: bool,
    /// The model in use learned from ImageNet.
    pub trained: bool,
    pub experiment_rows: usize,
    /// The classroom experiment has results; the emotion map is shown; the shipped full
    /// experiment is open.
    pub class_set: bool,
    pub emotion_map: bool,
    pub reference: bool,
    /// Everything measured in this lesson so far.
    pub measures: &'a [Measure],
}

/// How the units of an intervention were chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Selection {
    /// No units.
    #[default]
    None,
    /// The layer's most selective units for one emotion.
    Selective,
    /// The same number at random (the paper's control).
    Random,
    /// Clicked on the grid, or given by a link.
    Manual,
}

/// The intervention's kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Act {
    #[default]
    None,
    Lesion,
    Enhance,
}

/// One readout the student saw: the image, the network and the intervention, and the emotion
/// probabilities with it and without it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// The lesson step (1-based) it was made in.
    pub step: usize,
    pub model: String,
    pub trained: bool,
    pub image: String,
    pub layer: String,
    pub selection: Selection,
    pub units: usize,
    pub act: Act,
    /// α of an enhancement (gain 1 + α); 0 otherwise.
    pub alpha: f32,
    pub classes: Vec<String>,
    pub readout: Vec<f32>,
    pub baseline: Vec<f32>,
    /// The layer's selective units preferring each class (the profile's top 80 % by SI).
    pub selective: Vec<usize>,
}

impl Measure {
    fn same_condition(&self, o: &Measure) -> bool {
        (self.step, &self.model, &self.image, &self.layer) == (o.step, &o.model, &o.image, &o.layer)
            && (self.selection, self.units, self.act) == (o.selection, o.units, o.act)
            && (self.alpha - o.alpha).abs() < 1e-6
    }

    /// Adds `m` to `list`: a new reading of a condition already measured in this step replaces
    /// it (the readout settles as a slider moves); at most `MAX` are kept, oldest dropped.
    pub fn record(list: &mut Vec<Measure>, m: Measure) {
        const MAX: usize = 200;
        if let Some(i) = list.iter().position(|x| x.same_condition(&m)) {
            list.remove(i);
        }
        list.push(m);
        if list.len() > MAX {
            list.remove(0);
        }
    }

    /// The intervention in words, e.g. `lesion 20 selective units`.
    pub fn describe(&self) -> String {
        let what = match self.selection {
            Selection::None => return "none".into(),
            Selection::Selective => "selective",
            Selection::Random => "random",
            Selection::Manual => "chosen",
        };
        match self.act {
            Act::None => "none".into(),
            Act::Lesion => format!("lesion {} {what} units", self.units),
            Act::Enhance => format!(
                "enhance {} {what} units ×{:.1}",
                self.units,
                1.0 + self.alpha
            ),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn m(sel: Selection, act: Act, units: usize, alpha: f32) -> Measure {
        Measure {
            step: 3,
            model: "vgg".into(),
            trained: true,
            image: "cat.jpg".into(),
            layer: "conv5_3".into(),
            selection: sel,
            units,
            act,
            alpha,
            classes: vec!["pleasant".into(), "neutral".into(), "unpleasant".into()],
            readout: vec![0.5, 0.3, 0.2],
            baseline: vec![0.6, 0.3, 0.1],
            selective: vec![100, 120, 90],
        }
    }

    #[test]
    fn lesion_checks_need_a_matching_random_control() {
        let sel = m(Selection::Selective, Act::Lesion, 20, 0.0);
        let few = m(Selection::Random, Act::Lesion, 5, 0.0);
        let same = m(Selection::Random, Act::Lesion, 20, 0.0);
        fn facts(ms: &[Measure]) -> Facts<'_> {
            Facts {
                measures: ms,
                ..Default::default()
            }
        }
        let list = [sel.clone()];
        assert!(Check::LesionSelective.done(&facts(&list)));
        assert!(!Check::LesionRandom.done(&facts(&list)));
        let list = [sel.clone(), few];
        assert!(
            !Check::LesionRandom.done(&facts(&list)),
            "a different count is no control"
        );
        let mut other = same.clone();
        other.image = "dog.jpg".into();
        let list = [sel.clone(), other];
        assert!(
            !Check::LesionRandom.done(&facts(&list)),
            "another image is no control"
        );
        let list = [sel, same];
        assert!(Check::LesionRandom.done(&facts(&list)));
        assert!(!Check::LesionSelective.done(&facts(&[m(
            Selection::Random,
            Act::Lesion,
            20,
            0.0
        )])));
    }

    #[test]
    fn enhance_untrained_and_state_checks() {
        let f = |ms: &[Measure]| {
            Check::Enhance.done(&Facts {
                measures: ms,
                ..Default::default()
            })
        };
        assert!(
            !f(&[m(Selection::Selective, Act::Enhance, 20, 0.0)]),
            "α = 0 changes nothing"
        );
        assert!(!f(&[m(Selection::Random, Act::Enhance, 20, 2.0)]));
        assert!(f(&[m(Selection::Selective, Act::Enhance, 20, 2.0)]));
        let mut untrained = m(Selection::None, Act::None, 0, 0.0);
        untrained.trained = false;
        let list = [untrained];
        let mut facts = Facts {
            image: true,
            trained: true,
            measures: &list,
            ..Default::default()
        };
        assert!(Check::Image.done(&facts) && !Check::Untrained.done(&facts));
        facts.trained = false;
        assert!(Check::Untrained.done(&facts));
        facts.measures = &[];
        assert!(
            !Check::Untrained.done(&facts),
            "the untrained network must read the image"
        );
        assert!(!Check::Experiment.done(&facts) && !Check::LastLayer.done(&facts));
        facts.experiment_rows = 3;
        facts.last_layer = true;
        facts.focus_prefers_top = true;
        assert!(Check::Experiment.done(&facts) && Check::LastLayer.done(&facts));
        assert!(Check::FocusPreferred.done(&facts));
        for c in [Check::ClassSet, Check::EmotionMap, Check::Reference] {
            assert!(!c.done(&facts));
        }
        (facts.class_set, facts.emotion_map, facts.reference) = (true, true, true);
        for c in [Check::ClassSet, Check::EmotionMap, Check::Reference] {
            assert!(c.done(&facts));
        }
        for (i, n) in Check::NAMES.iter().enumerate() {
            assert_eq!(Check::parse(n), Some(Check::ALL[i]));
        }
        assert_eq!(Check::parse("Image"), None);
    }

    #[test]
    fn a_condition_measured_again_replaces_its_reading() {
        let mut list = Vec::new();
        Measure::record(&mut list, m(Selection::Selective, Act::Enhance, 20, 1.0));
        let mut again = m(Selection::Selective, Act::Enhance, 20, 1.0);
        again.readout = vec![0.7, 0.2, 0.1];
        Measure::record(&mut list, again.clone());
        Measure::record(&mut list, m(Selection::Selective, Act::Enhance, 20, 2.0));
        assert_eq!(list.len(), 2);
        assert_eq!(list[0], again);
        for i in 0..300 {
            Measure::record(&mut list, m(Selection::Manual, Act::Lesion, i, 0.0));
        }
        assert_eq!(list.len(), 200);
        assert_eq!(list[199].units, 299);
        assert_eq!(list[0].describe(), "lesion 100 chosen units");
        assert_eq!(
            m(Selection::Selective, Act::Enhance, 20, 2.0).describe(),
            "enhance 20 selective units ×3.0"
        );
        assert_eq!(m(Selection::None, Act::None, 0, 0.0).describe(), "none");
    }
}
