//! Known behaviour of classic patterns, on every backend.

mod common;

use speedup::backend::Backend;
use speedup::life::formats::read_pattern;
use speedup::life::{Grid, LifeEngine, Rule, Topology};
use std::path::Path;

fn data(name: &str) -> Grid {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    read_pattern(&path).unwrap().grid
}

fn centred(pattern: &Grid, w: u32, h: u32) -> Grid {
    let mut g = Grid::new(w, h).unwrap();
    g.paste(
        pattern,
        (w - pattern.width()) / 2,
        (h - pattern.height()) / 2,
    );
    g
}

fn engine(backend: &Backend, grid: Grid) -> LifeEngine {
    LifeEngine::new(backend, grid, Rule::CONWAY, Topology::Torus).unwrap()
}

fn main() {
    let mut suite = common::Suite::new(file!());
    common::trials!(suite.per_backend(
        classic_example_on_a_9_by_5_torus,
        blinker_has_period_two,
        glider_returns_after_4n_generations_on_an_n_torus,
        diehard_dies_at_generation_130,
        r_pentomino_has_116_cells_at_generation_1103,
        gosper_gun_has_36_plus_5k_cells_at_generation_30k,
    ));
    suite.run()
}

fn classic_example_on_a_9_by_5_torus(backend: &Backend) {
    let steps = [
        "---*-----/----*----/--***----/---------/---------",
        "---------/--*-*----/---**----/---*-----/---------",
        "---------/----*----/--*-*----/---**----/---------",
        "---------/---*-----/----**---/---**----/---------",
        "---------/----*----/-----*---/---***---/---------",
    ];
    let mut e = engine(backend, Grid::from_text(steps[0]).unwrap());
    for (generation, want) in steps.iter().enumerate().skip(1) {
        e.step(1).unwrap();
        assert_eq!(
            e.grid().unwrap().to_text(),
            *want,
            "{} at generation {generation}",
            backend.label()
        );
    }
}

/// `start` is back after `period` generations, and not half-way there.
fn assert_returns_after(backend: &Backend, start: &Grid, period: u64) {
    let mut e = engine(backend, start.clone());
    e.step(period / 2).unwrap();
    assert_ne!(e.grid().unwrap(), *start, "{}", backend.label());
    e.step(period - period / 2).unwrap();
    assert_eq!(e.grid().unwrap(), *start, "{}", backend.label());
}

fn blinker_has_period_two(backend: &Backend) {
    let start = Grid::from_text("-----/--*--/--*--/--*--/-----").unwrap();
    assert_returns_after(backend, &start, 2);
}

fn glider_returns_after_4n_generations_on_an_n_torus(backend: &Backend) {
    let glider = Grid::from_text("-*-/--*/***").unwrap();
    assert_returns_after(backend, &centred(&glider, 8, 8), 32);
}

fn diehard_dies_at_generation_130(backend: &Backend) {
    let start = centred(&data("diehard.rle"), 64, 64);
    let mut e = engine(backend, start.clone());
    e.step(129).unwrap();
    assert!(e.grid().unwrap().population() > 0, "{}", backend.label());
    e.step(1).unwrap();
    assert_eq!(e.grid().unwrap().population(), 0, "{}", backend.label());
}

fn r_pentomino_has_116_cells_at_generation_1103(backend: &Backend) {
    let start = centred(&data("rpentomino.cells"), 1024, 1024);
    let grid = start.clone();
    let mut e = engine(backend, grid);
    e.step(1103).unwrap();
    assert_eq!(e.grid().unwrap().population(), 116, "{}", backend.label());
}

fn gosper_gun_has_36_plus_5k_cells_at_generation_30k(backend: &Backend) {
    let gun = data("gosper_gun.rle");
    assert_eq!(gun.population(), 36);
    let mut start = Grid::new(160, 160).unwrap();
    start.paste(&gun, 2, 2);
    let mut e = engine(backend, start.clone());
    for k in 1..=8u64 {
        e.step(30).unwrap();
        assert_eq!(
            e.grid().unwrap().population(),
            36 + 5 * k,
            "{} at generation {}",
            backend.label(),
            30 * k
        );
    }
}
