//! `--gpu-timeout`: a GPU run that outlives the bound ends with a one-line error naming the
//! workload, the backend and the time waited, promptly, on every adapter backend here (Vulkan:
//! the bounded poll; GL, whose llvmpipe driver runs the work inside the submit call: the
//! watchdog). And `--checked-shaders` gives the same answers as the default unchecked modules.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn speedup(backend: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_speedup"))
        .args(args)
        .env("WGPU_BACKEND", backend)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .expect("run the speedup binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Whether wgpu finds an adapter of `backend` here; a missing Vulkan adapter fails the test
/// under SPEEDUP_REQUIRE_GPU=1 (CI installs lavapipe), any other is skipped with a reason.
fn has_adapter(backend: &str) -> bool {
    let o = speedup(backend, &["devices"]);
    let found = text(&o.stdout).contains("--backend gpu picks:  adapter");
    if !found {
        let required = std::env::var("SPEEDUP_REQUIRE_GPU").is_ok_and(|v| v == "1");
        assert!(
            !(required && backend == "vulkan"),
            "SPEEDUP_REQUIRE_GPU=1 but no Vulkan adapter: {}",
            text(&o.stdout)
        );
        eprintln!("skipping the {backend} case: no {backend} adapter here");
    }
    found
}

/// Far more work than 1 ms of any device: a 4096² Mandelbrot at 60000 iterations is about 10^12
/// iterations (the interior alone is 1.5·10^11), seconds on the fastest GPU, minutes on lavapipe.
const LONG: &[&str] = &[
    "--gpu-timeout",
    "0.001",
    "run",
    "mandelbrot",
    "-s",
    "4096x4096:60000",
    "-b",
    "gpu",
];

fn times_out_with_one_line(backend: &str, wgpu_name: &str) {
    if !has_adapter(backend) {
        return;
    }
    let start = Instant::now();
    let o = speedup(backend, LONG);
    let took = start.elapsed();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{backend}: {err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("{backend}: no error line in {err:?}"));
    for part in [
        "mandelbrot",
        wgpu_name,
        "0.001 s",
        "waited",
        "--gpu-timeout",
    ] {
        assert!(line.contains(part), "{backend}: '{part}' not in {line:?}");
    }
    // Every wait is bounded, not the run: on llvmpipe's GL the Mandelbrot goes out in ~190
    // submissions that each return within the bound, so the run gives up at the first wait that
    // outlives it, about 30 s in on an idle 2-core machine (strace: 191 armed submits, the
    // watchdog firing 1.0 s after the last). A run that ignored the bound would end with status 0
    // after the whole ~10^11 iterations, which the status check above catches; this bound only
    // says it did not take minutes, with room for a loaded CI machine.
    assert!(
        took < Duration::from_secs(150),
        "{backend}: took {took:?} to give up"
    );
}

#[test]
fn a_run_past_the_bound_fails_on_vulkan() {
    times_out_with_one_line("vulkan", "Vulkan");
}

#[test]
fn a_run_past_the_bound_fails_on_gl() {
    times_out_with_one_line("gl", "Gl");
}

#[test]
fn bad_timeouts_are_refused() {
    for bad in ["0", "-1", "abc", "inf", "1e12"] {
        let flag = format!("--gpu-timeout={bad}");
        let o = speedup("vulkan", &[&flag, "devices"]);
        assert!(!o.status.success(), "--gpu-timeout {bad} accepted");
        assert!(
            text(&o.stderr).contains("positive number of seconds"),
            "{bad}: {}",
            text(&o.stderr)
        );
    }
}

#[test]
fn checked_shaders_give_the_same_answers() {
    if !has_adapter("vulkan") {
        return;
    }
    // The same Life run and Mandelbrot image with and without wgpu's runtime checks: the
    // unchecked modules are meant to differ only in speed.
    let life = [
        "life", "run", "--random", "333x257", "-g", "77", "-b", "gpu", "--kernel",
    ];
    for kernel in ["packed", "tiled", "naive"] {
        let mut args: Vec<&str> = life.to_vec();
        args.push(kernel);
        let plain = speedup("vulkan", &args);
        let checked = speedup(
            "vulkan",
            &[&["--checked-shaders"], args.as_slice()].concat(),
        );
        assert!(plain.status.success(), "{}", text(&plain.stderr));
        assert!(checked.status.success(), "{}", text(&checked.stderr));
        let summary = |o: &Output| {
            text(&o.stdout)
                .lines()
                .filter(|l| l.contains("population") || l.contains("hash"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert!(!summary(&plain).is_empty(), "{}", text(&plain.stdout));
        assert_eq!(summary(&plain), summary(&checked), "{kernel}");
    }
}
