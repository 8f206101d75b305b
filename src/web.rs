//! Browser glue shared by the page and the engine worker (feature `web`): fetching with
//! streamed progress from either global scope, and reading a visitor's file.

use crate::error::Failure;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response};

/// The message of a JavaScript error value.
pub fn js_err(v: JsValue) -> String {
    v.as_string()
        .or_else(|| {
            Reflect::get(&v, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{v:?}"))
}

/// `fetch(url)` from the page or from a worker; an HTTP error status is an error.
pub async fn get(url: &str) -> Result<Response, Failure> {
    let global = js_sys::global();
    let promise = match global.dyn_ref::<web_sys::Window>() {
        Some(w) => w.fetch_with_str(url),
        None => global
            .unchecked_ref::<web_sys::WorkerGlobalScope>()
            .fetch_with_str(url),
    };
    let resp: Response = JsFuture::from(promise)
        .await
        .map_err(|e| Failure::download(format!("download of {url} failed: {}", js_err(e))))?
        .dyn_into()
        .map_err(|_| Failure::download("fetch returned no response"))?;
    if !resp.ok() {
        return Err(Failure::download(format!(
            "download of {url} failed: HTTP {}",
            resp.status()
        )));
    }
    Ok(resp)
}

/// Reads `resp`'s body, calling `progress(received, total)` as bytes stream in.
pub async fn read_body(
    url: &str,
    resp: Response,
    mut progress: impl FnMut(u64, u64),
) -> Result<Vec<u8>, Failure> {
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
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| {
            Failure::download(format!("download of {url} was interrupted: {}", js_err(e)))
        })?;
        if Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            == Some(true)
        {
            break;
        }
        let value =
            Reflect::get(&chunk, &"value".into()).map_err(|e| Failure::download(js_err(e)))?;
        out.extend_from_slice(&Uint8Array::new(&value).to_vec());
        progress(out.len() as u64, total.max(out.len() as u64));
    }
    Ok(out)
}

/// Reads a user's file into memory (it never leaves the device).
pub async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, Failure> {
    let buf = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| Failure::bad_input(format!("cannot read {}: {}", file.name(), js_err(e))))?;
    Ok(Uint8Array::new(&buf).to_vec())
}

/// Lets the event loop run (the rest continues in a new task), so that long work on the page's
/// thread is split into short tasks and the page can paint in between.
pub async fn next_task() {
    sleep_ms(0).await;
}

/// Resolves after `ms` milliseconds (`setTimeout`, from the page or a worker).
pub async fn sleep_ms(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let g = js_sys::global();
        if let Some(f) = Reflect::get(&g, &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        {
            let _ = f.call2(&g, &resolve, &ms.into());
        }
    });
    let _ = JsFuture::from(p).await;
}
