//! The paper's figures from profiles and experiment results (SVG via [`super::charts`]); the CLI
//! writes them to files and the browser shows the same strings.

use super::charts::{grouped_bars, Series, PALETTE};
use super::experiment::ConditionResult;
use super::profile::Profile;

fn layer_names(p: &Profile) -> Vec<String> {
    p.layers.iter().map(|l| l.name.clone()).collect()
}

/// One bar per layer for each profile, valued by `value(layer)`.
fn per_profile(
    title: &str,
    y_label: &str,
    profiles: &[&Profile],
    value: impl Fn(&super::profile::LayerProfile) -> f64,
) -> String {
    let series = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| Series {
            name: p.model.clone(),
            color: PALETTE[(i * 2) % PALETTE.len()].into(),
            values: p.layers.iter().map(&value).collect(),
            errors: None,
        })
        .collect::<Vec<_>>();
    let cats = profiles.first().map(|p| layer_names(p)).unwrap_or_default();
    grouped_bars(title, y_label, &cats, &series)
}

/// Mean SI per layer, one series per profile (e.g. pretrained vs untrained).
pub fn si_by_layer(profiles: &[&Profile]) -> String {
    per_profile(
        "Selectivity index (mean over units) by layer",
        "mean SI",
        profiles,
        |l| l.units.iter().map(|u| u.si as f64).sum::<f64>() / l.units.len().max(1) as f64,
    )
}

/// Share of units whose SI beats the permutation null's 95th percentile, by layer.
pub fn significant_by_layer(profiles: &[&Profile]) -> String {
    per_profile(
        "Units more selective than chance (permutation null, 95%)",
        "share of units",
        profiles,
        |l| l.share_significant,
    )
}

/// Mean ± sd over runs (splits, and initialisations of untrained networks) of a per-layer figure,
/// one series per model: `share` picks the share beating the null, else the mean SI.
pub fn spread_by_layer(spreads: &[&super::robust::Spread], share: bool) -> String {
    let pick = |l: &super::robust::LayerSpread| if share { l.share } else { l.mean_si };
    let series = spreads
        .iter()
        .enumerate()
        .map(|(i, s)| Series {
            name: format!("{} ({} runs)", s.model, s.runs.len()),
            color: PALETTE[(i * 2) % PALETTE.len()].into(),
            values: s.layers.iter().map(|l| pick(l).mean).collect(),
            errors: Some(s.layers.iter().map(|l| pick(l).sd).collect()),
        })
        .collect::<Vec<_>>();
    let cats = spreads.first().map_or(Vec::new(), |s| {
        s.layers.iter().map(|l| l.name.clone()).collect()
    });
    let (title, y) = match share {
        true => (
            "Units more selective than chance, mean ± sd over splits",
            "share of units",
        ),
        false => (
            "Selectivity index (mean over units), mean ± sd over splits",
            "mean SI",
        ),
    };
    grouped_bars(title, y, &cats, &series)
}

/// Share of selected units preferring each emotion, by layer.
pub fn preferred_mix(p: &Profile) -> String {
    let series = p
        .classes
        .iter()
        .enumerate()
        .map(|(e, c)| Series {
            name: c.clone(),
            color: PALETTE[e % PALETTE.len()].into(),
            values: p
                .layers
                .iter()
                .map(|l| {
                    let sel = l.units.iter().filter(|u| u.selected).count().max(1) as f64;
                    l.units
                        .iter()
                        .filter(|u| u.selected && u.preferred == e)
                        .count() as f64
                        / sel
                })
                .collect(),
            errors: None,
        })
        .collect::<Vec<_>>();
    grouped_bars(
        &format!("Preferred emotion of selective units: {}", p.model),
        "share of selective units",
        &layer_names(p),
        &series,
    )
}

/// The experiment's rows as `results.csv` (the CLI writes it; the browser offers it).
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

/// Test F1 for one emotion under lesion/enhancement vs the random-unit control, by layer.
pub fn f1_by_layer(rows: &[ConditionResult], emotion: &str) -> String {
    let r: Vec<&ConditionResult> = rows.iter().filter(|r| r.emotion == emotion).collect();
    let cats: Vec<String> = r.iter().map(|r| r.layer.clone()).collect();
    let s = |name: &str, color: &str, v: Vec<f64>, e: Option<Vec<f64>>| Series {
        name: name.into(),
        color: color.into(),
        values: v,
        errors: e,
    };
    let series = vec![
        s(
            "before",
            "#444444",
            r.iter().map(|r| r.f1_before).collect(),
            None,
        ),
        s(
            "lesion",
            PALETTE[2],
            r.iter().map(|r| r.f1_lesion).collect(),
            None,
        ),
        s(
            "control lesion",
            "#F5B38A",
            r.iter().map(|r| r.control_lesion.mean).collect(),
            Some(r.iter().map(|r| r.control_lesion.sd).collect()),
        ),
        s(
            "enhance",
            PALETTE[0],
            r.iter().map(|r| r.f1_enhance).collect(),
            None,
        ),
        s(
            "control enhance",
            "#8CC3E6",
            r.iter().map(|r| r.control_enhance.mean).collect(),
            Some(r.iter().map(|r| r.control_enhance.sd).collect()),
        ),
    ];
    grouped_bars(
        &format!("F1 for {emotion}: selective units vs random units"),
        "test F1",
        &cats,
        &series,
    )
}

/// One layer's F1 per emotion before, with its selective units lesioned, with as many random
/// units lesioned (mean ± sd over draws) and with the selective units enhanced (the classroom
/// experiment's chart).
pub fn f1_by_emotion(rows: &[ConditionResult], title: &str) -> String {
    let cats: Vec<String> = rows.iter().map(|r| r.emotion.clone()).collect();
    let s = |name: &str, color: &str, f: &dyn Fn(&ConditionResult) -> f64, e: bool| Series {
        name: name.into(),
        color: color.into(),
        values: rows.iter().map(f).collect(),
        errors: e.then(|| rows.iter().map(|r| r.control_lesion.sd).collect()),
    };
    let series = vec![
        s("before", "#444444", &|r| r.f1_before, false),
        s(
            "selective units lesioned",
            PALETTE[2],
            &|r| r.f1_lesion,
            false,
        ),
        s(
            "random units lesioned",
            "#F5B38A",
            &|r| r.control_lesion.mean,
            true,
        ),
        s(
            "selective units enhanced",
            PALETTE[0],
            &|r| r.f1_enhance,
            false,
        ),
    ];
    grouped_bars(title, "F1", &cats, &series)
}
