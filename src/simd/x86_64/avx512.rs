//! [`Simd`] in AVX-512: sixteen lanes, masks in mask registers (`__mmask16`, one bit a lane).
//!
//! This machine may have no AVX-512, so this layer is kept to one intrinsic a method and
//! reviewed against the AVX2 one; the kernels' logic at 16 lanes is tested on every CPU through
//! `Portable<16>`, and this layer runs in the per-level tests wherever the CPU has AVX-512.
//! Every intrinsic call is `unsafe` only because these methods are not themselves compiled with
//! `#[target_feature]`: the token proves the CPU has AVX-512.

use super::Avx512;
use crate::simd::Simd;
use std::arch::x86_64::*;

// SAFETY: an `Avx512` token is only made where the CPU has AVX-512 F, BW, DQ and VL
// (`Avx512::new`).
unsafe impl Simd for Avx512 {
    const LANES: usize = 16;
    type F32 = __m512;
    type U32 = __m512i;
    type Mask = __mmask16;

    #[inline(always)]
    fn splat(self, x: f32) -> __m512 {
        // SAFETY (here and below): the token, see the module docs.
        unsafe { _mm512_set1_ps(x) }
    }
    #[inline(always)]
    fn load(self, from: &[f32]) -> __m512 {
        assert!(from.len() >= 16);
        // SAFETY: sixteen values are there (checked above); unaligned loads are allowed.
        unsafe { _mm512_loadu_ps(from.as_ptr()) }
    }
    #[inline(always)]
    fn store(self, v: __m512, to: &mut [f32]) {
        assert!(to.len() >= 16);
        // SAFETY: as for `load`.
        unsafe { _mm512_storeu_ps(to.as_mut_ptr(), v) }
    }
    #[inline(always)]
    fn add(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_mul_ps(a, b) }
    }
    #[inline(always)]
    fn mul_add(self, a: __m512, b: __m512, c: __m512) -> __m512 {
        unsafe { _mm512_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn neg_mul_add(self, a: __m512, b: __m512, c: __m512) -> __m512 {
        // -(a * b) + c, rounded once.
        unsafe { _mm512_fnmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn rsqrt_estimate(self, x: __m512) -> __m512 {
        // Relative error at most 2^-14.
        unsafe { _mm512_rsqrt14_ps(x) }
    }
    #[inline(always)]
    fn sum(self, v: __m512) -> f32 {
        let mut lanes = [0f32; 16];
        self.store(v, &mut lanes);
        lanes.iter().fold(0.0, |s, &x| s + x)
    }
    #[inline(always)]
    fn max(self, a: __m512, b: __m512) -> __m512 {
        // vmaxps: a where a > b, else b (also where either is NaN), as the trait says.
        unsafe { _mm512_max_ps(a, b) }
    }
    #[inline(always)]
    fn not_greater(self, a: __m512, b: __m512) -> __mmask16 {
        // Not-greater-than, unordered: true where either is NaN, as `!(a > b)`.
        unsafe { _mm512_cmp_ps_mask::<_CMP_NGT_UQ>(a, b) }
    }
    #[inline(always)]
    fn greater(self, a: __m512, b: __m512) -> __mmask16 {
        // Greater-than, ordered: false where either is NaN.
        unsafe { _mm512_cmp_ps_mask::<_CMP_GT_OQ>(a, b) }
    }
    #[inline(always)]
    fn all_set(self) -> __mmask16 {
        0xFFFF
    }
    #[inline(always)]
    fn and(self, a: __mmask16, b: __mmask16) -> __mmask16 {
        a & b
    }
    #[inline(always)]
    fn or(self, a: __mmask16, b: __mmask16) -> __mmask16 {
        a | b
    }
    #[inline(always)]
    fn any(self, m: __mmask16) -> bool {
        m != 0
    }
    #[inline(always)]
    fn zero_u32(self) -> __m512i {
        unsafe { _mm512_setzero_si512() }
    }
    #[inline(always)]
    fn nan_where_clear(self, v: __m512, m: __mmask16) -> __m512 {
        // v in the lanes of m, the NaN (the pass-through operand) elsewhere.
        unsafe { _mm512_mask_mov_ps(_mm512_set1_ps(f32::NAN), m, v) }
    }
    #[inline(always)]
    fn increment(self, count: __m512i, m: __mmask16) -> __m512i {
        // count + 1 in the lanes of m, count (the pass-through operand) elsewhere.
        unsafe { _mm512_mask_add_epi32(count, m, count, _mm512_set1_epi32(1)) }
    }
    #[inline(always)]
    fn add_where(self, count: __m512i, m: __mmask16, by: __m512i) -> __m512i {
        // count + by in the lanes of m, count (the pass-through operand) elsewhere.
        unsafe { _mm512_mask_add_epi32(count, m, count, by) }
    }
    #[inline(always)]
    fn store_u32(self, v: __m512i, to: &mut [u32]) {
        assert!(to.len() >= 16);
        // SAFETY: as for `load`.
        unsafe { _mm512_storeu_si512(to.as_mut_ptr().cast(), v) }
    }
    #[inline(always)]
    fn splat_u32(self, x: u32) -> __m512i {
        unsafe { _mm512_set1_epi32(x as i32) }
    }
    #[inline(always)]
    fn load_u32(self, from: &[u32]) -> __m512i {
        assert!(from.len() >= 16);
        // SAFETY: sixteen values are there (checked above); unaligned loads are allowed.
        unsafe { _mm512_loadu_si512(from.as_ptr().cast()) }
    }
    #[inline(always)]
    fn add_u32(self, a: __m512i, b: __m512i) -> __m512i {
        unsafe { _mm512_add_epi32(a, b) }
    }
    #[inline(always)]
    fn sub_u32(self, a: __m512i, b: __m512i) -> __m512i {
        unsafe { _mm512_sub_epi32(a, b) }
    }
    #[inline(always)]
    fn greater_i32(self, a: __m512i, b: __m512i) -> __m512i {
        // The comparison's mask register spread to lanes of all ones (AVX-512 DQ).
        unsafe { _mm512_movm_epi32(_mm512_cmpgt_epi32_mask(a, b)) }
    }
    #[inline(always)]
    fn mul_u32(self, a: __m512i, b: __m512i) -> __m512i {
        unsafe { _mm512_mullo_epi32(a, b) }
    }
    #[inline(always)]
    fn xor_u32(self, a: __m512i, b: __m512i) -> __m512i {
        unsafe { _mm512_xor_si512(a, b) }
    }
    #[inline(always)]
    fn and_u32(self, a: __m512i, b: __m512i) -> __m512i {
        unsafe { _mm512_and_si512(a, b) }
    }
    #[inline(always)]
    fn or_u32(self, a: __m512i, b: __m512i) -> __m512i {
        unsafe { _mm512_or_si512(a, b) }
    }
    #[inline(always)]
    fn andnot_u32(self, a: __m512i, b: __m512i) -> __m512i {
        // `vpandnd`: !a & b, as AVX2's `vpandn`.
        unsafe { _mm512_andnot_si512(a, b) }
    }
    #[inline(always)]
    fn shr_u32<const N: i32>(self, a: __m512i) -> __m512i {
        // The immediate form takes a u32 count, ours is i32; LLVM turns a constant variable
        // shift into the immediate one.
        unsafe { _mm512_srlv_epi32(a, _mm512_set1_epi32(N)) }
    }
    #[inline(always)]
    fn shl_u32<const N: i32>(self, a: __m512i) -> __m512i {
        unsafe { _mm512_sllv_epi32(a, _mm512_set1_epi32(N)) }
    }
    #[inline(always)]
    fn rotr_u32<const R: i32, const L: i32>(self, a: __m512i) -> __m512i {
        // `vprord`: one instruction where AVX2 needs two shifts and an or.
        unsafe { _mm512_ror_epi32::<R>(a) }
    }
    #[inline(always)]
    fn madd16(self, a: __m512i, b: __m512i) -> __m512i {
        // `vpmaddwd` is AVX-512 BW.
        unsafe { _mm512_madd_epi16(a, b) }
    }
    #[inline(always)]
    fn shift_in_first_u32(self, v: __m512i, first: u32) -> __m512i {
        // `valignd` shifts the 32-lane concatenation [splat(first), v] (v the high half) right
        // by 15 lanes: lane 0 is the splat's lane 15, lane i is v[i - 1].
        unsafe { _mm512_alignr_epi32::<15>(v, _mm512_set1_epi32(first as i32)) }
    }
    #[inline(always)]
    fn shift_in_last_u32(self, v: __m512i, last: u32) -> __m512i {
        // [v, splat(last)] shifted right by one lane: lane i is v[i + 1], lane 15 is `last`.
        unsafe { _mm512_alignr_epi32::<1>(_mm512_set1_epi32(last as i32), v) }
    }
    #[inline(always)]
    fn or_last_lane_u32(self, v: __m512i, x: u32) -> __m512i {
        // The or only in lane 15 (mask bit 15); the other lanes keep `v`.
        unsafe { _mm512_mask_or_epi32(v, 0x8000, v, _mm512_set1_epi32(x as i32)) }
    }
    // Three-input logic in one `vpternlogd`: its immediate is the operation's truth table over
    // the inputs' bits a = 0xF0, b = 0xCC, c = 0xAA (the first operand is a).
    #[inline(always)]
    fn xor3(self, a: __m512i, b: __m512i, c: __m512i) -> __m512i {
        // a ^ b ^ c: 0xF0 ^ 0xCC ^ 0xAA = 0x96.
        unsafe { _mm512_ternarylogic_epi32::<0x96>(a, b, c) }
    }
    #[inline(always)]
    fn choose(self, e: __m512i, f: __m512i, g: __m512i) -> __m512i {
        // (e & f) | (!e & g): (0xF0 & 0xCC) | (0x0F & 0xAA) = 0xC0 | 0x0A = 0xCA.
        unsafe { _mm512_ternarylogic_epi32::<0xCA>(e, f, g) }
    }
    #[inline(always)]
    fn majority(self, a: __m512i, b: __m512i, c: __m512i) -> __m512i {
        // (a & b) | (a & c) | (b & c): 0xC0 | 0xA0 | 0x88 = 0xE8.
        unsafe { _mm512_ternarylogic_epi32::<0xE8>(a, b, c) }
    }
}
