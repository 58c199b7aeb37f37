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

pub mod gpu;
pub mod record;

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

/// A job as written in a job file, before validation.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    pattern: Option<String>,
    random: Option<String>,
    size: Option<String>,
    density: Option<f64>,
    seed: Option<u64>,
    rule: Option<String>,
    topology: Option<String>,
    generations: Option<u64>,
}

impl RawJob {
    fn build(self, index: usize, base: &Path, defaults: &Defaults) -> Result<Job> {
        let size = self.size.as_deref().map(parse_size).transpose()?;
        let start = match (self.pattern, self.random) {
            (Some(_), Some(_)) => {
                return Err(Error::InvalidArgument(
                    "give either a pattern or a random size, not both".into(),
                ))
            }
            (Some(path), None) => {
                if self.density.is_some() || self.seed.is_some() {
                    return Err(Error::InvalidArgument(
                        "density and seed apply to random soups, not to a pattern".into(),
                    ));
                }
                Start::Pattern {
                    resolved: base.join(&path),
                    path,
                }
            }
            (None, Some(random)) => {
                let (width, height) = parse_size(&random)?;
                let density = self.density.unwrap_or(defaults.density);
                if !(0.0..=1.0).contains(&density) {
                    return Err(Error::InvalidArgument(format!(
                        "density {density} is not between 0 and 1"
                    )));
                }
                Start::Random {
                    width,
                    height,
                    density,
                    seed: self.seed.unwrap_or(defaults.seed),
                }
            }
            (None, None) => {
                return Err(Error::InvalidArgument(
                    "a job needs a pattern or a random size (random=WxH)".into(),
                ))
            }
        };
        Ok(Job {
            index,
            start,
            size,
            rule: match self.rule {
                Some(r) => Some(Rule::parse(&r)?),
                None => defaults.rule,
            },
            topology: match self.topology {
                Some(t) => Some(t.parse()?),
                None => defaults.topology,
            },
            generations: self.generations.unwrap_or(defaults.generations),
            until_stable: defaults.until_stable,
        })
    }
}

/// Parses a job file: a JSON list of objects, or one job per line. `file` names it in errors and
/// relative pattern paths are taken from `base` (the job file's folder).
///
/// JSON: `[{"pattern": "acorn.lif", "generations": 1000}, {"random": "64x64", "density": 0.3,
/// "seed": 7, "rule": "B36/S23"}]`. Lines: `key=value` pairs separated by spaces, a bare word
/// being the pattern; blank lines and `#` comments are skipped:
///
/// ```text
/// acorn.lif generations=5206 size=256x256
/// random=64x64 density=0.3 seed=7 rule=B36/S23 topology=bounded
/// ```
///
/// Keys: pattern, random, size, density, seed, rule, topology, generations. Errors name the
/// file, line and column.
pub fn parse_jobs(text: &str, file: &str, base: &Path, defaults: &Defaults) -> Result<Vec<Job>> {
    if text.trim_start().starts_with('[') {
        parse_json(text, file, base, defaults)
    } else {
        parse_lines(text, file, base, defaults)
    }
}

fn parse_json(text: &str, file: &str, base: &Path, defaults: &Defaults) -> Result<Vec<Job>> {
    let raws: Vec<RawJob> = serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        parse_error(
            file,
            e.line().max(1),
            e.column().max(1),
            format!("{message} (expected a JSON list of job objects)"),
        )
    })?;
    let starts = object_starts(text);
    raws.into_iter()
        .enumerate()
        .map(|(i, raw)| {
            raw.build(i, base, defaults).map_err(|e| {
                let (line, column) = starts.get(i).copied().unwrap_or((1, 1));
                parse_error(file, line, column, format!("job {i}: {e}"))
            })
        })
        .collect()
}

/// Line and column of each object that opens at the top level of a JSON list, so that an error
/// found after deserialising still points at its job.
fn object_starts(text: &str) -> Vec<(usize, usize)> {
    let (mut line, mut column) = (1, 0);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut starts = Vec::new();
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            column = 0;
        } else {
            column += 1;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '[' | '{' => {
                if c == '{' && depth == 1 {
                    starts.push((line, column));
                }
                depth += 1;
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    starts
}

fn parse_lines(text: &str, file: &str, base: &Path, defaults: &Defaults) -> Result<Vec<Job>> {
    let mut jobs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let content = line.split('#').next().unwrap_or("");
        if content.trim().is_empty() {
            continue;
        }
        let mut raw = RawJob::default();
        for (byte, token) in tokens(content) {
            let column = line[..byte].chars().count() + 1;
            let at = |e: Error| parse_error(file, line_no, column, e.to_string());
            let (key, value) = token.split_once('=').unwrap_or(("pattern", token));
            let number = |what: &str| {
                Error::InvalidArgument(format!("{key}: expected {what}, found '{value}'"))
            };
            let slot_taken = match key {
                "pattern" => raw.pattern.replace(value.to_string()).is_some(),
                "random" => {
                    parse_size(value).map_err(at)?;
                    raw.random.replace(value.to_string()).is_some()
                }
                "size" => {
                    parse_size(value).map_err(at)?;
                    raw.size.replace(value.to_string()).is_some()
                }
                "density" => {
                    let d = value.parse().map_err(|_| at(number("a number")))?;
                    raw.density.replace(d).is_some()
                }
                "seed" => {
                    let s = value.parse().map_err(|_| at(number("a whole number")))?;
                    raw.seed.replace(s).is_some()
                }
                "generations" => {
                    let g = value.parse().map_err(|_| at(number("a whole number")))?;
                    raw.generations.replace(g).is_some()
                }
                "rule" => {
                    Rule::parse(value).map_err(at)?;
                    raw.rule.replace(value.to_string()).is_some()
                }
                "topology" => {
                    value.parse::<Topology>().map_err(at)?;
                    raw.topology.replace(value.to_string()).is_some()
                }
                other => {
                    return Err(at(Error::InvalidArgument(format!(
                        "unknown key '{other}': expected pattern, random, size, density, seed, \
                         rule, topology or generations"
                    ))))
                }
            };
            if slot_taken {
                return Err(at(Error::InvalidArgument(format!("'{key}' given twice"))));
            }
        }
        let index = jobs.len();
        jobs.push(
            raw.build(index, base, defaults)
                .map_err(|e| parse_error(file, line_no, 1, e.to_string()))?,
        );
    }
    Ok(jobs)
}

/// Whitespace-separated tokens with their byte offsets.
fn tokens(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_whitespace()
        .map(move |t| (t.as_ptr() as usize - text.as_ptr() as usize, t))
}

/// Largest number of values a range may expand to, so a typo cannot ask for a billion jobs.
pub const MAX_SWEEP_VALUES: usize = 1_000_000;

/// Parses densities: `0.1,0.2,0.5` or an inclusive range `start:stop:step` (`0.1:0.9:0.1`).
pub fn parse_densities(text: &str) -> Result<Vec<f64>> {
    let bad = || {
        Error::InvalidArgument(format!(
            "'{text}': expected densities as a list (0.1,0.3) or a range start:stop:step \
             (0.1:0.9:0.1), each between 0 and 1"
        ))
    };
    let values: Vec<f64> = match text.split(':').collect::<Vec<_>>()[..] {
        [a, b, step] => {
            let (a, b, step): (f64, f64, f64) = (
                a.trim().parse().map_err(|_| bad())?,
                b.trim().parse().map_err(|_| bad())?,
                step.trim().parse().map_err(|_| bad())?,
            );
            // Written so that NaN fails too.
            let increasing = step > 0.0 && a <= b;
            if !increasing {
                return Err(bad());
            }
            // Count steps up front (with a little slack for rounding) so the end is included.
            let n = ((b - a) / step + 1e-9).floor() + 1.0;
            if n > MAX_SWEEP_VALUES as f64 {
                return Err(bad());
            }
            // Rounded to 12 decimals so that 0.1 + 2 * 0.1 reads as 0.3 in the CSV.
            (0..n as usize)
                .map(|i| ((a + i as f64 * step) * 1e12).round() / 1e12)
                .collect()
        }
        [list] => list
            .split(',')
            .map(|v| v.trim().parse().map_err(|_| bad()))
            .collect::<Result<_>>()?,
        _ => return Err(bad()),
    };
    if values.iter().any(|d| !(0.0..=1.0).contains(d)) {
        return Err(bad());
    }
    Ok(values)
}

/// Parses seeds: `1,5,9`, an inclusive range `1:100`, or `start:stop:step`.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>> {
    let bad = || {
        Error::InvalidArgument(format!(
            "'{text}': expected seeds as a list (1,5,9) or an inclusive range start:stop \
             or start:stop:step (1:100)"
        ))
    };
    let num = |s: &str| s.trim().parse::<u64>().map_err(|_| bad());
    let parts: Vec<&str> = text.split(':').collect();
    let values: Vec<u64> = match parts[..] {
        [list] => list.split(',').map(num).collect::<Result<_>>()?,
        [a, b] | [a, b, _] => {
            let (a, b) = (num(a)?, num(b)?);
            let step = parts.get(2).map_or(Ok(1), |s| num(s))?;
            if step == 0 || a > b || (b - a) / step >= MAX_SWEEP_VALUES as u64 {
                return Err(bad());
            }
            (a..=b).step_by(step as usize).collect()
        }
        _ => return Err(bad()),
    };
    Ok(values)
}

/// Jobs for every (density, seed) pair on a `width` × `height` soup, densities outermost.
pub fn sweep(
    width: u32,
    height: u32,
    densities: &[f64],
    seeds: &[u64],
    defaults: &Defaults,
) -> Vec<Job> {
    densities
        .iter()
        .flat_map(|&density| seeds.iter().map(move |&seed| (density, seed)))
        .enumerate()
        .map(|(index, (density, seed))| Job {
            index,
            start: Start::Random {
                width,
                height,
                density,
                seed,
            },
            size: None,
            rule: defaults.rule,
            topology: defaults.topology,
            generations: defaults.generations,
            until_stable: defaults.until_stable,
        })
        .collect()
}

/// `--shard K/N`: this process runs the jobs whose number is K modulo N (K from 0 to N-1, as a
/// Slurm job array's `SLURM_ARRAY_TASK_ID` runs from 0 with `--array=0-(N-1)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// K: which share, from 0.
    pub index: usize,
    /// N: how many shares.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = Error;
    fn from_str(s: &str) -> Result<Shard> {
        let bad = || {
            Error::InvalidArgument(format!(
                "'{s}' is not a shard: expected K/N with 0 <= K < N, as in 0/4"
            ))
        };
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// `--shard`: a fixed `K/N`, or `auto`/`auto/N` (K, and N unless given, from the scheduler's
/// environment: see [`Shard::from_env`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardSpec {
    /// `K/N` as given.
    Fixed(Shard),
    /// `auto` (`count: None`) or `auto/N`.
    Auto {
        /// N when given on the command line.
        count: Option<usize>,
    },
}

impl std::str::FromStr for ShardSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<ShardSpec> {
        let Some(rest) = s.trim().strip_prefix("auto") else {
            return s.parse().map(ShardSpec::Fixed);
        };
        let count = match rest.strip_prefix('/') {
            None if rest.is_empty() => None,
            Some(n) => Some(n.trim().parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "'{s}' is not a shard: expected auto/N with N above 0, as in auto/8"
                ))
            })?),
            None => {
                return Err(Error::InvalidArgument(format!(
                    "'{s}' is not a shard: expected K/N, auto or auto/N"
                )))
            }
        };
        Ok(ShardSpec::Auto { count })
    }
}

impl ShardSpec {
    /// The shard this process runs, reading the scheduler's variables through `var` for `auto`.
    pub fn resolve(&self, var: &dyn Fn(&str) -> Option<String>) -> Result<Shard> {
        match *self {
            ShardSpec::Fixed(shard) => Ok(shard),
            ShardSpec::Auto { count } => Shard::from_env(var, count),
        }
    }
}

impl Shard {
    /// The shard of a Slurm job array task or a Kubernetes Indexed Job pod, from its environment
    /// (read through `var`, normally `std::env::var`):
    ///
    /// - Slurm: K = `SLURM_ARRAY_TASK_ID`, N = `SLURM_ARRAY_TASK_COUNT`. Only arrays numbered
    ///   0..N-1 with step 1 are accepted (`--array=0-15`, `--array=0-15%4`): with `--array=2,3`
    ///   Slurm says "task 2 of 2", and with `--array=0-6:2` "task 6 of 4", neither of which names
    ///   a share of the jobs.
    /// - Kubernetes: K = `JOB_COMPLETION_INDEX`; the pod does not know the Job's `completions`,
    ///   so `count` (from `auto/N`) must give N.
    ///
    /// `count`, when given, must agree with Slurm's.
    pub fn from_env(var: &dyn Fn(&str) -> Option<String>, count: Option<usize>) -> Result<Shard> {
        let number = |name: &str| -> Result<Option<usize>> {
            var(name)
                .map(|v| {
                    v.trim().parse::<usize>().map_err(|_| {
                        Error::InvalidArgument(format!(
                            "--shard auto: {name}={v:?} is not a whole number"
                        ))
                    })
                })
                .transpose()
        };
        if let Some(index) = number("SLURM_ARRAY_TASK_ID")? {
            let slurm_count = number("SLURM_ARRAY_TASK_COUNT")?;
            let (min, max) = (
                number("SLURM_ARRAY_TASK_MIN")?,
                number("SLURM_ARRAY_TASK_MAX")?,
            );
            let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1);
            let Some(n) = slurm_count else {
                return Err(Error::InvalidArgument(
                    "--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not"
                        .into(),
                ));
            };
            let array = |m: Option<usize>| m.map_or("?".to_string(), |m| m.to_string());
            if min != Some(0) || max != Some(n.saturating_sub(1)) || step != 1 || index >= n {
                return Err(Error::InvalidArgument(format!(
                    "--shard auto: this job array runs tasks {}-{} step {step} ({n} tasks, this \
                     one {index}), but a shard needs an array numbered 0..N-1 with step 1, as \
                     --array=0-{}; resubmit with that, or give --shard K/N yourself",
                    array(min),
                    array(max),
                    n.saturating_sub(1)
                )));
            }
            if let Some(c) = count.filter(|&c| c != n) {
                return Err(Error::InvalidArgument(format!(
                    "--shard auto/{c}: the Slurm job array has {n} tasks"
                )));
            }
            return Ok(Shard { index, count: n });
        }
        if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let Some(count) = count else {
                return Err(Error::InvalidArgument(format!(
                    "--shard auto: JOB_COMPLETION_INDEX={index} (a Kubernetes Indexed Job) does \
                     not say how many pods there are: give --shard auto/N, N being the Job's \
                     completions"
                )));
            };
            if index >= count {
                return Err(Error::InvalidArgument(format!(
                    "--shard auto/{count}: JOB_COMPLETION_INDEX={index} is not below {count}"
                )));
            }
            return Ok(Shard { index, count });
        }
        Err(Error::InvalidArgument(
            "--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor \
             JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give --shard K/N"
                .into(),
        ))
    }

    /// Keeps this shard's jobs (numbered in the full list).
    pub fn select(&self, jobs: Vec<Job>) -> Vec<Job> {
        jobs.into_iter()
            .filter(|j| j.index % self.count == self.index)
            .collect()
    }

    /// Whether this shard writes the CSV header on stdout: only the first, so that the shards'
    /// outputs concatenate into one CSV. (Files written with `-o` always have it: `--resume` and
    /// `life batch merge` read it.)
    pub fn writes_header(&self) -> bool {
        self.index == 0
    }
}

/// What one run gave.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The job's number in the full list.
    pub job: usize,
    /// Grid width.
    pub width: u32,
    /// Grid height.
    pub height: u32,
    /// The rule it ran.
    pub rule: Rule,
    /// The topology it ran.
    pub topology: Topology,
    /// Final population.
    pub population: u64,
    /// Hash of the final grid (the same on every backend).
    pub hash: String,
    /// Wall time of the run in seconds; for runs batched on the GPU, of the whole batch.
    pub seconds: f64,
    /// How many runs shared the batch (1 when the run had the device or a core to itself).
    pub batch: usize,
    /// With `until_stable`: the cycle the run ended in, if found within its generations.
    pub cycle: Option<Cycle>,
}

impl Outcome {
    /// Generations `job` stepped to give this outcome: all of them, or up to the repeat that
    /// stopped it (the cycle is found when its first generation comes round again).
    pub fn generations(&self, job: &Job) -> u64 {
        self.cycle.map_or(job.generations, |c| c.start + c.period)
    }
}

/// The CSV header matching [`csv_row`].
///
/// `requested_generations` is the job's `generations` (at most, with --until-stable);
/// `generations` is how many were stepped, as in `life run`'s summary: fewer when the run
/// stabilised.
pub const CSV_HEADER: &str = "job,source,width,height,density,seed,rule,topology,\
requested_generations,population,hash,seconds,batch,stabilised_at,period,max_period,generations";

/// One CSV row: the job's inputs, then what it gave.
pub fn csv_row(job: &Job, o: &Outcome) -> String {
    let (source, density, seed) = match &job.start {
        Start::Pattern { path, .. } => (csv_field(path), String::new(), String::new()),
        Start::Random { density, seed, .. } => {
            ("random".to_string(), density.to_string(), seed.to_string())
        }
    };
    let (stabilised_at, period) = o.cycle.map_or((String::new(), String::new()), |c| {
        (c.start.to_string(), c.period.to_string())
    });
    format!(
        "{},{source},{},{},{density},{seed},{},{},{},{},{},{:.6},{},{stabilised_at},{period},{},{}",
        job.index,
        o.width,
        o.height,
        o.rule,
        o.topology,
        job.generations,
        o.population,
        o.hash,
        o.seconds,
        o.batch,
        job.until_stable.map_or(String::new(), |p| p.to_string()),
        o.generations(job)
    )
}

/// Quotes a CSV field when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Runs `jobs` on `backend`, calling `done` as each finishes, and returns their outcomes in job
/// order. When `stop` is raised (Ctrl-C) no new job starts, and the outcomes so far are returned.
pub fn run_jobs(
    backend: &Backend,
    jobs: &[Job],
    stop: &AtomicBool,
    done: &(dyn Fn(&Outcome) + Sync),
) -> Result<Vec<Outcome>> {
    let mut outcomes = match backend {
        Backend::Serial => run_one_by_one(&Backend::Serial, jobs, stop, done)?,
        Backend::Rayon { threads } if jobs.len() >= *threads => {
            let pool = crate::backend::rayon_pool(*threads)?;
            let results: Vec<Option<Result<Outcome>>> = pool.install(|| {
                jobs.par_iter()
                    .map(|job| {
                        (!stop.load(Ordering::Relaxed)).then(|| {
                            let o = run_single(&Backend::Serial, job)?;
                            done(&o);
                            Ok(o)
                        })
                    })
                    .collect()
            });
            results.into_iter().flatten().collect::<Result<Vec<_>>>()?
        }
        Backend::Rayon { .. } => run_one_by_one(backend, jobs, stop, done)?,
        Backend::Gpu(_) => run_batched(backend, jobs, stop, done)?,
    };
    outcomes.sort_by_key(|o| o.job);
    Ok(outcomes)
}

fn run_one_by_one(
    backend: &Backend,
    jobs: &[Job],
    stop: &AtomicBool,
    done: &(dyn Fn(&Outcome) + Sync),
) -> Result<Vec<Outcome>> {
    let mut out = Vec::new();
    for job in jobs {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let o = run_single(backend, job)?;
        done(&o);
        out.push(o);
    }
    Ok(out)
}

/// Errors from a job name it.
fn in_job(job: &Job) -> impl Fn(Error) -> Error + '_ {
    move |e| Error::InvalidArgument(format!("job {}: {e}", job.index))
}

fn run_single(backend: &Backend, job: &Job) -> Result<Outcome> {
    let p = job.prepare().map_err(in_job(job))?;
    let start = Instant::now();
    let (width, height) = (p.grid.width(), p.grid.height());
    let mut engine = LifeEngine::new(backend, p.grid, p.rule, p.topology).map_err(in_job(job))?;
    let cycle = match job.until_stable {
        Some(max_period) => {
            step_until_stable(&mut engine, job.generations, max_period).map_err(in_job(job))?
        }
        None => {
            engine.step(job.generations).map_err(in_job(job))?;
            None
        }
    };
    let grid = engine.grid().map_err(in_job(job))?;
    Ok(Outcome {
        job: job.index,
        width,
        height,
        rule: p.rule,
        topology: p.topology,
        population: grid.population(),
        hash: grid.hash_hex(),
        seconds: start.elapsed().as_secs_f64(),
        batch: 1,
        cycle,
    })
}

/// The GPU path: jobs are prepared in windows of at most [`gpu::MAX_BATCH_BYTES`] of grids (so
/// the host never holds the whole batch), and within a window those of one size, topology and
/// generation count run together.
fn run_batched(
    backend: &Backend,
    jobs: &[Job],
    stop: &AtomicBool,
    done: &(dyn Fn(&Outcome) + Sync),
) -> Result<Vec<Outcome>> {
    let Some(ctx) = backend.gpu() else {
        return run_one_by_one(backend, jobs, stop, done);
    };
    let mut out = Vec::new();
    let mut window: Vec<(&Job, PreparedJob)> = Vec::new();
    let mut window_bytes = 0u64;
    for (i, job) in jobs.iter().enumerate() {
        if stop.load(Ordering::Relaxed) {
            return Ok(out);
        }
        let p = job.prepare().map_err(in_job(job))?;
        window_bytes += grid_bytes(p.grid.width(), p.grid.height());
        window.push((job, p));
        if window_bytes >= gpu::MAX_BATCH_BYTES || i + 1 == jobs.len() {
            let mut taken = std::mem::take(&mut window);
            window_bytes = 0;
            // Group by everything a batch must share; the sort is stable, so job order holds
            // within a group.
            taken.sort_by_key(|(j, p)| {
                (
                    p.grid.width(),
                    p.grid.height(),
                    p.topology == Topology::Torus,
                    j.generations,
                )
            });
            let mut rest = &taken[..];
            while let Some((first_job, first)) = rest.first() {
                let same = rest
                    .iter()
                    .take_while(|(j, p)| {
                        (p.grid.width(), p.grid.height(), p.topology, j.generations)
                            == (
                                first.grid.width(),
                                first.grid.height(),
                                first.topology,
                                first_job.generations,
                            )
                    })
                    .count();
                let capacity =
                    gpu::BatchGpuLife::capacity(ctx, first.grid.width(), first.grid.height());
                let (group, tail) = rest.split_at(same.min(capacity));
                rest = tail;
                if stop.load(Ordering::Relaxed) {
                    return Ok(out);
                }
                for o in run_group(backend, group)? {
                    done(&o);
                    out.push(o);
                }
            }
        }
    }
    Ok(out)
}

/// One batch: jobs of one size, topology and generation count, in one dispatch per generation.
fn run_group(backend: &Backend, group: &[(&Job, PreparedJob)]) -> Result<Vec<Outcome>> {
    let (Some(ctx), Some((first_job, first))) = (backend.gpu(), group.first()) else {
        return Ok(Vec::new());
    };
    // A run that stops when it repeats reads its grid back every generation: one at a time.
    if group.len() == 1 || group.iter().any(|(j, _)| j.until_stable.is_some()) {
        return group.iter().map(|(j, _)| run_single(backend, j)).collect();
    }
    let start = Instant::now();
    let grids: Vec<&Grid> = group.iter().map(|(_, p)| &p.grid).collect();
    let rules: Vec<Rule> = group.iter().map(|(_, p)| p.rule).collect();
    let batch_error = |e: Error| {
        Error::InvalidArgument(format!(
            "batch of jobs {}..={}: {e}",
            first_job.index,
            group.last().map_or(first_job.index, |(j, _)| j.index)
        ))
    };
    let mut engine =
        gpu::BatchGpuLife::new(ctx.clone(), &grids, &rules, first.topology).map_err(batch_error)?;
    engine.step(first_job.generations).map_err(batch_error)?;
    let finals = engine.grids().map_err(batch_error)?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(group
        .iter()
        .zip(finals)
        .map(|((job, p), grid)| Outcome {
            job: job.index,
            width: grid.width(),
            height: grid.height(),
            rule: p.rule,
            topology: p.topology,
            population: grid.population(),
            hash: grid.hash_hex(),
            seconds,
            batch: group.len(),
            cycle: None,
        })
        .collect())
}
