//! Progress where there is no terminal for a bar: a piped `bench`, a Slurm log, `nohup`. Like
//! rsync's `--info=progress2` in a log, a plain line on stderr every few seconds says the command
//! is alive and how far it got; on a terminal the commands draw bars instead.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Seconds between progress lines when stderr is not a terminal; `SPEEDUP_PROGRESS_SECONDS`
/// changes it (a number of seconds; 0 prints at every step).
pub const DEFAULT_INTERVAL_SECONDS: f64 = 5.0;

/// Prints a progress line at most every few seconds (see [`DEFAULT_INTERVAL_SECONDS`]).
pub struct Heartbeat {
    started: Instant,
    last: Instant,
    interval: Option<Duration>,
    what: &'static str,
}

impl Heartbeat {
    /// Lines of `what` (e.g. "life run") when stderr is not a terminal and `quiet` is off;
    /// silent otherwise (a terminal shows a bar).
    pub fn unless_terminal(what: &'static str, quiet: bool) -> Heartbeat {
        let interval = (!quiet && !std::io::stderr().is_terminal()).then(interval);
        let now = Instant::now();
        Heartbeat {
            started: now,
            last: now,
            interval,
            what,
        }
    }

    /// Prints "WHAT: LINE (N s)" if the interval has passed since the last line (or the start).
    pub fn beat(&mut self, line: impl FnOnce() -> String) {
        let Some(interval) = self.interval else {
            return;
        };
        if self.last.elapsed() >= interval {
            self.last = Instant::now();
            eprintln!(
                "{}: {} ({:.0} s)",
                self.what,
                line(),
                self.started.elapsed().as_secs_f64()
            );
        }
    }
}

/// The interval from `SPEEDUP_PROGRESS_SECONDS`, else the default.
fn interval() -> Duration {
    let seconds = std::env::var("SPEEDUP_PROGRESS_SECONDS")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(DEFAULT_INTERVAL_SECONDS);
    Duration::from_secs_f64(seconds)
}
