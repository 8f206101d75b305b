//! The worker's end of the wire: `{ json, files?, bytes? }` messages in, `{ json }` out.

use crate::protocol::{Bulk, Envelope, ErrorKind, Event, Failure, Request};
use js_sys::{Array, Float32Array, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent};

/// A request with what rode beside it.
pub struct Incoming {
    pub id: u64,
    pub request: Request,
    /// Visitor's files (structured-cloned handles; read here, never uploaded).
    pub files: Vec<File>,
    /// Image bytes (transferred from the page).
    pub bytes: Option<Vec<u8>>,
}

fn field(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

pub fn parse(ev: &MessageEvent) -> Result<Incoming, Failure> {
    let data = ev.data();
    let json = field(&data, "json")
        .as_string()
        .ok_or_else(|| Failure::new(ErrorKind::Failed, "bad protocol message: no json"))?;
    let mut env = Envelope::<Request>::from_json(&json)?;
    let bulk = field(&data, "bulk");
    if !bulk.is_undefined() && !bulk.is_null() {
        env.body.put_bulk(Float32Array::new(&bulk).to_vec())?;
    }
    let files = match field(&data, "files").dyn_into::<Array>() {
        Ok(a) => a.iter().filter_map(|f| f.dyn_into::<File>().ok()).collect(),
        Err(_) => Vec::new(),
    };
    let bytes = field(&data, "bytes");
    let bytes =
        (!bytes.is_undefined() && !bytes.is_null()).then(|| Uint8Array::new(&bytes).to_vec());
    Ok(Incoming {
        id: env.id,
        request: env.body,
        files,
        bytes,
    })
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Sends one event for request `id` to the page; its big float arrays are transferred.
pub fn post(id: u64, mut body: Event) {
    let bulk = body.take_bulk();
    let msg = js_sys::Object::new();
    let _ = Reflect::set(
        &msg,
        &"json".into(),
        &Envelope { id, body }.to_json().into(),
    );
    if bulk.is_empty() {
        let _ = scope().post_message(&msg);
    } else {
        let buf = Float32Array::from(&bulk[..]).buffer();
        let _ = Reflect::set(&msg, &"bulk".into(), &buf);
        let _ = scope().post_message_with_transfer(&msg, &Array::of1(&buf));
    }
}
