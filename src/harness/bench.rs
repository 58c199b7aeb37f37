//! Running a benchmark plan: every workload × size × backend, measured and gathered into a
//! [`Report`] with speedups filled in.

use super::machine::{AdapterInfo, MachineInfo};
use super::measure::{measure_interleaved_on, measure_on, MeasureConfig};
use super::report::{fill_comparisons, Report, ResultRow, RowInput, Skipped, FORMAT_VERSION};
use super::sizing::{problem_of, runs_gpu_sizes};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::workloads::{Problem, Timing, Workload};

/// A workload and the sizes to run it at, parsed.
pub type WorkloadSizes = (Box<dyn Workload>, Vec<PlannedSize>);

/// One size of a plan: as written, and parsed into the problem it stands for.
pub struct PlannedSize {
    /// The size in the workload's notation, as rows and reports show it.
    pub text: String,
    /// The problem, ready to be prepared on each backend.
    pub problem: Box<dyn Problem>,
}

impl PlannedSize {
    /// Parses `text` as a size of `workload`; the error names the size.
    pub fn parse(workload: &dyn Workload, text: &str) -> Result<PlannedSize> {
        Ok(PlannedSize {
            text: text.to_string(),
            problem: workload.problem(text)?,
        })
    }

    /// Parses each of `texts` as a size of `workload`, failing at the first bad one.
    pub fn parse_all(workload: &dyn Workload, texts: &[String]) -> Result<Vec<PlannedSize>> {
        texts
            .iter()
            .map(|text| PlannedSize::parse(workload, text))
            .collect()
    }
}

/// What to run.
pub struct Plan {
    /// Each workload with the sizes to run it at.
    pub workloads: Vec<WorkloadSizes>,
    /// Backends, in the order rows are listed (serial first keeps the baseline on top).
    pub backends: Vec<Backend>,
    /// How to measure each row.
    pub config: MeasureConfig,
    /// Threads of the default Rayon pool, which `speedup_vs_rayon` refers to.
    pub default_rayon_threads: usize,
    /// Whether the sizes in `workloads` are the workloads' device-filling problems
    /// ([`Workload::device_size`]), whose GPU rows run a larger size than their CPU rows on a
    /// device-filling GPU ([`super::sizing`]). `false`: every backend runs the sizes in
    /// `workloads`.
    pub fill_devices: bool,
    /// Find where each backend overtakes another as the sizes grow (`--sweep`): fills the
    /// report's `crossovers`.
    pub crossovers: bool,
    /// Which of each row's two times is its headline (`--timing`): every row records both.
    pub timing: Timing,
}

impl Plan {
    /// Number of rows the plan will try.
    pub fn rows(&self) -> usize {
        self.workloads.iter().map(|(_, s)| s.len()).sum::<usize>() * self.backends.len()
    }
}

/// Hears about a plan's progress (the CLI draws a progress bar; tests stay silent).
pub trait Progress {
    /// A row is about to be prepared and measured.
    fn row_started(&mut self, workload: &str, size: &str, backend: &str);
    /// One run (warm-up or timed) of the current row finished.
    fn run_finished(&mut self);
    /// The current row is done (measured or skipped).
    fn row_finished(&mut self);
    /// A row was skipped.
    fn warn(&mut self, message: &str);
}

/// A [`Progress`] that ignores everything.
pub struct Silent;

impl Progress for Silent {
    fn row_started(&mut self, _: &str, _: &str, _: &str) {}
    fn run_finished(&mut self) {}
    fn row_finished(&mut self) {}
    fn warn(&mut self, _: &str) {}
}

/// Runs every row of `plan`. A row that fails on the device (a size beyond a GPU limit, a device
/// error) is recorded in `skipped` rather than ending the run: one bad row should not cost the
/// others. A size the workload rejects is the caller's mistake, the same on every backend, and
/// ends the run with that error.
pub fn run(plan: &Plan, notes: Vec<String>, progress: &mut dyn Progress) -> Result<Report> {
    let mut adapters: Vec<AdapterInfo> = Vec::new();
    for backend in &plan.backends {
        if let Backend::Gpu(ctx) = backend {
            let info = AdapterInfo::of(ctx);
            if !adapters
                .iter()
                .any(|a| a.summary.index == info.summary.index)
            {
                adapters.push(info);
            }
        }
    }
    let mut report = Report {
        format_version: FORMAT_VERSION,
        machine: MachineInfo::collect(adapters, plan.default_rayon_threads),
        settings: plan.config,
        results: Vec::new(),
        scaling: Vec::new(),
        crossovers: Vec::new(),
        bandwidth: Vec::new(),
        skipped: Vec::new(),
        ceilings: None,
        notes,
    };
    let row_sizes = RowSizes::new(plan)?;
    let noise_limit = plan
        .config
        .max_noise
        .unwrap_or(super::stats::NOISY_RELATIVE_STDDEV);
    for (workload, sizes) in &plan.workloads {
        for size in sizes {
            let outcomes: Vec<Result<Option<ResultRow>>> = if plan.config.interleave {
                run_interleaved(workload.as_ref(), size, plan, &row_sizes, progress)
            } else {
                plan.backends
                    .iter()
                    .map(|backend| {
                        let size = row_sizes.on(workload.as_ref(), size, backend);
                        progress.row_started(workload.name(), &size.text, &backend.label());
                        let how = (&plan.config, plan.timing);
                        run_row(workload.as_ref(), size, backend, how, progress)
                    })
                    .collect()
            };
            for (backend, outcome) in plan.backends.iter().zip(outcomes) {
                let label = backend.label();
                match outcome {
                    Ok(Some(mut row)) => {
                        row.judge_noise(noise_limit);
                        let shared =
                            problem_of(workload.as_ref(), &size.text).filter(|_| plan.fill_devices);
                        row.problem = shared.map(|d| d.problem.to_string());
                        // The rows that ran a part of the GPU rows' problem say which.
                        row.part = shared
                            .filter(|d| row.size == d.cpu && d.cpu != d.gpu)
                            .map(|d| d.part.to_string());
                        report.results.push(row);
                    }
                    Ok(None) => {}
                    Err(e @ (Error::InvalidArgument(_) | Error::InvalidSize(_))) => {
                        progress.row_finished();
                        return Err(e);
                    }
                    Err(e) => {
                        let size = &row_sizes.on(workload.as_ref(), size, backend).text;
                        progress.warn(&format!(
                            "skipped {} {size} on {label}: {e}",
                            workload.name()
                        ));
                        report.skipped.push(Skipped {
                            workload: workload.name().to_string(),
                            backend: label,
                            size: size.to_string(),
                            reason: e.to_string(),
                        });
                    }
                }
                progress.row_finished();
            }
        }
    }
    fill_comparisons(&mut report);
    report.bandwidth = crate::harness::report::bandwidth_rows(&report, |name| {
        plan.workloads
            .iter()
            .find(|(w, _)| w.name() == name)
            .and_then(|(w, _)| w.bytes_per_unit())
    });
    if plan.crossovers {
        report.crossovers = super::sweep::crossovers(&report);
    }
    Ok(report)
}

/// Which parsed size each backend runs: the plan's, or on a device-filling GPU the matching
/// device size ([`super::sizing`]), parsed with the plan's before anything is measured.
struct RowSizes {
    /// In a device-filling plan, each workload's name, its CPU size and its GPU size, parsed;
    /// empty otherwise.
    gpu: Vec<(&'static str, &'static str, PlannedSize)>,
}

impl RowSizes {
    fn new(plan: &Plan) -> Result<RowSizes> {
        let mut gpu = Vec::new();
        if plan.fill_devices {
            for (w, _) in &plan.workloads {
                if let Some(d) = w.device_size() {
                    gpu.push((w.name(), d.cpu, PlannedSize::parse(w.as_ref(), d.gpu)?));
                }
            }
        }
        Ok(RowSizes { gpu })
    }

    /// The size `backend` runs for the plan's `size` of `workload`: on a device-filling GPU the
    /// GPU size of the problem `size` is the CPU size of, `size` itself everywhere else.
    fn on<'s>(
        &'s self,
        workload: &dyn Workload,
        size: &'s PlannedSize,
        backend: &Backend,
    ) -> &'s PlannedSize {
        if !runs_gpu_sizes(backend) {
            return size;
        }
        self.gpu
            .iter()
            .find(|(w, cpu, _)| *w == workload.name() && *cpu == size.text)
            .map_or(size, |(_, _, gpu)| gpu)
    }
}

fn run_row(
    workload: &dyn Workload,
    size: &PlannedSize,
    backend: &Backend,
    (config, timing): (&MeasureConfig, Timing),
    progress: &mut dyn Progress,
) -> Result<Option<ResultRow>> {
    let mut prepared = size.problem.prepare(backend)?;
    // NVIDIA GPU rows: clocks, power and energy sampled over the runs (None elsewhere).
    let sampler = match backend {
        Backend::Gpu(ctx) => crate::gpu::telemetry::Sampler::start(&ctx.summary().name),
        _ => None,
    };
    let gpu = match backend {
        Backend::Gpu(ctx) => Some(ctx.as_ref()),
        _ => None,
    };
    let m = measure_on(prepared.as_mut(), gpu, config, || progress.run_finished())?;
    let telemetry = sampler.and_then(|s| s.finish());
    let work = prepared.work();
    Ok(
        row_of(workload, &size.text, backend, timing, prepared.as_ref(), &m).map(|mut row| {
            // The sampler saw the warm-up runs too: energy per unit over every run it covered.
            // Interleaved rows get none: their power samples cannot be told apart by backend.
            row.telemetry = telemetry.map(|mut t| {
                let runs = (config.warmup_runs + m.wall_seconds.len()) as f64;
                t.work_per_joule = t
                    .energy_joules
                    .filter(|&j| j > 0.0)
                    .map(|j| work * runs / j);
                t
            });
            row
        }),
    )
}

/// Every backend of one problem, prepared together and measured in alternation. The progress
/// display hears of all rows at once (they run together) and of each as finished at the end.
fn run_interleaved(
    workload: &dyn Workload,
    size: &PlannedSize,
    plan: &Plan,
    sizes: &RowSizes,
    progress: &mut dyn Progress,
) -> Vec<Result<Option<ResultRow>>> {
    let mut outcomes: Vec<Result<Option<ResultRow>>> = Vec::new();
    let mut prepared = Vec::new();
    let mut which = Vec::new();
    progress.row_started(workload.name(), &size.text, "every backend, interleaved");
    for (i, backend) in plan.backends.iter().enumerate() {
        match sizes.on(workload, size, backend).problem.prepare(backend) {
            Ok(p) => {
                prepared.push(p);
                which.push(i);
                outcomes.push(Ok(None));
            }
            Err(e) => outcomes.push(Err(e)),
        }
    }
    let gpus: Vec<Option<&crate::gpu::GpuContext>> = (which.iter())
        .map(|&i| match &plan.backends[i] {
            Backend::Gpu(ctx) => Some(ctx.as_ref()),
            _ => None,
        })
        .collect();
    let measured = measure_interleaved_on(&mut prepared, &gpus, &plan.config, |_| {
        progress.run_finished()
    });
    for ((i, m), p) in which.into_iter().zip(measured).zip(&prepared) {
        let backend = &plan.backends[i];
        let size = &sizes.on(workload, size, backend).text;
        outcomes[i] = m.map(|m| row_of(workload, size, backend, plan.timing, p.as_ref(), &m));
    }
    // The caller calls `row_finished` once per backend.
    outcomes
}

fn row_of(
    workload: &dyn Workload,
    size: &str,
    backend: &Backend,
    timing: Timing,
    prepared: &dyn crate::workloads::Prepared,
    m: &super::measure::Measurement,
) -> Option<ResultRow> {
    let work = prepared.work();
    ResultRow::new(
        RowInput {
            workload: workload.name(),
            unit: workload.unit(),
            size,
            size_value: workload
                .problem_size(size)
                .unwrap_or((work, workload.unit())),
            backend,
            // A CPU kernel without vector code of its own runs as compiled: the baseline.
            cpu_isa: match backend {
                Backend::Gpu(_) => None,
                _ => Some(prepared.cpu_isa().unwrap_or_else(crate::isa::Isa::baseline)),
            },
            cpu_kernel: match backend {
                Backend::Gpu(_) => None,
                _ => prepared.cpu_kernel(),
            },
            work,
            result: prepared.result_summary(),
            timing,
        },
        m,
    )
}
