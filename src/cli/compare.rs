//! `speedup compare OLD.json NEW.json`: two bench reports row by row, and with `--threshold` a
//! regression gate for CI.

use speedup::harness::compare::{compare_with_noise, DEFAULT_NOISE_THRESHOLD};
use speedup::harness::export::comparison::CompareFormat;
use speedup::harness::export::json::from_json;
use speedup::harness::export::Named;
use speedup::harness::Report;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Exit status of `speedup compare --threshold` when a row regressed (errors exit with 1).
pub const REGRESSION_EXIT_CODE: i32 = 2;

/// Arguments of `speedup compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The earlier report (JSON from `speedup bench --format json`, any format_version).
    pub old: PathBuf,
    /// The later report.
    pub new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
    /// Regression gate: exit with status 2, naming the rows, when a row is slower by more than
    /// this (e.g. 5%) with 95% confidence. Without it, compare always exits 0 on valid input.
    #[arg(long, value_parser = parse_percent)]
    pub threshold: Option<f64>,
    /// Changes smaller than this (e.g. 2%) are "no change" even when statistically clear: a
    /// run's interval does not see what differs between runs (clock, heat, memory layout), which
    /// moves medians by a percent or two between identical runs. Default 2%; 0 to mark every
    /// clear change.
    #[arg(long, value_parser = parse_percent, default_value_t = DEFAULT_NOISE_THRESHOLD)]
    pub noise_threshold: f64,
}

/// "5%", "5 %" or "0.05" as the fraction 0.05; finite and not negative.
pub(crate) fn parse_percent(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (number, scale) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), 0.01),
        None => (t, 1.0),
    };
    match number.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x * scale),
        _ => Err(format!(
            "'{text}' is not a percentage (write e.g. 5% or 0.05)"
        )),
    }
}

/// Reads a report of any format_version, naming the file in errors.
pub(crate) fn load(path: &Path) -> anyhow::Result<Report> {
    let text = std::fs::read_to_string(path).map_err(|e| speedup::Error::io(path, e))?;
    Ok(from_json(&text, &path.display().to_string())?)
}

/// Runs `speedup compare`.
pub fn run(args: CompareArgs) -> anyhow::Result<()> {
    let named = |path: &Path| -> anyhow::Result<Named> {
        Ok(Named {
            name: path.display().to_string(),
            report: load(path)?,
        })
    };
    let (old, new) = (named(&args.old)?, named(&args.new)?);
    let comparison = compare_with_noise(&old.report, &new.report, args.noise_threshold);
    print!(
        "{}",
        args.format.render(&old, &new, &comparison, args.threshold)
    );
    if let Some(t) = args.threshold {
        let regressed = comparison.regressions(t);
        if !regressed.is_empty() {
            let names: Vec<String> = regressed.iter().map(|r| r.describe()).collect();
            eprintln!(
                "regression: {} row(s) slower by more than {}%: {}",
                names.len(),
                100.0 * t,
                names.join("; ")
            );
            // The report is on stdout already; flush it before leaving without unwinding.
            std::io::stdout().flush()?;
            std::process::exit(REGRESSION_EXIT_CODE);
        }
    }
    Ok(())
}
