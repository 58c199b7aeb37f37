//! `speedup verify`: every workload on every available backend against its CPU reference, one
//! line per pair; exits non-zero if any check fails.

use super::bench::{resolve_backends, select_workloads};
use anyhow::bail;
use speedup::backend::{logical_cores, Backend};
use speedup::gpu::GpuContext;
use speedup::harness::export::units::format_seconds;
use speedup::harness::report::label_of;
use std::time::Instant;

/// Arguments of `speedup verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Workloads, comma-separated (default: every registered workload).
    #[arg(long, value_delimiter = ',')]
    pub workloads: Vec<String>,
    /// Backends, comma-separated: serial, rayon, gpu, gpu:ADAPTER. Default: serial, rayon and
    /// every GPU adapter found (software ones included: they run the same shaders).
    #[arg(long, value_delimiter = ',')]
    pub backends: Vec<String>,
}

/// Serial, Rayon on every core, and every adapter that opens (a SKIP line for one that does not).
fn every_backend() -> Vec<Backend> {
    let mut backends = vec![
        Backend::Serial,
        Backend::Rayon {
            threads: logical_cores(),
        },
    ];
    let adapters = GpuContext::open_all();
    if adapters.is_empty() {
        println!("SKIP gpu: no GPU adapter found");
    }
    for (i, ctx) in adapters.into_iter().enumerate() {
        match ctx {
            Ok(ctx) => backends.push(Backend::Gpu(ctx)),
            Err(e) => println!("SKIP gpu adapter {i}: cannot open it: {e}"),
        }
    }
    backends
}

/// Runs `speedup verify`.
pub fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let workloads = select_workloads(&args.workloads)?;
    let backends = if args.backends.is_empty() {
        every_backend()
    } else {
        resolve_backends(&args.backends, &mut Vec::new())?
    };
    let (mut checks, mut failed) = (0, 0);
    for workload in &workloads {
        for backend in &backends {
            let label = label_of(backend);
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
