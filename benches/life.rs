//! Criterion benchmarks of Life on every backend, packed and tiled kernels: `cargo bench --bench
//! life`.
//! Throughput is in cell-updates (elements) per second. GPU timings include waiting for the device.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use speedup::backend::Backend;
use speedup::gpu::{AdapterChoice, GpuContext};
use speedup::life::{Grid, Kernel, LifeEngine, Rule, Topology};

fn life(c: &mut Criterion) {
    let (w, h, generations) = (1024u32, 1024u32, 16u64);
    let grid = Grid::random(w, h, 0.5, 42).unwrap();
    let mut backends = vec![
        Backend::Serial,
        Backend::Rayon {
            threads: speedup::backend::logical_cores(),
        },
    ];
    match GpuContext::open(&AdapterChoice::Auto) {
        Ok(ctx) => backends.push(Backend::Gpu(ctx)),
        Err(e) => eprintln!("no GPU benchmark: {e}"),
    }
    let mut group = c.benchmark_group(format!("life {w}x{h} x{generations}"));
    group.throughput(Throughput::Elements(w as u64 * h as u64 * generations));
    group.sample_size(10);
    for backend in &backends {
        for kernel in [Kernel::Packed, Kernel::Tiled] {
            let mut engine = LifeEngine::with_kernel(
                backend,
                grid.clone(),
                Rule::CONWAY,
                Topology::Torus,
                kernel,
            )
            .unwrap();
            let name = backend.label();
            // `step` returns only after the device has finished, so GPU time is real time.
            group.bench_function(format!("{name} {kernel}"), |b| {
                b.iter(|| engine.step(generations).unwrap())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, life);
criterion_main!(benches);
