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

    /// Every counted operation per unit, all classes together.
    pub fn total_ops(&self) -> f64 {
        self.ops.iter().map(|(_, n)| n).sum()
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

/// SHA-256 on x86's SHA-NI: the instructions of one compression as the kernel writes them
/// (src/workloads/sha256/cpu.rs, `sha_ni::scan_from`, its `group!` macro run for groups
/// `i = 0..16` of four rounds each), `skipped` being the groups of rounds before the nonce's
/// first word (`G = first / 4`: their rounds run once per search, not per nonce). Per group:
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
///
/// Each is a 128-bit instruction that takes one issue slot of a vector pipe, as a full-width
/// instruction of the row's level does, so each counts as one instruction of the integer
/// ceilings at that level: `lanes` (the level's 32-bit lanes) lane-operations. The adds count
/// against the int32-add ceiling, the rest against int32 logic (shuffles and the SHA
/// instructions run on the vector integer pipes). `sha256rnds2`'s own throughput (one per
/// two cycles on Zen 3, less elsewhere) is no measured ceiling, so the roof this gives is the
/// pipes' issue bound, an upper bound that the SHA unit keeps a row well under.
pub fn sha256_sha_ni(skipped: usize, lanes: usize) -> WorkCounts {
    let g = 16 - skipped.min(16);
    let adds = g + 12;
    let rounds = 2 * g;
    let others = g /* pshufd */ + 12 /* palignr */ + 12 /* msg1 */ + 12 /* msg2 */ + 2 /* por */;
    let lanes = lanes as f64;
    WorkCounts::compute(
        &[
            (Measure::IntLogic, (rounds + others) as f64 * lanes),
            (Measure::IntAdd, adds as f64 * lanes),
        ],
        "SHA-NI instructions, each one vector-pipe slot (sha256rnds2's own rate is no ceiling)",
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
        // The default prefix's nonce starts in word 1 (group 0): nothing skipped. A 47-byte
        // prefix's starts in word 11 (group 2): 8 rounds and their adds and shuffles fewer.
        assert_eq!(sha256_sha_ni(2, 8).total_ops(), (114.0 - 2.0 * 4.0) * 8.0);
    }
}
