//! The direct kernel on every path this machine has (the portable one always), against burn's
//! own conv2d and max_pool2d on the flex backend.

use super::*;
use crate::weights::init::SplitMix64;
use burn::tensor::activation::relu;
use burn::tensor::module::{conv2d, max_pool2d};
use burn::tensor::ops::{ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor, TensorData};

fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut r = SplitMix64::new(seed);
    (0..n)
        .map(|_| (r.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
        .collect()
}

struct Case {
    ci: usize,
    co: usize,
    k: usize,
    pad: usize,
    s: usize,
    h: usize,
    w: usize,
}

/// burn's conv2d + bias + ReLU, times the gains: the independent reference, `[co, h', w']`.
fn reference(c: &Case, x: &[f32], wt: &[f32], b: &[f32], gains: &[f32]) -> Vec<f32> {
    let d = Device::flex();
    let t = |v: &[f32], s: Vec<usize>| TensorData::new(v.to_vec(), s);
    let y = relu(conv2d(
        Tensor::<4>::from_data(t(x, vec![1, c.ci, c.h, c.w]), &d),
        Tensor::<4>::from_data(t(wt, vec![c.co, c.ci, c.k, c.k]), &d),
        Some(Tensor::<1>::from_data(t(b, vec![c.co]), &d)),
        ConvOptions::new([c.s; 2], [c.pad, c.pad], [1, 1], 1),
    ));
    let y: Vec<f32> = y.into_data().try_into_vec().unwrap();
    let per = y.len() / c.co;
    y.iter()
        .enumerate()
        .map(|(i, v)| v * gains[i / per])
        .collect()
}

#[test]
fn every_path_matches_burn_on_vgg_and_alexnet_shapes_at_odd_sizes() {
    let cases = [
        // VGG-16's first conv (3 channels, one block of 3) and a deep one, at odd sizes.
        Case {
            ci: 3,
            co: 64,
            k: 3,
            pad: 1,
            s: 1,
            h: 17,
            w: 13,
        },
        Case {
            ci: 64,
            co: 48,
            k: 3,
            pad: 1,
            s: 1,
            h: 15,
            w: 29,
        },
        // AlexNet: conv1 (11 × 11, stride 4, pad 2), conv2 (5 × 5, pad 2), conv3 (3 × 3).
        Case {
            ci: 3,
            co: 64,
            k: 11,
            pad: 2,
            s: 4,
            h: 63,
            w: 57,
        },
        Case {
            ci: 64,
            co: 32,
            k: 5,
            pad: 2,
            s: 1,
            h: 13,
            w: 13,
        },
        Case {
            ci: 48,
            co: 16,
            k: 3,
            pad: 1,
            s: 1,
            h: 13,
            w: 13,
        },
        // Channel counts that are not whole blocks, a 1 × 1 and a stride-2 conv, one pixel.
        Case {
            ci: 20,
            co: 5,
            k: 3,
            pad: 1,
            s: 1,
            h: 9,
            w: 11,
        },
        Case {
            ci: 7,
            co: 24,
            k: 1,
            pad: 0,
            s: 1,
            h: 5,
            w: 31,
        },
        Case {
            ci: 17,
            co: 33,
            k: 3,
            pad: 1,
            s: 2,
            h: 10,
            w: 9,
        },
        Case {
            ci: 16,
            co: 16,
            k: 3,
            pad: 1,
            s: 1,
            h: 1,
            w: 1,
        },
    ];
    let paths = Path::available();
    assert!(paths.contains(&Path::Scalar));
    for (i, c) in cases.iter().enumerate() {
        let wt = random(c.co * c.ci * c.k * c.k, 1 + i as u64);
        let b = random(c.co, 100 + i as u64);
        let x = random(c.ci * c.h * c.w, 200 + i as u64);
        let gains: Vec<f32> = (0..c.co).map(|o| [0.0, 1.0, 2.5, 6.0][o % 4]).collect();
        let want = reference(c, &x, &wt, &b, &gains);
        let scale = want.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
        for &path in &paths {
            let cib = path.block_for(c.ci);
            let p = Packed::new(path, (c.co, c.ci, c.k), c.pad, c.s, &wt, &b, cib);
            let input = Blocked::from_nchw(&x, (c.ci, c.h, c.w), cib, c.pad);
            for (out_pad, parallel) in [(0, false), (2, true)] {
                let (y, means) = p.run(&input, Some(&gains), out_pad, parallel);
                let (ho, wo) = p.out_size(c.h, c.w);
                assert_eq!((y.h, y.w, y.pad, y.c), (ho, wo, out_pad, c.co));
                let got = y.to_nchw();
                assert_eq!(got.len(), want.len(), "case {i} {path:?}");
                for (j, (a, e)) in got.iter().zip(&want).enumerate() {
                    assert!(
                        (a - e).abs() <= 2e-5 * scale,
                        "case {i} {path:?} @{j}: {a} vs {e}"
                    );
                }
                for o in 0..c.co {
                    let ch = &want[o * ho * wo..][..ho * wo];
                    let m = ch.iter().sum::<f32>() / ch.len() as f32;
                    assert!(
                        (means[o] - m).abs() <= 2e-5 * scale,
                        "case {i} {path:?} mean {o}"
                    );
                }
                // The border is zero: the next conv's padding.
                if out_pad > 0 {
                    assert!(y.data[..y.wp() * y.cb].iter().all(|v| *v == 0.0));
                }
            }
        }
    }
}

#[test]
fn without_gains_the_output_is_plain_relu_conv() {
    let c = Case {
        ci: 32,
        co: 32,
        k: 3,
        pad: 1,
        s: 1,
        h: 8,
        w: 8,
    };
    let wt = random(c.co * c.ci * 9, 5);
    let b = random(c.co, 6);
    let x = random(c.ci * 64, 7);
    let want = reference(&c, &x, &wt, &b, &[1.0; 32]);
    let scale = want.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
    for (path, wino) in Path::available()
        .into_iter()
        .flat_map(|p| [(p, false), (p, true)])
    {
        let p = Packed::new(path, (c.co, c.ci, c.k), 1, 1, &wt, &b, path.block_for(c.ci));
        let p = if wino { p } else { p.direct_only() };
        // Winograd's transforms round differently: a bound relative to the largest output.
        let tol = if wino { 2e-5 * scale } else { 1e-5 };
        let (y, _) = p.run(
            &Blocked::from_nchw(&x, (32, 8, 8), p.cib, 1),
            None,
            0,
            false,
        );
        let got = y.to_nchw();
        assert!(
            got.iter().zip(&want).all(|(a, e)| (a - e).abs() < tol),
            "{path:?} Winograd {wino}"
        );
        assert!(got.iter().any(|v| *v > 0.0) && got.contains(&0.0));
    }
}

#[test]
fn blocked_pooling_matches_burn_and_layouts_round_trip() {
    let (c, h, w) = (20, 9, 8);
    let x = random(c * h * w, 9);
    for cb in [4, 8, 16] {
        let b = Blocked::from_nchw(&x, (c, h, w), cb, 1);
        assert_eq!(b.to_nchw(), x);
        assert_eq!(b.clone().reblock(cb, 1), b);
        let unpadded = b.reblock(cb, 0);
        for (k, s) in [(2, 2), (3, 2)] {
            let ours = max_pool(&unpadded, k, s, 1);
            let t =
                Tensor::<4>::from_data(TensorData::new(x.clone(), [1, c, h, w]), &Device::flex());
            let theirs: Vec<f32> = max_pool2d(t, MaxPoolOptions::new([k, k]).with_stride([s, s]))
                .into_data()
                .try_into_vec()
                .unwrap();
            assert_eq!(ours.to_nchw(), theirs, "cb {cb} k {k} s {s}");
            assert_eq!(ours.pad, 1);
        }
    }
}

#[test]
fn runs_cover_a_row_in_near_equal_pieces() {
    assert_eq!(runs(13, 14), vec![(0, 13)]);
    assert_eq!(runs(27, 14), vec![(0, 13), (13, 14)]);
    assert_eq!(runs(55, 14), vec![(0, 13), (13, 14), (27, 14), (41, 14)]);
    assert_eq!(runs(224, 14).len(), 16);
    assert_eq!(runs(1, 6), vec![(0, 1)]);
    for wo in 1..100 {
        let r = runs(wo, 6);
        assert_eq!(r.iter().map(|x| x.1).sum::<usize>(), wo);
        assert!(r.iter().all(|x| x.1 <= 6 && x.1 > 0));
    }
}

#[test]
fn recycled_buffers_leave_no_stale_values() {
    let (ci, co, h, w) = (16, 32, 7, 9);
    let wt = random(co * ci * 9, 11);
    let b = random(co, 12);
    let x = random(ci * h * w, 13);
    for path in Path::available() {
        let p = Packed::new(path, (co, ci, 3), 1, 1, &wt, &b, path.block_for(ci));
        let input = Blocked::from_nchw(&x, (ci, h, w), p.cib, 1);
        let (clean, _) = p.run(&input, None, 1, false);
        let want = clean.data.clone();
        drop(clean);
        // A NaN-filled buffer of exactly the output's size goes back to this thread's free
        // list; the next output takes it and must overwrite or zero every value.
        let mut stale = Blocked::zeros(co, path.lanes(), (h, w), 1);
        stale.data.fill(f32::NAN);
        drop(stale);
        let (again, _) = p.run(&input, None, 1, false);
        assert_eq!(again.data, want, "{path:?}");
        let pooled = max_pool(&again.reblock(path.lanes(), 0), 2, 2, 1);
        assert!(pooled.data.iter().all(|v| v.is_finite()), "{path:?}");
    }
}

/// Per-layer speed of the direct kernel on this machine's best path, one thread, VGG-16 and
/// AlexNet shapes at 224². A benchmark that prints figures, not a test:
/// `cargo test --release --features cli --lib layer_speeds -- --ignored --nocapture`.
#[test]
#[ignore]
fn layer_speeds() {
    use crate::arch::{Arch, Feature};
    let path = Path::available()[0];
    println!(
        "peak: {:.0} GFLOP/s on 1 thread, {:.0} on 2",
        peak_gflops(path, 1),
        peak_gflops(path, 2)
    );
    for arch in [Arch::Alexnet, Arch::Vgg16] {
        let mut hw = 224;
        for f in arch.features() {
            let Feature::Conv(c) = f else {
                if let Feature::MaxPool { kernel, stride } = f {
                    hw = (hw - kernel) / stride + 1;
                }
                continue;
            };
            let (ci, co, k) = (c.in_channels, c.out_channels, c.kernel);
            let p = Packed::new(
                path,
                (co, ci, k),
                c.padding,
                c.stride,
                &random(co * ci * k * k, 1),
                &random(co, 2),
                path.block_for(ci),
            );
            let x = Blocked::from_nchw(&random(ci * hw * hw, 3), (ci, hw, hw), p.cib, c.padding);
            let (ho, _) = p.out_size(hw, hw);
            let reps = 3;
            let _ = p.run(&x, None, 1, false);
            let t = web_time::Instant::now();
            for _ in 0..reps {
                let _ = p.run(&x, None, 1, false);
            }
            let s = t.elapsed().as_secs_f64() / reps as f64;
            let gflop = 2.0 * (co * ci * k * k * ho * ho) as f64 / 1e9;
            println!(
                "{:?} {:8} {:3}x{:<3} {ci:3}->{co:3} k{k} s{}: {:7.2} ms {:6.1} GFLOP/s",
                path,
                c.name,
                hw,
                hw,
                c.stride,
                s * 1e3,
                gflop / s
            );
            hw = ho;
        }
    }
}
