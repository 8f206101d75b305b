//! The full-scale reference: the shipped OASIS experiment of the model in use (every layer it
//! covers, and the spread over five splits where it was run on them), shown offline with no
//! labelled set needed.

use super::profile_overview::Chart;
use crate::analysis::figures::f1_by_layer;
use crate::analysis::reference::Reference;
use crate::ui::classroom::reference;
use crate::ui::store::{use_store, Tab};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Whose results are shown when the model in use has none: the paper's network.
const PAPER_MODEL: &str = "vgg16-imagenet-conv";

fn pm(m: &crate::analysis::experiment::MeanSd) -> String {
    format!("{:.2} ± {:.2}", m.mean, m.sd)
}

#[component]
pub fn ReferenceResults() -> impl IntoView {
    let s = use_store();
    // The model's own results, else the paper's network's (an untrained control has none).
    // Fetched when the tab is open, once per model.
    let shipped: RwSignal<Option<Reference>> = RwSignal::new(None);
    let fetched_for = StoredValue::new(String::new());
    Effect::new(move |_| {
        let model = s.net.model.get();
        if model.is_empty() || s.tab.get() != Tab::Experiment || fetched_for.get_value() == model {
            return;
        }
        fetched_for.set_value(model.clone());
        shipped.set(None);
        spawn_local(async move {
            let r = match reference(&model).await {
                Ok(Some(r)) => Some(r),
                _ => reference(PAPER_MODEL).await.ok().flatten(),
            };
            if s.net.model.get_untracked() == model {
                shipped.set(r);
            }
        });
    });
    let other = move || {
        shipped
            .get()
            .filter(|r| r.model != s.net.model.get())
            .map(|r| r.model)
    };
    let table = move || {
        let r = shipped.get()?;
        let layer = s.intervention.layer.get();
        let no_spread = r.spread.is_empty();
        let rows = r.rows.iter().map(|row| {
            let spread = r.spread_of(&row.layer, &row.emotion).map(|sp| {
                format!("{} → {} (random {}), {} runs", pm(&sp.f1_before), pm(&sp.f1_lesion), pm(&sp.control_lesion), sp.runs)
            });
            let current = row.layer == layer;
            view! {
                <tr data-testid="reference-row" data-layer=row.layer.clone() data-emotion=row.emotion.clone()
                    class:current=current>
                    <td>{row.layer.clone()}</td><td>{row.emotion.clone()}</td><td>{row.n_units}</td>
                    <td>{format!("{:.2}", row.f1_before)}</td><td>{format!("{:.2}", row.f1_lesion)}</td>
                    <td>{pm(&row.control_lesion)}</td>
                    <td>{format!("{:.2} (α = {})", row.f1_enhance, row.best_alpha)}</td>
                    <td hidden=no_spread>{spread.unwrap_or_else(|| "–".into())}</td>
                </tr>
            }
        }).collect_view();
        let charts = ["pleasant", "neutral", "unpleasant"].map(|e| {
            view! { <Chart svg=f1_by_layer(&r.rows, e) stem=format!("{}-oasis-f1-{e}", r.model)/> }
        });
        Some(view! {
            <p class="hint">{format!("{}: F1 on the test images held out from the unit selection and the readout; {} random draws per condition.",
                r.dataset, r.controls)}</p>
            <details><summary>"Charts by layer"</summary>{charts.into_iter().collect_view()}</details>
            <table data-testid="reference-table">
                <thead><tr><th>"Layer"</th><th>"Emotion"</th><th>"Units"</th><th>"Before"</th><th>"Lesion"</th>
                    <th>"Random lesion"</th><th>"Enhance (α)"</th><th hidden=no_spread>"Over 5 splits: before → lesion"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        })
    };
    view! {
        <section class="stage" data-testid="reference-results">
            <h2>"The full experiment on OASIS (shipped with the site)"</h2>
            <p class="hint">
                "What the same test gives on the whole OASIS set, run on this model layer by layer with the command-line tool. "
                "The row of the layer on screen is marked. Compare it with your class's run above."
            </p>
            {move || other().map(|m| view! {
                <p class="hint" data-testid="reference-other">{format!(
                    "No full experiment ships for {}: shown is {m}'s, the trained network, to compare with.",
                    s.net.model.get())}</p>
            })}
            {move || table().map(|t| t.into_any()).unwrap_or_else(|| view! {
                <p class="hint" data-testid="reference-none">"The shipped results could not be read."</p>
            }.into_any())}
        </section>
    }
}
