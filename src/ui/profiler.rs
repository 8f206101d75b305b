//! Profiling a labelled set in the browser: a folder with one sub-folder per class. Images are
//! read in this tab only; batches yield to the page so progress, ETA and cancel stay live.

use super::runtime::{engine, model, set_profile};
use super::store::Store;
use crate::analysis::dataset::{is_image, order_classes, Dataset, Item};
use crate::analysis::pipeline::{build_profile, ProfileConfig};
use crate::analysis::profile::Profile;
use crate::analysis::responses::{compute, Responses};
use leptos::prelude::*;
use std::cell::Cell;
use std::path::{Path, PathBuf};
use wasm_bindgen_futures::JsFuture;
use web_time::Instant;

thread_local! {
    static CANCEL: Cell<bool> = const { Cell::new(false) };
}

/// Asks a running profile to stop after its current batch.
pub fn cancel() {
    CANCEL.with(|c| c.set(true));
}

/// Lets the page repaint between batches.
async fn yield_now() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback(&resolve);
        }
    });
    let _ = JsFuture::from(p).await;
}

/// `root/class/file.jpg` paths → a labelled set (class = the file's folder).
pub fn folder_dataset(paths: &[String]) -> Result<Dataset, String> {
    let mut skipped = Vec::new();
    let mut pairs = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        let parts: Vec<&str> = p.split('/').collect();
        if parts.len() < 2 || !is_image(Path::new(p)) {
            skipped.push(format!("{p}: not an image in a class folder"));
            continue;
        }
        pairs.push((i, parts[parts.len() - 2].to_string()));
    }
    let classes = order_classes(pairs.iter().map(|(_, c)| c.clone()).collect());
    let items = pairs
        .iter()
        .map(|(i, c)| Item {
            path: PathBuf::from(&paths[*i]),
            label: classes.iter().position(|k| k == c).unwrap_or(0),
        })
        .collect();
    let ds = Dataset {
        spec: "folder (in this browser)".into(),
        classes,
        items,
        skipped,
    };
    ds.check_sizes()?;
    Ok(ds)
}

/// Profiles `files` on the loaded model; `progress` gets `(done, total, eta seconds)`.
pub async fn profile_folder(
    store: Store,
    files: Vec<web_sys::File>,
    progress: RwSignal<Option<(usize, usize, f64)>>,
) {
    CANCEL.with(|c| c.set(false));
    let paths: Vec<String> = files
        .iter()
        .map(|f| {
            js_sys::Reflect::get(f, &"webkitRelativePath".into())
                .ok()
                .and_then(|v| v.as_string())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| f.name())
        })
        .collect();
    let result = async {
        let ds = folder_dataset(&paths)?;
        let (eng, m) = (
            engine().ok_or("no backend")?,
            model().ok_or("load a model first")?,
        );
        let by_path: std::collections::HashMap<&str, &web_sys::File> =
            paths.iter().map(|p| p.as_str()).zip(&files).collect();
        let (mut resp, mut failed) = (
            Responses {
                layers: vec![],
                units: vec![],
                n_images: 0,
                data: vec![],
                features: vec![],
                feature_dim: 0,
                feature_source: String::new(),
            },
            Vec::new(),
        );
        let t0 = Instant::now();
        let n = ds.items.len();
        for start in (0..n).step_by(8) {
            if CANCEL.with(|c| c.get()) {
                return Err("profiling cancelled".to_string());
            }
            let chunk = &ds.items[start..(start + 8).min(n)];
            let mut bytes = Vec::new();
            for it in chunk {
                let f = by_path[it.path.to_str().unwrap_or("")];
                bytes.push(super::fetch::read_file(f).await);
            }
            let (r, bad) = compute(
                &eng,
                &m.net,
                &m.entry.preprocessing,
                true,
                chunk.len(),
                |i| bytes[i].clone(),
                8,
                |_, _| {},
            )
            .await?;
            failed.extend(bad.into_iter().map(|(i, e)| (start + i, e)));
            resp.append(r);
            let done = (start + 8).min(n);
            let secs = t0.elapsed().as_secs_f64();
            progress.set(Some((done, n, secs / done as f64 * (n - done) as f64)));
            yield_now().await;
        }
        let reasons: Vec<String> = failed
            .iter()
            .map(|(i, e)| format!("{}: {e}", ds.items[*i].path.display()))
            .collect();
        let ds = ds.without(&failed.iter().map(|f| f.0).collect::<Vec<_>>(), reasons);
        ds.check_sizes()?;
        let p = build_profile(&m.entry.id, &ds, None, &resp, &ProfileConfig::default());
        Ok::<_, String>((p, ds.skipped, t0.elapsed().as_secs_f64()))
    }
    .await;
    progress.set(None);
    match result {
        Ok((p, skipped, secs)) => {
            let f1 = p.readout.f1_joint_macro;
            let n = p.images.len();
            set_profile(store, Some(p));
            let skipped = if skipped.is_empty() {
                String::new()
            } else {
                format!(" Skipped: {}.", skipped.join("; "))
            };
            store.notice.set(format!("Profiled {n} images in {secs:.0} s (statistics from the training half; readout macro F1 on the test quarter {f1:.2}).{skipped}"));
            store.status.set("ready".into());
            super::analyse::rerun(store);
        }
        Err(e) => store.fail(e),
    }
}

/// Loads a profile JSON chosen by the visitor (validated against the loaded model).
pub async fn load_profile_file(store: Store, file: web_sys::File) {
    let result = async {
        let bytes = super::fetch::read_file(&file).await?;
        let text = String::from_utf8(bytes).map_err(|_| "not a text file".to_string())?;
        let id = model()
            .map(|m| m.entry.id.clone())
            .ok_or("load a model first")?;
        Profile::parse(&text, Some(&id))
    }
    .await;
    match result {
        Ok(p) => {
            set_profile(store, Some(p));
            store.notice.set(format!("Loaded profile {}.", file.name()));
            super::analyse::rerun(store);
        }
        Err(e) => store.fail(format!("{}: {e}", file.name())),
    }
}
