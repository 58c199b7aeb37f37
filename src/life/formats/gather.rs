//! Cells that come one at a time in any order (Life 1.06's `x y` lines), gathered into a grid
//! during the one pass that reads them.
//!
//! The grid's size is the cells' bounding box, known only at the end of the file. Reading the
//! text twice (the box first, then the cells) doubled the parse; holding a list of every cell
//! costs fresh memory the size of the text, whose page faults alone (about 2.5 µs each on the
//! development guest) cost more than a second parse. Instead the cells are buffered a few
//! thousand at a time (a buffer that stays in the L1/L2 cache) and set into a working grid that
//! grows, by doubling, to hold the box seen so far: a grid is a few percent of its text, so the
//! copies made while it grows cost little. At the end the working grid becomes the pattern's
//! grid, without a copy when its left edge and width match the box (a soup), else by one
//! shifted copy.
//!
//! When the box grows past what may be allocated, the working grid is dropped and only the box
//! is kept; the caller then reads the text a second time, as before (so a hostile file is
//! refused with the same error, before anything of its size is allocated).

use super::{new_grid, BoundingBox};
use crate::error::Result;
use crate::life::grid::{words_per_row, Grid};
use crate::life::memory::check_grids;

/// Cells buffered before they are set: 64 KiB of coordinates.
const CHUNK: usize = 4096;

/// Most cells a reader writes in place at once ([`Gather::room`]).
pub(crate) const ROOM: usize = 16;

/// See the module documentation.
pub(crate) struct Gather {
    chunk: Vec<(i64, i64)>,
    len: usize,
    area: Option<Area>,
    /// Set once the cells outgrew what may be held: from then on only their box is kept.
    overflow: Option<BoundingBox>,
    /// How far into its text the reader is, and the text's length: how much a box that grows
    /// as the file goes on is likely to grow yet.
    at: usize,
    total: usize,
}

/// The working grid: its column 0 is `x0`, its row 0 is `y0`, and it is `32 * words_per_row`
/// columns wide (no padding bits). Only rows `rows.0 .. rows.1` were ever written: the rest
/// is memory the allocator gave zeroed and untouched, which costs nothing until it is read,
/// so it is never read (a grid grown ahead of a file's pace may be mostly that).
struct Area {
    x0: i64,
    y0: i64,
    grid: Grid,
    rows: (usize, usize),
}

impl Area {
    /// The box of the live cells, in the file's coordinates: from the rows that hold any, and
    /// from all rows ORed together for the columns.
    fn live_box(&self) -> BoundingBox {
        let wpr = self.grid.words_per_row() as usize;
        let (lo, hi) = self.rows;
        let mut bounds = BoundingBox::default();
        if lo >= hi {
            // Nothing written (a reserved grid before its first cell).
            return bounds;
        }
        let rows = self.grid.words()[lo * wpr..hi * wpr].chunks_exact(wpr);
        let mut columns = vec![0u32; wpr];
        let (mut first, mut last) = (None, 0);
        for (r, row) in (lo..).zip(rows) {
            let mut any = 0;
            for (c, &w) in columns.iter_mut().zip(row) {
                *c |= w;
                any |= w;
            }
            if any != 0 {
                first.get_or_insert(r);
                last = r;
            }
        }
        let (Some(first), Some(lo), Some(hi)) = (
            first,
            columns.iter().position(|&w| w != 0),
            columns.iter().rposition(|&w| w != 0),
        ) else {
            return bounds;
        };
        let lo = lo as i64 * 32 + columns[lo].trailing_zeros() as i64;
        let hi = hi as i64 * 32 + 31 - columns[hi].leading_zeros() as i64;
        bounds.add(self.x0 + lo, self.y0 + first as i64);
        bounds.add(self.x0 + hi, self.y0 + last as i64);
        bounds
    }
}

impl Gather {
    /// A gatherer for the cells of a text of `total` bytes.
    pub(crate) fn new(total: usize) -> Self {
        Gather {
            chunk: vec![(0, 0); CHUNK + ROOM],
            len: 0,
            area: None,
            overflow: None,
            at: 0,
            total,
        }
    }

    /// Adds the cell (x, y) (a cell given twice is simply alive).
    #[inline(always)]
    pub(crate) fn push(&mut self, x: i64, y: i64) {
        self.chunk[self.len % CHUNK] = (x, y);
        self.len += 1;
        if self.len >= CHUNK {
            self.flush();
        }
    }

    /// Room for [`ROOM`] cells, to be kept with [`Gather::keep`]: a reader writes them in
    /// place.
    #[inline(always)]
    pub(crate) fn room(&mut self) -> &mut [(i64, i64); ROOM] {
        let at = self.len % CHUNK;
        (&mut self.chunk[at..at + ROOM])
            .try_into()
            .expect("ROOM cells")
    }

    /// Keeps the first `n` (at most [`ROOM`]) cells written into [`Gather::room`]; the reader
    /// is at byte `at` of its text.
    #[inline(always)]
    pub(crate) fn keep(&mut self, n: usize, at: usize) {
        self.len = self.len % CHUNK + n.min(ROOM);
        if self.len >= CHUNK {
            self.at = at;
            self.flush_inline();
        }
    }

    /// Adds a row of cells from (x, y) on: cell `x + i` alive where bit `i % 32` of `bits[i /
    /// 32]` is set. `x` plus the last live cell's offset must fit an `i64`. The reader is at
    /// byte `at` of its text.
    pub(crate) fn row(&mut self, x: i64, y: i64, bits: &[u32], at: usize) {
        let Some(first) = bits.iter().position(|&w| w != 0) else {
            return;
        };
        let last = bits.iter().rposition(|&w| w != 0).unwrap_or(first);
        let lo = x + (first * 32) as i64 + bits[first].trailing_zeros() as i64;
        let hi = x + (last * 32) as i64 + 31 - bits[last].leading_zeros() as i64;
        self.at = at;
        if !self.covers([lo, y, hi, y]) {
            return;
        }
        let area = self.area.as_mut().expect("covered");
        let wpr = area.grid.words_per_row() as usize;
        let gy = y.abs_diff(area.y0) as usize;
        area.rows = (area.rows.0.min(gy), area.rows.1.max(gy + 1));
        let row = &mut area.grid.words_mut()[gy * wpr..(gy + 1) * wpr];
        // `x` may lie left of the area (dead cells before `lo`): or_bits skips those.
        // Exact: the difference is at least minus the bits' length and within the area.
        or_bits(row, x.wrapping_sub(area.x0), bits);
    }

    /// Sizes the working grid for the box `[x_lo, y_lo, x_hi, y_hi]` before any cell is given,
    /// when a reader can tell from its text where the cells will lie (Life 1.05's `#P` lines):
    /// the grid then need not grow (a copy each time) nor, when the box's left edge is right,
    /// be copied at the end. Only a hint: nothing is reserved when cells were given already or
    /// the box is more than may be allocated (the checks of a grid that grows), and cells
    /// outside it are gathered as ever.
    pub(crate) fn reserve(&mut self, b: [i64; 4]) {
        if self.area.is_none() && self.overflow.is_none() && self.len == 0 && b[0] <= b[2] {
            // `cover` changes nothing when it refuses.
            let _ = self.cover(b);
        }
    }

    /// The bounding box of every cell given so far.
    pub(crate) fn bounds(&mut self) -> BoundingBox {
        self.flush();
        match (&self.overflow, &self.area) {
            (Some(b), _) => *b,
            (None, Some(area)) => area.live_box(),
            (None, None) => BoundingBox::default(),
        }
    }

    /// Whether the working grid holds the box `[x_lo, y_lo, x_hi, y_hi]`, grown as needed;
    /// `false` (and from then on the box only) once that is more than may be allocated.
    #[inline(always)]
    fn covers(&mut self, b: [i64; 4]) -> bool {
        if let Some(area) = &self.area {
            let (w, h) = (
                32 * area.grid.words_per_row() as u64,
                area.grid.height() as u64,
            );
            let inside = |x: i64, y: i64| {
                (x.wrapping_sub(area.x0) as u64) < w && (y.wrapping_sub(area.y0) as u64) < h
            };
            if inside(b[0], b[1]) && inside(b[2], b[3]) {
                return true;
            }
        }
        self.grow_to(b)
    }

    /// [`Gather::covers`] where the working grid does not hold the box yet: out of line, as it
    /// is rare (once a reserved grid holds every row, never).
    #[inline(never)]
    fn grow_to(&mut self, b: [i64; 4]) -> bool {
        if let Some(bounds) = &mut self.overflow {
            bounds.add(b[0], b[1]);
            bounds.add(b[2], b[3]);
            return false;
        }
        if self.cover(b) {
            return true;
        }
        // Too large to hold while it grows: keep the box only (see the module docs).
        let mut bounds = self.area.take().map(|a| a.live_box()).unwrap_or_default();
        bounds.add(b[0], b[1]);
        bounds.add(b[2], b[3]);
        self.overflow = Some(bounds);
        false
    }

    #[inline(never)]
    fn flush(&mut self) {
        self.flush_inline();
    }

    /// [`Gather::flush`], inlined where a reader writes cells in place ([`Gather::keep`]), so
    /// that it is compiled with that reader's instruction set (the Life 1.06 window's AVX2:
    /// the bounds loop is then a vector loop).
    #[inline(always)]
    fn flush_inline(&mut self) {
        let n = std::mem::take(&mut self.len);
        if n == 0 {
            return;
        }
        let cells = &self.chunk[..n];
        // Most chunks fall inside the working grid: checked by the cells' largest offsets from
        // its corner (an offset left of or above it wraps around to a huge one), which also
        // give the rows written, without the box's min and max.
        let offsets = |area: &Area, cells: &[(i64, i64)]| {
            let (mut x_max, mut y_min, mut y_max) = (0u64, u64::MAX, 0u64);
            for &(x, y) in cells {
                let (gx, gy) = (
                    x.wrapping_sub(area.x0) as u64,
                    y.wrapping_sub(area.y0) as u64,
                );
                (x_max, y_min, y_max) = (x_max.max(gx), y_min.min(gy), y_max.max(gy));
            }
            let inside =
                x_max < 32 * area.grid.words_per_row() as u64 && y_max < area.grid.height() as u64;
            inside.then_some((y_min as usize, y_max as usize))
        };
        let rows = match self.area.as_ref().and_then(|area| offsets(area, cells)) {
            Some(rows) => rows,
            None => {
                let mut b = [i64::MAX, i64::MAX, i64::MIN, i64::MIN];
                for &(x, y) in cells {
                    b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
                }
                if !self.covers(b) {
                    return;
                }
                let area = self.area.as_ref().expect("covered");
                offsets(area, &self.chunk[..n]).expect("covered")
            }
        };
        let area = self.area.as_mut().expect("covered");
        let wpr = area.grid.words_per_row() as usize;
        let (x0, y0) = (area.x0, area.y0);
        let words = area.grid.words_mut();
        // Cells of one word are ORed together in a register before the word is written: a
        // sorted file's neighbours would otherwise wait on each other's store of the same word.
        // Offsets are differences inside the area (checked or made so above): `wrapping_sub`.
        let (mut at, mut bits) = (0usize, 0u32);
        for &(x, y) in &self.chunk[..n] {
            let (gx, gy) = (x.wrapping_sub(x0) as usize, y.wrapping_sub(y0) as usize);
            let word = gy * wpr + gx / 32;
            if word != at {
                words[at] |= bits;
                (at, bits) = (word, 0);
            }
            bits |= 1 << (gx % 32);
        }
        words[at] |= bits;
        area.rows = (area.rows.0.min(rows.0), area.rows.1.max(rows.1 + 1));
    }

    /// Makes the working grid hold the box `[x_lo, y_lo, x_hi, y_hi]` (and what it held);
    /// `false` when that is more than may be allocated.
    fn cover(&mut self, [x_lo, y_lo, x_hi, y_hi]: [i64; 4]) -> bool {
        let (x_lo, y_lo, x_hi, y_hi) = (x_lo as i128, y_lo as i128, x_hi as i128, y_hi as i128);
        // Left edge, top, width in words, rows: of the new area, with and without room to grow.
        let (grown, exact) = match &self.area {
            None => {
                let words = (x_hi - x_lo + 1 + 31) / 32;
                let box_ = (x_lo, y_lo, words, y_hi - y_lo + 1);
                (box_, box_)
            }
            Some(a) => {
                let (left, top) = (a.x0 as i128, a.y0 as i128);
                let (words, rows) = (a.grid.words_per_row() as i128, a.grid.height() as i128);
                // Whole words to the left (so old rows copy word for word), rows above, whole
                // words to the right, rows below: what is needed, or (grown) more, so that a
                // box that grows a little at a time is copied few times. How much more: as
                // much again as there is, or, where the file is read only in part, what the
                // box would reach at this pace by its end (a file written in order, row
                // after row or block after block, grows its box as it goes), at most 8 times.
                let need = |short: i128, unit: i128| (short.max(0) + unit - 1) / unit;
                let (l, t) = (need(left - x_lo, 32), need(top - y_lo, 1));
                let (r, b) = (
                    need(x_hi - (left + 32 * words - 1), 32),
                    need(y_hi - (top + rows - 1), 1),
                );
                let (at, total) = (self.at.max(1) as i128, self.total.max(1) as i128);
                let pace = |size: i128| (size * total / at - size).clamp(size, 8 * size);
                let more = |n: i128, size: i128| if n > 0 { n.max(pace(size)) } else { 0 };
                let grown = (
                    left - 32 * more(l, words),
                    top - more(t, rows),
                    words + more(l, words) + more(r, words),
                    rows + more(t, rows) + more(b, rows),
                );
                (grown, (left - 32 * l, top - t, words + l + r, rows + t + b))
            }
        };
        let fits = |(left, top, words, rows): (i128, i128, i128, i128)| {
            left >= i64::MIN as i128
                && top >= i64::MIN as i128
                && left + 32 * words - 1 <= i64::MAX as i128
                && top + rows - 1 <= i64::MAX as i128
                && 32 * words <= u32::MAX as i128
                && rows <= u32::MAX as i128
                // Two grids: the old one is held while it is copied, and the final one may be
                // a shifted copy of this.
                && check_grids((32 * words) as u64, rows as u64, 2, "the pattern").is_ok()
        };
        let target = match (fits(grown), fits(exact)) {
            (true, _) => grown,
            (false, true) => exact,
            (false, false) => return false,
        };
        let (left, top, words, rows) = target;
        let Ok(mut grid) = Grid::new((32 * words) as u32, rows as u32) else {
            return false;
        };
        let mut rows = (usize::MAX, 0);
        if let Some(old) = self.area.take() {
            let (dx, dy) = (
                ((old.x0 as i128 - left) / 32) as usize,
                (old.y0 as i128 - top) as usize,
            );
            let (w, wpr) = (old.grid.words_per_row() as usize, words as usize);
            let new_words = grid.words_mut();
            let (lo, hi) = old.rows;
            for r in lo..hi {
                let at = (r + dy) * wpr + dx;
                new_words[at..at + w].copy_from_slice(&old.grid.words()[r * w..(r + 1) * w]);
            }
            if lo < hi {
                rows = (lo + dy, hi + dy);
            }
        }
        self.area = Some(Area {
            x0: left as i64,
            y0: top as i64,
            grid,
            rows,
        });
        true
    }

    /// The pattern's grid, as [`Gather::finish`] makes it, or, when the cells outgrew what may
    /// be held while gathering, a grid of the bounding box's size that `read_again` fills from
    /// the text a second time, given the box's origin (x0, y0).
    pub(crate) fn into_grid(
        mut self,
        file: &str,
        read_again: impl FnOnce(&mut Grid, i64, i64) -> Result<()>,
    ) -> Result<Grid> {
        let bounds = self.bounds();
        if let Some(grid) = self.finish(file)? {
            return Ok(grid);
        }
        let ((x0, y0), (w, h)) = bounds.origin_and_size();
        let mut grid = new_grid(w, h, file, 1, 1)?;
        read_again(&mut grid, x0, y0)?;
        Ok(grid)
    }

    /// The pattern's grid, the bounding box of the cells (1x1 and dead for none); `None` when
    /// the cells outgrew what may be held while gathering, and the caller must read them again
    /// into a grid of [`Gather::bounds`]' size. `file` names the source in a refusal.
    pub(crate) fn finish(mut self, file: &str) -> Result<Option<Grid>> {
        let bounds = self.bounds();
        if self.overflow.is_some() {
            return Ok(None);
        }
        let ((x0, y0), (w, h)) = bounds.origin_and_size();
        let (Some(area), Some(_)) = (self.area, bounds.0) else {
            // No cells, or none yet in a reserved grid.
            return new_grid(w, h, file, 1, 1).map(Some);
        };
        // The box lies inside the area, which passed the checks for two grids its size.
        let (w, h) = (w as u32, h as u32);
        let from = area.grid.words_per_row() as usize;
        let (dx, dy) = (x0.abs_diff(area.x0) as usize, y0.abs_diff(area.y0) as usize);
        let wpr = words_per_row(w) as usize;
        if dx % 32 == 0 {
            // The box starts at a word of the area: keep its words, less the rows above and
            // below and the words left and right of the box, moved down in place (each row's
            // words go to an index no larger than where they are, and not past the rows still
            // to move). Fresh pages for a new grid would cost more than the move.
            let (q, h) = (dx / 32, h as usize);
            let mut words = area.grid.into_words();
            if wpr == from {
                words.copy_within(dy * wpr..(dy + h) * wpr, 0);
            } else {
                for r in 0..h {
                    let at = (r + dy) * from + q;
                    words.copy_within(at..at + wpr, r * wpr);
                }
            }
            words.truncate(h * wpr);
            // The bits past the box's width in its last word are dead: no live cell lies
            // outside the box.
            return Grid::from_words(w, h as u32, words).map(Some);
        }
        let mut grid = new_grid(w as u64, h as u64, file, 1, 1)?;
        let (q, s) = (dx / 32, (dx % 32) as u32);
        let src = area.grid.words();
        for (r, row) in grid.words_mut().chunks_exact_mut(wpr).enumerate() {
            let old = &src[(r + dy) * from..(r + dy + 1) * from];
            for (j, word) in row.iter_mut().enumerate() {
                let lo = old[q + j] >> s;
                let hi = match (s, old.get(q + j + 1)) {
                    (1.., Some(&next)) => next << (32 - s),
                    _ => 0,
                };
                *word = lo | hi;
            }
        }
        grid.clear_padding();
        Ok(Some(grid))
    }
}

/// ORs `bits` (bit `i % 32` of word `i / 32` for cell `i`) into `row` from column `x` on; `x`
/// may be negative, and `bits` reach past the row's end, as long as every live cell lands in
/// the row.
#[inline]
pub(crate) fn or_bits(row: &mut [u32], x: i64, bits: &[u32]) {
    // Floor division and remainder by 32, for negative `x` too.
    let (word0, shift) = (x >> 5, (x & 31) as u32);
    if word0 >= 0 && (word0 as usize).saturating_add(bits.len()) <= row.len() {
        // Every word the bits reach is in the row (the last one's high half perhaps not): each
        // word is ORed once, the high half of the shifted word before carried in a register.
        // ORing both halves into memory made every word wait on the store before it.
        let start = word0 as usize;
        let mut carry = 0u32;
        for (word, &w) in row[start..start + bits.len()].iter_mut().zip(bits) {
            let v = (w as u64) << shift;
            *word |= v as u32 | carry;
            carry = (v >> 32) as u32;
        }
        // Set bits past the row's end are none (the caller's promise), so a carry is 0 there.
        if let Some(word) = row.get_mut(start + bits.len()) {
            *word |= carry;
        }
        return;
    }
    for (i, &w) in bits.iter().enumerate() {
        // Both halves of the shifted word are ORed in whatever the cells are: a test of
        // them would mispredict on a random row about every other word.
        let v = (w as u64) << shift;
        // Words left of the row (`at` negative, as a huge index) or past its end hold no live
        // cell: they are skipped.
        let at = word0 + i as i64;
        if let Some(word) = row.get_mut(at as usize) {
            *word |= v as u32;
        }
        if let Some(next) = row.get_mut((at + 1) as usize) {
            *next |= (v >> 32) as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::grid_of_cells;
    use super::*;

    /// Gathered grids equal the grid made from the box and the cells directly, for cells in
    /// every order, boxes growing on every side, at offsets that are and are not multiples of
    /// 32, and coordinates near the ends of `i64`.
    #[test]
    fn gathers_what_the_box_and_the_cells_give() {
        let mut rng = crate::random::SplitMix64::new(3);
        let bases = [0i64, -5, 31, -64, 1 << 40, i64::MIN, i64::MAX - 300];
        for case in 0..120 {
            let base = bases[case % bases.len()];
            let n = [0usize, 1, 7, 5000, 20000][case % 5];
            let (span_x, span_y) = (1 + rng.next_u64() % 300, 1 + rng.next_u64() % 200);
            let sorted = case % 3 == 0;
            let cells: Vec<(i64, i64)> = (0..n)
                .map(|i| {
                    let r = rng.next_u64();
                    let (dx, dy) = if sorted {
                        ((i as u64 * 7) % span_x, (i as u64 * span_y) / n as u64)
                    } else {
                        (r % span_x, (r >> 32) % span_y)
                    };
                    (base + dx as i64, base + dy as i64)
                })
                .collect();
            let mut gather = Gather::new(1000);
            for &(x, y) in &cells {
                gather.push(x, y);
            }
            let want = grid_of_cells(&cells).unwrap();
            let got = gather
                .finish("t.life")
                .unwrap()
                .expect("small enough to gather");
            assert_eq!(got, want, "case {case}");
        }
    }

    /// A reserved box is only a hint: cells inside it, around it, or far from it (and none)
    /// gather to the same grid as without it, whether the box's left edge is on a word of the
    /// reserved grid (kept in place) or not (copied shifted); a box too large to allocate is
    /// ignored.
    #[test]
    fn a_reserved_box_changes_nothing_but_the_copies() {
        let mut rng = crate::random::SplitMix64::new(24);
        for case in 0..300 {
            let r = rng.next_u64();
            let (x0, y0) = ((r % 200) as i64 - 100, ((r >> 8) % 100) as i64 - 50);
            let (w, h) = (1 + (r >> 16) % 300, 1 + (r >> 28) % 60);
            let n = [0u64, 1, 3, 200, 5000][case % 5];
            let cells: Vec<(i64, i64)> = (0..n)
                .map(|_| {
                    let c = rng.next_u64();
                    // Mostly inside the reserved box, now and then left, above, right or below.
                    let (dx, dy) = (
                        (c % (w + 70)) as i64 - 35,
                        ((c >> 32) % (h + 20)) as i64 - 10,
                    );
                    (x0 + dx, y0 + dy)
                })
                .collect();
            let mut gather = Gather::new(1000);
            let reserved = match case % 7 {
                0 => [i64::MIN, 0, i64::MAX, 0],
                _ => [x0, y0, x0 + w as i64 - 1, y0 + h as i64 - 1],
            };
            gather.reserve(reserved);
            for &(x, y) in &cells {
                gather.push(x, y);
            }
            let got = gather.finish("t.life").unwrap().expect("small enough");
            let want = grid_of_cells(&cells).unwrap_or_else(|| Grid::new(1, 1).unwrap());
            assert_eq!(got, want, "case {case}");
        }
    }

    #[test]
    fn too_large_to_gather_keeps_the_box() {
        let mut gather = Gather::new(1000);
        gather.push(0, 0);
        gather.push(1 << 40, 1 << 40);
        assert_eq!(
            gather.bounds().origin_and_size(),
            ((0, 0), ((1 << 40) + 1, (1 << 40) + 1))
        );
        assert!(gather.finish("t.life").unwrap().is_none());
    }

    /// `or_bits` against a cell at a time, at shifts 0 to 31, offsets left of the row, bits
    /// reaching past its end with no live cell there, and rows that already hold cells.
    #[test]
    fn or_bits_sets_each_cell_once() {
        let mut rng = crate::random::SplitMix64::new(1051);
        for case in 0..4000 {
            let len = 1 + (rng.next_u64() % 6) as usize;
            let n = (rng.next_u64() % 5) as usize;
            let x = (rng.next_u64() % (32 * len as u64 + 100)) as i64 - 70;
            let mut bits: Vec<u32> = (0..n).map(|_| rng.next_u64() as u32).collect();
            // Only cells that land in the row may be live.
            for i in 0..32 * n {
                let at = x + i as i64;
                if at < 0 || at >= 32 * len as i64 {
                    bits[i / 32] &= !(1 << (i % 32));
                }
            }
            let old: Vec<u32> = (0..len)
                .map(|_| rng.next_u64() as u32 & 0x0101_0101)
                .collect();
            let mut want = old.clone();
            for i in (0..32 * n).filter(|&i| bits[i / 32] >> (i % 32) & 1 == 1) {
                let at = (x + i as i64) as usize;
                want[at / 32] |= 1 << (at % 32);
            }
            let mut got = old;
            or_bits(&mut got, x, &bits);
            assert_eq!(got, want, "case {case}: x {x}, bits {bits:x?}");
        }
    }
}
