//! scripts/gpu-peer.py, the PyTorch Life a Python user would write, on the CPU build of PyTorch
//! where it is installed: it must draw the same soup as `speedup life run --random` and reach the
//! same population. Skipped with a reason without python3 and torch (CI has neither), unless
//! SPEEDUP_REQUIRE_TORCH=1.

use std::process::Command;

fn torch_here() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import torch"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !std::env::var("SPEEDUP_REQUIRE_TORCH").is_ok_and(|v| v == "1"),
            "SPEEDUP_REQUIRE_TORCH=1 but python3 cannot import torch"
        );
        eprintln!("skipping: python3 with torch not found (pip install torch)");
    }
    found
}

#[test]
fn the_peer_reaches_speedups_population() {
    if !torch_here() {
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/gpu-peer.py");
    // Awkward sizes, two seeds, a dense and a sparse soup: any difference in the soup or the
    // rule shows in the population within a few dozen generations.
    for (size, seed, density) in [("61x33:40", "3", "0.5"), ("100x7:25", "11", "0.3")] {
        let o = Command::new("python3")
            .args([script, "--size", size, "--seed", seed, "--density", density])
            .args([
                "--speedup",
                env!("CARGO_BIN_EXE_speedup"),
                "--backend",
                "serial",
            ])
            .env("XDG_RUNTIME_DIR", std::env::temp_dir())
            .output()
            .expect("run python3");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{size} seed {seed}: {out}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(out.contains("\"populations_equal\": true"), "{out}");
        assert!(out.contains("\"speedup_over_peer\""), "{out}");
    }
}
