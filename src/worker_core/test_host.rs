//! A host for the worker's core in native tests: it keeps the interim events, reads files from
//! memory, simulates a device that can be lost and a page that cancels; and a driver that sends
//! requests and checks each reply fits its request.

use super::{Attached, Host, WorkerCore};
use crate::analysis::profile::Profile;
use crate::engine::Engine;
use crate::error::Failure;
use crate::model::GainMask;
use crate::protocol::{Analysis, BackendChoice, Event, Request};
use crate::weights::manifest::Manifest;
use std::cell::{Cell, RefCell};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// A file in a test: a name and its bytes.
pub(super) type File = (String, Vec<u8>);

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

pub(super) fn profile(model: &str) -> Profile {
    let text = std::fs::read_to_string(format!(
        "{}/weights/profiles/{model}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    Profile::parse(&text, Some(model)).unwrap()
}
