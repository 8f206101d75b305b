//! The one shared store, provided by context. Only plain data lives here; the network lives in
//! the engine worker ([`super::session`] talks to it).

use crate::analysis::experiment::ConditionResult;
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

/// Lesion (gain 0) or enhance (gain 1 + α).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Lesion,
    Enhance,
}

pub use crate::labview::UnitSummary;

#[derive(Clone, Copy)]
pub struct Store {
    /// `WebGPU (adapter)` or `CPU (burn flex)`.
    pub backend: RwSignal<String>,
    /// Why this backend (shown under it).
    pub backend_reason: RwSignal<String>,
    /// `ready` when idle; otherwise what is happening (the newest running [`Task`]).
    pub status: RwSignal<String>,
    /// Work in progress, oldest first.
    tasks: RwSignal<Vec<(u64, String)>>,
    next_task: StoredValue<u64>,
    /// Whether the interactive worker runs on a GPU.
    pub gpu: RwSignal<bool>,
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
    /// A notice that is not an error (e.g. an ignored link parameter).
    pub notice: RwSignal<String>,
    /// Class names of the profile (empty without a profile).
    pub classes: RwSignal<Vec<String>>,
    /// Per layer, per unit: the profile's statistics.
    pub units: RwSignal<Vec<Vec<UnitSummary>>>,
    /// `(layer, units)` of the loaded network.
    pub layers: RwSignal<Vec<(String, usize)>>,
    pub layer: RwSignal<String>,
    /// This image's response of every unit, per layer (with the current mask).
    pub layer_means: RwSignal<Vec<Vec<f32>>>,
    /// Emotion probabilities with the current mask, and with none.
    pub readout: RwSignal<Option<Vec<f32>>>,
    pub baseline: RwSignal<Option<Vec<f32>>>,
    /// Units selected for the intervention in `layer`.
    pub selected: RwSignal<Vec<usize>>,
    pub mode: RwSignal<Mode>,
    pub alpha: RwSignal<f32>,
    /// The unit whose detail is shown.
    pub focus: RwSignal<Option<usize>>,
    /// The 224×224 crop the network sees, RGB.
    pub crop: RwSignal<Vec<u8>>,
    /// ImageNet top-5 `(label, probability)` when the model has a classifier.
    pub top5: RwSignal<Vec<(String, f32)>>,
    /// The focused unit's activation map `(h, w, values)` for this image.
    pub heatmap: RwSignal<Option<(usize, usize, Vec<f32>)>>,
    /// The labelled set profiled in this tab, in words (`None` until one is).
    pub local_set: RwSignal<Option<String>>,
    /// Rows of the last experiment run in this tab.
    pub experiment: RwSignal<Vec<ConditionResult>>,
}

impl Store {
    pub fn new() -> Self {
        Self {
            backend: RwSignal::new("detecting…".into()),
            backend_reason: RwSignal::new(String::new()),
            status: RwSignal::new("starting".into()),
            tasks: RwSignal::new(Vec::new()),
            next_task: StoredValue::new(0),
            gpu: RwSignal::new(false),
            error: RwSignal::new(String::new()),
            models: RwSignal::new(Vec::new()),
            model: RwSignal::new(String::new()),
            progress: RwSignal::new(None),
            image_name: RwSignal::new(String::new()),
            rows: RwSignal::new(Vec::new()),
            means_json: RwSignal::new(String::new()),
            forward_ms: RwSignal::new(None),
            notice: RwSignal::new(String::new()),
            classes: RwSignal::new(Vec::new()),
            units: RwSignal::new(Vec::new()),
            layers: RwSignal::new(Vec::new()),
            layer: RwSignal::new(String::new()),
            layer_means: RwSignal::new(Vec::new()),
            readout: RwSignal::new(None),
            baseline: RwSignal::new(None),
            selected: RwSignal::new(Vec::new()),
            mode: RwSignal::new(Mode::Lesion),
            alpha: RwSignal::new(1.0),
            focus: RwSignal::new(None),
            crop: RwSignal::new(Vec::new()),
            top5: RwSignal::new(Vec::new()),
            heatmap: RwSignal::new(None),
            local_set: RwSignal::new(None),
            experiment: RwSignal::new(Vec::new()),
        }
    }

    /// Index of the current layer.
    pub fn layer_index(&self) -> Option<usize> {
        self.layer
            .with(|l| self.layers.with(|ls| ls.iter().position(|(n, _)| n == l)))
    }

    /// Shows `msg` as the error (the work that failed has ended with its [`Task`]).
    pub fn fail(&self, msg: impl Into<String>) {
        self.error.set(msg.into());
    }

    /// Shows `what` as the status until the returned task is dropped.
    pub fn task(&self, what: impl Into<String>) -> Task {
        let id = self.next_task.get_value() + 1;
        self.next_task.set_value(id);
        let what = what.into();
        self.status.set(what.clone());
        self.tasks.update(|t| t.push((id, what)));
        Task { store: *self, id }
    }

    /// The status line again after `id` ended: the newest task still running, or `ready`.
    fn end_task(&self, id: u64) {
        self.tasks.update(|t| t.retain(|x| x.0 != id));
        let now = self
            .tasks
            .with_untracked(|t| t.last().map(|x| x.1.clone()))
            .unwrap_or_else(|| "ready".into());
        self.status.set(now);
    }
}

/// Work the status line shows while it lives.
pub struct Task {
    store: Store,
    id: u64,
}

impl Task {
    /// Changes what this task says it is doing.
    pub fn say(&self, what: impl Into<String>) {
        let what = what.into();
        let id = self.id;
        self.store.tasks.update(|t| {
            if let Some(x) = t.iter_mut().find(|x| x.0 == id) {
                x.1 = what.clone();
            }
        });
        if self
            .store
            .tasks
            .with_untracked(|t| t.last().is_some_and(|x| x.0 == id))
        {
            self.store.status.set(what);
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.store.end_task(self.id);
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
