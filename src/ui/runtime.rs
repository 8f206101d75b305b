//! The non-reactive side of the app: the chosen engine and the loaded network (not `Send`, so
//! kept in a thread-local), and the async steps the components trigger.

use super::fetch::{fetch_bytes, fetch_text, has_webgpu, query_param};
use super::store::{LayerRow, Store};
use crate::engine::Engine;
use crate::model::{GainMask, Network};
use crate::preprocess::prepare;
use crate::weights::{load_entry, manifest::Manifest};
use crate::ModelEntry;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use web_time::Instant;

pub struct Loaded {
    pub entry: ModelEntry,
    pub net: Network,
}

thread_local! {
    static ENGINE: RefCell<Option<Rc<Engine>>> = const { RefCell::new(None) };
    static MODEL: RefCell<Option<Rc<Loaded>>> = const { RefCell::new(None) };
    static MANIFEST: RefCell<Option<Rc<Manifest>>> = const { RefCell::new(None) };
}

fn engine() -> Option<Rc<Engine>> {
    ENGINE.with(|e| e.borrow().clone())
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
    match Engine::wgpu_async().await {
        Ok(e) if e.info.software && want != "webgpu" => Engine::cpu(format!(
            "the WebGPU adapter ({}) is a software renderer, far slower than the CPU path; \
             add ?backend=webgpu to force it",
            e.info.adapter
        )),
        Ok(mut e) => {
            if e.info.software {
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
    store.backend.set(eng.info.label());
    store.backend_reason.set(eng.info.reason.clone());
    ENGINE.with(|e| *e.borrow_mut() = Some(Rc::new(eng)));
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
    if load_model(store, &id).await.is_err() && id == "vgg16-imagenet-conv" {
        let fallback = "alexnet-untrained";
        let note = store.error.get_untracked();
        if load_model(store, fallback).await.is_ok() {
            store.error.set(format!(
                "{note}. Showing the untrained control instead; the site owner can deploy the \
                 pretrained weights with `neurons weights fetch vgg16-imagenet-conv`."
            ));
        }
    }
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
            Some(f) => Some(
                fetch_bytes(&format!("weights/{f}"), |got, total| {
                    store.progress.set(Some((got, total)))
                })
                .await?,
            ),
            None => {
                store.status.set(format!("generating {id} from its seed"));
                None
            }
        };
        store.progress.set(None);
        let map = load_entry(&entry, bytes.as_deref())?;
        let eng = engine().ok_or("no engine")?;
        let net = Network::load(entry.arch, &map, &eng.device)?;
        MODEL.with(|m| *m.borrow_mut() = Some(Rc::new(Loaded { entry, net })));
        Ok::<(), String>(())
    }
    .await;
    match result {
        Ok(()) => {
            store.status.set("ready".into());
            Ok(())
        }
        Err(e) => {
            MODEL.with(|m| *m.borrow_mut() = None);
            store.fail(format!("could not load {id}: {e}"));
            Err(())
        }
    }
}

/// Runs one image through the loaded model and fills the results.
pub async fn run_image(store: Store, name: String, bytes: Vec<u8>) {
    let (Some(eng), Some(model)) = (engine(), MODEL.with(|m| m.borrow().clone())) else {
        store.fail("no model is loaded yet");
        return;
    };
    store.error.set(String::new());
    store.status.set(format!("running {name}"));
    let prepared = match prepare(&bytes, &model.entry.preprocessing, true) {
        Ok(p) => p,
        Err(e) => return store.fail(format!("{name}: {e}")),
    };
    let t0 = Instant::now();
    match eng.means(&model.net, &[&prepared], &GainMask::none()).await {
        Ok((host, _)) => {
            store
                .forward_ms
                .set(Some(t0.elapsed().as_secs_f64() * 1000.0));
            let mut json = serde_json::Map::new();
            let mut rows = Vec::new();
            for (layer, m) in host.names.iter().zip(&host.means) {
                let v = &m[0];
                let (top_unit, top_value) = v.iter().enumerate().fold(
                    (0, f32::MIN),
                    |b, (i, x)| if *x > b.1 { (i, *x) } else { b },
                );
                rows.push(LayerRow {
                    name: layer.to_string(),
                    units: v.len(),
                    mean: v.iter().sum::<f32>() / v.len().max(1) as f32,
                    top_unit,
                    top_value,
                });
                json.insert(layer.to_string(), serde_json::json!(v));
            }
            store.rows.set(rows);
            store
                .means_json
                .set(serde_json::Value::Object(json).to_string());
            store.image_name.set(name);
            store.status.set("ready".into());
        }
        Err(e) => store.fail(format!("the forward pass failed: {e}")),
    }
}
