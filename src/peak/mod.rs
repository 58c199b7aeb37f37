//! Ceilings, measured: what each backend's hardware can do, by microkernels (`speedup peak`).
//!
//! A throughput alone does not say whether a row is good. The roofline model (Williams, Waterman
//! and Patterson, CACM 2009) holds it against what the device can do: its compute ceilings
//! (f32 with and without FMA, and the integer pipes, as the instruction roofline of Ding and
//! Williams, 2019, counts them) and a bandwidth ceiling per memory level (the hierarchical
//! roofline). As Berkeley's Empirical Roofline Toolkit and clpeak do, the ceilings are measured
//! by microkernels, not read from spec sheets:
//!
//! - CPU ([`cpu`]): hand-written SIMD at the level [`Isa::for_kernel`] picks (inline assembly:
//!   exactly the instructions counted, many independent chains so latency never binds), on one
//!   core (serial) and on every core of the Rayon pool; read and STREAM-triad bandwidth with a
//!   working set sized for each cache level and for DRAM;
//! - every GPU adapter ([`gpu`]): WGSL microkernels (8 independent `vec4` chains per
//!   invocation), read and triad bandwidth from workgroup memory, an L2-sized and a VRAM-sized
//!   working set, host→device and device→host copies and the empty-dispatch round trip.
//!
//! Each ceiling is the median of several samples with its 95% interval ([`crate::harness::stats`]),
//! and the best sample, which is what roofs use (a disturbed sample only lowers a ceiling). Next
//! to each, where it can be computed, the theoretical value ([`theory`]) and how it was known,
//! at the clock cpufreq gives or, where it gives none, the one [`clock`] measures.
//! [`cache`] keeps the last set per machine and build, so a report can reuse it.

pub mod cache;
pub mod clock;
pub mod cpu;
pub mod gpu;
pub mod theory;

use crate::backend::Backend;
use crate::error::Result;
use crate::harness::stats::{median_interval, Summary};
use crate::isa::Isa;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What a ceiling measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// f32 fused multiply-adds, counted as 2 flops each: flop/s.
    F32Fma,
    /// f32 multiplies and adds issued separately (as Mandelbrot's kernels are, on purpose), one
    /// flop each: flop/s.
    F32MulAdd,
    /// 32-bit integer adds: op/s (lane-operations).
    IntAdd,
    /// 32-bit integer multiplies (low half): op/s.
    IntMul,
    /// 32-bit two-input logic (xor): op/s. A LOP3 or `vpternlogd` may execute two or three of
    /// the operations a kernel writes as one instruction, in the ceiling's kernel as in the
    /// workloads': both count operations as written.
    IntLogic,
    /// Reading a working set that lives in `level`: bytes/s.
    Read,
    /// STREAM triad `a = b + s·c` on arrays that live in `level`, 12 bytes per element
    /// (write-allocate traffic not counted, as STREAM does): bytes/s.
    Triad,
    /// Host memory to a GPU buffer (`queue.write_buffer`, waited for): bytes/s.
    HostToDevice,
    /// A GPU buffer to host memory (copy to a mappable buffer, mapped): bytes/s.
    DeviceToHost,
    /// One empty dispatch, submitted and waited for: seconds (a latency, lower is better).
    EmptyDispatch,
    /// x86's `sha256rnds2` (two SHA-256 rounds of one message), independent ones back to back:
    /// instructions/s. The SHA unit's own rate, apart from the vector pipes: SHA-NI kernels are
    /// held to it as well as to the pipes' issue bound.
    Sha256Rnds2,
}

impl Measure {
    /// Every compute measure, in the order tables list them.
    pub const COMPUTE: [Measure; 5] = [
        Measure::F32Fma,
        Measure::F32MulAdd,
        Measure::IntAdd,
        Measure::IntMul,
        Measure::IntLogic,
    ];

    /// Ceilings of a special-purpose unit, one instruction each, measured beside
    /// [`Measure::COMPUTE`] where the CPU has the unit. Their operations are instructions of
    /// that unit, which the vector-pipe classes count too (as issue slots), so they are left
    /// out of a row's total operations and of the roofline chart's lines.
    pub const UNITS: [Measure; 1] = [Measure::Sha256Rnds2];

    /// Whether this is one of [`Measure::UNITS`].
    pub fn is_unit(self) -> bool {
        Measure::UNITS.contains(&self)
    }

    /// Words for tables: "f32 FMA", "L2 triad" (with its level), ...
    pub fn words(self) -> &'static str {
        match self {
            Measure::F32Fma => "f32 FMA",
            Measure::F32MulAdd => "f32 mul+add",
            Measure::IntAdd => "int32 add",
            Measure::IntMul => "int32 mul",
            Measure::IntLogic => "int32 logic",
            Measure::Read => "read",
            Measure::Triad => "triad",
            Measure::HostToDevice => "host→device",
            Measure::DeviceToHost => "device→host",
            Measure::EmptyDispatch => "empty dispatch",
            Measure::Sha256Rnds2 => "sha256rnds2",
        }
    }

    /// The unit of the ceiling's value.
    pub fn unit(self) -> &'static str {
        match self {
            Measure::F32Fma | Measure::F32MulAdd => "flop/s",
            Measure::IntAdd | Measure::IntMul | Measure::IntLogic => "op/s",
            Measure::Sha256Rnds2 => "instr/s",
            Measure::EmptyDispatch => "s",
            _ => "B/s",
        }
    }

    /// Whether higher values are better (every rate); false for the dispatch latency.
    pub fn is_rate(self) -> bool {
        self != Measure::EmptyDispatch
    }
}

/// A level of the memory hierarchy a bandwidth ceiling was measured from.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum MemLevel {
    /// CPU level-1 data cache (per core).
    L1,
    /// CPU level-2 cache (per core on current x86 parts).
    L2,
    /// CPU last-level cache (shared).
    L3,
    /// CPU main memory.
    Dram,
    /// GPU workgroup (shared) memory.
    Workgroup,
    /// GPU L2 cache: a working set of a few MiB.
    GpuL2,
    /// GPU device memory (HBM/GDDR; host memory on a software adapter).
    Vram,
}

impl MemLevel {
    /// The level's name in tables: "L1", "L2", "L3", "DRAM", "workgroup", "GPU L2", "VRAM".
    pub fn words(self) -> &'static str {
        match self {
            MemLevel::L1 => "L1",
            MemLevel::L2 => "L2",
            MemLevel::L3 => "L3",
            MemLevel::Dram => "DRAM",
            MemLevel::Workgroup => "workgroup",
            MemLevel::GpuL2 => "GPU L2",
            MemLevel::Vram => "VRAM",
        }
    }
}

/// A theoretical peak and how it was computed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Theoretical {
    /// The peak, in the ceiling's unit.
    pub value: f64,
    /// The product it is and where each factor came from, e.g. "1 core(s) × 3242 MHz (measured:
    /// dependent adds on one core, no cpufreq here) × 8 lanes × 2 flops × 2 (2 FMA pipes (Zen
    /// 3/4); AuthenticAMD family 25)".
    pub how: String,
}

/// One measured ceiling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Ceiling {
    /// What was measured.
    pub measure: Measure,
    /// The memory level, for bandwidth ceilings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<MemLevel>,
    /// Median over the samples, in `unit`.
    pub value: f64,
    /// The best sample (highest rate; shortest latency): what roofs are computed from, since a
    /// disturbed sample can only make the hardware look slower than it is.
    pub best: f64,
    /// Distribution-free 95% interval of the median (null under 6 samples).
    pub interval: Option<[f64; 2]>,
    /// "flop/s", "op/s", "B/s" or "s".
    pub unit: String,
    /// Samples taken.
    pub samples: usize,
    /// Bytes the microkernel kept in use (bandwidth ceilings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_set_bytes: Option<u64>,
    /// Size of the level, where known (CPU caches from the OS; per core for L1 and L2): a
    /// problem whose working set fits is served from this level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_bytes: Option<u64>,
    /// The theoretical peak, where it can be computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theoretical: Option<Theoretical>,
}

impl Ceiling {
    /// `best / theoretical`: how far the measured ceiling is from the theoretical peak.
    pub fn fraction_of_theoretical(&self) -> Option<f64> {
        let t = self.theoretical.as_ref()?.value;
        (t > 0.0).then(|| self.best / t)
    }

    /// "f32 FMA", "L2 triad", ...
    pub fn name(&self) -> String {
        match self.level {
            Some(level) => format!("{} {}", level.words(), self.measure.words()),
            None => self.measure.words().to_string(),
        }
    }
}

/// Every ceiling of one backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BackendCeilings {
    /// "serial", "rayon" or "gpu" (as rows' `backend`).
    pub backend: String,
    /// As rows label it, e.g. "rayon (2 threads)" or "gpu (software: llvmpipe ...)".
    pub label: String,
    /// The CPU model or the adapter's name.
    pub device: String,
    /// A software adapter: its ceilings are CPU ceilings (labelled † like its rows).
    pub software: bool,
    /// CPU threads (1 for serial, the pool for rayon; null for gpu).
    pub threads: Option<usize>,
    /// For gpu, the adapter's index in this process's enumeration.
    pub adapter: Option<usize>,
    /// The instruction-set level the CPU microkernels ran at (`Isa::name`; null for gpu).
    pub cpu_isa: Option<String>,
    /// The ceilings measured.
    pub ceilings: Vec<Ceiling>,
    /// What could not be measured and why, e.g. "int32 mul: SSE2 has no 32-bit lane multiply".
    #[serde(default)]
    pub notes: Vec<String>,
}

impl BackendCeilings {
    /// The ceiling of `measure` (at `level`), if measured.
    pub fn get(&self, measure: Measure, level: Option<MemLevel>) -> Option<&Ceiling> {
        self.ceilings
            .iter()
            .find(|c| c.measure == measure && c.level == level)
    }

    /// Whether these are the ceilings of the backend a row with these fields ran on.
    pub fn matches(&self, backend: &str, device: &str, threads: Option<usize>) -> bool {
        self.backend == backend && self.device == device && self.threads == threads
    }
}

/// The ceilings of every backend of one machine and build.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CeilingSet {
    /// When they were measured, UTC, ISO 8601.
    pub measured_at: String,
    /// Seconds the measurement took.
    pub seconds: f64,
    /// The machine and build they belong to ([`cache::machine_key`]).
    pub machine_key: String,
    /// Where they came from when read from the cache (the file), null when measured for this
    /// report.
    #[serde(default)]
    pub cached_from: Option<String>,
    /// One entry per backend.
    pub backends: Vec<BackendCeilings>,
}

impl CeilingSet {
    /// The ceilings of the backend a row ran on.
    pub fn for_row(
        &self,
        backend: &str,
        device: &str,
        threads: Option<usize>,
    ) -> Option<&BackendCeilings> {
        self.backends
            .iter()
            .find(|b| b.matches(backend, device, threads))
    }

    /// "measured 2026-12-06T11:40:02Z in 4.1 s" or "cached from FILE (measured ...)".
    pub fn provenance(&self) -> String {
        let measured = format!("measured {} in {:.1} s", self.measured_at, self.seconds);
        match &self.cached_from {
            Some(file) => {
                format!("read from the cache {file} ({measured}, same machine and build)")
            }
            None => measured,
        }
    }
}

/// How long each ceiling's samples run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// Seconds per sample (after calibration).
    pub sample_seconds: f64,
    /// Samples per ceiling (6 or more give an interval).
    pub samples: usize,
}

impl Budget {
    /// The default: 7 samples of 10 ms per ceiling, about 2 s for the CPU backends here and a
    /// few more for a software adapter.
    pub const DEFAULT: Budget = Budget {
        sample_seconds: 0.010,
        samples: 7,
    };

    /// A budget whose samples last `sample_seconds` each.
    pub fn with_sample_seconds(sample_seconds: f64) -> Budget {
        Budget {
            sample_seconds,
            ..Budget::DEFAULT
        }
    }
}

/// One measurement: `per_iteration` units of work per iteration; `run(n)` does `n` iterations
/// and returns the seconds they took (wall time, or device time where the caller has it).
///
/// The iteration count is calibrated first (doubling until a run takes an eighth of a sample,
/// then scaled to a sample), so the same code measures an H100 and a software adapter.
pub(crate) fn measure_rate(
    budget: &Budget,
    per_iteration: f64,
    mut run: impl FnMut(u64) -> Result<f64>,
) -> Result<Sampled> {
    let mut one: [(f64, &mut RunFn<'_>); 1] = [(per_iteration, &mut run)];
    let mut sampled = measure_rates_interleaved(budget, &mut one)?;
    Ok(sampled.remove(0))
}

/// Several measurements sampled in turns, one sample of each per round, until each has
/// `budget.samples`: a disturbance of the machine that lasts a few samples (another process, the
/// host of a virtual machine) then costs each ceiling a sample or two, not every sample of the
/// one that ran at the time, and the best sample of each is likelier to be an undisturbed one.
/// `runs` are (units of work per iteration, run) as [`measure_rate`] takes them.
pub(crate) fn measure_rates_interleaved(
    budget: &Budget,
    runs: &mut [(f64, &mut RunFn<'_>)],
) -> Result<Vec<Sampled>> {
    let mut samplers = runs
        .iter_mut()
        .map(|(_, run)| Sampler::calibrated(budget, &mut **run))
        .collect::<Result<Vec<_>>>()?;
    while samplers.iter().any(|s| s.rates.len() < budget.samples) {
        for (sampler, (per_iteration, run)) in samplers.iter_mut().zip(runs.iter_mut()) {
            if sampler.rates.len() < budget.samples {
                sampler.sample(budget, *per_iteration, &mut **run)?;
            }
        }
    }
    Ok(samplers
        .into_iter()
        .map(|s| Sampled { values: s.rates })
        .collect())
}

/// A measurement's run: `run(n)` does `n` iterations and returns the seconds they took.
pub(crate) type RunFn<'a> = dyn FnMut(u64) -> Result<f64> + 'a;

/// One measurement's iteration count and the rates sampled so far.
struct Sampler {
    iterations: u64,
    restarts: u32,
    rates: Vec<f64>,
}

impl Sampler {
    /// The iteration count, calibrated: doubled until a run takes an eighth of a sample, then
    /// scaled to a sample.
    fn calibrated(budget: &Budget, run: &mut RunFn<'_>) -> Result<Sampler> {
        let mut iterations = 1u64;
        loop {
            let t = run(iterations)?;
            if t >= budget.sample_seconds / 8.0 || iterations >= 1 << 40 {
                let scale = (budget.sample_seconds / t.max(1e-9)).clamp(1.0, 64.0);
                iterations = ((iterations as f64 * scale) as u64).max(1);
                break;
            }
            iterations *= 2;
        }
        Ok(Sampler {
            iterations,
            restarts: 0,
            rates: Vec::with_capacity(budget.samples),
        })
    }

    /// Takes one sample, or starts over with a larger count: a calibration run that the
    /// scheduler delayed makes the count too small, and fixed costs (waking a pool, a
    /// submission) would then be all a sample measures, so a sample far shorter than planned
    /// discards the samples so far.
    fn sample(&mut self, budget: &Budget, per_iteration: f64, run: &mut RunFn<'_>) -> Result<()> {
        let t = run(self.iterations)?;
        if t < budget.sample_seconds / 4.0 && self.restarts < 16 && self.iterations < 1 << 40 {
            self.iterations = ((self.iterations as f64 * budget.sample_seconds / t.max(1e-9))
                .clamp(2.0, 64.0 * self.iterations as f64)) as u64;
            self.rates.clear();
            self.restarts += 1;
            return Ok(());
        }
        self.rates
            .push(per_iteration * self.iterations as f64 / t.max(1e-12));
        Ok(())
    }
}

/// Samples of one ceiling, rates or latencies.
pub(crate) struct Sampled {
    values: Vec<f64>,
}

impl Sampled {
    /// Latencies measured directly: `samples` runs of `run`, each returning seconds.
    pub(crate) fn latencies(samples: usize, mut run: impl FnMut() -> Result<f64>) -> Result<Self> {
        let values = (0..samples).map(|_| run()).collect::<Result<Vec<f64>>>()?;
        Ok(Sampled { values })
    }

    /// The ceiling these samples make.
    pub(crate) fn ceiling(&self, measure: Measure, level: Option<MemLevel>) -> Ceiling {
        let s = Summary::of(&self.values).expect("at least one sample");
        Ceiling {
            measure,
            level,
            value: s.median,
            best: if measure.is_rate() { s.max } else { s.min },
            interval: median_interval(&self.values).map(|(a, b)| [a, b]),
            unit: measure.unit().to_string(),
            samples: s.count,
            working_set_bytes: None,
            capacity_bytes: None,
            theoretical: None,
        }
    }
}

/// The instruction-set level the CPU ceilings are measured at: the one a SIMD kernel gets from
/// [`Isa::for_kernel`] (the widest this CPU runs, or `SPEEDUP_CPU`).
pub fn cpu_level() -> Result<Isa> {
    Isa::for_kernel(&[Isa::Avx512, Isa::Avx2, Isa::Neon, Isa::Sse2, Isa::Scalar])
}

/// Measures the ceilings of every backend in `backends` within `budget`.
pub fn measure_all(backends: &[Backend], budget: &Budget) -> Result<CeilingSet> {
    let start = Instant::now();
    let mut out = Vec::new();
    for backend in backends {
        out.push(match backend {
            Backend::Serial => cpu::measure(None, budget)?,
            Backend::Rayon { threads } => cpu::measure(Some(*threads), budget)?,
            Backend::Gpu(ctx) => gpu::measure(ctx, budget)?,
        });
    }
    Ok(CeilingSet {
        measured_at: crate::harness::machine::utc_date(std::time::SystemTime::now()),
        seconds: start.elapsed().as_secs_f64(),
        machine_key: cache::machine_key(backends),
        cached_from: None,
        backends: out,
    })
}

/// The ceilings of `backends`: from the cache when it holds a set for this machine, build and
/// these backends (and `fresh` is false), else measured now and stored there.
pub fn ceilings(backends: &[Backend], budget: &Budget, fresh: bool) -> Result<CeilingSet> {
    if !fresh {
        if let Some(set) = cache::load(backends) {
            return Ok(set);
        }
    }
    let set = measure_all(backends, budget)?;
    // A cache that cannot be written costs the next report a measurement, nothing more.
    let _ = cache::store(&set);
    Ok(set)
}
