//! Criterion benchmarks of the pattern files: reading and writing a 2048² random soup in every
//! format, in bytes of text per second (`cargo bench --bench formats`), and the grid hash in
//! bytes of grid per second. The target (issue 24) is at least 1 GB/s of text on one core.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use speedup::life::formats::{parse_pattern, render_pattern, Format};
use speedup::life::{Grid, RuleSpec};

fn formats(c: &mut Criterion) {
    let grid = Grid::random(2048, 2048, 0.5, 1).unwrap();
    let rule = RuleSpec::parse("B3/S23").unwrap();
    let mut group = c.benchmark_group("pattern files 2048x2048 soup");
    group.sample_size(10);
    for format in [
        Format::Rle,
        Format::Plaintext,
        Format::Life105,
        Format::Life106,
    ] {
        let text = render_pattern(&grid, &rule, format, None);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("read {}", format.name()), |b| {
            b.iter(|| parse_pattern(&text, "soup", format).unwrap())
        });
        group.bench_function(format!("write {}", format.name()), |b| {
            b.iter(|| render_pattern(&grid, &rule, format, None))
        });
    }
    group.finish();
    let big = Grid::random(8192, 8192, 0.5, 1).unwrap();
    let mut group = c.benchmark_group("grid hash 8192x8192");
    group.throughput(Throughput::Bytes(big.words().len() as u64 * 4));
    group.bench_function("hash_hex", |b| b.iter(|| big.hash_hex()));
    group.bench_function("hash_hex_parallel", |b| b.iter(|| big.hash_hex_parallel()));
    group.finish();
}

criterion_group!(benches, formats);
criterion_main!(benches);
