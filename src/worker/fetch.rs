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
pub async fn fetch_cached(
    url: &str,
    mut progress: impl FnMut(u64, u64),
) -> Result<Vec<u8>, String> {
    let c = cache().await;
    if let Some(c) = &c {
        if let Ok(hit) = JsFuture::from(c.match_with_str(url)).await {
            if let Ok(resp) = hit.dyn_into::<Response>() {
                // From disk there is nothing to watch: one read, one copy.
                if let Ok(p) = resp.array_buffer() {
                    if let Ok(buf) = JsFuture::from(p).await {
                        let bytes = js_sys::Uint8Array::new(&buf).to_vec();
                        progress(bytes.len() as u64, bytes.len() as u64);
                        return Ok(bytes);
                    }
                }
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

/// sha256 of `bytes` in hex, by the browser's WebCrypto (native speed: about 60 ms for VGG-16's
/// 59 MB, where the Rust implementation in wasm takes about 2 s); the Rust one where WebCrypto
/// is missing (pages served over plain http from another host).
pub async fn sha256_hex(bytes: &[u8]) -> String {
    let subtle = Reflect::get(&js_sys::global(), &"crypto".into())
        .and_then(|c| Reflect::get(&c, &"subtle".into()))
        .ok()
        .filter(|s| !s.is_undefined() && !s.is_null());
    if let Some(subtle) = subtle {
        let digest = Reflect::get(&subtle, &"digest".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(digest) = digest {
            let data = js_sys::Uint8Array::from(bytes);
            if let Ok(p) = digest.call2(&subtle, &"SHA-256".into(), &data) {
                if let Ok(buf) = JsFuture::from(js_sys::Promise::from(p)).await {
                    return js_sys::Uint8Array::new(&buf)
                        .to_vec()
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect();
                }
            }
        }
    }
    crate::weights::sha256_hex(bytes)
}

/// True when this worker can ask for WebGPU at all (Chromium gives dedicated workers
/// `navigator.gpu`).
pub fn has_webgpu() -> bool {
    Reflect::get(&scope().navigator(), &"gpu".into())
        .is_ok_and(|g| !g.is_undefined() && !g.is_null())
}
