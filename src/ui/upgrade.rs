//! A first visit's quick start and its switch to the paper's network (the policy is
//! [`crate::first_visit`]). The engine worker fetches VGG-16 into Cache Storage beside the passes;
//! once it is checked and the lab is idle, the lab switches to it, announced, keeping the image,
//! the layer (at the same depth) and the kind of selection.

use super::client::Attach;
use super::fetch::query_param;
use super::models::load_only;
use super::session::{call, manifest, rerun};
use super::store::Store;
use crate::analysis::experiment::draw;
use crate::first_visit::{
    self, carry, remake_selective, same_depth, Carry, Start, Visit, PAPER_MODEL, QUICK_MODEL,
};
use crate::lesson::Selection;
use crate::protocol::Request;
use crate::weights::init::SplitMix64;
use crate::weights::manifest::Manifest;
use crate::weights::WEIGHTS_CACHE;
use js_sys::Reflect;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Where this visit starts ([`crate::first_visit::start`]), from the link (`known`: the model
/// it names, if the manifest has it) and what this browser holds.
pub async fn where_to_start(manifest: &Manifest, known: Option<&str>) -> Start {
    let with_file = |id: &str| manifest.get(id).ok().and_then(|e| e.file.clone());
    let paper_cached = match with_file(PAPER_MODEL) {
        Some(f) if known.is_none() => cached(&f).await,
        _ => false,
    };
    first_visit::start(Visit {
        asked: known,
        lesson: query_param("lesson").is_some(),
        has_paper: with_file(PAPER_MODEL).is_some(),
        has_quick: with_file(QUICK_MODEL).is_some(),
        paper_cached,
        save_data: save_data(),
    })
}

/// Loads the model the visit starts on. Without a model in the link, a quick start the site
/// does not deploy falls back to the paper's model, and a site with no pretrained weights to
/// the embedded untrained control; a model named in the link stays, with its error.
pub async fn load_first(store: Store, start: &Start, explicit: bool) {
    let mut loaded = load_only(store, &start.model).await.is_ok();
    if !loaded && !explicit && start.model != PAPER_MODEL {
        store.net.quick_start.set(false);
        loaded = load_only(store, PAPER_MODEL).await.is_ok();
    }
    if !loaded && !explicit {
        let fallback = "alexnet-untrained";
        let note = store.error.get_untracked();
        store.net.quick_start.set(false);
        if load_only(store, fallback).await.is_ok() {
            store.notice.set(format!(
                "The pretrained network is not available here ({note}). Showing the untrained \
                 control instead; the site owner can deploy the pretrained weights with \
                 `neurons weights fetch vgg16-imagenet-conv`."
            ));
        }
    } else if start.held_back && store.net.quick_start.get_untracked() {
        store.notice.set(
            "Quick start on ImageNet AlexNet: your browser asks to save data, so the paper's \
             VGG-16 (about 50 MB) is not downloaded. Choose it in the model list when you want it."
                .to_string(),
        );
    }
}

/// Whether this browser already holds the checked weights file `file` (a returning visitor).
pub async fn cached(file: &str) -> bool {
    let Some(caches) = web_sys::window().and_then(|w| w.caches().ok()) else {
        return false;
    };
    let Ok(cache) = JsFuture::from(caches.open(WEIGHTS_CACHE)).await else {
        return false;
    };
    let cache: web_sys::Cache = cache.unchecked_into();
    JsFuture::from(cache.match_with_str(&format!("weights/{file}")))
        .await
        .is_ok_and(|r| r.is_instance_of::<web_sys::Response>())
}

/// The browser's Save-Data setting (`navigator.connection.saveData`; false where unknown).
pub fn save_data() -> bool {
    web_sys::window()
        .and_then(|w| Reflect::get(&w.navigator(), &"connection".into()).ok())
        .filter(|c| c.is_object())
        .and_then(|c| Reflect::get(&c, &"saveData".into()).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// Fetches `target` behind the quick start, then switches to it when the lab is idle (or, if
/// the visitor has chosen another model meanwhile, says that it is ready).
pub async fn fetch_then_switch(store: Store, target: String) {
    let Some(entry) = manifest(store).and_then(|m| m.get(&target).ok().cloned()) else {
        return;
    };
    let Some(file) = entry.file.clone() else {
        return;
    };
    store.net.upgrade.set(Some((entry.label.clone(), 0, 0)));
    let req = Request::Prefetch {
        file,
        sha256: entry.sha256.clone(),
    };
    let fetched = call(store, req, Attach::default()).await;
    store.net.upgrade.set(None);
    if let Err(f) = fetched {
        return store.notice.set(format!(
            "{} could not be downloaded in the background ({}). The lab stays on {}; choose \
             {} in the model list to try again.",
            entry.label,
            f.message,
            store.net.label(&store.net.model.get_untracked()),
            entry.label
        ));
    }
    // A calm moment: nothing running (a pass, a profiling run, the classroom experiment).
    while !store.status.get_untracked().is_ready() {
        crate::web::sleep_ms(250).await;
    }
    if !store.net.quick_start.get_untracked() {
        // The visitor chose a model, a weights file or a profile meanwhile: theirs stays.
        if store.net.model.get_untracked() != target {
            store.notice.set(format!(
                "{} has downloaded: choose it in the model list whenever you like.",
                entry.label
            ));
        }
        return;
    }
    switch(store, &target, &entry.label).await;
}

/// The profile's summaries of the layer on screen (none without a profile).
fn layer_summaries(store: Store) -> Vec<crate::labview::UnitSummary> {
    store.profile.units.with_untracked(|u| {
        store
            .layer_index()
            .and_then(|i| u.get(i).cloned())
            .unwrap_or_default()
    })
}

fn layer_names(store: Store) -> Vec<String> {
    store
        .net
        .layers
        .with_untracked(|ls| ls.iter().map(|l| l.0.clone()).collect())
}

/// Loads `target` and remakes the layer and the selection on it.
async fn switch(store: Store, target: &str, label: &str) {
    let from = store.net.label(&store.net.model.get_untracked());
    let old_layers = layer_names(store);
    let layer = store.intervention.layer.get_untracked();
    let selected = store.intervention.selected.get_untracked();
    let old_units = layer_summaries(store);
    let kind_before = store.intervention.selection.get_untracked();
    let plan = carry(kind_before, &selected, &old_units);
    let from_id = store.net.model.get_untracked();
    store.net.quick_start.set(false);
    let loaded = load_only(store, target).await.is_ok();
    if !loaded || store.net.model.get_untracked() != target {
        if !loaded {
            // Back to the quick start, as it was: the visitor keeps a working lab.
            let why = store.error.get_untracked();
            if load_only(store, &from_id).await.is_ok() {
                store.net.quick_start.set(true);
                store.intervention.layer.set(layer);
                store.intervention.selected.set(selected);
                store.intervention.selection.set(kind_before);
                rerun(store);
                store.notice.set(format!(
                    "{label} could not be loaded ({why}); the lab stays on {from}."
                ));
            }
        }
        return;
    }
    let new_layers = layer_names(store);
    let layer = same_depth(&old_layers, &new_layers, &layer)
        .unwrap_or_else(|| new_layers.last().cloned().unwrap_or_default());
    store.intervention.layer.set(layer.clone());
    let n = store
        .net
        .layers
        .with_untracked(|ls| ls.iter().find(|l| l.0 == layer).map_or(0, |l| l.1));
    let units = layer_summaries(store);
    let (picked, kind, kept) = match plan {
        Carry::Nothing => (Vec::new(), Selection::None, ""),
        Carry::Selective { emotion, count } => (
            remake_selective(&units, emotion, count),
            Selection::Selective,
            ", the layer's most selective units for the same emotion",
        ),
        Carry::Random { count } => {
            let mut idx = draw(n, count.min(n), &mut SplitMix64::new(0x5eed));
            idx.sort();
            (idx, Selection::Random, ", as many random units")
        }
        Carry::Cleared => (
            Vec::new(),
            Selection::None,
            "; the units you picked by hand were cleared (the other network has other units)",
        ),
    };
    store.intervention.selected.set(picked);
    store.intervention.selection.set(kind);
    store.intervention.focus.set(None);
    rerun(store);
    store.notice.set(format!(
        "Switched from {from} (the quick start) to {label}, the paper's network, now that it \
         has downloaded: same image, layer {layer}{kept}."
    ));
}
