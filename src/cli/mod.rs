//! Command-line definitions (clap) and the code that turns raw flags into validated settings,
//! one file per subcommand.

mod bench;
mod compare;
mod devices;
mod distributed;
mod life;
mod peak;
mod progress;
mod report;
mod run;
pub mod stdout;
mod validate;
mod verify;

use clap::{Parser, Subcommand};
use speedup::backend::{Backend, BackendChoice};
use speedup::gpu::AdapterChoice;
use speedup::workloads::{self, Workload};

/// How much faster is the GPU than every CPU core, and than one?
#[derive(Debug, Parser)]
#[command(name = "speedup", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Longest wait for the GPU, in seconds: past it the run fails with an error naming the
    /// work, the backend and the time waited, instead of hanging on a hung kernel or lost device.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 300.0, value_parser = parse_timeout)]
    pub gpu_timeout: f64,
    /// Compile shaders with wgpu's runtime checks on (loop bounding, division guards, bounds
    /// clamps): slower, for debugging a kernel.
    #[arg(long, global = true)]
    pub checked_shaders: bool,
}

/// Parses `--gpu-timeout`: a positive number of seconds.
fn parse_timeout(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 1e9 => Ok(s),
        _ => Err(format!(
            "expected a positive number of seconds (e.g. 300 or 0.5), got '{text}'"
        )),
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the CPU and every GPU adapter, and which one `auto` picks.
    Devices(devices::DevicesArgs),
    /// Run the Game of Life (or any B/S rule) on a pattern or a random soup.
    #[command(subcommand)]
    Life(life::LifeCommand),
    /// Benchmark every workload on every backend: medians, throughput, speedups.
    Bench(bench::BenchArgs),
    /// Check every workload on every backend against its CPU reference.
    Verify(verify::VerifyArgs),
    /// Compare two `bench --format json` reports row by row.
    Compare(compare::CompareArgs),
    /// Run one workload of the suite once (`speedup run --help` lists them).
    Run(run::RunArgs),
    /// Check bench reports against the JSON Schema (docs/report.schema.json).
    Validate(validate::ValidateArgs),
    /// Many bench reports (machines) in one document: table, Markdown or an HTML page.
    Report(report::ReportArgs),
    /// Measure each backend's ceilings (compute, integer pipes, bandwidth per memory level,
    /// copies, dispatch latency): what its rows are held against.
    Peak(peak::PeakArgs),
}

/// A bad value on the command line found after parsing (a combination of flags, a value only
/// the run can judge): the command exits with status 2, as for clap's own errors, before any
/// work. Made with [`usage`].
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A usage error: one line naming the flag, the value and what is allowed.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// Whether `err` is a [`UsageError`] (exit status 2).
pub fn is_usage_error(err: &anyhow::Error) -> bool {
    err.chain().any(|c| c.is::<UsageError>())
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    speedup::gpu::GpuSettings {
        wait_timeout: std::time::Duration::from_secs_f64(cli.gpu_timeout),
        checked_shaders: cli.checked_shaders,
    }
    .install();
    match cli.command {
        Command::Devices(args) => devices::run(args),
        Command::Life(cmd) => life::run(cmd),
        Command::Bench(args) => bench::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Report(args) => report::run(args),
        Command::Peak(args) => peak::run(args),
    }
}

/// How bands of a distributed grid exchange their halos (`life run` and `bench` with
/// `--distributed`).
#[derive(Debug, clap::Args)]
pub struct HaloArgs {
    /// With --distributed: ghost rows on each side of a band, so halos are exchanged once every
    /// K generations (at most the smallest band's rows).
    #[arg(long, default_value_t = speedup::life::distributed::DEFAULT_HALO,
          value_parser = clap::value_parser!(u32).range(1..), requires = "distributed")]
    pub halo: u32,
    /// With --distributed: step each band's interior while its halos travel, then its edges
    /// (pays where ranks wait for halos; costs two strips of 3K rows a block).
    #[arg(long, requires = "distributed")]
    pub overlap: bool,
}

/// The backend flags every command that runs work shares.
#[derive(Debug, clap::Args)]
pub struct BackendArgs {
    /// auto (a hardware GPU if there is one, else rayon), serial, rayon, gpu (the best adapter)
    /// or gpu:ADAPTER (an index or name from `speedup devices`).
    #[arg(short, long, default_value = "auto")]
    pub backend: BackendChoice,
    /// Rayon threads (default: one per logical core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// The same as --backend gpu:ADAPTER (an older spelling, still accepted).
    #[arg(long, value_name = "ADAPTER")]
    pub adapter: Option<AdapterChoice>,
}

impl BackendArgs {
    /// The backend asked for, `--adapter` folded in ([`BackendChoice::with_adapter`]).
    pub fn choice(&self) -> speedup::Result<BackendChoice> {
        self.backend.clone().with_adapter(self.adapter.clone())
    }

    /// Opens the backend; `announce` says on stderr what `auto` picked.
    pub fn resolve(&self, announce: bool) -> speedup::Result<Backend> {
        Backend::resolve(&self.choice()?, self.threads, announce)
    }
}

/// The named workloads (all of them when none are named), each once, in registry order
/// (`bench` and `verify`).
pub fn select_workloads(names: &[String]) -> anyhow::Result<Vec<Box<dyn Workload>>> {
    if names.is_empty() {
        return Ok(workloads::all());
    }
    let mut wanted: Vec<Box<dyn Workload>> = Vec::new();
    for name in names {
        let w = workloads::by_name(name)?;
        if !wanted.iter().any(|x| x.name() == w.name()) {
            wanted.push(w);
        }
    }
    Ok(wanted)
}

/// Parses "WxH" (or "N" for N×N) into a width and height, for clap.
pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    speedup::life::batch::parse_size(text).map_err(|e| e.to_string())
}
