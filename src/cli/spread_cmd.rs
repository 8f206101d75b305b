//! `neurons spread`: several experiment runs (one per split of the data, say) as one table of
//! mean ± sd, so a lesion's effect is reported with its spread over splits.

use super::experiment_cmd::RunRecord;
use super::read;
use crate::analysis::experiment::{ConditionResult, MeanSd};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct SpreadArgs {
    /// Experiment output folders (each with `experiment.json`).
    #[arg(required = true)]
    runs: Vec<PathBuf>,
}

/// `neurons spread`: each layer × emotion's F1s as mean ± sd over the runs given.
pub fn spread(a: SpreadArgs) -> Result<(), String> {
    let records = a
        .runs
        .iter()
        .map(|d| {
            let path = d.join("experiment.json");
            let text = String::from_utf8(read(&path)?)
                .map_err(|_| format!("{}: not UTF-8", path.display()))?;
            serde_json::from_str::<RunRecord>(&text)
                .map_err(|e| format!("{}: not an experiment record ({e})", path.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    print!("{}", spread_md(&records)?);
    Ok(())
}

/// The table [`spread`] prints, over the layer × emotion rows every run has.
pub fn spread_md(records: &[RunRecord]) -> Result<String, String> {
    let first = records.first().ok_or("no runs given")?;
    let mut s = format!(
        "Model `{}`, {} runs (profile seeds {}). Test F1, mean ± sd over the runs.\n\n\
         | layer | emotion | F1 before | lesion | random-unit lesion | enhance | random-unit enhance | α chosen |\n\
         |---|---|---|---|---|---|---|---|\n",
        first.model,
        records.len(),
        records.iter().map(|r| r.profile_seed.to_string()).collect::<Vec<_>>().join(", ")
    );
    let mut rows = 0;
    for row in &first.rows {
        // The rows every run has (a full run beside runs of a few layers).
        let same: Option<Vec<&ConditionResult>> = records
            .iter()
            .map(|r| {
                r.rows
                    .iter()
                    .find(|o| o.layer == row.layer && o.emotion == row.emotion)
            })
            .collect();
        let Some(same) = same else { continue };
        rows += 1;
        let pm = |f: &dyn Fn(&ConditionResult) -> f64| {
            let m = MeanSd::of(&same.iter().map(|r| f(r)).collect::<Vec<_>>());
            format!("{:.3} ± {:.3}", m.mean, m.sd)
        };
        let alphas: Vec<String> = same.iter().map(|r| format!("{}", r.best_alpha)).collect();
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            row.layer,
            row.emotion,
            pm(&|r| r.f1_before),
            pm(&|r| r.f1_lesion),
            pm(&|r| r.control_lesion.mean),
            pm(&|r| r.f1_enhance),
            pm(&|r| r.control_enhance.mean),
            alphas.join(", ")
        );
    }
    if rows == 0 {
        return Err("the runs have no layer and emotion in common".into());
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::sweep::AlphaSearch;

    #[test]
    fn spread_over_runs_by_hand() {
        let row = |f1: f64, alpha: f32| ConditionResult {
            layer: "conv5".into(),
            emotion: "pleasant".into(),
            n_units: 3,
            f1_before: 0.5,
            f1_lesion: f1,
            f1_enhance: 0.5,
            best_alpha: alpha,
            control_lesion: MeanSd { mean: 0.4, sd: 0.1 },
            control_enhance: MeanSd { mean: 0.5, sd: 0.0 },
            val_f1_by_alpha: Vec::new(),
        };
        let run = |seed: u64, f1: f64, alpha: f32| RunRecord {
            model: "m".into(),
            dataset: "d".into(),
            profile_seed: seed,
            search: AlphaSearch::default(),
            controls: 5,
            layers: Vec::new(),
            rows: vec![row(f1, alpha)],
            valence: Vec::new(),
        };
        let md = spread_md(&[run(1, 0.1, 0.0), run(2, 0.3, 1.3)]).unwrap();
        assert!(md.contains("2 runs (profile seeds 1, 2)"), "{md}");
        assert!(
            md.contains("| conv5 | pleasant | 0.500 ± 0.000 | 0.200 ± 0.141 | 0.400 ± 0.000 | 0.500 ± 0.000 | 0.500 ± 0.000 | 0, 1.3 |"),
            "{md}"
        );
        let mut other = run(3, 0.2, 0.0);
        other.rows[0].layer = "conv4".into();
        assert!(spread_md(&[run(1, 0.1, 0.0), other.clone()]).is_err());
        // Rows only some runs have are left out.
        let mut wide = run(1, 0.1, 0.0);
        wide.rows.push(other.rows[0].clone());
        let md = spread_md(&[wide, run(2, 0.3, 1.3)]).unwrap();
        assert!(
            md.contains("| conv5 |") && !md.contains("| conv4 |"),
            "{md}"
        );
        assert!(spread_md(&[]).is_err());
    }
}
