//! Command-line definitions (clap) and the code that turns raw flags into validated settings,
//! one file per subcommand.

mod devices;
mod life;
mod run;

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
    /// Run one workload of the suite (mandelbrot, nbody, sha256, montecarlo, stream) once.
    Run(run::RunArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Devices(args) => devices::run(args),
        Command::Life(cmd) => life::run(cmd),
        Command::Run(args) => run::run(args),
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
