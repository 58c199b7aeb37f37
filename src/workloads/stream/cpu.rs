//! The serial and Rayon kernels of the STREAM triad: what both CPU backends run.
//!
//! One loop ([`triad`], a zip the compiler vectorises), compiled once per instruction-set level
//! by `simd::dispatch`, like every CPU kernel, and chosen by the run's [`Isa`]: at x86-64's baseline
//! (SSE2) each element costs twice the instructions of AVX2, which on two Zen 3 cores left
//! 5–10% of the DRAM bandwidth an OpenMP `-march=native` triad reaches unused
//! (docs/performance.md, "STREAM and the triad ceiling against OpenMP"). Rayon runs the same
//! loop per chunk, and makes the inputs in parallel, each chunk by the thread that fills it.

use super::{b_value, c_value, SCALAR};
use crate::isa::Isa;
use crate::simd::{self, Simd, SimdKernel};
use rayon::prelude::*;

/// Elements per Rayon task: 256 KiB per array, large enough to stream, small enough to balance.
pub(super) const CHUNK: usize = 1 << 16;

/// The levels of the triad, fastest first: the widest vectors cost the fewest instructions per
/// byte (a memory-bound loop runs no slower for them, and AVX-512's clock offset on some Intel
/// parts does not matter where memory binds).
pub(super) const PREFERENCE: [Isa; 5] = [Isa::Avx512, Isa::Avx2, Isa::Neon, Isa::Sse2, Isa::Scalar];

/// One triad over slices of equal length: the loop serial runs over everything and every Rayon
/// task over its chunk. Written as a zip so the compiler drops bounds checks and vectorises it
/// at the level of the `#[target_feature]` function it is inlined into. `s·c` and `b + s·c` are
/// exact for the workload's inputs, so every level (fused or not) gives the same bits.
#[inline(always)]
fn triad(a: &mut [f32], b: &[f32], c: &[f32]) {
    for ((a, b), c) in a.iter_mut().zip(b).zip(c) {
        *a = b + SCALAR * c;
    }
}

/// [`triad`] as a [`SimdKernel`]: [`simd::dispatch`] compiles it inside its level's
/// `#[target_feature]` function, where the zip is vectorised at that level (the loop needs no
/// vector type of its own, so the token goes unused).
struct Triad<'a> {
    a: &'a mut [f32],
    b: &'a [f32],
    c: &'a [f32],
}

impl SimdKernel for Triad<'_> {
    type Output = ();

    #[inline(always)]
    fn run<S: Simd>(self, _: S) {
        triad(self.a, self.b, self.c)
    }
}

/// [`triad`] at `isa`, which this CPU supports (it came from [`Isa::for_kernel`]).
fn triad_at(isa: Isa, a: &mut [f32], b: &[f32], c: &[f32]) {
    simd::dispatch(isa, Triad { a, b, c })
}

/// Array `f(i)` for `i < elements`, made on the current Rayon pool when `parallel` (each chunk
/// first touched by the thread that writes it) or on this thread.
fn filled(elements: usize, parallel: bool, f: fn(u64) -> f32) -> Vec<f32> {
    if parallel {
        (0..elements as u64).into_par_iter().map(f).collect()
    } else {
        (0..elements as u64).map(f).collect()
    }
}

/// CPU arrays, made once, and the level the triad runs at.
pub(super) struct CpuArrays {
    isa: Isa,
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
}

impl CpuArrays {
    pub(super) fn new(elements: u64, isa: Isa) -> CpuArrays {
        // NaN until written, so an element a run skipped cannot pass.
        CpuArrays {
            isa,
            a: vec![f32::NAN; elements as usize],
            b: Vec::new(),
            c: Vec::new(),
        }
    }

    /// The level the triad runs at.
    pub(super) fn isa(&self) -> Isa {
        self.isa
    }

    /// Makes b and c afresh (allocation, first touch and the values), on the current Rayon
    /// pool when `parallel`: a run's inputs stage, what the GPU's host-side inputs and upload
    /// are.
    pub(super) fn load(&mut self, parallel: bool) {
        let n = self.a.len();
        // The old arrays go first, so the new ones do not need a second pair's memory.
        (self.b, self.c) = (Vec::new(), Vec::new());
        self.b = filled(n, parallel, b_value);
        self.c = filled(n, parallel, c_value);
    }

    /// Runs `reps` triads: one loop over the whole arrays, or chunks on the current Rayon pool
    /// when `parallel`.
    pub(super) fn triads(&mut self, reps: u32, parallel: bool) {
        let isa = self.isa;
        for _ in 0..reps {
            if parallel {
                self.a
                    .par_chunks_mut(CHUNK)
                    .zip(self.b.par_chunks(CHUNK))
                    .zip(self.c.par_chunks(CHUNK))
                    .for_each(|((a, b), c)| triad_at(isa, a, b, c));
            } else {
                triad_at(isa, &mut self.a, &self.b, &self.c);
            }
        }
    }

    /// Array a as it stands.
    pub(super) fn a(&self) -> &[f32] {
        &self.a
    }
}
