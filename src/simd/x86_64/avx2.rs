//! [`Simd`] in AVX2 with FMA. A mask is a vector whose set lanes are all ones.
//!
//! Every intrinsic call is `unsafe` only because these methods are not themselves compiled
//! with `#[target_feature]` (they inline into a function that is): the token proves the CPU
//! has AVX2 and FMA.

use super::Avx2;
use crate::simd::Simd;
use std::arch::x86_64::*;

// SAFETY: an `Avx2` token is only made where the CPU has AVX2 and FMA (`Avx2::new`).
unsafe impl Simd for Avx2 {
    const LANES: usize = 8;
    type F32 = __m256;
    type U32 = __m256i;
    type Mask = __m256;

    #[inline(always)]
    fn splat(self, x: f32) -> __m256 {
        // SAFETY (here and below): the token, see the module docs.
        unsafe { _mm256_set1_ps(x) }
    }
    #[inline(always)]
    fn load(self, from: &[f32]) -> __m256 {
        assert!(from.len() >= 8);
        // SAFETY: eight values are there (checked above); unaligned loads are allowed.
        unsafe { _mm256_loadu_ps(from.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, v: __m256, to: &mut [f32]) {
        assert!(to.len() >= 8);
        // SAFETY: as for `load`.
        unsafe { _mm256_storeu_ps(to.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn add(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_mul_ps(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m256, b: __m256, c: __m256) -> __m256 {
        unsafe { _mm256_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn neg_mul_add(self, a: __m256, b: __m256, c: __m256) -> __m256 {
        unsafe { _mm256_fnmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn rsqrt_estimate(self, x: __m256) -> __m256 {
        // Relative error at most 1.5 * 2^-12.
        unsafe { _mm256_rsqrt_ps(x) }
    }
    #[inline(always)]
    fn sum(self, v: __m256) -> f32 {
        let mut lanes = [0f32; 8];
        self.store(v, &mut lanes);
        lanes.iter().fold(0.0, |s, &x| s + x)
    }
    #[inline(always)]
    fn max(self, a: __m256, b: __m256) -> __m256 {
        // vmaxps: a where a > b, else b (also where either is NaN), as the trait says.
        unsafe { _mm256_max_ps(a, b) }
    }
    #[inline(always)]
    fn not_greater(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_cmp_ps::<_CMP_NGT_UQ>(a, b) }
    }
    #[inline(always)]
    fn greater(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_cmp_ps::<_CMP_GT_OQ>(a, b) }
    }
    #[inline(always)]
    fn all_set(self) -> __m256 {
        unsafe { _mm256_castsi256_ps(_mm256_set1_epi32(-1)) }
    }
    #[inline(always)]
    fn and(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_and_ps(a, b) }
    }
    #[inline(always)]
    fn or(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_or_ps(a, b) }
    }
    #[inline(always)]
    fn any(self, m: __m256) -> bool {
        unsafe { _mm256_movemask_ps(m) != 0 }
    }
    #[inline(always)]
    fn zero_u32(self) -> __m256i {
        unsafe { _mm256_setzero_si256() }
    }
    #[inline(always)]
    fn nan_where_clear(self, v: __m256, m: __m256) -> __m256 {
        // All ones is a NaN: v | !m.
        unsafe { _mm256_or_ps(v, _mm256_andnot_ps(m, self.all_set())) }
    }
    #[inline(always)]
    fn increment(self, count: __m256i, m: __m256) -> __m256i {
        // A set lane is all ones, -1 as an integer.
        unsafe { _mm256_sub_epi32(count, _mm256_castps_si256(m)) }
    }
    #[inline(always)]
    fn add_where(self, count: __m256i, m: __m256, by: __m256i) -> __m256i {
        unsafe { _mm256_add_epi32(count, _mm256_and_si256(_mm256_castps_si256(m), by)) }
    }
    #[inline(always)]
    fn store_u32(self, v: __m256i, to: &mut [u32]) {
        assert!(to.len() >= 8);
        // SAFETY: as for `load`.
        unsafe { _mm256_storeu_si256(to.as_mut_ptr().cast(), v) }
    }
    #[inline(always)]
    fn splat_u32(self, x: u32) -> __m256i {
        unsafe { _mm256_set1_epi32(x as i32) }
    }
    #[inline(always)]
    fn load_u32(self, from: &[u32]) -> __m256i {
        assert!(from.len() >= 8);
        // SAFETY: eight values are there (checked above); unaligned loads are allowed.
        unsafe { _mm256_loadu_si256(from.as_ptr().cast()) }
    }
    #[inline(always)]
    fn add_u32(self, a: __m256i, b: __m256i) -> __m256i {
        unsafe { _mm256_add_epi32(a, b) }
    }
    #[inline(always)]
    fn sub_u32(self, a: __m256i, b: __m256i) -> __m256i {
        unsafe { _mm256_sub_epi32(a, b) }
    }
    #[inline(always)]
    fn greater_i32(self, a: __m256i, b: __m256i) -> __m256i {
        unsafe { _mm256_cmpgt_epi32(a, b) }
    }
    #[inline(always)]
    fn mul_u32(self, a: __m256i, b: __m256i) -> __m256i {
        unsafe { _mm256_mullo_epi32(a, b) }
    }
    #[inline(always)]
    fn xor_u32(self, a: __m256i, b: __m256i) -> __m256i {
        unsafe { _mm256_xor_si256(a, b) }
    }
    #[inline(always)]
    fn and_u32(self, a: __m256i, b: __m256i) -> __m256i {
        unsafe { _mm256_and_si256(a, b) }
    }
    #[inline(always)]
    fn or_u32(self, a: __m256i, b: __m256i) -> __m256i {
        unsafe { _mm256_or_si256(a, b) }
    }
    #[inline(always)]
    fn andnot_u32(self, a: __m256i, b: __m256i) -> __m256i {
        // `vpandn`: !a & b.
        unsafe { _mm256_andnot_si256(a, b) }
    }
    #[inline(always)]
    fn shr_u32<const N: i32>(self, a: __m256i) -> __m256i {
        unsafe { _mm256_srli_epi32::<N>(a) }
    }
    #[inline(always)]
    fn shl_u32<const N: i32>(self, a: __m256i) -> __m256i {
        unsafe { _mm256_slli_epi32::<N>(a) }
    }
    #[inline(always)]
    fn madd16(self, a: __m256i, b: __m256i) -> __m256i {
        unsafe { _mm256_madd_epi16(a, b) }
    }
    #[inline(always)]
    fn shift_in_first_u32(self, v: __m256i, first: u32) -> __m256i {
        // `vpermd` moves every lane up one (lane 7 wraps round to 0), `vpblendd` puts `first`
        // in lane 0 (a `vpbroadcastd` from memory where `first` is loaded).
        unsafe {
            let up = _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(7, 0, 1, 2, 3, 4, 5, 6));
            _mm256_blend_epi32::<0x01>(up, _mm256_set1_epi32(first as i32))
        }
    }
    #[inline(always)]
    fn shift_in_last_u32(self, v: __m256i, last: u32) -> __m256i {
        // The same the other way: lane 0 wraps round to 7, then `last` replaces it.
        unsafe {
            let down = _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 0));
            _mm256_blend_epi32::<0x80>(down, _mm256_set1_epi32(last as i32))
        }
    }
    #[inline(always)]
    fn or_last_lane_u32(self, v: __m256i, x: u32) -> __m256i {
        unsafe {
            let top =
                _mm256_blend_epi32::<0x80>(_mm256_setzero_si256(), _mm256_set1_epi32(x as i32));
            _mm256_or_si256(v, top)
        }
    }
}
