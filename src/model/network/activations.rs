//! `Activations`: what a forward pass returns for every conv layer (post-ReLU map and the
//! per-channel spatial mean, the paper's "unit response"), plus the classifier's outputs.

use crate::error::Failure;
use burn::tensor::Tensor;

/// One conv layer's output after ReLU and gain.
#[derive(Clone, Debug)]
pub struct LayerActivation {
    pub name: &'static str,
    /// `[batch, channels, h, w]`; `None` when the pass was asked for means only.
    pub map: Option<Tensor<4>>,
    /// `[batch, channels]`: spatial mean per unit.
    pub means: Tensor<2>,
}

/// Everything a forward pass exposes. burn has no forward hooks, so this is first-class.
#[derive(Clone, Debug)]
pub struct Activations {
    pub layers: Vec<LayerActivation>,
    /// fc7 after ReLU, `[batch, 4096]`, when the model has a classifier.
    pub fc7: Option<Tensor<2>>,
    /// ImageNet logits `[batch, 1000]`, when the model has a classifier.
    pub logits: Option<Tensor<2>>,
}

/// Host copies of the spatial means: `means[layer][image][unit]`.
#[derive(Clone, Debug, PartialEq)]
pub struct HostMeans {
    pub names: Vec<&'static str>,
    pub means: Vec<Vec<Vec<f32>>>,
}

impl Activations {
    pub fn layer(&self, name: &str) -> Option<&LayerActivation> {
        self.layers.iter().find(|l| l.name == name)
    }

    /// Reads every layer's means back to the host (async: works on WebGPU).
    pub async fn means_to_host(&self) -> Result<HostMeans, Failure> {
        let mut names = Vec::new();
        let mut means = Vec::new();
        for l in &self.layers {
            names.push(l.name);
            means.push(read_rows(l.means.clone()).await?);
        }
        Ok(HostMeans { names, means })
    }
}

/// Reads a `[rows, cols]` tensor back as rows.
pub async fn read_rows(t: Tensor<2>) -> Result<Vec<Vec<f32>>, Failure> {
    let [_, cols] = t.dims();
    let data = t.into_data_async().await.map_err(|e| {
        Failure::failed(format!(
            "reading results back from the device failed: {e:?}"
        ))
    })?;
    let flat: Vec<f32> = data
        .try_into_vec()
        .map_err(|e| Failure::failed(format!("unexpected result type: {e:?}")))?;
    Ok(flat.chunks(cols.max(1)).map(|c| c.to_vec()).collect())
}
