//! Where an image comes in (file picker; it stays on this device).

use crate::ui::{fetch::read_file, store::use_store};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn ImageInput() -> impl IntoView {
    let s = use_store();
    let on_change = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        spawn_local(async move {
            match read_file(&file).await {
                Ok(bytes) => crate::ui::analyse::run_image(s, file.name(), bytes).await,
                Err(e) => s.fail(e),
            }
        });
    };
    view! {
        <section class="stage">
            <label for="upload">"Image "</label>
            <input id="upload" type="file" accept="image/*" data-testid="upload-input" on:change=on_change/>
            <p class="hint">"The network sees a 224×224 grayscale crop, as in the paper."</p>
        </section>
    }
}
