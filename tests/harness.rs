//! The benchmark harness on fixed data: statistics, the run-count logic, speedups and strong
//! scaling, every exporter by exact output (golden files in tests/data/bench/), comparison of two
//! reports, crossover detection and the chart.

use speedup::backend::{label, Backend};
use speedup::gpu::AdapterSummary;
use speedup::harness::bench::{self, Plan, PlannedSize, Silent};
use speedup::harness::compare::{compare, Verdict};
use speedup::harness::export::svg::chart_svg;
use speedup::harness::export::units::{format_rate, format_seconds};
use speedup::harness::export::{csv, json, table, Format};
use speedup::harness::machine::{utc_date, AdapterInfo, WGPU_VERSION};
use speedup::harness::measure::{measure, MeasureConfig};
use speedup::harness::report::{fill_comparisons, FORMAT_VERSION};
use speedup::harness::stats::{self, Summary};
use speedup::harness::sweep::{crossover_index, crossovers, PairPoint};
use speedup::harness::{MachineInfo, Report, ResultRow};
use speedup::workloads::{Prepared, RunClock, RunTiming, Timing};
use std::time::{Duration, UNIX_EPOCH};

// ---------------------------------------------------------------------------------------------
// Fixed data

fn software_adapter() -> AdapterSummary {
    AdapterSummary {
        index: 0,
        name: "llvmpipe (LLVM 15.0.6, 256 bits)".into(),
        backend: "Vulkan".into(),
        device_type: "Cpu".into(),
        driver: "llvmpipe Mesa 22.3.6 (LLVM 15.0.6)".into(),
        software: true,
        max_storage_binding_bytes: 134217728,
    }
}

fn hardware_adapter() -> AdapterSummary {
    AdapterSummary {
        name: "NVIDIA H100 80GB HBM3".into(),
        device_type: "DiscreteGpu".into(),
        software: false,
        ..software_adapter()
    }
}

fn with_timestamps(summary: AdapterSummary) -> AdapterInfo {
    AdapterInfo {
        summary,
        timestamp_queries: true,
        limits: None,
    }
}

fn machine(cpu: &str, cores: usize, adapters: Vec<AdapterInfo>) -> MachineInfo {
    MachineInfo {
        cpu: cpu.into(),
        logical_cores: cores,
        cpu_features: Vec::new(),
        rayon_threads: cores,
        os: "linux x86_64".into(),
        adapters,
        wgpu_version: "30.0.1".into(),
        speedup_version: "0.1.0".into(),
        build_profile: "release".into(),
        date: "2026-04-20T12:00:00Z".into(),
        system: Default::default(),
    }
}

/// A row with the given timing; speedups are left for `fill_comparisons`.
fn row(
    workload: &str,
    backend: &str,
    threads: Option<usize>,
    size: &str,
    work: f64,
    (median, min, max, stddev): (f64, f64, f64, f64),
) -> ResultRow {
    let gpu = backend == "gpu";
    let unit = if workload == "life" {
        "cell-updates"
    } else {
        "bytes"
    };
    ResultRow {
        workload: workload.into(),
        backend: backend.into(),
        device: if gpu {
            "llvmpipe (LLVM 15.0.6, 256 bits)".into()
        } else {
            "Test CPU 3000".into()
        },
        software: gpu,
        adapter: gpu.then_some(0),
        threads,
        // CPU rows say what ran, as real rows do (the exports show it).
        cpu_isa: (!gpu).then(|| "avx2".into()),
        cpu_kernel: None,
        size: size.into(),
        size_value: size
            .split(['x', ':'])
            .take(2)
            .map(|n| n.parse::<f64>().unwrap_or(1.0))
            .product(),
        size_unit: "cells".into(),
        work,
        unit: unit.into(),
        runs: 5,
        median_seconds: median,
        min_seconds: min,
        max_seconds: max,
        mean_seconds: median,
        stddev_seconds: stddev,
        noisy: stddev / median > 0.05,
        samples_seconds: Vec::new(),
        median_ci_seconds: None,
        throughput: work / median,
        throughput_unit: format!("{unit}/s"),
        speedup_vs_serial: None,
        speedup_vs_rayon: None,
        speedup_vs_serial_ci: None,
        speedup_vs_rayon_ci: None,
        efficiency: None,
        upload_seconds: gpu.then_some(0.0005),
        compute_seconds: Some(if gpu { 0.003 } else { median }),
        readback_seconds: gpu.then_some(0.0005),
        device_seconds: gpu.then_some(0.0025),
        result: Some("hash 0123abcd".into()),
        note: None,
        telemetry: None,
        problem: None,
        compared_by_throughput: false,
        roof: None,
        speedup_vs_serial_split: None,
        speedup_vs_rayon_split: None,
        timing: Timing::EndToEnd,
        end_to_end_seconds: Some(median),
        kernel_seconds: Some(if gpu { 0.003 } else { median }),
        input_bytes: Some(0),
        result_bytes: Some(8),
        submissions: gpu.then_some(2),
        host_waits: gpu.then_some(2),
        part: None,
    }
}

/// Life on serial, rayon (2 threads) and a software GPU; the gpu row is noisy.
fn fixed_report() -> Report {
    let work = 512.0 * 512.0 * 20.0;
    let size = "512x512:20";
    let mut report = Report {
        format_version: FORMAT_VERSION,
        machine: machine(
            "Test CPU 3000",
            2,
            vec![with_timestamps(software_adapter())],
        ),
        settings: MeasureConfig::QUICK,
        results: vec![
            row(
                "life",
                "serial",
                Some(1),
                size,
                work,
                (0.02, 0.0192, 0.0208, 0.0005),
            ),
            row(
                "life",
                "rayon",
                Some(2),
                size,
                work,
                (0.0125, 0.012, 0.013, 0.0004),
            ),
            row(
                "life",
                "gpu",
                None,
                size,
                work,
                (0.004, 0.0035, 0.005, 0.0006),
            ),
        ],
        scaling: vec![],
        crossovers: vec![],
        bandwidth: Vec::new(),
        skipped: vec![],
        ceilings: None,
        notes: vec!["gpu: only a software adapter was found".into()],
    };
    for r in &mut report.results {
        with_samples(r);
    }
    fill_comparisons(&mut report);
    report
}

/// Gives a row seven samples with its median, min and max (so it has a 95% interval: with 7
/// samples, [min, max] covers the median with probability 1 − 2/128).
fn with_samples(r: &mut ResultRow) {
    let (lo, m, hi) = (r.min_seconds, r.median_seconds, r.max_seconds);
    r.samples_seconds = vec![
        m,
        lo,
        m + (hi - m) / 2.0,
        m - (m - lo) / 4.0,
        hi,
        m - (m - lo) / 2.0,
        m + (hi - m) / 4.0,
    ];
    r.runs = 7;
    r.median_ci_seconds = stats::median_interval(&r.samples_seconds).map(|(a, b)| [a, b]);
    r.judge_noise(0.05);
}

fn golden(name: &str) -> String {
    let path = format!("{}/tests/data/bench/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `SPEEDUP_BLESS=1 cargo test --test harness` rewrites the golden files from today's output
/// (then read the diff: every changed line must be one the change meant to make).
fn blessing() -> bool {
    std::env::var_os("SPEEDUP_BLESS").is_some_and(|v| v == "1")
}

/// `text`, written over the golden file `name` first when blessing.
fn bless(name: &str, text: String) -> String {
    if blessing() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/bench")
            .join(name);
        std::fs::write(&path, &text).unwrap();
    }
    text
}

fn assert_same(actual: &str, expected: &str, what: &str) {
    if actual != expected && blessing() {
        return;
    }
    if actual != expected {
        for (i, (a, e)) in actual.lines().zip(expected.lines()).enumerate() {
            assert_eq!(a, e, "{what}: first difference on line {}", i + 1);
        }
        assert_eq!(
            actual.lines().count(),
            expected.lines().count(),
            "{what}: line counts differ"
        );
        panic!("{what}: outputs differ in line endings or a trailing newline");
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

// ---------------------------------------------------------------------------------------------
// Statistics

#[test]
fn summary_of_odd_sample() {
    let s = Summary::of(&[3.0, 1.0, 2.0, 5.0, 4.0]).unwrap();
    assert_eq!(
        (s.count, s.median, s.min, s.max, s.mean),
        (5, 3.0, 1.0, 5.0, 3.0)
    );
    // Sample variance: (4 + 1 + 0 + 1 + 4) / 4 = 2.5.
    assert!(close(s.stddev, 2.5f64.sqrt()), "{}", s.stddev);
}

#[test]
fn summary_of_even_sample_averages_the_middle_pair() {
    let s = Summary::of(&[10.0, 2.0, 4.0, 8.0]).unwrap();
    assert_eq!(s.median, 6.0);
    assert_eq!((s.min, s.max, s.mean), (2.0, 10.0, 6.0));
}

#[test]
fn summary_of_one_and_none() {
    let one = Summary::of(&[0.25]).unwrap();
    assert_eq!((one.median, one.stddev, one.count), (0.25, 0.0, 1));
    assert!(!one.is_noisy(), "a single run cannot be judged noisy");
    assert_eq!(Summary::of(&[]), None);
    assert_eq!(Summary::of(&[f64::NAN]), None);
    assert_eq!(Summary::of(&[f64::NAN, 2.0]).unwrap().median, 2.0);
}

#[test]
fn noisy_threshold_is_five_percent_of_the_median() {
    // stddev 0.02 on a median of 1: 2%.
    assert!(!Summary::of(&[0.98, 1.0, 1.02]).unwrap().is_noisy());
    // stddev 0.2: 20%.
    let noisy = Summary::of(&[0.8, 1.0, 1.2]).unwrap();
    assert!(close(noisy.relative_stddev(), 0.2));
    assert!(noisy.is_noisy());
    // One slow run among many steady ones is enough.
    let mut runs = vec![1.0; 9];
    runs.push(2.0);
    assert!(Summary::of(&runs).unwrap().is_noisy());
}

// ---------------------------------------------------------------------------------------------
// Measuring

#[test]
fn run_count_rule() {
    let c = MeasureConfig {
        warmup_runs: 1,
        min_time_seconds: 0.5,
        min_runs: 3,
        max_runs: 10,
        max_time_seconds: 2.0,
        max_noise: None,
        interleave: false,
    };
    assert!(c.wants_another(0, 0.0));
    assert!(c.wants_another(0, 99.0), "at least one run is always timed");
    assert!(c.wants_another(2, 1.0), "below min_runs");
    assert!(c.wants_another(5, 0.4), "below min_time");
    assert!(!c.wants_another(3, 0.5), "both floors reached");
    assert!(!c.wants_another(10, 0.1), "max_runs reached");
    assert!(!c.wants_another(1, 2.5), "time cap beats min_runs");
}

/// Counts its runs, sleeps `pause` in each, fails on run `fail_at`.
struct Fake {
    calls: usize,
    pause: Duration,
    fail_at: Option<usize>,
}

impl Prepared for Fake {
    fn run(&mut self) -> speedup::Result<RunTiming> {
        self.calls += 1;
        if Some(self.calls) == self.fail_at {
            return Err(speedup::Error::InvalidArgument("fake failure".into()));
        }
        let kernel = RunClock::start().ready(0);
        std::thread::sleep(self.pause);
        Ok(kernel.done(Some(self.calls as f64)).on_host(0))
    }
    fn work(&self) -> f64 {
        1.0
    }
}

fn fake(pause_ms: u64) -> Fake {
    Fake {
        calls: 0,
        pause: Duration::from_millis(pause_ms),
        fail_at: None,
    }
}

#[test]
fn measure_warms_up_then_reaches_min_runs() {
    let config = MeasureConfig {
        warmup_runs: 2,
        min_time_seconds: 0.0,
        min_runs: 4,
        max_runs: 100,
        max_time_seconds: 10.0,
        max_noise: None,
        interleave: false,
    };
    let mut f = fake(1);
    let mut ticks = 0;
    let m = measure(&mut f, &config, || ticks += 1).unwrap();
    assert_eq!(m.wall_seconds.len(), 4);
    assert_eq!(f.calls, 6, "2 warm-up + 4 timed");
    assert_eq!(ticks, 6, "progress hears about every run");
    // The timed region covers the run itself (1 ms sleep each).
    assert!(
        m.wall_seconds.iter().all(|&s| s >= 0.001),
        "{:?}",
        m.wall_seconds
    );
    // Stages of timed runs only, in order (warm-up runs were calls 1 and 2).
    let device: Vec<f64> = m
        .timings
        .iter()
        .map(|t| t.device_seconds().unwrap())
        .collect();
    assert_eq!(device, vec![3.0, 4.0, 5.0, 6.0]);
}

#[test]
fn measure_runs_until_min_time() {
    let config = MeasureConfig {
        warmup_runs: 0,
        min_time_seconds: 0.03,
        min_runs: 1,
        max_runs: 1000,
        max_time_seconds: 10.0,
        max_noise: None,
        interleave: false,
    };
    let m = measure(&mut fake(5), &config, || {}).unwrap();
    let total: f64 = m.wall_seconds.iter().sum();
    assert!(total >= 0.03, "stopped after {total} s");
    assert!(
        m.wall_seconds.len() <= 7,
        "{} runs of >= 5 ms for 30 ms",
        m.wall_seconds.len()
    );
}

#[test]
fn measure_stops_at_the_time_cap_below_min_runs() {
    let config = MeasureConfig {
        warmup_runs: 0,
        min_time_seconds: 0.0,
        min_runs: 50,
        max_runs: 100,
        max_time_seconds: 0.05,
        max_noise: None,
        interleave: false,
    };
    let m = measure(&mut fake(20), &config, || {}).unwrap();
    // Each run sleeps 20 ms, so the 50 ms cap is spent after at most 3 runs.
    assert!(
        (1..=3).contains(&m.wall_seconds.len()),
        "{} runs",
        m.wall_seconds.len()
    );
}

#[test]
fn measure_passes_errors_on() {
    let mut f = fake(0);
    f.fail_at = Some(3);
    let err = measure(&mut f, &MeasureConfig::QUICK, || {}).unwrap_err();
    assert!(err.to_string().contains("fake failure"));
}

#[test]
fn human_units() {
    assert_eq!(format_seconds(0.000_000_812), "812 ns");
    assert_eq!(format_seconds(0.000_012_34), "12.3 µs");
    assert_eq!(format_seconds(0.001_234), "1.23 ms");
    assert_eq!(format_seconds(0.5), "500 ms");
    assert_eq!(format_seconds(4.567), "4.57 s");
    assert_eq!(
        format_rate(1.234e9, "cell-updates/s"),
        "1.23 G cell-updates/s"
    );
    assert_eq!(format_rate(262_144_000.0, "bytes/s"), "262 M bytes/s");
    assert_eq!(format_rate(950.0, "hashes/s"), "950 hashes/s");
}

// ---------------------------------------------------------------------------------------------
// Machine

#[test]
fn dates_are_utc_iso8601() {
    assert_eq!(utc_date(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    let at = |s: u64| utc_date(UNIX_EPOCH + Duration::from_secs(s));
    assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(at(1_713_633_000), "2024-04-20T17:10:00Z");
    assert_eq!(at(4_102_444_799), "2099-12-31T23:59:59Z");
}

#[test]
fn wgpu_version_matches_cargo_lock() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock")).unwrap();
    let version = lock
        .split("[[package]]")
        .find(|p| p.contains("\nname = \"wgpu\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"'))
        .expect("wgpu in Cargo.lock");
    assert_eq!(
        WGPU_VERSION, version,
        "update WGPU_VERSION in src/harness/machine.rs to match Cargo.lock"
    );
}

#[test]
fn machine_info_describes_this_machine() {
    let m = MachineInfo::collect(vec![], 3);
    assert_eq!(m.rayon_threads, 3);
    assert_eq!(m.logical_cores, speedup::backend::logical_cores());
    assert_eq!(
        m.build_profile,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    assert!(!m.cpu.is_empty() && m.date.ends_with('Z'));
}

// ---------------------------------------------------------------------------------------------
// Speedups and scaling

#[test]
fn speedups_are_ratios_of_medians_in_the_same_report() {
    let r = fixed_report();
    let [serial, rayon, gpu] = [&r.results[0], &r.results[1], &r.results[2]];
    assert_eq!(serial.speedup_vs_serial, Some(1.0));
    assert!(close(serial.speedup_vs_rayon.unwrap(), 0.625));
    assert!(close(rayon.speedup_vs_serial.unwrap(), 1.6));
    assert!(close(rayon.efficiency.unwrap(), 0.8), "1.6x on 2 threads");
    assert!(close(gpu.speedup_vs_serial.unwrap(), 5.0));
    assert!(close(gpu.speedup_vs_rayon.unwrap(), 3.125));
    assert_eq!(gpu.efficiency, None);
    assert_eq!(serial.efficiency, None);
    assert!(r.scaling.is_empty(), "one thread count: no scaling table");
}

#[test]
fn speedups_are_null_without_a_baseline() {
    let mut r = fixed_report();
    r.results.remove(0);
    fill_comparisons(&mut r);
    assert!(r.results.iter().all(|x| x.speedup_vs_serial.is_none()));
    assert!(r.results.iter().all(|x| x.efficiency.is_none()));
    assert!(close(r.results[1].speedup_vs_rayon.unwrap(), 3.125));
}

#[test]
fn strong_scaling_against_one_thread() {
    let mut r = fixed_report();
    let size = "512x512:20";
    let w = r.results[0].work;
    r.results.push(row(
        "life",
        "rayon",
        Some(1),
        size,
        w,
        (0.022, 0.021, 0.023, 0.0),
    ));
    r.results.push(row(
        "life",
        "rayon",
        Some(4),
        size,
        w,
        (0.0088, 0.008, 0.009, 0.0),
    ));
    fill_comparisons(&mut r);
    let got: Vec<(usize, f64, f64)> = r
        .scaling
        .iter()
        .map(|s| (s.threads, s.speedup, s.efficiency))
        .collect();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].0, 1);
    assert!(close(got[0].1, 1.0));
    assert_eq!(got[1].0, 2);
    assert!(close(got[1].1, 1.76) && close(got[1].2, 0.88), "{got:?}");
    assert_eq!(got[2].0, 4);
    assert!(close(got[2].1, 2.5) && close(got[2].2, 0.625), "{got:?}");
    assert!(r.scaling.iter().all(|s| s.baseline == "rayon 1 thread"));
    // speedup_vs_rayon still refers to the machine's default pool (2 threads).
    let four = r.results.iter().find(|x| x.threads == Some(4)).unwrap();
    assert!(close(four.speedup_vs_rayon.unwrap(), 0.0125 / 0.0088));
    // The pushed rows have no samples: no interval, except the baseline against itself.
    assert_eq!(r.scaling[0].speedup_ci, Some([1.0, 1.0]));
    assert_eq!(r.scaling[2].speedup_ci, None);
    // With samples, each speedup has an interval around it.
    for x in &mut r.results {
        with_samples(x);
    }
    fill_comparisons(&mut r);
    for s in &r.scaling[1..] {
        let [lo, hi] = s.speedup_ci.expect("samples give an interval");
        assert!(lo < s.speedup && s.speedup < hi, "{s:?}");
    }
}

#[test]
fn backend_labels_say_software() {
    let (soft, hard) = (software_adapter(), hardware_adapter());
    assert_eq!(label("serial", Some(1), None), "serial");
    assert_eq!(label("rayon", Some(1), None), "rayon (1 thread)");
    assert_eq!(label("rayon", Some(16), None), "rayon (16 threads)");
    assert_eq!(
        label("gpu", None, Some(&soft)),
        "gpu (software: llvmpipe, Vulkan)"
    );
    assert_eq!(
        label("gpu", None, Some(&hard)),
        "gpu (NVIDIA H100 80GB HBM3)"
    );
}

// ---------------------------------------------------------------------------------------------
// Exporters, by exact output

#[test]
fn json_exact() {
    assert_same(
        &bless("report.json", Format::Json.render(&fixed_report())),
        &golden("report.json"),
        "json",
    );
}

#[test]
fn json_round_trips() {
    let r = fixed_report();
    assert_eq!(json::from_json(&json::to_json(&r), "r.json").unwrap(), r);
}

#[test]
fn json_reads_reports_without_later_fields() {
    // `size_value` and `size_unit` came after the first reports; `note` may be left out.
    let old: String = golden("report.json")
        .lines()
        .filter(|l| {
            // Issue 20's two times, bytes and submissions came later still.
            let later = [
                "\"size_value\"",
                "\"size_unit\"",
                "\"note\"",
                "\"timing\"",
                "\"end_to_end_seconds\"",
                "\"kernel_seconds\"",
                "\"input_bytes\"",
                "\"result_bytes\"",
                "\"submissions\"",
                "\"host_waits\"",
            ];
            !later.iter().any(|field| l.contains(field))
        })
        .map(|l| l.to_string() + "\n")
        .collect::<String>()
        .replace("\"hash 0123abcd\",\n", "\"hash 0123abcd\"\n");
    let r = json::from_json(&old, "old.json").unwrap();
    assert_eq!(r.results.len(), 3);
    assert_eq!(
        (r.results[0].size_value, r.results[0].size_unit.as_str()),
        (0.0, "")
    );
    assert_eq!(r.results[0].note, None);
}

#[test]
fn json_errors_say_where() {
    let err = json::from_json("{\n  \"machine\": 3\n}", "old.json").unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("old.json:2:"), "{msg}");
    assert!(!msg.contains('\n'), "one line: {msg}");
}

#[test]
fn csv_exact() {
    assert_same(
        &bless("report.csv", Format::Csv.render(&fixed_report())),
        &golden("report.csv"),
        "csv",
    );
}

#[test]
fn csv_quotes_commas_and_quotes() {
    let mut r = fixed_report();
    r.machine.cpu = "CPU, \"fast\" edition".into();
    let text = csv::to_csv(&r);
    let line = text.lines().nth(1).unwrap();
    assert!(
        line.starts_with("\"CPU, \"\"fast\"\" edition\",linux x86_64,"),
        "{line}"
    );
}

#[test]
fn markdown_exact() {
    assert_same(
        &bless("report.md", Format::Markdown.render(&fixed_report())),
        &golden("report.md"),
        "markdown",
    );
}

#[test]
fn table_exact() {
    assert_same(
        &bless("report.txt", Format::Table.render(&fixed_report())),
        &golden("report.txt"),
        "table",
    );
}

#[test]
fn the_table_says_which_time_it_uses_and_which_part_a_cpu_row_ran() {
    // The golden table above is end to end; with `--timing kernel` the title and the speedup
    // headers say kernel, and a row that ran part of the GPU rows' problem says which part.
    let mut r = fixed_report();
    for row in &mut r.results {
        row.timing = Timing::Kernel;
        row.median_seconds = row.kernel_seconds.unwrap();
    }
    r.results[0].part = Some("the first 2 of the GPU's 20 generations".into());
    fill_comparisons(&mut r);
    let text = table::to_table(&r);
    assert!(
        text.contains("kernel only: the computation on resident data"),
        "{text}"
    );
    assert!(
        text.contains("vs serial (kernel)") && text.contains("vs rayon (kernel)"),
        "{text}"
    );
    assert!(!text.contains("(e2e)"), "{text}");
    assert!(
        text.contains(
            "part of the same problem as the gpu rows: the first 2 of the GPU's 20 generations"
        ),
        "{text}"
    );
}

#[test]
fn single_runs_show_no_spread() {
    let mut r = fixed_report();
    r.results[0].runs = 1;
    r.results[0].samples_seconds = vec![0.02];
    r.results[0].median_ci_seconds = None;
    let text = table::to_table(&r);
    let serial = text
        .lines()
        .find(|l| l.starts_with("life") && l.contains(" serial "))
        .unwrap();
    let cells: Vec<&str> = serial
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(&cells[3..7], &["1", "20.0 ms", "—", "—"], "{serial}");
}

#[test]
fn table_shows_scaling_crossovers_and_skips() {
    let mut r = fixed_report();
    let w = r.results[0].work;
    r.results.push(row(
        "life",
        "rayon",
        Some(1),
        "512x512:20",
        w,
        (0.022, 0.021, 0.023, 0.0),
    ));
    fill_comparisons(&mut r);
    r.skipped.push(speedup::harness::report::Skipped {
        workload: "life".into(),
        backend: "gpu (software: llvmpipe, Vulkan)".into(),
        size: "65536x65536".into(),
        reason: "too big".into(),
    });
    let text = table::to_table(&r);
    assert!(text.contains("strong scaling (rayon)"), "{text}");
    assert!(text.contains("skipped life 65536x65536 on gpu (software: llvmpipe, Vulkan): too big"));
}

// ---------------------------------------------------------------------------------------------
// Compare

#[test]
fn compare_marks_only_changes_beyond_the_spread() {
    // Rows without samples (format 1) are judged by the runs' spread.
    let mut old = fixed_report();
    let mut new = fixed_report();
    for r in old.results.iter_mut().chain(new.results.iter_mut()) {
        r.samples_seconds.clear();
    }
    // serial: 10% faster, but inside old's [0.019, 0.021]? 0.018 is outside, and old median
    // 0.02 is outside new's range [0.0175, 0.0185]: faster.
    new.results[0].median_seconds = 0.018;
    new.results[0].min_seconds = 0.0175;
    new.results[0].max_seconds = 0.0185;
    // rayon: 0.0128 lies inside old's [0.012, 0.013]: within spread.
    new.results[1].median_seconds = 0.0128;
    // gpu: slower, well outside both ranges.
    new.results[2].median_seconds = 0.008;
    new.results[2].min_seconds = 0.0075;
    new.results[2].max_seconds = 0.0085;
    let c = compare(&old, &new);
    let verdicts: Vec<Verdict> = c.rows.iter().map(|r| r.verdict).collect();
    assert_eq!(
        verdicts,
        vec![Verdict::Faster, Verdict::WithinSpread, Verdict::Slower]
    );
    assert!(close(c.rows[0].speedup, 0.02 / 0.018));
    assert!(close(c.rows[2].speedup, 0.5));
    assert!(c.only_old.is_empty() && c.only_new.is_empty());
}

#[test]
fn compare_pairs_rows_across_machines() {
    let old = fixed_report();
    let mut new = fixed_report();
    new.machine = machine("Big CPU 9000", 16, vec![]);
    new.machine
        .adapters
        .push(with_timestamps(hardware_adapter()));
    for r in &mut new.results {
        r.device = "Big CPU 9000".into();
    }
    new.results[1].threads = Some(16);
    new.results[2].device = "NVIDIA H100 80GB HBM3".into();
    new.results[2].software = false;
    // A row only the new report has.
    new.results.push(row(
        "stream",
        "serial",
        Some(1),
        "1MiB",
        1048576.0,
        (0.001, 0.001, 0.001, 0.0),
    ));
    let c = compare(&old, &new);
    let labels: Vec<(String, String)> = c
        .rows
        .iter()
        .map(|r| (r.old_label.clone(), r.new_label.clone()))
        .collect();
    assert_eq!(
        labels,
        vec![
            ("serial".into(), "serial".into()),
            ("rayon (2 threads)".into(), "rayon (16 threads)".into()),
            (
                "gpu (software: llvmpipe, Vulkan)".into(),
                "gpu (NVIDIA H100 80GB HBM3)".into()
            ),
        ]
    );
    assert_eq!(c.only_new, vec!["stream 1MiB on serial".to_string()]);
    assert!(c.only_old.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Sweep

fn points(data: &[(f64, f64, f64)]) -> Vec<PairPoint> {
    data.iter()
        .map(|&(size_value, challenger, baseline)| PairPoint {
            size: format!("{size_value}"),
            size_value,
            challenger,
            baseline,
        })
        .collect()
}

#[test]
fn crossover_detection() {
    // Slower, slower, faster, faster: from the third size.
    let p = points(&[
        (1.0, 2.0, 1.0),
        (10.0, 2.0, 1.5),
        (100.0, 2.0, 3.0),
        (1000.0, 2.0, 9.0),
    ]);
    assert_eq!(crossover_index(&p), ("at", Some(2)));
    // Faster throughout.
    let p = points(&[(1.0, 1.0, 2.0), (10.0, 1.0, 2.0)]);
    assert_eq!(crossover_index(&p), ("always", None));
    // Faster only in the middle: not faster at the largest size, so never.
    let p = points(&[(1.0, 2.0, 1.0), (10.0, 1.0, 2.0), (100.0, 2.0, 1.0)]);
    assert_eq!(crossover_index(&p), ("never", None));
    // Faster at the smallest, slower, then faster for good: the last crossing counts.
    let p = points(&[
        (1.0, 1.0, 2.0),
        (10.0, 2.0, 1.0),
        (100.0, 1.0, 2.0),
        (1000.0, 1.0, 2.0),
    ]);
    assert_eq!(crossover_index(&p), ("at", Some(2)));
    // Order of work, not of input.
    let p = points(&[
        (1000.0, 1.0, 2.0),
        (1.0, 2.0, 1.0),
        (100.0, 1.0, 2.0),
        (10.0, 2.0, 1.0),
    ]);
    assert_eq!(crossover_index(&p), ("at", Some(2)));
    // Equal times are not faster.
    let p = points(&[(1.0, 1.0, 1.0), (10.0, 1.0, 1.0)]);
    assert_eq!(crossover_index(&p), ("never", None));
}

/// Life at three sizes: rayon overtakes serial at the second, the GPU overtakes rayon at the
/// third.
fn sweep_report() -> Report {
    let mut r = fixed_report();
    r.results.clear();
    let sizes = [
        ("64x64:100", 409600.0),
        ("512x512:20", 5242880.0),
        ("4096x4096:5", 83886080.0),
    ];
    let times = [
        [0.001, 0.002, 0.01],
        [0.02, 0.0125, 0.02],
        [0.3, 0.16, 0.05],
    ];
    for ((size, work), [s, ry, g]) in sizes.iter().zip(times) {
        r.results
            .push(row("life", "serial", Some(1), size, *work, (s, s, s, 0.0)));
        r.results.push(row(
            "life",
            "rayon",
            Some(2),
            size,
            *work,
            (ry, ry, ry, 0.0),
        ));
        r.results
            .push(row("life", "gpu", None, size, *work, (g, g, g, 0.0)));
    }
    fill_comparisons(&mut r);
    r
}

#[test]
fn crossovers_of_a_sweep() {
    let c = crossovers(&sweep_report());
    assert_eq!(c.len(), 2);
    assert_eq!(
        (
            c[0].challenger.as_str(),
            c[0].baseline.as_str(),
            c[0].status.as_str()
        ),
        ("rayon (2 threads)", "serial", "at")
    );
    assert_eq!(c[0].from_size.as_deref(), Some("512x512:20"));
    assert_eq!(c[0].below_size.as_deref(), Some("64x64:100"));
    assert_eq!(c[0].from_size_value, Some(512.0 * 512.0));
    assert_eq!(c[1].challenger, "gpu (software: llvmpipe, Vulkan)");
    assert_eq!(c[1].baseline, "rayon (2 threads)");
    assert_eq!(c[1].from_size.as_deref(), Some("4096x4096:5"));
    assert_eq!(c[1].below_size.as_deref(), Some("512x512:20"));
    let mut r = sweep_report();
    r.crossovers = c;
    let text = table::to_table(&r);
    assert!(
        text.lines()
            .any(|l| l.starts_with("life      rayon (2 threads)")
                && l.contains("serial")
                && l.ends_with("between 64x64:100 and 512x512:20")),
        "{text}"
    );
}

#[test]
fn chart_has_a_line_per_backend_and_decade_ticks() {
    let svg = chart_svg(&sweep_report());
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.ends_with("</svg>\n"));
    assert_eq!(svg.matches("<polyline").count(), 3, "serial, rayon, gpu");
    assert_eq!(svg.matches("<circle").count(), 9, "a marker per point");
    // Sizes span 4096..16777216 cells: decades 10^3..10^8 on x.
    let x_tick =
        |k: i32| format!("text-anchor=\"middle\">10<tspan dy=\"-6\" font-size=\"9\">{k}</tspan>");
    for k in 3..=8 {
        assert!(svg.contains(&x_tick(k)), "x tick 10^{k}");
    }
    assert!(!svg.contains(&x_tick(2)) && !svg.contains(&x_tick(9)));
    assert!(svg.contains("problem size (cells)"));
    assert!(svg.contains("gpu (software: llvmpipe, Vulkan) (CPU timings, not a GPU)"));
    assert_eq!(
        svg.matches("stroke-dasharray").count(),
        2,
        "the software line and its legend"
    );
    // Each polyline has three points.
    for line in svg.lines().filter(|l| l.starts_with("<polyline")) {
        let pts = line
            .split("points=\"")
            .nth(1)
            .unwrap()
            .trim_end_matches("\"/>");
        assert_eq!(pts.split(' ').count(), 3, "{line}");
    }
}

// ---------------------------------------------------------------------------------------------
// A real run through the trait

#[test]
fn bench_runs_life_through_the_trait() {
    let life = speedup::workloads::by_name("life").unwrap();
    let sizes = PlannedSize::parse_all(life.as_ref(), &["64x32:3".into()]).unwrap();
    let plan = Plan {
        workloads: vec![(life, sizes)],
        backends: vec![Backend::Serial, Backend::Rayon { threads: 2 }],
        config: MeasureConfig {
            warmup_runs: 1,
            min_time_seconds: 0.0,
            min_runs: 3,
            max_runs: 3,
            max_time_seconds: 1.0,
            max_noise: None,
            interleave: false,
        },
        default_rayon_threads: 2,
        fill_devices: false,
        crossovers: false,
        timing: Timing::EndToEnd,
    };
    assert_eq!(plan.rows(), 2);
    let report = bench::run(&plan, vec![], &mut Silent).unwrap();
    assert_eq!(report.results.len(), 2);
    for r in &report.results {
        assert_eq!(r.runs, 3);
        assert_eq!(r.work, 64.0 * 32.0 * 3.0);
        assert_eq!((r.size_value, r.size_unit.as_str()), (64.0 * 32.0, "cells"));
        assert_eq!(r.throughput_unit, "cell-updates/s");
        assert!(r.min_seconds <= r.median_seconds && r.median_seconds <= r.max_seconds);
        assert!(close(r.throughput, r.work / r.median_seconds));
    }
    assert_eq!(report.results[0].speedup_vs_serial, Some(1.0));
    assert_eq!(report.results[1].threads, Some(2));
    assert!(report.results[1].efficiency.is_some());
}

/// Rows of one named problem at different sizes (the device-filling default sizes): the GPU row
/// did 150× the work of the CPU rows, so its speedups are throughput ratios, marked as such.
#[test]
fn rows_of_one_problem_at_different_sizes_compare_by_throughput() {
    let mut report = fixed_report();
    let samples = |m: f64| vec![m * 0.99, m, m * 1.01, m * 0.995, m * 1.005, m, m * 1.002];
    for r in &mut report.results {
        r.problem = Some("512x512 torus".into());
        r.samples_seconds = samples(r.median_seconds);
    }
    let gpu = &mut report.results[2];
    gpu.size = "512x512:3000".into();
    gpu.work *= 150.0;
    gpu.median_seconds = 0.06;
    gpu.throughput = gpu.work / gpu.median_seconds;
    gpu.samples_seconds = samples(0.06);
    fill_comparisons(&mut report);
    let [serial, rayon, gpu] = &report.results[..] else {
        panic!("three rows")
    };
    // 150× the work in 3× the serial time: 50× the serial throughput.
    assert!(close(gpu.speedup_vs_serial.unwrap(), 50.0), "{gpu:?}");
    assert!(close(
        gpu.speedup_vs_serial.unwrap(),
        gpu.throughput / serial.throughput
    ));
    assert!(close(
        gpu.speedup_vs_rayon.unwrap(),
        gpu.throughput / rayon.throughput
    ));
    let [lo, hi] = gpu.speedup_vs_serial_ci.unwrap();
    assert!(lo <= 50.0 && 50.0 <= hi, "{lo} {hi}");
    assert!(
        (45.0..55.0).contains(&lo) && (45.0..55.0).contains(&hi),
        "{lo} {hi}"
    );
    assert!(gpu.compared_by_throughput);
    // The CPU rows ran the same size: plain time ratios, unmarked.
    assert!(!serial.compared_by_throughput && !rayon.compared_by_throughput);
    assert!(close(rayon.speedup_vs_serial.unwrap(), 0.02 / 0.0125));
    let table = Format::Table.render(&report);
    let gpu_line = table.lines().find(|l| l.contains("512x512:3000")).unwrap();
    assert!(
        gpu_line.contains("50.00× (") && gpu_line.contains(")‡"),
        "{table}"
    );
    let serial_line = table.lines().find(|l| l.contains("serial")).unwrap();
    assert!(!serial_line.contains('‡'), "{table}");
    assert!(table.contains("‡ throughput ratio"), "{table}");
    // The JSON says so, and reads back.
    let text = json::to_json(&report);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["results"][2]["compared_by_throughput"], true);
    assert_eq!(v["results"][2]["problem"], "512x512 torus");
    assert_eq!(json::from_json(&text, "test").unwrap(), report);
    // Without the shared problem, rows of different sizes are not compared at all.
    for r in &mut report.results {
        r.problem = None;
    }
    fill_comparisons(&mut report);
    assert_eq!(report.results[2].speedup_vs_serial, None);
    assert!(!report.results[2].compared_by_throughput);
}

/// A bad size is refused when the plan is made, before any row runs.
#[test]
fn bench_rejects_a_bad_size() {
    let life = speedup::workloads::by_name("life").unwrap();
    let sizes = ["64x32:3".to_string(), "banana".to_string()];
    let err = PlannedSize::parse_all(life.as_ref(), &sizes)
        .err()
        .expect("banana is not a size");
    assert!(err.to_string().contains("banana"), "{err}");
}

/// `--sweep`'s crossovers come out of the harness itself: asked for, the report has one per
/// backend pair (rayon against serial here) over the sizes run; not asked for, none.
#[test]
fn bench_finds_crossovers_when_the_plan_asks() {
    let plan = |crossovers| {
        let life = speedup::workloads::by_name("life").unwrap();
        let sizes =
            PlannedSize::parse_all(life.as_ref(), &["32x32:1".into(), "64x64:1".into()]).unwrap();
        Plan {
            workloads: vec![(life, sizes)],
            backends: vec![Backend::Serial, Backend::Rayon { threads: 2 }],
            config: MeasureConfig {
                warmup_runs: 0,
                min_time_seconds: 0.0,
                min_runs: 1,
                max_runs: 1,
                max_time_seconds: 1.0,
                max_noise: None,
                interleave: false,
            },
            default_rayon_threads: 2,
            fill_devices: false,
            crossovers,
            timing: Timing::EndToEnd,
        }
    };
    let swept = bench::run(&plan(true), vec![], &mut Silent).unwrap();
    assert_eq!(swept.crossovers, crossovers(&swept));
    assert_eq!(swept.crossovers.len(), 1, "{:?}", swept.crossovers);
    let c = &swept.crossovers[0];
    assert_eq!(
        (
            c.workload.as_str(),
            c.challenger.as_str(),
            c.baseline.as_str()
        ),
        ("life", "rayon (2 threads)", "serial")
    );
    let plain = bench::run(&plan(false), vec![], &mut Silent).unwrap();
    assert!(plain.crossovers.is_empty(), "{:?}", plain.crossovers);
}

#[test]
fn memory_bound_rows_are_stated_against_stream_on_the_same_backend() {
    use speedup::harness::report::bandwidth_rows;
    let mut report = fixed_report();
    // life serial: 512*512*20 updates in 0.02 s = 2.62e8 updates/s = 6.55e7 B/s at 0.25 B each.
    report.results.push(row(
        "stream",
        "serial",
        Some(1),
        "2^20:10",
        1.31072e8,
        (1.0, 1.0, 1.0, 0.0),
    ));
    let rows = bandwidth_rows(&report, |name| match name {
        "life" => Some(0.25),
        "stream" => Some(1.0),
        _ => None,
    });
    // Only serial has a stream row: rayon and gpu life rows get none.
    assert_eq!(rows.len(), 1, "{rows:?}");
    let b = &rows[0];
    assert_eq!(
        (b.workload.as_str(), b.backend.as_str()),
        ("life", "serial")
    );
    assert!((b.bytes_per_second - 512.0 * 512.0 * 20.0 / 0.02 * 0.25).abs() < 1.0);
    assert!((b.stream_bytes_per_second - 1.31072e8).abs() < 1.0);
    assert!((b.fraction - 0.5).abs() < 1e-9, "{}", b.fraction);
}

#[test]
fn the_machine_in_full() {
    use speedup::harness::system::{caches, SystemInfo};
    let s = SystemInfo::collect();
    if cfg!(target_os = "linux") {
        assert!(s.memory_bytes.is_some_and(|m| m > 1 << 20), "{s:?}");
        assert!(s.kernel.is_some() && s.physical_cores.is_some(), "{s:?}");
    }
    // Built from this git checkout: the revision is known.
    if std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.git")).exists() {
        assert!(
            s.git_revision.as_ref().is_some_and(|r| r.len() >= 12),
            "{s:?}"
        );
    }
    // A fake sysfs cache directory, read as Linux lays it out.
    let dir = std::env::temp_dir().join(format!("speedup-caches-{}", std::process::id()));
    for (i, level, kind, size) in [
        (0, "1", "Data", "48K"),
        (1, "1", "Instruction", "32K"),
        (2, "2", "Unified", "2048K"),
    ] {
        let d = dir.join(format!("index{i}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("level"), format!("{level}\n")).unwrap();
        std::fs::write(d.join("type"), format!("{kind}\n")).unwrap();
        std::fs::write(d.join("size"), format!("{size}\n")).unwrap();
    }
    let found = caches(dir.to_str().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found, vec!["L1d 48 KiB", "L1i 32 KiB", "L2 2048 KiB"]);
    assert!(caches("/nonexistent").is_empty());
}

#[test]
fn benchmark_action_export_is_custom_bigger_is_better() {
    let text = Format::BenchmarkAction.render(&fixed_report());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entries = v.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[1]["name"], "life 512x512:20 on rayon (2 threads)");
    assert_eq!(entries[1]["unit"], "cell-updates/s");
    assert!(close(
        entries[1]["value"].as_f64().unwrap(),
        5242880.0 / 0.0125
    ));
    assert_eq!(entries[1]["range"], "±4.0%");
    assert_eq!(entries[2]["range"], "±18.8%!");
    assert!(entries[2]["extra"]
        .as_str()
        .unwrap()
        .contains("software adapter"));
    // Exactly the five fields the action reads.
    let keys: Vec<&String> = entries[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["extra", "name", "range", "unit", "value"]);
}
