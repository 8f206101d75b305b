//! Choosing units to lesion or enhance: presets, mode, α, reset. Only the gain mask changes.

use crate::analysis::experiment::draw;
use crate::labview::{genuine_units, selective_units};
use crate::lesson::Selection;
use crate::ui::session::rerun;
use crate::ui::store::{use_store, Mode, Store};
use crate::weights::init::SplitMix64;
use leptos::prelude::*;

#[component]
pub fn InterventionPanel() -> impl IntoView {
    let s = use_store();
    let emotion = RwSignal::new(0usize);
    let top_k = RwSignal::new(20usize);
    let draws = RwSignal::new(0u64);
    let apply = move || rerun(s);
    // The layer's selected units preferring the chosen emotion, best SI first; `limit` keeps the top k.
    let select_selective = move |limit: Option<usize>| {
        let Some(li) = s.layer_index() else { return };
        // Read in place: the profile's 4,224 unit summaries are not copied for a click.
        let picked = s.profile.units.with_untracked(|units| {
            units
                .get(li)
                .map(|layer| selective_units(layer, emotion.get_untracked(), limit))
        });
        let Some(picked) = picked else {
            return s
                .notice
                .set("This model has no profile: selective units are unknown.".into());
        };
        s.intervention.selected.set(picked);
        s.intervention.selection.set(Selection::Selective);
        apply();
    };
    let select_genuine = move || {
        let Some(li) = s.layer_index() else { return };
        let picked = s.profile.units.with_untracked(|units| {
            units
                .get(li)
                .map(|l| genuine_units(l, emotion.get_untracked()))
                .unwrap_or_default()
        });
        if picked.is_empty() {
            s.notice.set(
                "No unit of this layer is selective for that emotion on both halves of the set."
                    .into(),
            );
        }
        s.intervention.selected.set(picked);
        s.intervention.selection.set(Selection::Selective);
        apply();
    };
    // Shown only when the profile carries the marks (`neurons overlap --mark`).
    let has_genuine = move || {
        s.profile
            .units
            .with(|u| u.iter().flatten().any(|u| u.genuine.is_some()))
    };
    let select_random = move || {
        let n = s
            .net
            .layers
            .with_untracked(|l| l.get(s.layer_index().unwrap_or(0)).map_or(0, |l| l.1));
        let k = s
            .intervention
            .selected
            .get_untracked()
            .len()
            .max(top_k.get_untracked())
            .min(n);
        draws.update(|d| *d += 1);
        let mut rng = SplitMix64::new(0x5eed ^ draws.get_untracked());
        let mut idx = draw(n, k, &mut rng);
        idx.sort();
        s.intervention.selected.set(idx);
        s.intervention.selection.set(Selection::Random);
        apply();
    };
    let reset = move || {
        s.intervention.selected.set(Vec::new());
        s.intervention.selection.set(Selection::None);
        s.intervention.mode.set(Mode::Lesion);
        s.intervention.alpha.set(1.0);
        apply();
    };
    // Each button's work runs in a task after the click's own, so that on a slow device
    // neither holds the page for long.
    let select_top = move |_| later(s, move || select_selective(Some(top_k.get_untracked())));
    let select_all = move |_| later(s, move || select_selective(None));
    let select_genuine = move |_| later(s, select_genuine);
    let select_random = move |_| later(s, select_random);
    let reset = move |_| later(s, reset);
    view! {
        <section class="card" data-testid="intervention" aria-labelledby="intervene-title">
            <h2 id="intervene-title">"Intervene"</h2>
            <div class="controls">
                <label>"Emotion "
                    <select on:change=move |ev| emotion.set(event_target_value(&ev).parse().unwrap_or(0))>
                        {move || s.profile.classes.get().into_iter().enumerate().map(|(i, c)| view! { <option value=i.to_string()>{c}</option> }).collect_view()}
                    </select>
                </label>
                <label>" top "
                    <input type="number" min="1" max="512" class="narrow" prop:value=move || top_k.get().to_string()
                        on:change=move |ev| top_k.set(event_target_value(&ev).parse().unwrap_or(20).clamp(1, 4096))/>
                </label>
                <button data-testid="select-top-selective" on:click=select_top>"Select top selective units"</button>
                <button data-testid="select-all-selective" on:click=select_all>"All selective units"</button>
                <button data-testid="select-genuine" hidden=move || !has_genuine() on:click=select_genuine
                    title="Units selective for this emotion on both halves of OASIS (people and animals; objects and scenery)">"Genuine units"</button>
                <button data-testid="select-random" on:click=select_random>"Same number at random"</button>
            </div>
            <div class="controls" role="radiogroup" aria-label="Intervention">
                <label><input type="radio" name="mode" data-testid="mode-lesion"
                    prop:checked=move || s.intervention.mode.get() == Mode::Lesion
                    on:change=move |_| { s.intervention.mode.set(Mode::Lesion); apply(); }/>" Lesion (gain 0)"</label>
                <label><input type="radio" name="mode" data-testid="mode-enhance"
                    prop:checked=move || s.intervention.mode.get() == Mode::Enhance
                    on:change=move |_| { s.intervention.mode.set(Mode::Enhance); apply(); }/>" Enhance (gain 1 + α)"</label>
                <label>" α "
                    <input type="range" min="0" max="5" step="0.1" data-testid="alpha" aria-label="alpha"
                        disabled=move || s.intervention.mode.get() == Mode::Lesion
                        prop:value=move || s.intervention.alpha.get().to_string()
                        on:input=move |ev| { s.intervention.alpha.set(event_target_value(&ev).parse().unwrap_or(1.0)); apply(); }/>
                    {move || format!(" {:.1}", s.intervention.alpha.get())}
                </label>
                <button data-testid="reset" on:click=reset>"Reset"</button>
            </div>
            <p class="summary" data-testid="intervention-summary">{move || {
                let n = s.intervention.selected.get().len();
                if n == 0 { "No units selected: the network runs unaltered.".to_string() }
                else { format!("{n} unit(s) of {} {}.", s.intervention.layer.get(), match s.intervention.mode.get() { Mode::Lesion => "lesioned".to_string(), Mode::Enhance => format!("enhanced ×{:.1}", 1.0 + s.intervention.alpha.get()) }) }
            }}</p>
            <details>
                <summary>"How it works"</summary>
                <p class="hint">
                    "Lesioning silences units (their output is multiplied by 0); enhancing multiplies it by 1 + α. "
                    "The paper found that lesioning a layer's emotion-selective units hurts the readout far more "
                    "than lesioning the same number of random units. Try it: compare “top selective” with “random”."
                </p>
            </details>
        </section>
    }
}

/// Runs `f` in a task of its own, after the current one. The page is busy from the click on
/// (not ready in between), until the pass `f` asks for has begun.
fn later(s: Store, f: impl FnOnce() + 'static) {
    let busy = s.task("intervening");
    leptos::task::spawn_local(async move {
        crate::web::sleep_ms(0).await;
        f();
        drop(busy);
    });
}
