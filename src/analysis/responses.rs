//! Unit responses over a data set: one forward pass per batch, means only, read back once.
//! Also collects the readout features (fc7 with a classifier, else the last conv layer's means).

#[cfg(feature = "engine")]
use crate::{
    engine::Engine,
    error::Failure,
    model::{read_rows, GainMask, Network},
    preprocess::{prepare, Prepared},
    weights::manifest::Preprocessing,
};
use serde::{Deserialize, Serialize};

/// Responses of every unit of every conv layer to every image.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Responses {
    pub layers: Vec<String>,
    pub units: Vec<usize>,
    pub n_images: usize,
    /// Per layer, row-major `[image][unit]`.
    pub data: Vec<Vec<f32>>,
    /// Readout features, row-major `[image][feature_dim]`.
    pub features: Vec<f32>,
    pub feature_dim: usize,
    /// `fc7` or `<last conv> spatial means`.
    pub feature_source: String,
}

impl Responses {
    pub fn layer_index(&self, name: &str) -> Option<usize> {
        self.layers.iter().position(|l| l == name)
    }

    /// Appends the rows of `other` (the same network, more images).
    pub fn append(&mut self, other: Responses) {
        if self.n_images == 0 {
            *self = other;
            return;
        }
        for (mine, theirs) in self.data.iter_mut().zip(other.data) {
            mine.extend(theirs);
        }
        self.features.extend(other.features);
        self.n_images += other.n_images;
    }
}

/// Readout features of a forward pass: fc7 when present, else the last conv layer's means.
#[cfg(feature = "engine")]
pub async fn readout_features(
    acts: &crate::Activations,
) -> Result<(Vec<Vec<f32>>, String), Failure> {
    match &acts.fc7 {
        Some(fc7) => Ok((read_rows(fc7.clone()).await?, "fc7".into())),
        None => {
            let last = acts
                .layers
                .last()
                .ok_or_else(|| Failure::failed("the network has no conv layer"))?;
            Ok((
                read_rows(last.means.clone()).await?,
                format!("{} spatial means", last.name),
            ))
        }
    }
}

/// Runs `n` images (bytes from `load(i)`) through `net` in batches. Images that cannot be
/// decoded are returned as `(index, reason)` and left out of the responses.
#[allow(clippy::too_many_arguments)]
#[cfg(feature = "engine")]
pub async fn compute(
    engine: &Engine,
    net: &Network,
    pre: &Preprocessing,
    gray: bool,
    n: usize,
    mut load: impl FnMut(usize) -> Result<Vec<u8>, Failure>,
    batch: usize,
    mut progress: impl FnMut(usize, usize),
) -> Result<(Responses, Vec<(usize, String)>), Failure> {
    let layers = net.layers();
    let mut data = vec![Vec::new(); layers.len()];
    let (mut features, mut feature_dim, mut feature_source) = (Vec::new(), 0, String::new());
    let mut failed = Vec::new();
    let mut done = 0;
    let mut kept = 0;
    let mut i = 0;
    while i < n {
        let mut prepared: Vec<Prepared> = Vec::new();
        while prepared.len() < batch.max(1) && i < n {
            match load(i).and_then(|b| prepare(&b, pre, gray)) {
                Ok(p) => prepared.push(p),
                Err(e) => failed.push((i, e.message)),
            }
            i += 1;
        }
        if !prepared.is_empty() {
            let refs: Vec<&Prepared> = prepared.iter().collect();
            let (host, acts) = engine.means(net, &refs, &GainMask::none()).await?;
            for (l, per_image) in host.means.into_iter().enumerate() {
                for row in per_image {
                    data[l].extend(row);
                }
            }
            let (rows, source) = readout_features(&acts).await?;
            feature_dim = rows.first().map_or(0, |r| r.len());
            feature_source = source;
            for r in rows {
                features.extend(r);
            }
            kept += prepared.len();
        }
        done = i;
        progress(done, n);
    }
    let _ = done;
    Ok((
        Responses {
            layers: layers.iter().map(|(n, _)| n.to_string()).collect(),
            units: layers.iter().map(|(_, u)| *u).collect(),
            n_images: kept,
            data,
            features,
            feature_dim,
            feature_source,
        },
        failed,
    ))
}
