//! Refusing grids that cannot fit, before anything is allocated.
//!
//! [`grid::check_size`](super::grid::check_size) enforces the fixed limit ([`MAX_CELLS`]); this
//! module adds the machine's own: a header that asks for more memory than is available is refused
//! with a message naming both numbers, instead of letting the operating system kill the process
//! half-way through (Linux overcommits, so an allocation "succeeds" and the process dies later).

use super::grid::{check_size, words_per_row, MAX_CELLS};
use crate::error::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};

/// A process-wide cap on the bytes [`check_grids`] allows, below the memory available; 0: none.
static BUDGET: AtomicU64 = AtomicU64::new(0);

/// Caps the memory that grids may take in this process (`None` lifts the cap). Fuzzers set a
/// small one so that a header asking for a large grid is refused quickly instead of filling the
/// machine; the memory available still applies below the cap.
pub fn set_budget(bytes: Option<u64>) {
    BUDGET.store(bytes.unwrap_or(0), Ordering::Relaxed);
}

/// Bytes one bit-packed `width` × `height` grid takes (rows padded to whole `u32` words).
pub fn grid_bytes(width: u32, height: u32) -> u64 {
    words_per_row(width) as u64 * height as u64 * 4
}

/// Checks that `copies` grids of `width` × `height` cells are allowed ([`check_size`]) and fit in
/// the memory available now. `what` says what they are for, in the message.
pub fn check_grids(width: u64, height: u64, copies: u64, what: &str) -> Result<()> {
    check_size(width, height)?;
    let one = grid_bytes(width as u32, height as u32);
    let needed = one.saturating_mul(copies.max(1));
    let budget = BUDGET.load(Ordering::Relaxed);
    if budget > 0 && needed > budget {
        return Err(Error::InvalidSize(format!(
            "{what}: a {width}x{height} grid needs about {} MiB, more than this process's \
             budget of {} MiB",
            mib(needed),
            mib(budget)
        )));
    }
    // Reading MemAvailable costs a file open and several reads: for grids too small to matter
    // it is skipped, since a batch of thousands of small runs checks before each one.
    if needed < SMALL_BYTES {
        return Ok(());
    }
    if let Some(available) = crate::host::available_memory() {
        if needed > available {
            return Err(Error::InvalidSize(format!(
                "{what}: a {width}x{height} grid needs about {} MiB ({copies} bit-packed cop{} \
                 of {} MiB) but only {} MiB of memory is available (MemAvailable); \
                 the fixed limit is {MAX_CELLS} cells",
                mib(needed),
                if copies == 1 { "y" } else { "ies" },
                mib(one),
                mib(available)
            )));
        }
    }
    Ok(())
}

/// Below this many bytes [`check_grids`] does not ask how much memory is available.
const SMALL_BYTES: u64 = 16 << 20;

fn mib(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_named() {
        assert_eq!(grid_bytes(33, 2), 16);
        assert!(check_grids(100, 100, 4, "test").is_ok());
        let e = check_grids(1 << 20, 1 << 20, 1, "test").unwrap_err();
        assert!(e.to_string().contains("limit"), "{e}");
        // Just under MAX_CELLS, but with many copies: more than any test machine has.
        if crate::host::available_memory().is_some() {
            let e = check_grids(1 << 18, 1 << 18, 1 << 20, "huge").unwrap_err();
            assert!(e.to_string().contains("MemAvailable"), "{e}");
        }
    }
}
