//! `speedup life run` (one pattern or soup on one backend, with snapshots, a GIF, statistics and
//! a progress bar) and `speedup life batch` (many independent runs, one CSV row each).

use super::{parse_size, BackendArgs};
use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use speedup::backend::{Backend, BackendChoice};
use speedup::life::batch::record::{self, CsvSink, Expected};
use speedup::life::batch::{self, Defaults, Job, Outcome, Shard, ShardSpec, Start, CSV_HEADER};
use speedup::life::grid::HASH_ALGORITHM;
use speedup::life::memory::check_grids;
use speedup::life::session::{write_grid, Samples, Session, SessionPlan};
use speedup::life::stable::DEFAULT_MAX_PERIOD;
use speedup::life::{Kernel, Rule, Topology};
use speedup::output::write_atomic;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// `--until-stable` and `--max-period`, shared by `life run` and `life batch`.
#[derive(Debug, clap::Args)]
pub struct StableArgs {
    /// Stop when the grid repeats (a still life, an oscillator, a glider back where it started
    /// on a torus), at most --generations, and report stabilised_at (the first generation of
    /// the cycle) and period. In `life batch` each run stops on its own (on a GPU such runs go
    /// one at a time, not batched).
    #[arg(long)]
    pub until_stable: bool,
    /// With --until-stable: the longest period looked for (a hash of each of the last P
    /// generations is kept) [default: 10000].
    #[arg(long, requires = "until_stable", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_period: Option<u64>,
}

impl StableArgs {
    /// The longest period to look for, or `None` without `--until-stable`.
    fn longest_period(&self) -> Option<u64> {
        self.until_stable
            .then(|| self.max_period.unwrap_or(DEFAULT_MAX_PERIOD))
    }
}

/// `speedup life ...`
#[derive(Debug, clap::Subcommand)]
pub enum LifeCommand {
    /// Run a pattern (.rle, .cells, .lif, .life, gzipped or not) or a random soup for N
    /// generations.
    Run(Box<RunArgs>),
    /// Many independent runs from a job file or a sweep over densities and seeds; one CSV row
    /// per run.
    Batch(Box<BatchArgs>),
}

/// Arguments of `speedup life run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Pattern file: .rle, .cells, .lif or .life, optionally .gz. Omit it to start from --random.
    pub pattern: Option<PathBuf>,
    /// Generations to run.
    #[arg(short, long, default_value_t = 100)]
    pub generations: u64,
    /// Rule in B/S notation (B3/S23, S23/B3 or 23/3). Overrides the file's rule.
    #[arg(long, value_parser = parse_rule)]
    pub rule: Option<String>,
    /// torus (edges wrap) or bounded (cells outside are dead). Overrides the file's suffix.
    #[arg(long)]
    pub topology: Option<Topology>,
    /// Grid size WxH. A smaller pattern is centred. Overrides the file's size.
    #[arg(long, value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// Start from a random soup of this size (WxH) instead of a pattern.
    #[arg(long, value_parser = parse_size, conflicts_with = "pattern")]
    pub random: Option<(u32, u32)>,
    /// Fraction of live cells in the random soup, from 0 to 1.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true, value_parser = parse_density)]
    pub density: f64,
    /// Seed of the random soup.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Which backend runs it.
    #[command(flatten)]
    pub backend: BackendArgs,
    /// When to stop early.
    #[command(flatten)]
    pub stable: StableArgs,
    /// Kernel: packed (bit-sliced, 32 cells a word, one generation per pass), tiled (packed,
    /// several generations per pass over cache or workgroup tiles) or naive (cell by cell, the
    /// baseline). Default: the fastest measured for the backend (tiled on the CPU, packed on the
    /// GPU).
    #[arg(long)]
    pub kernel: Option<Kernel>,
    /// Write the final grid here: .rle, .cells, .lif (Life 1.05), .life (Life 1.06), any of
    /// them + .gz, or .png. Written atomically, and also when Ctrl-C stops the run.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Pixels per cell in PNG files and GIF frames (reduced, or the grid downscaled, when the
    /// image would be too large; the command says so).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub scale: u32,
    /// Sample the grid every K generations for --snapshots, --gif and --stats (default: about a
    /// hundred samples over the run).
    #[arg(long, value_name = "K", value_parser = parse_every)]
    pub every: Option<u64>,
    /// Write the grid every K generations into this folder, as gen-NNNN.EXT files.
    #[arg(long)]
    pub snapshots: Option<PathBuf>,
    /// Snapshot file type: rle, cells, lif, life or png.
    #[arg(long, default_value = "rle", value_parser = parse_snapshot_format)]
    pub snapshot_format: String,
    /// Write an animated GIF of the run, one frame every K generations.
    #[arg(long)]
    pub gif: Option<PathBuf>,
    /// GIF frame delay in hundredths of a second.
    #[arg(long, default_value_t = 10)]
    pub gif_delay: u16,
    /// Write generation, population, births and deaths every K generations to this CSV file
    /// (births and deaths are those of the step into that generation).
    #[arg(long)]
    pub stats: Option<PathBuf>,
    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress bar and no notes on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Split the grid's rows across the ranks of an MPI job (run under mpirun or srun); each
    /// rank steps its band on --backend. Needs a build with `--features mpi`.
    #[arg(long)]
    pub distributed: bool,
    /// --halo and --overlap, with --distributed.
    #[command(flatten)]
    pub exchange: super::HaloArgs,
}

/// Arguments of `speedup life batch`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BatchArgs {
    /// `merge`: put the shards' CSVs together.
    #[command(subcommand)]
    pub command: Option<BatchCommand>,
    /// Job file: a JSON list of jobs, or one job per line (`acorn.lif generations=500`,
    /// `random=64x64 density=0.3 seed=7 rule=B36/S23`). Omit it to sweep with --random.
    pub jobs: Option<PathBuf>,
    /// Sweep: random soups of this size (WxH), one run per density and seed.
    #[arg(long, value_parser = parse_size, conflicts_with = "jobs")]
    pub random: Option<(u32, u32)>,
    /// Sweep densities: a list (0.1,0.3) or an inclusive range start:stop:step (0.1:0.9:0.1).
    #[arg(long, default_value = "0.5", allow_hyphen_values = true)]
    pub densities: String,
    /// Sweep seeds: a list (1,5,9) or an inclusive range start:stop[:step] (1:100).
    #[arg(long, default_value = "1", allow_hyphen_values = true)]
    pub seeds: String,
    /// Generations per run (jobs may give their own).
    #[arg(short, long, default_value_t = 100)]
    pub generations: u64,
    /// Rule for jobs that give none (over a pattern's own rule).
    #[arg(long, value_parser = parse_rule)]
    pub rule: Option<String>,
    /// Topology for jobs that give none (over a pattern's suffix).
    #[arg(long)]
    pub topology: Option<Topology>,
    /// Which backend runs the jobs. On a GPU, runs of one size are batched into one dispatch.
    #[command(flatten)]
    pub backend: BackendArgs,
    /// When to stop early.
    #[command(flatten)]
    pub stable: StableArgs,
    /// Run only jobs K, K+N, K+2N, ... (K counts from 0). `auto`: K and N from a Slurm job
    /// array (SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT, the array numbered 0..N-1);
    /// `auto/N`: N given, K from Slurm or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX). On
    /// stdout only shard 0 writes the CSV header, so the shards' outputs concatenate; files
    /// always have it (merge them with `life batch merge`).
    #[arg(long)]
    pub shard: Option<ShardSpec>,
    /// Write the CSV here, in job order, once every job is done; until then each finished row is
    /// appended to FILE.partial and flushed, so a kill (Ctrl-C, SIGTERM from scancel or a time
    /// limit: both stop at the next job boundary) keeps every finished row. Default: stdout, one
    /// row as each job finishes.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Keep the rows already in --output (and its .partial file) whose inputs match this run's
    /// jobs, and run only the others: re-running a killed or failed shard is safe.
    #[arg(long, requires = "output")]
    pub resume: bool,
    /// No progress bar and no notes on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Subcommands of `speedup life batch`.
#[derive(Debug, clap::Subcommand)]
pub enum BatchCommand {
    /// Merge the shards' CSVs: one header, rows in job order, every job exactly once (a job
    /// found twice only if its results agree). Fails, naming the jobs, when any is missing,
    /// extra or conflicting; then nothing is written.
    Merge(MergeArgs),
}

/// Arguments of `speedup life batch merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shards' CSV files (`-o` of each `life batch --shard`).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write the merged CSV here (atomically); default: stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// The batch's job file: its jobs are the ones expected (each row's source checked too).
    #[arg(long, conflicts_with = "expect")]
    pub jobs: Option<PathBuf>,
    /// Expect jobs 0..N-1 (for a sweep). Without --jobs or --expect: 0 to the largest found.
    #[arg(long)]
    pub expect: Option<usize>,
}

/// `--density`: a fraction of live cells, 0 to 1 (clap would read `-0.1` as a flag without
/// `allow_negative_numbers`, and say nothing useful).
fn parse_density(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(d) if (0.0..=1.0).contains(&d) => Ok(d),
        _ => Err("expected a fraction of live cells from 0 to 1, e.g. 0.3".to_string()),
    }
}

/// `--snapshot-format`: one of the formats a snapshot can be written in, in any case.
fn parse_snapshot_format(text: &str) -> Result<String, String> {
    let format = text.trim().to_ascii_lowercase();
    match format.as_str() {
        "rle" | "cells" | "lif" | "life" | "png" => Ok(format),
        _ => Err("expected rle, cells, lif, life or png".to_string()),
    }
}

/// `--every`: a whole number of generations, 1 or more.
fn parse_every(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(k) if k >= 1 => Ok(k),
        _ => Err("expected a whole number of generations between samples, 1 or more".to_string()),
    }
}

/// `--rule`: checked while parsing, so a bad rule is refused (exit 2) before anything runs;
/// kept as text, the library parses it again where it is used.
fn parse_rule(text: &str) -> Result<String, String> {
    Rule::parse(text)
        .map(|_| text.to_string())
        .map_err(|e| format!("{e} (write it like B3/S23, S23/B3 or 23/3)"))
}

/// Runs a `life` subcommand.
pub fn run(cmd: LifeCommand) -> anyhow::Result<()> {
    match cmd {
        LifeCommand::Run(args) => run_one(*args),
        LifeCommand::Batch(args) => match args.command {
            Some(BatchCommand::Merge(merge)) => run_merge(merge),
            None => run_batch(*args),
        },
    }
}

/// Raised by Ctrl-C; the run loops check it between chunks of generations (or between jobs).
static STOP: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler once: the first Ctrl-C asks the run to stop at the next
/// generation boundary (outputs are still written); a second one exits at once.
fn catch_ctrl_c() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let installed = ctrlc::set_handler(|| {
            if STOP.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
        if let Err(e) = installed {
            eprintln!("note: Ctrl-C will not stop the run cleanly: {e}");
        }
    });
}

/// A progress bar on stderr when it is a terminal and the user did not ask for quiet; hidden
/// otherwise (so logs and pipes stay clean).
fn progress_bar(total: u64, quiet: bool, unit: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template =
        format!("{{wide_bar}} {{human_pos}}/{{human_len}} {unit} ({{per_sec}}, ETA {{eta}})");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

pub(super) fn run_job(args: &RunArgs) -> anyhow::Result<Job> {
    let start = match (&args.pattern, args.random) {
        (Some(path), _) => Start::Pattern {
            path: path.display().to_string(),
            resolved: path.clone(),
        },
        (None, Some((width, height))) => Start::Random {
            width,
            height,
            density: args.density,
            seed: args.seed,
        },
        (None, None) => return Err(super::usage("give a pattern file or --random WxH")),
    };
    Ok(Job {
        index: 0,
        start,
        size: args.size,
        rule: args
            .rule
            .as_deref()
            .map(Rule::parse)
            .transpose()
            .context("--rule")?,
        topology: args.topology,
        generations: args.generations,
        until_stable: args.stable.longest_period(),
    })
}

/// The summary, printed as text or (with --json) as one JSON object.
#[derive(serde::Serialize)]
struct Summary {
    backend: &'static str,
    device: String,
    kernel: String,
    width: u32,
    height: u32,
    rule: String,
    topology: &'static str,
    /// Generations stepped: all of them, or fewer when the run stabilised or was interrupted
    /// (the same meaning as `life batch`'s `generations` column).
    generations: u64,
    /// Generations asked for (`-g`): with --until-stable, the most the run would step.
    requested_generations: u64,
    interrupted: bool,
    /// With --until-stable: the first generation of the cycle the run ended in (null if none
    /// was found within its generations).
    stabilised_at: Option<u64>,
    /// With --until-stable: the cycle's period.
    period: Option<u64>,
    /// With --until-stable: the longest period looked for.
    max_period: Option<u64>,
    population: u64,
    /// Wall time of the stepping alone (the kernel, with its chunking and any sampling reads).
    elapsed_seconds: f64,
    /// Wall time before the first step: reading the pattern or filling the random soup
    /// (`start_grid_seconds`), then allocating the engine and uploading the grid.
    setup_seconds: f64,
    /// The part of `setup_seconds` spent reading the pattern or filling the random soup.
    start_grid_seconds: f64,
    cell_updates_per_second: f64,
    device_seconds: Option<f64>,
    hash: String,
    /// Which hash `hash` is (see `Grid::hash_hex`), so that reports made with another one are
    /// not compared with this one by mistake.
    hash_algorithm: &'static str,
    output: Option<String>,
    /// Wall time after the last step: writing `--output`, counting the population, hashing.
    finish_seconds: f64,
}

/// Checks every file `life run` will write before it runs (see [`speedup::output`]): the
/// output's format is known, missing folders are made, an unwritable path fails now.
fn prepare_outputs(args: &RunArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.output {
        let png = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png"));
        if !png {
            speedup::life::formats::Format::from_path(path)
                .map_err(|e| super::usage(format!("--output: {e}, or .png")))?;
        }
    }
    for path in [&args.output, &args.gif, &args.stats].into_iter().flatten() {
        speedup::output::prepare(path)?;
    }
    if let Some(dir) = &args.snapshots {
        speedup::output::prepare_dir(dir)?;
    }
    Ok(())
}

/// Reads the job's pattern or draws its soup with the threads the run will use: one for
/// `--backend serial` (the baseline every speedup is measured against is one core, its set-up
/// included: the soup was drawn on every core before, so a serial run set up on two cores here),
/// `--threads` where given, else every core (Rayon's default, and a GPU run's host side).
/// A serial run never starts Rayon's global pool: asking its size started one worker per core,
/// whose start and idle spinning cost a serial 2048² read about 0.5 ms of CPU time on two cores.
fn prepare_on(backend: &BackendArgs, job: &Job) -> anyhow::Result<batch::PreparedJob> {
    let threads = match backend.choice()? {
        BackendChoice::Serial => 1,
        _ if backend.threads != 0 => backend.threads,
        _ => return Ok(job.prepare()?),
    };
    Ok(speedup::backend::rayon_pool(threads)?.install(|| job.prepare())?)
}

fn run_one(args: RunArgs) -> anyhow::Result<()> {
    prepare_outputs(&args)?;
    if args.distributed {
        return super::distributed::life_run(&args);
    }
    let job = run_job(&args)?;
    let samples = samples(&args)?;
    // The engine holds two generations, the final read back makes a third, the start a fourth:
    // where the size is known before reading anything, refuse it now, with the numbers.
    if let Some((w, h)) = args.size.or(args.random) {
        check_grids(w as u64, h as u64, 4, "the run")?;
    }
    let setup = std::time::Instant::now();
    let prepared = prepare_on(&args.backend, &job)?;
    let start_grid_seconds = setup.elapsed().as_secs_f64();
    let (rule, topology) = (prepared.rule, prepared.topology);
    let (width, height) = (prepared.grid.width(), prepared.grid.height());
    // A pattern's own size is known only now; refuse before the engine allocates.
    check_grids(width as u64, height as u64, 3, "the run")?;
    // After the pattern: a bad file's error is then the only line printed.
    let backend = args.backend.resolve(!args.quiet && !args.json)?;
    let plan = SessionPlan {
        generations: args.generations,
        until_stable: job.until_stable,
        samples,
    };
    let kernel = args.kernel.unwrap_or_else(|| Kernel::best_for(&backend));
    let session = Session::new(&backend, kernel, prepared.grid, rule, topology, plan)?;
    let setup_seconds = setup.elapsed().as_secs_f64();
    let spec = session.spec();
    catch_ctrl_c();
    let total = args.generations;
    let bar = progress_bar(total, args.quiet || args.json, "generations");
    let mut heartbeat = super::progress::Heartbeat::unless_terminal("life run", args.quiet);
    let outcome = session.run(&STOP, &mut |generation| {
        bar.set_position(generation);
        heartbeat.beat(|| {
            format!(
                "generation {generation} of {total} ({:.0}%)",
                100.0 * generation as f64 / total.max(1) as f64
            )
        });
    })?;
    bar.finish_and_clear();
    // Everything after the last step (the output file, population and hash) is timed, so that
    // the JSON shows the whole run's parts: set-up, stepping, finishing.
    let finish = std::time::Instant::now();
    let final_grid = &outcome.grid;
    let mut notes = Vec::new();
    if let Some(path) = &args.output {
        // A failed write at the end (a full disk) must not lose the run: the grid is saved
        // elsewhere and the error says where.
        match write_grid(path, final_grid, &spec, args.scale) {
            Ok(note) => notes.extend(note),
            Err(e) => {
                return Err(speedup::output::rescue(path, e, |spare| {
                    write_grid(spare, final_grid, &spec, args.scale).map(|_| ())
                })
                .into())
            }
        }
    }
    notes.extend(outcome.notes);
    let (generation, cycle, elapsed) =
        (outcome.generations, outcome.cycle, outcome.stepping_seconds);
    // Both figures from one read of the grid; on Rayon on the pool too (the same values, a
    // fraction of the wall time).
    let (population, hash) =
        final_grid.population_and_hash_hex(matches!(backend, Backend::Rayon { .. }));
    let summary = Summary {
        backend: backend.name(),
        device: backend.describe(),
        kernel: kernel.to_string(),
        width,
        height,
        rule: rule.to_string(),
        topology: topology.name(),
        generations: generation,
        requested_generations: total,
        interrupted: outcome.interrupted,
        stabilised_at: cycle.map(|c| c.start),
        period: cycle.map(|c| c.period),
        max_period: job.until_stable,
        population,
        elapsed_seconds: elapsed,
        setup_seconds,
        start_grid_seconds,
        cell_updates_per_second: final_grid.cells() as f64 * generation as f64 / elapsed.max(1e-12),
        device_seconds: outcome.device_seconds,
        hash,
        hash_algorithm: HASH_ALGORITHM,
        output: args.output.as_ref().map(|p| p.display().to_string()),
        finish_seconds: 0.0,
    };
    let summary = Summary {
        finish_seconds: finish.elapsed().as_secs_f64(),
        ..summary
    };
    if !args.quiet {
        for note in &notes {
            eprintln!("note: {note}");
        }
    }
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        print_summary(&summary);
    }
    if outcome.interrupted {
        bail!(
            "interrupted by Ctrl-C at generation {generation} of {total}{}",
            if args.output.is_some() {
                " (the output holds that generation)"
            } else {
                ""
            }
        );
    }
    Ok(())
}

/// What `--snapshots`, `--gif` and `--stats` ask to record, every `--every` generations (about
/// a hundred samples over the run by default).
fn samples(args: &RunArgs) -> anyhow::Result<Option<Samples>> {
    if args.snapshots.is_none() && args.gif.is_none() && args.stats.is_none() {
        if args.every.is_some() {
            return Err(super::usage(
                "--every needs --snapshots, --gif or --stats (it sets how often they sample)",
            ));
        }
        return Ok(None);
    }
    let snapshots =
        (args.snapshots.as_ref()).map(|dir| (dir.clone(), args.snapshot_format.clone()));
    Ok(Some(Samples {
        every: args.every.unwrap_or((args.generations / 100).max(1)),
        snapshots,
        gif: args.gif.clone().map(|path| (path, args.gif_delay)),
        stats: args.stats.clone(),
        scale: args.scale,
    }))
}

fn print_summary(s: &Summary) {
    println!("backend:      {}", s.device);
    println!("kernel:       {}", s.kernel);
    println!("size:         {}x{}", s.width, s.height);
    println!("rule:         {}", s.rule);
    println!("topology:     {}", s.topology);
    if s.generations == s.requested_generations {
        println!("generations:  {}", s.generations);
    } else {
        println!(
            "generations:  {} (of {} asked for)",
            s.generations, s.requested_generations
        );
    }
    match (s.stabilised_at, s.period, s.max_period) {
        (Some(at), Some(period), _) => {
            println!("stabilised:   at generation {at}, period {period}")
        }
        (_, _, Some(max)) if !s.interrupted => println!(
            "stabilised:   no: did not stabilise within {} generations (periods up to {max} \
             looked for)",
            s.generations
        ),
        (_, _, Some(_)) => println!(
            "stabilised:   not by generation {} (interrupted)",
            s.generations
        ),
        _ => {}
    }
    println!("population:   {}", s.population);
    println!(
        "set-up:       {:.6} s (start grid {:.6} s, then the engine)",
        s.setup_seconds, s.start_grid_seconds
    );
    println!("elapsed:      {:.6} s (stepping)", s.elapsed_seconds);
    println!(
        "throughput:   {:.3e} cell-updates/s",
        s.cell_updates_per_second
    );
    if let Some(d) = s.device_seconds {
        println!("device time:  {d:.6} s");
    }
    println!("hash:         {} ({})", s.hash, s.hash_algorithm);
    if let Some(path) = &s.output {
        println!("written:      {path}");
    }
}

/// Reads a job file (relative pattern paths taken from its folder).
fn read_jobs(path: &Path, defaults: &Defaults) -> anyhow::Result<Vec<Job>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    Ok(batch::parse_jobs(
        &text,
        &path.display().to_string(),
        base,
        defaults,
    )?)
}

fn run_batch(args: BatchArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.output {
        speedup::output::prepare(path)?;
    }
    let defaults = Defaults {
        generations: args.generations,
        rule: args
            .rule
            .as_deref()
            .map(Rule::parse)
            .transpose()
            .context("--rule")?,
        topology: args.topology,
        until_stable: args.stable.longest_period(),
        ..Defaults::default()
    };
    let jobs = match (&args.jobs, args.random) {
        (Some(path), _) => read_jobs(path, &defaults)?,
        (None, Some((w, h))) => {
            let densities = batch::parse_densities(&args.densities)
                .map_err(|e| super::usage(format!("--densities: {e}")))?;
            let seeds = batch::parse_seeds(&args.seeds)
                .map_err(|e| super::usage(format!("--seeds: {e}")))?;
            batch::sweep(w, h, &densities, &seeds, &defaults)
        }
        (None, None) => {
            return Err(super::usage(
                "give a job file or --random WxH (with --densities and --seeds)",
            ))
        }
    };
    let shard = match &args.shard {
        Some(spec) => spec.resolve(&|name| std::env::var(name).ok())?,
        None => Shard { index: 0, count: 1 },
    };
    let jobs = shard.select(jobs);
    let mut sink = None;
    let mut todo = jobs.clone();
    if let Some(path) = &args.output {
        let kept = if args.resume {
            let resumed = record::resume(path, &jobs)?;
            if !args.quiet {
                for note in &resumed.notes {
                    eprintln!("note: {note}");
                }
            }
            let done: std::collections::HashSet<usize> =
                resumed.rows.iter().map(|(j, _)| *j).collect();
            todo.retain(|j| !done.contains(&j.index));
            if !args.quiet && !done.is_empty() {
                eprintln!(
                    "note: resuming: {} of {} jobs already recorded",
                    done.len(),
                    jobs.len()
                );
            }
            resumed.rows
        } else {
            Vec::new()
        };
        sink = Some(CsvSink::create(path, kept)?);
    } else if shard.writes_header() {
        println!("{CSV_HEADER}");
    }
    let backend = args.backend.resolve(!args.quiet)?;
    catch_ctrl_c();
    let bar = progress_bar(todo.len() as u64, args.quiet, "runs");
    let heartbeat = std::sync::Mutex::new(super::progress::Heartbeat::unless_terminal(
        "life batch",
        args.quiet,
    ));
    let finished = std::sync::atomic::AtomicUsize::new(0);
    // Rows are recorded as jobs finish (from any thread); a failure to record stops the batch at
    // the next job boundary and is reported after it.
    let sink = std::sync::Mutex::new(sink);
    let record_error = std::sync::Mutex::new(None);
    let record = |o: &Outcome| {
        bar.inc(1);
        let n = finished.fetch_add(1, Ordering::Relaxed) + 1;
        (heartbeat.lock().unwrap_or_else(|e| e.into_inner()))
            .beat(|| format!("{n} of {} runs finished", todo.len()));
        let Ok(i) = todo.binary_search_by_key(&o.job, |j| j.index) else {
            return;
        };
        let mut sink = sink.lock().unwrap_or_else(|e| e.into_inner());
        let written = match sink.as_mut() {
            Some(sink) => sink.append(&todo[i], o).map_err(anyhow::Error::from),
            None => {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{}", batch::csv_row(&todo[i], o))
                    .and_then(|()| out.flush())
                    .context("writing the CSV to stdout")
            }
        };
        if let Err(e) = written {
            record_error
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert(e);
            STOP.store(true, Ordering::SeqCst);
        }
    };
    let outcomes = batch::run_jobs(&backend, &todo, &STOP, &record);
    bar.finish_and_clear();
    if let Some(e) = record_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let outcomes = outcomes?;
    let sink = sink.into_inner().unwrap_or_else(|e| e.into_inner());
    if outcomes.len() < todo.len() {
        let (recorded, partial) = match &sink {
            Some(s) => (
                s.len(),
                format!(
                    "; {} holds them: rerun with --resume to finish",
                    s.partial().display()
                ),
            ),
            None => (jobs.len() - todo.len() + outcomes.len(), String::new()),
        };
        bail!(
            "interrupted (Ctrl-C or SIGTERM) with {recorded} of {} runs recorded{partial}",
            jobs.len()
        );
    }
    if let Some(sink) = sink {
        sink.finish()?;
    }
    Ok(())
}

fn run_merge(args: MergeArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.output {
        speedup::output::prepare(path)?;
    }
    let inputs = args
        .files
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .map(|text| (p.display().to_string(), text))
                .with_context(|| format!("reading {}", p.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let jobs = match &args.jobs {
        Some(path) => Some(read_jobs(path, &Defaults::default())?),
        None => None,
    };
    let expected = match (&jobs, args.expect) {
        (Some(jobs), _) => Some(Expected::Jobs(jobs)),
        (None, Some(n)) => Some(Expected::Count(n)),
        (None, None) => None,
    };
    let merged = record::merge(&inputs, expected)?;
    match &args.output {
        Some(path) => write_atomic(path, merged.as_bytes())?,
        None => print!("{merged}"),
    }
    Ok(())
}
