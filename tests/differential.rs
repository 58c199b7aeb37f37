//! Randomised differential tests: proptest draws small random problems (Life grids, rules,
//! topologies, generation counts and kernels; random sizes and parameters for every other
//! workload) and checks each GPU adapter against the CPU reference. One trial per workload and
//! adapter, `differential::WORKLOAD::BACKEND`.
//!
//! Every trial prints its seed; a failure is shrunk to a smallest failing case and says how to
//! rerun it (`SPEEDUP_PROPTEST_SEED=N`). `SPEEDUP_PROPTEST_CASES` scales the case counts (1 = the
//! defaults below, about a hundred cases per adapter, three hundred per CI run on its three).
//!
//! Comparisons are exact wherever the results are bit-identical: Life, SHA-256, Monte Carlo,
//! STREAM (an exactly rounded `a = b + s·c`), and Mandelbrot on the software adapters (they keep
//! every f32 rounding the shader asks for). Mandelbrot on a hardware GPU may differ in
//! `MAX_GPU_DIFF_FRACTION` of an image's pixels, rounded down: a bound proportional to the
//! pixel count, so an image under 1000 pixels must match exactly. N-body's accelerations are
//! f32 sums in a different order from the f64 oracle: each body's error is bounded relative to
//! the sum of its terms' magnitudes (`ACCEL_TOLERANCE`, 1e-4), a bound that does not grow with
//! the magnitudes and that the f32 rounding of n terms (≈ n·6e-8 at worst) stays under for the
//! few hundred bodies drawn here.

mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use speedup::backend::Backend;
use speedup::gpu::GpuContext;
use speedup::life::{reference::reference_run, Grid, Kernel, LifeEngine, Rule, Topology};
use speedup::workloads::{mandelbrot, montecarlo, nbody, sha256, stream};
use std::fmt::Debug;
use std::sync::Arc;

fn main() {
    let mut suite = common::Suite::new(file!());
    differential(&mut suite, "life", 40, life_strategy, life_case);
    differential(
        &mut suite,
        "mandelbrot",
        12,
        mandelbrot_strategy,
        mandelbrot_case,
    );
    differential(&mut suite, "nbody", 10, nbody_strategy, nbody_case);
    differential(&mut suite, "sha256", 12, sha256_strategy, sha256_case);
    differential(
        &mut suite,
        "montecarlo",
        12,
        montecarlo_strategy,
        montecarlo_case,
    );
    differential(&mut suite, "stream", 12, stream_strategy, stream_case);
    suite.run()
}

/// Stamps `differential::WORKLOAD::BACKEND` on every GPU adapter: `cases` cases of `strategy`,
/// each checked by `check` (see [`run`]).
fn differential<S, F>(
    suite: &mut common::Suite,
    workload: &'static str,
    cases: u32,
    strategy: fn() -> S,
    check: F,
) where
    S: Strategy + 'static,
    S::Value: Debug,
    F: Fn(&Backend, &S::Value) -> Result<(), String> + Send + Sync + 'static,
{
    suite.per_gpu(&format!("differential::{workload}"), move |ctx| {
        run(workload, cases, strategy(), ctx, &check)
    });
}

/// The seed of this run: `SPEEDUP_PROPTEST_SEED`, or a fresh one from the clock.
fn seed() -> u64 {
    match std::env::var("SPEEDUP_PROPTEST_SEED") {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("SPEEDUP_PROPTEST_SEED={text}: expected a whole number")),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
    }
}

/// `cases` (times `SPEEDUP_PROPTEST_CASES`) cases drawn from `strategy`, each checked by `check`
/// on `ctx`; a failure is shrunk, and the panic names the seed, the smallest case and why.
fn run<S, F>(workload: &str, cases: u32, strategy: S, ctx: &Arc<GpuContext>, check: F)
where
    S: Strategy,
    S::Value: Debug,
    F: Fn(&Backend, &S::Value) -> Result<(), String>,
{
    let scale: u32 = std::env::var("SPEEDUP_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1);
    let seed = seed();
    let backend = Backend::Gpu(ctx.clone());
    let label = backend.label();
    eprintln!("differential {workload} on {label}: seed {seed}");
    let config = Config {
        cases: cases * scale,
        // No regression files: the seed printed above replays a run.
        failure_persistence: None,
        // Every shrinking step runs the GPU again: enough to reach a small case, bounded.
        max_shrink_iters: 200,
        ..Config::default()
    };
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let outcome = runner.run(&strategy, |case| {
        check(&backend, &case).map_err(TestCaseError::fail)
    });
    match outcome {
        Ok(()) => {}
        Err(TestError::Fail(why, case)) => panic!(
            "{workload} on {label} differs from the CPU reference (seed {seed}; rerun with \
             SPEEDUP_PROPTEST_SEED={seed} cargo test --test differential -- \
             differential::{workload}::)\nsmallest failing case: {case:?}\n{why}"
        ),
        Err(TestError::Abort(why)) => panic!("{workload} on {label}: seed {seed}: {why}"),
    }
}

/// One random Life run: grid, rule, topology, generations, kernel.
#[derive(Clone, Debug)]
struct LifeCase {
    width: u32,
    height: u32,
    density: f64,
    seed: u64,
    birth: u16,
    survival: u16,
    torus: bool,
    generations: u64,
    kernel: Kernel,
}

fn life_strategy() -> impl Strategy<Value = LifeCase> {
    (
        (1u32..=90, 1u32..=90, 0.0f64..=1.0, any::<u64>()),
        (0u16..512, 0u16..512, any::<bool>()),
        (0u64..=40, 0..Kernel::ALL.len()),
    )
        .prop_map(
            |((width, height, density, seed), (birth, survival, torus), (generations, k))| {
                LifeCase {
                    width,
                    height,
                    density,
                    seed,
                    birth,
                    survival,
                    torus,
                    generations,
                    kernel: Kernel::ALL[k],
                }
            },
        )
}

fn life_case(backend: &Backend, c: &LifeCase) -> Result<(), String> {
    let start = Grid::random(c.width, c.height, c.density, c.seed).map_err(|e| e.to_string())?;
    let rule = Rule {
        birth: c.birth,
        survival: c.survival,
    };
    let topology = if c.torus {
        Topology::Torus
    } else {
        Topology::Bounded
    };
    let expected = reference_run(&start, rule, topology, c.generations);
    let mut engine = LifeEngine::with_kernel(backend, start, rule, topology, c.kernel)
        .map_err(|e| e.to_string())?;
    engine.step(c.generations).map_err(|e| e.to_string())?;
    let got = engine.grid().map_err(|e| e.to_string())?;
    if got != expected {
        let differ = (0..c.height)
            .flat_map(|y| (0..c.width).map(move |x| (x, y)))
            .filter(|&(x, y)| got.get(x, y) != expected.get(x, y))
            .collect::<Vec<_>>();
        return Err(format!(
            "{} of {} cells differ, first at {:?} ({rule} {topology})",
            differ.len(),
            c.width * c.height,
            differ.first()
        ));
    }
    Ok(())
}

fn mandelbrot_strategy() -> impl Strategy<Value = (u32, u32, u32, [f64; 4])> {
    (
        1u32..=80,
        1u32..=80,
        1u32..=400,
        // A window inside [-2.5, 1.5] x [-1.5, 1.5], from the full set down to a deep zoom.
        (-2.5f64..1.0, -1.5f64..1.0, 1e-4f64..1.0, 1e-4f64..1.0),
    )
        .prop_map(|(w, h, m, (re, im, dw, dh))| {
            (
                w,
                h,
                m,
                [re, im, re + dw * (1.5 - re), im + dh * (1.5 - im)],
            )
        })
}

fn mandelbrot_case(
    backend: &Backend,
    &(w, h, m, r): &(u32, u32, u32, [f64; 4]),
) -> Result<(), String> {
    let text = format!("{},{},{},{}", r[0], r[1], r[2], r[3]);
    let region = mandelbrot::Region::parse(&text).map_err(|e| e.to_string())?;
    let job = mandelbrot::Mandelbrot::new(w, h, m, region).map_err(|e| e.to_string())?;
    let expected = mandelbrot::reference(&job);
    let got = mandelbrot::render(backend, job).map_err(|e| e.to_string())?;
    let differing = mandelbrot::compare(&job, &got, &expected).map_err(|e| e.to_string())?;
    let software = backend.gpu().is_some_and(|ctx| ctx.is_software());
    let allowed = if software {
        0
    } else {
        (mandelbrot::MAX_GPU_DIFF_FRACTION * job.pixels() as f64) as u64
    };
    if differing > allowed {
        return Err(format!(
            "{differing} of {} pixels differ (allowed {allowed})",
            job.pixels()
        ));
    }
    Ok(())
}

fn nbody_strategy() -> impl Strategy<Value = (u32, u64)> {
    (1u32..=300, any::<u64>())
}

fn nbody_case(backend: &Backend, &(n, seed): &(u32, u64)) -> Result<(), String> {
    let e = nbody::accel_check(backend, n, seed).map_err(|e| e.to_string())?;
    if e.relative > nbody::ACCEL_TOLERANCE {
        return Err(format!(
            "body {} acceleration off by {:.3e} of its terms' magnitude (bound {:.0e})",
            e.body,
            e.relative,
            nbody::ACCEL_TOLERANCE
        ));
    }
    Ok(())
}

/// A search: prefix, difficulty, first nonce, nonce count, exhaustive, batch.
type ShaCase = (Vec<u8>, u32, u64, u64, bool, u64);

fn sha256_strategy() -> impl Strategy<Value = ShaCase> {
    (
        proptest::collection::vec(any::<u8>(), 0..=sha256::MAX_PREFIX),
        1u32..=14,
        prop_oneof![
            0u64..1000,
            (1u64 << 32) - 3000..(1u64 << 32) + 3000,
            any::<u64>()
        ],
        1u64..=6000,
        any::<bool>(),
        prop_oneof![Just(64u64), 1u64..=5000, Just(sha256::DEFAULT_BATCH)],
    )
}

fn sha256_case(backend: &Backend, c: &ShaCase) -> Result<(), String> {
    let (prefix, difficulty, start, count, exhaustive, batch) = c.clone();
    let start = start.min(u64::MAX - count);
    let search = sha256::Search::new(&prefix, difficulty, start, count, exhaustive)
        .map_err(|e| e.to_string())?;
    let expected = sha256::reference(&search);
    let got = sha256::Sha256Run::with_batch(backend, search, batch)
        .and_then(|mut run| run.search())
        .map_err(|e| e.to_string())?
        .0;
    if got != expected {
        return Err(format!("found {got:?}, expected {expected:?}"));
    }
    Ok(())
}

fn montecarlo_strategy() -> impl Strategy<Value = (u64, u64, u64, u64)> {
    (
        1u64..=200_000,
        any::<u64>(),
        prop_oneof![0u64..1000, (1u64 << 32) - 100_000..(1u64 << 32) + 1000],
        prop_oneof![1u64..=5000, Just(montecarlo::DEFAULT_BATCH)],
    )
}

fn montecarlo_case(
    backend: &Backend,
    &(samples, seed, first, batch): &(u64, u64, u64, u64),
) -> Result<(), String> {
    let job = montecarlo::MonteCarlo::new(samples, seed, first).map_err(|e| e.to_string())?;
    let expected = montecarlo::reference(&job);
    let got = montecarlo::MonteCarloRun::with_batch(backend, job, batch)
        .and_then(|mut run| run.estimate())
        .map_err(|e| e.to_string())?
        .0;
    if got != expected {
        return Err(format!("counted {got:?}, expected {expected:?}"));
    }
    Ok(())
}

fn stream_strategy() -> impl Strategy<Value = u64> {
    1u64..=300_000
}

fn stream_case(backend: &Backend, &n: &u64) -> Result<(), String> {
    let got = stream::triad_once(backend, n).map_err(|e| e.to_string())?;
    match stream::first_difference(&got, &stream::reference(n)) {
        None => Ok(()),
        Some((i, g, e)) => Err(format!("a[{i}] = {g}, expected {e}")),
    }
}
