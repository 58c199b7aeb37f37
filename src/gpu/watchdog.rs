//! The backstop behind `--gpu-timeout`: a process-wide watchdog thread that ends the process with
//! a one-line error when a call into the driver outlives its deadline.
//!
//! [`GpuContext::wait`](super::GpuContext::wait) bounds its poll with wgpu's own timeout, which
//! Vulkan, Metal and DX12 honour. Not every driver blocks only there: llvmpipe's GL driver, for
//! one, runs a submission's dispatches inside the submit call and ignores the poll's timeout,
//! and a driver stuck in its own code cannot be interrupted from this thread. The watchdog
//! covers those cases: the calls that may block ([`GpuContext::submit`](super::GpuContext::submit)
//! and the wait) are armed with a deadline a little past the bound; if one is still running at
//! the deadline, the watchdog prints `error: ...` naming the work, the backend and the time
//! waited, and exits with status 1. Files already written stay; nothing else can be done safely
//! for a thread blocked inside a driver.

use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// What the watchdog thread watches: the armed deadlines, by arming ticket.
#[derive(Default)]
struct State {
    next_ticket: u64,
    armed: Vec<(u64, Instant, String)>,
}

struct Watchdog {
    state: Mutex<State>,
    changed: Condvar,
}

fn watchdog() -> &'static Watchdog {
    static WATCHDOG: OnceLock<&'static Watchdog> = OnceLock::new();
    WATCHDOG.get_or_init(|| {
        let dog: &'static Watchdog = Box::leak(Box::new(Watchdog {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("speedup gpu watchdog".into())
            .spawn(move || watch(dog))
            .expect("cannot start the GPU watchdog thread");
        dog
    })
}

fn watch(dog: &Watchdog) {
    let mut state = dog.state.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let now = Instant::now();
        let earliest = state.armed.iter().min_by_key(|(_, deadline, _)| *deadline);
        match earliest {
            Some((_, deadline, message)) if *deadline <= now => {
                eprintln!("error: {message}");
                std::process::exit(1);
            }
            Some((_, deadline, _)) => {
                let wait = *deadline - now;
                state = dog
                    .changed
                    .wait_timeout(state, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            None => state = dog.changed.wait(state).unwrap_or_else(|e| e.into_inner()),
        }
    }
}

/// An armed deadline; dropping it disarms it.
pub(crate) struct Armed {
    ticket: u64,
}

/// Arms the watchdog: unless the returned guard is dropped within `limit`, the process prints
/// `error: ` followed by `message(limit)` and exits with status 1.
pub(crate) fn arm(limit: Duration, message: impl FnOnce(Duration) -> String) -> Armed {
    let dog = watchdog();
    let mut state = dog.state.lock().unwrap_or_else(|e| e.into_inner());
    let ticket = state.next_ticket;
    state.next_ticket += 1;
    let deadline = Instant::now() + limit;
    state.armed.push((ticket, deadline, message(limit)));
    dog.changed.notify_all();
    Armed { ticket }
}

impl Drop for Armed {
    fn drop(&mut self) {
        let dog = watchdog();
        let mut state = dog.state.lock().unwrap_or_else(|e| e.into_inner());
        state.armed.retain(|(t, _, _)| *t != self.ticket);
        // No notify: a later deadline than the thread sleeps towards never needs waking it.
    }
}

/// How long past `--gpu-timeout` the watchdog waits before ending the process: the poll's own
/// timeout gets the first chance to fail the run cleanly, with a `Result`.
pub(crate) fn grace(timeout: Duration) -> Duration {
    timeout + (timeout / 10).max(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disarmed_deadlines_never_fire() {
        // Many short deadlines armed and disarmed in time: the process is still here.
        for _ in 0..100 {
            let armed = arm(Duration::from_millis(200), |_| "unexpected".into());
            drop(armed);
        }
        std::thread::sleep(Duration::from_millis(300));
        assert!(watchdog()
            .state
            .lock()
            .unwrap()
            .armed
            .iter()
            .all(|(_, _, m)| m != "unexpected"));
    }

    #[test]
    fn grace_is_at_least_a_second() {
        assert_eq!(grace(Duration::from_secs(1)), Duration::from_secs(2));
        assert_eq!(grace(Duration::from_secs(100)), Duration::from_secs(110));
    }
}
