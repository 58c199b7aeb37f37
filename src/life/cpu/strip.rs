//! B3/S23 by column strips: the row loop for Conway's rule below AVX-512 (AVX2, SSE2, NEON).
//!
//! The row kernel of the parent module computes each row's horizontal sums into scratch and then
//! combines three rows' sums: every word of every row goes through memory three more times (two
//! stores, seven loads per output vector), and its combining network spends 21 operations on the
//! 3×3 sum including the cell itself. Here one vector of `S::LANES` words walks *down* a band of
//! rows instead, keeping the last two rows' sums in registers, so per output vector it loads the
//! new row three times (the word and its two neighbours, unaligned) and stores the result once:
//! no scratch traffic at all. And it counts the eight neighbours without the cell, which makes
//! the rule three operations (`n | alive == 3`, n ≤ 8):
//!
//! - per row, once: west and east neighbours (six operations, two of them shifts: the west's
//!   carried bit comes from a compare, see [`sums`]), their 2-sum (`o2`, `t2`: two operations) and the 3-sum with the cell itself (`o3`, `t3`: three more);
//! - per output row: n = 3-sum above + 2-sum of its own row + 3-sum below, as two full adders
//!   (ten operations: ones plane `s0` + carry `c1`, twos plane `t` + carry `c2`), so
//!   n = s0 + 2·(c1 + t) + 4·c2, and the next state is `(c1 ^ t) & !c2 & (s0 | alive)` (n is 2 or
//!   3 exactly when c1 + t = 1 and c2 = 0; n = 3 or a live cell with n = 2 survives or is born).
//!
//! 25 vector operations per `S::LANES` words against the row kernel's 32, and 4 memory operations
//! against 13 (docs/performance.md, "The Life kernel toward the bound").
//!
//! The strip walks a chunk of rows at a time (at most `CHUNK_ROWS`, fewer where the rows fall in
//! few cache sets: [`chunk_rows`]), so the cache lines a strip touches are still in
//! L1 when the next strip (the other half of the same lines) walks down them. Every strip reads
//! its rows in place. The out-of-row neighbours of a row's first and last cells (the torus wrap
//! or dead cells, the east one patched into the last word's padding) are either in memory beside
//! the row (tile buffers' edge words, `Shape::halo_in`) or, for the grid's rows, shifted into
//! the first and last strips' vectors in registers from a few words per row made once per chunk
//! ([`EdgeWords`]); a last strip that does not end on a vector boundary overlaps its neighbour.

use super::{last_word_mask, RowEdges, Rows, Shape};
use crate::life::rule::{Rule, Topology};
use crate::simd::{Simd, SimdKernel};

/// Most output rows one strip walks before moving right: the input and output lines of one strip
/// (`CHUNK_ROWS` + 2 rows of 64 bytes in, `CHUNK_ROWS` out), and the next line of each input row
/// asked for meanwhile, stay well inside a 32 KiB L1 when they spread over its sets. 64 rows
/// ran the 4096² tiled kernel 3% faster than 96 (48 and 80 alike, 144 and 192 slower:
/// docs/performance.md, "Fewer shifts").
const CHUNK_ROWS: usize = 64;

/// Rows ahead of the one a strip computes whose next line it asks for ([`strip`]'s `ahead`):
/// tile rows come from L2 (a block is 128 KiB and more), and each strip's first look at a line
/// down a column of rows was a demand miss. Twelve rows is about 100 cycles at the loop's speed,
/// more than an L2 miss takes; 8, 12 and 16 measured alike (docs/performance.md, "The serial Life
/// kernel against Zen 3's count").
const AHEAD_ROWS: usize = 12;

/// Entries of a chunk's row table past its last row, repeating it: [`strip`] looks up the rows
/// of its next trip (up to 3 rows past a chunk's end) and the rows it prefetches
/// ([`AHEAD_ROWS`]) without a bounds check.
const ROW_TABLE_PAD: usize = AHEAD_ROWS + 3;

/// Fewest output rows a strip walks, however the rows fall in the cache: each strip of a chunk
/// starts by summing the two rows above its first output row, a cost shared by fewer rows below.
const MIN_CHUNK_ROWS: usize = 8;

/// Sets and (counted on) ways of the L1 data cache: 64 sets of 64-byte lines on every current
/// x86 core (32 KiB 8-way on Zen 3, 48 KiB 12-way on Intel since Ice Lake) and Arm's big cores.
const L1_SETS: usize = 64;
const L1_WAYS: usize = 8;

/// Output rows one strip walks when its rows are `strides` words apart (the rows read and the
/// rows written): as many as [`CHUNK_ROWS`], but no more than the L1 sets those rows fall in can
/// hold. Rows a power-of-two number of cache lines apart land in few sets (4096 cells, 512 bytes:
/// 8 of 64 sets, 64 lines), and a strip walking more rows than that evicts its own lines before the
/// next strip reads their other half: at 512-byte rows the loop ran at 10.2 cycles per
/// vector-row walking 96 rows and 7.4 walking 24 (docs/performance.md).
fn chunk_rows(strides: [usize; 2]) -> usize {
    let sets = strides
        .iter()
        .map(|&s| {
            // Rows `s` words = `s / 16` lines apart visit 64 / gcd(64, s / 16) sets.
            if s % 16 != 0 || s == 0 {
                L1_SETS
            } else {
                L1_SETS >> (s / 16).trailing_zeros().min(6)
            }
        })
        .min()
        .unwrap_or(L1_SETS);
    // The rows read (chunk + 2) and written (chunk), or on the grid's side the rows read and the
    // next chunk's rows asked for, share those lines, less a few for the stack and the row
    // table. The 8 held back are not the edge lines' (gone since kernel4): holding back none
    // (31 rows a chunk at 4096 cells) ran 2% slower, 4 and 16 alike (docs/performance.md).
    ((sets * L1_WAYS).saturating_sub(8) / 2).clamp(MIN_CHUNK_ROWS, CHUNK_ROWS)
}

/// Asks for the cache line at `p` ahead of its use; a hint, which never faults.
#[inline(always)]
fn prefetch(p: *const u32) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing architecturally and never faults, whatever the address.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The widest vector the strip kernel runs with (AVX-512's 16 lanes, for the portable tests).
const MAX_LANES: usize = 16;

/// Per-band scratch of the strip kernel: a dead row, and the chunks' edge words, kept from one
/// call to the next rather than made (and zeroed: a `memset` call) by each.
#[derive(Clone, Debug)]
pub(crate) struct StripScratch {
    dead: Vec<u32>,
    edges: Box<EdgeWords>,
    /// Whether `edges` holds a torus's words: bounded rows need them zero.
    edges_set: bool,
}

impl StripScratch {
    pub(crate) fn new(wpr: usize) -> Self {
        StripScratch {
            // A dead word before and after the row, for strips that read rows' edge words in
            // place (`Shape::halo_in`).
            dead: vec![0; wpr + 2],
            edges: Box::new(EdgeWords {
                before: [0; CHUNK_ROWS + 2],
                patch: [0; CHUNK_ROWS + 2],
                after: [0; CHUNK_ROWS + 2],
            }),
            edges_set: false,
        }
    }
}

/// A table of row pointers a chunk fills before it reads them: left uninitialized rather than
/// zeroed for each band (its ~1 KiB cost a `memset` call each time).
type RowTable<const N: usize> = [std::mem::MaybeUninit<*const u32>; N];

/// Whether rows `wpr` words wide suit vectors of `lanes` lanes: at least a vector. A row of
/// exactly one is one strip, both first and last ([`BOTH`]).
pub(crate) fn fits(wpr: usize, lanes: usize) -> bool {
    wpr >= lanes
}

/// A row's horizontal sums: the 2-sum of its west and east neighbours, the 3-sum with the cell,
/// and the cells.
#[derive(Clone, Copy)]
struct Sums<V> {
    o2: V,
    t2: V,
    o3: V,
    t3: V,
    cells: V,
}

/// The sums of the words `cells` given the vectors one word to the west and one to the east.
/// `zero` is a vector of zeros the compiler cannot see through ([`Zero`]).
///
/// The west neighbours, `(cells << 1) | (west_words >> 31)`, are made as `cells + cells`
/// minus `0 > west_words` (−1 where the word to the west has its top cell live): an add, a
/// compare and a subtract in place of an add, a shift and an or. Zen 3 issues vector shifts on
/// two of its four vector pipes (two a cycle, against four logic operations), and the loop's
/// three shifts a row held it at ~7.3 cycles per row with its operands in registers, against
/// 6.6 with the shifts replaced by logic operations; two shifts a row ran at 7.1
/// (docs/performance.md, "Fewer shifts").
#[inline(always)]
fn sums<S: Simd>(
    s: S,
    zero: Zero<S>,
    west_words: S::U32,
    cells: S::U32,
    east_words: S::U32,
) -> Sums<S::U32> {
    let west = s.sub_u32(s.add_u32(cells, cells), s.greater_i32(zero.0, west_words));
    let east = s.or_u32(s.shr_u32::<1>(cells), s.shl_u32::<31>(east_words));
    let o2 = s.xor_u32(west, east);
    let t2 = s.and_u32(west, east);
    Sums {
        o2,
        t2,
        o3: s.xor_u32(o2, cells),
        t3: s.or_u32(s.and_u32(o2, cells), t2),
        cells,
    }
}

/// A vector of zeros made opaque to the optimizer ([`Zero::new`]): compared with a constant
/// zero, LLVM turns `0 > w` back into an arithmetic shift (`w >> 31`, signed) and the subtract
/// into an add of the logical shift, which is the shift this avoids.
#[derive(Clone, Copy)]
struct Zero<S: Simd>(S::U32);

impl<S: Simd> Zero<S> {
    /// Made once per band, outside the loops: it costs a store and a load, and a register.
    #[inline(always)]
    fn new(s: S) -> Self {
        Zero(std::hint::black_box(s.zero_u32()))
    }
}

/// The middle row's neighbour count n = s0 + 2·(c1 + t) + 4·c2 from the 3-sums above and below
/// and the middle's 2-sum, as `(s0, c1, t, c2)`: two full adders, ten operations.
#[inline(always)]
fn count<S: Simd>(
    s: S,
    above: &Sums<S::U32>,
    mid: &Sums<S::U32>,
    below: &Sums<S::U32>,
) -> [S::U32; 4] {
    let p = s.xor_u32(above.o3, below.o3);
    let s0 = s.xor_u32(p, mid.o2);
    let c1 = s.or_u32(s.and_u32(above.o3, below.o3), s.and_u32(p, mid.o2));
    let q = s.xor_u32(above.t3, below.t3);
    let t = s.xor_u32(q, mid.t2);
    let c2 = s.or_u32(s.and_u32(above.t3, below.t3), s.and_u32(q, mid.t2));
    [s0, c1, t, c2]
}

/// The next state of the middle row under B3/S23, from its neighbour [`count`].
#[inline(always)]
fn next<S: Simd>(s: S, above: &Sums<S::U32>, mid: &Sums<S::U32>, below: &Sums<S::U32>) -> S::U32 {
    let [s0, c1, t, c2] = count(s, above, mid, below);
    // andnot_u32(a, b) is !a & b.
    s.and_u32(s.andnot_u32(c2, s.xor_u32(c1, t)), s.or_u32(s0, mid.cells))
}

/// How a strip turns the three rows' sums into the middle row's next state: B3/S23's four
/// operations ([`Conway`]), or any B/S rule from the neighbour count's bit planes ([`AnyRule`]).
trait StripRule<S: Simd>: Copy {
    /// The next state of the middle row.
    fn next(self, s: S, above: &Sums<S::U32>, mid: &Sums<S::U32>, below: &Sums<S::U32>) -> S::U32;
}

/// B3/S23: [`next`].
#[derive(Clone, Copy)]
struct Conway;

impl<S: Simd> StripRule<S> for Conway {
    #[inline(always)]
    fn next(self, s: S, above: &Sums<S::U32>, mid: &Sums<S::U32>, below: &Sums<S::U32>) -> S::U32 {
        next(s, above, mid, below)
    }
}

/// Any B/S rule, as masks per neighbour count n (0..=8, lanes all ones or all zeros): `born`
/// where B holds n, `flip` where B and S differ at n. The next state for count n is
/// `born[n] ^ (cell & flip[n])` (S[n] for a live cell, B[n] for a dead one), picked out of the
/// nine by a tree of selects on the count's bits: about 46 operations a row beside B3/S23's 4.
#[derive(Clone, Copy)]
struct AnyRule<V> {
    born: [V; 9],
    flip: [V; 9],
}

impl<V: Copy> AnyRule<V> {
    #[inline(always)]
    fn new<S: Simd<U32 = V>>(s: S, rule: Rule) -> Self {
        let mask = |set: u16, n: usize| s.splat_u32(if set >> n & 1 == 1 { u32::MAX } else { 0 });
        AnyRule {
            born: std::array::from_fn(|n| mask(rule.birth, n)),
            flip: std::array::from_fn(|n| mask(rule.birth ^ rule.survival, n)),
        }
    }
}

impl<S: Simd> StripRule<S> for AnyRule<S::U32> {
    #[inline(always)]
    fn next(self, s: S, above: &Sums<S::U32>, mid: &Sums<S::U32>, below: &Sums<S::U32>) -> S::U32 {
        // The count's bits: s0 is n0; n1, n2, n3 from c1 + t and c2.
        let [s0, c1, t, c2] = count(s, above, mid, below);
        let n1 = s.xor_u32(c1, t);
        let k = s.and_u32(c1, t);
        let n2 = s.xor_u32(c2, k);
        // n3 is set only for n = 8 (no count reaches 9), when s0, n1 and n2 are clear.
        let n3 = s.and_u32(c2, k);
        let leaf = |n: usize| s.xor_u32(self.born[n], s.and_u32(mid.cells, self.flip[n]));
        // `pick(sel, a, b)`: b where sel is set, else a.
        let pick = |sel, a, b| s.xor_u32(a, s.and_u32(sel, s.xor_u32(a, b)));
        let p01 = pick(s0, leaf(0), leaf(1));
        let p23 = pick(s0, leaf(2), leaf(3));
        let p45 = pick(s0, leaf(4), leaf(5));
        let p67 = pick(s0, leaf(6), leaf(7));
        let low = pick(n2, pick(n1, p01, p23), pick(n1, p45, p67));
        pick(n3, low, leaf(8))
    }
}

/// Loads `S::LANES` words at `p`.
///
/// # Safety
/// `p..p + S::LANES` must be readable `u32`s.
#[inline(always)]
unsafe fn load<S: Simd>(s: S, p: *const u32) -> S::U32 {
    s.load_u32(std::slice::from_raw_parts(p, S::LANES))
}

/// The sums of the `S::LANES` words at `p`.
///
/// # Safety
/// `p - 1..p + S::LANES + 1` must be readable `u32`s.
#[inline(always)]
unsafe fn sums_at<S: Simd>(s: S, zero: Zero<S>, p: *const u32) -> Sums<S::U32> {
    sums(s, zero, load(s, p.sub(1)), load(s, p), load(s, p.add(1)))
}

/// Which strip of a row [`strip`] walks: one whose neighbours are all in memory beside it
/// ([`INTERIOR`]), or the first or last strip of rows without edge words, whose neighbours
/// beyond the row's ends come from the chunk's [`EdgeWords`] by a lane shift in registers;
/// [`BOTH`] is the one strip of such a row exactly a vector wide (a small soup's), both.
const INTERIOR: u8 = 0;
const FIRST: u8 = 1;
const LAST: u8 = 2;
const BOTH: u8 = 3;

/// What lies beyond each chunk row's ends ([`RowEdges`]), for the first and last strips of rows
/// that carry no edge words beside them (the grid's): entry `k` is chunk row `k`'s.
#[derive(Clone, Debug)]
struct EdgeWords {
    /// The west neighbour of the row's first cell, in bit 31.
    before: [u32; CHUNK_ROWS + 2],
    /// ORed into the row's last word: the east neighbour of its last cell in the padding bit
    /// past it (never bit 0), or 0.
    patch: [u32; CHUNK_ROWS + 2],
    /// The east neighbour of the last cell of a row of whole words, in bit 0, or 0.
    after: [u32; CHUNK_ROWS + 2],
}

/// The sums of chunk row `k`'s `S::LANES` words at `p`, as strip `EDGE` of the row sees them:
/// the first strip's west neighbours are its own words moved up a lane with the row's `before`
/// in lane 0 (no load before the row's first word); the last strip's last word gets its
/// `patch`, and its east neighbours are its words moved down a lane with `after` on top (no
/// load past the row's last word).
///
/// # Safety
/// As [`sums_at`] for an interior strip; for the first strip `p..p + S::LANES + 1` must be
/// readable, for the last `p - 1..p + S::LANES`, for both `p..p + S::LANES`;
/// `k < CHUNK_ROWS + 2`.
#[inline(always)]
unsafe fn row_sums<S: Simd, const EDGE: u8>(
    s: S,
    zero: Zero<S>,
    p: *const u32,
    edges: &EdgeWords,
    k: usize,
) -> Sums<S::U32> {
    match EDGE {
        FIRST => {
            let cells = load(s, p);
            let west = s.shift_in_first_u32(cells, *edges.before.get_unchecked(k));
            sums(s, zero, west, cells, load(s, p.add(1)))
        }
        LAST => {
            let cells = load(s, p);
            // Only bit 0 of an east word is read, and the patch is never bit 0: the east
            // words may come from the unpatched cells, off the patch's critical path.
            let east = s.shift_in_last_u32(cells, *edges.after.get_unchecked(k));
            let cells = s.or_last_lane_u32(cells, *edges.patch.get_unchecked(k));
            sums(s, zero, load(s, p.sub(1)), cells, east)
        }
        BOTH => {
            // FIRST's west words and LAST's east words and patch, from the same cells: the
            // patch never reaches a west word (lane j's is word j - 1, never the last).
            let cells = load(s, p);
            let west = s.shift_in_first_u32(cells, *edges.before.get_unchecked(k));
            let east = s.shift_in_last_u32(cells, *edges.after.get_unchecked(k));
            let cells = s.or_last_lane_u32(cells, *edges.patch.get_unchecked(k));
            sums(s, zero, west, cells, east)
        }
        _ => sums_at(s, zero, p),
    }
}

/// Stores the next state of the middle row at `out`.
///
/// # Safety
/// `out..out + S::LANES` must be writable `u32`s.
#[inline(always)]
unsafe fn emit_row<S: Simd, const MASKED: bool>(
    s: S,
    rule: impl StripRule<S>,
    out: *mut u32,
    keep: S::U32,
    above: &Sums<S::U32>,
    mid: &Sums<S::U32>,
    below: &Sums<S::U32>,
) {
    let mut cells = rule.next(s, above, mid, below);
    if MASKED {
        cells = s.and_u32(cells, keep);
    }
    s.store_u32(cells, std::slice::from_raw_parts_mut(out, S::LANES));
}

/// One strip: output rows `0..count` of the chunk at words `at..at + S::LANES`. `row(k)` is the
/// pointer to chunk row `k` (k = 0 is the row above the first output row) at word `at`, where
/// one word before and `S::LANES` + 1 words from it are readable, for `k <= count + 1`; it is
/// also called, and its pointer never read, for `k` up to `count + 4`. `out(r)` is the output
/// row `r` at word `at`; `ahead(r)` is called before row `r` is computed (a prefetch).
/// `MASKED`: the strip holds the row's last word, whose padding bits are cleared with `keep`.
///
/// Each trip looks up the next trip's three row pointers before its own work, so the loads of
/// a row never wait on the load of its pointer from the chunk's row table: with the pointer
/// loaded just before them, llvm-mca (`-mcpu=znver3`) counted 7.8 cycles per 256 cells against
/// 6.6 with the pointers known ahead, the 64-entry FP scheduler filling with operations that
/// waited on the two loads in a row.
///
/// Plain functions, not closures, compute the sums: a closure does not take on the caller's
/// target features, and one that LLVM declined to inline passed its sums through the stack.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn strip<S: Simd, const MASKED: bool, const EDGE: u8>(
    s: S,
    zero: Zero<S>,
    rule: impl StripRule<S>,
    count: usize,
    row: impl Fn(usize) -> *const u32,
    out: impl Fn(usize) -> *mut u32,
    keep: S::U32,
    ahead: impl Fn(usize),
    edges: &EdgeWords,
) {
    let mut above = row_sums::<S, EDGE>(s, zero, row(0), edges, 0);
    let mut mid = row_sums::<S, EDGE>(s, zero, row(1), edges, 1);
    // Three rows a trip, so the rows' sums change roles by register naming: moving them up a
    // row each trip cost seven register moves per row, a sixth of the loop's instructions.
    let mut r = 0;
    let mut rows = [row(2), row(3), row(4)];
    while r + 3 <= count {
        let next = [row(r + 5), row(r + 6), row(r + 7)];
        ahead(r);
        let b = row_sums::<S, EDGE>(s, zero, rows[0], edges, r + 2);
        emit_row::<S, MASKED>(s, rule, out(r), keep, &above, &mid, &b);
        ahead(r + 1);
        let c = row_sums::<S, EDGE>(s, zero, rows[1], edges, r + 3);
        emit_row::<S, MASKED>(s, rule, out(r + 1), keep, &mid, &b, &c);
        ahead(r + 2);
        let d = row_sums::<S, EDGE>(s, zero, rows[2], edges, r + 4);
        emit_row::<S, MASKED>(s, rule, out(r + 2), keep, &b, &c, &d);
        (above, mid) = (c, d);
        rows = next;
        r += 3;
    }
    while r < count {
        let below = row_sums::<S, EDGE>(s, zero, row(r + 2), edges, r + 2);
        emit_row::<S, MASKED>(s, rule, out(r), keep, &above, &mid, &below);
        (above, mid) = (mid, below);
        r += 1;
    }
}

/// [`strip_band`] as a [`SimdKernel`], so that [`crate::simd::dispatch`] runs it compiled for
/// a level (the one place where levels become target features).
pub(crate) struct StripBand<'s, R> {
    shape: &'s Shape,
    rows: &'s R,
    first_row: isize,
    out: &'s mut [u32],
    scratch: &'s mut StripScratch,
}

impl<'s, R> StripBand<'s, R> {
    /// The band `first_row..first_row + out.len() / wpr` of `rows`' next generation into `out`.
    pub(crate) fn new(
        shape: &'s Shape,
        rows: &'s R,
        first_row: isize,
        out: &'s mut [u32],
        scratch: &'s mut StripScratch,
    ) -> Self {
        StripBand {
            shape,
            rows,
            first_row,
            out,
            scratch,
        }
    }
}

impl<'a, R: Rows<'a>> SimdKernel for StripBand<'_, R> {
    type Output = ();

    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        let (shape, rows, first, out, scratch) = (
            self.shape,
            self.rows,
            self.first_row,
            self.out,
            self.scratch,
        );
        if shape.rule == Rule::CONWAY {
            strip_band(s, Conway, shape, rows, first, out, scratch)
        } else {
            strip_band(
                s,
                AnyRule::new(s, shape.rule),
                shape,
                rows,
                first,
                out,
                scratch,
            )
        }
    }
}

/// The first of rows `first..first + n` of `rows` where they are all live and `stride` words
/// apart, found from the first and last alone (a chunk's row table then needs no look-up per
/// row, which cost 2% of a 4096² tiled run in the tile generations): the rows of a grid or a
/// tile buffer are evenly spaced between any two live rows unless they wrap round a torus,
/// which puts the last row less than `(n - 1) * stride` words after the first.
fn evenly_spaced<'a>(
    rows: &impl Rows<'a>,
    first: isize,
    n: usize,
    stride: usize,
) -> Option<*const u32> {
    let (a, b) = (rows(first)?, rows(first + n as isize - 1)?);
    let span = (b.as_ptr() as usize).wrapping_sub(a.as_ptr() as usize);
    (n >= 2 && span == (n - 1) * stride * 4).then_some(a.as_ptr())
}

/// The next chunk's rows, read and written, which a chunk's strips ask for a line at a time
/// while they run: on the grid (rows 512 bytes or more apart) each of those lines would
/// otherwise be a demand miss to L3 when the next chunk's first strip walks down to it.
struct NextChunk<'a> {
    /// The rows the next chunk reads (`rows + 2`; null for a dead row).
    read: &'a [std::mem::MaybeUninit<*const u32>],
    /// Rows in the next chunk (0: none, or rows not worth asking for).
    rows: usize,
    /// The next chunk's first output row, at the window's first word.
    out: *mut u32,
    stride: usize,
    lanes: usize,
    /// Whether the rows read and the rows written are asked for: only the grid's, not a tile
    /// buffer's (rows with edge words beside them), which are in L2 already. The asks stall
    /// once the core's misses in flight are many; half as many made the tiled kernel 2–3%
    /// faster (docs/performance.md, "Grid rows' edges in registers").
    read_side: bool,
    write_side: bool,
}

impl NextChunk<'_> {
    /// The asks before the strip at word `at`: a strip that starts a cache line (16 words)
    /// asks for that line of every row of the next chunk. Spreading line 0's asks (misses to
    /// L3, all at the first strip) over the strips measured slower, and all the lines' asks
    /// evenly slower still.
    #[inline(always)]
    fn before_strip(&self, at: usize) {
        if self.rows == 0 || at % 16 >= self.lanes {
            return;
        }
        if self.read_side {
            // SAFETY: the chunk wrote these entries before making the asks (`read_side`).
            let read = self.read.iter().map(|p| unsafe { p.assume_init() });
            for p in read.filter(|p| !p.is_null()) {
                prefetch(p.wrapping_add(at));
            }
        }
        if self.write_side {
            for r in 0..self.rows {
                prefetch(self.out.wrapping_add(r * self.stride + at));
            }
        }
    }
}

/// Computes virtual rows `first_row..first_row + out.len() / stride` of the next generation of
/// `rows` under `rule` (the shape's) into `out` (the shape's window of each row), with the
/// vectors of `s`. The rows must [`fit`](fits) them. A row that `rows` reports dead (outside a
/// bounded grid) stays dead.
#[inline(always)]
fn strip_band<'a, S: Simd>(
    s: S,
    rule: impl StripRule<S>,
    shape: &Shape,
    rows: &impl Rows<'a>,
    first_row: isize,
    out: &mut [u32],
    scratch: &mut StripScratch,
) {
    let (wpr, stride, lanes) = (shape.wpr, shape.stride, S::LANES);
    assert!(fits(wpr, lanes) && lanes <= MAX_LANES && out.len().is_multiple_of(stride));
    assert!(shape.col0 + wpr <= stride && scratch.dead.len() >= wpr + 2);
    // Room for the edge words written beside each output row.
    assert!(!shape.halo_out || (shape.col0 >= 1 && shape.col0 + wpr < stride));
    // With the edge words in place, `rows` hands out each row with them: a word before and after.
    let (row_len, row_skip) = if shape.halo_in {
        (wpr + 2, 1)
    } else {
        (wpr, 0)
    };
    let count = out.len() / stride;
    // The rows read are as far apart as consecutive rows of `rows` (the grid's or a tile's).
    let read_stride = match (rows(first_row), rows(first_row + 1)) {
        (Some(a), Some(b)) => (b.as_ptr() as usize).abs_diff(a.as_ptr() as usize) / 4,
        _ => stride,
    };
    let chunk_rows = chunk_rows([read_stride, stride]);
    // The last strip's lanes: every bit but the padding bits of the row's last word.
    let mut keep_words = [u32::MAX; MAX_LANES];
    keep_words[lanes - 1] = last_word_mask(shape.width);
    let keep = s.load_u32(&keep_words[..lanes]);
    let zero = Zero::new(s);
    let last_at = wpr - lanes;
    let mut done = 0;
    // Zero for a bounded row (dead beyond its ends); filled per chunk on a torus.
    let torus_edges = !shape.halo_in && shape.edge == Topology::Torus;
    if !torus_edges && scratch.edges_set {
        scratch.edges.before.fill(0);
        scratch.edges.patch.fill(0);
        scratch.edges.after.fill(0);
    }
    scratch.edges_set = torus_edges;
    let StripScratch {
        dead: dead_row,
        edges: edge_words,
        ..
    } = scratch;
    // The chunks' tables: each chunk writes every entry it reads, so none is initialized here
    // (zeroing them per chunk, ~2 KiB, took 1.4% of a 4096² tiled run in `memset`).
    // Chunk row k is virtual row first - 1 + k; a dead row reads as the zero row. The
    // table goes on past the chunk's last row with copies of it (ROW_TABLE_PAD).
    let mut ptrs: RowTable<{ CHUNK_ROWS + 2 + ROW_TABLE_PAD }> =
        [std::mem::MaybeUninit::uninit(); CHUNK_ROWS + 2 + ROW_TABLE_PAD];
    // Which chunk rows are dead: only read where `any_dead` says this chunk has one.
    let mut dead = [false; CHUNK_ROWS + 2];
    // The next chunk's rows, for its asks ([`NextChunk`]).
    let mut ask_rows: RowTable<{ CHUNK_ROWS + 2 }> =
        [std::mem::MaybeUninit::uninit(); CHUNK_ROWS + 2];
    // SAFETY: every pointer below is into `out`, a row `rows` returned (`wpr` words, checked
    // above, with its edge words where `halo_in`) or the dead row, within the bounds each helper
    // states: strips start at word 0 (the first reads no word before it unless the row has its
    // edge words) and end at `last_at + lanes = wpr` (the last reads none past it unless so).
    unsafe {
        while done < count {
            let chunk = (count - done).min(chunk_rows);
            let first = first_row + done as isize;
            let mut any_dead = false;
            if let Some(top) = evenly_spaced(rows, first - 1, chunk + 2, read_stride) {
                let top = top.add(row_skip);
                for (k, p) in ptrs[..chunk + 2].iter_mut().enumerate() {
                    p.write(top.wrapping_add(k * read_stride));
                }
                debug_assert!((0..chunk + 2).all(|k| rows(first - 1 + k as isize)
                    .is_some_and(|r| r.as_ptr().wrapping_add(row_skip) == ptrs[k].assume_init())));
            } else {
                for k in 0..chunk + 2 {
                    let row = rows(first - 1 + k as isize);
                    dead[k] = row.is_none();
                    any_dead |= dead[k];
                    match row {
                        Some(row) => {
                            debug_assert_eq!(row.len(), row_len);
                            ptrs[k].write(row.as_ptr().add(row_skip));
                        }
                        None => _ = ptrs[k].write(dead_row.as_ptr().add(1)),
                    }
                }
            }
            let last_row = ptrs[chunk + 1];
            ptrs[chunk + 2..chunk + 2 + ROW_TABLE_PAD].fill(last_row);
            // From here every entry of the table up to chunk + 2 + ROW_TABLE_PAD is written.
            // Rows without edge words beside them (the grid's): the first and last strips
            // shift their neighbours beyond the row's ends in from these, in registers.
            // Bounded, they stay 0.
            if torus_edges {
                for k in 0..chunk + 2 {
                    let e = if any_dead && dead[k] {
                        RowEdges::NONE
                    } else {
                        RowEdges::of(
                            shape,
                            std::slice::from_raw_parts(ptrs[k].assume_init(), wpr),
                        )
                    };
                    edge_words.before[k] = e.before;
                    edge_words.patch[k] = e.last_patch;
                    edge_words.after[k] = e.after;
                }
            }
            let out_base = out.as_mut_ptr().add(done * stride + shape.col0);
            let out_at = |at: usize| move |r: usize| out_base.add(r * stride + at);
            let next = if shape.prefetch {
                (count - done - chunk).min(chunk_rows)
            } else {
                0
            };
            let read_side = !shape.halo_in;
            if next > 0 && read_side {
                let top = first + chunk as isize - 1;
                let evenly = evenly_spaced(rows, top, next + 2, read_stride);
                for (k, p) in ask_rows.iter_mut().enumerate().take(next + 2) {
                    p.write(match evenly {
                        Some(top) => top.wrapping_add(k * read_stride),
                        None => rows(top + k as isize).map_or(std::ptr::null(), <[u32]>::as_ptr),
                    });
                }
            }
            let asks = NextChunk {
                // Written above where the asks read them (`read_side`, `next > 0`).
                read: &ask_rows[..next + 2],
                rows: next,
                // Past the end of `out` when there is no next chunk: never dereferenced then.
                out: out_base.wrapping_add(chunk * stride),
                stride,
                lanes,
                read_side,
                write_side: !shape.halo_out,
            };
            // SAFETY (of get_unchecked): k < chunk + 2 + ROW_TABLE_PAD, the entries filled
            // above, for both the rows (k <= chunk + 4) and the rows asked for ahead.
            let table = &ptrs;
            let prefetch_at = |at: usize| {
                move |r: usize| {
                    prefetch(
                        table
                            .get_unchecked(r + AHEAD_ROWS)
                            .assume_init()
                            .wrapping_add(at + 16),
                    )
                }
            };
            let row_at = |at: usize| move |k: usize| table.get_unchecked(k).assume_init().add(at);
            let ew = &**edge_words;
            // Every strip reads its rows in place. Interior strips, and the first where the
            // rows carry edge words, find every neighbour in memory; the first and last strips
            // of the grid's rows shift in their edge words.
            asks.before_strip(0);
            if last_at == 0 {
                // One strip a row: first and last at once.
                let (row, out_row, ahead) = (row_at(0), out_at(0), prefetch_at(0));
                if shape.halo_in {
                    strip::<S, true, INTERIOR>(s, zero, rule, chunk, row, out_row, keep, ahead, ew);
                } else {
                    strip::<S, true, BOTH>(s, zero, rule, chunk, row, out_row, keep, ahead, ew);
                }
            } else {
                let (row, out_row, ahead) = (row_at(0), out_at(0), prefetch_at(0));
                if shape.halo_in {
                    strip::<S, false, INTERIOR>(
                        s, zero, rule, chunk, row, out_row, keep, ahead, ew,
                    );
                } else {
                    strip::<S, false, FIRST>(s, zero, rule, chunk, row, out_row, keep, ahead, ew);
                }
                let mut at = lanes;
                while at < last_at {
                    asks.before_strip(at);
                    let (row, ahead) = (row_at(at), prefetch_at(at));
                    strip::<S, false, INTERIOR>(
                        s,
                        zero,
                        rule,
                        chunk,
                        row,
                        out_at(at),
                        keep,
                        ahead,
                        ew,
                    );
                    at += lanes;
                }
                asks.before_strip(last_at);
                let ahead = |r: usize| {
                    prefetch(
                        table
                            .get_unchecked(r + AHEAD_ROWS)
                            .assume_init()
                            .wrapping_add(last_at),
                    )
                };
                let (row, out_last) = (row_at(last_at), out_at(last_at));
                if shape.halo_in {
                    strip::<S, true, INTERIOR>(
                        s, zero, rule, chunk, row, out_last, keep, ahead, ew,
                    );
                } else {
                    strip::<S, true, LAST>(s, zero, rule, chunk, row, out_last, keep, ahead, ew);
                }
            }
            let dead_out = &dead[1..if any_dead { chunk + 1 } else { 1 }];
            for (r, _) in dead_out.iter().enumerate().filter(|(_, &d)| d) {
                out[(done + r) * stride + shape.col0..][..wpr].fill(0);
            }
            if shape.halo_out {
                write_edges(shape, &mut out[done * stride..(done + chunk) * stride]);
            }
            done += chunk;
        }
    }
}

/// Writes each row's edge words beside it in `out` (rows `shape.stride` words apart, the row at
/// `shape.col0`): the word before the row holds the west neighbour of its first cell in bit 31,
/// and the east neighbour of its last cell goes in the padding bit just past it in the last word
/// or, for a row of whole words, in bit 0 of the word after it ([`RowEdges`]). The next
/// generation's strips then read every row in place (`Shape::halo_in`), with no edge lines.
///
/// Run after a chunk's strips, not beside the last strip's stores: a scalar load of a word a
/// vector store wrote just before waits on store forwarding.
fn write_edges(shape: &Shape, out: &mut [u32]) {
    let (wpr, col0) = (shape.wpr, shape.col0);
    for line in out.chunks_exact_mut(shape.stride) {
        let (before, rest) = line.split_at_mut(col0);
        let (row, after) = rest.split_at_mut(wpr);
        let e = RowEdges::of(shape, row);
        before[col0 - 1] = e.before;
        row[wpr - 1] |= e.last_patch;
        after[0] = e.after;
    }
}

#[cfg(test)]
mod tests {
    use super::super::{grid_rows, step_band, RowSums};
    use super::*;
    use crate::isa::Isa;
    use crate::life::grid::Grid;
    use crate::life::rule::{Rule, Topology};
    use crate::simd::portable::Portable;

    /// One generation of `grid` by the strip kernel with the vectors of `s`, against the row kernel's
    /// (`Isa::Scalar`, the oracle).
    fn check<S: Simd>(s: S, grid: &Grid, topology: Topology) {
        let shape = Shape::whole(grid, topology, Rule::CONWAY, Isa::Scalar);
        if !fits(shape.wpr, S::LANES) {
            return;
        }
        let rows = grid_rows(&shape, grid.words());
        let mut want = vec![0u32; grid.words().len()];
        step_band(&shape, &rows, 0, &mut want, &mut RowSums::new(shape.wpr));
        let mut got = vec![u32::MAX; want.len()];
        let mut scratch = StripScratch::new(shape.wpr);
        strip_band(s, Conway, &shape, &rows, 0, &mut got, &mut scratch);
        let (w, h, lanes) = (grid.width(), grid.height(), S::LANES);
        assert!(got == want, "{lanes} lanes: {w}x{h} {topology}");
    }

    /// Random grids (density 0.4, seed `width * height + seed`) `wprs` words wide less 0, 1, 17
    /// and 31 cells (a row ending at every kind of offset in its last word), `heights` tall, on
    /// a torus and bounded.
    fn for_awkward_rows(
        wprs: std::ops::RangeInclusive<u32>,
        heights: &[u32],
        seed: u64,
        mut each: impl FnMut(&Grid, Topology),
    ) {
        for wpr in wprs {
            for cut in [0, 1, 17, 31] {
                let width = wpr * 32 - cut;
                for &height in heights {
                    for topology in [Topology::Torus, Topology::Bounded] {
                        let seed = u64::from(width * height) + seed;
                        each(&Grid::random(width, height, 0.4, seed).unwrap(), topology);
                    }
                }
            }
        }
    }

    #[test]
    fn strips_equal_the_row_kernel_at_every_width_and_lane_count() {
        // Row ends at every offset in a word, rows just wider than a vector, several vectors,
        // a partial last strip; heights across a chunk boundary.
        for_awkward_rows(1..=40, &[1, 2, 3, 7], 0, |grid, topology| {
            check(Portable::<16>, grid, topology);
            check(Portable::<8>, grid, topology);
            check(Portable::<3>, grid, topology);
            check(Portable::<1>, grid, topology);
        });
        for topology in [Topology::Torus, Topology::Bounded] {
            let grid = Grid::random(33 * 32 - 5, CHUNK_ROWS as u32 * 2 + 3, 0.5, 9).unwrap();
            check(Portable::<16>, &grid, topology);
            check(Portable::<8>, &grid, topology);
            // Rows 512 bytes apart: chunks of chunk_rows([128, 128]) rows, across two of them.
            let grid = Grid::random(4096 - 7, 61, 0.5, 10).unwrap();
            check(Portable::<8>, &grid, topology);
        }
    }

    /// `grid`'s rows laid out `stride` words apart from word `col0`, each with its edge words
    /// (computed here cell by cell, not by [`write_edges`]): bit 31 of the word before the row
    /// is the west neighbour of its first cell, the east neighbour of its last cell is the
    /// padding bit past it or bit 0 of the word after a row of whole words.
    fn with_edges(
        grid: &Grid,
        words: &[u32],
        topology: Topology,
        stride: usize,
        col0: usize,
    ) -> Vec<u32> {
        let (width, wpr) = (grid.width() as usize, grid.words_per_row() as usize);
        let cell = |row: &[u32], x: usize| (row[x / 32] >> (x % 32)) & 1;
        let mut out = vec![0u32; stride * grid.height() as usize];
        for (row, line) in words.chunks_exact(wpr).zip(out.chunks_exact_mut(stride)) {
            line[col0..col0 + wpr].copy_from_slice(row);
            if topology == Topology::Torus {
                line[col0 - 1] = cell(row, width - 1) << 31;
                let east = cell(row, 0);
                if width % 32 == 0 {
                    line[col0 + wpr] = east;
                } else {
                    line[col0 + wpr - 1] |= east << (width % 32);
                }
            }
        }
        out
    }

    /// One generation of `grid` by the strip kernel reading its rows with their edge words in
    /// place and writing them beside its output rows, against the row kernel.
    fn check_edges_in_place<S: Simd>(s: S, grid: &Grid, topology: Topology) {
        let whole = Shape::whole(grid, topology, Rule::CONWAY, Isa::Scalar);
        if !fits(whole.wpr, S::LANES) {
            return;
        }
        let rows = grid_rows(&whole, grid.words());
        let mut want = vec![0u32; grid.words().len()];
        step_band(&whole, &rows, 0, &mut want, &mut RowSums::new(whole.wpr));
        let (wpr, h) = (whole.wpr, grid.height() as isize);
        // A gap of 3 words after each row, as in the tile buffers.
        let (col0, stride) = (2, wpr + 5);
        let shape = Shape {
            stride,
            col0,
            halo_in: true,
            halo_out: true,
            ..whole
        };
        let input = with_edges(grid, grid.words(), topology, stride, col0);
        let tile = |y: isize| {
            let y = match topology {
                Topology::Torus => y.rem_euclid(h),
                Topology::Bounded if (0..h).contains(&y) => y,
                Topology::Bounded => return None,
            };
            let start = y as usize * stride + col0 - 1;
            Some(&input[start..start + wpr + 2])
        };
        let mut got = vec![u32::MAX; input.len()];
        let mut scratch = StripScratch::new(wpr);
        strip_band(s, Conway, &shape, &tile, 0, &mut got, &mut scratch);
        let expect = with_edges(grid, &want, topology, stride, col0);
        let (w, lanes) = (grid.width(), S::LANES);
        for (y, (g, e)) in got
            .chunks_exact(stride)
            .zip(expect.chunks_exact(stride))
            .enumerate()
        {
            // The words between rows other than the edge words are the kernel's to leave.
            let mine = col0 - 1..col0 + wpr + 1;
            assert!(
                g[mine.clone()] == e[mine],
                "{lanes} lanes: {w}x{h} {topology}, row {y}"
            );
        }
    }

    #[test]
    fn strips_read_and_write_edge_words_in_place_at_every_width_and_lane_count() {
        // Rows ending at every offset in a word (the east neighbour in the padding or in the
        // word after), rows just wider than a vector, a last strip overlapping its neighbour,
        // heights across a chunk boundary; 16 lanes stands in for AVX-512's width.
        for_awkward_rows(2..=40, &[1, 2, 5], 1, |grid, topology| {
            check_edges_in_place(Portable::<16>, grid, topology);
            check_edges_in_place(Portable::<8>, grid, topology);
            check_edges_in_place(Portable::<4>, grid, topology);
            check_edges_in_place(Portable::<3>, grid, topology);
            check_edges_in_place(Portable::<1>, grid, topology);
        });
        for topology in [Topology::Torus, Topology::Bounded] {
            let grid = Grid::random(33 * 32 - 5, CHUNK_ROWS as u32 * 2 + 3, 0.5, 9).unwrap();
            check_edges_in_place(Portable::<8>, &grid, topology);
            check_edges_in_place(Portable::<4>, &grid, topology);
        }
    }

    #[test]
    fn evenly_spaced_tables_only_where_no_row_wraps_or_is_dead() {
        // A 10-row grid, 5 words a row: rows 2..8 are evenly spaced; a torus wraps rows 8..12
        // round to 0 and 1, and bounded rows past the end are dead.
        let grid = Grid::random(150, 10, 0.5, 3).unwrap();
        let words = grid.words();
        for topology in [Topology::Torus, Topology::Bounded] {
            let shape = Shape::whole(&grid, topology, Rule::CONWAY, Isa::Scalar);
            let rows = grid_rows(&shape, words);
            assert_eq!(evenly_spaced(&rows, 2, 6, 5), Some(words[10..].as_ptr()));
            assert_eq!(evenly_spaced(&rows, 8, 4, 5), None, "{topology}");
            assert_eq!(evenly_spaced(&rows, -1, 3, 5), None, "{topology}");
            assert_eq!(evenly_spaced(&rows, 2, 6, 4), None, "wrong stride");
        }
        // A torus just as tall as the span: the last row is the first again.
        let grid = Grid::random(150, 5, 0.5, 3).unwrap();
        let shape = Shape::whole(&grid, Topology::Torus, Rule::CONWAY, Isa::Scalar);
        assert_eq!(
            evenly_spaced(&grid_rows(&shape, grid.words()), 0, 6, 5),
            None
        );
    }

    #[test]
    fn chunks_fit_the_cache_sets_their_rows_fall_in() {
        // 4096 cells (8 lines a row): 8 sets, 64 lines, 28 rows; 8192 cells: 4 sets, 12 rows;
        // 16384 and up: the floor. Odd line counts, or rows not whole lines: every set.
        assert_eq!(chunk_rows([128, 128]), 28);
        assert_eq!(chunk_rows([256, 144]), 12);
        assert_eq!(chunk_rows([512, 512]), MIN_CHUNK_ROWS);
        assert_eq!(chunk_rows([144, 144]), CHUNK_ROWS);
        assert_eq!(chunk_rows([33, 8]), CHUNK_ROWS);
        assert_eq!(chunk_rows([64, 64]), 60);
    }
}
