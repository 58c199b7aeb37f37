//! Stepping only the part of the grid that can change: the live cells' bounding box, grown by the
//! generations of one pass.
//!
//! Under a rule without B0 a dead cell with no live neighbour stays dead, so after `g`
//! generations every live cell lies within `g` cells (in the grid's metric: wrapping on a torus)
//! of a cell alive now. The engine keeps the bounding box of the live cells ([`Extent`]), steps
//! each pass only the [`Window`] of rows and words that holds that box grown by `g`, and knows
//! every cell outside the window to be dead after the pass. Inside the window the kernel sees the
//! cells beyond a narrower-than-the-grid window's ends as dead, which they are for the whole pass,
//! so the window's cells come out exactly as a whole-grid step computes them. On a torus a box
//! that would grow across an edge takes that whole dimension (rows or words), with the wrap.
//!
//! A random soup fills its grid and gains nothing (one extra scan of each row's ends per pass); a
//! pattern in a larger bounded grid (a soup on what stands for the plane, a methuselah) costs in
//! proportion to its box, not to the grid.

use crate::life::rule::Topology;
use std::ops::Range;

/// The smallest rectangle holding every live cell: rows `rows`, cells (columns) `cols`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Extent {
    pub rows: Range<usize>,
    pub cols: Range<usize>,
}

impl Extent {
    /// The smallest rectangle holding both.
    fn union(self, other: Extent) -> Extent {
        Extent {
            rows: self.rows.start.min(other.rows.start)..self.rows.end.max(other.rows.end),
            cols: self.cols.start.min(other.cols.start)..self.cols.end.max(other.cols.end),
        }
    }
}

/// The union of two optional extents (`None`: no live cell).
pub(crate) fn union(a: Option<Extent>, b: Option<Extent>) -> Option<Extent> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.union(b)),
        (a, b) => a.or(b),
    }
}

/// Rows `rows` and words `words` of every one of them: the part of the grid a pass steps, or
/// the part of a grid that may hold live cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub rows: Range<usize>,
    pub words: Range<usize>,
}

impl Window {
    /// The whole grid.
    pub(crate) fn whole(height: usize, wpr: usize) -> Window {
        Window {
            rows: 0..height,
            words: 0..wpr,
        }
    }

    /// Whether the window holds no cell.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty() || self.words.is_empty()
    }

    /// The words of a grid that hold `extent`.
    pub(crate) fn of(extent: &Extent) -> Window {
        Window {
            rows: extent.rows.clone(),
            words: extent.cols.start / 32..extent.cols.end.div_ceil(32),
        }
    }

    /// The window a pass of `gens` generations steps when the live cells lie in `extent` (`None`:
    /// none) on a `width` × `height` grid of `topology`: the extent grown by `gens` cells each
    /// way, cut off at a bounded grid's edges, the whole dimension where a torus would wrap.
    pub(crate) fn around(
        extent: Option<&Extent>,
        gens: usize,
        (width, height): (usize, usize),
        topology: Topology,
    ) -> Window {
        let Some(extent) = extent else {
            return Window {
                rows: 0..0,
                words: 0..0,
            };
        };
        let grow = |range: &Range<usize>, len: usize| -> Range<usize> {
            let (lo, hi) = (range.start.checked_sub(gens), range.end + gens);
            match (lo, topology) {
                (Some(lo), _) if hi <= len => lo..hi,
                (_, Topology::Bounded) => lo.unwrap_or(0)..hi.min(len),
                (_, Topology::Torus) => 0..len,
            }
        };
        let cols = grow(&extent.cols, width);
        Window::of(&Extent {
            rows: grow(&extent.rows, height),
            cols,
        })
    }
}

/// Zeroes the words of `dirty` that lie outside `keep` in a grid of rows `stride` words long:
/// what a buffer held from an older generation, where the new one is known dead.
pub(crate) fn clear_outside(words: &mut [u32], stride: usize, dirty: &Window, keep: &Window) {
    for y in dirty.rows.clone() {
        let row = &mut words[y * stride..][..stride];
        if !keep.rows.contains(&y) || keep.words.is_empty() {
            row[dirty.words.clone()].fill(0);
            continue;
        }
        let left = dirty.words.start..dirty.words.end.min(keep.words.start);
        let right = dirty.words.start.max(keep.words.end)..dirty.words.end;
        for part in [left, right] {
            if !part.is_empty() {
                row[part].fill(0);
            }
        }
    }
}

/// The extent of the live cells in words `cols` of the rows held by `words` (rows `stride` words
/// apart, the first being grid row `first_row`). A row is searched from each end for its first
/// non-zero word, so a row with live cells near its window's ends (a soup's) costs a few loads,
/// and an empty row (most of a methuselah's window) is read [`SCAN_WORDS`] words a step.
pub(crate) fn extent_of(
    words: &[u32],
    stride: usize,
    first_row: usize,
    cols: Range<usize>,
) -> Option<Extent> {
    let mut found: Option<Extent> = None;
    for (r, row) in words.chunks_exact(stride).enumerate() {
        let row = &row[cols.clone()];
        let Some(first) = first_live(row) else {
            continue;
        };
        // A non-zero word exists, so searching from the end finds one too.
        let last = last_live(row).unwrap_or(first);
        let x0 = (cols.start + first) * 32 + row[first].trailing_zeros() as usize;
        let x1 = (cols.start + last) * 32 + 32 - row[last].leading_zeros() as usize;
        let y = first_row + r;
        let here = Extent {
            rows: y..y + 1,
            cols: x0..x1,
        };
        found = union(found, Some(here));
    }
    found
}

/// Words [`first_live`] and [`last_live`] test at once, by their OR, where `position` took a
/// test and a branch per word (a scan of the window's rows was a fifth of a methuselah's run at
/// 16384², docs/performance.md).
const SCAN_WORDS: usize = 16;

/// Whether any of `chunk`'s words is non-zero: their OR, one test and branch for
/// [`SCAN_WORDS`] words.
#[inline(always)]
fn any_live(chunk: &[u32]) -> bool {
    chunk.iter().fold(0, |any, &w| any | w) != 0
}

/// The first non-zero word of `row`.
fn first_live(row: &[u32]) -> Option<usize> {
    let mut chunks = row.chunks_exact(SCAN_WORDS);
    for (i, chunk) in chunks.by_ref().enumerate() {
        if any_live(chunk) {
            return chunk
                .iter()
                .position(|&w| w != 0)
                .map(|j| i * SCAN_WORDS + j);
        }
    }
    let tail = chunks.remainder();
    let base = row.len() - tail.len();
    tail.iter().position(|&w| w != 0).map(|j| base + j)
}

/// The last non-zero word of `row`.
fn last_live(row: &[u32]) -> Option<usize> {
    let mut chunks = row.rchunks_exact(SCAN_WORDS);
    for (i, chunk) in chunks.by_ref().enumerate() {
        if any_live(chunk) {
            let start = row.len() - (i + 1) * SCAN_WORDS;
            return chunk.iter().rposition(|&w| w != 0).map(|j| start + j);
        }
    }
    chunks.remainder().iter().rposition(|&w| w != 0)
}

#[cfg(test)]
mod tests {
    use super::super::{life_level, CpuLife};
    use super::*;
    use crate::isa::Isa;
    use crate::life::reference::reference_run;
    use crate::life::{Grid, Rule};

    fn extent_of_grid(grid: &Grid) -> Option<Extent> {
        let wpr = grid.words_per_row() as usize;
        extent_of(grid.words(), wpr, 0, 0..wpr)
    }

    #[test]
    fn the_extent_is_the_bounding_box() {
        for (w, h, cells) in [
            (1, 1, vec![(0, 0)]),
            (33, 5, vec![(32, 4)]),
            (100, 7, vec![(31, 2), (64, 3), (65, 6)]),
            (65, 3, vec![]),
        ] {
            let mut grid = Grid::new(w, h).unwrap();
            for &(x, y) in &cells {
                grid.set(x, y, true);
            }
            let want = grid.bounding_box().map(|(x, y, bw, bh)| Extent {
                rows: y as usize..(y + bh) as usize,
                cols: x as usize..(x + bw) as usize,
            });
            assert_eq!(extent_of_grid(&grid), want, "{w}x{h} {cells:?}");
        }
    }

    #[test]
    fn live_words_are_found_from_either_end_at_every_length_and_place() {
        for len in 0..70 {
            let empty = vec![0u32; len];
            assert_eq!(first_live(&empty), None, "{len}");
            assert_eq!(last_live(&empty), None, "{len}");
            for a in 0..len {
                for b in a..len {
                    let mut row = vec![0u32; len];
                    row[a] = 1 << (a % 32);
                    row[b] |= 0x8000_0000;
                    assert_eq!(first_live(&row), Some(a), "{len} {a} {b}");
                    assert_eq!(last_live(&row), Some(b), "{len} {a} {b}");
                }
            }
        }
    }

    #[test]
    fn windows_grow_cut_off_and_wrap() {
        let e = Extent {
            rows: 10..20,
            cols: 40..50,
        };
        let bounded = Window::around(Some(&e), 8, (200, 100), Topology::Bounded);
        assert_eq!(
            bounded,
            Window {
                rows: 2..28,
                words: 1..2
            }
        );
        let cut = Window::around(Some(&e), 12, (200, 100), Topology::Bounded);
        assert_eq!(
            cut,
            Window {
                rows: 0..32,
                words: 0..2
            }
        );
        // On a torus the rows would wrap: all of them; the columns still fit.
        let torus = Window::around(Some(&e), 12, (200, 100), Topology::Torus);
        assert_eq!(
            torus,
            Window {
                rows: 0..100,
                words: 0..2
            }
        );
        assert!(Window::around(None, 3, (200, 100), Topology::Torus).is_empty());
    }

    #[test]
    fn clearing_keeps_only_the_window() {
        let (stride, height) = (5, 4);
        let mut words = vec![u32::MAX; stride * height];
        let dirty = Window {
            rows: 0..4,
            words: 1..5,
        };
        let keep = Window {
            rows: 1..3,
            words: 2..4,
        };
        clear_outside(&mut words, stride, &dirty, &keep);
        for y in 0..height {
            for x in 0..stride {
                let kept = x == 0 || (keep.rows.contains(&y) && keep.words.contains(&x));
                assert_eq!(words[y * stride + x] != 0, kept, "word {x} of row {y}");
            }
        }
    }

    /// Every CPU engine over `grid`: serial and Rayon, packed and tiled (default plans and tiny
    /// blocks whose borders patterns cross), each at every row-loop level this CPU has.
    fn engines(grid: &Grid, rule: Rule, topology: Topology) -> Vec<(String, CpuLife)> {
        let mut all = Vec::new();
        for &isa in [Isa::Scalar].iter().chain(Isa::detected()) {
            let level = life_level(isa);
            let mut made = vec![
                (
                    "serial".to_string(),
                    CpuLife::serial(grid.clone(), rule, topology),
                ),
                (
                    "rayon".into(),
                    CpuLife::rayon(grid.clone(), rule, topology, 2).unwrap(),
                ),
                (
                    "tiled".into(),
                    CpuLife::tiled(grid.clone(), rule, topology, None).unwrap(),
                ),
                (
                    "tiled 3 rows x 4".into(),
                    CpuLife::tiled_with(grid.clone(), rule, topology, None, 3, 4).unwrap(),
                ),
                (
                    "tiled rayon 5 rows x 3".into(),
                    CpuLife::tiled_with(grid.clone(), rule, topology, Some(2), 5, 3).unwrap(),
                ),
            ];
            for (name, engine) in &mut made {
                engine.shape.isa = level;
                *name = format!("{name} at {isa}");
            }
            all.extend(made);
        }
        all
    }

    /// Steps every engine over `grid` in uneven chunks (so passes of every length run) and
    /// checks each chunk's end against the reference.
    fn assert_like_reference(what: &str, grid: &Grid, rule: Rule, topology: Topology, gens: u64) {
        let mut want = grid.clone();
        let mut engines = engines(grid, rule, topology);
        let mut done = 0;
        for chunk in [1, 2, 5, 3, 8, 13, 1].iter().cycle() {
            if done >= gens {
                break;
            }
            let chunk = (*chunk).min(gens - done);
            want = reference_run(&want, rule, topology, chunk);
            done += chunk;
            for (name, engine) in &mut engines {
                engine.step(chunk);
                assert!(
                    engine.grid() == &want,
                    "{what}: {name}, {topology} {rule}, generation {done}: population {} \
                     against the reference's {}",
                    engine.grid().population(),
                    want.population()
                );
            }
        }
    }

    /// `pattern` placed with its top-left corner at (x, y), wrapping around the grid's edges.
    fn placed(w: u32, h: u32, pattern: &Grid, x: i64, y: i64) -> Grid {
        let mut grid = Grid::new(w, h).unwrap();
        for (px, py) in pattern.live_cells() {
            let gx = (x + px as i64).rem_euclid(w as i64) as u32;
            let gy = (y + py as i64).rem_euclid(h as i64) as u32;
            grid.set(gx, gy, true);
        }
        grid
    }

    const GLIDER: &str = "-*-/--*/***";

    #[test]
    fn skipping_empty_space_changes_no_cell() {
        let glider = Grid::from_text(GLIDER).unwrap();
        let soup = Grid::random(23, 19, 0.4, 7).unwrap();
        // Widths off any word or vector boundary, one just past a vector of words, one whose
        // tile rows are padded (18 words in rows 48 apart).
        for (w, h) in [(100, 61), (97, 40), (33, 33), (289, 70), (545, 40)] {
            for topology in [Topology::Bounded, Topology::Torus] {
                let what = format!("soup in the middle of {w}x{h}");
                let grid = placed(w, h, &soup, (w as i64 - 23) / 2, (h as i64 - 19) / 2);
                assert_like_reference(&what, &grid, Rule::CONWAY, topology, 60);
                // Touching the grid's edges and corners: cut off when bounded, wrapped on a torus.
                for (x, y) in [(-10, -8), (w as i64 - 12, 3), (5, h as i64 - 9)] {
                    let what = format!("soup at ({x}, {y}) of {w}x{h}");
                    let grid = placed(w, h, &soup, x, y);
                    assert_like_reference(&what, &grid, Rule::CONWAY, topology, 30);
                }
                // A glider flying down and right: across tile borders, into the bounded corner,
                // around the torus.
                let what = format!("glider in {w}x{h}");
                let grid = placed(w, h, &glider, w as i64 - 20, h as i64 - 20);
                assert_like_reference(&what, &grid, Rule::CONWAY, topology, 90);
            }
        }
    }

    #[test]
    fn skipping_keeps_other_rules_and_a_dying_pattern() {
        let soup = Grid::random(12, 9, 0.5, 3).unwrap();
        for topology in [Topology::Bounded, Topology::Torus] {
            for rule in ["B36/S23", "B2/S", "B3678/S34678", "B0/S8", "B01/S"] {
                let rule = Rule::parse(rule).unwrap();
                let grid = placed(70, 37, &soup, 40, 20);
                assert_like_reference("small soup", &grid, rule, topology, 20);
            }
            // Two cells die at once; the grid then stays dead.
            let pair = placed(65, 20, &Grid::from_text("**").unwrap(), 30, 10);
            assert_like_reference("a dying pair", &pair, Rule::CONWAY, topology, 12);
        }
    }

    #[test]
    fn a_cell_written_between_steps_is_seen() {
        let glider = Grid::from_text(GLIDER).unwrap();
        for (name, mut engine) in engines(
            &placed(130, 50, &glider, 5, 5),
            Rule::CONWAY,
            Topology::Bounded,
        ) {
            engine.step(9);
            // A blinker far from the glider's window, as a distributed band's ghost rows arrive.
            for x in 100..103 {
                engine.grid_mut().set(x, 40, true);
            }
            let want = reference_run(engine.grid(), Rule::CONWAY, Topology::Bounded, 7);
            engine.step(7);
            assert!(engine.grid() == &want, "{name}");
        }
    }
}
