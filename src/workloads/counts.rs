//! Work per unit, counted once: each workload's operations per unit of work by instruction class
//! and its bytes per unit from each memory level ([`super::Workload::work_counts`]), written out
//! next to the kernel they count. Rows are held against the ceilings of [`crate::peak`] with
//! them (`harness::roofline`), and docs/performance.md quotes them (`speedup peak --counts`).
//!
//! Counts are lower bounds of what a kernel must do: the operations its algorithm needs as the
//! kernel writes them (an index computation or a loop counter the compiler may fold is not
//! counted), and the traffic each input read once and each output written once per pass needs.
//! A count that is too high puts a row above its roof, which the report flags.

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
