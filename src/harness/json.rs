//! JSON: the stable, documented format (docs/bench-format.md), and what `speedup compare` reads.

use super::report::Report;
use crate::error::{Error, Result};

/// The report as pretty-printed JSON, ending in a newline.
pub fn to_json(report: &Report) -> String {
    // A report holds only strings, numbers, booleans and options: serialising cannot fail.
    serde_json::to_string_pretty(report).expect("a report always serialises") + "\n"
}

/// Reads a report written by [`to_json`]; `origin` names the file in errors.
pub fn from_json(text: &str, origin: &str) -> Result<Report> {
    serde_json::from_str(text).map_err(|e| Error::Parse {
        file: origin.to_string(),
        line: e.line(),
        column: e.column(),
        message: format!("not a speedup bench report: {e}"),
    })
}
