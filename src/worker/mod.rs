//! The engine in a Web Worker (feature `worker`, wasm). The page sends [`Request`]s and draws
//! the [`Event`]s that come back; this side owns everything heavy: the engine (WebGPU requested
//! here, or the CPU), the network, the pass cache, the prepared image and the recovery from a
//! lost GPU. The same binary runs as the one interactive worker and as each pool worker.
//!
//! Requests run one at a time in arrival order, so no state is shared between two of them.

mod fetch;
mod gpu_probe;
mod interactive;
mod pass_cache;
mod pool;
mod state;
mod transport;

use crate::protocol::{Event, Failure, Request};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use transport::{post, Incoming};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;

thread_local! {
    static QUEUE: RefCell<VecDeque<Incoming>> = const { RefCell::new(VecDeque::new()) };
    static DRAINING: Cell<bool> = const { Cell::new(false) };
}

/// Installs the message handler and tells the page the worker is listening.
pub fn start() {
    console_error_panic_hook::set_once();
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let on = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|ev: web_sys::MessageEvent| {
        match transport::parse(&ev) {
            // Beside the queue: a background download must not hold up the passes.
            Ok(m) if matches!(m.request, Request::Prefetch { .. }) => spawn_local(async move {
                let id = m.id;
                post(id, handle(m).await.unwrap_or_else(Event::Error));
            }),
            Ok(m) => {
                QUEUE.with(|q| q.borrow_mut().push_back(m));
                if !DRAINING.with(|d| d.replace(true)) {
                    spawn_local(drain());
                }
            }
            Err(f) => post(0, Event::Error(f)),
        }
    });
    scope.set_onmessage(Some(on.as_ref().unchecked_ref()));
    on.forget();
    if let Some(p) = scope.performance() {
        let ms = p.now();
        web_sys::console::log_1(&format!("engine: worker ready {ms:.0} ms after its start").into());
    }
    post(0, Event::Ready);
}

/// Queues a move to the CPU if the GPU is lost (from wgpu's device-lost callback).
pub(crate) fn enqueue_recover() {
    QUEUE.with(|q| {
        q.borrow_mut().push_back(Incoming {
            id: 0,
            request: Request::Recover,
            files: Vec::new(),
            bytes: None,
        })
    });
    if !DRAINING.with(|d| d.replace(true)) {
        spawn_local(drain());
    }
}

async fn drain() {
    while let Some(m) = QUEUE.with(|q| q.borrow_mut().pop_front()) {
        let id = m.id;
        let last = match handle(m).await {
            Ok(ev) => ev,
            Err(f) => Event::Error(f),
        };
        post(id, last);
    }
    DRAINING.with(|d| d.set(false));
}

/// Runs one request to its final event.
async fn handle(m: Incoming) -> Result<Event, Failure> {
    let id = m.id;
    match m.request {
        Request::Init { backend, pool } => state::init(id, backend, pool).await,
        Request::LoadModel { entry, from_file } => {
            let file = if from_file {
                m.files.into_iter().next()
            } else {
                None
            };
            state::load_model(id, *entry, file).await
        }
        Request::CheckWeights { name, manifest } => {
            let file = m
                .files
                .into_iter()
                .next()
                .ok_or_else(|| Failure::bad_input(format!("{name}: no file came with it")))?;
            state::check_weights(id, &name, &manifest, file).await
        }
        Request::Prefetch { file, sha256 } => {
            let w = fetch::fetch_weights(&file, &sha256, |got, total| {
                post(id, Event::Prefetching { got, total })
            })
            .await
            .map_err(|e| Failure::new(crate::protocol::ErrorKind::Download, e))?;
            if !w.kept {
                return Err(Failure::new(
                    crate::protocol::ErrorKind::Download,
                    "this browser would not keep it (storage full or not allowed)",
                ));
            }
            Ok(Event::Done)
        }
        Request::SetProfile(p) => {
            state::set_profile(p.map(|p| *p));
            Ok(Event::Done)
        }
        Request::SetImage { name } => interactive::set_image(name, m.bytes.unwrap_or_default()),
        Request::Analyse {
            mask,
            layer,
            baseline,
        } => interactive::analyse(id, &mask, &layer, baseline).await,
        Request::UnitMap { mask, layer, unit } => {
            interactive::unit_map(id, &mask, &layer, unit).await
        }
        Request::EmotionMaps { mask } => interactive::emotion_maps_of(id, &mask).await,
        Request::Crops => interactive::crops(m.files).await,
        Request::Responses { first } => pool::responses(id, first, m.files).await,
        Request::BuildProfile {
            model,
            dataset,
            responses,
        } => pool::build(id, &model, *dataset, *responses),
        Request::SetPart { part } => pool::set_part(part, m.files).await,
        Request::Features { part, layer, masks } => pool::features(id, part, &layer, &masks).await,
        Request::Memory => {
            let mem: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
            let buf: js_sys::ArrayBuffer = mem.buffer().unchecked_into();
            Ok(Event::Memory(buf.byte_length() as u64))
        }
        Request::Crash => panic!("worker crash requested by the page (test hook)"),
        Request::LoseGpu => Ok(Event::Lost(state::lose_gpu(id).await?)),
        Request::Recover => state::recover_if_lost(id).await,
    }
}
