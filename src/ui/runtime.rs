//! The non-reactive side of the app: the chosen engine and the loaded network (not `Send`, so
//! kept in a thread-local), and the async steps the components trigger.

use super::fetch::{fetch_cached, fetch_text, forget_cached, has_webgpu, query_param};
use super::gpu_probe::probe;
use super::store::{Store, UnitSummary};
use crate::analysis::profile::Profile;
use crate::engine::Engine;
use crate::model::Network;
use crate::weights::{load_entry, manifest::Manifest};
use crate::ModelEntry;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

pub struct Loaded {
    pub entry: ModelEntry,
    pub net: Network,
    /// Counts installs, so caches can tell a reloaded model from the one before.
    pub generation: u64,
}

thread_local! {
    static ENGINE: RefCell<Option<Rc<Engine>>> = const { RefCell::new(None) };
    static MODEL: RefCell<Option<Rc<Loaded>>> = const { RefCell::new(None) };
    static MANIFEST: RefCell<Option<Rc<Manifest>>> = const { RefCell::new(None) };
    static PROFILE: RefCell<Option<Rc<Profile>>> = const { RefCell::new(None) };
}

pub fn engine() -> Option<Rc<Engine>> {
    ENGINE.with(|e| e.borrow().clone())
}

/// Makes `eng` the backend in use, and says so.
pub fn set_engine(store: Store, eng: Engine) {
    store.backend.set(eng.info.label());
    store.backend_reason.set(eng.info.reason.clone());
    ENGINE.with(|e| *e.borrow_mut() = Some(Rc::new(eng)));
}

pub fn model() -> Option<Rc<Loaded>> {
    MODEL.with(|m| m.borrow().clone())
}

/// The profile in use (shipped, loaded from a file, or computed in this tab).
pub fn profile() -> Option<Rc<Profile>> {
    PROFILE.with(|p| p.borrow().clone())
}

/// Makes `p` the profile in use (it must be of the loaded model) and re-analyses.
pub fn set_profile(store: Store, p: Option<Profile>) {
    store
        .classes
        .set(p.as_ref().map(|p| p.classes.clone()).unwrap_or_default());
    store
        .units
        .set(p.as_ref().map(summaries).unwrap_or_default());
    store.baseline.set(None);
    PROFILE.with(|cell| *cell.borrow_mut() = p.map(Rc::new));
}

/// The profile shipped beside the weights (`weights/profiles/<id>.json`), if any.
async fn fetch_profile(id: &str) -> Result<Profile, String> {
    let text = fetch_text(&format!("weights/profiles/{id}.json")).await?;
    Profile::parse(&text, Some(id))
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
                })
                .collect()
        })
        .collect()
}

/// Picks the backend: `?backend=cpu` forces CPU, `?backend=webgpu` forces WebGPU; otherwise
/// WebGPU unless it is missing or a software adapter (far slower than the CPU path).
pub async fn choose_engine() -> Engine {
    let want = query_param("backend").unwrap_or_default();
    if want == "cpu" {
        return Engine::cpu("CPU requested in the link (?backend=cpu)");
    }
    if !has_webgpu() {
        return Engine::cpu("this browser has no WebGPU: using the CPU (slower, but it works)");
    }
    let Some(probe) = probe().await else {
        return Engine::cpu("WebGPU is present but offers no adapter: using the CPU");
    };
    if probe.software && want != "webgpu" {
        return Engine::cpu(format!(
            "the WebGPU adapter ({}) is a software renderer, far slower than the CPU path; \
             add ?backend=webgpu to the link to force it",
            probe.name
        ));
    }
    match Engine::wgpu_async().await {
        Ok(mut e) => {
            e.info.adapter = probe.name.clone();
            e.info.software = probe.software;
            if probe.software {
                e.info.reason = "WebGPU forced on a software adapter: expect slow passes".into();
            }
            e
        }
        Err(err) => Engine::cpu(format!("{err}; using the CPU")),
    }
}

/// Start-up: backend, manifest, then the model from the link or the default.
pub async fn start(store: Store) {
    let eng = choose_engine().await;
    set_engine(store, eng);
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
    store.models.set(
        manifest
            .models
            .iter()
            .map(|m| (m.id.clone(), m.label.clone()))
            .collect(),
    );
    MANIFEST.with(|m| *m.borrow_mut() = Some(Rc::new(manifest)));
    let id = query_param("model").unwrap_or_else(|| "vgg16-imagenet-conv".into());
    let known = MANIFEST.with(|m| m.borrow().as_ref().is_some_and(|m| m.get(&id).is_ok()));
    let id = if known {
        id
    } else {
        store
            .notice
            .set(format!("Ignored unknown model `{id}` in the link."));
        "vgg16-imagenet-conv".into()
    };
    // Without a model in the link, a site that does not deploy the pretrained weights falls back
    // to the embedded untrained control; a model named in the link stays, with its error.
    let explicit = known && query_param("model").is_some();
    if load_model(store, &id).await.is_err() && !explicit {
        let fallback = "alexnet-untrained";
        let note = store.error.get_untracked();
        if load_model(store, fallback).await.is_ok() {
            store.notice.set(format!(
                "The pretrained VGG-16 is not available here ({note}). Showing the untrained \
                 control instead; the site owner can deploy the pretrained weights with \
                 `neurons weights fetch vgg16-imagenet-conv`."
            ));
        }
    }
    super::url_state::apply(store);
    store.status.set("ready".into());
    super::analyse::rerun(store);
    Effect::new(move |_| super::url_state::write(store));
}

/// Loads model `id` (fetching and verifying its weights, or generating seeded ones).
pub async fn load_model(store: Store, id: &str) -> Result<(), ()> {
    store.model.set(id.to_string());
    store.status.set(format!("loading {id}"));
    store.error.set(String::new());
    store.rows.set(Vec::new());
    store.means_json.set(String::new());
    let result = async {
        let manifest = MANIFEST.with(|m| m.borrow().clone()).ok_or("no manifest")?;
        let entry = manifest.get(id)?.clone();
        let bytes = match &entry.file {
            Some(f) => {
                let url = format!("weights/{f}");
                let bytes =
                    fetch_cached(&url, |got, total| store.progress.set(Some((got, total)))).await?;
                if crate::weights::sha256_hex(&bytes) != entry.sha256 {
                    // A damaged or tampered copy: never keep it in the cache.
                    forget_cached(&url).await;
                }
                Some(bytes)
            }
            None => {
                store.status.set(format!("generating {id} from its seed"));
                None
            }
        };
        store.progress.set(None);
        let map = load_entry(&entry, bytes.as_deref())?;
        let eng = engine().ok_or("no engine")?;
        let net = Network::load(entry.arch, &map, &eng.device)?;
        install(store, entry, net).await;
        Ok::<(), String>(())
    }
    .await;
    match result {
        Ok(()) => {
            store.status.set("ready".into());
            super::analyse::rerun(store);
            Ok(())
        }
        Err(e) => {
            MODEL.with(|m| *m.borrow_mut() = None);
            store.fail(format!("could not load {id}: {e}"));
            Err(())
        }
    }
}

/// Makes `net` (of `entry`) the loaded model, with the profile shipped for it when there is one.
pub async fn install(store: Store, entry: ModelEntry, net: Network) {
    let id = entry.id.clone();
    let profile = match fetch_profile(&id).await {
        Ok(p) => Some(p),
        Err(e) => {
            store.notice.set(format!(
                "No emotion profile for {id} ({e}): unit responses are shown without emotion colours."
            ));
            None
        }
    };
    set_profile(store, profile);
    let layers: Vec<(String, usize)> = net
        .layers()
        .iter()
        .map(|(n, u)| (n.to_string(), *u))
        .collect();
    if !layers
        .iter()
        .any(|(n, _)| *n == store.layer.get_untracked())
    {
        store
            .layer
            .set(layers.last().map(|l| l.0.clone()).unwrap_or_default());
        store.selected.set(Vec::new());
    }
    store.layers.set(layers);
    store.readout.set(None);
    store.baseline.set(None);
    store.layer_means.set(Vec::new());
    let generation = model().map_or(1, |m| m.generation + 1);
    MODEL.with(|m| {
        *m.borrow_mut() = Some(Rc::new(Loaded {
            entry,
            net,
            generation,
        }))
    });
}

/// The manifest in use.
pub fn manifest() -> Option<Rc<Manifest>> {
    MANIFEST.with(|m| m.borrow().clone())
}
