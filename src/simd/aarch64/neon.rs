//! [`Simd`] in NEON. A mask is a u32 vector whose set lanes are all ones. NEON's `vrsqrte`
//! gives only about 8 bits, so `rsqrt_estimate` adds one of NEON's own Newton steps
//! (`vrsqrts`) to reach the 2⁻¹¹ the trait promises; [`Simd::rsqrt`] adds the usual one.
//!
//! NEON is in aarch64's baseline, but the intrinsics are still `unsafe` to call from code not
//! compiled with `#[target_feature(enable = "neon")]`; the token proves the CPU has it.

use super::Neon;
use crate::simd::Simd;
use std::arch::aarch64::*;

// SAFETY: a `Neon` token is only made where the CPU has NEON (`Neon::new`).
unsafe impl Simd for Neon {
    const LANES: usize = 4;
    type F32 = float32x4_t;
    type U32 = uint32x4_t;
    type Mask = uint32x4_t;

    #[inline(always)]
    fn splat(self, x: f32) -> float32x4_t {
        // SAFETY (here and below): the token, see the module docs.
        unsafe { vdupq_n_f32(x) }
    }
    #[inline(always)]
    fn load(self, from: &[f32]) -> float32x4_t {
        assert!(from.len() >= 4);
        // SAFETY: four values are there (checked above).
        unsafe { vld1q_f32(from.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, v: float32x4_t, to: &mut [f32]) {
        assert!(to.len() >= 4);
        // SAFETY: as for `load`.
        unsafe { vst1q_f32(to.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn add(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vaddq_f32(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vsubq_f32(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vmulq_f32(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
        // vfmaq_f32(c, a, b) = c + a * b, rounded once.
        unsafe { vfmaq_f32(c, a, b) }
    }
    #[inline(always)]
    fn neg_mul_add(self, a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
        // vfmsq_f32(c, a, b) = c - a * b, rounded once.
        unsafe { vfmsq_f32(c, a, b) }
    }
    #[inline(always)]
    fn rsqrt_estimate(self, x: float32x4_t) -> float32x4_t {
        // vrsqrts(a, b) = (3 - a * b) / 2: one Newton step is e * vrsqrts(x * e, e).
        unsafe {
            let e = vrsqrteq_f32(x);
            vmulq_f32(e, vrsqrtsq_f32(vmulq_f32(x, e), e))
        }
    }
    #[inline(always)]
    fn sum(self, v: float32x4_t) -> f32 {
        let mut lanes = [0f32; 4];
        self.store(v, &mut lanes);
        lanes.iter().fold(0.0, |s, &x| s + x)
    }
    #[inline(always)]
    fn max(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        // Not vmaxq (NaN where either is NaN) nor vmaxnmq (a where b is NaN): a select on
        // a > b gives the trait's b wherever the comparison fails.
        unsafe { vbslq_f32(vcgtq_f32(a, b), a, b) }
    }
    #[inline(always)]
    fn not_greater(self, a: float32x4_t, b: float32x4_t) -> uint32x4_t {
        // vcgt is false where either is NaN, so its complement is true there, as `!(a > b)`.
        unsafe { vmvnq_u32(vcgtq_f32(a, b)) }
    }
    #[inline(always)]
    fn greater(self, a: float32x4_t, b: float32x4_t) -> uint32x4_t {
        unsafe { vcgtq_f32(a, b) }
    }
    #[inline(always)]
    fn all_set(self) -> uint32x4_t {
        unsafe { vdupq_n_u32(u32::MAX) }
    }
    #[inline(always)]
    fn and(self, a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        unsafe { vandq_u32(a, b) }
    }
    #[inline(always)]
    fn or(self, a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        unsafe { vorrq_u32(a, b) }
    }
    #[inline(always)]
    fn any(self, m: uint32x4_t) -> bool {
        unsafe { vmaxvq_u32(m) != 0 }
    }
    #[inline(always)]
    fn zero_u32(self) -> uint32x4_t {
        unsafe { vdupq_n_u32(0) }
    }
    #[inline(always)]
    fn nan_where_clear(self, v: float32x4_t, m: uint32x4_t) -> float32x4_t {
        unsafe { vbslq_f32(m, v, vdupq_n_f32(f32::NAN)) }
    }
    #[inline(always)]
    fn increment(self, count: uint32x4_t, m: uint32x4_t) -> uint32x4_t {
        // A set lane is all ones: u32::MAX, and count - u32::MAX wraps to count + 1.
        unsafe { vsubq_u32(count, m) }
    }
    #[inline(always)]
    fn add_where(self, count: uint32x4_t, m: uint32x4_t, by: uint32x4_t) -> uint32x4_t {
        unsafe { vaddq_u32(count, vandq_u32(m, by)) }
    }
    #[inline(always)]
    fn store_u32(self, v: uint32x4_t, to: &mut [u32]) {
        assert!(to.len() >= 4);
        // SAFETY: as for `load`.
        unsafe { vst1q_u32(to.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn splat_u32(self, x: u32) -> uint32x4_t {
        unsafe { vdupq_n_u32(x) }
    }
    #[inline(always)]
    fn load_u32(self, from: &[u32]) -> uint32x4_t {
        assert!(from.len() >= 4);
        // SAFETY: four values are there (checked above).
        unsafe { vld1q_u32(from.as_ptr()) }
    }
    #[inline(always)]
    fn add_u32(self, a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        unsafe { vaddq_u32(a, b) }
    }
    #[inline(always)]
    fn sub_u32(self, a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        unsafe { vsubq_u32(a, b) }
    }
    #[inline(always)]
    fn greater_i32(self, a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        unsafe { vcgtq_s32(vreinterpretq_s32_u32(a), vreinterpretq_s32_u32(b)) }
    }
    #[inline(always)]
    fn mul_u32(self, a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        unsafe { vmulq_u32(a, b) }
    }
    #[inline(always)]
    fn xor_u32(self, a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        unsafe { veorq_u32(a, b) }
    }
    #[inline(always)]
    fn and_u32(self, a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        unsafe { vandq_u32(a, b) }
    }
    #[inline(always)]
    fn or_u32(self, a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        unsafe { vorrq_u32(a, b) }
    }
    #[inline(always)]
    fn andnot_u32(self, a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        // vbic(x, y) = x & !y.
        unsafe { vbicq_u32(b, a) }
    }
    #[inline(always)]
    fn shr_u32<const N: i32>(self, a: uint32x4_t) -> uint32x4_t {
        unsafe { vshrq_n_u32::<N>(a) }
    }
    #[inline(always)]
    fn shl_u32<const N: i32>(self, a: uint32x4_t) -> uint32x4_t {
        unsafe { vshlq_n_u32::<N>(a) }
    }
    #[inline(always)]
    fn rotr_u32<const R: i32, const L: i32>(self, a: uint32x4_t) -> uint32x4_t {
        // Shift right, then insert the left-shifted bits above them.
        unsafe { vsliq_n_u32::<L>(vshrq_n_u32::<R>(a), a) }
    }
    #[inline(always)]
    fn madd16(self, a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        // No `pmaddwd`: the 16-bit halves are sign-extended with shifts and multiplied as
        // 32-bit lanes.
        unsafe {
            let (a, b) = (vreinterpretq_s32_u32(a), vreinterpretq_s32_u32(b));
            let lo = vmulq_s32(
                vshrq_n_s32::<16>(vshlq_n_s32::<16>(a)),
                vshrq_n_s32::<16>(vshlq_n_s32::<16>(b)),
            );
            vreinterpretq_u32_s32(vmlaq_s32(lo, vshrq_n_s32::<16>(a), vshrq_n_s32::<16>(b)))
        }
    }
    #[inline(always)]
    fn shift_in_first_u32(self, v: uint32x4_t, first: u32) -> uint32x4_t {
        // ext(a, b, 3) is [a[3], b[0], b[1], b[2]].
        unsafe { vextq_u32::<3>(vdupq_n_u32(first), v) }
    }
    #[inline(always)]
    fn shift_in_last_u32(self, v: uint32x4_t, last: u32) -> uint32x4_t {
        // ext(a, b, 1) is [a[1], a[2], a[3], b[0]].
        unsafe { vextq_u32::<1>(v, vdupq_n_u32(last)) }
    }
    #[inline(always)]
    fn or_last_lane_u32(self, v: uint32x4_t, x: u32) -> uint32x4_t {
        unsafe { vorrq_u32(v, vsetq_lane_u32::<3>(x, vdupq_n_u32(0))) }
    }
}
