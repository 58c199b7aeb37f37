//! Runs that know when they are done: finding the generation from which a grid repeats.
//!
//! A finite grid is eventually periodic. [`CycleDetector`] is shown the grid of every generation
//! in turn and keeps a 64-bit fingerprint of each of the last `max_period`; the first generation
//! whose fingerprint was seen before (at most `max_period` generations back) closes the first
//! cycle. Because it is the first repeat of any kind, the earlier occurrence is where the cycle
//! starts (`stabilised_at`) and the distance is the least period: a still life has period 1, a
//! blinker 2, a glider on a W×W torus 4W.
//!
//! Fingerprints stand in for the grids (storing `max_period` grids would cost their size each):
//! two different grids of one run share a fingerprint with probability 2^-64 per comparison.

use super::grid::Grid;
use std::collections::HashMap;

/// A cycle found: the grid at `start + period` equals the grid at `start`, and at no earlier pair
/// of generations did a grid repeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cycle {
    /// The first generation of the cycle (`stabilised_at`).
    pub start: u64,
    /// The least period.
    pub period: u64,
}

/// The default for `--max-period`: long enough for a glider crossing a 2048-cell torus
/// (period 8192) while keeping the table of fingerprints small (a few hundred KiB).
pub const DEFAULT_MAX_PERIOD: u64 = 10_000;

/// Finds the first repeat among consecutive generations; see the module docs.
#[derive(Debug)]
pub struct CycleDetector {
    max_period: u64,
    /// Fingerprint to the latest generation that had it, for generations within `max_period`.
    seen: HashMap<u64, u64>,
    /// Generations in the table, oldest first, to drop them once out of reach.
    order: std::collections::VecDeque<(u64, u64)>,
    /// The generation the next call must show (they come in order, from any start).
    next: Option<u64>,
}

impl CycleDetector {
    /// Looks for cycles of period at most `max_period` (at least 1).
    pub fn new(max_period: u64) -> CycleDetector {
        CycleDetector {
            max_period: max_period.max(1),
            seen: HashMap::new(),
            order: std::collections::VecDeque::new(),
            next: None,
        }
    }

    /// Shows the grid at `generation` (one more than the last call's). Returns the cycle when
    /// this grid equals one at most `max_period` generations before.
    ///
    /// # Panics
    /// When generations are skipped: a cycle could then be missed or misdated.
    pub fn observe(&mut self, generation: u64, grid: &Grid) -> Option<Cycle> {
        if let Some(next) = self.next {
            assert_eq!(
                generation, next,
                "CycleDetector: generations must be consecutive"
            );
        }
        self.next = Some(generation + 1);
        let print = fingerprint(grid);
        if let Some(&earlier) = self.seen.get(&print) {
            return Some(Cycle {
                start: earlier,
                period: generation - earlier,
            });
        }
        self.seen.insert(print, generation);
        self.order.push_back((generation, print));
        while let Some(&(g, p)) = self.order.front() {
            if generation - g < self.max_period {
                break;
            }
            self.order.pop_front();
            self.seen.remove(&p);
        }
        None
    }
}

/// Steps `engine` one generation at a time, up to `generations`, until its grid repeats with a
/// period of at most `max_period`. Returns the cycle, or `None` when none was found within
/// `generations` (the engine is then at `generations`; otherwise at `start + period`).
pub fn step_until_stable(
    engine: &mut super::LifeEngine,
    generations: u64,
    max_period: u64,
) -> crate::Result<Option<Cycle>> {
    let mut detector = CycleDetector::new(max_period);
    detector.observe(0, &engine.grid()?);
    for generation in 1..=generations {
        engine.step(1)?;
        if let Some(cycle) = detector.observe(generation, &engine.grid()?) {
            return Ok(Some(cycle));
        }
    }
    Ok(None)
}

/// A 64-bit fingerprint of a grid's cells and size, eight bytes at a time (a per-byte hash would
/// cost more than a generation of a small grid).
fn fingerprint(grid: &Grid) -> u64 {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut h = mix(((grid.width() as u64) << 32) | grid.height() as u64);
    let words = grid.words();
    let mut pairs = words.chunks_exact(2);
    for pair in &mut pairs {
        let x = pair[0] as u64 | (pair[1] as u64) << 32;
        h = mix(h.rotate_left(23) ^ x);
    }
    if let [last] = pairs.remainder() {
        h = mix(h.rotate_left(23) ^ *last as u64 ^ (1 << 63));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_repeat_gives_start_and_least_period() {
        // A made-up sequence of grids: A B C D B C D ... starts its cycle at 1 with period 3.
        let grids: Vec<Grid> = ["*--", "-*-", "--*", "***"]
            .iter()
            .map(|t| Grid::from_text(t).unwrap())
            .collect();
        let sequence = [0, 1, 2, 3, 1, 2, 3, 1];
        let mut d = CycleDetector::new(10);
        let found: Vec<Option<Cycle>> = sequence
            .iter()
            .enumerate()
            .map(|(g, &i)| d.observe(g as u64, &grids[i]))
            .collect();
        assert_eq!(found[..4], [None, None, None, None]);
        assert_eq!(
            found[4],
            Some(Cycle {
                start: 1,
                period: 3
            })
        );
        // A cycle longer than max_period is not reported.
        let mut short = CycleDetector::new(2);
        assert!(sequence
            .iter()
            .enumerate()
            .all(|(g, &i)| short.observe(g as u64, &grids[i]).is_none()));
    }

    #[test]
    fn fingerprints_tell_size_and_cells_apart() {
        let a = Grid::from_text("*--/---").unwrap();
        let b = Grid::from_text("*-/--/--").unwrap();
        let c = Grid::from_text("-*-/---").unwrap();
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
        assert_eq!(fingerprint(&a), fingerprint(&a.clone()));
    }
}
