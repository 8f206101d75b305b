//! Preprocessing, the same code natively and in wasm: decode with limits and EXIF orientation,
//! grayscale (the paper's default) or colour, shorter side to 256, centre-crop 224, then the
//! model's normalisation from its manifest entry.

use crate::error::Failure;
use crate::weights::manifest::Preprocessing;
use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageBuffer, ImageDecoder, ImageReader, Limits, Luma, Rgb};
use std::io::Cursor;

pub use crate::limits::CROP;
pub const RESIZE: u32 = 256;
/// Larger files are refused before decoding.
pub use crate::limits::MAX_FILE_BYTES;
/// Larger images are refused by the decoder (decompression bombs).
pub const MAX_SIDE: u32 = 16_384;
pub const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// An image ready for the network.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    /// `[3, 224, 224]`, normalised, channels in the manifest's order.
    pub input: Vec<f32>,
    /// The 224×224 crop the network sees, 0–255, RGB interleaved (gray replicated).
    pub display: Vec<u8>,
}

/// Decodes image bytes with limits and applies EXIF orientation.
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, Failure> {
    if bytes.is_empty() {
        return Err(Failure::bad_input("the file is empty"));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Failure::bad_input(format!(
            "the file is {} MB; the limit is {} MB",
            bytes.len() / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Failure::bad_input(format!("cannot read the file: {e}")))?;
    if reader.format().is_none() {
        return Err(Failure::bad_input(
            "not an image (JPEG, PNG, WebP, GIF or BMP expected)",
        ));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(describe)?;
    let orientation = decoder.orientation().map_err(describe)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(describe)?;
    img.apply_orientation(orientation);
    Ok(img)
}

fn describe(e: image::ImageError) -> Failure {
    Failure::bad_input(match e {
        image::ImageError::Limits(_) => format!(
            "the image is too large to decode safely (limit {MAX_SIDE}×{MAX_SIDE} pixels, {} MB)",
            MAX_ALLOC / (1024 * 1024)
        ),
        image::ImageError::Unsupported(u) => format!("unsupported image: {u}"),
        other => format!(
            "the image is corrupt or truncated: {}",
            other.to_string().trim()
        ),
    })
}

/// The resize target (shorter side 256, torchvision's rounding) and the crop offset.
fn geometry(w: u32, h: u32) -> ((u32, u32), (u32, u32)) {
    let (nw, nh) = if w <= h {
        (RESIZE, (RESIZE as u64 * h as u64 / w as u64) as u32)
    } else {
        ((RESIZE as u64 * w as u64 / h as u64) as u32, RESIZE)
    };
    let c = CROP as f64;
    let left = ((nw as f64 - c) / 2.0).round() as u32;
    let top = ((nh as f64 - c) / 2.0).round() as u32;
    ((nw, nh), (left, top))
}

/// Resizes and crops one f32 plane set, unless the image is already 224×224.
fn resize_crop<P>(img: ImageBuffer<P, Vec<f32>>) -> ImageBuffer<P, Vec<f32>>
where
    P: image::Pixel<Subpixel = f32> + 'static,
{
    let (w, h) = img.dimensions();
    if (w as usize, h as usize) == (CROP, CROP) {
        return img;
    }
    let ((nw, nh), (left, top)) = geometry(w, h);
    // `image` clamps f32 samples to 0–1 when resampling: scale down, resample, scale back.
    let mut img = img;
    img.iter_mut().for_each(|v| *v /= 255.0);
    let resized = imageops::resize(&img, nw, nh, FilterType::Triangle);
    let mut out = imageops::crop_imm(&resized, left, top, CROP as u32, CROP as u32).to_image();
    out.iter_mut().for_each(|v| *v *= 255.0);
    out
}

/// Planes `[r, g, b]` of the 224 crop, 0–255.
fn planes(img: &DynamicImage, gray: bool) -> [Vec<f32>; 3] {
    let (w, h) = (img.width(), img.height());
    let is_luma = matches!(img.color().channel_count(), 1 | 2);
    if gray || is_luma {
        let buf: ImageBuffer<Luma<f32>, Vec<f32>> = if is_luma {
            // Already gray: take the values as they are, so 224² gray PNGs pass through exactly.
            let l = img.to_luma16();
            ImageBuffer::from_fn(w, h, |x, y| Luma([l.get_pixel(x, y).0[0] as f32 / 257.0]))
        } else {
            // ITU-R BT.601 luma, as PIL's convert("L").
            let rgb = img.to_rgb32f();
            ImageBuffer::from_fn(w, h, |x, y| {
                let [r, g, b] = rgb.get_pixel(x, y).0;
                Luma([(0.299 * r + 0.587 * g + 0.114 * b) * 255.0])
            })
        };
        let v = resize_crop(buf).into_raw();
        [v.clone(), v.clone(), v]
    } else {
        let rgb = img.to_rgb32f();
        let buf: ImageBuffer<Rgb<f32>, Vec<f32>> =
            ImageBuffer::from_fn(w, h, |x, y| Rgb(rgb.get_pixel(x, y).0.map(|c| c * 255.0)));
        let v = resize_crop(buf).into_raw();
        let plane = |c: usize| v.iter().skip(c).step_by(3).copied().collect::<Vec<f32>>();
        [plane(0), plane(1), plane(2)]
    }
}

/// Decodes, crops and normalises one image.
pub fn prepare(bytes: &[u8], pre: &Preprocessing, gray: bool) -> Result<Prepared, Failure> {
    let img = decode(bytes)?;
    Ok(prepare_image(&img, pre, gray))
}

/// Crops and normalises an already decoded image.
pub fn prepare_image(img: &DynamicImage, pre: &Preprocessing, gray: bool) -> Prepared {
    let [r, g, b] = planes(img, gray);
    let display = (0..CROP * CROP)
        .flat_map(|i| [r[i], g[i], b[i]].map(|v| v.round().clamp(0.0, 255.0) as u8))
        .collect();
    let ordered = if pre.is_bgr() { [b, g, r] } else { [r, g, b] };
    let k = pre.scale / 255.0;
    let mut input = Vec::with_capacity(3 * CROP * CROP);
    for (c, plane) in ordered.iter().enumerate() {
        input.extend(plane.iter().map(|p| (p * k - pre.mean[c]) / pre.std[c]));
    }
    Prepared { input, display }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(img: DynamicImage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn gray_224_png_passes_through_exactly() {
        let img = ImageBuffer::from_fn(224, 224, |x, y| Luma([((x * 7 + y * 3) % 256) as u8]));
        let p = prepare(
            &png(DynamicImage::ImageLuma8(img)),
            &Preprocessing::caffe(),
            true,
        )
        .unwrap();
        // pixel (x=5, y=2) = 41; caffe: B channel first, minus 103.939
        let i = 2 * 224 + 5;
        assert_eq!(p.input[i], 41.0 - 103.939);
        assert_eq!(p.input[224 * 224 + i], 41.0 - 116.779);
        assert_eq!(p.input[2 * 224 * 224 + i], 41.0 - 123.68);
        assert_eq!(&p.display[i * 3..i * 3 + 3], &[41, 41, 41]);
    }

    #[test]
    fn torchvision_normalisation_and_luma() {
        let img = ImageBuffer::from_pixel(224, 224, Rgb([255u8, 0, 0]));
        let p = prepare_image(
            &DynamicImage::ImageRgb8(img),
            &Preprocessing::torchvision(),
            true,
        );
        let gray = 0.299f32; // pure red in BT.601 luma, 0–1
        assert!((p.input[0] - (gray - 0.485) / 0.229).abs() < 1e-5);
        assert!((p.input[2 * 224 * 224] - (gray - 0.406) / 0.225).abs() < 1e-5);
        let c = prepare_image(
            &DynamicImage::ImageRgb8(ImageBuffer::from_pixel(224, 224, Rgb([255u8, 0, 0]))),
            &Preprocessing::torchvision(),
            false,
        );
        assert!((c.input[0] - (1.0 - 0.485) / 0.229).abs() < 1e-5);
        assert!((c.input[224 * 224] - (0.0 - 0.456) / 0.224).abs() < 1e-5);
    }

    #[test]
    fn resize_geometry_follows_torchvision() {
        assert_eq!(geometry(500, 400), ((320, 256), (48, 16)));
        assert_eq!(geometry(300, 600), ((256, 512), (16, 144)));
        let img = ImageBuffer::from_pixel(500, 400, Luma([200u8]));
        let p = prepare_image(
            &DynamicImage::ImageLuma8(img),
            &Preprocessing::caffe(),
            true,
        );
        assert_eq!(p.input.len(), 3 * 224 * 224);
        assert!((p.input[1000] - (200.0 - 103.939)).abs() < 1e-3);
    }

    #[test]
    fn bad_files_get_specific_errors() {
        assert!(decode(b"").unwrap_err().message.contains("empty"));
        assert!(decode(b"hello, world")
            .unwrap_err()
            .message
            .contains("not an image"));
        let good = png(DynamicImage::ImageLuma8(ImageBuffer::from_pixel(
            64,
            64,
            Luma([1u8]),
        )));
        let e = decode(&good[..good.len() / 2]).unwrap_err().message;
        assert!(e.contains("corrupt or truncated"), "{e}");
        // A PNG header claiming 100000×100000 pixels: refused by the limits, not decoded.
        let mut bomb = good.clone();
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let e = decode(&bomb).unwrap_err().message;
        assert!(e.contains("too large") || e.contains("corrupt"), "{e}");
    }
}
