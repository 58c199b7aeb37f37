//! Many reports, one document (`speedup report A.json B.json ...`): the machines side by side,
//! then per workload its rows from every machine (median, interval, throughput, speedups), with
//! noisy rows and software adapters marked. Markdown and the HTML page are made from these same
//! sections, so they never disagree.

use super::layout::{to_markdown, to_text, Block, Table};
use super::view::{
    machine_fields, measurement_cells, ratio_with_interval, MEASUREMENT_COLUMNS, SOFTWARE_MARK,
};
use super::Named;
use crate::harness::compare::{compare, Comparison};
use crate::harness::report::{row_label, Report, ResultRow};

/// One bar of a workload's throughput chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// "MACHINE: BACKEND".
    pub label: String,
    /// Index of the machine (for its colour).
    pub machine: usize,
    /// Throughput (work / median).
    pub value: f64,
    /// Throughput at the ends of the median's 95% interval, when there is one.
    pub interval: Option<(f64, f64)>,
    /// A software adapter: drawn hatched and marked.
    pub software: bool,
    /// A noisy row: marked.
    pub noisy: bool,
}

/// A part of the document: its blocks and, for a workload, the bars of its chart.
pub struct Section {
    /// The blocks (shown as Markdown, or as HTML on the page).
    pub blocks: Vec<Block>,
    /// Workload sections: throughput by machine × backend at the largest size every machine ran
    /// (or each machine's largest), with the unit and that size.
    pub chart: Option<(String, String, Vec<Bar>)>,
    /// Sweep charts (SVG) of the reports that have crossovers.
    pub sweeps: Vec<(String, String)>,
    /// Other charts, each with its title: the roofline of each machine and backend (format 3
    /// reports with ceilings).
    pub charts: Vec<(String, String)>,
}

fn workloads(reports: &[Named]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in reports {
        for r in &n.report.results {
            if !out.contains(&r.workload) {
                out.push(r.workload.clone());
            }
        }
    }
    out
}

/// The rows of `workload` at its chart size in `report`: the largest `size_value` it ran.
fn largest<'a>(report: &'a Report, workload: &str) -> Vec<&'a ResultRow> {
    let rows: Vec<&ResultRow> = report
        .results
        .iter()
        .filter(|r| r.workload == workload)
        .collect();
    let Some(top) = rows
        .iter()
        .max_by(|a, b| a.size_value.total_cmp(&b.size_value))
        .map(|r| r.size.clone())
    else {
        return rows;
    };
    rows.into_iter().filter(|r| r.size == top).collect()
}

/// The document's sections: machines, then one per workload, then notes.
pub fn sections(reports: &[Named]) -> Vec<Section> {
    let mut out = Vec::new();
    let mut head = vec![Block::Title(format!(
        "speedup report: {} machine(s)",
        reports.len()
    ))];
    for n in reports {
        head.push(Block::Lines(vec![format!(
            "{} (format {}, {} rows)",
            n.name,
            n.report.format_version,
            n.report.results.len()
        )]));
        head.push(machine_fields(&n.report.machine));
    }
    out.push(Section {
        blocks: head,
        chart: None,
        sweeps: Vec::new(),
        charts: Vec::new(),
    });
    let (mut any_software, mut any_noisy) = (false, false);
    // Each later machine's rows against the first machine's, paired as `speedup compare` pairs
    // them (the same problem and backend; rayon's default pools with each other).
    let against_first: Vec<Comparison> = reports
        .iter()
        .skip(1)
        .map(|n| compare(&reports[0].report, &n.report))
        .collect();
    let several = reports.len() > 1;
    for workload in workloads(reports) {
        let mut header = [
            &["size", "machine", "backend"][..],
            &MEASUREMENT_COLUMNS,
            &[">vs serial", ">vs rayon"],
        ]
        .concat();
        if several {
            header.push(VS_FIRST);
        }
        let mut table = Table::new(
            Some(format!("{workload}: every machine and backend")),
            &header,
        );
        let mut bars = Vec::new();
        let mut chart_sizes: Vec<String> = Vec::new();
        let mut unit = String::new();
        for (m, n) in reports.iter().enumerate() {
            let machine = &n.report.machine;
            for r in n.report.results.iter().filter(|r| r.workload == workload) {
                let mut label = row_label(machine, r);
                if r.software {
                    label.push_str(SOFTWARE_MARK);
                    any_software = true;
                }
                any_noisy |= r.noisy;
                let mut cells = vec![r.size.clone(), n.name.clone(), label];
                cells.extend(measurement_cells(r));
                cells.extend([
                    ratio_with_interval(r.speedup_vs_serial, r.speedup_vs_serial_ci),
                    ratio_with_interval(r.speedup_vs_rayon, r.speedup_vs_rayon_ci),
                ]);
                if several {
                    cells.push(vs_first(&against_first, m, machine, r));
                }
                table.rows.push(cells);
            }
            for r in largest(&n.report, &workload) {
                if !chart_sizes.contains(&r.size) {
                    chart_sizes.push(r.size.clone());
                }
                unit = r.throughput_unit.clone();
                bars.push(Bar {
                    label: format!("{}: {}", n.name, row_label(machine, r)),
                    machine: m,
                    value: r.throughput,
                    interval: r
                        .median_ci_seconds
                        .map(|[lo, hi]| (r.work / hi, r.work / lo)),
                    software: r.software,
                    noisy: r.noisy,
                });
            }
        }
        out.push(Section {
            blocks: vec![Block::Table(table)],
            chart: Some((unit, chart_sizes.join(", "), bars)),
            sweeps: Vec::new(),
            charts: Vec::new(),
        });
    }
    let mut crossovers = Table::new(
        Some("crossovers (as the problem grows)".to_string()),
        &["machine", "workload", "backend", "overtakes", "where"],
    );
    let mut sweeps = Vec::new();
    let mut charts = Vec::new();
    for n in reports {
        for c in &n.report.crossovers {
            let at = c.where_in_words();
            crossovers.rows.push(vec![
                n.name.clone(),
                c.workload.clone(),
                c.challenger.clone(),
                c.baseline.clone(),
                at,
            ]);
        }
        if !n.report.crossovers.is_empty() {
            sweeps.push((n.name.clone(), super::svg::chart_svg(&n.report)));
        }
        charts.extend(super::roofline_svg::roofline_charts(&n.report, &n.name));
    }
    let mut tail = Vec::new();
    if !crossovers.rows.is_empty() {
        tail.push(Block::Table(crossovers));
    }
    let mut notes = Vec::new();
    if any_software {
        notes.push(format!(
            "{SOFTWARE_MARK} software adapter (device type Cpu): CPU timings of a software \
rasteriser, not GPU figures"
        ));
    }
    if any_noisy {
        notes.push(
            "! noisy: the median's 95% interval is wider than the report's noise limit (see \
each report's settings)"
                .to_string(),
        );
    }
    notes.push(
        "95% CI: distribution-free interval of the median (order statistics, 6 runs or more); \
speedups in parentheses: 95% bootstrap interval; both need samples (format 2)"
            .to_string(),
    );
    if several {
        notes.push(format!(
            "vs first machine: how many times faster the row runs than the same problem on the \
same backend on {} (1.00× on that machine; — where it has no such row)",
            reports[0].name
        ));
    }
    tail.push(Block::Lines(notes));
    out.push(Section {
        blocks: tail,
        chart: None,
        sweeps,
        charts,
    });
    out
}

/// The heading of the column that compares each row with the first machine.
const VS_FIRST: &str = ">vs first machine";

/// Row `r` of machine `m` against the same row on the first machine: first's median / this
/// median with its interval, "1.00×" on the first machine itself, "—" where it has no match.
fn vs_first(
    against_first: &[Comparison],
    m: usize,
    machine: &crate::harness::MachineInfo,
    r: &ResultRow,
) -> String {
    if m == 0 {
        return ratio_with_interval(Some(1.0), None);
    }
    let label = row_label(machine, r);
    let pair = against_first[m - 1]
        .rows
        .iter()
        .find(|c| c.workload == r.workload && c.size == r.size && c.new_label == label);
    match pair {
        Some(c) => ratio_with_interval(Some(c.speedup), c.speedup_ci),
        None => ratio_with_interval(None, None),
    }
}

/// Every block of every section, for Markdown and the terminal.
pub fn all_blocks(sections: &[Section]) -> Vec<Block> {
    sections.iter().flat_map(|s| s.blocks.clone()).collect()
}

/// Output formats of `speedup report` on stdout (`--format`); the HTML page ([`super::html`])
/// is written besides, to a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Aligned columns.
    Table,
    /// GitHub-flavoured Markdown (the same data as the HTML page).
    Markdown,
}

impl ReportFormat {
    /// The document of `sections` in this format.
    pub fn render(self, sections: &[Section]) -> String {
        let blocks = all_blocks(sections);
        match self {
            ReportFormat::Table => to_text(&blocks),
            ReportFormat::Markdown => to_markdown(&blocks),
        }
    }
}
