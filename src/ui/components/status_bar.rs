//! What the app is doing, download progress, and the visible error message.

use crate::protocol::ErrorKind;
use crate::ui::{models, store::use_store};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Whether loading again can help: not for a refused file or entry, nor a load the visitor
/// cancelled by choosing another model.
fn retryable(kind: ErrorKind) -> bool {
    !matches!(kind, ErrorKind::BadInput | ErrorKind::Cancelled)
}

#[component]
pub fn StatusBar() -> impl IntoView {
    let s = use_store();
    view! {
        <section class="status" aria-live="polite">
            "Status: " <span data-testid="status">{move || s.status.get().to_string()}</span>
            {move || s.net.progress.get().map(|(got, total)| view! {
                <progress max=total.to_string() value=got.to_string()></progress>
                <span>{format!(" {:.1} / {:.1} MB", got as f64 / 1e6, total as f64 / 1e6)}</span>
            })}
            {move || s.net.upgrade.get().filter(|_| s.net.quick_start.get()).map(|(label, got, total)| {
                let quick = s.net.label(&s.net.model.get());
                let share = if total > 0 { format!("{:.0} %", 100.0 * got as f64 / total as f64) } else { "starting".into() };
                view! {
                    <p class="notice upgrade" data-testid="upgrade">
                        {format!("Quick start on {quick}. {label}, the paper's network, is downloading in the background ({share}); the lab switches to it when it is ready.")}
                    </p>
                }
            })}
            <p class="notice" hidden=move || s.notice.get().is_empty()>{move || s.notice.get()}</p>
            <p class="error" role="alert" hidden=move || s.error.get().is_empty()>
                <span data-testid="error">{move || s.error.get()}</span>
                {move || s.failed_load.get().filter(|(_, kind)| retryable(*kind)).map(|(id, _)| view! {
                    " " <button on:click=move |_| {
                        let id = id.clone();
                        spawn_local(async move { let _ = models::load_model(s, &id).await; });
                    }>"Retry"</button>
                })}
            </p>
        </section>
    }
}
