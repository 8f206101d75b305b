//! The host fast path against burn's own ops.

use crate::arch::Arch;
use crate::model::{GainMask, Keep, Network};
use crate::weights::init::he_normal;
use burn::tensor::{Device, Tensor, TensorData};

fn means(net: &Network, x: Tensor<4>, start: usize, mask: &GainMask) -> Vec<Vec<f32>> {
    net.forward_from(start, x, mask, Keep::Means)
        .layers
        .into_iter()
        .map(|l| l.means.into_data().try_into_vec().unwrap())
        .collect()
}

/// The fast path against burn's own ops, from the input and from a cached layer's input,
/// with a lesion in `lesioned` and an enhancement in `enhanced`, at batch 1 (rows split over
/// the threads) and batch 7 (images in parallel).
fn fast_path_equals_burns_ops(arch: Arch, dims: (usize, usize, usize), layers: [&str; 3]) {
    for batch in [1, 7] {
        fast_path_at_batch(arch, batch, dims, layers);
    }
}

fn fast_path_at_batch(
    arch: Arch,
    batch: usize,
    (c, h, w): (usize, usize, usize),
    layers: [&str; 3],
) {
    let [lesioned, enhanced, from] = layers;
    let d = Device::flex();
    let mut net = Network::load(arch, &he_normal(arch, false, "t"), &d).unwrap();
    let data: Vec<f32> = (0..batch * c * h * w)
        .map(|i| ((i * 37) % 101) as f32 / 50.0 - 1.0)
        .collect();
    let x = || Tensor::<4>::from_data(TensorData::new(data.clone(), [batch, c, h, w]), &d);
    let units = |l: &str| {
        arch.convs()
            .into_iter()
            .find(|v| v.name == l)
            .unwrap()
            .out_channels
    };
    let mut mask = GainMask::lesion(lesioned, units(lesioned), &[0, 5, 9]);
    mask.set(enhanced, units(enhanced), &[1, 2], 3.5);
    let step = net.step_of(from).unwrap();
    assert!(net.set_fast_cpu(true), "{arch:?} on flex has the fast path");
    let fast = means(&net, x(), 0, &mask);
    let fast_from = means(&net, net.input_to(step, x()), step, &mask);
    net.set_fast_cpu(false);
    let slow = means(&net, x(), 0, &mask);
    let slow_from = means(&net, net.input_to(step, x()), step, &mask);
    let n = arch.convs().len();
    let skipped = arch.convs().iter().position(|v| v.name == from).unwrap();
    assert_eq!(fast.len(), n);
    assert_eq!(fast_from.len(), n - skipped);
    for (a, b) in fast
        .iter()
        .chain(&fast_from)
        .zip(slow.iter().chain(&slow_from))
    {
        let scale = b.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
        for (p, q) in a.iter().zip(b) {
            assert!((p - q).abs() <= 1e-4 * scale, "{p} vs {q}");
        }
    }
    // The lesioned units are silent on both paths, in every image.
    let l = arch
        .convs()
        .iter()
        .position(|v| v.name == lesioned)
        .unwrap();
    let u = units(lesioned);
    assert_eq!(fast[l].len(), batch * u);
    for i in 0..batch {
        assert_eq!(fast[l][i * u + 5], 0.0);
    }
    assert!(fast[l].iter().any(|&v| v > 0.0));
}

#[test]
fn vgg16_fast_path_equals_burns_ops_with_masks_and_cached_inputs() {
    fast_path_equals_burns_ops(Arch::Vgg16, (3, 40, 36), ["conv3_2", "conv5_1", "conv4_1"]);
}

/// AlexNet: conv1 has stride 4 and its pools overlap (3 × 3, stride 2); odd input size.
#[test]
fn alexnet_fast_path_equals_burns_ops_with_masks_and_cached_inputs() {
    fast_path_equals_burns_ops(Arch::Alexnet, (3, 83, 79), ["conv1", "conv4", "conv3"]);
}
