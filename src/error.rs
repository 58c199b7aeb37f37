//! The library's one error type. Every message reads as one line naming what went wrong and where.

use std::path::PathBuf;

/// Errors from the speedup library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A pattern or report file is malformed at a known position.
    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        /// The file (or `<input>` for text not read from a file).
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was expected and what was found.
        message: String,
    },
    /// A rule string that cannot be parsed or is not supported.
    #[error("rule {0}")]
    InvalidRule(String),
    /// A grid or problem size that is empty, absurd or beyond a limit.
    #[error("{0}")]
    InvalidSize(String),
    /// A bad argument or parameter.
    #[error("{0}")]
    InvalidArgument(String),
    /// A size beyond a GPU limit.
    #[error("{what} needs {value} bytes but the adapter's {limit_name} is {limit} bytes")]
    GpuLimit {
        /// What was being allocated or dispatched.
        what: String,
        /// The size needed.
        value: u64,
        /// The wgpu limit that it exceeds.
        limit_name: &'static str,
        /// The adapter's value of that limit.
        limit: u64,
    },
    /// No GPU adapter could be found or opened.
    #[error("{0}")]
    NoAdapter(String),
    /// A GPU error during a run: validation, out of memory, device lost, timeout.
    #[error("GPU error on {adapter}: {message}")]
    Gpu {
        /// The adapter's name.
        adapter: String,
        /// What wgpu reported.
        message: String,
    },
    /// Reading or writing a file failed.
    // The OS error is part of the message and deliberately not the error's `source()` (a field
    // named `source` would be): a chain printer such as anyhow's `{:#}` would print it twice.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// The run was interrupted (Ctrl-C).
    #[error("interrupted")]
    Interrupted,
    /// A distributed run could not be set up or carried on (MPI).
    #[error("MPI: {0}")]
    Mpi(String),
    /// A run's data moved outside its clock (an upload before its input stage, a readback after
    /// its result stage) or not at all: its times would not cover what its row claims.
    #[error("timing boundary: {0}")]
    OutsideClock(String),
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error: source,
        }
    }
}
