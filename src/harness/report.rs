//! The one serialisable result type: a [`Report`] is the machine plus one [`ResultRow`] per
//! workload × backend × size. Every exporter (JSON, CSV, Markdown, the human table) reads it, and
//! `speedup compare` reads it back from JSON. docs/bench-format.md documents the JSON.

use super::machine::MachineInfo;
use super::measure::{MeasureConfig, Measurement};
use super::stats::{
    median_interval, median_of_present, ratio_interval, relative_half_width, Summary,
    NOISY_RELATIVE_STDDEV,
};
use crate::backend::Backend;
use crate::workloads::Timing;
use serde::{Deserialize, Serialize};

/// Version of the JSON layout; bumped when a field changes meaning or disappears (new fields may
/// be added without a bump). 2: rows keep their samples and 95% intervals, `noisy` is judged on
/// the median's interval, settings say `max_noise` and `interleave`, the machine has `system`.
/// 3: the report has the backends' measured `ceilings`, rows their `roof` and their speedups
/// split into hardware × code (`speedup_vs_serial_split`, `speedup_vs_rayon_split`).
/// Every older version is still read (missing fields take their defaults).
pub const FORMAT_VERSION: u32 = 3;

/// A benchmark report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// Where and with what it was measured.
    pub machine: MachineInfo,
    /// How each row was measured.
    pub settings: MeasureConfig,
    /// One row per workload × backend × size.
    pub results: Vec<ResultRow>,
    /// Strong scaling of Rayon (`--threads`): one row per workload × size × thread count.
    #[serde(default)]
    pub scaling: Vec<ScalingRow>,
    /// Where one backend overtakes another (`--sweep`).
    #[serde(default)]
    pub crossovers: Vec<Crossover>,
    /// Memory-bound rows as a fraction of the same backend's STREAM bandwidth.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bandwidth: Vec<BandwidthRow>,
    /// Rows that could not run (a size beyond a GPU limit, an adapter that failed), and why.
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    /// Every backend's measured ceilings (format 3; `speedup peak`, src/peak/), measured for
    /// this report or read from the cache of an earlier run on the same machine and build
    /// (`cached_from` says which).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceilings: Option<crate::peak::CeilingSet>,
    /// Remarks about the whole run (e.g. "gpu skipped: no adapter found").
    #[serde(default)]
    pub notes: Vec<String>,
}

/// One workload at one size on one backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ResultRow {
    /// Workload name, e.g. "life".
    pub workload: String,
    /// "serial", "rayon" or "gpu".
    pub backend: String,
    /// CPU model for serial and rayon, the adapter's name for gpu.
    pub device: String,
    /// True when `device` is a software GPU adapter: CPU timings, not a GPU result.
    pub software: bool,
    /// For gpu rows, the adapter's index in `machine.adapters`; null otherwise.
    pub adapter: Option<usize>,
    /// CPU threads: 1 for serial, the pool size for rayon, null for gpu.
    pub threads: Option<usize>,
    /// For serial and rayon rows, the instruction-set level the CPU kernel ran at: "scalar",
    /// "sse2", "avx2", "avx512" or "neon" (see docs/performance.md: each kernel's fastest on
    /// the CPU unless `SPEEDUP_CPU` forces one). Absent for gpu rows and in reports before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_isa: Option<String>,
    /// For serial and rayon rows of a workload with more than one CPU kernel, the one that ran,
    /// e.g. "sha-ni, 2 streams" or "avx2 multi-buffer, 8 lanes" (its operation count, and so
    /// its roof, depends on it). Absent otherwise and in reports before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_kernel: Option<String>,
    /// Problem size in the workload's own notation, e.g. "4096x4096:100".
    pub size: String,
    /// The problem size as a number, in `size_unit` (the x axis of sweeps; e.g. 16777216 cells).
    /// Defaults to 0 when reading a report that predates it.
    #[serde(default)]
    pub size_value: f64,
    /// Unit of `size_value`, e.g. "cells"; the work unit where the workload gives none.
    #[serde(default)]
    pub size_unit: String,
    /// Units of work per run (e.g. cell-updates).
    pub work: f64,
    /// The unit of `work`, e.g. "cell-updates".
    pub unit: String,
    /// Timed runs (after warm-up).
    pub runs: usize,
    /// Median time of one run under `timing`: end to end (inputs, kernel, results, every host
    /// wait: what a user waits for) or the kernel alone. `min_seconds` to `median_ci_seconds`,
    /// `throughput` and the speedups are of the same time.
    pub median_seconds: f64,
    /// Fastest run.
    pub min_seconds: f64,
    /// Slowest run.
    pub max_seconds: f64,
    /// Mean run time.
    pub mean_seconds: f64,
    /// Sample standard deviation of the run times.
    pub stddev_seconds: f64,
    /// The median is not pinned down: the half-width of its 95% interval exceeds
    /// `settings.max_noise` (5% without one); rows without an interval (under 6 runs): the
    /// standard deviation exceeds 5% of the median. Read the row's ratios with care.
    pub noisy: bool,
    /// Seconds (under `timing`) of every timed run, in the order they ran. Empty in reports
    /// before format 2.
    #[serde(default)]
    pub samples_seconds: Vec<f64>,
    /// Distribution-free 95% confidence interval of the median, from order statistics:
    /// `[low, high]`; null under 6 runs (see docs/bench-format.md).
    #[serde(default)]
    pub median_ci_seconds: Option<[f64; 2]>,
    /// `work / median_seconds`.
    pub throughput: f64,
    /// `unit` per second, e.g. "cell-updates/s".
    pub throughput_unit: String,
    /// Serial median / this row's median, same workload and size, same report; null without a
    /// serial row.
    pub speedup_vs_serial: Option<f64>,
    /// Rayon median (default pool) / this row's median; null without a rayon row.
    pub speedup_vs_rayon: Option<f64>,
    /// 95% bootstrap interval of `speedup_vs_serial`; null without samples on both rows.
    #[serde(default)]
    pub speedup_vs_serial_ci: Option<[f64; 2]>,
    /// 95% bootstrap interval of `speedup_vs_rayon`; null without samples on both rows.
    #[serde(default)]
    pub speedup_vs_rayon_ci: Option<[f64; 2]>,
    /// For rayon rows, `speedup_vs_serial / threads`; null otherwise.
    pub efficiency: Option<f64>,
    /// Median inputs stage per run (src/workloads/timing.rs): uploads and their wait for gpu,
    /// allocation, first touch and input copies for serial and rayon.
    pub upload_seconds: Option<f64>,
    /// Median kernel stage per run (wall, including the wait for the device): the same as
    /// `kernel_seconds`.
    pub compute_seconds: Option<f64>,
    /// Median results stage per run: the readback and its wait for gpu.
    pub readback_seconds: Option<f64>,
    /// Median device time of the compute passes from timestamp queries (gpu rows on adapters
    /// that support them).
    pub device_seconds: Option<f64>,
    /// The workload's fingerprint of its last result (a hash, a count), for cross-checking.
    pub result: Option<String>,
    /// A remark on this row, e.g. why device time is missing.
    pub note: Option<String>,
    /// NVIDIA GPU rows: clocks, power, temperature, throttle reasons and energy sampled through
    /// NVML while the row ran (src/gpu/telemetry.rs); absent without NVML, never zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telemetry: Option<crate::gpu::telemetry::Telemetry>,
    /// The problem this row shares with rows of other sizes, e.g. "16384x16384 torus", where
    /// `bench`'s default sizes gave a device-filling GPU more repetitions of it than the CPU
    /// rows (docs/bench-format.md); absent where rows compare only at equal sizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// True when `speedup_vs_serial` or `speedup_vs_rayon` (and their intervals) compare this
    /// row with a baseline that did a different amount of work (same `problem`, another size):
    /// then they are throughput ratios, not ratios of times. Written only when true; absent
    /// (as in older reports) means false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub compared_by_throughput: bool,
    /// The row against its roof (format 3): achieved, roof, fraction, the ceiling that binds;
    /// absent without ceilings for its backend or counts for its workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roof: Option<super::roofline::RowRoof>,
    /// `speedup_vs_serial` split into hardware (the roofs' ratio) × code (format 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup_vs_serial_split: Option<super::roofline::SpeedupSplit>,
    /// `speedup_vs_rayon` split into hardware × code (format 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup_vs_rayon_split: Option<super::roofline::SpeedupSplit>,
    /// Which of the row's two times `median_seconds`, `throughput` and the speedups use:
    /// "end-to-end" (the default of `bench --timing`) or "kernel". Absent in older reports,
    /// whose times were wall times of differing extent per workload (read as end-to-end).
    #[serde(default)]
    pub timing: Timing,
    /// Median end-to-end seconds per run: inputs, kernel and results stages and every host
    /// wait, on every backend alike (src/workloads/timing.rs). Absent in older reports.
    #[serde(default)]
    pub end_to_end_seconds: Option<f64>,
    /// Median kernel seconds per run: the computation on resident data (for gpu until the queue
    /// is idle). Absent in older reports.
    #[serde(default)]
    pub kernel_seconds: Option<f64>,
    /// Bytes of input data a run made resident in its inputs stage (the workload's canonical
    /// form, the same on every backend of one problem: speedups between rows of one size whose
    /// bytes differ are refused). Absent in older reports.
    #[serde(default)]
    pub input_bytes: Option<u64>,
    /// Bytes of result in host memory at the end of a run (read back, or already there).
    #[serde(default)]
    pub result_bytes: Option<u64>,
    /// gpu rows: queue submissions per run (the median), counted by the GPU context; null for
    /// serial and rayon rows and in older reports.
    #[serde(default)]
    pub submissions: Option<u64>,
    /// gpu rows: host waits for the device per run (the median: each submission's wait and
    /// each readback's map); null for serial and rayon rows.
    #[serde(default)]
    pub host_waits: Option<u64>,
    /// CPU rows of a device-filling plan: which part of the GPU rows' problem they ran, e.g.
    /// "the first 2^28 of the GPU's 2^35 samples (same seed)"; absent elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

/// A memory-bound row's traffic against the STREAM triad on the same backend and device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BandwidthRow {
    /// Workload name.
    pub workload: String,
    /// Problem size.
    pub size: String,
    /// Backend label, e.g. "rayon (2 threads)".
    pub backend: String,
    /// Throughput times the workload's fewest bytes per unit of work.
    pub bytes_per_second: f64,
    /// The best STREAM triad bandwidth measured on the same backend in the same report.
    pub stream_bytes_per_second: f64,
    /// `bytes_per_second / stream_bytes_per_second`: above 1 when the data lives in caches.
    pub fraction: f64,
}

/// A row's work per second of kernel time (its headline throughput where it has no kernel
/// time, as in older reports): what bandwidth is about, whatever the headline timing.
fn kernel_throughput(row: &ResultRow) -> f64 {
    match row.kernel_seconds {
        Some(k) if k > 0.0 => row.work / k,
        _ => row.throughput,
    }
}

/// For every row of a workload with a known `bytes_per_unit`, its bandwidth against the best
/// `stream` row on the same backend (same backend name, device, threads and adapter), both by
/// kernel time: end to end, STREAM would measure the transfers.
pub fn bandwidth_rows(
    report: &Report,
    bytes_per_unit: impl Fn(&str) -> Option<f64>,
) -> Vec<BandwidthRow> {
    let same_backend = |a: &ResultRow, b: &ResultRow| {
        a.backend == b.backend
            && a.device == b.device
            && a.threads == b.threads
            && a.adapter == b.adapter
    };
    report
        .results
        .iter()
        .filter(|r| r.workload != "stream")
        .filter_map(|r| {
            let bytes = kernel_throughput(r) * bytes_per_unit(&r.workload)?;
            let stream = report
                .results
                .iter()
                .filter(|s| s.workload == "stream" && same_backend(s, r))
                .map(kernel_throughput)
                .fold(None, |best: Option<f64>, t| {
                    Some(best.map_or(t, |b| b.max(t)))
                })?;
            Some(BandwidthRow {
                workload: r.workload.clone(),
                size: r.size.clone(),
                backend: row_label(&report.machine, r),
                bytes_per_second: bytes,
                stream_bytes_per_second: stream,
                fraction: bytes / stream,
            })
        })
        .collect()
}

/// Rayon at one thread count, against Rayon on one thread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScalingRow {
    /// Workload name.
    pub workload: String,
    /// Problem size.
    pub size: String,
    /// Rayon pool size.
    pub threads: usize,
    /// Median seconds per run.
    pub median_seconds: f64,
    /// Baseline median / this median.
    pub speedup: f64,
    /// 95% bootstrap interval of `speedup` (format 2; null without samples, `[1, 1]` for the
    /// baseline itself).
    #[serde(default)]
    pub speedup_ci: Option<[f64; 2]>,
    /// `speedup / threads`: 1.0 is perfect strong scaling.
    pub efficiency: f64,
    /// What `speedup` is measured against: "rayon 1 thread" or, without that row, "serial".
    pub baseline: String,
}

/// Where `challenger` becomes faster than `baseline` as the problem grows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Crossover {
    /// Workload name.
    pub workload: String,
    /// Label of the backend that overtakes, e.g. "rayon (2 threads)".
    pub challenger: String,
    /// Label of the backend overtaken, e.g. "serial".
    pub baseline: String,
    /// "at": faster from `from_size` on and slower at `below_size`; "always": faster at every
    /// size measured; "never": not faster at the largest size measured.
    pub status: String,
    /// First size from which the challenger is faster at every larger size.
    pub from_size: Option<String>,
    /// The size just below, where it was still slower.
    pub below_size: Option<String>,
    /// `size_value` at `from_size`.
    pub from_size_value: Option<f64>,
}

impl Crossover {
    /// Where the crossover lies, in words, for tables: "between 1024x1024 and 2048x2048",
    /// "already at the smallest size" or "not at the sizes measured".
    pub fn where_in_words(&self) -> String {
        match self.status.as_str() {
            "at" => format!(
                "between {} and {}",
                self.below_size.as_deref().unwrap_or("?"),
                self.from_size.as_deref().unwrap_or("?")
            ),
            "always" => "already at the smallest size".to_string(),
            _ => "not at the sizes measured".to_string(),
        }
    }
}

/// A row that could not be measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Skipped {
    /// Workload name.
    pub workload: String,
    /// Backend label.
    pub backend: String,
    /// Problem size.
    pub size: String,
    /// The error, one line.
    pub reason: String,
}

/// What a row needs besides its measurement.
pub struct RowInput<'a> {
    /// Workload name.
    pub workload: &'a str,
    /// Unit of work.
    pub unit: &'a str,
    /// Problem size.
    pub size: &'a str,
    /// Problem size as a number and its unit.
    pub size_value: (f64, &'a str),
    /// Backend it ran on.
    pub backend: &'a Backend,
    /// The level its CPU kernel ran at (serial and rayon rows).
    pub cpu_isa: Option<crate::isa::Isa>,
    /// Which of the workload's CPU kernels ran, where it has several.
    pub cpu_kernel: Option<String>,
    /// Units of work per run.
    pub work: f64,
    /// The workload's result fingerprint.
    pub result: Option<String>,
    /// Which time is the row's headline.
    pub timing: Timing,
}

impl ResultRow {
    /// A row from a measurement; speedups are filled in later by [`fill_comparisons`], once the
    /// whole report is known. `None` when the measurement has no runs.
    pub fn new(input: RowInput<'_>, m: &Measurement) -> Option<ResultRow> {
        let kernel: Vec<f64> = m.timings.iter().map(|t| t.kernel_seconds()).collect();
        let samples = match input.timing {
            Timing::EndToEnd => m.wall_seconds.clone(),
            Timing::Kernel => kernel.clone(),
        };
        let s = Summary::of(&samples)?;
        let stage = |f: fn(&crate::workloads::RunTiming) -> Option<f64>| {
            median_of_present(m.timings.iter().map(f))
        };
        let device_seconds = stage(|t| t.device_seconds());
        let median_count = |f: fn(&crate::gpu::HostSyncs) -> u64| {
            median_of_present(m.syncs.iter().map(|s| Some(f(s) as f64))).map(|v| v.round() as u64)
        };
        // Every run of a row moves the same data; the first says how much.
        let bytes = m.timings.first();
        let (device, software, adapter, threads) = match input.backend {
            Backend::Serial => (crate::host::cpu_model(), false, None, Some(1)),
            Backend::Rayon { threads } => (crate::host::cpu_model(), false, None, Some(*threads)),
            Backend::Gpu(ctx) => {
                let s = ctx.summary();
                (s.name.clone(), s.software, Some(s.index), None)
            }
        };
        let note = match input.backend {
            Backend::Gpu(ctx) if !ctx.has_timestamps() => {
                Some("no device time: the adapter has no timestamp queries".to_string())
            }
            Backend::Gpu(_) if device_seconds.is_none() => {
                Some("no device time: the workload reports none".to_string())
            }
            _ => None,
        };
        let mut row = ResultRow {
            workload: input.workload.to_string(),
            backend: input.backend.name().to_string(),
            device,
            software,
            adapter,
            threads,
            cpu_isa: input.cpu_isa.map(|isa| isa.name().to_string()),
            cpu_kernel: input.cpu_kernel,
            size: input.size.to_string(),
            size_value: input.size_value.0,
            size_unit: input.size_value.1.to_string(),
            work: input.work,
            unit: input.unit.to_string(),
            runs: s.count,
            median_seconds: s.median,
            min_seconds: s.min,
            max_seconds: s.max,
            mean_seconds: s.mean,
            stddev_seconds: s.stddev,
            noisy: false,
            median_ci_seconds: median_interval(&samples).map(|(a, b)| [a, b]),
            samples_seconds: samples,
            throughput: input.work / s.median,
            throughput_unit: format!("{}/s", input.unit),
            speedup_vs_serial: None,
            speedup_vs_rayon: None,
            speedup_vs_serial_ci: None,
            speedup_vs_rayon_ci: None,
            efficiency: None,
            upload_seconds: stage(|t| Some(t.inputs_seconds())),
            compute_seconds: stage(|t| Some(t.kernel_seconds())),
            readback_seconds: stage(|t| Some(t.results_seconds())),
            device_seconds,
            result: input.result,
            note,
            telemetry: None,
            problem: None,
            compared_by_throughput: false,
            roof: None,
            speedup_vs_serial_split: None,
            speedup_vs_rayon_split: None,
            timing: input.timing,
            end_to_end_seconds: Summary::of(&m.wall_seconds).map(|s| s.median),
            kernel_seconds: Summary::of(&kernel).map(|s| s.median),
            input_bytes: bytes.map(|t| t.input_bytes()),
            result_bytes: bytes.map(|t| t.result_bytes()),
            submissions: median_count(|s| s.submissions),
            host_waits: median_count(|s| s.waits),
            part: None,
        };
        row.judge_noise(NOISY_RELATIVE_STDDEV);
        Some(row)
    }

    /// Sets `noisy`: the median's 95% interval is wider than ± `limit` (a fraction of the
    /// median), or, without an interval, the standard deviation is above 5% of the median.
    pub fn judge_noise(&mut self, limit: f64) {
        self.noisy = match self.median_ci_seconds {
            Some([lo, hi]) => relative_half_width((lo, hi), self.median_seconds) > limit,
            None => {
                self.runs > 1 && self.stddev_seconds > NOISY_RELATIVE_STDDEV * self.median_seconds
            }
        };
    }

    /// Whether the two rows measured the same workload at the same size.
    pub fn same_problem(&self, other: &ResultRow) -> bool {
        self.workload == other.workload && self.size == other.size
    }

    /// Whether the two rows measured the same workload at the same size or the same named
    /// [`ResultRow::problem`] (their sizes then differ in repetitions only): rows whose
    /// speedups may be compared, by throughput where the sizes differ.
    pub fn comparable(&self, other: &ResultRow) -> bool {
        match (&self.problem, &other.problem) {
            (Some(a), Some(b)) => self.workload == other.workload && a == b,
            _ => self.same_problem(other),
        }
    }
}

/// The rayon row that `speedup_vs_rayon` refers to among `rows` for one problem: the default
/// pool size if it was run, else the largest pool.
fn rayon_baseline<'a>(
    rows: &'a [ResultRow],
    row: &ResultRow,
    default_threads: usize,
) -> Option<&'a ResultRow> {
    let rayon = rows
        .iter()
        .filter(|r| r.backend == "rayon" && r.comparable(row));
    rayon
        .clone()
        .find(|r| r.threads == Some(default_threads))
        .or_else(|| rayon.max_by_key(|r| r.threads))
}

/// Fills `speedup_vs_serial`, `speedup_vs_rayon` and `efficiency` of every row from the medians
/// of the same report, and recomputes the strong-scaling table.
pub fn fill_comparisons(report: &mut Report) {
    let rows = report.results.clone();
    let default_threads = report.machine.rayon_threads;
    for row in &mut report.results {
        // A baseline whose clock covered other data than this row's (at the same size: other
        // input or result bytes) is no baseline: the ratio would compare different work.
        let serial = rows
            .iter()
            .find(|r| r.backend == "serial" && r.comparable(row))
            .filter(|base| same_timed_region(base, row));
        let rayon =
            rayon_baseline(&rows, row, default_threads).filter(|base| same_timed_region(base, row));
        // Rows of one problem at different sizes did different work per run: their speedup is
        // the ratio of throughputs, i.e. of times scaled by work (1 at equal sizes).
        let scale = |base: &ResultRow| {
            if base.size == row.size || base.work <= 0.0 {
                1.0
            } else {
                row.work / base.work
            }
        };
        row.speedup_vs_serial = serial.map(|s| s.median_seconds / row.median_seconds * scale(s));
        row.speedup_vs_rayon = rayon.map(|r| r.median_seconds / row.median_seconds * scale(r));
        let interval = |base: Option<&ResultRow>| {
            let base = base?;
            // A row against itself is exactly 1, not a bootstrap of two copies.
            if base.backend == row.backend
                && base.threads == row.threads
                && base.device == row.device
            {
                return Some([1.0, 1.0]);
            }
            ratio_interval(&base.samples_seconds, &row.samples_seconds)
                .map(|(lo, hi)| [lo * scale(base), hi * scale(base)])
        };
        row.speedup_vs_serial_ci = interval(serial);
        row.speedup_vs_rayon_ci = interval(rayon);
        row.compared_by_throughput = serial.into_iter().chain(rayon).any(|b| b.size != row.size);
        row.efficiency = match (row.backend.as_str(), row.threads, row.speedup_vs_serial) {
            ("rayon", Some(t), Some(s)) => Some(s / t as f64),
            _ => None,
        };
    }
    report.scaling = scaling(&report.results);
}

/// Whether `a` and `b` may be compared: the same headline timing and, at the same size, the
/// same input and result bytes in their timed regions (rows that do not say, from older
/// reports, are taken at their word).
pub fn same_timed_region(a: &ResultRow, b: &ResultRow) -> bool {
    let bytes_agree = |x: Option<u64>, y: Option<u64>| match (x, y) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    a.timing == b.timing
        && (a.size != b.size
            || (bytes_agree(a.input_bytes, b.input_bytes)
                && bytes_agree(a.result_bytes, b.result_bytes)))
}

/// The strong-scaling table: for each problem with rayon rows at two or more thread counts, each
/// count's speedup over the 1-thread row (or, without one, over serial) and its efficiency.
pub fn scaling(rows: &[ResultRow]) -> Vec<ScalingRow> {
    let mut out = Vec::new();
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for row in rows.iter().filter(|r| r.backend == "rayon") {
        let key = (row.workload.as_str(), row.size.as_str());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let mut group: Vec<&ResultRow> = rows
            .iter()
            .filter(|r| r.backend == "rayon" && r.same_problem(row))
            .collect();
        if group.len() < 2 {
            continue;
        }
        group.sort_by_key(|r| r.threads);
        let (base, baseline) = match group.iter().find(|r| r.threads == Some(1)) {
            Some(one) => (*one, "rayon 1 thread"),
            None => match rows
                .iter()
                .find(|r| r.backend == "serial" && r.same_problem(row))
            {
                Some(serial) => (serial, "serial"),
                None => continue,
            },
        };
        for r in group {
            let threads = r.threads.unwrap_or(1);
            let speedup = base.median_seconds / r.median_seconds;
            let speedup_ci = if std::ptr::eq(base, r) {
                Some([1.0, 1.0])
            } else {
                ratio_interval(&base.samples_seconds, &r.samples_seconds).map(|(a, b)| [a, b])
            };
            out.push(ScalingRow {
                workload: r.workload.clone(),
                size: r.size.clone(),
                threads,
                median_seconds: r.median_seconds,
                speedup,
                speedup_ci,
                efficiency: speedup / threads as f64,
                baseline: baseline.to_string(),
            });
        }
    }
    out
}

/// The label of a result row, looking its adapter up in `machine`.
pub fn row_label(machine: &MachineInfo, row: &ResultRow) -> String {
    let adapter = row.adapter.and_then(|i| machine.adapter(i));
    match (row.backend.as_str(), adapter) {
        // A row whose adapter is missing from `machine` (a hand-edited file) still says what it is.
        ("gpu", None) if row.software => format!("gpu (software: {})", row.device),
        ("gpu", None) => format!("gpu ({})", row.device),
        _ => crate::backend::label(&row.backend, row.threads, adapter.map(|a| &a.summary)),
    }
}
