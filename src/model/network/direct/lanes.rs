//! One SIMD vector of output channels, per instruction set: the only place besides
//! [`super::kernel`] where the direct convolution touches raw pointers and intrinsics.
//! A vector holds `V` consecutive channels of one pixel (the channel block of the NCHWc layout).

/// A register of `V` floats and the handful of operations the kernel needs.
///
/// # Safety
/// Every method reads or writes `V` floats (one for [`Lanes::splat`]) at the pointer it is
/// given, which must be valid for that; the x86 implementations must only run where
/// [`super::Path::available`] reported their instruction set.
pub(super) trait Lanes {
    /// Floats per vector: the channel block.
    const V: usize;
    type R: Copy;
    unsafe fn zero() -> Self::R;
    unsafe fn load(p: *const f32) -> Self::R;
    /// The float at `p` in every lane.
    unsafe fn splat(p: *const f32) -> Self::R;
    /// `a · b + c`.
    unsafe fn fma(a: Self::R, b: Self::R, c: Self::R) -> Self::R;
    unsafe fn add(a: Self::R, b: Self::R) -> Self::R;
    unsafe fn sub(a: Self::R, b: Self::R) -> Self::R;
    /// `v` in every lane.
    unsafe fn set(v: f32) -> Self::R;
    unsafe fn mul(a: Self::R, b: Self::R) -> Self::R;
    unsafe fn max(a: Self::R, b: Self::R) -> Self::R;
    unsafe fn store(p: *mut f32, r: Self::R);
}

/// Portable fallback: eight floats in an array (the compiler vectorises what it can).
pub(super) struct Scalar;

impl Lanes for Scalar {
    const V: usize = 8;
    type R = [f32; 8];
    #[inline(always)]
    unsafe fn zero() -> Self::R {
        [0.0; 8]
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self::R {
        // SAFETY: the caller guarantees 8 readable floats at p.
        unsafe { p.cast::<[f32; 8]>().read_unaligned() }
    }
    #[inline(always)]
    unsafe fn splat(p: *const f32) -> Self::R {
        // SAFETY: the caller guarantees one readable float at p.
        [unsafe { *p }; 8]
    }
    #[inline(always)]
    unsafe fn fma(a: Self::R, b: Self::R, c: Self::R) -> Self::R {
        std::array::from_fn(|i| a[i] * b[i] + c[i])
    }
    #[inline(always)]
    unsafe fn add(a: Self::R, b: Self::R) -> Self::R {
        std::array::from_fn(|i| a[i] + b[i])
    }
    #[inline(always)]
    unsafe fn sub(a: Self::R, b: Self::R) -> Self::R {
        std::array::from_fn(|i| a[i] - b[i])
    }
    #[inline(always)]
    unsafe fn set(v: f32) -> Self::R {
        [v; 8]
    }
    #[inline(always)]
    unsafe fn mul(a: Self::R, b: Self::R) -> Self::R {
        std::array::from_fn(|i| a[i] * b[i])
    }
    #[inline(always)]
    unsafe fn max(a: Self::R, b: Self::R) -> Self::R {
        std::array::from_fn(|i| a[i].max(b[i]))
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, r: Self::R) {
        // SAFETY: the caller guarantees 8 writable floats at p.
        unsafe { p.cast::<[f32; 8]>().write_unaligned(r) }
    }
}

#[cfg(target_arch = "x86_64")]
pub(super) use x86::{Avx2, Avx512};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Lanes;
    use std::arch::x86_64::*;

    /// AVX-512F: 16 channels per register, 32 registers.
    pub(in super::super) struct Avx512;
    /// AVX2 + FMA: 8 channels per register, 16 registers.
    pub(in super::super) struct Avx2;

    /// One `Lanes` impl from an instruction set's intrinsics.
    macro_rules! x86_lanes {
        ($t:ty, $v:literal, $r:ty, $zero:ident, $load:ident, $set1:ident, $fma:ident, $add:ident,
         $sub:ident, $mul:ident, $max:ident, $store:ident) => {
            // SAFETY: the intrinsics need the instruction set of `$t`, which the caller
            // guarantees (these types are only used inside `#[target_feature]` entry points that
            // run after run-time detection); pointer validity is the caller's contract (trait
            // docs).
            impl Lanes for $t {
                const V: usize = $v;
                type R = $r;
                #[inline(always)]
                unsafe fn zero() -> $r {
                    unsafe { $zero() }
                }
                #[inline(always)]
                unsafe fn load(p: *const f32) -> $r {
                    unsafe { $load(p) }
                }
                #[inline(always)]
                unsafe fn splat(p: *const f32) -> $r {
                    unsafe { $set1(*p) }
                }
                #[inline(always)]
                unsafe fn fma(a: $r, b: $r, c: $r) -> $r {
                    unsafe { $fma(a, b, c) }
                }
                #[inline(always)]
                unsafe fn add(a: $r, b: $r) -> $r {
                    unsafe { $add(a, b) }
                }
                #[inline(always)]
                unsafe fn sub(a: $r, b: $r) -> $r {
                    unsafe { $sub(a, b) }
                }
                #[inline(always)]
                unsafe fn set(v: f32) -> $r {
                    unsafe { $set1(v) }
                }
                #[inline(always)]
                unsafe fn mul(a: $r, b: $r) -> $r {
                    unsafe { $mul(a, b) }
                }
                #[inline(always)]
                unsafe fn max(a: $r, b: $r) -> $r {
                    unsafe { $max(a, b) }
                }
                #[inline(always)]
                unsafe fn store(p: *mut f32, r: $r) {
                    unsafe { $store(p, r) }
                }
            }
        };
    }

    #[rustfmt::skip]
    x86_lanes!(Avx512, 16, __m512, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_set1_ps,
        _mm512_fmadd_ps, _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps, _mm512_max_ps, _mm512_storeu_ps);
    #[rustfmt::skip]
    x86_lanes!(Avx2, 8, __m256, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_set1_ps,
        _mm256_fmadd_ps, _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps, _mm256_max_ps, _mm256_storeu_ps);
}

#[cfg(all(target_family = "wasm", target_feature = "simd128"))]
pub(super) use wasm::Simd128;

#[cfg(all(target_family = "wasm", target_feature = "simd128"))]
mod wasm {
    use super::Lanes;
    use std::arch::wasm32::*;

    /// wasm `simd128`: 4 channels per register (the page is built with `+simd128`). wasm has no
    /// fused multiply-add in `simd128`, so `fma` is a multiply and an add.
    pub(in super::super) struct Simd128;

    // SAFETY: simd128 is enabled for the whole build (`.cargo/config.toml`); pointer validity
    // is the caller's contract (trait docs).
    impl Lanes for Simd128 {
        const V: usize = 4;
        type R = v128;
        #[inline(always)]
        unsafe fn zero() -> v128 {
            f32x4_splat(0.0)
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> v128 {
            unsafe { v128_load(p.cast()) }
        }
        #[inline(always)]
        unsafe fn splat(p: *const f32) -> v128 {
            unsafe { v128_load32_splat(p.cast()) }
        }
        #[inline(always)]
        unsafe fn fma(a: v128, b: v128, c: v128) -> v128 {
            f32x4_add(f32x4_mul(a, b), c)
        }
        #[inline(always)]
        unsafe fn add(a: v128, b: v128) -> v128 {
            f32x4_add(a, b)
        }
        #[inline(always)]
        unsafe fn sub(a: v128, b: v128) -> v128 {
            f32x4_sub(a, b)
        }
        #[inline(always)]
        unsafe fn set(v: f32) -> v128 {
            f32x4_splat(v)
        }
        #[inline(always)]
        unsafe fn mul(a: v128, b: v128) -> v128 {
            f32x4_mul(a, b)
        }
        #[inline(always)]
        unsafe fn max(a: v128, b: v128) -> v128 {
            f32x4_pmax(a, b)
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, r: v128) {
            unsafe { v128_store(p.cast(), r) }
        }
    }
}
