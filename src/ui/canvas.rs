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
