//! The worker's core driven natively with real requests on the CPU (through
//! [`super::test_host`]).

use super::test_host::{png, profile, Driver, File};
use super::Attached;
use crate::analysis::experiment::Part;
use crate::error::{ErrorKind, Failure};
use crate::model::GainMask;
use crate::protocol::{BackendChoice, Envelope, Event, Request, RequestKind};
use crate::weights::manifest::Manifest;
use std::sync::atomic::Ordering;

#[test]
fn nothing_runs_before_the_engine_and_the_model() {
    let mut d = Driver::new();
    let e = d
        .analyse(GainMask::none(), "conv5", Some(("a.png", png(1, 64, 48))))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotReady, "{e:?}");
    d.ask(Request::Init {
        backend: BackendChoice::Auto,
        pool: false,
    })
    .unwrap();
    assert!(matches!(
        d.take_events()[..],
        [Event::Backend { gpu: false, .. }]
    ));
    let e = d.analyse(GainMask::none(), "conv5", None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotReady);
    let e = d
        .ask(Request::EmotionMaps {
            mask: GainMask::none(),
        })
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotReady);
}

#[test]
fn one_request_takes_an_image_to_its_readout_and_interventions_act_on_the_units() {
    let mut d = Driver::start("alexnet-untrained");
    d.ask(Request::SetProfile(Some(Box::new(profile(
        "alexnet-untrained",
    )))))
    .unwrap();
    let a = d
        .analyse(
            GainMask::none(),
            "conv5",
            Some(("cat.png", png(2, 300, 200))),
        )
        .unwrap();
    assert_eq!(a.image, "cat.png");
    assert_eq!(a.means.len(), 5);
    assert_eq!(a.means[4].len(), 256);
    assert!(
        a.crop.is_some(),
        "the first analysis of an image sends its crop"
    );
    let probs = a.readout.clone().expect("a profile gives a readout");
    assert!((probs.iter().sum::<f32>() - 1.0).abs() < 1e-4, "{probs:?}");
    assert_eq!(a.baseline, a.readout);
    assert_eq!(a.top5.len(), 5, "AlexNet untrained has a classifier");

    // Lesion: the units' means are 0; the layers below are untouched.
    let units = [0usize, 7, 42];
    let live: Vec<usize> = (0..256).filter(|u| a.means[4][*u] > 0.0).take(3).collect();
    assert!(!live.is_empty());
    let les = d
        .analyse(GainMask::lesion("conv5", 256, &live), "conv5", None)
        .unwrap();
    assert!(les.crop.is_none(), "the crop is sent once per image");
    for u in &live {
        assert_eq!(les.means[4][*u], 0.0);
    }
    assert_eq!(les.means[..4], a.means[..4]);
    assert_eq!(
        les.baseline, a.readout,
        "the unmasked readout comes with it"
    );
    // Enhance by α = 1.5: the means scale by 2.5 exactly (the gain acts after ReLU).
    let enh = d
        .analyse(GainMask::enhance("conv5", 256, &units, 1.5), "conv5", None)
        .unwrap();
    for u in units {
        let want = 2.5 * a.means[4][u];
        assert!(
            (enh.means[4][u] - want).abs() <= 1e-5 * want.abs().max(1.0),
            "unit {u}"
        );
    }
    // Lesion in conv3 changes the layers above it.
    let low = d
        .analyse(GainMask::lesion("conv3", 384, &live), "conv3", None)
        .unwrap();
    assert_eq!(low.means[..2], a.means[..2]);
    assert_ne!(low.means[3], a.means[3]);
    // Reset: the unmasked pass gives the first answer again, exactly.
    let back = d.analyse(GainMask::none(), "conv5", None).unwrap();
    assert_eq!(back.means, a.means);
    assert_eq!(back.readout, a.readout);

    // A unit's map: its mean is the unit's mean.
    let Event::Map { h, w, values, .. } = d
        .ask(Request::UnitMap {
            mask: GainMask::none(),
            layer: "conv5".into(),
            unit: 42,
        })
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(values.len(), h * w);
    let mean = values.iter().map(|v| *v as f64).sum::<f64>() / values.len() as f64;
    let largest = a.means[4].iter().cloned().fold(0f32, f32::max) as f64;
    assert!((mean - a.means[4][42] as f64).abs() <= 1e-5 * largest);
    let e = d
        .ask(Request::UnitMap {
            mask: GainMask::none(),
            layer: "conv5".into(),
            unit: 256,
        })
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(e.message.contains("conv5 has 256 units"), "{e:?}");
}

#[test]
fn a_bad_image_is_refused_and_the_previous_one_stays() {
    let mut d = Driver::start("alexnet-untrained");
    let a = d
        .analyse(
            GainMask::none(),
            "conv5",
            Some(("first.png", png(3, 100, 100))),
        )
        .unwrap();
    for bad in [
        b"not an image at all".to_vec(),
        png(3, 100, 100)[..60].to_vec(),
        Vec::new(),
    ] {
        let e = d
            .analyse(GainMask::none(), "conv5", Some(("broken.png", bad)))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadInput, "{e:?}");
        assert!(e.message.starts_with("broken.png: "), "{e:?}");
    }
    let b = d.analyse(GainMask::none(), "conv5", None).unwrap();
    assert_eq!(b.image, "first.png");
    assert_eq!(b.means, a.means);
    // A different image gives different means (the test can tell images apart).
    let c = d
        .analyse(
            GainMask::none(),
            "conv5",
            Some(("other.png", png(9, 80, 120))),
        )
        .unwrap();
    assert_ne!(c.means, a.means);
}

#[test]
fn a_lost_device_moves_to_the_cpu_and_keeps_the_model_image_and_profile() {
    let mut d = Driver::start("alexnet-untrained");
    d.ask(Request::SetProfile(Some(Box::new(profile(
        "alexnet-untrained",
    )))))
    .unwrap();
    let a = d
        .analyse(GainMask::none(), "conv5", Some(("x.png", png(4, 90, 90))))
        .unwrap();
    d.take_events();
    // The device reports a loss (the host's callback sets the flag and queues a Recover).
    let flag = d.core.host.device.borrow().clone().unwrap();
    flag.store(true, Ordering::SeqCst);
    assert_eq!(d.ask(Request::Recover).unwrap(), Event::Done);
    let ev = d.take_events();
    assert!(
        ev.iter().any(
            |e| matches!(e, Event::Backend { reason, .. } if reason.contains("GPU stopped working"))
        ),
        "{ev:?}"
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Notice(n) if n.contains("same model, image"))),
        "{ev:?}"
    );
    let b = d.analyse(GainMask::none(), "conv5", None).unwrap();
    assert_eq!(
        (b.image.as_str(), &b.means, &b.readout),
        ("x.png", &a.means, &a.readout)
    );
    // Nothing lost: Recover does nothing.
    assert_eq!(d.ask(Request::Recover).unwrap(), Event::Done);
    assert!(d.take_events().is_empty());
    // The page's test hook: destroy the device on purpose.
    assert_eq!(d.ask(Request::LoseGpu).unwrap(), Event::Lost(true));
    let c = d.analyse(GainMask::none(), "conv5", None).unwrap();
    assert_eq!(c.means, a.means);
}

#[test]
fn a_cancelled_job_stops_with_its_kind_and_the_worker_goes_on() {
    let mut d = Driver::start("alexnet-untrained");
    let files: Vec<File> = (0..20)
        .map(|i| (format!("{i}.png"), png(i, 64, 64)))
        .collect();
    d.core.host.cancel_after.set(Some(1));
    let e = d
        .send(
            Request::Responses { first: 0 },
            Attached {
                files: files.clone(),
                bytes: None,
            },
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Cancelled);
    let progress = d
        .take_events()
        .iter()
        .filter(|e| matches!(e, Event::Progress { .. }))
        .count();
    assert_eq!(progress, 2, "it stopped at the second batch of three");
    d.core.host.cancel_after.set(None);
    let Event::Responses {
        first,
        responses,
        failed,
    } = d
        .send(
            Request::Responses { first: 5 },
            Attached {
                files: files[..3].to_vec(),
                bytes: None,
            },
        )
        .unwrap()
    else {
        panic!()
    };
    assert_eq!((first, responses.n_images, failed.len()), (5, 3, 0));

    // The experiment's features: cancelled, then whole.
    d.send(
        Request::SetPart { part: Part::Val },
        Attached {
            files: files[..4].to_vec(),
            bytes: None,
        },
    )
    .unwrap();
    let masks = vec![GainMask::none(), GainMask::lesion("conv5", 256, &[1, 2, 3])];
    d.core.host.cancel_after.set(Some(0));
    let e = d
        .ask(Request::Features {
            part: Part::Val,
            layer: "conv5".into(),
            masks: masks.clone(),
        })
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Cancelled);
    d.core.host.cancel_after.set(None);
    let Event::Features(block) = d
        .ask(Request::Features {
            part: Part::Val,
            layer: "conv5".into(),
            masks,
        })
        .unwrap()
    else {
        panic!()
    };
    let rows = block.into_rows().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].len(), 4);
    assert_ne!(rows[0], rows[1], "the lesion changes the readout features");
}

#[test]
fn unknown_requests_and_replies_that_do_not_fit_are_errors() {
    let e = Envelope::<Request>::from_json(r#"{"id":3,"body":{"Teleport":{"to":"Mars"}}}"#)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Failed);
    assert!(e.message.starts_with("bad protocol message"), "{e:?}");
    let analyse = RequestKind::Analyse;
    assert!(!analyse.accepts(&Event::Done));
    assert!(!analyse.accepts(&Event::Progress { done: 1, total: 2 }));
    assert!(analyse.accepts(&Event::Error(Failure::cancelled())));
    assert!(!RequestKind::Init.accepts(&Event::Memory(1)));
    assert!(RequestKind::Memory.accepts(&Event::Memory(1)));
    // A weights file that is not one.
    let mut d = Driver::start("alexnet-untrained");
    let req = Request::CheckWeights {
        name: "w.safetensors".into(),
        manifest: Manifest::builtin(),
    };
    let e = d
        .send(
            req,
            Attached {
                files: vec![("w.safetensors".into(), b"nonsense".to_vec())],
                bytes: None,
            },
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(
        e.message.contains("expected a .safetensors weights file"),
        "{e:?}"
    );
    // A download that fails says so with its kind.
    let e = d
        .ask(Request::Prefetch {
            file: "vgg16-imagenet-conv.safetensors".into(),
            sha256: "00".into(),
        })
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Download);
}
