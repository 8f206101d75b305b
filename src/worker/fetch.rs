//! Fetching the site's weights from the worker (packed when the site has them), checked, through
//! Cache Storage, with streamed progress.

use crate::error::Failure;
use crate::web::{get, js_err, read_body};
use crate::weights::planes::Unplane;
use js_sys::{Reflect, Uint8Array};
use std::cell::RefCell;
use std::collections::HashSet;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableWritablePair, Response};

use crate::weights::WEIGHTS_CACHE as CACHE;

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
async fn forget_cached(c: &web_sys::Cache, url: &str) {
    let _ = JsFuture::from(c.delete_with_str(url)).await;
}

/// A checked copy of `url` from Cache Storage, if one is there (a copy that fails `sha256` is
/// dropped).
async fn cached(c: &web_sys::Cache, url: &str, sha256: &str) -> Option<Vec<u8>> {
    let resp: Response = JsFuture::from(c.match_with_str(url))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    let buf = JsFuture::from(resp.array_buffer().ok()?).await.ok()?;
    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
    if sha256_hex(&bytes).await == sha256 {
        return Some(bytes);
    }
    forget_cached(c, url).await;
    None
}

/// A checked weights file, and whether this browser kept it in Cache Storage.
pub struct Weights {
    pub bytes: Vec<u8>,
    pub kept: bool,
}

/// The site's weights file `weights/<file>`, checked against `sha256`: from Cache Storage when
/// a checked copy is there (a returning visitor, also offline); otherwise downloaded, the
/// packed form first (`<file>.planes`) and the plain file where the site has no packed one, the
/// browser cannot gunzip, or the packed copy fails in any way (a host that answers a missing
/// file with 403 or its index page, a stale or damaged pack: the console says why). Only a
/// copy that passed the check is kept. `progress(received, total)` counts download bytes.
pub async fn fetch_weights(
    file: &str,
    sha256: &str,
    mut progress: impl FnMut(u64, u64),
) -> Result<Weights, Failure> {
    let url = format!("weights/{file}");
    // One download per file: a load that asks while a background download of the same file
    // runs waits for it and then reads the cache.
    while IN_FLIGHT.with(|f| f.borrow().contains(&url)) {
        crate::web::sleep_ms(200).await;
    }
    let _mark = InFlight::mark(&url);
    let c = cache().await;
    if let Some(c) = &c {
        if let Some(bytes) = cached(c, &url, sha256).await {
            progress(bytes.len() as u64, bytes.len() as u64);
            return Ok(Weights { bytes, kept: true });
        }
    }
    let packed_url = format!("{url}.planes");
    let from_pack = match packed(&packed_url, &mut progress).await {
        Ok(Some(b)) if sha256_hex(&b).await == sha256 => Some(b),
        Ok(Some(_)) => {
            warn(&format!(
                "{packed_url} does not rebuild the published file; fetching {url}"
            ));
            None
        }
        Ok(None) => None,
        Err(e) => {
            warn(&format!("{e}; fetching {url}"));
            None
        }
    };
    let bytes = match from_pack {
        Some(b) => b,
        None => {
            let b = read_body(&url, get(&url).await?, &mut progress).await?;
            let got = sha256_hex(&b).await;
            if got != sha256 {
                return Err(Failure::download(format!(
                    "checksum mismatch for `{file}`: expected sha256 {sha256}, got {got} ({} \
                     bytes). The download is damaged, incomplete or not the published one, and \
                     is not kept.",
                    b.len()
                )));
            }
            b
        }
    };
    let mut kept = false;
    if let Some(c) = &c {
        let body = Uint8Array::from(&bytes[..]);
        if let Ok(resp) = Response::new_with_opt_buffer_source(Some(&*body)) {
            kept = JsFuture::from(c.put_with_str(&url, &resp)).await.is_ok();
        }
    }
    Ok(Weights { bytes, kept })
}

fn warn(msg: &str) {
    web_sys::console::warn_1(&format!("engine: {msg}").into());
}

thread_local! {
    static IN_FLIGHT: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

/// Marks a download of `url` as running until dropped.
struct InFlight(String);

impl InFlight {
    fn mark(url: &str) -> Self {
        IN_FLIGHT.with(|f| f.borrow_mut().insert(url.to_string()));
        Self(url.to_string())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.with(|f| f.borrow_mut().remove(&self.0));
    }
}

/// Downloads and rebuilds a packed weights file; `None` when the site has none (HTTP 404) or
/// the browser has no `DecompressionStream`. The download streams with progress (in packed
/// bytes); the gunzip then runs natively in one piece (chunk by chunk through wasm it cost
/// seconds), and the regrouping in one pass.
async fn packed(
    url: &str,
    progress: &mut impl FnMut(u64, u64),
) -> Result<Option<Vec<u8>>, Failure> {
    let ctor = Reflect::get(&js_sys::global(), &"DecompressionStream".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let Some(ctor) = ctor else {
        return Ok(None);
    };
    let resp: Response = JsFuture::from(scope().fetch_with_str(url))
        .await
        .map_err(|e| Failure::download(format!("download of {url} failed: {}", js_err(e))))?
        .unchecked_into();
    if resp.status() == 404 {
        return Ok(None);
    }
    if !resp.ok() {
        return Err(Failure::download(format!(
            "download of {url} failed: HTTP {}",
            resp.status()
        )));
    }
    let mut zipped = read_body(url, resp, &mut *progress).await?;
    let damaged =
        |e: JsValue| Failure::download(format!("download of {url} is damaged: {}", js_err(e)));
    // `new Response(new Response(bytes).body.pipeThrough(new DecompressionStream("gzip")))
    //  .arrayBuffer()` (web-sys marks DecompressionStream unstable; it is in every current
    // browser: Chrome 80, Firefox 113, Safari 16.4).
    let body = Response::new_with_opt_u8_array(Some(&mut zipped))
        .map_err(damaged)?
        .body()
        .ok_or_else(|| Failure::download(format!("download of {url} is damaged: no body")))?;
    drop(zipped);
    let gunzip = Reflect::construct(&ctor, &js_sys::Array::of1(&"gzip".into())).map_err(damaged)?;
    let side = |name: &str| Reflect::get(&gunzip, &name.into()).map_err(damaged);
    let plain = body.pipe_through(&ReadableWritablePair::new(
        &side("readable")?.unchecked_into(),
        &side("writable")?.unchecked_into(),
    ));
    let buf = Response::new_with_opt_readable_stream(Some(&plain))
        .map_err(damaged)?
        .array_buffer()
        .map_err(damaged)?;
    let buf = JsFuture::from(buf).await.map_err(damaged)?;
    let mut rebuilt = Unplane::new();
    rebuilt
        .push(&Uint8Array::new(&buf).to_vec())
        .map_err(|e| Failure::download(format!("{url}: {e}")))?;
    drop(buf);
    rebuilt
        .finish()
        .map(Some)
        .map_err(|e| Failure::download(format!("{url}: {e}")))
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
