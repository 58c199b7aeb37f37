//! The roofline chart of `speedup report --html`: per machine and backend, log-log, operations
//! per second against operations per byte (arithmetic intensity), each compute ceiling a
//! horizontal line, each memory level's triad bandwidth a diagonal (bytes/s × op/byte), one
//! labelled point per row (its counted operations per second at its intensity). Rows without
//! memory traffic (SHA-256, Monte Carlo) sit at the right edge.

use super::svg::{escape, COLOURS};
use crate::harness::report::Report;
use crate::peak::{BackendCeilings, Measure};
use std::fmt::Write;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 460.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 130.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
/// Intensity range drawn, in decades of op/byte.
const X_DECADES: (i32, i32) = (-3, 4);

/// One chart per backend with ceilings in `report`: (title, SVG).
pub fn roofline_charts(report: &Report, machine: &str) -> Vec<(String, String)> {
    let Some(set) = &report.ceilings else {
        return Vec::new();
    };
    set.backends
        .iter()
        .filter_map(|b| {
            let svg = chart(report, b)?;
            let mark = if b.software { "†" } else { "" };
            Some((format!("roofline of {machine}: {}{mark}", b.label), svg))
        })
        .collect()
}

fn chart(report: &Report, b: &BackendCeilings) -> Option<String> {
    let points: Vec<(String, f64, f64, f64)> = report
        .results
        .iter()
        .filter(|r| b.matches(&r.backend, &r.device, r.threads))
        .filter_map(|r| {
            let roof = r.roof.as_ref()?;
            let x = roof.intensity.unwrap_or(10f64.powi(X_DECADES.1));
            Some((r.workload.clone(), x, roof.ops_per_second, roof.fraction))
        })
        .filter(|p| p.2 > 0.0)
        .collect();
    if points.is_empty() {
        return None;
    }
    let compute: Vec<(String, f64)> = Measure::COMPUTE
        .iter()
        .filter_map(|&m| b.get(m, None).map(|c| (c.name(), c.best)))
        .collect();
    let memory: Vec<(String, f64)> = b
        .ceilings
        .iter()
        .filter(|c| {
            c.measure == Measure::Triad || c.level == Some(crate::peak::MemLevel::Workgroup)
        })
        .map(|c| (c.name(), c.best))
        .collect();
    let ys = points
        .iter()
        .map(|p| p.2)
        .chain(compute.iter().map(|c| c.1));
    let (lo, hi) = ys.fold((f64::INFINITY, 0.0f64), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    let (y0, y1) = (
        (lo / 10.0).log10().floor() as i32,
        (hi * 2.0).log10().ceil() as i32,
    );
    let (x0, x1) = X_DECADES;
    let px = |x: f64| LEFT + (x.log10() - x0 as f64) / (x1 - x0) as f64 * (WIDTH - LEFT - RIGHT);
    let py =
        |y: f64| TOP + (1.0 - (y.log10() - y0 as f64) / (y1 - y0) as f64) * (HEIGHT - TOP - BOTTOM);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg class="roofline" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let (right, bottom) = (WIDTH - RIGHT, HEIGHT - BOTTOM);
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{}" height="{}" fill="none" stroke="#999"/>"##,
        right - LEFT,
        bottom - TOP
    );
    for d in x0..=x1 {
        let x = px(10f64.powi(d));
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{bottom}" stroke="#eee"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">1e{d}</text>"##,
            bottom + 15.0
        );
    }
    for d in y0..=y1 {
        let y = py(10f64.powi(d));
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{right}" y2="{y:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end">1e{d}</text>"##,
            LEFT - 5.0,
            y + 4.0
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">operations per byte (counted operations ÷ compulsory bytes)</text>"#,
        (LEFT + right) / 2.0,
        HEIGHT - 12.0
    );
    let _ = writeln!(
        s,
        r#"<text x="14" y="{:.1}" transform="rotate(-90 14 {:.1})" text-anchor="middle">operations per second</text>"#,
        (TOP + bottom) / 2.0,
        (TOP + bottom) / 2.0
    );
    let clip = |y: f64| y.clamp(TOP, bottom);
    let mut compute = compute;
    compute.sort_by(|a, b| a.1.total_cmp(&b.1));
    // Labels at least a line apart, moving up from the lowest ceiling.
    let mut last_label = f64::INFINITY;
    for (name, y) in &compute {
        let yy = py(*y);
        if (TOP..=bottom).contains(&yy) {
            let label = (yy + 4.0).min(last_label - 12.0);
            last_label = label;
            let _ = writeln!(
                s,
                r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{right}" y2="{yy:.1}" stroke="#555"/><text x="{:.1}" y="{label:.1}">{}</text>"##,
                right + 4.0,
                escape(name)
            );
        }
    }
    for (i, (name, bw)) in memory.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        // The diagonal y = bw·x within the plot: from where it enters (left edge or bottom) to
        // where it leaves (top or right edge).
        let xa = (10f64.powi(y0) / bw).max(10f64.powi(x0));
        let xb = (10f64.powi(y1) / bw).min(10f64.powi(x1));
        if xa >= xb {
            continue;
        }
        let _ = writeln!(
            s,
            r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-dasharray="5 3"/>"#,
            px(xa),
            clip(py(bw * xa)),
            px(xb),
            clip(py(bw * xb))
        );
        // Label where the diagonal enters the plot from below.
        let x_in = xa * 1.5;
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" fill="{colour}">{}</text>"#,
            px(x_in) + 4.0,
            clip(py(bw * x_in)) - 4.0,
            escape(name)
        );
    }
    for (name, x, y, fraction) in &points {
        let (cx, cy) = (px(*x), py(*y));
        let colour = if *fraction > crate::harness::roofline::ABOVE_ROOF {
            "#d62728"
        } else {
            "#1f77b4"
        };
        let _ = writeln!(
            s,
            r#"<circle cx="{cx:.1}" cy="{cy:.1}" r="4" fill="{colour}"/><text x="{:.1}" y="{:.1}">{} ({:.0}%)</text>"#,
            cx + 6.0,
            cy - 6.0,
            escape(name),
            100.0 * fraction
        );
    }
    s.push_str("</svg>\n");
    Some(s)
}
