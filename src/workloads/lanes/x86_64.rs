//! The x86-64 vectors: SSE2 (4 lanes), AVX2 (8) and AVX-512 (16). One line of intrinsics per
//! operation; the only non-obvious ones are SSE2's 32-bit multiply (SSE2 has only the 32×32→64
//! `pmuludq` on even lanes) and AVX-512's rotate and three-input logic (`vpternlogd`, whose
//! immediate is the operation's truth table over the inputs' bits a=0xF0, b=0xCC, c=0xAA).

use super::U32s;
use std::arch::x86_64::*;

/// Four lanes in an SSE2 register.
#[derive(Clone, Copy, Debug)]
pub struct Sse2(pub __m128i);

/// Eight lanes in an AVX2 register.
#[derive(Clone, Copy, Debug)]
pub struct Avx2(pub __m256i);

/// Sixteen lanes in an AVX-512 register (needs AVX-512 F and BW).
#[derive(Clone, Copy, Debug)]
pub struct Avx512(pub __m512i);

// SAFETY: SSE2 is part of x86-64: every x86-64 CPU runs these.
unsafe impl U32s for Sse2 {
    const LANES: usize = 4;
    #[inline(always)]
    unsafe fn splat(x: u32) -> Self {
        Sse2(_mm_set1_epi32(x as i32))
    }
    #[inline(always)]
    unsafe fn load(values: &[u32]) -> Self {
        assert!(values.len() >= 4);
        Sse2(_mm_loadu_si128(values.as_ptr().cast()))
    }
    #[inline(always)]
    unsafe fn store(self, out: &mut [u32]) {
        assert!(out.len() >= 4);
        _mm_storeu_si128(out.as_mut_ptr().cast(), self.0)
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        Sse2(_mm_add_epi32(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        // Lanes 0 and 2, then 1 and 3, as 64-bit products; keep the low words, interleaved
        // back into lane order.
        let even = _mm_mul_epu32(self.0, o.0);
        let odd = _mm_mul_epu32(_mm_srli_epi64::<32>(self.0), _mm_srli_epi64::<32>(o.0));
        Sse2(_mm_unpacklo_epi32(
            _mm_shuffle_epi32::<0b00_00_10_00>(even),
            _mm_shuffle_epi32::<0b00_00_10_00>(odd),
        ))
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        Sse2(_mm_xor_si128(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn and(self, o: Self) -> Self {
        Sse2(_mm_and_si128(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn or(self, o: Self) -> Self {
        Sse2(_mm_or_si128(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn andnot(self, o: Self) -> Self {
        Sse2(_mm_andnot_si128(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn shr<const N: i32>(self) -> Self {
        Sse2(_mm_srli_epi32::<N>(self.0))
    }
    #[inline(always)]
    unsafe fn shl<const N: i32>(self) -> Self {
        Sse2(_mm_slli_epi32::<N>(self.0))
    }
    #[inline(always)]
    unsafe fn madd16(self, o: Self) -> Self {
        Sse2(_mm_madd_epi16(self.0, o.0))
    }
}

// SAFETY: used only inside `#[target_feature(enable = "avx2")]` functions, on CPUs with AVX2.
unsafe impl U32s for Avx2 {
    const LANES: usize = 8;
    #[inline(always)]
    unsafe fn splat(x: u32) -> Self {
        Avx2(_mm256_set1_epi32(x as i32))
    }
    #[inline(always)]
    unsafe fn load(values: &[u32]) -> Self {
        assert!(values.len() >= 8);
        Avx2(_mm256_loadu_si256(values.as_ptr().cast()))
    }
    #[inline(always)]
    unsafe fn store(self, out: &mut [u32]) {
        assert!(out.len() >= 8);
        _mm256_storeu_si256(out.as_mut_ptr().cast(), self.0)
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        Avx2(_mm256_add_epi32(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        Avx2(_mm256_mullo_epi32(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        Avx2(_mm256_xor_si256(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn and(self, o: Self) -> Self {
        Avx2(_mm256_and_si256(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn or(self, o: Self) -> Self {
        Avx2(_mm256_or_si256(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn andnot(self, o: Self) -> Self {
        Avx2(_mm256_andnot_si256(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn shr<const N: i32>(self) -> Self {
        Avx2(_mm256_srli_epi32::<N>(self.0))
    }
    #[inline(always)]
    unsafe fn shl<const N: i32>(self) -> Self {
        Avx2(_mm256_slli_epi32::<N>(self.0))
    }
    #[inline(always)]
    unsafe fn madd16(self, o: Self) -> Self {
        Avx2(_mm256_madd_epi16(self.0, o.0))
    }
}

// SAFETY: used only inside `#[target_feature(enable = "avx512f,avx512bw")]` functions, on CPUs
// with AVX-512 F and BW.
unsafe impl U32s for Avx512 {
    const LANES: usize = 16;
    #[inline(always)]
    unsafe fn splat(x: u32) -> Self {
        Avx512(_mm512_set1_epi32(x as i32))
    }
    #[inline(always)]
    unsafe fn load(values: &[u32]) -> Self {
        assert!(values.len() >= 16);
        Avx512(_mm512_loadu_si512(values.as_ptr().cast()))
    }
    #[inline(always)]
    unsafe fn store(self, out: &mut [u32]) {
        assert!(out.len() >= 16);
        _mm512_storeu_si512(out.as_mut_ptr().cast(), self.0)
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        Avx512(_mm512_add_epi32(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self {
        Avx512(_mm512_mullo_epi32(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        Avx512(_mm512_xor_si512(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn and(self, o: Self) -> Self {
        Avx512(_mm512_and_si512(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn or(self, o: Self) -> Self {
        Avx512(_mm512_or_si512(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn andnot(self, o: Self) -> Self {
        Avx512(_mm512_andnot_si512(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn shr<const N: i32>(self) -> Self {
        // The immediate form takes a u32 count, ours is i32; LLVM turns a constant variable
        // shift into the immediate one.
        Avx512(_mm512_srlv_epi32(self.0, _mm512_set1_epi32(N)))
    }
    #[inline(always)]
    unsafe fn shl<const N: i32>(self) -> Self {
        Avx512(_mm512_sllv_epi32(self.0, _mm512_set1_epi32(N)))
    }
    #[inline(always)]
    unsafe fn rotr<const R: i32, const L: i32>(self) -> Self {
        Avx512(_mm512_ror_epi32::<R>(self.0))
    }
    #[inline(always)]
    unsafe fn madd16(self, o: Self) -> Self {
        Avx512(_mm512_madd_epi16(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn xor3(self, b: Self, c: Self) -> Self {
        // a ^ b ^ c: 0xF0 ^ 0xCC ^ 0xAA = 0x96.
        Avx512(_mm512_ternarylogic_epi32::<0x96>(self.0, b.0, c.0))
    }
    #[inline(always)]
    unsafe fn choose(self, f: Self, g: Self) -> Self {
        // (a & b) | (!a & c): (0xF0 & 0xCC) | (0x0F & 0xAA) = 0xC0 | 0x0A = 0xCA.
        Avx512(_mm512_ternarylogic_epi32::<0xCA>(self.0, f.0, g.0))
    }
    #[inline(always)]
    unsafe fn majority(self, b: Self, c: Self) -> Self {
        // (a & b) | (a & c) | (b & c): 0xC0 | 0xA0 | 0x88 = 0xE8.
        Avx512(_mm512_ternarylogic_epi32::<0xE8>(self.0, b.0, c.0))
    }
}
