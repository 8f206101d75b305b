//! Profiling a labelled set in the browser (a folder with one sub-folder per class, or a
//! `path,label` CSV with its images). Images are read in this tab only; batches yield to the
//! page so progress, ETA and cancel stay live. The set stays available to the experiment.

use super::local_set::{self, LocalSet};
use super::runtime::{engine, model, set_profile};
use super::store::Store;
use crate::analysis::pipeline::{build_profile, ProfileConfig};
use crate::analysis::profile::Profile;
use crate::analysis::responses::{compute, Responses};
use leptos::prelude::*;
use std::cell::Cell;
use wasm_bindgen_futures::JsFuture;
use web_time::Instant;

thread_local! {
    static CANCEL: Cell<bool> = const { Cell::new(false) };
}

/// Asks a running profile to stop after its current batch.
pub fn cancel() {
    CANCEL.with(|c| c.set(true));
}

/// Whether cancel was asked for since the last [`reset_cancel`].
pub fn cancelled() -> bool {
    CANCEL.with(|c| c.get())
}

pub fn reset_cancel() {
    CANCEL.with(|c| c.set(false));
}

/// Lets the page repaint between batches.
pub async fn yield_now() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback(&resolve);
        }
    });
    let _ = JsFuture::from(p).await;
}

/// Profiles `files` on the loaded model; `progress` gets `(done, total, eta seconds)`.
pub async fn profile_folder(
    store: Store,
    files: Vec<web_sys::File>,
    progress: RwSignal<Option<(usize, usize, f64)>>,
) {
    reset_cancel();
    let again = files.clone();
    let result = async {
        let (ds, by_path) = local_set::from_files(files).await?;
        let (eng, m) = (
            engine().ok_or("no backend")?,
            model().ok_or("load a model first")?,
        );
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
            if cancelled() {
                return Err("profiling cancelled".to_string());
            }
            let chunk = &ds.items[start..(start + 8).min(n)];
            let mut bytes = Vec::new();
            for it in chunk {
                let f = &by_path[it.path.to_str().unwrap_or("")];
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
        let skipped = ds.skipped.clone();
        let set = LocalSet {
            ds,
            files: by_path,
            model: m.entry.id.clone(),
            responses: resp,
        };
        Ok::<_, String>((p, set, skipped, t0.elapsed().as_secs_f64()))
    }
    .await;
    progress.set(None);
    match result {
        Ok((p, set, skipped, secs)) => {
            let f1 = p.readout.f1_joint_macro;
            let n = p.images.len();
            store.local_set.set(Some(format!(
                "{n} images of {} ({})",
                set.ds.classes.join(", "),
                set.ds.spec
            )));
            local_set::put(Some(set));
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
        Err(e) => super::recovery::recover_and_retry(store, e, move || {
            Box::pin(profile_folder(store, again, progress))
        }),
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
        Err(e) => store.fail(format!(
            "{}: {e}. The profile in use is unchanged.",
            file.name()
        )),
    }
}
