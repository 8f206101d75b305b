//! Classroom profiling: pick a folder with one sub-folder per emotion (pleasant/, neutral/,
//! unpleasant/ or any class names), or a `path,label` CSV together with its images, or load a
//! saved profile.

use crate::ui::models::load_profile_file;
use crate::ui::profiler::{cancel, profile_folder, Progress};
use crate::ui::store::use_store;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn DatasetProfiler() -> impl IntoView {
    let s = use_store();
    let progress: Progress = RwSignal::new(None);
    let folder = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        // Folder picking is a non-standard attribute that every current browser supports.
        if let Some(input) = folder.get() {
            let _ = input.set_attribute("webkitdirectory", "");
        }
    });
    let on_folder = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(list) = input.files() else { return };
        let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
        spawn_local(profile_folder(s, files, progress));
    };
    let on_profile = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(f) = input.files().and_then(|l| l.get(0)) {
            spawn_local(load_profile_file(s, f));
        }
    };
    // A dropped .json is a profile; dropped images or folders go through the pickers.
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        let file = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|l| l.get(0));
        match file {
            Some(f) if f.name().to_lowercase().ends_with(".json") => {
                spawn_local(load_profile_file(s, f))
            }
            Some(f) => s.fail(format!(
                "{}: drop a profile (.json) here; choose image folders or a CSV with the buttons",
                f.name()
            )),
            None => {}
        }
    };
    view! {
        <section class="stage drop" on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
            <h2>"Profile your own images"</h2>
            <p class="hint">
                "Choose a folder holding one sub-folder per emotion (for example pleasant/, neutral/, "
                "unpleasant/), or a CSV of `path,label` rows (labels pleasant, neutral or unpleasant) "
                "together with its images (or a folder holding both). Files that cannot be used are "
                "listed and skipped. Each unit's selectivity is measured on half the images, the readout is "
                "trained on the same half and scored on a quarter, as in the paper. Nothing is uploaded."
            </p>
            <div class="controls">
                <label>"Folder " <input type="file" node_ref=folder multiple=true on:change=on_folder/></label>
                <label>"or a CSV and its images " <input type="file" multiple=true data-testid="csv-input"
                    accept=".csv,text/csv,image/*" on:change=on_folder/></label>
                <label>"or a saved profile " <input type="file" accept=".json,application/json" data-testid="profile-input" on:change=on_profile/></label>
            </div>
            {move || progress.get().map(|(done, total, eta, workers)| view! {
                <p data-testid="profile-progress" data-workers=workers.to_string()>
                    <progress max=total.to_string() value=done.to_string()></progress>
                    {format!(" {done} / {total} images, {}, {} ", workers_text(workers), eta_text(eta))}
                    <button on:click=move |_| cancel(s)>"Cancel"</button>
                </p>
            })}
        </section>
    }
}

/// `1 worker` / `3 workers`.
pub fn workers_text(n: usize) -> String {
    if n == 1 {
        "1 worker".into()
    } else {
        format!("{n} workers")
    }
}

/// `about 12 s left`, or `estimating…` before the first figure.
pub fn eta_text(secs: f64) -> String {
    if secs.is_finite() {
        format!("about {secs:.0} s left")
    } else {
        "estimating time left…".into()
    }
}
