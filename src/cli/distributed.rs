//! `life run --distributed` and `bench --workloads life --distributed`: one grid split across the
//! ranks of an MPI job (src/life/distributed/). Without `--features mpi` both say how to get it.

use super::bench::BenchArgs;
use super::life::RunArgs;

/// What a build without MPI says when asked for `--distributed`.
#[cfg(not(feature = "mpi"))]
const NO_MPI: &str =
    "--distributed needs speedup built with MPI: cargo build --release --features mpi \
(Debian: apt-get install openmpi-bin libopenmpi-dev libclang-dev)";

/// `life run --distributed`.
#[cfg(not(feature = "mpi"))]
pub fn life_run(_: &RunArgs) -> anyhow::Result<()> {
    anyhow::bail!(NO_MPI)
}

/// `bench --distributed`.
#[cfg(not(feature = "mpi"))]
pub fn bench(_: &BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!(NO_MPI)
}

#[cfg(feature = "mpi")]
pub use with_mpi::{bench, life_run};

#[cfg(feature = "mpi")]
mod with_mpi {
    use super::{BenchArgs, RunArgs};
    use crate::cli::BackendArgs;
    use anyhow::{bail, Context};
    use speedup::backend::{Backend, BackendChoice};
    use speedup::gpu::AdapterChoice;
    use speedup::harness::scaling;
    use speedup::life::batch::Job;
    use speedup::life::distributed::mpi::Cluster;
    use speedup::life::distributed::session::{self, RunPlan, ScalingPlan};
    use speedup::life::{Bounds, Kernel, RuleSpec};
    use speedup::output::write_atomic;

    /// Runs `body` on every rank; a rank that fails prints its error naming itself and ends the
    /// whole job, since the other ranks would wait for its halos forever.
    fn on_every_rank(body: impl FnOnce(&Cluster) -> anyhow::Result<()>) -> anyhow::Result<()> {
        let cluster = Cluster::init()?;
        match body(&cluster) {
            Ok(()) => Ok(()),
            Err(e) if cluster.size() == 1 => Err(e),
            Err(e) => {
                eprintln!(
                    "error: rank {} of {}: {e:#}",
                    cluster.rank(),
                    cluster.size()
                );
                // The launcher forwards each rank's stderr; MPI_Abort kills the ranks at once
                // and can lose the line just written, so give it a moment to get out first.
                std::thread::sleep(std::time::Duration::from_millis(300));
                cluster.abort(1)
            }
        }
    }

    /// The rank's backend: with several hardware GPUs on a node and `--backend gpu` or `auto`
    /// (and no adapter named), rank `r` on the node takes the `r mod n`-th of them.
    fn backend_for(
        args: &BackendArgs,
        local_rank: usize,
        announce: bool,
    ) -> anyhow::Result<Backend> {
        let choice = args.choice()?;
        let by_rank = matches!(
            choice,
            BackendChoice::Auto | BackendChoice::Gpu(AdapterChoice::Auto)
        );
        if by_rank {
            let hardware: Vec<usize> = speedup::gpu::list_adapters()
                .iter()
                .filter(|a| !a.software)
                .map(|a| a.index)
                .collect();
            if !hardware.is_empty() {
                let pick = AdapterChoice::Index(hardware[local_rank % hardware.len()]);
                let backend = Backend::resolve(&BackendChoice::Gpu(pick), args.threads, false)?;
                if announce && choice == BackendChoice::Auto {
                    eprintln!("backend auto: using {}", backend.describe());
                }
                return Ok(backend);
            }
        }
        Ok(Backend::resolve(&choice, args.threads, announce)?)
    }

    /// `life run --distributed`.
    pub fn life_run(args: &RunArgs) -> anyhow::Result<()> {
        for (given, flag) in [
            (args.snapshots.is_some(), "--snapshots"),
            (args.gif.is_some(), "--gif"),
            (args.stats.is_some(), "--stats"),
            (args.every.is_some(), "--every"),
        ] {
            if given {
                bail!("{flag} is not supported with --distributed: the grid is gathered only at the end");
            }
        }
        let job = super::super::life::run_job(args)?;
        on_every_rank(|cluster| run_on(cluster, args, &job))
    }

    /// The summary of a distributed run, printed by rank 0 as text or one JSON object.
    #[derive(serde::Serialize)]
    struct Summary {
        backend: &'static str,
        device: String,
        kernel: String,
        ranks: usize,
        halo: u32,
        overlap: bool,
        width: u32,
        height: u32,
        rule: String,
        topology: &'static str,
        generations: u64,
        population: u64,
        elapsed_seconds: f64,
        cell_updates_per_second: f64,
        compute_seconds: f64,
        exchange_seconds: f64,
        wait_seconds: f64,
        /// `None` for a grid too large to gather on one process.
        hash: Option<String>,
        /// Which hash `hash` is (see `Grid::hash_hex`).
        hash_algorithm: &'static str,
        output: Option<String>,
    }

    fn run_on(cluster: &Cluster, args: &RunArgs, job: &Job) -> anyhow::Result<()> {
        let rank = cluster.rank();
        let (header, start) = session::agree_on_grid(cluster, job)?;
        let announce = rank == 0 && !args.quiet && !args.json;
        let backend = backend_for(&args.backend, cluster.local_rank(), announce)?;
        let kernel = args.kernel.unwrap_or_else(|| Kernel::best_for(&backend));
        let plan = RunPlan {
            kernel,
            halo: args.exchange.halo,
            generations: args.generations,
            overlap: args.exchange.overlap,
            output: args.output.is_some(),
        };
        let outcome = session::run(cluster, &backend, header, start, plan)?;
        let (w, h) = (header.width as u64, header.height as u64);
        if rank != 0 {
            return Ok(());
        }
        let spec = RuleSpec {
            rule: header.rule,
            bounds: Some(Bounds {
                topology: header.topology,
                width: header.width,
                height: header.height,
            }),
        };
        if let (Some(path), Some(grid)) = (&args.output, &outcome.grid) {
            let note = speedup::life::session::write_grid(path, grid, &spec, args.scale)
                .with_context(|| format!("writing {}", path.display()))?;
            if let (Some(note), false) = (note, args.quiet) {
                eprintln!("note: {note}");
            }
        }
        let summary = Summary {
            backend: backend.name(),
            device: backend.describe(),
            kernel: kernel.to_string(),
            ranks: outcome.ranks,
            halo: outcome.depth,
            overlap: args.exchange.overlap,
            width: header.width,
            height: header.height,
            rule: header.rule.to_string(),
            topology: header.topology.name(),
            generations: args.generations,
            population: outcome.population,
            elapsed_seconds: outcome.elapsed,
            cell_updates_per_second: (w * h) as f64 * args.generations as f64
                / outcome.elapsed.max(1e-12),
            compute_seconds: outcome.timings.compute,
            exchange_seconds: outcome.timings.exchange,
            wait_seconds: outcome.timings.wait,
            hash: outcome.grid.as_ref().map(|g| g.hash_hex()),
            hash_algorithm: speedup::life::grid::HASH_ALGORITHM,
            output: args.output.as_ref().map(|p| p.display().to_string()),
        };
        if args.json {
            println!("{}", serde_json::to_string(&summary)?);
        } else {
            println!("backend:      {} on each rank", summary.device);
            println!("kernel:       {}", summary.kernel);
            println!(
                "ranks:        {} (halo {} rows{})",
                summary.ranks,
                summary.halo,
                if summary.overlap { ", overlapped" } else { "" }
            );
            println!("size:         {}x{}", summary.width, summary.height);
            println!("rule:         {}", summary.rule);
            println!("topology:     {}", summary.topology);
            println!("generations:  {}", summary.generations);
            println!("population:   {}", summary.population);
            println!("elapsed:      {:.6} s", summary.elapsed_seconds);
            println!(
                "throughput:   {:.3e} cell-updates/s",
                summary.cell_updates_per_second
            );
            println!(
                "slowest rank: compute {:.6} s, exchange {:.6} s, wait {:.6} s",
                summary.compute_seconds, summary.exchange_seconds, summary.wait_seconds
            );
            match &summary.hash {
                Some(hash) => println!("hash:         {hash} ({})", summary.hash_algorithm),
                None => {
                    println!("hash:         none (the grid is too large to gather on one rank)")
                }
            }
            if let Some(path) = &summary.output {
                println!("written:      {path}");
            }
        }
        Ok(())
    }

    /// `bench --workloads life --distributed`: weak and strong scaling over 1..=N ranks of an
    /// N-rank job (the first p ranks measure, the others sleep), on random soups.
    pub fn bench(args: &BenchArgs) -> anyhow::Result<()> {
        for (given, flag) in [
            (args.quick, "--quick"),
            (args.sweep, "--sweep"),
            (args.chart.is_some(), "--chart"),
            (!args.threads.is_empty(), "--threads"),
            (args.min_time.is_some(), "--min-time"),
            (args.max_time.is_some(), "--max-time"),
            (args.max_runs.is_some(), "--max-runs"),
        ] {
            if given {
                bail!("{flag} is not supported with --distributed (it takes --sizes, --backends, --halo, --overlap, --generations, --min-runs, --warmup, --format and --output)");
            }
        }
        if args.workloads.iter().any(|w| w != "life") {
            bail!("--distributed benchmarks the life workload only: use --workloads life");
        }
        let (width, height) = match args.sizes.as_slice() {
            [] => (1024, 1024),
            [one] => super::super::parse_size(one.trim_start_matches("life="))
                .map_err(anyhow::Error::msg)
                .context("--sizes")?,
            _ => {
                bail!("--distributed takes one size: the grid per rank (weak) and in all (strong)")
            }
        };
        let backend_args = match args.backends.as_slice() {
            [] => BackendArgs {
                backend: BackendChoice::Serial,
                threads: 1,
                adapter: None,
            },
            [one] => BackendArgs {
                backend: one.parse()?,
                threads: 0,
                adapter: None,
            },
            _ => bail!("--distributed takes one backend, which every rank runs"),
        };
        let plan = ScalingPlan {
            width,
            height,
            generations: args.generations,
            halo: args.exchange.halo,
            overlap: args.exchange.overlap,
            runs: args.min_runs.unwrap_or(3).max(1),
            warmup: args.warmup.unwrap_or(1),
        };
        on_every_rank(|cluster| {
            let backend = backend_for(&backend_args, cluster.local_rank(), false)?;
            let Some(rows) = session::measure_scaling(cluster, &backend, plan)? else {
                return Ok(());
            };
            let text = match args.format {
                speedup::harness::export::Format::Json => {
                    serde_json::to_string_pretty(&rows)? + "\n"
                }
                _ => scaling::table(&backend.describe(), &rows),
            };
            if let Some(path) = &args.output {
                write_atomic(path, text.as_bytes())?;
            }
            print!("{text}");
            Ok(())
        })
    }
}
