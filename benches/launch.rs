//! What a submission and a dispatch cost on this machine's GPU adapter (issue 20, item 3):
//! `cargo bench --bench launch`. Prints one line per adapter; docs/performance.md keeps the
//! numbers and what they would be on an H100.
//!
//! The probe is the STREAM triad at 256 elements (one workgroup, ~3 KiB: the work itself is
//! nil), timed by its kernel stage (src/workloads/timing.rs): one submission holding `reps`
//! dispatches, and the host's wait for it. With `reps` = 1 that is the cost of one submission
//! and wait with one dispatch in it; the slope between `reps` = 1 and `reps` = 1001 is the cost
//! of one more dispatch recorded into the same pass (wgpu places a barrier between dispatches
//! that write then read a buffer, as the triads do: a dependent dispatch, like a Life
//! generation's).

use speedup::backend::Backend;
use speedup::gpu::{AdapterChoice, GpuContext};
use speedup::workloads::stream::{Stream, StreamRun};

/// Timed runs per point; the median is kept.
const RUNS: usize = 41;

fn median_kernel_seconds(backend: &Backend, reps: u32) -> f64 {
    let job = Stream::new(256, reps).expect("a valid size");
    let mut run = StreamRun::new(backend, job).expect("prepared");
    run.triads().expect("warm-up");
    let mut samples: Vec<f64> = (0..RUNS)
        .map(|_| run.triads().expect("a run").kernel_seconds())
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[RUNS / 2]
}

fn main() {
    // `cargo bench` passes flags such as --bench; this probe takes none.
    let ctx = match GpuContext::open(&AdapterChoice::Auto) {
        Ok(ctx) => ctx,
        Err(e) => {
            println!("launch: skipped, no GPU adapter: {e}");
            return;
        }
    };
    let name = ctx.summary().name.clone();
    let backend = Backend::Gpu(ctx);
    let one = median_kernel_seconds(&backend, 1);
    let many = median_kernel_seconds(&backend, 1001);
    let per_dispatch = (many - one) / 1000.0;
    println!(
        "launch on {name}: one submission with one dispatch, waited for: {:.1} µs; each further \
         dependent dispatch in the same pass: {:.2} µs (medians of {RUNS})",
        one * 1e6,
        per_dispatch * 1e6
    );
}
