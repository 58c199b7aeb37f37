//! `speedup compare OLD.json NEW.json`: two bench reports row by row.

use speedup::harness::compare::{compare, comparison_blocks};
use speedup::harness::json::from_json;
use speedup::harness::layout::{to_markdown, to_text};
use speedup::harness::Report;
use std::path::{Path, PathBuf};

/// Output formats of `speedup compare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    /// Aligned columns.
    Table,
    /// GitHub-flavoured Markdown.
    Markdown,
}

/// Arguments of `speedup compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The earlier report (JSON from `speedup bench --format json`).
    pub old: PathBuf,
    /// The later report.
    pub new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
}

fn load(path: &Path) -> anyhow::Result<Report> {
    let text = std::fs::read_to_string(path).map_err(|e| speedup::Error::io(path, e))?;
    Ok(from_json(&text, &path.display().to_string())?)
}

/// Runs `speedup compare`.
pub fn run(args: CompareArgs) -> anyhow::Result<()> {
    let (old, new) = (load(&args.old)?, load(&args.new)?);
    let comparison = compare(&old, &new);
    let blocks = comparison_blocks(
        &args.old.display().to_string(),
        &old,
        &args.new.display().to_string(),
        &new,
        &comparison,
    );
    match args.format {
        CompareFormat::Table => print!("{}", to_text(&blocks)),
        CompareFormat::Markdown => print!("{}", to_markdown(&blocks)),
    }
    Ok(())
}
