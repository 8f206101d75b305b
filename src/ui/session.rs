//! The page's side of the lab: what the interactive engine worker holds (model, profile, image)
//! as the page knows it, the requests the components trigger, and how events land in the store.
//! If the worker crashes, `super::startup` restarts it from this record: the same model,
//! profile and image.
//! The record of what the worker holds is part of the store ([`Link`] in
//! [`super::store::EngineState`]), not a global: the page keeps state, the worker the engine.

use super::client::{Attach, Client};
use super::store::{Mode, Store};
use crate::analysis::profile::Profile;
use crate::model::GainMask;
use crate::protocol::{BackendChoice, ErrorKind, Event, Failure, Request};
use crate::sched::Latest;
use crate::weights::manifest::{Manifest, ModelEntry};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;

/// The page's handle on the interactive worker, and the record a replacement worker is rebuilt
/// from after a crash or a lost GPU: the model, profile and image it was given.
#[derive(Default)]
pub struct Link {
    pub(super) client: Option<Client>,
    pub(super) choice: BackendChoice,
    pub(super) manifest: Option<Rc<Manifest>>,
    /// The model in the worker, and the visitor's file behind it if it came from one.
    pub(super) entry: Option<ModelEntry>,
    pub(super) file: Option<web_sys::File>,
    /// Model loads running (and their profiles being installed).
    pub(super) loading: u32,
    pub(super) profile: Option<Rc<Profile>>,
    pub(super) image: Option<(String, Rc<Vec<u8>>)>,
    /// An image the worker has not had yet: the next analysis carries it (one round trip).
    pub(super) fresh: Option<(String, Rc<Vec<u8>>)>,
    pub(super) analysis: Latest,
    /// Counts unit-map requests: only the newest one's answer is shown.
    pub(super) maps: u64,
}

/// Reads the store's record of the worker.
pub(super) fn get<T>(store: Store, f: impl FnOnce(&Link) -> T) -> T {
    store.engine.link.with_value(f)
}

/// Changes the store's record of the worker.
pub(super) fn put<T>(store: Store, f: impl FnOnce(&mut Link) -> T) -> T {
    store
        .engine
        .link
        .try_update_value(f)
        .expect("the store lives as long as the page")
}

fn client(store: Store) -> Result<Client, Failure> {
    get(store, |s| s.client.clone())
        .ok_or_else(|| Failure::new(ErrorKind::NotReady, "the engine is starting"))
}

/// Sends `req` to the interactive worker.
pub async fn call(store: Store, req: Request, attach: Attach) -> Result<Event, Failure> {
    client(store)?.call(req, attach).await
}

pub fn manifest(store: Store) -> Option<Rc<Manifest>> {
    get(store, |s| s.manifest.clone())
}

/// The model loaded in the worker, and the visitor's weights file behind it.
pub fn model(store: Store) -> Option<(ModelEntry, Option<web_sys::File>)> {
    get(store, |s| s.entry.clone().map(|e| (e, s.file.clone())))
}

/// The profile in use (shipped, loaded from a file, or computed in this tab).
pub fn profile(store: Store) -> Option<Rc<Profile>> {
    get(store, |s| s.profile.clone())
}

/// A model load in progress, until dropped: the image is analysed at its end, once, rather than
/// with the old model or without the new profile.
pub(super) struct Loading(Store);

impl Loading {
    pub(super) fn begin(store: Store) -> Self {
        set_loading(store, true);
        Self(store)
    }
}

impl Drop for Loading {
    fn drop(&mut self) {
        set_loading(self.0, false);
    }
}

/// Marks a model load as begun (`true`) or over (`false`); loads may overlap.
fn set_loading(store: Store, on: bool) {
    put(store, |s| {
        s.loading = if on {
            s.loading + 1
        } else {
            s.loading.saturating_sub(1)
        }
    });
}

/// Records the model now in the worker (and the visitor's file behind it).
pub(super) fn set_model(store: Store, entry: Option<ModelEntry>, file: Option<web_sys::File>) {
    put(store, |s| {
        s.entry = entry;
        s.file = file;
    });
}

/// Records the profile now in use (the worker is told by [`super::models::set_profile`]).
pub(super) fn keep_profile(store: Store, p: Option<Profile>) {
    put(store, |s| s.profile = p.map(Rc::new));
}

/// Analyses a new image: the analysis carries it to the worker (one round trip). An image that
/// cannot be decoded is refused with the reason, and the previous image and its results stay.
pub fn run_image(store: Store, name: String, bytes: Vec<u8>) {
    put(store, |s| s.fresh = Some((name, Rc::new(bytes))));
    rerun(store);
}

/// The mask the intervention panel describes (empty when nothing is selected).
pub fn current_mask(store: Store) -> GainMask {
    let units = store.intervention.selected.get_untracked();
    let layer = store.intervention.layer.get_untracked();
    let n = store
        .net
        .layers
        .with_untracked(|ls| ls.iter().find(|(l, _)| *l == layer).map_or(0, |l| l.1));
    if units.is_empty() || n == 0 {
        return GainMask::none();
    }
    match store.intervention.mode.get_untracked() {
        Mode::Lesion => GainMask::lesion(&layer, n, &units),
        Mode::Enhance => {
            GainMask::enhance(&layer, n, &units, store.intervention.alpha.get_untracked())
        }
    }
}

/// Re-analyses the current image (after a mask, layer or model change). While one analysis
/// runs, only the newest request waits behind it.
pub fn rerun(store: Store) {
    // While a model loads, its end analyses the image (with the new profile): one pass, not two.
    let has_image = get(store, |s| {
        (s.image.is_some() || s.fresh.is_some()) && s.loading == 0
    });
    if has_image && put(store, |s| s.analysis.request()) {
        spawn_local(analyse_loop(store));
    }
}

async fn analyse_loop(store: Store) {
    loop {
        let fresh = put(store, |s| s.fresh.take());
        let name = fresh
            .as_ref()
            .map(|f| f.0.clone())
            .or_else(|| get(store, |s| s.image.as_ref().map(|i| i.0.clone())));
        let _t = store.task(format!("running {}", name.unwrap_or_default()));
        store.error.set(String::new());
        let req = Request::Analyse {
            mask: current_mask(store),
            layer: store.intervention.layer.get_untracked(),
            baseline: fresh.is_some() || store.image.baseline.with_untracked(|b| b.is_none()),
            image: fresh.as_ref().map(|f| f.0.clone()),
        };
        let attach = Attach {
            files: Vec::new(),
            bytes: fresh.as_ref().map(|f| (*f.1).clone()),
        };
        let result = call(store, req, attach).await;
        let stale = get(store, |s| s.analysis.stale());
        match (result, fresh) {
            (Ok(Event::Analysis(a)), fresh) => {
                if let Some(f) = fresh {
                    // The worker holds it now, whether or not this answer is still wanted.
                    put(store, |s| s.image = Some(f));
                    store.image.baseline.set(None);
                    store.image.affect_baseline.set(None);
                    store.image.heatmap.set(None);
                }
                if !stale {
                    super::results::show(store, *a).await;
                }
            }
            (Ok(_), _) => store.fail("the engine gave an unexpected reply to the analysis"),
            (Err(f), Some(_)) if f.kind == ErrorKind::BadInput => {
                store.fail(format!("{f}. The previous image is kept."))
            }
            (Err(f), fresh) if f.kind == ErrorKind::WorkerCrashed => {
                // The restarted worker gets this image (the newest), not the one before it.
                if let Some(f) = fresh {
                    put(store, |s| s.fresh = Some(f));
                }
            }
            (Err(f), _) if f.kind == ErrorKind::Cancelled => {}
            (Err(f), _) => store.fail(format!("the forward pass failed: {f}")),
        }
        if !put(store, |s| s.analysis.finished()) {
            break;
        }
    }
}

/// Computes the focused unit's spatial map for the current image: its own response pattern,
/// before any gain. Interventions act within the layer on screen, so a lesion would only blank
/// the map of a lesioned unit (and a boost scale it), which tells a student nothing about where
/// the unit looks.
pub async fn unit_map(store: Store, layer: String, unit: usize) {
    store.image.heatmap.set(None);
    if get(store, |s| s.image.is_none()) {
        return;
    }
    let n = put(store, |s| {
        s.maps += 1;
        s.maps
    });
    let req = Request::UnitMap {
        mask: GainMask::none(),
        layer,
        unit,
    };
    match call(store, req, Attach::default()).await {
        Ok(Event::Map { h, w, values, .. })
            if get(store, |s| s.maps) == n
                && store.intervention.focus.get_untracked() == Some(unit) =>
        {
            store.image.heatmap.set(Some((h, w, values)))
        }
        // A newer unit's map is on its way, or the focus moved.
        Ok(Event::Map { .. }) => {}
        Ok(_) => store.fail("the engine gave an unexpected reply to the unit map request"),
        Err(f) if f.kind == ErrorKind::WorkerCrashed => {}
        Err(f) => store.fail(f.message),
    }
}
