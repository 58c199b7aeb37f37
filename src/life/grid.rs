//! The bit-packed Life grid: one bit per cell, each row padded to whole `u32` words.
//!
//! Cell `(x, y)` lives in word `y * words_per_row + x / 32`, bit `x % 32` (bit 0 is the leftmost
//! cell of the word). Padding bits past the last column are always zero: every kernel masks its
//! output so that the invariant holds, which lets population counts and hashes read whole words.
//! The same bytes are uploaded to the GPU unchanged.

use crate::error::{Error, Result};
use crate::isa::Isa;
use crate::random::SplitMix64;
use crate::simd::{self, Simd, SimdKernel};
use rayon::prelude::*;

/// Largest number of cells a grid may hold (2^36 = 68.7 billion cells, 8 GiB bit-packed). Sizes
/// beyond it are refused before anything is allocated; the machine's memory is checked separately.
pub const MAX_CELLS: u64 = 1 << 36;

/// A width × height grid of Life cells, bit-packed into `u32` words.
#[derive(Clone, PartialEq, Eq)]
pub struct Grid {
    width: u32,
    height: u32,
    words_per_row: u32,
    words: Vec<u32>,
}

impl std::fmt::Debug for Grid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Grid {}x{} (population {})",
            self.width,
            self.height,
            self.population()
        )?;
        if self.width <= 64 && self.height <= 64 {
            writeln!(f)?;
            for y in 0..self.height {
                for x in 0..self.width {
                    f.write_str(if self.get(x, y) { "*" } else { "-" })?;
                }
                writeln!(f)?;
            }
        }
        Ok(())
    }
}

/// `len` zero words, or `None` where the memory cannot be had. The memory comes zeroed from the
/// allocator (`calloc`: fresh pages from the OS, zero until written, at no cost now) rather than
/// allocated and then filled with zeros on this thread: a large soup is then written once, by
/// every thread of the fill, not zeroed first by one.
fn zeroed_words(len: usize) -> Option<Vec<u32>> {
    if len == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u32>(len).ok()?;
    // SAFETY: the layout has a non-zero size; a non-null pointer from the global allocator with
    // this layout holds `len` initialised (zero) u32s, which is what Vec::from_raw_parts needs
    // (same allocator, same layout, length and capacity `len`).
    unsafe {
        let ptr = std::alloc::alloc_zeroed(layout).cast::<u32>();
        if ptr.is_null() {
            return None;
        }
        advise_huge_pages(ptr.cast(), layout.size());
        Some(Vec::from_raw_parts(ptr, len, len))
    }
}

/// Grids of at least this many bytes ask the kernel for 2 MiB pages.
const HUGE_PAGE_GRID_BYTES: usize = 4 << 20;

/// Asks Linux to back the 2 MiB-aligned part of a large, not yet touched allocation with
/// transparent huge pages (where THP is `madvise`, the common default, nothing else does). An
/// 8192² grid is 2048 pages of 4 KiB: as many page faults when the fill first writes it, and
/// again when the process unmaps it, which a perf profile of `life run --random 8192x8192 -g 0`
/// put at about two fifths of its time in a VM. Advice only: a kernel without THP or without
/// 2 MiB pages to spare keeps the small pages, and nothing changes but the time.
fn advise_huge_pages(ptr: *mut u8, bytes: usize) {
    #[cfg(target_os = "linux")]
    if bytes >= HUGE_PAGE_GRID_BYTES {
        const HUGE: usize = 2 << 20;
        let start = (ptr as usize).next_multiple_of(HUGE);
        let end = (ptr as usize + bytes) & !(HUGE - 1);
        if end > start {
            // SAFETY: [start, end) lies inside the allocation just made; MADV_HUGEPAGE changes
            // no contents, only how pages not yet touched will be backed.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ptr, bytes, HUGE_PAGE_GRID_BYTES);
}

/// Number of `u32` words that hold one row of `width` cells.
pub fn words_per_row(width: u32) -> u32 {
    width.div_ceil(32)
}

/// Checks that a `width` × `height` grid is allowed, before anything is allocated.
pub fn check_size(width: u64, height: u64) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::InvalidSize(format!(
            "grid size {width}x{height}: width and height must be at least 1"
        )));
    }
    if width > u32::MAX as u64 || height > u32::MAX as u64 {
        return Err(Error::InvalidSize(format!(
            "grid size {width}x{height}: each side must be below 2^32"
        )));
    }
    let padded = words_per_row(width as u32) as u64 * 32 * height;
    if padded > MAX_CELLS {
        return Err(Error::InvalidSize(format!(
            "grid size {width}x{height}: {padded} cells is more than the limit of {MAX_CELLS} (2^36, 8 GiB bit-packed)"
        )));
    }
    Ok(())
}

impl Grid {
    /// An all-dead grid. Fails for an empty or oversized grid (see [`check_size`]).
    pub fn new(width: u32, height: u32) -> Result<Self> {
        check_size(width as u64, height as u64)?;
        let wpr = words_per_row(width);
        let len = wpr as usize * height as usize;
        let words = zeroed_words(len).ok_or_else(|| {
            Error::InvalidSize(format!(
                "grid size {width}x{height}: cannot allocate {} MiB",
                (len * 4) >> 20
            ))
        })?;
        Ok(Grid {
            width,
            height,
            words_per_row: wpr,
            words,
        })
    }

    /// An all-dead grid of the same size, from zeroed memory (which the OS hands out lazily, so a
    /// large one costs nothing until it is written).
    pub(crate) fn dead_like(&self) -> Grid {
        Grid {
            // Out of memory, `vec!` aborts as the clone this replaces did.
            words: zeroed_words(self.words.len()).unwrap_or_else(|| vec![0; self.words.len()]),
            ..*self
        }
    }

    /// Builds a grid from packed words (row-major, `words_per_row(width)` per row). Padding bits are
    /// cleared so the invariant holds whatever the caller passed.
    pub fn from_words(width: u32, height: u32, words: Vec<u32>) -> Result<Self> {
        check_size(width as u64, height as u64)?;
        let wpr = words_per_row(width);
        let expected = wpr as usize * height as usize;
        if words.len() != expected {
            return Err(Error::InvalidSize(format!(
                "grid {width}x{height} needs {expected} words, got {}",
                words.len()
            )));
        }
        let mut grid = Grid {
            width,
            height,
            words_per_row: wpr,
            words,
        };
        grid.clear_padding();
        Ok(grid)
    }

    /// A grid where each cell is alive with probability `density`, drawn from a seeded generator:
    /// the same (size, density, seed) gives the same grid on every machine.
    pub fn random(width: u32, height: u32, density: f64, seed: u64) -> Result<Self> {
        Grid::random_band(width, height, density, seed, 0)
    }

    /// Rows `first_row .. first_row + rows` of `Grid::random(width, H, density, seed)` for any
    /// `H >= first_row + rows`, as a `width` × `rows` grid: a soup depends only on (seed, cell
    /// index), so a process that owns a band of a large grid draws just that band, and the bands
    /// put together are the grid one process draws.
    pub fn random_band(
        width: u32,
        rows: u32,
        density: f64,
        seed: u64,
        first_row: u64,
    ) -> Result<Self> {
        if !(0.0..=1.0).contains(&density) || density.is_nan() {
            return Err(Error::InvalidArgument(format!(
                "density {density} is not between 0 and 1"
            )));
        }
        let mut grid = Grid::new(width, rows)?;
        // A cell is alive when its 32-bit random number is below `threshold`, so the density is
        // exact to 2^-32 and does not depend on float rounding.
        let threshold = (density * 4294967296.0).min(4294967295.0) as u32;
        let all = density >= 1.0;
        // Word g of the grid (row by row, `words_per_row` to a row, whatever the grid's height)
        // takes its numbers from draws 16g .. 16g+15 of the SplitMix64 stream, so a word depends
        // only on (seed, g): rows are filled in parallel, and any band of rows on its own.
        let wpr = grid.words_per_row as usize;
        let last_bits = width - 32 * (wpr as u32 - 1);
        let last_mask = if last_bits == 32 {
            u32::MAX
        } else {
            (1u32 << last_bits) - 1
        };
        // At least ~4096 words (about 10 µs of drawing) per task, so a small soup (one of many in
        // a batch, each already on its own core) is drawn in one go instead of split into tasks
        // that cost more to hand out than to run.
        grid.words
            .par_chunks_mut(wpr)
            .with_min_len(4096usize.div_ceil(wpr))
            .enumerate()
            .for_each(|(y, row)| {
                let first = (first_row + y as u64) * wpr as u64;
                if all {
                    row.fill(u32::MAX);
                } else {
                    random_words(seed, first, threshold, row);
                }
                row[wpr - 1] &= last_mask;
            });
        Ok(grid)
    }

    /// Parses the compact text form used in tests: rows separated by `/`, `*` or `O` alive, any
    /// other character dead; short rows are padded with dead cells.
    pub fn from_text(text: &str) -> Result<Self> {
        let rows: Vec<&str> = text.split('/').collect();
        let width = rows.iter().map(|r| r.chars().count()).max().unwrap_or(0) as u32;
        let mut grid = Grid::new(width.max(1), rows.len() as u32)?;
        for (y, row) in rows.iter().enumerate() {
            for (x, c) in row.chars().enumerate() {
                if c == '*' || c == 'O' {
                    grid.set(x as u32, y as u32, true);
                }
            }
        }
        Ok(grid)
    }

    /// The compact text form (see [`Grid::from_text`]) with `*` alive and `-` dead.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for y in 0..self.height {
            if y > 0 {
                out.push('/');
            }
            for x in 0..self.width {
                out.push(if self.get(x, y) { '*' } else { '-' });
            }
        }
        out
    }

    /// Width in cells.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in cells.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Number of cells, width × height.
    pub fn cells(&self) -> u64 {
        self.width as u64 * self.height as u64
    }

    /// Words per row, including the padded tail word.
    pub fn words_per_row(&self) -> u32 {
        self.words_per_row
    }

    /// All words, row-major.
    pub fn words(&self) -> &[u32] {
        &self.words
    }

    /// All words, mutably. Callers must keep padding bits zero (see [`Grid::clear_padding`]).
    pub fn words_mut(&mut self) -> &mut [u32] {
        &mut self.words
    }

    /// The words, row-major, given up without a copy (a reader that gathered cells in a grid of
    /// its own takes them back for [`Grid::from_words`] at another height).
    pub(crate) fn into_words(self) -> Vec<u32> {
        self.words
    }

    /// One row's words.
    pub fn row(&self, y: u32) -> &[u32] {
        let wpr = self.words_per_row as usize;
        &self.words[y as usize * wpr..(y as usize + 1) * wpr]
    }

    /// Mask of the valid bits in the last word of each row.
    pub fn last_word_mask(&self) -> u32 {
        last_word_mask(self.width)
    }

    /// Whether cell (x, y) is alive. Panics if out of range.
    pub fn get(&self, x: u32, y: u32) -> bool {
        assert!(
            x < self.width && y < self.height,
            "cell ({x}, {y}) outside grid"
        );
        let word = self.words[y as usize * self.words_per_row as usize + (x / 32) as usize];
        (word >> (x % 32)) & 1 == 1
    }

    /// Sets cell (x, y). Panics if out of range.
    pub fn set(&mut self, x: u32, y: u32, alive: bool) {
        assert!(
            x < self.width && y < self.height,
            "cell ({x}, {y}) outside grid"
        );
        let word = &mut self.words[y as usize * self.words_per_row as usize + (x / 32) as usize];
        let bit = 1u32 << (x % 32);
        if alive {
            *word |= bit;
        } else {
            *word &= !bit;
        }
    }

    /// Number of live cells.
    pub fn population(&self) -> u64 {
        count_live(&self.words)
    }

    /// Clears the padding bits of every row's last word.
    pub fn clear_padding(&mut self) {
        let mask = self.last_word_mask();
        if mask == u32::MAX {
            return;
        }
        let wpr = self.words_per_row as usize;
        for row in self.words.chunks_exact_mut(wpr) {
            row[wpr - 1] &= mask;
        }
    }

    /// A hash of size and contents ([`HASH_ALGORITHM`], 64 bits) as 16 hex digits: equal grids
    /// give equal hashes on every backend and machine, so runs can be compared by it.
    pub fn hash_hex(&self) -> String {
        format!("{:016x}", grid_hash(self, false))
    }

    /// [`Grid::hash_hex`] computed on every thread of Rayon's pool: the same value (blocks are
    /// hashed independently and folded in order), for runs that already use Rayon.
    pub fn hash_hex_parallel(&self) -> String {
        format!("{:016x}", grid_hash(self, true))
    }

    /// [`Grid::population`] and [`Grid::hash_hex`] in one read of the words (on Rayon's pool
    /// when `parallel`): each block is counted, then digested while it is still in cache, and a
    /// block without a live cell takes the digest of zeros, made once, instead of being read
    /// again. A run's summary read a pattern's sparse 16384² grid (32 MiB) twice for these two
    /// figures.
    pub fn population_and_hash_hex(&self, parallel: bool) -> (u64, String) {
        let (population, hash) = census(self, parallel, true);
        (population, format!("{hash:016x}"))
    }

    /// Live cells as (x, y) pairs, row by row.
    pub fn live_cells(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let wpr = self.words_per_row as usize;
        self.words.iter().enumerate().flat_map(move |(i, &w)| {
            let y = (i / wpr) as u32;
            let x0 = ((i % wpr) * 32) as u32;
            BitIter(w).map(move |b| (x0 + b, y))
        })
    }

    /// The smallest rectangle holding every live cell, as (x, y, width, height); `None` if empty.
    pub fn bounding_box(&self) -> Option<(u32, u32, u32, u32)> {
        let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
        for (x, y) in self.live_cells() {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
        (x0 != u32::MAX).then(|| (x0, y0, x1 - x0 + 1, y1 - y0 + 1))
    }

    /// Copies `pattern` into this grid with its top-left corner at (`x0`, `y0`); cells that fall
    /// outside are dropped.
    pub fn paste(&mut self, pattern: &Grid, x0: u32, y0: u32) {
        for (x, y) in pattern.live_cells() {
            let (gx, gy) = (x0 as u64 + x as u64, y0 as u64 + y as u64);
            if gx < self.width as u64 && gy < self.height as u64 {
                self.set(gx as u32, gy as u32, true);
            }
        }
    }
}

/// Mask of the valid bits in the last word of a row of `width` cells.
pub fn last_word_mask(width: u32) -> u32 {
    match width % 32 {
        0 => u32::MAX,
        r => (1u32 << r) - 1,
    }
}

struct BitIter(u32);

impl Iterator for BitIter {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.0 == 0 {
            return None;
        }
        let b = self.0.trailing_zeros();
        self.0 &= self.0 - 1;
        Some(b)
    }
}

/// Words `first..first + out.len()` of a soup ([`random_word`] each), eight at a time in
/// lock-step: a word's comparison stops once its 32 cells are decided, after a number of levels
/// that differs from word to word, so one word at a time mispredicted that exit about once a word
/// (`--random 8192x8192 -g 0` spent 52 ms drawing at density 0.3, 7 ms at 0.5, where one level
/// decides every cell). Eight words run the levels until all eight are decided: one exit in eight
/// words, for the levels the first-decided words then run for nothing (their `undecided` is zero,
/// so nothing changes). Four lanes drew the 0.3 soup in 30 ms, eight in 24 ms.
fn random_words(seed: u64, first: u64, threshold: u32, out: &mut [u32]) {
    const LANES: usize = 8;
    let mut chunks = out.chunks_exact_mut(LANES);
    let mut word = first;
    for chunk in &mut chunks {
        let (mut alive, mut undecided) = ([0u32; LANES], [u32::MAX; LANES]);
        let mut draws = [0u64; LANES];
        for level in 0..32u32 {
            let rest = threshold << level;
            if rest == 0 || undecided.iter().all(|&u| u == 0) {
                break;
            }
            for lane in 0..LANES {
                if level % 2 == 0 {
                    draws[lane] =
                        SplitMix64::draw(seed, 16 * (word + lane as u64) + level as u64 / 2);
                }
                let bits = (draws[lane] >> (32 * (level % 2))) as u32;
                if rest >> 31 == 1 {
                    alive[lane] |= undecided[lane] & !bits;
                    undecided[lane] &= bits;
                } else {
                    undecided[lane] &= !bits;
                }
            }
        }
        chunk.copy_from_slice(&alive);
        word += LANES as u64;
    }
    for (i, out) in chunks.into_remainder().iter_mut().enumerate() {
        *out = random_word(seed, word + i as u64, threshold);
    }
}

/// 32 cells of a random soup, bit-sliced: cell b is alive when its 32-bit number X_b is below
/// `threshold`. Bit 31 - L of every X_b (most significant first) is bit b of the 32-bit level L;
/// level L is half L % 2 (low half first) of draw 16 * `word` + L / 2. The comparison runs from
/// the most significant level down and stops as soon as every cell is decided (X_b and the
/// threshold differ in a bit) or the threshold's remaining bits are zero (no undecided cell can
/// then be below it): about 7 levels, 4 draws, for 32 cells instead of 32 draws.
#[inline]
fn random_word(seed: u64, word: u64, threshold: u32) -> u32 {
    let (mut alive, mut undecided) = (0u32, u32::MAX);
    let mut draw = 0u64;
    for level in 0..32u32 {
        let rest = threshold << level;
        if undecided == 0 || rest == 0 {
            break;
        }
        if level % 2 == 0 {
            draw = SplitMix64::draw(seed, 16 * word + level as u64 / 2);
        }
        let bits = (draw >> (32 * (level % 2))) as u32;
        if rest >> 31 == 1 {
            // Threshold bit 1: a cell with bit 0 here is below it; with 1, still undecided.
            alive |= undecided & !bits;
            undecided &= bits;
        } else {
            // Threshold bit 0: a cell with bit 1 here is above it.
            undecided &= !bits;
        }
    }
    alive
}

/// Runs `count`, a loop of `count_ones` over grid words, compiled at the widest level this CPU
/// runs ([`Isa::for_kernel`], so `SPEEDUP_CPU` lowers it too): the x86-64 baseline has no
/// `popcnt` and counts with shifts and masks 16 bytes at a time; compiled for AVX2, LLVM counts
/// 32 bytes at a time by nibble lookups (`vpshufb`). The closure is called once, inside the
/// level's `#[target_feature]` function, which is what compiles its loop for the level.
pub(crate) fn counting<R>(count: impl FnOnce() -> R) -> R {
    struct Counting<F>(F);
    impl<R, F: FnOnce() -> R> SimdKernel for Counting<F> {
        type Output = R;
        #[inline(always)]
        fn run<S: Simd>(self, _: S) -> R {
            (self.0)()
        }
    }
    let level =
        Isa::for_kernel(&[Isa::Avx512, Isa::Avx2, Isa::Neon, Isa::Sse2]).unwrap_or(Isa::Scalar);
    simd::dispatch(level, Counting(count))
}

/// Words per block of a count: its sum fits a u32 (at most 32 × 2^16 = 2^21), so the vector
/// loop adds 32-bit lanes; the blocks' sums are added as u64, for grids of more than 2^32 cells.
pub(crate) const COUNT_BLOCK_WORDS: usize = 1 << 16;

/// Live cells in `words`, [`counting`] at the CPU's level. An 8192² soup's population (8 MiB)
/// took about 2 ms at the x86-64 baseline, a quarter of that with AVX2 (docs/performance.md,
/// "Counting cells at the CPU's level").
pub(crate) fn count_live(words: &[u32]) -> u64 {
    counting(|| {
        words
            .chunks(COUNT_BLOCK_WORDS)
            .map(|block| block.iter().map(|w| w.count_ones()).sum::<u32>() as u64)
            .sum()
    })
}

/// The name of the grid hash, written beside every hash in JSON and CSV output, so that a
/// report made with another hash (speedup before this one used FNV-1a a byte at a time) is never
/// compared with this one by mistake.
pub const HASH_ALGORITHM: &str = "wordmix64-v2";

/// Words hashed per block; blocks are hashed independently (in parallel when asked) and their
/// digests folded in order, so the value does not depend on the thread count.
const HASH_BLOCK_WORDS: usize = 1 << 14;

/// Odd constants for the lanes and the fold (digits of pi, as wyhash draws its secrets).
const HASH_KEYS: [u64; 6] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7345,
    0xa409_3822_299f_31d1,
    0x082e_fa98_ec4e_6c89,
    0x4528_21e6_38d0_1377,
    0xbe54_66cf_34e9_0c6d,
];

/// The 128-bit product of `a` and `b`, folded to 64 bits (wyhash's `mum`): one `mul` on x86-64
/// and AArch64, and every input bit reaches the middle of the product.
#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let r = a as u128 * b as u128;
    r as u64 ^ (r >> 64) as u64
}

/// The digest of one block of grid words: four independent lanes, each taking 128 bits per
/// multiply, so that the multiplier's latency is hidden and the loop runs at memory speed. The
/// words are read as numbers (pairs of `u32` make a `u64`), so the value is the same on every
/// byte order.
fn block_digest(words: &[u32]) -> u64 {
    let mut lanes = [HASH_KEYS[0], HASH_KEYS[1], HASH_KEYS[2], HASH_KEYS[3]];
    let pair = |w: &[u32]| w[0] as u64 | (w[1] as u64) << 32;
    let mut chunks = words.chunks_exact(16);
    for chunk in chunks.by_ref() {
        for (k, lane) in lanes.iter_mut().enumerate() {
            let w = &chunk[4 * k..4 * k + 4];
            *lane = fold_mul(pair(&w[0..2]) ^ HASH_KEYS[k], pair(&w[2..4]) ^ *lane);
        }
    }
    // The tail (fewer than 16 words), zero-padded; the length below tells paddings apart.
    let mut tail = [0u32; 16];
    let rest = chunks.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    for (k, lane) in lanes.iter_mut().enumerate() {
        let w = &tail[4 * k..4 * k + 4];
        *lane = fold_mul(pair(&w[0..2]) ^ HASH_KEYS[k], pair(&w[2..4]) ^ *lane);
    }
    fold_mul(lanes[0] ^ HASH_KEYS[4], lanes[1] ^ words.len() as u64)
        ^ fold_mul(lanes[2] ^ HASH_KEYS[5], lanes[3])
}

/// The grid hash ([`HASH_ALGORITHM`]): the size, then each block's digest folded in order.
fn grid_hash(grid: &Grid, parallel: bool) -> u64 {
    census(grid, parallel, false).1
}

/// A block of zeros as long as a hash block, for [`zero_block_digest`].
static ZERO_BLOCK: [u32; HASH_BLOCK_WORDS] = [0; HASH_BLOCK_WORDS];

/// The digest of a block of `len` zero words; a whole block's is made once per process.
fn zero_block_digest(len: usize) -> u64 {
    static WHOLE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    if len == HASH_BLOCK_WORDS {
        *WHOLE.get_or_init(|| block_digest(&ZERO_BLOCK))
    } else {
        block_digest(&ZERO_BLOCK[..len])
    }
}

/// The population (with `count`; else 0) and the grid hash: the size, then each block's digest
/// folded in order. Counting first lets an empty block skip its digest's multiplies.
fn census(grid: &Grid, parallel: bool, count: bool) -> (u64, u64) {
    let size = grid.width as u64 | (grid.height as u64) << 32;
    let mut h = fold_mul(size ^ HASH_KEYS[0], grid.words.len() as u64 ^ HASH_KEYS[1]);
    let mut population = 0;
    let mut fold = |(live, digest): (u64, u64)| {
        population += live;
        h = fold_mul(h ^ digest, HASH_KEYS[4]);
    };
    let block = |words: &[u32]| match count.then(|| count_live(words)) {
        Some(0) => (0, zero_block_digest(words.len())),
        live => (live.unwrap_or(0), block_digest(words)),
    };
    if parallel && grid.words.len() > HASH_BLOCK_WORDS {
        let blocks: Vec<(u64, u64)> = grid.words.par_chunks(HASH_BLOCK_WORDS).map(block).collect();
        blocks.into_iter().for_each(&mut fold);
    } else {
        grid.words
            .chunks(HASH_BLOCK_WORDS)
            .map(block)
            .for_each(&mut fold);
    }
    (population, fold_mul(h, HASH_KEYS[5]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count_live` at every level this CPU runs equals a bit-by-bit count, at lengths around
    /// the vector widths and across the u32 sum's block of 2^16 words, with words of every
    /// population from 0 to 32.
    #[test]
    fn count_live_at_every_level_equals_a_bit_count() {
        let mut rng = SplitMix64::new(7);
        let words: Vec<u32> = (0..(1 << 16) + 77)
            .map(|i| match i % 5 {
                0 => u32::MAX,
                1 => 0,
                _ => rng.next_u64() as u32 & (u32::MAX >> (i % 33).min(31)),
            })
            .collect();
        let bits = |w: &[u32]| -> u64 {
            w.iter()
                .map(|&x| (0..32).filter(|b| x >> b & 1 == 1).count() as u64)
                .sum()
        };
        for &isa in Isa::detected().iter().chain([Isa::Scalar].iter()) {
            for len in [
                0,
                1,
                7,
                8,
                15,
                16,
                17,
                31,
                33,
                64,
                1000,
                1 << 16,
                words.len(),
            ] {
                let got = isa.forced_here(|| count_live(&words[..len])).unwrap();
                assert_eq!(got, bits(&words[..len]), "{isa}, {len} words");
            }
        }
        if !Isa::Avx512.is_supported() {
            eprintln!("avx512 skipped: this CPU has no AVX-512");
        }
    }

    #[test]
    fn set_get_and_padding() {
        let mut g = Grid::new(33, 2).unwrap();
        assert_eq!(g.words_per_row(), 2);
        g.set(32, 1, true);
        assert!(g.get(32, 1));
        assert_eq!(g.population(), 1);
        assert_eq!(g.words()[3], 1);
        let g2 = Grid::from_words(33, 1, vec![0, u32::MAX]).unwrap();
        assert_eq!(g2.population(), 1);
    }

    #[test]
    fn text_round_trip() {
        let t = "---*-/*---*/-----";
        assert_eq!(Grid::from_text(t).unwrap().to_text(), t);
    }

    #[test]
    fn hostile_sizes_refused() {
        assert!(Grid::new(0, 5).is_err());
        assert!(Grid::new(1 << 20, 1 << 20).is_err());
    }

    /// The soup's definition written cell by cell, with nothing bit-sliced and no early stop:
    /// cell (x, y) is alive when its whole 32-bit number is below the threshold.
    fn random_cell(width: u32, density: f64, seed: u64, x: u32, y: u64) -> bool {
        let threshold = (density * 4294967296.0).min(4294967295.0) as u64;
        let word = y * words_per_row(width) as u64 + x as u64 / 32;
        let mut number = 0u64;
        for level in 0..32u64 {
            let draw = SplitMix64::draw(seed, 16 * word + level / 2);
            let half = (draw >> (32 * (level % 2))) as u32;
            number = (number << 1) | ((half >> (x % 32)) & 1) as u64;
        }
        density >= 1.0 || number < threshold
    }

    #[test]
    fn words_drawn_eight_at_a_time_are_the_words_drawn_one_at_a_time() {
        for threshold in [
            1u32,
            0x4CCC_CCCD,
            0x8000_0000,
            0x8000_0001,
            0xFFFF_FFFF,
            12345,
        ] {
            for len in [0usize, 1, 3, 7, 8, 9, 15, 16, 17, 64, 67] {
                let mut words = vec![0u32; len];
                random_words(77, 1000, threshold, &mut words);
                for (i, &w) in words.iter().enumerate() {
                    assert_eq!(
                        w,
                        random_word(77, 1000 + i as u64, threshold),
                        "{threshold:#x} {len} {i}"
                    );
                }
            }
        }
    }

    #[test]
    fn random_soup_is_its_cell_by_cell_definition() {
        for (w, h, density, seed) in [
            (45u32, 7u32, 0.37, 99u64),
            (33, 5, 0.5, 1),
            (64, 3, 0.0001, 5),
            (31, 4, 0.999_999, 6),
            (100, 2, 0.0, 7),
            (65, 2, 1.0, 8),
        ] {
            let grid = Grid::random(w, h, density, seed).unwrap();
            for y in 0..h {
                for x in 0..w {
                    assert_eq!(
                        grid.get(x, y),
                        random_cell(w, density, seed, x, y as u64),
                        "{w}x{h} density {density}: cell ({x}, {y})"
                    );
                }
            }
            // Bits past the width stay clear (population and hashes count whole words).
            let alive = (0..h)
                .flat_map(|y| (0..w).map(move |x| (x, y)))
                .filter(|&(x, y)| grid.get(x, y))
                .count() as u64;
            assert_eq!(grid.population(), alive);
        }
    }

    #[test]
    fn random_densities_hold() {
        for density in [0.01, 0.1, 0.3, 0.5, 0.77, 0.99] {
            let g = Grid::random(1000, 1000, density, 3).unwrap();
            let p = g.population() as f64 / g.cells() as f64;
            // Binomial: sd at most 0.0005 for a million cells; 0.003 is six of them.
            assert!((p - density).abs() < 0.003, "density {density}: got {p}");
        }
    }

    #[test]
    fn random_bands_put_together_are_the_grid() {
        let (w, h, density, seed) = (70u32, 13u32, 0.41, 7u64);
        let whole = Grid::random(w, h, density, seed).unwrap();
        for (first, rows) in [(0u32, 5u32), (5, 1), (6, 7)] {
            let band = Grid::random_band(w, rows, density, seed, first as u64).unwrap();
            for y in 0..rows {
                for x in 0..w {
                    assert_eq!(
                        band.get(x, y),
                        whole.get(x, first + y),
                        "cell ({x}, {})",
                        first + y
                    );
                }
            }
        }
    }

    #[test]
    fn random_is_seeded() {
        let a = Grid::random(100, 37, 0.3, 7).unwrap();
        let b = Grid::random(100, 37, 0.3, 7).unwrap();
        let c = Grid::random(100, 37, 0.3, 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let p = a.population() as f64 / a.cells() as f64;
        assert!((p - 0.3).abs() < 0.05, "density {p}");
    }

    #[test]
    fn hash_sees_every_bit_and_the_size_and_does_not_depend_on_threads() {
        // Awkward sizes: a tail in the last 16-word chunk, several hash blocks.
        let g = Grid::random(1000, 1100, 0.5, 9).unwrap();
        assert!(g.words().len() > 2 * HASH_BLOCK_WORDS);
        let h = g.hash_hex();
        assert_eq!(h, g.hash_hex_parallel());
        let mut seen = std::collections::HashSet::new();
        seen.insert(h);
        for &(x, y) in &[
            (0, 0),
            (31, 0),
            (32, 0),
            (999, 0),
            (500, 150),
            (999, 299),
            (0, 299),
        ] {
            let mut flipped = g.clone();
            flipped.set(x, y, !g.get(x, y));
            assert!(
                seen.insert(flipped.hash_hex()),
                "flip at ({x}, {y}) not seen"
            );
        }
        // The same words under another size.
        let a = Grid::from_words(64, 1, vec![1, 2]).unwrap();
        let b = Grid::from_words(32, 2, vec![1, 2]).unwrap();
        assert_ne!(a.hash_hex(), b.hash_hex());
        // Swapping two words changes the hash (lanes and blocks are ordered).
        let c = Grid::from_words(64, 1, vec![2, 1]).unwrap();
        assert_ne!(a.hash_hex(), c.hash_hex());
    }

    /// Counting and hashing in one read gives both figures as they are apart, serial and
    /// parallel: on grids of empty blocks (the digest of zeros taken from the cache), a short
    /// empty last block, a soup, and a grid with one live cell in one block.
    #[test]
    fn population_and_hash_in_one_read_equal_each_alone() {
        let mut sparse = Grid::new(2000, 1200).unwrap();
        sparse.set(1999, 700, true);
        let cases = [
            Grid::new(2048, 1024).unwrap(),
            Grid::new(1000, 1100).unwrap(),
            Grid::random(1000, 1100, 0.5, 9).unwrap(),
            sparse,
            Grid::new(5, 3).unwrap(),
        ];
        for g in cases {
            let alone = (g.population(), g.hash_hex());
            for parallel in [false, true] {
                assert_eq!(
                    g.population_and_hash_hex(parallel),
                    alone,
                    "{}x{} parallel {parallel}",
                    g.width(),
                    g.height()
                );
            }
        }
    }
}
