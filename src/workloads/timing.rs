//! What one run's clock covered: the one timing boundary every backend of every workload uses.
//!
//! A CPU ÷ GPU ratio means nothing until it says what the clock covered (Gregg and Hazelwood,
//! ISPASS 2011). So a run is not timed by convention but through a [`RunClock`] that can only
//! be driven through three stages in order, and a [`RunTiming`] (what [`super::Prepared::run`]
//! returns) can only be made that way:
//!
//! 1. **inputs**: the problem's input put where the kernel reads it, and its output space made:
//!    for the GPU the uploads (queue writes and their wait); for the CPU what it really does
//!    too, the allocation and first touch of its buffers and the copy of its inputs.
//! 2. **kernel**: the computation with everything resident (for the GPU: submit until the
//!    queue has finished).
//! 3. **results**: the result brought to host memory (for the GPU the readback and its wait;
//!    for the CPU any final reduction; often nothing, the result is already there).
//!
//! Kernel time is stage 2; end-to-end time is all three (the harness times the whole
//! [`super::Prepared::run`] call, which is these three and nothing else). Each run also says
//! how many bytes of input it made resident in stage 1 and how many bytes of result are in host
//! memory at the end of stage 3: the CPU and GPU runs of one problem must agree on both
//! (tests/timing.rs checks every workload), so a GPU run that leaves its upload or its readback
//! out of the clock, or a CPU run that starts from inputs the GPU has to upload, cannot pass.
//!
//! Those byte counts are the run's own claim; what the clock saw move is measured: the clock
//! reads the transfer ledger ([`Transfers`]) at its stage boundaries, so every row also carries
//! the bytes uploaded in stage 1 and read back in stages 2 and 3 ([`RunTiming::transfers`]),
//! with nothing for a run to call or forget. Two checks follow (tests/timing.rs makes both for
//! every workload): [`RunTiming::moved_outside`], nothing moved during the run's call but
//! outside its clock; [`RunTiming::unseen_transfers`], a GPU row's clock saw its input uploaded
//! and its result read back, not done at preparation or left on the device.

use crate::gpu::Transfers;
use std::time::Instant;

/// The time and the data of one run, stage by stage. Made only by a [`RunClock`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunTiming {
    inputs_seconds: f64,
    kernel_seconds: f64,
    results_seconds: f64,
    device_seconds: Option<f64>,
    input_bytes: u64,
    result_bytes: u64,
    transfers: Transfers,
    /// Everything the ledger saw move between the clock's start and stop.
    clocked: Transfers,
}

impl RunTiming {
    /// Stage 1, wall: uploads (GPU), allocation, first touch and input copies (CPU).
    pub fn inputs_seconds(&self) -> f64 {
        self.inputs_seconds
    }
    /// Stage 2, wall: the computation on resident data (for the GPU, until the queue is idle).
    pub fn kernel_seconds(&self) -> f64 {
        self.kernel_seconds
    }
    /// Stage 3, wall: the result brought to host memory (readback and its wait).
    pub fn results_seconds(&self) -> f64 {
        self.results_seconds
    }
    /// The three stages together: what a user waits for.
    pub fn end_to_end_seconds(&self) -> f64 {
        self.inputs_seconds + self.kernel_seconds + self.results_seconds
    }
    /// Device time of the kernel stage's passes from timestamp queries (GPU, where supported).
    pub fn device_seconds(&self) -> Option<f64> {
        self.device_seconds
    }
    /// Bytes of the problem's input made resident for the kernel in stage 1 (uploaded, or
    /// copied into freshly allocated memory); launch parameters are not counted.
    pub fn input_bytes(&self) -> u64 {
        self.input_bytes
    }
    /// Bytes of result in host memory when the run ends (read back, or already there).
    pub fn result_bytes(&self) -> u64 {
        self.result_bytes
    }
    /// What the clock measured moving between host and device on the run's thread: uploads
    /// during stage 1 (`to_device`) and readbacks during stages 2 and 3 (`to_host`; a
    /// first-match search reads back in the kernel stage to decide whether to go on). Zero for a
    /// CPU run.
    pub fn transfers(&self) -> Transfers {
        self.transfers
    }
    /// What moved during the call that made this timing but outside its clock, given
    /// `during`, the ledger's change across the whole call: zero unless a transfer was done
    /// before the clock started or after it stopped.
    pub fn moved_outside(&self, during: Transfers) -> Transfers {
        during - self.clocked
    }
    /// Why this GPU row's clock did not see its data move, or `None` when it did: its stage 1
    /// must upload at least the input bytes it claims (not have them uploaded at preparation,
    /// which a CPU run copies inside its clock), and a result it claims must be read back
    /// inside the clock. Any amount of it: a GPU result may come back in another form than the
    /// CPU's (sha256 reads a 4-byte offset per batch where the answer holds an 8-byte nonce),
    /// and [`RunTiming::moved_outside`] catches a part of it read after the clock.
    pub fn unseen_transfers(&self) -> Option<String> {
        let moved = self.transfers;
        let mut why = Vec::new();
        if moved.to_device < self.input_bytes {
            why.push(format!(
                "claims {} input bytes but its clock saw {} uploaded",
                self.input_bytes, moved.to_device
            ));
        }
        if self.result_bytes > 0 && moved.to_host == 0 {
            why.push(format!(
                "claims {} result bytes but its clock saw none read back",
                self.result_bytes
            ));
        }
        (!why.is_empty()).then(|| why.join("; "))
    }
}

/// Starts timing a run: stage 1 (inputs) is running. Drive it with [`Inputs::ready`],
/// [`Kernel::done`] and [`Results::on_host`].
pub struct RunClock;

impl RunClock {
    /// Stage 1 starts now.
    #[allow(clippy::new_ret_no_self)]
    pub fn start() -> Inputs {
        Inputs {
            start: Instant::now(),
            moved: Transfers::so_far(),
        }
    }
}

/// Stage 1 of a run: inputs being made resident.
#[must_use = "a run's clock must be driven to RunTiming"]
pub struct Inputs {
    start: Instant,
    /// The ledger when the clock started.
    moved: Transfers,
}

impl Inputs {
    /// Stage 1 ends: `input_bytes` of input are resident; the kernel starts now.
    pub fn ready(self, input_bytes: u64) -> Kernel {
        let now = Instant::now();
        let moved = Transfers::so_far();
        Kernel {
            inputs_seconds: (now - self.start).as_secs_f64(),
            input_bytes,
            uploaded: (moved - self.moved).to_device,
            started: self.moved,
            moved,
            start: now,
        }
    }
}

/// Stage 2 of a run: the kernel running.
#[must_use = "a run's clock must be driven to RunTiming"]
pub struct Kernel {
    inputs_seconds: f64,
    input_bytes: u64,
    /// Bytes the ledger saw uploaded in stage 1.
    uploaded: u64,
    /// The ledger when the clock started.
    started: Transfers,
    /// The ledger when stage 1 ended.
    moved: Transfers,
    start: Instant,
}

impl Kernel {
    /// Stage 2 ends (for the GPU: after the wait for the queue); `device_seconds` is the
    /// timestamp-query time of its passes, where measured.
    pub fn done(self, device_seconds: Option<f64>) -> Results {
        let now = Instant::now();
        Results {
            inputs_seconds: self.inputs_seconds,
            input_bytes: self.input_bytes,
            uploaded: self.uploaded,
            started: self.started,
            moved: self.moved,
            kernel_seconds: (now - self.start).as_secs_f64(),
            device_seconds,
            start: now,
        }
    }
}

/// Stage 3 of a run: the result being brought to host memory.
#[must_use = "a run's clock must be driven to RunTiming"]
pub struct Results {
    inputs_seconds: f64,
    input_bytes: u64,
    uploaded: u64,
    started: Transfers,
    /// The ledger when stage 1 ended: readbacks from then on count.
    moved: Transfers,
    kernel_seconds: f64,
    device_seconds: Option<f64>,
    start: Instant,
}

impl Results {
    /// Stage 3 ends: `result_bytes` of result are in host memory.
    pub fn on_host(self, result_bytes: u64) -> RunTiming {
        let now = Transfers::so_far();
        RunTiming {
            inputs_seconds: self.inputs_seconds,
            kernel_seconds: self.kernel_seconds,
            results_seconds: self.start.elapsed().as_secs_f64(),
            device_seconds: self.device_seconds,
            input_bytes: self.input_bytes,
            result_bytes,
            transfers: Transfers {
                to_device: self.uploaded,
                to_host: (now - self.moved).to_host,
            },
            clocked: now - self.started,
        }
    }
}

/// Which of a row's two times its headline (median, throughput, speedups) uses: `speedup bench
/// --timing`.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Timing {
    /// Inputs, kernel and results: what a user waits for (the default).
    #[default]
    EndToEnd,
    /// The kernel stage alone, data resident, no transfers.
    Kernel,
}

impl Timing {
    /// The word used on the command line, in JSON and in tables: "end-to-end" or "kernel".
    pub fn word(self) -> &'static str {
        match self {
            Timing::EndToEnd => "end-to-end",
            Timing::Kernel => "kernel",
        }
    }

    /// The headline seconds of `run` under this timing.
    pub fn of(self, run: &RunTiming) -> f64 {
        match self {
            Timing::EndToEnd => run.end_to_end_seconds(),
            Timing::Kernel => run.kernel_seconds(),
        }
    }
}

impl std::str::FromStr for Timing {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> crate::error::Result<Timing> {
        match s.trim().to_ascii_lowercase().as_str() {
            "end-to-end" | "end_to_end" | "e2e" => Ok(Timing::EndToEnd),
            "kernel" => Ok(Timing::Kernel),
            _ => Err(crate::error::Error::InvalidArgument(format!(
                "--timing '{s}': expected end-to-end or kernel"
            ))),
        }
    }
}

impl std::fmt::Display for Timing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_add_up_to_end_to_end() {
        let t = RunClock::start().ready(12).done(Some(1e-3)).on_host(34);
        assert_eq!(
            t.end_to_end_seconds(),
            t.inputs_seconds() + t.kernel_seconds() + t.results_seconds()
        );
        assert!(t.kernel_seconds() <= t.end_to_end_seconds());
        assert_eq!((t.input_bytes(), t.result_bytes()), (12, 34));
        assert_eq!(Timing::Kernel.of(&t), t.kernel_seconds());
    }

    #[test]
    fn the_clock_counts_only_transfers_inside_it() {
        let before = Transfers::so_far();
        Transfers::count_to_device(1000); // before the clock
        let inputs = RunClock::start();
        Transfers::count_to_device(12);
        let kernel = inputs.ready(12);
        Transfers::count_to_device(8); // a parameter write in the kernel stage: not input
        Transfers::count_to_host(16); // a first-match readback in the kernel stage
        let results = kernel.done(None);
        Transfers::count_to_host(18);
        let t = results.on_host(34);
        Transfers::count_to_host(34); // after the clock
        let moved = t.transfers();
        assert_eq!((moved.to_device, moved.to_host), (12, 34));
        assert_eq!(t.unseen_transfers(), None);
        let outside = t.moved_outside(Transfers::so_far() - before);
        assert_eq!((outside.to_device, outside.to_host), (1000, 34));

        // The same run with its readback after the clock: the row says what is missing.
        let kernel = RunClock::start().ready(0);
        let t = kernel.done(None).on_host(34);
        Transfers::count_to_host(34);
        let why = t.unseen_transfers().expect("a readback outside the clock");
        assert!(
            why.contains("34 result bytes") && why.contains("none"),
            "{why}"
        );
    }

    #[test]
    fn timing_words_round_trip() {
        for t in [Timing::EndToEnd, Timing::Kernel] {
            assert_eq!(t.word().parse::<Timing>().unwrap(), t);
        }
        assert!("wall".parse::<Timing>().is_err());
    }
}
