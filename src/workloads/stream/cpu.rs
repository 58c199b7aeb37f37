//! The serial and Rayon kernels of the STREAM triad: what both CPU backends run.

use super::{inputs, SCALAR};
use rayon::prelude::*;

/// Elements per Rayon task: 256 KiB per array, large enough to stream, small enough to balance.
pub(super) const CHUNK: usize = 1 << 16;

/// One triad over slices of equal length: the loop serial runs over everything and every Rayon
/// task over its chunk. Written as a zip so the compiler drops bounds checks and vectorises it.
#[inline]
pub(super) fn triad(a: &mut [f32], b: &[f32], c: &[f32]) {
    for ((a, b), c) in a.iter_mut().zip(b).zip(c) {
        *a = b + SCALAR * c;
    }
}

/// CPU arrays, made once.
pub(super) struct CpuArrays {
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
}

impl CpuArrays {
    pub(super) fn new(elements: u64) -> CpuArrays {
        let (b, c) = inputs(elements);
        // NaN until written, so an element a run skipped cannot pass.
        CpuArrays {
            a: vec![f32::NAN; elements as usize],
            b,
            c,
        }
    }

    /// Makes b and c afresh (allocation, first touch and the values): a run's inputs stage,
    /// what the GPU's host-side inputs and upload are.
    pub(super) fn load(&mut self) {
        (self.b, self.c) = inputs(self.a.len() as u64);
    }

    /// Runs `reps` triads: one loop over the whole arrays, or chunks on the current Rayon pool
    /// when `parallel`.
    pub(super) fn triads(&mut self, reps: u32, parallel: bool) {
        for _ in 0..reps {
            if parallel {
                self.a
                    .par_chunks_mut(CHUNK)
                    .zip(self.b.par_chunks(CHUNK))
                    .zip(self.c.par_chunks(CHUNK))
                    .for_each(|((a, b), c)| triad(a, b, c));
            } else {
                triad(&mut self.a, &self.b, &self.c);
            }
        }
    }

    /// Array a as it stands.
    pub(super) fn a(&self) -> &[f32] {
        &self.a
    }
}
