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

/// Lays an analysis out in the store, in three turns of the event loop so that no one task
/// holds the page for long on a slow device: the units (the grid, the layer table), then the
/// crop and the means' record, and last what the student reads (the readout, the object guess,
/// valence and arousal), so whatever shows the new readout finds the rest in place already.
pub async fn show(store: Store, a: Analysis) {
    let Analysis {
        image,
        means,
        readout,
        baseline,
        affect,
        affect_baseline,
        top5,
        crop,
        forward_ms,
    } = a;
    let names: Vec<String> = store
        .net
        .layers
        .with_untracked(|l| l.iter().map(|l| l.0.clone()).collect());
    store.image.rows.set(rows(&names, &means));
    let json: serde_json::Map<String, serde_json::Value> = names
        .into_iter()
        .zip(means.iter().map(|v| serde_json::json!(v)))
        .collect();
    store.image.layer_means.set(means);
    crate::web::sleep_ms(0).await;
    if let Some(crop) = crop {
        store.image.crop.set(crop);
    }
    store
        .image
        .means_json
        .set(serde_json::Value::Object(json).to_string());
    crate::web::sleep_ms(0).await;
    store.image.top5.set(top5);
    if baseline.is_some() {
        store.image.baseline.set(baseline);
    }
    store.image.readout.set(readout);
    if affect_baseline.is_some() {
        store.image.affect_baseline.set(affect_baseline);
    }
    store.image.affect.set(affect);
    store.image.forward_ms.set(Some(forward_ms));
    store.image.name.set(image);
}
