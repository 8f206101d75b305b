//! The teacher's view on hand-made worksheets: three merge, bad and foreign files are refused
//! one by one with their reason, and the CSV holds each student's answers and set-level F1s.

use super::*;
use crate::lesson::{parse, ENGLISH};

fn sheet(student: &str, f1_lesion: f64) -> Worksheet {
    let lesson = parse(ENGLISH).unwrap();
    let answers = vec![
        "pleasant".to_string(),
        String::new(),
        "the \"selective\" one".into(),
    ];
    let run = ClassSetRun {
        model: "vgg16-imagenet-conv".into(),
        layer: "conv5_3".into(),
        images: 83,
        rows: vec![ClassSetRow {
            emotion: "pleasant".into(),
            units: 142,
            f1: 0.6,
            f1_lesion,
            f1_random: 0.55,
            f1_enhance: 0.61,
            alpha: 0.1,
        }],
    };
    Worksheet::build(
        &lesson,
        student,
        "2026-12-06 10:00",
        &answers,
        &[true],
        &[],
        &[run],
    )
}

#[test]
fn three_worksheets_merge_and_export() {
    let files: Vec<(String, Worksheet)> = ["Ada", "Ben", "Cy"]
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let json = sheet(n, 0.1 * i as f64).to_json();
            (
                format!("{n}.json"),
                read_worksheet(&format!("{n}.json"), json.as_bytes()).unwrap(),
            )
        })
        .collect();
    let (t, refused) = ClassTable::merge(files);
    assert!(refused.is_empty());
    assert_eq!(t.students.len(), 3);
    assert_eq!(t.steps.len(), parse(ENGLISH).unwrap().steps.len());
    let csv = t.to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[0].starts_with("student,date,\"1. Pick an image\""),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with("model,layer,emotion,units,f1,f1_lesion,f1_random,f1_enhance,alpha"));
    assert!(
        lines[2].starts_with(
            "\"Ben\",\"2026-12-06 10:00\",\"pleasant\",\"\",\"the \"\"selective\"\" one\""
        ),
        "{}",
        lines[2]
    );
    assert!(
        lines[2].ends_with(
            "\"vgg16-imagenet-conv\",\"conv5_3\",\"pleasant\",142,0.6000,0.1000,0.5500,0.6100,0.1"
        ),
        "{}",
        lines[2]
    );
}

#[test]
fn bad_and_foreign_files_are_refused_by_name() {
    let e = read_worksheet("cat.jpg", &[0xff, 0xd8, 0xff, 0xe0, 0x80])
        .unwrap_err()
        .message;
    assert!(e.starts_with("cat.jpg: not a text file"), "{e}");
    let e = read_worksheet("half.json", b"{\"lesson\": \"x\", \"ste")
        .unwrap_err()
        .message;
    assert!(e.starts_with("half.json: not JSON"), "{e}");
    let e = read_worksheet("profile.json", br#"{"version": 1, "model": "m"}"#)
        .unwrap_err()
        .message;
    assert!(e.contains("not an Emotion Neurons worksheet"), "{e}");
    let e = read_worksheet("odd.json", br#"{"lesson": "x", "steps": 3}"#)
        .unwrap_err()
        .message;
    assert!(e.starts_with("odd.json: a damaged worksheet"), "{e}");
    let big = vec![b' '; MAX_WORKSHEET_BYTES + 1];
    assert!(read_worksheet("big.json", &big)
        .unwrap_err()
        .message
        .contains("too large"));
    // A worksheet of another lesson (fewer steps) is refused; the others stay.
    let mut other = sheet("Dee", 0.0);
    other.steps.truncate(2);
    let (t, refused) = ClassTable::merge(vec![
        ("a.json".into(), sheet("Ada", 0.0)),
        ("d.json".into(), other),
    ]);
    assert_eq!(t.students.len(), 1);
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0].starts_with("d.json: a worksheet of another lesson"),
        "{}",
        refused[0]
    );
}

#[test]
fn a_run_measured_again_replaces_the_old_one() {
    let mut list = Vec::new();
    let run = sheet("x", 0.0).class_set[0].clone();
    ClassSetRun::record(&mut list, run.clone());
    let mut again = run.clone();
    again.rows[0].f1_lesion = 0.3;
    ClassSetRun::record(&mut list, again.clone());
    let mut other = run;
    other.layer = "conv4_3".into();
    ClassSetRun::record(&mut list, other);
    assert_eq!(list.len(), 2);
    assert_eq!(list[0], again);
    // Worksheets made before class-set runs existed still read.
    let mut v: serde_json::Value = serde_json::from_str(&sheet("y", 0.0).to_json()).unwrap();
    v.as_object_mut().unwrap().remove("class_set");
    let old = read_worksheet("old.json", v.to_string().as_bytes()).unwrap();
    assert!(old.class_set.is_empty());
}
