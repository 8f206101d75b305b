//! The worker's core under a class's worth of mixed requests (natively; `soak.test.mjs` is its
//! browser twin).

use super::test_host::{png, resident_bytes, Driver, File};
use super::Attached;
use crate::analysis::experiment::Part;
use crate::error::ErrorKind;
use crate::model::GainMask;
use crate::protocol::{Event, Request};

/// A class's 45 minutes compressed: 500 mixed requests (new images, analyses, unit maps,
/// lesions, enhancements and α drags, model switches, a profiling run, cancelled and whole
/// experiment jobs) with no error, and memory flat after the warm-up.
#[test]
fn soak_500_mixed_requests() {
    let mut d = Driver::start("alexnet-untrained");
    let (mut model, mut layer, mut n) = ("alexnet-untrained", "conv5", 256usize);
    let files: Vec<File> = (0..6)
        .map(|i| (format!("{i}.png"), png(40 + i, 96, 72)))
        .collect();
    d.analyse(
        GainMask::none(),
        layer,
        Some(("start.png", png(7, 120, 90))),
    )
    .unwrap();
    let (mut warm, mut peak) = (0u64, 0u64);
    let t0 = std::time::Instant::now();
    for i in 0..500u32 {
        let unit = (i as usize * 37) % n;
        match i % 25 {
            0 | 12 => {
                let a = d
                    .analyse(
                        GainMask::none(),
                        layer,
                        Some((&format!("{i}.png"), png(i, 100 + i % 50, 80))),
                    )
                    .unwrap();
                assert!(a.crop.is_some());
            }
            1..=4 => {
                let alpha = 0.5 * (i % 11) as f32;
                let a = d
                    .analyse(
                        GainMask::enhance(layer, n, &[unit, (unit + 1) % n], alpha),
                        layer,
                        None,
                    )
                    .unwrap();
                assert!(a.means.iter().all(|l| l.iter().all(|v| v.is_finite())));
            }
            5 | 6 => {
                d.ask(Request::UnitMap {
                    mask: GainMask::none(),
                    layer: layer.into(),
                    unit,
                })
                .unwrap();
            }
            // VGG-16 for two requests of each hundred (its passes are the slow ones).
            7 | 9 if i % 100 == 7 || i % 100 == 9 => {
                (model, layer, n) = if model == "alexnet-untrained" {
                    ("vgg16-untrained", "conv5_3", 512)
                } else {
                    ("alexnet-untrained", "conv5", 256)
                };
                d.load(model);
            }
            8 if i % 50 == 8 => {
                let r = d
                    .send(
                        Request::Responses { first: 0 },
                        Attached {
                            files: files.clone(),
                            bytes: None,
                        },
                    )
                    .unwrap();
                assert!(matches!(r, Event::Responses { ref failed, .. } if failed.is_empty()));
            }
            9 if i % 50 == 9 => {
                d.send(
                    Request::SetPart { part: Part::Test },
                    Attached {
                        files: files[..3].to_vec(),
                        bytes: None,
                    },
                )
                .unwrap();
                d.core.host.cancel_after.set(Some(0));
                let masks = vec![GainMask::lesion(layer, n, &[unit])];
                let e = d
                    .ask(Request::Features {
                        part: Part::Test,
                        layer: layer.into(),
                        masks: masks.clone(),
                    })
                    .unwrap_err();
                assert_eq!(e.kind, ErrorKind::Cancelled);
                d.core.host.cancel_after.set(None);
                d.ask(Request::Features {
                    part: Part::Test,
                    layer: layer.into(),
                    masks,
                })
                .unwrap();
            }
            _ => {
                let units: Vec<usize> = (0..1 + i as usize % 20)
                    .map(|k| (unit + 13 * k) % n)
                    .collect();
                let mask = if i % 2 == 0 {
                    GainMask::lesion(layer, n, &units)
                } else {
                    GainMask::none()
                };
                d.analyse(mask, layer, None).unwrap();
            }
        }
        d.take_events();
        if i == 99 {
            warm = resident_bytes();
        }
        if i >= 100 {
            peak = peak.max(resident_bytes());
        }
    }
    let end = resident_bytes();
    eprintln!(
        "soak: 500 requests in {:.1} s; resident memory after the warm-up (100 requests) {:.0} MB, \
         peak after it {:.0} MB, at the end {:.0} MB",
        t0.elapsed().as_secs_f64(),
        warm as f64 / 1e6,
        peak as f64 / 1e6,
        end as f64 / 1e6
    );
    if warm > 0 {
        assert!(
            end <= warm + (64 << 20),
            "memory grew: {warm} → {end} bytes"
        );
    }
}
