//! The machine a report was measured on. Every report starts with it: a number without its
//! machine is not a result.

use super::system::SystemInfo;
use crate::gpu::{AdapterSummary, GpuContext};
use schemars::JsonSchema;
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AdapterInfo {
    /// Index, name, backend, device type, driver, and whether it is a software adapter (whose
    /// rows are CPU timings, not GPU figures).
    #[serde(flatten)]
    pub summary: AdapterSummary,
    /// Whether device time from timestamp queries is available.
    pub timestamp_queries: bool,
    /// The device's limits that decide what fits (format 2 on; null before). wgpu does not
    /// expose the adapter's memory size, so the largest buffer stands in for it.
    #[serde(default)]
    pub limits: Option<AdapterLimits>,
}

/// The limits of an opened device that bound the problem sizes a GPU row can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AdapterLimits {
    /// Largest buffer, bytes.
    pub max_buffer_size: u64,
    /// Largest storage-buffer binding, bytes.
    pub max_storage_buffer_binding_size: u64,
    /// Largest workgroup count per dimension of one dispatch.
    pub max_compute_workgroups_per_dimension: u32,
    /// Most invocations in one workgroup.
    pub max_compute_invocations_per_workgroup: u32,
    /// Workgroup shared memory, bytes.
    pub max_compute_workgroup_storage_size: u32,
}

impl AdapterInfo {
    /// What a report records about an open adapter.
    pub fn of(ctx: &GpuContext) -> AdapterInfo {
        AdapterInfo {
            summary: ctx.summary().clone(),
            timestamp_queries: ctx.has_timestamps(),
            limits: Some(AdapterLimits::of(&ctx.limits())),
        }
    }
}

impl AdapterLimits {
    /// The limits a report records, out of wgpu's.
    pub fn of(l: &wgpu::Limits) -> AdapterLimits {
        AdapterLimits {
            max_buffer_size: l.max_buffer_size,
            max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
            max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
            max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
            max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size,
        }
    }
}

/// The machine, the build and the adapters a report was measured with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MachineInfo {
    /// CPU model name.
    pub cpu: String,
    /// Logical cores.
    pub logical_cores: usize,
    /// The CPU features speedup's kernels care about that this CPU has (`sse4.1`, `avx2`,
    /// `fma`, `avx512f`, `sha`, `neon`, ...: `isa::cpu_features`); absent (empty) in reports
    /// before it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpu_features: Vec<String>,
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
    /// Clocks, caches, memory, kernel, governor, git revision and `WGPU_*` variables (format 2
    /// on; empty when reading format 1).
    #[serde(default)]
    pub system: SystemInfo,
}

impl MachineInfo {
    /// This machine, now, with the given adapters and default Rayon pool size.
    pub fn collect(adapters: Vec<AdapterInfo>, rayon_threads: usize) -> MachineInfo {
        MachineInfo {
            cpu: crate::host::cpu_model(),
            logical_cores: crate::backend::logical_cores(),
            cpu_features: crate::isa::cpu_features()
                .into_iter()
                .map(str::to_string)
                .collect(),
            rayon_threads,
            os: crate::host::os(),
            adapters,
            wgpu_version: WGPU_VERSION.to_string(),
            speedup_version: env!("CARGO_PKG_VERSION").to_string(),
            build_profile: build_profile().to_string(),
            date: utc_date(std::time::SystemTime::now()),
            system: SystemInfo::collect(),
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
