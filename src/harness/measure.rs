//! Timing one prepared workload: warm-up, then an adaptive number of runs (as hyperfine does).
//!
//! The run count comes from two floors and two ceilings: keep running until both the minimum
//! measuring time and the minimum run count are reached, but stop at the maximum run count or
//! once the per-row time cap is spent, whichever comes first, so a huge size costs a few runs
//! rather than forever.

use crate::error::Result;
use crate::gpu::{GpuContext, HostSyncs, Transfers};
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
        let moved_before = Transfers::so_far();
        let start = Instant::now();
        let timing = prepared.run()?;
        self.wall_seconds.push(start.elapsed().as_secs_f64());
        check_clock(&timing, Transfers::so_far() - moved_before, gpu.is_some())?;
        self.timings.push(timing);
        if let (Some(ctx), Some(before)) = (gpu, before) {
            self.syncs.push(ctx.host_syncs() - before);
        }
        Ok(())
    }
}

/// Refuses a timed run whose data moved outside its clock: `during` is what the transfer
/// ledger saw move across the whole [`Prepared::run`] call, and anything of it the clock did
/// not see was uploaded before its input stage or read back after its result stage; a GPU run
/// (`gpu`) must also have moved what it claims inside the clock
/// ([`RunTiming::unseen_transfers`]). Such a row's times would not cover what it claims, and
/// its speedups would compare different things, so `speedup bench` skips it with this reason
/// (tests/timing.rs makes the same checks of every workload; this makes them of every row).
pub fn check_clock(timing: &RunTiming, during: Transfers, gpu: bool) -> Result<()> {
    let outside = timing.moved_outside(during);
    let mut why = Vec::new();
    if outside.to_device > 0 || outside.to_host > 0 {
        why.push(format!(
            "{} bytes uploaded and {} read back outside the run's clock (before its input stage \
             or after its result stage)",
            outside.to_device, outside.to_host
        ));
    }
    if gpu {
        why.extend(timing.unseen_transfers());
    }
    if why.is_empty() {
        Ok(())
    } else {
        Err(crate::error::Error::OutsideClock(why.join("; ")))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::RunClock;

    /// A run that uploads `early` bytes before its clock starts and reads `late` back after it
    /// stops, besides a clocked 16-byte upload and 8-byte readback.
    struct Leaky {
        early: u64,
        late: u64,
    }

    impl Prepared for Leaky {
        fn run(&mut self) -> Result<RunTiming> {
            Transfers::count_to_device(self.early);
            let inputs = RunClock::start();
            Transfers::count_to_device(16);
            let results = inputs.ready(16).done(None);
            Transfers::count_to_host(8);
            let timing = results.on_host(8);
            Transfers::count_to_host(self.late);
            Ok(timing)
        }

        fn work(&self) -> f64 {
            1.0
        }
    }

    #[test]
    fn a_run_with_transfers_outside_its_clock_is_refused() {
        let config = MeasureConfig::QUICK;
        let clean = measure(&mut Leaky { early: 0, late: 0 }, &config, || {});
        assert!(clean.is_ok(), "{:?}", clean.err());
        for (early, late) in [(1000, 0), (0, 34)] {
            let err = measure(&mut Leaky { early, late }, &config, || {}).unwrap_err();
            let text = err.to_string();
            assert!(
                matches!(err, crate::error::Error::OutsideClock(_)),
                "{text}"
            );
            assert!(
                text.contains(&format!("{early} bytes uploaded and {late} read back")),
                "{text}"
            );
            assert!(!text.contains('\n'), "one line: {text}");
        }
        // Interleaved (`bench --interleave`): the leaky backend drops out with the reason, the
        // clean one is measured.
        let mut both: Vec<Box<dyn Prepared>> = vec![
            Box::new(Leaky { early: 0, late: 0 }),
            Box::new(Leaky { early: 0, late: 5 }),
        ];
        let out = measure_interleaved(&mut both, &config, |_| {});
        assert!(out[0].is_ok());
        assert!(matches!(out[1], Err(crate::error::Error::OutsideClock(_))));
    }

    #[test]
    fn a_gpu_run_must_move_what_it_claims_inside_its_clock() {
        // Claims 16 input bytes but uploaded them before the clock (at preparation, say).
        Transfers::count_to_device(16);
        let before = Transfers::so_far();
        let timing = RunClock::start().ready(16).done(None).on_host(0);
        let during = Transfers::so_far() - before;
        assert!(check_clock(&timing, during, false).is_ok());
        let why = check_clock(&timing, during, true).unwrap_err().to_string();
        assert!(why.contains("claims 16 input bytes"), "{why}");
    }
}
