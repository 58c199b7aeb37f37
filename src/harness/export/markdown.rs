//! Markdown: the same blocks as the terminal table, for READMEs and docs/performance.md.

use super::layout::to_markdown;
use super::view::report_blocks;
use crate::harness::report::Report;

/// The report as GitHub-flavoured Markdown.
pub fn to_markdown_report(report: &Report) -> String {
    to_markdown(&report_blocks(report))
}
