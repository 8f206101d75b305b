//! The engine in a Web Worker (feature `worker`, wasm): a thin shell around
//! [`crate::worker_core::WorkerCore`], which owns everything heavy (the engine, the network, the
//! pass cache, the prepared image, the recovery from a lost GPU). This side is the message loop,
//! the wire ([`transport`]) and the browser as the core's host ([`browser`]). The same binary
//! runs as the one interactive worker and as each pool worker.
//!
//! Requests run one at a time in arrival order, so no state is shared between two of them.

mod browser;
mod fetch;
mod gpu_probe;
mod transport;

use crate::protocol::{Event, Request};
use crate::worker_core::{Attached, WorkerCore};
use browser::Browser;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use transport::{post, Incoming};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;

thread_local! {
    static QUEUE: RefCell<VecDeque<Incoming>> = const { RefCell::new(VecDeque::new()) };
    static DRAINING: Cell<bool> = const { Cell::new(false) };
    /// The core between requests (the running drain holds it while it works).
    static CORE: RefCell<Option<WorkerCore<Browser>>> = const { RefCell::new(None) };
}

/// Installs the message handler and tells the page the worker is listening.
pub fn start() {
    console_error_panic_hook::set_once();
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let on = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|ev: web_sys::MessageEvent| {
        match transport::parse(&ev) {
            // Beside the queue: a background download must not hold up the passes. It touches
            // only the cache, so a core of its own answers it.
            Ok(m) if matches!(m.request, Request::Prefetch { .. }) => spawn_local(async move {
                let (id, request, attached) = m.split();
                let reply = WorkerCore::new(Browser).handle(id, request, attached).await;
                post(id, reply.unwrap_or_else(Event::Error));
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
    let mut core = CORE
        .with(|c| c.borrow_mut().take())
        .unwrap_or_else(|| WorkerCore::new(Browser));
    while let Some(m) = QUEUE.with(|q| q.borrow_mut().pop_front()) {
        let (id, request, attached) = m.split();
        let last = match core.handle(id, request, attached).await {
            Ok(ev) => ev,
            Err(f) => Event::Error(f),
        };
        post(id, last);
    }
    CORE.with(|c| *c.borrow_mut() = Some(core));
    DRAINING.with(|d| d.set(false));
}

impl Incoming {
    fn split(self) -> (u64, Request, Attached<web_sys::File>) {
        let attached = Attached {
            files: self.files,
            bytes: self.bytes,
        };
        (self.id, self.request, attached)
    }
}
