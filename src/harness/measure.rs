//! Timing one prepared workload: warm-up, then an adaptive number of runs (as hyperfine does).
//!
//! The run count comes from two floors and two ceilings: keep running until both the minimum
//! measuring time and the minimum run count are reached, but stop at the maximum run count or
//! once the per-row time cap is spent, whichever comes first, so a huge size costs a few runs
//! rather than forever.

use crate::error::Result;
use crate::gpu::{GpuContext, HostSyncs};
use crate::workloads::{Prepared, RunTiming};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// How long and how often to run each row.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// `--max-noise`: once the floors are met, keep running (up to the caps) until the 95%
    /// interval of the median is within ± this fraction of it; rows that never get there are
    /// flagged noisy. `None`: stop at the floors. Absent in reports before format 2.
    #[serde(default)]
    pub max_noise: Option<f64>,
    /// `--interleave`: the backends of one workload and size ran in alternation (serial, rayon,
    /// gpu, serial, ...) rather than one after the other. Absent (false) before format 2.
    #[serde(default)]
    pub interleave: bool,
}

impl MeasureConfig {
    /// The defaults of `speedup bench`: 0.5 s and 3 runs at least, 3 s at most per row, and
    /// within those 3 s as many runs as it takes to pin the median down to ± 3%. (5 s made the
    /// default bench take 119 s on the shared 2-core guest, nearly every slow row running to
    /// the cap without reaching ± 3%; 3 s keeps it within ~2 minutes there and leaves room for
    /// the device-filling sizes on a GPU machine.)
    pub const STANDARD: MeasureConfig = MeasureConfig {
        warmup_runs: 1,
        min_time_seconds: 0.5,
        min_runs: 3,
        max_runs: 200,
        max_time_seconds: 3.0,
        max_noise: Some(0.03),
        interleave: false,
    };

    /// `--quick`: 0.1 s and 3 runs at least, 1 s at most per row.
    pub const QUICK: MeasureConfig = MeasureConfig {
        warmup_runs: 1,
        min_time_seconds: 0.1,
        min_runs: 3,
        max_runs: 50,
        max_time_seconds: 1.0,
        max_noise: None,
        interleave: false,
    };

    /// Whether another timed run should start after `runs` runs that took `spent` seconds
    /// (ignoring `max_noise`; see [`MeasureConfig::wants_more`]).
    pub fn wants_another(&self, runs: usize, spent: f64) -> bool {
        if runs == 0 {
            return true;
        }
        if runs >= self.max_runs || spent >= self.max_time_seconds {
            return false;
        }
        runs < self.min_runs || spent < self.min_time_seconds
    }

    /// Whether another timed run should start after the runs timed so far (`samples`, seconds):
    /// [`MeasureConfig::wants_another`], and past the floors, while the median's 95% interval is
    /// wider than `max_noise` and the caps allow.
    pub fn wants_more(&self, samples: &[f64]) -> bool {
        let (runs, spent) = (samples.len(), samples.iter().sum::<f64>());
        if self.wants_another(runs, spent) {
            return true;
        }
        match self.max_noise {
            Some(limit) if runs < self.max_runs && spent < self.max_time_seconds => {
                // The interval sorts every sample: past 64 runs, judge it only every ~1/32 of
                // the runs so far (at most 3% more runs than needed), keeping a long row's
                // checks O(n log² n) rather than O(n² log n).
                if runs > 64 && runs % (runs / 32) != 0 {
                    return true;
                }
                !super::stats::precise_enough(samples, limit)
            }
            _ => false,
        }
    }
}

/// The timed runs of one row: wall time of each [`Prepared::run`] call (its end-to-end time)
/// and the stages it reported.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measurement {
    /// Wall seconds of each timed run, in order: the end-to-end times.
    pub wall_seconds: Vec<f64>,
    /// The stages each timed run reported, in order (its kernel time among them).
    pub timings: Vec<RunTiming>,
    /// For a GPU row, the queue submissions and host waits each timed run made, counted by its
    /// context (not reported by the workload); empty for CPU rows.
    pub syncs: Vec<HostSyncs>,
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
    on_run: impl FnMut(),
) -> Result<Measurement> {
    measure_on(prepared, None, config, on_run)
}

/// [`measure`], counting the submissions and waits of each timed run on `gpu`, the context of
/// the row's backend (`None` for a CPU row).
pub fn measure_on(
    prepared: &mut dyn Prepared,
    gpu: Option<&GpuContext>,
    config: &MeasureConfig,
    mut on_run: impl FnMut(),
) -> Result<Measurement> {
    for _ in 0..config.warmup_runs {
        prepared.run()?;
        on_run();
    }
    let mut out = Measurement::default();
    while config.wants_more(&out.wall_seconds) {
        out.time_one(prepared, gpu)?;
        on_run();
    }
    Ok(out)
}

impl Measurement {
    fn time_one(&mut self, prepared: &mut dyn Prepared, gpu: Option<&GpuContext>) -> Result<()> {
        let before = gpu.map(GpuContext::host_syncs);
        let start = Instant::now();
        let timing = prepared.run()?;
        self.wall_seconds.push(start.elapsed().as_secs_f64());
        self.timings.push(timing);
        if let (Some(ctx), Some(before)) = (gpu, before) {
            self.syncs.push(ctx.host_syncs() - before);
        }
        Ok(())
    }
}

/// Like [`measure`], for several backends of one problem at once, in alternation: warm-ups
/// first (each backend's in turn), then rounds of one timed run per backend that still wants
/// one. Slow drift of a shared machine (another job starting, a clock settling) then falls on
/// every backend alike instead of on whichever happened to run during it. A backend whose run
/// fails drops out with its error; the others go on. `on_run(i)` is called after every run of
/// backend `i`.
pub fn measure_interleaved(
    prepared: &mut [Box<dyn Prepared + '_>],
    config: &MeasureConfig,
    on_run: impl FnMut(usize),
) -> Vec<Result<Measurement>> {
    measure_interleaved_on(prepared, &[], config, on_run)
}

/// [`measure_interleaved`], counting the submissions and waits of backend `i`'s runs on
/// `gpus[i]` where it is `Some` (missing entries count nothing).
pub fn measure_interleaved_on(
    prepared: &mut [Box<dyn Prepared + '_>],
    gpus: &[Option<&GpuContext>],
    config: &MeasureConfig,
    mut on_run: impl FnMut(usize),
) -> Vec<Result<Measurement>> {
    let mut out: Vec<Result<Measurement>> = prepared
        .iter()
        .map(|_| Ok(Measurement::default()))
        .collect();
    for _ in 0..config.warmup_runs {
        for (i, p) in prepared.iter_mut().enumerate() {
            if out[i].is_ok() {
                if let Err(e) = p.run() {
                    out[i] = Err(e);
                }
                on_run(i);
            }
        }
    }
    loop {
        let mut ran = false;
        for (i, p) in prepared.iter_mut().enumerate() {
            let Ok(m) = &mut out[i] else { continue };
            if !config.wants_more(&m.wall_seconds) {
                continue;
            }
            if let Err(e) = m.time_one(p.as_mut(), gpus.get(i).copied().flatten()) {
                out[i] = Err(e);
            }
            ran = true;
            on_run(i);
        }
        if !ran {
            return out;
        }
    }
}
