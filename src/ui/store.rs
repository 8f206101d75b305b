//! The one shared store, provided by context. Plain data lives here, and the page's handles on
//! its workers with the record a replacement worker is rebuilt from ([`EngineState`]); the
//! network itself lives in the engine worker ([`super::session`] talks to it).

use crate::analysis::classroom::{ClassroomSet, SetOutcome};
use crate::analysis::emotion_map::EmotionMap;
use crate::analysis::experiment::ConditionResult;
use crate::lesson::{Lesson, Measure, Selection};
use crate::protocol::ErrorKind;
use leptos::prelude::*;
use std::rc::Rc;

/// Every emotion's map as trained, and under the intervention when one acts.
pub type MapPair = (Vec<EmotionMap>, Option<Vec<EmotionMap>>);

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

/// What the page is doing: the status line and the tests read it (`ready` when idle).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Starting,
    Ready,
    /// The newest running [`Task`]'s words.
    Busy(String),
}

impl NetState {
    /// The label of model `id` in the picker (its id where the list has none).
    pub fn label(&self, id: &str) -> String {
        self.models
            .with(|ms| ms.iter().find(|m| m.0 == id).map(|m| m.1.clone()))
            .unwrap_or_else(|| id.to_string())
    }
}

impl Status {
    pub fn is_ready(&self) -> bool {
        *self == Status::Ready
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Starting => f.write_str("starting"),
            Status::Ready => f.write_str("ready"),
            Status::Busy(what) => f.write_str(what),
        }
    }
}

/// The network in the engine worker, as the page knows it.
#[derive(Clone, Copy)]
pub struct NetState {
    /// `WebGPU (adapter)` or `CPU (burn flex)`.
    pub backend: RwSignal<String>,
    /// Why this backend (shown under it).
    pub backend_reason: RwSignal<String>,
    /// Whether the interactive worker runs on a GPU.
    pub gpu: RwSignal<bool>,
    /// `(id, label)` of every model in the manifest (and visitors' files).
    pub models: RwSignal<Vec<(String, String)>>,
    pub model: RwSignal<String>,
    /// Download progress `(received, total)` in bytes.
    pub progress: RwSignal<Option<(u64, u64)>>,
    /// `(layer, units)` of the loaded network.
    pub layers: RwSignal<Vec<(String, usize)>>,
    /// A first visit's quick start: the model was chosen for speed, not by the visitor or the
    /// link (the link then leaves `model` out, so a reload starts the same way).
    pub quick_start: RwSignal<bool>,
    /// The paper's model downloading behind the quick start: `(label, got, total)` bytes.
    pub upgrade: RwSignal<Option<(String, u64, u64)>>,
}

/// The current image and what the network made of it.
#[derive(Clone, Copy)]
pub struct ImageState {
    /// Name of the last image run.
    pub name: RwSignal<String>,
    /// The 224×224 crop the network sees, RGB.
    pub crop: RwSignal<Vec<u8>>,
    pub rows: RwSignal<Vec<LayerRow>>,
    /// JSON `{layer: [mean per unit]}` of the last image (for tests and export).
    pub means_json: RwSignal<String>,
    /// Milliseconds of the last forward pass.
    pub forward_ms: RwSignal<Option<f64>>,
    /// This image's response of every unit, per layer (with the current mask).
    pub layer_means: RwSignal<Vec<Vec<f32>>>,
    /// Emotion probabilities with the current mask, and with none.
    pub readout: RwSignal<Option<Vec<f32>>>,
    pub baseline: RwSignal<Option<Vec<f32>>>,
    /// Predicted `[valence, arousal]` with the intervention, and without it.
    pub affect: RwSignal<Option<[f32; 2]>>,
    pub affect_baseline: RwSignal<Option<[f32; 2]>>,
    /// ImageNet top-5 `(label, probability)` when the model has a classifier.
    pub top5: RwSignal<Vec<(String, f32)>>,
    /// The focused unit's activation map `(h, w, values)` for this image.
    pub heatmap: RwSignal<Option<(usize, usize, Vec<f32>)>>,
    /// Every emotion's map of the image, unmasked and under the intervention (when one acts).
    pub emotion_maps: RwSignal<Option<MapPair>>,
    /// The emotion the map shows (`None`: the readout's top emotion).
    pub map_emotion: RwSignal<Option<usize>>,
}

/// The layer on screen, the unit in focus and the gain mask the panel describes.
#[derive(Clone, Copy)]
pub struct InterventionState {
    pub layer: RwSignal<String>,
    /// Units selected for the intervention in `layer`.
    pub selected: RwSignal<Vec<usize>>,
    pub mode: RwSignal<Mode>,
    pub alpha: RwSignal<f32>,
    /// The unit whose detail is shown.
    pub focus: RwSignal<Option<usize>>,
    /// How `selected` was chosen (the lesson tells a selective lesion from its random control).
    pub selection: RwSignal<Selection>,
}

/// The panels below the workbench.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Unit,
    Responses,
    Profile,
    ProfileSet,
    Experiment,
    Export,
}

/// The guided lesson (`?lesson=N`); `step` is 0 when it is off.
#[derive(Clone, Copy)]
pub struct LessonState {
    pub lesson: RwSignal<Option<Lesson>>,
    /// The current step, 1-based; 0 without a lesson.
    pub step: RwSignal<usize>,
    pub answers: RwSignal<Vec<String>>,
    pub student: RwSignal<String>,
    /// Steps whose checks held once (they stay done when the student goes back).
    pub done: RwSignal<Vec<bool>>,
    pub measures: RwSignal<Vec<Measure>>,
}

/// The emotion profile in use.
#[derive(Clone, Copy)]
pub struct ProfileState {
    /// Class names of the profile (empty without a profile).
    pub classes: RwSignal<Vec<String>>,
    /// Per layer, per unit: the profile's statistics.
    pub units: RwSignal<Vec<Vec<UnitSummary>>>,
    /// Mean `[valence, arousal]` of each profiled image, where the set had ratings.
    pub ratings: RwSignal<Vec<[f32; 2]>>,
    /// The labelled set profiled in this tab, in words (`None` until one is).
    pub local_set: RwSignal<Option<String>>,
    /// That set: its items, the visitor's files behind them and their responses.
    pub(super) picked: StoredValue<Option<Rc<super::local_set::LocalSet>>, LocalStorage>,
}

/// The lesion/enhance experiment run in this tab.
#[derive(Clone, Copy)]
pub struct ExperimentState {
    pub rows: RwSignal<Vec<ConditionResult>>,
}

/// The classroom experiment ([`super::classroom`]): the set's manifest, the last run's layer and
/// outcome, and how long it took (seconds, whether the set's features were cached).
#[derive(Clone, Copy)]
pub struct ClassroomState {
    pub set: RwSignal<Option<ClassroomSet>>,
    pub outcome: RwSignal<Option<(String, SetOutcome)>>,
    pub seconds: RwSignal<Option<(f64, bool)>>,
    /// Every run of this visit, for the worksheet.
    pub runs: RwSignal<Vec<crate::lesson::class_set::ClassSetRun>>,
    /// Set by Cancel: the run stops before its next request (the pool is stopped at once).
    pub cancelled: RwSignal<bool>,
}

/// The page's side of its engine workers: the interactive worker's handle with what it was
/// given (model, profile, image: the record a restarted worker is rebuilt from), and the pool of
/// CPU workers for long jobs. Only [`super::session`] and [`super::pool`] read them.
#[derive(Clone, Copy)]
pub struct EngineState {
    pub(super) link: StoredValue<super::session::Link, LocalStorage>,
    pub(super) pool: StoredValue<Option<Rc<super::pool::Pool>>, LocalStorage>,
}

/// The one store, grouped by concern.
#[derive(Clone, Copy)]
pub struct Store {
    pub status: RwSignal<Status>,
    /// Work in progress, oldest first.
    tasks: RwSignal<Vec<(u64, String)>>,
    next_task: StoredValue<u64>,
    /// The visible error message, empty when none.
    pub error: RwSignal<String>,
    /// When the error is a failed model load: the model and the failure's kind (the status bar
    /// offers Retry by the kind).
    pub failed_load: RwSignal<Option<(String, ErrorKind)>>,
    /// A notice that is not an error (e.g. an ignored link parameter).
    pub notice: RwSignal<String>,
    pub net: NetState,
    pub image: ImageState,
    pub intervention: InterventionState,
    pub profile: ProfileState,
    pub experiment: ExperimentState,
    pub classroom: ClassroomState,
    pub lesson: LessonState,
    pub engine: EngineState,
    /// The panel open below the workbench.
    pub tab: RwSignal<Tab>,
}

impl Store {
    pub fn new() -> Self {
        Self {
            status: RwSignal::new(Status::Starting),
            tasks: RwSignal::new(Vec::new()),
            next_task: StoredValue::new(0),
            error: RwSignal::new(String::new()),
            failed_load: RwSignal::new(None),
            notice: RwSignal::new(String::new()),
            net: NetState {
                backend: RwSignal::new("detecting…".into()),
                backend_reason: RwSignal::new(String::new()),
                gpu: RwSignal::new(false),
                models: RwSignal::new(Vec::new()),
                model: RwSignal::new(String::new()),
                progress: RwSignal::new(None),
                quick_start: RwSignal::new(false),
                upgrade: RwSignal::new(None),
                layers: RwSignal::new(Vec::new()),
            },
            image: ImageState {
                name: RwSignal::new(String::new()),
                crop: RwSignal::new(Vec::new()),
                rows: RwSignal::new(Vec::new()),
                means_json: RwSignal::new(String::new()),
                forward_ms: RwSignal::new(None),
                layer_means: RwSignal::new(Vec::new()),
                readout: RwSignal::new(None),
                baseline: RwSignal::new(None),
                affect: RwSignal::new(None),
                affect_baseline: RwSignal::new(None),
                top5: RwSignal::new(Vec::new()),
                heatmap: RwSignal::new(None),
                emotion_maps: RwSignal::new(None),
                map_emotion: RwSignal::new(None),
            },
            intervention: InterventionState {
                layer: RwSignal::new(String::new()),
                selected: RwSignal::new(Vec::new()),
                mode: RwSignal::new(Mode::Lesion),
                alpha: RwSignal::new(1.0),
                focus: RwSignal::new(None),
                selection: RwSignal::new(Selection::None),
            },
            profile: ProfileState {
                classes: RwSignal::new(Vec::new()),
                units: RwSignal::new(Vec::new()),
                ratings: RwSignal::new(Vec::new()),
                local_set: RwSignal::new(None),
                picked: StoredValue::new_local(None),
            },
            experiment: ExperimentState {
                rows: RwSignal::new(Vec::new()),
            },
            classroom: ClassroomState {
                set: RwSignal::new(None),
                outcome: RwSignal::new(None),
                seconds: RwSignal::new(None),
                runs: RwSignal::new(Vec::new()),
                cancelled: RwSignal::new(false),
            },
            lesson: LessonState {
                lesson: RwSignal::new(None),
                step: RwSignal::new(0),
                answers: RwSignal::new(Vec::new()),
                student: RwSignal::new(String::new()),
                done: RwSignal::new(Vec::new()),
                measures: RwSignal::new(Vec::new()),
            },
            engine: EngineState {
                link: StoredValue::new_local(Default::default()),
                pool: StoredValue::new_local(None),
            },
            tab: RwSignal::new(Tab::Unit),
        }
    }

    /// Index of the current layer.
    pub fn layer_index(&self) -> Option<usize> {
        self.intervention.layer.with(|l| {
            self.net
                .layers
                .with(|ls| ls.iter().position(|(n, _)| n == l))
        })
    }

    /// Shows `msg` as the error (the work that failed has ended with its [`Task`]).
    pub fn fail(&self, msg: impl Into<String>) {
        self.failed_load.set(None);
        self.error.set(msg.into());
    }

    /// Shows `what` as the status until the returned task is dropped.
    pub fn task(&self, what: impl Into<String>) -> Task {
        let id = self.next_task.get_value() + 1;
        self.next_task.set_value(id);
        let what = what.into();
        self.status.set(Status::Busy(what.clone()));
        self.tasks.update(|t| t.push((id, what)));
        Task { store: *self, id }
    }

    /// The status line again after `id` ended: the newest task still running, or `ready`.
    fn end_task(&self, id: u64) {
        self.tasks.update(|t| t.retain(|x| x.0 != id));
        let now = self
            .tasks
            .with_untracked(|t| t.last().map(|x| Status::Busy(x.1.clone())))
            .unwrap_or(Status::Ready);
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
            self.store.status.set(Status::Busy(what));
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
