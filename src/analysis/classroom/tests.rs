//! The classroom experiment on a hand-made profile and set, checked against values worked out by
//! hand.

use super::*;
use crate::analysis::experiment::FeatureRows;
use crate::analysis::head::Head;
use crate::analysis::profile::{LayerProfile, ReadoutProfile, UnitProfile};
use crate::analysis::split::Split;
use crate::model::GainMask;

fn classes() -> Vec<String> {
    ["pleasant", "neutral", "unpleasant"]
        .map(String::from)
        .to_vec()
}

/// Layer `c` with 3 units, unit e selective for emotion e; the readout is `c`'s spatial means,
/// head e says "e" when unit e's response exceeds 0.5.
fn profile() -> Profile {
    let unit = |e: usize| UnitProfile {
        si: 1.0,
        preferred: e,
        tuning: vec![0.0; 3],
        selected: true,
        p_null: 0.0,
        affect_r: None,
        genuine: None,
    };
    let head = |e: usize| {
        let mut weight = vec![0.0; 6];
        weight[2 * e + 1] = 1.0;
        Head {
            weight,
            bias: vec![0.0, -0.5],
        }
    };
    Profile {
        version: 1,
        model: "toy".into(),
        dataset: "toy".into(),
        classes: classes(),
        thresholds: None,
        seed: 7,
        images: Vec::new(),
        labels: Vec::new(),
        split: Split {
            train: Vec::new(),
            val: Vec::new(),
            test: Vec::new(),
        },
        statistics_from: String::new(),
        top_fraction: 1.0,
        n_permutations: 0,
        layers: vec![LayerProfile {
            name: "c".into(),
            units: (0..3).map(unit).collect(),
            null_threshold95: 0.0,
            share_significant: 1.0,
            response_mean: vec![0.0; 3],
            response_sd: vec![1.0; 3],
        }],
        readout: ReadoutProfile {
            features: "c spatial means".into(),
            feature_mean: vec![0.0; 3],
            feature_sd: vec![1.0; 3],
            binary: (0..3).map(head).collect(),
            joint: head(0),
            f1_binary: vec![0.0; 3],
            f1_joint: vec![0.0; 3],
            f1_joint_macro: 0.0,
        },
        affect: Vec::new(),
        ratings: Vec::new(),
        genuine_from: None,
    }
}

/// Six pictures, two per emotion; the second pleasant one drives unit 0 only weakly (0.4).
struct Toy(Vec<Vec<f32>>, usize);

impl Features for Toy {
    async fn under(
        &mut self,
        layer: &str,
        part: Part,
        masks: &[GainMask],
    ) -> Result<FeatureRows, Failure> {
        assert_eq!(part, Part::Test, "the classroom set is the test part");
        self.1 += masks.len();
        Ok(masks
            .iter()
            .map(|m| {
                let g = m.get(layer).map_or(vec![1.0; 3], |g| g.to_vec());
                self.0
                    .iter()
                    .map(|r| r.iter().zip(&g).map(|(v, g)| v * g).collect())
                    .collect()
            })
            .collect())
    }
}

fn toy() -> Toy {
    let one = |e: usize, v: f32| (0..3).map(|j| if j == e { v } else { 0.0 }).collect();
    Toy(
        vec![
            one(0, 1.0),
            one(0, 0.4),
            one(1, 1.0),
            one(1, 1.0),
            one(2, 1.0),
            one(2, 1.0),
        ],
        0,
    )
}

#[test]
fn lesion_and_enhance_on_the_set_by_hand() {
    let p = profile();
    let labels = [0, 0, 1, 1, 2, 2];
    let mut src = toy();
    let out = pollster_free(run_set(&mut src, &p, "c", &[1.0, 1.0, 1.0], &labels, 5)).unwrap();
    // The readout's own layer: only the baseline pass runs, every mask scales its features.
    assert_eq!(src.1, 1);
    let pl = &out.rows[0];
    // Pleasant: one of two found, no false alarm: F1 = 2·1 / (2·1 + 1) = 2/3.
    assert!((pl.f1_before - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(pl.f1_lesion, 0.0);
    // α = 1 doubles unit 0: 0.4 → 0.8 > 0.5, both found.
    assert_eq!(pl.f1_enhance, 1.0);
    assert_eq!((pl.n_units, pl.best_alpha), (1, 1.0));
    // Neutral: both found before; its own lesion loses both.
    assert_eq!((out.rows[1].f1_before, out.rows[1].f1_lesion), (1.0, 0.0));
    // A random draw of 1 of 3 units hits the emotion's unit or not: F1 is 0 or as before.
    for r in &out.rows {
        assert!(r.control_lesion.mean <= r.f1_before + 1e-12);
        assert!(r.control_lesion.mean >= 0.0);
    }
    // Picture 0: sigmoid(1 − 0.5) before, sigmoid(0 − 0.5) lesioned.
    let s = |x: f32| 1.0 / (1.0 + (-x).exp());
    assert!((out.images[0].before - s(0.5)).abs() < 1e-6);
    assert!((out.images[0].lesion - s(-0.5)).abs() < 1e-6);
    assert!((out.images[1].before - s(-0.1)).abs() < 1e-6);
    assert_eq!(out.images.len(), 6);
    let r = out.images[0].random;
    assert!((s(-0.5)..=s(0.5)).contains(&r));
}

#[test]
fn wrong_inputs_are_refused() {
    let p = profile();
    let mut src = toy();
    let e = pollster_free(run_set(&mut src, &p, "nope", &[1.0; 3], &[0; 6], 5)).unwrap_err();
    assert_eq!(e.kind, crate::protocol::ErrorKind::BadInput);
    let e = pollster_free(run_set(&mut src, &p, "c", &[1.0; 3], &[0; 5], 5)).unwrap_err();
    assert!(e.message.contains("number of images"), "{e}");
    assert!(pollster_free(run_set(&mut src, &p, "c", &[1.0; 2], &[0; 6], 5)).is_err());
}

#[test]
fn manifest_checks() {
    let img = |f: &str, c: &str| {
        format!(
            r#"{{"file":"{f}","theme":"T 1","category":"Object","valence":4.0,"arousal":3.0,"class":"{c}","source":"Pixabay"}}"#
        )
    };
    let set = |imgs: &[String]| format!(r#"{{"name":"s","images":[{}]}}"#, imgs.join(","));
    let ok = ClassroomSet::parse(&set(&[
        img("a.jpg", "pleasant"),
        img("b.jpg", "unpleasant"),
    ]))
    .unwrap();
    assert_eq!(ok.labels(&classes()).unwrap(), vec![0, 2]);
    assert_eq!(ok.counts(&classes()), vec![1, 0, 1]);
    let odd = ClassroomSet::parse(&set(&[img("a.jpg", "happy")])).unwrap();
    assert!(odd
        .labels(&classes())
        .unwrap_err()
        .message
        .contains("`happy`"));
    for bad in [
        set(&[]),
        set(&[img("a.jpg", "pleasant"), img("a.jpg", "neutral")]),
        set(&[img("../x.jpg", "pleasant")]),
        "{".to_string(),
    ] {
        let e = ClassroomSet::parse(&bad).unwrap_err();
        assert_eq!(e.kind, crate::protocol::ErrorKind::BadInput, "{bad}");
    }
}

#[test]
fn alphas_from_the_shipped_rows() {
    let row = |layer: &str, emotion: &str, a: f32| ConditionResult {
        layer: layer.into(),
        emotion: emotion.into(),
        n_units: 1,
        f1_before: 0.0,
        f1_lesion: 0.0,
        f1_enhance: 0.0,
        best_alpha: a,
        control_lesion: super::super::experiment::MeanSd::of(&[0.0]),
        control_enhance: super::super::experiment::MeanSd::of(&[0.0]),
        val_f1_by_alpha: Vec::new(),
    };
    let shipped = [
        row("c", "pleasant", 0.3),
        row("c", "neutral", 2.5),
        row("d", "unpleasant", 4.0),
    ];
    assert_eq!(
        alphas_for(&shipped, "c", &classes()),
        vec![0.3, 2.5, DEFAULT_ALPHA]
    );
    assert_eq!(
        set_masks(&profile(), "c", &[0.3, 2.5, 1.0], 5),
        Ok(1 + 3 * 12)
    );
    assert!(set_masks(&profile(), "x", &[1.0; 3], 5).is_err());
}

/// Runs a future that never waits (the toy source answers at once).
fn pollster_free<T>(f: impl std::future::Future<Output = T>) -> T {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("the toy source never waits"),
    }
}
