//! `speedup verify`: every workload on every available backend against its CPU reference, one
//! line per pair; exits non-zero if any check fails. GPU contexts run under the Khronos
//! validation layer where it is installed (`--validation`): a validation error fails the line it
//! happened in, and `--adapters` ends with one line per adapter saying whether every kernel
//! agreed and whether the layer ran clean, which is what a user's new machine needs to know.

use super::select_workloads;
use anyhow::{bail, Context};
use speedup::backend::{Backend, BackendList, WhenNoneNamed};
use speedup::gpu::validation::{self, Availability, Message, Mode, Scope, Severity};
use speedup::gpu::{list_adapters, AdapterChoice, GpuContext};
use speedup::harness::export::units::format_seconds;
use speedup::workloads::Workload;
use std::collections::BTreeMap;
use std::path::PathBuf;
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
    #[arg(long, value_delimiter = ',', conflicts_with = "adapters")]
    pub backends: Vec<String>,
    /// GPU adapters only, each opened and checked in turn, ending with one line per adapter:
    /// whether every kernel agrees with the CPU reference, and whether the validation layer ran
    /// clean. `all`, or indices and names from `speedup devices`, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "all|ADAPTER,...")]
    pub adapters: Vec<String>,
    /// Run Vulkan adapters under the Khronos validation layer, with synchronization validation
    /// and best practices (NVIDIA's included): auto (where the layer is installed), off, layer
    /// (required), gpu-assisted (the layer plus GPU-assisted validation: out-of-bounds accesses
    /// in shaders; several times slower). Validation errors fail the check they happened in.
    #[arg(long, value_enum, default_value_t = ValidationChoice::Auto)]
    pub validation: ValidationChoice,
    /// Append every validation message to FILE (one per line: severity, id, check, text).
    #[arg(long, value_name = "FILE")]
    pub validation_log: Option<PathBuf>,
}

/// `--validation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ValidationChoice {
    /// The layer where it is installed, nothing (said once) where it is not.
    Auto,
    /// No layer.
    Off,
    /// The layer; an error where it is not installed.
    Layer,
    /// The layer with GPU-assisted validation; an error where it is not installed.
    GpuAssisted,
}

/// Runs `speedup verify`.
pub fn run(args: VerifyArgs) -> anyhow::Result<()> {
    // Before any adapter is listed: the layer is chosen when an instance is created.
    let validating = start_validation(&args)?;
    let workloads = select_workloads(&args.workloads)?;
    let mut tally = Tally::default();
    if args.adapters.is_empty() {
        let list =
            BackendList::open(&args.backends, WhenNoneNamed::EveryAdapter).context("--backends")?;
        for (what, why) in &list.skipped {
            println!("SKIP {what}: {why}");
        }
        report_loose("while opening the backends", &mut tally);
        for backend in &list.backends {
            check_backend(backend, &workloads, &mut tally);
        }
    } else {
        let adapters = chosen_adapters(&args.adapters)?;
        let mut lines = Vec::new();
        for index in adapters {
            lines.push(check_adapter(index, &workloads, validating, &mut tally));
        }
        println!();
        for line in lines {
            println!("{line}");
        }
    }
    if let Some(path) = validation::warnings_file() {
        println!("validation messages appended to {}", path.display());
    }
    if tally.failed > 0 {
        bail!("{} of {} checks failed", tally.failed, tally.checks);
    }
    println!("all {} checks passed", tally.checks);
    Ok(())
}

/// Installs the layer as `--validation` asks; whether GPU contexts will run under it.
fn start_validation(args: &VerifyArgs) -> anyhow::Result<bool> {
    let mode = match args.validation {
        ValidationChoice::Off => return Ok(false),
        ValidationChoice::Auto | ValidationChoice::Layer => Mode::Layer,
        ValidationChoice::GpuAssisted => Mode::GpuAssisted,
    };
    match validation::availability() {
        Availability::Missing(why) if args.validation == ValidationChoice::Auto => {
            println!("NOTE validation: not run, {why}");
            Ok(false)
        }
        Availability::Missing(why) => bail!("--validation: {why}"),
        Availability::Installed { .. } => {
            validation::install(mode, args.validation_log.clone())
                .map_err(anyhow::Error::msg)
                .context("--validation")?;
            Ok(true)
        }
    }
}

/// Checks and failures so far.
#[derive(Default)]
struct Tally {
    checks: usize,
    failed: usize,
}

/// The adapter indices `--adapters` names: `all`, or indices and names (`speedup devices`).
fn chosen_adapters(words: &[String]) -> anyhow::Result<Vec<usize>> {
    let listed = list_adapters();
    if listed.is_empty() {
        bail!("--adapters: no GPU adapter found (`speedup devices` says what was tried)");
    }
    let mut out: Vec<usize> = Vec::new();
    for word in words {
        let found: Vec<usize> = if word.trim().eq_ignore_ascii_case("all") {
            listed.iter().map(|a| a.index).collect()
        } else {
            let choice: AdapterChoice = word.parse().context("--adapters")?;
            let hit = listed.iter().find(|a| match &choice {
                AdapterChoice::Index(i) => a.index == *i,
                AdapterChoice::Name(n) => a.name.to_lowercase().contains(&n.to_lowercase()),
                AdapterChoice::Auto => false,
            });
            match hit {
                Some(a) => vec![a.index],
                None => bail!(
                    "--adapters: no adapter '{word}'; adapters: {}",
                    (listed.iter())
                        .map(|a| format!("{}: {} ({})", a.index, a.name, a.backend))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        };
        for i in found {
            if !out.contains(&i) {
                out.push(i);
            }
        }
    }
    Ok(out)
}

/// Opens adapter `index` and checks every workload on it, each in its own validation scope;
/// returns its summary line.
fn check_adapter(
    index: usize,
    workloads: &[Box<dyn Workload>],
    validating: bool,
    tally: &mut Tally,
) -> String {
    let opening = Scope::begin(&format!("opening adapter {index}"));
    let opened = GpuContext::open(&AdapterChoice::Index(index));
    let mut messages = opening.finish();
    let ctx = match opened {
        Ok(ctx) => ctx,
        Err(e) => {
            tally.checks += 1;
            tally.failed += 1;
            println!("FAIL adapter {index}: cannot open it: {e}");
            return format!("adapter {index}: cannot open it: {e}");
        }
    };
    for m in messages.iter().filter(|m| m.severity == Severity::Error) {
        tally.checks += 1;
        tally.failed += 1;
        println!("FAIL opening adapter {index}: {}", m.headline(300));
    }
    let summary = ctx.summary().clone();
    let backend = Backend::Gpu(ctx);
    let pairs = workloads.len();
    let (more, agreeing) = check_backend(&backend, workloads, tally);
    messages.extend(more);
    let validation = if summary.backend != "Vulkan" {
        format!(
            "no Khronos layer for {} (wgpu's own validation only)",
            summary.backend
        )
    } else if !validating {
        "not run (see the NOTE above)".to_string()
    } else {
        describe(&messages)
    };
    format!(
        "adapter {index} {} ({}): {agreeing}/{pairs} kernels agree with the CPU; validation: {validation}",
        summary.name, summary.backend
    )
}

/// "clean", or the errors and warnings by id, with counts.
fn describe(messages: &[Message]) -> String {
    let mut by_id: BTreeMap<(Severity, &str), usize> = BTreeMap::new();
    for m in messages {
        *by_id.entry((m.severity, &m.id)).or_default() += 1;
    }
    let count = |s: Severity| messages.iter().filter(|m| m.severity == s).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let list = by_id
        .iter()
        .map(|((_, id), n)| format!("{id} x{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    match (errors, warnings) {
        (0, 0) => "clean".to_string(),
        (0, w) => format!("clean, {w} warnings ({list}; docs/validation.md explains each)"),
        (e, w) => format!("{e} ERRORS, {w} warnings ({list})"),
    }
}

/// Checks every workload on `backend`, one line each, each in its own validation scope (a
/// validation error fails its line); returns the messages, and how many workloads agreed with
/// their CPU reference.
fn check_backend(
    backend: &Backend,
    workloads: &[Box<dyn Workload>],
    tally: &mut Tally,
) -> (Vec<Message>, usize) {
    let label = backend.label();
    let mut all = Vec::new();
    let mut agreeing = 0;
    for workload in workloads {
        let scope = Scope::begin(&format!("{} {label}", workload.name()));
        let start = Instant::now();
        let outcome = workload.verify(backend);
        let took = format_seconds(start.elapsed().as_secs_f64());
        let messages = scope.finish();
        let errors: Vec<String> = (messages.iter())
            .filter(|m| m.severity == Severity::Error)
            .map(|m| m.headline(300))
            .collect();
        tally.checks += 1;
        agreeing += outcome.as_ref().is_ok_and(|c| c.passed) as usize;
        let name = workload.name();
        match outcome {
            Ok(check) if check.passed && errors.is_empty() => {
                println!("PASS {name} {label}: {} [{took}]", check.detail)
            }
            Ok(check) if check.passed => {
                tally.failed += 1;
                println!(
                    "FAIL {name} {label}: {}; {} [{took}]",
                    check.detail,
                    errors.join("; ")
                );
            }
            Ok(check) => {
                tally.failed += 1;
                println!("FAIL {name} {label}: {} [{took}]", check.detail);
            }
            Err(e) => {
                tally.failed += 1;
                println!("FAIL {name} {label}: error: {e} [{took}]");
            }
        }
        all.extend(messages);
    }
    (all, agreeing)
}

/// Errors the layer reported outside any check (while opening adapters) fail the run too.
fn report_loose(when: &str, tally: &mut Tally) {
    for m in validation::take_unscoped() {
        if m.severity == Severity::Error {
            tally.checks += 1;
            tally.failed += 1;
            println!("FAIL {when}: {}", m.headline(300));
        }
    }
}
