//! Running the current image under the current gain mask: unit responses for every layer and
//! the profile's emotion readout, with the unmasked baseline kept for deltas.

use super::runtime::{engine, model};
use super::store::{LayerRow, Mode, Store};
use crate::analysis::readout::softmax;
use crate::analysis::responses::readout_features;
use crate::model::{read_rows, GainMask, Keep};
use crate::preprocess::{prepare, Prepared};
use crate::weights::imagenet_labels;
use crate::weights::manifest::Preprocessing;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use web_time::Instant;

thread_local! {
    static IMAGE: RefCell<Option<(String, Rc<Vec<u8>>)>> = const { RefCell::new(None) };
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    /// Counts images, so the pass cache can tell them apart.
    static IMAGE_ID: Cell<u64> = const { Cell::new(0) };
    /// The current image decoded and preprocessed, for the image id and preprocessing it was
    /// made with (interventions and heatmaps reuse it instead of decoding again).
    static PREPARED: RefCell<Option<(u64, Preprocessing, Rc<Prepared>)>> = const { RefCell::new(None) };
}

/// The mask the intervention panel describes (empty when nothing is selected).
pub fn current_mask(store: Store) -> GainMask {
    let units = store.selected.get_untracked();
    let layer = store.layer.get_untracked();
    let n = store
        .layers
        .get_untracked()
        .iter()
        .find(|(l, _)| *l == layer)
        .map_or(0, |l| l.1);
    if units.is_empty() || n == 0 {
        return GainMask::none();
    }
    match store.mode.get_untracked() {
        Mode::Lesion => GainMask::lesion(&layer, n, &units),
        Mode::Enhance => GainMask::enhance(&layer, n, &units, store.alpha.get_untracked()),
    }
}

/// Keeps the image (it stays in this tab) and analyses it. An image that cannot be decoded is
/// refused with the reason, and the previous image and its results stay.
pub async fn run_image(store: Store, name: String, bytes: Vec<u8>) {
    let ready = match model() {
        Some(m) => match prepare(&bytes, &m.entry.preprocessing, true) {
            Ok(p) => Some((m.entry.preprocessing.clone(), Rc::new(p))),
            Err(e) => return store.fail(format!("{name}: {e}. The previous image is kept.")),
        },
        None => None,
    };
    IMAGE.with(|i| *i.borrow_mut() = Some((name, Rc::new(bytes))));
    let id = IMAGE_ID.with(|i| {
        i.set(i.get() + 1);
        i.get()
    });
    PREPARED.with(|c| *c.borrow_mut() = ready.map(|(pre, p)| (id, pre, p)));
    store.baseline.set(None);
    analyse(store).await;
}

/// The current image (`bytes`) prepared for `pre`: decoded once per image and preprocessing.
fn prepared(bytes: &[u8], pre: &Preprocessing) -> Result<Rc<Prepared>, String> {
    let id = IMAGE_ID.with(|i| i.get());
    let hit = PREPARED.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(i, q, _)| *i == id && q == pre)
            .map(|c| c.2.clone())
    });
    if let Some(p) = hit {
        return Ok(p);
    }
    let p = Rc::new(prepare(bytes, pre, true)?);
    PREPARED.with(|c| *c.borrow_mut() = Some((id, pre.clone(), p.clone())));
    Ok(p)
}

/// Re-analyses the current image, if there is one (after a mask or model change).
pub fn rerun(store: Store) {
    if IMAGE.with(|i| i.borrow().is_some()) {
        spawn_local(analyse(store));
    }
}

type PassResult = (Vec<Vec<f32>>, Option<Vec<f32>>, Vec<(String, f32)>);

/// One forward pass: every layer's means, the emotion readout and the ImageNet top-5.
async fn pass(image: &Prepared, mask: &GainMask, layer: &str) -> Result<PassResult, String> {
    let (eng, m) = (
        engine().ok_or("no backend")?,
        model().ok_or("no model is loaded yet")?,
    );
    let id = IMAGE_ID.with(|i| i.get());
    let (means, acts) = super::pass_cache::run(&eng, &m, id, image, mask, layer).await?;
    let probs = match super::runtime::profile() {
        Some(p) => Some(p.emotion_probs(&readout_features(&acts).await?.0[0])),
        None => None,
    };
    let top5 = match acts.logits {
        Some(l) => {
            let logits = read_rows(l).await?.swap_remove(0);
            let p = softmax(&logits);
            let labels = imagenet_labels();
            let mut idx: Vec<usize> = (0..p.len()).collect();
            idx.sort_by(|a, b| p[*b].total_cmp(&p[*a]));
            idx.iter()
                .take(5)
                .map(|&i| (labels.get(i).unwrap_or(&"?").to_string(), p[i]))
                .collect()
        }
        None => Vec::new(),
    };
    Ok((means, probs, top5))
}

pub async fn analyse(store: Store) {
    let generation = GENERATION.with(|g| {
        g.set(g.get() + 1);
        g.get()
    });
    let Some((name, bytes)) = IMAGE.with(|i| i.borrow().clone()) else {
        return;
    };
    let Some(m) = model() else {
        return store.fail("no model is loaded yet");
    };
    store.error.set(String::new());
    store.status.set(format!("running {name}"));
    let prepared = match prepared(&bytes, &m.entry.preprocessing) {
        Ok(p) => p,
        Err(e) => return store.fail(format!("{name}: {e}")),
    };
    let mask = current_mask(store);
    let t0 = Instant::now();
    let result = async {
        let layer = store.layer.get_untracked();
        let (means, probs, top5) = pass(&prepared, &mask, &layer).await?;
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        let baseline = if mask.is_empty() {
            probs.clone()
        } else if store.baseline.get_untracked().is_none() {
            pass(&prepared, &GainMask::none(), &layer).await?.1
        } else {
            store.baseline.get_untracked()
        };
        Ok::<_, String>((means, probs, top5, baseline, ms))
    }
    .await;
    if GENERATION.with(|g| g.get()) != generation {
        return; // a newer analysis superseded this one
    }
    match result {
        Ok((means, probs, top5, baseline, ms)) => {
            store.crop.set(prepared.display.clone());
            store.top5.set(top5);
            let names: Vec<String> = store
                .layers
                .get_untracked()
                .into_iter()
                .map(|l| l.0)
                .collect();
            let rows = names
                .iter()
                .zip(&means)
                .map(|(n, v)| {
                    let (top_unit, top_value) =
                        v.iter().enumerate().fold((0, f32::MIN), |b, (i, x)| {
                            if *x > b.1 {
                                (i, *x)
                            } else {
                                b
                            }
                        });
                    LayerRow {
                        name: n.clone(),
                        units: v.len(),
                        mean: v.iter().sum::<f32>() / v.len().max(1) as f32,
                        top_unit,
                        top_value,
                    }
                })
                .collect();
            let json: serde_json::Map<String, serde_json::Value> = names
                .iter()
                .cloned()
                .zip(means.iter().map(|v| serde_json::json!(v)))
                .collect();
            store
                .means_json
                .set(serde_json::Value::Object(json).to_string());
            store.rows.set(rows);
            store.layer_means.set(means);
            store.readout.set(probs);
            store.baseline.set(baseline);
            store.forward_ms.set(Some(ms));
            store.image_name.set(name);
            store.status.set("ready".into());
        }
        Err(e) => super::recovery::fail_or_recover(store, format!("the forward pass failed: {e}")),
    }
}

/// Computes the focused unit's spatial activation map for the current image and mask.
pub async fn unit_map(store: Store, layer: String, unit: usize) {
    store.heatmap.set(None);
    let Some((_, bytes)) = IMAGE.with(|i| i.borrow().clone()) else {
        return;
    };
    let (Some(eng), Some(m)) = (engine(), model()) else {
        return;
    };
    let Ok(prepared) = prepared(&bytes, &m.entry.preprocessing) else {
        return;
    };
    let acts = m
        .net
        .forward(eng.batch(&[&prepared]), &current_mask(store), Keep::Maps);
    let Some(map) = acts.layer(&layer).and_then(|l| l.map.clone()) else {
        return;
    };
    let [_, c, h, w] = map.dims();
    if unit >= c {
        return;
    }
    let one = map
        .slice([0..1, unit..unit + 1, 0..h, 0..w])
        .reshape([1, h * w]);
    match read_rows(one).await {
        Ok(mut rows) if store.focus.get_untracked() == Some(unit) => {
            store.heatmap.set(Some((h, w, rows.swap_remove(0))))
        }
        Ok(_) => {}
        Err(e) => super::recovery::fail_or_recover(store, e),
    }
}
