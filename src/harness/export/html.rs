//! The self-contained HTML page of `speedup report --html`: no network (inline CSS and SVG, no
//! scripts), the machines side by side, per workload a throughput chart by machine × backend and
//! its table, the crossover table and sweep charts. Made from the same sections as the Markdown.

use super::layout::{Block, Table};
use super::many::{Bar, Section};
use super::svg::{escape, COLOURS};
use super::units::format_rate;
use super::view::{NOISY_MARK, SOFTWARE_MARK};
use std::fmt::Write;

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222;max-width:1400px}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}\
.machines{display:flex;flex-wrap:wrap;gap:1em}\
.machine{border:1px solid #ccc;border-radius:6px;padding:.5em 1em;flex:1 1 320px}\
.machine h3{margin:.3em 0}table{border-collapse:collapse;margin:.5em 0;font-size:.9em}\
caption{text-align:left;font-weight:bold;padding:.3em .6em}\
th,td{padding:.2em .6em;border-bottom:1px solid #eee;text-align:left}td.num{text-align:right;white-space:nowrap}\
dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;font-size:.9em}\
dt{font-weight:bold}dd{margin:0}tr.noisy td{background:#fff4e0}tr.software td{color:#666}\
.note{font-size:.9em;color:#444}svg{max-width:100%;height:auto}";

/// The page. `sections` from [`super::many::sections`].
pub fn page(sections: &[Section]) -> String {
    let mut h = String::new();
    let title = sections
        .first()
        .and_then(|s| match s.blocks.first() {
            Some(Block::Title(t)) => Some(t.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "speedup report".to_string());
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&title)
    );
    for (i, section) in sections.iter().enumerate() {
        if i == 0 {
            machines(&mut h, &section.blocks);
            continue;
        }
        if let Some((unit, sizes, bars)) = &section.chart {
            if let Some(Block::Table(t)) = section.blocks.first() {
                let name = t.caption.as_deref().unwrap_or("");
                let workload = name.split(':').next().unwrap_or(name);
                let _ = writeln!(
                    h,
                    "<section class=\"workload\" id=\"workload-{0}\">\n<h2>{0}</h2>",
                    escape(workload)
                );
                let _ = writeln!(
                    h,
                    "<p class=\"note\">Throughput at the largest size each machine ran ({}), \
log scale; whiskers: 95% interval of the median.</p>",
                    escape(sizes)
                );
                h.push_str(&bar_chart(workload, unit, bars));
            }
        }
        for b in &section.blocks {
            block(&mut h, b);
        }
        if section.chart.is_some() {
            h.push_str("</section>\n");
        }
        for (title, svg) in &section.charts {
            let _ = writeln!(h, "<h2>{}</h2>", escape(title));
            h.push_str(
                "<p class=\"note\">Log-log: counted operations per second against operations per \
compulsory byte; lines: compute ceilings (solid) and each memory level's bandwidth (dashed); \
points: rows, with their fraction of the roof (red above 105%).</p>\n",
            );
            h.push_str(svg);
        }
        for (name, svg) in &section.sweeps {
            let _ = writeln!(h, "<h2>sweep of {}</h2>", escape(name));
            // The sweep chart is our own SVG; drop its XML-only attribute-free prologue as is.
            h.push_str(svg);
            h.push('\n');
        }
    }
    h.push_str("</body>\n</html>\n");
    h
}

/// The first section: the title, then each machine's name and fields as cards side by side.
fn machines(h: &mut String, blocks: &[Block]) {
    let mut rest = blocks.iter().peekable();
    if let Some(Block::Title(t)) = rest.peek() {
        let _ = writeln!(h, "<h1>{}</h1>", escape(t));
        rest.next();
    }
    h.push_str("<div class=\"machines\">\n");
    while let Some(b) = rest.next() {
        match (b, rest.peek()) {
            (Block::Lines(name), Some(Block::Fields(fields))) => {
                let _ = writeln!(
                    h,
                    "<section class=\"machine\"><h3>{}</h3>",
                    escape(&name.join(" "))
                );
                fields_html(h, fields);
                h.push_str("</section>\n");
                rest.next();
            }
            (other, _) => block(h, other),
        }
    }
    h.push_str("</div>\n");
}

fn fields_html(h: &mut String, fields: &[(String, String)]) {
    h.push_str("<dl>");
    for (k, v) in fields {
        let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    }
    h.push_str("</dl>\n");
}

fn block(h: &mut String, b: &Block) {
    match b {
        Block::Title(t) => {
            let _ = writeln!(h, "<h2>{}</h2>", escape(t));
        }
        Block::Fields(f) => fields_html(h, f),
        Block::Table(t) => table(h, t),
        Block::Lines(lines) => {
            for l in lines {
                let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(l));
            }
        }
    }
}

fn table(h: &mut String, t: &Table) {
    h.push_str("<table>\n");
    if let Some(c) = &t.caption {
        let _ = writeln!(h, "<caption>{}</caption>", escape(c));
    }
    h.push_str("<tr>");
    for c in &t.header {
        let _ = write!(h, "<th>{}</th>", escape(c));
    }
    h.push_str("</tr>\n");
    for row in &t.rows {
        let software = row.iter().any(|c| c.ends_with(SOFTWARE_MARK));
        let noisy = row.iter().any(|c| c.ends_with(NOISY_MARK));
        let class = match (software, noisy) {
            (_, true) => " class=\"noisy\"",
            (true, false) => " class=\"software\"",
            _ => "",
        };
        let _ = write!(h, "<tr{class}>");
        for (cell, right) in row.iter().zip(&t.right) {
            let class = if *right { " class=\"num\"" } else { "" };
            let _ = write!(h, "<td{class}>{}</td>", escape(cell));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

/// Horizontal bars on a log axis (throughputs of machines and backends differ by orders of
/// magnitude), one colour per machine, software adapters hatched, 95% whiskers.
fn bar_chart(workload: &str, unit: &str, bars: &[Bar]) -> String {
    const LABEL: f64 = 440.0;
    const PLOT: f64 = 520.0;
    const ROW: f64 = 24.0;
    let width = LABEL + PLOT + 140.0;
    let height = 40.0 + ROW * bars.len() as f64 + 30.0;
    let values = bars
        .iter()
        .flat_map(|b| {
            [
                Some(b.value),
                b.interval.map(|i| i.0),
                b.interval.map(|i| i.1),
            ]
        })
        .flatten()
        .filter(|v| *v > 0.0 && v.is_finite());
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(v), h.max(v)));
    let (lo, hi) = if lo <= hi {
        (
            lo.log10().floor(),
            hi.log10().ceil().max(lo.log10().floor() + 1.0),
        )
    } else {
        (0.0, 1.0)
    };
    let x = |v: f64| LABEL + (v.max(10f64.powf(lo)).log10() - lo) / (hi - lo) * PLOT;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{0} throughput by machine and backend" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">
<defs><pattern id="hatch-{0}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="white"/><line x1="0" y1="0" x2="0" y2="6" stroke="#888" stroke-width="3"/></pattern></defs>
<text x="{LABEL}" y="16">{1} (log scale)</text>"##,
        escape(workload),
        escape(unit)
    );
    for d in lo as i32..=hi as i32 {
        let px = x(10f64.powi(d));
        let _ = writeln!(
            s,
            r##"<line x1="{px:.1}" y1="26" x2="{px:.1}" y2="{:.1}" stroke="#ddd"/><text x="{px:.1}" y="{:.1}" text-anchor="middle" font-size="10">1e{d}</text>"##,
            height - 24.0,
            height - 10.0
        );
    }
    for (i, b) in bars.iter().enumerate() {
        let y = 32.0 + ROW * i as f64;
        let colour = COLOURS[b.machine % COLOURS.len()];
        let fill = if b.software {
            format!("url(#hatch-{})", escape(workload))
        } else {
            colour.to_string()
        };
        let mut label = b.label.clone();
        if b.software {
            label.push_str(SOFTWARE_MARK);
        }
        if b.noisy {
            label.push_str(NOISY_MARK);
        }
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect x="{LABEL}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{fill}" stroke="{colour}"/><text x="{:.1}" y="{:.1}">{}</text>"##,
            LABEL - 6.0,
            y + 14.0,
            escape(&label),
            (x(b.value) - LABEL).max(1.0),
            ROW - 6.0,
            x(b.interval.map_or(b.value, |i| i.1)) + 6.0,
            y + 14.0,
            escape(&format_rate(b.value, ""))
        );
        if let Some((l, u)) = b.interval {
            let cy = y + (ROW - 6.0) / 2.0;
            let _ = writeln!(
                s,
                r##"<line x1="{:.1}" y1="{cy:.1}" x2="{:.1}" y2="{cy:.1}" stroke="black"/>"##,
                x(l),
                x(u)
            );
        }
    }
    s.push_str("</svg>\n");
    s
}
