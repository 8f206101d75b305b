//! Network architectures exactly as torchvision defines them: layer shapes, parameter key names
//! (`features.N.weight`, `classifier.N.weight`) and the paper's unit names (`conv1_1`, `conv1`).

use serde::{Deserialize, Serialize};

/// The two architectures of the paper.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    Vgg16,
    Alexnet,
}

/// One convolution of the `features` stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvSpec {
    /// The paper's unit-layer name, e.g. `conv3_2`.
    pub name: &'static str,
    /// Index in torchvision's `features` Sequential, e.g. `features.12`.
    pub index: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

/// One step of the `features` stack: a conv (followed by its ReLU) or a max-pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Feature {
    Conv(ConvSpec),
    MaxPool { kernel: usize, stride: usize },
}

/// One linear layer of the classifier (`classifier.N`), with whether a ReLU follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinearSpec {
    pub name: &'static str,
    pub index: usize,
    pub in_features: usize,
    pub out_features: usize,
    pub relu: bool,
}

const fn conv(name: &'static str, index: usize, i: usize, o: usize) -> Feature {
    Feature::Conv(ConvSpec {
        name,
        index,
        in_channels: i,
        out_channels: o,
        kernel: 3,
        stride: 1,
        padding: 1,
    })
}

const POOL2: Feature = Feature::MaxPool {
    kernel: 2,
    stride: 2,
};
const POOL3: Feature = Feature::MaxPool {
    kernel: 3,
    stride: 2,
};

impl Arch {
    pub fn parse(s: &str) -> Option<Arch> {
        match s {
            "vgg16" => Some(Arch::Vgg16),
            "alexnet" => Some(Arch::Alexnet),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Arch::Vgg16 => "vgg16",
            Arch::Alexnet => "alexnet",
        }
    }

    /// The `features` stack in order.
    pub fn features(self) -> Vec<Feature> {
        match self {
            Arch::Vgg16 => vec![
                conv("conv1_1", 0, 3, 64),
                conv("conv1_2", 2, 64, 64),
                POOL2,
                conv("conv2_1", 5, 64, 128),
                conv("conv2_2", 7, 128, 128),
                POOL2,
                conv("conv3_1", 10, 128, 256),
                conv("conv3_2", 12, 256, 256),
                conv("conv3_3", 14, 256, 256),
                POOL2,
                conv("conv4_1", 17, 256, 512),
                conv("conv4_2", 19, 512, 512),
                conv("conv4_3", 21, 512, 512),
                POOL2,
                conv("conv5_1", 24, 512, 512),
                conv("conv5_2", 26, 512, 512),
                conv("conv5_3", 28, 512, 512),
                POOL2,
            ],
            Arch::Alexnet => vec![
                Feature::Conv(ConvSpec {
                    name: "conv1",
                    index: 0,
                    in_channels: 3,
                    out_channels: 64,
                    kernel: 11,
                    stride: 4,
                    padding: 2,
                }),
                POOL3,
                Feature::Conv(ConvSpec {
                    name: "conv2",
                    index: 3,
                    in_channels: 64,
                    out_channels: 192,
                    kernel: 5,
                    stride: 1,
                    padding: 2,
                }),
                POOL3,
                conv("conv3", 6, 192, 384),
                conv("conv4", 8, 384, 256),
                conv("conv5", 10, 256, 256),
                POOL3,
            ],
        }
    }

    /// The conv layers only, in order.
    pub fn convs(self) -> Vec<ConvSpec> {
        self.features()
            .into_iter()
            .filter_map(|f| match f {
                Feature::Conv(c) => Some(c),
                Feature::MaxPool { .. } => None,
            })
            .collect()
    }

    /// Multiply-adds of the conv stack for one `size × size` image.
    pub fn conv_macs(self, size: usize) -> u64 {
        self.conv_macs_executed(size, None)
    }

    /// Multiply-adds the CPU fast path executes at `size` when the 3 × 3 stride-1 convs whose
    /// input channels fill whole vectors of `lanes` run on Winograd F(4×4, 3×3) (36 per 4 × 4
    /// output tile and channel pair, partial tiles counted whole, instead of 144); `None`: all
    /// direct, as [`Arch::conv_macs`].
    pub fn conv_macs_executed(self, size: usize, lanes: Option<usize>) -> u64 {
        let (mut h, mut w) = (size, size);
        let mut macs = 0u64;
        for f in self.features() {
            match f {
                Feature::Conv(c) => {
                    let (k, p, s) = (c.kernel, c.padding, c.stride);
                    (h, w) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
                    let (ci, co) = (c.in_channels, c.out_channels);
                    let wino = lanes.is_some_and(|v| {
                        k == 3 && s == 1 && p == 1 && ci >= v && ci.is_multiple_of(v)
                    });
                    macs += match wino {
                        true => (h.div_ceil(4) * w.div_ceil(4) * 36 * ci * co) as u64,
                        false => (co * ci * k * k * h * w) as u64,
                    };
                }
                Feature::MaxPool { kernel, stride } => {
                    (h, w) = ((h - kernel) / stride + 1, (w - kernel) / stride + 1);
                }
            }
        }
        macs
    }

    /// The paper's layer names, in order.
    pub fn layer_names(self) -> Vec<&'static str> {
        self.convs().iter().map(|c| c.name).collect()
    }

    /// Output size of torchvision's `AdaptiveAvgPool2d` before the classifier.
    pub fn avgpool_size(self) -> usize {
        match self {
            Arch::Vgg16 => 7,
            Arch::Alexnet => 6,
        }
    }

    /// The classifier's linear layers (dropout is identity at inference).
    pub fn classifier(self) -> Vec<LinearSpec> {
        let (flat, idx) = match self {
            Arch::Vgg16 => (512 * 7 * 7, [0, 3, 6]),
            Arch::Alexnet => (256 * 6 * 6, [1, 4, 6]),
        };
        vec![
            LinearSpec {
                name: "fc6",
                index: idx[0],
                in_features: flat,
                out_features: 4096,
                relu: true,
            },
            LinearSpec {
                name: "fc7",
                index: idx[1],
                in_features: 4096,
                out_features: 4096,
                relu: true,
            },
            LinearSpec {
                name: "fc8",
                index: idx[2],
                in_features: 4096,
                out_features: 1000,
                relu: false,
            },
        ]
    }

    /// Every parameter key and its shape, as torchvision names them.
    pub fn parameter_shapes(self, with_classifier: bool) -> Vec<(String, Vec<usize>)> {
        let mut out = Vec::new();
        for c in self.convs() {
            let k = c.kernel;
            out.push((
                format!("features.{}.weight", c.index),
                vec![c.out_channels, c.in_channels, k, k],
            ));
            out.push((format!("features.{}.bias", c.index), vec![c.out_channels]));
        }
        if with_classifier {
            for l in self.classifier() {
                out.push((
                    format!("classifier.{}.weight", l.index),
                    vec![l.out_features, l.in_features],
                ));
                out.push((format!("classifier.{}.bias", l.index), vec![l.out_features]));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn conv_macs_match_hand_counts() {
        // AlexNet at 224: 55², 27², 13² maps; 64·3·121·55² + 192·64·25·27² + 384·192·9·13²
        // + 256·384·9·13² + 256·256·9·13².
        let alex = 70_276_800 + 223_948_800 + 112_140_288 + 149_520_384 + 99_680_256;
        assert_eq!(Arch::Alexnet.conv_macs(224), alex);
        // VGG-16 at 224: the well-known 15.35 GMAC of its convs.
        let vgg = Arch::Vgg16.conv_macs(224);
        assert_eq!(vgg, 15_346_630_656);
        assert_eq!(Arch::Alexnet.conv_macs_executed(224, None), alex);
        // Winograd on conv3–5 (13² maps: 4 × 4 tiles of 4 × 4) at 16 lanes; conv1–2 direct.
        let wino = 70_276_800 + 223_948_800 + 16 * 36 * (192 * 384 + 384 * 256 + 256 * 256);
        assert_eq!(Arch::Alexnet.conv_macs_executed(224, Some(16)), wino);
        // VGG-16: conv1_1 (3 channels) direct, the rest on whole tiles (every size a multiple
        // of 4 but 14: 4 × 4 tiles).
        let direct11 = 64 * 3 * 9 * 224 * 224;
        let mut want = direct11 as u64;
        for (t, ci, co) in [
            (56, 64, 64),
            (28, 64, 128),
            (28, 128, 128),
            (14, 128, 256),
            (14, 256, 256),
            (14, 256, 256),
            (7, 256, 512),
            (7, 512, 512),
            (7, 512, 512),
            (4, 512, 512),
            (4, 512, 512),
            (4, 512, 512),
        ] {
            want += (t * t * 36 * ci * co) as u64;
        }
        assert_eq!(Arch::Vgg16.conv_macs_executed(224, Some(16)), want);
    }

    use super::*;

    #[test]
    fn vgg16_matches_torchvision_layout() {
        let convs = Arch::Vgg16.convs();
        assert_eq!(convs.len(), 13);
        let idx: Vec<usize> = convs.iter().map(|c| c.index).collect();
        assert_eq!(idx, [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]);
        let n: usize = Arch::Vgg16
            .parameter_shapes(true)
            .iter()
            .map(|(_, s)| s.iter().product::<usize>())
            .sum();
        assert_eq!(n, 138_357_544, "torchvision vgg16 parameter count");
    }

    #[test]
    fn alexnet_matches_torchvision_layout() {
        assert_eq!(
            Arch::Alexnet.layer_names(),
            ["conv1", "conv2", "conv3", "conv4", "conv5"]
        );
        let n: usize = Arch::Alexnet
            .parameter_shapes(true)
            .iter()
            .map(|(_, s)| s.iter().product::<usize>())
            .sum();
        assert_eq!(n, 61_100_840, "torchvision alexnet parameter count");
    }
}
