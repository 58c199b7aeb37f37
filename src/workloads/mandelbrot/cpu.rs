//! The CPU kernel of Mandelbrot, written once over [`Simd`] vectors and run at the level the
//! caller gives ([`crate::simd::dispatch`]): serial over all rows in one call, Rayon one row
//! per task, both through [`fill_rows`], so they are bit-identical at every level.
//!
//! One vector of pixels iterating z ← z² + c is one long dependency chain: each step waits for
//! the last multiply and add (about 3 cycles each on Zen 3, 4 on Skylake), and the vector unit
//! idles between them. [`IN_FLIGHT`] vectors of neighbouring pixels iterate side by side, so
//! the core always has independent work. Lanes past the end of a row compute pixels that are
//! never written.
//!
//! # Blocks of iterations, counted exactly
//!
//! Counting iteration by iteration costs four of a vector's eleven operations per iteration
//! (|z|², its comparison with 4, the mask of lanes still counting, the count). Nearly all of
//! the work is in pixels that never escape (the set's interior runs `max_iter` iterations:
//! 97% of the pixel-iterations of the 2048x2048:1000 benchmark), so [`escape_counts`] runs
//! [`BLOCK`] iterations at a time keeping only the largest |z|² of the block (|z|² and one
//! `max`: nine operations per vector and iteration), and counts the block in one step where no
//! counting lane went past 4 in it. A block in which one did is undone (z from its start) and
//! run again iteration by iteration as before, masking each lane out of the count when it
//! escapes; a lane that escaped is then set to NaN, which `max` passes over, so it never sends
//! a block there again. The fast pass only decides whether the exact one is needed, so every
//! count is the reference's. A group stops when all of its lanes have escaped or `max_iter`
//! is reached. On the benchmark, 4% of the blocks are run twice.
//!
//! # The same answer at every level
//!
//! Unfused (`FUSED = false`, the `mandelbrot` workload), each lane does exactly what
//! [`escape_count`](super::escape_count) does, in its order: `zr² + zi² > 4` ends the pixel,
//! else `zi ← (2·zr)·zi + ci` and `zr ← (zr² − zi²) + cr`, each product and sum rounded to f32
//! (Rust never contracts, and the vector layer's `mul` and `add` are separate instructions),
//! and `c` is computed by the same scalar expression. So every level is bit-identical to the
//! reference.
//!
//! Fused (`FUSED = true`, for a workload that measures FMA arithmetic as a GPU driver that
//! contracts would do it): `|z|² = fma(zr, zr, zi²)`, `zi ← fma(2·zr, zi, ci)` and
//! `zr ← fma(zr, zr, fma(−zi, zi, cr))`, one rounding each instead of two. That changes the
//! iteration count of chaotic boundary pixels, so the fused image is held to a bound on
//! differing pixels ([`MAX_FUSED_DIFF_FRACTION`]), not to bit-identity. On levels without FMA
//! (scalar, SSE2) `mul_add` is a multiply then an add, so there the fused kernel evaluates the
//! same formula, in the same order, with two roundings per multiply-add (neither the
//! reference's image nor the FMA levels').

use super::Mandelbrot;
use crate::isa::Isa;
use crate::simd::{dispatch, Simd, SimdKernel};
use rayon::prelude::*;

/// Vectors iterated side by side, at every level. One iteration's loop-carried chain is a multiply
/// and two adds (about 9 cycles on Zen 3, 12 on Skylake), while one vector's iteration in a block
/// is 9 operations (unfused: 4 multiplies, 4 adds and a max), which four FP pipes issue in about
/// 2.25 cycles: 4 vectors fill the chain's wait. At AVX2 their state (z of four vectors and one
/// [`PEAKS_AVX2`] accumulator, c read from memory) fits 16 registers; 5 vectors measured 1.3×
/// slower there (spilled). Measured on Zen 3 (docs/performance.md, "Mandelbrot: blocks of
/// iterations"); AVX-512 and NEON (32 registers, not measurable here) keep it.
pub(crate) const IN_FLIGHT: usize = 4;

/// Largest-|z|² accumulators of a block at AVX2: one for all four vectors (four would not fit its
/// 16 registers with z: 1.4× slower, spilled). Every other level keeps one per vector (AVX-512 and
/// NEON have 32 registers; SSE2 measured faster so), which scalar code needs: with one, LLVM's SLP
/// vectorizer packed the four scalar chains into one SSE register with shuffles around each step
/// (2.3× slower).
const PEAKS_AVX2: usize = 1;

/// Most lanes of any level (AVX-512's 16) times [`IN_FLIGHT`]: the size of a group's scratch.
const MAX_GROUP: usize = 16 * IN_FLIGHT;

/// The largest fraction of pixels in which the fused kernel may differ from the unfused
/// reference. Contracting moves chaotic boundary pixels only: a GPU driver that fused the plain
/// formula differed in 0.44% of [`super::verify_cases`]' pixels (module docs of
/// `mandelbrot`); this kernel with FMA (AVX2 here), on those cases and the awkward widths of
/// its tests, in 413 of 92,563 (0.45%).
pub const MAX_FUSED_DIFF_FRACTION: f64 = 0.01;

/// The levels Mandelbrot prefers, fastest first: the widest. Mandelbrot is pure
/// multiply-and-add on registers, so twice the lanes is nearly twice the speed, which outweighs
/// the 512-bit clock reduction of older Intel parts (at most about 15% on Skylake-SP's heavy
/// AVX-512 license). Measured on Zen 3 (no AVX-512), 2048x2048:1000 serial: AVX2 2.7× SSE2,
/// SSE2 1.4× scalar (docs/performance.md, "CPU kernels: instruction-set levels").
pub const PREFERENCE: [Isa; 5] = [Isa::Avx512, Isa::Avx2, Isa::Neon, Isa::Sse2, Isa::Scalar];

/// Fills `rows` (whole stored rows of the image, the first of them stored row `first_y`: see
/// [`Mandelbrot::row_y`]) with iteration
/// counts at level `isa`; `FUSED` picks the fused-multiply-add variant (module docs).
///
/// # Panics
///
/// If this CPU cannot run `isa`, or `rows` is not a whole number of rows.
pub fn fill_rows<const FUSED: bool>(isa: Isa, job: &Mandelbrot, first_y: usize, rows: &mut [u32]) {
    assert_eq!(rows.len() % job.width as usize, 0, "whole rows");
    dispatch(isa, Rows::<FUSED> { job, first_y, rows })
}

/// Computes the image on one thread, into `counts`, at level `isa`.
pub(super) fn serial_into<const FUSED: bool>(isa: Isa, job: &Mandelbrot, counts: &mut [u32]) {
    fill_rows::<FUSED>(isa, job, 0, counts);
}

/// Computes the image on the current Rayon pool, one row per task: rows cost very different
/// amounts (the set's interior is max_iter per pixel), and work stealing evens that out.
pub(super) fn rayon_into<const FUSED: bool>(isa: Isa, job: &Mandelbrot, counts: &mut [u32]) {
    counts
        .par_chunks_mut(job.width as usize)
        .enumerate()
        .for_each(|(y, row)| fill_rows::<FUSED>(isa, job, y, row));
}

/// The kernel: rows of the image.
struct Rows<'a, const FUSED: bool> {
    job: &'a Mandelbrot,
    first_y: usize,
    rows: &'a mut [u32],
}

impl<const FUSED: bool> SimdKernel for Rows<'_, FUSED> {
    type Output = ();

    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        // Eight lanes is AVX2 (no other level has them).
        if S::LANES == 8 {
            self.fill::<S, IN_FLIGHT, PEAKS_AVX2>(s)
        } else {
            self.fill::<S, IN_FLIGHT, IN_FLIGHT>(s)
        }
    }
}

impl<const FUSED: bool> Rows<'_, FUSED> {
    /// The rows, in groups of `NV` vectors of neighbouring pixels, with `P` accumulators of a
    /// block's largest |z|² (see [`escape_counts`]).
    #[inline(always)]
    fn fill<S: Simd, const NV: usize, const P: usize>(self, s: S) {
        let job = self.job;
        let (dx, dy) = job.pixel_size();
        let width = job.width as usize;
        let group = NV * S::LANES;
        if job.max_iter == 0 {
            // (A validated job has max_iter ≥ 1; escape_counts runs at least one iteration.)
            self.rows.fill(0);
            return;
        }
        // c's real parts, the same in every row: computed once per call (for Rayon, once per
        // row), not per group, and to whole groups (the lanes past the row's end compute
        // pixels that are never written). The same expression as the reference, so c is the
        // same f32 at every level.
        let cr: Vec<f32> = (0..width.div_ceil(group) * group)
            .map(|x| job.region.re_min + (x as u32 as f32 + 0.5) * dx)
            .collect();
        let mut scratch = [0u32; MAX_GROUP];
        for (r, row) in self.rows.chunks_mut(width).enumerate() {
            // Stored row k is row `row_y(k)` of the image (every row, or every ROW_STRIDE-th
            // of a part of the GPU's problem).
            let y = job.row_y((self.first_y + r) as u32);
            let ci = job.region.im_max - (y as f32 + 0.5) * dy;
            for (cr, out) in cr.chunks_exact(group).zip(row.chunks_mut(group)) {
                if out.len() == group {
                    escape_counts::<S, FUSED, NV, P>(s, cr, ci, job.max_iter, out);
                } else {
                    // The row's last, partial group.
                    escape_counts::<S, FUSED, NV, P>(s, cr, ci, job.max_iter, &mut scratch);
                    out.copy_from_slice(&scratch[..out.len()]);
                }
            }
        }
    }
}

/// Iterations in one block (module docs). Measured on Zen 3 at AVX2, 2048x2048:1000: 8 is
/// as fast as 4 and 2-5% faster than 6 and 16 (longer blocks are run twice more often).
const BLOCK: u32 = 8;

/// One iteration of one vector: returns |z|² of the z it started from, the value the escape
/// test compares with 4, and leaves z² + c in `zr`, `zi`. Escaped lanes are updated too (they
/// hold NaN, or grow to infinity and NaN, and are never counted again).
#[inline(always)]
fn step<S: Simd, const FUSED: bool>(
    s: S,
    zr: &mut S::F32,
    zi: &mut S::F32,
    cr: S::F32,
    ci: S::F32,
    two: S::F32,
) -> S::F32 {
    let (r, i) = (*zr, *zi);
    let (zr2, zi2) = (s.mul(r, r), s.mul(i, i));
    if FUSED {
        *zi = s.mul_add(s.mul(two, r), i, ci);
        *zr = s.mul_add(r, r, s.neg_mul_add(i, i, cr));
        s.mul_add(r, r, zi2)
    } else {
        *zi = s.add(s.mul(s.mul(two, r), i), ci);
        *zr = s.add(s.sub(zr2, zi2), cr);
        s.add(zr2, zi2)
    }
}

/// Iteration counts of the `NV * S::LANES` pixels `cr[..] + i·ci` into `counts`: blocks of
/// [`BLOCK`] iterations, run again iteration by iteration where a lane escaped in one (module
/// docs, "Blocks of iterations, counted exactly").
#[inline(always)]
fn escape_counts<S: Simd, const FUSED: bool, const NV: usize, const P: usize>(
    s: S,
    cr: &[f32],
    ci: f32,
    max_iter: u32,
    counts: &mut [u32],
) {
    let n = S::LANES;
    let cr: [S::F32; NV] = std::array::from_fn(|k| s.load(&cr[k * n..]));
    // 2·zr: LLVM turns a multiplication by a known 2 into zr + zr, an add; the unfused loop
    // has five adds (and a max) to three multiplications, so it gets a multiplication by a
    // 2 it cannot see (the same value, exactly). The fused loop is short of multiply units.
    let two = s.splat(if FUSED {
        2.0
    } else {
        std::hint::black_box(2.0)
    });
    let (ci, four) = (s.splat(ci), s.splat(4.0));
    let block = s.splat_u32(BLOCK);
    let mut zr = [s.splat(0.0); NV];
    let mut zi = [s.splat(0.0); NV];
    let mut active = [s.all_set(); NV];
    let mut count = [s.zero_u32(); NV];
    // Iterations done.
    let mut done = 0;
    while done < max_iter {
        if max_iter - done >= BLOCK {
            let start = (zr, zi);
            // The largest |z|² of the group's active lanes in the block. Escaped lanes hold
            // NaN (below), and `max(norm, peak)` keeps `peak` where norm is NaN; an active
            // lane's |z|² is finite until it has passed 4 (z is then at most 2 in size).
            let mut peak = [s.splat(0.0); P];
            // (`black_box`: unrolled eight times, the block's code spilled z at AVX2.)
            for _ in 0..std::hint::black_box(BLOCK) {
                for k in 0..NV {
                    let norm = step::<S, FUSED>(s, &mut zr[k], &mut zi[k], cr[k], ci, two);
                    peak[k % P] = s.max(norm, peak[k % P]);
                }
            }
            let peak = (1..P).fold(peak[0], |m, k| s.max(peak[k], m));
            if !s.any(s.greater(peak, four)) {
                for k in 0..NV {
                    count[k] = s.add_where(count[k], active[k], block);
                }
                done += BLOCK;
                continue;
            }
            (zr, zi) = start;
        }
        // Iteration by iteration: a lane counts an iteration if it had not escaped and
        // |z|² ≤ 4 now; escaped lanes keep iterating but never count again.
        let steps = BLOCK.min(max_iter - done);
        for _ in 0..steps {
            for k in 0..NV {
                let norm = step::<S, FUSED>(s, &mut zr[k], &mut zi[k], cr[k], ci, two);
                active[k] = s.and(active[k], s.not_greater(norm, four));
                count[k] = s.increment(count[k], active[k]);
            }
        }
        done += steps;
        if !s.any((1..NV).fold(active[0], |m, k| s.or(m, active[k]))) {
            break;
        }
        // An escaped lane's z becomes NaN, and stays NaN: its |z|² no longer raises `peak`
        // (it could fall back below 4, or overflow, and would send every later block here).
        for k in 0..NV {
            zr[k] = s.nan_where_clear(zr[k], active[k]);
        }
    }
    for (k, c) in count.into_iter().enumerate() {
        s.store_u32(c, &mut counts[k * n..]);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{reference, verify_cases, Region};
    use super::*;
    use crate::simd::portable::Portable;

    /// Awkward widths around every level's group (scalar 4, SSE2 16, AVX2 32, AVX-512 64
    /// pixels), whole groups only (48, 64), a zoom into the boundary, and iteration limits
    /// around the block of 8.
    fn cases() -> Vec<Mandelbrot> {
        let zoom = Region {
            re_min: -0.76,
            im_min: 0.08,
            re_max: -0.72,
            im_max: 0.12,
        };
        // Wider than the set: |c| up to 3, where an escaped z can come back inside 2.
        let wide = Region {
            re_min: -2.5,
            im_min: -1.8,
            re_max: 1.5,
            im_max: 1.8,
        };
        let mut jobs = verify_cases();
        for w in [1, 31, 33, 48, 64, 65, 100, 257] {
            for region in [Region::FULL, zoom] {
                jobs.push(Mandelbrot::new(w, 3, 300, region).unwrap());
            }
        }
        // Fewer iterations than a block, one block, a block and one, a few blocks and a part.
        for max_iter in [1, 7, 8, 9, 61] {
            for region in [Region::FULL, zoom, wide] {
                jobs.push(Mandelbrot::new(67, 5, max_iter, region).unwrap());
            }
        }
        jobs
    }

    /// Panics naming the first pixel where `got` and `expected` differ (not the whole images).
    #[track_caller]
    fn assert_same(got: &[u32], expected: &[u32], what: std::fmt::Arguments) {
        assert_eq!(got.len(), expected.len(), "{what}: pixel counts");
        if let Some(i) = (0..got.len()).find(|&i| got[i] != expected[i]) {
            let differing = (0..got.len()).filter(|&i| got[i] != expected[i]).count();
            panic!(
                "{what}: pixel {i} is {}, expected {} ({differing} pixels differ)",
                got[i], expected[i]
            );
        }
    }

    fn image<const FUSED: bool>(job: &Mandelbrot, run: impl FnOnce(&mut [u32])) -> Vec<u32> {
        let mut counts = vec![u32::MAX; job.pixels() as usize];
        run(&mut counts);
        assert!(counts.iter().all(|&c| c <= job.max_iter), "unwritten pixel");
        counts
    }

    #[test]
    fn sixteen_portable_lanes_equal_the_reference() {
        // The generic logic the AVX-512 level runs, at its width, on any CPU.
        for job in cases() {
            let got = image::<false>(&job, |c| {
                Rows::<false> {
                    job: &job,
                    first_y: 0,
                    rows: c,
                }
                .run(Portable::<16>)
            });
            assert_same(&got, &reference(&job).counts, format_args!("{job:?}"));
        }
    }

    #[test]
    fn every_level_here_equals_the_reference_serial_and_rayon() {
        let pool = crate::backend::rayon_pool(3).unwrap();
        for &isa in Isa::detected() {
            for job in cases() {
                let expected = reference(&job).counts;
                let serial = image::<false>(&job, |c| serial_into::<false>(isa, &job, c));
                assert_same(&serial, &expected, format_args!("{isa} serial {job:?}"));
                let rayon =
                    image::<false>(&job, |c| pool.install(|| rayon_into::<false>(isa, &job, c)));
                assert_same(&rayon, &expected, format_args!("{isa} rayon {job:?}"));
            }
        }
    }

    /// What the fused kernel computes in each lane, written plainly: with `f32::mul_add` (one
    /// rounding, on any CPU) where `fma`, else each multiply-add rounded twice in the same
    /// order (what levels without FMA do).
    fn fused_reference(job: &Mandelbrot, fma: bool) -> Vec<u32> {
        let mul_add = |a: f32, b: f32, c: f32| if fma { a.mul_add(b, c) } else { a * b + c };
        let (dx, dy) = job.pixel_size();
        let mut counts = Vec::new();
        for y in 0..job.height {
            for x in 0..job.width {
                let cr = job.region.re_min + (x as f32 + 0.5) * dx;
                let ci = job.region.im_max - (y as f32 + 0.5) * dy;
                let (mut zr, mut zi, mut n) = (0.0f32, 0.0f32, 0);
                while n < job.max_iter && mul_add(zr, zr, zi * zi) <= 4.0 {
                    let next_r = mul_add(
                        zr,
                        zr,
                        if fma {
                            (-zi).mul_add(zi, cr)
                        } else {
                            cr - zi * zi
                        },
                    );
                    (zr, zi) = (next_r, mul_add(2.0 * zr, zi, ci));
                    n += 1;
                }
                counts.push(n);
            }
        }
        counts
    }

    #[test]
    fn fused_kernel_is_the_fused_formula_and_differs_only_on_the_boundary() {
        // Levels with FMA compute exactly the fused formula; the others (scalar, SSE2, and the
        // portable lanes) the same formula with each multiply-add rounded twice. Every level
        // stays within the bound of the unfused reference; serial and Rayon agree bit for bit.
        let pool = crate::backend::rayon_pool(2).unwrap();
        let levels = Isa::detected().iter().map(|&i| Some(i)).chain([None]);
        for isa in levels {
            let (mut pixels, mut differing) = (0u64, 0u64);
            for job in cases() {
                let got = image::<true>(&job, |c| match isa {
                    Some(isa) => serial_into::<true>(isa, &job, c),
                    None => Rows::<true> {
                        job: &job,
                        first_y: 0,
                        rows: c,
                    }
                    .run(Portable::<16>),
                });
                let unfused = reference(&job).counts;
                let fma = matches!(isa, Some(Isa::Avx2 | Isa::Avx512 | Isa::Neon));
                let formula = fused_reference(&job, fma);
                assert_same(&got, &formula, format_args!("{isa:?} fused {job:?}"));
                if let Some(isa) = isa {
                    let rayon =
                        image::<true>(&job, |c| pool.install(|| rayon_into::<true>(isa, &job, c)));
                    assert_same(&rayon, &got, format_args!("{isa} fused: rayon and serial"));
                }
                pixels += got.len() as u64;
                differing += got.iter().zip(&unfused).filter(|(a, b)| a != b).count() as u64;
            }
            let fraction = differing as f64 / pixels as f64;
            eprintln!("{isa:?} fused: {differing} of {pixels} pixels differ from unfused");
            assert!(
                fraction <= MAX_FUSED_DIFF_FRACTION,
                "{isa:?} fused: {differing} of {pixels} pixels differ ({fraction})"
            );
        }
    }
}
