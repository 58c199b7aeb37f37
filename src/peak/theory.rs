//! Theoretical peaks, where they can be computed: cores × clock × lanes × operations per
//! instruction × pipes, with the source of each factor written into the result.
//!
//! The pipe counts are not visible to software; they come from a small table of the
//! microarchitectures we know (vendor and family from `/proc/cpuinfo`; AMD's and Intel's
//! optimisation manuals, Agner Fog's instruction tables), and a CPU outside it gets no
//! theoretical value rather than a guess. The clock is cpufreq's highest (`cpuinfo_max_freq`)
//! where the OS exposes it, else the clock measured by a chain of dependent adds
//! ([`super::clock`]): a virtual machine has no cpufreq, and its `cpu MHz` in /proc/cpuinfo is
//! the host's nominal clock with boost hidden, which put measured ceilings above 100% of
//! theoretical. /proc/cpuinfo is the last resort, on architectures without the chain.

use super::{Measure, Theoretical};
use crate::isa::Isa;

/// A CPU's vendor, family and model, as /proc/cpuinfo gives them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpuId {
    /// "AuthenticAMD", "GenuineIntel", ...
    pub vendor: String,
    /// `cpu family` (decimal).
    pub family: u32,
    /// `model` (decimal).
    pub model: u32,
}

impl CpuId {
    /// This CPU (Linux; empty elsewhere).
    pub fn detect() -> CpuId {
        let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        CpuId::parse(&text)
    }

    /// Parses the first processor's entry of a /proc/cpuinfo text.
    pub fn parse(text: &str) -> CpuId {
        let field = |name: &str| {
            text.lines()
                .find(|l| l.split(':').next().map(str::trim) == Some(name))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        };
        CpuId {
            vendor: field("vendor_id").unwrap_or_default(),
            family: field("cpu family")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            model: field("model").and_then(|v| v.parse().ok()).unwrap_or(0),
        }
    }

    /// Instructions of `measure`'s kind the core issues per cycle at `isa`, and the source:
    /// `None` for a CPU or level outside the table.
    pub fn pipes(&self, isa: Isa, measure: Measure) -> Option<(f64, String)> {
        use Measure::*;
        let amd = self.vendor == "AuthenticAMD";
        let intel = self.vendor == "GenuineIntel";
        let wide = isa == Isa::Avx512;
        let (pipes, why) = match (amd, intel, self.family, measure) {
            // Zen 3 (family 25 models 0x00–0x5f) and Zen 4 (0x60 on, AVX-512 as two 256-bit
            // halves): FP0/FP1 multiply and FMA, FP2/FP3 add, all four run vector integer ALU
            // ops. Zen 4's 512-bit instructions take a pipe pair: half the rate.
            (true, _, 25, F32Fma) => (if wide { 1.0 } else { 2.0 }, "2 FMA pipes (Zen 3/4)"),
            (true, _, 25, F32MulAdd) => (
                if wide { 2.0 } else { 4.0 },
                "2 multiply + 2 add pipes (Zen 3/4)",
            ),
            (true, _, 25, IntAdd | IntLogic) => {
                (if wide { 2.0 } else { 4.0 }, "4 vector ALU pipes (Zen 3/4)")
            }
            // The SHA unit: one sha256rnds2 per cycle, latency 4. Measured on the Zen 3 guest
            // (12 independent chains: 1.00 per cycle against paddd's 4 per cycle; one chain: 4
            // cycles each); LLVM's Zen 3 model (X86ScheduleZnver3.td, from llvm-exegesis) has
            // the same latency but half the rate, which the measurement contradicts. AMD does
            // not publish it. Assumed the same on Zen 4 and 5.
            (true, _, 25 | 26, Sha256Rnds2) => (
                1.0,
                "1 SHA unit, sha256rnds2 1 per cycle, latency 4 (measured on Zen 3)",
            ),
            // Zen 5: the same four pipes, 512 bits wide.
            (true, _, 26, F32Fma) => (2.0, "2 FMA pipes (Zen 5)"),
            (true, _, 26, F32MulAdd | IntAdd | IntLogic) => (4.0, "4 vector pipes (Zen 5)"),
            // Intel cores since Haswell: FMA, multiply and add on ports 0 and 1 (512-bit: the
            // fused port 0+1 and port 5 on two-FMA Xeons, assumed here); vector integer ALU on
            // ports 0, 1 and 5 (0 and 5 at 512 bits).
            (_, true, 6, F32Fma | F32MulAdd) => (2.0, "ports 0 and 1 (Intel, since Haswell)"),
            // sha256rnds2 on port 5 only, 1 per cycle, latency 6: LLVM's Golden Cove model
            // (X86SchedAlderlakeP.td, Alder Lake P-cores and Sapphire Rapids), assumed for every
            // Intel core with SHA-NI (Goldmont and Ice Lake on); sha256msg2 shares port 5 there.
            (_, true, 6, Sha256Rnds2) => (
                1.0,
                "sha256rnds2 on port 5, 1 per cycle, latency 6 (Golden Cove, LLVM's model)",
            ),
            (_, true, 6, IntAdd | IntLogic) => (
                if wide { 2.0 } else { 3.0 },
                "ports 0, 1 and 5 (Intel, since Haswell; 0 and 5 at 512 bits)",
            ),
            _ => return None,
        };
        Some((pipes, why.to_string()))
    }
}

/// The clock the theoretical peaks use, in MHz, and where it came from.
pub fn cpu_clock_mhz() -> Option<(f64, String)> {
    let max = std::fs::read_to_string("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
        .ok()
        .and_then(|t| t.trim().parse::<f64>().ok());
    if let Some(khz) = max {
        return Some((khz / 1000.0, "cpufreq cpuinfo_max_freq".to_string()));
    }
    if let Some(mhz) = super::clock::measured_mhz() {
        return Some((
            mhz,
            "measured: dependent adds on one core, no cpufreq here".to_string(),
        ));
    }
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let mhz = text
        .lines()
        .find(|l| l.starts_with("cpu MHz"))?
        .split_once(':')?
        .1
        .trim()
        .parse::<f64>()
        .ok()?;
    Some((
        mhz,
        "cpu MHz in /proc/cpuinfo: nominal in a VM, boost unseen".to_string(),
    ))
}

/// The theoretical peak of `measure` for `threads` threads at `isa` on this CPU.
pub fn cpu(isa: Isa, threads: usize, measure: Measure) -> Option<Theoretical> {
    cpu_with(
        &CpuId::detect(),
        cpu_clock_mhz()?,
        physical_cores(),
        isa,
        threads,
        measure,
    )
}

fn physical_cores() -> usize {
    sysinfo::System::physical_core_count().unwrap_or_else(crate::backend::logical_cores)
}

/// [`cpu`] with every input given (for tests).
pub fn cpu_with(
    id: &CpuId,
    (mhz, clock_source): (f64, String),
    physical_cores: usize,
    isa: Isa,
    threads: usize,
    measure: Measure,
) -> Option<Theoretical> {
    if isa == Isa::Scalar && measure != Measure::F32MulAdd {
        // Scalar integer code runs on the general-purpose ALUs, a table of their own.
        return None;
    }
    let (pipes, pipe_source) = id.pipes(isa, measure)?;
    // SMT threads share a core's pipes.
    let cores = threads.min(physical_cores.max(1));
    // A unit's ceiling counts instructions, not lanes.
    let lanes = if measure.is_unit() {
        1.0
    } else {
        isa.lanes32() as f64
    };
    let per_instruction = if measure == Measure::F32Fma { 2.0 } else { 1.0 };
    Some(Theoretical {
        value: cores as f64 * mhz * 1e6 * lanes * per_instruction * pipes,
        how: format!(
            "{cores} core(s) × {mhz:.0} MHz ({clock_source}){}{} × {pipes} ({pipe_source}; {} family {})",
            if measure.is_unit() {
                String::new()
            } else {
                format!(" × {lanes} lanes")
            },
            if per_instruction == 2.0 { " × 2 flops" } else { "" },
            id.vendor,
            id.family
        ),
    })
}

/// What is known about a datacenter GPU by its name: SMs and HBM peak bandwidth.
struct KnownGpu {
    /// A substring of the adapter name.
    name: &'static str,
    sms: u32,
    hbm_bytes_per_second: f64,
    /// Boost clock, MHz, used when NVML gives no clock.
    boost_mhz: f64,
}

/// NVIDIA's datasheets (SXM unless named).
const KNOWN_GPUS: [KnownGpu; 4] = [
    KnownGpu {
        name: "H200",
        sms: 132,
        hbm_bytes_per_second: 4.8e12,
        boost_mhz: 1980.0,
    },
    KnownGpu {
        name: "H100 PCIe",
        sms: 114,
        hbm_bytes_per_second: 2.0e12,
        boost_mhz: 1755.0,
    },
    KnownGpu {
        name: "H100 NVL",
        sms: 132,
        hbm_bytes_per_second: 3.9e12,
        boost_mhz: 1785.0,
    },
    KnownGpu {
        name: "H100",
        sms: 132,
        hbm_bytes_per_second: 3.35e12,
        boost_mhz: 1980.0,
    },
];

/// The theoretical peak of `measure` on the adapter `name`, with the SM clock NVML reported
/// during the measurement (`sm_mhz`) or, without one, the datasheet's boost clock.
/// Hopper SMs: 128 FP32 lanes, 64 INT32 lanes per clock.
pub fn gpu(name: &str, measure: Measure, sm_mhz: Option<f64>) -> Option<Theoretical> {
    let known = KNOWN_GPUS.iter().find(|g| name.contains(g.name))?;
    let (mhz, clock) = match sm_mhz {
        Some(m) => (m, "SM clock NVML reported during the run".to_string()),
        None => (known.boost_mhz, "datasheet boost clock".to_string()),
    };
    let per_sm = |lanes: f64, ops: f64, what: &str| Theoretical {
        value: known.sms as f64 * lanes * ops * mhz * 1e6,
        how: format!(
            "{} SMs × {lanes} {what} lanes{} × {mhz:.0} MHz ({clock}; {} datasheet)",
            known.sms,
            if ops == 2.0 { " × 2 flops" } else { "" },
            known.name
        ),
    };
    match measure {
        Measure::F32Fma => Some(per_sm(128.0, 2.0, "FP32")),
        Measure::F32MulAdd => Some(per_sm(128.0, 1.0, "FP32")),
        Measure::IntAdd | Measure::IntLogic | Measure::IntMul => Some(per_sm(64.0, 1.0, "INT32")),
        _ => None,
    }
}

/// The HBM peak of the adapter `name`, if it is a GPU we know.
pub fn gpu_memory(name: &str) -> Option<Theoretical> {
    let known = KNOWN_GPUS.iter().find(|g| name.contains(g.name))?;
    Some(Theoretical {
        value: known.hbm_bytes_per_second,
        how: format!("{} HBM peak (datasheet)", known.name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zen3_fma_peak_is_cores_clock_lanes_two_flops_two_pipes() {
        let id = CpuId::parse("vendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\n");
        assert_eq!(id.family, 25);
        let t = cpu_with(
            &id,
            (2445.0, "test".into()),
            2,
            Isa::Avx2,
            2,
            Measure::F32Fma,
        )
        .unwrap();
        assert_eq!(t.value, 2.0 * 2445e6 * 8.0 * 2.0 * 2.0);
        assert!(t.how.contains("2 FMA pipes"), "{}", t.how);
        // SMT: 4 threads on 2 cores have the pipes of 2.
        let smt = cpu_with(&id, (2445.0, "t".into()), 2, Isa::Avx2, 4, Measure::F32Fma).unwrap();
        assert_eq!(smt.value, t.value);
        // The SHA unit's ceiling counts instructions: no lanes, one per cycle per core.
        let sha = cpu_with(
            &id,
            (2445.0, "t".into()),
            2,
            Isa::Avx2,
            2,
            Measure::Sha256Rnds2,
        )
        .unwrap();
        assert_eq!(sha.value, 2.0 * 2445e6);
        assert!(
            !sha.how.contains("lanes") && sha.how.contains("latency 4"),
            "{}",
            sha.how
        );
        // Unknown CPUs get none.
        assert!(cpu_with(
            &CpuId::default(),
            (1.0, "t".into()),
            1,
            Isa::Avx2,
            1,
            Measure::F32Fma
        )
        .is_none());
    }

    #[test]
    fn h100_fma_peak_uses_the_measured_clock() {
        let t = gpu("NVIDIA H100 80GB HBM3", Measure::F32Fma, Some(1755.0)).unwrap();
        assert_eq!(t.value, 132.0 * 128.0 * 2.0 * 1755e6);
        let pcie = gpu("NVIDIA H100 PCIe", Measure::F32Fma, None).unwrap();
        assert_eq!(pcie.value, 114.0 * 128.0 * 2.0 * 1755e6);
        assert!(gpu("llvmpipe (LLVM 15.0.6, 256 bits)", Measure::F32Fma, None).is_none());
        assert_eq!(gpu_memory("NVIDIA H200").unwrap().value, 4.8e12);
    }
}
