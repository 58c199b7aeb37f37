//! CSV: one line per result row, the same rows as the JSON `results`. Each line also carries the
//! machine's CPU, OS and build profile, so CSV files from several machines can be concatenated
//! and still say where each number came from. Missing values are empty fields. A CPU row's
//! `cpu_isa` and `cpu_kernel` are there as in the JSON, so a row says what ran.

use crate::harness::report::Report;

/// The columns, in order.
pub const COLUMNS: &[&str] = &[
    "cpu",
    "os",
    "build_profile",
    "workload",
    "backend",
    "device",
    "software",
    "adapter",
    "threads",
    "cpu_isa",
    "cpu_kernel",
    "size",
    "size_value",
    "size_unit",
    "work",
    "unit",
    "runs",
    "median_seconds",
    "min_seconds",
    "max_seconds",
    "mean_seconds",
    "stddev_seconds",
    "noisy",
    "throughput",
    "throughput_unit",
    "speedup_vs_serial",
    "speedup_vs_rayon",
    "efficiency",
    "upload_seconds",
    "compute_seconds",
    "readback_seconds",
    "device_seconds",
    "result",
    "note",
];

/// Quotes a field when it holds a comma, a quote or a line break (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn opt<T: ToString>(x: &Option<T>) -> String {
    x.as_ref().map_or(String::new(), |v| v.to_string())
}

/// The report's rows as CSV with a header line.
pub fn to_csv(report: &Report) -> String {
    let m = &report.machine;
    let mut out = COLUMNS.join(",") + "\n";
    for r in &report.results {
        let cells = [
            m.cpu.clone(),
            m.os.clone(),
            m.build_profile.clone(),
            r.workload.clone(),
            r.backend.clone(),
            r.device.clone(),
            r.software.to_string(),
            opt(&r.adapter),
            opt(&r.threads),
            opt(&r.cpu_isa),
            opt(&r.cpu_kernel),
            r.size.clone(),
            r.size_value.to_string(),
            r.size_unit.clone(),
            r.work.to_string(),
            r.unit.clone(),
            r.runs.to_string(),
            r.median_seconds.to_string(),
            r.min_seconds.to_string(),
            r.max_seconds.to_string(),
            r.mean_seconds.to_string(),
            r.stddev_seconds.to_string(),
            r.noisy.to_string(),
            r.throughput.to_string(),
            r.throughput_unit.clone(),
            opt(&r.speedup_vs_serial),
            opt(&r.speedup_vs_rayon),
            opt(&r.efficiency),
            opt(&r.upload_seconds),
            opt(&r.compute_seconds),
            opt(&r.readback_seconds),
            opt(&r.device_seconds),
            opt(&r.result),
            opt(&r.note),
        ];
        let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}
