//! What the app is doing, download progress, and the visible error message.

use crate::ui::store::use_store;
use leptos::prelude::*;

#[component]
pub fn StatusBar() -> impl IntoView {
    let s = use_store();
    view! {
        <section class="status" aria-live="polite">
            "Status: " <span data-testid="status">{move || s.status.get()}</span>
            {move || s.progress.get().map(|(got, total)| view! {
                <progress max=total.to_string() value=got.to_string()></progress>
                <span>{format!(" {:.1} / {:.1} MB", got as f64 / 1e6, total as f64 / 1e6)}</span>
            })}
            <p class="notice" hidden=move || s.notice.get().is_empty()>{move || s.notice.get()}</p>
            <p class="error" role="alert" data-testid="error"
               hidden=move || s.error.get().is_empty()>{move || s.error.get()}</p>
        </section>
    }
}
