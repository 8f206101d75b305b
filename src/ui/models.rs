//! Models and profiles in the page: loading a model from the manifest or the visitor's weights
//! file (the engine worker fetches, verifies and builds it), the profile shipped for it or chosen
//! by the visitor, and the per-unit summaries the views read.

use super::client::Attach;
use super::fetch::fetch_text;
use super::session::{call, keep_profile, manifest, model, rerun, set_model, Loading};
use super::store::{Store, UnitSummary};
use crate::analysis::profile::Profile;
use crate::protocol::{Event, Failure, Request};
use crate::web::next_task;
use crate::weights::manifest::ModelEntry;
use leptos::prelude::*;

/// The model is in the worker: show its layers, and use the profile shipped for it.
async fn installed(
    store: Store,
    entry: ModelEntry,
    layers: Vec<(String, usize)>,
    file: Option<web_sys::File>,
) {
    let id = entry.id.clone();
    set_model(store, Some(entry), file);
    let shipped = async {
        let text = fetch_text(&format!("weights/profiles/{id}.json")).await?;
        Profile::parse(&text, Some(&id))
    };
    let profile = match shipped.await {
        Ok(p) => {
            next_task().await;
            Some(p)
        }
        Err(e) => {
            store.notice.set(format!(
                "No emotion profile for {id} ({e}): unit responses are shown without emotion colours."
            ));
            None
        }
    };
    set_profile(store, profile).await;
    if !layers
        .iter()
        .any(|(n, _)| *n == store.intervention.layer.get_untracked())
    {
        store
            .intervention
            .layer
            .set(layers.last().map(|l| l.0.clone()).unwrap_or_default());
        store.intervention.selected.set(Vec::new());
    }
    store.net.layers.set(layers);
    store.image.readout.set(None);
    store.image.affect.set(None);
    store.image.layer_means.set(Vec::new());
}

/// Loads model `id` (the worker fetches and verifies its weights, or generates seeded ones) and
/// analyses the image again on it.
pub async fn load_model(store: Store, id: &str) -> Result<(), ()> {
    load_only(store, id).await?;
    rerun(store);
    Ok(())
}

/// [`load_model`] without the new analysis (the caller sets the layer first).
pub async fn load_only(store: Store, id: &str) -> Result<(), ()> {
    let _loading = Loading::begin(store);
    load_inner(store, id).await
}

async fn load_inner(store: Store, id: &str) -> Result<(), ()> {
    store.net.model.set(id.to_string());
    let _t = store.task(format!("loading {id}"));
    store.error.set(String::new());
    store.image.rows.set(Vec::new());
    store.image.means_json.set(String::new());
    let result = async {
        let entry = manifest(store)
            .ok_or_else(|| Failure::from("no manifest"))?
            .get(id)?
            .clone();
        call(
            store,
            Request::LoadModel {
                entry: Box::new(entry),
                from_file: false,
            },
            Attach::default(),
        )
        .await
    }
    .await;
    store.net.progress.set(None);
    match result {
        Ok(Event::ModelLoaded { entry, layers }) => {
            installed(store, *entry, layers, None).await;
            Ok(())
        }
        Ok(_) => Err(()),
        Err(f) => {
            set_model(store, None, None);
            store.fail(format!("could not load {id}: {f}"));
            store.failed_load.set(Some((id.to_string(), f.kind)));
            Err(())
        }
    }
}

/// Larger weights files are refused before reading (VGG-16 with its classifier is 553 MB).
const MAX_WEIGHTS_BYTES: f64 = 1.2e9;

/// Loads the weights in `file` as the model in use, or says why not and keeps the current one.
pub async fn load_weights_file(store: Store, file: web_sys::File) {
    // The visitor's own choice: no switch to the paper's model behind it.
    store.net.quick_start.set(false);
    let name = file.name();
    let _t = store.task(format!("checking {name}"));
    store.error.set(String::new());
    if file.size() > MAX_WEIGHTS_BYTES {
        return store.fail(format!(
            "{name}: the file is {:.0} MB, larger than any model here ({:.0} MB at most). \
             The model in use is unchanged.",
            file.size() / 1e6,
            MAX_WEIGHTS_BYTES / 1e6
        ));
    }
    let Some(manifest) = manifest(store) else {
        return store.fail("the model list is not loaded yet");
    };
    let req = Request::CheckWeights {
        name: name.clone(),
        manifest: (*manifest).clone(),
    };
    let attach = Attach {
        files: vec![file.clone()],
        bytes: None,
    };
    match call(store, req, attach).await {
        Ok(Event::ModelLoaded { entry, layers }) => {
            let (id, label) = (entry.id.clone(), entry.label.clone());
            store.net.models.update(|ms| {
                if !ms.iter().any(|(i, _)| *i == id) {
                    ms.push((id.clone(), label));
                }
            });
            store.net.model.set(id.clone());
            installed(store, *entry, layers, Some(file)).await;
            store.notice.set(format!(
                "Loaded {name} as {id}. It stays in this tab; reloading the page forgets it."
            ));
            rerun(store);
        }
        Ok(_) => store.fail(format!(
            "{name}: the engine gave an unexpected reply. The model in use is unchanged."
        )),
        Err(f) => store.fail(format!("{name}: {f}. The model in use is unchanged.")),
    }
}

fn summaries(p: &Profile) -> Vec<Vec<UnitSummary>> {
    p.layers
        .iter()
        .map(|l| {
            l.units
                .iter()
                .enumerate()
                .map(|(i, u)| UnitSummary {
                    si: u.si,
                    preferred: u.preferred,
                    p_null: u.p_null,
                    selected: u.selected,
                    tuning: u.tuning.clone(),
                    mean: l.response_mean[i],
                    sd: l.response_sd[i],
                    affect_r: u.affect_r,
                    genuine: u.genuine,
                })
                .collect()
        })
        .collect()
}

/// Makes `p` the profile in use (of the loaded model), here and in the worker's readout.
pub async fn set_profile(store: Store, p: Option<Profile>) {
    let classes = p.as_ref().map(|p| p.classes.clone()).unwrap_or_default();
    let units = p.as_ref().map(summaries).unwrap_or_default();
    let boxed = p.as_ref().map(|p| Box::new(p.clone()));
    let ratings = p.as_ref().map(|p| p.ratings.clone()).unwrap_or_default();
    // In place before the signals change: the views read it when they redraw.
    keep_profile(store, p);
    store.profile.classes.set(classes);
    store.profile.units.set(units);
    store.profile.ratings.set(ratings);
    store.image.baseline.set(None);
    store.image.affect_baseline.set(None);
    // The views redraw in this task; the message to the worker is written in the next.
    next_task().await;
    if let Err(f) = call(store, Request::SetProfile(boxed), Attach::default()).await {
        store.fail(f.message);
    }
}

/// Loads a profile JSON chosen by the visitor (validated against the loaded model).
pub async fn load_profile_file(store: Store, file: web_sys::File) {
    let result = async {
        let bytes = super::fetch::read_file(&file).await?;
        let text = String::from_utf8(bytes).map_err(|_| "not a text file".to_string())?;
        let id = model(store).map(|m| m.0.id).ok_or("load a model first")?;
        Profile::parse(&text, Some(&id))
    }
    .await;
    match result {
        Ok(p) => {
            store.net.quick_start.set(false);
            set_profile(store, Some(p)).await;
            store.notice.set(format!("Loaded profile {}.", file.name()));
            rerun(store);
        }
        Err(e) => store.fail(format!(
            "{}: {e}. The profile in use is unchanged.",
            file.name()
        )),
    }
}
