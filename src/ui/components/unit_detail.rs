//! The focused unit: tuning values, SI and its permutation p-value, this image's response.

use crate::ui::store::use_store;
use leptos::prelude::*;

#[component]
pub fn UnitDetail() -> impl IntoView {
    let s = use_store();
    view! {
        <section class="stage" hidden=move || s.focus.get().is_none()>
            <h2>"Unit " {move || s.focus.get().map(|u| u.to_string())} " of " {move || s.layer.get()}</h2>
            {move || {
                let (u, li) = (s.focus.get()?, s.layer_index()?);
                let st = s.units.get().get(li)?.get(u)?.clone();
                let classes = s.classes.get();
                Some(view! {
                    <p>"Selectivity index (SI) " <strong>{format!("{:.2}", st.si)}</strong>
                       ", preferred emotion " <strong>{classes.get(st.preferred).cloned().unwrap_or_default()}</strong>
                       {format!(", permutation p = {:.3}", st.p_null)}
                       {if st.selected { " (among the layer's top selective units)" } else { "" }}</p>
                    <table>
                        <thead><tr><th>"Emotion"</th><th>"Tuning value"</th></tr></thead>
                        <tbody>{classes.iter().zip(&st.tuning).map(|(c, t)| view! { <tr><td>{c.clone()}</td><td>{format!("{t:+.3}")}</td></tr> }).collect_view()}</tbody>
                    </table>
                    <p class="hint">
                        "Tuning value: how far this unit's average response to one emotion sits above or below its "
                        "average over all images, in standard deviations. SI: how well the unit separates its preferred "
                        "emotion from the other two (a d′). p: how often shuffled labels give an SI at least this large."
                    </p>
                })
            }}
        </section>
    }
}
