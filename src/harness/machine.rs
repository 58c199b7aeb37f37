//! The machine a report was measured on. Every report starts with it: a number without its
//! machine is not a result.

use crate::gpu::{AdapterSummary, GpuContext};
use serde::{Deserialize, Serialize};

/// The wgpu version this crate is built against.
///
/// A dependency's version is not visible to `env!`, and a build script that parses Cargo.lock
/// would break wherever the crate is built without its own lock file (as a dependency) and adds a
/// build step to every compile. So the version is kept here, next to the `~30.0.1` pin in
/// Cargo.toml, and `tests/harness.rs` fails the moment Cargo.lock resolves wgpu to anything else.
pub const WGPU_VERSION: &str = "30.0.1";

/// A GPU adapter used in a report: what `speedup devices` says about it, and whether it can
/// time on the device. In JSON the summary's fields sit beside `timestamp_queries`, flat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdapterInfo {
    /// Index, name, backend, device type, driver, and whether it is a software adapter (whose
    /// rows are CPU timings, not GPU figures).
    #[serde(flatten)]
    pub summary: AdapterSummary,
    /// Whether device time from timestamp queries is available.
    pub timestamp_queries: bool,
}

impl AdapterInfo {
    /// What a report records about an open adapter.
    pub fn of(ctx: &GpuContext) -> AdapterInfo {
        AdapterInfo {
            summary: ctx.summary().clone(),
            timestamp_queries: ctx.has_timestamps(),
        }
    }
}

/// The machine, the build and the adapters a report was measured with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MachineInfo {
    /// CPU model name.
    pub cpu: String,
    /// Logical cores.
    pub logical_cores: usize,
    /// Threads in the default Rayon pool (the `rayon` rows unless `--threads` says otherwise).
    pub rayon_threads: usize,
    /// Operating system and architecture, e.g. "linux x86_64".
    pub os: String,
    /// Every GPU adapter the report's rows ran on.
    pub adapters: Vec<AdapterInfo>,
    /// wgpu version.
    pub wgpu_version: String,
    /// speedup version.
    pub speedup_version: String,
    /// "release" or "debug" (debug builds validate every GPU call: never quote their numbers).
    pub build_profile: String,
    /// When the report was made, UTC, ISO 8601 (e.g. "2026-04-20T17:30:00Z").
    pub date: String,
}

impl MachineInfo {
    /// This machine, now, with the given adapters and default Rayon pool size.
    pub fn collect(adapters: Vec<AdapterInfo>, rayon_threads: usize) -> MachineInfo {
        MachineInfo {
            cpu: crate::machine::cpu_model(),
            logical_cores: crate::backend::logical_cores(),
            rayon_threads,
            os: crate::machine::os(),
            adapters,
            wgpu_version: WGPU_VERSION.to_string(),
            speedup_version: env!("CARGO_PKG_VERSION").to_string(),
            build_profile: build_profile().to_string(),
            date: utc_date(std::time::SystemTime::now()),
        }
    }

    /// The adapter with wgpu enumeration index `index`.
    pub fn adapter(&self, index: usize) -> Option<&AdapterInfo> {
        self.adapters.iter().find(|a| a.summary.index == index)
    }
}

/// "release" when built without debug assertions, else "debug".
pub fn build_profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

/// `time` as UTC in ISO 8601 to the second. Hand-rolled (Howard Hinnant's civil-from-days) so a
/// date does not cost a date-time crate.
pub fn utc_date(time: std::time::SystemTime) -> String {
    let secs = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + (month <= 2) as i64;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
