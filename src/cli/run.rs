//! `speedup run WORKLOAD`: one workload of the suite, once, on one backend, with a summary of
//! what it computed, how long it took and its throughput in the workload's unit.
//!
//! The workloads and their options come from the workload list ([`workloads::all`] and each
//! one's [`Workload::single_run`]): this file builds the flags from them and prints what the
//! run reports, so a new workload needs no edit here.

use super::BackendArgs;
use anyhow::bail;
use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Arg, ArgAction, ArgMatches};
use speedup::workloads::single::{self, OptionKind, RunOption, RunOptions};
use speedup::workloads::{self, Workload};

/// Arguments of `speedup run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Which workload (Life has its own command, `speedup life run`).
    #[arg(value_parser = workload_names())]
    pub workload: String,
    #[arg(short, long, help = size_help())]
    pub size: Option<String>,
    /// Which backend runs it.
    #[command(flatten)]
    pub backend: BackendArgs,
    /// The workloads' own options (`--max-iter`, `--racy`, ...).
    #[command(flatten)]
    pub options: WorkloadOptions,
}

/// Every workload `speedup run` can run, with its description, for clap.
fn workload_names() -> PossibleValuesParser {
    PossibleValuesParser::new(
        runnable()
            .map(|(w, _)| PossibleValue::new(w.name()).help(w.description()))
            .collect::<Vec<_>>(),
    )
}

/// Every workload with a single run, in registry order.
fn runnable() -> impl Iterator<Item = (Box<dyn Workload>, single::SingleRun)> {
    workloads::all()
        .into_iter()
        .filter_map(|w| w.single_run().map(|s| (w, s)))
}

/// The help of `--size`: each workload's notation and default size.
fn size_help() -> String {
    let each: Vec<String> = runnable()
        .map(|(w, s)| format!("{} {} ({})", w.name(), s.notation, s.default_size))
        .collect();
    format!(
        "Size in the workload's notation (default in brackets): {}. Counts may be written 2^K",
        each.join(", ")
    )
}

/// Each option any workload declares, once (options of the same name, such as `--seed`, are
/// one flag), with the workloads it applies to.
fn declared_options() -> Vec<(RunOption, Vec<&'static str>, Vec<&'static str>)> {
    let mut options: Vec<(RunOption, Vec<&'static str>, Vec<&'static str>)> = Vec::new();
    for (w, s) in runnable() {
        for option in s.options {
            match options.iter_mut().find(|(o, _, _)| o.name == option.name) {
                Some((_, names, helps)) => {
                    names.push(w.name());
                    helps.push(option.help);
                }
                None => options.push((*option, vec![w.name()], vec![option.help])),
            }
        }
    }
    options
}

/// The workloads' options as flags: built from their declarations, handed back as a
/// [`RunOptions`] of the flags given.
#[derive(Debug)]
pub struct WorkloadOptions(RunOptions);

impl clap::Args for WorkloadOptions {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        let mut cmd = cmd.next_help_heading("Options of the workloads");
        for (option, names, helps) in declared_options() {
            let help = names
                .iter()
                .zip(&helps)
                .map(|(name, help)| format!("{name}: {help}"))
                .collect::<Vec<_>>()
                .join("; ");
            let mut arg = Arg::new(option.name)
                .long(option.name)
                .help(format!("{help}."));
            if option.kind != OptionKind::Switch {
                // As clap's derive names values: `--max-iter <MAX_ITER>`.
                arg = arg.value_name(option.name.to_uppercase().replace('-', "_"));
            }
            if let Some(letter) = option.short {
                arg = arg.short(letter);
            }
            let arg = match option.kind {
                OptionKind::Switch => arg.action(ArgAction::SetTrue),
                OptionKind::U32 => arg.value_parser(clap::value_parser!(u32)),
                OptionKind::U64 => arg.value_parser(clap::value_parser!(u64)),
                OptionKind::F32 => arg.value_parser(clap::value_parser!(f32)),
                OptionKind::Text => arg,
                OptionKind::Numbers => arg.allow_hyphen_values(true),
                OptionKind::Path => arg.value_parser(clap::value_parser!(std::path::PathBuf)),
            };
            cmd = cmd.arg(arg);
        }
        cmd.next_help_heading(None::<&str>)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl clap::FromArgMatches for WorkloadOptions {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut given = RunOptions::default();
        for (option, _, _) in declared_options() {
            if option.kind == OptionKind::Switch {
                if matches.get_flag(option.name) {
                    given = given.with(option.name, None);
                }
            } else if let Some(mut raw) = matches.get_raw(option.name) {
                let value = raw.next().map(|v| v.to_string_lossy());
                given = given.with(option.name, value.as_deref());
            }
        }
        Ok(WorkloadOptions(given))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

/// Runs `speedup run`.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let workload = workloads::by_name(&args.workload)?;
    // A flag of another workload fails before the backend opens (and before any output).
    let options = &args.options.0;
    let single = single::check_options(workload.as_ref(), options)?;
    // Files it will write are checked (their folders made) before it runs.
    for (option, _, _) in declared_options() {
        if option.kind == OptionKind::Path {
            if let Some(path) = options.text(option.name) {
                speedup::output::prepare(std::path::Path::new(path))?;
            }
        }
    }
    let backend = args.backend.resolve(true)?;
    println!("workload:     {}", workload.name());
    println!("backend:      {}", backend.describe());
    let report = single.run_at(args.size.as_deref(), options, &backend)?;
    for line in &report.lines {
        println!("{line}");
    }
    if let Some(failure) = report.failure {
        bail!("{failure}");
    }
    Ok(())
}
