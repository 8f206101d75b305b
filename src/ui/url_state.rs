//! The experiment lives in the link: model, layer, selected units, mode and α, a bundled example
//! image and the lesson's step. A teacher can share a link that opens the same experiment (or
//! the lesson at a step with a chosen model and image); invalid parts are ignored with a notice.

use super::fetch::query_param;
use super::store::{Mode, Store};
use crate::labview::{parse_alpha, parse_units};
use leptos::prelude::*;

/// Applies `layer`, `units`, `mode` and `alpha` from the link after a model has loaded.
pub fn apply(store: Store) {
    let mut ignored = Vec::new();
    let layers = store.net.layers.get_untracked();
    let mut layer_ok = true;
    if let Some(l) = query_param("layer") {
        if layers.iter().any(|(n, _)| *n == l) {
            store.intervention.layer.set(l);
        } else {
            ignored.push(format!("layer `{l}`"));
            layer_ok = false;
        }
    }
    let n = layers
        .iter()
        .find(|(n, _)| *n == store.intervention.layer.get_untracked())
        .map_or(0, |l| l.1);
    if let Some(u) = query_param("units").filter(|u| !u.is_empty()) {
        // Units of a layer this model does not have mean nothing here.
        match parse_units(&u, n).filter(|_| layer_ok) {
            Some(v) => store.intervention.selected.set(v),
            None => ignored.push(format!("units `{u}`")),
        }
    }
    match query_param("mode").as_deref() {
        None => {}
        Some("lesion") => store.intervention.mode.set(Mode::Lesion),
        Some("enhance") => store.intervention.mode.set(Mode::Enhance),
        Some(m) => ignored.push(format!("mode `{m}`")),
    }
    if let Some(a) = query_param("alpha") {
        match parse_alpha(&a) {
            Some(x) => store.intervention.alpha.set(x),
            None => ignored.push(format!("alpha `{a}` (0 to 5)")),
        }
    }
    if !ignored.is_empty() {
        store.notice.set(format!(
            "Ignored invalid link settings: {}.",
            ignored.join(", ")
        ));
    }
}

/// Keeps the address bar in step with the state (no reload, no history entry). The link is
/// worked out when the state changes; the address bar is written in a task of its own (history
/// writes cost a slow device tens of milliseconds), once for all the changes of one turn.
pub fn follow(store: Store) {
    let pending = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        let Some(url) = link(store) else { return };
        let first = pending
            .try_update_value(|p| p.replace(url).is_none())
            .unwrap_or(false);
        if first {
            leptos::task::spawn_local(async move {
                crate::web::sleep_ms(0).await;
                if let Some(url) = pending.try_update_value(|p| p.take()).flatten() {
                    replace(&url);
                }
            });
        }
    });
}

/// Writes `url` (`?…`) into the address bar unless it is there already.
fn replace(url: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if window.location().search().is_ok_and(|now| now == url) {
        return;
    }
    if let Ok(h) = window.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
    }
}

/// The link (`?…`) for the current state.
fn link(store: Store) -> Option<String> {
    let params = web_sys::UrlSearchParams::new().ok()?;
    // During a first visit's quick start the model is left out, so that a reload or a shared
    // link starts the same way (and moves to the paper's network) rather than pinning AlexNet.
    // The layer and units are the quick start's too, so they are left out with it.
    let quick = store.net.quick_start.get();
    if !quick {
        params.set("model", &store.net.model.get());
        params.set("layer", &store.intervention.layer.get());
    }
    let units = store.intervention.selected.get();
    if !units.is_empty() && !quick {
        let list: Vec<String> = units.iter().map(|u| u.to_string()).collect();
        params.set("units", &list.join(","));
        params.set(
            "mode",
            match store.intervention.mode.get() {
                Mode::Lesion => "lesion",
                Mode::Enhance => "enhance",
            },
        );
        if store.intervention.mode.get() == Mode::Enhance {
            params.set("alpha", &format!("{:.1}", store.intervention.alpha.get()));
        }
    }
    // A bundled example image is named, so the link opens it (a visitor's own image is not).
    let image = store.image.name.get();
    if crate::ui::components::is_example(&image) {
        params.set("example", &image);
    }
    let step = store.lesson.step.get();
    if step > 0 {
        params.set("lesson", &step.to_string());
    }
    // Device settings and the lesson's language stay in the link as given.
    for key in ["backend", "workers", "lang"] {
        if let Some(v) = query_param(key) {
            params.set(key, &v);
        }
    }
    Some(format!("?{}", String::from(params.to_string())))
}
