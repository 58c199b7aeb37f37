//! The C peers of peers/ (issue 19 item 4) compute what speedup computes: each is built with
//! the system C compiler (through peers/build.sh, the flags scripts/peers.sh measures with) and
//! run at small sizes, and its checksum must equal speedup's own result for the same problem:
//! Mandelbrot's iteration total, Monte Carlo's hit count and SHA-256's hits and smallest nonce
//! exactly, N-body's kinetic energy within [`NBODY_TOLERANCE`], STREAM's Σa exactly, and the FMA
//! loop's chain value against the same recurrence in Rust. No timing is asserted.
//!
//! Every vector level of a peer that picks one at run time is its own trial (`mandelbrot_avx2`),
//! reported **ignored** where this CPU lacks it ("this CPU has no AVX-512"). Without a C compiler,
//! or where a peer does not build (no OpenMP, no OpenSSL headers), its trials are ignored with
//! the reason printed; with `SPEEDUP_REQUIRE_PEERS=1` (set in CI) they fail instead.

use libtest_mimic::{Arguments, Failed, Trial};
use speedup::backend::Backend;
use speedup::workloads::mandelbrot::{self, Mandelbrot, Region};
use speedup::workloads::montecarlo::{self, MonteCarlo};
use speedup::workloads::nbody::{self, Bodies, NBody};
use speedup::workloads::sha256::{self, Search};
use speedup::workloads::stream::{Stream, StreamRun};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Kinetic-energy agreement of the N-body peer (rsqrt + one Newton step, any summation order)
/// with speedup's serial kernel: measured 4e-10 relative at 1024 bodies, 4 steps; a systematic
/// 1e-4 error in 1/r moves the kinetic energy by 5e-7.
const NBODY_TOLERANCE: f64 = 1e-8;

/// Peer runs fail the process with this status when a forced vector level is missing.
const NO_SUCH_LEVEL: i32 = 3;

fn required() -> bool {
    std::env::var("SPEEDUP_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

/// Where this test binary builds the peers (removed when the trials are done).
fn build_dir() -> PathBuf {
    std::env::temp_dir().join(format!("speedup-peers-{}", std::process::id()))
}

/// The peers built into a fresh directory: name -> binary, or why it is not there.
fn build_peers() -> HashMap<&'static str, Result<PathBuf, String>> {
    const PEERS: [&str; 6] = [
        "mandelbrot",
        "nbody",
        "montecarlo",
        "sha256",
        "stream",
        "fma",
    ];
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let has_cc = Command::new(&cc)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let dir = build_dir();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/build.sh");
    PEERS
        .iter()
        .map(|&peer| {
            if !has_cc {
                return (
                    peer,
                    Err(format!("no C compiler ({cc}) to build the peers")),
                );
            }
            let out = Command::new("bash")
                .arg(&script)
                .arg(&dir)
                .arg(peer)
                .output();
            let built = match out {
                Ok(o) if o.status.success() => Ok(dir.join(peer)),
                Ok(o) => Err(String::from_utf8_lossy(&o.stderr).trim().to_string()),
                Err(e) => Err(format!("cannot run bash peers/build.sh: {e}")),
            };
            (peer, built)
        })
        .collect()
}

/// The fields of a peer's report line (`peer=... checksum=...`).
type Fields = HashMap<String, String>;

/// Runs `binary args` with PEER_ISA=`isa` (if any): its report line's fields.
fn run(binary: &Path, args: &[&str], isa: Option<&str>) -> Result<Fields, Failed> {
    let mut cmd = Command::new(binary);
    cmd.args(args);
    if let Some(isa) = isa {
        cmd.env("PEER_ISA", isa);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(NO_SUCH_LEVEL) {
        return Err(format!("the CPU has the level but the peer says: {stderr}").into());
    }
    if !out.status.success() {
        return Err(format!("{} {args:?}: {}: {stderr}", binary.display(), out.status).into());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().ok_or("the peer printed nothing")?;
    Ok(line
        .split_whitespace()
        .filter_map(|f| f.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

fn field<'a>(fields: &'a Fields, key: &str) -> Result<&'a str, Failed> {
    fields
        .get(key)
        .map(String::as_str)
        .ok_or_else(|| format!("no {key}= in the peer's line {fields:?}").into())
}

/// Checks `got == want`, naming the case.
fn same(case: &str, got: &str, want: &str) -> Result<(), Failed> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{case}: the peer's checksum is {got}, speedup's {want}").into())
    }
}

/// Mandelbrot over the whole set at awkward widths (a partial last group of 32 or 64 pixels, one
/// pixel), forced to `isa`: the iteration total equals speedup's reference.
fn mandelbrot(binary: &Path, isa: &str) -> Result<(), Failed> {
    for (w, h, m) in [
        (1, 1, 50),
        (31, 33, 200),
        (100, 37, 300),
        (257, 129, 256),
        (64, 64, 1000),
    ] {
        let size = format!("{w}x{h}:{m}");
        let job = Mandelbrot::new(w, h, m, Region::FULL)?;
        let want = mandelbrot::reference(&job).total_iterations();
        let fields = run(binary, &[&size, "1"], Some(isa))?;
        same(&size, field(&fields, "checksum")?, &want.to_string())?;
    }
    Ok(())
}

fn nbody(binary: &Path) -> Result<(), Failed> {
    for size in ["1:2", "33:3", "257:4", "600:4"] {
        let job = NBody::parse(size)?;
        let result = nbody::simulate(&Backend::Serial, job, Bodies::cluster(job.n, 42))?;
        let want = result.bodies.kinetic_energy();
        let got: f64 = field(&run(binary, &[size, "1"], None)?, "checksum")?.parse()?;
        let relative = (got - want).abs() / want.abs();
        if relative > NBODY_TOLERANCE || relative.is_nan() {
            return Err(format!(
                "{size}: the peer's kinetic energy {got:.9e}, speedup's {want:.9e} (relative difference {relative:.1e}, bound {NBODY_TOLERANCE:.0e})"
            )
            .into());
        }
    }
    Ok(())
}

/// Monte Carlo: speedup's own check jobs (awkward counts, one across the 2^32 index boundary)
/// plus the benchmark's seed.
fn montecarlo(binary: &Path) -> Result<(), Failed> {
    let mut jobs = montecarlo::check_jobs();
    jobs.push(MonteCarlo::parse("2^20")?);
    for job in jobs {
        let want = montecarlo::estimate(&Backend::Serial, job)?.hits;
        let (n, seed, first) = (
            job.samples.to_string(),
            job.seed.to_string(),
            job.first.to_string(),
        );
        let fields = run(binary, &[&n, "1", &seed, &first], None)?;
        let case = format!("{n} samples from {first}, seed {seed}");
        same(&case, field(&fields, "checksum")?, &want.to_string())?;
    }
    Ok(())
}

fn sha256(binary: &Path) -> Result<(), Failed> {
    for size in ["1:1", "1000:4", "2^16:8", "2^17"] {
        let found = sha256::search(&Backend::Serial, Search::parse(size)?)?;
        let fields = run(binary, &[size, "1"], None)?;
        let hits = found
            .matches
            .ok_or("an exhaustive search counts its hits")?;
        same(size, field(&fields, "checksum")?, &hits.to_string())?;
        let smallest = found.nonce.map_or("none".to_string(), |n| n.to_string());
        same(
            &format!("{size} smallest nonce"),
            field(&fields, "smallest")?,
            &smallest,
        )?;
    }
    Ok(())
}

fn stream(binary: &Path) -> Result<(), Failed> {
    for size in ["1:1", "1000:3", "65543:2"] {
        let mut run_ = StreamRun::new(&Backend::Serial, Stream::parse(size)?)?;
        run_.triads()?;
        let want: f64 = run_.result()?.iter().map(|&a| a as f64).sum();
        let got: f64 = field(&run(binary, &[size, "1"], None)?, "checksum")?.parse()?;
        if got != want {
            return Err(format!("{size}: the peer's Σa is {got}, speedup's {want}").into());
        }
    }
    Ok(())
}

/// The FMA loop's chain 0 after 1000 trips equals the same recurrence in Rust: fused (mul_add,
/// one rounding) in `fma` mode, a rounded multiply then add in `muladd` mode; the two differ, so
/// the check also shows the peer's unfused chains were not contracted.
fn fma(binary: &Path, isa: &str) -> Result<(), Failed> {
    let (m, c) = (0.999f32, 0.001f32);
    let (mut fused, mut unfused) = (0.0f32, 0.0f32);
    for _ in 0..1000 {
        fused = fused.mul_add(m, c);
        unfused = unfused * m + c;
    }
    assert_ne!(
        fused, unfused,
        "the two recurrences must differ to tell them apart"
    );
    for (mode, want) in [("fma", fused), ("muladd", unfused)] {
        let fields = run(binary, &["1000", "1", mode], Some(isa))?;
        let got: f32 = field(&fields, "checksum")?.parse()?;
        if got != want {
            return Err(format!(
                "{mode} on {isa}: the peer's chain ends at {got:e}, Rust's at {want:e}"
            )
            .into());
        }
    }
    Ok(())
}

/// Whether this CPU runs the vector level `isa` (the peers' own detection is GCC's
/// `__builtin_cpu_supports`; a disagreement fails the trial with the peer's message).
fn cpu_has(isa: &str) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        match isa {
            "avx512" => std::arch::is_x86_feature_detected!("avx512f"),
            "avx2" => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            _ => true,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        isa == "scalar"
    }
}

/// A trial's body, given the peer's binary.
type Body = Box<dyn Fn(&Path) -> Result<(), Failed> + Send>;

fn main() {
    let built = build_peers();
    let mut trials = Vec::new();
    // A trial for `peer`: ignored (with the reason printed) when the peer or the level is not
    // available here, failed instead when SPEEDUP_REQUIRE_PEERS=1 and the peer did not build.
    let mut add = |name: String, peer: &'static str, isa: Option<&'static str>, body: Body| {
        let binary = built[peer].clone();
        let missing_level = isa.filter(|l| !cpu_has(l));
        let ignored = match (&binary, missing_level) {
            (Err(why), _) if !required() => {
                eprintln!("{name}: ignored: {why}");
                true
            }
            (Ok(_), Some(level)) => {
                eprintln!(
                    "{name}: ignored: this CPU has no {}",
                    level.to_uppercase().replace("AVX512", "AVX-512")
                );
                true
            }
            _ => false,
        };
        let trial = Trial::test(name, move || match &binary {
            Ok(path) => body(path),
            Err(why) => {
                Err(format!("SPEEDUP_REQUIRE_PEERS=1 but the peer is missing: {why}").into())
            }
        });
        trials.push(trial.with_ignored_flag(ignored));
    };
    for isa in ["scalar", "avx2", "avx512"] {
        let body: Body = Box::new(move |b| mandelbrot(b, isa));
        add(format!("mandelbrot_{isa}"), "mandelbrot", Some(isa), body);
    }
    for isa in ["avx2", "avx512"] {
        let body: Body = Box::new(move |b| fma(b, isa));
        add(format!("fma_{isa}"), "fma", Some(isa), body);
    }
    add("nbody".into(), "nbody", None, Box::new(nbody));
    add(
        "montecarlo".into(),
        "montecarlo",
        None,
        Box::new(montecarlo),
    );
    add("sha256".into(), "sha256", None, Box::new(sha256));
    add("stream".into(), "stream", None, Box::new(stream));
    let conclusion = libtest_mimic::run(&Arguments::from_args(), trials);
    let _ = std::fs::remove_dir_all(build_dir());
    conclusion.exit()
}
