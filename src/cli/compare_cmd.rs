//! `neurons report` (figures from one or more profiles) and `neurons overlap` (cross-data-set
//! agreement of selective units, against the hypergeometric chance level).

use super::{read, write};
use crate::analysis::figures;
use crate::analysis::overlap::{genuine, overlap, significant};
use crate::analysis::profile::Profile;
use crate::analysis::robust::Spread;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct ReportArgs {
    /// Profiles to compare (e.g. pretrained and untrained); repeat the flag.
    #[arg(long = "profile", required = true)]
    profiles: Vec<PathBuf>,
    #[arg(long)]
    out: PathBuf,
    /// `robustness.json` files (`profile --splits`) to draw with error bars; repeat the flag.
    #[arg(long = "spread")]
    spreads: Vec<PathBuf>,
}

#[derive(Args)]
pub struct OverlapArgs {
    /// Profile of the model on the first labelled set.
    a: PathBuf,
    /// Profile of the same model on the second labelled set.
    b: PathBuf,
    /// Mark the units selective for the same emotion on both sets as "genuine" in this profile
    /// (of the same model; rewritten in place), for the lab's preset.
    #[arg(long)]
    mark: Option<PathBuf>,
}

pub fn load_profile(path: &Path) -> Result<Profile, String> {
    let text =
        String::from_utf8(read(path)?).map_err(|_| format!("{}: not UTF-8", path.display()))?;
    Profile::parse(&text, None).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn report(a: ReportArgs) -> Result<(), String> {
    let profiles = a
        .profiles
        .iter()
        .map(|p| load_profile(p))
        .collect::<Result<Vec<_>, _>>()?;
    super::report::write_profile_figures(&a.out, &profiles)?;
    if !a.spreads.is_empty() {
        let spreads = a
            .spreads
            .iter()
            .map(|p| {
                let text = String::from_utf8(read(p)?)
                    .map_err(|_| format!("{}: not UTF-8", p.display()))?;
                serde_json::from_str::<Spread>(&text)
                    .map_err(|e| format!("{}: not a robustness.json ({e})", p.display()))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let refs: Vec<&Spread> = spreads.iter().collect();
        let share = figures::spread_by_layer(&refs, true);
        super::report::write_figure(&a.out, "significant_by_layer_spread", &share)?;
        let si = figures::spread_by_layer(&refs, false);
        super::report::write_figure(&a.out, "si_by_layer_spread", &si)?;
    }
    let mut md = String::from("| model | layer | units | mean SI | selected | beat the null (95%) |\n|---|---|---|---|---|---|\n");
    for p in &profiles {
        for l in &p.layers {
            let si = l.units.iter().map(|u| u.si as f64).sum::<f64>() / l.units.len().max(1) as f64;
            let sel = l.units.iter().filter(|u| u.selected).count();
            md += &format!(
                "| {} | {} | {} | {si:.3} | {sel} | {:.1}% |\n",
                p.model,
                l.name,
                l.units.len(),
                100.0 * l.share_significant
            );
        }
    }
    write(&a.out.join("profiles.md"), md.as_bytes())?;
    println!("wrote figures and profiles.md to {}", a.out.display());
    Ok(())
}

/// Units selective in both sets: those beating the null (p < 0.05) in each.
pub fn overlap_cmd(a: OverlapArgs) -> Result<(), String> {
    let (pa, pb) = (load_profile(&a.a)?, load_profile(&a.b)?);
    if pa.model != pb.model {
        return Err(format!(
            "the profiles are of different models ({} and {})",
            pa.model, pb.model
        ));
    }
    println!("layer,emotion,units,selective_a,selective_b,both,expected_by_chance,p_value");
    let mut marks = Vec::new();
    for la in &pa.layers {
        let lb = pb
            .layer(&la.name)
            .ok_or_else(|| format!("layer `{}` missing from {}", la.name, a.b.display()))?;
        if la.units.len() != lb.units.len() {
            return Err(format!(
                "layer `{}` differs in size between the profiles",
                la.name
            ));
        }
        let emotions = std::iter::once(None).chain((0..pa.classes.len()).map(Some));
        for e in emotions {
            let o = overlap(&significant(la, e), &significant(lb, e));
            let name = e.map_or("any", |e| pa.classes[e].as_str());
            println!(
                "{},{name},{},{},{},{},{:.2},{:.3e}",
                la.name, o.n_units, o.in_a, o.in_b, o.both, o.expected, o.p_value
            );
        }
        marks.push(genuine(la, lb));
    }
    if let Some(path) = &a.mark {
        let mut p = load_profile(path)?;
        if p.model != pa.model || p.classes != pa.classes {
            return Err(format!(
                "{} is a profile of {}, not {}",
                path.display(),
                p.model,
                pa.model
            ));
        }
        for (l, m) in p.layers.iter_mut().zip(&marks) {
            for (u, g) in l.units.iter_mut().zip(m) {
                u.genuine = *g;
            }
        }
        p.genuine_from = Some(format!(
            "selective for the same emotion (beating the null, p < 0.05) on both {} and {}",
            pa.dataset, pb.dataset
        ));
        write(path, p.to_json().as_bytes())?;
        let n: usize = marks.iter().flatten().filter(|g| g.is_some()).count();
        eprintln!("marked {n} genuine units in {}", path.display());
    }
    Ok(())
}
