//! Device choice and batching: WebGPU/wgpu when it is there (and not a slow software adapter),
//! burn's `flex` CPU backend otherwise. No DOM here; the UI reports what this module decides.

use crate::error::Failure;
use crate::model::{Activations, GainMask, HostMeans, Keep, Network};
use crate::preprocess::{Prepared, CROP};
use burn::tensor::{Device, Tensor, TensorData};

/// Which backend runs the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Cpu,
    Wgpu,
}

/// What the UI and CLI show about the backend.
#[derive(Clone, Debug, PartialEq)]
pub struct BackendInfo {
    pub kind: BackendKind,
    /// Adapter name, or `flex (CPU)`.
    pub adapter: String,
    /// A software rasteriser (SwiftShader, llvmpipe/lavapipe): far slower than the CPU path.
    pub software: bool,
    /// Why this backend was chosen (e.g. "WebGPU unavailable: …").
    pub reason: String,
}

impl BackendInfo {
    /// `WebGPU (adapter)` / `CPU (flex)`.
    pub fn label(&self) -> String {
        match self.kind {
            BackendKind::Wgpu if cfg!(target_family = "wasm") => {
                format!("WebGPU ({})", self.adapter)
            }
            BackendKind::Wgpu => format!("wgpu ({})", self.adapter),
            BackendKind::Cpu => "CPU (burn flex)".to_string(),
        }
    }
}

/// True for adapters that are software renderers.
pub fn is_software_adapter(name: &str, driver: &str, is_cpu_type: bool) -> bool {
    let s = format!("{name} {driver}").to_lowercase();
    is_cpu_type
        || ["swiftshader", "llvmpipe", "lavapipe", "software"]
            .iter()
            .any(|k| s.contains(k))
}

fn adapter_info(setup: &burn::tensor::wgpu::WgpuSetup) -> (String, bool) {
    let info = setup.adapter.get_info();
    let cpu = info.device_type == burn::tensor::wgpu::wgpu::DeviceType::Cpu;
    let name = if info.name.is_empty() {
        "unnamed adapter".to_string()
    } else {
        info.name.clone()
    };
    let software = is_software_adapter(&info.name, &info.driver, cpu);
    (name, software)
}

/// A device plus what it is.
#[derive(Clone, Debug)]
pub struct Engine {
    pub device: Device,
    pub info: BackendInfo,
    /// The wgpu device behind `device` (to destroy it on purpose in the device-loss test).
    pub gpu: Option<burn::tensor::wgpu::wgpu::Device>,
}

impl Engine {
    /// burn's pure-Rust CPU backend.
    pub fn cpu(reason: impl Into<String>) -> Self {
        Self {
            device: Device::flex(),
            info: BackendInfo {
                kind: BackendKind::Cpu,
                adapter: "flex (CPU)".into(),
                software: false,
                reason: reason.into(),
            },
            gpu: None,
        }
    }

    fn from_setup(device: Device, setup: &burn::tensor::wgpu::WgpuSetup, reason: &str) -> Self {
        let (adapter, software) = adapter_info(setup);
        Self {
            device,
            info: BackendInfo {
                kind: BackendKind::Wgpu,
                adapter,
                software,
                reason: reason.into(),
            },
            gpu: Some(setup.device.clone()),
        }
    }

    /// wgpu natively (Vulkan, Metal, DX12; lavapipe on a machine with no GPU).
    #[cfg(not(target_family = "wasm"))]
    pub fn wgpu() -> Result<Self, Failure> {
        let (device, setup) = Device::wgpu_options()
            .init_with_setup()
            .map_err(|e| Failure::failed(format!("no wgpu adapter: {e}")))?;
        Ok(Self::from_setup(device, &setup, "requested"))
    }

    /// WebGPU in the browser (or wgpu natively), async.
    pub async fn wgpu_async() -> Result<Self, Failure> {
        let (device, setup) = Device::wgpu_options()
            .init_with_setup_async()
            .await
            .map_err(|e| Failure::failed(format!("WebGPU unavailable: {e}")))?;
        Ok(Self::from_setup(device, &setup, "WebGPU adapter found"))
    }

    /// Stacks prepared images into one `[batch, 3, 224, 224]` tensor.
    pub fn batch(&self, images: &[&Prepared]) -> Tensor<4> {
        let mut flat = Vec::with_capacity(images.len() * 3 * CROP * CROP);
        for p in images {
            flat.extend_from_slice(&p.input);
        }
        Tensor::from_data(
            TensorData::new(flat, [images.len(), 3, CROP, CROP]),
            &self.device,
        )
    }

    /// One forward pass over a batch, means read back to the host.
    pub async fn means(
        &self,
        net: &Network,
        images: &[&Prepared],
        mask: &GainMask,
    ) -> Result<(HostMeans, Activations), Failure> {
        let acts = net.forward(self.batch(images), mask, Keep::Means);
        let host = acts.means_to_host().await?;
        Ok((host, acts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn software_adapters_are_recognised() {
        assert!(is_software_adapter(
            "SwiftShader Device (Subzero)",
            "",
            false
        ));
        assert!(is_software_adapter(
            "llvmpipe (LLVM 15.0.6, 256 bits)",
            "",
            false
        ));
        assert!(is_software_adapter("Some GPU", "", true));
        assert!(!is_software_adapter("NVIDIA H100", "NVIDIA 550", false));
    }
}
