//! `speedup run WORKLOAD`: one workload of the suite, once, on one backend, with a summary of
//! what it computed, how long it took and its throughput in the workload's unit.

use super::BackendArgs;
use anyhow::{bail, Context};
use speedup::backend::Backend;
use speedup::workloads::{mandelbrot, montecarlo, nbody, sha256, stream, Phases};
use std::path::PathBuf;
use std::time::Instant;

/// The workloads `run` knows (Life has its own command, `speedup life run`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WorkloadName {
    /// Mandelbrot escape counts, written as a PNG with --output.
    Mandelbrot,
    /// One or more all-pairs gravity steps.
    Nbody,
    /// Smallest nonce whose SHA-256 has --difficulty leading zero bits.
    Sha256,
    /// Monte Carlo estimate of pi (--racy: the shared-counter race made visible).
    Montecarlo,
    /// STREAM triad bandwidth.
    Stream,
}

impl WorkloadName {
    fn name(self) -> &'static str {
        match self {
            WorkloadName::Mandelbrot => "mandelbrot",
            WorkloadName::Nbody => "nbody",
            WorkloadName::Sha256 => "sha256",
            WorkloadName::Montecarlo => "montecarlo",
            WorkloadName::Stream => "stream",
        }
    }
}

/// Arguments of `speedup run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Which workload.
    #[arg(value_enum)]
    pub workload: WorkloadName,
    /// Size in the workload's notation: mandelbrot WxH[:MAX_ITER] (default 1024x1024), nbody
    /// N[:STEPS] (4096), sha256 nonces to search N[:DIFFICULTY] (2^32), montecarlo samples
    /// (2^26), stream elements N[:REPS] (2^24). Counts may be written 2^K.
    #[arg(short, long)]
    pub size: Option<String>,
    /// Which backend runs it.
    #[command(flatten)]
    pub backend: BackendArgs,
    /// mandelbrot: write the image here as a PNG.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// mandelbrot: iteration limit (default 1000).
    #[arg(long)]
    pub max_iter: Option<u32>,
    /// mandelbrot: the rectangle re_min,im_min,re_max,im_max (default -2,-1.25,0.5,1.25).
    #[arg(long, allow_hyphen_values = true)]
    pub region: Option<String>,
    /// nbody: steps (default 4).
    #[arg(long)]
    pub steps: Option<u32>,
    /// nbody: time step (default 0.001).
    #[arg(long)]
    pub dt: Option<f32>,
    /// nbody: softening length (default 0.05).
    #[arg(long)]
    pub softening: Option<f32>,
    /// sha256: leading zero bits wanted (default 20).
    #[arg(long)]
    pub difficulty: Option<u32>,
    /// sha256: message prefix, as text (at most 47 bytes).
    #[arg(long)]
    pub prefix: Option<String>,
    /// sha256: first nonce to try.
    #[arg(long)]
    pub start: Option<u64>,
    /// sha256: hash the whole range and count every hit, instead of stopping at the first.
    #[arg(long)]
    pub exhaustive: bool,
    /// montecarlo and nbody: seed of the random points (default 2024) or bodies (default 42).
    #[arg(long)]
    pub seed: Option<u64>,
    /// montecarlo: count with a shared counter updated without atomics and report how many
    /// increments were lost (a demonstration of the race, not an estimate).
    #[arg(long)]
    pub racy: bool,
    /// stream: triads per run (default 10).
    #[arg(long)]
    pub reps: Option<u32>,
}

/// Runs `speedup run`.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    check_flags(&args)?;
    let backend = args.backend.resolve(true)?;
    println!("workload:     {}", args.workload.name());
    println!("backend:      {}", backend.describe());
    match args.workload {
        WorkloadName::Mandelbrot => run_mandelbrot(&args, &backend),
        WorkloadName::Nbody => run_nbody(&args, &backend),
        WorkloadName::Sha256 => run_sha256(&args, &backend),
        WorkloadName::Montecarlo => run_montecarlo(&args, &backend),
        WorkloadName::Stream => run_stream(&args, &backend),
    }
}

/// Refuses a flag given to a workload it does not apply to, so a typo is not silently ignored.
fn check_flags(args: &RunArgs) -> anyhow::Result<()> {
    use WorkloadName::*;
    let given: [(&str, bool, &[WorkloadName]); 13] = [
        ("--output", args.output.is_some(), &[Mandelbrot]),
        ("--max-iter", args.max_iter.is_some(), &[Mandelbrot]),
        ("--region", args.region.is_some(), &[Mandelbrot]),
        ("--steps", args.steps.is_some(), &[Nbody]),
        ("--dt", args.dt.is_some(), &[Nbody]),
        ("--softening", args.softening.is_some(), &[Nbody]),
        ("--difficulty", args.difficulty.is_some(), &[Sha256]),
        ("--prefix", args.prefix.is_some(), &[Sha256]),
        ("--start", args.start.is_some(), &[Sha256]),
        ("--exhaustive", args.exhaustive, &[Sha256]),
        ("--seed", args.seed.is_some(), &[Montecarlo, Nbody]),
        ("--racy", args.racy, &[Montecarlo]),
        ("--reps", args.reps.is_some(), &[Stream]),
    ];
    for (flag, present, applies) in given {
        if present && !applies.contains(&args.workload) {
            let names: Vec<&str> = applies.iter().map(|w| w.name()).collect();
            bail!(
                "{flag} applies to {} only, not {}",
                names.join(" and "),
                args.workload.name()
            );
        }
    }
    Ok(())
}

/// Parses a size `N` or `N:K` (N a count, `2^K` allowed), where a flag can also give K: the flag
/// wins over the size's suffix, and `default` applies when neither gives it.
fn count_and_suffix<T: std::str::FromStr>(
    size: &str,
    count_what: &str,
    flag: Option<T>,
    suffix_what: &str,
    default: T,
) -> anyhow::Result<(u64, T)> {
    let (n, suffix) = match size.split_once(':') {
        Some((n, k)) => (n, Some(k)),
        None => (size, None),
    };
    let count = speedup::workloads::parse_count(n, count_what).context("--size")?;
    let suffix = suffix
        .map(|p| {
            p.trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("--size: '{p}' is not a valid {suffix_what}"))
        })
        .transpose()?;
    Ok((count, flag.or(suffix).unwrap_or(default)))
}

fn print_timing(elapsed: f64, phases: &Phases, work: f64, unit: &str) {
    println!("elapsed:      {elapsed:.6} s");
    for (name, value) in [
        ("upload", phases.upload_seconds),
        ("compute", phases.compute_seconds),
        ("readback", phases.readback_seconds),
        ("device time", phases.device_seconds),
    ] {
        if let Some(v) = value {
            println!("  {:<13}{v:.6} s", format!("{name}:"));
        }
    }
    println!("throughput:   {:.4e} {unit}/s", work / elapsed.max(1e-12));
    if let Some(d) = phases.device_seconds.filter(|d| *d > 0.0) {
        println!("  on device:   {:.4e} {unit}/s", work / d);
    }
}

fn run_mandelbrot(args: &RunArgs, backend: &Backend) -> anyhow::Result<()> {
    let size = args.size.as_deref().unwrap_or("1024x1024");
    let region = match &args.region {
        Some(r) => mandelbrot::Region::parse(r).context("--region")?,
        None => mandelbrot::Region::FULL,
    };
    let mut job = mandelbrot::Mandelbrot::parse(size, region).context("--size")?;
    if let Some(m) = args.max_iter {
        job =
            mandelbrot::Mandelbrot::new(job.width, job.height, m, region).context("--max-iter")?;
    }
    let mut run = mandelbrot::MandelbrotRun::new(backend, job)?;
    let start = Instant::now();
    let (image, phases) = run.render()?;
    let elapsed = start.elapsed().as_secs_f64();
    println!("size:         {}x{}", job.width, job.height);
    println!("max_iter:     {}", job.max_iter);
    println!("region:       {}", job.region);
    println!(
        "inside:       {} of {} pixels",
        image.inside(),
        image.counts.len()
    );
    let iterations = image.total_iterations();
    println!("iterations:   {iterations}");
    print_timing(elapsed, &phases, iterations as f64, "pixel-iterations");
    if let Some(path) = &args.output {
        image.write_png(path)?;
        println!("written:      {}", path.display());
    }
    Ok(())
}

fn run_nbody(args: &RunArgs, backend: &Backend) -> anyhow::Result<()> {
    let (n, steps) = count_and_suffix(
        args.size.as_deref().unwrap_or("4096"),
        "nbody body count",
        args.steps,
        "step count",
        nbody::DEFAULT_STEPS,
    )?;
    let n = u32::try_from(n).context("--size: too many bodies")?;
    let job = nbody::NBody::new(
        n,
        steps,
        args.dt.unwrap_or(nbody::DEFAULT_DT),
        args.softening.unwrap_or(nbody::DEFAULT_SOFTENING),
    )?;
    let bodies = nbody::Bodies::cluster(n, args.seed.unwrap_or(42));
    let e0 = bodies.energy(job.softening);
    let mut run = nbody::NBodyRun::new(backend, job, bodies)?;
    let start = Instant::now();
    let (result, phases) = run.simulate()?;
    let elapsed = start.elapsed().as_secs_f64();
    let e1 = result.bodies.energy(job.softening);
    println!("bodies:       {n}");
    println!(
        "steps:        {steps} (dt {}, softening {})",
        job.dt, job.softening
    );
    println!(
        "energy:       {e0:.9e} -> {e1:.9e} (relative drift {:.2e})",
        ((e1 - e0) / e0).abs()
    );
    print_timing(elapsed, &phases, job.interactions(), "body-interactions");
    Ok(())
}

fn run_sha256(args: &RunArgs, backend: &Backend) -> anyhow::Result<()> {
    let (count, difficulty) = count_and_suffix(
        args.size.as_deref().unwrap_or("2^32"),
        "sha256 nonce count",
        args.difficulty,
        "difficulty",
        20,
    )?;
    let prefix = args.prefix.as_deref().unwrap_or(sha256::DEFAULT_PREFIX);
    let search = sha256::Search::new(
        prefix.as_bytes(),
        difficulty,
        args.start.unwrap_or(0),
        count,
        args.exhaustive,
    )?;
    let mut run = sha256::Sha256Run::new(backend, search.clone())?;
    let start = Instant::now();
    let (found, phases) = run.search()?;
    let elapsed = start.elapsed().as_secs_f64();
    println!("prefix:       {prefix:?}");
    println!("difficulty:   {difficulty} leading zero bits");
    println!(
        "nonces:       {}..{} ({})",
        search.range().start,
        search.range().end,
        if search.exhaustive {
            "exhaustive"
        } else {
            "first match"
        }
    );
    match found.nonce {
        Some(nonce) => {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(sha256::message(prefix.as_bytes(), nonce));
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            println!("nonce:        {nonce} (8 bytes little-endian after the prefix)");
            println!("sha256:       {hex}");
        }
        None => println!("nonce:        none in the range"),
    }
    if let Some(m) = found.matches {
        println!("hits:         {m}");
    }
    println!("tried:        {} nonces", found.tried);
    print_timing(elapsed, &phases, found.tried as f64, "hashes");
    Ok(())
}

fn run_montecarlo(args: &RunArgs, backend: &Backend) -> anyhow::Result<()> {
    let samples = speedup::workloads::parse_count(
        args.size.as_deref().unwrap_or("2^26"),
        "montecarlo sample count",
    )
    .context("--size")?;
    let job =
        montecarlo::MonteCarlo::new(samples, args.seed.unwrap_or(montecarlo::DEFAULT_SEED), 0)?;
    println!("samples:      {samples}");
    if args.racy {
        let start = Instant::now();
        let r = montecarlo::racy(backend, job)?;
        println!("mode:         racy (shared counter, read then write, no atomics)");
        println!("expected:     {} hits", r.expected);
        println!("counted:      {} hits", r.counted);
        println!(
            "lost:         {} increments ({:.3}%)",
            r.lost(),
            100.0 * r.lost() as f64 / r.expected.max(1) as f64
        );
        println!(
            "elapsed:      {:.6} s (includes the exact reference count)",
            start.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let mut run = montecarlo::MonteCarloRun::new(backend, job)?;
    let start = Instant::now();
    let (estimate, phases) = run.estimate()?;
    let elapsed = start.elapsed().as_secs_f64();
    println!("hits:         {}", estimate.hits);
    println!(
        "pi:           {:.8} (off by {:.2e}; standard error {:.2e})",
        estimate.pi(),
        (estimate.pi() - std::f64::consts::PI).abs(),
        estimate.standard_error()
    );
    print_timing(elapsed, &phases, samples as f64, "samples");
    Ok(())
}

fn run_stream(args: &RunArgs, backend: &Backend) -> anyhow::Result<()> {
    let (elements, reps) = count_and_suffix(
        args.size.as_deref().unwrap_or("2^24"),
        "stream element count",
        args.reps,
        "repetition count",
        stream::DEFAULT_REPS,
    )?;
    let job = stream::Stream::new(elements, reps)?;
    let mut run = stream::StreamRun::new(backend, job)?;
    // One untimed triad first: the first touch of fresh memory (page faults on the CPU, lazy
    // allocation on some drivers) is not bandwidth.
    run.triads()?;
    let start = Instant::now();
    let phases = run.triads()?;
    let elapsed = start.elapsed().as_secs_f64();
    let ok = stream::first_difference(&run.result()?, &stream::reference(elements)).is_none();
    println!(
        "arrays:       3 x {elements} f32 ({:.1} MiB each)",
        elements as f64 * 4.0 / (1 << 20) as f64
    );
    println!("triads:       {reps}");
    println!(
        "result:       {}",
        if ok {
            "matches the reference"
        } else {
            "DIFFERS from the reference"
        }
    );
    print_timing(elapsed, &phases, job.bytes(), "bytes");
    println!("bandwidth:    {:.2} GB/s", job.bytes() / elapsed / 1e9);
    if let Some(d) = phases.device_seconds.filter(|d| *d > 0.0) {
        println!("  on device:   {:.2} GB/s", job.bytes() / d / 1e9);
    }
    if !ok {
        bail!("the triad's result differs from the reference");
    }
    Ok(())
}
