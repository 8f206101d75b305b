//! The one shared store, provided by context. Only plain data lives here; the loaded network is
//! kept by [`super::runtime`].

use leptos::prelude::*;

/// One row of the results table.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerRow {
    pub name: String,
    pub units: usize,
    pub mean: f32,
    pub top_unit: usize,
    pub top_value: f32,
}

#[derive(Clone, Copy)]
pub struct Store {
    /// `WebGPU (adapter)` or `CPU (burn flex)`.
    pub backend: RwSignal<String>,
    /// Why this backend (shown under it).
    pub backend_reason: RwSignal<String>,
    /// `ready` when idle; otherwise what is happening.
    pub status: RwSignal<String>,
    /// The visible error message, empty when none.
    pub error: RwSignal<String>,
    /// `(id, label)` of every model in the manifest.
    pub models: RwSignal<Vec<(String, String)>>,
    pub model: RwSignal<String>,
    /// Download progress `(received, total)` in bytes.
    pub progress: RwSignal<Option<(u64, u64)>>,
    /// Name of the last image run.
    pub image_name: RwSignal<String>,
    pub rows: RwSignal<Vec<LayerRow>>,
    /// JSON `{layer: [mean per unit]}` of the last image (for tests and export).
    pub means_json: RwSignal<String>,
    /// Milliseconds of the last forward pass.
    pub forward_ms: RwSignal<Option<f64>>,
}

impl Store {
    pub fn new() -> Self {
        Self {
            backend: RwSignal::new("detecting…".into()),
            backend_reason: RwSignal::new(String::new()),
            status: RwSignal::new("starting".into()),
            error: RwSignal::new(String::new()),
            models: RwSignal::new(Vec::new()),
            model: RwSignal::new(String::new()),
            progress: RwSignal::new(None),
            image_name: RwSignal::new(String::new()),
            rows: RwSignal::new(Vec::new()),
            means_json: RwSignal::new(String::new()),
            forward_ms: RwSignal::new(None),
        }
    }

    pub fn fail(&self, msg: impl Into<String>) {
        self.error.set(msg.into());
        self.status.set("ready".into());
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

pub fn use_store() -> Store {
    expect_context::<Store>()
}
