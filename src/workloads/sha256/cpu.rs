//! The serial and Rayon kernels of the SHA-256 search: what both CPU backends run.

use super::{batch_sizes, padded_block, Found, Search, H0};
use rayon::prelude::*;
use sha2::digest::generic_array::GenericArray;
use std::ops::Range;

/// Scans `range` for nonces with at least `difficulty` zero bits: the first one and how many,
/// stopping at the first when `stop_at_first`. Serial runs it over the whole range; Rayon over
/// chunks in parallel.
pub(super) fn scan(
    block: &[u8; 64],
    nonce_at: usize,
    difficulty: u32,
    range: Range<u64>,
    stop_at_first: bool,
) -> (Option<u64>, u64) {
    let mut block = GenericArray::clone_from_slice(block);
    let mut first = None;
    let mut matches = 0;
    for nonce in range {
        block[nonce_at..nonce_at + 8].copy_from_slice(&nonce.to_le_bytes());
        let mut state = H0;
        sha2::compress256(&mut state, std::slice::from_ref(&block));
        let zeros = if state[0] == 0 {
            32 + state[1].leading_zeros()
        } else {
            state[0].leading_zeros()
        };
        if zeros >= difficulty {
            first = first.or(Some(nonce));
            matches += 1;
            if stop_at_first {
                break;
            }
        }
    }
    (first, matches)
}

/// Runs `search` on the current Rayon pool: rounds of at most `batch` nonces split into chunks,
/// several per thread; a first-match search stops after the first round with a hit.
pub(super) fn rayon_search(search: &Search, batch: u64, threads: usize) -> Found {
    let block = padded_block(&search.prefix);
    let at = search.prefix.len();
    let range = search.range();
    let mut first = None;
    let mut matches = 0;
    let mut base = range.start;
    let mut sizes = batch_sizes(search, batch);
    while base < range.end && (search.exhaustive || first.is_none()) {
        let size = sizes.next().expect("endless");
        let end = base.saturating_add(size).min(range.end);
        // Several chunks per thread, so work stealing can even out uneven progress.
        let chunk = ((end - base) / (threads as u64 * 8)).max(1);
        let chunks = (end - base).div_ceil(chunk);
        let (f, m) = (0..chunks)
            .into_par_iter()
            .map(|c| {
                let lo = base + c * chunk;
                let hi = lo.saturating_add(chunk).min(end);
                scan(&block, at, search.difficulty, lo..hi, !search.exhaustive)
            })
            .reduce(
                || (None, 0),
                |(fa, ma), (fb, mb)| (min_some(fa, fb), ma + mb),
            );
        first = first.or(f);
        matches += m;
        base = end;
    }
    Found::from_scan(search, first, matches)
}

pub(super) fn min_some(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
