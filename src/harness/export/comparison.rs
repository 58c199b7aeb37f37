//! The output of `speedup compare`: two reports' comparison as aligned text, Markdown (both from
//! the same blocks) or JSON for programs.

use super::layout::{to_markdown, to_text, Block, Table};
use super::units::format_seconds;
use super::view::ratio_with_interval;
use super::Named;
use crate::harness::compare::{ComparedRow, Comparison};
use crate::harness::machine::MachineInfo;
use serde::Serialize;

/// Output formats of `speedup compare` (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    /// Aligned columns.
    Table,
    /// GitHub-flavoured Markdown.
    Markdown,
    /// Every matched row with its ratio, interval and verdict, for programs.
    Json,
}

impl CompareFormat {
    /// The comparison `c` of `old` with `new` in this format, with `threshold` (the regression
    /// gate, if any) applied to the verdicts. Ends in a newline.
    pub fn render(
        self,
        old: &Named,
        new: &Named,
        c: &Comparison,
        threshold: Option<f64>,
    ) -> String {
        match self {
            CompareFormat::Table => to_text(&comparison_blocks(old, new, c, threshold)),
            CompareFormat::Markdown => to_markdown(&comparison_blocks(old, new, c, threshold)),
            CompareFormat::Json => comparison_json(&old.name, &new.name, c, threshold),
        }
    }
}

/// The comparison as JSON for programs: both file names, the threshold, every matched row,
/// the unmatched ones and the regressions by name. Ends in a newline.
pub fn comparison_json(
    old_name: &str,
    new_name: &str,
    c: &Comparison,
    threshold: Option<f64>,
) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        old: &'a str,
        new: &'a str,
        threshold: Option<f64>,
        #[serde(flatten)]
        comparison: &'a Comparison,
        regressions: Vec<String>,
    }
    let out = Out {
        old: old_name,
        new: new_name,
        threshold,
        comparison: c,
        regressions: threshold
            .map(|t| {
                c.regressions(t)
                    .into_iter()
                    .map(ComparedRow::describe)
                    .collect()
            })
            .unwrap_or_default(),
    };
    serde_json::to_string_pretty(&out).expect("plain data always serialises") + "\n"
}

/// One report's machine in a line: CPU, cores, OS, version, build, date and adapters.
fn machine_line(m: &MachineInfo) -> String {
    let adapters: Vec<&str> = m.adapters.iter().map(|a| a.summary.name.as_str()).collect();
    let adapters = if adapters.is_empty() {
        String::new()
    } else {
        format!(", adapters: {}", adapters.join("; "))
    };
    format!(
        "{} ({} cores), {}, speedup {} {}, {}{adapters}",
        m.cpu, m.logical_cores, m.os, m.speedup_version, m.build_profile, m.date
    )
}

/// The comparison as blocks: both machines, the table, unmatched rows.
pub fn comparison_blocks(
    old: &Named,
    new: &Named,
    c: &Comparison,
    threshold: Option<f64>,
) -> Vec<Block> {
    let mut table = Table::new(
        None,
        &[
            "workload", "size", "backend", ">old", ">new", ">old/new", "change",
        ],
    );
    // Reports with roofs (format 3): each ratio split into hardware × code.
    let explained = c.rows.iter().any(|r| r.split.is_some());
    if explained {
        table.header.push("explained".to_string());
        table.right.push(false);
    }
    for r in &c.rows {
        let mut verdict = r.verdict.as_str().to_string();
        if threshold.is_some_and(|t| r.regressed(t)) {
            verdict.push_str(" REGRESSION");
        }
        table.rows.push(vec![
            r.workload.clone(),
            r.size.clone(),
            r.label(),
            format_seconds(r.old_median),
            format_seconds(r.new_median),
            ratio_with_interval(Some(r.speedup), r.speedup_ci),
            verdict,
        ]);
        if explained {
            let words = r.split.as_ref().map_or("—".to_string(), |s| {
                crate::harness::roofline::split_words(r.speedup, s)
            });
            table.rows.last_mut().expect("pushed").push(words);
        }
    }
    let mut lines = vec![format!(
        "old/new above 1: the new run is faster; in parentheses its 95% bootstrap interval. A \
change is marked when that interval excludes 1, or, for rows without samples, when each median \
lies outside the other run's min..max; a change smaller than {} is \"no change\" (the noise \
between runs that one run's interval cannot see; --noise-threshold).",
        super::units::format_percent(c.noise_threshold)
    )];
    if let Some(t) = threshold {
        let regressed: Vec<String> = c
            .rows
            .iter()
            .filter(|r| r.regressed(t))
            .map(ComparedRow::describe)
            .collect();
        lines.push(if regressed.is_empty() {
            format!("no row is slower by more than {}%", 100.0 * t)
        } else {
            format!(
                "{} row(s) slower by more than {}%: {}",
                regressed.len(),
                100.0 * t,
                regressed.join("; ")
            )
        });
    }
    lines.extend(c.only_old.iter().map(|l| format!("only in old: {l}")));
    lines.extend(c.only_new.iter().map(|l| format!("only in new: {l}")));
    vec![
        Block::Title("speedup compare".to_string()),
        Block::Fields(vec![
            (
                format!("old {}", old.name),
                machine_line(&old.report.machine),
            ),
            (
                format!("new {}", new.name),
                machine_line(&new.report.machine),
            ),
        ]),
        Block::Table(table),
        Block::Lines(lines),
    ]
}
