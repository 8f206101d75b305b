//! The classroom experiment in the browser: the set that ships with the site
//! (`classroom/set.json` and its pictures), the shipped profile's selective units of the layer on
//! screen lesioned and enhanced against random draws, scored by the shipped readout
//! ([`crate::analysis::classroom::run_set`], the code `neurons classroom` runs). Passes run on
//! the pool; the set's unmasked readout features are kept per model in Cache Storage, so a
//! second run on the readout's own layer needs no pass at all.

use super::fetch::{fetch_bytes, fetch_text};
use super::pool::{self, Tally};
use super::profiler::{report_failure, ticker, Progress};
use super::session;
use super::store::Store;
use crate::analysis::classroom::{alphas_for, run_set, set_masks, ClassroomSet};
use crate::analysis::experiment::{layers_above, readout_layer, FeatureRows, Features, Part};
use crate::analysis::reference::Reference;
use crate::lesson::class_set::ClassSetRun;
use crate::model::GainMask;
use crate::protocol::{ErrorKind, Failure};
use crate::weights::manifest::ModelEntry;
use leptos::prelude::*;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_time::Instant;

/// Random-unit draws per emotion (the paper's and the CLI's default).
pub const DRAWS: usize = 5;
const CACHE: &str = "emotion-neurons-classroom-v1";

/// The set's manifest (fetched once per page).
pub async fn set(store: Store) -> Result<ClassroomSet, Failure> {
    if let Some(s) = store.classroom.set.get_untracked() {
        return Ok(s);
    }
    let text = fetch_text("classroom/set.json").await.map_err(|e| {
        Failure::new(
            ErrorKind::Download,
            format!("the classroom set is not available ({e})"),
        )
    })?;
    let s = ClassroomSet::parse(&text)?;
    store.classroom.set.set(Some(s.clone()));
    Ok(s)
}

/// The shipped OASIS experiment of `model`, `None` when none ships for it.
pub async fn reference(model: &str) -> Result<Option<Reference>, Failure> {
    match fetch_text(&format!("reference/{model}.json")).await {
        Ok(t) => Reference::parse(&t, model).map(Some),
        Err(_) => Ok(None),
    }
}

/// The cache key of the set's unmasked features on `model`.
fn cache_key(model: &str, set: &ClassroomSet) -> String {
    let names: Vec<&str> = set.images.iter().map(|i| i.file.as_str()).collect();
    let h = crate::weights::init::fnv1a(&names.join("\n"));
    format!("classroom-features/{model}/{h:016x}.json")
}

async fn cache() -> Option<web_sys::Cache> {
    let caches = web_sys::window()?.caches().ok()?;
    let c = JsFuture::from(caches.open(CACHE)).await.ok()?;
    c.dyn_into().ok()
}

async fn cached_rows(key: &str) -> Option<Vec<Vec<f32>>> {
    let r = JsFuture::from(cache().await?.match_with_str(key))
        .await
        .ok()?;
    let r: web_sys::Response = r.dyn_into().ok()?;
    let text = JsFuture::from(r.text().ok()?).await.ok()?.as_string()?;
    serde_json::from_str(&text).ok()
}

async fn keep_rows(key: &str, rows: &[Vec<f32>]) {
    let Some(c) = cache().await else { return };
    let Ok(json) = serde_json::to_string(rows) else {
        return;
    };
    if let Ok(resp) = web_sys::Response::new_with_opt_str(Some(&json)) {
        let _ = JsFuture::from(c.put_with_str(key, &resp)).await;
    }
}

/// The pool as the run's feature source: the cached unmasked rows answer the baseline; the
/// pool answers the rest, given the set's pictures (fetched then) on first need. A run that the
/// cache answers whole fetches no picture and starts no worker.
struct SetOnPool<'s> {
    store: Store,
    entry: ModelEntry,
    weights: Option<web_sys::File>,
    set: &'s ClassroomSet,
    tally: Tally,
    ready: bool,
    baseline: Option<Vec<Vec<f32>>>,
    workers: Rc<std::cell::Cell<usize>>,
}

impl SetOnPool<'_> {
    fn stop_if_cancelled(&self) -> Result<(), Failure> {
        match self.store.classroom.cancelled.get_untracked() {
            true => Err(Failure::cancelled()),
            false => Ok(()),
        }
    }
}

impl Features for SetOnPool<'_> {
    async fn under(
        &mut self,
        layer: &str,
        part: Part,
        masks: &[GainMask],
    ) -> Result<FeatureRows, Failure> {
        self.stop_if_cancelled()?;
        if let (Some(b), [m]) = (&self.baseline, masks) {
            if m.is_empty() {
                return Ok(vec![b.clone()]);
            }
        }
        if !self.ready {
            let files = pictures(self.set).await?;
            // A cancel while the pictures were fetched (no worker to stop yet) stops here.
            self.stop_if_cancelled()?;
            let n = pool::set_parts(
                self.store,
                &self.entry,
                self.weights.clone(),
                Vec::new(),
                files,
                &self.tally,
            )
            .await?;
            self.workers.set(n);
            self.ready = true;
            self.stop_if_cancelled()?;
        }
        let rows = pool::features(self.store, part, layer, masks).await?;
        self.tally.next_request();
        if let ([m], Some(r)) = (masks, rows.first()) {
            if m.is_empty() {
                self.baseline = Some(r.clone());
            }
        }
        Ok(rows)
    }
}

/// The set's pictures as files (fetched from the site or its offline copy).
async fn pictures(set: &ClassroomSet) -> Result<Vec<web_sys::File>, Failure> {
    let mut out = Vec::new();
    for im in &set.images {
        let url = format!("classroom/{}", im.file);
        let bytes = fetch_bytes(&url, |_, _| {}).await.map_err(|e| {
            Failure::new(
                ErrorKind::Download,
                format!("classroom picture {}: {e}", im.file),
            )
        })?;
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
        let f = web_sys::File::new_with_u8_array_sequence(&parts, &im.file)
            .map_err(|_| Failure::from("cannot make a file of a classroom picture"))?;
        out.push(f);
    }
    Ok(out)
}

/// Runs the classroom experiment on `layer` with the loaded model and its shipped profile.
pub async fn run(store: Store, layer: String, progress: Progress) {
    let _t = store.task("running the classroom experiment");
    store.error.set(String::new());
    store.classroom.outcome.set(None);
    store.classroom.cancelled.set(false);
    let t0 = Instant::now();
    let result = async {
        let (entry, weights) = session::model(store)
            .ok_or_else(|| Failure::new(ErrorKind::NotReady, "load a model first"))?;
        let p = session::profile(store)
            .ok_or_else(|| Failure::new(ErrorKind::NotReady, "this model has no profile"))?;
        let set = set(store).await?;
        let labels = set.labels(&p.classes)?;
        let shipped = reference(&entry.id)
            .await?
            .map(|r| r.rows)
            .unwrap_or_default();
        let alphas = alphas_for(&shipped, &layer, &p.classes);
        let masks = set_masks(&p, &layer, &alphas, DRAWS)?;
        let key = cache_key(&entry.id, &set);
        let baseline = cached_rows(&key)
            .await
            .filter(|r| r.len() == set.images.len());
        let cached = baseline.is_some();
        // Work in pictures × layers computed, as the workers count it: at the readout's own
        // layer only the unmasked pass (none when cached), below it every mask over the layers
        // above the intervened one.
        let n = set.images.len() as u64;
        let names: Vec<&str> = p.layers.iter().map(|l| l.name.as_str()).collect();
        let above = (layers_above(&names, &layer) as u64)
            .saturating_sub(1)
            .max(1);
        let total = match (readout_layer(&p).as_deref() == Some(layer.as_str()), cached) {
            (true, true) => 1,
            (true, false) => n,
            (false, c) => n * above * (masks as u64 - c as u64),
        };
        let workers = Rc::new(std::cell::Cell::new(0));
        progress.set(Some((0, total, f64::NAN, 0)));
        let tally = Tally::new();
        let ticker = {
            let workers = workers.clone();
            ticker(progress, &tally, total, t0, move || workers.get())
        };
        let mut source = SetOnPool {
            store,
            entry: entry.clone(),
            weights,
            set: &set,
            tally,
            ready: false,
            baseline,
            workers,
        };
        let r = run_set(&mut source, &p, &layer, &alphas, &labels, DRAWS).await;
        if let Some(t) = ticker {
            t.clear();
        }
        if let (false, Some(b)) = (cached, &source.baseline) {
            keep_rows(&key, b).await;
        }
        r.map(|o| (o, cached))
    }
    .await;
    progress.set(None);
    let secs = t0.elapsed().as_secs_f64();
    match result {
        Ok((o, cached)) => {
            let run = ClassSetRun::of(
                &store.net.model.get_untracked(),
                &layer,
                o.images.len(),
                &o.rows,
            );
            store.classroom.runs.update(|r| ClassSetRun::record(r, run));
            store.classroom.seconds.set(Some((secs, cached)));
            store.classroom.outcome.set(Some((layer, o)));
        }
        Err(f) => report_failure(
            store,
            f,
            "Classroom experiment cancelled.",
            "An experiment worker",
        ),
    }
}
