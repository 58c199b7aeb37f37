//! x86's SHA extensions ("SHA-NI"): a capability beside the vector levels, not one of them
//! (Goldmont and every Zen have them without AVX-512, Skylake-SP has AVX-512 without them), so
//! a token of its own ([`ShaNi`]) next to the levels' tokens, and [`run_sha_ni`] beside
//! [`dispatch`](crate::simd::dispatch) to run a kernel compiled for them.
//!
//! Only SHA-256's kernel uses these instructions (they compute SHA-256's rounds and message
//! schedule and nothing else), so the kernel's algorithm lives with the workload
//! (`workloads/sha256/sha_ni.rs`); here are only the capability check, the `#[target_feature]`
//! entry and one safe method per intrinsic, as the vector levels have, so that file holds no
//! `unsafe`.

use crate::isa;
use std::arch::x86_64::*;

/// Proof that this CPU has the SHA extensions and the SSSE3 their kernel uses
/// ([`isa::has_sha_ni`]): only [`ShaNi::new`] makes one, which is what makes its safe methods
/// sound. Values are 128-bit vectors of four u32 words.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ShaNi(());

impl ShaNi {
    /// The token, where this CPU has SHA-NI.
    pub(crate) fn new() -> Option<ShaNi> {
        isa::has_sha_ni().then_some(ShaNi(()))
    }

    /// Words `from[..4]`, `from[0]` in the lowest lane (panics if `from` is shorter).
    #[inline(always)]
    pub(crate) fn load(self, from: &[u32]) -> __m128i {
        assert!(from.len() >= 4);
        // SAFETY: four words are there (checked above); unaligned loads are allowed; SSE2 is
        // x86-64's baseline.
        unsafe { _mm_loadu_si128(from.as_ptr().cast()) }
    }

    /// The four words, lowest lane first.
    #[inline(always)]
    pub(crate) fn words(self, v: __m128i) -> [u32; 4] {
        let mut out = [0u32; 4];
        // SAFETY: `out` holds four words; SSE2 is x86-64's baseline.
        unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), v) };
        out
    }

    /// The 128 bits of `x` as a vector (bit 0 of `x` is bit 0 of the lowest lane), built in
    /// registers.
    #[inline(always)]
    pub(crate) fn vector(self, x: u128) -> __m128i {
        // SAFETY (here and below): the token, see the type's docs.
        unsafe { _mm_set_epi64x((x >> 64) as i64, x as i64) }
    }

    /// `a + b` lane by lane, wrapping.
    #[inline(always)]
    pub(crate) fn add(self, a: __m128i, b: __m128i) -> __m128i {
        unsafe { _mm_add_epi32(a, b) }
    }

    /// `a | b`.
    #[inline(always)]
    pub(crate) fn or(self, a: __m128i, b: __m128i) -> __m128i {
        unsafe { _mm_or_si128(a, b) }
    }

    /// Lanes 2 and 3 of `v` moved down to lanes 0 and 1 (`pshufd 0x0E`): the second pair of
    /// `K + W` words for [`ShaNi::rounds2`].
    #[inline(always)]
    pub(crate) fn high_pair(self, v: __m128i) -> __m128i {
        unsafe { _mm_shuffle_epi32::<0x0E>(v) }
    }

    /// Bytes 4..20 of `high ‖ low` (`palignr 4`): the words `low[1..4], high[0]`.
    #[inline(always)]
    pub(crate) fn align_word(self, high: __m128i, low: __m128i) -> __m128i {
        unsafe { _mm_alignr_epi8::<4>(high, low) }
    }

    /// Two SHA-256 rounds (`sha256rnds2`): `cdgh` and `abef` are the state as the instruction
    /// holds it, `kw` the two rounds' `K + W` in lanes 0 and 1; returns the new ABEF.
    #[inline(always)]
    pub(crate) fn rounds2(self, cdgh: __m128i, abef: __m128i, kw: __m128i) -> __m128i {
        unsafe { _mm_sha256rnds2_epu32(cdgh, abef, kw) }
    }

    /// The message schedule's first step on four words (`sha256msg1`).
    #[inline(always)]
    pub(crate) fn msg1(self, a: __m128i, b: __m128i) -> __m128i {
        unsafe { _mm_sha256msg1_epu32(a, b) }
    }

    /// The message schedule's second step on four words (`sha256msg2`).
    #[inline(always)]
    pub(crate) fn msg2(self, a: __m128i, b: __m128i) -> __m128i {
        unsafe { _mm_sha256msg2_epu32(a, b) }
    }
}

/// A kernel written with the SHA extensions: [`run_sha_ni`] runs it compiled for them.
pub(crate) trait ShaNiKernel {
    /// What the kernel returns.
    type Output;
    /// Runs the kernel with the token `s`. Implementations must be `#[inline(always)]`, as
    /// [`SimdKernel::run`](crate::simd::SimdKernel::run).
    fn run(self, s: ShaNi) -> Self::Output;
}

/// Runs `kernel` compiled for the SHA extensions (and SSSE3).
pub(crate) fn run_sha_ni<K: ShaNiKernel>(s: ShaNi, kernel: K) -> K::Output {
    #[target_feature(enable = "sha,sse2,ssse3")]
    fn compiled<K: ShaNiKernel>(s: ShaNi, kernel: K) -> K::Output {
        kernel.run(s)
    }
    // SAFETY: the token exists, so this CPU has SHA-NI and SSSE3.
    unsafe { compiled(s, kernel) }
}
