//! Command-line definitions (clap) and the code that turns raw flags into validated settings,
//! one file per subcommand.

mod devices;
mod life;

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
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Devices(args) => devices::run(args),
        Command::Life(cmd) => life::run(cmd),
    }
}

/// Parses "WxH" (or "N" for N×N) into a width and height, for clap.
pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    speedup::life::batch::parse_size(text).map_err(|e| e.to_string())
}
