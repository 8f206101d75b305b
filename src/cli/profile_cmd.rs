//! `neurons profile`: the paper's method on a labelled set.

use super::predict::load_network;
use super::progress::bar;
use super::splits::Runs;
use super::{engine, read, write};
use crate::analysis::dataset::{Dataset, Thresholds};
use crate::analysis::pipeline::{build_profile, ProfileConfig};
use crate::analysis::readout::TrainConfig;
use crate::analysis::responses::compute;
use clap::Args;
use std::path::{Path, PathBuf};
use web_time::Instant;

#[derive(Args)]
pub struct ProfileArgs {
    #[arg(long)]
    model: String,
    /// oasis:PATH, folder:PATH or csv:FILE.
    #[arg(long)]
    dataset: String,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    out: PathBuf,
    /// OASIS valence thresholds: unpleasant < LOW, pleasant > HIGH.
    #[arg(long, default_value_t = 3.5)]
    low: f64,
    #[arg(long, default_value_t = 5.0)]
    high: f64,
    /// Share of units kept as "selective" by SI, per layer.
    #[arg(long, default_value_t = 0.8)]
    top_fraction: f64,
    #[arg(long, default_value_t = 200)]
    permutations: usize,
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    #[arg(long, default_value = "cpu")]
    backend: String,
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// Use only the first N images of the set (quick runs).
    #[arg(long)]
    limit: Option<usize>,
    /// Also profile this many seeded splits of the same responses (split seeds `seed`,
    /// `seed + 1`, …) and write their spread to `robustness.json` and `robustness.md`; for a
    /// seeded (untrained) model each run also draws its own initialisation. 1 turns it off.
    #[arg(long, default_value_t = 5)]
    splits: usize,
    /// With `--splits`, keep the shipped initialisation of a seeded model (vary the split only).
    #[arg(long)]
    same_init: bool,
    /// Also write every unit's response to every image (`responses.json`).
    #[arg(long)]
    dump_responses: bool,
}

pub(super) fn load_dataset(
    spec: &str,
    t: Thresholds,
    limit: Option<usize>,
) -> Result<Dataset, String> {
    let mut ds = Dataset::load(spec, t)?;
    if let Some(n) = limit {
        ds.items.truncate(n);
        ds.check_sizes()?;
    }
    for s in &ds.skipped {
        eprintln!("skipped: {s}");
    }
    Ok(ds)
}

pub fn profile(a: ProfileArgs, dir: &Path, quiet: bool) -> Result<(), String> {
    let t = Thresholds {
        low: a.low,
        high: a.high,
    };
    let ds = load_dataset(&a.dataset, t, a.limit)?;
    let eng = engine(&a.backend)?;
    let (net, entry) = load_network(dir, &a.model, &eng)?;
    let pb = bar(ds.items.len(), quiet, "images");
    let t0 = Instant::now();
    let (resp, failed) = pollster::block_on(compute(
        &eng,
        &net,
        &entry.preprocessing,
        true,
        ds.items.len(),
        |i| read(&ds.items[i].path).map_err(crate::error::Failure::bad_input),
        a.batch,
        |done, _| pb.set_position(done as u64),
    ))?;
    pb.finish_and_clear();
    let secs = t0.elapsed().as_secs_f64();
    let reasons: Vec<String> = failed
        .iter()
        .map(|(i, e)| format!("{}: {e}", ds.items[*i].path.display()))
        .collect();
    for r in &reasons {
        eprintln!("skipped: {r}");
    }
    let ds = ds.without(&failed.iter().map(|f| f.0).collect::<Vec<_>>(), reasons);
    ds.check_sizes()?;
    let cfg = ProfileConfig {
        seed: a.seed,
        top_fraction: a.top_fraction,
        n_permutations: a.permutations,
        train: TrainConfig {
            epochs: a.epochs,
            ..TrainConfig::default()
        },
    };
    let thresholds = a.dataset.starts_with("oasis:").then_some(t);
    let p = build_profile(&entry.id, &ds, thresholds, &resp, &cfg);
    write(&a.out.join("profile.json"), p.to_json().as_bytes())?;
    write(&a.out.join("units.csv"), p.units_csv().as_bytes())?;
    let spread = (a.splits > 1)
        .then(|| {
            let runs = Runs {
                eng: &eng,
                entry: &entry,
                ds: &ds,
                thresholds,
                cfg: &cfg,
                batch: a.batch,
                vary_init: !a.same_init,
                out: &a.out,
            };
            runs.spread(&p, &resp, a.splits, quiet)
        })
        .transpose()?;
    if let Some(s) = &spread {
        write(
            &a.out.join("robustness.json"),
            serde_json::to_string_pretty(s)
                .map_err(|e| e.to_string())?
                .as_bytes(),
        )?;
        write(&a.out.join("robustness.md"), s.markdown().as_bytes())?;
    }
    if a.dump_responses {
        let layers: serde_json::Map<String, serde_json::Value> = resp
            .layers
            .iter()
            .zip(&resp.data)
            .zip(&resp.units)
            .map(|((n, d), u)| {
                (
                    n.clone(),
                    serde_json::json!(d.chunks(*u).collect::<Vec<_>>()),
                )
            })
            .collect();
        let dump = serde_json::json!({"labels": p.labels, "split": p.split, "layers": layers});
        write(&a.out.join("responses.json"), dump.to_string().as_bytes())?;
    }
    println!(
        "{}: {} images ({} per class: {:?}), responses in {secs:.1} s ({:.2} images/s)",
        entry.id,
        ds.items.len(),
        ds.classes.join("/"),
        ds.counts(),
        ds.items.len() as f64 / secs.max(1e-9)
    );
    println!("per-unit statistics from the {}", p.statistics_from);
    for l in &p.layers {
        println!(
            "  {:<8} share of units beating the permutation null (95%): {:5.1}%",
            l.name,
            100.0 * l.share_significant
        );
    }
    let f1: Vec<String> = p
        .classes
        .iter()
        .zip(&p.readout.f1_binary)
        .map(|(c, f)| format!("{c} {f:.3}"))
        .collect();
    println!(
        "readout on {}: test F1 {}; joint macro F1 {:.3}",
        p.readout.features,
        f1.join(", "),
        p.readout.f1_joint_macro
    );
    for f in &p.affect {
        println!(
            "ridge readout of mean {} ({} test images, λ {}): r {:.3} [95 % CI {:.3}, {:.3}], \
             RMSE {:.3} [{:.3}, {:.3}] (predicting the mean: {:.3})",
            f.target,
            f.n_test,
            f.lambda,
            f.r,
            f.r_ci95[0],
            f.r_ci95[1],
            f.rmse,
            f.rmse_ci95[0],
            f.rmse_ci95[1],
            f.rmse_mean_only
        );
    }
    if let Some(s) = &spread {
        println!("\n{}", s.markdown());
        println!("wrote {}", a.out.join("robustness.md").display());
    }
    println!("wrote {}", a.out.join("profile.json").display());
    Ok(())
}
