//! The focused unit: tuning values, SI and its permutation p-value, and its activation map over
//! the crop the network sees.

use super::top_images::TopImages;
use crate::protocol::CROP;
use crate::ui::session::unit_map;
use crate::ui::store::use_store;
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The crop in gray with the map in orange on top, nearest-neighbour upsampled to 224².
fn draw(canvas: &web_sys::HtmlCanvasElement, crop: &[u8], (h, w, v): &(usize, usize, Vec<f32>)) {
    if crop.len() != CROP * CROP * 3 || v.len() != h * w {
        return;
    }
    let max = v.iter().cloned().fold(0.0f32, f32::max).max(1e-12);
    let mut rgba = Vec::with_capacity(CROP * CROP * 4);
    for y in 0..CROP {
        for x in 0..CROP {
            let a = v[(y * h / CROP) * w + x * w / CROP] / max;
            let g = crop[(y * CROP + x) * 3] as f32 * 0.6;
            let mix = |c: f32| (g * (1.0 - a) + c * a).round() as u8;
            rgba.extend([mix(230.0), mix(159.0), mix(0.0), 255]);
        }
    }
    crate::ui::canvas::put_rgba(canvas, &rgba, CROP as u32, CROP as u32);
}

#[component]
pub fn UnitDetail() -> impl IntoView {
    let s = use_store();
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let Some(u) = s.intervention.focus.get() {
            let _ = (
                s.image.crop.get(),
                s.intervention.selected.get(),
                s.intervention.mode.get(),
                s.intervention.alpha.get(),
            );
            spawn_local(unit_map(s, s.intervention.layer.get_untracked(), u));
        }
    });
    Effect::new(move |_| {
        if let (Some(c), Some(m)) = (canvas.get(), s.image.heatmap.get()) {
            draw(&c, &s.image.crop.get_untracked(), &m);
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
                    let st = s.profile.units.get().get(li)?.get(u)?.clone();
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
                    "Orange shows where in the picture this unit responds. Tuning value: how far the unit's "
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
