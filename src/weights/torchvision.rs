//! torchvision checkpoints (`.pth`): read with burn's own PyTorch reader (burn-store).

use super::TensorMap;
use crate::error::Failure;
use burn::store::pytorch_reader::{DType, PytorchReader};

/// Reads every float tensor of a torchvision state-dict `.pth`. The reader needs a path (the
/// tensors live beside the pickle in the zip), so the bytes go through a private temp file.
pub fn read_pth(bytes: &[u8]) -> Result<TensorMap, Failure> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(Failure::bad_input(
            "not a PyTorch zip checkpoint (torch.save format expected)",
        ));
    }
    let path = std::env::temp_dir().join(format!("neurons-pth-{}.pth", std::process::id()));
    std::fs::write(&path, bytes)
        .map_err(|e| Failure::failed(format!("cannot stage the checkpoint: {e}")))?;
    let result = read_path(&path);
    let _ = std::fs::remove_file(&path);
    result
}

fn read_path(path: &std::path::Path) -> Result<TensorMap, Failure> {
    let reader = PytorchReader::new(path)
        .map_err(|e| Failure::bad_input(format!("cannot read the checkpoint: {e}")))?;
    let mut map = TensorMap::default();
    for name in reader.keys() {
        let t = reader
            .get(&name)
            .ok_or_else(|| Failure::failed("checkpoint key vanished"))?;
        let raw = t
            .read()
            .map_err(|e| Failure::bad_input(format!("cannot read `{name}`: {e}")))?;
        let data: Vec<f32> = match t.dtype() {
            DType::F32 => raw
                .chunks_exact(4)
                .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            DType::F16 => raw
                .chunks_exact(2)
                .map(|b| super::f16_to_f32(u16::from_ne_bytes([b[0], b[1]])))
                .collect(),
            // Integer buffers (e.g. BatchNorm counters) are not parameters of these models.
            _ => continue,
        };
        map.insert(name, t.shape().to_vec(), data);
    }
    Ok(map)
}
