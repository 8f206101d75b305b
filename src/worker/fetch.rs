//! Fetching the site's weights from the worker, through Cache Storage, with streamed progress.

use crate::web::{get, read_body};
use js_sys::Reflect;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

const CACHE: &str = "emotion-neurons-weights-v1";

fn scope() -> web_sys::WorkerGlobalScope {
    js_sys::global().unchecked_into()
}

async fn cache() -> Option<web_sys::Cache> {
    let caches = scope().caches().ok()?;
    JsFuture::from(caches.open(CACHE))
        .await
        .ok()?
        .dyn_into()
        .ok()
}

/// Forgets a cached download (e.g. one that failed its checksum).
pub async fn forget_cached(url: &str) {
    if let Some(c) = cache().await {
        let _ = JsFuture::from(c.delete_with_str(url)).await;
    }
}

/// Fetches `url` through Cache Storage (a returning visitor starts from cache, also offline),
/// calling `progress(received, total)` as bytes stream in.
pub async fn fetch_cached(url: &str, progress: impl FnMut(u64, u64)) -> Result<Vec<u8>, String> {
    let c = cache().await;
    if let Some(c) = &c {
        if let Ok(hit) = JsFuture::from(c.match_with_str(url)).await {
            if let Ok(resp) = hit.dyn_into::<Response>() {
                return read_body(url, resp, progress).await;
            }
        }
    }
    let resp = get(url).await?;
    if let (Some(c), Ok(copy)) = (&c, resp.clone()) {
        let _ = JsFuture::from(c.put_with_str(url, &copy)).await;
    }
    read_body(url, resp, progress).await
}

pub use crate::web::read_file;

/// True when this worker can ask for WebGPU at all (Chromium gives dedicated workers
/// `navigator.gpu`).
pub fn has_webgpu() -> bool {
    Reflect::get(&scope().navigator(), &"gpu".into())
        .is_ok_and(|g| !g.is_undefined() && !g.is_null())
}
