//! The human table: what `speedup bench` prints by default.

use super::layout::to_text;
use super::view::report_blocks;
use crate::harness::report::Report;

/// The report as aligned plain text.
pub fn to_table(report: &Report) -> String {
    to_text(&report_blocks(report))
}
