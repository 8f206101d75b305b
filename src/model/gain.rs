//! The gain mask: one optional `f32` gain per channel per conv layer, applied after that layer's
//! ReLU. Lesion = 0, enhancement = 1 + α, no entry = the plain network. Weights are never edited.

use crate::error::Failure;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Per-layer, per-channel gains keyed by layer name (`conv5_3`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GainMask {
    pub layers: BTreeMap<String, Vec<f32>>,
}

impl GainMask {
    /// The plain network.
    pub fn none() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Sets `gain` on `units` of `layer` (a layer with `channels` units); other units keep theirs.
    pub fn set(&mut self, layer: &str, channels: usize, units: &[usize], gain: f32) {
        let g = self
            .layers
            .entry(layer.to_string())
            .or_insert_with(|| vec![1.0; channels]);
        for &u in units {
            if u < g.len() {
                g[u] = gain;
            }
        }
    }

    /// Lesion (α = −1): gain 0.
    pub fn lesion(layer: &str, channels: usize, units: &[usize]) -> Self {
        let mut m = Self::none();
        m.set(layer, channels, units, 0.0);
        m
    }

    /// Enhancement: gain 1 + α.
    pub fn enhance(layer: &str, channels: usize, units: &[usize], alpha: f32) -> Self {
        let mut m = Self::none();
        m.set(layer, channels, units, 1.0 + alpha);
        m
    }

    pub fn get(&self, layer: &str) -> Option<&[f32]> {
        self.layers.get(layer).map(|v| v.as_slice())
    }

    /// Checks every entry names a known layer with the right number of finite gains.
    pub fn validate(&self, layers: &[(&str, usize)]) -> Result<(), Failure> {
        for (name, gains) in &self.layers {
            let Some((_, c)) = layers.iter().find(|(n, _)| n == name) else {
                return Err(Failure::bad_input(format!(
                    "gain mask names unknown layer `{name}`"
                )));
            };
            if gains.len() != *c {
                return Err(Failure::bad_input(format!(
                    "gain mask for `{name}` has {} gains, the layer has {c} units",
                    gains.len()
                )));
            }
            if let Some(g) = gains.iter().find(|g| !g.is_finite() || **g < 0.0) {
                return Err(Failure::bad_input(format!(
                    "gain mask for `{name}` holds an invalid gain {g}"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lesion_and_enhance_set_only_chosen_units() {
        let m = GainMask::lesion("conv1", 4, &[1, 3]);
        assert_eq!(m.get("conv1").unwrap(), &[1.0, 0.0, 1.0, 0.0]);
        let e = GainMask::enhance("conv2", 3, &[0], 2.5);
        assert_eq!(e.get("conv2").unwrap(), &[3.5, 1.0, 1.0]);
        assert!(GainMask::none().get("conv1").is_none());
    }

    #[test]
    fn validate_rejects_bad_masks() {
        let layers = [("conv1", 4)];
        assert!(GainMask::lesion("conv1", 4, &[0]).validate(&layers).is_ok());
        assert!(GainMask::lesion("conv9", 4, &[0])
            .validate(&layers)
            .is_err());
        assert!(GainMask::lesion("conv1", 3, &[0])
            .validate(&layers)
            .is_err());
        let mut m = GainMask::none();
        m.layers
            .insert("conv1".into(), vec![1.0, f32::NAN, 1.0, 1.0]);
        assert!(m
            .validate(&layers)
            .unwrap_err()
            .message
            .contains("invalid gain"));
    }
}
