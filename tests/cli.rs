//! The `speedup` binary end to end: `bench --quick` on a tiny Life size in every format, the
//! report file, strong scaling, the sweep chart, `verify`, `compare`, and one-line errors.

use std::path::PathBuf;
use std::process::{Command, Output};

fn speedup(args: &[&str]) -> Output {
    speedup_with(args, &[])
}

/// `speedup args` with the environment variables `env` set (and SPEEDUP_CPU unset unless
/// `env` sets it: a level forced on the test run would change what the tests check).
fn speedup_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_speedup"))
        .args(args)
        // Mesa's GL driver complains on stderr without it.
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .env_remove("SPEEDUP_CPU")
        .envs(env.iter().copied())
        .output()
        .expect("run the speedup binary")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(args: &[&str]) -> String {
    let o = speedup(args);
    assert!(
        o.status.success(),
        "speedup {args:?} failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("speedup-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn gpu_required() -> bool {
    std::env::var("SPEEDUP_REQUIRE_GPU").is_ok_and(|v| v == "1")
}

/// The tiny quick bench every format test runs.
const QUICK: &[&str] = &[
    "bench",
    "--quick",
    "--workloads",
    "life",
    "--sizes",
    "64x64:2",
];

fn quick(extra: &[&str]) -> String {
    let args: Vec<&str> = QUICK.iter().chain(extra).copied().collect();
    ok(&args)
}

#[test]
fn bench_json_has_the_documented_fields() {
    let text = quick(&["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&text).expect("stdout is JSON");
    assert_eq!(
        v["format_version"],
        speedup::harness::report::FORMAT_VERSION
    );
    let m = &v["machine"];
    for key in [
        "cpu",
        "os",
        "wgpu_version",
        "build_profile",
        "date",
        "speedup_version",
    ] {
        assert!(
            m[key].as_str().is_some_and(|s| !s.is_empty()),
            "machine.{key}: {m}"
        );
    }
    assert!(m["logical_cores"].as_u64().unwrap() >= 1);
    assert!(m["rayon_threads"].as_u64().unwrap() >= 1);
    let features = m["cpu_features"].as_array().expect("machine.cpu_features");
    #[cfg(target_arch = "x86_64")]
    assert!(features.iter().any(|f| f == "sse2"), "{features:?}");
    #[cfg(target_arch = "aarch64")]
    assert!(features.iter().any(|f| f == "neon"), "{features:?}");
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let _ = features;
    let results = v["results"].as_array().unwrap();
    let backends: Vec<&str> = results
        .iter()
        .map(|r| r["backend"].as_str().unwrap())
        .collect();
    assert_eq!(&backends[..2], &["serial", "rayon"]);
    if gpu_required() {
        assert_eq!(
            backends.get(2),
            Some(&"gpu"),
            "SPEEDUP_REQUIRE_GPU=1 but no gpu row"
        );
    }
    for r in results {
        for key in [
            "workload",
            "backend",
            "device",
            "size",
            "runs",
            "median_seconds",
            "min_seconds",
            "max_seconds",
            "throughput",
            "throughput_unit",
            "speedup_vs_serial",
            "speedup_vs_rayon",
            "samples_seconds",
            "median_ci_seconds",
        ] {
            assert!(r.get(key).is_some(), "result lacks {key}: {r}");
        }
        assert_eq!(r["workload"], "life");
        assert_eq!(r["size"], "64x64:2");
        assert_eq!(r["throughput_unit"], "cell-updates/s");
        assert_eq!(r["work"].as_f64(), Some(64.0 * 64.0 * 2.0));
        assert!(
            r["runs"].as_u64().unwrap() >= 3,
            "--quick times at least 3 runs: {r}"
        );
        assert_eq!(
            r["samples_seconds"].as_array().map(Vec::len),
            r["runs"].as_u64().map(|n| n as usize),
            "one sample per timed run: {r}"
        );
        let (min, med, max) = (
            r["min_seconds"].as_f64().unwrap(),
            r["median_seconds"].as_f64().unwrap(),
            r["max_seconds"].as_f64().unwrap(),
        );
        assert!(0.0 < min && min <= med && med <= max, "{r}");
        let expected = r["work"].as_f64().unwrap() / med;
        assert!((r["throughput"].as_f64().unwrap() / expected - 1.0).abs() < 1e-9);
        assert!(r["speedup_vs_serial"].as_f64().is_some());
        if r["backend"] == "gpu" {
            // The adapter is described in `machine`, and a software one is flagged on both.
            let index = r["adapter"].as_u64().unwrap();
            let adapter = m["adapters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["index"].as_u64() == Some(index))
                .expect("row's adapter listed in machine");
            assert_eq!(r["software"], adapter["software"]);
            assert_eq!(r["device"], adapter["name"]);
            if adapter["timestamp_queries"] == true {
                // Wall time is taken after waiting for the device, so it covers the device
                // time; timing only the submission would come out shorter.
                let device = r["device_seconds"].as_f64().expect("device time");
                assert!(med >= device, "wall {med} s < device {device} s: {r}");
            } else {
                assert!(r["note"].as_str().unwrap().contains("timestamp"));
            }
        } else {
            assert_eq!(r["software"], false);
            // Life's row loop runs at AVX-512, AVX2 or the baseline.
            let isa: speedup::isa::Isa = r["cpu_isa"].as_str().expect("cpu_isa").parse().unwrap();
            assert_eq!(
                isa,
                speedup::life::cpu::life_level(speedup::isa::Isa::widest())
            );
        }
    }
}

#[test]
fn speedup_cpu_forces_a_level_or_is_refused_before_any_work() {
    let args = [
        "bench",
        "--quick",
        "--workloads",
        "mandelbrot,nbody",
        "--sizes",
        "mandelbrot=33x17:50,nbody=65:1",
        "--backends",
        "serial,rayon",
        "--format",
        "json",
    ];
    let isas = |env: &[(&str, &str)]| -> Vec<String> {
        let o = speedup_with(&args, env);
        assert!(o.status.success(), "{env:?}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let rows = v["results"].as_array().unwrap();
        rows.iter()
            .map(|r| r["cpu_isa"].as_str().unwrap().to_string())
            .collect()
    };
    // Unforced: each kernel's first preference this CPU has (the widest here).
    let widest = speedup::isa::Isa::widest().to_string();
    assert_eq!(isas(&[]), [widest.as_str(); 4]);
    for &level in speedup::isa::Isa::detected() {
        let name = level.to_string();
        assert_eq!(isas(&[("SPEEDUP_CPU", &name)]), [name.as_str(); 4]);
    }
    // The table shows the level next to the backend.
    let table = stdout(&speedup_with(
        &args[..args.len() - 2],
        &[("SPEEDUP_CPU", "scalar")],
    ));
    assert!(table.contains("serial [scalar]"), "{table}");
    for (value, said) in [
        ("avx3", "SPEEDUP_CPU=avx3: unknown instruction-set level"),
        (
            if cfg!(target_arch = "x86_64") {
                "neon"
            } else {
                "avx2"
            },
            "this CPU cannot run",
        ),
    ] {
        let o = speedup_with(&args, &[("SPEEDUP_CPU", value)]);
        failed_with_one_line(&o, &args, said);
        assert_eq!(o.status.code(), Some(2), "a usage error");
        assert!(stdout(&o).is_empty(), "refused before any work");
    }
}

#[test]
fn bench_csv_has_the_header_and_one_line_per_row() {
    let text = quick(&["--format", "csv", "--backends", "serial,rayon"]);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        speedup::harness::export::csv::COLUMNS.join(",")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows[0].contains(",life,serial,"), "{}", rows[0]);
    assert!(rows[1].contains(",life,rayon,"), "{}", rows[1]);
    // Each CPU row says the level its kernel ran at, as the JSON does.
    let isa = csv_column("cpu_isa");
    for row in &rows {
        let level = row.split(',').nth(isa).unwrap();
        assert!(
            speedup::isa::Isa::ALL.iter().any(|l| l.name() == level),
            "cpu_isa {level:?} in {row}"
        );
    }
}

/// The index of CSV column `name`.
fn csv_column(name: &str) -> usize {
    let columns = speedup::harness::export::csv::COLUMNS;
    columns.iter().position(|c| *c == name).unwrap()
}

#[test]
fn bench_sizes_after_a_name_belong_to_it() {
    let text = ok(&[
        "bench",
        "--quick",
        "--workloads",
        "life",
        "--backends",
        "serial",
        "--format",
        "csv",
        "--sizes",
        "life=32x32:1,48x16:2",
    ]);
    let sizes: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(csv_column("size")).unwrap())
        .collect();
    assert_eq!(sizes, vec!["32x32:1", "48x16:2"], "{text}");
}

#[test]
fn bench_markdown_and_table_start_with_the_machine() {
    let md = quick(&["--format", "markdown", "--backends", "serial"]);
    assert!(md.starts_with("# speedup bench\n\n- **cpu**: "), "{md}");
    assert!(md.contains("| workload | size | backend |"), "{md}");
    assert!(md.contains("| life | 64x64:2 | serial |"), "{md}");
    let table = quick(&["--backends", "serial,rayon"]);
    assert!(table.starts_with("speedup bench\n\ncpu: "), "{table}");
    assert!(table.contains("wgpu 30.0.1"), "{table}");
    let row = table
        .lines()
        .find(|l| l.starts_with("life") && l.contains("serial"))
        .unwrap_or_else(|| panic!("no serial row:\n{table}"));
    assert!(
        row.contains("cell-updates/s") && row.contains("1.00×"),
        "{row}"
    );
}

#[test]
fn bench_labels_software_adapters() {
    let args: Vec<&str> = QUICK
        .iter()
        .chain(&["--backends", "serial,gpu"])
        .copied()
        .collect();
    let o = speedup(&args);
    if !o.status.success() && !gpu_required() {
        eprintln!("skipping: no GPU adapter ({})", stderr(&o).trim());
        return;
    }
    let table = stdout(&o);
    let row = table
        .lines()
        .find(|l| l.starts_with("life") && l.contains("gpu ("))
        .unwrap_or_else(|| panic!("no gpu row:\n{table}\n{}", stderr(&o)));
    let json = quick(&["--backends", "gpu", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    if v["results"][0]["software"] == true {
        assert!(row.contains("gpu (software: "), "{row}");
        assert!(table.contains("not GPU figures"), "{table}");
    } else {
        assert!(!row.contains("software"), "{row}");
    }
}

/// `bench` without --sizes sizes the work to the adapter: a software one (lavapipe here) keeps
/// each workload's own default size; a hardware GPU gets the device-filling size of
/// `harness::sizing`, with the problem it shares with the CPU rows named.
#[test]
fn bench_default_sizes_follow_the_adapter() {
    let args = [
        "bench",
        "--workloads",
        "life,stream",
        "--backends",
        "gpu",
        "--format",
        "json",
        "--warmup",
        "0",
        "--min-runs",
        "1",
        "--max-runs",
        "1",
        "--min-time",
        "0",
        "--max-noise",
        "off",
    ];
    let o = speedup(&args);
    if !o.status.success() && !gpu_required() {
        eprintln!("skipping: no GPU adapter ({})", stderr(&o).trim());
        return;
    }
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{v}");
    let hardware_note = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("hardware GPU"));
    for r in results {
        let name = r["workload"].as_str().unwrap();
        let w = speedup::workloads::by_name(name).unwrap();
        let size = r["size"].as_str().unwrap();
        if r["software"] == true {
            assert_eq!(size, w.default_sizes(false)[0], "{r}");
            assert!(r.get("problem").is_none(), "{r}");
            assert!(!hardware_note, "{v}");
        } else {
            let d = w.device_size().unwrap();
            let device_type = v["machine"]["adapters"][0]["summary"]["device_type"].clone();
            if speedup::harness::sizing::fills_device(device_type.as_str().unwrap_or("")) {
                assert_eq!(size, d.gpu, "{r}");
                assert_eq!(r["problem"], d.problem, "{r}");
            }
        }
    }
}

#[test]
fn bench_output_file_and_strong_scaling() {
    let dir = scratch("output");
    let file = dir.join("r.json");
    let table = quick(&[
        "--backends",
        "serial",
        "--threads",
        "2",
        "--format",
        "json",
        "--output",
        file.to_str().unwrap(),
    ]);
    // The table for people on stdout, the JSON in the file.
    assert!(table.starts_with("speedup bench"), "{table}");
    assert!(table.contains("strong scaling (rayon)"), "{table}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let threads: Vec<u64> = v["scaling"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["threads"].as_u64().unwrap())
        .collect();
    assert_eq!(threads, vec![1, 2], "1 is added to --threads 2");
    assert_eq!(v["scaling"][0]["speedup"], 1.0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bench_sweep_draws_a_chart_and_finds_crossovers() {
    let dir = scratch("sweep");
    let chart = dir.join("sweep.svg");
    let text = ok(&[
        "bench",
        "--quick",
        "--sweep",
        "--workloads",
        "life",
        "--sizes",
        "32x32:1,256x256:4",
        "--backends",
        "serial,rayon",
        "--format",
        "json",
        "--chart",
        chart.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let c = &v["crossovers"][0];
    assert_eq!(
        c["challenger"].as_str().unwrap(),
        format!("rayon ({} threads)", v["machine"]["rayon_threads"])
            .replace("(1 threads)", "(1 thread)")
    );
    assert_eq!(c["baseline"], "serial");
    assert!(["at", "always", "never"].contains(&c["status"].as_str().unwrap()));
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert_eq!(
        svg.matches("<polyline").count(),
        2,
        "serial and rayon lines"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn verify_passes_on_every_backend() {
    let text = ok(&["verify", "--workloads", "life"]);
    let checks: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("PASS") || l.starts_with("FAIL"))
        .collect();
    assert!(checks.len() >= 2, "{text}");
    assert!(checks.iter().all(|l| l.starts_with("PASS life ")), "{text}");
    assert!(checks[0].starts_with("PASS life serial: "), "{text}");
    if gpu_required() {
        assert!(checks.iter().any(|l| l.contains(" gpu (")), "{text}");
    }
    assert!(
        text.ends_with(&format!("all {} checks passed\n", checks.len())),
        "{text}"
    );
}

/// `--backends all` is the default set of `verify`, named: the same checks, in the same order.
#[test]
fn backends_all_is_serial_rayon_and_every_adapter() {
    let checks = |args: &[&str]| -> Vec<String> {
        let text = ok(args);
        text.lines()
            .filter(|l| l.starts_with("PASS") || l.starts_with("SKIP"))
            .map(|l| l.split(" [").next().unwrap().to_string())
            .collect()
    };
    let named = checks(&[
        "verify",
        "--workloads",
        "stream",
        "--backends",
        "all,serial",
    ]);
    assert_eq!(named, checks(&["verify", "--workloads", "stream"]));
    assert!(named[0].starts_with("PASS stream serial: "), "{named:?}");
    assert!(named[1].starts_with("PASS stream rayon ("), "{named:?}");
    if gpu_required() {
        assert!(named[2].starts_with("PASS stream gpu ("), "{named:?}");
    }
}

#[test]
fn compare_two_reports() {
    let dir = scratch("compare");
    let (old, new) = (dir.join("old.json"), dir.join("new.json"));
    for path in [&old, &new] {
        quick(&[
            "--backends",
            "serial,rayon",
            "--format",
            "json",
            "--output",
            path.to_str().unwrap(),
        ]);
    }
    let text = ok(&["compare", old.to_str().unwrap(), new.to_str().unwrap()]);
    assert!(text.starts_with("speedup compare\n"), "{text}");
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("life ")).collect();
    assert_eq!(rows.len(), 2, "{text}");
    for r in rows {
        assert!(
            ["faster", "slower", "within spread", "no change"]
                .iter()
                .any(|v| r.contains(v)),
            "{r}"
        );
        // Both reports held their rows against their roofs: each ratio is explained.
        assert!(r.contains("hardware ×") && r.ends_with("code"), "{r}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Fails with exactly one line on stderr, starting "error:", mentioning `needle`.
fn one_line_error(args: &[&str], needle: &str) {
    failed_with_one_line(&speedup(args), args, needle);
}

/// Asserts that `o` (of `speedup args`) failed with one line on stderr, `error: ...` holding
/// `needle`.
fn failed_with_one_line(o: &Output, args: &[&str], needle: &str) {
    assert!(!o.status.success(), "speedup {args:?} should fail");
    let err = stderr(o);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.contains("XDG_RUNTIME_DIR"))
        .collect();
    assert_eq!(lines.len(), 1, "one line for {args:?}: {err}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains(needle),
        "{err}"
    );
}

#[test]
fn bad_arguments_give_one_line() {
    one_line_error(
        &["bench", "--workloads", "nosuch"],
        "unknown workload 'nosuch'",
    );
    one_line_error(
        &[
            "bench",
            "--quick",
            "--workloads",
            "life",
            "--sizes",
            "banana",
            "--backends",
            "serial",
        ],
        "banana",
    );
    one_line_error(&["bench", "--backends", "cuda"], "unknown backend 'cuda'");
    one_line_error(
        &["bench", "--threads", "0", "--backends", "serial"],
        "at least 1",
    );
    one_line_error(&["verify", "--workloads", "nosuch"], "unknown workload");
    one_line_error(
        &["compare", "/nonexistent/a.json", "/nonexistent/b.json"],
        "a.json",
    );
    // clap's own errors (an unknown format) still fail, starting with "error:".
    let o = speedup(&["bench", "--format", "xml"]);
    assert!(!o.status.success());
    assert!(stderr(&o).starts_with("error:"), "{}", stderr(&o));
}

/// Every size is parsed before the first row is measured: a typo in the last size fails at once
/// with one line naming it. The first size's rows are set to take ten minutes, so a bench that
/// measured them first could not finish within the minute this test waits.
#[test]
fn bench_refuses_a_bad_last_size_before_measuring() {
    let args = [
        "bench",
        "--workloads",
        "mandelbrot",
        "--sizes",
        "64x64,bogus",
        "--backends",
        "serial",
        "--min-time",
        "600",
        "--max-time",
        "600",
        "--min-runs",
        "1000000",
        "--max-runs",
        "1000000",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_speedup"))
        .args(args)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the speedup binary");
    let waited = std::time::Instant::now();
    while child.try_wait().expect("poll the bench").is_none() {
        if waited.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().expect("stop the bench");
            panic!("speedup {args:?} measured the first size before refusing the last");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let o = child
        .wait_with_output()
        .expect("collect the bench's output");
    assert_eq!(stdout(&o), "", "no report, no row");
    failed_with_one_line(&o, &args, "'bogus'");
}

#[test]
fn compare_rejects_a_file_that_is_not_a_report() {
    let dir = scratch("notreport");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"results\": 3}\n").unwrap();
    one_line_error(
        &["compare", bad.to_str().unwrap(), bad.to_str().unwrap()],
        "not a speedup bench report",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bench_noise_target_and_interleave_are_recorded() {
    let text = quick(&[
        "--format",
        "json",
        "--interleave",
        "--max-noise",
        "50%",
        "--min-runs",
        "6",
    ]);
    let v: serde_json::Value = serde_json::from_str(&text).expect("stdout is JSON");
    assert_eq!(v["settings"]["max_noise"], 0.5);
    assert_eq!(v["settings"]["interleave"], true);
    for r in v["results"].as_array().unwrap() {
        assert!(r["runs"].as_u64().unwrap() >= 6, "{r}");
        let ci = r["median_ci_seconds"]
            .as_array()
            .expect("6 runs give an interval");
        let median = r["median_seconds"].as_f64().unwrap();
        assert!(ci[0].as_f64().unwrap() <= median && median <= ci[1].as_f64().unwrap());
    }
    let off = quick(&["--format", "json", "--max-noise", "off"]);
    let v: serde_json::Value = serde_json::from_str(&off).unwrap();
    assert!(v["settings"]["max_noise"].is_null());
    let out = speedup(&["bench", "--quick", "--max-noise", "lots"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a percentage"));
}
