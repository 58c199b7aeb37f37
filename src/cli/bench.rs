//! `speedup bench`: every workload × backend × size, measured, with speedups; also `--sweep`
//! (throughput against size, crossovers, a chart) and `--threads` (Rayon strong scaling).

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use speedup::backend::{logical_cores, Backend, BackendList, WhenNoneNamed};
use speedup::harness::bench::{self, Plan, PlannedSize, Progress, WorkloadSizes};
use speedup::harness::export::{svg, Format};
use speedup::harness::sizing;
use speedup::harness::{MeasureConfig, Report};
use speedup::output::{self, write_atomic};
use speedup::workloads::{self, Timing, Workload};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Arguments of `speedup bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Workloads, comma-separated (default: every registered workload).
    #[arg(long, value_delimiter = ',')]
    pub workloads: Vec<String>,
    /// Backends, comma-separated: serial, rayon, gpu, gpu:ADAPTER (index or name), all (serial,
    /// rayon and every adapter). Default: serial,rayon,gpu, where gpu is the best adapter, a
    /// software one labelled as such, and is left out with a note when there is none.
    #[arg(long, value_delimiter = ',')]
    pub backends: Vec<String>,
    /// Sizes in each workload's own notation, comma-separated. NAME=SIZE gives NAME this size and
    /// the sizes after it up to the next NAME= (life=512x512,1024x1024,stream=2^24); sizes before
    /// any NAME= apply to every workload without sizes of its own. Default: each workload's
    /// default (or --quick, or --sweep) sizes.
    #[arg(long, value_delimiter = ',')]
    pub sizes: Vec<String>,
    /// Small sizes and short measurements: every workload on every backend in under 2 minutes.
    #[arg(long)]
    pub quick: bool,
    /// Throughput against problem size, tiny to large, with crossover sizes and a chart.
    #[arg(long)]
    pub sweep: bool,
    /// Where to write the log-log chart (SVG). Default with --sweep: speedup-sweep.svg.
    #[arg(long)]
    pub chart: Option<PathBuf>,
    /// Rayon strong scaling: run rayon at each of these thread counts (1 is always added).
    #[arg(long, value_delimiter = ',')]
    pub threads: Vec<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report here (atomically) in --format, and print the table on stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Minimum seconds of timed runs per row (default 0.5, or 0.1 with --quick).
    #[arg(long)]
    pub min_time: Option<f64>,
    /// Minimum timed runs per row (default 3).
    #[arg(long)]
    pub min_runs: Option<usize>,
    /// Maximum timed runs per row.
    #[arg(long)]
    pub max_runs: Option<usize>,
    /// Hard cap on seconds of timed runs per row (default 3, or 1 with --quick).
    #[arg(long)]
    pub max_time: Option<f64>,
    /// Untimed warm-up runs per row (default 1).
    #[arg(long)]
    pub warmup: Option<usize>,
    /// Life across the ranks of an MPI job (under mpirun or srun): weak scaling (--sizes per
    /// rank) and strong scaling (--sizes in all) at 1..=N ranks, with compute, halo exchange and
    /// waiting apart. Needs a build with `--features mpi`.
    #[arg(long)]
    pub distributed: bool,
    /// --halo and --overlap, with --distributed.
    #[command(flatten)]
    pub exchange: super::HaloArgs,
    /// With --distributed: generations per timed run.
    #[arg(long, default_value_t = 64, requires = "distributed")]
    pub generations: u64,
    /// Past the minimum runs, keep running a row (up to --max-time) until its median's 95%
    /// interval is within ± this much, e.g. 3% (default 3%; none with --quick; 0 or off: none).
    /// Rows that never get there are flagged noisy.
    #[arg(long, value_parser = parse_noise)]
    pub max_noise: Option<NoiseLimit>,
    /// Run the backends of each workload and size in alternation (serial, rayon, gpu, serial,
    /// ...) so that drift of a shared machine hits them alike.
    #[arg(long)]
    pub interleave: bool,
    /// Measure the backends' ceilings for this report even when an earlier run on this machine
    /// and build left them in the cache (`speedup peak`).
    #[arg(long, conflicts_with = "no_roofline")]
    pub fresh_ceilings: bool,
    /// No ceilings and no roofline: rows are not held against their roofs.
    #[arg(long)]
    pub no_roofline: bool,
    /// Which time each row's throughput and speedups use: end-to-end (inputs made resident,
    /// kernel, results back in host memory, every host wait: what a user waits for) or kernel
    /// (the computation on resident data). Every row records both in JSON.
    #[arg(long, default_value = "end-to-end", value_parser = parse_timing)]
    pub timing: Timing,
}

/// `--timing`: end-to-end or kernel.
fn parse_timing(text: &str) -> Result<Timing, String> {
    text.parse().map_err(|e: speedup::Error| e.to_string())
}

/// `--max-noise`: a fraction of the median, or none ("off", "0").
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NoiseLimit(pub Option<f64>);

/// "3%", "3 %" or "0.03" as a fraction; "0" or "off" as none.
fn parse_noise(text: &str) -> Result<NoiseLimit, String> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(NoiseLimit(None));
    }
    let fraction = super::compare::parse_percent(text)?;
    Ok(NoiseLimit((fraction > 0.0).then_some(fraction)))
}

/// Runs `speedup bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    // Every file the run will write is checked (its folders made) before anything is measured.
    let chart = args
        .chart
        .clone()
        .or_else(|| args.sweep.then(|| PathBuf::from("speedup-sweep.svg")));
    for path in chart.iter().chain(&args.output) {
        output::prepare(path)?;
    }
    if args.distributed {
        return super::distributed::bench(&args);
    }
    let config = measure_config(&args)?;
    let selected = super::select_workloads(&args.workloads)?;
    let mut workloads = sizes_for(selected, &args.sizes, args.quick, args.sweep)?;
    let mut list =
        BackendList::open(&args.backends, WhenNoneNamed::BestAdapter).context("--backends")?;
    let mut notes: Vec<String> = (list.skipped.iter())
        .map(|(what, why)| format!("{what} skipped: {why}"))
        .collect();
    let device_sizes = args.sizes.is_empty()
        && !args.quick
        && !args.sweep
        && fill_devices(&mut workloads, &list.backends, &mut notes)?;
    if !args.threads.is_empty() {
        list = list.with_thread_counts(&args.threads)?;
    }
    let backends = list.backends;
    let default_threads = logical_cores();
    let plan = Plan {
        workloads,
        backends,
        config,
        default_rayon_threads: logical_cores(),
        fill_devices: device_sizes,
        crossovers: args.sweep,
        timing: args.timing,
    };
    let report = if std::io::stderr().is_terminal() {
        let mut bar = Bar::new(plan.rows() as u64);
        let report = bench::run(&plan, notes, &mut bar);
        bar.bar.finish_and_clear();
        report?
    } else {
        bench::run(&plan, notes, &mut Plain::new(plan.rows()))?
    };
    if report.results.is_empty() {
        bail!("no row could be measured: {}", skipped_reasons(&report));
    }
    let mut report = report;
    if !args.no_roofline {
        // Serial, the default Rayon pool and each adapter: the backends speedups refer to.
        let measured: Vec<Backend> = plan
            .backends
            .iter()
            .filter(|b| !matches!(b, Backend::Rayon { threads } if *threads != default_threads))
            .cloned()
            .collect();
        // A ceiling that cannot be measured costs the roofline columns, never the rows measured.
        match speedup::peak::ceilings(
            &measured,
            &speedup::peak::Budget::DEFAULT,
            args.fresh_ceilings,
        ) {
            Ok(set) => {
                speedup::harness::roofline::attach(&mut report, set, |name, size, device, ran| {
                    workloads::by_name(name)
                        .ok()?
                        .work_counts_ran(size, device, ran)
                })
            }
            Err(e) => eprintln!("warning: no roofline: ceilings could not be measured: {e:#}"),
        }
    }
    // Files first, then stdout (a reader that leaves early ends the command at the print, with
    // the files complete); a file that fails to write is rescued and reported, and the table is
    // printed all the same, so that a full disk at the end loses no measurement.
    let text = args.format.render(&report);
    let mut files = Vec::new();
    if let Some(path) = &chart {
        files.push(("chart", path, svg::chart_svg(&report)));
    }
    if let Some(path) = &args.output {
        files.push(("report", path, text.clone()));
    }
    let mut failed = None;
    for (what, path, contents) in files {
        match write_atomic(path, contents.as_bytes()) {
            Ok(()) => eprintln!("{what} written to {}", path.display()),
            Err(e) => {
                let e = output::rescue(path, e, |spare| write_atomic(spare, contents.as_bytes()));
                failed.get_or_insert(e);
            }
        }
    }
    match &args.output {
        Some(_) => print!("{}", Format::Table.render(&report)),
        None => print!("{text}"),
    }
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

fn skipped_reasons(report: &Report) -> String {
    report
        .skipped
        .iter()
        .map(|s| format!("{} {} on {}: {}", s.workload, s.size, s.backend, s.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The measuring settings: --quick's or the standard ones, with any flag overriding.
fn measure_config(args: &BenchArgs) -> anyhow::Result<MeasureConfig> {
    let mut c = if args.quick {
        MeasureConfig::QUICK
    } else {
        MeasureConfig::STANDARD
    };
    if let Some(t) = args.min_time {
        c.min_time_seconds = t;
    }
    if let Some(t) = args.max_time {
        c.max_time_seconds = t;
    }
    if let Some(n) = args.min_runs {
        c.min_runs = n;
    }
    if let Some(n) = args.max_runs {
        c.max_runs = n;
    }
    if let Some(n) = args.warmup {
        c.warmup_runs = n;
    }
    if let Some(NoiseLimit(limit)) = args.max_noise {
        c.max_noise = limit;
    }
    c.interleave |= args.interleave;
    let finite = |x: f64| x.is_finite() && x >= 0.0;
    if !finite(c.min_time_seconds) || !finite(c.max_time_seconds) {
        bail!("--min-time and --max-time must be seconds, 0 or more");
    }
    if c.max_runs == 0 || c.min_runs > c.max_runs {
        bail!(
            "--max-runs ({}) must be at least 1 and at least --min-runs ({})",
            c.max_runs,
            c.min_runs
        );
    }
    Ok(c)
}

/// Each workload with its sizes: `--sizes` (plain sizes for all, NAME=SIZE for one), else its
/// sweep, quick or default sizes; every one parsed here, so a bad size fails before anything is
/// measured.
fn sizes_for(
    selected: Vec<Box<dyn Workload>>,
    sizes: &[String],
    quick: bool,
    sweep: bool,
) -> anyhow::Result<Vec<WorkloadSizes>> {
    let mut general = Vec::new();
    let mut specific: Vec<(String, String)> = Vec::new();
    // The workload that unprefixed sizes belong to, once a NAME= has been seen.
    let mut current: Option<String> = None;
    for s in sizes.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let size = match s.split_once('=') {
            Some((name, size)) => {
                let w = workloads::by_name(name)?;
                if !selected.iter().any(|x| x.name() == w.name()) {
                    bail!(
                        "--sizes {s}: workload '{}' is not selected by --workloads",
                        w.name()
                    );
                }
                current = Some(w.name().to_string());
                size.trim()
            }
            None => s,
        };
        match &current {
            Some(name) => specific.push((name.clone(), size.to_string())),
            None => general.push(size.to_string()),
        }
    }
    selected
        .into_iter()
        .map(|w| {
            let mine: Vec<String> = specific
                .iter()
                .filter(|(n, _)| n == w.name())
                .map(|(_, s)| s.clone())
                .collect();
            let chosen = if !mine.is_empty() {
                mine
            } else if !general.is_empty() {
                general.clone()
            } else if sweep {
                w.sweep_sizes()
            } else {
                w.default_sizes(quick)
            };
            let parsed = PlannedSize::parse_all(w.as_ref(), &chosen)?;
            Ok((w, parsed))
        })
        .collect()
}

/// With the default sizes and a device-filling GPU among `backends` (a discrete or virtual
/// one, [`sizing::fills_device`]), gives each workload one problem at a size that fills it
/// (its `device_size`): the CPU rows run it with fewer repetitions, the GPU rows at full size,
/// compared by throughput (a note says so). Returns whether it did. Without such a GPU,
/// nothing changes: software adapters keep today's sizes.
fn fill_devices(
    workloads: &mut [WorkloadSizes],
    backends: &[Backend],
    notes: &mut Vec<String>,
) -> anyhow::Result<bool> {
    let filling = backends.iter().any(|b| match b {
        Backend::Gpu(ctx) => sizing::fills_device(&ctx.summary().device_type),
        _ => false,
    });
    if !filling {
        return Ok(false);
    }
    for (w, sizes) in workloads.iter_mut() {
        if let Some(d) = w.device_size() {
            *sizes = vec![PlannedSize::parse(w.as_ref(), d.cpu)?];
        }
    }
    notes.push(
        "sizes chosen for a hardware GPU: each problem's GPU rows run more \
generations/steps/iterations (or items) than its CPU rows, so their speedups are throughput \
ratios (marked in the table; --sizes runs every backend at the same size)"
            .to_string(),
    );
    Ok(true)
}

/// A progress bar on stderr (only when stderr is a terminal).
struct Bar {
    bar: ProgressBar,
    row: String,
    runs: usize,
}

impl Bar {
    fn new(rows: u64) -> Bar {
        let bar = ProgressBar::new(rows);
        bar.set_style(
            ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {pos}/{len} rows  {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        Bar {
            bar,
            row: String::new(),
            runs: 0,
        }
    }
}

impl Progress for Bar {
    fn row_started(&mut self, workload: &str, size: &str, backend: &str) {
        self.row = format!("{workload} {size} on {backend}");
        self.runs = 0;
        self.bar.set_message(format!("{} (preparing)", self.row));
    }
    fn run_finished(&mut self) {
        self.runs += 1;
        self.bar
            .set_message(format!("{} (run {})", self.row, self.runs));
    }
    fn row_finished(&mut self) {
        self.bar.inc(1);
    }
    fn warn(&mut self, message: &str) {
        self.bar.suspend(|| eprintln!("warning: {message}"));
    }
}

/// Without a terminal (a pipe, a Slurm log): no bar, but a plain line every few seconds saying
/// which row runs, and skipped rows reported on stderr.
struct Plain {
    heartbeat: super::progress::Heartbeat,
    rows: usize,
    done: usize,
    row: String,
}

impl Plain {
    fn new(rows: usize) -> Plain {
        Plain {
            heartbeat: super::progress::Heartbeat::unless_terminal("bench", false),
            rows,
            done: 0,
            row: String::new(),
        }
    }

    fn beat(&mut self) {
        let (done, rows, row) = (self.done, self.rows, &self.row);
        self.heartbeat
            .beat(|| format!("{done} of {rows} rows done, now {row}"));
    }
}

impl Progress for Plain {
    fn row_started(&mut self, workload: &str, size: &str, backend: &str) {
        self.row = format!("{workload} {size} on {backend}");
        self.beat();
    }
    fn run_finished(&mut self) {
        self.beat();
    }
    fn row_finished(&mut self) {
        self.done += 1;
        self.beat();
    }
    fn warn(&mut self, message: &str) {
        eprintln!("warning: {message}");
    }
}
