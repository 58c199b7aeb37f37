//! The CPU Life kernels: serial and Rayon share one bit-sliced row-band kernel.
//!
//! Each generation is computed on whole 32-cell words with a full-adder network, never cell by
//! cell. For every row we first form the *horizontal* 3-cell sums (west + self + east) as two bit
//! planes, then add the sums of the rows above, at and below into the 3×3 sum (0..=9) as four bit
//! planes, and apply the rule to that sum and the cell's own state (see
//! [`Rule::nine_sum_masks`]). A band of rows keeps the horizontal sums of three rows in a rolling
//! scratch buffer, so each row's sums are computed once per band, not three times.
//!
//! Serial runs one band covering the grid; Rayon splits the rows into bands that run on the pool.
//! Halo rows are read in place from the previous generation, and scratch buffers are allocated
//! once per engine, not per generation.

use super::grid::{last_word_mask, Grid};
use super::rule::{Rule, Topology};
use rayon::prelude::*;

/// Everything a row kernel needs to know about the grid's shape and the rule.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    pub width: u32,
    pub height: u32,
    pub wpr: usize,
    pub topology: Topology,
    pub rule: Rule,
}

/// Fewest words a Rayon band gets: about ten microseconds of work at this kernel's speed, more than
/// a fork-join across the pool costs, so splitting does not make a small generation slower.
const MIN_BAND_WORDS: usize = 1 << 14;

/// Words processed per block when applying the rule; small enough to stay in L1.
const BLOCK: usize = 256;

/// Per-band scratch: horizontal sums (two planes) of three consecutive rows, and rule-stage
/// temporaries.
#[derive(Clone, Debug)]
pub(crate) struct Scratch {
    ones: [Vec<u32>; 3],
    twos: [Vec<u32>; 3],
}

impl Scratch {
    pub(crate) fn new(wpr: usize) -> Self {
        Scratch {
            ones: [vec![0; wpr], vec![0; wpr], vec![0; wpr]],
            twos: [vec![0; wpr], vec![0; wpr], vec![0; wpr]],
        }
    }
}

/// The row `y + dy` as seen from row `y`: wrapped on a torus, `None` (all dead) outside a bounded
/// grid.
fn neighbour_row(shape: &Shape, y: usize, dy: isize) -> Option<usize> {
    let h = shape.height as isize;
    let ny = y as isize + dy;
    match shape.topology {
        Topology::Torus => Some(ny.rem_euclid(h) as usize),
        Topology::Bounded => (0..h).contains(&ny).then_some(ny as usize),
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
    let width = shape.width;
    let last_bit = (width - 1) % 32;
    // The bits shifted in at the row's two ends: on a torus the cell from the other end,
    // when bounded a dead cell.
    let (west_in, east_in) = match shape.topology {
        Topology::Torus => {
            let last = (width - 1) as usize;
            let last_cell = (row[last / 32] >> (last % 32)) & 1;
            (last_cell, row[0] & 1)
        }
        Topology::Bounded => (0, 0),
    };
    let add3 = |west: u32, mid: u32, east: u32| -> (u32, u32) {
        let ab = west ^ mid;
        (ab ^ east, (west & mid) | (ab & east))
    };
    if n == 1 {
        let w = row[0];
        let (o, t) = add3((w << 1) | west_in, w, (w >> 1) | (east_in << last_bit));
        ones[0] = o;
        twos[0] = t;
        return;
    }
    let (o, t) = add3(
        (row[0] << 1) | west_in,
        row[0],
        (row[0] >> 1) | (row[1] << 31),
    );
    ones[0] = o;
    twos[0] = t;
    // The interior loop has no branches, so the compiler vectorises it.
    let (ones_in, twos_in) = (&mut ones[1..n - 1], &mut twos[1..n - 1]);
    for (i, (o, t)) in ones_in.iter_mut().zip(twos_in.iter_mut()).enumerate() {
        let (prev, mid, next) = (row[i], row[i + 1], row[i + 2]);
        let (so, st) = add3((mid << 1) | (prev >> 31), mid, (mid >> 1) | (next << 31));
        *o = so;
        *t = st;
    }
    let w = row[n - 1];
    let (o, t) = add3(
        (w << 1) | (row[n - 2] >> 31),
        w,
        (w >> 1) | (east_in << last_bit),
    );
    ones[n - 1] = o;
    twos[n - 1] = t;
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
        combine_row_any_rule(shape.rule, (a1, a2), (m1, m2), (b1, b2), alive, out);
    }
    out[n - 1] &= last_word_mask(shape.width);
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
) {
    let (birth, survive) = rule.nine_sum_masks();
    let n = out.len();
    let mut start = 0;
    while start < n {
        let end = (start + BLOCK).min(n);
        let len = end - start;
        let mut planes = [[0u32; BLOCK]; 4];
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

/// Computes rows `first_row..first_row + out.len() / wpr` of the next generation into `out`.
///
/// The same code is compiled for the baseline instruction set and for AVX2 and AVX-512; the
/// widest one this CPU supports is picked at run time, so a portable binary still uses the
/// machine's full vector width.
pub(crate) fn step_band(
    shape: &Shape,
    current: &[u32],
    first_row: usize,
    out: &mut [u32],
    scratch: &mut Scratch,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
        {
            // SAFETY: the CPU supports the features this function was compiled for.
            return unsafe { step_band_avx512(shape, current, first_row, out, scratch) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return unsafe { step_band_avx2(shape, current, first_row, out, scratch) };
        }
    }
    step_band_generic(shape, current, first_row, out, scratch)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx2")]
unsafe fn step_band_avx512(
    shape: &Shape,
    current: &[u32],
    first_row: usize,
    out: &mut [u32],
    scratch: &mut Scratch,
) {
    step_band_generic(shape, current, first_row, out, scratch)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn step_band_avx2(
    shape: &Shape,
    current: &[u32],
    first_row: usize,
    out: &mut [u32],
    scratch: &mut Scratch,
) {
    step_band_generic(shape, current, first_row, out, scratch)
}

#[inline(always)]
fn step_band_generic(
    shape: &Shape,
    current: &[u32],
    first_row: usize,
    out: &mut [u32],
    scratch: &mut Scratch,
) {
    let wpr = shape.wpr;
    let rows = out.len() / wpr;
    let row_of = |y: Option<usize>| y.map(|y| &current[y * wpr..(y + 1) * wpr]);
    // Slots rotate: slot (k % 3) holds the sums of row first_row - 1 + k.
    let fill = |scratch: &mut Scratch, slot: usize, y: Option<usize>| {
        let (ones, twos) = (&mut scratch.ones[slot], &mut scratch.twos[slot]);
        horizontal_sums(shape, row_of(y), ones, twos);
    };
    fill(scratch, 0, neighbour_row(shape, first_row, -1));
    fill(scratch, 1, Some(first_row));
    for r in 0..rows {
        let y = first_row + r;
        fill(scratch, (r + 2) % 3, neighbour_row(shape, y, 1));
        let (above, mid, below) = (r % 3, (r + 1) % 3, (r + 2) % 3);
        let s = &*scratch;
        combine_row(
            shape,
            (&s.ones[above], &s.twos[above]),
            (&s.ones[mid], &s.twos[mid]),
            (&s.ones[below], &s.twos[below]),
            &current[y * wpr..(y + 1) * wpr],
            &mut out[r * wpr..(r + 1) * wpr],
        );
    }
}

/// A CPU Life engine: two grids swapped each generation, and scratch made once.
pub struct CpuLife {
    shape: Shape,
    current: Grid,
    next: Grid,
    /// `None`: serial. `Some`: the Rayon pool that runs the bands.
    pool: Option<rayon::ThreadPool>,
    bands: Vec<Scratch>,
    rows_per_band: usize,
}

impl CpuLife {
    /// A serial engine: one thread, one band.
    pub fn serial(grid: Grid, rule: Rule, topology: Topology) -> Self {
        Self::build(grid, rule, topology, None)
    }

    /// A Rayon engine on a pool of `threads` threads (0: one per logical core).
    pub fn rayon(
        grid: Grid,
        rule: Rule,
        topology: Topology,
        threads: usize,
    ) -> crate::Result<Self> {
        let pool = crate::backend::rayon_pool(threads)?;
        Ok(Self::build(grid, rule, topology, Some(pool)))
    }

    fn build(grid: Grid, rule: Rule, topology: Topology, pool: Option<rayon::ThreadPool>) -> Self {
        let shape = Shape {
            width: grid.width(),
            height: grid.height(),
            wpr: grid.words_per_row() as usize,
            topology,
            rule,
        };
        let height = grid.height() as usize;
        let rows_per_band = match &pool {
            None => height,
            // Several bands per thread so work-stealing can even out the load, but bands tall
            // enough that the two halo rows per band stay a small extra cost, and each band at
            // least MIN_BAND_WORDS of work: a fork-join costs microseconds, which a tiny grid's
            // whole generation does not (a grid below that runs as one band, on this thread).
            Some(p) => height
                .div_ceil(p.current_num_threads() * 4)
                .max(16)
                .max(MIN_BAND_WORDS.div_ceil(shape.wpr))
                .min(height),
        };
        let band_count = height.div_ceil(rows_per_band);
        let next = grid.clone();
        CpuLife {
            shape,
            current: grid,
            next,
            pool,
            bands: vec![Scratch::new(shape.wpr); band_count],
            rows_per_band,
        }
    }

    /// Threads this engine uses.
    pub fn threads(&self) -> usize {
        self.pool.as_ref().map_or(1, |p| p.current_num_threads())
    }

    /// Advances `generations` generations.
    pub fn step(&mut self, generations: u64) {
        match self.pool.take() {
            // The whole run goes into the pool at once: handing each generation over from this
            // thread would wake a sleeping worker per generation (tens of microseconds in a VM,
            // more than a small grid's generation). Inside, the workers stay busy from one
            // generation's fork-join to the next.
            Some(pool) if self.bands.len() > 1 => {
                pool.install(|| {
                    for _ in 0..generations {
                        self.step_once(true);
                    }
                });
                self.pool = Some(pool);
            }
            pool => {
                self.pool = pool;
                for _ in 0..generations {
                    self.step_once(false);
                }
            }
        }
    }

    /// One generation; `parallel` splits the bands across the current Rayon pool.
    fn step_once(&mut self, parallel: bool) {
        let shape = self.shape;
        let rows_per_band = self.rows_per_band;
        let current = self.current.words();
        let out = self.next.words_mut();
        if parallel {
            out.par_chunks_mut(rows_per_band * shape.wpr)
                .zip(self.bands.par_iter_mut())
                .enumerate()
                .for_each(|(band, (out, scratch))| {
                    step_band(&shape, current, band * rows_per_band, out, scratch)
                });
        } else {
            step_band(&shape, current, 0, out, &mut self.bands[0]);
        }
        std::mem::swap(&mut self.current, &mut self.next);
    }

    /// The current generation.
    pub fn grid(&self) -> &Grid {
        &self.current
    }
}
