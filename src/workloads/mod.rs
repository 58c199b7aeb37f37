//! The benchmark suite: every workload behind one small trait that `speedup bench`, `speedup
//! verify` and `speedup run` iterate over. Adding a workload is one folder here plus one shader,
//! and one line in [`all`]: the workload states its own device-filling size
//! ([`Workload::device_size`]) and its kernel builds ([`Workload::shaders`]).
//!
//! Each workload but Life (a thin wrapper over [`crate::life`]) is a folder of three files:
//! `mod.rs` holds the job, its size parser, the oracle, the checks and the [`Workload`]
//! implementation; `cpu.rs` the kernels the serial and Rayon backends share; `gpu.rs` the GPU host
//! code (pipeline, buffers, submissions, readback) next to its shader in `shaders/`. A new backend
//! adds one file per workload beside those two.
//!
//! A workload turns a size string (its own notation, e.g. `4096x4096` for Life) into a
//! [`Problem`] (parsed and validated), and that into a [`Prepared`] run on one backend: inputs made and uploaded once, then [`Prepared::run`] executed
//! as many times as the harness needs. Each run does the whole job (for the GPU: upload, compute,
//! wait, read back) and reports its phases, so the harness can show end-to-end wall time next to
//! device time.
//!
//! `speedup run` runs one workload once through [`Workload::single_run`]: the workload declares
//! its own options and prints its own summary, so the command needs no edit for a new one.

pub mod counts;
pub mod life;
pub mod mandelbrot;
pub mod montecarlo;
pub mod nbody;
pub mod sha256;
pub mod single;
pub mod stream;
pub mod timing;

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::gpu::ShaderBuild;
use crate::isa::Isa;
pub use counts::{Device, Ran, WorkCounts};
pub use single::SingleRun;
pub use timing::{RunClock, RunTiming, Timing};

/// One workload at one size on one backend, ready to run repeatedly.
pub trait Prepared {
    /// Runs the job once, start to finish, waiting for the device, through the three stages of
    /// a [`RunClock`] (inputs, kernel, results: [`timing`] says what each covers). The harness
    /// times the call: that is the run's end-to-end time.
    fn run(&mut self) -> Result<RunTiming>;
    /// Units of work one run does, in [`Workload::unit`] (e.g. cell-updates).
    fn work(&self) -> f64;
    /// A fingerprint of the last run's result (a hash, a nonce, a count), for reports.
    fn result_summary(&self) -> Option<String> {
        None
    }
    /// The instruction-set level the run's CPU kernel was compiled for (`cpu_isa` in reports);
    /// `None` on a GPU, and for a CPU kernel with no vector code of its own (the default).
    fn cpu_isa(&self) -> Option<Isa> {
        None
    }
    /// The CPU kernel that ran, by name, where a workload has more than one kind at a level
    /// (`cpu_kernel` in reports): sha256's `sha-ni ×2` (SHA-NI, two messages in flight) or
    /// `avx2 ×8` (eight messages in AVX2 lanes). `None` on a GPU and where the level says it all
    /// (the default). [`Workload::work_counts_ran`] counts the kernel named here.
    fn cpu_kernel(&self) -> Option<String> {
        None
    }
}

/// One workload at one size, parsed and validated ([`Workload::problem`]): ready to be prepared
/// on any backend. `speedup bench` parses every size into one before it measures anything, so a
/// typo in the last size fails at once, not after the rows before it.
pub trait Problem: Send + Sync {
    /// Prepares a run on `backend`: pipelines built, buffers made (each run then makes its
    /// inputs resident itself, inside its clock).
    fn prepare(&self, backend: &Backend) -> Result<Box<dyn Prepared>>;
    /// The parameters that decide what each unit of work is, in words (e.g. "8192x8192 image
    /// of -2,-1.25,0.5,1.25 at max_iter 4000"): leaving out only how many units a run does (its
    /// repetitions, or which part of the problem). The CPU and GPU sizes of a device-filling
    /// problem must give the same text (tests/timing.rs), so their throughputs compare the very
    /// same work.
    fn per_unit(&self) -> String;
}

/// Outcome of checking a backend against the workload's CPU reference.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// Whether the backend's results are within the workload's stated tolerance (exact for
    /// integer workloads).
    pub passed: bool,
    /// What was compared and the error measure, e.g. "12 sizes bit-identical" or
    /// "max relative error 3.1e-6 (bound 1e-4)".
    pub detail: String,
}

/// One problem at a size that fills a datacenter GPU (an H100/H200), for `speedup bench`'s
/// default run on such a GPU ([`crate::harness::sizing`] says when): the size its GPU rows run
/// and the size its CPU rows run, both the same grid, image, body count or array with different
/// repetitions (or, for searches and samplings made of independent items, different item
/// counts), so their speedups are throughput ratios.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceSize {
    /// The size serial and Rayon rows run (the workload's notation).
    pub cpu: &'static str,
    /// The size rows on a device-filling GPU run.
    pub gpu: &'static str,
    /// The shared problem in words, e.g. "16384x16384 torus": what the rows' speedups compare.
    pub problem: &'static str,
    /// Which part of the GPU's problem the CPU rows run, in words (e.g. "the first 2^28 of the
    /// 2^35 samples"): the note on CPU rows (`part` in the JSON).
    pub part: &'static str,
}

/// A benchmarkable workload with a plain CPU reference.
pub trait Workload: Send + Sync {
    /// Short name used on the command line: life, mandelbrot, nbody, sha256, montecarlo, stream.
    fn name(&self) -> &'static str;
    /// One line saying what it computes and what character it has (compute- or memory-bound).
    fn description(&self) -> &'static str;
    /// The unit of work counted by [`Prepared::work`], e.g. "cell-updates"; throughput is this
    /// per second.
    fn unit(&self) -> &'static str;
    /// The fewest bytes of memory traffic one unit of work needs (each input read once, each
    /// output written once), for memory-bound workloads: `bench` divides the resulting bytes/s
    /// by the same backend's STREAM bandwidth. `None` (the default) for compute-bound ones.
    fn bytes_per_unit(&self) -> Option<f64> {
        None
    }

    /// What one unit of work costs at `size` on a `device` ([`counts`]): operations by
    /// instruction class and bytes from each memory level, counted once, here, from the kernel
    /// (the count written out beside it). Rows are held against their roof with it. `None` for a
    /// size that does not parse.
    fn work_counts(&self, size: &str, device: Device) -> Option<WorkCounts>;

    /// [`Workload::work_counts`] for a row that says what it ran ([`Ran`]: its level and, for
    /// a workload with several CPU kernels, which one): what a row is held against its roof
    /// with. The default ignores it; SHA-256 counts its SHA-NI kernel apart.
    fn work_counts_ran(&self, size: &str, device: Device, ran: &Ran) -> Option<WorkCounts> {
        let _ = ran;
        self.work_counts(size, device)
    }

    /// Sizes `speedup bench` runs by default; `quick` gives small ones that finish fast.
    fn default_sizes(&self, quick: bool) -> Vec<String>;
    /// Sizes from tiny to large for `speedup bench --sweep`.
    fn sweep_sizes(&self) -> Vec<String>;
    /// Parses and validates `size`, in the workload's notation. Errors name the size and the bad
    /// parameter.
    fn problem(&self, size: &str) -> Result<Box<dyn Problem>>;
    /// Parses `size` and prepares a run of it on `backend` ([`Workload::problem`], then
    /// [`Problem::prepare`]).
    fn prepare(&self, size: &str, backend: &Backend) -> Result<Box<dyn Prepared>> {
        self.problem(size)?.prepare(backend)
    }
    /// Checks `backend` against the CPU reference at awkward sizes.
    fn verify(&self, backend: &Backend) -> Result<Check>;
    /// The problem size as one number and its unit, for the x axis of `speedup bench --sweep`
    /// and for ordering sizes when finding crossovers, e.g. `(16777216.0, "cells")` for Life at
    /// 4096x4096. `None` (the default) uses the work per run: right wherever work grows with
    /// the size, wrong for a sweep that keeps the work per run constant as Life's does.
    fn problem_size(&self, size: &str) -> Option<(f64, &'static str)> {
        let _ = size;
        None
    }
    /// How `speedup run` runs this workload once: its size notation and default, its options,
    /// and the run itself ([`single`]). `None` (the default) for a workload that has none
    /// (Life has its own command, `speedup life run`).
    fn single_run(&self) -> Option<SingleRun> {
        None
    }
    /// The problem that fills a datacenter GPU for 50–150 ms of device time, estimated from
    /// counted expectations ([`crate::harness::sizing`] says how, and when it is used); `None`
    /// for a workload without one.
    fn device_size(&self) -> Option<DeviceSize>;
    /// Every GPU kernel build its GPU host code compiles (shader as composed, entry point,
    /// pipeline constants), for tests/shaders_validate.rs to validate and translate to every
    /// shading language.
    fn shaders(&self) -> Vec<ShaderBuild>;
}

/// Every workload, in the order reports list them: one Life workload per Life kernel
/// ([`crate::life::Kernel::ALL`]), then the others.
pub fn all() -> Vec<Box<dyn Workload>> {
    let life = crate::life::Kernel::ALL
        .into_iter()
        .map(|kernel| Box::new(life::LifeWorkload { kernel }) as Box<dyn Workload>);
    let others: [Box<dyn Workload>; 6] = [
        Box::new(mandelbrot::MandelbrotWorkload::EXACT),
        Box::new(mandelbrot::MandelbrotWorkload::FUSED),
        Box::new(nbody::NBodyWorkload),
        Box::new(sha256::Sha256Workload),
        Box::new(montecarlo::MonteCarloWorkload),
        Box::new(stream::StreamWorkload),
    ];
    life.chain(others).collect()
}

/// Every GPU kernel build the crate compiles: each workload's ([`Workload::shaders`]), the
/// batched Life kernel of `speedup life batch`, which is no workload, and the ceilings'
/// microkernels ([`crate::peak::gpu::shader_builds`]).
pub fn shader_builds() -> Vec<ShaderBuild> {
    all()
        .into_iter()
        .flat_map(|w| w.shaders())
        .chain([crate::life::batch::gpu::shader_build()])
        .chain(crate::peak::gpu::shader_builds())
        .collect()
}

/// The workload called `name`.
pub fn by_name(name: &str) -> Result<Box<dyn Workload>> {
    let all = all();
    let names: Vec<&str> = all.iter().map(|w| w.name()).collect();
    let joined = names.join(", ");
    all.into_iter()
        .find(|w| w.name().eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "unknown workload '{name}': expected one of {joined}"
            ))
        })
}

/// How a prepared workload runs: serial or Rayon with the workload's CPU state `C` (`()` when it
/// has none), or its GPU state `G` (pipelines and buffers, boxed: far larger than the rest).
pub(crate) enum Engine<C, G> {
    /// One thread.
    Serial(C),
    /// A Rayon pool of the backend's size.
    Rayon(rayon::ThreadPool, C),
    /// A GPU.
    Gpu(Box<G>),
}

impl<C, G> Engine<C, G> {
    /// The engine for `backend`, with CPU state from `cpu` or GPU state from `gpu`.
    pub(crate) fn new(
        backend: &Backend,
        cpu: impl FnOnce() -> C,
        gpu: impl FnOnce(std::sync::Arc<crate::gpu::GpuContext>) -> Result<G>,
    ) -> Result<Self> {
        Engine::build(backend, || Ok(cpu()), gpu)
    }

    /// The engine for `backend`, with CPU state from `cpu`, which may fail (e.g. a kernel that
    /// `SPEEDUP_CPU` forces on a CPU without it), or GPU state from `gpu`.
    pub(crate) fn try_new(
        backend: &Backend,
        cpu: impl FnOnce() -> Result<C>,
        gpu: impl FnOnce(std::sync::Arc<crate::gpu::GpuContext>) -> Result<G>,
    ) -> Result<Self> {
        Engine::build(backend, cpu, gpu)
    }

    /// The engine for `backend` of a CPU kernel with vector code: its CPU state from `cpu`,
    /// given the level [`Isa::for_kernel`] picks from the kernel's `preference` (the level a
    /// test or `SPEEDUP_CPU` forces, else the kernel's fastest on this CPU). Serial and Rayon
    /// get the same level, chosen once here, so they run the same code.
    pub(crate) fn at_level(
        backend: &Backend,
        preference: &[Isa],
        cpu: impl FnOnce(Isa) -> C,
        gpu: impl FnOnce(std::sync::Arc<crate::gpu::GpuContext>) -> Result<G>,
    ) -> Result<Self> {
        Engine::build(backend, || Ok(cpu(Isa::for_kernel(preference)?)), gpu)
    }

    fn build(
        backend: &Backend,
        cpu: impl FnOnce() -> Result<C>,
        gpu: impl FnOnce(std::sync::Arc<crate::gpu::GpuContext>) -> Result<G>,
    ) -> Result<Self> {
        Ok(match backend {
            Backend::Serial => Engine::Serial(cpu()?),
            Backend::Rayon { threads } => {
                Engine::Rayon(crate::backend::rayon_pool(*threads)?, cpu()?)
            }
            Backend::Gpu(ctx) => Engine::Gpu(Box::new(gpu(ctx.clone())?)),
        })
    }

    /// The CPU state of a serial or Rayon engine.
    pub(crate) fn cpu(&self) -> Option<&C> {
        match self {
            Engine::Serial(c) | Engine::Rayon(_, c) => Some(c),
            Engine::Gpu(_) => None,
        }
    }
}

/// Parses a count written as digits (`_` separators allowed) or as a power of two (`2^24`).
/// `what` names the parameter in errors.
pub fn parse_count(text: &str, what: &str) -> Result<u64> {
    let t = text.trim().replace('_', "");
    let bad = || {
        Error::InvalidArgument(format!(
            "{what} '{text}': expected a whole number such as 1000000 or a power of two such as 2^20"
        ))
    };
    match t.split_once('^') {
        Some((base, exp)) => {
            let base: u64 = base.trim().parse().map_err(|_| bad())?;
            let exp: u32 = exp.trim().parse().map_err(|_| bad())?;
            base.checked_pow(exp).ok_or_else(|| {
                Error::InvalidSize(format!("{what} '{text}' does not fit in 64 bits"))
            })
        }
        None => t.parse().map_err(|_| bad()),
    }
}

/// Refuses a host allocation of `bytes` that is larger than the memory the OS says is available
/// (MemAvailable in /proc/meminfo on Linux; unchecked elsewhere), so an absurd size fails with a
/// message instead of the process being killed half-way.
pub(crate) fn check_host_memory(what: &str, bytes: u64) -> Result<()> {
    if let Some(available) = crate::host::available_memory() {
        if bytes > available {
            return Err(Error::InvalidSize(format!(
                "{what} needs {:.1} GiB of memory but only {:.1} GiB is available",
                bytes as f64 / (1u64 << 30) as f64,
                available as f64 / (1u64 << 30) as f64
            )));
        }
    }
    Ok(())
}

/// Adds one timed pass's device time to a run's total: the run has a device time only if every
/// one of its passes was timed (a timer can reject a nonsense reading).
pub(crate) fn add_device_time(total: Option<f64>, pass: Option<f64>) -> Option<f64> {
    Some(total? + pass?)
}

/// A `len`-element vector of `T::default()`, every page written: what a CPU run's inputs stage
/// does for its output, so that allocation and first touch are timed there (as the GPU's upload
/// is) rather than hidden in the kernel or skipped by lazily zeroed pages.
pub(crate) fn touched_vec<T: Clone + Default>(len: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    v.resize(len, T::default());
    v
}
