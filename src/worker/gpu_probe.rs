//! Asks the browser about its WebGPU adapter before burn takes it: its name and whether it is a
//! software fallback (SwiftShader, llvmpipe), which is far slower than the CPU path.

use crate::engine::is_software_adapter;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// What the page learned about the adapter.
#[derive(Clone, Debug, PartialEq)]
pub struct AdapterProbe {
    pub name: String,
    pub software: bool,
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn text(v: &JsValue, key: &str) -> String {
    get(v, key).as_string().unwrap_or_default()
}

/// `None` when the browser has no WebGPU or no adapter.
pub async fn probe() -> Option<AdapterProbe> {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let gpu = get(&scope.navigator(), "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return None;
    }
    let request: Function = get(&gpu, "requestAdapter").dyn_into().ok()?;
    let promise: Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    let adapter = JsFuture::from(promise).await.ok()?;
    if adapter.is_null() || adapter.is_undefined() {
        return None;
    }
    let info = get(&adapter, "info");
    let fields: Vec<String> = ["description", "vendor", "architecture", "device"]
        .iter()
        .map(|k| text(&info, k))
        .filter(|s| !s.is_empty())
        .collect();
    let fallback = get(&adapter, "isFallbackAdapter").as_bool() == Some(true)
        || get(&info, "isFallbackAdapter").as_bool() == Some(true);
    let name = if fields.is_empty() {
        "unnamed adapter".to_string()
    } else {
        fields.join(" ")
    };
    Some(AdapterProbe {
        software: fallback || is_software_adapter(&name, "", false),
        name,
    })
}
