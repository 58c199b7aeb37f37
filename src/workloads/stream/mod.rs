//! STREAM triad, `a[i] = b[i] + s·c[i]` over large f32 arrays (after John McCalpin's STREAM
//! benchmark): the memory-bandwidth ceiling of each backend. Each element moves 12 bytes (load
//! b, load c, store a) for one multiply-add, so the triad runs at the speed of memory, and
//! `bench` can state a memory-bound workload's throughput as a fraction of it.
//!
//! Size notation: `N` or `N:REPS`, N elements per array (e.g. `2^25`), REPS triads per run
//! (default [`DEFAULT_REPS`]). The unit is the byte, counted as STREAM does: 3 arrays × 4 bytes ×
//! N per triad (write-allocate traffic, where a CPU reads a line before writing it, is not
//! counted).
//!
//! A run makes b and c (on the CPU in fresh memory; for the GPU on the host, then uploaded),
//! runs the triads, and has a in host memory at the end (read back from the GPU): its end-to-end
//! time measures the PCIe link as much as memory. The bandwidth probe is the kernel time (the
//! triads on resident arrays), which `bench` uses for its bandwidth rows whatever `--timing`
//! says. [`StreamRun::result`] reads `a` back for checking.
//!
//! The inputs are chosen so every result is exact in f32: `b[i] = i mod 1024`, `c[i] = (7i mod
//! 1000) / 4` and `s = 3`, so `s·c[i]` and `b[i] + s·c[i]` are small multiples of 1/4. Whether a backend fuses
//! the multiply-add or rounds twice then makes no difference: all backends are **bit-identical**
//! to the reference.

mod cpu;
mod gpu;

use super::single::{count_and_suffix, OptionKind, RunOption, RunOptions, RunReport, SingleRun};
use super::{
    Check, Device, DeviceSize, Engine, Prepared, Problem, RunClock, RunTiming, WorkCounts, Workload,
};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::gpu::ShaderBuild;
use crate::isa::Isa;
use crate::peak::Measure;
use cpu::CpuArrays;
pub use gpu::{GpuStream, STREAM_WGSL};
use std::time::Instant;

/// The triad's scalar, STREAM's value.
pub const SCALAR: f32 = 3.0;

/// Triads per run when the size does not say: enough that one run of a large array takes long
/// compared with a submission's overhead.
pub const DEFAULT_REPS: u32 = 10;

/// Most triads per run (all go into one GPU submission).
pub const MAX_REPS: u32 = 10_000;

/// One STREAM job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stream {
    /// Elements per array.
    pub elements: u64,
    /// Triads per run.
    pub reps: u32,
}

impl Stream {
    /// A validated job: 1 ≤ elements < 2^32 with three arrays' worth of host memory free, 1 ≤
    /// reps ≤ [`MAX_REPS`]. GPU limits are checked when a GPU run is prepared.
    pub fn new(elements: u64, reps: u32) -> Result<Stream> {
        if elements == 0 || elements > u32::MAX as u64 {
            return Err(Error::InvalidSize(format!(
                "stream: {elements} elements; must be between 1 and {}",
                u32::MAX
            )));
        }
        if reps == 0 || reps > MAX_REPS {
            return Err(Error::InvalidArgument(format!(
                "stream: {reps} repetitions; must be between 1 and {MAX_REPS}"
            )));
        }
        super::check_host_memory("the stream arrays", elements * 4 * 3)?;
        Ok(Stream { elements, reps })
    }

    /// Parses the workload's size notation: `N` or `N:REPS`.
    pub fn parse(size: &str) -> Result<Stream> {
        let (n, reps) = match size.split_once(':') {
            Some((n, r)) => (
                n,
                r.trim().parse().map_err(|_| {
                    Error::InvalidArgument(format!(
                        "stream size '{size}': expected N or N:REPS, e.g. 2^25:10"
                    ))
                })?,
            ),
            None => (size, DEFAULT_REPS),
        };
        Stream::new(super::parse_count(n, "stream element count")?, reps)
    }

    /// Bytes one run moves: 12 per element per triad.
    pub fn bytes(&self) -> f64 {
        12.0 * self.elements as f64 * self.reps as f64
    }
}

/// Input b at index `i`.
pub fn b_value(i: u64) -> f32 {
    (i % 1024) as f32
}

/// Input c at index `i`.
pub fn c_value(i: u64) -> f32 {
    ((i * 7) % 1000) as f32 * 0.25
}

/// The oracle: `a[i] = b[i] + s·c[i]` in f64, exact for these inputs, then stored as f32.
pub fn reference(elements: u64) -> Vec<f32> {
    (0..elements)
        .map(|i| (b_value(i) as f64 + SCALAR as f64 * c_value(i) as f64) as f32)
        .collect()
}

fn inputs(elements: u64) -> (Vec<f32>, Vec<f32>) {
    let b = (0..elements).map(b_value).collect();
    let c = (0..elements).map(c_value).collect();
    (b, c)
}

/// A STREAM job prepared on one backend, its arrays resident.
pub struct StreamRun {
    job: Stream,
    engine: Engine<CpuArrays, GpuStream>,
}

impl StreamRun {
    /// Makes the arrays (uploading them for the GPU) and the pipeline.
    pub fn new(backend: &Backend, job: Stream) -> Result<StreamRun> {
        let engine = Engine::at_level(
            backend,
            &cpu::PREFERENCE,
            |isa| CpuArrays::new(job.elements, isa),
            |ctx| GpuStream::new(ctx, &job),
        )?;
        Ok(StreamRun { job, engine })
    }

    /// Runs the job's triads, with b and c made afresh (and uploaded) first and a brought to
    /// host memory after.
    pub fn triads(&mut self) -> Result<RunTiming> {
        let clock = RunClock::start();
        let (n, reps) = (self.job.elements, self.job.reps);
        match &mut self.engine {
            Engine::Serial(arr) => {
                arr.load(false);
                let kernel = clock.ready(2 * n * 4);
                arr.triads(reps, false);
                Ok(kernel.done(None).on_host(n * 4))
            }
            Engine::Rayon(pool, arr) => {
                pool.install(|| arr.load(true));
                let kernel = clock.ready(2 * n * 4);
                pool.install(|| arr.triads(reps, true));
                Ok(kernel.done(None).on_host(n * 4))
            }
            Engine::Gpu(gpu) => gpu.run(reps, clock).map(|(_, timing)| timing),
        }
    }

    /// Array a as it stands (read back from the device for the GPU).
    pub fn result(&self) -> Result<Vec<f32>> {
        match &self.engine {
            Engine::Serial(arr) | Engine::Rayon(_, arr) => Ok(arr.a().to_vec()),
            Engine::Gpu(gpu) => gpu.result(),
        }
    }
}

impl Prepared for StreamRun {
    fn run(&mut self) -> Result<RunTiming> {
        self.triads()
    }

    fn cpu_isa(&self) -> Option<Isa> {
        self.engine.cpu().map(CpuArrays::isa)
    }

    fn work(&self) -> f64 {
        self.job.bytes()
    }

    fn result_summary(&self) -> Option<String> {
        Some(format!(
            "3 arrays of {:.1} MiB, {} triads per run",
            self.job.elements as f64 * 4.0 / (1 << 20) as f64,
            self.job.reps
        ))
    }
}

/// Runs one triad of `elements` elements on `backend` and returns a.
pub fn triad_once(backend: &Backend, elements: u64) -> Result<Vec<f32>> {
    let mut run = StreamRun::new(backend, Stream::new(elements, 1)?)?;
    run.triads()?;
    run.result()
}

/// The first element of `got` that differs from `expected` in its bits (NaN, from an unwritten
/// element, included): its index and the two values.
pub fn first_difference(got: &[f32], expected: &[f32]) -> Option<(usize, f32, f32)> {
    if got.len() != expected.len() {
        let i = got.len().min(expected.len());
        return Some((
            i,
            *got.get(i).unwrap_or(&f32::NAN),
            *expected.get(i).unwrap_or(&f32::NAN),
        ));
    }
    got.iter()
        .zip(expected)
        .position(|(g, e)| g.to_bits() != e.to_bits())
        .map(|i| (i, got[i], expected[i]))
}

/// Array lengths the checks use: awkward, and crossing workgroup and Rayon chunk boundaries.
pub const CHECK_SIZES: &[u64] = &[1, 31, 33, 63, 65, 100, 257, 65_537, 100_003];

/// STREAM triad as a benchmark workload.
pub struct StreamWorkload;

impl Problem for Stream {
    fn prepare(&self, backend: &Backend) -> Result<Box<dyn Prepared>> {
        Ok(Box::new(StreamRun::new(backend, *self)?))
    }

    fn per_unit(&self) -> String {
        format!("triads over {} f32 elements", self.elements)
    }
}

impl Workload for StreamWorkload {
    fn single_run(&self) -> Option<SingleRun> {
        Some(SingleRun {
            notation: "N[:REPS] elements",
            default_size: "2^24",
            options: RUN_OPTIONS,
            run: run_once,
        })
    }

    fn name(&self) -> &'static str {
        "stream"
    }

    fn description(&self) -> &'static str {
        "STREAM triad a = b + s*c over f32 arrays (memory-bound: the bandwidth ceiling)"
    }

    fn unit(&self) -> &'static str {
        "bytes"
    }

    fn bytes_per_unit(&self) -> Option<f64> {
        // Its unit is bytes already: its rows are the ceiling the others are measured against.
        Some(1.0)
    }

    fn default_sizes(&self, quick: bool) -> Vec<String> {
        if quick {
            vec!["2^20:10".into()]
        } else {
            vec!["2^25:10".into()]
        }
    }

    fn sweep_sizes(&self) -> Vec<String> {
        // From cache-resident to far beyond any cache. Repetitions make each run move about
        // 800 MB (12 bytes × 2^26), capped at 1000 triads for the smallest arrays.
        (12..=28)
            .step_by(2)
            .map(|k| format!("2^{k}:{}", ((1u64 << 26) >> k).clamp(1, 1000)))
            .collect()
    }

    fn device_size(&self) -> Option<DeviceSize> {
        // Device time on an H200 from the counted expectations (docs/performance.md): 2^28
        // floats × 70 triads, 2.3e11 bytes at ≥ 4.08e12 B/s: ~55 ms. The CPU rows run 2
        // triads.
        Some(DeviceSize {
            cpu: "2^28:2",
            gpu: "2^28:70",
            problem: "2^28 floats",
            part: "2 of the GPU's 70 triads over the same arrays",
        })
    }

    fn shaders(&self) -> Vec<ShaderBuild> {
        vec![gpu::shader_build()]
    }

    fn problem(&self, size: &str) -> Result<Box<dyn Problem>> {
        Ok(Box::new(Stream::parse(size)?))
    }

    /// Per byte (the unit): 12 bytes per element (b and c read, a written; write-allocate
    /// traffic not counted, as STREAM does) over three arrays, so 1 byte per byte from the
    /// level holding 12 × elements; a multiply and an add per element: 2 flops per 12 bytes
    /// (unfused on the CPU, fused by a GPU driver).
    fn work_counts(&self, size: &str, device: Device) -> Option<WorkCounts> {
        let job = Stream::parse(size).ok()?;
        let class = match device {
            Device::Cpu => Measure::F32MulAdd,
            Device::Gpu => Measure::F32Fma,
        };
        Some(
            WorkCounts::compute(&[(class, 2.0 / 12.0)], "").with_traffic(
                "arrays in and out",
                1.0,
                12.0 * job.elements as f64,
            ),
        )
    }

    fn verify(&self, backend: &Backend) -> Result<Check> {
        for &n in CHECK_SIZES {
            let got = triad_once(backend, n)?;
            if let Some((i, g, e)) = first_difference(&got, &reference(n)) {
                return Ok(Check {
                    passed: false,
                    detail: format!("{n} elements: a[{i}] = {g}, expected {e}"),
                });
            }
        }
        Ok(Check {
            passed: true,
            detail: format!(
                "{} array lengths bit-identical to the reference",
                CHECK_SIZES.len()
            ),
        })
    }
}

/// The options of `speedup run stream` besides the size.
const RUN_OPTIONS: &[RunOption] = &[RunOption::new(
    "reps",
    OptionKind::U32,
    "triads per run (default 10)",
)];

/// `speedup run stream`: triads over three arrays of `N[:REPS]` elements (`--reps` over the
/// size's), checked against the reference; a wrong result is the report's failure.
fn run_once(size: &str, options: &RunOptions, backend: &Backend) -> Result<RunReport> {
    let (elements, reps) = count_and_suffix(
        size,
        "stream element count",
        options.value("reps")?,
        "repetition count",
        DEFAULT_REPS,
    )?;
    let job = Stream::new(elements, reps)?;
    let mut run = StreamRun::new(backend, job)?;
    // One untimed triad first: the first touch of fresh memory (page faults on the CPU, lazy
    // allocation on some drivers) is not bandwidth.
    run.triads()?;
    let start = Instant::now();
    let timing = run.triads()?;
    let elapsed = start.elapsed().as_secs_f64();
    let ok = first_difference(&run.result()?, &reference(elements)).is_none();
    let mut report = RunReport::default();
    report.line(
        "arrays",
        format!(
            "3 x {elements} f32 ({:.1} MiB each)",
            elements as f64 * 4.0 / (1 << 20) as f64
        ),
    );
    report.line("triads", reps);
    report.line(
        "result",
        if ok {
            "matches the reference"
        } else {
            "DIFFERS from the reference"
        },
    );
    report.timing(elapsed, &timing, job.bytes(), "bytes");
    // Bandwidth is the triads on resident arrays: the kernel stage, not the transfers.
    report.line(
        "bandwidth",
        format!("{:.2} GB/s", job.bytes() / timing.kernel_seconds() / 1e9),
    );
    if let Some(d) = timing.device_seconds().filter(|d| *d > 0.0) {
        report.detail("on device", format!("{:.2} GB/s", job.bytes() / d / 1e9));
    }
    if !ok {
        report.failure = Some("the triad's result differs from the reference".to_string());
    }
    Ok(report)
}
