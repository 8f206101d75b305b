//! The unit grid's pixels, DOM-free: every cell painted into one RGBA buffer that the page puts
//! on its canvas in one call (512 cells drawn one by one cost a slow device's page thousands of
//! calls into the browser per pass).

/// One unit's cell: its colour (`#rrggbb`), how strongly it is drawn (0–1), and its marks.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub color: String,
    pub strength: f64,
    pub selected: bool,
    pub focused: bool,
}

/// The grid's background, and the cells' faintest opacity.
const BACK: [u8; 3] = [0xf3, 0xf3, 0xf0];
const FLOOR: f64 = 0.12;
const SELECTED: [u8; 3] = [0x11, 0x11, 0x11];
const FOCUS: [u8; 3] = [0xf0, 0xe4, 0x42];

/// `#rrggbb` as bytes (grey when it is not one).
pub fn rgb(color: &str) -> [u8; 3] {
    let hex = |i: usize| {
        color
            .get(1 + 2 * i..3 + 2 * i)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
    };
    match (
        color.starts_with('#') && color.len() == 7,
        hex(0),
        hex(1),
        hex(2),
    ) {
        (true, Some(r), Some(g), Some(b)) => [r, g, b],
        _ => [0x55, 0x55, 0x55],
    }
}

/// The grid `cols` cells wide, each `size`² pixels, in `cells`' order: `(rgba, width, height)`.
/// A cell is its colour over the background at opacity `0.12 + 0.88 · strength`, one pixel in
/// from its edges; a selected cell has a dark 2-pixel frame inside it, the focused one a yellow
/// frame on its edge.
pub fn grid_rgba(cells: &[Cell], cols: usize, size: usize) -> (Vec<u8>, usize, usize) {
    let cols = cols.max(1);
    let (w, h) = (cols * size, cells.len().div_ceil(cols) * size);
    let mut px = [BACK[0], BACK[1], BACK[2], 255].repeat(w * h);
    for (pos, cell) in cells.iter().enumerate() {
        let (x0, y0) = ((pos % cols) * size, (pos / cols) * size);
        let a = FLOOR + (1.0 - FLOOR) * cell.strength.clamp(0.0, 1.0);
        let c = rgb(&cell.color);
        let fill: [u8; 3] =
            std::array::from_fn(|i| (BACK[i] as f64 * (1.0 - a) + c[i] as f64 * a + 0.5) as u8);
        for dy in 0..size {
            for dx in 0..size {
                let edge = dx.min(dy).min(size - 1 - dx).min(size - 1 - dy);
                let colour = match edge {
                    0 if cell.focused => FOCUS,
                    0 => continue,
                    1 | 2 if cell.selected => SELECTED,
                    _ => fill,
                };
                let at = ((y0 + dy) * w + x0 + dx) * 4;
                px[at..at + 3].copy_from_slice(&colour);
            }
        }
    }
    (px, w, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(color: &str, strength: f64, selected: bool, focused: bool) -> Cell {
        Cell {
            color: color.into(),
            strength,
            selected,
            focused,
        }
    }

    fn at(px: &[u8], w: usize, x: usize, y: usize) -> [u8; 4] {
        let i = (y * w + x) * 4;
        [px[i], px[i + 1], px[i + 2], px[i + 3]]
    }

    #[test]
    fn colours_parse() {
        assert_eq!(rgb("#0072B2"), [0x00, 0x72, 0xb2]);
        assert_eq!(rgb("#e69f00"), [0xe6, 0x9f, 0x00]);
        assert_eq!(rgb("red"), [0x55, 0x55, 0x55]);
        assert_eq!(rgb("#12345"), [0x55, 0x55, 0x55]);
    }

    #[test]
    fn cells_land_in_order_with_their_opacity_and_marks() {
        // Three cells, two to a row, 8 pixels each: a 16 × 16 image.
        let cells = [
            cell("#000000", 1.0, false, false),
            cell("#ffffff", 0.0, true, false),
            cell("#D55E00", 0.5, false, true),
        ];
        let (px, w, h) = grid_rgba(&cells, 2, 8);
        assert_eq!((w, h, px.len()), (16, 16, 16 * 16 * 4));
        // Full strength: the colour itself; the outer pixel ring stays background.
        assert_eq!(at(&px, w, 4, 4), [0, 0, 0, 255]);
        assert_eq!(at(&px, w, 0, 0), [0xf3, 0xf3, 0xf0, 255]);
        // Zero strength white over the background at 0.12: 243·0.88 + 255·0.12 = 244.4 and
        // 240·0.88 + 255·0.12 = 241.8.
        assert_eq!(at(&px, w, 12, 4), [244, 244, 242, 255]);
        // Selected: a dark frame two pixels wide inside the cell.
        assert_eq!(at(&px, w, 9, 4), [0x11, 0x11, 0x11, 255]);
        assert_eq!(at(&px, w, 10, 4), [0x11, 0x11, 0x11, 255]);
        assert_eq!(at(&px, w, 11, 4), [244, 244, 242, 255]);
        // Focused (third cell, second row): a yellow ring on its edge; half strength inside:
        // 243·0.44 + 213·0.56 = 226.2, 243·0.44 + 94·0.56 = 159.6, 240·0.44 = 105.6.
        assert_eq!(at(&px, w, 0, 8), [0xf0, 0xe4, 0x42, 255]);
        assert_eq!(at(&px, w, 4, 12), [226, 160, 106, 255]);
        // The empty fourth cell is background.
        assert_eq!(at(&px, w, 12, 12), [0xf3, 0xf3, 0xf0, 255]);
    }
}
