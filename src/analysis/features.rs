//! The experiment's forward passes on this machine's engine (feature `engine`): the CLI's
//! [`Features`] source, and what each pool worker runs on its share of the images.

use super::experiment::{layers_above, FeatureRows, Features, Part};
use super::responses::readout_features;
use crate::engine::Engine;
use crate::error::Failure;
use crate::model::{read_rows, GainMask, Keep, Network};
use crate::preprocess::Prepared;
use burn::tensor::{Tensor, TensorData};

/// Told of the work done (images × conv layers computed) after every batch × mask; an error
/// stops the run (a worker uses it to report progress and hear a cancel).
#[allow(async_fn_in_trait)]
pub trait Progress {
    async fn tick(&mut self, work: u64) -> Result<(), Failure>;
}

/// Runs `masks` on `images`: `[mask][image][feature]`. Each batch runs the layers up to and
/// including `layer` once, unmasked; each mask then scales that cached output by its gains for
/// `layer` (the gain acts after the ReLU) and runs only the layers above. When the readout is
/// `layer`'s own spatial means, the scaled means are the features and nothing above runs.
#[allow(clippy::too_many_arguments)]
pub async fn features_under(
    engine: &Engine,
    net: &Network,
    layer: &str,
    images: &[&Prepared],
    masks: &[GainMask],
    batch: usize,
    progress: &mut impl Progress,
) -> Result<FeatureRows, Failure> {
    let step = net
        .step_of(layer)
        .ok_or_else(|| Failure::bad_input(format!("unknown layer `{layer}`")))?;
    let names: Vec<&str> = net.layers().iter().map(|l| l.0).collect();
    let above = layers_above(&names, layer).saturating_sub(1);
    let own_means = !net.has_classifier() && names.last() == Some(&layer);
    let mut out = vec![Vec::new(); masks.len()];
    for chunk in images.chunks(batch.max(1)) {
        let (output, below) = net.forward_to(step + 1, engine.batch(chunk));
        let means = below.into_iter().last().map(|l| l.means);
        for (m, mask) in masks.iter().enumerate() {
            let gains = mask.get(layer).map(|g| {
                Tensor::<1>::from_data(TensorData::new(g.to_vec(), [g.len()]), net.device())
            });
            let rows = if own_means {
                let means = means.clone().ok_or("the network has no conv layer")?;
                let c = means.dims()[1];
                let scaled = match gains {
                    Some(g) => means * g.reshape([1, c]),
                    None => means,
                };
                read_rows(scaled).await?
            } else {
                let x = match gains {
                    Some(g) => {
                        let c = output.dims()[1];
                        output.clone() * g.reshape([1, c, 1, 1])
                    }
                    None => output.clone(),
                };
                let acts = net.forward_from(step + 1, x, mask, Keep::Means);
                readout_features(&acts).await?.0
            };
            out[m].extend(rows);
            progress.tick((chunk.len() * above.max(1)) as u64).await?;
        }
    }
    Ok(out)
}

/// The val and test images of a profile on this machine's engine.
pub struct LocalFeatures<'a, P: Progress> {
    pub engine: &'a Engine,
    pub net: &'a Network,
    pub val: &'a [&'a Prepared],
    pub test: &'a [&'a Prepared],
    pub batch: usize,
    pub progress: P,
}

impl<P: Progress> Features for LocalFeatures<'_, P> {
    async fn under(
        &mut self,
        layer: &str,
        part: Part,
        masks: &[GainMask],
    ) -> Result<FeatureRows, Failure> {
        let images = match part {
            Part::Val => self.val,
            Part::Test => self.test,
        };
        features_under(
            self.engine,
            self.net,
            layer,
            images,
            masks,
            self.batch,
            &mut self.progress,
        )
        .await
    }
}
