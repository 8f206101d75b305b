//! The interactive worker's requests: the current image under the current gain mask (every
//! layer's means, the emotion readout, the ImageNet top-5), a unit's map, the emotion maps and
//! crops.

use super::fetch::read_file;
use super::state::{self, engine, model, profile};
use crate::analysis::emotion_map::{emotion_maps, map_layer};
use crate::analysis::head::{softmax, top_k};
use crate::analysis::responses::readout_features;
use crate::model::{read_rows, GainMask, Keep};
use crate::preprocess::{prepare, Prepared};
use crate::protocol::{Analysis, ErrorKind, Event, Failure};
use crate::weights::imagenet_labels;
use crate::weights::manifest::Preprocessing;
use std::cell::RefCell;
use std::rc::Rc;
use web_time::Instant;

struct Image {
    name: String,
    bytes: Rc<Vec<u8>>,
    /// Counts images, so the pass cache can tell them apart.
    id: u64,
    /// Decoded once per preprocessing (models differ in it).
    prepared: Option<(Preprocessing, Rc<Prepared>)>,
    /// Whether the page has this image's crop already.
    crop_sent: bool,
}

thread_local! {
    static IMAGE: RefCell<Option<Image>> = const { RefCell::new(None) };
}

/// Keeps the image. One that cannot be decoded is refused with the reason, and the previous one
/// stays.
pub fn set_image(name: String, bytes: Vec<u8>) -> Result<Event, Failure> {
    let prepared = match state::model() {
        Ok(m) => Some((
            m.entry.preprocessing.clone(),
            Rc::new(
                prepare(&bytes, &m.entry.preprocessing, true)
                    .map_err(|e| Failure::bad_input(format!("{name}: {e}")))?,
            ),
        )),
        Err(_) => None,
    };
    IMAGE.with(|i| {
        let mut i = i.borrow_mut();
        let id = i.as_ref().map_or(1, |x| x.id + 1);
        *i = Some(Image {
            name,
            bytes: Rc::new(bytes),
            id,
            prepared,
            crop_sent: false,
        });
    });
    Ok(Event::Done)
}

/// The current image prepared for the loaded model: `(name, image id, prepared, crop to send)`.
fn current(pre: &Preprocessing) -> Result<(String, u64, Rc<Prepared>, bool), Failure> {
    let (name, bytes, id, hit, sent) = IMAGE.with(|i| {
        let i = i.borrow();
        let i = i
            .as_ref()
            .ok_or_else(|| Failure::new(ErrorKind::NotReady, "no image yet"))?;
        let hit = i
            .prepared
            .as_ref()
            .filter(|(q, _)| q == pre)
            .map(|p| p.1.clone());
        Ok::<_, Failure>((i.name.clone(), i.bytes.clone(), i.id, hit, i.crop_sent))
    })?;
    let (p, sent) = match hit {
        Some(p) => (p, sent),
        None => {
            let p = Rc::new(
                prepare(&bytes, pre, true)
                    .map_err(|e| Failure::bad_input(format!("{name}: {e}")))?,
            );
            IMAGE.with(|i| {
                if let Some(i) = i.borrow_mut().as_mut().filter(|i| i.id == id) {
                    i.prepared = Some((pre.clone(), p.clone()));
                    i.crop_sent = false;
                }
            });
            (p, false)
        }
    };
    Ok((name, id, p, !sent))
}

/// Means, emotion probabilities, `[valence, arousal]`, top-5.
type Pass = (
    Vec<Vec<f32>>,
    Option<Vec<f32>>,
    Option<[f32; 2]>,
    Vec<(String, f32)>,
);

/// One pass: every layer's means, the emotion readout and the ImageNet top-5.
async fn pass(image: u64, p: &Prepared, mask: &GainMask, layer: &str) -> Result<Pass, Failure> {
    let (eng, m) = (engine()?, model()?);
    let (means, acts) = super::pass_cache::run(&eng, &m, image, p, mask, layer).await?;
    let (probs, affect) = match profile() {
        Some(pr) => {
            let f = readout_features(&acts).await?.0.swap_remove(0);
            (Some(pr.emotion_probs(&f)), pr.affect_predict(&f))
        }
        None => (None, None),
    };
    let top5 = match acts.logits {
        Some(l) => {
            let logits = read_rows(l).await?.swap_remove(0);
            let p = softmax(&logits);
            let labels = imagenet_labels();
            top_k(&p, 5)
                .into_iter()
                .map(|i| (labels.get(i).unwrap_or(&"?").to_string(), p[i]))
                .collect()
        }
        None => Vec::new(),
    };
    Ok((means, probs, affect, top5))
}

async fn analyse_once(mask: &GainMask, layer: &str, baseline: bool) -> Result<Event, Failure> {
    let m = model()?;
    let (name, id, p, send_crop) = current(&m.entry.preprocessing)?;
    let t0 = Instant::now();
    let (means, readout, affect, top5) = pass(id, &p, mask, layer).await?;
    let forward_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let (baseline, affect_baseline) = if mask.is_empty() {
        (readout.clone(), affect)
    } else if baseline {
        let b = pass(id, &p, &GainMask::none(), layer).await?;
        (b.1, b.2)
    } else {
        (None, None)
    };
    if send_crop {
        IMAGE.with(|i| {
            if let Some(i) = i.borrow_mut().as_mut().filter(|i| i.id == id) {
                i.crop_sent = true;
            }
        });
    }
    Ok(Event::Analysis(Box::new(Analysis {
        image: name,
        means,
        readout,
        baseline,
        affect,
        affect_baseline,
        top5,
        crop: send_crop.then(|| p.display.clone()),
        forward_ms,
    })))
}

/// Runs `f`; if it failed because the GPU was lost, moves to the CPU and runs it once more.
macro_rules! recovering {
    ($id:expr, $f:expr) => {{
        let before = state::engine_generation();
        match $f.await {
            Err(e) => {
                state::retry_after($id, e, before).await?;
                $f.await
            }
            r => r,
        }
    }};
}

pub async fn analyse(
    id: u64,
    mask: &GainMask,
    layer: &str,
    baseline: bool,
) -> Result<Event, Failure> {
    recovering!(id, analyse_once(mask, layer, baseline))
}

/// A layer's post-ReLU map of the current image under `mask`: `[1, channels, h, w]`.
fn layer_map(mask: &GainMask, layer: &str) -> Result<burn::tensor::Tensor<4>, Failure> {
    let (eng, m) = (engine()?, model()?);
    let (_, _, p, _) = current(&m.entry.preprocessing)?;
    let acts = m.net.forward(eng.batch(&[&p]), mask, Keep::Maps);
    acts.layer(layer)
        .and_then(|l| l.map.clone())
        .ok_or_else(|| Failure::bad_input(format!("no layer `{layer}` in this model")))
}

async fn unit_map_once(mask: &GainMask, layer: &str, unit: usize) -> Result<Event, Failure> {
    let map = layer_map(mask, layer)?;
    let [_, c, h, w] = map.dims();
    if unit >= c {
        return Err(Failure::bad_input(format!(
            "{layer} has {c} units, not {unit}"
        )));
    }
    let one = map
        .slice([0..1, unit..unit + 1, 0..h, 0..w])
        .reshape([1, h * w]);
    let values = read_rows(one).await?.swap_remove(0);
    Ok(Event::Map {
        layer: layer.to_string(),
        unit,
        h,
        w,
        values,
    })
}

pub async fn unit_map(
    id: u64,
    mask: &GainMask,
    layer: &str,
    unit: usize,
) -> Result<Event, Failure> {
    recovering!(id, unit_map_once(mask, layer, unit))
}

/// The readout layer's map of the current image under `mask`: `[channel][h·w]`, h, w.
async fn readout_map(mask: &GainMask, layer: &str) -> Result<(Vec<f32>, usize, usize), Failure> {
    let map = layer_map(mask, layer)?;
    let [_, c, h, w] = map.dims();
    let flat = read_rows(map.reshape([1, c * h * w])).await?.swap_remove(0);
    Ok((flat, h, w))
}

async fn emotion_maps_once(mask: &GainMask) -> Result<Event, Failure> {
    let p =
        profile().ok_or_else(|| Failure::new(ErrorKind::NotReady, "this model has no profile"))?;
    let layer = map_layer(&p)?;
    let (acts, h, w) = readout_map(&GainMask::none(), &layer).await?;
    let before = emotion_maps(&p, &acts, (h, w))?;
    let after = if mask.is_empty() {
        None
    } else {
        let (acts, h, w) = readout_map(mask, &layer).await?;
        Some(emotion_maps(&p, &acts, (h, w))?)
    };
    Ok(Event::EmotionMaps { before, after })
}

/// Every emotion's map of the current image, unmasked and under `mask`.
pub async fn emotion_maps_of(id: u64, mask: &GainMask) -> Result<Event, Failure> {
    recovering!(id, emotion_maps_once(mask))
}

/// The crops of `files` as the loaded model sees them.
pub async fn crops(files: Vec<web_sys::File>) -> Result<Event, Failure> {
    let m = model()?;
    let mut out = Vec::new();
    for f in &files {
        let crop = match read_file(f).await {
            Ok(b) => prepare(&b, &m.entry.preprocessing, true)
                .ok()
                .map(|p| p.display),
            Err(_) => None,
        };
        out.push(crop);
    }
    Ok(Event::Crops(out))
}
