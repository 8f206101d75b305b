//! The one typed protocol between the page (`app` binary) and the engine workers (`worker`
//! binary). DOM-free and burn-free: both binaries and the native tests compile it.
//!
//! Every request travels in an [`Envelope`] with an id; the worker answers it with any number of
//! interim events ([`Event::is_final`] false: progress, status, notices) and exactly one final
//! event (a result, [`Event::Done`] or [`Event::Error`]) carrying the same id. Messages are JSON
//! (`serde_json` writes every `f32` in its shortest round-trip form, so numbers cross exactly);
//! `File` objects and image bytes ride beside the JSON (files structured-cloned, bytes
//! transferred), never inside it. So do the big float arrays (responses to a whole set, the
//! experiment's features): [`Bulk::take_bulk`] moves them out of a message into one `Float32Array`
//! that is transferred without a copy, and [`Bulk::put_bulk`] puts them back, so neither thread
//! formats or parses megabytes of JSON.

use crate::analysis::dataset::Dataset;
use crate::analysis::emotion_map::EmotionMap;
use crate::analysis::experiment::Part;
use crate::analysis::profile::Profile;
use crate::analysis::responses::Responses;
use crate::model::GainMask;
use crate::weights::manifest::{Manifest, ModelEntry};
use serde::{Deserialize, Serialize};

mod bulk;
pub use bulk::{Bulk, FeatureBlock};

pub use crate::error::{ErrorKind, Failure};
pub use crate::limits::{CROP, MAX_FILE_BYTES};

/// Which engine the interactive worker uses (`?backend=` in the link).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackendChoice {
    /// WebGPU on a hardware adapter, else the CPU.
    #[default]
    Auto,
    Cpu,
    /// WebGPU even on a software adapter.
    WebGpu,
}

impl BackendChoice {
    pub fn from_param(p: Option<&str>) -> Self {
        match p {
            Some("cpu") => Self::Cpu,
            Some("webgpu") => Self::WebGpu,
            _ => Self::Auto,
        }
    }
}

/// What the page asks of a worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// First message to a worker. Pool workers always use the CPU.
    Init { backend: BackendChoice, pool: bool },
    /// Load `entry`: its weights from the site (through Cache Storage), from its seed, or from
    /// the attached file (a visitor's weights file that [`Request::CheckWeights`] accepted).
    LoadModel {
        entry: Box<ModelEntry>,
        from_file: bool,
    },
    /// Check the attached visitor's weights file against `manifest` and load it.
    CheckWeights { name: String, manifest: Manifest },
    /// Download the site's weights file `weights/<file>` (checked against `sha256`) into Cache
    /// Storage, to load later without a wait. It runs beside the other requests, not in their
    /// queue (it touches only the cache); its progress comes as [`Event::Prefetching`].
    Prefetch { file: String, sha256: String },
    /// The profile whose readout scores emotions (`None`: no readout).
    SetProfile(Option<Box<Profile>>),
    /// Every layer's means for the current image under `mask`, split at `layer` (the one on
    /// screen, so a first intervention there is fast), plus the unmasked readout if `baseline`.
    /// With `image`, its bytes are attached and it becomes the current image first (one round
    /// trip from a new image to its readout); a refused image leaves the previous one.
    Analyse {
        mask: GainMask,
        layer: String,
        baseline: bool,
        #[serde(default)]
        image: Option<String>,
    },
    /// One unit's spatial map for the current image under `mask`.
    UnitMap {
        mask: GainMask,
        layer: String,
        unit: usize,
    },
    /// Where each emotion lies in the current image ([`crate::analysis::emotion_map`]): the
    /// joint head's maps over the readout layer, unmasked, and under `mask` when it is not empty.
    EmotionMaps { mask: GainMask },
    /// The 224×224 RGB crops the network sees of the attached image files (the images of the
    /// visitor's set that drive a unit most).
    Crops,
    /// Pool: unit responses to the attached files, in their order (`first` is the index of the
    /// first one in the whole set, echoed back for the merge).
    Responses { first: usize },
    /// Interactive worker: statistics, null and readout of merged responses (needs burn's
    /// trainer, so it runs in a worker).
    BuildProfile {
        model: String,
        dataset: Box<Dataset>,
        responses: Box<Responses>,
    },
    /// Pool: keep the attached files as this worker's share of the experiment's `part`.
    SetPart { part: Part },
    /// Pool: readout features of this worker's share of `part` under each mask.
    Features {
        part: Part,
        layer: String,
        masks: Vec<GainMask>,
    },
    /// Destroys the WebGPU device on purpose (the device-loss test) and recovers as from a real
    /// loss. Answered with [`Event::Lost`].
    LoseGpu,
    /// Moves to the CPU if the GPU is lost (the worker queues this itself when the device
    /// reports a loss, so the move happens between requests).
    Recover,
    /// Panics the worker on purpose (the crash-recovery test).
    Crash,
    /// The size of the worker's wasm memory (the lab bench's memory figures).
    Memory,
}

/// Every layer's response to the current image and what the readout makes of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub image: String,
    /// Per conv layer, per unit: the spatial mean of the post-ReLU map (with the mask).
    pub means: Vec<Vec<f32>>,
    /// Emotion probabilities with the mask, and without it (when asked for or unmasked).
    pub readout: Option<Vec<f32>>,
    pub baseline: Option<Vec<f32>>,
    /// Predicted `[valence, arousal]` (1–7) with the mask, and without it, when the profile has
    /// the ridge models.
    #[serde(default)]
    pub affect: Option<[f32; 2]>,
    #[serde(default)]
    pub affect_baseline: Option<[f32; 2]>,
    /// ImageNet top-5 `(label, probability)` when the model has a classifier.
    pub top5: Vec<(String, f32)>,
    /// The 224×224 RGB crop the network saw (sent with the first analysis of an image).
    pub crop: Option<Vec<u8>>,
    pub forward_ms: f64,
}

/// What a worker tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event {
    // Interim events.
    /// The worker is listening (sent once, with id 0, before anything else).
    Ready,
    /// The backend in use and why (also after a move to the CPU).
    Backend {
        label: String,
        reason: String,
        gpu: bool,
    },
    /// What the worker is doing, in words.
    Status(String),
    /// Bytes of a download so far.
    Download {
        got: u64,
        total: u64,
    },
    /// Bytes of a [`Request::Prefetch`] so far.
    Prefetching {
        got: u64,
        total: u64,
    },
    /// Work done of the current job (images, or images × layers for the experiment).
    Progress {
        done: u64,
        total: u64,
    },
    /// Something the visitor should know that is not an error.
    Notice(String),
    // Final events.
    /// The model is in place: its conv layers `(name, units)`.
    ModelLoaded {
        entry: Box<ModelEntry>,
        layers: Vec<(String, usize)>,
    },
    Analysis(Box<Analysis>),
    Map {
        layer: String,
        unit: usize,
        h: usize,
        w: usize,
        values: Vec<f32>,
    },
    /// Every emotion's map without the mask, and with it (when the request had one).
    EmotionMaps {
        before: Vec<EmotionMap>,
        after: Option<Vec<EmotionMap>>,
    },
    /// Responses to a share of a set; `failed` holds `(index in the set, reason)`.
    Responses {
        first: usize,
        responses: Box<Responses>,
        failed: Vec<(usize, String)>,
    },
    Profiled(Box<Profile>),
    Features(FeatureBlock),
    /// One crop per attached file, `None` where the file could not be read as an image.
    Crops(Vec<Option<Vec<u8>>>),
    /// Whether there was a GPU to lose ([`Request::LoseGpu`]).
    Lost(bool),
    /// Bytes of the worker's wasm memory ([`Request::Memory`]).
    Memory(u64),
    Done,
    Error(Failure),
}

/// Which request it is, without its data: what a reply is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    Init,
    LoadModel,
    CheckWeights,
    Prefetch,
    SetProfile,
    Analyse,
    UnitMap,
    EmotionMaps,
    Crops,
    Responses,
    BuildProfile,
    SetPart,
    Features,
    LoseGpu,
    Recover,
    Crash,
    Memory,
}

impl Request {
    pub fn kind(&self) -> RequestKind {
        match self {
            Request::Init { .. } => RequestKind::Init,
            Request::LoadModel { .. } => RequestKind::LoadModel,
            Request::CheckWeights { .. } => RequestKind::CheckWeights,
            Request::Prefetch { .. } => RequestKind::Prefetch,
            Request::SetProfile(_) => RequestKind::SetProfile,
            Request::Analyse { .. } => RequestKind::Analyse,
            Request::UnitMap { .. } => RequestKind::UnitMap,
            Request::EmotionMaps { .. } => RequestKind::EmotionMaps,
            Request::Crops => RequestKind::Crops,
            Request::Responses { .. } => RequestKind::Responses,
            Request::BuildProfile { .. } => RequestKind::BuildProfile,
            Request::SetPart { .. } => RequestKind::SetPart,
            Request::Features { .. } => RequestKind::Features,
            Request::LoseGpu => RequestKind::LoseGpu,
            Request::Recover => RequestKind::Recover,
            Request::Crash => RequestKind::Crash,
            Request::Memory => RequestKind::Memory,
        }
    }

    /// Whether `event` is a final answer this request can get (see [`RequestKind::accepts`]).
    pub fn accepts(&self, event: &Event) -> bool {
        self.kind().accepts(event)
    }
}

impl RequestKind {
    /// Whether `event` is a final answer to this kind of request: its result, or an error. The
    /// page treats any other final event as a failure, never as silence.
    pub fn accepts(self, event: &Event) -> bool {
        use RequestKind as K;
        match event {
            Event::Error(_) => true,
            e if !e.is_final() => false,
            e => matches!(
                (self, e),
                (K::LoadModel | K::CheckWeights, Event::ModelLoaded { .. })
                    | (K::Analyse, Event::Analysis(_))
                    | (K::UnitMap, Event::Map { .. })
                    | (K::EmotionMaps, Event::EmotionMaps { .. })
                    | (K::Crops, Event::Crops(_))
                    | (K::Responses, Event::Responses { .. })
                    | (K::BuildProfile, Event::Profiled(_))
                    | (K::Features, Event::Features(_))
                    | (K::LoseGpu, Event::Lost(_))
                    | (K::Memory, Event::Memory(_))
                    | (
                        K::Init | K::Prefetch | K::SetProfile | K::SetPart | K::Recover,
                        Event::Done
                    )
            ),
        }
    }
}

impl Event {
    /// Whether this event answers its request (no more events follow for that id).
    pub fn is_final(&self) -> bool {
        !matches!(
            self,
            Event::Ready
                | Event::Backend { .. }
                | Event::Status(_)
                | Event::Download { .. }
                | Event::Prefetching { .. }
                | Event::Progress { .. }
                | Event::Notice(_)
        )
    }
}

/// A request or event with the id that pairs them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub id: u64,
    pub body: T,
}

impl<T: Serialize + for<'de> Deserialize<'de>> Envelope<T> {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("protocol messages always serialise")
    }

    /// A malformed message is a bug in one of the two binaries, reported as such.
    pub fn from_json(text: &str) -> Result<Self, Failure> {
        serde_json::from_str(text)
            .map_err(|e| Failure::new(ErrorKind::Failed, format!("bad protocol message: {e}")))
    }
}

#[cfg(test)]
mod tests;
