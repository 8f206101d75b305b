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
            Ok(bytes) => crate::ui::session::run_image(s, file.name(), bytes),
            Err(e) => s.fail(e),
        }
    });
}

/// One bundled example image (static/examples/examples.json, made by scripts/make_examples.py).
#[derive(Clone, serde::Deserialize)]
pub(crate) struct Example {
    pub(crate) file: String,
    title: String,
    credit: String,
    licence: String,
}

/// The bundled examples, parsed once (the link's state asks on every change).
pub(crate) fn examples() -> &'static [Example] {
    static EXAMPLES: std::sync::LazyLock<Vec<Example>> = std::sync::LazyLock::new(|| {
        serde_json::from_str(include_str!("../../../static/examples/examples.json"))
            .expect("bundled examples.json parses")
    });
    &EXAMPLES
}

/// Runs the bundled example `file` (a link's `example=` too).
pub(crate) fn take_example(s: Store, file: String) {
    spawn_local(async move {
        match fetch_bytes(&format!("examples/{file}"), |_, _| {}).await {
            Ok(bytes) => crate::ui::session::run_image(s, file, bytes),
            Err(e) => s.fail(e),
        }
    });
}

#[component]
pub fn ImageInput() -> impl IntoView {
    let s = use_store();
    let canvas = NodeRef::<Canvas>::new();
    // The crop, or the focused unit's map over it (so it shows beside the grid).
    let show_map = RwSignal::new(true);
    let mapped = move || show_map.get() && s.image.heatmap.with(|m| m.is_some());
    Effect::new(move |_| {
        let Some(c) = canvas.get() else { return };
        let map = s.image.heatmap.get().filter(|_| show_map.get());
        // Read in place: the crop's 150 kB are not copied for a redraw.
        s.image.crop.with(|rgb| match &map {
            Some(m) => crate::ui::canvas::put_map(&c, rgb, m),
            None => crate::ui::canvas::put_crop(&c, rgb),
        });
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
        <section class="card drop upload" on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
            <h2>"Image"</h2>
            <label class="file-button" title="Choose, drop or paste an image. It never leaves this device.">"Choose an image…"
                <input type="file" accept="image/*" data-testid="upload-input" on:change=on_change/></label>
            <p class="hint">"or drop or paste one, or try an example. It never leaves this device."</p>
            <div class="examples" role="group" aria-label="Example images">
                {examples().iter().map(|ex| {
                    let label = format!("Example: {} ({})", ex.title, ex.licence);
                    let tip = format!("{label}. {}", ex.credit);
                    let src = format!("examples/{}", ex.file);
                    let file = ex.file.clone();
                    view! {
                        <button class="example" data-testid="example" data-file=ex.file.clone() aria-label=label title=tip
                                on:click=move |_| take_example(s, file.clone())>
                            <img src=src alt="" width="44" height="32"/>
                        </button>
                    }
                }).collect_view()}
            </div>
            <div class="crop" hidden=move || s.image.crop.with(|c| c.is_empty())>
                <canvas node_ref=canvas width=CROP.to_string() height=CROP.to_string() data-testid="crop"
                        data-map=move || mapped().to_string()
                        aria-label=move || if mapped() { "The crop the network sees, with the focused unit's response map in orange" } else { "The 224 by 224 grayscale crop the network sees" }></canvas>
                <label hidden=move || s.intervention.focus.get().is_none()>
                    <input type="checkbox" prop:checked=move || show_map.get() on:change=move |ev| show_map.set(event_target_checked(&ev))/>
                    {move || format!(" unit {}'s map (orange)", s.intervention.focus.get().unwrap_or(0))}
                </label>
                <p class="hint" hidden=move || s.intervention.focus.get().is_some()>"What the network sees: 224×224, grayscale, as in the paper."</p>
            </div>
        </section>
    }
}
