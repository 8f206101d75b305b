//! Drawing pixels into a canvas (the crop, the unit heatmap and the top images share this).

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

/// Puts `rgba` (`w × h × 4` bytes) at the canvas's top-left corner.
pub fn put_rgba(canvas: &HtmlCanvasElement, rgba: &[u8], w: u32, h: u32) {
    let ctx = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok());
    if let (Some(ctx), Ok(img)) = (
        ctx,
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), w, h),
    ) {
        let _ = ctx.put_image_data(&img, 0.0, 0.0);
    }
}

/// Puts a 224×224 RGB crop (as [`crate::preprocess::Prepared::display`] holds it); anything
/// else is ignored.
pub fn put_crop(canvas: &HtmlCanvasElement, rgb: &[u8]) {
    use crate::protocol::CROP;
    if rgb.len() != CROP * CROP * 3 {
        return;
    }
    let rgba: Vec<u8> = rgb
        .chunks(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    put_rgba(canvas, &rgba, CROP as u32, CROP as u32);
}

/// The crop in gray with a unit's map `(h, w, values)` in orange on top, nearest-neighbour
/// upsampled to 224²; anything of the wrong size is ignored.
pub fn put_map(canvas: &HtmlCanvasElement, crop: &[u8], (h, w, v): &(usize, usize, Vec<f32>)) {
    use crate::protocol::CROP;
    if crop.len() != CROP * CROP * 3 || v.len() != h * w {
        return;
    }
    let max = v.iter().cloned().fold(0.0f32, f32::max).max(1e-12);
    let mut rgba = Vec::with_capacity(CROP * CROP * 4);
    for y in 0..CROP {
        for x in 0..CROP {
            let a = v[(y * h / CROP) * w + x * w / CROP] / max;
            let g = crop[(y * CROP + x) * 3] as f32 * 0.6;
            // Non-negative: adding a half and truncating rounds (and costs far less than `round`).
            let mix = |c: f32| (g * (1.0 - a) + c * a + 0.5) as u8;
            rgba.extend([mix(230.0), mix(159.0), mix(0.0), 255]);
        }
    }
    put_rgba(canvas, &rgba, CROP as u32, CROP as u32);
}
