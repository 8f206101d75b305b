//! Which backend runs the network, and why.

use crate::ui::store::use_store;
use leptos::prelude::*;

#[component]
pub fn BackendBadge() -> impl IntoView {
    let s = use_store();
    view! {
        <p class="backend">
            "Running on: " <strong data-testid="backend">{move || s.net.backend.get()}</strong>
            <span class="reason">{move || s.net.backend_reason.get()}</span>
        </p>
    }
}
