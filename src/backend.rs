//! Which hardware runs a workload: one thread, every core, or a GPU adapter.

use crate::error::{Error, Result};
use crate::gpu::{AdapterChoice, GpuContext};
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
    pub fn resolve(
        choice: &BackendChoice,
        threads: usize,
        adapter: Option<&AdapterChoice>,
        announce: bool,
    ) -> Result<Backend> {
        let threads = if threads == 0 {
            logical_cores()
        } else {
            threads
        };
        match choice {
            BackendChoice::Serial => Ok(Backend::Serial),
            BackendChoice::Rayon => Ok(Backend::Rayon { threads }),
            BackendChoice::Gpu(a) => {
                let a = adapter.unwrap_or(a);
                Ok(Backend::Gpu(GpuContext::open(a)?))
            }
            BackendChoice::Auto => {
                let adapters = crate::gpu::list_adapters();
                let pick = match adapter {
                    Some(a) if *a != AdapterChoice::Auto => Some(GpuContext::open(a)?),
                    _ => match crate::gpu::context::auto_pick(&adapters, true) {
                        Some(i) => Some(GpuContext::open(&AdapterChoice::Index(i))?),
                        None => None,
                    },
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

    /// Short name: serial, rayon or gpu.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Serial => "serial",
            Backend::Rayon { .. } => "rayon",
            Backend::Gpu(_) => "gpu",
        }
    }

    /// The device: CPU model and threads, or the adapter's label.
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
