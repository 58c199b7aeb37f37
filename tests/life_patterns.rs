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

#[test]
fn classic_example_on_a_9_by_5_torus() {
    let steps = [
        "---*-----/----*----/--***----/---------/---------",
        "---------/--*-*----/---**----/---*-----/---------",
        "---------/----*----/--*-*----/---**----/---------",
        "---------/---*-----/----**---/---**----/---------",
        "---------/----*----/-----*---/---***---/---------",
    ];
    for backend in common::all_backends() {
        let mut e = engine(&backend, Grid::from_text(steps[0]).unwrap());
        for (generation, want) in steps.iter().enumerate().skip(1) {
            e.step(1).unwrap();
            assert_eq!(
                e.grid().unwrap().to_text(),
                *want,
                "{} at generation {generation}",
                common::label(&backend)
            );
        }
    }
}

#[test]
fn blinker_has_period_two() {
    let start = Grid::from_text("-----/--*--/--*--/--*--/-----").unwrap();
    for backend in common::all_backends() {
        let mut e = engine(&backend, start.clone());
        e.step(1).unwrap();
        assert_ne!(e.grid().unwrap(), start, "{}", common::label(&backend));
        e.step(1).unwrap();
        assert_eq!(e.grid().unwrap(), start, "{}", common::label(&backend));
    }
}

#[test]
fn glider_returns_after_4n_generations_on_an_n_torus() {
    let glider = Grid::from_text("-*-/--*/***").unwrap();
    let start = centred(&glider, 8, 8);
    for backend in common::all_backends() {
        let mut e = engine(&backend, start.clone());
        e.step(16).unwrap();
        assert_ne!(e.grid().unwrap(), start);
        e.step(16).unwrap();
        assert_eq!(e.grid().unwrap(), start, "{}", common::label(&backend));
    }
}

#[test]
fn diehard_dies_at_generation_130() {
    let start = centred(&data("diehard.rle"), 64, 64);
    for backend in common::all_backends() {
        let mut e = engine(&backend, start.clone());
        e.step(129).unwrap();
        assert!(
            e.grid().unwrap().population() > 0,
            "{}",
            common::label(&backend)
        );
        e.step(1).unwrap();
        assert_eq!(
            e.grid().unwrap().population(),
            0,
            "{}",
            common::label(&backend)
        );
    }
}

#[test]
fn r_pentomino_has_116_cells_at_generation_1103() {
    let start = centred(&data("rpentomino.cells"), 1024, 1024);
    for backend in common::all_backends() {
        let grid = start.clone();
        let mut e = engine(&backend, grid);
        e.step(1103).unwrap();
        assert_eq!(
            e.grid().unwrap().population(),
            116,
            "{}",
            common::label(&backend)
        );
    }
}

#[test]
fn gosper_gun_has_36_plus_5k_cells_at_generation_30k() {
    let gun = data("gosper_gun.rle");
    assert_eq!(gun.population(), 36);
    let mut start = Grid::new(160, 160).unwrap();
    start.paste(&gun, 2, 2);
    for backend in common::all_backends() {
        let mut e = engine(&backend, start.clone());
        for k in 1..=8u64 {
            e.step(30).unwrap();
            assert_eq!(
                e.grid().unwrap().population(),
                36 + 5 * k,
                "{} at generation {}",
                common::label(&backend),
                30 * k
            );
        }
    }
}
