//! The app shell: provides the store, starts the runtime, lays out the stages.

use super::components::{
    AffectReadout, BackendBadge, EmotionMapView, EmotionReadout, ImageInput, InterventionPanel,
    LayerGrid, LessonPanel, ModelPanel, ObjectGuess, PanelTabs, StatusBar, TeacherView,
};
use super::session;
use super::store::Store;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// The layout: a top bar (model, backend), the status line, then the workbench: the image, the
/// layer's unit grid, and the readout above the intervention controls, on one laptop screen
/// (the lesson's step joins it in lesson mode); the other panels are tabs below.
#[component]
pub fn App() -> impl IntoView {
    // The teacher's view needs no engine: it only reads the students' worksheets.
    if super::fetch::query_param("class").as_deref() == Some("1") {
        return view! { <TeacherView/> }.into_any();
    }
    let store = Store::new();
    provide_context(store);
    spawn_local(super::startup::start(store));
    spawn_local(super::lesson::start(store));
    install_test_hooks(store);
    let lab_class = move || {
        if store.lesson.step.get() > 0 {
            "lab with-lesson"
        } else {
            "lab"
        }
    };
    // The lesson is written around VGG-16: from a quick start it opens on it (no model named).
    let lesson_link = move || {
        if store.net.quick_start.get() {
            "?lesson=1".to_string()
        } else {
            format!("?lesson=1&model={}", store.net.model.get())
        }
    };
    view! {
        <header class="topbar">
            <div class="brand">
                <h1>"Emotion Neurons"</h1>
                <p class="lede">
                    "Do units of a network trained only to name objects respond to a picture's emotion? "
                    "Everything runs in this tab: your images never leave your device."
                </p>
            </div>
            <ModelPanel/>
            <BackendBadge/>
            <a class="lesson-link" data-testid="lesson-link" href=lesson_link
               hidden=move || store.lesson.step.get() > 0>"Guided lesson"</a>
        </header>
        <StatusBar/>
        <main class=lab_class>
            <LessonPanel/>
            <div class="col-image"><ImageInput/><ObjectGuess/><EmotionMapView/></div>
            <div class="col-grid"><LayerGrid/></div>
            <div class="col-side"><EmotionReadout/><InterventionPanel/><AffectReadout/></div>
            <PanelTabs/>
        </main>
        <footer>
            "After Liu, Bo, Ding & Fang (2024), PLOS Computational Biology. "
            "Weights and data provenance: see NOTICES.md in the source."
        </footer>
    }
    .into_any()
}

/// `window.__emotionNeurons`: `loseGpu()` destroys the engine worker's WebGPU device on purpose
/// (resolves to whether there was one), `crashWorker()` panics the engine worker (the recovery
/// paths, tried and tested without a flaky driver); `memory()` resolves to the wasm memory of
/// the engine worker and of each pool worker, in bytes (the lab bench).
fn install_test_hooks(store: Store) {
    use super::client::Attach;
    use crate::protocol::{Event, Request};
    let Some(window) = web_sys::window() else {
        return;
    };
    let lose = Closure::<dyn Fn() -> js_sys::Promise>::new(move || {
        wasm_bindgen_futures::future_to_promise(async move {
            let r = session::call(store, Request::LoseGpu, Attach::default()).await;
            Ok(matches!(r, Ok(Event::Lost(true))).into())
        })
    });
    let crash = Closure::<dyn Fn()>::new(move || {
        spawn_local(async move {
            let _ = session::call(store, Request::Crash, Attach::default()).await;
        })
    });
    let memory = Closure::<dyn Fn() -> js_sys::Promise>::new(move || {
        wasm_bindgen_futures::future_to_promise(async move {
            let engine = match session::call(store, Request::Memory, Attach::default()).await {
                Ok(Event::Memory(b)) => b as f64,
                _ => f64::NAN,
            };
            let pool: js_sys::Array = super::pool::memory(store)
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
