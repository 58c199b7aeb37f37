//! 16 bytes at a time, for the text scanners (the pattern file readers): [`B16`] holds 16 bytes
//! in a vector register and compares, adds and masks them lane by lane; [`B16::mask`] gathers
//! one bit per byte, as x86's `movemask` does, so a scanner walks the bytes it wants with
//! `trailing_zeros`. [`find_byte`] is a `memchr` built on it.
//!
//! One width, the one every 64-bit CPU has in its baseline: SSE2 on x86-64, NEON on aarch64
//! (no detection, no [`crate::isa::Isa`] level: these are always there), and a portable array
//! elsewhere and in tests. A 32-byte AVX2 version through [`crate::simd::dispatch`] was not
//! worth it here: the readers' time goes to what they do per token or line after the
//! classification (docs/performance.md, "Pattern files without copies").

/// 16 bytes, lane by lane. Comparison results are 0xff (true) or 0 (false) in each lane.
#[derive(Clone, Copy)]
pub(crate) struct B16(imp::V);

impl B16 {
    /// The first 16 bytes of `from` (panics if it is shorter).
    #[inline(always)]
    pub(crate) fn load(from: &[u8]) -> B16 {
        let from: &[u8; 16] = from[..16].try_into().expect("16 bytes");
        B16(imp::load(from))
    }

    /// Every lane `b`.
    #[inline(always)]
    pub(crate) fn splat(b: u8) -> B16 {
        B16(imp::splat(b))
    }

    /// The lanes, in order.
    #[inline(always)]
    pub(crate) fn to_array(self) -> [u8; 16] {
        imp::store(self.0)
    }

    /// Where the lane equals `b`.
    #[inline(always)]
    pub(crate) fn eq(self, b: u8) -> B16 {
        B16(imp::eq(self.0, imp::splat(b)))
    }

    /// Where the lane, read as a signed byte, is less than `b`'s.
    #[inline(always)]
    pub(crate) fn lt_signed(self, b: B16) -> B16 {
        B16(imp::lt_signed(self.0, b.0))
    }

    /// Where the lane is in `lo ..= hi` (unsigned).
    #[inline(always)]
    pub(crate) fn in_range(self, lo: u8, hi: u8) -> B16 {
        // Shifted so that lo is the smallest signed byte: one signed compare.
        let shifted = self.add(B16::splat(0x80u8.wrapping_sub(lo)));
        shifted.lt_signed(B16::splat(0x80u8.wrapping_add(hi - lo).wrapping_add(1)))
    }

    /// `self + b`, wrapping, lane by lane.
    #[inline(always)]
    pub(crate) fn add(self, b: B16) -> B16 {
        B16(imp::add(self.0, b.0))
    }

    /// `self - b`, wrapping, lane by lane.
    #[inline(always)]
    pub(crate) fn sub(self, b: B16) -> B16 {
        B16(imp::sub(self.0, b.0))
    }

    /// `self & b`.
    #[inline(always)]
    pub(crate) fn and(self, b: B16) -> B16 {
        B16(imp::and(self.0, b.0))
    }

    /// `self | b`.
    #[inline(always)]
    pub(crate) fn or(self, b: B16) -> B16 {
        B16(imp::or(self.0, b.0))
    }

    /// `!self & b`.
    #[inline(always)]
    pub(crate) fn andnot(self, b: B16) -> B16 {
        B16(imp::andnot(self.0, b.0))
    }

    /// The top bit of each lane, lane j at bit j (x86's `movemask`): for a comparison's result,
    /// the lanes where it holds.
    #[inline(always)]
    pub(crate) fn mask(self) -> u32 {
        imp::mask(self.0)
    }
}

/// The first `b` in `haystack` at or after `from`, 16 bytes per compare.
#[inline]
pub(crate) fn find_byte(haystack: &[u8], from: usize, b: u8) -> Option<usize> {
    let mut at = from;
    while at + 16 <= haystack.len() {
        let m = B16::load(&haystack[at..]).eq(b).mask();
        if m != 0 {
            return Some(at + m.trailing_zeros() as usize);
        }
        at += 16;
    }
    haystack[at.min(haystack.len())..]
        .iter()
        .position(|&c| c == b)
        .map(|i| at + i)
}

/// 32 bytes, lane by lane, for the scanners built on [`Bits`]: made only by a [`Bits`] value
/// ([`Bits::load`], [`Bits::splat`]), so that a vector of the CPU's exists only where the CPU
/// runs its instructions. Comparison results are 0xff (true) or 0 (false) in each lane.
pub(crate) trait Bytes32: Copy {
    /// Where the lane equals `b`.
    fn eq(self, b: u8) -> Self;
    /// Where the lane is in `lo ..= hi` (unsigned).
    fn in_range(self, lo: u8, hi: u8) -> Self;
    /// Where the lane, read as a signed byte, is less than `b`'s.
    fn lt_signed(self, b: Self) -> Self;
    /// `self + b`, wrapping.
    fn add(self, b: Self) -> Self;
    /// `self - b`, wrapping.
    fn sub(self, b: Self) -> Self;
    /// `self & b`.
    fn and(self, b: Self) -> Self;
    /// `self | b`.
    fn or(self, b: Self) -> Self;
    /// `!self & b`.
    fn andnot(self, b: Self) -> Self;
    /// The smaller of `self` and `b` (unsigned).
    fn min(self, b: Self) -> Self;
    /// The larger of `self` and `b` (unsigned).
    fn max(self, b: Self) -> Self;
    /// Lane j: the largest of lanes 0 ..= j (unsigned), across the whole 32 bytes.
    fn prefix_max(self) -> Self;
    /// `self - b`, or 0 where `b` is larger (unsigned, saturating).
    fn sat_sub(self, b: Self) -> Self;
    /// The top bit of each lane, lane j at bit j.
    fn mask(self) -> u32;
    /// The lanes, in order, into `to[..32]`.
    fn store(self, to: &mut [u8]);
}

/// Operations on bit fields and bytes that not every CPU of an architecture has, or has fast:
/// x86's BMI2 `pext`, and AVX2's 32-byte vectors with `pshufb`. A scanner generic over `Bits`
/// runs with [`PortableBits`] (their definition, a bit and a lane at a time: the tests'
/// oracle) or, through [`run_bits`], with the CPU's instructions, compiled inside one
/// `#[target_feature]` function.
pub(crate) trait Bits: Copy {
    /// The vectors.
    type V: Bytes32;
    /// The bits of `a` where `mask` is set, packed toward bit 0 in order (`pext`).
    fn pext(self, a: u64, mask: u64) -> u64;
    /// The first 32 bytes of `from` (panics if it is shorter).
    fn load(self, from: &[u8]) -> Self::V;
    /// Every lane `b`.
    fn splat(self, b: u8) -> Self::V;
    /// `table[idx]` lane by lane for `idx` below 16, and 0 where `idx`'s top bit is set
    /// (`pshufb`; other indices are taken modulo 16).
    fn lookup(self, table: &[u8; 16], idx: Self::V) -> Self::V;
    /// Lane j is 0xff where bit j of `m` is set, 0 elsewhere (a bit mask spread to bytes).
    fn spread_bits(self, m: u32) -> Self::V;
    /// [`Bits::spread_bits`] of `m`'s low and high halves (one broadcast for both, with AVX2).
    fn spread_bits64(self, m: u64) -> [Self::V; 2] {
        [
            self.spread_bits(m as u32),
            self.spread_bits((m >> 32) as u32),
        ]
    }
}

/// [`Bits`] a bit and a lane at a time: the definition the instructions are tested against.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PortableBits;

/// [`PortableBits`]' vectors: an array.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lanes32([u8; 32]);

impl Lanes32 {
    fn zip(self, b: Lanes32, f: impl Fn(u8, u8) -> u8) -> Lanes32 {
        Lanes32(std::array::from_fn(|j| f(self.0[j], b.0[j])))
    }
    fn test(self, f: impl Fn(u8) -> bool) -> Lanes32 {
        Lanes32(self.0.map(|x| if f(x) { 0xff } else { 0 }))
    }
}

impl Bytes32 for Lanes32 {
    fn eq(self, b: u8) -> Self {
        self.test(|x| x == b)
    }
    fn in_range(self, lo: u8, hi: u8) -> Self {
        self.test(|x| (lo..=hi).contains(&x))
    }
    fn lt_signed(self, b: Self) -> Self {
        self.zip(b, |x, y| if (x as i8) < (y as i8) { 0xff } else { 0 })
    }
    fn add(self, b: Self) -> Self {
        self.zip(b, u8::wrapping_add)
    }
    fn sub(self, b: Self) -> Self {
        self.zip(b, u8::wrapping_sub)
    }
    fn and(self, b: Self) -> Self {
        self.zip(b, |x, y| x & y)
    }
    fn or(self, b: Self) -> Self {
        self.zip(b, |x, y| x | y)
    }
    fn andnot(self, b: Self) -> Self {
        self.zip(b, |x, y| !x & y)
    }
    fn min(self, b: Self) -> Self {
        self.zip(b, u8::min)
    }
    fn max(self, b: Self) -> Self {
        self.zip(b, u8::max)
    }
    fn prefix_max(self) -> Self {
        let mut top = 0;
        Lanes32(self.0.map(|x| {
            top = top.max(x);
            top
        }))
    }
    fn sat_sub(self, b: Self) -> Self {
        self.zip(b, u8::saturating_sub)
    }
    fn mask(self) -> u32 {
        self.0
            .iter()
            .enumerate()
            .fold(0, |m, (j, &b)| m | ((b >> 7) as u32) << j)
    }
    fn store(self, to: &mut [u8]) {
        to[..32].copy_from_slice(&self.0);
    }
}

impl Bits for PortableBits {
    type V = Lanes32;
    fn pext(self, a: u64, mut mask: u64) -> u64 {
        let (mut out, mut k) = (0u64, 0);
        while mask != 0 {
            let bit = mask.trailing_zeros();
            out |= (a >> bit & 1) << k;
            k += 1;
            mask &= mask - 1;
        }
        out
    }
    fn load(self, from: &[u8]) -> Lanes32 {
        Lanes32(from[..32].try_into().expect("32 bytes"))
    }
    fn splat(self, b: u8) -> Lanes32 {
        Lanes32([b; 32])
    }
    fn lookup(self, table: &[u8; 16], idx: Lanes32) -> Lanes32 {
        Lanes32(
            idx.0
                .map(|i| if i >= 0x80 { 0 } else { table[i as usize % 16] }),
        )
    }
    fn spread_bits(self, m: u32) -> Lanes32 {
        Lanes32(std::array::from_fn(
            |j| if m >> j & 1 == 1 { 0xff } else { 0 },
        ))
    }
}

/// A kernel generic over [`Bits`], run by [`run_bits`] (which runs nothing where the
/// architecture has no such instructions: then only the tests run kernels, with
/// [`PortableBits`]).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) trait BitsKernel {
    /// What the kernel returns.
    type Output;
    /// Runs the kernel with `bits`. Implementations must be `#[inline(always)]`, as
    /// [`SimdKernel::run`](crate::simd::SimdKernel::run), and so must the generic functions
    /// they call with `bits`.
    fn run<B: Bits>(self, bits: B) -> Self::Output;
}

/// Runs `kernel` with the CPU's [`Bits`] instructions where it has them fast
/// ([`crate::isa::has_fast_pext`]: BMI2 that is not microcoded, and AVX2) and the level in
/// force ([`crate::isa::Isa::for_kernel`], which `SPEEDUP_CPU` sets) is AVX2 or wider; `None`
/// elsewhere (the caller takes its path without them: a `pext` a bit at a time would be
/// slower than no `pext`).
pub(crate) fn run_bits<K: BitsKernel>(kernel: K) -> Option<K::Output> {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::isa::Isa;
        let level = Isa::for_kernel(&[Isa::Avx2]).unwrap_or(Isa::Sse2);
        if matches!(level, Isa::Avx2 | Isa::Avx512) {
            if let Some(b) = bmi2::Bmi2::new() {
                return Some(bmi2::run(b, kernel));
            }
        }
    }
    let _ = kernel;
    None
}

/// x86's BMI2 and AVX2 behind a token.
#[cfg(target_arch = "x86_64")]
mod bmi2 {
    use super::{Bits, BitsKernel, Bytes32};
    use std::arch::x86_64::*;

    /// Proof that this CPU has a fast `pext` and what [`run`] enables
    /// ([`crate::isa::has_fast_pext`]): only [`Bmi2::new`] makes one, which is what makes its
    /// safe methods, and those of the vectors it makes, sound.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Bmi2(());

    impl Bmi2 {
        pub(crate) fn new() -> Option<Bmi2> {
            crate::isa::has_fast_pext().then_some(Bmi2(()))
        }
    }

    /// An AVX2 vector, made only through a [`Bmi2`] token.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Y(__m256i);

    // SAFETY (every intrinsic below): a `Y` or a `Bmi2` exists only where the CPU has AVX2 and
    // BMI2 (`Bmi2::new`); the loads and stores touch exactly the 32 bytes of the slices they
    // are given, which are checked to hold them.
    impl Bytes32 for Y {
        #[inline(always)]
        fn eq(self, b: u8) -> Y {
            Y(unsafe { _mm256_cmpeq_epi8(self.0, _mm256_set1_epi8(b as i8)) })
        }
        #[inline(always)]
        fn in_range(self, lo: u8, hi: u8) -> Y {
            // Shifted so that lo is the smallest signed byte: one signed compare.
            unsafe {
                let shifted =
                    _mm256_add_epi8(self.0, _mm256_set1_epi8(0x80u8.wrapping_sub(lo) as i8));
                let bound = 0x80u8.wrapping_add(hi - lo).wrapping_add(1) as i8;
                Y(_mm256_cmpgt_epi8(_mm256_set1_epi8(bound), shifted))
            }
        }
        #[inline(always)]
        fn lt_signed(self, b: Y) -> Y {
            Y(unsafe { _mm256_cmpgt_epi8(b.0, self.0) })
        }
        #[inline(always)]
        fn add(self, b: Y) -> Y {
            Y(unsafe { _mm256_add_epi8(self.0, b.0) })
        }
        #[inline(always)]
        fn sub(self, b: Y) -> Y {
            Y(unsafe { _mm256_sub_epi8(self.0, b.0) })
        }
        #[inline(always)]
        fn and(self, b: Y) -> Y {
            Y(unsafe { _mm256_and_si256(self.0, b.0) })
        }
        #[inline(always)]
        fn or(self, b: Y) -> Y {
            Y(unsafe { _mm256_or_si256(self.0, b.0) })
        }
        #[inline(always)]
        fn andnot(self, b: Y) -> Y {
            Y(unsafe { _mm256_andnot_si256(self.0, b.0) })
        }
        #[inline(always)]
        fn min(self, b: Y) -> Y {
            Y(unsafe { _mm256_min_epu8(self.0, b.0) })
        }
        #[inline(always)]
        fn max(self, b: Y) -> Y {
            Y(unsafe { _mm256_max_epu8(self.0, b.0) })
        }
        #[inline(always)]
        fn prefix_max(self) -> Y {
            unsafe {
                // Within each 16-byte half: four shifted maxima (1, 2, 4, 8 lanes).
                let mut x = self.0;
                x = _mm256_max_epu8(x, _mm256_slli_si256::<1>(x));
                x = _mm256_max_epu8(x, _mm256_slli_si256::<2>(x));
                x = _mm256_max_epu8(x, _mm256_slli_si256::<4>(x));
                x = _mm256_max_epu8(x, _mm256_slli_si256::<8>(x));
                // Then the low half's last lane into every lane of the high half: the low half
                // moved up (zeros below), its byte 15 spread by `pshufb`.
                let low_up = _mm256_permute2x128_si256::<0x08>(x, x);
                let top = _mm256_shuffle_epi8(low_up, _mm256_set1_epi8(15));
                Y(_mm256_max_epu8(x, top))
            }
        }
        #[inline(always)]
        fn sat_sub(self, b: Y) -> Y {
            Y(unsafe { _mm256_subs_epu8(self.0, b.0) })
        }
        #[inline(always)]
        fn mask(self) -> u32 {
            unsafe { _mm256_movemask_epi8(self.0) as u32 }
        }
        #[inline(always)]
        fn store(self, to: &mut [u8]) {
            let to: &mut [u8; 32] = (&mut to[..32]).try_into().expect("32 bytes");
            unsafe { _mm256_storeu_si256(to.as_mut_ptr().cast(), self.0) }
        }
    }

    impl Bits for Bmi2 {
        type V = Y;
        #[inline(always)]
        fn pext(self, a: u64, mask: u64) -> u64 {
            unsafe { _pext_u64(a, mask) }
        }
        #[inline(always)]
        fn load(self, from: &[u8]) -> Y {
            let from: &[u8; 32] = from[..32].try_into().expect("32 bytes");
            Y(unsafe { _mm256_loadu_si256(from.as_ptr().cast()) })
        }
        #[inline(always)]
        fn splat(self, b: u8) -> Y {
            Y(unsafe { _mm256_set1_epi8(b as i8) })
        }
        #[inline(always)]
        fn lookup(self, table: &[u8; 16], idx: Y) -> Y {
            unsafe {
                let t = _mm_loadu_si128(table.as_ptr().cast());
                Y(_mm256_shuffle_epi8(_mm256_broadcastsi128_si256(t), idx.0))
            }
        }
        #[inline(always)]
        fn spread_bits(self, m: u32) -> Y {
            unsafe {
                // Byte k of `m` into lanes 8k .. 8k + 8, then each lane keeps its own bit.
                let spread = _mm256_shuffle_epi8(
                    _mm256_set1_epi32(m as i32),
                    _mm256_setr_epi64x(
                        0,
                        0x0101_0101_0101_0101,
                        0x0202_0202_0202_0202,
                        0x0303_0303_0303_0303,
                    ),
                );
                let bit = _mm256_set1_epi64x(0x8040_2010_0804_0201u64 as i64);
                Y(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit))
            }
        }
        #[inline(always)]
        fn spread_bits64(self, m: u64) -> [Y; 2] {
            unsafe {
                // `m` in every 64-bit lane once; byte k into lanes 8k .. 8k + 8 of its half.
                let all = _mm256_set1_epi64x(m as i64);
                let bit = _mm256_set1_epi64x(0x8040_2010_0804_0201u64 as i64);
                let half = |bytes: __m256i| {
                    let spread = _mm256_shuffle_epi8(all, bytes);
                    Y(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit))
                };
                [
                    half(_mm256_setr_epi64x(
                        0,
                        0x0101_0101_0101_0101,
                        0x0202_0202_0202_0202,
                        0x0303_0303_0303_0303,
                    )),
                    half(_mm256_setr_epi64x(
                        0x0404_0404_0404_0404,
                        0x0505_0505_0505_0505,
                        0x0606_0606_0606_0606,
                        0x0707_0707_0707_0707,
                    )),
                ]
            }
        }
    }

    /// Runs `kernel` compiled for BMI2, POPCNT, LZCNT and AVX2.
    pub(crate) fn run<K: BitsKernel>(b: Bmi2, kernel: K) -> K::Output {
        #[target_feature(enable = "bmi1,bmi2,popcnt,lzcnt,ssse3,sse4.1,sse4.2,avx,avx2")]
        fn compiled<K: BitsKernel>(b: Bmi2, kernel: K) -> K::Output {
            kernel.run(b)
        }
        // SAFETY: the token exists, so this CPU has every feature enabled above
        // (`has_fast_pext` checks them).
        unsafe { compiled(b, kernel) }
    }
}

/// SSE2: part of x86-64 itself.
#[cfg(target_arch = "x86_64")]
mod imp {
    use std::arch::x86_64::*;
    pub(super) type V = __m128i;

    // SAFETY (every function here): SSE2 is in x86-64's baseline, so every CPU this code runs
    // on has these instructions; the loads and stores touch exactly the 16 bytes of the array
    // they are given.
    #[inline(always)]
    pub(super) fn load(from: &[u8; 16]) -> V {
        unsafe { _mm_loadu_si128(from.as_ptr().cast()) }
    }
    #[inline(always)]
    pub(super) fn store(v: V) -> [u8; 16] {
        let mut out = [0u8; 16];
        unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), v) };
        out
    }
    #[inline(always)]
    pub(super) fn splat(b: u8) -> V {
        unsafe { _mm_set1_epi8(b as i8) }
    }
    #[inline(always)]
    pub(super) fn eq(a: V, b: V) -> V {
        unsafe { _mm_cmpeq_epi8(a, b) }
    }
    #[inline(always)]
    pub(super) fn lt_signed(a: V, b: V) -> V {
        unsafe { _mm_cmplt_epi8(a, b) }
    }
    #[inline(always)]
    pub(super) fn add(a: V, b: V) -> V {
        unsafe { _mm_add_epi8(a, b) }
    }
    #[inline(always)]
    pub(super) fn sub(a: V, b: V) -> V {
        unsafe { _mm_sub_epi8(a, b) }
    }
    #[inline(always)]
    pub(super) fn and(a: V, b: V) -> V {
        unsafe { _mm_and_si128(a, b) }
    }
    #[inline(always)]
    pub(super) fn or(a: V, b: V) -> V {
        unsafe { _mm_or_si128(a, b) }
    }
    #[inline(always)]
    pub(super) fn andnot(a: V, b: V) -> V {
        unsafe { _mm_andnot_si128(a, b) }
    }
    #[inline(always)]
    pub(super) fn mask(v: V) -> u32 {
        unsafe { _mm_movemask_epi8(v) as u32 }
    }
}

/// NEON: part of aarch64 itself.
#[cfg(target_arch = "aarch64")]
mod imp {
    use std::arch::aarch64::*;
    pub(super) type V = uint8x16_t;

    // SAFETY (every function here): NEON is in aarch64's baseline; the loads and stores touch
    // exactly the 16 bytes of the array they are given.
    #[inline(always)]
    pub(super) fn load(from: &[u8; 16]) -> V {
        unsafe { vld1q_u8(from.as_ptr()) }
    }
    #[inline(always)]
    pub(super) fn store(v: V) -> [u8; 16] {
        let mut out = [0u8; 16];
        unsafe { vst1q_u8(out.as_mut_ptr(), v) };
        out
    }
    #[inline(always)]
    pub(super) fn splat(b: u8) -> V {
        unsafe { vdupq_n_u8(b) }
    }
    #[inline(always)]
    pub(super) fn eq(a: V, b: V) -> V {
        unsafe { vceqq_u8(a, b) }
    }
    #[inline(always)]
    pub(super) fn lt_signed(a: V, b: V) -> V {
        unsafe { vcltq_s8(vreinterpretq_s8_u8(a), vreinterpretq_s8_u8(b)) }
    }
    #[inline(always)]
    pub(super) fn add(a: V, b: V) -> V {
        unsafe { vaddq_u8(a, b) }
    }
    #[inline(always)]
    pub(super) fn sub(a: V, b: V) -> V {
        unsafe { vsubq_u8(a, b) }
    }
    #[inline(always)]
    pub(super) fn and(a: V, b: V) -> V {
        unsafe { vandq_u8(a, b) }
    }
    #[inline(always)]
    pub(super) fn or(a: V, b: V) -> V {
        unsafe { vorrq_u8(a, b) }
    }
    #[inline(always)]
    pub(super) fn andnot(a: V, b: V) -> V {
        // vbicq(b, a) = b & !a.
        unsafe { vbicq_u8(b, a) }
    }
    #[inline(always)]
    pub(super) fn mask(v: V) -> u32 {
        // Each lane's top bit moved to bit (j % 8), then the halves added up.
        const SHIFTS: [i8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7];
        unsafe {
            let bits = vshlq_u8(vshrq_n_u8::<7>(v), vld1q_s8(SHIFTS.as_ptr()));
            let lo = vaddv_u8(vget_low_u8(bits)) as u32;
            let hi = vaddv_u8(vget_high_u8(bits)) as u32;
            lo | hi << 8
        }
    }
}

/// Elsewhere: an array, a lane at a time.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod imp {
    pub(super) use super::portable::*;
}

/// The lane-at-a-time definition: the vector versions are tested against it, and it serves
/// where there is no vector version.
#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), allow(dead_code))]
mod portable {
    pub(crate) type V = [u8; 16];

    fn lanes(a: V, b: V, f: impl Fn(u8, u8) -> u8) -> V {
        std::array::from_fn(|j| f(a[j], b[j]))
    }
    fn flag(t: bool) -> u8 {
        if t {
            0xff
        } else {
            0
        }
    }
    pub(crate) fn load(from: &[u8; 16]) -> V {
        *from
    }
    pub(crate) fn store(v: V) -> [u8; 16] {
        v
    }
    pub(crate) fn splat(b: u8) -> V {
        [b; 16]
    }
    pub(crate) fn eq(a: V, b: V) -> V {
        lanes(a, b, |x, y| flag(x == y))
    }
    pub(crate) fn lt_signed(a: V, b: V) -> V {
        lanes(a, b, |x, y| flag((x as i8) < (y as i8)))
    }
    pub(crate) fn add(a: V, b: V) -> V {
        lanes(a, b, u8::wrapping_add)
    }
    pub(crate) fn sub(a: V, b: V) -> V {
        lanes(a, b, u8::wrapping_sub)
    }
    pub(crate) fn and(a: V, b: V) -> V {
        lanes(a, b, |x, y| x & y)
    }
    pub(crate) fn or(a: V, b: V) -> V {
        lanes(a, b, |x, y| x | y)
    }
    pub(crate) fn andnot(a: V, b: V) -> V {
        lanes(a, b, |x, y| !x & y)
    }
    pub(crate) fn mask(v: V) -> u32 {
        v.iter()
            .enumerate()
            .fold(0, |m, (j, &b)| m | ((b >> 7) as u32) << j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation against its lane-at-a-time definition, on bytes that cover the sign
    /// bit, the digits and their neighbours.
    #[test]
    fn every_operation_matches_the_portable_definition() {
        let mut rng = crate::random::SplitMix64::new(11);
        let special = [0u8, 1, b'/', b'0', b'9', b':', 0x7f, 0x80, 0x81, 0xfe, 0xff];
        for _ in 0..500 {
            let mut a = [0u8; 16];
            let mut b = [0u8; 16];
            for j in 0..16 {
                let r = rng.next_u64();
                a[j] = if r.is_multiple_of(3) {
                    special[(r >> 8) as usize % special.len()]
                } else {
                    (r >> 16) as u8
                };
                b[j] = if r.is_multiple_of(5) {
                    a[j]
                } else {
                    (r >> 24) as u8
                };
            }
            let (va, vb) = (B16::load(&a), B16::load(&b));
            let p = |f: fn(portable::V, portable::V) -> portable::V| f(a, b);
            assert_eq!(va.to_array(), a);
            assert_eq!(
                B16(imp::eq(va.0, vb.0)).to_array(),
                p(portable::eq),
                "eq {a:?} {b:?}"
            );
            assert_eq!(va.lt_signed(vb).to_array(), p(portable::lt_signed));
            assert_eq!(va.add(vb).to_array(), p(portable::add));
            assert_eq!(va.sub(vb).to_array(), p(portable::sub));
            assert_eq!(va.and(vb).to_array(), p(portable::and));
            assert_eq!(va.or(vb).to_array(), p(portable::or));
            assert_eq!(va.andnot(vb).to_array(), p(portable::andnot));
            assert_eq!(va.mask(), portable::mask(a));
            assert_eq!(va.eq(a[3]).mask() >> 3 & 1, 1);
            let digits = va.in_range(b'0', b'9').mask();
            for (j, &c) in a.iter().enumerate() {
                assert_eq!(digits >> j & 1 == 1, c.is_ascii_digit(), "{c}");
            }
        }
    }

    /// Every [`Bits`] operation of the CPU's (where it has them fast) against
    /// [`PortableBits`], on the same inputs.
    #[test]
    fn cpu_bits_match_the_portable_definition() {
        struct Every(Vec<([u8; 32], [u8; 32], u64, u64)>);
        impl BitsKernel for Every {
            type Output = Vec<Vec<u64>>;
            #[inline(always)]
            fn run<B: Bits>(self, bits: B) -> Vec<Vec<u64>> {
                let table: [u8; 16] = std::array::from_fn(|j| (j * 37 + 5) as u8);
                let lanes = |v: B::V| {
                    let mut out = [0u8; 32];
                    v.store(&mut out);
                    out.chunks(8)
                        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
                        .collect::<Vec<_>>()
                };
                self.0
                    .iter()
                    .map(|(a, b, x, m)| {
                        let (va, vb) = (bits.load(a), bits.load(b));
                        let mut r = vec![bits.pext(*x, *m), va.mask() as u64];
                        for v in [
                            va.eq(b[0]),
                            va.in_range(b'0', b'9'),
                            va.in_range(b[1].min(b[2]), b[1].max(b[2])),
                            va.lt_signed(vb),
                            va.add(vb),
                            va.sub(vb),
                            va.and(vb),
                            va.or(vb),
                            va.andnot(vb),
                            va.min(vb),
                            va.max(vb),
                            va.prefix_max(),
                            vb.prefix_max(),
                            va.sat_sub(vb),
                            bits.lookup(&table, vb),
                            bits.splat(a[3]),
                            bits.spread_bits(*x as u32),
                            bits.spread_bits((*x >> 32) as u32 & *m as u32),
                            bits.spread_bits64(*x)[0],
                            bits.spread_bits64(*x)[1],
                            bits.spread_bits64(*x & *m)[1],
                        ] {
                            r.extend(lanes(v));
                        }
                        r
                    })
                    .collect()
            }
        }
        let mut rng = crate::random::SplitMix64::new(13);
        let special = [0u8, 1, 8, 9, 15, 16, b'0', b'9', 0x7f, 0x80, 0x81, 0xff];
        let cases: Vec<_> = (0..500)
            .map(|_| {
                let mut byte = || {
                    let r = rng.next_u64();
                    if r.is_multiple_of(3) {
                        special[(r >> 8) as usize % special.len()]
                    } else {
                        (r >> 16) as u8
                    }
                };
                let a: [u8; 32] = std::array::from_fn(|_| byte());
                let b: [u8; 32] = std::array::from_fn(|_| byte());
                (a, b, rng.next_u64(), rng.next_u64() & rng.next_u64())
            })
            .collect();
        let want = Every(cases.clone()).run(PortableBits);
        match run_bits(Every(cases)) {
            Some(got) => assert_eq!(got, want),
            None => eprintln!(
                "skipped: this CPU has no fast pext with AVX2 (or a lower level is forced)"
            ),
        }
    }

    #[test]
    fn find_byte_finds_the_first() {
        let mut text = vec![b'.'; 100];
        for at in [0, 5, 15, 16, 17, 31, 47, 63, 64, 90, 99] {
            text[at] = b'\n';
            for from in [0, 1, 16, 40] {
                let want = text[from..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map(|i| from + i);
                assert_eq!(find_byte(&text, from, b'\n'), want, "{at} from {from}");
            }
            text[at] = b'.';
        }
        assert_eq!(find_byte(&text, 0, b'\n'), None);
        assert_eq!(find_byte(&text, 100, b'\n'), None);
    }
}
