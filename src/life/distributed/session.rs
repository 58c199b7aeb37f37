//! A whole distributed run on MPI ranks, as `life::session` is for `life run` in one process:
//! rank 0 reads the job's pattern (or describes its soup), every rank agrees on the header, the
//! grid is scattered (or drawn band by band), stepped, and gathered where it fits; and the weak
//! and strong scaling measurement of `bench --distributed`. The CLI (src/cli/distributed.rs)
//! keeps only the flags and the printing.

use super::mpi::{self, Cluster, Header, Outcome, Settings, Start};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::harness::scaling::{set_efficiencies, ScalingRow};
use crate::life::batch::{Job, Start as JobStart};
use crate::life::{Kernel, Rule};

/// The grid every rank runs, agreed on: rank 0 reads the job's pattern (which it will scatter)
/// or describes its soup, and broadcasts the size, rule and topology. Every rank calls it.
pub fn agree_on_grid(cluster: &Cluster, job: &Job) -> Result<(Header, Start)> {
    let (header, start) = if cluster.rank() == 0 {
        let (h, s) = rank0_start(job)?;
        (Some(h), s)
    } else {
        let start = match &job.start {
            JobStart::Random { density, seed, .. } => Start::Random {
                density: *density,
                seed: *seed,
            },
            JobStart::Pattern { .. } => Start::Scatter(None),
        };
        (None, start)
    };
    Ok((mpi::broadcast_header(cluster.world(), header), start))
}

/// Rank 0's header and start: it reads a pattern (and scatters it); a soup is only described.
fn rank0_start(job: &Job) -> Result<(Header, Start)> {
    match &job.start {
        JobStart::Random {
            width,
            height,
            density,
            seed,
        } => {
            if let Some((w, h)) = job.size.filter(|s| *s != (*width, *height)) {
                return Err(Error::InvalidArgument(format!(
                    "random size {width}x{height} and size {w}x{h} disagree"
                )));
            }
            // No check of the whole grid against one process's limit: each rank checks its
            // band, and the grid is gathered only where it fits (see `run`).
            let header = Header {
                width: *width,
                height: *height,
                rule: job.rule.unwrap_or(Rule::CONWAY),
                topology: job.topology.unwrap_or_default(),
            };
            let start = Start::Random {
                density: *density,
                seed: *seed,
            };
            Ok((header, start))
        }
        JobStart::Pattern { .. } => {
            let prepared = job.prepare()?;
            let header = Header {
                width: prepared.grid.width(),
                height: prepared.grid.height(),
                rule: prepared.rule,
                topology: prepared.topology,
            };
            Ok((header, Start::Scatter(Some(prepared.grid))))
        }
    }
}

/// How a distributed `life run` goes.
#[derive(Clone, Copy, Debug)]
pub struct RunPlan {
    /// Kernel each rank runs.
    pub kernel: Kernel,
    /// Requested ghost depth.
    pub halo: u32,
    /// Generations to run.
    pub generations: u64,
    /// Whether the halos travel while the interior is stepped.
    pub overlap: bool,
    /// Whether the final grid is to be written (`--output`): refused for a grid too large to
    /// gather on one process.
    pub output: bool,
}

/// Runs the agreed grid on every rank. A grid beyond one process's limit (2^36 cells) is never
/// whole anywhere: it is not gathered (no hash, no output; the population is summed over the
/// ranks). Every rank calls it; rank 0's outcome holds the gathered grid.
pub fn run(
    cluster: &Cluster,
    backend: &Backend,
    header: Header,
    start: Start,
    plan: RunPlan,
) -> Result<Outcome> {
    let (w, h) = (header.width as u64, header.height as u64);
    let gather = crate::life::grid::check_size(w, h).is_ok();
    if !gather && plan.output {
        return Err(Error::InvalidArgument(format!(
            "--output: a {w}x{h} grid is beyond one process's limit of 2^36 cells, so it is \
             not gathered; leave out --output"
        )));
    }
    let settings = Settings {
        kernel: plan.kernel,
        halo: plan.halo,
        generations: plan.generations,
        gather,
        overlap: plan.overlap,
    };
    mpi::run(cluster.world(), backend, header, start, settings)
}

/// What `bench --distributed` measures: a `width` × `height` random soup per rank (weak) and in
/// all (strong), on 1..=N ranks of an N-rank job.
#[derive(Clone, Copy, Debug)]
pub struct ScalingPlan {
    /// Width of the grid.
    pub width: u32,
    /// Height per rank (weak) and of the whole grid (strong).
    pub height: u32,
    /// Generations per run.
    pub generations: u64,
    /// Requested ghost depth.
    pub halo: u32,
    /// Whether the exchange overlaps the interior.
    pub overlap: bool,
    /// Timed runs per row (the median is kept).
    pub runs: usize,
    /// Untimed runs before them.
    pub warmup: usize,
}

/// Weak and strong scaling over 1..=N ranks (the first p ranks measure, the others wait), each
/// rank on `backend`. Every rank calls it; rank 0 gets the rows (efficiencies set, weak first),
/// the others `None`.
pub fn measure_scaling(
    cluster: &Cluster,
    backend: &Backend,
    plan: ScalingPlan,
) -> Result<Option<Vec<ScalingRow>>> {
    let kernel = Kernel::best_for(backend);
    let mut rows = Vec::new();
    for p in 1..=cluster.size() {
        if let Some(comm) = cluster.first(p) {
            for (scaling, total_height) in
                [("weak", plan.height * p as u32), ("strong", plan.height)]
            {
                let header = Header {
                    width: plan.width,
                    height: total_height,
                    rule: Rule::CONWAY,
                    topology: Default::default(),
                };
                let settings = Settings {
                    kernel,
                    halo: plan.halo,
                    generations: plan.generations,
                    gather: false,
                    overlap: plan.overlap,
                };
                let soup = || Start::Random {
                    density: 0.5,
                    seed: 1,
                };
                for _ in 0..plan.warmup {
                    mpi::run(&comm, backend, header, soup(), settings)?;
                }
                let mut outcomes: Vec<Outcome> = (0..plan.runs.max(1))
                    .map(|_| mpi::run(&comm, backend, header, soup(), settings))
                    .collect::<Result<_>>()?;
                outcomes.sort_by(|a, b| a.elapsed.total_cmp(&b.elapsed));
                let median = &outcomes[outcomes.len() / 2];
                let cells = plan.width as f64 * total_height as f64;
                rows.push(ScalingRow {
                    scaling,
                    ranks: p,
                    width: plan.width,
                    height: total_height,
                    generations: plan.generations,
                    halo: median.depth,
                    overlap: plan.overlap,
                    seconds: median.elapsed,
                    cell_updates_per_second: cells * plan.generations as f64
                        / median.elapsed.max(1e-12),
                    efficiency: 0.0,
                    timings: median.timings,
                });
            }
        }
        cluster.quiet_barrier();
    }
    if cluster.rank() != 0 {
        return Ok(None);
    }
    set_efficiencies(&mut rows);
    Ok(Some(rows))
}
