//! An analysis from the worker, laid out in the store: per-layer rows, every unit's mean, the
//! readout and its baseline, the object guess and the crop.

use super::store::{LayerRow, Store};
use crate::protocol::Analysis;
use leptos::prelude::*;

/// One results-table row per layer: mean response and the most active unit.
pub fn rows(names: &[String], means: &[Vec<f32>]) -> Vec<LayerRow> {
    names
        .iter()
        .zip(means)
        .map(|(n, v)| {
            let (top_unit, top_value) =
                v.iter().enumerate().fold(
                    (0, f32::MIN),
                    |b, (i, x)| {
                        if *x > b.1 {
                            (i, *x)
                        } else {
                            b
                        }
                    },
                );
            LayerRow {
                name: n.clone(),
                units: v.len(),
                mean: v.iter().sum::<f32>() / v.len().max(1) as f32,
                top_unit,
                top_value,
            }
        })
        .collect()
}

pub fn show(store: Store, a: Analysis) {
    if let Some(crop) = a.crop {
        store.image.crop.set(crop);
    }
    store.image.top5.set(a.top5);
    let names: Vec<String> = store
        .net
        .layers
        .with_untracked(|l| l.iter().map(|l| l.0.clone()).collect());
    let json: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .cloned()
        .zip(a.means.iter().map(|v| serde_json::json!(v)))
        .collect();
    store
        .image
        .means_json
        .set(serde_json::Value::Object(json).to_string());
    store.image.rows.set(rows(&names, &a.means));
    store.image.layer_means.set(a.means);
    store.image.readout.set(a.readout);
    if a.baseline.is_some() {
        store.image.baseline.set(a.baseline);
    }
    store.image.affect.set(a.affect);
    if a.affect_baseline.is_some() {
        store.image.affect_baseline.set(a.affect_baseline);
    }
    store.image.forward_ms.set(Some(a.forward_ms));
    store.image.name.set(a.image);
}
