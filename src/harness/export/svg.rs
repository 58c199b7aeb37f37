//! The `--sweep` chart: throughput against problem size, log-log, one panel per workload and one
//! line per backend, as SVG. Written by hand: a few polylines and decade ticks do not need a
//! plotting crate.

use crate::harness::report::{row_label, Report, ResultRow};
use crate::harness::sweep::{labels, workloads};
use std::fmt::Write;

/// `s` with the five characters that matter in XML and HTML escaped.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Line and bar colours, in order.
pub const COLOURS: &[&str] = &[
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
];

/// Chart geometry, in SVG user units.
const WIDTH: f64 = 760.0;
const PANEL: f64 = 440.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 60.0;

/// Decades spanning `values` (positive values only): `(lo, hi)` with `hi > lo`.
fn decades(values: impl Iterator<Item = f64>) -> (i32, i32) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| *v > 0.0 && v.is_finite()) {
        lo = lo.min(v.log10());
        hi = hi.max(v.log10());
    }
    if !lo.is_finite() {
        return (0, 1);
    }
    let (lo, hi) = (lo.floor() as i32, hi.ceil() as i32);
    (lo, if hi > lo { hi } else { lo + 1 })
}

/// A log-log chart of throughput against problem size (`size_value`): one panel per workload, one line per
/// backend (software adapters dashed and labelled), decade ticks on both axes.
pub fn chart_svg(report: &Report) -> String {
    let names = workloads(report);
    let height = PANEL * names.len().max(1) as f64 + 30.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (panel, workload) in names.iter().enumerate() {
        let rows: Vec<&ResultRow> = report
            .results
            .iter()
            .filter(|r| r.workload == *workload)
            .collect();
        let unit = rows.first().map_or("", |r| r.unit.as_str());
        let size_unit = rows.first().map_or("", |r| r.size_unit.as_str());
        let y0 = panel as f64 * PANEL;
        let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, PANEL - TOP - BOTTOM);
        let (xlo, xhi) = decades(rows.iter().map(|r| r.size_value));
        let (ylo, yhi) = decades(rows.iter().map(|r| r.throughput));
        let px = |x: f64| LEFT + (x.log10() - xlo as f64) / (xhi - xlo) as f64 * plot_w;
        let py =
            |y: f64| y0 + TOP + plot_h - (y.log10() - ylo as f64) / (yhi - ylo) as f64 * plot_h;
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="15">{}: throughput against problem size (log-log)</text>"#,
            WIDTH / 2.0,
            y0 + 25.0,
            escape(workload)
        );
        for k in xlo..=xhi {
            let x = px(10f64.powi(k));
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">10<tspan dy="-6" font-size="9">{k}</tspan></text>"##,
                y0 + TOP,
                y0 + TOP + plot_h,
                y0 + TOP + plot_h + 18.0
            );
        }
        for k in ylo..=yhi {
            let y = py(10f64.powi(k));
            let _ = writeln!(
                s,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">10<tspan dy="-6" font-size="9">{k}</tspan></text>"##,
                LEFT + plot_w,
                LEFT - 8.0,
                y + 4.0
            );
        }
        let _ = writeln!(
            s,
            r##"<rect x="{LEFT}" y="{:.1}" width="{plot_w:.1}" height="{plot_h:.1}" fill="none" stroke="#333"/>"##,
            y0 + TOP
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">problem size ({})</text>"#,
            LEFT + plot_w / 2.0,
            y0 + TOP + plot_h + 40.0,
            escape(size_unit)
        );
        let _ = writeln!(
            s,
            r#"<text transform="translate(18,{:.1}) rotate(-90)" text-anchor="middle">throughput ({}/s)</text>"#,
            y0 + TOP + plot_h / 2.0,
            escape(unit)
        );
        for (i, label) in labels(report, &rows).iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let mut series: Vec<&&ResultRow> = rows
                .iter()
                .filter(|r| row_label(&report.machine, r) == *label)
                .collect();
            series.sort_by(|a, b| a.size_value.total_cmp(&b.size_value));
            let software = series.iter().any(|r| r.software);
            let dash = if software {
                r#" stroke-dasharray="6 4""#
            } else {
                ""
            };
            let points: Vec<String> = series
                .iter()
                .map(|r| format!("{:.1},{:.1}", px(r.size_value), py(r.throughput)))
                .collect();
            let _ = writeln!(
                s,
                r#"<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{}"/>"#,
                points.join(" ")
            );
            for r in &series {
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"/>"#,
                    px(r.size_value),
                    py(r.throughput)
                );
            }
            let ly = y0 + TOP + 16.0 + 16.0 * i as f64;
            let text = if software {
                format!("{label} (CPU timings, not a GPU)")
            } else {
                label.clone()
            };
            let _ = writeln!(
                s,
                r#"<line x1="{:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="2"{dash}/><text x="{:.1}" y="{:.1}">{}</text>"#,
                LEFT + 10.0,
                LEFT + 34.0,
                LEFT + 40.0,
                ly + 4.0,
                escape(&text)
            );
        }
    }
    let m = &report.machine;
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="{:.1}" fill="#555">{} ({} logical cores), {}, {} build, {}</text>"##,
        height - 10.0,
        escape(&m.cpu),
        m.logical_cores,
        escape(&m.os),
        escape(&m.build_profile),
        escape(&m.date)
    );
    s.push_str("</svg>\n");
    s
}
