//! The app shell: provides the store, starts the runtime, lays out the stages.

use super::components::{
    BackendBadge, DatasetProfiler, EmotionReadout, ExperimentPanel, ExportPanel, ImageInput,
    InterventionPanel, LayerGrid, LayerSummary, ModelPanel, ObjectGuess, ProfileOverview,
    StatusBar, UnitDetail,
};
use super::runtime;
use super::store::Store;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn App() -> impl IntoView {
    let store = Store::new();
    provide_context(store);
    spawn_local(runtime::start(store));
    super::recovery::install_debug_hook();
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
