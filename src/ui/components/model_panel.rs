//! The model picker: pretrained VGG-16 by default, untrained controls clearly labelled.

use crate::ui::{runtime, store::use_store};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn ModelPanel() -> impl IntoView {
    let s = use_store();
    let on_change = move |ev| {
        let id = event_target_value(&ev);
        spawn_local(async move {
            let _ = runtime::load_model(s, &id).await;
        });
    };
    view! {
        <section class="stage">
            <label for="model-select">"Model "</label>
            <select id="model-select" data-testid="model-select" on:change=on_change
                    prop:value=move || s.model.get()>
                {move || s.models.get().into_iter().map(|(id, label)| {
                    let selected = s.model.get_untracked() == id;
                    view! { <option value=id.clone() selected=selected>{label}</option> }
                }).collect_view()}
            </select>
            <p class="hint">
                "An untrained control has random weights: the paper's check that selectivity comes "
                "from learning to recognise objects, not from the architecture."
            </p>
        </section>
    }
}
