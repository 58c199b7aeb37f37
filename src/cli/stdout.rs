//! Printing on stdout when the reader may go away: `speedup devices | head -1`, a `verify`
//! piped into a pager that is quit. Like ripgrep and the coreutils, the command then ends quietly
//! (exit 0, nothing on stderr) instead of panicking as std's `println!` does. The binary's
//! `println!` and `print!` (src/main.rs) come here; `main` also ends quietly when an error that
//! reached it was a write to a closed stdout ([`is_broken_pipe`]).

use std::io::Write;

/// Writes `args` to stdout; a closed stdout ends the process quietly, any other failure to write
/// ends it with a one-line error.
pub fn print(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            reader_gone();
        }
        eprintln!("error: writing to stdout: {e}");
        std::process::exit(1);
    }
}

/// Ends the process because nobody reads its output any more: exit status 0 and no message, as
/// `yes | head -1` leaves `yes`. Whatever the command wrote to files is complete already (files
/// are written before the summary that would be printed).
pub fn reader_gone() -> ! {
    std::process::exit(0)
}

/// Whether `err` (or anything in its chain) is a write to a pipe whose reader has gone.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let broken = |e: &std::io::Error| e.kind() == std::io::ErrorKind::BrokenPipe;
    err.chain().any(|cause| {
        // The library's I/O errors carry the OS error as a field, not as their source.
        cause.downcast_ref::<std::io::Error>().is_some_and(broken)
            || matches!(cause.downcast_ref::<speedup::Error>(),
                        Some(speedup::Error::Io { error, .. }) if broken(error))
    })
}
