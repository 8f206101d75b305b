//! The experiment's continuous counterpart: lesion the units whose responses correlate most with
//! the valence rating (by |r| on the training split) and see how much of the valence readout's
//! test correlation survives, against as many random units of the same layer. Plain Rust; the
//! passes come through the experiment's [`Evaluator`].

use super::profile::{LayerProfile, Profile};
use super::ridge::pearson;
use super::source::{draw, Features, MeanSd, Part};
use super::sweep::Evaluator;
use crate::error::Failure;
use crate::model::GainMask;
use crate::weights::init::{fnv1a, SplitMix64};
use serde::{Deserialize, Serialize};

/// Share of a layer's units lesioned: those with the largest |r| with valence.
pub const VALENCE_FRACTION: f64 = 0.2;

/// One layer's valence lesion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValenceResult {
    pub layer: String,
    pub n_units: usize,
    /// Test r of the valence readout: intact, after the lesion, after random lesions.
    pub r_before: f64,
    pub r_lesion: f64,
    pub control_lesion: MeanSd,
}

/// The `fraction` of `layer`'s units with the largest |r| with valence (unit order), or `None`
/// when the profile has no per-unit correlations.
pub fn valence_units(layer: &LayerProfile, fraction: f64) -> Option<Vec<usize>> {
    let r: Vec<f32> = layer
        .units
        .iter()
        .map(|u| u.affect_r.map(|r| r[0].abs()))
        .collect::<Option<_>>()?;
    let k = ((r.len() as f64 * fraction).round() as usize).min(r.len());
    let mut top = super::head::top_k(&r, k);
    top.sort();
    Some(top)
}

/// Test r of the valence ridge readout on feature rows, or `None` without the model or ratings.
fn valence_r(p: &Profile, rows: &[Vec<f32>]) -> Option<f64> {
    let truth: Vec<f64> = p
        .split
        .test
        .iter()
        .map(|&i| p.ratings.get(i).map(|r| r[0] as f64))
        .collect::<Option<_>>()?;
    let fit = p.affect.iter().find(|f| f.target == "valence")?;
    if fit.weight.len() != p.readout.feature_mean.len() {
        return None;
    }
    let pred: Vec<f64> = rows
        .iter()
        .map(|x| p.affect_of("valence", x).map(f64::from))
        .collect::<Option<_>>()?;
    Some(pearson(&pred, &truth))
}

/// Lesions `layer`'s most valence-correlated units and `draws` random sets of the same size;
/// `None` when the profile lacks ratings, per-unit correlations or the valence model.
pub async fn run_valence<F: Features>(
    ev: &mut Evaluator<'_, F>,
    p: &Profile,
    layer: &str,
    draws: usize,
    seed: u64,
) -> Result<Option<ValenceResult>, Failure> {
    let Some(lp) = p.layer(layer) else {
        return Ok(None);
    };
    let Some(units) = valence_units(lp, VALENCE_FRACTION) else {
        return Ok(None);
    };
    let n = lp.units.len();
    let mut rng = SplitMix64::new(seed ^ fnv1a(layer) ^ fnv1a("valence"));
    let mut masks = vec![GainMask::none(), GainMask::lesion(layer, n, &units)];
    for _ in 0..draws {
        masks.push(GainMask::lesion(layer, n, &draw(n, units.len(), &mut rng)));
    }
    if valence_r(p, &[]).is_none() {
        return Ok(None);
    }
    let feats = ev.under(layer, Part::Test, &masks).await?;
    let r: Option<Vec<f64>> = feats.iter().map(|f| valence_r(p, f)).collect();
    let Some(r) = r else { return Ok(None) };
    Ok(Some(ValenceResult {
        layer: layer.to_string(),
        n_units: units.len(),
        r_before: r[0],
        r_lesion: r[1],
        control_lesion: MeanSd::of(&r[2..]),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::profile::UnitProfile;

    #[test]
    fn most_correlated_units_by_absolute_r() {
        let unit = |r: Option<f32>| UnitProfile {
            si: 0.1,
            preferred: 0,
            tuning: vec![0.0; 3],
            selected: true,
            p_null: 0.5,
            affect_r: r.map(|r| [r, 0.0]),
            genuine: None,
        };
        let layer = |rs: &[Option<f32>]| LayerProfile {
            name: "c".into(),
            units: rs.iter().map(|r| unit(*r)).collect(),
            null_threshold95: 0.2,
            share_significant: 0.0,
            response_mean: vec![0.0; rs.len()],
            response_sd: vec![1.0; rs.len()],
        };
        let l = layer(&[Some(0.1), Some(-0.6), Some(0.3), Some(0.05), Some(0.5)]);
        // 40 % of 5 units: the two largest |r| (−0.6 and 0.5), in unit order.
        assert_eq!(valence_units(&l, 0.4), Some(vec![1, 4]));
        assert_eq!(valence_units(&layer(&[Some(0.1), None]), 0.5), None);
    }
}
