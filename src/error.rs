//! The library's one error type, at the bottom of the house: a [`Failure`] is a kind that
//! control flow reads ([`ErrorKind`]) and the sentence the visitor reads. The protocol carries
//! it between the page and the workers; the science library returns it; nothing here imports
//! the rest of the crate.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What went wrong, as the page acts on it. Control flow uses the kind, never the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorKind {
    /// The visitor (or a newer request) stopped it.
    Cancelled,
    /// The GPU device was lost; the worker has moved to the CPU.
    GpuLost,
    /// A file or value from the visitor that cannot be used (image, weights, profile, CSV).
    BadInput,
    /// A download failed or its checksum did not match.
    Download,
    /// Weights that arrived intact could not be built into a network (names, shapes, memory).
    ModelLoad,
    /// Nothing to work on yet (no model, no image).
    NotReady,
    /// The worker stopped (crash or out of memory); the page restarts it.
    WorkerCrashed,
    /// Anything else.
    Failed,
}

/// An error with its kind and the sentence the visitor reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub kind: ErrorKind,
    pub message: String,
}

impl Failure {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadInput, message)
    }
    pub fn download(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Download, message)
    }
    pub fn model_load(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ModelLoad, message)
    }
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Failed, message)
    }
    pub fn not_ready(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotReady, message)
    }
    pub fn cancelled() -> Self {
        Self::new(ErrorKind::Cancelled, "cancelled")
    }
    /// The same failure with another kind (a caller that knows better).
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }
    /// The same failure with `prefix: ` before its message.
    pub fn context(mut self, prefix: &str) -> Self {
        self.message = format!("{prefix}: {}", self.message);
        self
    }
}

/// Plain library errors are strings; they become [`ErrorKind::Failed`] unless a caller knows
/// better.
impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self::new(ErrorKind::Failed, message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Self::new(ErrorKind::Failed, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The CLI prints errors at the top; its commands keep strings.
impl From<Failure> for String {
    fn from(f: Failure) -> Self {
        f.message
    }
}
