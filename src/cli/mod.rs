//! Command-line definitions (clap) and the code that turns raw flags into validated settings,
//! one file per subcommand.

mod bench;
mod compare;
mod devices;
mod life;
mod verify;

use clap::{Parser, Subcommand};

/// How much faster is the GPU than every CPU core, and than one?
#[derive(Debug, Parser)]
#[command(name = "speedup", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the CPU and every GPU adapter, and which one `auto` picks.
    Devices(devices::DevicesArgs),
    /// Run the Game of Life (or any B/S rule) on a pattern or a random soup.
    #[command(subcommand)]
    Life(life::LifeCommand),
    /// Benchmark every workload on every backend: medians, throughput, speedups.
    Bench(bench::BenchArgs),
    /// Check every workload on every backend against its CPU reference.
    Verify(verify::VerifyArgs),
    /// Compare two `bench --format json` reports row by row.
    Compare(compare::CompareArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Devices(args) => devices::run(args),
        Command::Life(cmd) => life::run(cmd),
        Command::Bench(args) => bench::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Compare(args) => compare::run(args),
    }
}

/// Parses "WxH" (or "N" for N×N) into a width and height.
pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let t = text.trim().to_ascii_lowercase();
    let (w, h) = match t.split_once(['x', '×']) {
        Some((w, h)) => (w.trim(), h.trim()),
        None => (t.as_str(), t.as_str()),
    };
    let num = |s: &str| {
        s.parse::<u32>().ok().filter(|&n| n > 0).ok_or_else(|| {
            format!("'{text}' is not a size: expected WxH with whole numbers above 0")
        })
    };
    Ok((num(w)?, num(h)?))
}
