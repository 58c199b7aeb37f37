//! The serial and Rayon kernels of Monte Carlo π: what both CPU backends run.
//!
//! One generic kernel (`block_misses`) over the `Simd` vectors' u32 lanes, run at the level
//! of the [`Isa`] argument by `simd::dispatch`, which compiles the whole block loop for it. Serial runs it over the whole range, each Rayon task over
//! its chunk: the same code, so the counts are identical.
//!
//! # The circle test without a compare
//!
//! With `u = h >> 17` and `v = (h >> 2) & 0x7fff` (the two 15-bit fields), the point is
//! `(2u+1, 2v+1)` and the reference's test `(2u+1)² + (2v+1)² < 2^32` is, dividing by 4,
//! `u² + u + v² + v < 2^30 - 1/2`, that is `S = u² + v² + u + v < 2^30` for integers. S is
//! below 2^31, so `S >> 30` is 1 for a miss and 0 for a hit: one shift, no unsigned compare
//! (which SSE2 and AVX2 lack), and the count is a plain lane-wise sum. `u² + v²` is one
//! `pmaddwd` of the lane `u | v << 16` with itself (both fields are below 2^15, so the signed
//! 16-bit products are exact).

use super::{key, mix32, MonteCarlo};
use crate::isa::Isa;
use crate::simd::{dispatch, Simd, SimdKernel};
use rayon::prelude::*;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

/// Samples per Rayon task.
pub(super) const CHUNK: u64 = 1 << 16;

/// The levels of this kernel, fastest first as measured (docs/performance.md, "Monte Carlo and
/// SHA-256 on the CPU"): wider is faster here (the loop is integer throughput, no clock-heavy
/// 512-bit multiply chains).
pub const PREFERENCE: [Isa; 5] = [Isa::Avx512, Isa::Avx2, Isa::Neon, Isa::Sse2, Isa::Scalar];

/// Whether sample `lo` (low index word) is a hit, given `mixed_hi` = mix32(hi ^ key): the
/// kernels' formulation, with the circle test in wrapping u32 arithmetic.
#[inline]
pub(super) fn is_hit(lo: u32, mixed_hi: u32) -> bool {
    let h = mix32(lo ^ mixed_hi);
    let x = 2 * (h >> 17) + 1;
    let y = 2 * ((h >> 2) & 0x7fff) + 1;
    (x * x) < 0u32.wrapping_sub(y * y)
}

/// Hits among samples `range` at level `isa`: the loop serial runs over everything and each
/// Rayon task over its chunk.
///
/// # Panics
///
/// If this CPU cannot run `isa` (callers pass a level from [`Isa::for_kernel`] or
/// [`Isa::detected`]).
pub fn count_range(isa: Isa, key: u32, range: Range<u64>) -> u64 {
    dispatch(isa, CountRange { key, range })
}

/// The kernel: the hits among the samples `range` drawn with `key`.
struct CountRange {
    key: u32,
    range: Range<u64>,
}

impl SimdKernel for CountRange {
    type Output = u64;

    #[inline(always)]
    fn run<S: Simd>(self, s: S) -> u64 {
        let mut hits = 0;
        let mut i = self.range.start;
        while i < self.range.end {
            // Within one 2^32 block the high word, and so its mix, is fixed: hoist it.
            let hi = i >> 32;
            let block_end = block_end(i, self.range.end);
            let mixed_hi = mix32(hi as u32 ^ self.key);
            let n = block_end - i;
            hits += n - block_misses(s, mixed_hi, i as u32, n);
            i = block_end;
        }
        hits
    }
}

/// The end of the 2^32 block of sample `i`, or `end` if that comes first (the last block ends
/// at the largest u64, which `(hi + 1) << 32` would not reach).
fn block_end(i: u64, end: u64) -> u64 {
    match ((i >> 32) + 1).checked_mul(1 << 32) {
        Some(next) => end.min(next),
        None => end,
    }
}

/// Vectors in flight per iteration: independent chains, so the multiplies' latency overlaps.
const UNROLL: usize = 4;

/// Lane offsets 0..16, loaded as the first vector's sample indices.
const IOTA: [u32; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// Misses among the `n` samples from low word `lo` of one 2^32 block (`lo + n ≤ 2^32`), whose
/// high word mixes to `mixed_hi`: [`UNROLL`] vectors of `S::LANES` samples at a time, the
/// remainder one sample at a time.
#[inline(always)]
fn block_misses<S: Simd>(s: S, mixed_hi: u32, lo: u32, n: u64) -> u64 {
    let step = (S::LANES * UNROLL) as u64;
    let mhi = s.splat_u32(mixed_hi);
    let stride = s.splat_u32(step as u32);
    let iota = s.load_u32(&IOTA);
    let mut index: [S::U32; UNROLL] = std::array::from_fn(|k| {
        s.add_u32(iota, s.splat_u32(lo.wrapping_add((k * S::LANES) as u32)))
    });
    let mut misses = 0u64;
    let mut left = n / step;
    while left > 0 {
        // Each lane counts at most one miss per iteration: flush to u64 well before 2^32.
        let run = left.min(1 << 24);
        let mut count = [s.zero_u32(); UNROLL];
        for _ in 0..run {
            for k in 0..UNROLL {
                count[k] = s.add_u32(count[k], miss(s, s.xor_u32(index[k], mhi)));
                index[k] = s.add_u32(index[k], stride);
            }
        }
        misses += count.iter().map(|&c| sum_lanes(s, c)).sum::<u64>();
        left -= run;
    }
    let done = n / step * step;
    misses
        + (done..n)
            .filter(|&j| !is_hit(lo.wrapping_add(j as u32), mixed_hi))
            .count() as u64
}

/// 1 in the lanes whose sample (low word already xored with the mixed high word) misses the
/// circle, 0 where it hits (see the module's note).
#[inline(always)]
fn miss<S: Simd>(s: S, x: S::U32) -> S::U32 {
    let h = mix32_lanes(s, x);
    let u = s.shr_u32::<17>(h);
    let v = s.and_u32(s.shr_u32::<2>(h), s.splat_u32(0x7fff));
    let uv = s.or_u32(u, s.shl_u32::<16>(v));
    let sum = s.madd16(uv, uv);
    s.shr_u32::<30>(s.add_u32(s.add_u32(sum, u), v))
}

/// [`mix32`] in every lane.
#[inline(always)]
fn mix32_lanes<S: Simd>(s: S, mut x: S::U32) -> S::U32 {
    x = s.xor_u32(x, s.shr_u32::<16>(x));
    x = s.mul_u32(x, s.splat_u32(0x7feb_352d));
    x = s.xor_u32(x, s.shr_u32::<15>(x));
    x = s.mul_u32(x, s.splat_u32(0x846c_a68b));
    s.xor_u32(x, s.shr_u32::<16>(x))
}

/// The lanes' sum.
#[inline(always)]
fn sum_lanes<S: Simd>(s: S, v: S::U32) -> u64 {
    let mut lanes = [0u32; 16];
    s.store_u32(v, &mut lanes);
    lanes[..S::LANES].iter().map(|&c| c as u64).sum()
}

/// Counts on the current Rayon pool at level `isa`: every chunk has its own count, summed at the
/// end.
pub fn rayon_count(isa: Isa, job: &MonteCarlo) -> u64 {
    let key = key(job.seed);
    let chunks = job.samples.div_ceil(CHUNK);
    (0..chunks)
        .into_par_iter()
        .map(|c| {
            let lo = job.first + c * CHUNK;
            count_range(isa, key, lo..(lo + CHUNK).min(job.first + job.samples))
        })
        .sum()
}

/// The CPU side of [`racy`](super::racy): `threads` tasks (on the current pool) each walk their
/// share of the samples and bump the shared counter with a load and a store for every hit.
pub(super) fn racy_cpu(job: &MonteCarlo, threads: usize) -> u64 {
    let counter = AtomicU64::new(0);
    let key = key(job.seed);
    let share = job.samples.div_ceil(threads as u64);
    let bump = |t: u64| {
        let lo = job.first + t * share;
        let hi = (lo + share).min(job.first + job.samples);
        for i in lo..hi.max(lo) {
            if is_hit(i as u32, mix32((i >> 32) as u32 ^ key)) {
                // count += 1, as two steps: whatever another thread stored in between is lost.
                let seen = counter.load(Ordering::Relaxed);
                counter.store(seen + 1, Ordering::Relaxed);
            }
        }
    };
    if threads == 1 {
        bump(0);
    } else {
        (0..threads as u64).into_par_iter().for_each(bump);
    }
    counter.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::portable::Portable;
    use crate::workloads::montecarlo::reference;

    /// Jobs at awkward places: 0 and 1 sample (as ranges), lengths around the lane and unroll
    /// counts, and ranges that cross 2^32 (the hoisted high word changes mid-range).
    fn ranges() -> Vec<(u64, Range<u64>)> {
        let mut out = Vec::new();
        for (seed, len) in [0u64, 1, 3, 15, 16, 17, 63, 64, 65, 127, 129, 1000, 4099]
            .into_iter()
            .enumerate()
        {
            out.push((seed as u64, 100..100 + len));
        }
        let edge = 1u64 << 32;
        out.push((7, edge - 1..edge + 1));
        out.push((8, edge - 37..edge + 100));
        out.push((9, edge - 1000..edge));
        out.push((10, 5 * edge - 3..5 * edge + 70));
        out.push((11, u64::MAX - 200..u64::MAX));
        out
    }

    fn expected(seed: u64, range: &Range<u64>) -> u64 {
        if range.is_empty() {
            return 0;
        }
        let job = MonteCarlo::new(range.end - range.start, seed, range.start).unwrap();
        reference(&job).hits
    }

    #[test]
    fn every_level_of_this_cpu_matches_the_reference() {
        for &isa in Isa::detected() {
            for (seed, range) in ranges() {
                let got = count_range(isa, key(seed), range.clone());
                assert_eq!(got, expected(seed, &range), "{isa} seed {seed} {range:?}");
            }
        }
        if !Isa::Avx512.is_supported() {
            eprintln!("avx512 skipped: this CPU has no AVX-512 (its 16-lane logic is checked by the portable vector)");
        }
    }

    #[test]
    fn sixteen_portable_lanes_match_the_reference() {
        for (seed, range) in ranges() {
            let mut got = 0;
            let mut i = range.start;
            while i < range.end {
                let end = block_end(i, range.end);
                let mixed_hi = mix32((i >> 32) as u32 ^ key(seed));
                got += (end - i) - block_misses(Portable::<16>, mixed_hi, i as u32, end - i);
                i = end;
            }
            assert_eq!(got, expected(seed, &range), "seed {seed} {range:?}");
        }
    }

    #[test]
    fn the_shift_test_is_the_circle_test_for_every_point() {
        // Every (u, v) on the 2^15 × 2^15 lattice's diagonal band and edges is too many; the
        // two tests differ only near the circle, so check every u with v at and around the
        // boundary, plus the corners.
        for u in 0u32..1 << 15 {
            let x = 2 * u as u64 + 1;
            let limit = ((1u64 << 32) - x * x) as f64;
            let v0 = ((limit.sqrt() - 1.0) / 2.0).max(0.0) as u32;
            for v in v0.saturating_sub(2)..(v0 + 3).min(1 << 15) {
                let y = 2 * v as u64 + 1;
                let circle = x * x + y * y < 1 << 32;
                let s = u * u + v * v + u + v;
                assert_eq!(s >> 30 == 0, circle, "u {u} v {v}");
            }
        }
    }
}
