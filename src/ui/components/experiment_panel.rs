//! "Run experiment": the paper's lesion/enhancement test on the set profiled in this tab, with
//! progress, cancel, the same F1 charts as `neurons experiment`, and CSV/SVG/PNG export.

use super::profile_overview::Chart;
use crate::analysis::figures::{f1_by_layer, results_csv};
use crate::ui::components::dataset_profiler::{eta_text, workers_text};
use crate::ui::download::download;
use crate::ui::experiment::{run, ALPHA_MAX, ALPHA_STEP, CONTROL_DRAWS};
use crate::ui::profiler::{cancel, Progress};
use crate::ui::store::use_store;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn ExperimentPanel() -> impl IntoView {
    let s = use_store();
    let all_layers = RwSignal::new(false);
    let progress: Progress = RwSignal::new(None);
    let start = move |_| {
        let layers: Vec<String> = if all_layers.get_untracked() {
            s.net
                .layers
                .get_untracked()
                .into_iter()
                .map(|l| l.0)
                .collect()
        } else {
            vec![s.intervention.layer.get_untracked()]
        };
        spawn_local(run(s, layers, progress));
    };
    let fail = move |r: Result<(), crate::error::Failure>| {
        if let Err(e) = r {
            s.fail(e)
        }
    };
    let stem = move || format!("{}-experiment", s.net.model.get_untracked());
    let save_csv = move |_| {
        fail(download(
            &format!("{}.csv", stem()),
            "text/csv",
            &results_csv(&s.experiment.rows.get_untracked()),
        ))
    };
    let charts = move || {
        let rows = s.experiment.rows.get();
        s.profile
            .classes
            .get()
            .into_iter()
            .filter(|c| rows.iter().any(|r| r.emotion == *c))
            .map(|c| (c.clone(), f1_by_layer(&rows, &c)))
            .collect::<Vec<_>>()
    };
    view! {
        <section class="stage">
            <h2>"Run the experiment on your own labelled set"</h2>
            <p class="hint">
                "Does the network need its emotion-selective units? For each emotion this silences "
                "(lesion) or boosts (enhance) the layer's units selective for it, and scores the "
                "readout's F1 on held-out images. The control does the same to as many random units. "
                "In Liu et al. (2024) lesioning selective units cut F1 far more than random ones. "
                "The boost α is chosen on validation images (α = 0 … "
                {ALPHA_MAX} " in steps of " {ALPHA_STEP} "); " {CONTROL_DRAWS} " random draws."
            </p>
            <p class="hint" hidden=move || s.profile.local_set.get().is_some()>
                "Profile a labelled set of your own images above first: the experiment re-runs its held-out images."
            </p>
            <p class="hint" hidden=move || s.profile.local_set.get().is_none()>
                "Set: " {move || s.profile.local_set.get().unwrap_or_default()}
            </p>
            <div class="controls">
                <label><input type="radio" name="exp-scope" checked=move || !all_layers.get()
                    on:change=move |_| all_layers.set(false)/>
                    {move || format!(" this layer ({})", s.intervention.layer.get())}</label>
                <label><input type="radio" name="exp-scope" data-testid="experiment-all-layers"
                    checked=move || all_layers.get() on:change=move |_| all_layers.set(true)/>
                    " all layers (slow)"</label>
                <button data-testid="run-experiment" on:click=start
                    disabled=move || s.profile.local_set.get().is_none() || !s.status.get().is_ready()>"Run experiment"</button>
            </div>
            {move || progress.get().map(|(done, total, eta, workers)| view! {
                <p data-testid="experiment-progress" data-workers=workers.to_string()>
                    <progress max=total.to_string() value=done.to_string() aria-label="experiment progress"></progress>
                    {format!(" {:.0} %, {}, {} ", 100.0 * done as f64 / total.max(1) as f64,
                        workers_text(workers), eta_text(eta))}
                    <button data-testid="cancel-experiment" on:click=move |_| cancel(s)>"Cancel"</button>
                </p>
            })}
            <div data-testid="experiment-results" hidden=move || s.experiment.rows.get().is_empty()
                 data-csv=move || results_csv(&s.experiment.rows.get())>
                <div class="controls">
                    <button on:click=save_csv>"Results (CSV)"</button>
                </div>
                {move || charts().into_iter().map(|(c, svg)| view! {
                    <div data-testid="experiment-chart" data-emotion=c.clone()>
                        <Chart svg=svg stem=format!("{}-f1-{c}", stem())/>
                    </div>
                }).collect_view()}
                <table>
                    <caption class="hint">"Test F1 of each emotion's readout. Control: the same number of random units, mean ± sd over draws."</caption>
                    <thead><tr><th>"Layer"</th><th>"Emotion"</th><th>"Units"</th><th>"Before"</th><th>"Lesion"</th>
                        <th>"Control lesion"</th><th>"Enhance (α)"</th><th>"Control enhance"</th></tr></thead>
                    <tbody>{move || s.experiment.rows.get().into_iter().map(|r| view! {
                        <tr><td>{r.layer}</td><td>{r.emotion}</td><td>{r.n_units}</td>
                            <td>{format!("{:.2}", r.f1_before)}</td><td>{format!("{:.2}", r.f1_lesion)}</td>
                            <td>{format!("{:.2} ± {:.2}", r.control_lesion.mean, r.control_lesion.sd)}</td>
                            <td>{format!("{:.2} (α = {})", r.f1_enhance, r.best_alpha)}</td>
                            <td>{format!("{:.2} ± {:.2}", r.control_enhance.mean, r.control_enhance.sd)}</td></tr>
                    }).collect_view()}</tbody>
                </table>
            </div>
        </section>
    }
}
