//! Where an image comes in: file picker, drag-and-drop, paste or a bundled example. It stays on
//! this device. Shows the 224×224 grayscale crop the network actually sees.

use crate::protocol::{CROP, MAX_FILE_BYTES};
use crate::ui::{fetch::fetch_bytes, fetch::read_file, store::use_store, store::Store};
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;

fn take(s: Store, file: Option<web_sys::File>) {
    let Some(file) = file else { return };
    if file.size() > MAX_FILE_BYTES as f64 {
        // Refused before reading it into memory.
        return s.fail(format!(
            "{}: the file is {:.0} MB; the limit is {} MB. The previous image is kept.",
            file.name(),
            file.size() / (1024.0 * 1024.0),
            MAX_FILE_BYTES / (1024 * 1024)
        ));
    }
    spawn_local(async move {
        match read_file(&file).await {
            Ok(bytes) => crate::ui::session::run_image(s, file.name(), bytes).await,
            Err(e) => s.fail(e),
        }
    });
}

/// One bundled example image (static/examples/examples.json, made by scripts/make_examples.py).
#[derive(Clone, serde::Deserialize)]
struct Example {
    file: String,
    title: String,
    credit: String,
    licence: String,
}

fn examples() -> Vec<Example> {
    serde_json::from_str(include_str!("../../../static/examples/examples.json"))
        .expect("bundled examples.json parses")
}

fn take_example(s: Store, file: String) {
    spawn_local(async move {
        match fetch_bytes(&format!("examples/{file}"), |_, _| {}).await {
            Ok(bytes) => crate::ui::session::run_image(s, file, bytes).await,
            Err(e) => s.fail(e),
        }
    });
}

#[component]
pub fn ImageInput() -> impl IntoView {
    let s = use_store();
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let rgb = s.image.crop.get();
        if let Some(c) = canvas.get() {
            crate::ui::canvas::put_crop(&c, &rgb);
        }
    });
    let on_change = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        take(s, input.files().and_then(|f| f.get(0)));
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        take(
            s,
            ev.data_transfer()
                .and_then(|d| d.files())
                .and_then(|f| f.get(0)),
        );
    };
    let _paste = window_event_listener(leptos::ev::paste, move |ev| {
        take(
            s,
            ev.clipboard_data()
                .and_then(|d| d.files())
                .and_then(|f| f.get(0)),
        );
    });
    view! {
        <section class="stage drop" on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
            <label for="upload">"Image "</label>
            <input id="upload" type="file" accept="image/*" data-testid="upload-input" on:change=on_change/>
            <span class="hint">" or drop or paste an image here. It never leaves this device."</span>
            <div class="examples" role="group" aria-label="Example images">
                <span class="hint">"Or try an example: "</span>
                {examples().into_iter().map(|ex| {
                    let label = format!("Example: {} ({})", ex.title, ex.licence);
                    let tip = format!("{label}. {}", ex.credit);
                    let src = format!("examples/{}", ex.file);
                    let file = ex.file.clone();
                    view! {
                        <button class="example" data-testid="example" aria-label=label title=tip
                                on:click=move |_| take_example(s, file.clone())>
                            <img src=src alt="" width="72" height="48"/>
                        </button>
                    }
                }).collect_view()}
            </div>
            <div class="crop" hidden=move || s.image.crop.get().is_empty()>
                <canvas node_ref=canvas width=CROP.to_string() height=CROP.to_string()
                        aria-label="The 224 by 224 grayscale crop the network sees"></canvas>
                <p class="hint">"What the network sees: shorter side resized to 256, centre 224×224, in grayscale as in the paper."</p>
            </div>
        </section>
    }
}
