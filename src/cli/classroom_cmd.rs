//! `neurons classroom`: the lab's classroom experiment on this machine, the same code the page
//! runs on its pool ([`crate::analysis::classroom::run_set`]): a layer's selective units of a
//! shipped profile lesioned and enhanced against random draws of as many units, scored by the
//! profile's readout on the classroom set (`static/classroom/`), at the α of the shipped
//! experiment (`static/reference/`).

use super::predict::load_network;
use super::{engine, read};
use crate::analysis::classroom::{alphas_for, run_set, ClassroomSet};
use crate::analysis::experiment::readout_layer;
use crate::analysis::features::{LocalFeatures, LowerCache, Progress};
use crate::analysis::reference::Reference;
use crate::preprocess::{prepare, Prepared};
use crate::protocol::Failure;
use clap::Args;
use serde_json::json;
use std::path::{Path, PathBuf};
use web_time::Instant;

#[derive(Args)]
pub struct ClassroomArgs {
    /// The shipped profile of the model (its selective units and readout).
    #[arg(long)]
    profile: PathBuf,
    /// The classroom set's folder (with `set.json`).
    #[arg(long, default_value = "static/classroom")]
    set: PathBuf,
    /// The shipped experiment whose α to enhance with (default:
    /// `static/reference/<model>.json` when it exists; α = 1 without one).
    #[arg(long)]
    reference: Option<PathBuf>,
    /// Layers to intervene in (default: the readout's own layer).
    #[arg(long, value_delimiter = ',')]
    layers: Option<Vec<String>>,
    #[command(flatten)]
    passes: super::PassArgs,
    /// Print JSON: {"model", "layers": [{"layer", "rows", "images", "seconds"}]}.
    #[arg(long)]
    json: bool,
}

struct Quiet;

impl Progress for Quiet {
    async fn tick(&mut self, _work: u64) -> Result<(), Failure> {
        Ok(())
    }
}

pub fn run(a: ClassroomArgs, dir: &Path) -> Result<(), String> {
    let p = super::compare_cmd::load_profile(&a.profile)?;
    let manifest = a.set.join("set.json");
    let text = String::from_utf8(read(&manifest)?)
        .map_err(|_| format!("{}: not UTF-8", manifest.display()))?;
    let set = ClassroomSet::parse(&text).map_err(|f| format!("{}: {f}", manifest.display()))?;
    let labels = set.labels(&p.classes).map_err(|f| f.message)?;
    let ref_path = a
        .reference
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("static/reference/{}.json", p.model)));
    let shipped = match std::fs::read_to_string(&ref_path) {
        Ok(t) => {
            Reference::parse(&t, &p.model)
                .map_err(|f| format!("{}: {f}", ref_path.display()))?
                .rows
        }
        Err(_) if a.reference.is_none() => Vec::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", ref_path.display())),
    };
    let layers = match a.layers.clone() {
        Some(l) => l,
        None => vec![readout_layer(&p).ok_or("the readout reads no conv layer: pass --layers")?],
    };
    let eng = engine(&a.passes.backend)?;
    let (net, entry) = load_network(dir, &p.model, &eng)?;
    let images: Vec<Prepared> = set
        .images
        .iter()
        .map(|im| {
            let path = a.set.join(&im.file);
            prepare(&read(&path)?, &entry.preprocessing, true)
                .map_err(|e| format!("{}: {e}", path.display()))
        })
        .collect::<Result<_, _>>()?;
    let refs: Vec<&Prepared> = images.iter().collect();
    let mut source = LocalFeatures {
        engine: &eng,
        net: &net,
        val: &[],
        test: &refs,
        batch: a.passes.batch,
        progress: Quiet,
        lower: [LowerCache::off(), LowerCache::off()],
    };
    let mut out = Vec::new();
    for layer in &layers {
        let t0 = Instant::now();
        let alphas = alphas_for(&shipped, layer, &p.classes);
        let r = pollster::block_on(run_set(
            &mut source,
            &p,
            layer,
            &alphas,
            &labels,
            a.passes.controls,
        ))
        .map_err(|f| f.message)?;
        let seconds = t0.elapsed().as_secs_f64();
        if !a.json {
            println!("{layer} ({} images, {seconds:.1} s):", labels.len());
            for r in &r.rows {
                println!(
                    "  {:<10} {:>3} units  F1 {:.3} → lesion {:.3}, random {:.3} ± {:.3}; enhance (α = {}) {:.3}",
                    r.emotion, r.n_units, r.f1_before, r.f1_lesion, r.control_lesion.mean,
                    r.control_lesion.sd, r.best_alpha, r.f1_enhance
                );
            }
        }
        out.push(json!({"layer": layer, "rows": r.rows, "images": r.images, "seconds": seconds}));
    }
    if a.json {
        println!(
            "{}",
            json!({"model": p.model, "set": set.name, "layers": out})
        );
    }
    Ok(())
}
