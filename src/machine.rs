//! What machine this is: CPU model, cores, OS. Every report starts with it.

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
