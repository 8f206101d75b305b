//! The interactive worker's requests: the current image under the current gain mask (every
//! layer's means, the emotion readout, the ImageNet top-5), a unit's map, the emotion maps and
//! crops.

use super::{Host, WorkerCore};
use crate::analysis::emotion_map::{emotion_maps, map_layer};
use crate::analysis::head::{softmax, top_k};
use crate::analysis::responses::readout_features;
use crate::error::Failure;
use crate::model::{read_rows, GainMask, Keep};
use crate::preprocess::{prepare, Prepared};
use crate::protocol::{Analysis, Event};
use crate::weights::imagenet_labels;
use crate::weights::manifest::Preprocessing;
use std::rc::Rc;
use web_time::Instant;

/// The image the lab is looking at.
pub(super) struct Image {
    name: String,
    bytes: Rc<Vec<u8>>,
    /// Counts images, so the pass cache can tell them apart.
    id: u64,
    /// Decoded once per preprocessing (models differ in it).
    prepared: Option<(Preprocessing, Rc<Prepared>)>,
    /// Whether the page has this image's crop already.
    crop_sent: bool,
}

/// Means, emotion probabilities, `[valence, arousal]`, top-5.
type Pass = (
    Vec<Vec<f32>>,
    Option<Vec<f32>>,
    Option<[f32; 2]>,
    Vec<(String, f32)>,
);

/// Runs `f`; if it failed because the device was lost, moves to the CPU and runs it once more.
macro_rules! recovering {
    ($core:ident, $f:expr) => {{
        let before = $core.engines;
        match $f.await {
            Err(e) => {
                $core.retry_after(e, before).await?;
                $f.await
            }
            r => r,
        }
    }};
}

impl<H: Host> WorkerCore<H> {
    /// Keeps the image. One that cannot be decoded is refused with the reason, and the
    /// previous one stays.
    pub(super) fn set_image(&mut self, name: String, bytes: Vec<u8>) -> Result<(), Failure> {
        let prepared = match &self.model {
            Some(m) => {
                let pre = m.entry.preprocessing.clone();
                let p = prepare(&bytes, &pre, true)
                    .map_err(|e| Failure::bad_input(format!("{name}: {e}")))?;
                Some((pre, Rc::new(p)))
            }
            None => None,
        };
        let id = self.image.as_ref().map_or(1, |x| x.id + 1);
        self.image = Some(Image {
            name,
            bytes: Rc::new(bytes),
            id,
            prepared,
            crop_sent: false,
        });
        Ok(())
    }

    /// The current image prepared for the loaded model: `(name, image id, prepared, crop to
    /// send)`.
    fn current(
        &mut self,
        pre: &Preprocessing,
    ) -> Result<(String, u64, Rc<Prepared>, bool), Failure> {
        let i = self
            .image
            .as_mut()
            .ok_or_else(|| Failure::not_ready("no image yet"))?;
        if let Some((_, p)) = i.prepared.as_ref().filter(|(q, _)| q == pre) {
            return Ok((i.name.clone(), i.id, p.clone(), !i.crop_sent));
        }
        let p = Rc::new(
            prepare(&i.bytes, pre, true)
                .map_err(|e| Failure::bad_input(format!("{}: {e}", i.name)))?,
        );
        i.prepared = Some((pre.clone(), p.clone()));
        i.crop_sent = false;
        Ok((i.name.clone(), i.id, p, true))
    }

    /// One pass: every layer's means, the emotion readout and the ImageNet top-5.
    async fn pass(
        &mut self,
        image: u64,
        p: &Prepared,
        mask: &GainMask,
        layer: &str,
    ) -> Result<Pass, Failure> {
        let (eng, m) = (self.engine()?, self.model()?);
        let (means, acts) = self.cache.run(&eng, &m, image, p, mask, layer).await?;
        let (probs, affect) = match &self.profile {
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

    async fn analyse_once(
        &mut self,
        mask: &GainMask,
        layer: &str,
        baseline: bool,
    ) -> Result<Event, Failure> {
        let m = self.model()?;
        let (name, id, p, send_crop) = self.current(&m.entry.preprocessing)?;
        let t0 = Instant::now();
        let (means, readout, affect, top5) = self.pass(id, &p, mask, layer).await?;
        let forward_ms = t0.elapsed().as_secs_f64() * 1000.0;
        let (baseline, affect_baseline) = if mask.is_empty() {
            (readout.clone(), affect)
        } else if baseline {
            let b = self.pass(id, &p, &GainMask::none(), layer).await?;
            (b.1, b.2)
        } else {
            (None, None)
        };
        if send_crop {
            if let Some(i) = self.image.as_mut().filter(|i| i.id == id) {
                i.crop_sent = true;
            }
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

    pub(super) async fn analyse(
        &mut self,
        mask: &GainMask,
        layer: &str,
        baseline: bool,
    ) -> Result<Event, Failure> {
        recovering!(self, self.analyse_once(mask, layer, baseline))
    }

    /// A layer's post-ReLU map of the current image under `mask`: `[1, channels, h, w]`.
    fn layer_map(
        &mut self,
        mask: &GainMask,
        layer: &str,
    ) -> Result<burn::tensor::Tensor<4>, Failure> {
        let (eng, m) = (self.engine()?, self.model()?);
        let (_, _, p, _) = self.current(&m.entry.preprocessing)?;
        let acts = m.net.forward(eng.batch(&[&p]), mask, Keep::Maps);
        acts.layer(layer)
            .and_then(|l| l.map.clone())
            .ok_or_else(|| Failure::bad_input(format!("no layer `{layer}` in this model")))
    }

    async fn unit_map_once(
        &mut self,
        mask: &GainMask,
        layer: &str,
        unit: usize,
    ) -> Result<Event, Failure> {
        let map = self.layer_map(mask, layer)?;
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

    pub(super) async fn unit_map(
        &mut self,
        mask: &GainMask,
        layer: &str,
        unit: usize,
    ) -> Result<Event, Failure> {
        recovering!(self, self.unit_map_once(mask, layer, unit))
    }

    /// The readout layer's map of the current image under `mask`: `[channel][h·w]`, h, w.
    async fn readout_map(
        &mut self,
        mask: &GainMask,
        layer: &str,
    ) -> Result<(Vec<f32>, usize, usize), Failure> {
        let map = self.layer_map(mask, layer)?;
        let [_, c, h, w] = map.dims();
        let flat = read_rows(map.reshape([1, c * h * w])).await?.swap_remove(0);
        Ok((flat, h, w))
    }

    async fn emotion_maps_once(&mut self, mask: &GainMask) -> Result<Event, Failure> {
        let p = self
            .profile
            .clone()
            .ok_or_else(|| Failure::not_ready("this model has no profile"))?;
        let layer = map_layer(&p)?;
        let (acts, h, w) = self.readout_map(&GainMask::none(), &layer).await?;
        let before = emotion_maps(&p, &acts, (h, w))?;
        let after = if mask.is_empty() {
            None
        } else {
            let (acts, h, w) = self.readout_map(mask, &layer).await?;
            Some(emotion_maps(&p, &acts, (h, w))?)
        };
        Ok(Event::EmotionMaps { before, after })
    }

    /// Every emotion's map of the current image, unmasked and under `mask`.
    pub(super) async fn emotion_maps(&mut self, mask: &GainMask) -> Result<Event, Failure> {
        recovering!(self, self.emotion_maps_once(mask))
    }

    /// The crops of `files` as the loaded model sees them (`None` where one is not an image).
    pub(super) async fn crops(&mut self, files: &[H::File]) -> Result<Event, Failure> {
        let m = self.model()?;
        let mut out = Vec::new();
        for f in files {
            let crop = match self.host.read(f).await {
                Ok(b) => prepare(&b, &m.entry.preprocessing, true)
                    .ok()
                    .map(|p| p.display),
                Err(_) => None,
            };
            out.push(crop);
        }
        Ok(Event::Crops(out))
    }
}
