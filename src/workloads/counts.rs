//! Work per unit, counted once: each workload's operations per unit of work by instruction class
//! and its bytes per unit from each memory level ([`super::Workload::work_counts`]), written out
//! next to the kernel they count. Rows are held against the ceilings of [`crate::peak`] with
//! them (`harness::roofline`), and docs/performance.md quotes them (`speedup peak --counts`).
//!
//! Counts are lower bounds of what a kernel must do: the operations its algorithm needs as the
//! kernel writes them (an index computation or a loop counter the compiler may fold is not
//! counted), and the traffic each input read once and each output written once per pass needs.
//! A count that is too high puts a row above its roof, which the report flags.

use crate::isa::Isa;
use crate::peak::Measure;
use serde::Serialize;

/// Which kind of backend a count is for, where the CPU and GPU kernels differ (N-body's GPU
/// driver fuses multiply-adds; Monte Carlo's CPU kernel hoists a mix the GPU recomputes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// Serial and Rayon.
    Cpu,
    /// Every GPU adapter.
    Gpu,
}

/// What a CPU row ran, where its count depends on it ([`super::Workload::work_counts_ran`]):
/// the instruction-set level (`cpu_isa`) and, for a workload with several CPU kernels, which
/// one (`cpu_kernel`, e.g. "sha-ni ×2"). Empty for GPU rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ran<'a> {
    /// The level the CPU kernel ran at.
    pub isa: Option<Isa>,
    /// The kernel, as the row names it.
    pub kernel: Option<&'a str>,
}

/// One stream of memory traffic: bytes per unit, over a working set that decides which level
/// serves it (the nearest level it fits in).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Traffic {
    /// What moves, e.g. "grid in and out".
    pub what: &'static str,
    /// Bytes per unit of work.
    pub bytes_per_unit: f64,
    /// Bytes the traffic cycles over.
    pub working_set_bytes: f64,
    /// Served from GPU workgroup memory (shared memory), whatever its size.
    pub workgroup_memory: bool,
}

/// What one unit of a workload's work costs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WorkCounts {
    /// Operations per unit by class (flops for the f32 classes, lane-operations for the integer
    /// ones); classes not listed are not counted. Flops under [`Measure::F32Fma`] are ones a
    /// compiler may fuse or not (a GPU driver's choice): the faster f32 ceiling bounds them;
    /// under [`Measure::F32MulAdd`], ones the kernel keeps apart.
    pub ops: Vec<(Measure, f64)>,
    /// Memory traffic per unit.
    pub traffic: Vec<Traffic>,
    /// What is left out or known to differ, e.g. "sqrt and division not counted (no ceiling)".
    pub note: &'static str,
}

impl WorkCounts {
    /// Operations of `class` per unit (0 when not counted).
    pub fn ops_of(&self, class: Measure) -> f64 {
        self.ops
            .iter()
            .filter(|(c, _)| *c == class)
            .map(|(_, n)| n)
            .sum()
    }

    /// Every counted operation per unit, all classes together (a special unit's instructions,
    /// [`Measure::UNITS`], are counted in the pipes' classes too, and only once here).
    pub fn total_ops(&self) -> f64 {
        self.ops
            .iter()
            .filter(|(c, _)| !c.is_unit())
            .map(|(_, n)| n)
            .sum()
    }

    /// Bytes per unit of the traffic that leaves the nearest levels (each input read once,
    /// each output written once): the denominator of the arithmetic intensity. The largest
    /// working set's stream.
    pub fn compulsory_bytes(&self) -> f64 {
        self.traffic
            .iter()
            .max_by(|a, b| a.working_set_bytes.total_cmp(&b.working_set_bytes))
            .map_or(0.0, |t| t.bytes_per_unit)
    }

    /// A count with operations `ops` and no traffic.
    pub fn compute(ops: &[(Measure, f64)], note: &'static str) -> WorkCounts {
        WorkCounts {
            ops: ops.to_vec(),
            traffic: Vec::new(),
            note,
        }
    }

    /// Adds a stream of traffic served from wherever `working_set_bytes` fits.
    pub fn with_traffic(mut self, what: &'static str, bytes: f64, working_set_bytes: f64) -> Self {
        self.traffic.push(Traffic {
            what,
            bytes_per_unit: bytes,
            working_set_bytes,
            workgroup_memory: false,
        });
        self
    }

    /// Adds a stream of traffic served from GPU workgroup memory.
    pub fn with_workgroup_traffic(mut self, what: &'static str, bytes: f64) -> Self {
        self.traffic.push(Traffic {
            what,
            bytes_per_unit: bytes,
            working_set_bytes: 0.0,
            workgroup_memory: true,
        });
        self
    }
}

/// The instructions of one SHA-NI compression as the kernel writes them
/// (src/workloads/sha256/cpu/sha_ni.rs, its `group!` macro run for groups `i = 0..16` of four
/// rounds each), `skipped` being the groups of rounds before the nonce's first word (`G = first /
/// 4`: their rounds run once per search, not per nonce). Per group:
///
/// - `kw = m[i % 4] + k[i]`: 1 `paddd` (groups `i >= G`; an unused one is dropped);
/// - rounds: 2 `sha256rnds2` (two rounds each) and 1 `pshufd` that moves kw's high half down
///   for the second (groups `i >= G`);
/// - schedule, groups 3..=14 (12): 1 `palignr`, 1 `paddd`, 1 `sha256msg2`;
/// - schedule, groups 1..=12 (12): 1 `sha256msg1`;
///
/// and per message 2 `por` that put the nonce's bits into the template's words. With
/// `g = 16 - G` groups of rounds: `2g` sha256rnds2, `g` pshufd, `g + 12` paddd, 12 palignr,
/// 12 sha256msg1, 12 sha256msg2, 2 por: `4g + 50` instructions (114 for a whole compression,
/// against the portable compression's 2168 operations in one lane). The nonce's scalar set-up
/// and the digest's test are not counted (a lower bound).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShaNiCompression {
    /// `sha256rnds2`: two rounds each, on the SHA unit.
    pub rnds2: usize,
    /// `sha256msg1`: the schedule's first step, four words.
    pub msg1: usize,
    /// `sha256msg2`: the schedule's last step, four words.
    pub msg2: usize,
    /// `paddd`: round constants and the schedule's middle sum.
    pub paddd: usize,
    /// `pshufd`: the high half of a round input moved down for the second `sha256rnds2`.
    pub pshufd: usize,
    /// `palignr`: the schedule's w[t-7] words.
    pub palignr: usize,
    /// `por`: the nonce into the message template.
    pub por: usize,
}

impl ShaNiCompression {
    /// One compression with `skipped` groups of four rounds before the nonce's first word.
    pub fn new(skipped: usize) -> ShaNiCompression {
        let g = 16 - skipped.min(16);
        ShaNiCompression {
            rnds2: 2 * g,
            msg1: 12,
            msg2: 12,
            paddd: g + 12,
            pshufd: g,
            palignr: 12,
            por: 2,
        }
    }

    /// Every instruction.
    pub fn total(&self) -> usize {
        self.rnds2 + self.msg1 + self.msg2 + self.paddd + self.pshufd + self.palignr + self.por
    }
}

/// SHA-256 on x86's SHA-NI ([`ShaNiCompression`]), held to two kinds of ceiling:
///
/// - the vector pipes' issue bound: each instruction is a 128-bit one that takes one issue slot
///   of a vector pipe, as a full-width instruction of the row's level does, so each counts as
///   one instruction of the integer ceilings at that level, `lanes` (the level's 32-bit lanes)
///   lane-operations; the adds against the int32-add ceiling, the rest against int32 logic
///   (shuffles and the SHA instructions run on the vector integer pipes);
/// - the SHA unit's own rate: `sha256rnds2` per compression against the measured
///   [`Measure::Sha256Rnds2`] ceiling (1 per cycle on Zen 3 and Golden Cove). On Zen 3 that is
///   the one that binds (32 cycles per compression against ~29 for the 114 instructions on four
///   pipes); `sha256msg2` (2 cycles each on Zen 3, on other pipes than `sha256rnds2`: 24 cycles
///   per compression) and `sha256msg1` (under a cycle) do not. On Intel cores `sha256msg2`
///   shares port 5 with `sha256rnds2` (56 port-5 cycles per compression), which no ceiling here
///   captures: the roof is then an upper bound.
///
/// The instruction's latency (4 cycles on Zen 3) is no ceiling, being a property of the code's
/// chains: a kernel with `s` messages in flight issues at most `s` per latency, so 2 streams on
/// Zen 3 reach half the unit's rate, 4 streams all of it.
pub fn sha256_sha_ni(skipped: usize, lanes: usize) -> WorkCounts {
    let c = ShaNiCompression::new(skipped);
    let lanes = lanes as f64;
    WorkCounts::compute(
        &[
            (Measure::IntLogic, (c.total() - c.paddd) as f64 * lanes),
            (Measure::IntAdd, c.paddd as f64 * lanes),
            (Measure::Sha256Rnds2, c.rnds2 as f64),
        ],
        "SHA-NI instructions, each one vector-pipe slot; sha256rnds2 also on the SHA unit",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_sha_ni_compression_is_114_instructions() {
        let c = sha256_sha_ni(0, 1);
        assert_eq!(c.ops_of(Measure::IntAdd), 28.0);
        assert_eq!(c.ops_of(Measure::IntLogic), 86.0);
        assert_eq!(c.total_ops(), 114.0);
        assert_eq!(c.ops_of(Measure::Sha256Rnds2), 32.0);
        let whole = ShaNiCompression::new(0);
        assert_eq!(
            (whole.rnds2, whole.msg1, whole.msg2, whole.total()),
            (32, 12, 12, 114)
        );
        // The default prefix's nonce starts in word 1 (group 0): nothing skipped. A 47-byte
        // prefix's starts in word 11 (group 2): 8 rounds and their adds and shuffles fewer.
        assert_eq!(sha256_sha_ni(2, 8).total_ops(), (114.0 - 2.0 * 4.0) * 8.0);
    }
}
