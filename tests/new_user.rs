//! What a new user tripped on (issue 21), each reproduced as it happened: a closed pipe, an
//! output path checked only after the work, one word with two meanings, silent long work, errors
//! that do not say what to do, a build that rebuilds itself, and comparisons that cry wolf.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn speedup() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_speedup"));
    c.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    c
}

fn run(args: &[&str]) -> Output {
    speedup()
        .args(args)
        .output()
        .expect("run the speedup binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn data(name: &str) -> String {
    root().join("tests/data").join(name).display().to_string()
}

/// A fresh folder for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("speedup-newuser-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A bench of one row that takes a moment.
const TINY_BENCH: [&str; 17] = [
    "bench",
    "--workloads",
    "stream",
    "--backends",
    "serial",
    "--sizes",
    "2^10",
    "--min-time",
    "0",
    "--max-time",
    "0.01",
    "--min-runs",
    "1",
    "--warmup",
    "0",
    "--max-noise",
    "off",
];

// ---------------------------------------------------------------------------------------------
// 1. A closed pipe ends every command quietly.

/// Runs `args` with stdout a pipe whose reading end is already closed, so the first write fails
/// at once (a reader that is merely slow would let the pipe's buffer hide the bug).
fn into_a_closed_pipe(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    speedup()
        .args(args)
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .expect("run the speedup binary")
}

#[test]
fn every_command_ends_quietly_when_its_reader_has_gone() {
    let report = data("bench/report.json");
    let commands: Vec<Vec<&str>> = vec![
        vec!["devices"],
        vec!["devices", "--json"],
        vec![
            "life", "run", "--random", "32x32", "-g", "3", "-b", "serial",
        ],
        vec![
            "life", "run", "--random", "32x32", "-g", "3", "-b", "serial", "--json",
        ],
        vec![
            "life", "batch", "--random", "8x8", "--seeds", "1:3", "-g", "2", "-b", "serial",
        ],
        TINY_BENCH.to_vec(),
        vec!["verify", "--workloads", "stream", "--backends", "serial"],
        vec!["run", "mandelbrot", "--size", "16x16", "-b", "serial"],
        vec!["compare", &report, &report],
        vec!["report", &report],
        vec!["validate", &report],
        vec!["validate", "--print-schema"],
    ];
    for args in commands {
        let out = into_a_closed_pipe(&args);
        let err = text(&out.stderr);
        assert!(
            out.status.success() && !err.contains("panicked") && !err.contains("Broken pipe"),
            "speedup {args:?} into a closed pipe: {:?}\n{err}",
            out.status
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Every output path is checked before the work.

#[test]
fn missing_output_folders_are_made_before_the_work() {
    let dir = Scratch::new("folders");
    let png = dir.path("no/such/m.png");
    let out = run(&[
        "run",
        "mandelbrot",
        "--size",
        "32x32",
        "-b",
        "serial",
        "--output",
        &png,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(Path::new(&png).is_file());
    let rle = dir.path("deeper/still/final.rle");
    let stats = dir.path("stats/s.csv");
    let out = run(&[
        "life", "run", "--random", "16x16", "-g", "4", "-b", "serial", "--output", &rle, "--stats",
        &stats,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(Path::new(&rle).is_file() && Path::new(&stats).is_file());
    let json = dir.path("reports/x.json");
    let mut args = TINY_BENCH.to_vec();
    args.extend(["--format", "json", "--output", &json]);
    let out = run(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(Path::new(&json).is_file());
    assert!(text(&out.stdout).contains("stream"), "the table is printed");
}

#[test]
fn an_output_that_cannot_be_written_is_refused_before_the_work() {
    let dir = Scratch::new("refused");
    // A file where a folder should be: no folder can be made there.
    std::fs::write(dir.0.join("file"), "x").unwrap();
    let snapshots = dir.path("snaps");
    let blocked = dir.path("file/final.rle");
    // A 16x16 soup sampled into `snapshots`, with `extra` flags.
    let sampled = |extra: &[&str]| {
        let mut args = vec![
            "life", "run", "--random", "16x16", "-g", "50", "-b", "serial",
        ];
        args.extend(["--snapshots", &snapshots]);
        args.extend(extra);
        run(&args)
    };
    let out = sampled(&["--every", "10", "--output", &blocked]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.lines().count() == 1 && err.contains("file"),
        "one line naming the path: {err}"
    );
    // Refused before the run: not one snapshot was taken.
    let taken = std::fs::read_dir(&snapshots).map_or(0, |d| d.count());
    assert_eq!(taken, 0, "the run went ahead before the output was refused");
    // An unknown output format too.
    let out = sampled(&["--output", &dir.path("final.txt.png.bmp")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_dir(&snapshots).map_or(0, |d| d.count()), 0);
}

// ---------------------------------------------------------------------------------------------
// 3. One word, one meaning.

#[test]
fn kernel_fast_is_not_a_kernel() {
    let out = run(&[
        "life", "run", "--random", "8x8", "-g", "1", "--kernel", "fast",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("fast") && err.contains("packed, tiled or naive"),
        "{err}"
    );
    let help = text(&run(&["life", "run", "--help"]).stdout);
    assert!(!help.contains("fast)") && !help.contains("fast,"), "{help}");
}

#[test]
fn generations_means_the_generations_stepped_in_run_and_batch() {
    let dir = Scratch::new("generations");
    let blinker = dir.path("blinker.cells");
    std::fs::write(&blinker, "!Name: blinker\n.O.\n.O.\n.O.\n").unwrap();
    let out = run(&[
        "life",
        "run",
        &blinker,
        "--size",
        "7x5",
        "-b",
        "serial",
        "-g",
        "1000",
        "--until-stable",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            v["generations"].as_u64(),
            v["requested_generations"].as_u64()
        ),
        (Some(2), Some(1000))
    );
    let jobs = dir.path("jobs.txt");
    std::fs::write(&jobs, "blinker.cells size=7x5 generations=1000\n").unwrap();
    let out = run(&[
        "life",
        "batch",
        &jobs,
        "--until-stable",
        "-b",
        "serial",
        "-q",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(column("generations"), "2", "{csv}");
    assert_eq!(column("requested_generations"), "1000", "{csv}");
}

#[test]
fn a_run_that_never_stabilises_says_so() {
    // A glider on a 16x16 torus comes back after 64 generations: not within 20.
    let dir = Scratch::new("unstable");
    let glider = dir.path("glider.cells");
    std::fs::write(&glider, ".O.\n..O\nOOO\n").unwrap();
    let out = run(&[
        "life",
        "run",
        &glider,
        "--size",
        "16x16",
        "-b",
        "serial",
        "-g",
        "20",
        "--until-stable",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(
        summary.contains("did not stabilise within 20 generations"),
        "{summary}"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Long work is visible without a terminal, set-up included.

#[test]
fn progress_lines_appear_when_stderr_is_not_a_terminal() {
    let out = speedup()
        .args([
            "life", "run", "--random", "64x64", "-g", "300", "-b", "serial",
        ])
        .env("SPEEDUP_PROGRESS_SECONDS", "0")
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("life run: generation"), "{err}");
    let out = speedup()
        .args(TINY_BENCH)
        .env("SPEEDUP_PROGRESS_SECONDS", "0")
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("bench: ") && err.contains("rows done"),
        "{err}"
    );
    // Quiet means quiet.
    let out = speedup()
        .args([
            "life", "run", "--random", "64x64", "-g", "30", "-b", "serial", "-q",
        ])
        .env("SPEEDUP_PROGRESS_SECONDS", "0")
        .output()
        .unwrap();
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn set_up_time_is_reported_beside_the_stepping() {
    let out = run(&[
        "life", "run", "--random", "512x512", "-g", "1", "-b", "serial", "--json",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let setup = v["setup_seconds"].as_f64().expect("setup_seconds");
    let start = v["start_grid_seconds"]
        .as_f64()
        .expect("start_grid_seconds");
    assert!(setup > 0.0 && start > 0.0 && start <= setup, "{v}");
    // The part after the last step (output, population, hash) is timed too.
    let finish = v["finish_seconds"].as_f64().expect("finish_seconds");
    assert!(finish > 0.0, "{v}");
    let out = run(&[
        "life", "run", "--random", "64x64", "-g", "1", "-b", "serial",
    ]);
    assert!(text(&out.stdout).contains("set-up:"));
}

// ---------------------------------------------------------------------------------------------
// 5. Bad values are refused before any work: exit 2, one line naming flag, value and what is
// allowed.

fn refused(args: &[&str], needles: &[&str]) {
    let out = run(args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "speedup {args:?}: {err}");
    let first = err.lines().next().unwrap_or("");
    for needle in needles {
        assert!(
            first.contains(needle),
            "speedup {args:?}: '{needle}' not in: {first}"
        );
    }
    assert!(
        out.stdout.is_empty(),
        "speedup {args:?} printed {}",
        text(&out.stdout)
    );
}

#[test]
fn bad_values_exit_2_before_work_naming_flag_value_and_what_is_allowed() {
    let dir = Scratch::new("values");
    let soup = ["life", "run", "--random", "8x8", "-b", "serial"];
    let with =
        |extra: &[&'static str]| -> Vec<&str> { soup.iter().chain(extra).copied().collect() };
    refused(
        &with(&["--density", "-0.1"]),
        &["--density", "-0.1", "0 to 1"],
    );
    refused(
        &with(&["--density", "1.5"]),
        &["--density", "1.5", "0 to 1"],
    );
    let stats = dir.path("s.csv");
    let mut every = with(&["--every", "0", "--stats"]);
    every.push(&stats);
    refused(&every, &["--every", "'0'", "1 or more"]);
    refused(&with(&["--every", "5"]), &["--every", "--stats"]);
    let snaps = dir.path("snaps");
    let mut gif = with(&["--snapshot-format", "gif", "--snapshots"]);
    gif.push(&snaps);
    refused(&gif, &["--snapshot-format", "gif", "rle"]);
    refused(&with(&["--rule", "B3/S2x"]), &["--rule", "B3/S2x"]);
    refused(
        &[
            "life",
            "batch",
            "--random",
            "8x8",
            "--densities",
            "-0.5",
            "-b",
            "serial",
        ],
        &["--densities", "-0.5"],
    );
    refused(&["life", "run", "-b", "serial"], &["pattern", "--random"]);
}

#[test]
fn a_plaintext_pattern_named_rle_is_named_as_such() {
    let dir = Scratch::new("plaintext");
    let path = dir.path("glider.rle");
    std::fs::write(&path, "!Name: glider\n.O.\n..O\nOOO\n").unwrap();
    let out = run(&["life", "run", &path, "-g", "1", "-b", "serial"]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("plaintext") && err.contains(".cells"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// 6. Builds and tests as a user sees them.

#[path = "../build.rs"]
#[allow(dead_code)]
mod build_script;

fn git(dir: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn reading_the_revision_writes_nothing_to_git_and_watches_no_index() {
    let dir = Scratch::new("git");
    if !git(&dir.0, &["init", "-q"]) {
        eprintln!("skipping: git is not installed");
        return;
    }
    std::fs::create_dir_all(dir.0.join("src")).unwrap();
    std::fs::write(dir.0.join("src/lib.rs"), "// one\n").unwrap();
    assert!(git(&dir.0, &["add", "."]) && git(&dir.0, &["commit", "-qm", "one"]));
    // Touch the file without changing it: the index's stat data is now stale, which a plain
    // `git status` repairs by rewriting the index (and so rebuilt the crate every time).
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    let file = std::fs::File::options()
        .write(true)
        .open(dir.0.join("src/lib.rs"))
        .unwrap();
    file.set_modified(later).unwrap();
    drop(file);
    let index = dir.0.join(".git/index");
    let before = (
        std::fs::read(&index).unwrap(),
        std::fs::metadata(&index).unwrap().modified().unwrap(),
    );
    let (revision, watched) = build_script::revision(&dir.0);
    let after = (
        std::fs::read(&index).unwrap(),
        std::fs::metadata(&index).unwrap().modified().unwrap(),
    );
    assert!(before == after, "reading the revision rewrote .git/index");
    let revision = revision.expect("a revision");
    assert!(!revision.ends_with("-dirty"), "{revision}");
    assert!(watched.iter().all(|p| !p.ends_with("index")), "{watched:?}");
    assert!(
        watched.iter().all(|p| p.exists()),
        "a watched file that does not exist reruns the build: {watched:?}"
    );
    std::fs::write(dir.0.join("src/lib.rs"), "// two\n").unwrap();
    assert!(build_script::revision(&dir.0)
        .0
        .unwrap()
        .ends_with("-dirty"));
}

#[test]
#[cfg(target_os = "linux")]
fn test_processes_have_xdg_runtime_dir_so_mesa_stays_quiet() {
    // Mesa prints "error: XDG_RUNTIME_DIR is invalid or not set" for each adapter a test creates
    // in-process without it; .cargo/config.toml sets it for every process cargo starts.
    assert!(
        std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|v| !v.is_empty()),
        "XDG_RUNTIME_DIR is not set in the test process (.cargo/config.toml [env])"
    );
    let out = speedup()
        .arg("devices")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert!(
        !text(&out.stderr).contains("XDG_RUNTIME_DIR"),
        "{}",
        text(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// 7. The README's first screen says how to put `speedup` on the PATH before calling it bare.

#[test]
fn the_readme_says_how_to_install_before_calling_speedup_bare() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let install = readme
        .find("cargo install --path .")
        .expect("no install line");
    let bare = readme
        .lines()
        .scan(0, |at, line| {
            let here = *at;
            *at += line.len() + 1;
            Some((here, line))
        })
        .find(|(_, l)| l.trim_start().starts_with("speedup ") || l.contains("`speedup "))
        .map(|(at, _)| at)
        .expect("a bare speedup command");
    assert!(
        install < bare,
        "the first bare `speedup` comes before `cargo install --path .`"
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Comparisons that do not cry wolf.

/// The committed format-2 report made quiet (each row's samples within 0.3% of its median),
/// with every time of every row multiplied by `factor`.
fn scaled_report(dir: &Scratch, name: &str, factor: f64) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("bench/report.json")).unwrap()).unwrap();
    for row in v["results"].as_array_mut().unwrap() {
        let median = row["median_seconds"].as_f64().unwrap() * factor;
        let samples: Vec<f64> = (0..7)
            .map(|k| median * (1.0 + 0.001 * (k as f64 - 3.0)))
            .collect();
        row["samples_seconds"] = samples.clone().into();
        row["median_seconds"] = median.into();
        row["min_seconds"] = samples[0].into();
        row["max_seconds"] = samples[6].into();
    }
    let path = dir.path(name);
    std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    path
}

fn verdicts(args: &[&str]) -> (Option<i32>, Vec<String>) {
    let mut all = vec!["compare"];
    all.extend(args);
    all.extend(["--format", "json"]);
    let out = run(&all);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    let rows = v["rows"].as_array().unwrap();
    (
        out.status.code(),
        rows.iter()
            .map(|r| r["verdict"].as_str().unwrap().to_string())
            .collect(),
    )
}

#[test]
fn a_clear_change_below_the_noise_threshold_is_no_change() {
    let dir = Scratch::new("noise");
    let old = scaled_report(&dir, "old.json", 1.0);
    // 1% slower on every sample: the intervals leave no doubt, the change is still noise.
    let slightly = scaled_report(&dir, "slightly.json", 1.01);
    let (_, v) = verdicts(&[&old, &slightly]);
    assert!(v.iter().all(|v| v == "no_change"), "{v:?}");
    // With no noise threshold the same change is marked.
    let (_, v) = verdicts(&[&old, &slightly, "--noise-threshold", "0"]);
    assert!(v.iter().all(|v| v == "slower"), "{v:?}");
    // 5% slower is beyond it.
    let clearly = scaled_report(&dir, "clearly.json", 1.05);
    let (_, v) = verdicts(&[&old, &clearly]);
    assert!(v.iter().all(|v| v == "slower"), "{v:?}");
    // --threshold still gates on its own terms.
    assert_eq!(verdicts(&[&old, &clearly, "--threshold", "3%"]).0, Some(2));
    assert_eq!(verdicts(&[&old, &slightly, "--threshold", "3%"]).0, Some(0));
    // The table says what "no change" means.
    let table = text(&run(&["compare", &old, &slightly]).stdout);
    assert!(
        table.contains("no change") && table.contains("2%"),
        "{table}"
    );
}

#[test]
fn the_report_compares_each_row_with_the_first_machine_in_one_format() {
    let dir = Scratch::new("report");
    let old = scaled_report(&dir, "first.json", 1.0);
    let twice = scaled_report(&dir, "twice.json", 0.5);
    let out = run(&["report", &old, &twice, "--format", "markdown"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let md = text(&out.stdout);
    let header = md
        .lines()
        .find(|l| l.contains("vs first machine"))
        .unwrap_or_else(|| panic!("no column vs the first machine:\n{md}"));
    let columns: Vec<&str> = header.split('|').map(str::trim).collect();
    let at = columns
        .iter()
        .position(|c| *c == "vs first machine")
        .unwrap();
    let cells: Vec<String> = md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("twice") && !l.contains("vs first"))
        .map(|l| l.split('|').map(str::trim).nth(at).unwrap().to_string())
        .collect();
    assert!(!cells.is_empty(), "{md}");
    for cell in &cells {
        assert!(cell.starts_with("2.00×"), "twice as fast: {cell}\n{md}");
    }
    // Every speedup cell in one format: "1.60×" or "1.60× (1.55–1.66)", or "—".
    let ratio = |c: &str| {
        let c = c.trim_end_matches('‡');
        c == "—" || {
            let (x, rest) = c.split_once('×').unwrap_or(("", "?"));
            x.parse::<f64>().is_ok()
                && x.split_once('.').is_some_and(|(_, d)| d.len() == 2)
                && (rest.is_empty()
                    || rest
                        .strip_prefix(" (")
                        .and_then(|r| r.strip_suffix(')'))
                        .and_then(|r| r.split_once('–'))
                        .is_some_and(|(a, b)| a.parse::<f64>().is_ok() && b.parse::<f64>().is_ok()))
        }
    };
    for line in md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("serial"))
    {
        for cell in line.split('|').map(str::trim).filter(|c| c.contains('×')) {
            assert!(
                ratio(cell),
                "speedup cell '{cell}' in another format:\n{line}"
            );
        }
    }
}
