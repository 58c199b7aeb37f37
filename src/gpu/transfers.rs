//! The transfer ledger: every byte our helpers move between host and device, counted per thread.
//!
//! A run's clock ([`crate::workloads::RunClock`]) reads this ledger at its stage boundaries, so
//! a row's transfer bytes are measured rather than declared by the run's code: an upload or a
//! readback done outside the clock is not counted, and tests/timing.rs sees the row claim
//! bytes its clock never saw move.
//!
//! Per thread rather than per [`super::GpuContext`]: the clock is started before the run knows
//! its backend (it holds no context), and a run's transfers are made by the thread that runs it,
//! while other threads (test trials, other benchmarks) move bytes on the same context at the
//! same time. A transfer made on another thread is missed, which can only make a run look as
//! if it moved less, never more: the check fails rather than passes.
//!
//! Every host↔device transfer goes through [`super::GpuContext`]'s helpers (`write_buffer`,
//! `storage_with_data`, `uniform_with_data`, `map_and_read` and those built on them); clippy.toml
//! disallows wgpu's own calls elsewhere, so no transfer bypasses the ledger.

use std::cell::Cell;

/// Bytes moved by this thread's transfers since it started (or between two readings, by
/// subtraction).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transfers {
    /// Host to device: queue writes and buffers created with contents.
    pub to_device: u64,
    /// Device to host: mapped readbacks (timestamp queries excluded: they are the clock's own
    /// instrument, not the run's data).
    pub to_host: u64,
}

thread_local! {
    static LEDGER: Cell<Transfers> = const { Cell::new(Transfers { to_device: 0, to_host: 0 }) };
}

impl Transfers {
    /// This thread's totals so far.
    pub fn so_far() -> Transfers {
        LEDGER.with(Cell::get)
    }

    /// Counts `bytes` written from the host to the device.
    pub(crate) fn count_to_device(bytes: u64) {
        Transfers::count(Transfers {
            to_device: bytes,
            to_host: 0,
        });
    }

    /// Counts `bytes` read back from the device to the host.
    pub(crate) fn count_to_host(bytes: u64) {
        Transfers::count(Transfers {
            to_device: 0,
            to_host: bytes,
        });
    }

    /// Adds `moved` to this thread's totals.
    fn count(moved: Transfers) {
        LEDGER.with(|l| {
            let t = l.get();
            l.set(Transfers {
                to_device: t.to_device + moved.to_device,
                to_host: t.to_host + moved.to_host,
            });
        });
    }
}

impl std::ops::Sub for Transfers {
    type Output = Transfers;
    /// What moved between an earlier reading (`rhs`) and this one.
    fn sub(self, rhs: Transfers) -> Transfers {
        Transfers {
            to_device: self.to_device - rhs.to_device,
            to_host: self.to_host - rhs.to_host,
        }
    }
}
