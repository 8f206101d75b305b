//! After profiling (untrained AlexNet, on sets the tests draw themselves): the experiment's
//! outputs and its record (refused reruns, `--resume`), `report`'s figures, and the overlap of
//! two sets with the genuine units marked.
#![cfg(feature = "cli")]

mod common;
use common::*;

#[test]
fn experiment_writes_table_csv_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p");
    let set = drawn(dir.path());
    profile_untrained(&p, &set, "3", &[]);
    let out = dir.path().join("e");
    let stdout = neurons_ok(&[
        "--quiet",
        "experiment",
        "--profile",
        p.join("profile.json").to_str().unwrap(),
        "--dataset",
        &set,
        "--out",
        out.to_str().unwrap(),
        "--layers",
        "conv5",
        "--alpha-step",
        "2.5",
        "--controls",
        "5",
    ]);
    assert!(
        stdout.contains("network passes of a held-out part"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "one row per emotion for one layer");
    for r in rows {
        let f: Vec<&str> = r.split(',').collect();
        assert_eq!(f[0], "conv5");
        for v in &f[3..6] {
            let x: f64 = v.parse().unwrap();
            assert!((0.0..=1.0).contains(&x), "F1 {x} out of range");
        }
        assert!(
            ["0", "2.5", "5"].contains(&f[6]),
            "best α from the grid: {}",
            f[6]
        );
    }
    assert!(std::fs::read_to_string(out.join("results.md"))
        .unwrap()
        .contains("| conv5 | pleasant |"));
    assert!(std::fs::read_to_string(out.join("f1_pleasant.svg"))
        .unwrap()
        .starts_with("<svg"));
    // The run is on record: a second run into the same folder is refused unless it resumes, a
    // resumed run skips the finished layer, and a changed setting cannot resume.
    let profile_json = p.join("profile.json");
    let exp = |extra: &[&str]| {
        let mut args = vec![
            "--quiet",
            "experiment",
            "--profile",
            profile_json.to_str().unwrap(),
            "--dataset",
            &set,
            "--out",
            out.to_str().unwrap(),
            "--alpha-step",
            "2.5",
        ];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<String>>()
    };
    let args = exp(&["--layers", "conv5"]);
    let e = neurons_err(&args.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    assert!(e.contains("already holds an experiment run"), "{e}");
    let args = exp(&["--layers", "conv4,conv5", "--resume", "--controls", "3"]);
    let e = neurons_err(&args.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    assert!(
        e.contains("its control draws was 5, this run's is 3"),
        "{e}"
    );
    let args = exp(&["--layers", "conv4,conv5", "--resume"]);
    let stdout = neurons_ok(&args.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    assert!(
        stdout.contains("resuming: 1 of 2 layers already done"),
        "{stdout}"
    );
    assert!(
        stdout.starts_with("resuming") && stdout.contains("\n1 layers in"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let layers: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        layers,
        ["conv4", "conv4", "conv4", "conv5", "conv5", "conv5"],
        "{csv}"
    );
    let rep = dir.path().join("r");
    neurons_ok(&[
        "report",
        "--profile",
        p.join("profile.json").to_str().unwrap(),
        "--out",
        rep.to_str().unwrap(),
    ]);
    for f in [
        "si_by_layer.svg",
        "significant_by_layer.svg",
        "preferred_mix_alexnet-untrained.svg",
        "profiles.md",
    ] {
        assert!(rep.join(f).exists(), "{f}");
    }
    // PNG renderings: a real PNG at twice the SVG's size, with more than one colour in it.
    for f in [rep.join("si_by_layer.png"), out.join("f1_pleasant.png")] {
        let img = image::open(&f)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()))
            .to_rgb8();
        assert_eq!(img.height(), 720, "{}", f.display());
        let first = *img.get_pixel(0, 0);
        assert!(
            img.pixels().filter(|p| **p != first).count() > 1000,
            "{} is blank",
            f.display()
        );
    }
}

#[test]
fn overlap_of_two_sets_reports_chance_level() {
    // Two disjoint halves of a drawn set, as two `path,label` CSVs.
    let dir = tempfile::tempdir().unwrap();
    drawn_set(&dir.path().join("set"), 20);
    let mut a = String::from("path,label\n");
    let mut b = a.clone();
    for class in ["pleasant", "neutral", "unpleasant"] {
        for i in 0..20 {
            let row = format!("set/{class}/{class}{i}.png,{class}\n");
            if i % 2 == 0 {
                a += &row
            } else {
                b += &row
            }
        }
    }
    std::fs::write(dir.path().join("a.csv"), a).unwrap();
    std::fs::write(dir.path().join("b.csv"), b).unwrap();
    for s in ["a", "b"] {
        neurons_ok(&[
            "--quiet",
            "profile",
            "--model",
            "alexnet-untrained",
            "--permutations",
            "50",
            "--splits",
            "1",
            "--dataset",
            &format!("csv:{}", dir.path().join(format!("{s}.csv")).display()),
            "--out",
            dir.path().join(s).to_str().unwrap(),
        ]);
    }
    // Mark the genuine units in a copy of a's profile.
    let marked = dir.path().join("marked.json");
    std::fs::copy(dir.path().join("a/profile.json"), &marked).unwrap();
    let out = neurons_ok(&[
        "overlap",
        dir.path().join("a/profile.json").to_str().unwrap(),
        dir.path().join("b/profile.json").to_str().unwrap(),
        "--mark",
        marked.to_str().unwrap(),
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "layer,emotion,units,selective_a,selective_b,both,expected_by_chance,p_value"
    );
    assert_eq!(lines.len(), 1 + 5 * 4, "{out}");
    let mut both_by_emotion = 0.0;
    for l in &lines[1..] {
        let f: Vec<f64> = l.split(',').skip(2).map(|x| x.parse().unwrap()).collect();
        let (n, sa, sb, both, expected, p) = (f[0], f[1], f[2], f[3], f[4], f[5]);
        assert!(both <= sa.min(sb));
        assert!((expected - sa * sb / n).abs() < 0.01, "{l}");
        assert!((0.0..=1.0).contains(&p), "{l}");
        if !l.contains(",any,") {
            both_by_emotion += both;
        }
    }
    // The marks are exactly the units both sets agree on, emotion by emotion.
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(&marked).unwrap()).unwrap();
    let marks = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["units"].as_array().unwrap().clone())
        .filter(|u| u.get("genuine").is_some())
        .count();
    assert_eq!(marks as f64, both_by_emotion);
    assert!(m["genuine_from"].as_str().unwrap().contains("on both"));
    let e = neurons_err(&[
        "overlap",
        dir.path().join("a/profile.json").to_str().unwrap(),
        "/nonexistent.json",
    ]);
    assert!(e.contains("cannot read"), "{e}");
}
