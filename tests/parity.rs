//! Numerics against an independent runtime: our per-unit spatial means for all 13 VGG-16 layers,
//! on the CPU backend and on wgpu (lavapipe without a GPU), against ONNX Runtime running the
//! wheel's own ONNX file.
#![cfg(feature = "cli")]

mod common;
use common::*;

#[test]
fn vgg16_matches_onnx_runtime_on_cpu_and_wgpu() {
    fetch_vgg16();
    let dir = tempfile::tempdir().unwrap();
    let imgs: Vec<String> = (0..2)
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
    for backend in ["cpu", "wgpu"] {
        let mut args = vec![
            "predict",
            "--model",
            "vgg16-imagenet-conv",
            "--json",
            "--backend",
            backend,
        ];
        args.extend(imgs.iter().map(|s| s.as_str()));
        let ours = predict_layers(&neurons_ok(&args));
        for (i, img) in imgs.iter().enumerate() {
            let reference = ort[img].as_object().unwrap();
            let (layer, err) = worst_relative_error(&ours[i], reference);
            println!("{backend} vs ORT, {img}: worst relative error {err:.2e} ({layer})");
            assert!(
                err <= 1e-4,
                "{backend}: {layer} differs from ORT by {err:.2e} of its max response"
            );
        }
        per_backend.push(ours);
    }
    for (i, (cpu, gpu)) in per_backend[0].iter().zip(&per_backend[1]).enumerate() {
        let (layer, err) = worst_relative_error(cpu, gpu);
        println!("cpu vs wgpu, image {i}: worst relative error {err:.2e} ({layer})");
        assert!(err <= 1e-4, "cpu and wgpu disagree in {layer} by {err:.2e}");
    }
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
