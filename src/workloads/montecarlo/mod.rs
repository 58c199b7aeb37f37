//! Monte Carlo π: draw N points in the unit square and count those inside the quarter circle;
//! π ≈ 4·hits/N. A reduction: the interesting part is adding up the hits from many threads.
//!
//! # Same points, same count, on every backend
//!
//! Sample i is drawn by a counter-based generator: a hash of (seed, i), with no state carried from
//! one sample to the next, so any thread can draw any sample and all backends draw the same
//! points. The hash is "lowbias32" (Chris Wellons), all wrapping u32 arithmetic:
//! `h = mix32(lo(i) ^ mix32(hi(i) ^ key))`, where `key` is the seed mixed to 32 bits. The point's
//! coordinates are the top two 15-bit fields of h, taken at the centre of their cell:
//! `(2x+1, 2y+1) / 2^16`, and it is inside when `(2x+1)² + (2y+1)² < 2^32`, an exact integer test.
//! The hit count is therefore **bit-identical** on every backend. (The 2^30-point lattice limits
//! the estimate to about six digits of π, far beyond what any feasible N resolves.)
//!
//! # Counting without a race
//!
//! Serial counts in one variable. Rayon gives every chunk of samples its own count and adds them
//! up afterwards (no shared counter at all). The GPU (shaders/montecarlo.wgsl) adds the 256
//! counts of a workgroup in workgroup memory and then does one `atomicAdd` per workgroup on a
//! 64-bit count kept as two u32 words.
//!
//! [`racy`] shows why: it counts with a shared counter updated by a plain read then write, as
//! `count += 1` compiles to without atomics, and reports how many increments were lost. It is a
//! demonstration (`speedup run montecarlo --racy`), never part of `bench` or `verify`.
//!
//! Size notation: `N` samples (e.g. `2^28`), seed [`DEFAULT_SEED`]. The unit is the sample.

pub mod cpu;
mod gpu;

use super::single::{about, OptionKind, RunOption, RunOptions, RunReport, SingleRun};
use super::{
    Check, Device, DeviceSize, Engine, Prepared, Problem, RunClock, RunTiming, WorkCounts, Workload,
};
use crate::backend::rayon_pool;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::gpu::ShaderBuild;
use crate::isa::Isa;
use crate::peak::Measure;
use cpu::{count_range, racy_cpu, rayon_count};
pub use gpu::{GpuMonteCarlo, MONTECARLO_WGSL};
use std::time::Instant;

/// Samples per GPU submission: each one short (no watchdog reset) and its offsets within u32.
pub const DEFAULT_BATCH: u64 = 1 << 28;

/// Seed of the benchmark and of `speedup run montecarlo` unless given.
pub const DEFAULT_SEED: u64 = 2024;

/// Most samples accepted: 2^48 (about three days at 10^9 samples per second).
pub const MAX_SAMPLES: u64 = 1 << 48;

/// One Monte Carlo job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonteCarlo {
    /// Samples to draw.
    pub samples: u64,
    /// Seed of the generator.
    pub seed: u64,
    /// Index of the first sample (0 normally; tests start near 2^32 to cross into the high word).
    pub first: u64,
}

impl MonteCarlo {
    /// A validated job: 1 ≤ samples ≤ [`MAX_SAMPLES`], indices within u64.
    pub fn new(samples: u64, seed: u64, first: u64) -> Result<MonteCarlo> {
        if samples == 0 || samples > MAX_SAMPLES {
            return Err(Error::InvalidSize(format!(
                "montecarlo: {samples} samples; must be between 1 and 2^48"
            )));
        }
        if first.checked_add(samples).is_none() {
            return Err(Error::InvalidSize(format!(
                "montecarlo: samples {first} + {samples} run past 2^64"
            )));
        }
        Ok(MonteCarlo {
            samples,
            seed,
            first,
        })
    }

    /// Parses the workload's size notation: `N` samples (`2^28` allowed), [`DEFAULT_SEED`].
    pub fn parse(size: &str) -> Result<MonteCarlo> {
        MonteCarlo::new(
            super::parse_count(size, "montecarlo sample count")?,
            DEFAULT_SEED,
            0,
        )
    }
}

/// What a count found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Estimate {
    /// Samples drawn.
    pub samples: u64,
    /// Samples inside the quarter circle.
    pub hits: u64,
}

impl Estimate {
    /// 4·hits/samples.
    pub fn pi(&self) -> f64 {
        4.0 * self.hits as f64 / self.samples as f64
    }

    /// One standard error of [`Estimate::pi`]: 4·√(p(1−p)/N).
    pub fn standard_error(&self) -> f64 {
        let p = self.hits as f64 / self.samples as f64;
        4.0 * (p * (1.0 - p) / self.samples as f64).sqrt()
    }
}

/// "lowbias32": a 32-bit integer hash with low bias (a bijection), by Chris Wellons.
#[inline]
pub fn mix32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// The seed mixed down to the 32-bit key every sample's hash starts from.
pub fn key(seed: u64) -> u32 {
    mix32(seed as u32 ^ mix32((seed >> 32) as u32 ^ 0x9e37_79b9))
}

/// The oracle, plainly: each sample's point and the circle test in u64.
pub fn reference(job: &MonteCarlo) -> Estimate {
    let key = key(job.seed);
    let mut hits = 0;
    for i in job.first..job.first + job.samples {
        let h = mix32(i as u32 ^ mix32((i >> 32) as u32 ^ key));
        let x = 2 * (h >> 17) as u64 + 1;
        let y = 2 * ((h >> 2) & 0x7fff) as u64 + 1;
        if x * x + y * y < 1 << 32 {
            hits += 1;
        }
    }
    Estimate {
        samples: job.samples,
        hits,
    }
}

/// A Monte Carlo job prepared on one backend.
pub struct MonteCarloRun {
    job: MonteCarlo,
    /// The CPU side's state is the level its kernels run at.
    engine: Engine<Isa, GpuMonteCarlo>,
    last: Option<Estimate>,
}

impl MonteCarloRun {
    /// Prepares `job` on `backend`.
    pub fn new(backend: &Backend, job: MonteCarlo) -> Result<MonteCarloRun> {
        MonteCarloRun::with_batch(backend, job, DEFAULT_BATCH)
    }

    /// Prepares `job` with `batch` samples per GPU submission (tests use small batches), the CPU
    /// kernels at this CPU's default level ([`Isa::for_kernel`] of [`cpu::PREFERENCE`]).
    pub fn with_batch(backend: &Backend, job: MonteCarlo, batch: u64) -> Result<MonteCarloRun> {
        MonteCarloRun::with_isa(backend, job, batch, default_isa()?)
    }

    /// Prepares `job` with the CPU kernels at level `isa` (serial and Rayon; the GPU ignores
    /// it): an error if this CPU cannot run `isa`.
    pub fn with_isa(
        backend: &Backend,
        job: MonteCarlo,
        batch: u64,
        isa: Isa,
    ) -> Result<MonteCarloRun> {
        if !isa.is_supported() {
            return Err(Error::InvalidArgument(format!(
                "montecarlo: this CPU cannot run {isa} code"
            )));
        }
        let engine = Engine::new(backend, || isa, |ctx| GpuMonteCarlo::new(ctx, batch, false))?;
        Ok(MonteCarloRun {
            job,
            engine,
            last: None,
        })
    }

    /// Draws the samples and counts the hits.
    pub fn estimate(&mut self) -> Result<(Estimate, RunTiming)> {
        // No input data: the samples are drawn from their index. The result is one 64-bit count.
        let clock = RunClock::start();
        let (hits, timing) = match &mut self.engine {
            Engine::Serial(isa) => {
                let kernel = clock.ready(0);
                let range = self.job.first..self.job.first + self.job.samples;
                let hits = count_range(*isa, key(self.job.seed), range);
                (hits, kernel.done(None).on_host(8))
            }
            Engine::Rayon(pool, isa) => {
                let kernel = clock.ready(0);
                let (isa, job) = (*isa, &self.job);
                let hits = pool.install(|| rayon_count(isa, job));
                (hits, kernel.done(None).on_host(8))
            }
            Engine::Gpu(gpu) => gpu.count(&self.job, false, clock)?,
        };
        let estimate = Estimate {
            samples: self.job.samples,
            hits,
        };
        self.last = Some(estimate);
        Ok((estimate, timing))
    }
}

impl Prepared for MonteCarloRun {
    fn run(&mut self) -> Result<RunTiming> {
        self.estimate().map(|(_, timing)| timing)
    }

    fn cpu_isa(&self) -> Option<Isa> {
        self.engine.cpu().copied()
    }

    fn work(&self) -> f64 {
        self.job.samples as f64
    }

    fn result_summary(&self) -> Option<String> {
        self.last
            .map(|e| format!("{} hits, pi ~ {:.6}", e.hits, e.pi()))
    }
}

/// The level the CPU kernels run at unless told: `SPEEDUP_CPU` if set, else the first of
/// [`cpu::PREFERENCE`] this CPU has.
pub fn default_isa() -> Result<Isa> {
    Isa::for_kernel(&cpu::PREFERENCE)
}

/// Estimates π for `job` once on `backend`.
pub fn estimate(backend: &Backend, job: MonteCarlo) -> Result<Estimate> {
    MonteCarloRun::new(backend, job)?.estimate().map(|(e, _)| e)
}

/// What the racy count got, against the true count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RacyOutcome {
    /// The true number of hits.
    pub expected: u64,
    /// What the shared, non-atomically updated counter ended at.
    pub counted: u64,
}

impl RacyOutcome {
    /// Increments lost to the race.
    pub fn lost(&self) -> u64 {
        self.expected.saturating_sub(self.counted)
    }
}

/// The shared-counter race made visible: counts the hits of `job` with one counter shared by all
/// threads and updated as `count += 1` is without atomics, a load and then a separate store.
/// Another thread's increment that lands between the two is overwritten. On the CPU every hit
/// does that (modelled with an `AtomicU64`'s separate `load` and `store`, which races exactly like
/// plain `+=` without being undefined behaviour); on the GPU every invocation adds its count that
/// way. Serial has no other thread to race with, so it loses nothing. How many increments Rayon
/// loses depends on how often its threads really run at the same moment: many on an idle
/// multi-core machine, few or none on a busy one where they take turns on one core (on a
/// loaded 2-core machine here it lost none of 13 million, while lavapipe lost 87%).
pub fn racy(backend: &Backend, job: MonteCarlo) -> Result<RacyOutcome> {
    let expected = reference(&job).hits;
    let counted = match backend {
        Backend::Serial => racy_cpu(&job, 1),
        Backend::Rayon { threads } => rayon_pool(*threads)?.install(|| racy_cpu(&job, *threads)),
        Backend::Gpu(ctx) => {
            if job.samples > u32::MAX as u64 {
                return Err(Error::InvalidSize(format!(
                    "montecarlo --racy on the GPU counts in one 32-bit word: at most {} samples",
                    u32::MAX
                )));
            }
            let mut gpu = GpuMonteCarlo::new(ctx.clone(), DEFAULT_BATCH, true)?;
            gpu.count(&job, true, RunClock::start())?.0
        }
    };
    Ok(RacyOutcome { expected, counted })
}

/// Jobs the checks use: awkward sample counts, one across the 2^32 boundary of the sample index
/// (the high word of the generator's input and the GPU's carry), and one large enough for the
/// GPU's 64-sample invocations and 256-invocation workgroups to fill several workgroups.
pub fn check_jobs() -> Vec<MonteCarlo> {
    let mut jobs: Vec<MonteCarlo> = [1, 31, 33, 63, 65, 100, 257, 100_003]
        .iter()
        .enumerate()
        .map(|(i, &n)| MonteCarlo::new(n, i as u64 + 1, 0).expect("valid"))
        .collect();
    jobs.push(MonteCarlo::new(20_000, 99, (1 << 32) - 7_777).expect("valid"));
    jobs
}

/// Monte Carlo π as a benchmark workload.
pub struct MonteCarloWorkload;

impl Problem for MonteCarlo {
    fn prepare(&self, backend: &Backend) -> Result<Box<dyn Prepared>> {
        Ok(Box::new(MonteCarloRun::new(backend, *self)?))
    }

    fn per_unit(&self) -> String {
        format!("samples of seed {} from index {}", self.seed, self.first)
    }
}

impl Workload for MonteCarloWorkload {
    fn single_run(&self) -> Option<SingleRun> {
        Some(SingleRun {
            notation: "samples",
            default_size: "2^26",
            options: RUN_OPTIONS,
            run: run_once,
        })
    }

    fn name(&self) -> &'static str {
        "montecarlo"
    }

    fn description(&self) -> &'static str {
        "Monte Carlo pi with a counter-based generator (integer, reduction with atomics)"
    }

    fn unit(&self) -> &'static str {
        "samples"
    }

    fn default_sizes(&self, quick: bool) -> Vec<String> {
        if quick {
            vec!["2^22".into()]
        } else {
            vec!["2^28".into()]
        }
    }

    fn sweep_sizes(&self) -> Vec<String> {
        (16..=32).step_by(2).map(|k| format!("2^{k}")).collect()
    }

    fn device_size(&self) -> Option<DeviceSize> {
        // Device time on an H200 from the counted expectations (docs/performance.md): 2^35
        // samples at 4e11–6e11/s: 57–85 ms. The CPU rows draw 2^28.
        Some(DeviceSize {
            cpu: "2^28",
            gpu: "2^35",
            problem: "pi by sampling",
            part: "the first 2^28 of the GPU's 2^35 samples (same seed)",
        })
    }

    fn shaders(&self) -> Vec<ShaderBuild> {
        vec![gpu::shader_build(false), gpu::shader_build(true)]
    }

    fn problem(&self, size: &str) -> Result<Box<dyn Problem>> {
        Ok(Box::new(MonteCarlo::parse(size)?))
    }

    /// Per sample (cpu.rs `is_hit`, shaders/montecarlo.wgsl `count_mine`): a `mix32` is 3
    /// shifts, 3 XORs and 2 multiplies; x = 2·(h >> 17) + 1 and y = 2·((h >> 2) & 0x7fff) + 1
    /// are 3 logic and 2 adds (a doubling and its +1 are one `lea`); x², y²: 2 multiplies; the
    /// test x² < 0 − y²: 2 adds; the count: 1 add.
    /// - CPU: the high word's mix is hoisted out of each 2^32 block: one mix and the XOR with
    ///   it: 7 + 3 = 10 logic, 2 + 2 = 4 multiplies, 2 + 2 + 1 = 5 adds;
    /// - GPU: both mixes and their XORs per sample (17 logic, 6 multiplies), plus the low
    ///   word's add and carry (compare, select, add: 3 adds) and the loop (offset, bound, counter:
    ///   3 adds): 11 adds.
    ///
    /// No memory traffic: each sample comes from its index.
    fn work_counts(&self, _size: &str, device: Device) -> Option<WorkCounts> {
        let ops: &[(Measure, f64)] = match device {
            Device::Cpu => &[
                (Measure::IntLogic, 10.0),
                (Measure::IntMul, 4.0),
                (Measure::IntAdd, 5.0),
            ],
            Device::Gpu => &[
                (Measure::IntLogic, 17.0),
                (Measure::IntMul, 6.0),
                (Measure::IntAdd, 11.0),
            ],
        };
        Some(WorkCounts::compute(
            ops,
            "loop control on the CPU not counted",
        ))
    }

    fn verify(&self, backend: &Backend) -> Result<Check> {
        let jobs = check_jobs();
        for job in &jobs {
            let expected = reference(job);
            // Small batches, so the batching and the count's accumulation are checked too.
            let got = MonteCarloRun::with_batch(backend, *job, 4096)?
                .estimate()?
                .0;
            if got != expected {
                return Ok(Check {
                    passed: false,
                    detail: format!(
                        "{} samples from index {} seed {}: {} hits, expected {}",
                        job.samples, job.first, job.seed, got.hits, expected.hits
                    ),
                });
            }
        }
        Ok(Check {
            passed: true,
            detail: format!("{} hit counts identical to the reference", jobs.len()),
        })
    }
}

/// The options of `speedup run montecarlo` besides the size.
const RUN_OPTIONS: &[RunOption] = &[
                RunOption::new("seed", OptionKind::U64, "seed of the random points (default 2024)"),
                RunOption::new("racy", OptionKind::Switch, "count with a shared counter updated without atomics and report how many increments were lost (a demonstration of the race, not an estimate)"),
            ];

/// `speedup run montecarlo`: an estimate of pi from `size` samples, or with `--racy` the
/// shared-counter race made visible (increments lost, no timing: the count is not the point).
fn run_once(size: &str, options: &RunOptions, backend: &Backend) -> Result<RunReport> {
    let samples = super::parse_count(size, "montecarlo sample count").map_err(about("--size"))?;
    let job = MonteCarlo::new(samples, options.value("seed")?.unwrap_or(DEFAULT_SEED), 0)?;
    let mut report = RunReport::default();
    report.line("samples", samples);
    if options.has("racy") {
        let start = Instant::now();
        let r = racy(backend, job)?;
        report.line("mode", "racy (shared counter, read then write, no atomics)");
        report.line("expected", format!("{} hits", r.expected));
        report.line("counted", format!("{} hits", r.counted));
        report.line(
            "lost",
            format!(
                "{} increments ({:.3}%)",
                r.lost(),
                100.0 * r.lost() as f64 / r.expected.max(1) as f64
            ),
        );
        report.line(
            "elapsed",
            format!(
                "{:.6} s (includes the exact reference count)",
                start.elapsed().as_secs_f64()
            ),
        );
        return Ok(report);
    }
    let mut run = MonteCarloRun::new(backend, job)?;
    let start = Instant::now();
    let (estimate, timing) = run.estimate()?;
    let elapsed = start.elapsed().as_secs_f64();
    report.line("hits", estimate.hits);
    report.line(
        "pi",
        format!(
            "{:.8} (off by {:.2e}; standard error {:.2e})",
            estimate.pi(),
            (estimate.pi() - std::f64::consts::PI).abs(),
            estimate.standard_error()
        ),
    );
    report.timing(elapsed, &timing, samples as f64, "samples");
    Ok(report)
}
