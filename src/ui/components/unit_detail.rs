//! The focused unit: tuning values, SI and its permutation p-value, and its activation map over
//! the crop the network sees.

use super::top_images::TopImages;
use crate::protocol::CROP;
use crate::ui::session::unit_map;
use crate::ui::store::use_store;
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn UnitDetail() -> impl IntoView {
    let s = use_store();
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let Some(u) = s.intervention.focus.get() {
            s.image.crop.track();
            spawn_local(unit_map(s, s.intervention.layer.get_untracked(), u));
        }
    });
    Effect::new(move |_| {
        if let (Some(c), Some(m)) = (canvas.get(), s.image.heatmap.get()) {
            s.image
                .crop
                .with_untracked(|crop| crate::ui::canvas::put_map(&c, crop, &m));
        }
    });
    view! {
        <section class="stage" hidden=move || s.intervention.focus.get().is_none()>
            <h2>"Unit " {move || s.intervention.focus.get().map(|u| u.to_string())} " of " {move || s.intervention.layer.get()}</h2>
            <div class="detail">
                <canvas node_ref=canvas data-testid="heatmap" width=CROP.to_string() height=CROP.to_string() hidden=move || s.image.heatmap.get().is_none()
                        aria-label="Where in the image this unit responds (orange = strong)"></canvas>
                <div>
                {move || {
                    let (u, li) = (s.intervention.focus.get()?, s.layer_index()?);
                    let st = s.profile.units.with(|units| units.get(li)?.get(u).cloned())?;
                    let classes = s.profile.classes.get();
                    Some(view! {
                        <p>"Selectivity index (SI) " <strong>{format!("{:.2}", st.si)}</strong>
                           ", preferred emotion " <strong>{classes.get(st.preferred).cloned().unwrap_or_default()}</strong>
                           {format!(", permutation p = {:.3}", st.p_null)}
                           {if st.selected { " (among the layer's top selective units)" } else { "" }}</p>
                        <table>
                            <thead><tr><th>"Emotion"</th><th>"Tuning value"</th></tr></thead>
                            <tbody>{classes.iter().zip(&st.tuning).map(|(c, t)| view! { <tr><td>{c.clone()}</td><td>{format!("{t:+.3}")}</td></tr> }).collect_view()}</tbody>
                        </table>
                    })
                }}
                <p class="hint">
                    "Orange shows where in the picture this unit responds (before any lesion or boost). Tuning value: how far the unit's "
                    "average response to one emotion sits above or below its average over all images, in "
                    "standard deviations. SI: how well it separates its preferred emotion from the other two "
                    "(a d′). p: how often shuffled labels give an SI at least this large (Liu et al. 2024)."
                </p>
                </div>
            </div>
            <TopImages/>
        </section>
    }
}
