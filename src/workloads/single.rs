//! One workload, once: what `speedup run WORKLOAD` does, for every workload that takes part
//! ([`Workload::single_run`]).
//!
//! A workload says which options it takes besides its size ([`RunOption`]: `--max-iter`,
//! `--racy`, ...) and runs itself from them, returning the lines of its summary ([`RunReport`]).
//! The command line builds its flags from these declarations, so a new workload needs no edit in
//! the CLI; [`run_once`] refuses an option that belongs to another workload, naming the
//! workloads it belongs to, so a misplaced flag is not silently ignored.

use super::{RunTiming, Workload};
use crate::backend::Backend;
use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// How `speedup run` runs a workload once.
#[derive(Clone, Copy)]
pub struct SingleRun {
    /// The size notation, for the help, e.g. `WxH[:MAX_ITER]`.
    pub notation: &'static str,
    /// The size when none is given, in that notation.
    pub default_size: &'static str,
    /// The options the workload takes besides its size.
    pub options: &'static [RunOption],
    /// Runs the workload once at a size (in its notation) with the options given, on a backend.
    pub run: fn(size: &str, options: &RunOptions, backend: &Backend) -> Result<RunReport>,
}

/// One option of a workload's single run, spelled `--NAME` on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunOption {
    /// The flag without its dashes, e.g. `max-iter`.
    pub name: &'static str,
    /// A one-letter spelling, e.g. `o` for `-o`.
    pub short: Option<char>,
    /// What value it takes.
    pub kind: OptionKind,
    /// One line of help, e.g. "iteration limit (default 1000)".
    pub help: &'static str,
}

impl RunOption {
    /// Option `--name` taking a `kind` of value.
    pub const fn new(name: &'static str, kind: OptionKind, help: &'static str) -> RunOption {
        RunOption {
            name,
            short: None,
            kind,
            help,
        }
    }

    /// The same option, also spelled `-letter`.
    pub const fn short(self, letter: char) -> RunOption {
        RunOption {
            short: Some(letter),
            ..self
        }
    }
}

/// The value an option takes; the command line checks it before the workload sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    /// None: the option is on or off.
    Switch,
    /// A whole number that fits in 32 bits.
    U32,
    /// A whole number that fits in 64 bits.
    U64,
    /// A number (f32).
    F32,
    /// Text.
    Text,
    /// Numbers separated by commas, the first of which may be negative.
    Numbers,
    /// A file to write.
    Path,
}

/// The options given to one single run, by name (without dashes); a switch has no value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    given: Vec<(String, Option<String>)>,
}

impl RunOptions {
    /// Adds option `name` (without dashes) with its value, `None` for a switch.
    pub fn with(mut self, name: &str, value: Option<&str>) -> RunOptions {
        self.given
            .push((name.to_string(), value.map(str::to_string)));
        self
    }

    /// The names of the options given, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.given.iter().map(|(name, _)| name.as_str())
    }

    /// Whether option `name` was given.
    pub fn has(&self, name: &str) -> bool {
        self.given.iter().any(|(n, _)| n == name)
    }

    /// The text given for option `name`, if it was.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.given
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, value)| value.as_deref())
    }

    /// The value of option `name` as a `T`, if it was given; an error names the option.
    pub fn value<T: FromStr>(&self, name: &str) -> Result<Option<T>> {
        self.text(name)
            .map(|text| {
                text.trim().parse().map_err(|_| {
                    Error::InvalidArgument(format!("--{name}: '{text}' is not a valid value"))
                })
            })
            .transpose()
    }
}

/// The summary of a single run: lines of `label: value`, in the order they are printed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunReport {
    /// The lines.
    pub lines: Vec<Line>,
    /// Set when the run's result is wrong (e.g. differs from the reference): the command prints
    /// the lines, then fails with this.
    pub failure: Option<String>,
}

/// One line of a [`RunReport`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// What the value is, e.g. "elapsed".
    pub label: String,
    /// The value in words and numbers, e.g. "0.012345 s".
    pub value: String,
    /// Whether it details the line above it (printed indented).
    pub detail: bool,
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The values line up in one column: at 14 characters, or 15 for indented details.
        let label = format!("{}:", self.label);
        if self.detail {
            write!(f, "  {label:<13}{}", self.value)
        } else {
            write!(f, "{label:<14}{}", self.value)
        }
    }
}

impl RunReport {
    /// Adds a line.
    pub fn line(&mut self, label: &str, value: impl fmt::Display) {
        self.push(label, value, false);
    }

    /// Adds an indented line detailing the one above.
    pub fn detail(&mut self, label: &str, value: impl fmt::Display) {
        self.push(label, value, true);
    }

    fn push(&mut self, label: &str, value: impl fmt::Display, detail: bool) {
        self.lines.push(Line {
            label: label.to_string(),
            value: value.to_string(),
            detail,
        });
    }

    /// Adds the timing lines: wall time, the run's three stages (inputs, kernel, results: see
    /// [`super::timing`]), and throughput in `unit` per second, end to end, kernel only and on
    /// the device.
    pub fn timing(&mut self, elapsed: f64, timing: &RunTiming, work: f64, unit: &str) {
        self.line("elapsed", format!("{elapsed:.6} s"));
        for (name, value) in [
            ("inputs", Some(timing.inputs_seconds())),
            ("kernel", Some(timing.kernel_seconds())),
            ("results", Some(timing.results_seconds())),
            ("device time", timing.device_seconds()),
        ] {
            if let Some(v) = value {
                self.detail(name, format!("{v:.6} s"));
            }
        }
        self.line(
            "throughput",
            format!("{:.4e} {unit}/s", work / elapsed.max(1e-12)),
        );
        self.detail(
            "kernel only",
            format!("{:.4e} {unit}/s", work / timing.kernel_seconds().max(1e-12)),
        );
        if let Some(d) = timing.device_seconds().filter(|d| *d > 0.0) {
            self.detail("on device", format!("{:.4e} {unit}/s", work / d));
        }
    }
}

impl SingleRun {
    /// Runs the workload once at `size` (its default when `None`) with `options` (already
    /// checked by [`check_options`]) on `backend`.
    pub fn run_at(
        &self,
        size: Option<&str>,
        options: &RunOptions,
        backend: &Backend,
    ) -> Result<RunReport> {
        (self.run)(size.unwrap_or(self.default_size), options, backend)
    }
}

/// Runs `workload` once at `size` (its default when `None`) with `options` on `backend`, after
/// [`check_options`].
pub fn run_once(
    workload: &dyn Workload,
    size: Option<&str>,
    options: &RunOptions,
    backend: &Backend,
) -> Result<RunReport> {
    check_options(workload, options)?.run_at(size, options, backend)
}

/// Checks that `workload` has a single run and takes every option in `options`, returning its
/// [`SingleRun`]. An option that another workload takes is named with the workloads it applies
/// to, so a flag given to the wrong workload is an error, not silently ignored.
pub fn check_options(workload: &dyn Workload, options: &RunOptions) -> Result<SingleRun> {
    let name = workload.name();
    let single = workload.single_run().ok_or_else(|| {
        Error::InvalidArgument(format!(
            "workload '{name}' has no single run (Life runs with `speedup life run`)"
        ))
    })?;
    for given in options.names() {
        if !single.options.iter().any(|o| o.name == given) {
            let mut takers: Vec<&str> = super::all()
                .iter()
                .filter(|w| {
                    w.single_run()
                        .is_some_and(|s| s.options.iter().any(|o| o.name == given))
                })
                .map(|w| w.name())
                .collect();
            takers.sort_unstable();
            return Err(Error::InvalidArgument(if takers.is_empty() {
                format!("--{given} is not an option of {name}")
            } else {
                format!(
                    "--{given} applies to {} only, not {name}",
                    takers.join(" and ")
                )
            }));
        }
    }
    Ok(single)
}

/// Prefixes an error about one option with the flag that gave it, e.g. `--size: ...`, keeping
/// its kind.
pub(crate) fn about(flag: &'static str) -> impl Fn(Error) -> Error {
    move |e| match e {
        Error::InvalidSize(m) => Error::InvalidSize(format!("{flag}: {m}")),
        Error::InvalidArgument(m) => Error::InvalidArgument(format!("{flag}: {m}")),
        other => Error::InvalidArgument(format!("{flag}: {other}")),
    }
}

/// Parses a size `N` or `N:K` (N a count, `2^K` allowed) where option `flag` can also give K:
/// the option wins over the size's suffix, and `default` applies when neither gives it. Errors
/// start with `--size:`.
pub(crate) fn count_and_suffix<T: FromStr>(
    size: &str,
    count_what: &str,
    flag: Option<T>,
    suffix_what: &str,
    default: T,
) -> Result<(u64, T)> {
    let (n, suffix) = match size.split_once(':') {
        Some((n, k)) => (n, Some(k)),
        None => (size, None),
    };
    let count = super::parse_count(n, count_what).map_err(about("--size"))?;
    let suffix = suffix
        .map(|p| {
            p.trim().parse().map_err(|_| {
                Error::InvalidArgument(format!("--size: '{p}' is not a valid {suffix_what}"))
            })
        })
        .transpose()?;
    Ok((count, flag.or(suffix).unwrap_or(default)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_share_one_value_column() {
        let mut report = RunReport::default();
        report.line("workload", "stream");
        report.detail("on device", "1 GB/s");
        let text: Vec<String> = report.lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, ["workload:     stream", "  on device:   1 GB/s"]);
    }

    #[test]
    fn a_misplaced_option_names_the_workloads_it_applies_to() {
        let stream = super::super::by_name("stream").unwrap();
        let err = |options: RunOptions| {
            run_once(stream.as_ref(), Some("8"), &options, &Backend::Serial)
                .unwrap_err()
                .to_string()
        };
        let seed = RunOptions::default().with("seed", Some("1"));
        assert_eq!(
            err(seed),
            "--seed applies to montecarlo and nbody only, not stream"
        );
        let typo = RunOptions::default().with("repz", Some("1"));
        assert_eq!(err(typo), "--repz is not an option of stream");
        let life = super::super::by_name("life").unwrap();
        let none = run_once(
            life.as_ref(),
            None,
            &RunOptions::default(),
            &Backend::Serial,
        );
        assert!(none.unwrap_err().to_string().contains("speedup life run"));
    }

    #[test]
    fn the_suffix_option_wins_over_the_size() {
        let parse = |size, flag| count_and_suffix::<u32>(size, "count", flag, "step count", 4);
        assert_eq!(parse("2^10:7", None).unwrap(), (1024, 7));
        assert_eq!(parse("2^10:7", Some(9)).unwrap(), (1024, 9));
        assert_eq!(parse("100", None).unwrap(), (100, 4));
        let err = parse("100:x", None).unwrap_err().to_string();
        assert_eq!(err, "--size: 'x' is not a valid step count");
        assert!(parse("lots", None)
            .unwrap_err()
            .to_string()
            .starts_with("--size: count 'lots'"));
    }
}
