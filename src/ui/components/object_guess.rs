//! ImageNet top-5, for models that keep their classifier.

use crate::ui::store::use_store;
use leptos::prelude::*;

#[component]
pub fn ObjectGuess() -> impl IntoView {
    let s = use_store();
    view! {
        <section class="card" hidden=move || s.image.top5.get().is_empty()>
            <h2>"Objects it sees (top 5)"</h2>
            <ol data-testid="top5">
                {move || s.image.top5.get().into_iter().map(|(l, p)| view! { <li>{format!("{l} ({:.1}%)", 100.0 * p)}</li> }).collect_view()}
            </ol>
        </section>
    }
}
