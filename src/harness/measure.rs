//! Timing one prepared workload: warm-up, then an adaptive number of runs (as hyperfine does).
//!
//! The run count comes from two floors and two ceilings: keep running until both the minimum
//! measuring time and the minimum run count are reached, but stop at the maximum run count or
//! once the per-row time cap is spent, whichever comes first, so a huge size costs a few runs
//! rather than forever.

use crate::error::Result;
use crate::workloads::{Phases, Prepared};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// How long and how often to run each row.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeasureConfig {
    /// Untimed runs before measuring: the first GPU run compiles pipelines and faults pages in
    /// (about 4x slower than steady state on lavapipe), and CPU caches and frequencies settle.
    pub warmup_runs: usize,
    /// Keep measuring until this much time has been spent in timed runs...
    pub min_time_seconds: f64,
    /// ...and at least this many runs were timed.
    pub min_runs: usize,
    /// Never more runs than this.
    pub max_runs: usize,
    /// Hard cap on the time spent in timed runs of one row: once exceeded, no new run starts
    /// (even below `min_runs`; at least one run is always timed).
    pub max_time_seconds: f64,
}

impl MeasureConfig {
    /// The defaults of `speedup bench`: 0.5 s and 3 runs at least, 5 s at most per row.
    pub const STANDARD: MeasureConfig = MeasureConfig {
        warmup_runs: 1,
        min_time_seconds: 0.5,
        min_runs: 3,
        max_runs: 200,
        max_time_seconds: 5.0,
    };

    /// `--quick`: 0.1 s and 3 runs at least, 1 s at most per row.
    pub const QUICK: MeasureConfig = MeasureConfig {
        warmup_runs: 1,
        min_time_seconds: 0.1,
        min_runs: 3,
        max_runs: 50,
        max_time_seconds: 1.0,
    };

    /// Whether another timed run should start after `runs` runs that took `spent` seconds.
    pub fn wants_another(&self, runs: usize, spent: f64) -> bool {
        if runs == 0 {
            return true;
        }
        if runs >= self.max_runs || spent >= self.max_time_seconds {
            return false;
        }
        runs < self.min_runs || spent < self.min_time_seconds
    }
}

/// The timed runs of one row: wall time of each [`Prepared::run`] call and the phases it reported.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measurement {
    /// Wall seconds of each timed run, in order.
    pub wall_seconds: Vec<f64>,
    /// Phases each timed run reported, in order.
    pub phases: Vec<Phases>,
}

/// Warms up, then times runs of `prepared` until `config` is satisfied. `on_run` is called after
/// every run, warm-up included (for a progress display).
///
/// `Prepared::run` returns only once the device has finished (it polls with wait before
/// returning), so the time taken around the call is the real end-to-end time, not the time to
/// submit.
pub fn measure(
    prepared: &mut dyn Prepared,
    config: &MeasureConfig,
    mut on_run: impl FnMut(),
) -> Result<Measurement> {
    for _ in 0..config.warmup_runs {
        prepared.run()?;
        on_run();
    }
    let mut out = Measurement::default();
    let mut spent = 0.0;
    while config.wants_another(out.wall_seconds.len(), spent) {
        let start = Instant::now();
        let phases = prepared.run()?;
        let seconds = start.elapsed().as_secs_f64();
        spent += seconds;
        out.wall_seconds.push(seconds);
        out.phases.push(phases);
        on_run();
    }
    Ok(out)
}

/// Formats seconds for people with three significant digits: "812 ns", "12.3 µs", "1.23 ms",
/// "4.56 s".
pub fn format_seconds(seconds: f64) -> String {
    let (value, unit) = if seconds < 1e-6 {
        (seconds * 1e9, "ns")
    } else if seconds < 1e-3 {
        (seconds * 1e6, "µs")
    } else if seconds < 1.0 {
        (seconds * 1e3, "ms")
    } else {
        (seconds, "s")
    };
    format!("{} {unit}", three_significant(value))
}

/// A count per second with an SI prefix and three significant digits: "1.23 G cell-updates/s".
pub fn format_rate(per_second: f64, unit: &str) -> String {
    let prefixes = [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];
    for (scale, prefix) in prefixes {
        if per_second >= scale {
            return format!("{} {prefix} {unit}", three_significant(per_second / scale));
        }
    }
    format!("{} {unit}", three_significant(per_second))
}

/// `value` with three significant digits (no exponent; values up to 999 expected).
fn three_significant(value: f64) -> String {
    if value >= 100.0 || value == 0.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}
