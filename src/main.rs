//! The `speedup` command: a thin layer over the library. Parses the command line, runs the
//! subcommand, prints errors as one line and sets the exit code.

mod cli;

use clap::Parser;

fn main() {
    quiet_mesa_wayland_probe();
    let args = cli::Cli::parse();
    // SPEEDUP_CPU names a level for every CPU kernel: a typo or a level this CPU lacks is a
    // usage error, refused before any work (as clap refuses a bad flag, with status 2).
    if let Err(err) = speedup::isa::Isa::forced() {
        eprintln!("error: {err}");
        std::process::exit(2);
    }
    if let Err(err) = cli::run(args) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

/// Mesa's GL driver probes for a Wayland display while wgpu enumerates adapters, and libwayland
/// prints "error: XDG_RUNTIME_DIR is invalid or not set" when that variable is missing (as in
/// containers and CI). The line is harmless but reads like an error of ours, so point the
/// variable at the temporary directory when there is no desktop session at all.
fn quiet_mesa_wayland_probe() {
    let unset = |name: &str| std::env::var_os(name).is_none_or(|v| v.is_empty());
    if cfg!(target_os = "linux") && unset("XDG_RUNTIME_DIR") && unset("WAYLAND_DISPLAY") {
        // Still single-threaded here, so changing the environment races with nothing.
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
}
