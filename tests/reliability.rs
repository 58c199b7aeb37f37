//! What happens when hardware, limits or inputs go wrong: clear errors, no panics, no hangs,
//! and the same answer every time.

mod common;

use speedup::backend::Backend;
use speedup::gpu::GpuContext;
use speedup::life::{Grid, Kernel, LifeEngine, Rule, Topology};
use speedup::workloads::Workload;
use std::process::Command;
use std::sync::Arc;

fn speedup() -> Command {
    Command::new(env!("CARGO_BIN_EXE_speedup"))
}

fn main() {
    let mut suite = common::Suite::new(file!());
    common::trials!(suite.per_gpu(
        repeated_gpu_runs_give_the_same_grid,
        grid_beyond_a_storage_binding_is_split_or_refused_with_the_limit_named
    ));
    // Every workload, each on every backend: `same_result_on_repeated_runs::NAME::BACKEND`.
    for workload in speedup::workloads::all() {
        let name = format!("same_result_on_repeated_runs::{}", workload.name());
        suite.per_backend(&name, move |backend| {
            gives_the_same_result_on_repeated_runs(workload.as_ref(), backend)
        });
    }
    common::trials!(suite.test(
        gpu_backend_without_adapter_says_how_to_get_one,
        auto_falls_back_to_rayon_with_one_line,
        unknown_adapter_lists_the_ones_there_are,
        an_adapter_next_to_another_backend_is_refused,
        hostile_sizes_are_refused_before_allocating
    ));
    suite.run()
}

fn repeated_gpu_runs_give_the_same_grid(ctx: &Arc<GpuContext>) {
    let start = Grid::random(203, 77, 0.45, 11).unwrap();
    for kernel in [Kernel::Packed, Kernel::Tiled, Kernel::Naive] {
        let backend = Backend::Gpu(ctx.clone());
        let hashes: Vec<String> = (0..4)
            .map(|_| {
                let mut e = LifeEngine::with_kernel(
                    &backend,
                    start.clone(),
                    Rule::CONWAY,
                    Topology::Torus,
                    kernel,
                )
                .unwrap();
                e.step(50).unwrap();
                e.grid().unwrap().hash_hex()
            })
            .collect();
        assert!(
            hashes.windows(2).all(|w| w[0] == w[1]),
            "{} {kernel}: {hashes:?}",
            backend.label()
        );
    }
}

fn grid_beyond_a_storage_binding_is_split_or_refused_with_the_limit_named(ctx: &Arc<GpuContext>) {
    let limit = ctx.limits().max_storage_buffer_binding_size;
    if limit > 256 << 20 {
        eprintln!("skipping: binding limit {limit} is too large to exceed cheaply here");
        return;
    }
    let backend = Backend::Gpu(ctx.clone());
    // The naive kernel (4 bytes a cell) has no splitting: refused, naming the limit.
    let side = ((limit / 4) as f64).sqrt() as u32 + 2;
    let grid = Grid::random(side, side, 0.5, 1).unwrap();
    let err = LifeEngine::with_kernel(&backend, grid, Rule::CONWAY, Topology::Torus, Kernel::Naive)
        .err()
        .expect("a grid beyond the binding limit must be refused");
    let msg = err.to_string();
    assert!(
        msg.contains("max_storage_buffer_binding_size") && msg.contains(&limit.to_string()),
        "{msg}"
    );
    // The packed and tiled kernels split it into chunk buffers and get the same answer as
    // the CPU. 32768 cells wide is 4096 bytes a row; one row more than one binding holds.
    let rows = (limit / 4096 + 1) as u32;
    let grid = Grid::random(32768, rows, 0.5, 2).unwrap();
    let mut cpu = LifeEngine::new(
        &Backend::Rayon { threads: 2 },
        grid.clone(),
        Rule::CONWAY,
        Topology::Torus,
    )
    .unwrap();
    cpu.step(3).unwrap();
    let expected = cpu.grid().unwrap();
    for kernel in [Kernel::Packed, Kernel::Tiled] {
        let mut gpu = LifeEngine::with_kernel(
            &backend,
            grid.clone(),
            Rule::CONWAY,
            Topology::Torus,
            kernel,
        )
        .unwrap();
        gpu.step(3).unwrap();
        assert!(
            gpu.grid().unwrap() == expected,
            "{} ({kernel}): split grid differs from the CPU",
            backend.label()
        );
    }
}

fn gpu_backend_without_adapter_says_how_to_get_one() {
    // No adapter answers for Metal on Linux; on a Mac this asks for GL, also absent there.
    let missing = if cfg!(target_os = "macos") {
        "gl"
    } else {
        "metal"
    };
    let out = speedup()
        .args(["life", "run", "--random", "8x8", "--backend", "gpu"])
        .env("WGPU_BACKEND", missing)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: no GPU adapter found"),
        "{stderr}"
    );
    assert!(stderr.contains("mesa-vulkan-drivers"), "{stderr}");
}

fn auto_falls_back_to_rayon_with_one_line() {
    let missing = if cfg!(target_os = "macos") {
        "gl"
    } else {
        "metal"
    };
    let out = speedup()
        .args(["life", "run", "--random", "8x8", "--generations", "3"])
        .env("WGPU_BACKEND", missing)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("using rayon"), "{stderr}");
}

/// `life run --random 8x8` with these backend flags, which must fail: its stderr.
fn failed_life_run(backend_flags: &[&str]) -> String {
    let out = speedup()
        .args(["life", "run", "--random", "8x8"])
        .args(backend_flags)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{backend_flags:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn unknown_adapter_lists_the_ones_there_are() {
    // `--backend gpu:ADAPTER` is the spelling; `--adapter ADAPTER` says the same.
    for spelling in [
        &["--backend", "gpu:no-such-gpu"][..],
        &["--backend", "gpu", "--adapter", "no-such-gpu"],
        &["--adapter", "no-such-gpu"],
    ] {
        let stderr = failed_life_run(spelling);
        assert_eq!(stderr.lines().count(), 1, "{spelling:?}: {stderr}");
        assert!(stderr.contains("no-such-gpu"), "{spelling:?}: {stderr}");
    }
}

fn an_adapter_next_to_another_backend_is_refused() {
    for spelling in [
        &["--backend", "serial", "--adapter", "0"][..],
        &["--backend", "gpu:0", "--adapter", "1"],
    ] {
        let stderr = failed_life_run(spelling);
        assert!(
            stderr.starts_with("error: --adapter") && stderr.contains("contradicts"),
            "{spelling:?}: {stderr}"
        );
    }
}

fn hostile_sizes_are_refused_before_allocating() {
    for size in ["1000000x1000000", "0x5", "4294967296x1"] {
        let out = speedup()
            .args(["life", "run", "--random", size, "--backend", "serial"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{size}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        // The first line says it all (clap may add a line pointing at --help).
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error:") && first.contains(size),
            "{size}: {stderr}"
        );
    }
}

/// `workload` gives the same result on repeated runs on `backend`.
fn gives_the_same_result_on_repeated_runs(workload: &dyn Workload, backend: &Backend) {
    // Each repetition prepares afresh (a prepared Life run keeps stepping from where it was), so
    // equal summaries mean equal results: hashes, hit counts, nonces, iteration totals.
    let repeats = if matches!(backend, Backend::Gpu(_)) {
        3
    } else {
        2
    };
    let size = &workload.default_sizes(true)[0];
    let summaries: Vec<Option<String>> = (0..repeats)
        .map(|_| {
            let mut p = workload.prepare(size, backend).unwrap();
            p.run().unwrap();
            p.result_summary()
        })
        .collect();
    assert!(
        summaries[0].is_some(),
        "{} gives no result summary to compare",
        workload.name()
    );
    assert!(
        summaries.windows(2).all(|w| w[0] == w[1]),
        "{} {size} on {}: {summaries:?}",
        workload.name(),
        backend.label()
    );
}
