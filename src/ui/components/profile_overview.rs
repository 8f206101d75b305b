//! The profile at a glance, as in the paper's figures: how many units of each layer are more
//! selective than chance, and which emotion the selective ones prefer. Same SVG as `neurons
//! report`; downloadable as SVG or PNG.

use crate::analysis::figures::{preferred_mix, significant_by_layer};
use crate::ui::download::{download, svg_as_png};
use crate::ui::session::profile;
use crate::ui::store::use_store;
use leptos::prelude::*;

/// `width`/`height` of a chart's root `<svg>` element.
pub fn svg_size(svg: &str) -> (u32, u32) {
    let attr = |name: &str| {
        let at = svg.find(&format!(" {name}=\""))? + name.len() + 3;
        svg[at..].split('"').next()?.parse::<f32>().ok()
    };
    (
        attr("width").unwrap_or(640.0) as u32,
        attr("height").unwrap_or(360.0) as u32,
    )
}

/// One chart with its download buttons; `stem` names the files.
#[component]
pub fn Chart(svg: String, stem: String) -> impl IntoView {
    let s = use_store();
    let (w, h) = svg_size(&svg);
    let (svg2, stem2) = (svg.clone(), stem.clone());
    let fail = move |r: Result<(), crate::error::Failure>| {
        if let Err(e) = r {
            s.fail(e)
        }
    };
    view! {
        <figure class="chart-figure">
            <div class="chart" inner_html=svg.clone()></div>
            <figcaption class="controls">
                <button on:click=move |_| fail(download(&format!("{stem}.svg"), "image/svg+xml", &svg))>"SVG"</button>
                <button on:click=move |_| fail(svg_as_png(&format!("{stem2}.png"), &svg2, w, h))>"PNG"</button>
            </figcaption>
        </figure>
    }
}

#[component]
pub fn ProfileOverview() -> impl IntoView {
    let s = use_store();
    let charts = move || {
        s.profile.units.track();
        let p = profile(s)?;
        Some(vec![
            (
                significant_by_layer(&[&p]),
                format!("{}-significant", p.model),
            ),
            (preferred_mix(&p), format!("{}-preferred", p.model)),
        ])
    };
    view! {
        <section class="stage" hidden=move || s.profile.units.with(|u| u.is_empty())>
            <h2>"The profile at a glance"</h2>
            <p class="hint">
                "Left: the share of each layer's units whose selectivity beats shuffled labels (a "
                "permutation test at 95 %). Right: which emotion the layer's selective units prefer. In "
                "Liu et al. (2024) selectivity grows in the deeper layers of the trained network and "
                "stays low in an untrained one: compare with the untrained control."
            </p>
            <div class="charts" data-testid="profile-charts">
                {move || charts().unwrap_or_default().into_iter()
                    .map(|(svg, stem)| view! { <Chart svg=svg stem=stem/> }).collect_view()}
            </div>
        </section>
    }
}
