//! Per-layer unit responses (spatial means of the post-ReLU maps) for the last image.

use crate::ui::store::use_store;
use leptos::prelude::*;

#[component]
pub fn LayerSummary() -> impl IntoView {
    let s = use_store();
    view! {
        <section class="stage" hidden=move || s.image.rows.get().is_empty()>
            <h2>"Unit responses: " {move || s.image.name.get()}</h2>
            <p class="hint">
                "A unit's response is the average of its activation map after ReLU. "
                {move || s.image.forward_ms.get().map(|ms| format!("Forward pass: {ms:.0} ms."))}
            </p>
            <table>
                <thead><tr><th>"Layer"</th><th>"Units"</th><th>"Mean response"</th><th>"Strongest unit"</th></tr></thead>
                <tbody>
                    {move || s.image.rows.get().into_iter().map(|r| view! {
                        <tr>
                            <td>{r.name}</td>
                            <td>{r.units}</td>
                            <td>{format!("{:.4}", r.mean)}</td>
                            <td>{format!("#{} ({:.4})", r.top_unit, r.top_value)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <pre data-testid="means" hidden>{move || s.image.means_json.get()}</pre>
        </section>
    }
}
