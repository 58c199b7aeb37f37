//! Every backend equals the reference step, bit for bit, on random grids at awkward sizes, both
//! topologies, several rules and generation counts.

mod common;

use speedup::backend::Backend;
use speedup::gpu::GpuContext;
use speedup::life::{self, reference::reference_run, Grid, Kernel, LifeEngine, Rule, Topology};
use std::sync::{Arc, OnceLock};

const SIZES: &[(u32, u32)] = &[
    (1, 1),
    (1, 40),
    (40, 1),
    (2, 2),
    (31, 33),
    (63, 65),
    (100, 37),
    (257, 129),
];
const RULES: &[&str] = &["B3/S23", "B36/S23", "B2/S", "B3678/S34678", "B3/S012345678"];
const TOPOLOGIES: &[Topology] = &[Topology::Torus, Topology::Bounded];

/// One random grid of the matrix (size × rule × topology) and the reference's answer for it.
struct Case {
    start: Grid,
    rule: Rule,
    topology: Topology,
    generations: u64,
    seed: u64,
    expected: Grid,
}

/// Every case of the matrix, with `generations_for(case number)` generations, computed once per
/// test binary (into `cache`) and shared by the trials of every engine.
fn cases(
    cache: &'static OnceLock<Vec<Case>>,
    generations_for: fn(usize) -> u64,
) -> &'static [Case] {
    cache.get_or_init(|| {
        let mut out = Vec::new();
        for &(w, h) in SIZES {
            for rule in RULES {
                let rule = Rule::parse(rule).unwrap();
                for &topology in TOPOLOGIES {
                    let generations = generations_for(out.len());
                    let seed = 1000 + out.len() as u64;
                    let start = Grid::random(w, h, 0.37, seed).unwrap();
                    let expected = reference_run(&start, rule, topology, generations);
                    out.push(Case {
                        start,
                        rule,
                        topology,
                        generations,
                        seed,
                        expected,
                    });
                }
            }
        }
        out
    })
}

/// The engine of `backend` and `kernel` equals the reference on every case.
fn check_all(backend: &Backend, kernel: Kernel, cases: &[Case]) {
    for case in cases {
        let Case {
            rule,
            topology,
            generations,
            seed,
            ..
        } = *case;
        let (w, h) = (case.start.width(), case.start.height());
        let mut engine =
            LifeEngine::with_kernel(backend, case.start.clone(), rule, topology, kernel)
                .unwrap_or_else(|e| panic!("{}: {e}", backend.label()));
        engine.step(generations).unwrap();
        assert_eq!(
            engine.grid().unwrap(),
            case.expected,
            "{} ({kernel} kernel) differs from the reference: {w}x{h} {rule} {topology} seed {seed} after {generations} generations",
            backend.label()
        );
    }
}

fn main() {
    let mut suite = common::Suite::new(file!());
    static FEW: OnceLock<Vec<Case>> = OnceLock::new();
    static MANY: OnceLock<Vec<Case>> = OnceLock::new();
    suite.per_engine(
        "matches_reference_for_few_generations",
        |backend, kernel| check_all(backend, kernel, cases(&FEW, |case| [1, 2, 3, 5][case % 4])),
    );
    suite.per_engine("matches_reference_for_64_generations", |backend, kernel| {
        check_all(backend, kernel, cases(&MANY, |case| [64, 17, 33][case % 3]))
    });
    common::trials!(suite.per_backend(
        dense_and_empty_grids_and_b0_rules,
        stepping_in_pieces_equals_one_run,
    ));
    common::trials!(suite.per_gpu(
        grids_split_across_several_buffers_match_reference,
        gpu_tiles_match_reference_across_tiles_and_pass_lengths,
    ));
    common::trials!(suite.test(
        rayon_bands_match_serial_on_grids_large_enough_to_split,
        cpu_tiles_of_every_shape_match_reference,
    ));
    suite.run()
}

fn dense_and_empty_grids_and_b0_rules(backend: &Backend) {
    // B0 rules on a finite grid are computed literally: the empty grid fills, then flips.
    let rules = [Rule::parse("B0/S8").unwrap(), Rule::parse("B01/S").unwrap()];
    for &(w, h) in &[(33, 7), (5, 3), (64, 2)] {
        for density in [0.0, 1.0, 0.5] {
            for rule in rules.iter().copied().chain([Rule::CONWAY]) {
                for &topology in TOPOLOGIES {
                    let start = Grid::random(w, h, density, 9).unwrap();
                    let expected = reference_run(&start, rule, topology, 3);
                    let got = life::run(backend, start.clone(), rule, topology, 3).unwrap();
                    assert_eq!(
                        got,
                        expected,
                        "{} {w}x{h} {rule} {topology} density {density}",
                        backend.label()
                    );
                }
            }
        }
    }
}

fn stepping_in_pieces_equals_one_run(backend: &Backend) {
    // The GPU splits long runs into several submissions; the result must not depend on it.
    let start = Grid::random(70, 45, 0.4, 3).unwrap();
    let expected = reference_run(&start, Rule::CONWAY, Topology::Torus, 300);
    let mut engine =
        life::LifeEngine::new(backend, start.clone(), Rule::CONWAY, Topology::Torus).unwrap();
    engine.step(1).unwrap();
    engine.step(0).unwrap();
    engine.step(299).unwrap();
    assert_eq!(engine.grid().unwrap(), expected, "{}", backend.label());
}

fn grids_split_across_several_buffers_match_reference(ctx: &Arc<GpuContext>) {
    // Grids larger than one storage binding are split by rows into chunk buffers. Force the
    // split on small grids with tiny chunk limits: one row per chunk, three rows, uneven bands.
    use speedup::life::gpu::GpuLife;
    for &(w, h) in &[(100, 37), (257, 29), (33, 2), (64, 1), (5, 9)] {
        let row_bytes = (w as u64).div_ceil(32) * 4;
        for rows_per_chunk in [1, 3, 8] {
            for &topology in TOPOLOGIES {
                for rule in ["B3/S23", "B36/S23"] {
                    for kernel in [life::Kernel::Packed, life::Kernel::Tiled] {
                        let rule = Rule::parse(rule).unwrap();
                        let start = Grid::random(w, h, 0.4, w as u64 * 7 + h as u64).unwrap();
                        let mut engine = GpuLife::with_chunk_limit(
                            ctx.clone(),
                            &start,
                            rule,
                            topology,
                            kernel,
                            row_bytes * rows_per_chunk,
                        )
                        .unwrap();
                        assert_eq!(
                            engine.chunk_count() as u32,
                            h.div_ceil(rows_per_chunk as u32)
                        );
                        engine.step(13).unwrap();
                        assert_eq!(
                            engine.grid().unwrap(),
                            reference_run(&start, rule, topology, 13),
                            "{} ({kernel}) {w}x{h} {rule} {topology}, {rows_per_chunk} rows per chunk",
                            ctx.summary().label()
                        );
                    }
                }
            }
        }
    }
}

fn gpu_tiles_match_reference_across_tiles_and_pass_lengths(ctx: &Arc<GpuContext>) {
    // The tiled kernel runs up to MAX_TILE_GENERATIONS generations per dispatch on 30x32-word
    // tiles. Grids more than one tile wide and tall, with partial tiles at the right and bottom,
    // stepped in pieces that end mid-pass (1, 7, 9, 13) or exactly on a pass (8, 64).
    use speedup::life::gpu::{GpuLife, MAX_TILE_GENERATIONS};
    let pieces = [1, 7, 8, 9, 13, 64];
    for &(w, h) in &[(1100, 77), (1024, 32), (1057, 40), (257, 129)] {
        for &topology in TOPOLOGIES {
            for rule in ["B3/S23", "B36/S23"] {
                let rule = Rule::parse(rule).unwrap();
                let start = Grid::random(w, h, 0.4, w as u64 + 31 * h as u64).unwrap();
                let mut engine =
                    GpuLife::with_kernel(ctx.clone(), &start, rule, topology, life::Kernel::Tiled)
                        .unwrap();
                assert_eq!(engine.generations_per_pass(), MAX_TILE_GENERATIONS);
                let mut expected = start.clone();
                for generations in pieces {
                    engine.step(generations).unwrap();
                    expected = reference_run(&expected, rule, topology, generations);
                    assert_eq!(
                        engine.grid().unwrap(),
                        expected,
                        "{} {w}x{h} {rule} {topology}, after a piece of {generations}",
                        ctx.summary().label()
                    );
                }
            }
        }
    }
}

fn rayon_bands_match_serial_on_grids_large_enough_to_split() {
    // Small grids run as one band; these are large enough for several uneven Rayon bands.
    // Serial itself is checked against the reference above.
    for &(w, h) in &[(2000, 701), (1025, 333), (4096, 67)] {
        for &topology in TOPOLOGIES {
            for rule in ["B3/S23", "B36/S23"] {
                let rule = Rule::parse(rule).unwrap();
                let start = Grid::random(w, h, 0.35, 5).unwrap();
                let serial =
                    life::run(&Backend::Serial, start.clone(), rule, topology, 20).unwrap();
                for threads in [2, 3, 5] {
                    for kernel in [life::Kernel::Packed, life::Kernel::Tiled] {
                        let backend = Backend::Rayon { threads };
                        let mut engine = LifeEngine::with_kernel(
                            &backend,
                            start.clone(),
                            rule,
                            topology,
                            kernel,
                        )
                        .unwrap();
                        engine.step(20).unwrap();
                        assert!(
                            engine.grid().unwrap() == serial,
                            "rayon ({threads} threads, {kernel}) differs from serial: {w}x{h} {rule} {topology}"
                        );
                    }
                }
            }
        }
    }
}

fn cpu_tiles_of_every_shape_match_reference() {
    // The tiled CPU kernel steps blocks of rows several generations at a time, recomputing halo
    // rows above and below each block. Force tiny blocks and many generations per pass, so halos
    // wrap around small tori several times, reach past the edges of bounded grids, and generation
    // counts leave a short last pass.
    use speedup::life::cpu::CpuLife;
    for &(w, h) in &[(1, 1), (5, 3), (40, 1), (33, 9), (70, 45)] {
        for (block_rows, gens) in [(1, 2), (2, 8), (5, 3), (64, 8)] {
            for threads in [None, Some(3)] {
                for &topology in TOPOLOGIES {
                    for rule in ["B3/S23", "B36/S23", "B3678/S34678", "B0/S8"] {
                        let rule = Rule::parse(rule).unwrap();
                        let start = Grid::random(w, h, 0.4, (w * h) as u64).unwrap();
                        let mut engine = CpuLife::tiled_with(
                            start.clone(),
                            rule,
                            topology,
                            threads,
                            block_rows,
                            gens,
                        )
                        .unwrap();
                        engine.step(13);
                        assert_eq!(
                            engine.grid(),
                            &reference_run(&start, rule, topology, 13),
                            "{w}x{h} {rule} {topology}: blocks of {block_rows} rows, {gens} generations a pass, threads {threads:?}"
                        );
                    }
                }
            }
        }
    }
}
