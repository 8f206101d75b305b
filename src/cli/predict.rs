//! `neurons predict`: unit responses (spatial means) per conv layer, and ImageNet top-5 when the
//! model has a classifier.

use super::{engine, load_manifest, read};
use crate::model::{read_rows, GainMask, Network};
use crate::preprocess::{prepare, Prepared};
use crate::weights::{imagenet_labels, load_entry};
use clap::Args;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct PredictArgs {
    /// Model id from the manifest (see `neurons weights list`).
    #[arg(long)]
    model: String,
    /// Print JSON: {"model", "images": [{"path", "layers": {"conv1_1": [...]}, "top5"}]}.
    #[arg(long)]
    json: bool,
    /// A gain mask JSON: {"layers": {"conv5_3": [gain per unit]}} (0 = lesion, 1+α = enhance).
    #[arg(long)]
    gains: Option<PathBuf>,
    /// cpu (burn flex) or wgpu.
    #[arg(long, default_value = "cpu")]
    backend: String,
    /// Keep colour (the paper uses grayscale, the default).
    #[arg(long)]
    color: bool,
    /// A profile (profile.json) of this model: adds its readout's emotion probabilities (and the
    /// predicted valence and arousal, when the profile has those readouts).
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Writes where the emotion lies in the (one) image, over its crop, as a PNG; needs
    /// `--profile`. With `--json` every emotion's map is printed too.
    #[arg(long)]
    map: Option<PathBuf>,
    /// The emotion drawn by `--map` (default: the readout's top emotion).
    #[arg(long)]
    map_emotion: Option<String>,
    /// Images per forward pass.
    #[arg(long, default_value_t = 8)]
    batch: usize,
    #[arg(required = true)]
    images: Vec<PathBuf>,
}

/// Loads a manifest model onto an engine's device.
pub fn load_network(
    dir: &Path,
    id: &str,
    eng: &crate::engine::Engine,
) -> Result<(Network, crate::ModelEntry), String> {
    let manifest = load_manifest(dir)?;
    let entry = manifest.get(id)?.clone();
    let bytes = match &entry.file {
        Some(f) => {
            let p = dir.join(f);
            if !p.exists() {
                return Err(format!(
                    "{} is missing: run `neurons weights fetch {id}` first",
                    p.display()
                ));
            }
            Some(read(&p)?)
        }
        None => None,
    };
    let map = load_entry(&entry, bytes.as_deref())?;
    Ok((Network::load(entry.arch, &map, &eng.device)?, entry))
}

/// The ImageNet top-5 (the same softmax and ordering as the lab's object guess).
fn softmax_top5(logits: &[f32], labels: &[&str]) -> Value {
    let p = crate::analysis::head::softmax(logits);
    Value::Array(
        crate::analysis::head::top_k(&p, 5)
            .into_iter()
            .map(|i| json!({"class": i, "label": labels.get(i).copied().unwrap_or("?"), "prob": p[i]}))
            .collect(),
    )
}

pub fn run(a: PredictArgs, dir: &Path, quiet: bool) -> Result<(), String> {
    let eng = engine(&a.backend)?;
    let (net, entry) = load_network(dir, &a.model, &eng)?;
    let mask = match &a.gains {
        Some(p) => {
            let m: GainMask = serde_json::from_slice(&read(p)?)
                .map_err(|e| format!("{}: not a gain mask ({e})", p.display()))?;
            m.validate(&net.layers())
                .map_err(|e| format!("{}: {e}", p.display()))?;
            m
        }
        None => GainMask::none(),
    };
    let prepared: Vec<Prepared> = a
        .images
        .iter()
        .map(|p| {
            let bytes = read(p)?;
            prepare(&bytes, &entry.preprocessing, !a.color)
                .map_err(|e| format!("{}: {e}", p.display()))
        })
        .collect::<Result<_, _>>()?;
    let profile = match &a.profile {
        Some(p) => {
            let prof = super::compare_cmd::load_profile(p)?;
            if prof.model != entry.id {
                return Err(format!(
                    "{}: profile is for model `{}`, not `{}`",
                    p.display(),
                    prof.model,
                    entry.id
                ));
            }
            Some(prof)
        }
        None => None,
    };
    let bar = progress(prepared.len(), quiet || a.json);
    let labels = imagenet_labels();
    let mut images = Vec::new();
    for (chunk_i, chunk) in prepared.chunks(a.batch.max(1)).enumerate() {
        let refs: Vec<&Prepared> = chunk.iter().collect();
        let (host, acts) = pollster::block_on(eng.means(&net, &refs, &mask))?;
        let features = match &profile {
            Some(_) => {
                Some(pollster::block_on(crate::analysis::responses::readout_features(&acts))?.0)
            }
            None => None,
        };
        let logits = match acts.logits {
            Some(l) => Some(pollster::block_on(read_rows(l))?),
            None => None,
        };
        for i in 0..chunk.len() {
            let path = &a.images[chunk_i * a.batch.max(1) + i];
            let mut layers = Map::new();
            for (name, m) in host.names.iter().zip(&host.means) {
                layers.insert(name.to_string(), json!(m[i]));
            }
            let mut img = json!({"path": path.display().to_string(), "layers": layers});
            if let Some(l) = &logits {
                img["top5"] = softmax_top5(&l[i], &labels);
            }
            if let (Some(prof), Some(f)) = (&profile, &features) {
                let probs = prof.emotion_probs(&f[i]);
                img["readout"] = prof
                    .classes
                    .iter()
                    .cloned()
                    .zip(probs.iter().map(|p| json!(p)))
                    .collect::<Map<_, _>>()
                    .into();
                if let Some([v, a]) = prof.affect_predict(&f[i]) {
                    img["affect"] = json!({"valence": v, "arousal": a});
                }
            }
            images.push(img);
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    if let Some(out) = &a.map {
        let (Some(prof), [image]) = (&profile, prepared.as_slice()) else {
            return Err("--map needs --profile and exactly one image".into());
        };
        let maps = super::map_out::maps(&eng, &net, image, &mask, prof)?;
        let e = match &a.map_emotion {
            Some(name) => prof.classes.iter().position(|c| c == name).ok_or_else(|| {
                format!(
                    "--map-emotion {name}: the profile's emotions are {}",
                    prof.classes.join(", ")
                )
            })?,
            None => {
                crate::analysis::head::top_k(&maps.iter().map(|m| m.logit()).collect::<Vec<_>>(), 1)
                    [0]
            }
        };
        super::map_out::write_png(out, image, &maps[e])?;
        images[0]["maps"] = json!(maps);
        images[0]["map_emotion"] = json!(prof.classes[e]);
    }
    if a.json {
        println!(
            "{}",
            json!({"model": entry.id, "backend": eng.info.label(), "images": images})
        );
    } else {
        for img in &images {
            println!("{}", img["path"].as_str().unwrap_or(""));
            for (name, v) in img["layers"].as_object().into_iter().flatten() {
                let xs: Vec<f64> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.as_f64())
                    .collect();
                let (best, max) =
                    xs.iter().enumerate().fold(
                        (0, f64::MIN),
                        |b, (i, x)| if *x > b.1 { (i, *x) } else { b },
                    );
                let mean = xs.iter().sum::<f64>() / xs.len().max(1) as f64;
                println!("  {name:<8} {} units  mean response {mean:.4}  strongest unit {best} ({max:.4})", xs.len());
            }
            for t in img
                .get("top5")
                .and_then(|t| t.as_array())
                .into_iter()
                .flatten()
            {
                println!(
                    "  top-5: {} ({:.3})",
                    t["label"].as_str().unwrap_or(""),
                    t["prob"].as_f64().unwrap_or(0.0)
                );
            }
        }
    }
    Ok(())
}

fn progress(n: usize, hidden: bool) -> indicatif::ProgressBar {
    if hidden {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(n as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} images  ETA {eta}")
            .expect("valid template"),
    );
    bar
}
