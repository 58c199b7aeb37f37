//! `speedup compare OLD.json NEW.json`: the same rows of two reports side by side, for two
//! versions on one machine or one version on two machines.
//!
//! A change is marked only when it is statistically clear. Rows that keep their samples (format 2
//! on, 6 runs or more on both sides) are judged by the 95% bootstrap interval of old/new: faster
//! when the whole interval lies above 1, slower when below. Older rows (no samples) fall back to
//! the runs' spread: the new median lies outside the old runs' [min, max] *and* the old median
//! outside the new runs' [min, max]. Otherwise the two cannot be told apart: "within spread".
//!
//! Statistical significance is not practical significance: a clear change smaller than the noise
//! threshold ([`DEFAULT_NOISE_THRESHOLD`], 2%; `--noise-threshold`) is "no change", as criterion
//! calls changes inside its noise threshold. The bootstrap interval only knows the noise *within*
//! one run; two runs minutes apart also differ by what stays fixed inside a run and changes
//! between runs (CPU frequency and temperature, where the allocator put the buffers, what else
//! the machine was doing), and that moves medians by a percent or two even on a quiet machine:
//! two `bench --quick` runs 3 s apart on one machine marked 15 of 24 rows faster or slower, some
//! by 1.01×.
//!
//! With a threshold (`--threshold 5%`) the comparison is a regression gate: a row regressed when
//! it is slower by more than the threshold with that same confidence (see
//! [`ComparedRow::regressed`]).
//!
//! This module compares; [`super::export::comparison`] writes the result.

use super::machine::MachineInfo;
use super::report::{row_label, Report, ResultRow};
use super::stats::ratio_interval;
use serde::Serialize;

/// Changes of the median smaller than this fraction are "no change" however clear they are
/// statistically (see the module docs for why 2%).
pub const DEFAULT_NOISE_THRESHOLD: f64 = 0.02;

/// How a row changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// New is faster by more than either run's spread and the noise threshold.
    Faster,
    /// New is slower by more than either run's spread and the noise threshold.
    Slower,
    /// The medians lie within each other's runs' range.
    WithinSpread,
    /// A statistically clear change, but smaller than the noise threshold.
    NoChange,
}

impl Verdict {
    /// Of an old and a new row of the same problem, given the 95% interval of old/new where
    /// both rows have samples enough for one, and the noise threshold (a fraction).
    pub fn of(old: &ResultRow, new: &ResultRow, interval: Option<[f64; 2]>, noise: f64) -> Verdict {
        let verdict = Verdict::by_statistics(old, new, interval);
        let ratio = old.median_seconds / new.median_seconds;
        let small = ratio <= 1.0 + noise && ratio >= 1.0 / (1.0 + noise);
        match verdict {
            Verdict::Faster | Verdict::Slower if small => Verdict::NoChange,
            v => v,
        }
    }

    /// Faster, slower or within spread, by the interval or the spread alone.
    fn by_statistics(old: &ResultRow, new: &ResultRow, interval: Option<[f64; 2]>) -> Verdict {
        if let Some([lo, hi]) = interval {
            return if lo > 1.0 {
                Verdict::Faster
            } else if hi < 1.0 {
                Verdict::Slower
            } else {
                Verdict::WithinSpread
            };
        }
        let outside = |m: f64, r: &ResultRow| m < r.min_seconds || m > r.max_seconds;
        if outside(new.median_seconds, old) && outside(old.median_seconds, new) {
            if new.median_seconds < old.median_seconds {
                Verdict::Faster
            } else {
                Verdict::Slower
            }
        } else {
            Verdict::WithinSpread
        }
    }

    /// "faster", "slower", "within spread" or "no change".
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::WithinSpread => "within spread",
            Verdict::NoChange => "no change",
        }
    }
}

/// One problem on one backend in both reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComparedRow {
    /// Workload name.
    pub workload: String,
    /// Problem size.
    pub size: String,
    /// Backend label in the old report.
    pub old_label: String,
    /// Backend label in the new report.
    pub new_label: String,
    /// Old median seconds.
    pub old_median: f64,
    /// New median seconds.
    pub new_median: f64,
    /// Old median / new median: above 1, the new run is faster.
    pub speedup: f64,
    /// 95% bootstrap interval of `speedup`, when both rows have 6 samples or more.
    pub speedup_ci: Option<[f64; 2]>,
    /// Whether the change is statistically clear and beyond the noise threshold (see the
    /// module docs).
    pub verdict: Verdict,
    /// `speedup` split into hardware (the new roof ÷ the old) × code (the rest), where both
    /// rows were held against their roofs (format 3 reports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split: Option<super::roofline::SpeedupSplit>,
}

impl ComparedRow {
    /// Whether the new run is slower than the old by more than `threshold` (a fraction: 0.05 is
    /// 5%) with confidence: with an interval, even its most favourable end (its upper bound of
    /// old/new) means a slowdown beyond the threshold; without one, the change is beyond both
    /// runs' spread and the medians' slowdown exceeds the threshold.
    pub fn regressed(&self, threshold: f64) -> bool {
        let limit = 1.0 / (1.0 + threshold);
        match self.speedup_ci {
            Some([_, hi]) => hi < limit,
            None => self.verdict == Verdict::Slower && self.speedup < limit,
        }
    }

    /// "life 512x512:20 on serial" (with "old → new" labels when they differ).
    pub fn describe(&self) -> String {
        format!("{} {} on {}", self.workload, self.size, self.label())
    }

    /// The row's backend label, "old → new" where the two reports label it differently.
    pub fn label(&self) -> String {
        if self.old_label == self.new_label {
            self.new_label.clone()
        } else {
            format!("{} → {}", self.old_label, self.new_label)
        }
    }
}

/// Two reports matched row by row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// Matched rows, in the new report's order.
    pub rows: Vec<ComparedRow>,
    /// Labels of rows only the old report has.
    pub only_old: Vec<String>,
    /// Labels of rows only the new report has.
    pub only_new: Vec<String>,
    /// Changes smaller than this fraction are [`Verdict::NoChange`].
    pub noise_threshold: f64,
}

impl Comparison {
    /// The rows that regressed by more than `threshold` (see [`ComparedRow::regressed`]).
    pub fn regressions(&self, threshold: f64) -> Vec<&ComparedRow> {
        self.rows
            .iter()
            .filter(|r| r.regressed(threshold))
            .collect()
    }
}

/// What identifies a row across machines: the problem, the backend, and for rayon whether it is
/// the machine's default pool (so "rayon, 2 threads" on a laptop pairs with "rayon, 16 threads"
/// on a workstation) or a `--threads` row with its count.
fn loose_key(machine: &MachineInfo, r: &ResultRow) -> (String, String, String, Option<usize>) {
    let threads = match r.backend.as_str() {
        "rayon" if r.threads != Some(machine.rayon_threads) => r.threads,
        _ => None,
    };
    (
        r.workload.clone(),
        r.size.clone(),
        r.backend.clone(),
        threads,
    )
}

/// [`compare_with_noise`] at the [`DEFAULT_NOISE_THRESHOLD`].
pub fn compare(old: &Report, new: &Report) -> Comparison {
    compare_with_noise(old, new, DEFAULT_NOISE_THRESHOLD)
}

/// Matches the rows of `old` and `new`: first rows on the same device with the same threads,
/// then rows whose loose key (see above) is unique among the unmatched ones on both sides;
/// changes smaller than `noise` (a fraction) are [`Verdict::NoChange`].
pub fn compare_with_noise(old: &Report, new: &Report, noise: f64) -> Comparison {
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut old_used = vec![false; old.results.len()];
    let mut new_used = vec![false; new.results.len()];
    for (j, n) in new.results.iter().enumerate() {
        if let Some(i) = old.results.iter().enumerate().position(|(i, o)| {
            !old_used[i]
                && o.same_problem(n)
                && o.backend == n.backend
                && o.threads == n.threads
                && o.device == n.device
        }) {
            old_used[i] = true;
            new_used[j] = true;
            pairs.push((i, j));
        }
    }
    for j in 0..new.results.len() {
        if new_used[j] {
            continue;
        }
        let key = loose_key(&new.machine, &new.results[j]);
        let olds: Vec<usize> = (0..old.results.len())
            .filter(|&i| !old_used[i] && loose_key(&old.machine, &old.results[i]) == key)
            .collect();
        let news = (0..new.results.len())
            .filter(|&k| !new_used[k] && loose_key(&new.machine, &new.results[k]) == key)
            .count();
        if let ([i], 1) = (olds.as_slice(), news) {
            old_used[*i] = true;
            new_used[j] = true;
            pairs.push((*i, j));
        }
    }
    pairs.sort_by_key(|&(_, j)| j);
    let describe = |m: &MachineInfo, r: &ResultRow| {
        format!("{} {} on {}", r.workload, r.size, row_label(m, r))
    };
    Comparison {
        rows: pairs
            .into_iter()
            .map(|(i, j)| {
                let (o, n) = (&old.results[i], &new.results[j]);
                let interval =
                    ratio_interval(&o.samples_seconds, &n.samples_seconds).map(|(a, b)| [a, b]);
                ComparedRow {
                    workload: n.workload.clone(),
                    size: n.size.clone(),
                    old_label: row_label(&old.machine, o),
                    new_label: row_label(&new.machine, n),
                    old_median: o.median_seconds,
                    new_median: n.median_seconds,
                    speedup: o.median_seconds / n.median_seconds,
                    speedup_ci: interval,
                    verdict: Verdict::of(o, n, interval, noise),
                    split: o.roof.as_ref().zip(n.roof.as_ref()).and_then(|(a, b)| {
                        let hardware = b.roof / a.roof;
                        (hardware > 0.0).then(|| super::roofline::SpeedupSplit {
                            hardware,
                            code: o.median_seconds / n.median_seconds / hardware,
                        })
                    }),
                }
            })
            .collect(),
        only_old: (0..old.results.len())
            .filter(|&i| !old_used[i])
            .map(|i| describe(&old.machine, &old.results[i]))
            .collect(),
        only_new: (0..new.results.len())
            .filter(|&j| !new_used[j])
            .map(|j| describe(&new.machine, &new.results[j]))
            .collect(),
        noise_threshold: noise,
    }
}
