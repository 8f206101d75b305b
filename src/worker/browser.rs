//! The core's [`Host`] in the browser: the visitor's `File`s, the site's weights through Cache
//! Storage, WebGPU (or the CPU) and its loss, the wasm memory and the console.

use super::fetch::{fetch_weights, has_webgpu, read_file, sha256_hex};
use super::gpu_probe::probe;
use super::transport::post;
use crate::engine::Engine;
use crate::error::Failure;
use crate::protocol::{BackendChoice, Event};
use crate::worker_core::Host;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use wasm_bindgen::JsCast;

/// The browser, as the worker's core sees it.
pub struct Browser;

impl Host for Browser {
    type File = web_sys::File;

    fn emit(&self, id: u64, event: Event) {
        post(id, event);
    }

    fn name(&self, file: &web_sys::File) -> String {
        file.name()
    }

    async fn read(&self, file: &web_sys::File) -> Result<Vec<u8>, Failure> {
        read_file(file).await
    }

    async fn sha256(&self, bytes: &[u8]) -> String {
        sha256_hex(bytes).await
    }

    async fn fetch(
        &self,
        file: &str,
        sha256: &str,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(Vec<u8>, bool), Failure> {
        let w = fetch_weights(file, sha256, progress).await?;
        Ok((w.bytes, w.kept))
    }

    async fn engine(&self, choice: BackendChoice, pool: bool) -> Engine {
        choose(choice, pool).await
    }

    fn watch(&self, engine: &Engine) -> Option<Arc<AtomicBool>> {
        engine.gpu.as_ref().map(|d| {
            let flag = Arc::new(AtomicBool::new(false));
            let f = flag.clone();
            d.set_device_lost_callback(move |_, _| {
                f.store(true, Ordering::SeqCst);
                // Move to the CPU in turn with the other requests, before the next one fails.
                super::enqueue_recover();
            });
            flag
        })
    }

    fn destroy(&self, engine: &Engine) -> bool {
        engine.gpu.as_ref().is_some_and(|d| {
            d.destroy();
            true
        })
    }

    fn memory(&self) -> u64 {
        let mem: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        let buf: js_sys::ArrayBuffer = mem.buffer().unchecked_into();
        buf.byte_length() as u64
    }

    fn log(&self, line: &str) {
        web_sys::console::log_1(&line.into());
    }
}

/// Picks the backend: the pool and `?backend=cpu` use the CPU; otherwise WebGPU unless it is
/// missing or a software adapter (far slower than the CPU path) and not forced.
async fn choose(choice: BackendChoice, pool: bool) -> Engine {
    if pool {
        return Engine::cpu("pool worker");
    }
    if choice == BackendChoice::Cpu {
        return Engine::cpu("CPU requested in the link (?backend=cpu)");
    }
    if !has_webgpu() {
        return Engine::cpu("this browser has no WebGPU: using the CPU (slower, but it works)");
    }
    let Some(probe) = probe().await else {
        return Engine::cpu("WebGPU is present but offers no adapter: using the CPU");
    };
    if probe.software && choice != BackendChoice::WebGpu {
        return Engine::cpu(format!(
            "the WebGPU adapter ({}) is a software renderer, far slower than the CPU path; \
             add ?backend=webgpu to the link to force it",
            probe.name
        ));
    }
    match Engine::wgpu_async().await {
        Ok(mut e) => {
            e.info.adapter = probe.name.clone();
            e.info.software = probe.software;
            if probe.software {
                e.info.reason = "WebGPU forced on a software adapter: expect slow passes".into();
            }
            e
        }
        Err(err) => Engine::cpu(format!("{err}; using the CPU")),
    }
}
