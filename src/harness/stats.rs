//! Summary statistics of a row's run times.
//!
//! The median is the figure every report quotes: it ignores the odd slow run (a page fault, the
//! scheduler, another process) that pulls the mean. The spread is the relative standard
//! deviation, and a row is *noisy* when it exceeds [`NOISY_RELATIVE_STDDEV`].

use serde::{Deserialize, Serialize};

/// A row is flagged noisy when its sample standard deviation exceeds this fraction of its median.
///
/// 5% is the level at which a reported speedup's second significant digit stops meaning anything;
/// below it, ratios of medians measured in the same run are trustworthy to about ±5%.
pub const NOISY_RELATIVE_STDDEV: f64 = 0.05;

/// Median, extremes, mean and sample standard deviation of a non-empty set of samples (seconds).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of samples.
    pub count: usize,
    /// Middle sample (mean of the two middle ones for an even count).
    pub median: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 in the denominator); 0 for a single sample.
    pub stddev: f64,
}

impl Summary {
    /// Summarises `samples`, or `None` when there are none. NaNs are ignored.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        let mut sorted: Vec<f64> = samples.iter().copied().filter(|x| !x.is_nan()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let stddev = if n > 1 {
            (sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Some(Summary {
            count: n,
            median,
            min: sorted[0],
            max: sorted[n - 1],
            mean,
            stddev,
        })
    }

    /// Standard deviation as a fraction of the median (0 when the median is 0).
    pub fn relative_stddev(&self) -> f64 {
        if self.median > 0.0 {
            self.stddev / self.median
        } else {
            0.0
        }
    }

    /// Whether the runs disagree by more than [`NOISY_RELATIVE_STDDEV`]. A single run cannot be
    /// judged and is never flagged (its run count of 1 says enough).
    pub fn is_noisy(&self) -> bool {
        self.count > 1 && self.relative_stddev() > NOISY_RELATIVE_STDDEV
    }
}

/// Median of the samples that exist, for per-phase times that some runs do not report.
pub fn median_of_present(samples: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let present: Vec<f64> = samples.into_iter().flatten().collect();
    Summary::of(&present).map(|s| s.median)
}
