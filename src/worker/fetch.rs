//! Fetching the site's weights from the worker, through Cache Storage, with streamed progress.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

fn js_err(v: JsValue) -> String {
    v.as_string()
        .or_else(|| {
            Reflect::get(&v, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{v:?}"))
}

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

async fn get(url: &str) -> Result<Response, String> {
    let resp: Response = JsFuture::from(scope().fetch_with_str(url))
        .await
        .map_err(|e| format!("download of {url} failed: {}", js_err(e)))?
        .dyn_into()
        .map_err(|_| "fetch returned no response")?;
    if !resp.ok() {
        return Err(format!("download of {url} failed: HTTP {}", resp.status()));
    }
    Ok(resp)
}

async fn read_body(
    url: &str,
    resp: Response,
    mut progress: impl FnMut(u64, u64),
) -> Result<Vec<u8>, String> {
    let total = resp
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    let Some(body) = resp.body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut out = Vec::with_capacity(total as usize);
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| format!("download of {url} was interrupted: {}", js_err(e)))?;
        if Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            == Some(true)
        {
            break;
        }
        let value = Reflect::get(&chunk, &"value".into()).map_err(js_err)?;
        out.extend_from_slice(&Uint8Array::new(&value).to_vec());
        progress(out.len() as u64, total.max(out.len() as u64));
    }
    Ok(out)
}

/// Reads a user's file into memory (it never leaves the device).
pub async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buf = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| format!("cannot read {}: {}", file.name(), js_err(e)))?;
    Ok(Uint8Array::new(&buf).to_vec())
}

/// True when this worker can ask for WebGPU at all (Chromium gives dedicated workers
/// `navigator.gpu`).
pub fn has_webgpu() -> bool {
    Reflect::get(&scope().navigator(), &"gpu".into())
        .is_ok_and(|g| !g.is_undefined() && !g.is_null())
}
