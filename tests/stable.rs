//! `--until-stable`: runs that stop when the grid repeats, checked on known answers (still lifes,
//! oscillators, a glider going round a torus) and against an independent reference that keeps
//! every grid it has seen, on every backend.

mod common;

use speedup::backend::Backend;
use speedup::life::formats::{centre, read_pattern};
use speedup::life::reference::reference_step;
use speedup::life::stable::{step_until_stable, Cycle};
use speedup::life::{Grid, LifeEngine, Rule, Topology};
use std::collections::HashMap;
use std::path::Path;

fn pattern(name: &str) -> Grid {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    read_pattern(&path).unwrap().grid
}

/// A pattern given in text form, centred on a `w` × `h` grid.
fn on_grid(text: &str, w: u32, h: u32) -> Grid {
    centre(Grid::from_text(text).unwrap(), w, h).unwrap()
}

/// The independent answer: every grid seen is kept whole (no fingerprints, no window), and the
/// plain cell-by-cell step is used.
fn reference_cycle(start: &Grid, topology: Topology, limit: u64) -> Option<Cycle> {
    let mut seen: HashMap<Vec<u32>, u64> = HashMap::new();
    let mut grid = start.clone();
    for generation in 0..=limit {
        if let Some(&earlier) = seen.get(grid.words()) {
            return Some(Cycle {
                start: earlier,
                period: generation - earlier,
            });
        }
        let next = reference_step(&grid, Rule::CONWAY, topology);
        seen.insert(grid.words().to_vec(), generation);
        grid = next;
    }
    None
}

fn until_stable(
    backend: &Backend,
    grid: &Grid,
    topology: Topology,
    generations: u64,
    max_period: u64,
) -> Option<Cycle> {
    let mut engine = LifeEngine::new(backend, grid.clone(), Rule::CONWAY, topology).unwrap();
    step_until_stable(&mut engine, generations, max_period).unwrap()
}

fn main() {
    let mut suite = common::Suite::new(file!());
    common::trials!(suite.per_backend(
        still_lifes_oscillators_and_a_glider_round_a_torus,
        methuselahs_on_bounded_grids_match_a_reference_that_keeps_every_grid,
    ));
    suite.run()
}

fn still_lifes_oscillators_and_a_glider_round_a_torus(backend: &Backend) {
    let pulsar = "--***---***--/-------------/*----*-*----*/*----*-*----*/*----*-*----*/\
                  --***---***--/-------------/--***---***--/*----*-*----*/*----*-*----*/\
                  *----*-*----*/-------------/--***---***--";
    let name = backend.label();
    let cases = [
        ("block", on_grid("**/**", 9, 7), Topology::Torus, 0, 1),
        (
            "beehive",
            on_grid("-**-/*--*/-**-", 11, 9),
            Topology::Bounded,
            0,
            1,
        ),
        ("empty", Grid::new(5, 3).unwrap(), Topology::Torus, 0, 1),
        ("blinker", on_grid("***", 7, 7), Topology::Torus, 0, 2),
        ("pulsar", on_grid(pulsar, 19, 17), Topology::Bounded, 0, 3),
        // A lone cell dies at once: generation 1 (empty) repeats at 2.
        ("dying cell", on_grid("*", 6, 6), Topology::Torus, 1, 1),
    ];
    for (what, grid, topology, start, period) in cases {
        assert_eq!(
            until_stable(backend, &grid, topology, 100, 10),
            Some(Cycle { start, period }),
            "{what} on {name}"
        );
    }
    // A glider on a W×W torus comes back after 4W generations (one cell diagonally per 4).
    for w in [7u32, 10, 13] {
        let glider = on_grid("-*-/--*/***", w, w);
        assert_eq!(
            until_stable(backend, &glider, Topology::Torus, 1000, 100),
            Some(Cycle {
                start: 0,
                period: 4 * w as u64
            }),
            "glider on a {w}x{w} torus, {name}"
        );
        // With the longest period looked for just short of 4W, none is found, and the run
        // goes on to the end.
        assert_eq!(
            until_stable(backend, &glider, Topology::Torus, 200, 4 * w as u64 - 1),
            None,
            "glider on a {w}x{w} torus, max period 4W-1, {name}"
        );
    }
}

fn methuselahs_on_bounded_grids_match_a_reference_that_keeps_every_grid(backend: &Backend) {
    let name = backend.label();
    for (file, w, h) in [
        ("rpentomino.cells", 40, 33),
        ("rabbits_golly.lif", 45, 31),
        ("acorn_golly.lif", 37, 29),
    ] {
        let grid = centre(pattern(file), w, h).unwrap();
        let expected = reference_cycle(&grid, Topology::Bounded, 20_000)
            .unwrap_or_else(|| panic!("{file}: the reference found no cycle"));
        assert!(
            expected.start > 50,
            "{file}: {expected:?} is not a methuselah's"
        );
        let found = until_stable(backend, &grid, Topology::Bounded, 20_000, 1000);
        assert_eq!(found, Some(expected), "{file} on {w}x{h}, {name}");
    }
}
