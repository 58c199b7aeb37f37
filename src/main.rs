//! The `speedup` command: a thin layer over the library. Parses the command line, runs the
//! subcommand, prints errors as one line and sets the exit code.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(err) = cli::run(args) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
