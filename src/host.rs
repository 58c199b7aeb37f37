//! The host: the computer this process runs on, probed now (CPU model, OS, memory available).
//! Backends describe themselves with it, size checks ask it for memory, and a report's record of
//! the machine it was measured on ([`crate::harness::machine::MachineInfo`]) is filled from it.
//! Named apart from that record: "machine" is what a report says, "host" is what is asked here.

/// The CPU model name (from /proc/cpuinfo on Linux, sysctl on macOS), or the architecture.
pub fn cpu_model() -> String {
    #[cfg(target_os = "linux")]
    if let Ok(text) = std::fs::read_to_string("/proc/cpuinfo") {
        if let Some(name) = text
            .lines()
            .find(|l| l.starts_with("model name") || l.starts_with("Model"))
            .and_then(|l| l.split_once(':'))
        {
            return name.1.trim().to_string();
        }
    }
    #[cfg(target_os = "macos")]
    if let Ok(out) = std::process::Command::new("sysctl")
        .args(["-n", "machdep.cpu.brand_string"])
        .output()
    {
        let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !s.is_empty() {
            return s;
        }
    }
    format!("unknown {} CPU", std::env::consts::ARCH)
}

/// Operating system and architecture, e.g. "linux x86_64".
pub fn os() -> String {
    format!("{} {}", std::env::consts::OS, std::env::consts::ARCH)
}

/// Memory the system can still give this process, in bytes: `MemAvailable` from /proc/meminfo
/// on Linux. `None` where it is unknown (other systems), in which case only fixed limits apply.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_mem_available(&text)
}

fn parse_mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut parts = line.split_whitespace().skip(1);
    let value: u64 = parts.next()?.parse().ok()?;
    let scale = match parts.next() {
        Some("kB") | Some("KB") => 1024,
        None => 1,
        Some(_) => return None,
    };
    value.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_parsing() {
        let text = "MemTotal:       24000000 kB\nMemAvailable:   1000 kB\n";
        assert_eq!(parse_mem_available(text), Some(1024 * 1000));
        assert_eq!(parse_mem_available("MemTotal: 5 kB\n"), None);
        assert_eq!(parse_mem_available("MemAvailable: x kB\n"), None);
    }
}
