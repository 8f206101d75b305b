//! The experiment's forward passes on this machine's engine (feature `engine`): the CLI's
//! [`Features`] source, and what each pool worker runs on its share of the images.

use super::experiment::{layers_above, FeatureRows, Features, Part};
use super::responses::readout_features;
use crate::engine::Engine;
use crate::model::{GainMask, Keep, Network};
use crate::preprocess::Prepared;
use crate::protocol::Failure;

/// Told of the work done (images × conv layers computed) after every batch × mask; an error
/// stops the run (a worker uses it to report progress and hear a cancel).
#[allow(async_fn_in_trait)]
pub trait Progress {
    async fn tick(&mut self, work: u64) -> Result<(), Failure>;
}

/// Counts the work only (for a throughput figure).
#[derive(Debug, Default)]
pub struct Count(pub u64);

impl Progress for Count {
    async fn tick(&mut self, work: u64) -> Result<(), Failure> {
        self.0 += work;
        Ok(())
    }
}

/// Runs `masks` on `images`, reusing each batch's input to `layer`: `[mask][image][feature]`.
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
    let above = layers_above(&names, layer);
    let mut out = vec![Vec::new(); masks.len()];
    for chunk in images.chunks(batch.max(1)) {
        let input = net.input_to(step, engine.batch(chunk));
        for (m, mask) in masks.iter().enumerate() {
            let acts = net.forward_from(step, input.clone(), mask, Keep::Means);
            out[m].extend(readout_features(&acts).await?.0);
            progress.tick((chunk.len() * above) as u64).await?;
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
