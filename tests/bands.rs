//! Life's distributed bands stepped in one process (`life::distributed::run_local`, `Band`) and
//! the GPU engine's row access they rely on: the same bands, ghosts and halo exchanges as over
//! MPI (tests/mpi.rs), without MPI, so they run in every build, one trial per backend and Life
//! kernel (tests/common).

mod common;

use speedup::backend::Backend;
use speedup::gpu::GpuContext;
use speedup::life::distributed::{neighbours, run_local, Band, BandSpec, LocalRun};
use speedup::life::gpu::GpuLife;
use speedup::life::reference::reference_run;
use speedup::life::{Grid, Kernel, Rule, Topology};
use std::sync::Arc;

fn main() {
    let mut suite = common::Suite::new(file!());
    common::trials!(suite.per_engine(bands_on_every_backend_equal_the_reference));
    common::trials!(suite.per_gpu(
        resident_gpu_bands_equal_the_reference,
        gpu_band_moves_only_its_halo_rows,
        gpu_rows_read_and_write_across_chunks,
    ));
    suite.run()
}

/// Runs `grid` split into bands as `run` says, on `backend`, and checks that it ends as `want`
/// (the single engine's grid), naming the run where it does not.
fn assert_bands_give(backend: &Backend, grid: &Grid, run: LocalRun, want: &Grid) {
    let (got, _) = run_local(backend, grid, &run).unwrap();
    let LocalRun {
        rule,
        topology,
        kernel,
        ranks,
        halo,
        overlap,
        ..
    } = run;
    let (w, h) = (grid.width(), grid.height());
    assert_eq!(
        got.hash_hex(),
        want.hash_hex(),
        "{} {kernel} {w}x{h} {rule} {topology}, {ranks} bands, halo {halo}, overlap {overlap}",
        backend.label()
    );
}

/// The bands of a grid stepped in one process, halos copied between them, on every backend and
/// kernel (the GPU's band resident on the device): the single engine's grid.
fn bands_on_every_backend_equal_the_reference(backend: &Backend, kernel: Kernel) {
    let grid = Grid::random(70, 37, 0.45, 21).unwrap();
    let rule = Rule::parse("B36/S23").unwrap();
    for topology in [Topology::Torus, Topology::Bounded] {
        let want = reference_run(&grid, rule, topology, 11);
        for (ranks, halo, overlap) in [(2, 4, false), (3, 2, false), (4, 8, false), (3, 3, true)] {
            let run = LocalRun {
                rule,
                topology,
                kernel,
                ranks,
                halo,
                generations: 11,
                overlap,
            };
            assert_bands_give(backend, &grid, run, &want);
        }
    }
}

/// GPU bands keep their grid on the device and move only ghost and edge rows: at awkward sizes,
/// both topologies, ghosts 1, 3 and 8 deep, the packed and the tiled kernel, with and without the
/// overlapped exchange, the bands together give the reference grid (lavapipe in CI).
fn resident_gpu_bands_equal_the_reference(ctx: &Arc<GpuContext>) {
    let backend = Backend::Gpu(ctx.clone());
    for (i, &(w, h, ranks)) in [(67u32, 29u32, 2usize), (33, 50, 3), (95, 41, 4)]
        .iter()
        .enumerate()
    {
        let grid = Grid::random(w, h, 0.42, 40 + i as u64).unwrap();
        let rule = Rule::parse(["B3/S23", "B36/S23", "B3678/S34678"][i]).unwrap();
        for topology in [Topology::Torus, Topology::Bounded] {
            let gens = 17;
            let want = reference_run(&grid, rule, topology, gens);
            for halo in [1, 3, 8] {
                for kernel in [Kernel::Packed, Kernel::Tiled] {
                    for overlap in [false, true] {
                        let run = LocalRun {
                            rule,
                            topology,
                            kernel,
                            ranks,
                            halo,
                            generations: gens,
                            overlap,
                        };
                        assert_bands_give(&backend, &grid, run, &want);
                    }
                }
            }
        }
    }
}

/// A GPU band moves `2k` rows each way per block (not the band), its host copy is stale between
/// the edges until `sync`, and its edge rows are right after every step without a sync.
fn gpu_band_moves_only_its_halo_rows(ctx: &Arc<GpuContext>) {
    let backend = Backend::Gpu(ctx.clone());
    // Rank 1 of 3 on a 45-row torus: rows 15..30, ghosts 3 deep each side.
    let grid = Grid::random(77, 45, 0.5, 9).unwrap();
    let (rule, topology, k) = (Rule::CONWAY, Topology::Torus, 3u32);
    let wpr = grid.words_per_row() as usize;
    let rows = |g: &Grid, first: u32, count: u32| {
        g.words()[first as usize * wpr..(first + count) as usize * wpr].to_vec()
    };
    let owned = Grid::from_words(77, 15, rows(&grid, 15, 15)).unwrap();
    let around = neighbours(1, 3, topology);
    let spec = BandSpec {
        owned: &owned,
        first_row: 15,
        rule,
        topology,
        kernel: Kernel::Packed,
        depth: k,
        neighbours: around,
    };
    let mut band = Band::new(&backend, &spec).unwrap();
    assert_eq!(band.rows_moved_per_block(), (2 * k, 2 * k));
    {
        let halo = band.halo();
        halo.receive_above.copy_from_slice(&rows(&grid, 15 - k, k));
        halo.receive_below.copy_from_slice(&rows(&grid, 30, k));
    }
    band.step(k as u64).unwrap();
    let want = reference_run(&grid, rule, topology, k as u64);
    assert!(band.is_stale());
    let halo = band.halo();
    assert_eq!(halo.send_above, &rows(&want, 15, k)[..], "top edge rows");
    assert_eq!(
        halo.send_below,
        &rows(&want, 30 - k, k)[..],
        "bottom edge rows"
    );
    band.sync().unwrap();
    assert!(!band.is_stale());
    assert_eq!(band.owned_words(), &rows(&want, 15, 15)[..]);
}

/// `GpuLife::read_rows` and `write_rows` on grids split into chunks of a few rows (so ranges
/// cross chunk boundaries) and on one chunk: reads give the grid's rows, writes land where asked
/// (bits past the width cleared) and are stepped from, and bad ranges are refused.
fn gpu_rows_read_and_write_across_chunks(ctx: &Arc<GpuContext>) {
    let (w, h) = (70u32, 23u32);
    let wpr = w.div_ceil(32) as usize;
    let grid = Grid::random(w, h, 0.5, 5).unwrap();
    let rows = |g: &Grid, first: u32, count: u32| {
        g.words()[first as usize * wpr..(first + count) as usize * wpr].to_vec()
    };
    // 5 rows per chunk (5 chunks, the last of 3 rows), and one chunk.
    for (max_chunk, chunks) in [(5 * wpr as u64 * 4, 5), (1 << 20, 1)] {
        for kernel in [Kernel::Packed, Kernel::Tiled] {
            let mut engine = GpuLife::with_chunk_limit(
                ctx.clone(),
                &grid,
                Rule::CONWAY,
                Topology::Torus,
                kernel,
                max_chunk,
            )
            .unwrap();
            assert_eq!(engine.chunk_count(), chunks);
            let ranges = [(0, 3), (4, 7), (20, 3), (0, 23), (9, 0)];
            let read = engine.read_rows(&ranges).unwrap();
            for (&(first, count), got) in ranges.iter().zip(&read) {
                assert_eq!(
                    got,
                    &rows(&grid, first, count),
                    "{kernel} rows {first}+{count}"
                );
            }
            // New rows 3..11 (across two chunk boundaries) with every bit set, the padding
            // too: the engine must clear it.
            let mut want = grid.clone();
            engine.write_rows(3, &vec![u32::MAX; 8 * wpr]).unwrap();
            for y in 3..11 {
                for x in 0..w {
                    want.set(x, y, true);
                }
            }
            assert_eq!(engine.grid().unwrap(), want, "{kernel}, {chunks} chunks");
            engine.step(5).unwrap();
            let stepped = reference_run(&want, Rule::CONWAY, Topology::Torus, 5);
            assert_eq!(engine.grid().unwrap(), stepped, "{kernel}, {chunks} chunks");
            assert_eq!(
                engine.read_rows(&[(18, 5)]).unwrap()[0],
                rows(&stepped, 18, 5)
            );
            assert!(engine.read_rows(&[(20, 4)]).is_err());
            assert!(engine.write_rows(22, &vec![0; 2 * wpr]).is_err());
            assert!(engine.write_rows(0, &vec![0; wpr + 1]).is_err());
        }
    }
    let naive = GpuLife::with_kernel(
        ctx.clone(),
        &grid,
        Rule::CONWAY,
        Topology::Torus,
        Kernel::Naive,
    )
    .unwrap();
    let err = naive.read_rows(&[(0, 1)]).unwrap_err().to_string();
    assert!(err.contains("naive"), "{err}");
}
