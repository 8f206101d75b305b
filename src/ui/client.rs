//! The page's end of the protocol: one engine worker, requests as futures. Interim events go to
//! a handler; the final event resolves the request. Requests made before the worker says
//! [`Event::Ready`] wait for it. If the worker crashes (a panic, out of memory), every pending
//! request fails with [`ErrorKind::WorkerCrashed`] and the crash handler decides what next.

use crate::protocol::{Bulk, Envelope, ErrorKind, Event, Failure, Request, RequestKind};
use futures_channel::oneshot;
use js_sys::{Array, Float32Array, Object, Reflect, Uint8Array};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{File, MessageEvent, Worker};

/// The worker script trunk writes for the `worker` binary (relative: works under any path).
const SCRIPT: &str = "./worker_loader.js";

/// What rides beside a request: visitor's files (cloned handles) and bytes (transferred).
#[derive(Default)]
pub struct Attach {
    pub files: Vec<File>,
    pub bytes: Option<Vec<u8>>,
}

type Handler = Rc<dyn Fn(Event)>;
type CrashHandler = Rc<dyn Fn(String)>;

/// A request in flight: its kind and where its answer goes.
type Pending = (RequestKind, oneshot::Sender<Result<Event, Failure>>);

struct Inner {
    worker: Worker,
    ready: Cell<bool>,
    waiting: RefCell<Vec<JsValue>>,
    /// Each request in flight: its kind (what its reply is checked against) and its answer's way.
    pending: RefCell<HashMap<u64, Pending>>,
    next: Cell<u64>,
    dead: Cell<bool>,
    // The closures stay alive as long as the client.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

/// One engine worker. Cloning shares it.
#[derive(Clone)]
pub struct Client(Rc<Inner>);

impl Client {
    /// Starts a worker. `on_event` hears its interim events; `on_crash` its death (once).
    pub fn spawn(on_event: Handler, on_crash: CrashHandler) -> Result<Self, Failure> {
        let worker = Worker::new(SCRIPT)
            .map_err(|e| Failure::from(format!("cannot start the engine worker: {e:?}")))?;
        let weak: Rc<RefCell<Option<std::rc::Weak<Inner>>>> = Rc::new(RefCell::new(None));
        let w1 = weak.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let Some(inner) = w1.borrow().as_ref().and_then(|w| w.upgrade()) else {
                return;
            };
            let json = Reflect::get(&ev.data(), &"json".into())
                .ok()
                .and_then(|j| j.as_string())
                .unwrap_or_default();
            let mut env = match Envelope::<Event>::from_json(&json) {
                Ok(env) => env,
                Err(f) => return on_event(Event::Error(f)),
            };
            let bulk = Reflect::get(&ev.data(), &"bulk".into()).unwrap_or(JsValue::UNDEFINED);
            if !bulk.is_undefined() {
                if let Err(f) = env.body.put_bulk(Float32Array::new(&bulk).to_vec()) {
                    env.body = Event::Error(f);
                }
            }
            match env.body {
                Event::Ready => {
                    inner.ready.set(true);
                    for msg in inner.waiting.take() {
                        post(&inner.worker, &msg);
                    }
                }
                ev if ev.is_final() => {
                    let pending = inner.pending.borrow_mut().remove(&env.id);
                    let result = match ev {
                        Event::Error(f) => Err(f),
                        // A reply that does not fit its request is a failure, never silence.
                        ev if pending.as_ref().is_some_and(|p| !p.0.accepts(&ev)) => {
                            Err(Failure::new(
                                ErrorKind::Failed,
                                format!(
                                    "the engine answered {:?} with an unexpected reply",
                                    pending.as_ref().map(|p| p.0)
                                ),
                            ))
                        }
                        ev => Ok(ev),
                    };
                    match pending.map(|p| p.1) {
                        Some(tx) => {
                            let _ = tx.send(result);
                        }
                        None if env.id == 0 => {
                            if let Err(f) = result {
                                on_event(Event::Error(f))
                            }
                        }
                        None => {}
                    }
                }
                ev => on_event(ev),
            }
        });
        let w2 = weak.clone();
        let on_error =
            Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |ev: web_sys::ErrorEvent| {
                ev.prevent_default();
                if let Some(inner) = w2.borrow().as_ref().and_then(|w| w.upgrade()) {
                    let why = ev.message();
                    Client(inner).kill(ErrorKind::WorkerCrashed, &why);
                    on_crash(why);
                }
            });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let inner = Rc::new(Inner {
            worker,
            ready: Cell::new(false),
            waiting: RefCell::new(Vec::new()),
            pending: RefCell::new(HashMap::new()),
            next: Cell::new(1),
            dead: Cell::new(false),
            _on_message: on_message,
            _on_error: on_error,
        });
        *weak.borrow_mut() = Some(Rc::downgrade(&inner));
        Ok(Client(inner))
    }

    /// Sends `req` and waits for its final event (an [`Event::Error`] comes back as `Err`).
    pub async fn call(&self, mut req: Request, attach: Attach) -> Result<Event, Failure> {
        let inner = &self.0;
        if inner.dead.get() {
            return Err(Failure::new(
                ErrorKind::WorkerCrashed,
                "the engine worker has stopped",
            ));
        }
        let id = inner.next.get();
        inner.next.set(id + 1);
        let (tx, rx) = oneshot::channel();
        inner.pending.borrow_mut().insert(id, (req.kind(), tx));
        let bulk = req.take_bulk();
        let msg = Object::new();
        let _ = Reflect::set(
            &msg,
            &"json".into(),
            &Envelope { id, body: req }.to_json().into(),
        );
        if !bulk.is_empty() {
            let buf = Float32Array::from(&bulk[..]).buffer();
            let _ = Reflect::set(&msg, &"bulk".into(), &buf);
        }
        if !attach.files.is_empty() {
            let files: Array = attach.files.into_iter().map(JsValue::from).collect();
            let _ = Reflect::set(&msg, &"files".into(), &files);
        }
        if let Some(b) = attach.bytes {
            let _ = Reflect::set(&msg, &"bytes".into(), &Uint8Array::from(&b[..]).buffer());
        }
        if inner.ready.get() {
            post(&inner.worker, &msg.into());
        } else {
            inner.waiting.borrow_mut().push(msg.into());
        }
        rx.await.unwrap_or_else(|_| {
            Err(Failure::new(
                ErrorKind::Cancelled,
                "the engine worker was stopped",
            ))
        })
    }

    /// Stops the worker now; every pending request fails with `kind`.
    pub fn kill(&self, kind: ErrorKind, why: &str) {
        let inner = &self.0;
        inner.dead.set(true);
        inner.worker.terminate();
        for (_, (_, tx)) in inner.pending.borrow_mut().drain() {
            let _ = tx.send(Err(Failure::new(kind, why)));
        }
    }
}

/// Posts a message, transferring its bytes and floats (no copy) when it has any.
fn post(worker: &Worker, msg: &JsValue) {
    let transfer = Array::new();
    for key in ["bytes", "bulk"] {
        let v = Reflect::get(msg, &key.into()).unwrap_or(JsValue::UNDEFINED);
        if !v.is_undefined() {
            transfer.push(&v);
        }
    }
    let result = if transfer.length() == 0 {
        worker.post_message(msg)
    } else {
        worker.post_message_with_transfer(msg, &transfer)
    };
    if let Err(e) = result {
        web_sys::console::error_1(&e);
    }
}
