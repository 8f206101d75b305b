//! The emotion readout: the profile's joint head on the frozen network, as bars, with the change
//! caused by the current intervention.

use crate::analysis::charts::PALETTE;
use crate::ui::store::use_store;
use leptos::prelude::*;

#[component]
pub fn EmotionReadout() -> impl IntoView {
    let s = use_store();
    let prob = move |name: &str| {
        let classes = s.profile.classes.get();
        let i = classes.iter().position(|c| c == name)?;
        s.image.readout.get().and_then(|r| r.get(i).copied())
    };
    view! {
        <section class="card readout-card" hidden=move || s.profile.classes.get().is_empty()>
            <h2>"Emotion readout" <span class="hint">{move || { let n = s.image.name.get(); if n.is_empty() { String::new() } else { format!(" · {n}") } }}</span></h2>
            <div data-testid="readout" class="readout"
                 data-pleasant=move || prob("pleasant").map(|p| p.to_string()).unwrap_or_default()
                 data-neutral=move || prob("neutral").map(|p| p.to_string()).unwrap_or_default()
                 data-unpleasant=move || prob("unpleasant").map(|p| p.to_string()).unwrap_or_default()>
                {move || {
                    let (r, b) = (s.image.readout.get(), s.image.baseline.get());
                    s.profile.classes.get().into_iter().enumerate().map(|(i, c)| {
                        let p = r.as_ref().and_then(|r| r.get(i).copied());
                        let delta = match (p, b.as_ref().and_then(|b| b.get(i).copied())) {
                            (Some(p), Some(q)) if (p - q).abs() > 5e-4 => format!(" ({:+.1} pts)", 100.0 * (p - q)),
                            _ => String::new(),
                        };
                        let width = format!("width: {:.1}%; background: {}", 100.0 * p.unwrap_or(0.0), PALETTE[i % PALETTE.len()]);
                        view! {
                            <div class="bar-row">
                                <span class="bar-label">{c.clone()}</span>
                                <span class="bar-track"><span class="bar" style=width></span></span>
                                <span class="bar-value">{p.map(|p| format!("{:.1}%", 100.0 * p)).unwrap_or("–".into())}{delta}</span>
                            </div>
                        }
                    }).collect_view()
                }}
            </div>
            <p class="hint" data-testid="readout-model" data-model=move || s.net.model.get()>
                {move || {
                    format!("Network: {}", s.net.label(&s.net.model.get()))
                }}
            </p>
            <details>
                <summary>"What is this?"</summary>
                <p class="hint">
                    "A small readout trained on the frozen network's features (as in the paper) guesses "
                    "how people rated this picture. Bars show its probabilities; the figures in brackets "
                    "show the change from the unaltered network when units are lesioned or enhanced."
                </p>
            </details>
        </section>
    }
}
