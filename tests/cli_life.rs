//! `speedup life run` and `speedup life batch` end to end: the binary, its files and its output.

use speedup::life::formats::read_pattern;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn speedup() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_speedup"));
    // Mesa's GL driver complains on stderr without it.
    c.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    c
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_ok(args: &[&str]) -> Output {
    let out = speedup().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "speedup {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn run_json_summary_is_one_object() {
    let out = run_ok(&[
        "life",
        "run",
        s(&data("acorn_105.lif")),
        "--size",
        "64x48",
        "-g",
        "25",
        "-b",
        "serial",
        "--json",
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for key in [
        "backend",
        "device",
        "width",
        "height",
        "rule",
        "topology",
        "generations",
        "population",
        "elapsed_seconds",
        "cell_updates_per_second",
        "hash",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {stdout}");
    }
    assert_eq!(v["width"], 64);
    assert_eq!(v["height"], 48);
    assert_eq!(v["generations"], 25);
    assert_eq!(v["rule"], "B3/S23");
    assert_eq!(v["backend"], "serial");
    // The hash is the library's for the same run.
    let start =
        speedup::life::formats::centre(read_pattern(&data("acorn_106.lif")).unwrap().grid, 64, 48)
            .unwrap();
    let end = speedup::life::run(
        &speedup::backend::Backend::Serial,
        start,
        speedup::life::Rule::CONWAY,
        speedup::life::Topology::Torus,
        25,
    )
    .unwrap();
    assert_eq!(v["hash"], end.hash_hex());
    assert_eq!(v["population"], end.population());
}

#[test]
fn a_soup_is_the_same_grid_whatever_threads_draw_it() {
    // The serial backend draws its soup on one thread, Rayon on its pool's: the soup depends
    // only on (size, density, seed), so every backend starts from the library's grid.
    let want = speedup::life::Grid::random(1000, 700, 0.3, 5).unwrap();
    for backend in [
        &["serial"][..],
        &["rayon", "--threads", "1"],
        &["rayon", "--threads", "3"],
    ] {
        let mut args = vec!["life", "run", "--random", "1000x700", "--density", "0.3"];
        args.extend(["--seed", "5", "-g", "0", "--json", "-b"]);
        args.extend(backend);
        let out = run_ok(&args);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["hash"], want.hash_hex(), "{backend:?}");
        assert_eq!(v["population"], want.population(), "{backend:?}");
    }
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn png_output_with_scale_and_downscaling() {
    let dir = scratch("png");
    let out = dir.join("final.png");
    run_ok(&[
        "life",
        "run",
        "--random",
        "40x30",
        "-g",
        "3",
        "-b",
        "serial",
        "-o",
        s(&out),
        "--scale",
        "4",
    ]);
    assert_eq!(png_size(&std::fs::read(&out).unwrap()), (160, 120));
    // Too large for a sensible image: downscaled, and said so.
    let big = dir.join("big.png");
    let o = run_ok(&[
        "life",
        "run",
        "--random",
        "20000x4",
        "-g",
        "1",
        "-b",
        "serial",
        "-o",
        s(&big),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("downscaled"), "{stderr}");
    let (w, h) = png_size(&std::fs::read(&big).unwrap());
    // 20000 / 8192 rounds up to 3 cells per pixel.
    assert_eq!((w, h), (6667, 2));
}

#[test]
fn snapshots_stats_and_gif_every_k_generations() {
    let dir = scratch("snapshots");
    let snaps = dir.join("snaps");
    let stats = dir.join("stats.csv");
    let gif = dir.join("run.gif");
    run_ok(&[
        "life",
        "run",
        s(&data("glider_torus.rle")),
        "-g",
        "12",
        "--every",
        "4",
        "-b",
        "serial",
        "--snapshots",
        s(&snaps),
        "--stats",
        s(&stats),
        "--gif",
        s(&gif),
        "--quiet",
    ]);
    let mut names: Vec<String> = std::fs::read_dir(&snaps)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["gen-00.rle", "gen-04.rle", "gen-08.rle", "gen-12.rle"]
    );
    // A glider moves one cell diagonally every 4 generations; the block stays.
    let g0 = read_pattern(&snaps.join("gen-00.rle")).unwrap().grid;
    let g4 = read_pattern(&snaps.join("gen-04.rle")).unwrap().grid;
    assert_eq!((g0.population(), g4.population()), (9, 9));
    assert!(g4.get(3, 3) && !g0.get(3, 3));
    let csv = std::fs::read_to_string(&stats).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "generation,population,births,deaths");
    assert_eq!(rows[1], "0,9,,");
    // Each step of a glider gives birth to 2 cells and kills 2.
    assert_eq!(&rows[2..], ["4,9,2,2", "8,9,2,2", "12,9,2,2"]);
    let bytes = std::fs::read(&gif).unwrap();
    assert!(bytes.starts_with(b"GIF89a"), "not a GIF");
    let frames = bytes.windows(2).filter(|w| w == b"\x00\x2c").count();
    assert!(frames >= 4, "{frames} frames");
}

#[test]
fn batch_csv_from_a_job_file_and_shards_that_concatenate() {
    let dir = scratch("batch");
    let jobs = dir.join("jobs.txt");
    std::fs::copy(data("acorn_105.lif"), dir.join("acorn.lif")).unwrap();
    std::fs::write(
        &jobs,
        "acorn.lif size=32x32 generations=10\n\
         random=16x16 density=0.3 seed=1 generations=5\n\
         random=16x16 density=0.3 seed=2 generations=5 rule=B36/S23\n",
    )
    .unwrap();
    let full = dir.join("all.csv");
    run_ok(&[
        "life",
        "batch",
        s(&jobs),
        "-b",
        "serial",
        "-o",
        s(&full),
        "-q",
    ]);
    let all = std::fs::read_to_string(&full).unwrap();
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 4, "{all}");
    assert!(lines[0].starts_with("job,source,width,height"));
    assert!(
        lines[1].starts_with("0,acorn.lif,32,32,,,B3/S23,torus,10,"),
        "{all}"
    );
    assert!(
        lines[3].starts_with("2,random,16,16,0.3,2,B36/S23,torus,5,"),
        "{all}"
    );
    // Two shards to stdout: concatenated, they hold the same rows (times aside).
    let mut joined = String::new();
    for k in 0..2 {
        let o = run_ok(&[
            "life",
            "batch",
            s(&jobs),
            "-b",
            "rayon",
            "--shard",
            &format!("{k}/2"),
            "-q",
        ]);
        joined.push_str(&String::from_utf8(o.stdout).unwrap());
    }
    let strip_time = |csv: &str| -> Vec<String> {
        let mut rows: Vec<String> = csv
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                format!("{},{}", f[..11].join(","), f[12])
            })
            .collect();
        rows[1..].sort();
        rows
    };
    assert_eq!(strip_time(&joined), strip_time(&all));
    // A sweep.
    let o = run_ok(&[
        "life",
        "batch",
        "--random",
        "8x8",
        "--densities",
        "0.2,0.4",
        "--seeds",
        "1:3",
        "-g",
        "2",
        "-b",
        "serial",
    ]);
    assert_eq!(String::from_utf8(o.stdout).unwrap().lines().count(), 7);
}

#[test]
fn errors_are_one_line_with_position() {
    let dir = scratch("errors");
    let bad = dir.join("bad.rle");
    std::fs::write(&bad, "x = 3, y = 3, rule = B3/S23:K3,3\no!\n").unwrap();
    let out = speedup().args(["life", "run", s(&bad)]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("bad.rle:1:22:") && stderr.contains("Klein"),
        "{stderr}"
    );
    // A missing file: its path and the OS's message, once.
    let missing = dir.join("missing.lif");
    let out = speedup()
        .args(["life", "run", s(&missing)])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("missing.lif: "), "{stderr}");
    assert_eq!(stderr.matches("os error").count(), 1, "{stderr}");
    let out = speedup()
        .args(["life", "run", "--random", "4000000000x4000000000"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        !out.status.success() && stderr.contains("limit"),
        "{stderr}"
    );
}

/// Reads `path` and says whether it is a complete RLE file (ends with `!` and parses).
fn complete_rle(path: &Path) -> Option<bool> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.ends_with("!\n")
            && speedup::life::formats::parse_pattern(
                &text,
                "x",
                speedup::life::formats::Format::Rle,
            )
            .is_ok(),
    )
}

#[test]
fn outputs_and_snapshots_are_only_ever_complete_files() {
    let dir = scratch("atomic");
    let out = dir.join("out.rle");
    let snaps = dir.join("snaps");
    std::fs::write(&out, "old").unwrap();
    let mut child = speedup()
        .args([
            "life",
            "run",
            "--random",
            "1200x1200",
            "-g",
            "40",
            "--every",
            "1",
            "-b",
            "rayon",
            "--snapshots",
            s(&snaps),
            "-o",
            s(&out),
            "-q",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = 0;
    loop {
        let done = child.try_wait().unwrap().is_some();
        match std::fs::read_to_string(&out) {
            Ok(t) if t == "old" => {}
            _ => assert_eq!(complete_rle(&out), Some(true), "output half-written"),
        }
        if let Ok(entries) = std::fs::read_dir(&snaps) {
            for e in entries {
                let name = e.unwrap().file_name().into_string().unwrap();
                // Temporary files are hidden (.name.tmp-PID) and renamed into place when whole.
                if !name.starts_with('.') {
                    assert_eq!(
                        complete_rle(&snaps.join(&name)),
                        Some(true),
                        "{name} truncated"
                    );
                    seen += 1;
                }
            }
        }
        if done {
            break;
        }
    }
    assert!(child.wait().unwrap().success());
    assert!(seen > 0);
    assert_eq!(complete_rle(&out), Some(true));
    let leftovers: Vec<_> = std::fs::read_dir(&snaps)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
    assert_eq!(std::fs::read_dir(&snaps).unwrap().count(), 41);
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_at_a_generation_boundary_and_still_writes_the_output() {
    let dir = scratch("ctrl-c");
    let out = dir.join("stopped.rle");
    let child = speedup()
        .args([
            "life",
            "run",
            "--random",
            "256x256",
            "-g",
            "100000000",
            "-b",
            "serial",
            "-o",
            s(&out),
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Give it time to start stepping, then interrupt it as a terminal's Ctrl-C would.
    std::thread::sleep(Duration::from_millis(1500));
    let started = Instant::now();
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "did not stop promptly"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("interrupted by Ctrl-C at generation"),
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(v["interrupted"], true);
    let generation = v["generations"].as_u64().unwrap();
    assert!(generation > 0 && generation < 100_000_000);
    assert!(
        stderr.contains(&format!("generation {generation} of")),
        "{stderr}"
    );
    // The output holds that generation: the same as running exactly that many.
    let written = read_pattern(&out).unwrap().grid;
    assert_eq!(written.hash_hex(), v["hash"].as_str().unwrap());
}

#[test]
fn until_stable_reports_when_and_with_what_period() {
    let dir = scratch("stable");
    let blinker = dir.join("blinker.cells");
    std::fs::write(&blinker, "!Name: blinker\n.O.\n.O.\n.O.\n").unwrap();
    // The blinker on a 7x5 torus, serial, as JSON, with `extra` flags.
    let summary = |extra: &[&str]| -> serde_json::Value {
        let mut a = vec![
            "life",
            "run",
            s(&blinker),
            "--size",
            "7x5",
            "-b",
            "serial",
            "--json",
        ];
        a.extend(extra);
        serde_json::from_slice(&run_ok(&a).stdout).unwrap()
    };
    let v = summary(&["-g", "1000", "--until-stable"]);
    assert_eq!(v["stabilised_at"], 0);
    assert_eq!(v["period"], 2);
    assert_eq!(v["generations"], 2, "stops at the first repeat");
    assert_eq!(v["interrupted"], false);
    // Without --until-stable both are null and the run goes to the end.
    let v = summary(&["-g", "9"]);
    assert!(v["stabilised_at"].is_null() && v["period"].is_null(), "{v}");
    assert_eq!(v["generations"], 9);
    // --max-period needs --until-stable.
    let out = speedup()
        .args(["life", "run", s(&blinker), "--max-period", "5"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    // In a batch: R-pentomino on a bounded 40x33 grid, and a blinker cut short by -g 1.
    let jobs = dir.join("jobs.txt");
    std::fs::copy(data("rpentomino.cells"), dir.join("r.cells")).unwrap();
    std::fs::write(
        &jobs,
        "r.cells size=40x33 topology=bounded generations=5000\nblinker.cells size=7x5 generations=1\n",
    )
    .unwrap();
    let out = run_ok(&[
        "life",
        "batch",
        s(&jobs),
        "--until-stable",
        "-b",
        "rayon",
        "-q",
    ]);
    let csv = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0][13..16],
        ["stabilised_at", "period", "max_period"],
        "{csv}"
    );
    let row = |job: &str| rows.iter().find(|r| r[0] == job).unwrap();
    let (at, period): (u64, u64) = (row("0")[13].parse().unwrap(), row("0")[14].parse().unwrap());
    assert!(at > 100 && (1..=2).contains(&period), "{csv}");
    assert_eq!(row("1")[13..16], ["", "", "10000"], "{csv}");
}

/// `speedup devices` inside a scheduler's task names the GPU variables wgpu does not read.
#[test]
fn devices_shows_the_schedulers_gpu_variables() {
    let out = speedup()
        .args(["devices", "--json"])
        .env("SLURM_STEP_GPUS", "3")
        .env("CUDA_VISIBLE_DEVICES", "3")
        .env_remove("GPU_DEVICE_ORDINAL")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let vars = &v["scheduler_gpu_variables"];
    assert_eq!(vars["SLURM_STEP_GPUS"], "3", "{v}");
    assert_eq!(vars["CUDA_VISIBLE_DEVICES"], "3", "{v}");
    assert!(vars.get("GPU_DEVICE_ORDINAL").is_none(), "{v}");
}

/// SIGTERM (what `scancel` and a time limit send) stops a batch at a job boundary with every
/// finished row in FILE.partial; `--resume` then runs only the rest, and the result is the
/// uninterrupted batch's.
#[cfg(unix)]
#[test]
fn sigterm_keeps_finished_rows_and_resume_completes_the_batch() {
    let dir = scratch("sigterm");
    let out = dir.join("out.csv");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "life", "batch", "--random", "128x128", "--seeds", "1:200", "-g", "1000", "-b",
            "serial", "-q", "-o",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.push(s(&out).to_string());
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let child = speedup()
        .args(args(&[]))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let partial = dir.join("out.csv.partial");
    let started = Instant::now();
    while std::fs::read_to_string(&partial).map_or(0, |t| t.lines().count()) < 10 {
        assert!(started.elapsed() < Duration::from_secs(60), "no rows");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("rerun with --resume"), "{stderr}");
    assert!(
        !out.exists(),
        "the complete file appears only when the batch is"
    );
    let before = std::fs::read_to_string(&partial).unwrap();
    let recorded = before.lines().count() - 1;
    assert!(
        (10..200).contains(&recorded),
        "{recorded} rows: finished before the signal?"
    );
    let resumed = speedup().args(args(&["--resume"])).output().unwrap();
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let done = std::fs::read_to_string(&out).unwrap();
    // The rows recorded before the signal are kept as they were (timings too: not rerun).
    for row in before.lines().skip(1) {
        assert!(done.lines().any(|l| l == row), "lost or rerun: {row}");
    }
    let whole = dir.join("whole.csv");
    let mut again = args(&[]);
    let last = again.len() - 1;
    again[last] = s(&whole).to_string();
    run_ok(&again.iter().map(String::as_str).collect::<Vec<_>>());
    let results = |csv: &str| -> Vec<String> {
        csv.lines()
            .map(|l| l.split(',').take(11).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(
        results(&done),
        results(&std::fs::read_to_string(&whole).unwrap())
    );
}
