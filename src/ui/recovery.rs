//! Losing the GPU mid-session (a driver reset, the system reclaiming it, or `device.destroy()`):
//! cubecl marks the device poisoned and every readback then fails. The app moves to burn's CPU
//! backend, rebuilds the model there from the same weights (cache, seed or the visitor's file),
//! keeps the visitor's state (image, layer, selection, mode, α, profile and profiled set) and
//! runs the current image again.

use super::runtime::{engine, load_model, profile, set_engine, set_profile};
use super::store::Store;
use crate::engine::{BackendKind, Engine};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::{Cell, RefCell};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

type Retry = Box<dyn FnOnce()>;

thread_local! {
    static RECOVERING: Cell<bool> = const { Cell::new(false) };
    /// Set once the GPU was lost: later failures of runs that started on it are part of the
    /// same loss, even though the engine is now the CPU.
    static LOST: Cell<bool> = const { Cell::new(false) };
    /// Interrupted runs to start again once the model is rebuilt on the CPU.
    static PENDING: RefCell<Vec<Retry>> = const { RefCell::new(Vec::new()) };
}

/// Whether work is running on a GPU (so a failure may mean the device is gone).
pub fn on_gpu() -> bool {
    engine().is_some_and(|e| e.info.kind == BackendKind::Wgpu)
}

/// Whether a failure reads like a lost device: cubecl reports every operation on a lost device
/// as "poisoned" (with wgpu's reason, e.g. "Destroyed", "Lost").
pub fn looks_like_gpu_loss(msg: &str) -> bool {
    let m = msg.to_lowercase();
    ["poison", "device lost", "destroyed"]
        .iter()
        .any(|k| m.contains(k))
}

/// Whether `msg` is a failure of work that ran on a GPU that is now gone.
fn gpu_failure(msg: &str) -> bool {
    looks_like_gpu_loss(msg) && (on_gpu() || LOST.with(|l| l.get()))
}

/// Runs the queued retries (after a recovery), or drops them (when it failed).
fn drain(run: bool) {
    let pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    if run {
        pending.into_iter().for_each(|f| f());
    }
}

/// Queues `retry` for when the app runs on the CPU, and recovers if that has not happened yet.
fn after_recovery(store: Store, msg: String, retry: Retry) {
    PENDING.with(|p| p.borrow_mut().push(retry));
    if on_gpu() || RECOVERING.with(|r| r.get()) {
        spawn_local(recover(store, msg));
    } else {
        drain(true); // recovered already: this run had started on the lost GPU
    }
}

/// Reports `msg`; when it is a lost GPU, moves to the CPU and analyses the image again instead
/// (reloading the model does that).
pub fn fail_or_recover(store: Store, msg: String) {
    if !gpu_failure(&msg) {
        store.fail(msg);
    } else if on_gpu() || RECOVERING.with(|r| r.get()) {
        spawn_local(recover(store, msg));
    } else {
        super::analyse::rerun(store); // recovered already: this pass had started on the GPU
    }
}

/// Like [`fail_or_recover`], and once on the CPU starts the interrupted run again with `retry`
/// (profiling a set, the experiment).
pub fn recover_and_retry<F>(store: Store, msg: String, retry: impl FnOnce() -> F + 'static)
where
    F: std::future::Future<Output = ()> + 'static,
{
    if gpu_failure(&msg) {
        after_recovery(store, msg, Box::new(move || spawn_local(retry())));
    } else {
        store.fail(msg);
    }
}

/// The innermost cause of a wgpu/cubecl error, without its backtrace note.
pub fn short_reason(msg: &str) -> String {
    let last = msg.rsplit("Caused by:").next().unwrap_or(msg);
    let cut = last.split("Backtrace").next().unwrap_or(last);
    cut.trim().trim_end_matches('.').trim().to_string()
}

/// Moves to the CPU backend after the GPU failed with `reason`, keeping the visitor's state,
/// then runs the queued retries. Only one recovery runs; later callers just queue.
pub async fn recover(store: Store, reason: String) {
    if RECOVERING.with(|r| r.replace(true)) {
        return;
    }
    LOST.with(|l| l.set(true));
    let reason = short_reason(&reason);
    let kept = profile();
    set_engine(
        store,
        Engine::cpu(format!(
            "the GPU stopped working ({reason}); the app moved to the CPU and kept your work"
        )),
    );
    let id = store.model.get_untracked();
    // Both loaders analyse the current image again once the model is in place.
    let reloaded = if id.starts_with("local-") {
        super::local_weights::reload(store).await
    } else {
        load_model(store, &id).await.is_ok()
    };
    if reloaded {
        if let Some(p) = kept {
            set_profile(store, Some((*p).clone()));
        }
        store.notice.set(format!(
            "The GPU was lost ({reason}). Now running on the CPU with the same model, image, \
             selection and profile; a profiling run or experiment that was interrupted starts \
             again on the CPU."
        ));
    }
    RECOVERING.with(|r| r.set(false));
    drain(reloaded);
}

/// `window.__emotionNeurons.loseGpu()`: destroys the WebGPU device on purpose, so the recovery
/// path can be tried (and tested) without a flaky driver.
pub fn install_debug_hook() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let lose = Closure::<dyn Fn() -> bool>::new(|| match engine().and_then(|e| e.gpu.clone()) {
        Some(d) => {
            d.destroy();
            true
        }
        None => false,
    });
    let hooks = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&hooks, &"loseGpu".into(), lose.as_ref().unchecked_ref());
    lose.forget();
    let _ = js_sys::Reflect::set(&window, &"__emotionNeurons".into(), &hooks);
}
