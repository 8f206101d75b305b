//! Charts as plain SVG strings, shared by the CLI (files) and the browser (inline), so both show
//! the same figure. Colours are Okabe–Ito, safe for colour-blind readers.

use std::fmt::Write;

/// Okabe–Ito colours for pleasant, neutral, unpleasant, then extras.
pub const PALETTE: [&str; 6] = [
    "#0072B2", "#999999", "#D55E00", "#009E73", "#CC79A7", "#F0E442",
];

/// One series of a grouped bar chart.
pub struct Series {
    pub name: String,
    pub color: String,
    pub values: Vec<f64>,
    /// Optional ± error bar per value.
    pub errors: Option<Vec<f64>>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A grouped bar chart: one group per category (layer), one bar per series.
pub fn grouped_bars(
    title: &str,
    y_label: &str,
    categories: &[String],
    series: &[Series],
) -> String {
    let w = (80.0 + 44.0 * categories.len().max(4) as f64 * series.len().max(1) as f64 / 1.6)
        .max(560.0);
    let (left, right, top) = (64.0, 16.0, 40.0);
    // Legend entries flow left to right and wrap (about 7 px per character).
    let mut legend = Vec::new();
    let (mut lx, mut row) = (left + 8.0, 0usize);
    for se in series {
        let iw = 34.0 + 7.0 * se.name.chars().count() as f64;
        if lx + iw > w - right && lx > left + 8.0 {
            (lx, row) = (left + 8.0, row + 1);
        }
        legend.push((lx, row));
        lx += iw;
    }
    let bottom = 70.0 + 18.0 * row as f64;
    let h = top + 250.0 + bottom;
    let ymax = series
        .iter()
        .flat_map(|s| {
            s.values
                .iter()
                .zip(
                    s.errors
                        .clone()
                        .unwrap_or_else(|| vec![0.0; s.values.len()]),
                )
                .map(|(v, e)| v + e)
        })
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let ymin = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0f64, f64::min);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let y = |v: f64| top + ph * (ymax - v) / (ymax - ymin);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}" font-family="sans-serif" font-size="12" role="img" aria-label="{}">"#,
        esc(title)
    );
    let _ = write!(
        s,
        r##"<rect width="100%" height="100%" fill="#fff"/><text x="{:.0}" y="22" font-size="15" text-anchor="middle">{}</text>"##,
        w / 2.0,
        esc(title)
    );
    for i in 0..=4 {
        let v = ymin + (ymax - ymin) * i as f64 / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#ddd"/><text x="{:.0}" y="{:.1}" text-anchor="end">{:.2}</text>"##,
            w - right,
            y(v),
            y(v),
            left - 6.0,
            y(v) + 4.0,
            v
        );
    }
    let _ = write!(
        s,
        r#"<text transform="translate(16 {:.0}) rotate(-90)" text-anchor="middle">{}</text>"#,
        top + ph / 2.0,
        esc(y_label)
    );
    let group = pw / categories.len().max(1) as f64;
    let bar = group * 0.8 / series.len().max(1) as f64;
    for (c, cat) in categories.iter().enumerate() {
        let gx = left + group * c as f64 + group * 0.1;
        for (k, se) in series.iter().enumerate() {
            let Some(v) = se.values.get(c) else { continue };
            let x = gx + bar * k as f64;
            let (y0, y1) = (y(0.0), y(*v));
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{} {}: {v:.3}</title></rect>"#,
                y0.min(y1),
                bar * 0.92,
                (y0 - y1).abs(),
                se.color,
                esc(&se.name),
                esc(cat)
            );
            if let Some(e) = se
                .errors
                .as_ref()
                .and_then(|e| e.get(c))
                .filter(|e| **e > 0.0)
            {
                let cx = x + bar * 0.46;
                let _ = write!(
                    s,
                    r##"<line x1="{cx:.1}" x2="{cx:.1}" y1="{:.1}" y2="{:.1}" stroke="#222"/>"##,
                    y(v + e),
                    // A positive value's bar stops at the axis (shares and SIs are not negative).
                    y(if *v >= 0.0 { (v - e).max(0.0) } else { v - e })
                );
            }
        }
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" transform="rotate(-40 {:.1} {:.1})">{}</text>"#,
            gx + group * 0.4,
            h - bottom + 16.0,
            gx + group * 0.4,
            h - bottom + 16.0,
            esc(cat)
        );
    }
    for (se, (lx, row)) in series.iter().zip(legend) {
        let ly = top + 250.0 + 48.0 + 18.0 * row as f64;
        let _ = write!(
            s,
            r#"<rect x="{lx:.0}" y="{ly:.0}" width="12" height="12" fill="{}"/><text x="{:.0}" y="{:.0}">{}</text>"#,
            se.color,
            lx + 16.0,
            ly + 10.0,
            esc(&se.name)
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value() {
        let svg = grouped_bars(
            "t <1>",
            "y",
            &["a".into(), "b".into()],
            &[Series {
                name: "s".into(),
                color: PALETTE[0].into(),
                values: vec![1.0, 2.0],
                errors: None,
            }],
        );
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("t &lt;1&gt;"), "titles are escaped");
        // Plot height is 360 - 40 - 70 = 250: the value 2 fills it, the value 1 half of it.
        assert!(svg.contains(r##"height="250.0" fill="#0072B2""##), "{svg}");
        assert!(svg.contains(r##"height="125.0" fill="#0072B2""##), "{svg}");
    }

    #[test]
    fn legend_wraps_inside_the_chart() {
        let series: Vec<Series> = (0..5)
            .map(|i| Series {
                name: format!("control enhance {i}"),
                color: PALETTE[i % PALETTE.len()].into(),
                values: vec![0.5],
                errors: None,
            })
            .collect();
        let svg = grouped_bars("t", "y", &["conv5".into()], &series);
        let width: f64 = svg
            .split("width=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        // Each entry is 34 + 7·17 = 153 px wide: three fit in a 630 px row, two wrap below.
        assert_eq!(width, 630.0);
        assert!(svg.contains(r#"viewBox="0 0 630 378""#), "{svg}");
        for i in 0..5 {
            assert!(svg.contains(&format!(">control enhance {i}</text>")));
        }
        assert!(
            svg.contains(r#"<rect x="72" y="356" width="12""#),
            "second row: {svg}"
        );
    }
}
