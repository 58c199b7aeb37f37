//! Every row against its roof, and every speedup split into hardware × code.
//!
//! A row's roof is the most units of work per second its backend's ceilings allow
//! ([`crate::peak`]): the minimum, over each counted operation class, of the class's ceiling ÷
//! the operations per unit ([`crate::workloads::WorkCounts`]), and over each stream of memory
//! traffic, of the bandwidth of the level that holds its working set ÷ its bytes per unit (the
//! hierarchical roofline: a grid that fits in L3 is held against L3, not DRAM). The ceiling that
//! gives the minimum *binds*. A row above 105% of its roof is flagged: a count or a ceiling is
//! wrong.
//!
//! A speedup S of row r over baseline b (same problem) splits exactly into the roofs' ratio, the
//! hardware (`roof_r / roof_b`), and the rest, the code (`S / hardware`, which is the ratio of
//! the roof fractions when both come from the same throughputs): "gpu 38× serial = 24× hardware
//! × 1.6× code".

use super::export::layout::{Block, Table};
use super::export::units::{format_percent, format_rate, format_seconds};
use super::report::{row_label, Report, ResultRow};
use crate::peak::{BackendCeilings, Ceiling, CeilingSet, Measure, MemLevel};
use crate::workloads::{Device, Ran, WorkCounts};
use serde::{Deserialize, Serialize};

/// A row above this fraction of its roof is flagged.
pub const ABOVE_ROOF: f64 = 1.05;

/// One ceiling's limit on a row: units of work per second it allows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RoofLimit {
    /// The ceiling, e.g. "int32 logic" or "L3 triad".
    pub ceiling: String,
    /// The ceiling's best value ÷ the row's operations or bytes per unit.
    pub units_per_second: f64,
}

/// A row against its roof (format 3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RowRoof {
    /// Units of work per second the row achieved: per device time for GPU rows that have it
    /// (the ceilings are device rates), else per median wall time.
    pub achieved: f64,
    /// The roof, in units of work per second: the smallest of `limits`.
    pub roof: f64,
    /// `achieved / roof`.
    pub fraction: f64,
    /// The ceiling that binds (gives the roof).
    pub binds: String,
    /// Counted operations per second achieved, all classes together.
    pub ops_per_second: f64,
    /// Compulsory traffic per second achieved (the largest working set's stream).
    pub bytes_per_second: f64,
    /// Counted operations per compulsory byte; null without traffic.
    pub intensity: Option<f64>,
    /// Above 105% of the roof: a count or a ceiling is wrong.
    pub above_roof: bool,
    /// Every ceiling's limit on the row.
    pub limits: Vec<RoofLimit>,
}

/// A speedup split into hardware (the roofs' ratio) and code (the rest).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SpeedupSplit {
    /// This row's roof ÷ the baseline's.
    pub hardware: f64,
    /// The speedup ÷ `hardware`.
    pub code: f64,
}

/// The memory ceiling that serves a stream of `working_set` bytes on `ceilings`' backend: the
/// nearest level it fits in (triad bandwidth where measured, else read), or workgroup memory.
fn serving_level(
    ceilings: &BackendCeilings,
    working_set: f64,
    workgroup: bool,
) -> Option<&Ceiling> {
    if workgroup {
        return ceilings
            .get(Measure::Read, Some(MemLevel::Workgroup))
            .or_else(|| ceilings.get(Measure::Triad, Some(MemLevel::L1)));
    }
    let mut levels: Vec<&Ceiling> = ceilings
        .ceilings
        .iter()
        .filter(|c| c.measure == Measure::Triad)
        .collect();
    levels.sort_by_key(|c| c.level);
    levels
        .iter()
        .find(|c| c.capacity_bytes.is_none_or(|cap| working_set <= cap as f64))
        .or(levels.last())
        .copied()
}

/// The roof of a row of `throughput` units/s with `counts` on `ceilings`' backend.
pub fn roof_of(achieved: f64, counts: &WorkCounts, ceilings: &BackendCeilings) -> Option<RowRoof> {
    let mut limits = Vec::new();
    for &(class, per_unit) in &counts.ops {
        if per_unit <= 0.0 {
            continue;
        }
        // Flops counted as F32Fma are ones a compiler may fuse or not (a GPU driver decides):
        // the faster of the two f32 ceilings bounds them.
        let ceiling = match class {
            Measure::F32Fma => [Measure::F32Fma, Measure::F32MulAdd]
                .iter()
                .filter_map(|&m| ceilings.get(m, None))
                .max_by(|a, b| a.best.total_cmp(&b.best)),
            _ => ceilings.get(class, None),
        };
        if let Some(c) = ceiling {
            limits.push(RoofLimit {
                ceiling: c.name(),
                units_per_second: c.best / per_unit,
            });
        }
    }
    for t in &counts.traffic {
        if t.bytes_per_unit <= 0.0 {
            continue;
        }
        if let Some(c) = serving_level(ceilings, t.working_set_bytes, t.workgroup_memory) {
            limits.push(RoofLimit {
                ceiling: c.name(),
                units_per_second: c.best / t.bytes_per_unit,
            });
        }
    }
    let binding = limits
        .iter()
        .min_by(|a, b| a.units_per_second.total_cmp(&b.units_per_second))?
        .clone();
    let fraction = achieved / binding.units_per_second;
    let bytes = counts.compulsory_bytes();
    Some(RowRoof {
        achieved,
        roof: binding.units_per_second,
        fraction,
        binds: binding.ceiling,
        ops_per_second: achieved * counts.total_ops(),
        bytes_per_second: achieved * bytes,
        intensity: (bytes > 0.0).then(|| counts.total_ops() / bytes),
        above_roof: fraction > ABOVE_ROOF,
        limits,
    })
}

/// Units per second a row achieved: per device time where a GPU row has it.
fn achieved(row: &ResultRow) -> f64 {
    match row.device_seconds {
        Some(d) if row.backend == "gpu" && d > 0.0 => row.work / d,
        _ => row.throughput,
    }
}

/// Puts `set` into `report` and every row against its roof; `counts(workload, size, device,
/// ran)` gives a row's work counts, `ran` saying which level and kernel the row's CPU code ran
/// (a kernel's count can depend on it). Then splits each speedup into hardware × code.
pub fn attach(
    report: &mut Report,
    set: CeilingSet,
    counts: impl Fn(&str, &str, Device, &Ran) -> Option<WorkCounts>,
) {
    for row in &mut report.results {
        let device = if row.backend == "gpu" {
            Device::Gpu
        } else {
            Device::Cpu
        };
        let ran = Ran {
            isa: row.cpu_isa.as_deref().and_then(|i| i.parse().ok()),
            kernel: row.cpu_kernel.as_deref(),
        };
        row.roof = set
            .for_row(&row.backend, &row.device, row.threads)
            .zip(counts(&row.workload, &row.size, device, &ran))
            .and_then(|(ceilings, counts)| roof_of(achieved(row), &counts, ceilings));
    }
    report.ceilings = Some(set);
    split_speedups(report);
}

/// Fills every row's `speedup_vs_serial_split` and `speedup_vs_rayon_split` from the roofs of
/// the row and of the baseline its speedup refers to.
pub fn split_speedups(report: &mut Report) {
    let rows = report.results.clone();
    let default_threads = report.machine.rayon_threads;
    for row in &mut report.results {
        let split = |speedup: Option<f64>, base: Option<&ResultRow>| {
            let (s, base) = (speedup?, base?);
            let hardware = row.roof.as_ref()?.roof / base.roof.as_ref()?.roof;
            (hardware > 0.0).then(|| SpeedupSplit {
                hardware,
                code: s / hardware,
            })
        };
        let serial = rows
            .iter()
            .find(|r| r.backend == "serial" && r.comparable(row));
        let rayon = rows
            .iter()
            .filter(|r| r.backend == "rayon" && r.comparable(row))
            .find(|r| r.threads == Some(default_threads));
        row.speedup_vs_serial_split = split(row.speedup_vs_serial, serial);
        row.speedup_vs_rayon_split = split(row.speedup_vs_rayon, rayon);
    }
}

/// "38× = 24× hardware × 1.6× code".
pub fn split_words(speedup: f64, split: &SpeedupSplit) -> String {
    format!(
        "{} = {} hardware × {} code",
        times(speedup),
        times(split.hardware),
        times(split.code)
    )
}

fn times(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}×")
    } else if x >= 0.1 {
        format!("{x:.2}×")
    } else {
        format!("{x:.2e}×")
    }
}

/// A ceiling's value in its unit ("1.2e11 flop/s", "35.1 µs").
pub fn ceiling_value(value: f64, unit: &str) -> String {
    if unit == "s" {
        format_seconds(value)
    } else {
        format_rate(value, unit.trim_end_matches("/s"))
    }
}

/// "48 KiB" or "96 MiB".
fn bytes_words(bytes: u64) -> String {
    if bytes < 1 << 20 {
        format!("{} KiB", bytes >> 10)
    } else {
        super::export::units::format_mebibytes(bytes)
    }
}

/// The ceilings as tables, one per backend (`speedup peak`, and the report's ceilings section).
pub fn ceiling_blocks(set: &CeilingSet) -> Vec<Block> {
    let mut blocks = vec![Block::Lines(vec![format!("ceilings {}", set.provenance())])];
    let mut any_software = false;
    for b in &set.backends {
        let mut label = b.label.clone();
        if b.software {
            label.push_str(super::export::view::SOFTWARE_MARK);
            any_software = true;
        }
        let caption = match &b.cpu_isa {
            Some(isa) => format!("ceilings of {label} ({isa})"),
            None => format!("ceilings of {label}"),
        };
        let mut t = Table::new(
            Some(caption),
            &[
                "ceiling",
                ">median",
                ">95% CI",
                ">best",
                ">theoretical",
                ">of theoretical",
                "working set",
            ],
        );
        for c in &b.ceilings {
            t.rows.push(vec![
                c.name(),
                ceiling_value(c.value, &c.unit),
                c.interval.map_or("—".to_string(), |[lo, hi]| {
                    format!(
                        "{} – {}",
                        ceiling_value(lo, &c.unit),
                        ceiling_value(hi, &c.unit)
                    )
                }),
                ceiling_value(c.best, &c.unit),
                c.theoretical
                    .as_ref()
                    .map_or("—".to_string(), |t| ceiling_value(t.value, &c.unit)),
                c.fraction_of_theoretical()
                    .map_or("—".to_string(), format_percent),
                c.working_set_bytes.map_or(String::new(), bytes_words),
            ]);
        }
        blocks.push(Block::Table(t));
        let mut lines: Vec<String> = b.notes.iter().map(|n| format!("{label}: {n}")).collect();
        let mut hows: Vec<String> = Vec::new();
        for c in &b.ceilings {
            if let Some(t) = &c.theoretical {
                let line = format!("theoretical {}: {}", c.name(), t.how);
                if !hows.contains(&line) {
                    hows.push(line);
                }
            }
        }
        lines.extend(hows);
        if !lines.is_empty() {
            blocks.push(Block::Lines(lines));
        }
    }
    if any_software {
        blocks.push(Block::Lines(vec![format!(
            "{} software adapter: its ceilings are the CPU's, through a software rasteriser",
            super::export::view::SOFTWARE_MARK
        )]));
    }
    blocks
}

/// The rows against their roofs, and the speedups split, as tables (none without roofs).
pub fn roof_blocks(report: &Report) -> Vec<Block> {
    let rows: Vec<&ResultRow> = report.results.iter().filter(|r| r.roof.is_some()).collect();
    if rows.is_empty() {
        return Vec::new();
    }
    let mut t = Table::new(
        Some("against the roofline (each row's roof: the ceiling that binds)".to_string()),
        &[
            "workload",
            "size",
            "backend",
            ">achieved",
            ">roof",
            "fraction of roof",
            ">op/s",
            ">op/byte",
        ],
    );
    let mut split = Table::new(
        Some("speedups explained: hardware (roofs' ratio) × code (the rest)".to_string()),
        &["workload", "size", "backend", "vs serial", "vs rayon"],
    );
    let mut flagged = Vec::new();
    for r in rows {
        let roof = r.roof.as_ref().expect("filtered");
        let mut label = row_label(&report.machine, r);
        if r.software {
            label.push_str(super::export::view::SOFTWARE_MARK);
        }
        let unit = r.throughput_unit.trim_end_matches("/s");
        let mut fraction = format!("{} of {}", format_percent(roof.fraction), roof.binds);
        if roof.above_roof {
            fraction.push_str(" ⚠");
            flagged.push(format!(
                "⚠ {} {} on {label} is at {} of its roof: a work count or a ceiling is wrong",
                r.workload,
                r.size,
                format_percent(roof.fraction)
            ));
        }
        t.rows.push(vec![
            r.workload.clone(),
            r.size.clone(),
            label.clone(),
            format_rate(roof.achieved, unit),
            format_rate(roof.roof, unit),
            fraction,
            format!("{:.3e}", roof.ops_per_second),
            roof.intensity
                .map_or("—".to_string(), |i| format!("{i:.3}")),
        ]);
        let words = |s: Option<f64>, sp: &Option<SpeedupSplit>| match (s, sp) {
            (Some(s), Some(sp)) => split_words(s, sp),
            _ => "—".to_string(),
        };
        if r.backend != "serial" {
            split.rows.push(vec![
                r.workload.clone(),
                r.size.clone(),
                label,
                words(r.speedup_vs_serial, &r.speedup_vs_serial_split),
                words(r.speedup_vs_rayon, &r.speedup_vs_rayon_split),
            ]);
        }
    }
    let mut blocks = vec![Block::Table(t)];
    if split.rows.iter().any(|r| r[3] != "—" || r[4] != "—") {
        blocks.push(Block::Table(split));
    }
    if !flagged.is_empty() {
        blocks.push(Block::Lines(flagged));
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peak::Ceiling;

    fn ceiling(
        measure: Measure,
        level: Option<MemLevel>,
        best: f64,
        capacity: Option<u64>,
    ) -> Ceiling {
        Ceiling {
            measure,
            level,
            value: best,
            best,
            interval: None,
            unit: measure.unit().to_string(),
            samples: 7,
            working_set_bytes: None,
            capacity_bytes: capacity,
            theoretical: None,
        }
    }

    fn cpu() -> BackendCeilings {
        BackendCeilings {
            backend: "serial".into(),
            label: "serial".into(),
            device: "Test CPU".into(),
            software: false,
            threads: Some(1),
            adapter: None,
            cpu_isa: Some("avx2".into()),
            ceilings: vec![
                ceiling(Measure::IntLogic, None, 1e11, None),
                ceiling(Measure::Triad, Some(MemLevel::L1), 2e11, Some(32 << 10)),
                ceiling(Measure::Triad, Some(MemLevel::L2), 1e11, Some(512 << 10)),
                ceiling(Measure::Triad, Some(MemLevel::L3), 5e10, Some(32 << 20)),
                ceiling(Measure::Triad, Some(MemLevel::Dram), 1e10, None),
            ],
            notes: Vec::new(),
        }
    }

    #[test]
    fn a_grid_in_l3_is_held_against_l3_not_dram() {
        // Life 4096²: two 2 MiB packed grids, 0.25 bytes per cell-update. Against DRAM (1e10
        // B/s) its roof would be 4e10 cell-updates/s, which a fast serial kernel exceeds (the
        // 117% of STREAM the issue quotes); against L3 (5e10) it is 2e11, and the logic
        // ceiling (1e11 op/s at 1 op per cell-update) binds first.
        let counts = WorkCounts::compute(&[(Measure::IntLogic, 1.0)], "")
            .with_traffic("grid", 0.25, 4.0 * 1024.0 * 1024.0)
            .with_traffic("rows", 0.5, 1536.0);
        let roof = roof_of(7e10, &counts, &cpu()).unwrap();
        assert_eq!(roof.binds, "int32 logic");
        assert_eq!(roof.roof, 1e11);
        assert!((roof.fraction - 0.7).abs() < 1e-12);
        assert!(!roof.above_roof);
        let l3 = roof
            .limits
            .iter()
            .find(|l| l.ceiling == "L3 triad")
            .unwrap();
        assert_eq!(l3.units_per_second, 2e11);
        assert!(roof.limits.iter().any(|l| l.ceiling == "L1 triad"));
        assert!(!roof.limits.iter().any(|l| l.ceiling == "DRAM triad"));
        // At 16384² (64 MiB) the grids are in DRAM, which binds.
        let big = WorkCounts::compute(&[(Measure::IntLogic, 1.0)], "").with_traffic(
            "grid",
            0.25,
            64.0 * 1024.0 * 1024.0,
        );
        let roof = roof_of(5e10, &big, &cpu()).unwrap();
        assert_eq!(roof.binds, "DRAM triad");
        assert!(roof.above_roof, "5e10 against a 4e10 roof is flagged");
    }

    #[test]
    fn a_speedup_splits_into_hardware_times_code() {
        let split = SpeedupSplit {
            hardware: 24.0,
            code: 38.0 / 24.0,
        };
        assert_eq!(split_words(38.0, &split), "38× = 24× hardware × 1.58× code");
    }
}
