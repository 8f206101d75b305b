//! `neurons predict --map`: where each emotion lies in an image ([`crate::analysis::emotion_map`])
//! computed on this machine, as JSON and as the same overlay picture the lab draws.

use crate::analysis::emotion_map::{emotion_maps, map_layer, overlay_rgba, EmotionMap};
use crate::analysis::profile::Profile;
use crate::engine::Engine;
use crate::model::{read_rows, GainMask, Keep, Network};
use crate::preprocess::Prepared;
use crate::protocol::CROP;
use std::path::Path;

/// Every emotion's map of one image under `mask`.
pub fn maps(
    eng: &Engine,
    net: &Network,
    image: &Prepared,
    mask: &GainMask,
    p: &Profile,
) -> Result<Vec<EmotionMap>, String> {
    let layer = map_layer(p).map_err(|f| f.message)?;
    let acts = net.forward(eng.batch(&[image]), mask, Keep::Maps);
    let map = acts
        .layer(&layer)
        .and_then(|l| l.map.clone())
        .ok_or_else(|| format!("no layer `{layer}` in this model"))?;
    let [_, c, h, w] = map.dims();
    let flat = pollster::block_on(read_rows(map.reshape([1, c * h * w])))?.swap_remove(0);
    emotion_maps(p, &flat, (h, w)).map_err(|f| f.message)
}

/// Writes `m` over the image's crop as a 224×224 PNG.
pub fn write_png(path: &Path, image: &Prepared, m: &EmotionMap) -> Result<(), String> {
    let rgba = overlay_rgba(&image.display, m, m.extent()).ok_or("the crop is not 224×224")?;
    let img = image::RgbaImage::from_raw(CROP as u32, CROP as u32, rgba)
        .ok_or("the overlay has the wrong size")?;
    img.save(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
