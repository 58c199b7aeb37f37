//! The CPU Life kernels: serial and Rayon share one bit-sliced row-band kernel.
//!
//! Each generation is computed on whole 32-cell words with a full-adder network, never cell by
//! cell. For every row we first form the *horizontal* 3-cell sums (west + self + east) as two bit
//! planes, then add the sums of the rows above, at and below into the 3×3 sum (0..=9) as four bit
//! planes, and apply the rule to that sum and the cell's own state (see
//! [`Rule::nine_sum_masks`]). A band of rows keeps the horizontal sums of three rows in a rolling
//! scratch buffer, so each row's sums are computed once per band, not three times.
//!
//! The row loops are written once in portable Rust and compiled three times (baseline, AVX2,
//! AVX-512), the widest the CPU supports picked at run time. With AVX-512 the row loops run in
//! hand-written vector code instead (src/life/cpu/avx512.rs): whole rows in 16-word vectors with
//! masked tails and `vpternlogd` adders, for B3/S23 1.4× the auto-vectorised loops on 4096-wide
//! rows and 2.1× on 1024-wide ones (whose scalar tails the compiler left), for other rules 3.2×
//! to 3.8× (three instructions per 3×3 sum the rule names).
//!
//! Serial runs one band covering the grid; Rayon splits the rows into bands that run on the pool.
//! Halo rows are read in place from the previous generation, and scratch buffers are allocated
//! once per engine, not per generation.
//!
//! Two kernels share that row kernel. [`Kernel::Packed`](super::Kernel::Packed) makes one pass
//! over the grid per generation: at a quarter of a byte per cell-update it runs at the speed of
//! memory (or of the shared L3 cache), not of the core. [`Kernel::Tiled`](super::Kernel::Tiled)
//! (temporal blocking) cuts each band into blocks of rows small enough for the core's L2 cache,
//! reads a block plus `g - 1` halo rows above and below it once, steps it `g` generations in two
//! tile buffers (each generation is valid on one row less at each end) and writes only the last:
//! the grid crosses the memory bus once every `g` generations, for the price of recomputing
//! about `g - 1` halo rows per block and generation.

#[cfg(target_arch = "x86_64")]
mod avx512;
mod strip;
mod window;

use super::grid::{last_word_mask, Grid};
use super::rule::{Rule, Topology};
use crate::isa::Isa;
use rayon::prelude::*;
use window::{Extent, Window};

/// Everything a row kernel needs to know about the grid's shape and the rule.
///
/// A kernel may step a *window* of the grid: words `col0..col0 + wpr` of each row, `width` cells
/// wide (see [`Window`]). Its rows are then `stride` words apart in the grid and in the output,
/// and the cells beyond its ends are dead (`edge` is `Bounded`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    /// Cells per row of the window (the grid's width for whole rows).
    pub width: u32,
    pub height: u32,
    /// Words per row of the window.
    pub wpr: usize,
    /// Words from one row to the next in the grid and in the output: `wpr` for a whole grid or
    /// a tile buffer, the grid's row length for a narrower window.
    pub stride: usize,
    /// First word of the window in each grid and output row (0 for whole rows).
    pub col0: usize,
    /// What lies above and below the grid: rows wrap around on a torus, are dead when bounded.
    pub topology: Topology,
    /// What lies beyond a row's ends: the grid's topology for whole rows; `Bounded` for a window
    /// narrower than the grid, whose cells beyond its ends are known to stay dead.
    pub edge: Topology,
    pub rule: Rule,
    /// The instruction-set level the row loop runs at ([`life_level`]).
    pub isa: Isa,
    /// Whether the strip kernel asks for the next chunk's rows ahead (`strip::prefetch`): for
    /// rows read from or written to the grid, which come from L3 or memory; not between tile
    /// buffers, whose rows are in L2 already and where the hints only cost instructions (a
    /// 2048² grid stepped 12–18% slower with them everywhere). Of a generation between the grid
    /// and a tile buffer only the grid's side is asked for (rows with edge words, `halo_in` or
    /// `halo_out`, are the tile buffer's).
    pub prefetch: bool,
    /// Whether the rows read carry their edge words in place (the strip kernel only): `Rows`
    /// hands out each row with the word before it, whose bit 31 is the west neighbour of the
    /// row's first cell, and the word after it, whose bit 0 is the east neighbour of its last
    /// cell unless that neighbour is patched into the last word's padding ([`RowEdges`]). Tile
    /// buffers hold them, written by the generation before (`halo_out`), so the first and last
    /// strips of the generations between tiles read them in place; rows without them (the
    /// grid's) get them shifted in, in registers (`strip::EdgeWords`).
    pub halo_in: bool,
    /// Whether the kernel writes those edge words beside each output row (the strip kernel
    /// only; the output has a word free before and after every row).
    pub halo_out: bool,
}

impl Shape {
    /// Whole rows of `grid`, stepped at `isa`.
    pub(crate) fn whole(grid: &Grid, topology: Topology, rule: Rule, isa: Isa) -> Self {
        let wpr = grid.words_per_row() as usize;
        Shape {
            width: grid.width(),
            height: grid.height(),
            wpr,
            stride: wpr,
            col0: 0,
            topology,
            edge: topology,
            rule,
            isa,
            prefetch: true,
            halo_in: false,
            halo_out: false,
        }
    }

    /// The window `w` of this whole-grid shape: its cells beyond the window's ends are dead
    /// unless the window spans whole rows.
    fn window(&self, w: &Window) -> Self {
        let whole_rows = w.words == (0..self.wpr);
        let width = (self.width as usize).min(w.words.end * 32) - w.words.start * 32;
        Shape {
            width: width as u32,
            wpr: w.words.len(),
            col0: w.words.start,
            edge: if whole_rows {
                self.topology
            } else {
                Topology::Bounded
            },
            ..*self
        }
    }

    /// The same rows as a tile buffer lays them out, [`tile_stride`] words apart from word
    /// [`TILE_COL0`] of each, with their edge words in place ([`Shape::halo_in`]) where the
    /// strip kernel steps them.
    fn tile(&self) -> Self {
        let tile = Shape {
            stride: tile_stride(self.wpr),
            col0: TILE_COL0,
            prefetch: false,
            ..*self
        };
        let halo = strip_level(&tile).is_some();
        Shape {
            halo_in: halo,
            halo_out: halo,
            ..tile
        }
    }
}

/// Fewest words a Rayon band gets: about ten microseconds of work at this kernel's speed, more than
/// a fork-join across the pool costs, so splitting does not make a small generation slower.
const MIN_BAND_WORDS: usize = 1 << 14;

/// Passes a whole-grid window is kept before the live cells' extent is read again
/// ([`CpuLife::pass`]): a soup that dies down to a small region is noticed within this many.
const WHOLE_RESCAN_PASSES: u32 = 16;

/// Rows in each Rayon band of a window `rows` tall and `wpr` words wide on `threads` threads.
/// Several bands per thread so work-stealing can even out the load, but bands tall enough that
/// the halo rows per band stay a small extra cost, and each band at least [`MIN_BAND_WORDS`] of
/// work: a fork-join costs microseconds, which a tiny window's whole generation does not (a
/// window below that runs as one band).
fn band_rows(threads: usize, rows: usize, wpr: usize) -> usize {
    rows.div_ceil(threads.max(1) * 4)
        .max(16)
        .max(MIN_BAND_WORDS.div_ceil(wpr.max(1)))
        .min(rows)
        .max(1)
}

/// Rows the packed kernel steps before reading their extent, while they are still in cache.
const SCAN_ROWS: usize = 128;

/// Words processed per block when applying the rule; small enough to stay in L1.
const BLOCK: usize = 256;

/// Horizontal sums (two planes) of three consecutive rows: the row kernel's rolling scratch.
#[derive(Clone, Debug)]
pub(crate) struct RowSums {
    ones: [Vec<u32>; 3],
    twos: [Vec<u32>; 3],
    /// The 3×3 sums' bit planes of one block of a row, for rules other than B3/S23
    /// ([`combine_row_any_rule`]): kept here, so a row does not zero 4 KiB of stack per block
    /// (30% of a 2048² B36/S23 run went to that `memset`).
    planes: Box<[[u32; BLOCK]; 4]>,
    /// The column-strip kernel's dead row (B3/S23 below AVX-512).
    strip: strip::StripScratch,
}

impl RowSums {
    pub(crate) fn new(wpr: usize) -> Self {
        RowSums {
            ones: [vec![0; wpr], vec![0; wpr], vec![0; wpr]],
            twos: [vec![0; wpr], vec![0; wpr], vec![0; wpr]],
            planes: Box::new([[0; BLOCK]; 4]),
            strip: strip::StripScratch::new(wpr),
        }
    }
}

/// Per-band scratch, made once per engine: the rolling row sums, and for the tiled kernel two
/// tile buffers holding a block's intermediate generations.
#[derive(Clone, Debug)]
pub(crate) struct Scratch {
    sums: RowSums,
    tiles: [Vec<u32>; 2],
}

impl Scratch {
    fn new(wpr: usize, tile_words: usize) -> Self {
        Scratch {
            sums: RowSums::new(wpr),
            tiles: [vec![0; tile_words], vec![0; tile_words]],
        }
    }
}

/// What the horizontal sums of a row need from beyond its ends, placed where the bit-parallel
/// formula looks for it: the word before the row has the west neighbour of cell 0 in its top bit;
/// the east neighbour of the last cell goes in the padding bit just past it (`last_patch`, ORed
/// into the last word) or, for a row of whole words, in bit 0 of the word after the row
/// (`after`). On a torus those are the cells from the other end; bounded, dead cells. The
/// padding bits' own sums are then meaningless, and the combining step clears them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowEdges {
    before: u32,
    last_patch: u32,
    after: u32,
}

impl RowEdges {
    /// A row with nothing live beyond its ends (and a dead row's).
    pub(crate) const NONE: RowEdges = RowEdges {
        before: 0,
        last_patch: 0,
        after: 0,
    };

    pub(crate) fn of(shape: &Shape, row: &[u32]) -> Self {
        let width = shape.width;
        let last_bit = (width - 1) % 32;
        let (west_in, east_in) = match shape.edge {
            Topology::Torus => {
                let last = (width - 1) as usize;
                ((row[last / 32] >> (last % 32)) & 1, row[0] & 1)
            }
            Topology::Bounded => (0, 0),
        };
        let (last_patch, after) = if last_bit == 31 {
            (0, east_in)
        } else {
            (east_in << (last_bit + 1), 0)
        };
        RowEdges {
            before: west_in << 31,
            last_patch,
            after,
        }
    }
}

/// Horizontal 3-cell sums of one row (west + self + east) as two bit planes: `ones` (bit 0 of the
/// sum) and `twos` (bit 1). `row` is `None` for an all-dead row outside a bounded grid.
#[inline(always)]
fn horizontal_sums(shape: &Shape, row: Option<&[u32]>, ones: &mut [u32], twos: &mut [u32]) {
    let Some(row) = row else {
        ones.fill(0);
        twos.fill(0);
        return;
    };
    let n = row.len();
    debug_assert!(n == ones.len() && n == twos.len() && n >= 1);
    let RowEdges {
        before,
        last_patch,
        after,
    } = RowEdges::of(shape, row);
    let add3 = |west: u32, mid: u32, east: u32| -> (u32, u32) {
        let ab = west ^ mid;
        (ab ^ east, (west & mid) | (ab & east))
    };
    // The last word carries its east neighbour in its padding (see RowEdges).
    let last = row[n - 1] | last_patch;
    if n == 1 {
        (ones[0], twos[0]) = add3(
            (last << 1) | (before >> 31),
            last,
            (last >> 1) | (after << 31),
        );
        return;
    }
    let first = row[0];
    (ones[0], twos[0]) = add3(
        (first << 1) | (before >> 31),
        first,
        (first >> 1) | (row[1] << 31),
    );
    // The interior loop has no branches, so the compiler vectorises it.
    let (ones_in, twos_in) = (&mut ones[1..n - 1], &mut twos[1..n - 1]);
    for (i, (o, t)) in ones_in.iter_mut().zip(twos_in.iter_mut()).enumerate() {
        let (prev, mid, next) = (row[i], row[i + 1], row[i + 2]);
        (*o, *t) = add3((mid << 1) | (prev >> 31), mid, (mid >> 1) | (next << 31));
    }
    (ones[n - 1], twos[n - 1]) = add3(
        (last << 1) | (row[n - 2] >> 31),
        last,
        (last >> 1) | (after << 31),
    );
}

/// The 3×3 sum (0..=9) of three 2-bit horizontal sums, as four bit planes (s0, s1, s2, s3).
#[inline(always)]
fn vertical_sum(a: (u32, u32), m: (u32, u32), b: (u32, u32)) -> (u32, u32, u32, u32) {
    let (x1, y1, z1) = (a.0, m.0, b.0);
    let (x2, y2, z2) = (a.1, m.1, b.1);
    let p = x1 ^ y1;
    let s0 = p ^ z1;
    let carry1 = (x1 & y1) | (p & z1); // weight 2
    let q = x2 ^ y2;
    let t = q ^ z2; // weight 2
    let carry2 = (x2 & y2) | (q & z2); // weight 4
    let s1 = t ^ carry1;
    let carry3 = t & carry1; // weight 4
    (s0, s1, carry2 ^ carry3, carry2 & carry3)
}

/// Adds three rows' horizontal sums into the 3×3 sum and applies the rule, for one output row.
// Indexed loops over slices of one length: the form the auto-vectoriser handles best here.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn combine_row(
    shape: &Shape,
    (a1, a2): (&[u32], &[u32]),
    (m1, m2): (&[u32], &[u32]),
    (b1, b2): (&[u32], &[u32]),
    alive: &[u32],
    out: &mut [u32],
    planes: &mut [[u32; BLOCK]; 4],
) {
    let n = out.len();
    // Equal lengths, stated up front, let the compiler drop bounds checks and vectorise.
    let (a1, a2, m1, m2, b1, b2, alive) = (
        &a1[..n],
        &a2[..n],
        &m1[..n],
        &m2[..n],
        &b1[..n],
        &b2[..n],
        &alive[..n],
    );
    if shape.rule == Rule::CONWAY {
        // Born with sum 3; survives with sum 3 or 4 (itself plus 2 or 3 neighbours).
        for i in 0..n {
            let (s0, s1, s2, s3) = vertical_sum((a1[i], a2[i]), (m1[i], m2[i]), (b1[i], b2[i]));
            let three = s0 & s1 & !s2;
            let four = !s0 & !s1 & s2;
            out[i] = !s3 & (three | (alive[i] & four));
        }
    } else {
        combine_row_any_rule(shape.rule, (a1, a2), (m1, m2), (b1, b2), alive, out, planes);
    }
    // Only a row ending inside a word has padding bits to clear. Masking the last word in memory
    // right after the loop's vector store stalls on store forwarding: done unconditionally it
    // cost a fifth of the kernel's time on 4096-wide grids.
    let mask = last_word_mask(shape.width);
    if mask != u32::MAX {
        out[n - 1] &= mask;
    }
}

/// [`combine_row`] for any B/S rule: the sums go to small blocks of bit planes, then each 3×3 sum
/// the rule cares about is matched against them in a branch-free loop.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn combine_row_any_rule(
    rule: Rule,
    (a1, a2): (&[u32], &[u32]),
    (m1, m2): (&[u32], &[u32]),
    (b1, b2): (&[u32], &[u32]),
    alive: &[u32],
    out: &mut [u32],
    planes: &mut [[u32; BLOCK]; 4],
) {
    let (birth, survive) = rule.nine_sum_masks();
    let n = out.len();
    let mut start = 0;
    while start < n {
        let end = (start + BLOCK).min(n);
        let len = end - start;
        for i in 0..len {
            let j = start + i;
            let (s0, s1, s2, s3) = vertical_sum((a1[j], a2[j]), (m1[j], m2[j]), (b1[j], b2[j]));
            planes[0][i] = s0;
            planes[1][i] = s1;
            planes[2][i] = s2;
            planes[3][i] = s3;
        }
        let alive = &alive[start..end];
        let out = &mut out[start..end];
        out.fill(0);
        for sum in 0..=9u32 {
            let born = (birth >> sum) & 1 == 1;
            let stays = (survive >> sum) & 1 == 1;
            if !born && !stays {
                continue;
            }
            // A plane's bits where the sum's bit is 1, their complement where it is 0.
            let flip = |bit: u32| if (sum >> bit) & 1 == 1 { 0 } else { u32::MAX };
            let (f0, f1, f2, f3) = (flip(0), flip(1), flip(2), flip(3));
            // Who the match applies to: everyone, dead cells (birth), live cells (survival).
            let (keep_alive, keep_dead) = (
                if stays { u32::MAX } else { 0 },
                if born { u32::MAX } else { 0 },
            );
            for i in 0..len {
                let eq = (planes[0][i] ^ f0)
                    & (planes[1][i] ^ f1)
                    & (planes[2][i] ^ f2)
                    & (planes[3][i] ^ f3);
                let who = (alive[i] & keep_alive) | (!alive[i] & keep_dead);
                out[i] |= eq & who;
            }
        }
        start = end;
    }
}

/// The rows of one generation as the row kernel sees them: `rows(y)` is row `y` (a *virtual*
/// index, which may lie outside `0..height`), or `None` for an all-dead row.
///
/// Virtual indices let a tile of rows carry halo rows above and below it: on a torus row `y` is
/// row `y mod height`; on a bounded grid rows outside the grid are dead.
pub(crate) trait Rows<'a>: Fn(isize) -> Option<&'a [u32]> {}
impl<'a, F: Fn(isize) -> Option<&'a [u32]>> Rows<'a> for F {}

/// The rows of the grid `words` itself (the shape's window of each), wrapped or cut off at the
/// edges by the topology.
fn grid_rows<'a>(shape: &Shape, words: &'a [u32]) -> impl Rows<'a> {
    let (h, wpr, stride, col0, torus) = (
        shape.height as isize,
        shape.wpr,
        shape.stride,
        shape.col0,
        shape.topology == Topology::Torus,
    );
    move |y: isize| {
        // Rows inside the grid first: `rem_euclid` divides, and the strip kernel looks up
        // every row of a chunk (a division each was 1% of a 4096² tiled run).
        let y = if (0..h).contains(&y) {
            y
        } else if torus {
            y.rem_euclid(h)
        } else {
            return None;
        };
        let start = y as usize * stride + col0;
        Some(&words[start..start + wpr])
    }
}

/// The levels the Life kernels prefer, fastest first. Life has three compilations of its row
/// loop: the portable code for the baseline (SSE2 on x86-64, where LLVM vectorises the middle of
/// each row; NEON on aarch64), the same code for AVX2, and the hand-written AVX-512 row
/// functions (src/life/cpu/avx512.rs). The scalar and SSE2 levels both run the portable code at
/// the baseline, reported as the baseline's level ([`life_level`]).
pub const PREFERENCE: [Isa; 5] = [Isa::Avx512, Isa::Avx2, Isa::Neon, Isa::Sse2, Isa::Scalar];

/// The level Life's kernels run at for a chosen `isa`: AVX-512 and AVX2 have code of their own;
/// every other level runs the portable code compiled for the architecture's baseline, which is
/// reported as what it is (SSE2 on x86-64, NEON on aarch64).
pub fn life_level(isa: Isa) -> Isa {
    match isa {
        Isa::Avx512 | Isa::Avx2 => isa,
        _ => Isa::baseline(),
    }
}

/// Whether the strip kernel ([`strip`]) runs this band at `level`: rows at least one of its
/// vectors wide (any rule: B3/S23 by its own four operations, others by the count's bits).
fn strips_fit(shape: &Shape, level: Isa) -> bool {
    strip::fits(shape.wpr, level.lanes32())
}

/// Computes virtual rows `first_row..first_row + out.len() / stride` of the next generation of
/// `rows` into `out` (words `col0..col0 + wpr` of each of its rows, `stride` words apart; the
/// other words are left as they are). A row that `rows` reports dead (outside a bounded grid)
/// stays dead.
///
/// The same code is compiled for the baseline instruction set and for AVX2 and AVX-512; the
/// engine picks the level once (`shape.isa`, from [`Isa::for_kernel`], so `SPEEDUP_CPU` forces
/// it too), so a portable binary still uses the machine's full vector width. A level this CPU
/// lacks runs the portable code.
pub(crate) fn step_band<'a>(
    shape: &Shape,
    rows: &impl Rows<'a>,
    first_row: isize,
    out: &mut [u32],
    scratch: &mut RowSums,
) {
    if let Some(level) = strip_level(shape) {
        return crate::simd::dispatch(
            level,
            strip::StripBand::new(shape, rows, first_row, out, &mut scratch.strip),
        );
    }
    // The row kernel reads plain rows and writes no edge words.
    assert!(!shape.halo_in && !shape.halo_out);
    #[cfg(target_arch = "x86_64")]
    match shape.isa {
        Isa::Avx512 if shape.isa.is_supported() => {
            // SAFETY: the CPU supports the features this function was compiled for.
            return unsafe { step_band_avx512(shape, rows, first_row, out, scratch) };
        }
        Isa::Avx2 if shape.isa.is_supported() => {
            // SAFETY: as above.
            return unsafe { step_band_avx2(shape, rows, first_row, out, scratch) };
        }
        _ => {}
    }
    step_band_generic::<false>(shape, rows, first_row, out, scratch)
}

/// The level [`step_band`] runs the strip kernel ([`strip`]) at for `shape`, or `None` where it
/// runs the row kernel: AVX2 and the baseline's vectors (SSE2 on x86-64, NEON on aarch64) run
/// every rule by column strips; AVX-512 keeps its row functions, and `Isa::Scalar` the row
/// kernel, the oracle the vector levels are tested against.
fn strip_level(shape: &Shape) -> Option<Isa> {
    let isa = shape.isa;
    #[cfg(target_arch = "x86_64")]
    match isa {
        Isa::Avx512 if isa.is_supported() => return None,
        Isa::Avx2 if isa.is_supported() && strips_fit(shape, isa) => return Some(isa),
        _ => {}
    }
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    if isa != Isa::Scalar && strips_fit(shape, Isa::baseline()) {
        return Some(Isa::baseline());
    }
    if isa != Isa::Scalar && strips_fit(shape, Isa::Scalar) {
        return Some(Isa::Scalar);
    }
    None
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx2")]
unsafe fn step_band_avx512<'a>(
    shape: &Shape,
    rows: &impl Rows<'a>,
    first_row: isize,
    out: &mut [u32],
    scratch: &mut RowSums,
) {
    step_band_generic::<true>(shape, rows, first_row, out, scratch)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn step_band_avx2<'a>(
    shape: &Shape,
    rows: &impl Rows<'a>,
    first_row: isize,
    out: &mut [u32],
    scratch: &mut RowSums,
) {
    step_band_generic::<false>(shape, rows, first_row, out, scratch)
}

/// The horizontal sums of `row` into scratch slot `slot`, by the AVX-512 code when `AVX512` (see
/// [`step_band_generic`]). A function rather than a closure, so that it always inlines into the
/// caller and is compiled with the caller's target features.
#[inline(always)]
fn fill_sums<const AVX512: bool>(
    shape: &Shape,
    row: Option<&[u32]>,
    scratch: &mut RowSums,
    slot: usize,
) {
    // The scratch is sized for whole rows; a window uses its first `wpr` words.
    let (ones, twos) = (
        &mut scratch.ones[slot][..shape.wpr],
        &mut scratch.twos[slot][..shape.wpr],
    );
    #[cfg(target_arch = "x86_64")]
    if AVX512 {
        if let Some(row) = row {
            // SAFETY: AVX512 is true only under step_band_avx512, called after checking the CPU
            // has AVX-512F.
            return unsafe { avx512::horizontal_sums(row, &RowEdges::of(shape, row), ones, twos) };
        }
    }
    horizontal_sums(shape, row, ones, twos);
}

/// The row loop. `AVX512`: the caller runs with AVX-512F enabled and checked, so the row functions
/// of the `avx512` module may be used (only then is it `true`).
#[inline(always)]
fn step_band_generic<'a, const AVX512: bool>(
    shape: &Shape,
    rows: &impl Rows<'a>,
    first_row: isize,
    out: &mut [u32],
    scratch: &mut RowSums,
) {
    let (wpr, stride, col0) = (shape.wpr, shape.stride, shape.col0);
    debug_assert!(out.len().is_multiple_of(stride) && col0 + wpr <= stride);
    let count = out.len() / stride;
    #[cfg(target_arch = "x86_64")]
    let row_rule = avx512::RowRule::new(shape.rule);
    // Slots rotate: slot (k % 3) holds the sums of row first_row - 1 + k.
    fill_sums::<AVX512>(shape, rows(first_row - 1), scratch, 0);
    fill_sums::<AVX512>(shape, rows(first_row), scratch, 1);
    for r in 0..count {
        let y = first_row + r as isize;
        fill_sums::<AVX512>(shape, rows(y + 1), scratch, (r + 2) % 3);
        let out_row = &mut out[r * stride + col0..][..wpr];
        let Some(alive) = rows(y) else {
            out_row.fill(0);
            continue;
        };
        let (above, mid, below) = (r % 3, (r + 1) % 3, (r + 2) % 3);
        #[cfg(target_arch = "x86_64")]
        if AVX512 {
            let s = &*scratch;
            let rows = (
                (&s.ones[above][..], &s.twos[above][..]),
                (&s.ones[mid][..], &s.twos[mid][..]),
                (&s.ones[below][..], &s.twos[below][..]),
            );
            let mask = last_word_mask(shape.width);
            // SAFETY: as for the horizontal sums above.
            unsafe {
                match &row_rule {
                    avx512::RowRule::Conway => {
                        avx512::conway_row(rows.0, rows.1, rows.2, alive, out_row, mask)
                    }
                    avx512::RowRule::Terms { terms, count } => avx512::rule_row(
                        rows.0,
                        rows.1,
                        rows.2,
                        alive,
                        out_row,
                        &terms[..*count],
                        mask,
                    ),
                }
            };
            continue;
        }
        let (ones, twos) = (&scratch.ones, &scratch.twos);
        combine_row(
            shape,
            (&ones[above], &twos[above]),
            (&ones[mid], &twos[mid]),
            (&ones[below], &twos[below]),
            alive,
            out_row,
            &mut scratch.planes,
        );
    }
}

/// How the tiled kernel cuts the work: blocks of at most `block_rows` output rows, each advanced
/// `gens` generations per pass over memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TilePlan {
    /// Most output rows in one block.
    pub block_rows: usize,
    /// Generations per pass (1: no temporal blocking).
    pub gens: usize,
}

/// Most bytes one tile buffer may take: a block and its two intermediate generations then fit a
/// core's L2 cache of 1 MiB or more (current x86 and Arm server cores), so the generations
/// between the first read and the last write never leave the core.
const TILE_BUFFER_BYTES: usize = 256 << 10;

/// Bytes one tile buffer takes on this machine: a quarter of the first core's L2 cache, so both
/// tile buffers fit in half of it beside the rows read and written (Zen 3's 512 KiB L2 held
/// neither the old fixed 2 × 256 KiB nor the rows besides), at most [`TILE_BUFFER_BYTES`]. An L2
/// the OS does not report counts as 1 MiB.
fn tile_buffer_bytes() -> usize {
    static BYTES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *BYTES.get_or_init(|| {
        (l2_cache_bytes().unwrap_or(1 << 20) / 4).clamp(16 << 10, TILE_BUFFER_BYTES)
    })
}

/// The first core's L2 cache size, from Linux's sysfs.
fn l2_cache_bytes() -> Option<usize> {
    let dir = std::fs::read_dir("/sys/devices/system/cpu/cpu0/cache").ok()?;
    dir.flatten().find_map(|entry| {
        let p = entry.path();
        let read = |name: &str| std::fs::read_to_string(p.join(name)).ok();
        if read("level")?.trim() != "2" {
            return None;
        }
        let size = read("size")?;
        let size = size.trim();
        let (digits, unit) = size.split_at(size.find(|c: char| !c.is_ascii_digit())?);
        let n: usize = digits.parse().ok()?;
        match unit {
            "K" => Some(n << 10),
            "M" => Some(n << 20),
            _ => None,
        }
    })
}

/// Most generations per pass: past eight, the memory traffic saved is already under an eighth of
/// the one-generation kernel's while the halo rows recomputed keep growing.
const MAX_TILE_GENERATIONS: usize = 8;

impl TilePlan {
    /// The plan for rows `wpr` words wide in bands of `band_rows` rows: as many rows as fit
    /// [`tile_buffer_bytes`], and as many generations as keep the recomputed halo rows (`gens - 1`
    /// above and below a block, shrinking by one a generation) under about 1/16 of the work.
    pub(crate) fn for_rows(wpr: usize, band_rows: usize) -> Self {
        let budget_rows = (tile_buffer_bytes() / (tile_stride(wpr) * 4)).max(1);
        let block_rows = budget_rows.min(band_rows).max(1);
        let gens = (1 + block_rows / 16).min(MAX_TILE_GENERATIONS);
        TilePlan { block_rows, gens }
    }

    /// This plan's blocks cut again for a window `wpr` words wide in bands of `band_rows` rows,
    /// with the same generations per pass: a window narrower than the grid (a soup in the middle
    /// of a bounded grid) fits more rows in the same tile buffer bytes, so each block pays its
    /// `2 × (gens - 1)` halo rows over more rows (on the plane soup's Rayon bands of 256 rows,
    /// one block a band instead of two of 128).
    fn for_window(self, wpr: usize, band_rows: usize) -> Self {
        TilePlan {
            block_rows: TilePlan::for_rows(wpr, band_rows).block_rows,
            gens: self.gens,
        }
    }

    /// Words each of a band's two tile buffers needs for this plan on rows `wpr` words wide: the
    /// block, its halo rows, and a line to align the start to.
    fn tile_words(self, wpr: usize) -> usize {
        (self.block_rows + 2 * (self.gens - 1)) * tile_stride(wpr) + LINE_WORDS
    }
}

/// Advances the output rows `first_row..first_row + out.len() / wpr` by `gens` generations of
/// `current` (at most the plan's), block by block: each block reads its rows plus `gens - 1`
/// halo rows above and below from `current` once, steps them `gens - 1` times in the two cache-
/// sized tile buffers (losing one halo row at each end per generation), and writes the last
/// generation to `out`. With `scan` (the window's words), returns the extent of the live cells
/// written, read block by block.
#[allow(clippy::too_many_arguments)]
fn step_tiled_band(
    shape: &Shape,
    plan: TilePlan,
    gens: usize,
    current: &[u32],
    first_row: usize,
    out: &mut [u32],
    scratch: &mut Scratch,
    scan: Option<&std::ops::Range<usize>>,
) -> Option<Extent> {
    let mut found = None;
    debug_assert!((1..=plan.gens).contains(&gens));
    let stride = shape.stride;
    // The tile buffers hold the window's rows `tiled.stride` words apart.
    let tiled = shape.tile();
    let band_rows = out.len() / stride;
    // Equal blocks rather than full ones plus a sliver, so no block pays the halo for a few rows.
    let blocks = band_rows.div_ceil(plan.block_rows);
    let block_rows = band_rows.div_ceil(blocks);
    let grid = grid_rows(shape, current);
    let Scratch { sums, tiles } = scratch;
    let [even, odd] = tiles;
    let (even, odd) = (line_aligned(even), line_aligned(odd));
    for (b, out_block) in out.chunks_mut(block_rows * stride).enumerate() {
        let first = (first_row + b * block_rows) as isize;
        let rows = out_block.len() / stride;
        // Generation j (1-based) is needed on the block's rows plus `gens - j` rows each side.
        for j in 1..gens {
            let margin = (gens - j) as isize;
            let base = first - margin;
            let count = rows + 2 * margin as usize;
            let (src, dst) = if j % 2 == 1 {
                (&*odd, &mut *even)
            } else {
                (&*even, &mut *odd)
            };
            let dst = &mut dst[..count * tiled.stride];
            if j == 1 {
                // The first generation reads the grid.
                let from_grid = Shape {
                    prefetch: true,
                    halo_in: false,
                    ..tiled
                };
                step_band(&from_grid, &grid, base, dst, sums);
            } else {
                let tile = tile_rows(src, base - 1, &tiled);
                step_band(&tiled, &tile, base, dst, sums);
            }
        }
        if gens == 1 {
            step_band(shape, &grid, first, out_block, sums);
        } else {
            let last = if gens.is_multiple_of(2) {
                &*even
            } else {
                &*odd
            };
            let tile = tile_rows(last, first - 1, &tiled);
            let to_grid = Shape {
                halo_in: tiled.halo_in,
                ..*shape
            };
            step_band(&to_grid, &tile, first, out_block, sums);
        }
        let cols = scan.cloned();
        let here = cols.and_then(|c| window::extent_of(out_block, stride, first as usize, c));
        found = window::union(found, here);
    }
    found
}

/// The rows of a tile buffer holding virtual rows `base..` laid out as `tile` says (`wpr`
/// words each, `stride` apart from word `col0`): what [`step_band`] reads for the generations
/// after the first. With `tile.halo_in` each row comes with its edge words, a word before and
/// after it. Rows outside a bounded grid read as dead, so cells there are never born.
fn tile_rows<'a>(words: &'a [u32], base: isize, tile: &Shape) -> impl Rows<'a> {
    let (height, bounded) = (tile.height as isize, tile.topology == Topology::Bounded);
    let (stride, halo) = (tile.stride, usize::from(tile.halo_in));
    let (col0, len) = (tile.col0 - halo, tile.wpr + 2 * halo);
    move |y: isize| {
        if bounded && !(0..height).contains(&y) {
            return None;
        }
        let start = (y - base) as usize * stride + col0;
        Some(&words[start..start + len])
    }
}

/// Word of a tile buffer's row where its cells start: the word before holds the row's west edge
/// word ([`Shape::halo_in`]), and 8 words (32 bytes) keep AVX2's vectors of the row on 32-byte
/// boundaries, so none of the aligned loads and stores crosses a cache line.
const TILE_COL0: usize = 8;

/// Words from one row of a tile buffer to the next, for rows `wpr` words long: room for
/// [`TILE_COL0`] words before the row and its east edge word after, rounded up to an odd number
/// of 64-byte cache lines once that is a line or longer. Rows a power-of-two number of lines
/// apart (a 4096-wide grid's 512 bytes) fall in a few sets of the L1 cache (8 of its 64), so the
/// column of rows a strip walks down evicts itself before the next strip reads the other half of
/// each line: the strip loop ran at 10.2 cycles per vector-row on 512-byte rows and 7.9 on
/// 576-byte ones (docs/performance.md, "Life on the CPU: the window, the cache sets").
fn tile_stride(wpr: usize) -> usize {
    let words = wpr + TILE_COL0 + 1;
    if words < 16 {
        words
    } else {
        (words.div_ceil(16) | 1) * 16
    }
}

/// The extent of a whole grid's live cells (rows `stride` words apart), read on the current
/// Rayon pool for a parallel engine: the first pass of a run reads it before anything is stepped,
/// and a sparse 8192² grid is 8 MiB to read, which one thread did while the others waited.
fn whole_extent(words: &[u32], stride: usize, parallel: bool) -> Option<Extent> {
    if !parallel {
        return window::extent_of(words, stride, 0, 0..stride);
    }
    words
        .par_chunks(SCAN_ROWS * stride)
        .enumerate()
        .map(|(i, part)| window::extent_of(part, stride, i * SCAN_ROWS, 0..stride))
        .reduce(|| None, window::union)
}

/// Words in a 64-byte cache line.
const LINE_WORDS: usize = 16;

/// `words` from its first cache-line boundary on (a tile buffer is allocated [`LINE_WORDS`]
/// longer for it). A large `Vec` comes from `mmap` 16 bytes past a page boundary, so half the
/// strip kernel's 32-byte loads and stores of a tile row crossed a cache line; on a line boundary
/// and with rows a whole number of lines apart ([`tile_stride`]), only the unaligned neighbour
/// loads do.
fn line_aligned(words: &mut [u32]) -> &mut [u32] {
    let skip = words.as_ptr().align_offset(64).min(words.len());
    &mut words[skip..]
}

/// A CPU Life engine: two grids swapped each pass, and scratch made once.
pub struct CpuLife {
    shape: Shape,
    current: Grid,
    next: Grid,
    /// `None`: serial. `Some`: the Rayon pool that runs the bands.
    pool: Option<rayon::ThreadPool>,
    /// One per band: bands run in parallel on Rayon, one band covers the grid when serial.
    bands: Vec<Scratch>,
    /// Rows per band when the window is the whole grid (each pass cuts its own window's bands,
    /// [`band_rows`]): what the tile plan is sized for.
    rows_per_band: usize,
    /// Bands the last pass was cut into (tests check a window is shared out).
    last_band_count: usize,
    /// `Some` for the tiled kernel: several generations per pass.
    tiles: Option<TilePlan>,
    /// Whether each pass cuts the tile plan's blocks again for its window
    /// ([`TilePlan::for_window`]); not for a plan a test gave ([`CpuLife::tiled_with`]).
    refit_tiles: bool,
    /// Whether a pass may step only the window around the live cells (every rule without B0,
    /// under which a dead cell among dead cells stays dead; see [`window`]).
    skip: bool,
    /// Where the current generation's live cells are: `None` until it is scanned (at the start,
    /// and after [`CpuLife::grid_mut`]), then `Some(None)` for a dead grid.
    live: Option<Option<Extent>>,
    /// The words of `next` that may hold live cells (from the generation before `current`).
    next_dirty: Window,
    /// Passes since the live cells' extent was last read. While the window is the whole grid (a
    /// soup), the extent is read only every [`WHOLE_RESCAN_PASSES`]th pass and taken as the
    /// whole grid in between: always a valid bound, and the read of every row's ends cost the
    /// one-generation packed kernel about 9% of a 4096² pass.
    passes_since_scan: u32,
}

impl CpuLife {
    /// A serial engine: one thread, one band, one generation per pass.
    pub fn serial(grid: Grid, rule: Rule, topology: Topology) -> Self {
        Self::build(grid, rule, topology, None, false)
    }

    /// A Rayon engine on a pool of `threads` threads (0: one per logical core), one generation
    /// per pass.
    pub fn rayon(
        grid: Grid,
        rule: Rule,
        topology: Topology,
        threads: usize,
    ) -> crate::Result<Self> {
        let pool = crate::backend::rayon_pool(threads)?;
        Ok(Self::build(grid, rule, topology, Some(pool), false))
    }

    /// The tiled kernel: like [`CpuLife::serial`] (`threads` `None`) or [`CpuLife::rayon`]
    /// (`Some(n)`), but each pass over memory advances a cache-sized block of rows several
    /// generations, so the grid crosses the memory bus once every few generations.
    pub fn tiled(
        grid: Grid,
        rule: Rule,
        topology: Topology,
        threads: Option<usize>,
    ) -> crate::Result<Self> {
        let pool = threads.map(crate::backend::rayon_pool).transpose()?;
        Ok(Self::build(grid, rule, topology, pool, true))
    }

    /// Like [`CpuLife::tiled`] with the tile plan given: tests use tiny blocks to check the halo
    /// handling on small grids.
    #[doc(hidden)]
    pub fn tiled_with(
        grid: Grid,
        rule: Rule,
        topology: Topology,
        threads: Option<usize>,
        block_rows: usize,
        gens: usize,
    ) -> crate::Result<Self> {
        let mut engine = Self::tiled(grid, rule, topology, threads)?;
        let plan = TilePlan {
            block_rows: block_rows.clamp(1, engine.rows_per_band),
            gens: gens.max(1),
        };
        engine.set_tiles(plan);
        engine.refit_tiles = false;
        Ok(engine)
    }

    fn build(
        grid: Grid,
        rule: Rule,
        topology: Topology,
        pool: Option<rayon::ThreadPool>,
        tiled: bool,
    ) -> Self {
        // SPEEDUP_CPU is checked when speedup starts; a library caller with a bad value gets
        // the preferred level rather than an error from an infallible constructor.
        let isa = Isa::for_kernel(&PREFERENCE).unwrap_or_else(|_| Isa::preferred(&PREFERENCE));
        let shape = Shape::whole(&grid, topology, rule, life_level(isa));
        let height = grid.height() as usize;
        let rows_per_band = match &pool {
            None => height,
            Some(p) => band_rows(p.current_num_threads(), height, shape.wpr),
        };
        let band_count = height.div_ceil(rows_per_band);
        let next = grid.dead_like();
        let mut engine = CpuLife {
            shape,
            current: grid,
            next,
            pool,
            bands: vec![Scratch::new(shape.wpr, 0); band_count],
            rows_per_band,
            last_band_count: 0,
            tiles: None,
            refit_tiles: true,
            skip: !rule.next_state(false, 0),
            live: None,
            next_dirty: Window::whole(0, 0),
            passes_since_scan: 0,
        };
        if tiled {
            engine.set_tiles(TilePlan::for_rows(shape.wpr, rows_per_band));
        }
        engine
    }

    /// Switches to the tiled kernel with `plan`, sizing each band's tile buffers for it.
    fn set_tiles(&mut self, plan: TilePlan) {
        let tile_words = plan.tile_words(self.shape.wpr);
        for band in &mut self.bands {
            band.tiles = [vec![0; tile_words], vec![0; tile_words]];
        }
        self.tiles = Some(plan);
    }

    /// The instruction-set level the row loop runs at.
    pub fn isa(&self) -> Isa {
        self.shape.isa
    }

    /// Threads this engine uses.
    pub fn threads(&self) -> usize {
        self.pool.as_ref().map_or(1, |p| p.current_num_threads())
    }

    /// Generations one pass over memory advances: more than one for the tiled kernel.
    pub fn generations_per_pass(&self) -> usize {
        self.tiles.map_or(1, |t| t.gens)
    }

    /// Advances `generations` generations.
    pub fn step(&mut self, generations: u64) {
        let per_pass = self.generations_per_pass() as u64;
        let mut passes = Vec::new();
        let mut left = generations;
        while left > 0 {
            let gens = left.min(per_pass);
            passes.push(gens as usize);
            left -= gens;
        }
        match self.pool.take() {
            // The whole run goes into the pool at once: handing each pass over from this thread
            // would wake a sleeping worker per pass (tens of microseconds in a VM, more than a
            // small grid's generation). Inside, the workers stay busy from one pass's fork-join
            // to the next.
            Some(pool) if self.bands.len() > 1 => {
                pool.install(|| {
                    for &gens in &passes {
                        self.pass(gens, true);
                    }
                });
                self.pool = Some(pool);
            }
            pool => {
                self.pool = pool;
                for &gens in &passes {
                    self.pass(gens, false);
                }
            }
        }
    }

    /// One pass over the grid advancing `gens` generations (1 unless tiled); `parallel` splits
    /// the bands across the current Rayon pool. Only the window around the live cells is stepped
    /// (see [`window`]); the rest of the new generation is dead.
    fn pass(&mut self, gens: usize, parallel: bool) {
        let whole = self.shape;
        let (width, height, stride) = (whole.width as usize, whole.height as usize, whole.stride);
        let current = self.current.words();
        let live = match self.live.take() {
            Some(live) => live,
            None if self.skip => whole_extent(current, stride, parallel),
            None => None,
        };
        let (window, was) = if self.skip {
            let window = Window::around(live.as_ref(), gens, (width, height), whole.topology);
            (
                window,
                live.as_ref().map_or(Window::whole(0, 0), Window::of),
            )
        } else {
            (Window::whole(height, stride), Window::whole(height, stride))
        };
        let out = self.next.words_mut();
        window::clear_outside(out, stride, &self.next_dirty, &window);
        let shape = whole.window(&window);
        // Bands are cut from the window, not the grid: a pattern in the middle of a large
        // bounded grid (a soup on the plane) filled only two of the grid's eight bands, and ran
        // on two threads at 1.5× one.
        // A parallel pass runs inside the engine's pool (`step` holds it meanwhile), so the
        // current Rayon pool is the engine's.
        let rows_per_band = if parallel {
            band_rows(rayon::current_num_threads(), window.rows.len(), shape.wpr)
        } else {
            window.rows.len().max(1)
        };
        let band_count = window.rows.len().div_ceil(rows_per_band);
        if self.bands.len() < band_count {
            let spare = self.bands[0].clone();
            self.bands.resize(band_count, spare);
        }
        self.last_band_count = band_count;
        let tiles = match self.tiles {
            Some(plan) if self.refit_tiles => Some(plan.for_window(shape.wpr, rows_per_band)),
            given => given,
        };
        if let Some(plan) = tiles {
            // A window taller in blocks than the grid's plan (narrower rows fit more of them)
            // may need larger buffers: grown once, kept for the passes after.
            let words = plan.tile_words(shape.wpr);
            for band in &mut self.bands[..band_count] {
                for buffer in &mut band.tiles {
                    if buffer.len() < words {
                        buffer.resize(words, 0);
                    }
                }
            }
        }
        let skip = self.skip;
        // Read the new extent unless the window is the whole grid and was read recently: the
        // whole grid then stands for it (a superset of the live cells is a valid extent).
        let whole_window = window == Window::whole(height, whole.wpr);
        let scan_now = skip && (!whole_window || self.passes_since_scan + 1 >= WHOLE_RESCAN_PASSES);
        let band = |index: usize, out: &mut [u32], scratch: &mut Scratch| {
            let first_row = window.rows.start + index * rows_per_band;
            // The new extent is read a block at a time, while the block's rows are in cache:
            // read after the whole band, each row's ends came from L3 (5% of a 4096² pass).
            let scan = scan_now.then_some(&window.words);
            match tiles {
                Some(plan) => {
                    step_tiled_band(&shape, plan, gens, current, first_row, out, scratch, scan)
                }
                None => {
                    let mut found = None;
                    for (i, part) in out.chunks_mut(SCAN_ROWS * stride).enumerate() {
                        let first = first_row + i * SCAN_ROWS;
                        let rows = grid_rows(&shape, current);
                        step_band(&shape, &rows, first as isize, part, &mut scratch.sums);
                        let cols = scan.cloned();
                        let here = cols.and_then(|c| window::extent_of(part, stride, first, c));
                        found = window::union(found, here);
                    }
                    found
                }
            }
        };
        let out = &mut out[window.rows.start * stride..window.rows.end * stride];
        let chunk = rows_per_band * stride;
        let extent = if window.is_empty() {
            None
        } else if parallel {
            out.par_chunks_mut(chunk)
                .zip(self.bands.par_iter_mut())
                .enumerate()
                .map(|(index, (out, scratch))| band(index, out, scratch))
                .reduce(|| None, window::union)
        } else {
            out.chunks_mut(chunk)
                .zip(self.bands.iter_mut())
                .enumerate()
                .map(|(index, (out, scratch))| band(index, out, scratch))
                .fold(None, window::union)
        };
        std::mem::swap(&mut self.current, &mut self.next);
        self.next_dirty = was;
        self.passes_since_scan = if scan_now {
            0
        } else {
            self.passes_since_scan + 1
        };
        let extent = if scan_now || window.is_empty() {
            extent
        } else {
            Some(Extent {
                rows: 0..height,
                cols: 0..width,
            })
        };
        self.live = skip.then_some(extent);
    }

    /// The current generation.
    pub fn grid(&self) -> &Grid {
        &self.current
    }

    /// The current generation, ending the engine (no copy).
    pub fn into_grid(self) -> Grid {
        self.current
    }

    /// The current generation, to change cells between steps (a distributed band writes its
    /// ghost rows here). Callers must keep padding bits zero.
    pub fn grid_mut(&mut self) -> &mut Grid {
        // The live cells may be anywhere now: the next pass scans for them.
        self.live = None;
        &mut self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One generation of `grid` by the row loop of level `isa`.
    fn step_with(grid: &Grid, topology: Topology, rule: Rule, isa: Isa) -> Vec<u32> {
        let shape = Shape::whole(grid, topology, rule, isa);
        let mut out = vec![0u32; grid.words().len()];
        let mut sums = RowSums::new(shape.wpr);
        let rows = grid_rows(&shape, grid.words());
        step_band(&shape, &rows, 0, &mut out, &mut sums);
        out
    }

    #[test]
    fn tiles_at_awkward_sizes_equal_the_reference_at_every_level() {
        // The tiled kernel's buffers start on a cache line and lay rows `tile_stride` words
        // apart; the strip kernel finds evenly spaced rows by arithmetic and prefetches ahead
        // of them. Rows of a vector and a word, of just over a line, of a line's multiple and
        // of a grid's 4096 cells less a few, blocks across the strip chunks (96 rows in a tile
        // buffer, 28 on 512-byte grid rows) and a short last pass: against the reference.
        use crate::life::reference::reference_run;
        for (width, height, block_rows, gens) in [
            // Tile rows of 7, 23 and 39 words: their edge words just fit a line, two, three.
            (7 * 32 - 3, 33, 9, 4),
            (23 * 32, 45, 20, 6),
            (39 * 32 - 1, 37, 11, 8),
            (9 * 32 - 5, 40, 7, 3),
            (17 * 32, 131, 100, 8),
            (1000, 61, 29, 5),
            (4096 - 7, 70, 64, 8),
            // Rows of one vector or less (soups of a batch): one strip both first and last,
            // narrower levels, a word or two.
            (256, 40, 11, 8),
            (250, 45, 13, 6),
            (128, 50, 20, 8),
            (100, 37, 9, 8),
            (64, 33, 7, 5),
            (31, 20, 5, 3),
        ] {
            // B3/S23 by its own strip; the others by the count's bits (B0 rules wake the
            // whole window, including rows a bounded grid's tiles hold outside it).
            let rules =
                ["B3/S23", "B36/S23", "B3678/S34678", "B0/S8"].map(|r| Rule::parse(r).unwrap());
            for (topology, rule) in [Topology::Torus, Topology::Bounded]
                .into_iter()
                .flat_map(|t| rules.map(|r| (t, r)))
            {
                let start = Grid::random(width, height, 0.45, u64::from(width + height)).unwrap();
                let want = reference_run(&start, rule, topology, 11);
                for &isa in Isa::detected() {
                    let mut engine =
                        CpuLife::tiled_with(start.clone(), rule, topology, None, block_rows, gens)
                            .unwrap();
                    engine.shape.isa = life_level(isa);
                    engine.step(11);
                    assert!(
                        engine.grid() == &want,
                        "{isa} {rule}: {width}x{height} {topology}, blocks of {block_rows} rows x {gens}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_level_here_equals_the_portable_rows() {
        // The reference tests check whichever row loop this CPU prefers; this one checks each
        // level this CPU has (AVX-512 and AVX2 where present) against the portable code, at
        // every width from 1 to 70 cells and at wider rows up to 2600.
        let rules = [
            "B3/S23",
            "B36/S23",
            "B3678/S34678",
            "B2/S",
            "B0/S8",
            "B01/S",
            "B3/S012345678",
        ]
        .map(|r| Rule::parse(r).unwrap());
        for width in (1..=70).chain([511, 512, 513, 1023, 1024, 1025, 2600]) {
            for topology in [Topology::Torus, Topology::Bounded] {
                for rule in rules {
                    let grid = Grid::random(width, 5, 0.45, width as u64).unwrap();
                    let portable = step_with(&grid, topology, rule, Isa::Scalar);
                    for &isa in Isa::detected() {
                        assert_eq!(
                            step_with(&grid, topology, rule, life_level(isa)),
                            portable,
                            "{isa}: width {width} {topology} {rule}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn bands_cut_from_a_growing_window_equal_the_reference() {
        // A soup in the middle of a larger bounded grid: each pass cuts its bands from the
        // window around the live cells, which grows and shrinks from pass to pass, so band
        // edges fall at new rows every pass and the band count differs from the grid's.
        use crate::life::reference::reference_run;
        // Wide enough that a window's band holds MIN_BAND_WORDS in under 200 rows: four to six
        // bands a pass.
        let (width, height) = (3000u32, 1300u32);
        let soup = Grid::random(1900, 850, 0.4, 7).unwrap();
        let mut start = Grid::new(width, height).unwrap();
        for y in 0..soup.height() {
            for x in 0..soup.width() {
                start.set(555 + x, 222 + y, soup.get(x, y));
            }
        }
        let want = reference_run(&start, Rule::CONWAY, Topology::Bounded, 20);
        for threads in [2, 3] {
            let mut packed =
                CpuLife::rayon(start.clone(), Rule::CONWAY, Topology::Bounded, threads).unwrap();
            let mut tiled = CpuLife::tiled(
                start.clone(),
                Rule::CONWAY,
                Topology::Bounded,
                Some(threads),
            )
            .unwrap();
            for engine in [&mut packed, &mut tiled] {
                // Unevenly: passes of one to the plan's generations.
                for g in [1, 7, 3, 8, 1] {
                    engine.step(g);
                }
                assert_eq!(engine.grid(), &want, "{threads} threads");
                // The window (about 870 rows of 94 words) is shared out, not run as one band.
                assert!(engine.last_band_count >= 4, "{}", engine.last_band_count);
            }
            // The window's rows are narrower than the grid's, so its blocks are taller than the
            // grid's plan allowed (`TilePlan::for_window`) and the tile buffers grew to hold them.
            let grid_plan = tiled.tiles.unwrap();
            let grid_words = grid_plan.tile_words(tiled.shape.wpr);
            assert!(
                tiled.bands[0].tiles[0].len() > grid_words,
                "{threads} threads"
            );
        }
        assert_eq!(band_rows(2, 2100, 64), 263);
        assert_eq!(band_rows(2, 10, 64), 10);
        assert_eq!(band_rows(4, 0, 64), 1);
    }

    #[test]
    fn the_whole_extent_read_on_the_pool_is_the_serial_one() {
        // Sparse grids of awkward sizes, several SCAN_ROWS chunks tall, with live cells in one
        // chunk, at chunk edges, in the first and last rows, and none at all.
        for (width, height) in [(70usize, 300usize), (1025, 257), (33, 129)] {
            let wpr = width.div_ceil(32);
            let cells: [&[(usize, usize)]; 5] = [
                &[],
                &[(5, 200)],
                &[(0, 127), (width - 1, 128)],
                &[(width / 2, 0), (1, height - 1)],
                &[(3, 3), (width - 2, 130), (40 % width, height - 2)],
            ];
            for live in cells {
                let mut words = vec![0u32; wpr * height];
                for &(x, y) in live {
                    let (x, y) = (x % width, y % height);
                    words[y * wpr + x / 32] |= 1 << (x % 32);
                }
                assert_eq!(
                    whole_extent(&words, wpr, true),
                    whole_extent(&words, wpr, false),
                    "{width}x{height} {live:?}"
                );
            }
        }
    }
}
