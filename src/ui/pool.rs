//! The pool of CPU engine workers for the long jobs (profiling a set, the experiment):
//! `sched::pool_size` workers, each with its own copy of the model, data-parallel over images.
//! Shares are contiguous and merged in image order, so the result does not depend on the
//! number of workers. Cancel terminates the workers at once (nothing waits for a pass to end);
//! the next job starts fresh ones. The running pool is held by the store
//! ([`super::store::EngineState`]).

use super::client::{Attach, Client};
use super::store::Store;
use crate::analysis::experiment::{FeatureRows, Part};
use crate::analysis::responses::Responses;
use crate::model::GainMask;
use crate::protocol::{BackendChoice, ErrorKind, Event, Failure, Request};
use crate::sched::{merge_features, merge_responses, pool_size, shards};
use crate::weights::manifest::ModelEntry;
use futures_channel::oneshot;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The running pool's workers (private to this module; the store only holds it).
pub struct Pool {
    workers: Vec<Client>,
    /// The model id the workers hold.
    model: String,
    /// Set when a worker crashed: the pool is rebuilt for the next job.
    broken: Rc<Cell<bool>>,
    /// Where the workers' progress goes (the job in progress sets it).
    sink: Sink,
}

type Sink = Rc<RefCell<Rc<dyn Fn(usize, u64)>>>;

/// The pool in the store, if one is running.
fn current(store: Store) -> Option<Rc<Pool>> {
    store.engine.pool.with_value(|p| p.clone())
}

/// Workers for this device: `?workers=N` in the link, else `min(cores − 1, memory cap)`.
pub fn size() -> usize {
    let w = web_sys::window();
    let nav = w.as_ref().map(|w| w.navigator());
    let cores = nav
        .as_ref()
        .map(|n| n.hardware_concurrency() as u32)
        .filter(|c| *c > 0);
    let memory = nav.as_ref().and_then(|n| {
        js_sys::Reflect::get(n, &"deviceMemory".into())
            .ok()
            .and_then(|v| v.as_f64())
    });
    let forced = super::fetch::query_param("workers").and_then(|v| v.parse().ok());
    pool_size(cores, memory, forced)
}

/// Bytes of wasm memory of each pool worker (empty when no pool is running).
pub async fn memory(store: Store) -> Vec<u64> {
    let Some(pool) = current(store) else {
        return Vec::new();
    };
    let reqs = pool
        .workers
        .iter()
        .map(|_| (Request::Memory, Attach::default()))
        .collect();
    match all(&pool, reqs).await {
        Ok(evs) => evs
            .into_iter()
            .filter_map(|e| match e {
                Event::Memory(b) => Some(b),
                _ => None,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Stops every pool worker now; their pending requests fail as cancelled.
pub fn cancel(store: Store) {
    if let Some(p) = store.engine.pool.try_update_value(|p| p.take()).flatten() {
        for w in &p.workers {
            w.kill(ErrorKind::Cancelled, "cancelled");
        }
    }
}

/// Calls the workers with a request each (the first workers, when there are fewer requests) and
/// waits for all the answers, in worker order. The first failure fails the job.
async fn all(pool: &Pool, reqs: Vec<(Request, Attach)>) -> Result<Vec<Event>, Failure> {
    let mut rxs = Vec::new();
    for (w, (req, attach)) in pool.workers.iter().zip(reqs) {
        let (tx, rx) = oneshot::channel();
        let w = w.clone();
        leptos::task::spawn_local(async move {
            let _ = tx.send(w.call(req, attach).await);
        });
        rxs.push(rx);
    }
    let mut out = Vec::new();
    for rx in rxs {
        out.push(rx.await.unwrap_or_else(|_| Err(Failure::cancelled()))?);
    }
    Ok(out)
}

/// The pool with `entry` loaded (and its visitor's `file`, if any), started if needed.
/// `progress(worker, done)` hears each worker's progress events.
async fn ready(
    store: Store,
    entry: &ModelEntry,
    file: Option<web_sys::File>,
    progress: Rc<dyn Fn(usize, u64)>,
) -> Result<Rc<Pool>, Failure> {
    if let Some(p) = current(store) {
        if p.model == entry.id && !p.broken.get() {
            *p.sink.borrow_mut() = progress;
            return Ok(p);
        }
        cancel(store);
    }
    let broken = Rc::new(Cell::new(false));
    let sink: Sink = Rc::new(RefCell::new(progress));
    let mut workers = Vec::new();
    for i in 0..size() {
        let sink = sink.clone();
        let b = broken.clone();
        let on_event = Rc::new(move |ev: Event| {
            if let Event::Progress { done, .. } = ev {
                let f = sink.borrow().clone();
                f(i, done)
            }
        });
        workers.push(Client::spawn(on_event, Rc::new(move |_| b.set(true)))?);
    }
    let pool = Rc::new(Pool {
        workers,
        model: entry.id.clone(),
        broken,
        sink,
    });
    // In place before it is set up, so a cancel during start-up stops it too.
    store.engine.pool.set_value(Some(pool.clone()));
    let n = pool.workers.len();
    let init = (0..n)
        .map(|_| {
            (
                Request::Init {
                    backend: BackendChoice::Cpu,
                    pool: true,
                },
                Attach::default(),
            )
        })
        .collect();
    all(&pool, init).await?;
    let load = (0..n)
        .map(|_| {
            (
                Request::LoadModel {
                    entry: Box::new(entry.clone()),
                    from_file: file.is_some(),
                },
                Attach {
                    files: file.iter().cloned().collect(),
                    bytes: None,
                },
            )
        })
        .collect();
    all(&pool, load).await?;
    Ok(pool)
}

/// Progress of a job over the pool: work of the requests already answered, plus each worker's
/// latest count for the request in flight (workers count from zero for each request).
#[derive(Clone)]
pub struct Tally {
    inner: Rc<RefCell<(u64, Vec<u64>)>>,
}

impl Tally {
    pub fn new() -> Self {
        Self {
            inner: Rc::new(RefCell::new((0, Vec::new()))),
        }
    }
    fn set(&self, worker: usize, done: u64) {
        let v = &mut self.inner.borrow_mut().1;
        if v.len() <= worker {
            v.resize(worker + 1, 0);
        }
        v[worker] = done;
    }
    pub fn total(&self) -> u64 {
        let i = self.inner.borrow();
        i.0 + i.1.iter().sum::<u64>()
    }
    /// The request in flight was answered: its work counts as done.
    pub fn next_request(&self) {
        let mut i = self.inner.borrow_mut();
        let sum: u64 = i.1.iter().sum();
        i.0 += sum;
        i.1.clear();
    }
}

impl Default for Tally {
    fn default() -> Self {
        Self::new()
    }
}

/// Unit responses to `files` (a labelled set, in order) and the failed items `(index, reason)`.
/// `tick(done)` hears the images done so far.
pub async fn responses(
    store: Store,
    entry: &ModelEntry,
    weights: Option<web_sys::File>,
    files: Vec<web_sys::File>,
    tick: Rc<dyn Fn(u64)>,
) -> Result<(Responses, Vec<(usize, String)>, usize), Failure> {
    let tally = Tally::new();
    let t2 = tally.clone();
    let pool = ready(
        store,
        entry,
        weights,
        Rc::new(move |w, d| {
            t2.set(w, d);
            tick(t2.total())
        }),
    )
    .await?;
    let ranges = shards(files.len(), pool.workers.len());
    let reqs = ranges
        .iter()
        .map(|r| {
            (
                Request::Responses { first: r.start },
                Attach {
                    files: files[r.clone()].to_vec(),
                    bytes: None,
                },
            )
        })
        .collect::<Vec<_>>();
    let used = reqs.len();
    let mut parts = Vec::new();
    let mut failed = Vec::new();
    for ev in all(&pool, reqs).await? {
        if let Event::Responses {
            first,
            responses,
            failed: f,
        } = ev
        {
            parts.push((first, *responses));
            failed.extend(f);
        }
    }
    failed.sort_by_key(|f| f.0);
    Ok((merge_responses(parts), failed, used))
}

/// Gives the pool the experiment's val and test images, split across its workers.
pub async fn set_parts(
    store: Store,
    entry: &ModelEntry,
    weights: Option<web_sys::File>,
    val: Vec<web_sys::File>,
    test: Vec<web_sys::File>,
    tally: &Tally,
) -> Result<usize, Failure> {
    let t2 = tally.clone();
    let pool = ready(store, entry, weights, Rc::new(move |w, d| t2.set(w, d))).await?;
    let n = pool.workers.len();
    for (part, files) in [(Part::Val, val), (Part::Test, test)] {
        let mut ranges = shards(files.len(), n);
        ranges.resize(n, 0..0);
        let reqs = ranges
            .iter()
            .map(|r| {
                (
                    Request::SetPart { part },
                    Attach {
                        files: files[r.clone()].to_vec(),
                        bytes: None,
                    },
                )
            })
            .collect();
        all(&pool, reqs).await?;
    }
    Ok(n)
}

/// Readout features of a part under each mask, over the whole pool, in image order.
pub async fn features(
    store: Store,
    part: Part,
    layer: &str,
    masks: &[GainMask],
) -> Result<FeatureRows, Failure> {
    let pool = current(store).ok_or_else(Failure::cancelled)?;
    let reqs = (0..pool.workers.len())
        .map(|_| {
            (
                Request::Features {
                    part,
                    layer: layer.to_string(),
                    masks: masks.to_vec(),
                },
                Attach::default(),
            )
        })
        .collect();
    let mut parts = Vec::new();
    for ev in all(&pool, reqs).await? {
        if let Event::Features(f) = ev {
            parts.push(f.into_rows()?);
        }
    }
    Ok(merge_features(parts))
}
