//! The lab's valence × arousal plot as an SVG string (DOM-free, native-tested): the profiled
//! set's mean ratings as faint dots for context (positions only, never the pictures), the
//! visitor's image as predicted by the ridge readouts, and where an intervention moves it.

/// Plot size in SVG units (scaled by CSS).
const SIZE: f64 = 220.0;
const PAD: f64 = 28.0;

/// `v` on the 1–7 scale to a coordinate along an axis of length `SIZE − 2·PAD` (clamped, so a
/// prediction past the scale stays on the plot's edge).
fn at(v: f32) -> f64 {
    let t = ((v as f64 - 1.0) / 6.0).clamp(0.0, 1.0);
    PAD + t * (SIZE - 2.0 * PAD)
}

fn xy(p: [f32; 2]) -> (f64, f64) {
    (at(p[0]), SIZE - at(p[1]))
}

fn open(label: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {SIZE} {SIZE}\" role=\"img\" \
         aria-label=\"{label}\" font-family=\"sans-serif\" font-size=\"10\">"
    )
}

/// The plot's background: frame, midlines, axis labels and the set's `[valence, arousal]` as
/// faint dots. It changes with the profile only, so the page draws it once per profile.
pub fn affect_background_svg(dots: &[[f32; 2]]) -> String {
    let mut s = open("The profiled pictures' ratings of valence and arousal");
    let (lo, hi) = (PAD, SIZE - PAD);
    s += &format!(
        "<rect x=\"{lo}\" y=\"{lo}\" width=\"{w}\" height=\"{w}\" fill=\"#fafaf7\" stroke=\"#999\"/>",
        w = hi - lo
    );
    // The scale's midpoint (4) on both axes.
    let mid = at(4.0);
    s += &format!(
        "<path d=\"M{mid} {lo}V{hi}M{lo} {m2}H{hi}\" stroke=\"#ddd\"/>",
        m2 = SIZE - mid
    );
    for d in dots {
        let (x, y) = xy(*d);
        s += &format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"1.6\" fill=\"#888\" fill-opacity=\"0.25\"/>"
        );
    }
    s += &format!(
        "<text x=\"{c}\" y=\"{b}\" text-anchor=\"middle\">valence (1 unpleasant … 7 pleasant)</text>\
         <text transform=\"translate(11 {c}) rotate(-90)\" text-anchor=\"middle\">arousal (1 calm … 7 excited)</text>",
        c = SIZE / 2.0,
        b = SIZE - 8.0
    );
    s + "</svg>"
}

/// The plot's marks, drawn over the background on the same scale: `base` the image without
/// intervention, `now` with it (an arrow joins them when they differ by more than 0.01).
pub fn affect_marks_svg(base: Option<[f32; 2]>, now: Option<[f32; 2]>) -> String {
    let mut s = open("Predicted valence and arousal");
    let moved = match (base, now) {
        (Some(b), Some(n)) => (b[0] - n[0]).abs() > 0.01 || (b[1] - n[1]).abs() > 0.01,
        _ => false,
    };
    if let (true, Some(b), Some(n)) = (moved, base, now) {
        let ((x0, y0), (x1, y1)) = (xy(b), xy(n));
        s += &format!(
            "<circle cx=\"{x0:.1}\" cy=\"{y0:.1}\" r=\"5\" fill=\"none\" stroke=\"#111\" stroke-width=\"1.5\"/>\
             <line x1=\"{x0:.1}\" y1=\"{y0:.1}\" x2=\"{x1:.1}\" y2=\"{y1:.1}\" stroke=\"#D55E00\" stroke-width=\"1.5\"/>"
        );
    }
    if let Some(n) = now {
        let (x, y) = xy(n);
        let fill = if moved { "#D55E00" } else { "#111" };
        s += &format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"5\" fill=\"{fill}\"/>");
    }
    s + "</svg>"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_ends_and_clamping() {
        assert_eq!(at(1.0), PAD);
        assert_eq!(at(7.0), SIZE - PAD);
        assert_eq!(at(4.0), SIZE / 2.0);
        assert_eq!(at(9.0), SIZE - PAD, "past the scale stays on the edge");
        // Arousal grows upwards.
        assert_eq!(xy([7.0, 7.0]), (SIZE - PAD, PAD));
    }

    #[test]
    fn dots_point_and_arrow() {
        let back = affect_background_svg(&[[1.0, 1.0], [7.0, 4.0]]);
        assert_eq!(back.matches("fill-opacity=\"0.25\"").count(), 2);
        assert!(back.contains("cx=\"28.0\" cy=\"192.0\""), "{back}");
        let svg = affect_marks_svg(Some([4.0, 4.0]), Some([4.0, 4.0]));
        assert!(
            svg.contains("cx=\"110.0\" cy=\"110.0\" r=\"5\" fill=\"#111\""),
            "{svg}"
        );
        assert!(!svg.contains("<line"), "no arrow without a change");
        assert!(!svg.contains("fill-opacity"), "the marks carry no dots");
        let moved = affect_marks_svg(Some([4.0, 4.0]), Some([2.5, 4.0]));
        assert!(
            moved.contains("<line x1=\"110.0\" y1=\"110.0\" x2=\"69.0\" y2=\"110.0\""),
            "{moved}"
        );
        assert!(moved.contains("fill=\"#D55E00\""), "{moved}");
        assert!(affect_marks_svg(None, None).ends_with("</svg>"));
    }
}
