//! `life batch` on a real one-node Slurm cluster: a job array with `--shard auto`, merged, equals
//! one unsharded run; a shard cancelled with `scancel` keeps its finished rows and `--resume`
//! completes it with no job lost or repeated.
//!
//! The test brings the cluster up itself (munged, slurmctld and slurmd from Debian's `slurm-wlm`
//! and `munge`, on loopback, with their own configuration, key, state and spool folders and
//! ports) and stops it by PID when done, even when an assertion fails. Without `sbatch` (or not as
//! root, which slurmd needs to start jobs) it is skipped with a message, unless
//! `SPEEDUP_REQUIRE_SLURM=1`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn speedup() -> &'static str {
    env!("CARGO_BIN_EXE_speedup")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Whether the machine can run the cluster; the reason when it cannot.
fn unavailable() -> Option<String> {
    for tool in [
        "sbatch",
        "scancel",
        "squeue",
        "slurmctld",
        "slurmd",
        "munged",
    ] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            return Some(format!(
                "{tool} not found (apt-get install slurm-wlm munge)"
            ));
        }
    }
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("not root: slurmd must run as root to start jobs".into());
    }
    None
}

/// Skips (returns false) with a printed reason where Slurm is absent, unless required.
fn slurm_available() -> bool {
    let Some(reason) = unavailable() else {
        return true;
    };
    if std::env::var("SPEEDUP_REQUIRE_SLURM").is_ok_and(|v| v == "1") {
        panic!("SPEEDUP_REQUIRE_SLURM=1 but Slurm cannot run here: {reason}");
    }
    eprintln!("skipped: {reason}");
    false
}

/// A port free on loopback now (the daemons bind it a moment later).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A one-node cluster in its own folder; dropping it cancels its jobs and stops the daemons.
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
    /// munged, slurmctld, slurmd, in start order.
    daemons: Vec<Child>,
}

impl Cluster {
    fn start(name: &str) -> Cluster {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("slurm-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["state", "spool", "munge"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let mut cluster = Cluster {
            conf: dir.join("slurm.conf"),
            dir,
            daemons: Vec::new(),
        };
        let d = cluster.dir.clone();
        // munge: a fresh key readable by its owner only, and a socket of our own.
        let key = d.join("munge/key");
        let mut bytes = vec![0u8; 1024];
        use std::io::Read;
        std::fs::File::open("/dev/urandom")
            .unwrap()
            .read_exact(&mut bytes)
            .unwrap();
        std::fs::write(&key, &bytes).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        let socket = d.join("munge/socket");
        cluster.spawn(Command::new("munged").args([
            "--foreground",
            "--force",
            &format!("--key-file={}", s(&key)),
            &format!("--socket={}", s(&socket)),
            &format!("--pid-file={}", s(&d.join("munge/pid"))),
            &format!("--log-file={}", s(&d.join("munge/log"))),
            &format!("--seed-file={}", s(&d.join("munge/seed"))),
        ]));
        cluster.wait_for("munged's socket", || socket.exists());
        // Four CPUs on the one node (whatever the machine has: config_overrides) so the four
        // tasks of the array start together.
        let conf = format!(
            "ClusterName=speedup\n\
             SlurmctldHost=localhost(127.0.0.1)\n\
             SlurmctldPort={ctld}\n\
             SlurmdPort={slurmd}\n\
             SlurmUser=root\n\
             SlurmdUser=root\n\
             AuthType=auth/munge\n\
             CredType=cred/munge\n\
             AuthInfo=socket={socket}\n\
             StateSaveLocation={dir}/state\n\
             SlurmdSpoolDir={dir}/spool\n\
             SlurmctldPidFile={dir}/slurmctld.pid\n\
             SlurmdPidFile={dir}/slurmd.pid\n\
             SlurmctldLogFile={dir}/slurmctld.log\n\
             SlurmdLogFile={dir}/slurmd.log\n\
             SlurmdParameters=config_overrides\n\
             ProctrackType=proctrack/linuxproc\n\
             TaskPlugin=task/none\n\
             SelectType=select/cons_tres\n\
             SelectTypeParameters=CR_CPU\n\
             MpiDefault=none\n\
             ReturnToService=2\n\
             SchedulerType=sched/builtin\n\
             SchedulerParameters=kill_invalid_depend\n\
             AccountingStorageType=accounting_storage/none\n\
             JobAcctGatherType=jobacct_gather/none\n\
             JobCompType=jobcomp/none\n\
             PlugStackConfig={dir}/plugstack.conf\n\
             KillWait=10\n\
             MinJobAge=300\n\
             NodeName=speedup0 NodeAddr=127.0.0.1 CPUs=4 State=UNKNOWN\n\
             PartitionName=test Nodes=speedup0 Default=YES MaxTime=INFINITE State=UP\n",
            ctld = free_port(),
            slurmd = free_port(),
            socket = s(&socket),
            dir = s(&d),
        );
        std::fs::write(&cluster.conf, conf).unwrap();
        std::fs::write(d.join("plugstack.conf"), "").unwrap();
        let conf_path = cluster.conf.clone();
        cluster.spawn(Command::new("slurmctld").args(["-D", "-i", "-f", s(&conf_path)]));
        cluster.spawn(Command::new("slurmd").args(["-D", "-N", "speedup0", "-f", s(&conf_path)]));
        cluster.wait_for("the node to be idle", || {
            cluster
                .client("sinfo", &["-h", "-o", "%t"])
                .is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
        });
        cluster
    }

    fn spawn(&mut self, command: &mut Command) {
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {command:?}: {e}"));
        self.daemons.push(child);
    }

    /// Polls `ready` for up to 20 s, naming what it waited for (and the daemons' logs) if not.
    fn wait_for(&self, what: &str, mut ready: impl FnMut() -> bool) {
        let start = Instant::now();
        while !ready() {
            if start.elapsed() > Duration::from_secs(20) {
                panic!("timed out waiting for {what}\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn logs(&self) -> String {
        ["slurmctld.log", "slurmd.log", "munge/log"]
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(15).collect();
                format!(
                    "--- {f}:\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Runs a Slurm client command against this cluster.
    fn client(&self, tool: &str, args: &[&str]) -> Option<Output> {
        Command::new(tool)
            .args(args)
            .env("SLURM_CONF", &self.conf)
            .output()
            .ok()
            .filter(|o| o.status.success())
    }

    /// Submits a batch script, returning the job id.
    fn sbatch(&self, args: &[&str], script: &str) -> String {
        let path = self
            .dir
            .join(format!("job-{}.sh", args.len() + script.len()));
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        self.submit(args, &path)
    }

    /// Submits the batch script at `path`, with `speedup` on its PATH; returns the job id.
    fn submit(&self, args: &[&str], path: &Path) -> String {
        let mut all = vec!["--parsable", "-D", s(&self.dir)];
        all.extend(args);
        all.push(s(path));
        let bin = Path::new(speedup()).parent().unwrap();
        let path_var = format!("{}:{}", s(bin), std::env::var("PATH").unwrap_or_default());
        let out = Command::new("sbatch")
            .args(&all)
            .env("SLURM_CONF", &self.conf)
            .env("PATH", path_var)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "sbatch {all:?}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.logs()
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// Waits until no job of this cluster is queued or running.
    fn wait_idle(&self) {
        self.wait_for("the queue to empty", || {
            self.client("squeue", &["-h"])
                .is_some_and(|o| o.stdout.is_empty())
        });
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Cancel whatever is left so no job outlives its slurmd, then stop the daemons in the
        // reverse order of their start, each by its PID.
        let _ = self.client("scancel", &["--full", "--partition=test"]);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5)
            && self
                .client("squeue", &["-h"])
                .is_some_and(|o| !o.stdout.is_empty())
        {
            std::thread::sleep(Duration::from_millis(100));
        }
        for child in self.daemons.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Rows of a batch CSV without the timing columns (seconds, batch).
fn results(csv: &str) -> Vec<String> {
    csv.lines()
        .map(|l| l.split(',').take(11).collect::<Vec<_>>().join(","))
        .collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn job_array_shards_merge_into_the_unsharded_batch() {
    if !slurm_available() {
        return;
    }
    let cluster = Cluster::start("array");
    let d = cluster.dir.clone();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    std::fs::copy(data.join("acorn_105.lif"), d.join("acorn.lif")).unwrap();
    let mut jobs = String::from("acorn.lif size=64x48 generations=200\n");
    for seed in 1..=13 {
        jobs.push_str(&format!(
            "random={}x{} density=0.{} seed={seed} generations={}\n",
            20 + seed,
            31 + 2 * seed,
            seed % 9 + 1,
            50 + 10 * seed
        ));
    }
    std::fs::write(d.join("jobs.txt"), jobs).unwrap();
    // The examples as shipped, with the array and CPUs cut to this one small node: the array
    // of shards, then the merge queued with afterok.
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/slurm");
    let array = cluster.submit(
        &["--array=0-3", "--cpus-per-task=1"],
        &examples.join("batch.sbatch"),
    );
    cluster.submit(
        &[&format!("--dependency=afterok:{array}"), "--wait"],
        &examples.join("merge.sbatch"),
    );
    let shards: Vec<String> = (0..4).map(|k| format!("results/shard-{k}.csv")).collect();
    for (k, shard) in shards.iter().enumerate() {
        assert!(
            d.join(shard).exists(),
            "shard {k} wrote nothing: {}\n{}",
            read(&d.join(format!("life-batch-{array}_{k}.out"))),
            cluster.logs()
        );
    }
    let whole = Command::new(speedup())
        .current_dir(&d)
        .args(["life", "batch", "jobs.txt", "-b", "serial", "-q"])
        .output()
        .unwrap();
    assert!(whole.status.success());
    let merged = read(&d.join("results/all.csv"));
    assert_eq!(merged.lines().count(), 15);
    assert_eq!(
        results(&merged),
        results(&String::from_utf8(whole.stdout).unwrap())
    );
    // Three of the four shards are not the whole batch: the merge says which jobs are missing.
    let out = Command::new(speedup())
        .current_dir(&d)
        .args(["life", "batch", "merge", "--expect", "14"])
        .args(&shards[..3])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("missing: 3, 7, 11"),
        "{stderr}"
    );
}

#[test]
fn a_cancelled_shard_keeps_its_rows_and_resume_completes_it() {
    if !slurm_available() {
        return;
    }
    let cluster = Cluster::start("cancel");
    let d = cluster.dir.clone();
    // Many small runs: the shard is cancelled part way through.
    let n = 400;
    let batch = format!(
        "{} life batch --random 128x128 --seeds 1:{n} -g 2000 -b serial -o out.csv -q",
        speedup()
    );
    let id = cluster.sbatch(&["-o", "first.out"], &format!("exec {batch}"));
    let partial = d.join("out.csv.partial");
    cluster.wait_for("some rows", || {
        std::fs::read_to_string(&partial).is_ok_and(|t| t.lines().count() > 20)
    });
    assert!(cluster.client("scancel", &[&id]).is_some());
    cluster.wait_idle();
    let before = read(&partial);
    let recorded = before.lines().count() - 1;
    assert!(
        !d.join("out.csv").exists() && recorded < n,
        "the shard finished before it was cancelled ({recorded} rows): make it longer"
    );
    let said = read(&d.join("first.out"));
    assert!(said.contains("rerun with --resume"), "{said}");
    cluster.sbatch(
        &["--wait", "-o", "second.out"],
        &format!("exec {batch} --resume"),
    );
    let done = read(&d.join("out.csv"));
    assert!(!partial.exists());
    // Every job once (the merge checks), and the rows recorded before the cancel kept as they
    // were, timings included: they were not run again.
    let out = Command::new(speedup())
        .current_dir(&d)
        .args([
            "life",
            "batch",
            "merge",
            "out.csv",
            "--expect",
            &n.to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for row in before.lines().skip(1) {
        assert!(done.lines().any(|l| l == row), "row lost or rerun: {row}");
    }
    assert_eq!(done.lines().count(), n + 1);
}
