//! Summary statistics of a row's run times.
//!
//! The median is the figure every report quotes: it ignores the odd slow run (a page fault, the
//! scheduler, another process) that pulls the mean. The spread is the relative standard
//! deviation, and a row is *noisy* when it exceeds [`NOISY_RELATIVE_STDDEV`].

use crate::random::SplitMix64;
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

/// Confidence level of every interval in a report.
pub const CONFIDENCE: f64 = 0.95;

/// Fewest samples for which an interval is given: below 6, even [min, max] covers the median
/// with less than 95% probability (5 samples: 1 − 2 × 0.5⁵ = 93.75%).
pub const MIN_SAMPLES_FOR_INTERVAL: usize = 6;

/// A distribution-free 95% confidence interval of the median from order statistics.
///
/// Whatever the distribution of run times, the number of samples below the true median is
/// Binomial(n, ½). The interval [X₍ₖ₎, X₍ₙ₋ₖ₊₁₎] of the sorted samples therefore covers the median
/// with probability P(k ≤ B ≤ n − k) = 1 − 2·P(B ≤ k − 1); `k` is the largest rank for which that
/// is at least 95%. No assumption of normality: run times are skewed (a slow run now and then),
/// which is why reports quote medians in the first place. `None` for fewer than
/// [`MIN_SAMPLES_FOR_INTERVAL`] samples (NaNs ignored).
pub fn median_interval(samples: &[f64]) -> Option<(f64, f64)> {
    let mut sorted: Vec<f64> = samples.iter().copied().filter(|x| !x.is_nan()).collect();
    let n = sorted.len();
    if n < MIN_SAMPLES_FOR_INTERVAL {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let k = median_interval_rank(n)?;
    Some((sorted[k - 1], sorted[n - k]))
}

/// The 1-based rank `k` of the lower end of [`median_interval`] for `n` samples, or `None` when
/// even k = 1 covers less than [`CONFIDENCE`].
pub fn median_interval_rank(n: usize) -> Option<usize> {
    // P(B ≤ j) for B ~ Binomial(n, ½), summed in log space so that n in the thousands does not
    // underflow 0.5ⁿ.
    let ln_half_n = -(n as f64) * std::f64::consts::LN_2;
    let mut ln_pmf = ln_half_n; // P(B = 0)
    let mut cdf = 0.0;
    let mut best = None;
    for k in 1..=n.div_ceil(2) {
        // cdf = P(B ≤ k − 1)
        cdf += ln_pmf.exp();
        if 1.0 - 2.0 * cdf < CONFIDENCE {
            break;
        }
        best = Some(k);
        let j = (k - 1) as f64;
        ln_pmf += ((n as f64 - j) / (j + 1.0)).ln(); // P(B = k) from P(B = k − 1)
    }
    best
}

/// Half the width of `interval` as a fraction of `centre`: the "± x%" of a row.
pub fn relative_half_width(interval: (f64, f64), centre: f64) -> f64 {
    if centre > 0.0 {
        (interval.1 - interval.0) / 2.0 / centre
    } else {
        f64::INFINITY
    }
}

/// Whether `samples` pin their median down to within ± `max_noise` (a fraction) at 95%.
pub fn precise_enough(samples: &[f64], max_noise: f64) -> bool {
    let Some(summary) = Summary::of(samples) else {
        return false;
    };
    median_interval(samples).is_some_and(|ci| relative_half_width(ci, summary.median) <= max_noise)
}

/// Resamples drawn by [`ratio_interval`].
pub const BOOTSTRAP_RESAMPLES: usize = 2000;

/// A 95% percentile-bootstrap interval of `median(numerator) / median(denominator)`: the
/// interval of a speedup, when the numerator holds the baseline's run times.
///
/// The two sets are resampled independently (they are separate runs), [`BOOTSTRAP_RESAMPLES`]
/// times, and the 2.5th and 97.5th percentiles of the resampled ratios are the interval. The
/// random stream has a fixed seed, so the same samples always give the same interval (reports
/// and golden files are reproducible). `None` when either side has fewer than
/// [`MIN_SAMPLES_FOR_INTERVAL`] samples: a bootstrap of 3 runs only pretends to know.
pub fn ratio_interval(numerator: &[f64], denominator: &[f64]) -> Option<(f64, f64)> {
    let clean = |s: &[f64]| -> Vec<f64> { s.iter().copied().filter(|x| !x.is_nan()).collect() };
    let (num, den) = (clean(numerator), clean(denominator));
    if num.len() < MIN_SAMPLES_FOR_INTERVAL || den.len() < MIN_SAMPLES_FOR_INTERVAL {
        return None;
    }
    let mut rng = SplitMix64::new(0x005e_ed0f_5eed_u64);
    let (mut a, mut b) = (vec![0.0; num.len()], vec![0.0; den.len()]);
    let mut ratios: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            resample(&num, &mut a, &mut rng);
            resample(&den, &mut b, &mut rng);
            median_in_place(&mut a) / median_in_place(&mut b)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let tail = (1.0 - CONFIDENCE) / 2.0;
    let at = |q: f64| ratios[((q * (ratios.len() - 1) as f64).round()) as usize];
    Some((at(tail), at(1.0 - tail)))
}

fn resample(from: &[f64], into: &mut [f64], rng: &mut SplitMix64) {
    for x in into.iter_mut() {
        *x = from[rng.below(from.len())];
    }
}

/// Median of a non-empty slice, reordering it.
fn median_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    let (_, upper, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        // The lower middle is the largest of the lower half.
        let lower = v[..n / 2].iter().copied().fold(f64::MIN, f64::max);
        (lower + upper) / 2.0
    }
}
