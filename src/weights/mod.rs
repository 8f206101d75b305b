//! Weight loading. Every source (ONNX wheel, torchvision file, seeded init) ends as the same
//! [`TensorMap`] with torchvision key names, stored as safetensors plus a manifest entry.

pub mod init;
#[cfg(feature = "cli")]
pub mod lpips;
pub mod manifest;
pub mod onnx;
#[cfg(feature = "cli")]
pub mod pickle;
pub mod planes;
#[cfg(feature = "cli")]
pub mod targz;
#[cfg(feature = "cli")]
pub mod torchvision;

use crate::error::Failure;
use manifest::ModelEntry;

/// The Cache Storage the engine worker keeps the site's checked weights files in (keys
/// `weights/<file>`); the page looks there to tell a returning visitor.
pub const WEIGHTS_CACHE: &str = "emotion-neurons-weights-v1";
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// One f32 tensor on the host.
#[derive(Clone, Debug, PartialEq)]
pub struct HostTensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Torchvision-named parameters, sorted by key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TensorMap {
    pub tensors: BTreeMap<String, HostTensor>,
}

impl TensorMap {
    pub fn get(&self, key: &str) -> Option<&HostTensor> {
        self.tensors.get(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.tensors.contains_key(key)
    }

    pub fn insert(&mut self, key: impl Into<String>, shape: Vec<usize>, data: Vec<f32>) {
        self.tensors.insert(key.into(), HostTensor { shape, data });
    }

    /// Checks every expected key is present with the expected shape and finite values.
    pub fn check_shapes(&self, expected: &[(String, Vec<usize>)]) -> Result<(), Failure> {
        for (key, shape) in expected {
            let t = self
                .get(key)
                .ok_or_else(|| Failure::model_load(format!("weights are missing `{key}`")))?;
            if &t.shape != shape {
                return Err(Failure::model_load(format!(
                    "`{key}` has shape {:?}, expected {:?}",
                    t.shape, shape
                )));
            }
            if t.data.len() != shape.iter().product::<usize>() {
                return Err(Failure::model_load(format!(
                    "`{key}` holds the wrong number of values"
                )));
            }
            if t.data.iter().any(|v| !v.is_finite()) {
                return Err(Failure::model_load(format!(
                    "`{key}` holds NaN or infinite values"
                )));
            }
        }
        Ok(())
    }

    /// Serialises as safetensors (f32, keys sorted: byte-identical for identical weights).
    pub fn to_safetensors(&self) -> Result<Vec<u8>, Failure> {
        use safetensors::tensor::{Dtype, TensorView};
        let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = self
            .tensors
            .iter()
            .map(|(k, t)| (k.clone(), f32_bytes(&t.data), t.shape.clone()))
            .collect();
        let views = bytes
            .iter()
            .map(|(k, b, s)| {
                TensorView::new(Dtype::F32, s.clone(), b)
                    .map(|v| (k.clone(), v))
                    .map_err(|e| Failure::failed(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        safetensors::serialize(views, None).map_err(|e| Failure::failed(e.to_string()))
    }

    /// Parses safetensors bytes (f32 or f16 tensors).
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, Failure> {
        use safetensors::tensor::Dtype;
        let st = safetensors::SafeTensors::deserialize(bytes)
            .map_err(|e| Failure::bad_input(format!("not a valid safetensors file: {e}")))?;
        let mut map = TensorMap::default();
        for (name, view) in st.tensors() {
            let data = match view.dtype() {
                Dtype::F32 => view
                    .data()
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
                Dtype::F16 => view
                    .data()
                    .chunks_exact(2)
                    .map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]])))
                    .collect(),
                other => {
                    return Err(Failure::bad_input(format!(
                        "tensor `{name}` has unsupported dtype {other:?}"
                    )))
                }
            };
            map.insert(name, view.shape().to_vec(), data);
        }
        Ok(map)
    }

    /// A digest of the tensors themselves (key, shape, little-endian values, in key order).
    /// Pins seeded weights across native and wasm without serialising them.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for (k, t) in &self.tensors {
            h.update(k.as_bytes());
            for d in &t.shape {
                h.update((*d as u64).to_le_bytes());
            }
            for v in &t.data {
                h.update(v.to_le_bytes());
            }
        }
        hex(&h.finalize())
    }

    pub fn num_values(&self) -> usize {
        self.tensors.values().map(|t| t.data.len()).sum()
    }
}

/// Loads a model's weights: generates seeded ones, or verifies `file_bytes` against the
/// manifest's sha256 and parses them. A tampered or truncated download fails here.
pub fn load_entry(entry: &ModelEntry, file_bytes: Option<&[u8]>) -> Result<TensorMap, Failure> {
    let map = match (&entry.file, file_bytes) {
        (None, _) => {
            let map = entry.generate()?;
            let digest = map.digest();
            if digest != entry.sha256 {
                return Err(Failure::failed(format!(
                    "generated `{}` has tensor digest {digest}, the manifest pins {}",
                    entry.id, entry.sha256
                )));
            }
            map
        }
        (Some(f), None) => {
            return Err(Failure::not_ready(format!(
                "weights file `{f}` for `{}` is not available",
                entry.id
            )))
        }
        (Some(f), Some(bytes)) => {
            let got = sha256_hex(bytes);
            if got != entry.sha256 {
                return Err(Failure::download(format!(
                    "checksum mismatch for `{f}`: expected sha256 {}, got {got} ({} bytes). \
                     The file is damaged, incomplete or not the published one.",
                    entry.sha256,
                    bytes.len()
                )));
            }
            TensorMap::from_safetensors(bytes)?
        }
    };
    map.check_shapes(&entry.arch.parameter_shapes(entry.classifier))?;
    Ok(map)
}

/// ImageNet class names in torchvision's order (for top-5 with a classifier).
pub fn imagenet_labels() -> Vec<&'static str> {
    include_str!("../../static/imagenet_labels.txt")
        .lines()
        .collect()
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// IEEE half to single precision.
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, m) => {
            // subnormal: renormalise
            let shift = m.leading_zeros() - 21;
            let m = (m << shift) & 0x3ff;
            sign | ((113 - shift) << 23) | (m << 13)
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 112) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safetensors_round_trip_is_exact_and_deterministic() {
        let mut m = TensorMap::default();
        m.insert("b", vec![2], vec![1.5, -2.0]);
        m.insert("a", vec![1, 2], vec![0.1, f32::MIN_POSITIVE]);
        let bytes = m.to_safetensors().unwrap();
        assert_eq!(bytes, m.to_safetensors().unwrap());
        assert_eq!(TensorMap::from_safetensors(&bytes).unwrap(), m);
        assert!(TensorMap::from_safetensors(&bytes[..bytes.len() - 1]).is_err());
        assert!(TensorMap::from_safetensors(b"not a file").is_err());
    }

    #[test]
    fn f16_conversion_matches_hand_values() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
        assert!(f16_to_f32(0x7c00).is_infinite());
    }

    #[test]
    fn sha256_of_abc_is_the_standard_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn check_shapes_names_the_problem() {
        let mut m = TensorMap::default();
        m.insert("w", vec![2], vec![1.0, f32::NAN]);
        let e = m.check_shapes(&[("w".into(), vec![2])]).unwrap_err();
        assert!(e.message.contains("NaN"), "{e}");
        let e = m.check_shapes(&[("w".into(), vec![3])]).unwrap_err();
        assert!(e.message.contains("shape"), "{e}");
        let e = m.check_shapes(&[("x".into(), vec![2])]).unwrap_err();
        assert!(e.message.contains("missing `x`"), "{e}");
    }
}
