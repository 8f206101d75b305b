//! The weights' download format (`*.safetensors.planes`): the safetensors file with each block's
//! bytes regrouped by their position in a 4-byte float (all first bytes, then all second bytes,
//! …), then gzip. The exponent bytes compress well once they sit together, the mantissa bytes
//! not at all: the Oxford VGG-16 goes from 58.9 to 49.5 MB, losslessly. The browser's own
//! `DecompressionStream` undoes the gzip; [`Unplane`] undoes the regrouping as the bytes stream
//! in, block by block, and the result is checked against the manifest's sha256 as before.
//!
//! Decompressed layout: `MAGIC` (8 bytes), the file's length (u64 LE), the block size (u32 LE),
//! then the blocks in order. A block of `n` bytes holds bytes `k, k+4, k+8, …` for k = 0..4.

use crate::error::Failure;

/// The file's first bytes once decompressed.
pub const MAGIC: &[u8; 8] = b"ENPLANE1";
/// Bytes per block: large enough that deflate sees long runs of one plane, small enough to
/// regroup as the download streams in.
pub const BLOCK: usize = 1 << 22;
const HEADER: usize = 8 + 8 + 4;
/// No weights file here is larger (VGG-16 with its classifier is 553 MB).
const MAX_LEN: u64 = 1 << 31;

/// Regroups `raw` (the inverse of [`Unplane`]), header included, before compression.
pub fn split(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + raw.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(raw.len() as u64).to_le_bytes());
    out.extend_from_slice(&(BLOCK as u32).to_le_bytes());
    for block in raw.chunks(BLOCK) {
        for k in 0..4 {
            out.extend(block.iter().skip(k).step_by(4));
        }
    }
    out
}

/// The inverse of one block's regrouping.
fn merge(planes: &[u8], out: &mut Vec<u8>) {
    let n = planes.len();
    let start = out.len();
    out.resize(start + n, 0);
    let dst = &mut out[start..];
    let mut at = 0;
    for k in 0..4 {
        let len = (n + 3 - k) / 4;
        for (i, &b) in planes[at..at + len].iter().enumerate() {
            dst[k + 4 * i] = b;
        }
        at += len;
    }
}

/// Rebuilds the original file from the decompressed stream, fed in chunks of any size.
#[derive(Debug, Default)]
pub struct Unplane {
    pending: Vec<u8>,
    /// `(file length, block size)` once the header is in.
    shape: Option<(u64, usize)>,
    out: Vec<u8>,
}

impl Unplane {
    pub fn new() -> Self {
        Self::default()
    }

    /// The file's length once the header has arrived.
    pub fn total(&self) -> Option<u64> {
        self.shape.map(|s| s.0)
    }

    /// Bytes of the original file rebuilt so far.
    pub fn done(&self) -> u64 {
        self.out.len() as u64
    }

    /// Takes the next decompressed bytes (a whole file at once is regrouped without a copy).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), Failure> {
        if self.pending.is_empty() {
            let used = self.take(chunk)?;
            self.pending.extend_from_slice(&chunk[used..]);
        } else {
            let mut data = std::mem::take(&mut self.pending);
            data.extend_from_slice(chunk);
            let used = self.take(&data)?;
            data.drain(..used);
            self.pending = data;
        }
        Ok(())
    }

    /// Reads the header and every whole block at the start of `data`; returns the bytes used.
    fn take(&mut self, data: &[u8]) -> Result<usize, Failure> {
        let mut at = 0;
        if self.shape.is_none() {
            if data.len() < HEADER {
                return Ok(0);
            }
            if &data[..8] != MAGIC {
                return Err(Failure::download(
                    "not a packed weights file (wrong magic bytes)",
                ));
            }
            let len = u64::from_le_bytes(data[8..16].try_into().expect("8 bytes"));
            let block = u32::from_le_bytes(data[16..20].try_into().expect("4 bytes"));
            if len > MAX_LEN || block == 0 || block % 4 != 0 {
                return Err(Failure::download(format!(
                    "packed weights header is implausible (length {len}, block {block})"
                )));
            }
            self.shape = Some((len, block as usize));
            self.out.reserve_exact(len as usize);
            at = HEADER;
        }
        let (len, block) = self.shape.expect("set above");
        loop {
            let left = (len - self.out.len() as u64).min(block as u64) as usize;
            if left == 0 {
                if at < data.len() {
                    return Err(Failure::download(
                        "packed weights run past their stated length",
                    ));
                }
                return Ok(at);
            }
            if data.len() - at < left {
                return Ok(at);
            }
            merge(&data[at..at + left], &mut self.out);
            at += left;
        }
    }

    /// The rebuilt file; an error if the stream stopped short.
    pub fn finish(self) -> Result<Vec<u8>, Failure> {
        match self.shape {
            Some((len, _)) if self.out.len() as u64 == len && self.pending.is_empty() => {
                Ok(self.out)
            }
            Some((len, _)) => Err(Failure::download(format!(
                "packed weights are truncated: {} of {len} bytes",
                self.out.len()
            ))),
            None => Err(Failure::download("packed weights are truncated: no header")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(raw: &[u8], chunk: usize) -> Vec<u8> {
        let packed = split(raw);
        let mut u = Unplane::new();
        for c in packed.chunks(chunk.max(1)) {
            u.push(c).unwrap();
        }
        assert_eq!(u.total(), Some(raw.len() as u64));
        u.finish().unwrap()
    }

    #[test]
    fn regroups_by_byte_position() {
        let raw = [1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        let packed = split(&raw);
        assert_eq!(&packed[..8], MAGIC);
        // Plane 0: bytes 0, 4, 8; plane 1: 1, 5, 9; plane 2: 2, 6; plane 3: 3, 7.
        assert_eq!(&packed[HEADER..], &[1, 5, 9, 2, 6, 10, 3, 7, 4, 8]);
    }

    #[test]
    fn round_trips_across_blocks_and_odd_chunks() {
        let raw: Vec<u8> = (0..(2 * BLOCK + 4099))
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        // Small chunks on a short file only (the long one would take a while).
        assert_eq!(roundtrip(&raw[..999], 1), &raw[..999]);
        assert_eq!(roundtrip(&raw[..99_999], 7), &raw[..99_999]);
        for chunk in [65536, BLOCK + 3, usize::MAX] {
            assert_eq!(roundtrip(&raw, chunk), raw, "chunk {chunk}");
        }
        assert_eq!(roundtrip(&[], 5), Vec::<u8>::new());
    }

    #[test]
    fn refuses_damage() {
        let raw: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
        let packed = split(&raw);
        let mut u = Unplane::new();
        u.push(&packed[..packed.len() - 1]).unwrap();
        assert!(u.finish().unwrap_err().message.contains("truncated"));
        let mut bad = packed.clone();
        bad[0] = b'X';
        assert!(Unplane::new()
            .push(&bad)
            .unwrap_err()
            .message
            .contains("magic"));
        let mut long = packed.clone();
        long.push(0);
        assert!(Unplane::new()
            .push(&long)
            .unwrap_err()
            .message
            .contains("past"));
        let mut huge = packed;
        huge[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(Unplane::new()
            .push(&huge)
            .unwrap_err()
            .message
            .contains("implausible"));
        assert!(Unplane::new()
            .finish()
            .unwrap_err()
            .message
            .contains("no header"));
    }
}
