//! Where the emotion lies in a picture: the readout is linear in the readout layer's spatial
//! means, so the joint head's weights applied to each position's channel vector give an exact map
//! of the evidence for an emotion (class activation mapping, Zhou et al. 2016). The map's
//! spatial mean plus a constant is the emotion's logit.
//!
//! Plain Rust over slices: the worker and `neurons predict --map` feed it the readout layer's
//! post-ReLU map (with the visitor's gains applied).

use super::profile::Profile;
use crate::error::Failure;
use serde::{Deserialize, Serialize};

/// The evidence for one emotion at each position of the readout layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmotionMap {
    /// Index into the profile's classes.
    pub emotion: usize,
    pub h: usize,
    pub w: usize,
    /// Row-major `h × w`, in logit units.
    pub values: Vec<f32>,
    /// The head's bias less the standardisation's offset: mean(values) + constant = the logit.
    pub constant: f32,
}

impl EmotionMap {
    /// The logit the map adds up to.
    pub fn logit(&self) -> f32 {
        let n = self.values.len().max(1) as f64;
        (self.values.iter().map(|v| *v as f64).sum::<f64>() / n + self.constant as f64) as f32
    }

    /// The largest absolute value (the colour scale's end), at least a tiny positive number.
    pub fn extent(&self) -> f32 {
        self.values.iter().fold(1e-12f32, |m, v| m.max(v.abs()))
    }
}

/// The layer whose map the emotion maps are made from: the one whose spatial means the readout
/// reads; none (an error the page shows as a notice) when it reads fc7.
pub fn map_layer(p: &Profile) -> Result<String, Failure> {
    super::experiment::readout_layer(p).ok_or_else(|| {
        Failure::new(
            crate::error::ErrorKind::NotReady,
            format!(
                "the readout reads {}, not a conv layer's means: no emotion map",
                p.readout.features
            ),
        )
    })
}

/// The map of emotion `e` of the joint head of `p` from the readout layer's map `acts`
/// (`[channel][h·w]`, row-major, `channels × h × w` values).
pub fn emotion_map(
    p: &Profile,
    acts: &[f32],
    (h, w): (usize, usize),
    e: usize,
) -> Result<EmotionMap, Failure> {
    let r = &p.readout;
    let c = r.feature_mean.len();
    let k = r.joint.outputs();
    if e >= k {
        return Err(Failure::bad_input(format!(
            "emotion {e} is not one of the readout's {k}"
        )));
    }
    if acts.len() != c * h * w || h * w == 0 {
        return Err(Failure::bad_input(format!(
            "the readout layer's map holds {} values, not {c} × {h} × {w}",
            acts.len()
        )));
    }
    let mut map = vec![0f64; h * w];
    let mut constant = r.joint.bias[e] as f64;
    for ch in 0..c {
        let wt = r.joint.weight[ch * k + e] as f64 / r.feature_sd[ch] as f64;
        constant -= wt * r.feature_mean[ch] as f64;
        for (m, a) in map.iter_mut().zip(&acts[ch * h * w..(ch + 1) * h * w]) {
            *m += wt * *a as f64;
        }
    }
    Ok(EmotionMap {
        emotion: e,
        h,
        w,
        values: map.into_iter().map(|v| v as f32).collect(),
        constant: constant as f32,
    })
}

/// The map of every emotion of the joint head.
pub fn emotion_maps(
    p: &Profile,
    acts: &[f32],
    hw: (usize, usize),
) -> Result<Vec<EmotionMap>, Failure> {
    (0..p.readout.joint.outputs())
        .map(|e| emotion_map(p, acts, hw, e))
        .collect()
}

/// The map at crop pixel `(x, y)`, bilinear between the positions' centres (clamped at the edges).
fn bilinear(m: &EmotionMap, x: usize, y: usize) -> f32 {
    use crate::limits::CROP;
    let at = |p: usize, n: usize| {
        let f = ((p as f32 + 0.5) * n as f32 / CROP as f32 - 0.5).clamp(0.0, (n - 1) as f32);
        let i = (f as usize).min(n.saturating_sub(2));
        (i, (i + 1).min(n - 1), f - i as f32)
    };
    let ((x0, x1, fx), (y0, y1, fy)) = (at(x, m.w), at(y, m.h));
    let v = |r: usize, c: usize| m.values[r * m.w + c];
    let top = v(y0, x0) * (1.0 - fx) + v(y0, x1) * fx;
    let bottom = v(y1, x0) * (1.0 - fx) + v(y1, x1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// The 224×224 crop (RGB, as the network saw it) in gray with the map on top (smoothly
/// interpolated between the readout layer's positions): orange where the
/// map adds evidence for the emotion, blue where it takes it away, strongest at `scale` (use
/// the larger [`EmotionMap::extent`] of two maps to compare them). RGBA bytes; `None` when the
/// crop is not 224×224×3.
pub fn overlay_rgba(crop: &[u8], m: &EmotionMap, scale: f32) -> Option<Vec<u8>> {
    use crate::limits::CROP;
    if crop.len() != CROP * CROP * 3 || m.values.len() != m.h * m.w {
        return None;
    }
    let scale = scale.max(1e-12);
    let mut rgba = Vec::with_capacity(CROP * CROP * 4);
    for y in 0..CROP {
        for x in 0..CROP {
            let v = bilinear(m, x, y) / scale;
            let a = v.abs().min(1.0) * 0.75;
            let (r, g, b) = if v >= 0.0 {
                (230.0, 159.0, 0.0)
            } else {
                (0.0, 114.0, 178.0)
            };
            let gray = crop[(y * CROP + x) * 3] as f32;
            let mix = |c: f32| (gray * (1.0 - a) + c * a).round() as u8;
            rgba.extend([mix(r), mix(g), mix(b), 255]);
        }
    }
    Some(rgba)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::head::{standardise, Head};
    use crate::weights::init::SplitMix64;

    fn profile_with(mean: Vec<f32>, sd: Vec<f32>, joint: Head) -> Profile {
        let text = include_str!("../../weights/profiles/alexnet-imagenet-conv.json");
        let mut p = Profile::parse(text, None).expect("the shipped profile parses");
        p.readout.feature_mean = mean;
        p.readout.feature_sd = sd;
        p.readout.joint = joint;
        p
    }

    #[test]
    fn hand_computed_two_channels() {
        // 2 channels, 1×2 positions; head 0 = 2·z0 − z1 + 0.5, z = (x − m) / s.
        let joint = Head {
            weight: vec![2.0, 0.0, -1.0, 0.0],
            bias: vec![0.5, 0.0],
        };
        let p = profile_with(vec![1.0, 0.0], vec![2.0, 1.0], joint);
        let acts = [3.0, 1.0, 4.0, 0.0]; // channel 0: [3, 1], channel 1: [4, 0]
        let m = emotion_map(&p, &acts, (1, 2), 0).unwrap();
        // map = 2/2·x0 − x1: [3 − 4, 1 − 0]; constant = 0.5 − 2·1/2 = −0.5.
        assert_eq!(m.values, vec![-1.0, 1.0]);
        assert_eq!(m.constant, -0.5);
        // Means x = [2, 2]: z = [0.5, 2], logit = 1 − 2 + 0.5 = −0.5 = mean(map) + constant.
        assert_eq!(m.logit(), -0.5);
        assert!(emotion_map(&p, &acts, (1, 2), 2).is_err());
        assert!(emotion_map(&p, &acts[..3], (1, 2), 0).is_err());
    }

    #[test]
    fn map_mean_plus_constant_is_the_logit() {
        let (c, h, w, k) = (64, 7, 5, 3);
        let mut rng = SplitMix64::new(11);
        let mut u = |s: f64| (rng.next_normal() * s) as f32;
        let acts: Vec<f32> = (0..c * h * w).map(|_| u(2.0).max(0.0)).collect();
        let mean: Vec<f32> = (0..c).map(|_| u(1.0).abs()).collect();
        let sd: Vec<f32> = (0..c).map(|_| 0.1 + u(1.0).abs()).collect();
        let joint = Head {
            weight: (0..c * k).map(|_| u(0.3)).collect(),
            bias: (0..k).map(|_| u(1.0)).collect(),
        };
        let p = profile_with(mean.clone(), sd.clone(), joint.clone());
        let means: Vec<f32> = acts
            .chunks(h * w)
            .map(|m| m.iter().sum::<f32>() / (h * w) as f32)
            .collect();
        let logits = joint.logits(&standardise(&means, &mean, &sd));
        let maps = emotion_maps(&p, &acts, (h, w)).unwrap();
        for (m, l) in maps.iter().zip(&logits) {
            assert!((m.logit() - l).abs() < 1e-5, "{} vs {l}", m.logit());
            assert!(m.extent() > 0.0);
        }
    }

    #[test]
    fn overlay_colours_by_sign() {
        let m = EmotionMap {
            emotion: 0,
            h: 1,
            w: 2,
            values: vec![2.0, -2.0],
            constant: 0.0,
        };
        let crop = vec![100u8; 224 * 224 * 3];
        let o = overlay_rgba(&crop, &m, 2.0).unwrap();
        // The left edge: 25 % gray, 75 % orange; the right edge: 75 % blue.
        assert_eq!(&o[..4], &[198, 144, 25, 255]);
        let right = (224 - 1) * 4;
        assert_eq!(&o[right..right + 4], &[25, 111, 159, 255]);
        // Halfway between the two positions' centres the map is about 0: the crop's gray.
        let mid = 111 * 4;
        assert!(
            o[mid..mid + 3].iter().all(|c| c.abs_diff(100) <= 2),
            "{:?}",
            &o[mid..mid + 4]
        );
        assert!(overlay_rgba(&crop[1..], &m, 1.0).is_none());
    }
}
