//! Experiment outputs: `results.csv` and a Table-1-style `results.md`.

use super::write;
use crate::analysis::experiment::ConditionResult;
use crate::analysis::figures;
use crate::analysis::profile::Profile;
use std::path::Path;

pub fn results_csv(rows: &[ConditionResult]) -> String {
    let mut s = String::from(
        "layer,emotion,n_units,f1_before,f1_lesion,f1_enhance,best_alpha,control_lesion_mean,control_lesion_sd,control_enhance_mean,control_enhance_sd\n",
    );
    for r in rows {
        s += &format!(
            "{},{},{},{:.4},{:.4},{:.4},{},{:.4},{:.4},{:.4},{:.4}\n",
            r.layer,
            r.emotion,
            r.n_units,
            r.f1_before,
            r.f1_lesion,
            r.f1_enhance,
            r.best_alpha,
            r.control_lesion.mean,
            r.control_lesion.sd,
            r.control_enhance.mean,
            r.control_enhance.sd
        );
    }
    s
}

pub fn results_md(p: &Profile, rows: &[ConditionResult]) -> String {
    let mut s = format!(
        "# Lesion and enhancement of emotion-selective units\n\nModel `{}` on `{}`. Test-split F1 of each \
         emotion's one-vs-rest readout ({}), before and after intervening in one layer. Control: the same \
         number of random units of that layer (mean ± sd over draws). Units selective = top {:.0} % by SI \
         (statistics from the {}).\n\n| layer | emotion | units | F1 before | lesion | control lesion | enhance (best α) | control enhance |\n|---|---|---|---|---|---|---|---|\n",
        p.model, p.dataset, p.readout.features, 100.0 * p.top_fraction, p.statistics_from
    );
    for r in rows {
        s += &format!(
            "| {} | {} | {} | {:.3} | {:.3} | {:.3} ± {:.3} | {:.3} (α={}) | {:.3} ± {:.3} |\n",
            r.layer,
            r.emotion,
            r.n_units,
            r.f1_before,
            r.f1_lesion,
            r.control_lesion.mean,
            r.control_lesion.sd,
            r.f1_enhance,
            r.best_alpha,
            r.control_enhance.mean,
            r.control_enhance.sd
        );
    }
    s
}

/// `results.csv`, `results.md` and one F1 chart per emotion.
pub fn write_results(out: &Path, p: &Profile, rows: &[ConditionResult]) -> Result<(), String> {
    write(&out.join("results.csv"), results_csv(rows).as_bytes())?;
    write(&out.join("results.md"), results_md(p, rows).as_bytes())?;
    for c in &p.classes {
        write(
            &out.join(format!("f1_{c}.svg")),
            figures::f1_by_layer(rows, c).as_bytes(),
        )?;
    }
    Ok(())
}

/// Profile-level figures: SI and significance by layer (all profiles), preferred-emotion mix.
pub fn write_profile_figures(out: &Path, profiles: &[Profile]) -> Result<(), String> {
    let refs: Vec<&Profile> = profiles.iter().collect();
    write(
        &out.join("si_by_layer.svg"),
        figures::si_by_layer(&refs).as_bytes(),
    )?;
    write(
        &out.join("significant_by_layer.svg"),
        figures::significant_by_layer(&refs).as_bytes(),
    )?;
    for p in profiles {
        write(
            &out.join(format!("preferred_mix_{}.svg", p.model)),
            figures::preferred_mix(p).as_bytes(),
        )?;
    }
    Ok(())
}
