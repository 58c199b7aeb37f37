//! What a report shows people, as [`Block`]s: the machine first, then the results, the GPU
//! phases, strong scaling, crossovers and footnotes. The text table and Markdown render these
//! same blocks, so the two never disagree.

use super::layout::{Block, Table};
use super::units::{
    format_bandwidth, format_gibibytes, format_mebibytes, format_percent, format_rate,
    format_seconds,
};
use crate::harness::machine::MachineInfo;
use crate::harness::report::{row_label, Report, ResultRow};
use crate::harness::stats::NOISY_RELATIVE_STDDEV;
use crate::workloads::Timing;

/// Marks a software adapter's rows and its footnote.
pub const SOFTWARE_MARK: &str = "†";
/// Marks speedups that are throughput ratios (rows of one problem at different sizes).
pub const THROUGHPUT_MARK: &str = "‡";

/// A speedup's text, marked when the row was compared with its baseline by throughput.
fn by_throughput(row: &ResultRow, text: String) -> String {
    if row.compared_by_throughput && text != NONE {
        format!("{text}{THROUGHPUT_MARK}")
    } else {
        text
    }
}
/// Marks a noisy row and its footnote.
pub const NOISY_MARK: &str = "!";

/// A missing value.
const NONE: &str = "—";

fn ratio(x: Option<f64>) -> String {
    x.map_or(NONE.to_string(), |x| format!("{x:.2}×"))
}

/// A ratio with its 95% interval where there is one: "1.60× (1.55–1.66)".
pub fn ratio_with_interval(x: Option<f64>, interval: Option<[f64; 2]>) -> String {
    match (x, interval) {
        (Some(x), Some([lo, hi])) => format!("{x:.2}× ({lo:.2}–{hi:.2})"),
        (x, _) => ratio(x),
    }
}

/// The 95% interval of a median, "[19.0 ms, 21.0 ms]", or "—" without one (under 6 runs).
pub fn median_interval_text(interval: Option<[f64; 2]>) -> String {
    interval.map_or(NONE.to_string(), |[lo, hi]| {
        format!("[{}, {}]", format_seconds(lo), format_seconds(hi))
    })
}

/// How precisely a row's median is known: "±1.2%" (half the 95% interval), or without an
/// interval "σ 1.2%" (standard deviation over median), or "—" for a single run; `!` when noisy.
pub fn noise_text(r: &crate::harness::ResultRow) -> String {
    let mut text = match r.median_ci_seconds {
        Some([lo, hi]) => format!(
            "±{:.1}%",
            100.0 * crate::harness::stats::relative_half_width((lo, hi), r.median_seconds)
        ),
        None if r.runs > 1 => format!("σ {:.1}%", 100.0 * r.stddev_seconds / r.median_seconds),
        None => NONE.to_string(),
    };
    if r.noisy {
        text.push_str(NOISY_MARK);
    }
    text
}

/// The headings of a row's measurement, as every results table shows it (after the columns
/// that say which row it is): run count, median, its interval and precision, throughput.
pub const MEASUREMENT_COLUMNS: [&str; 5] = [">runs", ">median", ">95% CI", ">±", ">throughput"];

/// The cells under [`MEASUREMENT_COLUMNS`] for one row.
pub fn measurement_cells(r: &ResultRow) -> [String; 5] {
    [
        r.runs.to_string(),
        format_seconds(r.median_seconds),
        median_interval_text(r.median_ci_seconds),
        noise_text(r),
        format_rate(r.throughput, &r.throughput_unit),
    ]
}

fn seconds(x: Option<f64>) -> String {
    x.map_or(NONE.to_string(), format_seconds)
}

/// The machine block that every report starts with.
pub fn machine_fields(m: &MachineInfo) -> Block {
    let mut fields = vec![
        (
            "cpu".to_string(),
            format!("{} ({} logical cores)", m.cpu, m.logical_cores),
        ),
        (
            "rayon".to_string(),
            format!("{} threads by default", m.rayon_threads),
        ),
        ("os".to_string(), m.os.clone()),
    ];
    if !m.cpu_features.is_empty() {
        fields.push(("cpu features".to_string(), m.cpu_features.join(" ")));
    }
    fields.extend([
        (
            "build".to_string(),
            format!(
                "speedup {}, {} profile, wgpu {}",
                m.speedup_version, m.build_profile, m.wgpu_version
            ),
        ),
        ("date".to_string(), m.date.clone()),
    ]);
    fields.extend(system_fields(&m.system));
    if m.adapters.is_empty() {
        fields.push(("adapters".to_string(), "none used".to_string()));
    }
    for info in &m.adapters {
        let a = &info.summary;
        let timestamps = if info.timestamp_queries {
            "timestamp queries"
        } else {
            "no timestamp queries"
        };
        let software = if a.software {
            format!(" ({SOFTWARE_MARK} SOFTWARE adapter: CPU timings, not a GPU)")
        } else {
            String::new()
        };
        fields.push((
            format!("adapter {}", a.index),
            format!(
                "{}, {}, {}, driver {}, {timestamps}{}{software}",
                a.name,
                a.backend,
                a.device_type,
                a.driver,
                info.limits.map_or(String::new(), |l| format!(
                    ", max buffer {}, max binding {}",
                    format_mebibytes(l.max_buffer_size),
                    format_mebibytes(l.max_storage_buffer_binding_size)
                ))
            ),
        ));
    }
    Block::Fields(fields)
}

/// The lines of [`crate::harness::system::SystemInfo`] that are known (none for format 1).
fn system_fields(s: &crate::harness::system::SystemInfo) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mhz = |x: Option<u64>| x.map(|f| format!("{f} MHz"));
    let clocks: Vec<String> = [
        ("base", mhz(s.base_mhz)),
        ("max", mhz(s.max_mhz)),
        ("now", mhz(s.current_mhz)),
        ("measured", mhz(s.measured_mhz)),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| format!("{k} {v}")))
    .collect();
    let mut cpu = Vec::new();
    if let Some(p) = s.physical_cores {
        cpu.push(format!("{p} physical cores"));
    }
    if !clocks.is_empty() {
        cpu.push(clocks.join(", "));
    }
    if let Some(g) = &s.governor {
        cpu.push(format!("governor {g}"));
    }
    if !cpu.is_empty() {
        out.push(("clocks".to_string(), cpu.join("; ")));
    }
    if !s.caches.is_empty() {
        out.push(("caches".to_string(), s.caches.join(", ")));
    }
    if let Some(m) = s.memory_bytes {
        out.push(("memory".to_string(), format_gibibytes(m)));
    }
    let system: Vec<String> = [
        s.os_version.clone(),
        s.kernel.clone().map(|k| format!("kernel {k}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !system.is_empty() {
        out.push(("system".to_string(), system.join(", ")));
    }
    if let Some(r) = &s.git_revision {
        out.push(("revision".to_string(), r.clone()));
    }
    if !s.wgpu_env.is_empty() {
        let vars: Vec<String> = s.wgpu_env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push(("environment".to_string(), vars.join(" ")));
    }
    out
}

/// Every block of a bench report.
pub fn report_blocks(report: &Report) -> Vec<Block> {
    let m = &report.machine;
    let s = &report.settings;
    let mut blocks = vec![Block::Title("speedup bench".to_string()), machine_fields(m)];
    let mut how = format!(
        "each row: {} warm-up run(s), then runs until both {} s and {} runs are reached",
        s.warmup_runs, s.min_time_seconds, s.min_runs
    );
    if let Some(limit) = s.max_noise {
        how.push_str(&format!(" and the median is known to ±{}%", 100.0 * limit));
    }
    how.push_str(&format!(
        " (at most {} runs or {} s){}",
        s.max_runs,
        s.max_time_seconds,
        if s.interleave {
            "; the backends of each problem ran in alternation"
        } else {
            ""
        }
    ));
    blocks.push(Block::Lines(vec![
        how,
        "95% CI: distribution-free interval of the median (order statistics, 6 runs or more); \
speedups in parentheses: 95% bootstrap interval"
            .to_string(),
    ]));

    // Every row of a report has the same headline timing (`bench --timing`).
    let timing = report.results.first().map(|r| r.timing).unwrap_or_default();
    let (what, short) = match timing {
        Timing::EndToEnd => (
            "end to end: inputs made resident, kernel, results in host memory",
            "e2e",
        ),
        Timing::Kernel => ("kernel only: the computation on resident data", "kernel"),
    };
    let vs_serial = format!(">vs serial ({short})");
    let vs_rayon = format!(">vs rayon ({short})");
    let mut results = Table::new(
        Some(format!(
            "results (median time per run, {what}; throughput and speedups by the same time)"
        )),
        &[
            &["workload", "size", "backend"][..],
            &MEASUREMENT_COLUMNS,
            &[vs_serial.as_str(), vs_rayon.as_str(), ">efficiency"],
        ]
        .concat(),
    );
    let mut phases = Table::new(
        Some(
            "stages (medians per run: inputs, kernel, results; device time from timestamp \
queries; gpu submissions and host waits per run)"
                .to_string(),
        ),
        &[
            "workload",
            "size",
            "backend",
            ">end to end",
            ">kernel",
            ">device",
            ">inputs",
            ">results",
            ">submits",
            ">waits",
        ],
    );
    let (mut any_software, mut any_noisy, mut any_throughput) = (false, false, false);
    let mut row_notes = Vec::new();
    for r in &report.results {
        let mut label = row_label(m, r);
        // The level a CPU row's kernel ran at, next to its backend: "serial [avx2]"; or the
        // kernel, where the workload has several: "serial [sha-ni ×2]".
        if let Some(isa) = r.cpu_kernel.as_ref().or(r.cpu_isa.as_ref()) {
            label.push_str(&format!(" [{isa}]"));
        }
        if r.software {
            label.push_str(SOFTWARE_MARK);
            any_software = true;
        }
        any_noisy |= r.noisy;
        any_throughput |= r.compared_by_throughput;
        let mut cells = vec![r.workload.clone(), r.size.clone(), label.clone()];
        cells.extend(measurement_cells(r));
        cells.extend([
            by_throughput(
                r,
                ratio_with_interval(r.speedup_vs_serial, r.speedup_vs_serial_ci),
            ),
            by_throughput(
                r,
                ratio_with_interval(r.speedup_vs_rayon, r.speedup_vs_rayon_ci),
            ),
            r.efficiency.map_or(NONE.to_string(), format_percent),
        ]);
        results.rows.push(cells);
        let count = |c: Option<u64>| c.map_or(NONE.to_string(), |c| c.to_string());
        phases.rows.push(vec![
            r.workload.clone(),
            r.size.clone(),
            label.clone(),
            seconds(r.end_to_end_seconds),
            seconds(r.kernel_seconds.or(r.compute_seconds)),
            seconds(r.device_seconds),
            seconds(r.upload_seconds),
            seconds(r.readback_seconds),
            count(r.submissions),
            count(r.host_waits),
        ]);
        if let Some(note) = &r.note {
            row_notes.push(format!("{} {} on {label}: {note}", r.workload, r.size));
        }
        if let Some(part) = &r.part {
            row_notes.push(format!(
                "{} {} on {label}: part of the same problem as the gpu rows: {part}",
                r.workload, r.size
            ));
        }
    }
    blocks.push(Block::Table(results));
    if !phases.rows.is_empty() {
        blocks.push(Block::Table(phases));
    }

    if !report.scaling.is_empty() {
        let mut t = Table::new(
            Some("strong scaling (rayon)".to_string()),
            &[
                "workload",
                "size",
                ">threads",
                ">median",
                ">speedup",
                ">efficiency",
                "against",
            ],
        );
        for r in &report.scaling {
            t.rows.push(vec![
                r.workload.clone(),
                r.size.clone(),
                r.threads.to_string(),
                format_seconds(r.median_seconds),
                ratio_with_interval(Some(r.speedup), r.speedup_ci),
                format_percent(r.efficiency),
                r.baseline.clone(),
            ]);
        }
        blocks.push(Block::Table(t));
    }

    if !report.bandwidth.is_empty() {
        let mut t = Table::new(
            Some("memory traffic against STREAM on the same backend".to_string()),
            &[
                "workload",
                "size",
                "backend",
                ">bytes/s",
                ">stream",
                ">fraction",
            ],
        );
        for b in &report.bandwidth {
            t.rows.push(vec![
                b.workload.clone(),
                b.size.clone(),
                b.backend.clone(),
                format_bandwidth(b.bytes_per_second),
                format_bandwidth(b.stream_bytes_per_second),
                format_percent(b.fraction),
            ]);
        }
        blocks.push(Block::Table(t));
    }

    blocks.extend(crate::harness::roofline::roof_blocks(report));
    if let Some(set) = &report.ceilings {
        blocks.extend(crate::harness::roofline::ceiling_blocks(set));
    }

    if !report.crossovers.is_empty() {
        let mut t = Table::new(
            Some("crossovers (as the problem grows)".to_string()),
            &["workload", "backend", "overtakes", "where"],
        );
        for c in &report.crossovers {
            let at = c.where_in_words();
            t.rows.push(vec![
                c.workload.clone(),
                c.challenger.clone(),
                c.baseline.clone(),
                at,
            ]);
        }
        blocks.push(Block::Table(t));
    }

    let mut footnotes = Vec::new();
    if any_software {
        footnotes.push(format!(
            "{SOFTWARE_MARK} software adapter (device type Cpu): these rows are CPU timings of a \
software rasteriser, not GPU figures"
        ));
    }
    if any_throughput {
        footnotes.push(format!(
            "{THROUGHPUT_MARK} throughput ratio: this row ran the same problem as its baseline \
(the same grid, image, bodies or array) with more repetitions or items, so the speedup is its \
throughput over the baseline's, not a ratio of times"
        ));
    }
    if any_noisy {
        let limit = report.settings.max_noise.unwrap_or(NOISY_RELATIVE_STDDEV);
        footnotes.push(format!(
            "{NOISY_MARK} noisy: the median's 95% interval is wider than ±{:.0}% (rows under 6 \
runs: standard deviation above {:.0}% of the median)",
            100.0 * limit,
            100.0 * NOISY_RELATIVE_STDDEV
        ));
    }
    footnotes.extend(row_notes);
    for s in &report.skipped {
        footnotes.push(format!(
            "skipped {} {} on {}: {}",
            s.workload, s.size, s.backend, s.reason
        ));
    }
    footnotes.extend(report.notes.iter().cloned());
    if !footnotes.is_empty() {
        blocks.push(Block::Lines(footnotes));
    }
    blocks
}
