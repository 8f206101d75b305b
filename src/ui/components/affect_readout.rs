//! The valence and arousal readout: the profile's ridge models on the frozen network's features
//! place the image on OASIS's 1–7 scales, among the set's own ratings (faint dots, positions
//! only), and show where the current intervention moves it.

use crate::affectview::{affect_background_svg, affect_marks_svg};
use crate::ui::store::use_store;
use leptos::prelude::*;

#[component]
pub fn AffectReadout() -> impl IntoView {
    let s = use_store();
    let now = move || s.image.affect.get();
    let base = move || s.image.affect_baseline.get();
    let fmt = |p: Option<[f32; 2]>, i: usize| p.map(|p| format!("{:.2}", p[i])).unwrap_or_default();
    view! {
        <section class="card affect-card" hidden=move || now().is_none()>
            <h2>"Valence and arousal"</h2>
            <div class="affect-row">
                <div data-testid="affect-plot" class="affect-plot"
                data-valence=move || fmt(now(), 0) data-arousal=move || fmt(now(), 1)
                data-base-valence=move || fmt(base(), 0) data-base-arousal=move || fmt(base(), 1)
                >
                // The set's ratings change with the profile only; each pass redraws the marks.
                <div class="affect-back" inner_html=move || s.profile.ratings.with(|r| affect_background_svg(r))></div>
                <div class="affect-marks" inner_html=move || affect_marks_svg(base(), now())></div>
            </div>
            <p class="summary" data-testid="affect-summary">{move || match (now(), base()) {
                (Some(n), Some(b)) if (n[0] - b[0]).abs() > 0.01 || (n[1] - b[1]).abs() > 0.01 => format!(
                    "Predicted valence {:.2} ({:+.2}), arousal {:.2} ({:+.2}) with the intervention.",
                    n[0], n[0] - b[0], n[1], n[1] - b[1]),
                (Some(n), _) => format!("Predicted valence {:.2}, arousal {:.2} (1–7).", n[0], n[1]),
                _ => String::new(),
            }}</p>
            </div>
            <details>
                <summary>"What is this?"</summary>
                <p class="hint">
                    "Two linear readouts (ridge regression) on the same features as the emotion readout "
                    "predict how pleasant (valence) and how exciting (arousal) people rated a picture. Grey "
                    "dots are the profiled pictures' average ratings; the black dot is this image. When units "
                    "are lesioned or enhanced, the orange dot shows where the prediction moves."
                </p>
            </details>
        </section>
    }
}
