//! The classroom experiment: on the set that ships with the site, does the network need the
//! layer's emotion-selective units? Lesion them, then as many random units, and compare the
//! readout's F1; a strip of the set's pictures shows how each one's readout moved.

use super::profile_overview::Chart;
use crate::analysis::classroom::ImageShift;
use crate::analysis::figures::f1_by_emotion;
use crate::ui::classroom::{run, set, DRAWS};
use crate::ui::components::dataset_profiler::{eta_text, workers_text};
use crate::ui::profiler::{cancel, Progress};
use crate::ui::store::{use_store, Tab};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// A picture's tile: the set's class, how its own emotion's readout moved.
fn tile_title(theme: &str, class: &str, s: &ImageShift) -> String {
    format!(
        "{theme} ({class}): the readout's belief that it is {class} {:.0} % → {:.0} % with the selective \
         units lesioned, {:.0} % with random units lesioned",
        100.0 * s.before,
        100.0 * s.lesion,
        100.0 * s.random
    )
}

#[component]
pub fn ClassroomExperiment() -> impl IntoView {
    let s = use_store();
    let progress: Progress = RwSignal::new(None);
    // The manifest, for the counts shown before any run: fetched when the tab first opens, so
    // a visit that never opens it does not fetch it.
    Effect::new(move |_| {
        if s.tab.get() == Tab::Experiment && s.classroom.set.get_untracked().is_none() {
            spawn_local(async move {
                let _ = set(s).await;
            });
        }
    });
    let start = move |_| spawn_local(run(s, s.intervention.layer.get_untracked(), progress));
    let counts = move || {
        let set = s.classroom.set.get()?;
        let classes = s.profile.classes.get();
        let c = set.counts(&classes);
        Some(
            classes
                .iter()
                .zip(c)
                .map(|(k, n)| format!("{n} {k}"))
                .collect::<Vec<_>>()
                .join(", "),
        )
    };
    let outcome = move || s.classroom.outcome.get();
    let chart = move || {
        outcome().map(|(layer, o)| {
            f1_by_emotion(
                &o.rows,
                &format!("Classroom set, {layer}: does the network need its emotion units?"),
            )
        })
    };
    let tiles = move || {
        let set = s.classroom.set.get()?;
        let (_, o) = outcome()?;
        Some(
            set.images
                .iter()
                .zip(o.images)
                .map(|(im, sh)| {
                    let title = tile_title(&im.theme, &im.class, &sh);
                    let lost = sh.before >= 0.5 && sh.lesion < 0.5;
                    let alt = title.clone();
                    view! {
                        <figure class="tile" class:lost=lost data-testid="class-set-tile" data-class=im.class.clone()
                                data-before=sh.before.to_string() data-lesion=sh.lesion.to_string() title=title.clone()>
                            <img src=format!("classroom/{}", im.file) alt=alt width="56" height="56" loading="lazy"/>
                            <span class="bar before" style=format!("width:{:.0}%", 100.0 * sh.before)></span>
                            <span class="bar after" style=format!("width:{:.0}%", 100.0 * sh.lesion)></span>
                        </figure>
                    }
                })
                .collect_view(),
        )
    };
    view! {
        <section class="stage" data-testid="classroom-experiment">
            <h2>"The paper's experiment on the classroom set"</h2>
            <p class="hint">
                "A set of pictures ships with this site ("
                {move || counts().unwrap_or_else(|| "loading…".into())}
                "; free Pixabay photos from OASIS that the network's units and readout never saw). "
                "The button silences the units of the layer on screen that prefer each emotion, then as many random units ("
                {DRAWS} " draws), and boosts the selective ones at the α the full OASIS experiment chose, "
                "and scores how well the readout still recognises each emotion (F1: 1 = perfect, 0 = never)."
            </p>
            <div class="controls">
                <button data-testid="class-set-run" on:click=start disabled=move || !s.status.get().is_ready() || progress.get().is_some()>
                    {move || format!("Run on the classroom set ({})", s.intervention.layer.get())}</button>
            </div>
            {move || progress.get().map(|(done, total, eta, workers)| view! {
                <p data-testid="class-set-progress">
                    <progress max=total.to_string() value=done.to_string() aria-label="classroom experiment progress"></progress>
                    {format!(" {:.0} %, {}, {} ", 100.0 * done as f64 / total.max(1) as f64, workers_text(workers), eta_text(eta))}
                    <button data-testid="class-set-cancel" on:click=move |_| { s.classroom.cancelled.set(true); cancel(s) }>"Cancel"</button>
                </p>
            })}
            {move || outcome().map(|(layer, o)| view! {
                <div data-testid="class-set-results" data-layer=layer.clone()>
                    <p class="hint" data-testid="class-set-time">{move || s.classroom.seconds.get().map(|(t, cached)| format!(
                        "Done in {t:.1} s{}.", if cached { " (the set's responses were kept from an earlier run)" } else { "" }))}</p>
                    {chart().map(|svg| view! { <Chart svg=svg stem=format!("classroom-{layer}")/> })}
                    <table>
                        <caption class="hint">"F1 of each emotion's readout on the classroom set. Random: the same number of random units, mean ± sd over draws."</caption>
                        <thead><tr><th>"Emotion"</th><th>"Units"</th><th>"Before"</th><th>"Selective lesioned"</th>
                            <th>"Random lesioned"</th><th>"Selective enhanced (α)"</th></tr></thead>
                        <tbody>{o.rows.iter().map(|r| view! {
                            <tr data-testid="class-set-row" data-emotion=r.emotion.clone() data-units=r.n_units.to_string()
                                data-f1=r.f1_before.to_string() data-f1-lesion=r.f1_lesion.to_string()
                                data-f1-random=r.control_lesion.mean.to_string() data-f1-enhance=r.f1_enhance.to_string()
                                data-alpha=r.best_alpha.to_string()>
                                <td>{r.emotion.clone()}</td><td>{r.n_units}</td><td>{format!("{:.2}", r.f1_before)}</td>
                                <td>{format!("{:.2}", r.f1_lesion)}</td>
                                <td>{format!("{:.2} ± {:.2}", r.control_lesion.mean, r.control_lesion.sd)}</td>
                                <td>{format!("{:.2} (α = {})", r.f1_enhance, r.best_alpha)}</td></tr>
                        }).collect_view()}</tbody>
                    </table>
                    <p class="hint">"Each picture, with how sure the readout is that it shows its own emotion: gray bar before, orange bar with that emotion's selective units lesioned. Red frame: recognised before, lost after."</p>
                    <div class="strip" role="list" aria-label="The classroom set's pictures and how their readout moved">{tiles}</div>
                </div>
            })}
        </section>
    }
}
