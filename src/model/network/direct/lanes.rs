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

    // SAFETY (both impls): the intrinsics need AVX-512F (resp. AVX2 + FMA), which the caller
    // guarantees (these types are only used inside `#[target_feature]` entry points that run
    // after run-time detection); pointer validity is the caller's contract (trait docs).
    impl Lanes for Avx512 {
        const V: usize = 16;
        type R = __m512;
        #[inline(always)]
        unsafe fn zero() -> __m512 {
            unsafe { _mm512_setzero_ps() }
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> __m512 {
            unsafe { _mm512_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn splat(p: *const f32) -> __m512 {
            unsafe { _mm512_set1_ps(*p) }
        }
        #[inline(always)]
        unsafe fn fma(a: __m512, b: __m512, c: __m512) -> __m512 {
            unsafe { _mm512_fmadd_ps(a, b, c) }
        }
        #[inline(always)]
        unsafe fn add(a: __m512, b: __m512) -> __m512 {
            unsafe { _mm512_add_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn mul(a: __m512, b: __m512) -> __m512 {
            unsafe { _mm512_mul_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn max(a: __m512, b: __m512) -> __m512 {
            unsafe { _mm512_max_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, r: __m512) {
            unsafe { _mm512_storeu_ps(p, r) }
        }
    }

    impl Lanes for Avx2 {
        const V: usize = 8;
        type R = __m256;
        #[inline(always)]
        unsafe fn zero() -> __m256 {
            unsafe { _mm256_setzero_ps() }
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> __m256 {
            unsafe { _mm256_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn splat(p: *const f32) -> __m256 {
            unsafe { _mm256_broadcast_ss(&*p) }
        }
        #[inline(always)]
        unsafe fn fma(a: __m256, b: __m256, c: __m256) -> __m256 {
            unsafe { _mm256_fmadd_ps(a, b, c) }
        }
        #[inline(always)]
        unsafe fn add(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_add_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn mul(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_mul_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn max(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_max_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, r: __m256) {
            unsafe { _mm256_storeu_ps(p, r) }
        }
    }
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
