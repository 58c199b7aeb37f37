//! The aarch64 vector: NEON, 4 lanes. NEON has a 32-bit multiply but no `pmaddwd`: the 16-bit
//! halves are sign-extended with shifts and multiplied as 32-bit lanes.

use super::U32s;
use std::arch::aarch64::*;

/// Four lanes in a NEON register.
#[derive(Clone, Copy, Debug)]
pub struct Neon(pub uint32x4_t);

// SAFETY: NEON is part of every aarch64 CPU Rust targets.
unsafe impl U32s for Neon {
    const LANES: usize = 4;
    #[inline(always)]
    unsafe fn splat(x: u32) -> Self {
        Neon(vdupq_n_u32(x))
    }
    #[inline(always)]
    unsafe fn load(values: &[u32]) -> Self {
        assert!(values.len() >= 4);
        Neon(vld1q_u32(values.as_ptr()))
    }
    #[inline(always)]
    unsafe fn store(self, out: &mut [u32]) {
        assert!(out.len() >= 4);
        vst1q_u32(out.as_mut_ptr(), self.0)
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        Neon(vaddq_u32(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        Neon(vmulq_u32(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        Neon(veorq_u32(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn and(self, o: Self) -> Self {
        Neon(vandq_u32(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn or(self, o: Self) -> Self {
        Neon(vorrq_u32(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn andnot(self, o: Self) -> Self {
        // vbic(a, b) = a & !b.
        Neon(vbicq_u32(o.0, self.0))
    }
    #[inline(always)]
    unsafe fn shr<const N: i32>(self) -> Self {
        Neon(vshrq_n_u32::<N>(self.0))
    }
    #[inline(always)]
    unsafe fn shl<const N: i32>(self) -> Self {
        Neon(vshlq_n_u32::<N>(self.0))
    }
    #[inline(always)]
    unsafe fn rotr<const R: i32, const L: i32>(self) -> Self {
        // Shift right, then insert the left-shifted bits above them.
        Neon(vsliq_n_u32::<L>(vshrq_n_u32::<R>(self.0), self.0))
    }
    #[inline(always)]
    unsafe fn madd16(self, o: Self) -> Self {
        let (a, b) = (vreinterpretq_s32_u32(self.0), vreinterpretq_s32_u32(o.0));
        let lo = vmulq_s32(
            vshrq_n_s32::<16>(vshlq_n_s32::<16>(a)),
            vshrq_n_s32::<16>(vshlq_n_s32::<16>(b)),
        );
        let both = vmlaq_s32(lo, vshrq_n_s32::<16>(a), vshrq_n_s32::<16>(b));
        Neon(vreinterpretq_u32_s32(both))
    }
}
