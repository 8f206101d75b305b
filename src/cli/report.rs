//! Experiment outputs: `results.csv` and a Table-1-style `results.md`.

use super::write;
use crate::analysis::experiment::ConditionResult;
use crate::analysis::figures::{self, results_csv};
use crate::analysis::profile::Profile;
use crate::analysis::valence_lesion::{ValenceResult, VALENCE_FRACTION};
use std::path::Path;

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

/// Writes `name.svg` and its PNG rendering (resvg, system fonts) into `out`.
pub fn write_figure(out: &Path, name: &str, svg: &str) -> Result<(), String> {
    write(&out.join(format!("{name}.svg")), svg.as_bytes())?;
    let mut opt = resvg::usvg::Options::default();
    let db = opt.fontdb_mut();
    db.load_system_fonts();
    // The SVG asks for "sans-serif"; point it at a sans face this machine has.
    let has = |f: &str| {
        db.faces()
            .any(|face| face.families.iter().any(|(n, _)| n == f))
    };
    if let Some(f) = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial"]
        .into_iter()
        .find(|f| has(f))
    {
        db.set_sans_serif_family(f);
    }
    let tree = resvg::usvg::Tree::from_str(svg, &opt).map_err(|e| format!("{name}.svg: {e}"))?;
    let size = tree.size().to_int_size();
    let scale = 2.0; // crisp on projectors and in slides
    let mut pixmap = resvg::tiny_skia::Pixmap::new(
        (size.width() as f32 * scale) as u32,
        (size.height() as f32 * scale) as u32,
    )
    .ok_or_else(|| format!("{name}: empty figure"))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let png = pixmap
        .encode_png()
        .map_err(|e| format!("{name}.png: {e}"))?;
    write(&out.join(format!("{name}.png")), &png)
}

/// The valence lesion's table (empty without one).
pub fn valence_md(rows: &[ValenceResult]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "\n## Lesioning the units most correlated with valence\n\nThe {:.0} % of a layer's units \
         with the largest |r| with the valence rating (training split), lesioned; the valence ridge \
         readout's Pearson r on the test split, against as many random units (mean ± sd over draws).\n\n\
         | layer | units | valence r before | lesion | random-unit lesion |\n|---|---|---|---|---|\n",
        100.0 * VALENCE_FRACTION
    );
    for r in rows {
        s += &format!(
            "| {} | {} | {:.3} | {:.3} | {:.3} ± {:.3} |\n",
            r.layer, r.n_units, r.r_before, r.r_lesion, r.control_lesion.mean, r.control_lesion.sd
        );
    }
    s
}

/// `results.csv`, `results.md` and one F1 chart per emotion.
pub fn write_results(
    out: &Path,
    p: &Profile,
    rows: &[ConditionResult],
    valence: &[ValenceResult],
) -> Result<(), String> {
    write(&out.join("results.csv"), results_csv(rows).as_bytes())?;
    let md = results_md(p, rows) + &valence_md(valence);
    write(&out.join("results.md"), md.as_bytes())?;
    for c in &p.classes {
        write_figure(out, &format!("f1_{c}"), &figures::f1_by_layer(rows, c))?;
    }
    Ok(())
}

/// Profile-level figures: SI and significance by layer (all profiles), preferred-emotion mix.
pub fn write_profile_figures(out: &Path, profiles: &[Profile]) -> Result<(), String> {
    let refs: Vec<&Profile> = profiles.iter().collect();
    write_figure(out, "si_by_layer", &figures::si_by_layer(&refs))?;
    write_figure(
        out,
        "significant_by_layer",
        &figures::significant_by_layer(&refs),
    )?;
    for p in profiles {
        write_figure(
            out,
            &format!("preferred_mix_{}", p.model),
            &figures::preferred_mix(p),
        )?;
    }
    Ok(())
}
