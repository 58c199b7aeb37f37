//! The statistics behind intervals, noise targets and the regression gate, against known
//! answers: order-statistic ranks from binomial tables, coverage measured by simulation, and
//! the stopping rule of `--max-noise`.

use speedup::harness::measure::{measure, measure_interleaved, MeasureConfig};
use speedup::harness::stats::{
    median_interval, median_interval_rank, precise_enough, ratio_interval, relative_half_width,
};
use speedup::workloads::{Prepared, RunClock, RunTiming};

/// The ranks of the distribution-free 95% interval of the median, as tabulated (e.g. Conover,
/// Practical Nonparametric Statistics, table A3; or 1 − 2·P(B ≤ k − 1) by hand):
/// n = 6 → (1, 6): 1 − 2/64 = 96.9%; n = 10 → (2, 9): 1 − 22/1024 = 97.9%, while k = 3 gives
/// 89.1%; n = 20 → (6, 15): 95.9%, k = 7 gives 88.5%; n = 100 → (40, 61).
#[test]
fn median_interval_ranks_match_the_binomial_table() {
    assert_eq!(median_interval_rank(5), None, "5 samples cannot reach 95%");
    assert_eq!(median_interval_rank(6), Some(1));
    assert_eq!(median_interval_rank(8), Some(1));
    assert_eq!(median_interval_rank(9), Some(2));
    assert_eq!(median_interval_rank(10), Some(2));
    assert_eq!(median_interval_rank(20), Some(6));
    assert_eq!(median_interval_rank(100), Some(40));
    // Large n in log space: the rank approaches n/2 − 0.98·√n.
    let k = median_interval_rank(10_000).unwrap();
    assert!((4900..=4903).contains(&k), "{k}");
}

#[test]
fn median_interval_picks_those_order_statistics() {
    // 1..=20 shuffled: the interval is [6, 15] whatever the order.
    let samples: Vec<f64> = (0..20).map(|i| ((i * 7) % 20 + 1) as f64).collect();
    assert_eq!(median_interval(&samples), Some((6.0, 15.0)));
    assert_eq!(median_interval(&[3.0, 1.0, 2.0, 5.0, 4.0]), None);
    let six = [6.0, 1.0, 5.0, 2.0, 4.0, 3.0];
    assert_eq!(median_interval(&six), Some((1.0, 6.0)));
    assert_eq!(relative_half_width((9.0, 11.0), 10.0), 0.1);
}

/// A small deterministic generator for the simulations (xorshift64*).
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Run times as they look: a floor plus an exponential tail (skewed, never negative), so
    /// a normal-theory interval would be wrong. Median: base + scale·ln 2.
    fn run_time(&mut self, base: f64, scale: f64) -> f64 {
        base - scale * (1.0 - self.uniform()).ln()
    }
}

#[test]
fn median_interval_covers_the_true_median_95_percent_of_the_time() {
    let mut rng = Rng(0x1234_5678);
    let truth = 1.0 + 0.1 * std::f64::consts::LN_2;
    let trials = 4000;
    let mut covered = 0;
    for _ in 0..trials {
        let samples: Vec<f64> = (0..15).map(|_| rng.run_time(1.0, 0.1)).collect();
        let (lo, hi) = median_interval(&samples).unwrap();
        covered += (lo <= truth && truth <= hi) as usize;
    }
    // Exact coverage for n = 15 with k = 4 is 1 − 2·P(B ≤ 3) = 96.5%; 4000 trials have a
    // standard error of 0.3%.
    let rate = covered as f64 / trials as f64;
    assert!((0.95..0.98).contains(&rate), "coverage {rate}");
}

#[test]
fn ratio_interval_covers_the_true_speedup() {
    let mut rng = Rng(0x9abc_def0);
    // Baseline median 2 + 0.2 ln 2, challenger 1 + 0.1 ln 2: the true speedup is exactly 2.
    let trials = 300;
    let mut covered = 0;
    let mut widths = 0.0;
    for _ in 0..trials {
        let base: Vec<f64> = (0..20).map(|_| rng.run_time(2.0, 0.2)).collect();
        let new: Vec<f64> = (0..20).map(|_| rng.run_time(1.0, 0.1)).collect();
        let (lo, hi) = ratio_interval(&base, &new).unwrap();
        assert!(lo <= hi);
        covered += (lo <= 2.0 && 2.0 <= hi) as usize;
        widths += hi - lo;
    }
    let rate = covered as f64 / trials as f64;
    // The percentile bootstrap of a median is a little conservative at n = 20; it must not be
    // overconfident (a planted bug that drops one side's resampling lands near 80%).
    assert!((0.92..=1.0).contains(&rate), "coverage {rate}");
    let mean_width = widths / trials as f64;
    assert!(
        mean_width < 0.25,
        "intervals too wide to be useful: {mean_width}"
    );
}

#[test]
fn ratio_interval_of_exact_multiples() {
    // No noise at all: every resample gives the same ratio.
    let base = vec![3.0; 8];
    let new = vec![1.5; 7];
    assert_eq!(ratio_interval(&base, &new), Some((2.0, 2.0)));
    // Deterministic: the same samples always give the same interval.
    let a: Vec<f64> = (1..=9).map(f64::from).collect();
    let b: Vec<f64> = (2..=10).map(f64::from).collect();
    assert_eq!(ratio_interval(&a, &b), ratio_interval(&a, &b));
    let (lo, hi) = ratio_interval(&a, &b).unwrap();
    assert!(lo < 5.0 / 6.0 && 5.0 / 6.0 < hi, "({lo}, {hi}) around 5/6");
    // Too few samples for an honest interval.
    assert_eq!(ratio_interval(&a[..5], &b), None);
}

#[test]
fn noise_target_keeps_running_until_precise_then_stops() {
    let config = MeasureConfig {
        warmup_runs: 0,
        min_time_seconds: 0.0,
        min_runs: 3,
        max_runs: 1000,
        max_time_seconds: 100.0,
        max_noise: Some(0.03),
        interleave: false,
    };
    // Three equal runs satisfy the floors but give no interval yet: keep going.
    assert!(config.wants_more(&[1.0, 1.0, 1.0]));
    // Six equal runs: interval [1, 1], precise.
    assert!(!config.wants_more(&[1.0; 6]));
    // Six runs spread ±10%: not precise, keep going...
    let spread = [0.9, 1.1, 1.0, 0.95, 1.05, 1.0];
    assert!(!precise_enough(&spread, 0.03));
    assert!(config.wants_more(&spread));
    // ...unless the time cap is spent.
    let capped = MeasureConfig {
        max_time_seconds: 5.0,
        ..config
    };
    assert!(!capped.wants_more(&spread));
    // Without a target, the floors decide.
    let plain = MeasureConfig {
        max_noise: None,
        ..config
    };
    assert!(!plain.wants_more(&spread));
}

/// Records which backend ran, in order, into a shared log.
struct Logged {
    id: usize,
    log: std::rc::Rc<std::cell::RefCell<Vec<usize>>>,
    fail_at: Option<usize>,
    calls: usize,
}

impl Prepared for Logged {
    fn run(&mut self) -> speedup::Result<RunTiming> {
        self.calls += 1;
        if Some(self.calls) == self.fail_at {
            return Err(speedup::Error::InvalidArgument("planted failure".into()));
        }
        self.log.borrow_mut().push(self.id);
        Ok(RunClock::start().ready(0).done(None).on_host(0))
    }
    fn work(&self) -> f64 {
        1.0
    }
}

#[test]
fn interleaving_alternates_backends_and_survives_a_failure() {
    let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let make = |id, fail_at| -> Box<dyn Prepared> {
        Box::new(Logged {
            id,
            log: log.clone(),
            fail_at,
            calls: 0,
        })
    };
    // Backend 2 fails on its third call (its second timed run).
    let mut prepared = vec![make(0, None), make(1, None), make(2, Some(3))];
    let config = MeasureConfig {
        warmup_runs: 1,
        min_time_seconds: 0.0,
        min_runs: 3,
        max_runs: 3,
        max_time_seconds: 100.0,
        max_noise: None,
        interleave: true,
    };
    let mut ticks = 0;
    let out = measure_interleaved(&mut prepared, &config, |_| ticks += 1);
    assert_eq!(*log.borrow(), vec![0, 1, 2, 0, 1, 2, 0, 1, 0, 1]);
    assert_eq!(out[0].as_ref().unwrap().wall_seconds.len(), 3);
    assert_eq!(out[1].as_ref().unwrap().wall_seconds.len(), 3);
    assert!(out[2].as_ref().unwrap_err().to_string().contains("planted"));
    assert_eq!(ticks, 11, "every run, the failed one included, is reported");
    // The sequential measure of one backend times the same number of runs.
    let mut one = make(3, None);
    assert_eq!(
        measure(one.as_mut(), &config, || {})
            .unwrap()
            .wall_seconds
            .len(),
        3
    );
}

#[test]
fn a_long_noisy_row_stops_at_its_caps() {
    // Alternating 1 and 2 seconds never pins the median to ±1%: every check wants more until
    // the run cap, including between the sparse checks past 64 runs.
    let config = MeasureConfig {
        warmup_runs: 0,
        min_time_seconds: 0.0,
        min_runs: 3,
        max_runs: 500,
        max_time_seconds: 1e9,
        max_noise: Some(0.01),
        interleave: false,
    };
    let samples: Vec<f64> = (0..500).map(|i| 1.0 + (i % 2) as f64).collect();
    for n in [6, 64, 65, 100, 499] {
        assert!(config.wants_more(&samples[..n]), "{n}");
    }
    assert!(!config.wants_more(&samples));
    // Steady samples past 64 runs stop at the next check, at most n/32 runs late.
    let steady = vec![1.0; 200];
    let stop = (65..=200)
        .find(|&n| !config.wants_more(&steady[..n]))
        .unwrap();
    assert!(stop <= 65 + 65 / 32, "{stop}");
}
