//! One grid across MPI ranks: `mpirun --oversubscribe -n 1..4` of the built binary gives the same
//! final hash as one process, for soups and pattern files, both topologies and several rules; a
//! rank that dies or fails ends the whole job with an error naming the rank.
//!
//! The MPI tests need a binary built with `--features mpi` (`cargo test --features mpi --test
//! mpi`) and OpenMPI's `mpirun`; without either they are skipped with a printed reason, unless
//! SPEEDUP_REQUIRE_MPI=1 (set in CI), where they fail. The same bands stepped in one process,
//! without MPI, are tested on every backend in tests/bands.rs.

mod common;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_speedup");

/// Longest an mpirun may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(120);

/// Whether the MPI tests can run here; prints why not (or panics under SPEEDUP_REQUIRE_MPI=1).
fn mpi_available() -> bool {
    let required = std::env::var("SPEEDUP_REQUIRE_MPI").is_ok_and(|v| v == "1");
    let why = if !cfg!(feature = "mpi") {
        Some("the binary was built without --features mpi")
    } else if Command::new("mpirun")
        .arg("--version")
        .output()
        .map_or(true, |o| !o.status.success())
    {
        Some("mpirun was not found (apt-get install openmpi-bin libopenmpi-dev libclang-dev)")
    } else {
        None
    };
    match why {
        None => true,
        Some(why) if required => panic!("SPEEDUP_REQUIRE_MPI=1 but {why}"),
        Some(why) => {
            eprintln!("skipping MPI test: {why}");
            false
        }
    }
}

/// An mpirun and its ranks, in a process group of their own, ended by PID on drop (even when
/// an assertion fails first), so no rank outlives the test.
struct Job {
    /// `None` once [`Job::finish`] has collected it.
    child: Option<Child>,
}

impl Job {
    fn start(ranks: usize, args: &[&str], marker: &str) -> Job {
        let child = Command::new("mpirun")
            .args(["--oversubscribe", "--allow-run-as-root", "-n"])
            .arg(ranks.to_string())
            .arg(BIN)
            .args(args)
            // A marker in every rank's environment, so a test can find its own ranks' PIDs.
            .env("SPEEDUP_TEST_MARKER", marker)
            // Shared memory between ranks on this host; no network interfaces are probed.
            .env("OMPI_MCA_btl", "self,vader")
            .env("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("mpirun starts");
        Job { child: Some(child) }
    }

    /// Waits for the job to end, at most [`HANG`]; a job still running then is a failure.
    fn finish(mut self) -> Output {
        let mut child = self.child.take().expect("a running job");
        let started = Instant::now();
        while child.try_wait().expect("mpirun status").is_none() {
            if started.elapsed() > HANG {
                self.child = Some(child);
                panic!("mpirun still running after {HANG:?}: a hang");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().expect("mpirun output")
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            if let Ok(None) = child.try_wait() {
                let group = format!("-{}", child.id());
                let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
                let _ = child.wait();
            }
        }
    }
}

fn mpirun(ranks: usize, args: &[&str]) -> Output {
    Job::start(ranks, args, "plain").finish()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `hash` of a `--json` summary.
fn hash_of(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let json: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{what}: {e} in {stdout:?}"));
    json["hash"].as_str().expect("a hash").to_string()
}

/// The single process's hash for `args`, less the options only `--distributed` takes.
fn single(args: &[&str]) -> String {
    let mut plain = Vec::new();
    let mut rest = args.iter();
    while let Some(&arg) = rest.next() {
        match arg {
            "--halo" => {
                rest.next();
            }
            "--overlap" => {}
            other => plain.push(other),
        }
    }
    let out = Command::new(BIN)
        .args(["life", "run"])
        .args(&plain)
        .args(["--json", "--backend", "serial"])
        .output()
        .unwrap();
    hash_of(&out, &format!("one process {args:?}"))
}

fn distributed(ranks: usize, args: &[&str]) -> String {
    let mut all = vec!["life", "run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--json", "--backend", "serial", "--distributed"]);
    hash_of(&mpirun(ranks, &all), &format!("{ranks} ranks {args:?}"))
}

#[test]
#[cfg_attr(not(feature = "mpi"), ignore = "needs --features mpi")]
fn soups_give_one_process_hash_on_1_to_4_ranks() {
    if !mpi_available() {
        return;
    }
    let cases: [&[&str]; 4] = [
        &[
            "--random",
            "33x31",
            "--rule",
            "B3/S23",
            "--topology",
            "torus",
            "--halo",
            "3",
        ],
        &[
            "--random",
            "65x17",
            "--rule",
            "B36/S23",
            "--topology",
            "bounded",
            "--halo",
            "8",
        ],
        &[
            "--random",
            "100x13",
            "--rule",
            "B2/S",
            "--topology",
            "torus",
            "--halo",
            "1",
        ],
        &[
            "--random",
            "31x9",
            "--rule",
            "B3678/S34678",
            "--topology",
            "bounded",
            "--halo",
            "2",
        ],
    ];
    for case in cases {
        let mut args = case.to_vec();
        args.extend_from_slice(&["--generations", "23", "--density", "0.4", "--seed", "5"]);
        let want = single(&args);
        for ranks in 1..=4 {
            assert_eq!(distributed(ranks, &args), want, "{ranks} ranks, {case:?}");
        }
        // The interior stepped while the halos travel, the edge strips after.
        let mut overlapped = args.clone();
        overlapped.push("--overlap");
        for ranks in 2..=4 {
            assert_eq!(
                distributed(ranks, &overlapped),
                want,
                "{ranks} ranks overlapped, {case:?}"
            );
        }
    }
}

/// A scratch folder removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("speedup-mpi-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
#[cfg_attr(not(feature = "mpi"), ignore = "needs --features mpi")]
fn pattern_files_are_scattered_and_gathered() {
    if !mpi_available() {
        return;
    }
    let dir = Scratch::new("pattern");
    // An R-pentomino and a glider on a 47x29 bounded plane (from the file's suffix), and the
    // same on a torus given on the command line.
    let pattern = dir.path("start.rle");
    std::fs::write(
        &pattern,
        "x = 12, y = 5, rule = B3/S23:P47,29\nb2o7bo$2o9bo$bo7b3o$$bo!\n",
    )
    .unwrap();
    for extra in [&[][..], &["--topology", "torus", "--size", "40x21"][..]] {
        let one = dir.path("one.rle");
        let mut args = vec![s(&pattern), "--generations", "57", "--halo", "4"];
        args.extend_from_slice(extra);
        let mut with_output = args.clone();
        with_output.extend_from_slice(&["--output", s(&one)]);
        let want = single(&with_output);
        for ranks in [2, 3, 4] {
            let many = dir.path(&format!("many-{ranks}.rle"));
            let mut with_output = args.clone();
            with_output.extend_from_slice(&["--output", s(&many)]);
            assert_eq!(
                distributed(ranks, &with_output),
                want,
                "{ranks} ranks {extra:?}"
            );
            assert_eq!(
                std::fs::read_to_string(&many).unwrap(),
                std::fs::read_to_string(&one).unwrap(),
                "file written by {ranks} ranks {extra:?}"
            );
        }
    }
}

#[test]
#[cfg_attr(not(feature = "mpi"), ignore = "needs --features mpi")]
fn a_failing_rank_ends_the_job_naming_itself() {
    if !mpi_available() {
        return;
    }
    let out = mpirun(
        3,
        &[
            "life",
            "run",
            "/nonexistent/start.rle",
            "--distributed",
            "--backend",
            "serial",
        ],
    );
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "a missing file must fail: {stderr}");
    assert!(stderr.contains("error: rank 0 of 3"), "{stderr}");
    assert!(stderr.contains("/nonexistent/start.rle"), "{stderr}");

    let out = mpirun(
        4,
        &[
            "life",
            "run",
            "--random",
            "40x3",
            "--distributed",
            "--backend",
            "serial",
        ],
    );
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("a grid of 3 rows cannot be split over 4 ranks"),
        "{stderr}"
    );

    // 2^40 cells are never whole on one rank, so they cannot be written; refused before any
    // band is drawn.
    let out = mpirun(
        2,
        &[
            "life",
            "run",
            "--random",
            "1048576x1048576",
            "--distributed",
            "--backend",
            "serial",
            "--output",
            "never.rle",
        ],
    );
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("beyond one process's limit"), "{stderr}");
}

/// The PIDs of the processes whose environment holds `marker` and MPI rank `rank`.
fn rank_pids(marker: &str, rank: usize) -> Vec<u32> {
    let want_marker = format!("SPEEDUP_TEST_MARKER={marker}");
    let want_rank = format!("OMPI_COMM_WORLD_RANK={rank}");
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(env) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let vars: Vec<&[u8]> = env.split(|&b| b == 0).collect();
        if vars.contains(&want_marker.as_bytes()) && vars.contains(&want_rank.as_bytes()) {
            pids.push(pid);
        }
    }
    pids
}

#[test]
#[cfg_attr(not(feature = "mpi"), ignore = "needs --features mpi")]
fn a_rank_that_dies_ends_the_job_naming_it() {
    if !mpi_available() {
        return;
    }
    let marker = format!("dies-{}", std::process::id());
    // Long enough to be still running when rank 2 is killed.
    let job = Job::start(
        4,
        &[
            "life",
            "run",
            "--random",
            "256x400",
            "--generations",
            "100000000",
            "--distributed",
            "--backend",
            "serial",
            "--quiet",
        ],
        &marker,
    );
    let started = Instant::now();
    let victim = loop {
        if let Some(&pid) = rank_pids(&marker, 2).first() {
            break pid;
        }
        assert!(started.elapsed() < HANG, "rank 2 never started");
        std::thread::sleep(Duration::from_millis(100));
    };
    // Let the ranks get into their halo exchanges.
    std::thread::sleep(Duration::from_millis(1500));
    let killed = Command::new("kill")
        .args(["-KILL", &victim.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = job.finish();
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "the job must fail: {stderr}");
    assert!(
        stderr.contains("rank 2"),
        "the error must name rank 2: {stderr}"
    );
    assert!(
        rank_pids(&marker, 0).is_empty() && rank_pids(&marker, 3).is_empty(),
        "the other ranks must be gone"
    );
}

#[test]
#[cfg_attr(not(feature = "mpi"), ignore = "needs --features mpi")]
fn bench_reports_weak_and_strong_scaling() {
    if !mpi_available() {
        return;
    }
    let out = mpirun(
        2,
        &[
            "bench",
            "--workloads",
            "life",
            "--distributed",
            "--sizes",
            "96x40",
            "--generations",
            "8",
            "--halo",
            "4",
            "--min-runs",
            "1",
            "--warmup",
            "0",
            "--format",
            "json",
        ],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout).expect("JSON rows");
    let key = |r: &serde_json::Value| {
        (
            r["scaling"].as_str().unwrap().to_string(),
            r["ranks"].as_u64().unwrap(),
            r["height"].as_u64().unwrap(),
        )
    };
    let keys: Vec<_> = rows.iter().map(key).collect();
    assert_eq!(
        keys,
        [
            ("weak".to_string(), 1, 40),
            ("weak".to_string(), 2, 80),
            ("strong".to_string(), 1, 40),
            ("strong".to_string(), 2, 40),
        ]
    );
    for r in &rows {
        let seconds = r["seconds"].as_f64().unwrap();
        assert!(seconds > 0.0, "{r}");
        let parts = ["compute", "exchange", "wait"].map(|p| r["timings"][p].as_f64().unwrap());
        assert!(parts[0] > 0.0, "{r}");
        assert!(
            parts.iter().all(|&p| p >= 0.0 && p <= seconds * 1.01),
            "{r}"
        );
        if r["ranks"] == 1 {
            assert_eq!(r["efficiency"].as_f64().unwrap(), 1.0, "{r}");
            assert_eq!(parts[1] + parts[2], 0.0, "one rank exchanges nothing: {r}");
        } else {
            assert!(parts[2] + parts[1] > 0.0, "two ranks exchange: {r}");
        }
    }
}

/// Without the feature, `--distributed` says how to get it instead of running on one process.
#[test]
#[cfg(not(feature = "mpi"))]
fn without_the_feature_distributed_says_how_to_build_it() {
    for args in [
        &["life", "run", "--random", "8x8", "--distributed"][..],
        &["bench", "--workloads", "life", "--distributed"][..],
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {stderr}");
        assert!(stderr.contains("--features mpi"), "{args:?}: {stderr}");
    }
}

/// Per-sample outputs would gather the whole grid every sample: refused before MPI starts.
#[test]
#[cfg_attr(not(feature = "mpi"), ignore = "needs --features mpi")]
fn sampled_outputs_are_refused_with_distributed() {
    let out = Command::new(BIN)
        .args([
            "life",
            "run",
            "--random",
            "8x8",
            "--distributed",
            "--gif",
            "run.gif",
        ])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("--gif is not supported with --distributed"),
        "{stderr}"
    );
}

/// Ranks on a GPU adapter (lavapipe in CI): the band stays on the device and only halo and edge
/// rows move, with and without --overlap. Both topologies, the packed and tiled kernels.
#[test]
#[cfg_attr(not(feature = "mpi"), ignore = "needs --features mpi")]
fn gpu_ranks_give_one_process_hash() {
    if !mpi_available() || common::gpu_contexts().is_empty() {
        return;
    }
    for (topology, halo, kernel) in [("bounded", "4", "packed"), ("torus", "3", "tiled")] {
        let args = [
            "--random",
            "70x29",
            "--rule",
            "B36/S23",
            "--topology",
            topology,
            "--generations",
            "19",
            "--halo",
            halo,
            "--seed",
            "3",
        ];
        let want = single(&args);
        for extra in [&["--kernel", kernel][..], &["--overlap"][..]] {
            let mut all = vec!["life", "run"];
            all.extend_from_slice(&args);
            all.extend_from_slice(extra);
            all.extend_from_slice(&["--json", "--backend", "gpu", "--distributed"]);
            let what = format!("2 GPU ranks, {topology}, halo {halo} {extra:?}");
            let got = hash_of(&mpirun(2, &all), &what);
            assert_eq!(got, want, "{what}");
        }
    }
}
