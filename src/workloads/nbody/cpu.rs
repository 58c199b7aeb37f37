//! The CPU kernel of N-body, written once over [`Simd`] vectors and run at the level the
//! caller gives ([`crate::simd::dispatch`]): serial over all bodies in one call, Rayon one
//! chunk of bodies per task, both through the same per-body function, so they are
//! bit-identical at every level.
//!
//! Each step first copies the positions into a structure of arrays ([`Soa`]: x, y, z and mass
//! each contiguous, padded with massless bodies to a whole number of vectors), so one load
//! fills a vector with one coordinate of `LANES` bodies. Body i's acceleration is then a loop
//! over vectors of bodies j with one Newton-refined `rsqrt` for 1/|r| like the GPU's
//! `inverseSqrt` (src/simd/mod.rs: `Simd::rsqrt`), summed into [`VECTOR_SETS`] set of
//! accumulators at vector levels (a step's ~17 operations take longer to issue than the
//! accumulating FMA's latency, and a second set's registers made LLVM spill the body's
//! position and an accumulator at AVX2) and [`SCALAR_SETS`] at scalar (one lane a step: the
//! adds into one set would wait on each other). A padded body has mass 0, and a body's own
//! term has d = 0 (softening keeps r² > 0), so both add exactly 0.
//!
//! Accuracy (the bound is [`ACCEL_TOLERANCE`](super::ACCEL_TOLERANCE)): the refined `rsqrt`
//! is within a few units in the last place of 1/|r| (relative error about 2⁻²²; 1/|r|³ triples
//! it), so each term is off by under 1e-6 of its magnitude and the sum of the terms by under
//! 1e-6 of the sum of their magnitudes, on top of the summation's rounding (partial sums in
//! every lane, added at the end).

use super::{NBody, NBodyResult};
use crate::isa::Isa;
use crate::simd::{dispatch, Simd, SimdKernel};
use rayon::prelude::*;

/// The levels N-body prefers, fastest first: the widest. The loop is multiplies, adds and one
/// `rsqrt` on registers, so wider vectors are nearly proportionally faster, which outweighs
/// the 512-bit clock reduction of older Intel parts; AVX-512's `rsqrt14` also needs the same
/// single Newton step. Measured on Zen 3 (no AVX-512), 8192 bodies serial: AVX2 4× SSE2, SSE2
/// 2.9× scalar (docs/performance.md, "CPU kernels: instruction-set levels").
pub const PREFERENCE: [Isa; 5] = [Isa::Avx512, Isa::Avx2, Isa::Neon, Isa::Sse2, Isa::Scalar];

/// The arrays are padded to a multiple of this many bodies, which every level's step of the
/// inner loop (one vector per accumulator set: 16 bodies at AVX-512, 4 at scalar) divides.
const PAD: usize = 32;

/// Sets of accumulators at vector levels, and at scalar (module docs). Measured on Zen 3, 8192
/// bodies, one core (docs/performance.md, "Mandelbrot and N-body against their C peers"):
/// AVX2 with 1 set takes 0.90 of 2 sets' time, SSE2 0.96; scalar with 4 sets 0.69 of 2's.
const VECTOR_SETS: usize = 1;
/// See [`VECTOR_SETS`].
const SCALAR_SETS: usize = 4;

/// Positions as a structure of arrays, padded with massless bodies at the origin to a multiple
/// of [`PAD`].
#[derive(Clone, Debug, Default)]
pub(super) struct Soa {
    x: Vec<f32>,
    y: Vec<f32>,
    z: Vec<f32>,
    m: Vec<f32>,
}

impl Soa {
    /// The arrays of `pos` (xyz, mass in w).
    pub(super) fn fill(&mut self, pos: &[[f32; 4]]) {
        let padded = pos.len().div_ceil(PAD) * PAD;
        for (k, array) in [&mut self.x, &mut self.y, &mut self.z, &mut self.m]
            .into_iter()
            .enumerate()
        {
            array.clear();
            array.extend(pos.iter().map(|p| p[k]));
            array.resize(padded, 0.0);
        }
    }
}

/// Updates bodies `first..first + out.len()` at level `isa` (their new positions, velocities
/// and accelerations in `out`, `vel`, `acc`) from the positions `pos_in`, whose arrays are
/// `soa`: serial over all bodies, Rayon per chunk.
pub(super) struct StepBodies<'a> {
    pub(super) soa: &'a Soa,
    pub(super) pos_in: &'a [[f32; 4]],
    pub(super) first: usize,
    pub(super) job: &'a NBody,
    pub(super) out: &'a mut [[f32; 4]],
    pub(super) vel: &'a mut [[f32; 4]],
    pub(super) acc: &'a mut [[f32; 4]],
}

impl SimdKernel for StepBodies<'_> {
    type Output = ();

    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        let job = self.job;
        let eps2 = job.softening * job.softening;
        let bodies = self.out.iter_mut().zip(self.vel).zip(self.acc);
        for (k, ((out, vel), acc)) in bodies.enumerate() {
            let me = self.pos_in[self.first + k];
            let a = if S::LANES == 1 {
                acceleration::<S, SCALAR_SETS>(s, self.soa, me, eps2)
            } else {
                acceleration::<S, VECTOR_SETS>(s, self.soa, me, eps2)
            };
            // Symplectic Euler, as every backend does it.
            for k in 0..3 {
                vel[k] += a[k] * job.dt;
                out[k] = me[k] + vel[k] * job.dt;
            }
            out[3] = me[3];
            *acc = [a[0], a[1], a[2], 0.0];
        }
    }
}

/// The acceleration of a body at `me` from every body in `soa`.
#[inline(always)]
fn acceleration<S: Simd, const SETS: usize>(s: S, soa: &Soa, me: [f32; 4], eps2: f32) -> [f32; 3] {
    let n = S::LANES;
    let (px, py, pz, e) = (
        s.splat(me[0]),
        s.splat(me[1]),
        s.splat(me[2]),
        s.splat(eps2),
    );
    let zero = s.splat(0.0);
    let mut a = [[zero; 3]; SETS];
    let step = SETS * n;
    let js = (soa.x.chunks_exact(step).zip(soa.y.chunks_exact(step)))
        .zip(soa.z.chunks_exact(step).zip(soa.m.chunks_exact(step)));
    for ((x, y), (z, m)) in js {
        for (u, a) in a.iter_mut().enumerate() {
            let o = u * n;
            let dx = s.sub(s.load(&x[o..]), px);
            let dy = s.sub(s.load(&y[o..]), py);
            let dz = s.sub(s.load(&z[o..]), pz);
            let r2 = s.mul_add(dx, dx, s.mul_add(dy, dy, s.mul_add(dz, dz, e)));
            let inv = s.rsqrt(r2);
            let f = s.mul(s.load(&m[o..]), s.mul(s.mul(inv, inv), inv));
            a[0] = s.mul_add(dx, f, a[0]);
            a[1] = s.mul_add(dy, f, a[1]);
            a[2] = s.mul_add(dz, f, a[2]);
        }
    }
    std::array::from_fn(|k| s.sum((1..SETS).fold(a[0][k], |t, u| s.add(t, a[u][k]))))
}

/// Bodies per Rayon task: each costs N interactions, so even small chunks are long enough.
pub(super) const CPU_CHUNK: usize = 64;

/// CPU state: two position arrays that swap roles each step, velocities, accelerations, the
/// positions as arrays, and the level the kernel runs at.
pub(super) struct CpuState {
    isa: Isa,
    pos: [Vec<[f32; 4]>; 2],
    vel: Vec<[f32; 4]>,
    acc: Vec<[f32; 4]>,
    soa: Soa,
}

impl CpuState {
    pub(super) fn new(n: usize, isa: Isa) -> CpuState {
        CpuState {
            isa,
            pos: [vec![[0.0; 4]; n], vec![[0.0; 4]; n]],
            vel: vec![[0.0; 4]; n],
            acc: vec![[0.0; 4]; n],
            soa: Soa::default(),
        }
    }

    /// The level the kernel runs at.
    pub(super) fn isa(&self) -> Isa {
        self.isa
    }

    /// Copies `initial` in: a run's inputs stage (what the GPU's upload is).
    pub(super) fn load(&mut self, initial: &super::Bodies) {
        self.pos[0].copy_from_slice(&initial.pos);
        self.vel.copy_from_slice(&initial.vel);
    }

    /// Runs `job.steps` steps from the loaded bodies, on the current Rayon pool when `parallel`.
    pub(super) fn run(&mut self, job: &NBody, parallel: bool) {
        let isa = self.isa;
        for step in 0..job.steps as usize {
            let (a, b) = self.pos.split_at_mut(1);
            let (src, dst) = if step % 2 == 0 {
                (&a[0], &mut b[0])
            } else {
                (&b[0], &mut a[0])
            };
            self.soa.fill(src);
            let soa = &self.soa;
            let kernel = |first, out, vel, acc| StepBodies {
                soa,
                pos_in: src,
                first,
                job,
                out,
                vel,
                acc,
            };
            if parallel {
                dst.par_chunks_mut(CPU_CHUNK)
                    .zip(self.vel.par_chunks_mut(CPU_CHUNK))
                    .zip(self.acc.par_chunks_mut(CPU_CHUNK))
                    .enumerate()
                    .for_each(|(c, ((out, vel), acc))| {
                        dispatch(isa, kernel(c * CPU_CHUNK, out, vel, acc))
                    });
            } else {
                dispatch(isa, kernel(0, dst, &mut self.vel, &mut self.acc));
            }
        }
    }

    /// The final state, copied out: a run's results stage (what the GPU's readback is).
    pub(super) fn result(&self, job: &NBody) -> NBodyResult {
        NBodyResult {
            bodies: super::Bodies {
                pos: self.pos[job.steps as usize % 2].clone(),
                vel: self.vel.clone(),
            },
            accel: self.acc.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{reference_accelerations, term_magnitudes, Bodies, ACCEL_TOLERANCE};
    use super::*;
    use crate::simd::portable::Portable;

    /// The worst acceleration error, relative to the sum of the terms' magnitudes, of one step
    /// of `n` bodies, the kernel run by `run`.
    fn worst_error(n: u32, run: impl Fn(StepBodies<'_>)) -> f64 {
        let job = NBody::new(
            n,
            1,
            super::super::DEFAULT_DT,
            super::super::DEFAULT_SOFTENING,
        )
        .unwrap();
        let bodies = Bodies::cluster(n, n as u64);
        let mut soa = Soa::default();
        soa.fill(&bodies.pos);
        let n = n as usize;
        let (mut out, mut vel, mut acc) = (
            vec![[0.0; 4]; n],
            bodies.vel.clone(),
            vec![[f32::NAN; 4]; n],
        );
        run(StepBodies {
            soa: &soa,
            pos_in: &bodies.pos,
            first: 0,
            job: &job,
            out: &mut out,
            vel: &mut vel,
            acc: &mut acc,
        });
        let expected = reference_accelerations(&bodies.pos, job.softening);
        let scale = term_magnitudes(&bodies.pos, job.softening);
        (0..n)
            .map(|i| {
                let err: f64 = (0..3)
                    .map(|k| (acc[i][k] as f64 - expected[i][k]).powi(2))
                    .sum::<f64>()
                    .sqrt();
                if err.is_nan() {
                    f64::INFINITY
                } else {
                    err / scale[i]
                }
            })
            .fold(0.0, f64::max)
    }

    /// Awkward body counts around every level's step (2, 8, 16, 32 bodies).
    const SIZES: [u32; 7] = [1, 31, 33, 65, 100, 257, 1000];

    #[test]
    fn sixteen_portable_lanes_are_within_the_tolerance() {
        // The generic logic the AVX-512 level runs (padding, two accumulator sets, lane
        // sums), at its width, on any CPU.
        for n in SIZES {
            let e = worst_error(n, |kernel| kernel.run(Portable::<16>));
            assert!(e < 1e-5, "{n} bodies: {e:e}");
        }
    }

    #[test]
    fn every_level_here_is_within_the_tolerance() {
        for &isa in Isa::detected() {
            for n in SIZES {
                let e = worst_error(n, |kernel| dispatch(isa, kernel));
                // Well inside the workload's bound: the Newton-refined rsqrt costs ~1e-6.
                assert!(e < ACCEL_TOLERANCE / 10.0, "{isa}, {n} bodies: {e:e}");
            }
        }
    }

    #[test]
    fn serial_and_rayon_are_bit_identical_at_every_level() {
        let pool = crate::backend::rayon_pool(3).unwrap();
        for &isa in Isa::detected() {
            for n in [1, 65, 257] {
                let job = NBody::new(n, 3, 1e-3, 0.05).unwrap();
                let bodies = Bodies::cluster(n, 9);
                let run = |parallel| {
                    let mut state = CpuState::new(n as usize, isa);
                    state.load(&bodies);
                    state.run(&job, parallel);
                    state.result(&job)
                };
                let serial = run(false);
                let rayon = pool.install(|| run(true));
                assert_eq!(serial, rayon, "{isa}, {n} bodies");
            }
        }
    }
}
