//! Which hardware runs a workload: one thread, every core, or a GPU adapter.
//!
//! The one place where words become backends: one backend (`--backend gpu:1`), a list of them
//! (`--backends serial,rayon,gpu:0` or `all`), Rayon thread counts (`--threads 1,2,4`), and where
//! a backend gets the one label that tables, `verify` lines and test names show.

use crate::error::{Error, Result};
use crate::gpu::{AdapterChoice, AdapterSummary, GpuContext};
use std::sync::Arc;

/// A backend as asked for on the command line, before any adapter is opened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum BackendChoice {
    /// A hardware GPU adapter if there is one, else Rayon.
    #[default]
    Auto,
    /// One thread.
    Serial,
    /// Rayon on every core (or `--threads N`).
    Rayon,
    /// A wgpu adapter (software adapters allowed when asked for explicitly).
    Gpu(AdapterChoice),
}

impl std::str::FromStr for BackendChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        let (name, adapter) = match lower.split_once(':') {
            Some((n, _)) => (n, Some(s.trim().split_once(':').unwrap().1)),
            None => (lower.as_str(), None),
        };
        match (name, adapter) {
            ("auto", None) => Ok(BackendChoice::Auto),
            ("serial", None) => Ok(BackendChoice::Serial),
            ("rayon", None) => Ok(BackendChoice::Rayon),
            ("gpu", None) => Ok(BackendChoice::Gpu(AdapterChoice::Auto)),
            ("gpu", Some(a)) => Ok(BackendChoice::Gpu(a.parse()?)),
            _ => Err(Error::InvalidArgument(format!(
                "unknown backend '{s}': expected auto, serial, rayon, gpu or gpu:ADAPTER"
            ))),
        }
    }
}

impl BackendChoice {
    /// Folds `--adapter A`, the older spelling of `gpu:A`, into the choice. The one rule:
    /// `--adapter A` says `gpu:A`. With `auto` or `gpu` it picks that adapter, with `gpu:A` it
    /// repeats it; next to serial, rayon or another adapter it contradicts `--backend`, and is
    /// refused rather than one of the two silently winning.
    pub fn with_adapter(self, adapter: Option<AdapterChoice>) -> Result<BackendChoice> {
        let Some(adapter) = adapter else {
            return Ok(self);
        };
        match self {
            BackendChoice::Auto | BackendChoice::Gpu(AdapterChoice::Auto) => {
                Ok(BackendChoice::Gpu(adapter))
            }
            BackendChoice::Gpu(same) if same == adapter => Ok(BackendChoice::Gpu(same)),
            other => Err(Error::InvalidArgument(format!(
                "--adapter {adapter} means --backend gpu:{adapter}, which contradicts --backend {}",
                other
            ))),
        }
    }
}

impl std::fmt::Display for BackendChoice {
    /// The word that parses back into this choice: auto, serial, rayon, gpu or gpu:ADAPTER.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackendChoice::Auto => f.write_str("auto"),
            BackendChoice::Serial => f.write_str("serial"),
            BackendChoice::Rayon => f.write_str("rayon"),
            BackendChoice::Gpu(AdapterChoice::Auto) => f.write_str("gpu"),
            BackendChoice::Gpu(adapter) => write!(f, "gpu:{adapter}"),
        }
    }
}

/// A backend ready to run work.
#[derive(Clone, Debug)]
pub enum Backend {
    /// One thread: the baseline every speedup is measured against.
    Serial,
    /// Rayon work-stealing on a pool of `threads` threads.
    Rayon {
        /// Pool size.
        threads: usize,
    },
    /// WGSL compute shaders on a wgpu adapter.
    Gpu(Arc<GpuContext>),
}

impl Backend {
    /// Resolves a choice: opens the adapter for `gpu`, and for `auto` takes a hardware adapter if
    /// there is one, else Rayon, saying which on stderr when `announce` is set. `threads` 0 means
    /// one per logical core.
    pub fn resolve(choice: &BackendChoice, threads: usize, announce: bool) -> Result<Backend> {
        let threads = if threads == 0 {
            logical_cores()
        } else {
            threads
        };
        match choice {
            BackendChoice::Serial => Ok(Backend::Serial),
            BackendChoice::Rayon => Ok(Backend::Rayon { threads }),
            BackendChoice::Gpu(a) => Ok(Backend::Gpu(GpuContext::open(a)?)),
            BackendChoice::Auto => {
                let adapters = crate::gpu::list_adapters();
                let pick = match crate::gpu::context::auto_pick(&adapters, true) {
                    Some(i) => Some(GpuContext::open(&AdapterChoice::Index(i))?),
                    None => None,
                };
                let backend = match pick {
                    Some(ctx) => Backend::Gpu(ctx),
                    None => Backend::Rayon { threads },
                };
                if announce {
                    let why = if matches!(backend, Backend::Rayon { .. }) {
                        if adapters.is_empty() {
                            " (no GPU adapter found)"
                        } else {
                            " (only software GPU adapters found; use --backend gpu to run on one)"
                        }
                    } else {
                        ""
                    };
                    eprintln!("backend auto: using {}{why}", backend.describe());
                }
                Ok(backend)
            }
        }
    }

    /// The kind, as a word: serial, rayon or gpu (the `backend` field of reports; [`label`]
    /// tells two Rayon pools or two adapters apart).
    ///
    /// [`label`]: Backend::label
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Serial => "serial",
            Backend::Rayon { .. } => "rayon",
            Backend::Gpu(_) => "gpu",
        }
    }

    /// The one label people read: "serial", "rayon (2 threads)", "gpu (NVIDIA H100 80GB HBM3)",
    /// "gpu (software: llvmpipe, Vulkan)": report tables, `verify` lines, test names and test
    /// messages all show this.
    pub fn label(&self) -> String {
        let threads = match self {
            Backend::Rayon { threads } => Some(*threads),
            _ => None,
        };
        label(self.name(), threads, self.gpu().map(|ctx| ctx.summary()))
    }

    /// The device in full, for the `device` field of `life run --json` and the line saying what
    /// `auto` picked: the CPU model and threads, or the adapter's name, API and type.
    pub fn describe(&self) -> String {
        match self {
            Backend::Serial => format!("serial on {} (1 thread)", crate::host::cpu_model()),
            Backend::Rayon { threads } => {
                format!("rayon on {} ({threads} threads)", crate::host::cpu_model())
            }
            Backend::Gpu(ctx) => format!("gpu on {}", ctx.summary().label()),
        }
    }

    /// The GPU context, for GPU backends.
    pub fn gpu(&self) -> Option<&Arc<GpuContext>> {
        match self {
            Backend::Gpu(ctx) => Some(ctx),
            _ => None,
        }
    }
}

/// A backend's label from its parts: its kind (serial, rayon, gpu), Rayon threads, and adapter.
/// [`Backend::label`] for an open backend; this form also labels what is not open: a report row
/// read back from JSON, or an adapter that is listed but not yet opened. Software adapters say
/// so ("gpu (software: llvmpipe, Vulkan)"), so nobody takes their timings for a GPU's.
pub fn label(kind: &str, threads: Option<usize>, adapter: Option<&AdapterSummary>) -> String {
    match (kind, threads, adapter) {
        ("rayon", Some(1), _) => "rayon (1 thread)".to_string(),
        ("rayon", Some(t), _) => format!("rayon ({t} threads)"),
        ("gpu", _, Some(a)) if a.software => {
            // "llvmpipe (LLVM 15.0.6, 256 bits)" -> "llvmpipe", "SwiftShader Device (Subzero)"
            // -> "SwiftShader": the details are in the header.
            let short = a.name.split(" (").next().unwrap_or(&a.name);
            let short = short.strip_suffix(" Device").unwrap_or(short);
            format!("gpu (software: {short}, {})", a.backend)
        }
        ("gpu", _, Some(a)) => format!("gpu ({})", a.name),
        (other, _, _) => other.to_string(),
    }
}

/// The backends a command runs on when its `--backends` list is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenNoneNamed {
    /// Serial, Rayon on every core, and the adapter `gpu` picks (`bench`: one GPU row per
    /// workload, against which the CPU rows are compared).
    BestAdapter,
    /// Serial, Rayon on every core, and every adapter (`verify`: check each one; the same as the
    /// word `all`).
    EveryAdapter,
}

/// Backends opened from a list, and what was left out of it and why.
#[derive(Debug, Default)]
pub struct BackendList {
    /// The backends, in the order named, each once.
    pub backends: Vec<Backend>,
    /// What could not be opened where the list left it optional (the default GPU, `all`'s
    /// adapters), as (what, why): ("gpu adapter 1", "cannot open it: ..."). A GPU named on its
    /// own is not optional: failing to open it is an error.
    pub skipped: Vec<(String, String)>,
}

/// One word of a backend list, parsed before any adapter is opened.
enum ListWord {
    Serial,
    Rayon,
    Gpu(AdapterChoice),
    All,
}

impl BackendList {
    /// Opens the backends of a list such as `--backends` takes: serial, rayon (on every core),
    /// gpu, gpu:ADAPTER (an index or name) and all (serial, rayon and every adapter). Every word
    /// is parsed before anything is opened, so a typo at the end fails at once; repeats are
    /// dropped. `auto` is refused: a list names what to compare. An empty list means `none`.
    pub fn open(words: &[String], none: WhenNoneNamed) -> Result<BackendList> {
        let parsed = words
            .iter()
            .map(|word| match word.trim() {
                w if w.eq_ignore_ascii_case("all") => Ok(ListWord::All),
                w => match w.parse()? {
                    BackendChoice::Serial => Ok(ListWord::Serial),
                    BackendChoice::Rayon => Ok(ListWord::Rayon),
                    BackendChoice::Gpu(adapter) => Ok(ListWord::Gpu(adapter)),
                    BackendChoice::Auto => Err(Error::InvalidArgument(
                        "a list of backends takes serial, rayon, gpu, gpu:ADAPTER or all, not auto"
                            .to_string(),
                    )),
                },
            })
            .collect::<Result<Vec<_>>>()?;
        let mut list = BackendList::default();
        let rayon = || Backend::Rayon {
            threads: logical_cores(),
        };
        if parsed.is_empty() {
            list.push(Backend::Serial);
            list.push(rayon());
            match none {
                WhenNoneNamed::BestAdapter => match GpuContext::open(&AdapterChoice::Auto) {
                    Ok(ctx) => list.push(Backend::Gpu(ctx)),
                    Err(e) => list.skipped.push(("gpu".to_string(), e.to_string())),
                },
                WhenNoneNamed::EveryAdapter => list.push_every_adapter(),
            }
            return Ok(list);
        }
        for (word, parsed) in words.iter().zip(parsed) {
            match parsed {
                ListWord::All => {
                    list.push(Backend::Serial);
                    list.push(rayon());
                    list.push_every_adapter();
                }
                ListWord::Serial => list.push(Backend::Serial),
                ListWord::Rayon => list.push(rayon()),
                ListWord::Gpu(adapter) => {
                    let ctx = GpuContext::open(&adapter)
                        .map_err(|e| Error::NoAdapter(format!("{}: {e}", word.trim())))?;
                    list.push(Backend::Gpu(ctx));
                }
            }
        }
        Ok(list)
    }

    /// Every adapter that opens; one that does not is noted in `skipped`.
    fn push_every_adapter(&mut self) {
        let adapters = GpuContext::open_all();
        if adapters.is_empty() {
            self.skipped
                .push(("gpu".to_string(), "no GPU adapter found".to_string()));
        }
        for (i, ctx) in adapters.into_iter().enumerate() {
            match ctx {
                Ok(ctx) => self.push(Backend::Gpu(ctx)),
                Err(e) => self
                    .skipped
                    .push((format!("gpu adapter {i}"), format!("cannot open it: {e}"))),
            }
        }
    }

    /// Adds a backend unless the list has it: the same kind, and for GPUs the same adapter.
    fn push(&mut self, backend: Backend) {
        let duplicate = self.backends.iter().any(|b| match (b, &backend) {
            (Backend::Gpu(x), Backend::Gpu(y)) => x.summary().index == y.summary().index,
            (x, y) => x.name() == y.name(),
        });
        if !duplicate {
            self.backends.push(backend);
        }
    }

    /// Replaces the Rayon backend with one per thread count (`--threads 2,4`), 1 always included
    /// so every count has the single-thread baseline strong scaling is measured against; adds
    /// Rayon after serial (the baseline stays on top) if the list has none.
    pub fn with_thread_counts(self, threads: &[usize]) -> Result<BackendList> {
        if threads.contains(&0) {
            return Err(Error::InvalidArgument(
                "--threads: thread counts must be at least 1".to_string(),
            ));
        }
        let mut counts: Vec<usize> = threads.to_vec();
        counts.push(1);
        counts.sort_unstable();
        counts.dedup();
        let rayon: Vec<Backend> = counts
            .into_iter()
            .map(|threads| Backend::Rayon { threads })
            .collect();
        let mut out = Vec::new();
        let mut placed = false;
        for b in self.backends {
            if matches!(b, Backend::Rayon { .. }) {
                if !placed {
                    out.extend(rayon.iter().cloned());
                    placed = true;
                }
            } else {
                out.push(b);
            }
        }
        if !placed {
            let at = out
                .iter()
                .position(|b| matches!(b, Backend::Serial))
                .map_or(0, |i| i + 1);
            out.splice(at..at, rayon);
        }
        Ok(BackendList {
            backends: out,
            skipped: self.skipped,
        })
    }
}

/// A Rayon pool of `threads` threads (0: one per logical core). Engines build theirs once, when
/// they are set up, so timed runs never pay for starting threads.
pub fn rayon_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::InvalidArgument(format!("cannot start a Rayon pool: {e}")))
}

/// Logical cores Rayon would use by default.
pub fn logical_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &str) -> Vec<String> {
        list.split(',').map(str::to_string).collect()
    }

    #[test]
    fn adapter_flag_is_the_gpu_word_spelled_apart() {
        let gpu = |a: &str| BackendChoice::Gpu(a.parse().unwrap());
        for adapter in ["1", "llvmpipe"] {
            let spelled: BackendChoice = format!("gpu:{adapter}").parse().unwrap();
            assert_eq!(spelled, gpu(adapter));
            assert_eq!(
                spelled.to_string().parse::<BackendChoice>().unwrap(),
                spelled
            );
            for backend in [BackendChoice::Auto, BackendChoice::Gpu(AdapterChoice::Auto)] {
                let flag = backend.with_adapter(Some(adapter.parse().unwrap()));
                assert_eq!(flag.unwrap(), spelled, "--adapter {adapter}");
            }
            let same = spelled.clone().with_adapter(Some(adapter.parse().unwrap()));
            assert_eq!(same.unwrap(), spelled);
        }
        assert_eq!(
            BackendChoice::Serial.with_adapter(None).unwrap(),
            BackendChoice::Serial
        );
        for contradiction in [BackendChoice::Serial, BackendChoice::Rayon, gpu("0")] {
            let e = contradiction.with_adapter(Some(AdapterChoice::Index(1)));
            assert!(e.unwrap_err().to_string().contains("contradicts"));
        }
    }

    #[test]
    fn list_words_are_all_checked_before_any_adapter_opens() {
        // A GPU word first, a bad word last: the bad word is the error, with no adapter opened
        // (none may exist here).
        for (list, said) in [
            ("gpu:7,cuda", "unknown backend 'cuda'"),
            ("gpu,auto", "not auto"),
        ] {
            let e = BackendList::open(&words(list), WhenNoneNamed::BestAdapter).unwrap_err();
            assert!(e.to_string().contains(said), "{list}: {e}");
        }
    }

    #[test]
    fn lists_keep_their_order_once_each_and_expand_thread_counts() {
        let labels = |list: &BackendList| -> Vec<String> {
            list.backends.iter().map(Backend::label).collect()
        };
        let list = BackendList::open(&words("rayon,serial,rayon"), WhenNoneNamed::BestAdapter);
        let list = list.unwrap();
        let cores = logical_cores();
        let rayon = label("rayon", Some(cores), None);
        assert_eq!(labels(&list), [rayon.as_str(), "serial"]);
        let scaled = list.with_thread_counts(&[4, 2]).unwrap();
        assert_eq!(
            labels(&scaled),
            [
                "rayon (1 thread)",
                "rayon (2 threads)",
                "rayon (4 threads)",
                "serial"
            ]
        );
        let serial = BackendList::open(&words("serial"), WhenNoneNamed::BestAdapter).unwrap();
        assert_eq!(
            labels(&serial.with_thread_counts(&[3]).unwrap()),
            ["serial", "rayon (1 thread)", "rayon (3 threads)"]
        );
        let serial = BackendList::open(&words("serial"), WhenNoneNamed::BestAdapter).unwrap();
        assert!(serial.with_thread_counts(&[0]).is_err());
    }
}
