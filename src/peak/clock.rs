//! The core's clock, measured: a chain of dependent integer adds runs one add a cycle on every
//! x86-64 and 64-bit Arm core, so adds per second is cycles per second.
//!
//! Theoretical peaks need a clock. Where Linux exposes cpufreq, its `cpuinfo_max_freq` is the
//! one to use ([`super::theory::cpu_clock_mhz`]); a virtual machine exposes none, and its
//! `cpu MHz` in /proc/cpuinfo is the host's nominal clock with boost hidden (2445 MHz on the
//! development guest, whose cores run at 3.2 GHz), which put measured ceilings at 131% "of
//! theoretical". Timing the chain gives the clock the core actually runs a scalar loop at; heavy
//! vector code, or every core at once, may run slower (AVX-512 clock licences, all-core boost),
//! so a ceiling may still fall short of a peak computed from it.

use std::sync::OnceLock;
use std::time::Instant;

/// Iterations of [`add_chain`]'s loop per timed run: 8 adds each, 4 million cycles, about
/// 1.3 ms at 3 GHz: long against a timer's resolution, short against a scheduler's slice.
const ROUNDS: u64 = 500_000;

/// Timed runs; the fastest is kept, since a preempted or interrupted run only reads slower.
const RUNS: usize = 7;

/// This core's clock in MHz from a dependent-add chain (measured once per process, about 10 ms),
/// or `None` on an architecture without the chain, or where the result is not a plausible clock
/// (under an emulator, say).
pub fn measured_mhz() -> Option<f64> {
    static MHZ: OnceLock<Option<f64>> = OnceLock::new();
    *MHZ.get_or_init(|| {
        // One run first, untimed, to wake the core from any idle state.
        add_chain(ROUNDS)?;
        let best = (0..RUNS)
            .filter_map(|_| {
                let started = Instant::now();
                let adds = add_chain(ROUNDS)?;
                Some(adds as f64 / started.elapsed().as_secs_f64() / 1e6)
            })
            .fold(0.0, f64::max);
        plausible(best).then_some(best)
    })
}

/// Whether `mhz` can be a CPU core's clock: 200 MHz to 10 GHz.
fn plausible(mhz: f64) -> bool {
    (200.0..=10_000.0).contains(&mhz)
}

/// The chain's loop in one architecture's assembly: label 2, eight copies of `$add` (x += one),
/// then `$count` (n -= 1, setting flags) and `$branch` (back to 2 while n is not 0).
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
macro_rules! chain {
    ($x:ident, $n:ident, $add:literal, $count:literal, $branch:literal) => {
        std::arch::asm!(
            "2:", $add, $add, $add, $add, $add, $add, $add, $add, $count, $branch,
            x = inout(reg) $x,
            one = in(reg) 1u64,
            n = inout(reg) $n => _,
            options(nomem, nostack),
        )
    };
}

/// Runs `rounds` × 8 dependent adds of 1 to a register from 0 and returns the register: the
/// adds done. Register-to-register adds: some cores execute an add of a small immediate in
/// their renamer, off the chain's critical path.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn add_chain(rounds: u64) -> Option<u64> {
    let mut x: u64 = 0;
    // SAFETY: register arithmetic and a counted loop only; no memory, no stack.
    unsafe {
        #[cfg(target_arch = "x86_64")]
        chain!(x, rounds, "add {x}, {one}", "dec {n}", "jnz 2b");
        #[cfg(target_arch = "aarch64")]
        chain!(
            x,
            rounds,
            "add {x}, {x}, {one}",
            "subs {n}, {n}, #1",
            "b.ne 2b"
        );
    }
    Some(x)
}

/// No chain written for other architectures.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn add_chain(_rounds: u64) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_adds_what_it_counts() {
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        {
            assert_eq!(add_chain(1), Some(8));
            assert_eq!(add_chain(3), Some(24));
            // A clock comes back: the fastest of seven ~1 ms runs is not 20 times slow.
            let mhz = measured_mhz().expect("a plausible clock");
            assert!(plausible(mhz));
        }
    }

    #[test]
    fn only_a_cpu_clock_is_plausible() {
        assert!(plausible(3190.0));
        assert!(plausible(800.0));
        assert!(!plausible(0.0));
        assert!(!plausible(50.0));
        assert!(!plausible(f64::INFINITY));
        assert!(!plausible(f64::NAN));
    }
}
