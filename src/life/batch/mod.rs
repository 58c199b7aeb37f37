//! Many independent runs in one command: `speedup life batch`.
//!
//! Jobs come from a job file ([`parse_jobs`]: a JSON list, or one run per line) or from a sweep
//! over densities and seeds ([`sweep`]). [`run_jobs`] runs them on one backend and returns one
//! [`Outcome`] per job, which [`csv_row`] turns into a CSV row. How each backend spends itself:
//!
//! - serial: one job after another;
//! - rayon: with at least as many jobs as threads, one job per thread (each job serial), so that
//!   many small grids keep every core busy; with fewer, one job after another on every thread;
//! - gpu: jobs of the same size, topology and generation count are batched into one dispatch per
//!   generation ([`gpu::BatchGpuLife`]), so that many small grids still fill the device.
//!
//! [`Shard`] (`--shard K/N`) keeps every N-th job, for cluster job arrays; job numbers stay those
//! of the full list, so the shards' CSVs concatenate into the whole batch's.
//!
//! By concern: this file holds the job itself ([`Job`], [`Defaults`]); jobs.rs reads job files,
//! sweep.rs makes sweeps, shard.rs picks a shard, csv.rs turns outcomes into rows, runner.rs runs
//! the jobs, gpu.rs batches them on the device, and record.rs keeps the CSV of a long batch.

mod csv;
pub mod gpu;
mod jobs;
pub mod record;
mod runner;
mod shard;
mod sweep;

pub use csv::{csv_row, Outcome, CSV_HEADER};
pub use jobs::parse_jobs;
pub use runner::run_jobs;
pub use shard::{Shard, ShardSpec};
pub use sweep::{parse_densities, parse_seeds, sweep, MAX_SWEEP_VALUES};

use super::formats::{centre, parse_error, read_pattern};
use super::grid::Grid;
use super::memory::{check_grids, grid_bytes};
use super::rule::{Rule, Topology};
use super::stable::{step_until_stable, Cycle};
use super::LifeEngine;
use crate::backend::Backend;
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Where a run starts.
#[derive(Clone, Debug, PartialEq)]
pub enum Start {
    /// A pattern file, as named in the job (`path`) and as opened (`resolved`, relative paths
    /// taken from the job file's folder).
    Pattern {
        /// The path as the job gives it (it goes in the CSV).
        path: String,
        /// The path opened.
        resolved: PathBuf,
    },
    /// A random soup.
    Random {
        /// Width in cells.
        width: u32,
        /// Height in cells.
        height: u32,
        /// Fraction of live cells.
        density: f64,
        /// Seed of the generator.
        seed: u64,
    },
}

/// One run: a start, the grid's size, the rule, the topology and how many generations.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// Position in the full job list (before sharding), from 0.
    pub index: usize,
    /// Pattern or random soup.
    pub start: Start,
    /// Grid size; `None`: the pattern's (its `:T`/`:P` suffix, else its own size).
    pub size: Option<(u32, u32)>,
    /// Rule; `None`: the pattern's, else B3/S23.
    pub rule: Option<Rule>,
    /// Topology; `None`: the pattern's suffix, else a torus.
    pub topology: Option<Topology>,
    /// Generations to run (with `until_stable`, at most).
    pub generations: u64,
    /// Stop when the grid repeats with a period of at most this many generations
    /// (`--until-stable --max-period P`), recording when and with what period.
    pub until_stable: Option<u64>,
}

/// A job's starting grid, rule and topology, with the file and the job's settings combined.
#[derive(Clone, Debug)]
pub struct PreparedJob {
    /// The starting grid, at its final size (a smaller pattern centred).
    pub grid: Grid,
    /// The rule.
    pub rule: Rule,
    /// The topology.
    pub topology: Topology,
}

impl Job {
    /// Reads the pattern (or draws the soup) and combines it with the job's settings. The grid's
    /// size is checked against the limits and the memory available before it is allocated.
    pub fn prepare(&self) -> Result<PreparedJob> {
        match &self.start {
            Start::Random {
                width,
                height,
                density,
                seed,
            } => {
                if let Some((w, h)) = self.size.filter(|s| *s != (*width, *height)) {
                    return Err(Error::InvalidArgument(format!(
                        "random size {width}x{height} and size {w}x{h} disagree"
                    )));
                }
                check_grids(*width as u64, *height as u64, 1, "the random soup")?;
                Ok(PreparedJob {
                    grid: Grid::random(*width, *height, *density, *seed)?,
                    rule: self.rule.unwrap_or(Rule::CONWAY),
                    topology: self.topology.unwrap_or_default(),
                })
            }
            Start::Pattern { resolved, .. } => {
                let pattern = read_pattern(resolved)?;
                let bounds = pattern.rule.and_then(|s| s.bounds);
                let (w, h) = self
                    .size
                    .or(bounds.map(|b| (b.width, b.height)))
                    .unwrap_or((pattern.grid.width(), pattern.grid.height()));
                Ok(PreparedJob {
                    grid: centre(pattern.grid, w, h)?,
                    rule: self
                        .rule
                        .or(pattern.rule.map(|s| s.rule))
                        .unwrap_or(Rule::CONWAY),
                    topology: self
                        .topology
                        .or(bounds.map(|b| b.topology))
                        .unwrap_or_default(),
                })
            }
        }
    }
}

/// Settings for jobs that do not give their own.
#[derive(Clone, Debug)]
pub struct Defaults {
    /// Generations per run.
    pub generations: u64,
    /// Rule (`None`: the pattern's, else B3/S23).
    pub rule: Option<Rule>,
    /// Topology (`None`: the pattern's, else torus).
    pub topology: Option<Topology>,
    /// Density of random soups.
    pub density: f64,
    /// Seed of random soups.
    pub seed: u64,
    /// Stop each run when it repeats, with this largest period (see [`Job::until_stable`]).
    pub until_stable: Option<u64>,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            generations: 100,
            rule: None,
            topology: None,
            density: 0.5,
            seed: 1,
            until_stable: None,
        }
    }
}

/// Parses "WxH" (or "N" for N×N) into a width and height, each at least 1.
pub fn parse_size(text: &str) -> Result<(u32, u32)> {
    crate::size::parse_dimensions(text)
        .filter(|&(w, h)| w > 0 && h > 0)
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "'{text}' is not a size: expected WxH with whole numbers above 0"
            ))
        })
}
