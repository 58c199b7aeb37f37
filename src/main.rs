//! The `speedup` command: a thin layer over the library. Parses the command line, runs the
//! subcommand, prints errors as one line and sets the exit code.

// Every subcommand prints through these instead of std's, so that a reader that goes away
// (`speedup devices | head -1`) ends the command quietly instead of panicking: std's macros
// panic on a failed write, and Rust ignores SIGPIPE, so without this the first write to a closed
// pipe is a panic and exit 101. Defined before `mod cli` so that they shadow std's there.
macro_rules! println {
    () => { $crate::cli::stdout::print(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::stdout::print(format_args!("{}\n", format_args!($($arg)*))) };
}
macro_rules! print {
    ($($arg:tt)*) => { $crate::cli::stdout::print(format_args!($($arg)*)) };
}

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
        // Writes to stdout that fail because its reader left end the command quietly, however
        // deep they were (`writeln!` on a locked stdout, a CSV written row by row).
        if cli::stdout::is_broken_pipe(&err) {
            cli::stdout::reader_gone();
        }
        eprintln!("error: {err:#}");
        // Bad values on the command line found after clap's own checks (which exit with 2) exit
        // with 2 as well: nothing was run.
        let code = if cli::is_usage_error(&err) { 2 } else { 1 };
        std::process::exit(code);
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
