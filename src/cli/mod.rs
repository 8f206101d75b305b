//! The `neurons` CLI (native only, behind the `cli` feature). Every error is one line.

mod bench;
mod classroom_cmd;
mod compare_cmd;
mod experiment_cmd;
mod map_out;
mod pack_cmd;
mod predict;
mod profile_cmd;
mod progress;
mod report;
mod splits;
mod spread_cmd;
mod weights_cmd;

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::engine::Engine;
use crate::weights::manifest::Manifest;

#[derive(Parser)]
#[command(
    name = "neurons",
    version,
    about = "Emotion-selective units in CNNs: weights and inference"
)]
struct Cli {
    /// Folder holding manifest.json and the weight files.
    #[arg(long, global = true, default_value = "weights")]
    weights_dir: PathBuf,
    /// Hide progress bars.
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

/// How an experiment's passes run (`experiment` and `classroom` share these).
#[derive(clap::Args)]
pub struct PassArgs {
    /// Random-unit draws per condition.
    #[arg(long, default_value_t = 5)]
    pub controls: usize,
    #[arg(long, default_value = "cpu")]
    pub backend: String,
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
}

#[derive(Subcommand)]
enum Command {
    /// Fetch, convert, generate or list model weights.
    Weights {
        #[command(subcommand)]
        action: weights_cmd::WeightsAction,
    },
    /// Run images through a model and print each conv layer's unit responses.
    Predict(predict::PredictArgs),
    /// Profile emotion selectivity on a labelled set and train the readout.
    Profile(profile_cmd::ProfileArgs),
    /// Lesion/enhance selective units layer by layer, against random-unit controls.
    Experiment(experiment_cmd::ExperimentArgs),
    /// The lab's classroom experiment: a layer's selective units lesioned and enhanced against
    /// random units, scored on the classroom set with a shipped profile.
    Classroom(classroom_cmd::ClassroomArgs),
    /// Figures and a table from one or more profiles (e.g. pretrained vs untrained).
    Report(compare_cmd::ReportArgs),
    /// Units selective on two labelled sets, against the hypergeometric chance level.
    Overlap(compare_cmd::OverlapArgs),
    /// Mean ± sd of several experiment runs (e.g. one per split) as a Markdown table.
    Spread(spread_cmd::SpreadArgs),
    /// Forward-pass timings against ONNX Runtime on the same graph and input.
    Bench(bench::BenchArgs),
}

/// Parses arguments and runs one command.
pub fn run(args: impl IntoIterator<Item = OsString>) -> Result<(), String> {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            print!("{e}");
            return Ok(());
        }
        Err(e) => {
            return Err(e
                .to_string()
                .lines()
                .next()
                .unwrap_or("bad arguments")
                .into())
        }
    };
    match cli.command {
        Command::Weights { action } => weights_cmd::run(action, &cli.weights_dir, cli.quiet),
        Command::Predict(a) => predict::run(a, &cli.weights_dir, cli.quiet),
        Command::Profile(a) => profile_cmd::profile(a, &cli.weights_dir, cli.quiet),
        Command::Experiment(a) => experiment_cmd::experiment(a, &cli.weights_dir, cli.quiet),
        Command::Classroom(a) => classroom_cmd::run(a, &cli.weights_dir),
        Command::Report(a) => compare_cmd::report(a),
        Command::Overlap(a) => compare_cmd::overlap_cmd(a),
        Command::Spread(a) => spread_cmd::spread(a),
        Command::Bench(a) => bench::run(a, &cli.weights_dir),
    }
}

/// `DIR/manifest.json` when present, else the built-in manifest.
pub fn load_manifest(dir: &Path) -> Result<Manifest, String> {
    let path = dir.join("manifest.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => Manifest::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::builtin()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// `cpu` (burn flex) or `wgpu` (Vulkan/Metal/DX12; lavapipe without a GPU).
pub fn engine(backend: &str) -> Result<Engine, String> {
    match backend {
        "cpu" => Ok(Engine::cpu("requested")),
        "wgpu" => Engine::wgpu().map_err(String::from),
        other => Err(format!("unknown backend `{other}` (use cpu or wgpu)")),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    // Write beside, then rename: a reader never sees half a file, and a failed write loses nothing.
    let tmp = path.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
