//! The two binaries agree on the protocol: every message survives JSON exactly.

use super::*;
use crate::analysis::dataset::Dataset;
use crate::analysis::experiment::Part;

fn round_trip<T>(body: T)
where
    T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug + Clone,
{
    let env = Envelope { id: 42, body };
    let back = Envelope::<T>::from_json(&env.to_json()).expect("parses");
    assert_eq!(back, env);
}

fn responses() -> Responses {
    Responses {
        layers: vec!["conv1".into()],
        units: vec![2],
        n_images: 2,
        data: vec![vec![0.1, f32::MIN_POSITIVE, 1e-45, 3.402_823_5e38]],
        features: vec![1.0 / 3.0, -0.0],
        feature_dim: 1,
        feature_source: "conv1 spatial means".into(),
    }
}

#[test]
fn every_request_round_trips() {
    let mask = GainMask::enhance("conv5_3", 512, &[1, 7, 300], 0.7);
    for r in [
        Request::Init {
            backend: BackendChoice::Auto,
            pool: true,
        },
        Request::LoadModel {
            entry: Box::new(Manifest::builtin().models[0].clone()),
            from_file: false,
        },
        Request::CheckWeights {
            name: "my.safetensors".into(),
            manifest: Manifest::builtin(),
        },
        Request::SetProfile(None),
        Request::Prefetch {
            file: "vgg16-imagenet-conv.safetensors".into(),
            sha256: "ab".repeat(32),
        },
        Request::Analyse {
            mask: mask.clone(),
            layer: "conv5_3".into(),
            baseline: true,
            image: Some("cat.png".into()),
        },
        Request::UnitMap {
            mask: GainMask::none(),
            layer: "conv1_1".into(),
            unit: 3,
        },
        Request::Crops,
        Request::EmotionMaps {
            mask: GainMask::lesion("conv5_3", 4, &[1]),
        },
        Request::Responses { first: 16 },
        Request::SetPart { part: Part::Test },
        Request::Features {
            part: Part::Val,
            layer: "conv5_3".into(),
            masks: vec![mask, GainMask::lesion("conv5_3", 512, &[0])],
        },
        Request::LoseGpu,
        Request::Recover,
        Request::Crash,
        Request::Memory,
    ] {
        round_trip(r);
    }
}

#[test]
fn every_event_round_trips_with_exact_floats() {
    // Values chosen to break a lossy float format: a third, subnormals, the largest f32, -0.
    let analysis = Analysis {
        image: "x.png".into(),
        means: vec![vec![1.0 / 3.0, 1e-45, 3.402_823_5e38], vec![-0.0]],
        readout: Some(vec![0.2, 0.3, 0.5]),
        baseline: None,
        affect: Some([4.25, 3.5]),
        affect_baseline: None,
        top5: vec![("tabby, tabby cat".into(), 0.123_456_79)],
        crop: Some(vec![0, 255, 17]),
        forward_ms: 12.5,
    };
    for e in [
        Event::Backend {
            label: "CPU (burn flex)".into(),
            reason: "asked".into(),
            gpu: false,
        },
        Event::Ready,
        Event::Status("loading".into()),
        Event::Crops(vec![None, Some(vec![1, 2, 3])]),
        Event::Download { got: 1, total: 2 },
        Event::Prefetching { got: 3, total: 4 },
        Event::Progress { done: 3, total: 9 },
        Event::Notice("hi".into()),
        Event::Analysis(Box::new(analysis)),
        Event::Map {
            layer: "conv1_1".into(),
            unit: 0,
            h: 1,
            w: 2,
            values: vec![0.5, 1.0 / 7.0],
        },
        Event::Responses {
            first: 8,
            responses: Box::new(responses()),
            failed: vec![(9, "not an image".into())],
        },
        Event::Features(FeatureBlock::from_rows(&vec![
            vec![vec![0.1, 0.2]],
            vec![vec![1e-40, 3.0]],
        ])),
        Event::EmotionMaps {
            before: vec![crate::analysis::emotion_map::EmotionMap {
                emotion: 1,
                h: 1,
                w: 2,
                values: vec![0.5, -1.25],
                constant: 0.1,
            }],
            after: None,
        },
        Event::Lost(true),
        Event::Memory(1 << 33),
        Event::Done,
        Event::Error(Failure::new(ErrorKind::GpuLost, "Destroyed")),
    ] {
        round_trip(e);
    }
    // The bits themselves, not just equality (which -0.0 == 0.0 would hide).
    let env = Envelope {
        id: 1,
        body: Event::Features(FeatureBlock::from_rows(&vec![vec![vec![-0.0, 1e-45]]])),
    };
    match Envelope::<Event>::from_json(&env.to_json()).unwrap().body {
        Event::Features(f) => {
            assert_eq!(f.data[0].to_bits(), (-0.0f32).to_bits());
            assert_eq!(f.data[1].to_bits(), 1e-45f32.to_bits());
        }
        other => panic!("wrong event {other:?}"),
    }
}

#[test]
fn bulk_moves_out_and_back_exactly() {
    let mut ev = Event::Responses {
        first: 0,
        responses: Box::new(responses()),
        failed: vec![],
    };
    let original = ev.clone();
    let bulk = ev.take_bulk();
    assert_eq!(bulk.len(), 4 + 2);
    // What is left is small JSON: no floats of the data.
    match &ev {
        Event::Responses { responses, .. } => {
            assert!(responses.data[0].is_empty() && responses.features.is_empty())
        }
        _ => unreachable!(),
    }
    let mut back = Envelope::<Event>::from_json(&Envelope { id: 3, body: ev }.to_json())
        .unwrap()
        .body;
    back.put_bulk(bulk.clone()).unwrap();
    assert_eq!(back, original);
    // A buffer of the wrong size is refused, not misread.
    let mut short = original.clone();
    short.take_bulk();
    assert!(short.put_bulk(bulk[1..].to_vec()).is_err());

    // An analysis's crop travels beside the JSON, and only a whole crop is put back.
    let crop: Vec<u8> = (0..crate::limits::CROP.pow(2) * 3)
        .map(|i| (i * 7 % 256) as u8)
        .collect();
    let with_crop = Event::Analysis(Box::new(Analysis {
        image: "x.png".into(),
        means: vec![vec![0.5]],
        readout: None,
        baseline: None,
        affect: None,
        affect_baseline: None,
        top5: vec![],
        crop: Some(crop),
        forward_ms: 1.0,
    }));
    let mut ev = with_crop.clone();
    let bulk = ev.take_bulk();
    let json = Envelope { id: 4, body: ev }.to_json();
    assert!(json.contains("\"crop\":[]"), "no crop bytes in the JSON");
    let mut back = Envelope::<Event>::from_json(&json).unwrap().body;
    let mut short = back.clone();
    back.put_bulk(bulk.clone()).unwrap();
    assert_eq!(back, with_crop);
    assert!(short.put_bulk(bulk[1..].to_vec()).is_err());
    let mut no_crop = Event::Analysis(Box::new(Analysis {
        crop: None,
        ..match &with_crop {
            Event::Analysis(a) => (**a).clone(),
            _ => unreachable!(),
        }
    }));
    assert!(no_crop.take_bulk().is_empty());

    let rows = vec![
        vec![vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]],
        vec![vec![7.0, 8.0], vec![9.0, 10.0], vec![11.0, 12.0]],
    ];
    let mut ev = Event::Features(FeatureBlock::from_rows(&rows));
    let bulk = ev.take_bulk();
    assert_eq!(bulk, (1..=12).map(|x| x as f32).collect::<Vec<_>>());
    ev.put_bulk(bulk).unwrap();
    match ev {
        Event::Features(b) => assert_eq!(b.into_rows().unwrap(), rows),
        _ => unreachable!(),
    }
    let bad = FeatureBlock {
        masks: 2,
        images: 1,
        dim: 2,
        data: vec![1.0],
    };
    assert!(bad.into_rows().is_err());

    let mut req = Request::BuildProfile {
        model: "m".into(),
        dataset: Box::new(Dataset {
            spec: "folder:x".into(),
            classes: vec!["a".into()],
            items: vec![],
            skipped: vec![],
        }),
        responses: Box::new(responses()),
    };
    let original = req.clone();
    let bulk = req.take_bulk();
    req.put_bulk(bulk).unwrap();
    assert_eq!(req, original);
    assert!(Request::LoseGpu.take_bulk().is_empty());
}

#[test]
fn finality_and_kinds() {
    assert!(!Event::Progress { done: 1, total: 2 }.is_final());
    assert!(!Event::Notice(String::new()).is_final());
    assert!(Event::Done.is_final());
    assert!(Event::Error(Failure::cancelled()).is_final());
    assert_eq!(Failure::cancelled().kind, ErrorKind::Cancelled);
    assert_eq!(Failure::from("x").kind, ErrorKind::Failed);
    assert_eq!(
        Failure::bad_input("bad").context("a.png").message,
        "a.png: bad"
    );
    assert_eq!(BackendChoice::from_param(Some("cpu")), BackendChoice::Cpu);
    assert_eq!(
        BackendChoice::from_param(Some("webgpu")),
        BackendChoice::WebGpu
    );
    assert_eq!(BackendChoice::from_param(Some("x")), BackendChoice::Auto);
}

#[test]
fn malformed_messages_are_errors_not_panics() {
    for bad in [
        "",
        "{",
        r#"{"id":1,"body":"Nope"}"#,
        r#"{"id":-1,"body":"Done"}"#,
    ] {
        let e = Envelope::<Event>::from_json(bad).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Failed);
        assert!(e.message.starts_with("bad protocol message"), "{e}");
    }
}
