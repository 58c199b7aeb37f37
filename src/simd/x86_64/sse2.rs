//! [`Simd`] in SSE2. No FMA: `mul_add` is a multiply and an add. A mask is a vector whose set
//! lanes are all ones (what the comparisons return).

use super::Sse2;
use crate::simd::Simd;
use std::arch::x86_64::*;

// SAFETY: SSE2 is part of x86-64: every CPU this code runs on has it. (The intrinsic calls are
// still `unsafe`: these methods are not compiled with `#[target_feature]` themselves.)
unsafe impl Simd for Sse2 {
    const LANES: usize = 4;
    type F32 = __m128;
    type U32 = __m128i;
    type Mask = __m128;

    #[inline(always)]
    fn splat(self, x: f32) -> __m128 {
        unsafe { _mm_set1_ps(x) }
    }
    #[inline(always)]
    fn load(self, from: &[f32]) -> __m128 {
        assert!(from.len() >= 4);
        // SAFETY: four values are there (checked above); unaligned loads are allowed.
        unsafe { _mm_loadu_ps(from.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, v: __m128, to: &mut [f32]) {
        assert!(to.len() >= 4);
        // SAFETY: as for `load`.
        unsafe { _mm_storeu_ps(to.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn add(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_mul_ps(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m128, b: __m128, c: __m128) -> __m128 {
        unsafe { _mm_add_ps(_mm_mul_ps(a, b), c) }
    }
    #[inline(always)]
    fn neg_mul_add(self, a: __m128, b: __m128, c: __m128) -> __m128 {
        unsafe { _mm_sub_ps(c, _mm_mul_ps(a, b)) }
    }
    #[inline(always)]
    fn rsqrt_estimate(self, x: __m128) -> __m128 {
        // Relative error at most 1.5 * 2^-12.
        unsafe { _mm_rsqrt_ps(x) }
    }
    #[inline(always)]
    fn sum(self, v: __m128) -> f32 {
        let mut lanes = [0f32; 4];
        self.store(v, &mut lanes);
        lanes.iter().fold(0.0, |s, &x| s + x)
    }
    #[inline(always)]
    fn max(self, a: __m128, b: __m128) -> __m128 {
        // maxps: a where a > b, else b (also where either is NaN), as the trait says.
        unsafe { _mm_max_ps(a, b) }
    }
    #[inline(always)]
    fn not_greater(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_cmpngt_ps(a, b) }
    }
    #[inline(always)]
    fn greater(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_cmpgt_ps(a, b) }
    }
    #[inline(always)]
    fn all_set(self) -> __m128 {
        unsafe { _mm_castsi128_ps(_mm_set1_epi32(-1)) }
    }
    #[inline(always)]
    fn and(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_and_ps(a, b) }
    }
    #[inline(always)]
    fn or(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_or_ps(a, b) }
    }
    #[inline(always)]
    fn any(self, m: __m128) -> bool {
        unsafe { _mm_movemask_ps(m) != 0 }
    }
    #[inline(always)]
    fn zero_u32(self) -> __m128i {
        unsafe { _mm_setzero_si128() }
    }
    #[inline(always)]
    fn nan_where_clear(self, v: __m128, m: __m128) -> __m128 {
        // All ones is a NaN: v | !m.
        unsafe { _mm_or_ps(v, _mm_andnot_ps(m, self.all_set())) }
    }
    #[inline(always)]
    fn increment(self, count: __m128i, m: __m128) -> __m128i {
        // A set lane is all ones, -1 as an integer.
        unsafe { _mm_sub_epi32(count, _mm_castps_si128(m)) }
    }
    #[inline(always)]
    fn add_where(self, count: __m128i, m: __m128, by: __m128i) -> __m128i {
        unsafe { _mm_add_epi32(count, _mm_and_si128(_mm_castps_si128(m), by)) }
    }
    #[inline(always)]
    fn store_u32(self, v: __m128i, to: &mut [u32]) {
        assert!(to.len() >= 4);
        // SAFETY: as for `load`.
        unsafe { _mm_storeu_si128(to.as_mut_ptr().cast(), v) }
    }
    #[inline(always)]
    fn splat_u32(self, x: u32) -> __m128i {
        unsafe { _mm_set1_epi32(x as i32) }
    }
    #[inline(always)]
    fn load_u32(self, from: &[u32]) -> __m128i {
        assert!(from.len() >= 4);
        // SAFETY: four values are there (checked above); unaligned loads are allowed.
        unsafe { _mm_loadu_si128(from.as_ptr().cast()) }
    }
    #[inline(always)]
    fn add_u32(self, a: __m128i, b: __m128i) -> __m128i {
        unsafe { _mm_add_epi32(a, b) }
    }
    #[inline(always)]
    fn sub_u32(self, a: __m128i, b: __m128i) -> __m128i {
        unsafe { _mm_sub_epi32(a, b) }
    }
    #[inline(always)]
    fn greater_i32(self, a: __m128i, b: __m128i) -> __m128i {
        unsafe { _mm_cmpgt_epi32(a, b) }
    }
    #[inline(always)]
    fn mul_u32(self, a: __m128i, b: __m128i) -> __m128i {
        // SSE2 multiplies only the even lanes, 32×32→64 (`pmuludq`): lanes 0 and 2, then 1 and
        // 3 shifted down; keep the low words, interleaved back into lane order.
        unsafe {
            let even = _mm_mul_epu32(a, b);
            let odd = _mm_mul_epu32(_mm_srli_epi64::<32>(a), _mm_srli_epi64::<32>(b));
            _mm_unpacklo_epi32(
                _mm_shuffle_epi32::<0b00_00_10_00>(even),
                _mm_shuffle_epi32::<0b00_00_10_00>(odd),
            )
        }
    }
    #[inline(always)]
    fn xor_u32(self, a: __m128i, b: __m128i) -> __m128i {
        unsafe { _mm_xor_si128(a, b) }
    }
    #[inline(always)]
    fn and_u32(self, a: __m128i, b: __m128i) -> __m128i {
        unsafe { _mm_and_si128(a, b) }
    }
    #[inline(always)]
    fn or_u32(self, a: __m128i, b: __m128i) -> __m128i {
        unsafe { _mm_or_si128(a, b) }
    }
    #[inline(always)]
    fn andnot_u32(self, a: __m128i, b: __m128i) -> __m128i {
        // `pandn`: !a & b.
        unsafe { _mm_andnot_si128(a, b) }
    }
    #[inline(always)]
    fn shr_u32<const N: i32>(self, a: __m128i) -> __m128i {
        unsafe { _mm_srli_epi32::<N>(a) }
    }
    #[inline(always)]
    fn shl_u32<const N: i32>(self, a: __m128i) -> __m128i {
        unsafe { _mm_slli_epi32::<N>(a) }
    }
    #[inline(always)]
    fn madd16(self, a: __m128i, b: __m128i) -> __m128i {
        unsafe { _mm_madd_epi16(a, b) }
    }
    // SSE2 has no lane permute with a blend (`palignr` is SSSE3): whole-register byte shifts,
    // with the new word `movd`'d into lane 0 (zeroing the rest) and shifted up where it goes.
    #[inline(always)]
    fn shift_in_first_u32(self, v: __m128i, first: u32) -> __m128i {
        unsafe { _mm_or_si128(_mm_slli_si128::<4>(v), _mm_cvtsi32_si128(first as i32)) }
    }
    #[inline(always)]
    fn shift_in_last_u32(self, v: __m128i, last: u32) -> __m128i {
        unsafe {
            let top = _mm_slli_si128::<12>(_mm_cvtsi32_si128(last as i32));
            _mm_or_si128(_mm_srli_si128::<4>(v), top)
        }
    }
    #[inline(always)]
    fn or_last_lane_u32(self, v: __m128i, x: u32) -> __m128i {
        unsafe { _mm_or_si128(v, _mm_slli_si128::<12>(_mm_cvtsi32_si128(x as i32))) }
    }
}
