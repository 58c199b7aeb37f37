//! The aarch64 level: NEON (every aarch64 CPU), and the function that runs a kernel compiled
//! for it.

mod neon;

use super::SimdKernel;
use crate::isa::Isa;

/// 128-bit NEON vectors: four lanes, with fused multiply-add.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Neon(());

impl Neon {
    /// The token, where this CPU runs NEON (every aarch64 CPU does).
    pub(crate) fn new() -> Option<Neon> {
        Isa::Neon.is_supported().then_some(Neon(()))
    }
}

/// Runs `kernel` compiled for NEON.
pub(crate) fn run_neon<K: SimdKernel>(s: Neon, kernel: K) -> K::Output {
    #[target_feature(enable = "neon")]
    fn compiled<K: SimdKernel>(s: Neon, kernel: K) -> K::Output {
        kernel.run(s)
    }
    // SAFETY: the token exists, so this CPU has NEON.
    unsafe { compiled(s, kernel) }
}
