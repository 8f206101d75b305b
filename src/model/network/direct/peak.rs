//! The machine's measured peak: independent fused multiply-add chains in registers (no memory
//! traffic), on the same instruction set as the kernel, on `threads` threads at once. The
//! benchmark reports the kernel's GFLOP/s against this figure.

use super::lanes::Lanes;
use super::Path;
use web_time::Instant;

/// Independent accumulators: enough to hide the FMA latency on every x86 core.
const CHAINS: usize = 12;

#[inline(always)]
fn chains<L: Lanes>(iters: usize, seed: f32) -> f32 {
    let x = [seed; 16];
    let mut out = [0f32; 16];
    // SAFETY: `x` and `out` hold 16 floats, at least one vector; the caller runs this only on
    // an available path (see `burn`).
    unsafe {
        let a = L::load(x.as_ptr());
        let b = L::load(x.as_ptr());
        let mut acc = [L::zero(); CHAINS];
        for _ in 0..iters {
            for c in acc.iter_mut() {
                *c = L::fma(a, b, *c);
            }
        }
        let mut s = L::zero();
        for c in acc {
            s = L::add(s, c);
        }
        L::store(out.as_mut_ptr(), s);
    }
    out[0]
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn avx512(iters: usize, seed: f32) -> f32 {
    chains::<super::lanes::Avx512>(iters, seed)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn avx2(iters: usize, seed: f32) -> f32 {
    chains::<super::lanes::Avx2>(iters, seed)
}

/// One thread's FMA chains on `path`; returns a value so the work is not optimised away.
fn burn(path: Path, iters: usize, seed: f32) -> f32 {
    match path {
        // SAFETY: `peak_gflops` only takes paths from `Path::available`.
        #[cfg(target_arch = "x86_64")]
        Path::Avx512 => unsafe { avx512(iters, seed) },
        #[cfg(target_arch = "x86_64")]
        Path::Avx2 => unsafe { avx2(iters, seed) },
        #[cfg(all(target_family = "wasm", target_feature = "simd128"))]
        Path::Simd128 => chains::<super::lanes::Simd128>(iters, seed),
        _ => chains::<super::lanes::Scalar>(iters, seed),
    }
}

/// Peak GFLOP/s of `path` (the best available when it is not) on `threads` threads at once,
/// the best of three runs of about 0.2 s each.
pub fn peak_gflops(path: Path, threads: usize) -> f64 {
    let path = if Path::available().contains(&path) {
        path
    } else {
        Path::available()[0]
    };
    let threads = threads.max(1);
    let iters = 20_000_000 / path.lanes();
    let flops = (threads * iters * CHAINS * path.lanes() * 2) as f64;
    let mut best = 0f64;
    for _ in 0..3 {
        let t = Instant::now();
        let sink: f32 = std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads)
                .map(|i| s.spawn(move || burn(path, iters, 1e-7 * i as f32)))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
        });
        std::hint::black_box(sink);
        best = best.max(flops / t.elapsed().as_secs_f64() / 1e9);
    }
    best
}
