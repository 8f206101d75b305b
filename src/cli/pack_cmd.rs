//! `neurons weights pack`: the download form of the weights files (`<file>.planes`, see
//! [`crate::weights::planes`]), which the page fetches first and checks as the plain file.

use super::{read, write};
use std::path::{Path, PathBuf};

/// Packs each `.safetensors` of `dir` whose `.planes` is missing or older.
pub(super) fn pack_all(dir: &Path) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    files.sort();
    for src in files {
        let dst = PathBuf::from(format!("{}.planes", src.display()));
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        if matches!((modified(&src), modified(&dst)), (Some(a), Some(b)) if b >= a) {
            continue;
        }
        let raw = read(&src)?;
        let packed = pack(&raw)?;
        write(&dst, &packed)?;
        println!(
            "{}: {:.1} MB → {:.1} MB ({:.1} % smaller)",
            dst.display(),
            raw.len() as f64 / 1e6,
            packed.len() as f64 / 1e6,
            100.0 * (1.0 - packed.len() as f64 / raw.len().max(1) as f64)
        );
    }
    Ok(())
}

/// The `.planes` form of a weights file (see [`crate::weights::planes`]).
pub fn pack(raw: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&crate::weights::planes::split(raw))
        .and_then(|_| gz.finish())
        .map_err(|e| format!("cannot compress: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The packed form gunzips (as the browser's `DecompressionStream` does) and regroups to
    /// the same bytes, and is smaller on float data.
    #[test]
    fn packed_weights_round_trip_and_shrink() {
        // Weight-like floats: small, of mixed sign, with noisy mantissas.
        let raw: Vec<u8> = (0..300_000u32)
            .flat_map(|i| {
                let x = ((i as f32 * 12.9898).sin() * 43758.547).fract() - 0.5;
                (x * 0.02).to_le_bytes()
            })
            .collect();
        let packed = pack(&raw).unwrap();
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_end(&mut plain)
            .unwrap();
        let mut u = crate::weights::planes::Unplane::new();
        for c in plain.chunks(100_003) {
            u.push(c).unwrap();
        }
        assert_eq!(u.finish().unwrap(), raw);
        assert!(
            packed.len() < raw.len() * 9 / 10,
            "{} of {}",
            packed.len(),
            raw.len()
        );
    }
}
