//! The classroom experiment's numbers as a worksheet keeps them (the teacher's view reads them
//! back in [`super::class_set`]). Plain Rust.

use crate::analysis::experiment::ConditionResult;
use serde::{Deserialize, Serialize};

/// One run of the classroom experiment: model, layer and F1 per emotion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassSetRun {
    pub model: String,
    pub layer: String,
    pub images: usize,
    pub rows: Vec<ClassSetRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassSetRow {
    pub emotion: String,
    pub units: usize,
    pub f1: f64,
    pub f1_lesion: f64,
    /// Mean over the random draws.
    pub f1_random: f64,
    pub f1_enhance: f64,
    pub alpha: f32,
}

impl ClassSetRun {
    pub fn of(model: &str, layer: &str, images: usize, rows: &[ConditionResult]) -> Self {
        Self {
            model: model.into(),
            layer: layer.into(),
            images,
            rows: rows
                .iter()
                .map(|r| ClassSetRow {
                    emotion: r.emotion.clone(),
                    units: r.n_units,
                    f1: r.f1_before,
                    f1_lesion: r.f1_lesion,
                    f1_random: r.control_lesion.mean,
                    f1_enhance: r.f1_enhance,
                    alpha: r.best_alpha,
                })
                .collect(),
        }
    }

    /// Keeps `run` in `list`, replacing an earlier run of the same model and layer.
    pub fn record(list: &mut Vec<ClassSetRun>, run: ClassSetRun) {
        list.retain(|r| (&r.model, &r.layer) != (&run.model, &run.layer));
        list.push(run);
    }
}
