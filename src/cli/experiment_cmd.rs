//! `neurons experiment`: lesion and enhance each layer's selective units against random-unit
//! controls. Results are written as each layer finishes (`experiment.json`, `results.csv`,
//! `results.md`, one chart per emotion), so `--resume` continues a run that was cut off without
//! redoing finished layers.

use super::predict::load_network;
use super::profile_cmd::load_dataset;
use super::{engine, read, write};
use crate::analysis::experiment::{estimates, run_profile, ConditionResult, ExperimentConfig};
use crate::analysis::features::{LocalFeatures, LowerCache, Progress};
use crate::analysis::profile::Profile;
use crate::analysis::sweep::AlphaSearch;
use crate::analysis::valence_lesion::ValenceResult;
use crate::preprocess::{prepare, Prepared};
use crate::protocol::Failure;
use clap::Args;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use web_time::Instant;

#[derive(Args)]
pub struct ExperimentArgs {
    #[arg(long)]
    profile: PathBuf,
    #[arg(long)]
    dataset: String,
    #[arg(long)]
    out: PathBuf,
    /// Layers to intervene in (default: all).
    #[arg(long, value_delimiter = ',')]
    layers: Option<Vec<String>>,
    #[arg(long, default_value_t = 5.0)]
    alpha_max: f32,
    /// The α resolution: the search ends on whole multiples of this step.
    #[arg(long, default_value_t = 0.1)]
    alpha_step: f32,
    /// First pass over 0…max at this step, then `--alpha-step` steps within half of it around the
    /// best. Set it equal to `--alpha-step` for the full grid.
    #[arg(long, default_value_t = 1.0)]
    coarse_step: f32,
    #[command(flatten)]
    passes: super::PassArgs,
    /// Continue the run in `--out`, skipping the layers it finished.
    #[arg(long)]
    resume: bool,
}

/// `experiment.json`: what the run was, and every finished layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub model: String,
    pub dataset: String,
    pub profile_seed: u64,
    pub search: AlphaSearch,
    pub controls: usize,
    pub layers: Vec<LayerDone>,
    pub rows: Vec<ConditionResult>,
    /// The valence lesion per layer, where the profile has ratings.
    #[serde(default)]
    pub valence: Vec<ValenceResult>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerDone {
    pub layer: String,
    pub seconds: f64,
}

impl RunRecord {
    fn fresh(p: &Profile, cfg: &ExperimentConfig) -> Self {
        Self {
            model: p.model.clone(),
            dataset: p.dataset.clone(),
            profile_seed: p.seed,
            search: cfg.search,
            controls: cfg.control_draws,
            layers: Vec::new(),
            rows: Vec::new(),
            valence: Vec::new(),
        }
    }

    /// Why the run on record cannot be continued with these settings, if it cannot.
    pub fn mismatch(&self, other: &RunRecord) -> Option<String> {
        let pairs = [
            ("model", self.model.clone(), other.model.clone()),
            ("data set", self.dataset.clone(), other.dataset.clone()),
            (
                "profile seed",
                self.profile_seed.to_string(),
                other.profile_seed.to_string(),
            ),
            (
                "α search",
                format!("{:?}", self.search),
                format!("{:?}", other.search),
            ),
            (
                "control draws",
                self.controls.to_string(),
                other.controls.to_string(),
            ),
        ];
        pairs
            .into_iter()
            .find(|(_, a, b)| a != b)
            .map(|(what, a, b)| format!("its {what} was {a}, this run's is {b}"))
    }
}

/// Advances the bar by the work done (images × layers computed).
struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    async fn tick(&mut self, work: u64) -> Result<(), Failure> {
        self.0.inc(work);
        Ok(())
    }
}

pub fn experiment(a: ExperimentArgs, dir: &Path, quiet: bool) -> Result<(), String> {
    let p = super::compare_cmd::load_profile(&a.profile)?;
    let cfg = ExperimentConfig {
        search: AlphaSearch {
            max: a.alpha_max,
            // A resolution coarser than the first pass is a plain grid at that step.
            coarse: a.coarse_step.max(a.alpha_step),
            fine: a.alpha_step,
        },
        control_draws: a.passes.controls,
        seed: p.seed,
        batch: a.passes.batch,
    };
    cfg.search.validate()?;
    let record_path = a.out.join("experiment.json");
    let mut record = RunRecord::fresh(&p, &cfg);
    match std::fs::read_to_string(&record_path) {
        Ok(text) if a.resume => {
            let old: RunRecord = serde_json::from_str(&text).map_err(|e| {
                format!("cannot resume: {} is damaged ({e})", record_path.display())
            })?;
            if let Some(why) = old.mismatch(&record) {
                return Err(format!(
                    "cannot resume the run in {}: {why}",
                    a.out.display()
                ));
            }
            record = old;
        }
        Ok(_) => {
            return Err(format!(
                "{} already holds an experiment run: pass --resume to continue it, or choose \
                 another --out",
                a.out.display()
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", record_path.display())),
    }
    let all: Vec<String> = a
        .layers
        .clone()
        .unwrap_or_else(|| p.layers.iter().map(|l| l.name.clone()).collect());
    let todo: Vec<String> = all
        .iter()
        .filter(|l| !record.layers.iter().any(|d| &d.layer == *l))
        .cloned()
        .collect();
    if todo.len() < all.len() {
        println!(
            "resuming: {} of {} layers already done ({:.0} s)",
            all.len() - todo.len(),
            all.len(),
            record.layers.iter().map(|l| l.seconds).sum::<f64>()
        );
    }
    let ds = load_dataset(&a.dataset, p.thresholds.unwrap_or_default(), None)?;
    let eng = engine(&a.passes.backend)?;
    let (net, entry) = load_network(dir, &p.model, &eng)?;
    let names = ds.names();
    // Decoded in parallel (about 450 OASIS images: seconds each way).
    let load = |split: &[usize]| -> Result<Vec<Prepared>, String> {
        use rayon::prelude::*;
        split
            .par_iter()
            .map(|&i| {
                let j = names
                    .iter()
                    .position(|n| n == &p.images[i])
                    .ok_or_else(|| {
                        format!(
                            "image `{}` of the profile is not in {}",
                            p.images[i], a.dataset
                        )
                    })?;
                prepare(&read(&ds.items[j].path)?, &entry.preprocessing, true).map_err(String::from)
            })
            .collect()
    };
    let (val, test) = (load(&p.split.val)?, load(&p.split.test)?);
    let (val_r, test_r): (Vec<&Prepared>, Vec<&Prepared>) =
        (val.iter().collect(), test.iter().collect());
    // Progress in images × layers computed, estimated up front and corrected per layer.
    let estimates = estimates(&p, &todo, &cfg);
    let pb = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let b = indicatif::ProgressBar::new(estimates.iter().sum());
        let t = "{bar:40} {percent:>3}% {msg}  elapsed {elapsed_precise}  ETA {eta_precise}";
        b.set_style(indicatif::ProgressStyle::with_template(t).expect("valid template"));
        b
    };
    let mut source = LocalFeatures {
        engine: &eng,
        net: &net,
        val: &val_r,
        test: &test_r,
        batch: cfg.batch,
        progress: Bar(pb.clone()),
        // Each part's intervened-layer outputs, kept between its calls up to 2 GiB (every VGG-16
        // layer from conv2_1 up, for OASIS's parts of about 225 images).
        lower: [LowerCache::up_to(2 << 30), LowerCache::up_to(2 << 30)],
    };
    let t_run = Instant::now();
    let mut t_layer = Instant::now();
    let mut finished = 0;
    pb.set_message(format!(
        "{} (1 of {})",
        todo.first().map_or("", |s| s),
        todo.len()
    ));
    let stats = pollster::block_on(run_profile(&mut source, &p, &todo, &cfg, |rows| {
        let layer = todo[finished].clone();
        let seconds = t_layer.elapsed().as_secs_f64();
        record.rows.extend(rows.rows);
        record.valence.extend(rows.valence);
        record.layers.push(LayerDone {
            layer: layer.clone(),
            seconds,
        });
        write_record(&a.out, &p, &record)?;
        finished += 1;
        pb.set_length(pb.position() + estimates[finished..].iter().sum::<u64>());
        if let Some(next) = todo.get(finished) {
            pb.set_message(format!("{next} ({} of {})", finished + 1, todo.len()));
        }
        let line = format!("{layer}: done in {seconds:.1} s");
        // A hidden bar (not a terminal, or --quiet) prints nothing: the log still gets the line.
        if pb.is_hidden() {
            eprintln!("{line}");
        } else {
            pb.println(line);
        }
        t_layer = Instant::now();
        Ok(())
    }))
    .map_err(|f| f.message)?;
    pb.finish_and_clear();
    let secs = t_run.elapsed().as_secs_f64();
    let total: f64 = record.layers.iter().map(|l| l.seconds).sum();
    println!(
        "{} layers in {secs:.1} s ({total:.1} s over the whole run); {} network passes of a \
         held-out part, {} conditions answered without one",
        todo.len(),
        stats.passes,
        stats.saved
    );
    println!("wrote {}", a.out.join("results.csv").display());
    Ok(())
}

/// Writes the record and the tables and charts made from its rows.
fn write_record(out: &Path, p: &Profile, record: &RunRecord) -> Result<(), Failure> {
    let json = serde_json::to_string_pretty(record).map_err(|e| e.to_string())?;
    write(&out.join("experiment.json"), json.as_bytes())?;
    // Tables and charts in the network's layer order, whatever order the layers ran in.
    let order = |l: &str| p.layers.iter().position(|x| x.name == l);
    let mut rows = record.rows.clone();
    rows.sort_by_key(|r| order(&r.layer));
    let mut valence = record.valence.clone();
    valence.sort_by_key(|r| order(&r.layer));
    super::report::write_results(out, p, &rows, &valence)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_only_the_same_run() {
        let r = RunRecord {
            model: "m".into(),
            dataset: "oasis:x".into(),
            profile_seed: 1,
            search: AlphaSearch::default(),
            controls: 5,
            layers: Vec::new(),
            rows: Vec::new(),
            valence: Vec::new(),
        };
        assert_eq!(r.mismatch(&r.clone()), None);
        let other = RunRecord {
            controls: 3,
            ..r.clone()
        };
        assert_eq!(
            r.mismatch(&other).unwrap(),
            "its control draws was 5, this run's is 3"
        );
        let grid = RunRecord {
            search: AlphaSearch::grid(5.0, 0.1),
            ..r.clone()
        };
        assert!(r.mismatch(&grid).unwrap().contains("α search"));
    }
}
