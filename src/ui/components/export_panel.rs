//! Export for the classroom: the profile (JSON), the unit table (CSV) and the grid (PNG).

use crate::analysis::profile::Profile;
use crate::ui::download::{click_link, download};
use crate::ui::session::profile;
use crate::ui::store::use_store;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

#[component]
pub fn ExportPanel() -> impl IntoView {
    let s = use_store();
    // Offers the current profile rendered by `render` as `<model><suffix>`.
    let export = move |suffix: &'static str, mime: &'static str, render: fn(&Profile) -> String| {
        let r = match profile(s) {
            Some(p) => download(&format!("{}{suffix}", p.model), mime, &render(&p)),
            None => Err("this model has no profile to export".into()),
        };
        if let Err(e) = r {
            s.fail(e);
        }
    };
    let profile_json = move |_| export("-profile.json", "application/json", Profile::to_json);
    let units_csv = move |_| export("-units.csv", "text/csv", Profile::units_csv);
    let grid_png = move |_| {
        let canvas = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("unit-grid"))
            .and_then(|e| e.dyn_into::<web_sys::HtmlCanvasElement>().ok());
        let r = match canvas.and_then(|c| c.to_data_url().ok()) {
            Some(url) => click_link(
                &format!(
                    "{}-{}-grid.png",
                    s.net.model.get_untracked(),
                    s.intervention.layer.get_untracked()
                ),
                &url,
            ),
            None => Err("the grid is not drawn yet".into()),
        };
        if let Err(e) = r {
            s.fail(e);
        }
    };
    view! {
        <section class="stage">
            <h2>"Export"</h2>
            <div class="controls">
                <button on:click=profile_json>"Profile (JSON)"</button>
                <button on:click=units_csv>"Unit table (CSV)"</button>
                <button on:click=grid_png>"Grid (PNG)"</button>
            </div>
        </section>
    }
}
