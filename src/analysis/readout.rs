//! Emotion recognition on the frozen backbone: linear heads on cached features, trained in burn
//! (autodiff over the CPU backend) as in the paper: Adam, lr 1e-3, 10 epochs, batch 128,
//! cross-entropy. One-vs-rest heads (2 outputs each) plus a joint softmax head for the app.

use crate::weights::init::{fnv1a, SplitMix64};
use burn::module::{Module, Param};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

pub use super::head::{softmax, standardise, Head};

/// Training settings (the paper's by default).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub lr: f64,
    pub epochs: usize,
    pub batch: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            epochs: 10,
            batch: 128,
        }
    }
}

#[derive(Module, Debug)]
struct LinearHead {
    weight: Param<Tensor<2>>,
    bias: Param<Tensor<1>>,
}

impl LinearHead {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let [_, o] = self.weight.val().dims();
        x.matmul(self.weight.val()) + self.bias.val().reshape([1, o])
    }
}

/// Per-feature mean and sd over the training rows (sd 1 where a feature is constant).
pub fn standardiser(x: &[f32], dim: usize) -> (Vec<f32>, Vec<f32>) {
    let n = (x.len() / dim.max(1)).max(1) as f64;
    let mut mean = vec![0f64; dim];
    for row in x.chunks(dim) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += *v as f64 / n;
        }
    }
    let mut var = vec![0f64; dim];
    for row in x.chunks(dim) {
        for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
            *s += (*v as f64 - m).powi(2) / n;
        }
    }
    let sd = var
        .iter()
        .map(|v| if *v > 1e-12 { v.sqrt() as f32 } else { 1.0 })
        .collect();
    (mean.iter().map(|m| *m as f32).collect(), sd)
}

/// Trains one head on standardised rows `x` (`[n][dim]`) with class targets `y` (< `outputs`).
/// Seeded: the same inputs give the same head, bit for bit.
pub fn train_head(
    x: &[f32],
    dim: usize,
    y: &[usize],
    outputs: usize,
    cfg: TrainConfig,
    seed: &str,
) -> Head {
    let device = Device::flex().autodiff();
    let n = y.len();
    let mut rng = SplitMix64::new(fnv1a(seed));
    let scale = (1.0 / dim.max(1) as f64).sqrt();
    let w0: Vec<f32> = (0..dim * outputs)
        .map(|_| (rng.next_normal() * scale) as f32)
        .collect();
    let mut head = LinearHead {
        weight: Param::from_tensor(Tensor::from_data(
            TensorData::new(w0, [dim, outputs]),
            &device,
        )),
        bias: Param::from_tensor(Tensor::from_data(
            TensorData::new(vec![0f32; outputs], [outputs]),
            &device,
        )),
    };
    let mut optim = AdamConfig::new().init();
    let mut order: Vec<usize> = (0..n).collect();
    for _ in 0..cfg.epochs {
        for i in (1..n).rev() {
            order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
        }
        for chunk in order.chunks(cfg.batch.max(1)) {
            let xb: Vec<f32> = chunk
                .iter()
                .flat_map(|&i| x[i * dim..(i + 1) * dim].iter().copied())
                .collect();
            let mut onehot = vec![0f32; chunk.len() * outputs];
            for (r, &i) in chunk.iter().enumerate() {
                onehot[r * outputs + y[i]] = 1.0;
            }
            let xb = Tensor::<2>::from_data(TensorData::new(xb, [chunk.len(), dim]), &device);
            let t =
                Tensor::<2>::from_data(TensorData::new(onehot, [chunk.len(), outputs]), &device);
            let loss = (log_softmax(head.forward(xb), 1) * t)
                .sum_dim(1)
                .mean()
                .neg();
            let grads = GradientsParams::from_grads(loss.backward(), &head);
            head = optim.step(cfg.lr, head, grads);
        }
    }
    let read = |t: Tensor<2>| t.into_data().try_into_vec::<f32>().unwrap_or_default();
    Head {
        weight: read(head.weight.val()),
        bias: head
            .bias
            .val()
            .into_data()
            .try_into_vec::<f32>()
            .unwrap_or_default(),
    }
}
