//! Profiling end to end (untrained AlexNet): determinism, the statistics and their spread against
//! numpy, bad profiles refused, bad images skipped, all on sets the tests draw themselves; and the
//! OASIS loader on real OASIS when it is there (`NEURONS_OASIS`, skipped with a line when not).
//! What is done with a profile afterwards (experiment, report, overlap) is in `experiment.rs`.
#![cfg(feature = "cli")]

mod common;
use common::*;
use std::process::Command;

#[test]
fn profiles_are_deterministic_and_match_numpy() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    let set = drawn(dir.path());
    let stdout = profile_untrained(&a, &set, "7", &["--dump-responses", "--splits", "5"]);
    assert!(stdout.contains("training split only"), "{stdout}");
    profile_untrained(&b, &set, "7", &[]);
    profile_untrained(&c, &set, "8", &[]);
    let read = |p: &std::path::Path| std::fs::read(p.join("profile.json")).unwrap();
    assert_eq!(read(&a), read(&b), "same seed, byte-identical profile");
    assert_ne!(read(&a), read(&c), "another seed, another split");

    let csv = std::fs::read_to_string(a.join("units.csv")).unwrap();
    assert_eq!(
        csv.lines().next().unwrap(),
        "layer,unit,si,preferred,tuning_pleasant,tuning_neutral,tuning_unpleasant,selected,p_null,valence_r,arousal_r"
    );
    assert_eq!(csv.lines().count(), 1 + 64 + 192 + 384 + 256 + 256);
    let selected = csv
        .lines()
        .filter(|l| l.starts_with("conv2,") && l.contains(",true,"))
        .count();
    assert_eq!(selected, 154, "top 80 % of 192 units (rounded)");

    let stdout = python("tests/stats_reference.py", &[a.as_os_str()]);
    let worst: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    println!("ours vs numpy: {worst}");
    assert!(worst["tuning"].as_f64().unwrap() < 1e-4, "{worst}");
    assert!(worst["si"].as_f64().unwrap() < 1e-4, "{worst}");
    assert_eq!(worst["preferred_mismatch"].as_u64().unwrap(), 0, "{worst}");
    // The rank SI of the first of the five runs `--splits` made (the default), against numpy.
    assert!(worst["rank_si"].as_f64().unwrap() < 1e-4, "{worst}");
    let spread: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("robustness.json")).unwrap()).unwrap();
    let runs = spread["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 5);
    // An untrained model: every run draws its own initialisation and its own split.
    assert_eq!(runs[0]["init_seed"], spread["runs"][0]["init_seed"]);
    assert_ne!(runs[0]["init_seed"], runs[1]["init_seed"]);
    assert_eq!(runs[3]["split_seed"], 10);
    let share = &spread["layers"][4]["share"];
    let shares: Vec<f64> = runs
        .iter()
        .map(|r| r["layers"][4]["share"].as_f64().unwrap())
        .collect();
    let mean = shares.iter().sum::<f64>() / 5.0;
    assert!(
        (share["mean"].as_f64().unwrap() - mean).abs() < 1e-12,
        "{share}"
    );
    let md = std::fs::read_to_string(a.join("robustness.md")).unwrap();
    assert!(md.contains("share beating the null (ranks)"), "{md}");
}

#[test]
fn bad_profiles_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("p");
    let set = drawn(dir.path());
    profile_untrained(&good, &set, "1", &[]);
    let text = std::fs::read_to_string(good.join("profile.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut x = v.clone();
        f(&mut x);
        x.to_string()
    };
    let cases: Vec<(&str, String)> = vec![
        ("version 99", edit(&|x| x["version"] = 99.into())),
        (
            "no version",
            edit(&|x| {
                x.as_object_mut().unwrap().remove("version");
            }),
        ),
        (
            "incomplete",
            edit(&|x| {
                x.as_object_mut().unwrap().remove("readout");
            }),
        ),
        (
            "NaN or invalid",
            edit(&|x| x["layers"][1]["units"][3]["tuning"] = serde_json::json!([0.1, 0.2])),
        ),
        (
            "NaN or invalid",
            edit(&|x| x["layers"][0]["units"][2]["genuine"] = 7.into()),
        ),
        (
            "ratings do not match its images",
            edit(&|x| x["ratings"] = serde_json::json!([[4.0, 3.0]])),
        ),
        (
            "malformed",
            edit(&|x| x["readout"]["joint"]["bias"] = serde_json::json!([0.0])),
        ),
        (
            "not valid JSON",
            text.replacen("\"si\":", "\"si\":NaN,\"x\":", 1),
        ),
    ];
    for (want, body) in cases {
        let p = dir.path().join("bad.json");
        std::fs::write(&p, body).unwrap();
        let e = neurons_err(&[
            "experiment",
            "--profile",
            p.to_str().unwrap(),
            "--dataset",
            &set,
            "--out",
            "/tmp/none",
        ]);
        assert!(e.contains(want), "{want}: {e}");
    }
    let e = emotion_neurons::analysis::profile::Profile::parse(&text, Some("vgg16-imagenet-conv"))
        .unwrap_err();
    assert!(
        e.message.contains("is for model `alexnet-untrained`"),
        "{e}"
    );
}

#[test]
fn unreadable_images_are_skipped_by_name_and_tiny_classes_refused() {
    let dir = tempfile::tempdir().unwrap();
    let set = drawn_set(&dir.path().join("set"), 3);
    std::fs::remove_dir_all(set.join("neutral")).unwrap();
    std::fs::write(
        set.join("pleasant/broken.jpg"),
        b"\xff\xd8\xff not really a jpeg",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_neurons"))
        .current_dir(root())
        .args([
            "--quiet",
            "profile",
            "--model",
            "alexnet-untrained",
            "--permutations",
            "20",
            "--splits",
            "1",
            "--dataset",
        ])
        .arg(format!("folder:{}", set.display()))
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("broken.jpg") && stderr.contains("corrupt"),
        "{stderr}"
    );
    // Removing all but one unpleasant image leaves a class too small.
    for n in ["unpleasant1", "unpleasant2"] {
        std::fs::remove_file(set.join(format!("unpleasant/{n}.png"))).unwrap();
    }
    let e = neurons_err(&[
        "profile",
        "--model",
        "alexnet-untrained",
        "--dataset",
        &format!("folder:{}", set.display()),
        "--out",
        "/tmp/none",
    ]);
    assert!(e.contains("class `unpleasant` has 1 usable image"), "{e}");
}

#[test]
fn oasis_is_read_with_its_ratings_and_recorded_by_checksum() {
    let Some(oasis) = oasis_or_skip("oasis_is_read_with_its_ratings_and_recorded_by_checksum")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    let spec = format!("oasis:{}", oasis.display());
    profile_untrained(&out, &spec, "1", &["--dump-responses", "--splits", "2"]);
    let p: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("profile.json")).unwrap()).unwrap();
    // By name and the checksum of its CSV, not by this machine's path.
    let csv = std::fs::read(oasis.join("OASIS.csv")).unwrap();
    let want = format!(
        "OASIS (OASIS.csv sha256 {})",
        &emotion_neurons::weights::sha256_hex(&csv)[..16]
    );
    assert_eq!(p["dataset"], want.as_str());
    assert_eq!(p["thresholds"]["low"], 3.5);
    assert_eq!(p["images"].as_array().unwrap().len(), 60);
    // The first 60 rows of OASIS.csv, labelled by their valence.
    let text = String::from_utf8(csv).unwrap();
    for (row, (name, label)) in text.lines().skip(1).zip(
        p["images"]
            .as_array()
            .unwrap()
            .iter()
            .zip(p["labels"].as_array().unwrap()),
    ) {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!(name.as_str().unwrap(), format!("{}.jpg", f[1].trim()));
        let v: f64 = f[4].parse().unwrap();
        let want = if v > 5.0 {
            0
        } else if v >= 3.5 {
            1
        } else {
            2
        };
        assert_eq!(label.as_u64().unwrap(), want, "{row}");
    }
    // OASIS's mean ratings feed the valence and arousal ridge readouts, scored on the test split.
    let affect = p["affect"]
        .as_array()
        .expect("OASIS profiles carry affect readouts");
    assert_eq!(affect.len(), 2);
    for (f, target) in affect.iter().zip(["valence", "arousal"]) {
        assert_eq!(f["target"], target);
        let (r, lo, hi) = (
            f["r"].as_f64().unwrap(),
            f["r_ci95"][0].as_f64().unwrap(),
            f["r_ci95"][1].as_f64().unwrap(),
        );
        assert!(lo <= r && r <= hi && (-1.0..=1.0).contains(&r), "{f}");
        assert!(f["n_test"].as_u64().unwrap() > 0 && f["rmse"].as_f64().unwrap() > 0.0);
    }
    // Each unit's r with valence and arousal (training split), against numpy's corrcoef.
    let stdout = python(
        "tests/stats_reference.py",
        &[out.as_os_str(), oasis.join("OASIS.csv").as_os_str()],
    );
    let worst: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    println!("ours vs numpy on OASIS: {worst}");
    assert!(worst["affect_r"].as_f64().unwrap() < 1e-5, "{worst}");
    assert!(worst["si"].as_f64().unwrap() < 1e-4, "{worst}");
}
