//! `speedup report A.json B.json ...`: many reports (machines) in one document, as a table,
//! Markdown, or with `--html` a self-contained page.

use speedup::harness::export::many::{self, ReportFormat};
use speedup::harness::export::{html, Named};
use speedup::output::write_atomic;
use std::path::PathBuf;

/// Arguments of `speedup report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Reports (JSON from `speedup bench --format json`, any format_version), one per machine.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Also write one self-contained HTML page (inline CSS and SVG, no network) here.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

/// Runs `speedup report`.
pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.html {
        speedup::output::prepare(path)?;
    }
    let mut reports = Vec::new();
    for path in &args.files {
        let name = path.file_stem().map_or_else(
            || path.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        reports.push(Named {
            name,
            report: super::compare::load(path)?,
        });
    }
    let sections = many::sections(&reports);
    // The page first: a reader of stdout that leaves early ends the command at the print.
    if let Some(path) = &args.html {
        write_atomic(path, html::page(&sections).as_bytes())?;
        eprintln!("page written to {}", path.display());
    }
    print!("{}", args.format.render(&sections));
    Ok(())
}
