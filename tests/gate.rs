//! `speedup compare --threshold`: the regression gate's exit codes and messages through the real
//! binary, on reports of every format_version (the committed format-1 reports in
//! tests/data/reports/ and format-2 reports with samples made from them).

use speedup::harness::export::json::{from_json, to_json};
use speedup::harness::report::fill_comparisons;
use speedup::harness::Report;
use std::path::PathBuf;
use std::process::{Command, Output};

fn speedup(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_speedup"))
        .args(args)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .expect("the speedup binary runs")
}

fn data(name: &str) -> String {
    format!("{}/tests/data/reports/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A directory of its own, removed again even when the test fails.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("speedup-gate-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn write(&self, name: &str, report: &Report) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, to_json(report)).unwrap();
        path.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn v1() -> Report {
    let path = data("v1-epyc-lavapipe.json");
    from_json(&std::fs::read_to_string(&path).unwrap(), &path).unwrap()
}

/// The format-1 report as format 2: every row gets 12 samples spread ±`spread` around its median
/// scaled by `scale` (row `only` alone when given).
fn with_samples(scale: f64, spread: f64, only: Option<usize>) -> Report {
    let mut r = v1();
    r.format_version = speedup::harness::report::FORMAT_VERSION;
    for (i, row) in r.results.iter_mut().enumerate() {
        let s = if only.is_none_or(|o| o == i) {
            scale
        } else {
            1.0
        };
        let m = row.median_seconds * s;
        row.samples_seconds = (0..12)
            .map(|k| m * (1.0 + spread * ((k as f64 - 5.5) / 5.5)))
            .collect();
        row.median_seconds = m;
        row.min_seconds = m * (1.0 - spread);
        row.max_seconds = m * (1.0 + spread);
    }
    fill_comparisons(&mut r);
    r
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

#[test]
fn an_unchanged_report_passes_the_gate() {
    let f = data("v1-epyc-lavapipe.json");
    let out = speedup(&["compare", &f, &f, "--threshold", "5%"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no row is slower by more than 5%"));
}

#[test]
fn a_clear_slowdown_beyond_the_threshold_fails_the_gate_and_names_the_row() {
    let dir = TempDir::new("slow");
    let old = dir.write("old.json", &with_samples(1.0, 0.01, None));
    // Row 3 (life-tiled serial) 10% slower with ±1% noise: beyond 5% with confidence.
    let new = dir.write("new.json", &with_samples(1.10, 0.01, Some(3)));
    let out = speedup(&["compare", &old, &new, "--threshold", "5%"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 2, "{stderr}");
    assert!(
        stderr.contains(
            "regression: 1 row(s) slower by more than 5%: life-tiled 4096x4096:100 on serial"
        ),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("slower REGRESSION"));
    // The same change under a 20% threshold passes.
    let out = speedup(&["compare", &old, &new, "--threshold", "20%"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    // Without a threshold compare only reports.
    assert_eq!(code(&speedup(&["compare", &old, &new])), 0);
}

#[test]
fn a_slowdown_within_the_threshold_or_the_noise_passes() {
    let dir = TempDir::new("small");
    let old = dir.write("old.json", &with_samples(1.0, 0.01, None));
    // 3% slower: real, but within a 5% threshold.
    let new = dir.write("new.json", &with_samples(1.03, 0.01, None));
    let out = speedup(&["compare", &old, &new, "--threshold", "5%"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    // 8% slower but with ±30% noise: not beyond 5% with confidence.
    let noisy_old = dir.write("noisy-old.json", &with_samples(1.0, 0.3, None));
    let noisy_new = dir.write("noisy-new.json", &with_samples(1.08, 0.3, None));
    let out = speedup(&["compare", &noisy_old, &noisy_new, "--threshold", "5%"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn json_output_lists_rows_intervals_and_regressions() {
    let dir = TempDir::new("json");
    let old = dir.write("old.json", &with_samples(1.0, 0.01, None));
    let new = dir.write("new.json", &with_samples(1.10, 0.01, Some(0)));
    let out = speedup(&[
        "compare",
        &old,
        &new,
        "--threshold",
        "0.05",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 2);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["threshold"], 0.05);
    assert_eq!(v["rows"].as_array().unwrap().len(), 24);
    assert_eq!(v["rows"][0]["verdict"], "slower");
    let ci = v["rows"][0]["speedup_ci"].as_array().unwrap();
    assert!(ci[1].as_f64().unwrap() < 1.0 / 1.05, "{ci:?}");
    assert_eq!(v["rows"][1]["verdict"], "within_spread");
    assert_eq!(
        v["regressions"],
        serde_json::json!(["life 4096x4096:100 on serial"])
    );
}

#[test]
fn format_1_reports_from_two_machines_compare_by_their_spread() {
    // The committed reports predate samples: the gate falls back to each median lying outside
    // the other's min..max. The Xeon sweep shares no row with the EPYC suite run.
    let (a, b) = (
        data("v1-epyc-lavapipe.json"),
        data("v1-xeon-life-sweep.json"),
    );
    let out = speedup(&["compare", &a, &b, "--threshold", "5%"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("only in old: life 4096x4096:100 on serial"),
        "{text}"
    );
}

#[test]
fn bad_input_is_one_line_naming_the_file() {
    let dir = TempDir::new("bad");
    let bad = dir.0.join("bad.json");
    std::fs::write(&bad, "{\"format_version\": 1, \"machine\": 3}").unwrap();
    let f = data("v1-epyc-lavapipe.json");
    let out = speedup(&["compare", &f, bad.to_str().unwrap(), "--threshold", "5%"]);
    assert_eq!(code(&out), 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.json") && stderr.lines().count() == 1,
        "{stderr}"
    );
    let newer = {
        let mut r = v1();
        r.format_version = 99;
        dir.write("newer.json", &r)
    };
    let out = speedup(&["compare", &f, &newer]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("format_version 99"), "{stderr}");
    let out = speedup(&["compare", &f, &f, "--threshold", "five"]);
    assert_ne!(code(&out), 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a percentage"));
}

#[test]
fn report_reads_every_format_version_side_by_side() {
    let dir = TempDir::new("report");
    let v2 = dir.write("fresh.json", &with_samples(1.0, 0.01, None));
    let v1 = data("v1-xeon-life-sweep.json");
    let out = speedup(&["report", &v1, &v2, "--format", "markdown"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("v1-xeon-life-sweep (format 1, 27 rows)"),
        "{text}"
    );
    let fresh = format!(
        "fresh (format {}, 24 rows)",
        speedup::harness::report::FORMAT_VERSION
    );
    assert!(text.contains(&fresh), "{text}");
    // Format 2 rows show their interval, format 1 rows a dash; the sweep's crossovers are listed.
    assert!(
        text.contains("| 4096x4096:100 | fresh | serial |"),
        "{text}"
    );
    assert!(text.contains("crossovers (as the problem grows)"), "{text}");
    let missing = speedup(&["report", "/nonexistent/x.json"]);
    assert_eq!(code(&missing), 1);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/x.json"));
}
