//! The serial and Rayon kernels of Monte Carlo π: what both CPU backends run.

use super::{key, mix32, MonteCarlo};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// Samples per Rayon task.
pub(super) const CHUNK: u64 = 1 << 16;

/// Whether sample `lo` (low index word) is a hit, given `mixed_hi` = mix32(hi ^ key): the
/// kernels' formulation, with the circle test in wrapping u32 arithmetic.
#[inline]
pub(super) fn is_hit(lo: u32, mixed_hi: u32) -> bool {
    let h = mix32(lo ^ mixed_hi);
    let x = 2 * (h >> 17) + 1;
    let y = 2 * ((h >> 2) & 0x7fff) + 1;
    (x * x) < 0u32.wrapping_sub(y * y)
}

/// Hits among samples `range`: the loop serial runs over everything and each Rayon task over
/// its chunk.
pub(super) fn count_range(key: u32, range: std::ops::Range<u64>) -> u64 {
    let mut hits = 0;
    let mut i = range.start;
    while i < range.end {
        // Within one 2^32 block the high word, and so its mix, is fixed: hoist it.
        let hi = i >> 32;
        let block_end = range.end.min((hi + 1) << 32);
        let mixed_hi = mix32(hi as u32 ^ key);
        hits += (i..block_end)
            .filter(|&j| is_hit(j as u32, mixed_hi))
            .count() as u64;
        i = block_end;
    }
    hits
}

/// Counts on the current Rayon pool: every chunk has its own count, summed at the end.
pub(super) fn rayon_count(job: &MonteCarlo) -> u64 {
    let key = key(job.seed);
    let chunks = job.samples.div_ceil(CHUNK);
    (0..chunks)
        .into_par_iter()
        .map(|c| {
            let lo = job.first + c * CHUNK;
            count_range(key, lo..(lo + CHUNK).min(job.first + job.samples))
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
