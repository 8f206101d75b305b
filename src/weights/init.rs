//! Seeded untrained networks (the paper's control): He-normal weights from our own portable PRNG.
//! SplitMix64 + Box–Muller in f64 via the pure-Rust `libm`, so native and wasm are bit-identical.

use super::TensorMap;
use crate::arch::Arch;

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, portable, well-mixed.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1], 53 bits.
    pub fn next_open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box–Muller, one value per pair of uniforms: simple and reproducible).
    pub fn next_normal(&mut self) -> f64 {
        let u1 = self.next_open01();
        let u2 = self.next_open01();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2)
    }
}

/// FNV-1a 64 of a string: turns a named seed and a parameter key into a stream seed.
pub fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// He-normal (fan-in) weights, zero biases; each tensor has its own stream from `seed` + key.
pub fn he_normal(arch: Arch, with_classifier: bool, seed: &str) -> TensorMap {
    let mut map = TensorMap::default();
    for (key, shape) in arch.parameter_shapes(with_classifier) {
        let n: usize = shape.iter().product();
        let data = if key.ends_with(".bias") {
            vec![0.0; n]
        } else {
            let fan_in: usize = shape[1..].iter().product();
            let std = libm::sqrt(2.0 / fan_in as f64);
            let mut rng = SplitMix64::new(fnv1a(&format!("{seed}/{key}")));
            (0..n).map(|_| (rng.next_normal() * std) as f32).collect()
        };
        map.insert(key, shape, data);
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_reference_vector() {
        // Reference values of SplitMix64 seeded with 0 (from the published C code).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn normals_have_unit_moments() {
        let mut r = SplitMix64::new(fnv1a("moments"));
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| r.next_normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "var {var}");
    }

    #[test]
    fn he_normal_scale_and_determinism() {
        let a = he_normal(Arch::Alexnet, false, "s1");
        let w = &a.get("features.3.weight").unwrap().data; // fan_in = 64*5*5
        let var = w.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / w.len() as f64;
        assert!((var * 1600.0 / 2.0 - 1.0).abs() < 0.02, "var {var}");
        assert!(a
            .get("features.3.bias")
            .unwrap()
            .data
            .iter()
            .all(|b| *b == 0.0));
        assert_eq!(a, he_normal(Arch::Alexnet, false, "s1"));
        assert_ne!(a.digest(), he_normal(Arch::Alexnet, false, "s2").digest());
    }
}
