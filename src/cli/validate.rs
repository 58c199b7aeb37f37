//! `speedup validate FILE...`: each report checked against the JSON Schema in
//! docs/report.schema.json (generated from the report types), then read as `compare` reads it.

use speedup::harness::schema::{report_schema_text, validate};
use std::path::PathBuf;

/// Arguments of `speedup validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Reports to check (JSON from `speedup bench --format json`, any format_version).
    #[arg(required_unless_present = "print_schema")]
    pub files: Vec<PathBuf>,
    /// Print the schema itself (the text of docs/report.schema.json) and check nothing.
    #[arg(long)]
    pub print_schema: bool,
}

/// Runs `speedup validate`: says "FILE: valid (format N, R rows)" per file, or fails with every
/// problem of the first invalid one.
pub fn run(args: ValidateArgs) -> anyhow::Result<()> {
    if args.print_schema {
        print!("{}", report_schema_text());
        return Ok(());
    }
    for path in &args.files {
        let text = std::fs::read_to_string(path).map_err(|e| speedup::Error::io(path, e))?;
        let report = validate(&text, &path.display().to_string())?;
        println!(
            "{}: valid (format {}, {} rows)",
            path.display(),
            report.format_version,
            report.results.len()
        );
    }
    Ok(())
}
