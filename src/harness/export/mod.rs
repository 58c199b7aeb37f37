//! Every way a report leaves the program, one module per format (as hyperfine's `export/`): the
//! human table, JSON (the stable format `speedup compare` reads back), CSV, Markdown,
//! github-action-benchmark's JSON, the `--sweep` chart (SVG), and the many-machine document of
//! `speedup report` with its HTML page. The helpers they share live here too: the blocks the
//! table and Markdown both render ([`view`], [`layout`]) and numbers with units ([`units`]).
//! The harness's other modules measure and compute (they still name backends and rows: the
//! labels live with the report, in `report.rs`); the CLI only picks a format and where it goes.
//!
//! A new format of bench reports is one module here, plus its variant in [`Format`] and its arm
//! in [`Format::render`]: every exporter is a plain `fn(&Report) -> String`, so an enum that
//! names them does the job of hyperfine's `Exporter` trait without the boxes.

pub mod benchmark_action;
pub mod comparison;
pub mod csv;
pub mod html;
pub mod json;
pub mod layout;
pub mod many;
pub mod markdown;
pub mod roofline_svg;
pub mod svg;
pub mod table;
pub mod units;
pub mod view;

use super::report::Report;

/// Output formats of a bench report (`speedup bench --format`). The variants' docs are the
/// `--help` text; clap derives the spellings (`table`, `json`, `csv`, `markdown`,
/// `benchmark-action`) from their names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// The stable format (docs/bench-format.md); what `speedup compare` reads.
    Json,
    /// One line per result row.
    Csv,
    /// GitHub-flavoured Markdown.
    Markdown,
    /// github-action-benchmark's `customBiggerIsBetter` JSON: one entry per row, throughput.
    BenchmarkAction,
}

impl Format {
    /// The report written in this format: the whole text of the file, ending in a newline.
    pub fn render(self, report: &Report) -> String {
        match self {
            Format::Table => table::to_table(report),
            Format::Json => json::to_json(report),
            Format::Csv => csv::to_csv(report),
            Format::Markdown => markdown::to_markdown_report(report),
            Format::BenchmarkAction => benchmark_action::benchmark_action(report),
        }
    }
}

/// A report and the name it goes by in a document: its file name (`speedup compare` shows the
/// path as given, `speedup report` the name without `.json`).
pub struct Named {
    /// Short name shown as the report's heading.
    pub name: String,
    /// The report.
    pub report: Report,
}
