//! The app shell: provides the store, starts the runtime, lays out the stages.

use super::components::{
    BackendBadge, DatasetProfiler, EmotionReadout, ExperimentPanel, ExportPanel, ImageInput,
    InterventionPanel, LayerGrid, LayerSummary, ModelPanel, ObjectGuess, ProfileOverview,
    StatusBar, UnitDetail,
};
use super::session;
use super::store::Store;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

#[component]
pub fn App() -> impl IntoView {
    let store = Store::new();
    provide_context(store);
    spawn_local(session::start(store));
    install_test_hooks();
    view! {
        <header>
            <h1>"Emotion Neurons"</h1>
            <p class="lede">
                "Do units in a network trained only to recognise objects respond to the emotion of a picture? "
                "Pick a model, give it an image, and see how every unit of every layer responds. "
                "Everything runs in this tab: your images never leave your device."
            </p>
            <BackendBadge/>
        </header>
        <main>
            <StatusBar/>
            <ModelPanel/>
            <ImageInput/>
            <EmotionReadout/>
            <ObjectGuess/>
            <LayerGrid/>
            <UnitDetail/>
            <InterventionPanel/>
            <LayerSummary/>
            <ProfileOverview/>
            <DatasetProfiler/>
            <ExperimentPanel/>
            <ExportPanel/>
        </main>
        <footer>
            "After Liu, Bo, Ding & Fang (2024), PLOS Computational Biology. "
            "Weights and data provenance: see NOTICES.md in the source."
        </footer>
    }
}

/// `window.__emotionNeurons`: `loseGpu()` destroys the engine worker's WebGPU device on purpose
/// (resolves to whether there was one), `crashWorker()` panics the engine worker (the recovery
/// paths, tried and tested without a flaky driver); `memory()` resolves to the wasm memory of
/// the engine worker and of each pool worker, in bytes (the lab bench).
fn install_test_hooks() {
    use super::client::Attach;
    use crate::protocol::{Event, Request};
    let Some(window) = web_sys::window() else {
        return;
    };
    let lose = Closure::<dyn Fn() -> js_sys::Promise>::new(|| {
        wasm_bindgen_futures::future_to_promise(async {
            let r = session::call(Request::LoseGpu, Attach::default()).await;
            Ok(matches!(r, Ok(Event::Lost(true))).into())
        })
    });
    let crash = Closure::<dyn Fn()>::new(|| {
        spawn_local(async {
            let _ = session::call(Request::Crash, Attach::default()).await;
        })
    });
    let memory = Closure::<dyn Fn() -> js_sys::Promise>::new(|| {
        wasm_bindgen_futures::future_to_promise(async {
            let engine = match session::call(Request::Memory, Attach::default()).await {
                Ok(Event::Memory(b)) => b as f64,
                _ => f64::NAN,
            };
            let pool: js_sys::Array = super::pool::memory()
                .await
                .into_iter()
                .map(|b| wasm_bindgen::JsValue::from(b as f64))
                .collect();
            let out = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&out, &"engine".into(), &engine.into());
            let _ = js_sys::Reflect::set(&out, &"pool".into(), &pool);
            Ok(out.into())
        })
    });
    let hooks = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&hooks, &"memory".into(), memory.as_ref().unchecked_ref());
    memory.forget();
    let _ = js_sys::Reflect::set(&hooks, &"loseGpu".into(), lose.as_ref().unchecked_ref());
    let _ = js_sys::Reflect::set(
        &hooks,
        &"crashWorker".into(),
        crash.as_ref().unchecked_ref(),
    );
    lose.forget();
    crash.forget();
    let _ = js_sys::Reflect::set(&window, &"__emotionNeurons".into(), &hooks);
}
