//! JSON: the stable, documented format (docs/bench-format.md), and what `speedup compare` reads.

use crate::error::{Error, Result};
use crate::harness::report::{Report, FORMAT_VERSION};

/// The report as pretty-printed JSON, ending in a newline.
pub fn to_json(report: &Report) -> String {
    // A report holds only strings, numbers, booleans and options: serialising cannot fail.
    serde_json::to_string_pretty(report).expect("a report always serialises") + "\n"
}

/// Reads a report written by [`to_json`] of this or any earlier `format_version` (fields added
/// since take their defaults); `origin` names the file in errors. A report from a newer writer
/// is refused by name rather than half-read.
pub fn from_json(text: &str, origin: &str) -> Result<Report> {
    let report: Report = serde_json::from_str(text).map_err(|e| Error::Parse {
        file: origin.to_string(),
        line: e.line(),
        column: e.column(),
        message: format!("not a speedup bench report: {e}"),
    })?;
    if report.format_version == 0 || report.format_version > FORMAT_VERSION {
        return Err(Error::Parse {
            file: origin.to_string(),
            line: 1,
            column: 1,
            message: format!(
                "format_version {} is not one this speedup reads (1 to {FORMAT_VERSION}); a newer \
speedup wrote it",
                report.format_version
            ),
        });
    }
    Ok(report)
}
