//! The row kernel written out in AVX-512: horizontal sums, and the step for B3/S23 and for any
//! other B/S rule.
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
use crate::life::Rule;
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
///
/// # Safety
///
/// `valid` must be `lanes(n, start)` for some `n <= words.len()` with `start < n`, so that every
/// lane read lies inside `words` (masked-off lanes are not read).
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn load(words: &[u32], start: usize, valid: __mmask16) -> __m512i {
    debug_assert!(start + (valid.count_ones() as usize) <= words.len());
    // SAFETY: the caller's contract above.
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
    // SAFETY: `valid` is lanes(row.len(), start) and start < row.len().
    let words = unsafe { load(row, start, valid) };
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

/// The 3×3 sum (0..=9) of three rows' 2-bit horizontal sums as four bit planes (s0, s1, s2, s3),
/// with the `valid` lanes of word `start` onwards loaded.
///
/// # Safety
///
/// As for [`load`], for each of the six slices.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn nine_sum(
    (a1, a2): (&[u32], &[u32]),
    (m1, m2): (&[u32], &[u32]),
    (b1, b2): (&[u32], &[u32]),
    start: usize,
    valid: __mmask16,
) -> [__m512i; 4] {
    // SAFETY: the caller's contract above.
    let (x1, y1, z1, x2, y2, z2) = unsafe {
        (
            load(a1, start, valid),
            load(m1, start, valid),
            load(b1, start, valid),
            load(a2, start, valid),
            load(m2, start, valid),
            load(b2, start, valid),
        )
    };
    // Ones of the three 2-bit sums, then their twos plus the carry from the ones.
    let s0 = _mm512_ternarylogic_epi32::<XOR3>(x1, y1, z1);
    let carry1 = _mm512_ternarylogic_epi32::<MAJORITY>(x1, y1, z1);
    let t = _mm512_ternarylogic_epi32::<XOR3>(x2, y2, z2);
    let carry2 = _mm512_ternarylogic_epi32::<MAJORITY>(x2, y2, z2);
    let s1 = _mm512_xor_si512(t, carry1);
    let s2 = _mm512_ternarylogic_epi32::<A_XOR_B_AND_C>(carry2, t, carry1);
    let s3 = _mm512_ternarylogic_epi32::<AND3>(carry2, t, carry1);
    [s0, s1, s2, s3]
}

/// Stores the lanes of `next` that fall inside `out` at word `start`, the last word of the row
/// (if it is in this vector) masked with `last_mask` first.
#[inline]
#[target_feature(enable = "avx512f")]
fn store_row_vector(out: &mut [u32], start: usize, next: __m512i, last_mask: u32) {
    let n = out.len();
    assert!(start < n);
    let valid = lanes(n, start);
    let next = if start + LANES >= n {
        let last_lane = 1u16 << (n - 1 - start);
        _mm512_mask_and_epi32(next, last_lane, next, _mm512_set1_epi32(last_mask as i32))
    } else {
        next
    };
    // SAFETY: the mask selects lanes start .. min(start + 16, n), inside `out`.
    unsafe { _mm512_mask_storeu_epi32(out.as_mut_ptr().add(start).cast(), valid, next) };
}

/// Bits where (s2, s1, s0) spell `low` (0..=7): one `vpternlogd` whose truth table has the single
/// entry `low`. The immediate must be a constant, hence one arm per value.
#[inline]
#[target_feature(enable = "avx512f")]
fn low_bits_equal(low: u32, s2: __m512i, s1: __m512i, s0: __m512i) -> __m512i {
    match low {
        0 => _mm512_ternarylogic_epi32::<0x01>(s2, s1, s0),
        1 => _mm512_ternarylogic_epi32::<0x02>(s2, s1, s0),
        2 => _mm512_ternarylogic_epi32::<0x04>(s2, s1, s0),
        3 => _mm512_ternarylogic_epi32::<0x08>(s2, s1, s0),
        4 => _mm512_ternarylogic_epi32::<0x10>(s2, s1, s0),
        5 => _mm512_ternarylogic_epi32::<0x20>(s2, s1, s0),
        6 => _mm512_ternarylogic_epi32::<0x40>(s2, s1, s0),
        _ => _mm512_ternarylogic_epi32::<0x80>(s2, s1, s0),
    }
}

/// Which cells a 3×3 sum of the rule applies to.
#[derive(Clone, Copy, Debug)]
pub(super) enum Applies {
    /// Born and surviving with this sum.
    Everyone,
    /// Born only.
    Dead,
    /// Surviving only.
    Alive,
}

/// A rule in the form the row functions apply it, worked out once per band rather than per row.
#[derive(Clone, Copy, Debug)]
pub(super) enum RowRule {
    /// B3/S23, by its own four-instruction formula.
    Conway,
    /// Any other rule: for each 3×3 sum it names, the sum's low three bits, which cells it
    /// applies to, and whether its top bit (8 and 9) is set; `count` of the ten slots are used.
    Terms {
        terms: [(u32, Applies, bool); 10],
        count: usize,
    },
}

impl RowRule {
    pub(super) fn new(rule: Rule) -> Self {
        if rule == Rule::CONWAY {
            return RowRule::Conway;
        }
        let (birth, survive) = rule.nine_sum_masks();
        let mut terms = [(0, Applies::Everyone, false); 10];
        let mut count = 0;
        for sum in 0..=9u32 {
            let applies = match ((birth >> sum) & 1 == 1, (survive >> sum) & 1 == 1) {
                (false, false) => continue,
                (true, true) => Applies::Everyone,
                (true, false) => Applies::Dead,
                (false, true) => Applies::Alive,
            };
            terms[count] = (sum & 7, applies, sum >= 8);
            count += 1;
        }
        RowRule::Terms { terms, count }
    }
}

/// One B3/S23 output row from three rows' horizontal sums, as `combine_row` in the parent module
/// computes it, padding bits of the last word cleared with `last_mask` before the store: four
/// instructions per vector.
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn conway_row(
    a: (&[u32], &[u32]),
    m: (&[u32], &[u32]),
    b: (&[u32], &[u32]),
    alive: &[u32],
    out: &mut [u32],
    last_mask: u32,
) {
    each_vector(a, m, b, alive, out, last_mask, |[s0, s1, s2, s3], alive| {
        // Born or surviving with sum 3; surviving with sum 4 (itself plus 3 neighbours).
        let three = _mm512_ternarylogic_epi32::<A_AND_B_NOT_C>(s0, s1, s2);
        let four = _mm512_ternarylogic_epi32::<NOT_A_NOT_B_C>(s0, s1, s2);
        _mm512_andnot_si512(
            s3,
            _mm512_ternarylogic_epi32::<A_OR_B_AND_C>(three, alive, four),
        )
    })
}

/// One output row of any other rule, given as its `terms` (see [`RowRule::Terms`]): three
/// instructions per 3×3 sum the rule names (the sum's low three bits in one `vpternlogd`, its top
/// bit and the cells it applies to, ORed in).
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn rule_row(
    a: (&[u32], &[u32]),
    m: (&[u32], &[u32]),
    b: (&[u32], &[u32]),
    alive: &[u32],
    out: &mut [u32],
    terms: &[(u32, Applies, bool)],
    last_mask: u32,
) {
    let ones = _mm512_set1_epi32(-1);
    each_vector(a, m, b, alive, out, last_mask, |[s0, s1, s2, s3], alive| {
        let mut next = _mm512_setzero_si512();
        for &(low, applies, top) in terms {
            let who = match applies {
                Applies::Everyone => ones,
                Applies::Dead => _mm512_andnot_si512(alive, ones),
                Applies::Alive => alive,
            };
            let who_with_top = if top {
                _mm512_and_si512(who, s3)
            } else {
                _mm512_andnot_si512(s3, who)
            };
            let low = low_bits_equal(low, s2, s1, s0);
            next = _mm512_ternarylogic_epi32::<A_OR_B_AND_C>(next, low, who_with_top);
        }
        next
    })
}

/// The row loop of [`conway_row`] and [`rule_row`]: for each vector of the row, the four planes of the 3×3 sum and
/// the cells' own state go to `step`, and what it returns is stored.
#[inline]
#[target_feature(enable = "avx512f")]
fn each_vector(
    a: (&[u32], &[u32]),
    m: (&[u32], &[u32]),
    b: (&[u32], &[u32]),
    alive: &[u32],
    out: &mut [u32],
    last_mask: u32,
    step: impl Fn([__m512i; 4], __m512i) -> __m512i,
) {
    let n = out.len();
    assert!([a.0, a.1, m.0, m.1, b.0, b.1, alive]
        .iter()
        .all(|s| s.len() >= n));
    let mut start = 0;
    while start < n {
        let valid = lanes(n, start);
        // SAFETY: every slice holds at least n words (asserted above) and start < n.
        let (planes, alive) =
            unsafe { (nine_sum(a, m, b, start, valid), load(alive, start, valid)) };
        store_row_vector(out, start, step(planes, alive), last_mask);
        start += LANES;
    }
}
