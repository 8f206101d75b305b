//! The worker's core driven natively with real requests on the CPU, through a host that keeps
//! the interim events, reads files from memory, simulates a device that can be lost and a page
//! that cancels.

use super::{Attached, Host, WorkerCore};
use crate::analysis::experiment::Part;
use crate::analysis::profile::Profile;
use crate::engine::Engine;
use crate::error::{ErrorKind, Failure};
use crate::model::GainMask;
use crate::protocol::{Analysis, BackendChoice, Envelope, Event, Request, RequestKind};
use crate::weights::manifest::Manifest;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A file in a test: a name and its bytes.
type File = (String, Vec<u8>);

#[derive(Default)]
pub(super) struct TestHost {
    pub events: RefCell<Vec<Event>>,
    /// The flag of the engine in use: the test sets it to simulate a device loss.
    pub device: RefCell<Option<Arc<AtomicBool>>>,
    /// Cancels the current long job after this many more checks.
    pub cancel_after: Cell<Option<u32>>,
}

impl Host for TestHost {
    type File = File;

    fn emit(&self, _id: u64, event: Event) {
        assert!(!event.is_final(), "interim events only: {event:?}");
        self.events.borrow_mut().push(event);
    }
    fn name(&self, file: &File) -> String {
        file.0.clone()
    }
    async fn read(&self, file: &File) -> Result<Vec<u8>, Failure> {
        Ok(file.1.clone())
    }
    async fn sha256(&self, bytes: &[u8]) -> String {
        crate::weights::sha256_hex(bytes)
    }
    async fn fetch(
        &self,
        file: &str,
        _sha256: &str,
        _progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(Vec<u8>, bool), Failure> {
        Err(Failure::download(format!("{file}: no network in tests")))
    }
    async fn engine(&self, _choice: BackendChoice, _pool: bool) -> Engine {
        Engine::cpu("tests")
    }
    fn watch(&self, _engine: &Engine) -> Option<Arc<AtomicBool>> {
        let flag = Arc::new(AtomicBool::new(false));
        *self.device.borrow_mut() = Some(flag.clone());
        Some(flag)
    }
    fn destroy(&self, _engine: &Engine) -> bool {
        true
    }
    fn memory(&self) -> u64 {
        resident_bytes()
    }
    fn cancelled(&self) -> bool {
        match self.cancel_after.get() {
            Some(0) => true,
            Some(n) => {
                self.cancel_after.set(Some(n - 1));
                false
            }
            None => false,
        }
    }
}

/// This process's resident memory (Linux), else 0.
pub(super) fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// A `w`×`h` PNG whose pattern depends on `seed`.
pub(super) fn png(seed: u32, w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let v = (x * (3 + seed) + y * (5 + 2 * seed) + seed * 31) % 256;
        image::Rgb([v as u8, (255 - v) as u8, ((v * 7) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

pub(super) struct Driver {
    pub core: WorkerCore<TestHost>,
    next: u64,
}

impl Driver {
    pub fn new() -> Self {
        Self {
            core: WorkerCore::new(TestHost::default()),
            next: 1,
        }
    }

    /// Sends one request and checks that its reply fits it.
    pub fn send(&mut self, req: Request, attached: Attached<File>) -> Result<Event, Failure> {
        let kind = req.kind();
        self.next += 1;
        let reply = pollster::block_on(self.core.handle(self.next, req, attached));
        if let Ok(ev) = &reply {
            assert!(kind.accepts(ev), "{kind:?} answered with {ev:?}");
        }
        reply
    }

    pub fn ask(&mut self, req: Request) -> Result<Event, Failure> {
        self.send(req, Attached::default())
    }

    /// Init and load a built-in model.
    pub fn start(model: &str) -> Self {
        let mut d = Self::new();
        d.ask(Request::Init {
            backend: BackendChoice::Cpu,
            pool: false,
        })
        .unwrap();
        d.load(model);
        d
    }

    pub fn load(&mut self, model: &str) -> Vec<(String, usize)> {
        let entry = Manifest::builtin().get(model).unwrap().clone();
        match self.ask(Request::LoadModel {
            entry: Box::new(entry),
            from_file: false,
        }) {
            Ok(Event::ModelLoaded { layers, .. }) => layers,
            other => panic!("{other:?}"),
        }
    }

    pub fn analyse(
        &mut self,
        mask: GainMask,
        layer: &str,
        image: Option<(&str, Vec<u8>)>,
    ) -> Result<Analysis, Failure> {
        let (name, bytes) = image.map_or((None, None), |(n, b)| (Some(n.to_string()), Some(b)));
        let req = Request::Analyse {
            mask,
            layer: layer.into(),
            baseline: true,
            image: name,
        };
        match self.send(
            req,
            Attached {
                files: Vec::new(),
                bytes,
            },
        )? {
            Event::Analysis(a) => Ok(*a),
            other => panic!("{other:?}"),
        }
    }

    pub fn take_events(&self) -> Vec<Event> {
        std::mem::take(&mut *self.core.host.events.borrow_mut())
    }
}

fn profile(model: &str) -> Profile {
    let text = std::fs::read_to_string(format!(
        "{}/weights/profiles/{model}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    Profile::parse(&text, Some(model)).unwrap()
}

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
