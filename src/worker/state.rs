//! What a worker holds between requests: the engine, the loaded network (with the file behind
//! it, for a rebuild), the profile's readout, and the GPU-loss recovery. Kept in one
//! thread-local of `Rc`s: a request clones what it needs before it awaits.

use super::fetch::{fetch_weights, has_webgpu, read_file, sha256_hex};
use super::gpu_probe::probe;
use super::transport::post;
use crate::analysis::profile::Profile;
use crate::engine::{BackendKind, Engine};
use crate::model::Network;
use crate::protocol::{BackendChoice, ErrorKind, Event, Failure};
use crate::weights::manifest::{Manifest, ModelEntry};
use crate::weights::{load_entry, TensorMap};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use web_time::Instant;

pub struct Loaded {
    pub entry: ModelEntry,
    pub net: Network,
    /// Counts installs, so caches can tell a reloaded model from the one before.
    pub generation: u64,
}

#[derive(Default)]
struct State {
    engine: Option<Rc<Engine>>,
    model: Option<Rc<Loaded>>,
    /// The visitor's weights file behind the model, if it came from one.
    file: Option<web_sys::File>,
    profile: Option<Rc<Profile>>,
    /// Set by wgpu's device-lost callback (or [`lose_gpu`]): the device is gone.
    lost: Option<Arc<AtomicBool>>,
    generation: u64,
    /// Counts engine changes, so a request that failed can tell that the engine moved under it.
    engines: u64,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

pub fn engine() -> Result<Rc<Engine>, Failure> {
    STATE
        .with(|s| s.borrow().engine.clone())
        .ok_or_else(|| Failure::new(ErrorKind::NotReady, "the engine is not set up yet"))
}

pub fn model() -> Result<Rc<Loaded>, Failure> {
    STATE
        .with(|s| s.borrow().model.clone())
        .ok_or_else(|| Failure::new(ErrorKind::NotReady, "no model is loaded yet"))
}

pub fn profile() -> Option<Rc<Profile>> {
    STATE.with(|s| s.borrow().profile.clone())
}

pub fn set_profile(p: Option<Profile>) {
    STATE.with(|s| s.borrow_mut().profile = p.map(Rc::new));
}

fn set_engine(id: u64, eng: Engine) {
    let lost = eng.gpu.as_ref().map(|d| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        d.set_device_lost_callback(move |_, _| {
            f.store(true, Ordering::SeqCst);
            // Move to the CPU in turn with the other requests, before the next one fails.
            super::enqueue_recover();
        });
        flag
    });
    post(
        id,
        Event::Backend {
            label: eng.info.label(),
            reason: eng.info.reason.clone(),
            gpu: eng.info.kind == BackendKind::Wgpu,
        },
    );
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.engine = Some(Rc::new(eng));
        s.lost = lost;
        s.engines += 1;
    });
}

/// Picks the backend: the pool and `?backend=cpu` use the CPU; otherwise WebGPU unless it is
/// missing or a software adapter (far slower than the CPU path) and not forced.
async fn choose(choice: BackendChoice, pool: bool) -> Engine {
    if pool {
        return Engine::cpu("pool worker");
    }
    if choice == BackendChoice::Cpu {
        return Engine::cpu("CPU requested in the link (?backend=cpu)");
    }
    if !has_webgpu() {
        return Engine::cpu("this browser has no WebGPU: using the CPU (slower, but it works)");
    }
    let Some(probe) = probe().await else {
        return Engine::cpu("WebGPU is present but offers no adapter: using the CPU");
    };
    if probe.software && choice != BackendChoice::WebGpu {
        return Engine::cpu(format!(
            "the WebGPU adapter ({}) is a software renderer, far slower than the CPU path; \
             add ?backend=webgpu to the link to force it",
            probe.name
        ));
    }
    match Engine::wgpu_async().await {
        Ok(mut e) => {
            e.info.adapter = probe.name.clone();
            e.info.software = probe.software;
            if probe.software {
                e.info.reason = "WebGPU forced on a software adapter: expect slow passes".into();
            }
            e
        }
        Err(err) => Engine::cpu(format!("{err}; using the CPU")),
    }
}

pub async fn init(id: u64, choice: BackendChoice, pool: bool) -> Result<Event, Failure> {
    let eng = choose(choice, pool).await;
    set_engine(id, eng);
    Ok(Event::Done)
}

fn install(entry: ModelEntry, net: Network, file: Option<web_sys::File>) -> Event {
    let layers = net
        .layers()
        .iter()
        .map(|(n, u)| (n.to_string(), *u))
        .collect();
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.generation += 1;
        s.model = Some(Rc::new(Loaded {
            entry: entry.clone(),
            net,
            generation: s.generation,
        }));
        s.file = file;
    });
    Event::ModelLoaded {
        entry: Box::new(entry),
        layers,
    }
}

/// Loads `entry` from the attached `file`, the site (verified against its checksum) or its seed.
pub async fn load_model(
    id: u64,
    entry: ModelEntry,
    file: Option<web_sys::File>,
) -> Result<Event, Failure> {
    let eng = engine()?;
    let t0 = Instant::now();
    let bytes = match (&file, &entry.file) {
        (Some(f), _) => Some(read_file(f).await.map_err(Failure::bad_input)?),
        (None, Some(f)) => {
            post(id, Event::Status(format!("downloading {}", entry.id)));
            let bytes = fetch_weights(f, &entry.sha256, |got, total| {
                post(id, Event::Download { got, total })
            })
            .await
            .map_err(|e| Failure::new(ErrorKind::Download, e))?;
            Some(bytes.bytes)
        }
        (None, None) => {
            post(
                id,
                Event::Status(format!("generating {} from its seed", entry.id)),
            );
            None
        }
    };
    let fetched = t0.elapsed().as_secs_f64() * 1e3;
    let map = match (&file, bytes) {
        // A visitor's file was checked when it was first loaded (its digest is the entry's).
        (Some(_), Some(b)) => TensorMap::from_safetensors(&b).map_err(Failure::bad_input)?,
        // The site's weights: checked against the manifest by `fetch_weights` (a damaged or
        // tampered copy is never kept in the cache).
        (None, Some(b)) => {
            TensorMap::from_safetensors(&b).map_err(|e| Failure::new(ErrorKind::Download, e))?
        }
        (_, b) => load_entry(&entry, b.as_deref()).map_err(|e| {
            let kind = if entry.file.is_some() {
                ErrorKind::Download
            } else {
                ErrorKind::Failed
            };
            Failure::new(kind, e)
        })?,
    };
    let checked = t0.elapsed().as_secs_f64() * 1e3;
    let net = Network::load(entry.arch, &map, &eng.device)?;
    web_sys::console::log_1(
        &format!(
            "engine: {} fetched in {fetched:.0} ms, checked and parsed by {checked:.0} ms, built by {:.0} ms",
            entry.id,
            t0.elapsed().as_secs_f64() * 1e3
        )
        .into(),
    );
    Ok(install(entry, net, file))
}

/// Checks a visitor's weights file and loads it: a file whose sha256 matches a manifest entry
/// becomes that model; any other must fit an architecture's tensor names and shapes.
pub async fn check_weights(
    id: u64,
    name: &str,
    manifest: &Manifest,
    file: web_sys::File,
) -> Result<Event, Failure> {
    post(id, Event::Status(format!("checking {name}")));
    let bytes = read_file(&file).await.map_err(Failure::bad_input)?;
    let eng = engine()?;
    let sha = sha256_hex(&bytes).await;
    let map = TensorMap::from_safetensors(&bytes).map_err(|e| {
        Failure::bad_input(format!(
            "{e} (expected a .safetensors weights file, as `neurons weights convert` writes)"
        ))
    })?;
    if let Some(known) = manifest
        .models
        .iter()
        .find(|m| m.file.is_some() && m.sha256 == sha)
    {
        let net = Network::load(known.arch, &map, &eng.device).map_err(Failure::bad_input)?;
        return Ok(install(known.clone(), net, Some(file)));
    }
    let mut reasons = Vec::new();
    let mut tried = Vec::new();
    for m in &manifest.models {
        if tried.contains(&m.arch) {
            continue;
        }
        tried.push(m.arch);
        match Network::load(m.arch, &map, &eng.device) {
            Ok(net) => {
                let mut entry = m.clone();
                entry.id = format!("local-{:?}-{}", m.arch, &sha[..8]).to_lowercase();
                entry.label = format!("{name} (your file, {:?} layout)", m.arch);
                entry.file = Some(name.to_string());
                entry.sha256 = sha;
                entry.bytes = bytes.len() as u64;
                entry.classifier = [
                    "classifier.0.bias",
                    "classifier.1.bias",
                    "classifier.6.bias",
                ]
                .iter()
                .any(|k| map.contains(k));
                return Ok(install(entry, net, Some(file)));
            }
            Err(e) => reasons.push(format!("as {:?}: {e}", m.arch)),
        }
    }
    Err(Failure::bad_input(format!(
        "these weights fit no model here ({})",
        reasons.join("; ")
    )))
}

/// Whether the GPU this worker used is gone.
pub fn gpu_lost() -> bool {
    STATE.with(|s| {
        s.borrow()
            .lost
            .as_ref()
            .is_some_and(|f| f.load(Ordering::SeqCst))
    })
}

/// Which engine is in use (changes when the worker moves to the CPU).
pub fn engine_generation() -> u64 {
    STATE.with(|s| s.borrow().engines)
}

/// Destroys the WebGPU device on purpose (the device-loss test), then recovers as from a real
/// loss. Returns whether there was a GPU to lose.
pub async fn lose_gpu(id: u64) -> Result<bool, Failure> {
    let had = STATE.with(|s| {
        let s = s.borrow();
        match (&s.engine, &s.lost) {
            (Some(e), Some(flag)) => e.gpu.as_ref().is_some_and(|d| {
                d.destroy();
                flag.store(true, Ordering::SeqCst);
                true
            }),
            _ => false,
        }
    });
    if had {
        recover(id, "Destroyed").await?;
    }
    Ok(had)
}

/// A request failed after starting on engine `before`: if the GPU is lost, move to the CPU; if
/// the engine changed since (another request recovered), nothing to do. `Ok` means: run it
/// again. Any other failure comes back unchanged.
pub async fn retry_after(id: u64, failure: Failure, before: u64) -> Result<(), Failure> {
    if failure.kind == ErrorKind::BadInput {
        return Err(failure);
    }
    if gpu_lost() {
        return recover(id, &failure.message).await;
    }
    if engine_generation() != before {
        return Ok(());
    }
    Err(failure)
}

/// Moves to the CPU if the GPU is lost (queued by the device-lost callback); else nothing.
pub async fn recover_if_lost(id: u64) -> Result<Event, Failure> {
    if gpu_lost() {
        recover(id, "device lost").await?;
    }
    Ok(Event::Done)
}

/// The GPU is gone: moves to the CPU and rebuilds the same model there (from the cache, the
/// seed or the visitor's file), keeping the profile and the image.
async fn recover(id: u64, why: &str) -> Result<(), Failure> {
    let reason = super::gpu_probe::short_reason(why);
    set_engine(
        id,
        Engine::cpu(format!(
            "the GPU stopped working ({reason}); the app moved to the CPU and kept your work"
        )),
    );
    let (m, file) = STATE.with(|s| {
        let s = s.borrow();
        (s.model.clone(), s.file.clone())
    });
    if let Some(m) = m {
        load_model(id, m.entry.clone(), file).await?;
    }
    post(
        id,
        Event::Notice(format!(
            "The GPU was lost ({reason}). Now running on the CPU with the same model, image, \
             selection and profile."
        )),
    );
    Ok(())
}
