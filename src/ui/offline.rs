//! Offline use after one visit: the service worker (static/sw.js) is registered once the visit's
//! model downloads are over, so that its copies of the site's files come from the browser's
//! HTTP cache (what the page already fetched) and never compete with the weights for the link.

use super::store::Store;
use js_sys::Reflect;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// Registers `sw.js` once the page has been idle a few seconds (so its copies never compete
/// with the first analysis); start-up calls it once. A browser without service workers stays
/// online.
pub fn enable(store: Store) {
    spawn_local(async move {
        loop {
            crate::web::sleep_ms(3000).await;
            if store.status.get_untracked().is_ready() {
                break;
            }
        }
        register();
    });
}

fn register() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let container = Reflect::get(&window.navigator(), &"serviceWorker".into())
        .ok()
        .filter(|c| c.is_object());
    let Some(container) = container else {
        return;
    };
    let register = Reflect::get(&container, &"register".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let Some(register) = register {
        if let Ok(p) = register.call1(&container, &"sw.js".into()) {
            let p: js_sys::Promise = p.unchecked_into();
            let warn = Closure::<dyn FnMut(JsValue)>::new(|e: JsValue| {
                web_sys::console::warn_2(&"service worker not registered:".into(), &e);
            });
            let _ = p.catch(&warn);
            warn.forget();
        }
    }
}
