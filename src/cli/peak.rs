//! `speedup peak`: every backend's ceilings, measured by microkernels (src/peak/): f32 with and
//! without FMA, the integer pipes, bandwidth per memory level, and for GPUs the copies and the
//! empty-dispatch latency, each with its interval and, where it can be computed, its theoretical
//! value. `--counts` prints instead what one unit of each workload costs.

use anyhow::Context;
use speedup::backend::{BackendList, WhenNoneNamed};
use speedup::harness::export::layout::{to_markdown, to_text, Block, Table};
use speedup::harness::roofline::ceiling_blocks;
use speedup::output::write_atomic;
use speedup::peak::{self, Budget};
use speedup::workloads::{self, Device};
use std::path::PathBuf;

/// Output formats of `speedup peak`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PeakFormat {
    /// Aligned columns for people.
    Table,
    /// The ceilings as JSON (the `ceilings` of a format-3 report).
    Json,
    /// GitHub-flavoured Markdown.
    Markdown,
}

/// Arguments of `speedup peak`.
#[derive(Debug, clap::Args)]
pub struct PeakArgs {
    /// Backends, comma-separated, as `bench` takes them (default: serial, rayon and the best
    /// adapter).
    #[arg(long, value_delimiter = ',')]
    pub backends: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PeakFormat::Table)]
    pub format: PeakFormat,
    /// Write the output here (atomically) instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Show the cached ceilings of an earlier run on this machine and build when there are
    /// some, instead of measuring (the default measures and refreshes the cache).
    #[arg(long)]
    pub cached: bool,
    /// Milliseconds per sample (7 samples per ceiling).
    #[arg(long, default_value_t = 10.0, value_parser = parse_sample_ms)]
    pub sample_ms: f64,
    /// Print each workload's work counts (operations by class and bytes per unit, at its
    /// default size, CPU and GPU) instead of measuring.
    #[arg(long)]
    pub counts: bool,
}

fn parse_sample_ms(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(ms) if ms.is_finite() && (0.1..=10_000.0).contains(&ms) => Ok(ms),
        _ => Err(format!(
            "expected milliseconds between 0.1 and 10000, got '{text}'"
        )),
    }
}

/// Runs `speedup peak`.
pub fn run(args: PeakArgs) -> anyhow::Result<()> {
    let text = if args.counts {
        counts_text(args.format)?
    } else {
        let list =
            BackendList::open(&args.backends, WhenNoneNamed::BestAdapter).context("--backends")?;
        let budget = Budget::with_sample_seconds(args.sample_ms / 1000.0);
        let set = peak::ceilings(&list.backends, &budget, !args.cached)?;
        let mut blocks = vec![Block::Title("speedup peak".to_string())];
        blocks.extend(ceiling_blocks(&set));
        let skipped: Vec<String> = list
            .skipped
            .iter()
            .map(|(what, why)| format!("{what} skipped: {why}"))
            .collect();
        if !skipped.is_empty() {
            blocks.push(Block::Lines(skipped));
        }
        match args.format {
            PeakFormat::Table => to_text(&blocks),
            PeakFormat::Markdown => to_markdown(&blocks),
            PeakFormat::Json => serde_json::to_string_pretty(&set)? + "\n",
        }
    };
    match &args.output {
        Some(path) => write_atomic(path, text.as_bytes())?,
        None => print!("{text}"),
    }
    Ok(())
}

/// Every workload's counts at its default size, on the CPU and on a GPU.
fn counts_text(format: PeakFormat) -> anyhow::Result<String> {
    let mut rows = Vec::new();
    let mut table = Table::new(
        Some("work per unit, counted (src/workloads/*: Workload::work_counts)".to_string()),
        &[
            "workload",
            "size",
            "device",
            "operations per unit",
            "bytes per unit (working set)",
            "note",
        ],
    );
    for w in workloads::all() {
        let size = w.default_sizes(false).remove(0);
        for device in [Device::Cpu, Device::Gpu] {
            let Some(c) = w.work_counts(&size, device) else {
                continue;
            };
            let ops: Vec<String> = c
                .ops
                .iter()
                .map(|(class, n)| format!("{n:.4} {}", class.words()))
                .collect();
            let bytes: Vec<String> = c
                .traffic
                .iter()
                .map(|t| {
                    let from = if t.workgroup_memory {
                        "workgroup memory".to_string()
                    } else {
                        format!("{:.3e} B", t.working_set_bytes)
                    };
                    format!("{:.4} {} ({from})", t.bytes_per_unit, t.what)
                })
                .collect();
            table.rows.push(vec![
                w.name().to_string(),
                size.clone(),
                format!("{device:?}").to_lowercase(),
                ops.join(", "),
                bytes.join(", "),
                c.note.to_string(),
            ]);
            rows.push(serde_json::json!({
                "workload": w.name(), "size": size, "device": device, "unit": w.unit(),
                "counts": c,
            }));
        }
    }
    let blocks = vec![Block::Table(table)];
    Ok(match format {
        PeakFormat::Table => to_text(&blocks),
        PeakFormat::Markdown => to_markdown(&blocks),
        PeakFormat::Json => serde_json::to_string_pretty(&rows)? + "\n",
    })
}
