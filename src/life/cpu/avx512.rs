//! The row kernel written out in AVX-512 for B3/S23 and the horizontal sums of every rule.
//!
//! The portable kernel in the parent module leaves the vector loops to LLVM, which handles the
//! long middle of a row well but leaves each row's ends to scalar code: a 32-word row spends
//! almost half its time there. Here a row is processed in 16-word vectors from its start, the
//! last one partial through a lane mask, and every vector comes from one aligned-with-the-row
//! load: a word's west and east neighbours come from the vectors before and after it by lane
//! rotation (`valignd`), never from overlapping loads. The adder network is written with
//! `vpternlogd`, which evaluates any function of three bit vectors in one instruction: a full
//! adder's sum bit and carry are one instruction each.
//!
//! Both functions compute exactly what their portable counterparts compute, bit for bit;
//! tests/backends_agree.rs checks every kernel against the reference on CPUs that have AVX-512.

use super::RowEdges;
use std::arch::x86_64::*;

/// Words per vector.
const LANES: usize = 16;

/// `vpternlogd` truth tables, indexed by (a << 2) | (b << 1) | c for operands a, b, c.
/// a ^ b ^ c: the sum bit of a full adder.
const XOR3: i32 = 0x96;
/// At least two of a, b, c: the carry of a full adder.
const MAJORITY: i32 = 0xE8;
/// a ^ (b & c).
const A_XOR_B_AND_C: i32 = 0x78;
/// a & b & c.
const AND3: i32 = 0x80;
/// a & b & !c.
const A_AND_B_NOT_C: i32 = 0x40;
/// !a & !b & c.
const NOT_A_NOT_B_C: i32 = 0x02;
/// a | (b & c).
const A_OR_B_AND_C: i32 = 0xF8;

/// The lanes of a vector starting at word `start` of an `n`-word row that hold row words.
#[inline]
fn lanes(n: usize, start: usize) -> __mmask16 {
    let len = (n - start).min(LANES);
    ((1u32 << len) - 1) as __mmask16
}

/// The `valid` lanes of `words[start ..]`, zero elsewhere.
#[inline]
#[target_feature(enable = "avx512f")]
fn load(words: &[u32], start: usize, valid: __mmask16) -> __m512i {
    debug_assert!(start + (valid.count_ones() as usize) <= words.len());
    // SAFETY: callers pass the lanes of `words[start..]` that exist (see `lanes`); masked-off
    // lanes are not read.
    unsafe { _mm512_maskz_loadu_epi32(valid, words.as_ptr().add(start).cast()) }
}

/// Words `start .. start + 16` of `row`, as the horizontal sums see them: the lanes past the row
/// hold the word after it (only the first of them is looked at), and the row's last word carries
/// its east neighbour in its padding. Past the row's end: the word after it in every lane.
#[inline]
#[target_feature(enable = "avx512f")]
fn row_vector(row: &[u32], start: usize, edges: &RowEdges) -> __m512i {
    let n = row.len();
    let after = _mm512_set1_epi32(edges.after as i32);
    if start >= n {
        return after;
    }
    let valid = lanes(n, start);
    let words = load(row, start, valid);
    if start + LANES < n {
        return words;
    }
    let last_lane = 1u16 << (n - 1 - start);
    let words = _mm512_mask_or_epi32(
        words,
        last_lane,
        words,
        _mm512_set1_epi32(edges.last_patch as i32),
    );
    _mm512_mask_mov_epi32(after, valid, words)
}

/// Horizontal 3-cell sums of `row` into `ones` and `twos`, as `horizontal_sums` in the parent
/// module computes them.
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn horizontal_sums(row: &[u32], edges: &RowEdges, ones: &mut [u32], twos: &mut [u32]) {
    let n = row.len();
    assert!(ones.len() >= n && twos.len() >= n && n >= 1);
    // The word before the row sits in lane 15 of the vector before the first one.
    let mut previous = _mm512_set1_epi32(edges.before as i32);
    let mut current = row_vector(row, 0, edges);
    let mut start = 0;
    while start < n {
        let following = row_vector(row, start + LANES, edges);
        // Lane j: word start + j - 1, and word start + j + 1.
        let west_words = _mm512_alignr_epi32::<15>(current, previous);
        let east_words = _mm512_alignr_epi32::<1>(following, current);
        let west = _mm512_or_si512(
            _mm512_slli_epi32::<1>(current),
            _mm512_srli_epi32::<31>(west_words),
        );
        let east = _mm512_or_si512(
            _mm512_srli_epi32::<1>(current),
            _mm512_slli_epi32::<31>(east_words),
        );
        let sum_ones = _mm512_ternarylogic_epi32::<XOR3>(west, current, east);
        let sum_twos = _mm512_ternarylogic_epi32::<MAJORITY>(west, current, east);
        let valid = lanes(n, start);
        // SAFETY: the mask selects lanes inside `ones` and `twos` (both at least n words).
        unsafe {
            _mm512_mask_storeu_epi32(ones.as_mut_ptr().add(start).cast(), valid, sum_ones);
            _mm512_mask_storeu_epi32(twos.as_mut_ptr().add(start).cast(), valid, sum_twos);
        }
        previous = current;
        current = following;
        start += LANES;
    }
}

/// One B3/S23 output row from three rows' horizontal sums, as `combine_row` in the parent module
/// computes it, padding bits of the last word cleared with `last_mask` before the store.
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn conway_row(
    (a1, a2): (&[u32], &[u32]),
    (m1, m2): (&[u32], &[u32]),
    (b1, b2): (&[u32], &[u32]),
    alive: &[u32],
    out: &mut [u32],
    last_mask: u32,
) {
    let n = out.len();
    assert!([a1, a2, m1, m2, b1, b2, alive].iter().all(|s| s.len() >= n));
    let mut start = 0;
    while start < n {
        let valid = lanes(n, start);
        let (x1, y1, z1) = (
            load(a1, start, valid),
            load(m1, start, valid),
            load(b1, start, valid),
        );
        let (x2, y2, z2) = (
            load(a2, start, valid),
            load(m2, start, valid),
            load(b2, start, valid),
        );
        let alive = load(alive, start, valid);
        // The 3x3 sum as four bit planes: ones of the three 2-bit sums, then twos plus carry.
        let s0 = _mm512_ternarylogic_epi32::<XOR3>(x1, y1, z1);
        let carry1 = _mm512_ternarylogic_epi32::<MAJORITY>(x1, y1, z1);
        let t = _mm512_ternarylogic_epi32::<XOR3>(x2, y2, z2);
        let carry2 = _mm512_ternarylogic_epi32::<MAJORITY>(x2, y2, z2);
        let s1 = _mm512_xor_si512(t, carry1);
        let s2 = _mm512_ternarylogic_epi32::<A_XOR_B_AND_C>(carry2, t, carry1);
        let s3 = _mm512_ternarylogic_epi32::<AND3>(carry2, t, carry1);
        // Born or surviving with sum 3; surviving with sum 4 (itself plus 3 neighbours).
        let three = _mm512_ternarylogic_epi32::<A_AND_B_NOT_C>(s0, s1, s2);
        let four = _mm512_ternarylogic_epi32::<NOT_A_NOT_B_C>(s0, s1, s2);
        let next = _mm512_andnot_si512(
            s3,
            _mm512_ternarylogic_epi32::<A_OR_B_AND_C>(three, alive, four),
        );
        let next = if start + LANES >= n {
            let last_lane = 1u16 << (n - 1 - start);
            _mm512_mask_and_epi32(next, last_lane, next, _mm512_set1_epi32(last_mask as i32))
        } else {
            next
        };
        // SAFETY: as for the loads.
        unsafe { _mm512_mask_storeu_epi32(out.as_mut_ptr().add(start).cast(), valid, next) };
        start += LANES;
    }
}
