//! github-action-benchmark's `customBiggerIsBetter` JSON: what CI benchmark trackers read to draw
//! a report's throughputs over commits.

use super::units::format_seconds;
use super::view::noise_text;
use crate::harness::report::{row_label, Report};
use serde::Serialize;

/// One entry of github-action-benchmark's `customBiggerIsBetter` input.
#[derive(Debug, Serialize)]
struct ActionEntry {
    name: String,
    unit: String,
    value: f64,
    /// Free text shown beside the value: the precision of the row.
    range: String,
    /// Free text shown in the tooltip: median, runs, device.
    extra: String,
}

/// The report as github-action-benchmark's `customBiggerIsBetter` JSON: one entry per result
/// row named "WORKLOAD SIZE on BACKEND", its throughput as the value (bigger is better), the
/// 95% interval of the median as the range. Ends in a newline.
pub fn benchmark_action(report: &Report) -> String {
    let entries: Vec<ActionEntry> = report
        .results
        .iter()
        .map(|r| {
            let label = row_label(&report.machine, r);
            ActionEntry {
                name: format!("{} {} on {label}", r.workload, r.size),
                unit: r.throughput_unit.clone(),
                value: r.throughput,
                range: noise_text(r),
                extra: format!(
                    "median {} over {} runs on {}{}",
                    format_seconds(r.median_seconds),
                    r.runs,
                    r.device,
                    if r.software {
                        " (software adapter: CPU timings, not a GPU)"
                    } else {
                        ""
                    }
                ),
            }
        })
        .collect();
    serde_json::to_string_pretty(&entries).expect("plain data always serialises") + "\n"
}
