//! Interventions rerun only the layers above the changed one. For one image, model and
//! intervened layer, the input to that layer and the means of the layers below it do not depend
//! on the mask: they are computed once and reused by every later mask on that layer (the α
//! slider, adding units, lesion ↔ enhance).

use super::Loaded;
use crate::engine::Engine;
use crate::error::Failure;
use crate::model::{Activations, GainMask, Keep};
use crate::preprocess::Prepared;
use burn::tensor::Tensor;

struct Entry {
    /// The model's [`Loaded::generation`]: an analysis still running on the previous model
    /// may store its entry after a new model is installed.
    model: u64,
    image: u64,
    step: usize,
    input: Tensor<4>,
    below: Vec<Vec<f32>>,
}

/// The last split pass's shared part (one entry: the image and layer on screen).
#[derive(Default)]
pub(super) struct PassCache(Option<Entry>);

/// Every layer's means for one image under `mask`, plus the activations of the part that ran
/// (which carry the classifier outputs). `image` identifies the image for the cache; with no
/// mask the pass splits at `layer` (the one on screen), so the first intervention there is
/// already fast.
impl PassCache {
    pub(super) async fn run(
        &mut self,
        eng: &Engine,
        m: &Loaded,
        image: u64,
        prepared: &Prepared,
        mask: &GainMask,
        layer: &str,
    ) -> Result<(Vec<Vec<f32>>, Activations), Failure> {
        let one = |rows: Vec<Vec<f32>>| rows.into_iter().next().unwrap_or_default();
        let step = match mask.layers.keys().collect::<Vec<_>>().as_slice() {
            [l] => m.net.step_of(l),
            [] => m.net.step_of(layer),
            _ => None,
        };
        let Some(step) = step else {
            let (host, acts) = eng.means(&m.net, &[prepared], mask).await?;
            return Ok((host.means.into_iter().map(one).collect(), acts));
        };
        let hit = self
            .0
            .as_ref()
            .filter(|e| e.model == m.generation && e.image == image && e.step == step)
            .map(|e| (e.input.clone(), e.below.clone()));
        let (input, below) = match hit {
            Some(h) => h,
            None => {
                let (input, layers) = m.net.forward_to(step, eng.batch(&[prepared]));
                let below = Activations {
                    layers,
                    fc7: None,
                    logits: None,
                }
                .means_to_host()
                .await?
                .means
                .into_iter()
                .map(one)
                .collect::<Vec<_>>();
                self.0 = Some(Entry {
                    model: m.generation,
                    image,
                    step,
                    input: input.clone(),
                    below: below.clone(),
                });
                (input, below)
            }
        };
        let acts = m.net.forward_from(step, input, mask, Keep::Means);
        let above = acts.means_to_host().await?.means.into_iter().map(one);
        Ok((below.into_iter().chain(above).collect(), acts))
    }
}
