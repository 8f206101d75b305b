//! Which network a visit starts on, and what carries over when the lab switches network. No
//! DOM here: the page asks (`crate::ui`, wasm only), this module decides.
//!
//! A first visit on a slow link should not watch a 50 MB download before anything happens: with
//! no model in the link and the paper's VGG-16 not yet in the browser's cache, the lab starts
//! on ImageNet AlexNet (8.4 MB packed, the paper's second network) and fetches VGG-16 behind it,
//! then switches, announced. A lesson (written around VGG-16's conv5_3), a model named in the
//! link and a returning visitor start on VGG-16 as before.

use crate::labview::{selective_units, UnitSummary};
use crate::lesson::Selection;

/// The paper's network, the site's default.
pub const PAPER_MODEL: &str = "vgg16-imagenet-conv";
/// The quick start of a first visit.
pub const QUICK_MODEL: &str = "alexnet-imagenet-conv";

/// Where a visit starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Start {
    pub model: String,
    /// The model to fetch behind it and switch to once it is in the cache.
    pub then: Option<String>,
    /// The quick start was chosen, but the browser asks to save data: no background download.
    pub held_back: bool,
}

/// What the page knows at start-up.
#[derive(Clone, Copy, Debug, Default)]
pub struct Visit<'a> {
    /// The `model` of the link, when it names a model of the manifest.
    pub asked: Option<&'a str>,
    /// A guided lesson was asked for (its text is written around VGG-16).
    pub lesson: bool,
    /// The manifest lists the paper's model and the quick one with weights files.
    pub has_paper: bool,
    pub has_quick: bool,
    /// The paper's weights are already in this browser's cache (a returning visitor).
    pub paper_cached: bool,
    /// The browser's Save-Data setting (`navigator.connection.saveData`).
    pub save_data: bool,
}

/// The model a visit starts on.
pub fn start(v: Visit) -> Start {
    let plain = |m: &str| Start {
        model: m.to_string(),
        then: None,
        held_back: false,
    };
    if let Some(m) = v.asked {
        return plain(m);
    }
    if v.lesson || v.paper_cached || !v.has_quick || !v.has_paper {
        return plain(PAPER_MODEL);
    }
    Start {
        model: QUICK_MODEL.to_string(),
        then: (!v.save_data).then(|| PAPER_MODEL.to_string()),
        held_back: v.save_data,
    }
}

/// The layer of `to` at the same relative depth as `layer` in `from` (AlexNet's conv5 is
/// VGG-16's conv5_3, its conv4 is conv4_3, its conv1 is conv1_1).
pub fn same_depth(from: &[String], to: &[String], layer: &str) -> Option<String> {
    let i = from.iter().position(|l| l == layer)?;
    let last = to.len().checked_sub(1)?;
    let j = if from.len() < 2 {
        last
    } else {
        (i * last + (from.len() - 1) / 2) / (from.len() - 1)
    };
    to.get(j).cloned()
}

/// The emotion most of `selected` prefer (ties: the first), from a layer's summaries.
pub fn preferred_of(layer: &[UnitSummary], selected: &[usize]) -> Option<usize> {
    let mut counts = [0usize; 8];
    for s in selected.iter().filter_map(|&u| layer.get(u)) {
        if s.preferred < counts.len() {
            counts[s.preferred] += 1;
        }
    }
    let best = counts.iter().copied().max()?;
    (best > 0).then(|| counts.iter().position(|&c| c == best).expect("max is in"))
}

/// How a selection is remade on another network's layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Carry {
    /// Nothing was selected.
    Nothing,
    /// The `count` most selective units for `emotion` (capped by what the layer has).
    Selective { emotion: usize, count: usize },
    /// `count` random units (the control), drawn anew.
    Random { count: usize },
    /// Units picked by hand: they mean nothing in another network, so they are cleared.
    Cleared,
}

/// What to remake, from the selection on the old layer and its profile's summaries.
pub fn carry(selection: Selection, selected: &[usize], old_layer: &[UnitSummary]) -> Carry {
    if selected.is_empty() {
        return Carry::Nothing;
    }
    match selection {
        Selection::Selective => match preferred_of(old_layer, selected) {
            Some(emotion) => Carry::Selective {
                emotion,
                count: selected.len(),
            },
            None => Carry::Cleared,
        },
        Selection::Random => Carry::Random {
            count: selected.len(),
        },
        Selection::None | Selection::Manual => Carry::Cleared,
    }
}

/// The new layer's units for a [`Carry::Selective`].
pub fn remake_selective(new_layer: &[UnitSummary], emotion: usize, count: usize) -> Vec<usize> {
    selective_units(new_layer, emotion, Some(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_first_visit_starts_quick_and_fetches_the_paper_model() {
        let v = Visit {
            has_paper: true,
            has_quick: true,
            ..Visit::default()
        };
        let s = start(v);
        assert_eq!(s.model, QUICK_MODEL);
        assert_eq!(s.then.as_deref(), Some(PAPER_MODEL));
        assert!(!s.held_back);
        // Save-Data: the quick start only, and the page says why.
        let s = start(Visit {
            save_data: true,
            ..v
        });
        assert_eq!(
            (s.model.as_str(), s.then, s.held_back),
            (QUICK_MODEL, None, true)
        );
    }

    #[test]
    fn links_lessons_and_returning_visitors_start_on_the_paper_model() {
        let v = Visit {
            has_paper: true,
            has_quick: true,
            ..Visit::default()
        };
        let asked = start(Visit {
            asked: Some("alexnet-untrained"),
            ..v
        });
        assert_eq!(
            (asked.model.as_str(), asked.then),
            ("alexnet-untrained", None)
        );
        for w in [
            Visit { lesson: true, ..v },
            Visit {
                paper_cached: true,
                ..v
            },
            Visit {
                has_quick: false,
                ..v
            },
        ] {
            assert_eq!(start(w).model, PAPER_MODEL);
            assert_eq!(start(w).then, None);
        }
    }

    #[test]
    fn layers_map_by_relative_depth() {
        let alex = names(&["conv1", "conv2", "conv3", "conv4", "conv5"]);
        let vgg = names(&[
            "conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3", "conv4_1",
            "conv4_2", "conv4_3", "conv5_1", "conv5_2", "conv5_3",
        ]);
        let map = |l| same_depth(&alex, &vgg, l).unwrap();
        // i × 12 / 4, rounded: 0, 3, 6, 9, 12.
        assert_eq!(
            ["conv1", "conv2", "conv3", "conv4", "conv5"].map(map),
            ["conv1_1", "conv2_2", "conv3_3", "conv4_3", "conv5_3"]
        );
        // Back: i × 4 / 12, rounded half up: conv3_1 (4) is 1.33 → conv2.
        assert_eq!(same_depth(&vgg, &alex, "conv3_1").unwrap(), "conv2");
        assert_eq!(same_depth(&vgg, &alex, "conv5_3").unwrap(), "conv5");
        assert_eq!(same_depth(&alex, &vgg, "fc6"), None);
        assert_eq!(same_depth(&names(&["a"]), &vgg, "a").unwrap(), "conv5_3");
    }

    fn unit(preferred: usize, si: f32) -> UnitSummary {
        UnitSummary {
            si,
            preferred,
            p_null: 0.0,
            selected: true,
            tuning: Vec::new(),
            mean: 0.0,
            sd: 1.0,
            affect_r: None,
            genuine: None,
        }
    }

    #[test]
    fn a_selection_carries_by_kind() {
        let old = vec![unit(0, 1.0), unit(2, 0.9), unit(2, 0.8)];
        assert_eq!(
            carry(Selection::Selective, &[1, 2, 0], &old),
            Carry::Selective {
                emotion: 2,
                count: 3
            }
        );
        assert_eq!(
            carry(Selection::Random, &[0, 1], &old),
            Carry::Random { count: 2 }
        );
        assert_eq!(carry(Selection::Manual, &[0], &old), Carry::Cleared);
        assert_eq!(carry(Selection::Selective, &[], &old), Carry::Nothing);
        // Ties go to the first emotion; no profile leaves nothing to carry.
        assert_eq!(preferred_of(&old, &[0, 1]), Some(0));
        assert_eq!(carry(Selection::Selective, &[0], &[]), Carry::Cleared);
        let new = vec![unit(2, 0.5), unit(1, 2.0), unit(2, 1.5)];
        assert_eq!(remake_selective(&new, 2, 1), vec![2]);
    }
}
