//! The x86-64 levels: SSE2 (every x86-64 CPU), AVX2 with FMA, AVX-512; and the functions that
//! run a kernel compiled for each, under `#[target_feature]`. Beside them, the SHA extensions
//! ([`sha`]), a capability of its own.

mod avx2;
mod avx512;
pub(crate) mod sha;
mod sse2;

use super::SimdKernel;
use crate::isa::Isa;

/// 128-bit SSE2 vectors: four lanes. Part of x86-64 itself, so always available.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sse2;

/// 256-bit AVX2 vectors with FMA: eight lanes. Only made where the CPU has both.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2(());

impl Avx2 {
    /// The token, where this CPU runs AVX2 and FMA.
    pub(crate) fn new() -> Option<Avx2> {
        Isa::Avx2.is_supported().then_some(Avx2(()))
    }
}

/// 512-bit AVX-512 vectors: sixteen lanes, with mask registers. Only made where the CPU has
/// AVX-512 F, BW, DQ and VL.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512(());

impl Avx512 {
    /// The token, where this CPU runs AVX-512.
    pub(crate) fn new() -> Option<Avx512> {
        Isa::Avx512.is_supported().then_some(Avx512(()))
    }
}

/// Runs `kernel` with SSE2 vectors. SSE2 is the x86-64 baseline, so the kernel is compiled for
/// it without a `#[target_feature]` wrapper.
pub(crate) fn run_sse2<K: SimdKernel>(kernel: K) -> K::Output {
    kernel.run(Sse2)
}

/// Runs `kernel` compiled for AVX2 and FMA.
pub(crate) fn run_avx2<K: SimdKernel>(s: Avx2, kernel: K) -> K::Output {
    #[target_feature(enable = "avx,avx2,fma")]
    fn compiled<K: SimdKernel>(s: Avx2, kernel: K) -> K::Output {
        kernel.run(s)
    }
    // SAFETY: the token exists, so this CPU has AVX2 and FMA.
    unsafe { compiled(s, kernel) }
}

/// Runs `kernel` compiled for AVX-512.
pub(crate) fn run_avx512<K: SimdKernel>(s: Avx512, kernel: K) -> K::Output {
    #[target_feature(enable = "avx,avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
    fn compiled<K: SimdKernel>(s: Avx512, kernel: K) -> K::Output {
        kernel.run(s)
    }
    // SAFETY: the token exists, so this CPU has AVX-512 F, BW, DQ and VL (and AVX2, FMA).
    unsafe { compiled(s, kernel) }
}
