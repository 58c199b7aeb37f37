//! The benchmark harness behind `speedup bench`, `speedup compare` and `speedup verify`:
//! measuring (warm-up, adaptive run count), statistics, the machine, the serialisable report,
//! sweeps with their crossovers, and comparison of two reports; [`export`] owns every output
//! format (JSON, CSV, Markdown, the human table, the sweep chart, HTML) and the formatting of
//! numbers with units. It works only through the [`crate::workloads::Workload`] trait, so
//! every registered workload is benchmarked the same way.

pub mod bench;
pub mod compare;
pub mod export;
pub mod machine;
pub mod measure;
pub mod report;
pub mod roofline;
pub mod scaling;
pub mod schema;
pub mod sizing;
pub mod stats;
pub mod sweep;
pub mod system;

pub use bench::{Plan, Progress};
pub use machine::MachineInfo;
pub use measure::MeasureConfig;
pub use report::{Report, ResultRow};
