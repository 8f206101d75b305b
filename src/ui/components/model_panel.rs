//! The model picker: pretrained VGG-16 by default, untrained controls clearly labelled; or a
//! weights file from the visitor's disk (picked or dropped).

use crate::ui::models::{self, load_weights_file};
use crate::ui::store::use_store;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn ModelPanel() -> impl IntoView {
    let s = use_store();
    let on_change = move |ev| {
        let id = event_target_value(&ev);
        s.net.quick_start.set(false);
        spawn_local(async move {
            let _ = models::load_model(s, &id).await;
        });
    };
    let take = move |f: Option<web_sys::File>| {
        if let Some(f) = f {
            spawn_local(async move {
                load_weights_file(s, f).await;
            });
        }
    };
    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        take(input.files().and_then(|l| l.get(0)));
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        ev.stop_propagation();
        take(
            ev.data_transfer()
                .and_then(|d| d.files())
                .and_then(|l| l.get(0)),
        );
    };
    view! {
        <section class="model drop" on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
            <label for="model-select">"Model "</label>
            <select id="model-select" data-testid="model-select" on:change=on_change
                    title="An untrained control has random weights: the paper's check that selectivity comes from learning to recognise objects, not from the architecture."
                    prop:value=move || s.net.model.get()>
                {move || s.net.models.get().into_iter().map(|(id, label)| {
                    let selected = s.net.model.get_untracked() == id;
                    view! { <option value=id.clone() selected=selected>{label}</option> }
                }).collect_view()}
            </select>
            <label class="file-button" title="A .safetensors file of VGG-16 or AlexNet weights, from this device">"Your own weights…"
                <input type="file" accept=".safetensors" data-testid="weights-input" on:change=on_file/></label>
        </section>
    }
}
