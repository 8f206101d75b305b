//! Export for the classroom: the profile (JSON), the unit table (CSV) and the grid (PNG).

use crate::analysis::profile::Profile;
use crate::ui::runtime::profile;
use crate::ui::store::use_store;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Offers `bytes` as a download named `name`.
fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)
        .map_err(|_| "cannot build the file")?;
    let url =
        web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| "cannot offer the file")?;
    click_link(name, &url)?;
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

fn click_link(name: &str, url: &str) -> Result<(), String> {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(|_| "no link")?
        .unchecked_into();
    a.set_href(url);
    a.set_download(name);
    a.click();
    Ok(())
}

#[component]
pub fn ExportPanel() -> impl IntoView {
    let s = use_store();
    // Offers the current profile rendered by `render` as `<model><suffix>`.
    let export = move |suffix: &'static str, mime: &'static str, render: fn(&Profile) -> String| {
        let r = match profile() {
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
                    s.model.get_untracked(),
                    s.layer.get_untracked()
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
