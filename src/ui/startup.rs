//! Start-up and recovery of the interactive engine worker: spawning it, its interim events
//! landing in the store, the first model from the link (or the quick start), and the restart
//! after a crash from the record in [`super::session::Link`].

use super::client::{Attach, Client};
use super::fetch::{fetch_text, query_param};
use super::session::{call, get, put, rerun, Loading};
use super::store::Store;
use crate::first_visit::PAPER_MODEL;
use crate::protocol::{BackendChoice, Event, Failure, Request};
use crate::sched::Latest;
use crate::weights::manifest::Manifest;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;

/// Interim events of the interactive worker.
fn on_event(store: Store, ev: Event) {
    match ev {
        Event::Backend { label, reason, gpu } => {
            store.net.backend.set(label);
            store.net.backend_reason.set(reason);
            store.net.gpu.set(gpu);
        }
        Event::Download { got, total } => store.net.progress.set(Some((got, total))),
        Event::Prefetching { got, total } => store
            .net
            .upgrade
            .update(|u| *u = u.take().map(|(label, _, _)| (label, got, total))),
        Event::Notice(n) => store.notice.set(n),
        Event::Error(f) => store.fail(f.message),
        _ => {}
    }
}

/// Starts (or restarts) the interactive worker: its wasm starts loading now.
fn spawn_client(store: Store) -> Result<Client, Failure> {
    let on_crash = Rc::new(move |why: String| spawn_local(restart(store, why)));
    let c = Client::spawn(Rc::new(move |ev| on_event(store, ev)), on_crash)?;
    put(store, |s| s.client = Some(c.clone()));
    Ok(c)
}

/// Sets up the worker's engine (WebGPU or CPU, as the link and the device allow).
async fn init(store: Store, c: &Client) -> Result<(), Failure> {
    let choice = get(store, |s| s.choice);
    c.call(
        Request::Init {
            backend: choice,
            pool: false,
        },
        Attach::default(),
    )
    .await?;
    Ok(())
}

/// The worker died: start a new one and give it the same model, profile and image.
async fn restart(store: Store, why: String) {
    let _t = store.task("restarting the engine");
    store.notice.set(format!(
        "The engine stopped ({why}). It was restarted; your model, image and settings are kept."
    ));
    let started = match spawn_client(store) {
        Ok(c) => init(store, &c).await,
        Err(f) => Err(f),
    };
    if let Err(f) = started {
        return store.fail(format!("the engine could not be restarted: {f}"));
    }
    let (entry, file, profile, image) = put(store, |s| {
        s.analysis = Latest::default();
        (
            s.entry.clone(),
            s.file.clone(),
            s.profile.clone(),
            s.image.clone(),
        )
    });
    if let Some(e) = entry {
        let from_file = file.is_some();
        let attach = Attach {
            files: file.into_iter().collect(),
            bytes: None,
        };
        if let Err(f) = call(
            store,
            Request::LoadModel {
                entry: Box::new(e),
                from_file,
            },
            attach,
        )
        .await
        {
            return store.fail(format!("the engine could not reload the model: {f}"));
        }
    }
    let _ = call(
        store,
        Request::SetProfile(profile.map(|p| Box::new((*p).clone()))),
        Attach::default(),
    )
    .await;
    if image.is_some() {
        // The next analysis gives the worker the image again (unless a newer one waits).
        put(store, |s| {
            if s.fresh.is_none() {
                s.fresh = image;
            }
        });
        rerun(store);
    }
}

/// Start-up: the worker, the manifest, then the model from the link or the default.
pub async fn start(store: Store) {
    // An image given before the first model is in waits for it (one analysis, at the end).
    let loading = Loading::begin(store);
    let choice = BackendChoice::from_param(query_param("backend").as_deref());
    put(store, |s| s.choice = choice);
    let t = store.task("starting the engine");
    // The engine's wasm loads in its worker while the page fetches the model list.
    let client = match spawn_client(store) {
        Ok(c) => c,
        Err(f) => return store.fail(f.message),
    };
    let manifest = match fetch_text("weights/manifest.json")
        .await
        .and_then(|t| Manifest::parse(&t))
    {
        Ok(m) => m,
        Err(e) => {
            store
                .error
                .set(format!("{e}; using the built-in model list"));
            Manifest::builtin()
        }
    };
    store.net.models.set(
        manifest
            .models
            .iter()
            .map(|m| (m.id.clone(), m.label.clone()))
            .collect(),
    );
    let asked = query_param("model");
    let known = asked.as_deref().filter(|id| manifest.get(id).is_ok());
    if let (Some(id), None) = (&asked, known) {
        store
            .notice
            .set(format!("Ignored unknown model `{id}` in the link."));
    }
    let start = super::upgrade::where_to_start(&manifest, known).await;
    let explicit = known.is_some();
    put(store, |s| s.manifest = Some(Rc::new(manifest)));
    let id = start.model.clone();
    store.net.model.set(id.clone());
    store.net.quick_start.set(id != PAPER_MODEL && !explicit);
    if let Err(f) = init(store, &client).await {
        return store.fail(f.message);
    }
    super::upgrade::load_first(store, &start, explicit).await;
    super::url_state::apply(store);
    drop(t);
    drop(loading);
    rerun(store);
    match query_param("example") {
        Some(f) if super::components::is_example(&f) => super::components::take_example(store, f),
        Some(f) => store.notice.set(format!(
            "Ignored the unknown example image `{f}` in the link."
        )),
        None => {}
    }
    super::url_state::follow(store);
    // The paper's network behind the quick start; offline use once the downloads are over.
    match start.then {
        Some(target) if store.net.quick_start.get_untracked() => spawn_local(async move {
            super::upgrade::fetch_then_switch(store, target).await;
            super::offline::enable(store);
        }),
        _ => super::offline::enable(store),
    }
}
