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
//! level side by side in one process, and each row reports the level it ran (`cpu_isa`). A
//! workload picks its kernel's level once, when a run is prepared on a CPU backend
//! (`Engine::at_level`), and hands it to every call, on every Rayon worker. To ask for one level
//! without an environment variable (the per-level test trials do), prepare the run inside
//! [`Isa::forced_here`]: it forces the level for what this thread prepares, like
//! `SPEEDUP_CPU` for the whole process.

use crate::error::{Error, Result};
use std::cell::Cell;
use std::sync::OnceLock;

thread_local! {
    /// The level [`Isa::forced_here`] forces on this thread, if any.
    static FORCED_HERE: Cell<Option<Isa>> = const { Cell::new(None) };
}

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

    /// The level plain Rust is compiled for without `-C target-cpu`: SSE2 on x86-64, NEON on
    /// aarch64, scalar elsewhere. A kernel with no vector code of its own runs at it (LLVM
    /// may vectorise its loops with the baseline's vectors).
    pub fn baseline() -> Isa {
        if cfg!(target_arch = "x86_64") {
            Isa::Sse2
        } else if cfg!(target_arch = "aarch64") {
            Isa::Neon
        } else {
            Isa::Scalar
        }
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

    /// Runs `f` with this level forced for every kernel that this thread prepares inside it
    /// (over `SPEEDUP_CPU`, which forces one for the whole process): how a test runs a workload
    /// at each level in one process. Refused, without running `f`, where this CPU cannot run
    /// the level. The previous forcing (if any) returns when `f` returns or panics.
    pub fn forced_here<R>(self, f: impl FnOnce() -> R) -> Result<R> {
        if !self.is_supported() {
            return Err(Error::InvalidArgument(format!(
                "this CPU cannot run {self} code; it has {}",
                names(Isa::detected())
            )));
        }
        struct Restore(Option<Isa>);
        impl Drop for Restore {
            fn drop(&mut self) {
                FORCED_HERE.set(self.0);
            }
        }
        let _restore = Restore(FORCED_HERE.replace(Some(self)));
        Ok(f())
    }

    /// The level a kernel runs by default: the one [`Isa::forced_here`] forces on this thread,
    /// else the one `SPEEDUP_CPU` forces, else the first level of `preference` (the kernel's
    /// levels, fastest first as measured on the CPUs we know) that this CPU supports, else
    /// [`Isa::Scalar`].
    pub fn for_kernel(preference: &[Isa]) -> Result<Isa> {
        if let Some(here) = FORCED_HERE.get() {
            return Ok(here);
        }
        if let Some(forced) = Isa::forced()? {
            return Ok(forced);
        }
        Ok(Isa::preferred(preference))
    }

    /// The first level of `preference` that this CPU supports, else [`Isa::Scalar`], whatever
    /// is forced.
    pub fn preferred(preference: &[Isa]) -> Isa {
        preference
            .iter()
            .copied()
            .find(|isa| isa.is_supported())
            .unwrap_or(Isa::Scalar)
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
    let isa: Isa = value.parse().map_err(|_| {
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

/// The environment variable that turns the SHA-256 kernel's use of the CPU's SHA instructions
/// on (`on`) or off (`off`); unset, the kernel times both ways once and keeps the faster.
pub const SHA_VARIABLE: &str = "SPEEDUP_SHA";

/// Whether this CPU has x86's SHA extensions ("SHA-NI": `sha256rnds2`, `sha256msg1`,
/// `sha256msg2`, with the SSSE3 their kernel uses). They are a feature apart from the vector
/// levels: Goldmont and every Zen have them without AVX-512, Skylake-SP has AVX-512 without them,
/// so a kernel asks for them here besides taking its [`Isa`]. Detected once. (aarch64's `sha2`
/// instructions have no kernel yet: false there.)
pub fn has_sha_ni() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("sha")
                && std::arch::is_x86_feature_detected!("ssse3")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}

/// Whether this CPU has BMI2 with a fast `pext` (one instruction of a few cycles), with the
/// POPCNT, LZCNT, SSSE3 and AVX2 that the kernels using it are compiled with. AMD's CPUs
/// before Zen 3 (family 0x19) and Hygon's have BMI2 but run `pext` in microcode, tens to
/// hundreds of cycles a call (slower than doing without): false there. Detected once.
pub fn has_fast_pext() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let features = has!("bmi1")
                && has!("bmi2")
                && has!("popcnt")
                && has!("lzcnt")
                && has!("ssse3")
                && has!("sse4.1")
                && has!("sse4.2")
                && has!("avx")
                && has!("avx2");
            features && !slow_pext_vendor()
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}

/// AMD before family 0x19 (Zen 3), or Hygon (Zen 1's design): `pext` in microcode.
#[cfg(target_arch = "x86_64")]
fn slow_pext_vendor() -> bool {
    use std::arch::x86_64::__cpuid;
    // SAFETY: CPUID exists on every x86-64 CPU (the call is safe from Rust 1.94 on; the block
    // keeps the older compilers of our rust-version working).
    #[allow(unused_unsafe)]
    let (vendor, signature) = unsafe { (__cpuid(0), __cpuid(1).eax) };
    let mut name = [0u8; 12];
    for (i, word) in [vendor.ebx, vendor.edx, vendor.ecx].iter().enumerate() {
        name[4 * i..4 * i + 4].copy_from_slice(&word.to_le_bytes());
    }
    pext_is_microcoded(&name, signature)
}

/// Whether a CPU with this CPUID vendor string (leaf 0's EBX, EDX, ECX) and signature (leaf
/// 1's EAX) runs `pext` in microcode.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn pext_is_microcoded(vendor: &[u8; 12], signature: u32) -> bool {
    // The family: the base field, plus the extended field when the base is 0xf.
    let base = (signature >> 8) & 0xf;
    let family = if base == 0xf {
        base + ((signature >> 20) & 0xff)
    } else {
        base
    };
    vendor == b"HygonGenuine" || (vendor == b"AuthenticAMD" && family < 0x19)
}

/// What `SPEEDUP_SHA` asks of the SHA-256 kernel: `Some(true)` use the SHA instructions,
/// `Some(false)` do not, `None` (unset) choose by speed. An error names the variable and value
/// for another word, or for `on` where this CPU lacks them ([`has_sha_ni`]).
pub fn sha_ni() -> Result<Option<bool>> {
    static ASKED: OnceLock<std::result::Result<Option<bool>, String>> = OnceLock::new();
    ASKED
        .get_or_init(|| match std::env::var(SHA_VARIABLE) {
            Ok(value) if !value.trim().is_empty() => parse_sha(&value, has_sha_ni()),
            _ => Ok(None),
        })
        .clone()
        .map_err(Error::InvalidArgument)
}

fn parse_sha(value: &str, has: bool) -> std::result::Result<Option<bool>, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" if has => Ok(Some(true)),
        "on" => Err(format!(
            "{SHA_VARIABLE}={value}: this CPU has no SHA instructions (SHA-NI)"
        )),
        "off" => Ok(Some(false)),
        _ => Err(format!("{SHA_VARIABLE}={value}: expected on or off")),
    }
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
            "sse2",
            "sse4.1",
            "sse4.2",
            "popcnt",
            "avx",
            "avx2",
            "fma",
            "bmi1",
            "bmi2",
            "avx512f",
            "avx512bw",
            "avx512dq",
            "avx512vl",
            "avx512vpopcntdq",
            "sha",
            "aes"
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

    /// Zen 1, Zen 2 and Hygon run `pext` in microcode; Zen 3, Zen 4 and Intel do not.
    #[test]
    fn microcoded_pext_by_vendor_and_family() {
        let (amd, intel, hygon) = (b"AuthenticAMD", b"GenuineIntel", b"HygonGenuine");
        assert!(pext_is_microcoded(amd, 0x0080_0f12)); // Zen 1, family 0x17
        assert!(pext_is_microcoded(amd, 0x0083_0f10)); // Zen 2, family 0x17
        assert!(!pext_is_microcoded(amd, 0x00a0_0f11)); // Zen 3 (this guest), family 0x19
        assert!(!pext_is_microcoded(amd, 0x00a1_0f11)); // Zen 4, family 0x19
        assert!(!pext_is_microcoded(intel, 0x0005_0654)); // Skylake-SP, family 6
        assert!(pext_is_microcoded(hygon, 0x0090_0f01));
        #[cfg(target_arch = "x86_64")]
        if has_fast_pext() {
            assert!(std::arch::is_x86_feature_detected!("bmi2"));
        }
    }

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
    fn forcing_a_level_here_overrides_preferences_on_this_thread_only() {
        for &isa in Isa::detected() {
            let inside = isa.forced_here(|| {
                let other = std::thread::spawn(|| FORCED_HERE.get()).join().unwrap();
                assert_eq!(other, None, "another thread sees no forcing");
                Isa::for_kernel(&[Isa::Avx512, Isa::Neon]).unwrap()
            });
            assert_eq!(inside.unwrap(), isa);
        }
        assert_eq!(FORCED_HERE.get(), None);
        let missing = Isa::ALL.into_iter().find(|i| !i.is_supported()).unwrap();
        let e = missing.forced_here(|| ()).unwrap_err().to_string();
        assert!(e.contains(&format!("cannot run {missing}")), "{e}");
    }

    #[test]
    fn the_sha_switch_is_on_or_off() {
        assert_eq!(parse_sha("on", true), Ok(Some(true)));
        assert_eq!(parse_sha(" OFF ", true), Ok(Some(false)));
        assert_eq!(parse_sha("off", false), Ok(Some(false)));
        let message = parse_sha("on", false).unwrap_err();
        assert!(message.contains("SPEEDUP_SHA=on"), "{message}");
        assert!(parse_sha("yes", true)
            .unwrap_err()
            .contains("expected on or off"));
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
