//! The machine in full, for comparing hardware: CPU clocks and caches, memory, OS and kernel,
//! frequency governor, the build's git revision, and the `WGPU_*` variables in effect. Read once
//! per report; anything a platform does not expose is `None` or empty rather than a guess.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Details of the machine and build beyond [`super::MachineInfo`]'s summary (format 2 on; a
/// format-1 report reads as all-empty).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct SystemInfo {
    /// Physical cores (logical cores are in `machine.logical_cores`).
    pub physical_cores: Option<usize>,
    /// Base clock in MHz (Linux cpufreq `base_frequency`, where the driver exposes it).
    pub base_mhz: Option<u64>,
    /// Highest clock in MHz (Linux cpufreq `cpuinfo_max_freq`).
    pub max_mhz: Option<u64>,
    /// Clock of the first CPU when the report was made, MHz, as the OS reports it (in a virtual
    /// machine, usually the host's nominal clock).
    pub current_mhz: Option<u64>,
    /// The clock one core ran a chain of dependent adds at when the report was made, MHz
    /// ([`crate::peak::clock`]): what the core really runs a scalar loop at, where the OS reports
    /// only a nominal clock. `None` on architectures without the chain and in older reports.
    pub measured_mhz: Option<u64>,
    /// CPU caches of the first core, e.g. "L1d 32 KiB", "L2 512 KiB", "L3 32768 KiB" (shared).
    pub caches: Vec<String>,
    /// Total memory in bytes.
    pub memory_bytes: Option<u64>,
    /// Operating system with its version, e.g. "Linux (Debian GNU/Linux 12)".
    pub os_version: Option<String>,
    /// Kernel version, e.g. "6.1.0-18-amd64".
    pub kernel: Option<String>,
    /// cpufreq scaling governor of the first CPU ("performance", "powersave", ...), where
    /// readable: "powersave" can halve a CPU figure.
    pub governor: Option<String>,
    /// `git describe`-style revision of the source the binary was built from ("-dirty" when it
    /// had uncommitted changes); `None` when built outside a git checkout.
    pub git_revision: Option<String>,
    /// Every `WGPU_*` environment variable set when the report was made (they pick backends,
    /// adapters and power preferences, and change what a GPU row measured).
    pub wgpu_env: BTreeMap<String, String>,
}

impl SystemInfo {
    /// This machine, now.
    pub fn collect() -> SystemInfo {
        use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};
        let sys = System::new_with_specifics(
            RefreshKind::nothing()
                .with_cpu(CpuRefreshKind::nothing().with_frequency())
                .with_memory(MemoryRefreshKind::nothing().with_ram()),
        );
        let cpufreq = "/sys/devices/system/cpu/cpu0/cpufreq";
        // cpufreq gives kHz.
        let khz = |name: &str| {
            read_trimmed(&format!("{cpufreq}/{name}"))?
                .parse::<u64>()
                .ok()
        };
        SystemInfo {
            physical_cores: System::physical_core_count(),
            base_mhz: khz("base_frequency").map(|k| k / 1000),
            max_mhz: khz("cpuinfo_max_freq").map(|k| k / 1000),
            current_mhz: sys.cpus().first().map(|c| c.frequency()).filter(|&f| f > 0),
            measured_mhz: crate::peak::clock::measured_mhz().map(|m| m.round() as u64),
            caches: caches("/sys/devices/system/cpu/cpu0/cache"),
            memory_bytes: Some(sys.total_memory()).filter(|&m| m > 0),
            os_version: System::long_os_version(),
            kernel: System::kernel_version(),
            governor: read_trimmed(&format!("{cpufreq}/scaling_governor")),
            git_revision: option_env!("SPEEDUP_GIT_REVISION")
                .filter(|r| !r.is_empty())
                .map(str::to_string),
            wgpu_env: std::env::vars()
                .filter(|(k, _)| k.starts_with("WGPU_"))
                .collect(),
        }
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(text.trim().to_string()).filter(|s| !s.is_empty())
}

/// The caches under a Linux `cpu0/cache` directory: one "L{level}{d|i} SIZE" per `index*`.
pub fn caches(dir: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(String, String)> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("index"))
        .filter_map(|e| {
            let p = e.path().display().to_string();
            let level = read_trimmed(&format!("{p}/level"))?;
            let kind = match read_trimmed(&format!("{p}/type"))?.as_str() {
                "Data" => "d",
                "Instruction" => "i",
                _ => "",
            };
            let size = read_trimmed(&format!("{p}/size"))?;
            let size = size
                .strip_suffix('K')
                .map_or(size.clone(), |k| format!("{k} KiB"));
            Some((format!("L{level}{kind}"), size))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(l, s)| format!("{l} {s}")).collect()
}
