//! `speedup verify`: every workload on every available backend against its CPU reference, one
//! line per pair; exits non-zero if any check fails.

use super::select_workloads;
use anyhow::{bail, Context};
use speedup::backend::{BackendList, WhenNoneNamed};
use speedup::harness::export::units::format_seconds;
use std::time::Instant;

/// Arguments of `speedup verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Workloads, comma-separated (default: every registered workload).
    #[arg(long, value_delimiter = ',')]
    pub workloads: Vec<String>,
    /// Backends, comma-separated: serial, rayon, gpu, gpu:ADAPTER, all. Default (and all):
    /// serial, rayon and every GPU adapter found (software ones included: they run the same
    /// shaders).
    #[arg(long, value_delimiter = ',')]
    pub backends: Vec<String>,
}

/// Runs `speedup verify`.
pub fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let workloads = select_workloads(&args.workloads)?;
    let list =
        BackendList::open(&args.backends, WhenNoneNamed::EveryAdapter).context("--backends")?;
    for (what, why) in &list.skipped {
        println!("SKIP {what}: {why}");
    }
    let backends = list.backends;
    let (mut checks, mut failed) = (0, 0);
    for workload in &workloads {
        for backend in &backends {
            let label = backend.label();
            let start = Instant::now();
            let outcome = workload.verify(backend);
            let took = format_seconds(start.elapsed().as_secs_f64());
            checks += 1;
            match outcome {
                Ok(check) if check.passed => {
                    println!(
                        "PASS {} {label}: {} [{took}]",
                        workload.name(),
                        check.detail
                    )
                }
                Ok(check) => {
                    failed += 1;
                    println!(
                        "FAIL {} {label}: {} [{took}]",
                        workload.name(),
                        check.detail
                    );
                }
                Err(e) => {
                    failed += 1;
                    println!("FAIL {} {label}: error: {e} [{took}]", workload.name());
                }
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {checks} checks failed");
    }
    println!("all {checks} checks passed");
    Ok(())
}
