//! The report's JSON Schema, generated from the report types themselves (so it cannot drift
//! from what `speedup bench` writes), committed as docs/report.schema.json, and
//! `speedup validate`: a file checked against it.
//!
//! Fields added since format 1 all have defaults and are optional in the schema, so one schema
//! accepts every `format_version` this speedup reads.

use super::export::json::from_json;
use super::report::Report;
use crate::error::{Error, Result};

/// The JSON Schema of [`Report`] (draft 2020-12), pretty-printed, ending in a newline: the text
/// of docs/report.schema.json.
pub fn report_schema_text() -> String {
    let schema = schemars::schema_for!(Report);
    serde_json::to_string_pretty(&schema).expect("a schema always serialises") + "\n"
}

/// Checks `text` (a report file named `origin` in errors) against the schema, then reads it.
/// Every schema violation is listed, one per line, as `ORIGIN: at /json/pointer: problem`.
pub fn validate(text: &str, origin: &str) -> Result<Report> {
    let instance: serde_json::Value = serde_json::from_str(text).map_err(|e| Error::Parse {
        file: origin.to_string(),
        line: e.line(),
        column: e.column(),
        message: format!("not JSON: {e}"),
    })?;
    let schema: serde_json::Value = serde_json::to_value(schemars::schema_for!(Report))
        .expect("a schema always converts to JSON");
    let validator = jsonschema::validator_for(&schema).expect("the generated schema is valid");
    let problems: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() { "/".to_string() } else { at };
            format!("{origin}: at {at}: {e}")
        })
        .collect();
    if !problems.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{} does not match the report schema ({} problem(s)):\n{}",
            origin,
            problems.len(),
            problems.join("\n")
        )));
    }
    from_json(text, origin)
}
