//! Criterion benchmarks of every registered workload, through the same `Workload` trait that
//! `speedup bench` uses: `cargo bench --bench workloads`. Each workload runs at its quick size on
//! serial, Rayon (every core) and the best GPU adapter (a software one is named as such).
//! Throughput is in the workload's own unit per second (criterion calls them elements).
//!
//! GPU timings include waiting for the device: `Prepared::run` returns only after polling the
//! device with wait, so criterion times whole runs, never just the submission.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use speedup::backend::{logical_cores, Backend};
use speedup::gpu::{AdapterChoice, GpuContext};
use speedup::workloads;

fn backends() -> Vec<Backend> {
    let mut backends = vec![
        Backend::Serial,
        Backend::Rayon {
            threads: logical_cores(),
        },
    ];
    match GpuContext::open(&AdapterChoice::Auto) {
        Ok(ctx) => backends.push(Backend::Gpu(ctx)),
        Err(e) => eprintln!("no GPU benchmarks: {e}"),
    }
    backends
}

fn every_workload(c: &mut Criterion) {
    let backends = backends();
    for workload in workloads::all() {
        let Some(size) = workload.default_sizes(true).into_iter().next() else {
            continue;
        };
        let mut group =
            c.benchmark_group(format!("{} {size} ({})", workload.name(), workload.unit()));
        group.sample_size(10);
        for backend in &backends {
            let mut prepared = match workload.prepare(&size, backend) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!(
                        "skipping {} {size} on {}: {e}",
                        workload.name(),
                        backend.label()
                    );
                    continue;
                }
            };
            group.throughput(Throughput::Elements(prepared.work() as u64));
            group.bench_function(backend.label(), |b| {
                b.iter(|| prepared.run().expect("a benchmark run"))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, every_workload);
criterion_main!(benches);
