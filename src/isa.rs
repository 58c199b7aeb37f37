//! The CPU's instruction-set levels: detected once, forced by one switch, chosen per kernel.
//!
//! Every SIMD CPU kernel (Mandelbrot, N-body, Monte Carlo, SHA-256, Life, ...) is one source,
//! compiled for each level under `#[target_feature]`, and picks its level here, in one place
//! shared by all of them (memchr's `arch/` and simdjson's implementation list are the model):
//!
//! - [`Isa::detected`]: every level this CPU can run, detected once at run time, so one portable
//!   binary uses AVX-512 where the CPU has it and SSE2 where it does not, without
//!   `-C target-cpu=native`;
//! - `SPEEDUP_CPU=scalar|sse2|avx2|avx512|neon` forces one level for every kernel (refused with a
//!   clear error where this CPU lacks it), so each level can be tested and measured on a machine
//!   that has a wider one (simdjson's `SIMDJSON_FORCE_IMPLEMENTATION`);
//! - [`Isa::for_kernel`]: a kernel lists the levels it prefers, fastest first as measured, which
//!   is not always the widest (512-bit code lowers the clock on some Intel parts).
//!
//! Kernels take the level as an argument rather than reading a global, so a test can run every
//! level side by side in one process, and each row reports the level it ran (`cpu_isa`).

use crate::error::{Error, Result};
use std::sync::OnceLock;

/// The environment variable that forces one instruction-set level for every CPU kernel.
pub const FORCE_VARIABLE: &str = "SPEEDUP_CPU";

/// One instruction-set level a CPU kernel can be compiled for.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Isa {
    /// Plain Rust, one lane at a time (the compiler may still use the baseline's vector unit
    /// for what it can prove; no hand-written vectors).
    Scalar,
    /// x86-64's baseline: 128-bit SSE2 vectors, present on every x86-64 CPU.
    Sse2,
    /// 256-bit AVX2 with FMA (Haswell, Zen and later).
    Avx2,
    /// 512-bit AVX-512 F, BW, DQ and VL (Skylake-SP, Ice Lake, Zen 4 and later).
    Avx512,
    /// 128-bit NEON (every aarch64 CPU).
    Neon,
}

impl Isa {
    /// Every level, in the order tables list them.
    pub const ALL: [Isa; 5] = [Isa::Scalar, Isa::Sse2, Isa::Avx2, Isa::Avx512, Isa::Neon];

    /// The word that names this level in `SPEEDUP_CPU`, reports (`cpu_isa`) and test names.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Sse2 => "sse2",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
            Isa::Neon => "neon",
        }
    }

    /// Vector width in bits (32 for [`Isa::Scalar`]: one f32 or u32 lane).
    pub fn bits(self) -> u32 {
        match self {
            Isa::Scalar => 32,
            Isa::Sse2 | Isa::Neon => 128,
            Isa::Avx2 => 256,
            Isa::Avx512 => 512,
        }
    }

    /// Lanes of 32 bits per vector: 1, 4, 8 or 16.
    pub fn lanes32(self) -> usize {
        (self.bits() / 32) as usize
    }

    /// Whether this CPU can run code compiled for this level (detected at run time, once).
    pub fn is_supported(self) -> bool {
        Isa::detected().contains(&self)
    }

    /// Every level this CPU runs, narrowest first: always [`Isa::Scalar`], then what the
    /// architecture and the CPU add. Detected once and cached.
    pub fn detected() -> &'static [Isa] {
        static DETECTED: OnceLock<Vec<Isa>> = OnceLock::new();
        DETECTED.get_or_init(detect)
    }

    /// The widest level this CPU runs.
    pub fn widest() -> Isa {
        *Isa::detected().last().expect("scalar is always detected")
    }

    /// The level forced by `SPEEDUP_CPU`, if it is set: an error naming the variable, the value
    /// and the levels this CPU has if the word is unknown or the CPU lacks that level.
    pub fn forced() -> Result<Option<Isa>> {
        static FORCED: OnceLock<std::result::Result<Option<Isa>, String>> = OnceLock::new();
        FORCED
            .get_or_init(|| match std::env::var(FORCE_VARIABLE) {
                Ok(value) if !value.trim().is_empty() => parse_forced(&value).map(Some),
                _ => Ok(None),
            })
            .clone()
            .map_err(Error::InvalidArgument)
    }

    /// The level a kernel runs by default: the forced one if `SPEEDUP_CPU` is set, else the first
    /// level of `preference` (the kernel's levels, fastest first as measured on the CPUs we
    /// know) that this CPU supports, else [`Isa::Scalar`].
    pub fn for_kernel(preference: &[Isa]) -> Result<Isa> {
        if let Some(forced) = Isa::forced()? {
            return Ok(forced);
        }
        Ok(preference
            .iter()
            .copied()
            .find(|isa| isa.is_supported())
            .unwrap_or(Isa::Scalar))
    }
}

impl std::fmt::Display for Isa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Isa {
    type Err = Error;
    fn from_str(s: &str) -> Result<Isa> {
        let word = s.trim().to_ascii_lowercase();
        Isa::ALL
            .into_iter()
            .find(|isa| isa.name() == word)
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "unknown instruction-set level '{s}': expected one of {}",
                    names(&Isa::ALL)
                ))
            })
    }
}

/// "a, b or c".
fn names(levels: &[Isa]) -> String {
    let words: Vec<&str> = levels.iter().map(|isa| isa.name()).collect();
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.to_string(),
        None => String::new(),
    }
}

fn parse_forced(value: &str) -> std::result::Result<Isa, String> {
    let isa: Isa = value
        .parse()
        .map_err(|_| {
            format!(
                "{FORCE_VARIABLE}={value}: unknown instruction-set level; expected {}",
                names(&Isa::ALL)
            )
        })?;
    if !isa.is_supported() {
        return Err(format!(
            "{FORCE_VARIABLE}={value}: this CPU cannot run {isa} code; it has {}",
            names(Isa::detected())
        ));
    }
    Ok(isa)
}

fn detect() -> Vec<Isa> {
    #[allow(unused_mut)]
    let mut levels = vec![Isa::Scalar];
    #[cfg(target_arch = "x86_64")]
    {
        // SSE2 is part of x86-64 itself.
        levels.push(Isa::Sse2);
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            levels.push(Isa::Avx2);
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512dq")
                && std::arch::is_x86_feature_detected!("avx512vl")
            {
                levels.push(Isa::Avx512);
            }
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("neon") {
            levels.push(Isa::Neon);
        }
    }
    levels
}

/// The CPU features that matter to speedup's kernels and that this CPU has, by their usual
/// names (`sse4.1`, `avx2`, `fma`, `avx512f`, `sha`, `neon`, ...), for a report's machine
/// section.
pub fn cpu_features() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut found = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! check {
            ($($feature:tt),*) => {
                $(if std::arch::is_x86_feature_detected!($feature) { found.push($feature); })*
            };
        }
        check!(
            "sse2", "sse4.1", "sse4.2", "popcnt", "avx", "avx2", "fma", "bmi1", "bmi2", "avx512f",
            "avx512bw", "avx512dq", "avx512vl", "avx512vpopcntdq", "sha", "aes"
        );
    }
    #[cfg(target_arch = "aarch64")]
    {
        macro_rules! check {
            ($($feature:tt),*) => {
                $(if std::arch::is_aarch64_feature_detected!($feature) { found.push($feature); })*
            };
        }
        check!("neon", "sha2", "aes", "sve", "sve2");
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back() {
        for isa in Isa::ALL {
            assert_eq!(isa.name().parse::<Isa>().unwrap(), isa);
            assert_eq!(isa.to_string(), isa.name());
        }
        assert!("avx3".parse::<Isa>().is_err());
    }

    #[test]
    fn scalar_is_always_detected_and_levels_are_ordered() {
        let detected = Isa::detected();
        assert_eq!(detected[0], Isa::Scalar);
        assert!(detected.windows(2).all(|w| w[0] < w[1]));
        #[cfg(target_arch = "x86_64")]
        assert!(detected.contains(&Isa::Sse2));
    }

    #[test]
    fn forcing_an_unknown_or_missing_level_names_the_variable() {
        let message = parse_forced("avx3").unwrap_err();
        assert!(message.contains("SPEEDUP_CPU=avx3"), "{message}");
        #[cfg(target_arch = "x86_64")]
        {
            let message = parse_forced("neon").unwrap_err();
            assert!(message.contains("cannot run neon"), "{message}");
        }
        assert_eq!(parse_forced("scalar").unwrap(), Isa::Scalar);
    }

    #[test]
    fn a_kernel_gets_its_first_supported_preference() {
        // Skipped when the environment forces a level: then every kernel gets that level.
        if Isa::forced().unwrap().is_some() {
            return;
        }
        assert_eq!(Isa::for_kernel(&[Isa::Neon, Isa::Scalar]).unwrap(), {
            if Isa::Neon.is_supported() {
                Isa::Neon
            } else {
                Isa::Scalar
            }
        });
        assert_eq!(
            Isa::for_kernel(&[Isa::Avx512, Isa::Avx2, Isa::Sse2, Isa::Scalar]).unwrap(),
            *Isa::detected()
                .iter()
                .rev()
                .find(|i| **i != Isa::Neon)
                .unwrap()
        );
    }
}
