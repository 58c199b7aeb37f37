//! `speedup life run`: simulate a pattern file or a random soup on one backend.

use super::parse_size;
use anyhow::{bail, Context};
use speedup::backend::{Backend, BackendChoice};
use speedup::gpu::AdapterChoice;
use speedup::life::formats::{read_pattern, write_pattern};
use speedup::life::{Bounds, Grid, Kernel, LifeEngine, Rule, RuleSpec, Topology};
use std::path::PathBuf;
use std::time::Instant;

/// `speedup life ...`
#[derive(Debug, clap::Subcommand)]
pub enum LifeCommand {
    /// Run a pattern (RLE or .cells) or a random soup for N generations.
    Run(RunArgs),
}

/// Arguments of `speedup life run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Pattern file: .rle or .cells. Omit it to start from --random.
    pub pattern: Option<PathBuf>,
    /// Generations to run.
    #[arg(short, long, default_value_t = 100)]
    pub generations: u64,
    /// Rule in B/S notation (B3/S23, S23/B3 or 23/3). Overrides the file's rule.
    #[arg(long)]
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
    /// Fraction of live cells in the random soup.
    #[arg(long, default_value_t = 0.5)]
    pub density: f64,
    /// Seed of the random soup.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// auto (a hardware GPU if there is one, else rayon), serial, rayon or gpu.
    #[arg(short, long, default_value = "auto")]
    pub backend: BackendChoice,
    /// Rayon threads (default: one per logical core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// GPU adapter: index or name from `speedup devices`.
    #[arg(long)]
    pub adapter: Option<AdapterChoice>,
    /// Kernel: packed (bit-sliced, 32 cells a word, fast) or naive (cell by cell, the baseline).
    #[arg(long, default_value = "packed")]
    pub kernel: Kernel,
    /// Write the final grid here (.rle or .cells, by extension).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

/// Runs a `life` subcommand.
pub fn run(cmd: LifeCommand) -> anyhow::Result<()> {
    match cmd {
        LifeCommand::Run(args) => run_one(args),
    }
}

/// The starting grid, rule and topology after the file and the flags are combined.
struct Setup {
    grid: Grid,
    rule: Rule,
    topology: Topology,
}

fn setup(args: &RunArgs) -> anyhow::Result<Setup> {
    let (pattern, file_spec) = match (&args.pattern, args.random) {
        (Some(path), _) => {
            let p = read_pattern(path)?;
            let spec = p.rule;
            (Some(p.grid), spec)
        }
        (None, Some((w, h))) => {
            let size = args.size.unwrap_or((w, h));
            if size != (w, h) {
                bail!("--random {w}x{h} and --size {}x{} disagree", size.0, size.1);
            }
            (None, None)
        }
        (None, None) => bail!("give a pattern file or --random WxH"),
    };
    let rule = match &args.rule {
        Some(r) => Rule::parse(r).context("--rule")?,
        None => file_spec.map_or(Rule::CONWAY, |s| s.rule),
    };
    let bounds: Option<Bounds> = file_spec.and_then(|s| s.bounds);
    let topology = args
        .topology
        .or(bounds.map(|b| b.topology))
        .unwrap_or(Topology::Torus);
    let grid = match pattern {
        None => {
            let (w, h) = args.random.expect("checked above");
            Grid::random(w, h, args.density, args.seed)?
        }
        Some(p) => {
            let (w, h) = args
                .size
                .or(bounds.map(|b| (b.width, b.height)))
                .unwrap_or((p.width(), p.height()));
            if (w, h) == (p.width(), p.height()) {
                p
            } else {
                if w < p.width() || h < p.height() {
                    bail!(
                        "the pattern is {}x{} and does not fit the {w}x{h} grid",
                        p.width(),
                        p.height()
                    );
                }
                let mut grid = Grid::new(w, h)?;
                grid.paste(&p, (w - p.width()) / 2, (h - p.height()) / 2);
                grid
            }
        }
    };
    Ok(Setup {
        grid,
        rule,
        topology,
    })
}

fn run_one(args: RunArgs) -> anyhow::Result<()> {
    let Setup {
        grid,
        rule,
        topology,
    } = setup(&args)?;
    let backend = Backend::resolve(&args.backend, args.threads, args.adapter.as_ref(), true)?;
    let (width, height, cells) = (grid.width(), grid.height(), grid.cells());
    let mut engine = LifeEngine::with_kernel(&backend, grid, rule, topology, args.kernel)?;
    let start = Instant::now();
    let device_seconds = engine.step(args.generations)?;
    let final_grid = engine.grid()?;
    let elapsed = start.elapsed().as_secs_f64();
    if let Some(path) = &args.output {
        let spec = RuleSpec {
            rule,
            bounds: Some(Bounds {
                topology,
                width,
                height,
            }),
        };
        write_pattern(path, &final_grid, &spec)?;
    }
    let updates = cells as f64 * args.generations as f64;
    println!("backend:      {}", backend.describe());
    println!("kernel:       {}", args.kernel);
    println!("size:         {width}x{height}");
    println!("rule:         {rule}");
    println!("topology:     {topology}");
    println!("generations:  {}", args.generations);
    println!("population:   {}", final_grid.population());
    println!("elapsed:      {elapsed:.6} s");
    println!(
        "throughput:   {:.3e} cell-updates/s",
        updates / elapsed.max(1e-12)
    );
    if let Some(d) = device_seconds {
        println!("device time:  {d:.6} s");
    }
    println!("hash:         {}", final_grid.hash_hex());
    if let Some(path) = &args.output {
        println!("written:      {}", path.display());
    }
    Ok(())
}
