//! DOM-free logic of the lab's views, native-tested: what the profile says about a unit, its
//! z-scored response, how the grid draws it, and the order the layer grid shows units in.

use crate::analysis::charts::PALETTE;

/// What the profile says about one unit (the grid and the detail view read these).
#[derive(Clone, Debug, PartialEq)]
pub struct UnitSummary {
    pub si: f32,
    pub preferred: usize,
    pub p_null: f32,
    pub selected: bool,
    pub tuning: Vec<f32>,
    /// Mean and sd of the unit's response over the profiled images.
    pub mean: f32,
    pub sd: f32,
    /// Pearson r with `[valence, arousal]` over the profile's training split, if rated.
    pub affect_r: Option<[f32; 2]>,
    /// The emotion this unit is selective for on both halves of a split set, if marked.
    pub genuine: Option<usize>,
}

/// `(v − mean) / sd`, 0 when the profile saw no spread.
pub fn zscore(v: f32, mean: f32, sd: f32) -> f32 {
    if sd > 0.0 {
        (v - mean) / sd
    } else {
        0.0
    }
}

/// What the grid's colour shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colour {
    /// The preferred emotion.
    Emotion,
    /// The correlation of the unit's response with the valence rating.
    Valence,
}

impl Colour {
    pub fn parse(s: &str) -> Self {
        match s {
            "valence" => Self::Valence,
            _ => Self::Emotion,
        }
    }
}

/// A diverging colour for a correlation with valence: Okabe–Ito blue for units that respond
/// more to unpleasant pictures, orange for pleasant ones, grey near 0 (full at |r| ≥ 0.4).
pub fn valence_color(r: f32) -> String {
    let t = (r.abs() / 0.4).clamp(0.0, 1.0);
    let end = if r < 0.0 {
        [0, 114, 178]
    } else {
        [230, 159, 0]
    };
    let mix = |i: usize| (200.0 + (end[i] as f32 - 200.0) * t).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(0), mix(1), mix(2))
}

/// How the grid draws a unit: a colour by `colour` (the preferred emotion's Okabe–Ito colour,
/// or its valence correlation; grey without a profile or without ratings) and an opacity from
/// this image's response: the logistic of its z-score against the profile, else the response
/// over the layer's largest `max`, else a neutral 0.35.
pub fn unit_style(
    st: Option<&UnitSummary>,
    v: Option<f32>,
    max: f32,
    colour: Colour,
) -> (String, f64) {
    let color = match (st, colour) {
        (Some(st), Colour::Emotion) => PALETTE[st.preferred % PALETTE.len()].to_string(),
        (
            Some(UnitSummary {
                affect_r: Some(r), ..
            }),
            Colour::Valence,
        ) => valence_color(r[0]),
        _ => "#555555".to_string(),
    };
    let strength = match (st, v) {
        (Some(st), Some(v)) => 1.0 / (1.0 + (-zscore(v, st.mean, st.sd) as f64).exp()),
        (None, Some(v)) if max > 0.0 => (v / max) as f64,
        _ => 0.35,
    };
    (color, strength)
}

/// How the grid orders a layer's units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    /// Unit number.
    Index,
    /// Selectivity index, highest first.
    Si,
    /// This image's response (z-scored against the profile when there is one), highest first.
    Response,
}

impl Sort {
    pub fn parse(s: &str) -> Self {
        match s {
            "si" => Self::Si,
            "response" => Self::Response,
            _ => Self::Index,
        }
    }
}

/// Units `0..n` of a layer in display order, keeping only those preferring `filter` (when
/// given and the profile is there). Ties keep unit order.
pub fn order_units(
    n: usize,
    stats: Option<&[UnitSummary]>,
    resp: Option<&[f32]>,
    sort: Sort,
    filter: Option<usize>,
) -> Vec<usize> {
    let st = |u: usize| stats.and_then(|l| l.get(u));
    let mut order: Vec<usize> = (0..n)
        .filter(|&u| filter.is_none_or(|e| st(u).is_some_and(|s| s.preferred == e)))
        .collect();
    match sort {
        Sort::Index => {}
        Sort::Si => {
            let key: Vec<f32> = (0..n).map(|u| st(u).map_or(0.0, |s| s.si)).collect();
            order.sort_by(|a, b| key[*b].total_cmp(&key[*a]));
        }
        Sort::Response => {
            let key: Vec<f32> = (0..n)
                .map(|u| {
                    let v = resp.and_then(|r| r.get(u).copied());
                    match (v, st(u)) {
                        (Some(v), Some(s)) => zscore(v, s.mean, s.sd),
                        (Some(v), None) => v,
                        _ => 0.0,
                    }
                })
                .collect();
            order.sort_by(|a, b| key[*b].total_cmp(&key[*a]));
        }
    }
    order
}

/// A layer's selected units preferring emotion `e`, best SI first when `limit` keeps the top
/// ones; returned in unit order.
pub fn selective_units(layer: &[UnitSummary], e: usize, limit: Option<usize>) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..layer.len())
        .filter(|&u| layer[u].selected && layer[u].preferred == e)
        .collect();
    idx.sort_by(|a, b| layer[*b].si.total_cmp(&layer[*a].si).then(a.cmp(b)));
    if let Some(k) = limit {
        idx.truncate(k);
    }
    idx.sort();
    idx
}

/// A layer's units selective for emotion `e` on both halves of a split set ("genuine"), in
/// unit order.
pub fn genuine_units(layer: &[UnitSummary], e: usize) -> Vec<usize> {
    (0..layer.len())
        .filter(|&u| layer[u].genuine == Some(e))
        .collect()
}

/// `units=3,1,7` from a link: sorted, deduplicated, each below `n`; `None` if any part is not.
pub fn parse_units(text: &str, n: usize) -> Option<Vec<usize>> {
    let mut v = text
        .split(',')
        .map(|x| x.trim().parse::<usize>().ok().filter(|u| *u < n))
        .collect::<Option<Vec<usize>>>()?;
    v.sort();
    v.dedup();
    Some(v)
}

/// `alpha=` from a link: a number in 0…5.
pub fn parse_alpha(text: &str) -> Option<f32> {
    text.parse::<f32>().ok().filter(|x| (0.0..=5.0).contains(x))
}

/// Columns of the unit grid for `n` units (about twice as wide as tall, 8 to 48).
pub fn grid_cols(n: usize) -> usize {
    ((n as f64 * 2.0).sqrt().ceil() as usize).clamp(8, 48)
}

/// Where a key moves the keyboard focus in the unit grid laid out `cols` wide in `order`: the
/// arrows move one cell (up and down one row), Home and End go to the ends, PageUp and PageDown
/// four rows. `None`: not a key the grid handles, or no unit to move to.
pub fn grid_step(order: &[usize], cols: usize, current: Option<usize>, key: &str) -> Option<usize> {
    let last = order.len().checked_sub(1)?;
    let at = current.and_then(|u| order.iter().position(|x| *x == u));
    let Some(at) = at else {
        return matches!(key, "ArrowRight" | "ArrowDown" | "Home").then_some(order[0]);
    };
    let cols = cols.max(1);
    let to = match key {
        "ArrowRight" => (at + 1).min(last),
        "ArrowLeft" => at.saturating_sub(1),
        "ArrowDown" if at + cols <= last => at + cols,
        "ArrowUp" if at >= cols => at - cols,
        "ArrowDown" | "ArrowUp" => at,
        "PageDown" => (at + 4 * cols).min(last),
        "PageUp" => at.saturating_sub(4 * cols),
        "Home" => 0,
        "End" => last,
        _ => return None,
    };
    Some(order[to])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(si: f32, preferred: usize, mean: f32, sd: f32) -> UnitSummary {
        UnitSummary {
            si,
            preferred,
            p_null: 0.5,
            selected: false,
            tuning: vec![],
            mean,
            sd,
            affect_r: None,
            genuine: None,
        }
    }

    #[test]
    fn selections_and_link_parsing() {
        let mut l = vec![
            unit(0.2, 1, 0.0, 1.0),
            unit(0.9, 1, 0.0, 1.0),
            unit(0.5, 0, 0.0, 1.0),
            unit(0.7, 1, 0.0, 1.0),
        ];
        for u in &mut l {
            u.selected = true;
        }
        l[3].selected = false;
        assert_eq!(selective_units(&l, 1, None), [0, 1]);
        assert_eq!(selective_units(&l, 1, Some(1)), [1]);
        assert!(selective_units(&l, 2, None).is_empty());
        assert_eq!(parse_units("7, 3,3,1", 8), Some(vec![1, 3, 7]));
        assert_eq!(parse_units("1,8", 8), None);
        assert_eq!(parse_units("1,x", 8), None);
        assert_eq!(parse_alpha("2.5"), Some(2.5));
        assert_eq!(parse_alpha("6"), None);
        assert_eq!(parse_alpha("NaN"), None);
    }

    #[test]
    fn unit_styles() {
        let st = unit(0.5, 1, 2.0, 1.0);
        let (c, a) = unit_style(Some(&st), Some(2.0), 9.0, Colour::Emotion);
        assert_eq!(c, PALETTE[1]);
        assert!((a - 0.5).abs() < 1e-12, "z = 0 is half opacity");
        let (_, hi) = unit_style(Some(&st), Some(5.0), 9.0, Colour::Emotion);
        assert!((hi - 1.0 / (1.0 + (-3f64).exp())).abs() < 1e-12);
        let grey = "#555555".to_string();
        assert_eq!(
            unit_style(None, Some(3.0), 6.0, Colour::Emotion),
            (grey.clone(), 0.5)
        );
        assert_eq!(
            unit_style(None, Some(3.0), 0.0, Colour::Emotion),
            (grey.clone(), 0.35)
        );
        assert_eq!(unit_style(Some(&st), None, 1.0, Colour::Emotion).1, 0.35);
        // By valence r: grey without ratings, grey at 0, full blue / orange at |r| ≥ 0.4.
        assert_eq!(unit_style(Some(&st), None, 1.0, Colour::Valence).0, grey);
        let rated = |r: f32| UnitSummary {
            affect_r: Some([r, 0.0]),
            ..st.clone()
        };
        assert_eq!(
            unit_style(Some(&rated(0.0)), None, 1.0, Colour::Valence).0,
            "#c8c8c8"
        );
        assert_eq!(
            unit_style(Some(&rated(-0.5)), None, 1.0, Colour::Valence).0,
            "#0072b2"
        );
        assert_eq!(valence_color(0.4), "#e69f00");
        assert_eq!(valence_color(0.2), "#d7b464");
        assert_eq!(Colour::parse("valence"), Colour::Valence);
        let mut layer = vec![st.clone(), st.clone(), st.clone()];
        layer[0].genuine = Some(1);
        layer[2].genuine = Some(1);
        layer[1].genuine = Some(0);
        assert_eq!(genuine_units(&layer, 1), [0, 2]);
    }

    #[test]
    fn zscores_by_hand() {
        assert_eq!(zscore(3.0, 1.0, 2.0), 1.0);
        assert_eq!(zscore(-1.0, 1.0, 0.5), -4.0);
        assert_eq!(zscore(5.0, 1.0, 0.0), 0.0);
    }

    #[test]
    fn orders_and_filters() {
        let stats = [
            unit(0.1, 0, 1.0, 1.0),
            unit(0.9, 2, 10.0, 5.0),
            unit(0.5, 0, 0.0, 0.5),
        ];
        let resp = [2.0, 12.0, 1.0]; // z: 1.0, 0.4, 2.0
        assert_eq!(
            order_units(3, Some(&stats), Some(&resp), Sort::Index, None),
            [0, 1, 2]
        );
        assert_eq!(
            order_units(3, Some(&stats), Some(&resp), Sort::Si, None),
            [1, 2, 0]
        );
        assert_eq!(
            order_units(3, Some(&stats), Some(&resp), Sort::Response, None),
            [2, 0, 1]
        );
        assert_eq!(
            order_units(3, Some(&stats), Some(&resp), Sort::Si, Some(0)),
            [2, 0]
        );
        // Without a profile: raw responses, and a filter keeps nothing.
        assert_eq!(
            order_units(3, None, Some(&resp), Sort::Response, None),
            [1, 0, 2]
        );
        assert!(order_units(3, None, Some(&resp), Sort::Index, Some(1)).is_empty());
        // Ties keep unit order.
        let flat = [unit(0.3, 0, 0.0, 1.0), unit(0.3, 0, 0.0, 1.0)];
        assert_eq!(order_units(2, Some(&flat), None, Sort::Si, None), [0, 1]);
        assert_eq!(Sort::parse("si"), Sort::Si);
        assert_eq!(Sort::parse("x"), Sort::Index);
    }

    #[test]
    fn grid_keys_move_the_focus_like_the_cells_on_screen() {
        // 10 units in the order 9, 8, …, 0, 4 to a row.
        let order: Vec<usize> = (0..10).rev().collect();
        let step = |u, k| grid_step(&order, 4, u, k);
        assert_eq!(
            step(None, "ArrowRight"),
            Some(9),
            "the first key lands on the first cell"
        );
        assert_eq!(step(None, "Enter"), None);
        assert_eq!(step(Some(9), "ArrowRight"), Some(8));
        assert_eq!(step(Some(9), "ArrowLeft"), Some(9), "no wrap at the start");
        assert_eq!(step(Some(0), "ArrowRight"), Some(0), "no wrap at the end");
        assert_eq!(
            step(Some(8), "ArrowDown"),
            Some(4),
            "one row down: four cells on"
        );
        assert_eq!(step(Some(4), "ArrowUp"), Some(8));
        assert_eq!(step(Some(8), "ArrowUp"), Some(8), "the top row stays");
        assert_eq!(
            step(Some(2), "ArrowDown"),
            Some(2),
            "no cell below in the short last row"
        );
        assert_eq!(step(Some(5), "Home"), Some(9));
        assert_eq!(step(Some(5), "End"), Some(0));
        assert_eq!(step(Some(9), "PageDown"), Some(0));
        assert_eq!(step(Some(5), "Tab"), None, "Tab leaves the grid");
        assert_eq!(grid_step(&[], 4, None, "ArrowRight"), None);
        assert_eq!(
            (grid_cols(512), grid_cols(64), grid_cols(4224)),
            (32, 12, 48)
        );
    }
}
