//! The benchmark harness behind `speedup bench`, `speedup compare` and `speedup verify`:
//! measuring (warm-up, adaptive run count), statistics, the machine, the serialisable report and
//! its exporters (JSON, CSV, Markdown, the human table), sweeps with crossovers and a chart, and
//! comparison of two reports. It works only through the [`crate::workloads::Workload`] trait, so
//! every registered workload is benchmarked the same way.

pub mod bench;
pub mod compare;
pub mod csv;
pub mod export;
pub mod json;
pub mod layout;
pub mod machine;
pub mod markdown;
pub mod measure;
pub mod report;
pub mod schema;
pub mod sizing;
pub mod stats;
pub mod sweep;
pub mod system;
pub mod table;
pub mod view;

pub use bench::{Plan, Progress};
pub use machine::MachineInfo;
pub use measure::MeasureConfig;
pub use report::{Report, ResultRow};
