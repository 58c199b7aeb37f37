//! GPU telemetry on NVIDIA: SM and memory clocks, power, temperature and throttle reasons sampled
//! while a benchmark row runs, and the energy it used, read through NVML.
//!
//! `nvml-wrapper` loads libnvidia-ml at run time (dlopen), so neither the build nor the tests need
//! an NVIDIA driver: where the library or a matching device is missing, [`Sampler::start`] gives
//! `None` and reports carry no telemetry (absent, never zero). A low throughput next to a low or
//! throttled clock means something else than a low throughput at full clock: that is why rows
//! record it.

use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
use nvml_wrapper::Nvml;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// What NVML said about the GPU during one benchmark row (JSON field `telemetry` of a row).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Telemetry {
    /// NVML's name of the device sampled, e.g. "NVIDIA H200".
    pub device: String,
    /// How many samples were taken (one every [`SAMPLE_INTERVAL`], plus one at each end).
    pub samples: usize,
    /// Lowest and median SM clock, MHz.
    pub sm_clock_mhz_min: u32,
    /// Median SM clock, MHz.
    pub sm_clock_mhz_median: u32,
    /// Median memory clock, MHz.
    pub memory_clock_mhz_median: u32,
    /// Median and highest board power, watts; absent where the board does not report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_watts_median: Option<f64>,
    /// Highest board power, watts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_watts_max: Option<f64>,
    /// Highest GPU temperature, °C.
    pub temperature_c_max: u32,
    /// Every throttle reason NVML reported in any sample (its flag names, e.g. "SW_POWER_CAP");
    /// empty when the clocks were never held back. "GPU_IDLE" alone is no throttling.
    pub throttle_reasons: Vec<String>,
    /// Energy used over the sampled time, joules: NVML's energy counter where the board has one,
    /// else the sampled power integrated over time; absent without either.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_joules: Option<f64>,
    /// Seconds sampled.
    pub seconds: f64,
    /// Units of work per joule over the sampled runs (e.g. cell-updates per joule), where the
    /// energy is known; filled in by the harness, which knows the work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_per_joule: Option<f64>,
}

/// Time between two samples: short enough for a row of a few hundred milliseconds to get several,
/// long enough that sampling costs nothing measurable.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(50);

/// One reading of the device.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sample {
    /// SM clock, MHz.
    pub sm_mhz: u32,
    /// Memory clock, MHz.
    pub memory_mhz: u32,
    /// Board power in milliwatts, where reported.
    pub power_mw: Option<u32>,
    /// GPU temperature, °C.
    pub temperature_c: u32,
    /// NVML's throttle-reason bits.
    pub throttle_bits: u64,
    /// Seconds since sampling started.
    pub at: f64,
}

/// NVML, loaded once per process; `None` where libnvidia-ml is missing or fails to initialise.
fn nvml() -> Option<&'static Nvml> {
    static NVML: OnceLock<Option<Nvml>> = OnceLock::new();
    NVML.get_or_init(|| Nvml::init().ok()).as_ref()
}

/// The NVML device index for a wgpu adapter name: the device whose name matches (either contains
/// the other, ignoring case), or the only device there is.
fn device_index(nvml: &Nvml, adapter_name: &str) -> Option<u32> {
    let count = nvml.device_count().ok()?;
    let wanted = adapter_name.to_lowercase();
    let names: Vec<(u32, String)> = (0..count)
        .filter_map(|i| Some((i, nvml.device_by_index(i).ok()?.name().ok()?.to_lowercase())))
        .collect();
    names
        .iter()
        .find(|(_, n)| !n.is_empty() && (wanted.contains(n.as_str()) || n.contains(&wanted)))
        .map(|(i, _)| *i)
        .or_else(|| (count == 1).then_some(0))
}

/// Samples one NVIDIA device on a thread of its own until [`Sampler::finish`].
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<Sample>>,
    name: String,
    index: u32,
    energy_start_mj: Option<u64>,
    start: Instant,
}

impl Sampler {
    /// Starts sampling the NVIDIA device behind the wgpu adapter `adapter_name`; `None` without
    /// NVML or without a matching device (any non-NVIDIA adapter, every software one).
    pub fn start(adapter_name: &str) -> Option<Sampler> {
        let nvml = nvml()?;
        let index = device_index(nvml, adapter_name)?;
        let device = nvml.device_by_index(index).ok()?;
        let name = device.name().unwrap_or_default();
        let energy_start_mj = device.total_energy_consumption().ok();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let start = Instant::now();
        let thread = std::thread::Builder::new()
            .name("speedup nvml sampler".into())
            .spawn(move || {
                let mut samples = Vec::new();
                loop {
                    if let Ok(device) = nvml.device_by_index(index) {
                        samples.push(Sample {
                            sm_mhz: device.clock_info(Clock::SM).unwrap_or(0),
                            memory_mhz: device.clock_info(Clock::Memory).unwrap_or(0),
                            power_mw: device.power_usage().ok(),
                            temperature_c: device.temperature(TemperatureSensor::Gpu).unwrap_or(0),
                            throttle_bits: device
                                .current_throttle_reasons()
                                .map(|r| r.bits())
                                .unwrap_or(0),
                            at: start.elapsed().as_secs_f64(),
                        });
                    }
                    if flag.load(Ordering::SeqCst) {
                        return samples;
                    }
                    std::thread::sleep(SAMPLE_INTERVAL);
                }
            })
            .ok()?;
        Some(Sampler {
            stop,
            thread,
            name,
            index,
            energy_start_mj,
            start,
        })
    }

    /// Stops sampling (taking one last sample) and summarises, or `None` if no sample was taken.
    pub fn finish(self) -> Option<Telemetry> {
        self.stop.store(true, Ordering::SeqCst);
        let samples = self.thread.join().ok()?;
        let seconds = self.start.elapsed().as_secs_f64();
        let energy_mj = nvml()
            .and_then(|n| n.device_by_index(self.index).ok())
            .and_then(|d| d.total_energy_consumption().ok())
            .zip(self.energy_start_mj)
            .map(|(end, start)| end.saturating_sub(start));
        summarize(&self.name, &samples, energy_mj, seconds)
    }
}

/// The names of NVML's throttle-reason bits (nvml.h `nvmlClocksThrottleReason*`).
const THROTTLE_NAMES: [(u64, &str); 9] = [
    (0x1, "GPU_IDLE"),
    (0x2, "APPLICATIONS_CLOCKS_SETTING"),
    (0x4, "SW_POWER_CAP"),
    (0x8, "HW_SLOWDOWN"),
    (0x10, "SYNC_BOOST"),
    (0x20, "SW_THERMAL_SLOWDOWN"),
    (0x40, "HW_THERMAL_SLOWDOWN"),
    (0x80, "HW_POWER_BRAKE_SLOWDOWN"),
    (0x100, "DISPLAY_CLOCK_SETTING"),
];

fn median_u32(mut values: Vec<u32>) -> u32 {
    values.sort_unstable();
    values[values.len() / 2]
}

/// Summarises `samples` of device `name` taken over `seconds`; `energy_mj` is NVML's energy
/// counter difference where the board has one (else power is integrated over the samples).
pub fn summarize(
    name: &str,
    samples: &[Sample],
    energy_mj: Option<u64>,
    seconds: f64,
) -> Option<Telemetry> {
    if samples.is_empty() {
        return None;
    }
    let powers: Vec<u32> = samples.iter().filter_map(|s| s.power_mw).collect();
    let power_watts_median = (!powers.is_empty()).then(|| median_u32(powers.clone()) as f64 / 1e3);
    let power_watts_max = powers.iter().max().map(|&p| p as f64 / 1e3);
    // Trapezoids between samples that both have power: the fallback where no energy counter is.
    let integrated = || {
        let with_power: Vec<(f64, f64)> = samples
            .iter()
            .filter_map(|s| s.power_mw.map(|p| (s.at, p as f64 / 1e3)))
            .collect();
        (with_power.len() >= 2).then(|| {
            with_power
                .windows(2)
                .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
                .sum::<f64>()
        })
    };
    let bits = samples.iter().fold(0u64, |acc, s| acc | s.throttle_bits);
    let mut throttle_reasons: Vec<String> = THROTTLE_NAMES
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, n)| n.to_string())
        .collect();
    let known: u64 = THROTTLE_NAMES.iter().map(|(b, _)| b).sum();
    if bits & !known != 0 {
        throttle_reasons.push(format!("OTHER_0x{:x}", bits & !known));
    }
    Some(Telemetry {
        device: name.to_string(),
        samples: samples.len(),
        sm_clock_mhz_min: samples.iter().map(|s| s.sm_mhz).min().unwrap_or(0),
        sm_clock_mhz_median: median_u32(samples.iter().map(|s| s.sm_mhz).collect()),
        memory_clock_mhz_median: median_u32(samples.iter().map(|s| s.memory_mhz).collect()),
        power_watts_median,
        power_watts_max,
        temperature_c_max: samples.iter().map(|s| s.temperature_c).max().unwrap_or(0),
        throttle_reasons,
        energy_joules: energy_mj.map(|mj| mj as f64 / 1e3).or_else(integrated),
        seconds,
        work_per_joule: None,
    })
}

/// One line for `speedup devices`: the device's clocks, power and temperature now, or `None`
/// without NVML or a matching device.
pub fn describe_now(adapter_name: &str) -> Option<String> {
    let nvml = nvml()?;
    let device = nvml
        .device_by_index(device_index(nvml, adapter_name)?)
        .ok()?;
    let sm = device.clock_info(Clock::SM).ok()?;
    let max_sm = device.max_clock_info(Clock::SM).ok();
    let memory = device.clock_info(Clock::Memory).ok()?;
    let power = device.power_usage().ok().map(|p| p as f64 / 1e3);
    let temperature = device.temperature(TemperatureSensor::Gpu).ok();
    let mut line = format!("SM clock {sm} MHz");
    if let Some(max) = max_sm {
        line += &format!(" (max {max})");
    }
    line += &format!(", memory clock {memory} MHz");
    if let Some(p) = power {
        line += &format!(", power {p:.0} W");
    }
    if let Some(t) = temperature {
        line += &format!(", {t} °C");
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: f64, sm: u32, power_mw: Option<u32>, throttle: u64) -> Sample {
        Sample {
            sm_mhz: sm,
            memory_mhz: 2619,
            power_mw,
            temperature_c: 40 + sm / 1000,
            throttle_bits: throttle,
            at,
        }
    }

    #[test]
    fn no_samples_no_telemetry() {
        assert_eq!(summarize("x", &[], Some(5), 1.0), None);
    }

    #[test]
    fn summary_of_samples() {
        let samples = [
            sample(0.0, 1980, Some(300_000), 0),
            sample(0.5, 1755, Some(700_000), 0x4),
            sample(1.0, 1980, Some(500_000), 0x4 | 0x1000),
        ];
        let t = summarize("NVIDIA H200", &samples, None, 1.0).unwrap();
        assert_eq!(t.samples, 3);
        assert_eq!((t.sm_clock_mhz_min, t.sm_clock_mhz_median), (1755, 1980));
        assert_eq!(t.power_watts_median, Some(500.0));
        assert_eq!(t.power_watts_max, Some(700.0));
        assert_eq!(t.temperature_c_max, 41);
        assert_eq!(t.throttle_reasons, ["SW_POWER_CAP", "OTHER_0x1000"]);
        // No energy counter: trapezoids, (300 + 700) / 2 * 0.5 + (700 + 500) / 2 * 0.5 = 550 J.
        assert!((t.energy_joules.unwrap() - 550.0).abs() < 1e-9);
        // The counter wins where there is one (millijoules).
        let t = summarize("NVIDIA H200", &samples, Some(612_000), 1.0).unwrap();
        assert_eq!(t.energy_joules, Some(612.0));
    }

    #[test]
    fn without_power_no_energy() {
        let samples = [sample(0.0, 1980, None, 0), sample(1.0, 1980, None, 0)];
        let t = summarize("GPU", &samples, None, 1.0).unwrap();
        assert_eq!((t.power_watts_median, t.energy_joules), (None, None));
        assert!(t.throttle_reasons.is_empty());
        // Absent fields stay out of the JSON instead of reading as zero.
        let json = serde_json::to_string(&t).unwrap();
        assert!(
            !json.contains("energy") && !json.contains("power"),
            "{json}"
        );
    }

    #[test]
    fn no_nvml_here_means_none() {
        // The development machines have no NVIDIA driver: start must give None, not fail.
        if nvml().is_none() {
            assert!(Sampler::start("llvmpipe (LLVM 15.0.6, 256 bits)").is_none());
            assert!(describe_now("anything").is_none());
        }
    }
}
