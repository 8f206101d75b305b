//! A weights file from the visitor's disk (picker or drop): a `.safetensors` file in
//! torchvision's layout, as `neurons weights convert` and `neurons weights init` write it.
//! Everything is checked before anything changes: a file whose sha256 matches a manifest entry
//! becomes that model (with its profile); any other must fit an architecture's tensor names and
//! shapes. On any failure the model in use stays, with a specific message.

use super::fetch::read_file;
use super::runtime::{engine, install, manifest};
use super::store::Store;
use crate::model::Network;
use crate::weights::{sha256_hex, TensorMap};
use crate::ModelEntry;
use leptos::prelude::*;

thread_local! {
    /// The file behind the loaded local model (read again after a GPU loss).
    static LAST: std::cell::RefCell<Option<web_sys::File>> = const { std::cell::RefCell::new(None) };
}

/// Loads the last local weights file again (on the engine now in use); false when none.
pub async fn reload(store: Store) -> bool {
    match LAST.with(|l| l.borrow().clone()) {
        Some(f) => load_weights_file(store, f).await,
        None => false,
    }
}

/// Larger files are refused before reading (VGG-16 with its classifier is 553 MB).
const MAX_BYTES: f64 = 1.2e9;

/// Checks `bytes` (named `name`) and builds the network they describe.
fn check(name: &str, bytes: &[u8]) -> Result<(ModelEntry, Network), String> {
    let manifest = manifest().ok_or("the model list is not loaded yet")?;
    let eng = engine().ok_or("no backend")?;
    let sha = sha256_hex(bytes);
    let map = TensorMap::from_safetensors(bytes).map_err(|e| {
        format!("{e} (expected a .safetensors weights file, as `neurons weights convert` writes)")
    })?;
    if let Some(known) = manifest
        .models
        .iter()
        .find(|m| m.file.is_some() && m.sha256 == sha)
    {
        let net = Network::load(known.arch, &map, &eng.device)?;
        return Ok((known.clone(), net));
    }
    let mut reasons = Vec::new();
    let mut tried = Vec::new();
    for m in &manifest.models {
        if tried.contains(&m.arch) {
            continue;
        }
        tried.push(m.arch);
        match Network::load(m.arch, &map, &eng.device) {
            Ok(net) => {
                let mut entry = m.clone();
                entry.id = format!("local-{:?}-{}", m.arch, &sha[..8]).to_lowercase();
                entry.label = format!("{name} (your file, {:?} layout)", m.arch);
                entry.file = Some(name.to_string());
                entry.sha256 = sha;
                entry.bytes = bytes.len() as u64;
                entry.classifier = [
                    "classifier.0.bias",
                    "classifier.1.bias",
                    "classifier.6.bias",
                ]
                .iter()
                .any(|k| map.contains(k));
                return Ok((entry, net));
            }
            Err(e) => reasons.push(format!("as {:?}: {e}", m.arch)),
        }
    }
    Err(format!(
        "these weights fit no model here ({})",
        reasons.join("; ")
    ))
}

/// Loads the weights in `file` as the model in use, or says why not and keeps the current one.
/// Returns whether it loaded.
pub async fn load_weights_file(store: Store, file: web_sys::File) -> bool {
    let name = file.name();
    let before = store.status.get_untracked();
    store.status.set(format!("checking {name}"));
    store.error.set(String::new());
    let result = async {
        if file.size() > MAX_BYTES {
            return Err(format!(
                "the file is {:.0} MB, larger than any model here ({:.0} MB at most)",
                file.size() / 1e6,
                MAX_BYTES / 1e6
            ));
        }
        check(&name, &read_file(&file).await?)
    }
    .await;
    match result {
        Ok((entry, net)) => {
            LAST.with(|l| *l.borrow_mut() = Some(file.clone()));
            let (id, label) = (entry.id.clone(), entry.label.clone());
            store.models.update(|ms| {
                if !ms.iter().any(|(i, _)| *i == id) {
                    ms.push((id.clone(), label));
                }
            });
            store.error.set(String::new());
            store.model.set(id.clone());
            install(store, entry, net).await;
            store.notice.set(format!(
                "Loaded {name} as {id}. It stays in this tab; reloading the page forgets it."
            ));
            store.status.set("ready".into());
            super::analyse::rerun(store);
            true
        }
        Err(e) => {
            store.status.set(before);
            store.fail(format!("{name}: {e}. The model in use is unchanged."));
            false
        }
    }
}
