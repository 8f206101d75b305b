//! The engine worker as a value, browser-free: [`WorkerCore`] owns the engine, the loaded
//! network, the profile, the current image, the pass cache and the pool's share of a set, and
//! [`WorkerCore::handle`] answers one [`Request`] with its one final [`Event`] (interim events go
//! to the [`Host`]). The Web Worker (`crate::worker`) is a thin shell around it: the message
//! loop, the wire, and a [`Host`] over the browser (files, downloads, WebGPU, wasm memory).
//! Native tests drive the same core on the CPU with a host of their own.
//!
//! Requests run one at a time in arrival order (the caller awaits each), so a request owns the
//! core while it runs.

mod interactive;
mod load;
mod pass_cache;
mod pool;
#[cfg(test)]
mod soak;
#[cfg(test)]
mod test_host;
#[cfg(test)]
mod tests;

use crate::analysis::profile::Profile;
use crate::engine::{BackendKind, Engine};
use crate::error::{ErrorKind, Failure};
use crate::model::Network;
use crate::protocol::{BackendChoice, Event, Request};
use crate::weights::manifest::ModelEntry;
use interactive::Image;
use pass_cache::PassCache;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What the core needs from the place it runs in: the browser (the worker shell) or a test.
/// The futures need not be `Send`: a worker is one thread.
#[allow(async_fn_in_trait)]
pub trait Host {
    /// A file that rode beside a request (a browser `File`; bytes with a name in tests).
    type File: Clone;
    /// Sends an interim event for request `id` (progress, status, a notice, the backend).
    fn emit(&self, id: u64, event: Event);
    /// The file's name, for messages.
    fn name(&self, file: &Self::File) -> String;
    /// The file's bytes (read here, never uploaded).
    async fn read(&self, file: &Self::File) -> Result<Vec<u8>, Failure>;
    /// sha256 of `bytes` in hex.
    async fn sha256(&self, bytes: &[u8]) -> String;
    /// The site's weights file `file`, checked against `sha256` (kind `Download` on failure);
    /// `progress(got, total)` counts bytes. Returns the bytes and whether a copy was kept.
    async fn fetch(
        &self,
        file: &str,
        sha256: &str,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(Vec<u8>, bool), Failure>;
    /// The engine for `choice` (the pool always gets the CPU).
    async fn engine(&self, choice: BackendChoice, pool: bool) -> Engine;
    /// A flag the host sets when `engine`'s device is lost (`None`: nothing to lose). The host
    /// also queues a [`Request::Recover`] then.
    fn watch(&self, engine: &Engine) -> Option<Arc<AtomicBool>>;
    /// Destroys `engine`'s device on purpose (the device-loss test); whether there was one.
    fn destroy(&self, engine: &Engine) -> bool;
    /// Bytes of the worker's memory ([`Request::Memory`]).
    fn memory(&self) -> u64;
    /// A line for the developer console (timings).
    fn log(&self, _line: &str) {}
    /// Whether the page has asked the current long job to stop (checked between batches).
    fn cancelled(&self) -> bool {
        false
    }
}

/// A network in place, with what it came from.
pub struct Loaded {
    pub entry: ModelEntry,
    pub net: Network,
    /// Counts installs, so caches can tell a reloaded model from the one before.
    pub generation: u64,
}

/// What rode beside a request: files (structured-cloned in the browser) and image bytes.
pub struct Attached<F> {
    pub files: Vec<F>,
    pub bytes: Option<Vec<u8>>,
}

impl<F> Default for Attached<F> {
    fn default() -> Self {
        Self {
            files: Vec::new(),
            bytes: None,
        }
    }
}

/// Everything a worker holds between requests.
pub struct WorkerCore<H: Host> {
    pub host: H,
    engine: Option<Rc<Engine>>,
    model: Option<Rc<Loaded>>,
    /// The visitor's weights file behind the model, if it came from one (for a rebuild).
    file: Option<H::File>,
    profile: Option<Rc<Profile>>,
    image: Option<Image>,
    cache: PassCache,
    /// The pool's share of the experiment's val and test images, prepared.
    parts: [Rc<Vec<crate::preprocess::Prepared>>; 2],
    /// Set by the host when the device is lost.
    lost: Option<Arc<AtomicBool>>,
    generation: u64,
    /// Counts engine changes, so a request that failed can tell the engine moved under it.
    engines: u64,
    /// The request being answered (interim events carry its id).
    id: u64,
}

impl<H: Host> WorkerCore<H> {
    pub fn new(host: H) -> Self {
        Self {
            host,
            engine: None,
            model: None,
            file: None,
            profile: None,
            image: None,
            cache: PassCache::default(),
            parts: Default::default(),
            lost: None,
            generation: 0,
            engines: 0,
            id: 0,
        }
    }

    /// Answers request `id` with its final event (or the failure); interim events go to the
    /// host on the way. The final event is always one that [`Request::accepts`].
    pub async fn handle(
        &mut self,
        id: u64,
        request: Request,
        attached: Attached<H::File>,
    ) -> Result<Event, Failure> {
        self.id = id;
        let kind = request.kind();
        let reply = self.dispatch(request, attached).await?;
        if matches!(reply, Event::Error(_)) || !kind.accepts(&reply) {
            return Err(Failure::failed(format!(
                "the worker answered {kind:?} with an unexpected reply"
            )));
        }
        Ok(reply)
    }

    async fn dispatch(
        &mut self,
        request: Request,
        attached: Attached<H::File>,
    ) -> Result<Event, Failure> {
        match request {
            Request::Init { backend, pool } => {
                let eng = self.host.engine(backend, pool).await;
                self.set_engine(eng);
                Ok(Event::Done)
            }
            Request::LoadModel { entry, from_file } => {
                let file = attached.files.into_iter().next().filter(|_| from_file);
                self.load_model(*entry, file).await
            }
            Request::CheckWeights { name, manifest } => {
                let file =
                    attached.files.into_iter().next().ok_or_else(|| {
                        Failure::bad_input(format!("{name}: no file came with it"))
                    })?;
                self.check_weights(&name, &manifest, file).await
            }
            Request::Prefetch { file, sha256 } => {
                let id = self.id;
                let host = &self.host;
                let (_, kept) = host
                    .fetch(&file, &sha256, &mut |got, total| {
                        host.emit(id, Event::Prefetching { got, total })
                    })
                    .await?;
                if !kept {
                    return Err(Failure::download(
                        "this browser would not keep it (storage full or not allowed)",
                    ));
                }
                Ok(Event::Done)
            }
            Request::SetProfile(p) => {
                self.profile = p.map(|p| Rc::new(*p));
                Ok(Event::Done)
            }
            Request::Analyse {
                mask,
                layer,
                baseline,
                image,
            } => {
                if let Some(name) = image {
                    self.set_image(name, attached.bytes.unwrap_or_default())?;
                }
                self.analyse(&mask, &layer, baseline).await
            }
            Request::UnitMap { mask, layer, unit } => self.unit_map(&mask, &layer, unit).await,
            Request::EmotionMaps { mask } => self.emotion_maps(&mask).await,
            Request::Crops => self.crops(&attached.files).await,
            Request::Responses { first } => self.responses(first, &attached.files).await,
            Request::BuildProfile {
                model,
                dataset,
                responses,
            } => self.build_profile(&model, *dataset, *responses),
            Request::SetPart { part } => self.set_part(part, &attached.files).await,
            Request::Features { part, layer, masks } => self.features(part, &layer, &masks).await,
            Request::Memory => Ok(Event::Memory(self.host.memory())),
            Request::Crash => panic!("worker crash requested by the page (test hook)"),
            Request::LoseGpu => Ok(Event::Lost(self.lose_gpu().await?)),
            Request::Recover => {
                if self.gpu_lost() {
                    self.recover("device lost").await?;
                }
                Ok(Event::Done)
            }
        }
    }

    fn emit(&self, event: Event) {
        self.host.emit(self.id, event);
    }

    fn engine(&self) -> Result<Rc<Engine>, Failure> {
        self.engine
            .clone()
            .ok_or_else(|| Failure::not_ready("the engine is not set up yet"))
    }

    fn model(&self) -> Result<Rc<Loaded>, Failure> {
        self.model
            .clone()
            .ok_or_else(|| Failure::not_ready("no model is loaded yet"))
    }

    fn set_engine(&mut self, eng: Engine) {
        self.lost = self.host.watch(&eng);
        self.emit(Event::Backend {
            label: eng.info.label(),
            reason: eng.info.reason.clone(),
            gpu: eng.info.kind == BackendKind::Wgpu,
        });
        self.engine = Some(Rc::new(eng));
        self.engines += 1;
    }

    /// Whether the device this worker used is gone.
    fn gpu_lost(&self) -> bool {
        self.lost.as_ref().is_some_and(|f| f.load(Ordering::SeqCst))
    }

    /// Destroys the device on purpose, then recovers as from a real loss.
    async fn lose_gpu(&mut self) -> Result<bool, Failure> {
        let had = match (&self.engine, &self.lost) {
            (Some(e), Some(flag)) if self.host.destroy(e) => {
                flag.store(true, Ordering::SeqCst);
                true
            }
            _ => false,
        };
        if had {
            self.recover("Destroyed").await?;
        }
        Ok(had)
    }

    /// A request failed after starting on engine `before`: if the device is lost, move to the
    /// CPU; if the engine changed since, nothing to do. `Ok` means: run it again.
    async fn retry_after(&mut self, failure: Failure, before: u64) -> Result<(), Failure> {
        if failure.kind == ErrorKind::BadInput {
            return Err(failure);
        }
        if self.gpu_lost() {
            return self.recover(&failure.message).await;
        }
        if self.engines != before {
            return Ok(());
        }
        Err(failure)
    }

    /// The device is gone: moves to the CPU and rebuilds the same model there (from the cache,
    /// the seed or the visitor's file), keeping the profile and the image.
    async fn recover(&mut self, why: &str) -> Result<(), Failure> {
        let reason = short_reason(why);
        self.set_engine(Engine::cpu(format!(
            "the GPU stopped working ({reason}); the app moved to the CPU and kept your work"
        )));
        if let Some(m) = self.model.clone() {
            let file = self.file.clone();
            self.load_model(m.entry.clone(), file).await?;
        }
        self.emit(Event::Notice(format!(
            "The GPU was lost ({reason}). Now running on the CPU with the same model, image, \
             selection and profile."
        )));
        Ok(())
    }
}

/// The part of a wgpu error worth showing: its last cause, without the backtrace.
pub fn short_reason(msg: &str) -> String {
    let last = msg.rsplit("Caused by:").next().unwrap_or(msg);
    let cut = last.split("Backtrace").next().unwrap_or(last);
    cut.trim().trim_end_matches('.').trim().to_string()
}
