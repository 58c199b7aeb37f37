//! Shards: `--shard K/N` keeps every N-th job, for cluster job arrays; `auto` reads K and N
//! from the scheduler's environment.

// The job types and the imports they share live in mod.rs.
use super::*;

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
