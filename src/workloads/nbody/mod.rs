//! N-body: all-pairs gravity (G = 1) with Plummer softening ε, then one symplectic Euler step
//! (v ← v + a·dt, r ← r + v·dt; with v read as the half-step velocity this is leapfrog).
//! Compute-bound with heavy data reuse: every body's position is read by every other body, which
//! the GPU kernel serves from workgroup memory, 256 positions per tile.
//!
//! Size notation: `N` or `N:STEPS` (default [`DEFAULT_STEPS`]) bodies of a random cluster
//! ([`Bodies::cluster`]). The unit is the body-interaction: N² per step.
//!
//! # Checking float results
//!
//! Every backend works in f32; the oracle ([`reference_accelerations`], [`reference_run`]) in
//! f64 from the same f32 inputs. Two checks:
//!
//! - **Accelerations**, one step from a random cluster: for body i the error |a_i − a_i^ref| is
//!   measured relative to Σ_j |term_ij|, the sum of the magnitudes of the terms it adds up
//!   (cancellation makes |a_i^ref| itself a poor yardstick: it can be near zero). Recursive f32
//!   summation of N terms is off by at most about N·2⁻²⁴ of that sum (Higham, *Accuracy and
//!   Stability of Numerical Algorithms*, §4.2), 1.5e-5 for N = 257, plus a few units in the last
//!   place per term (WGSL allows `inverseSqrt` 2 ULP; the CPU kernels' `rsqrt` estimate refined
//!   by one Newton step is within about 2⁻²² relative, so each term within about 1e-6, see
//!   src/workloads/nbody/cpu.rs). [`ACCEL_TOLERANCE`] = 1e-4 covers that for
//!   every N the checks use (≤ 1000) with room, and still catches a missing or doubled term.
//! - **Energy drift** over k steps of a stable configuration ([`Bodies::disc`]: light bodies on
//!   circular orbits around a heavy one), and the final positions against the same k steps in
//!   f64 ([`ENERGY_TOLERANCE`], [`POSITION_TOLERANCE`]).

mod cpu;
mod gpu;

use super::single::{count_and_suffix, OptionKind, RunOption, RunOptions, RunReport, SingleRun};
use super::{
    Check, Device, DeviceSize, Engine, Prepared, Problem, RunClock, RunTiming, WorkCounts, Workload,
};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::gpu::ShaderBuild;
use crate::isa::Isa;
use crate::peak::Measure;
use crate::random::SplitMix64;
use cpu::CpuState;
pub use cpu::PREFERENCE as CPU_PREFERENCE;
pub use gpu::{steps_per_submit, GpuNBody, MAX_STEPS_PER_SUBMIT, NBODY_WGSL};
use rayon::prelude::*;
use std::time::Instant;

/// Bodies per workgroup and per tile in nbody.wgsl.
const TILE: u64 = 256;

/// Steps per run when the size does not say.
pub const DEFAULT_STEPS: u32 = 4;

/// Time step of the benchmark and of the checks.
pub const DEFAULT_DT: f32 = 1e-3;

/// Softening length ε of the benchmark and of the checks.
pub const DEFAULT_SOFTENING: f32 = 0.05;

/// Most bodies accepted: the kernel runs one workgroup per tile in a 1-D dispatch of at most
/// 65535 workgroups.
pub const MAX_BODIES: u32 = 65535 * TILE as u32;

/// Most steps per run.
pub const MAX_STEPS: u32 = 1_000_000;

/// Bound on each body's acceleration error relative to the sum of its terms' magnitudes (see the
/// module docs for why).
pub const ACCEL_TOLERANCE: f64 = 1e-4;

/// Bound on the relative energy drift of [`energy_check`]'s disc over its steps. Measured: 3.7e-8
/// over 200 steps on every backend here (CPU and lavapipe); a step that drops or doubles the kick
/// drifts by orders of magnitude more.
pub const ENERGY_TOLERANCE: f64 = 1e-6;

/// Bound on [`energy_check`]'s final positions against f64, relative to the disc's radius.
/// Measured: 7.6e-7 after 200 steps (f32 rounding of positions near 1 is 6e-8 per step).
pub const POSITION_TOLERANCE: f64 = 1e-5;

/// Positions (xyz, mass in w) and velocities (xyz, w unused) of N bodies, in f32: the layout the
/// GPU buffers hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Bodies {
    /// x, y, z, mass.
    pub pos: Vec<[f32; 4]>,
    /// vx, vy, vz, 0.
    pub vel: Vec<[f32; 4]>,
}

impl Bodies {
    /// Number of bodies.
    pub fn len(&self) -> usize {
        self.pos.len()
    }

    /// True when there are no bodies.
    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    /// `n` bodies of mass 1/n spread uniformly through the unit ball, with small random
    /// velocities: a generic benchmark configuration.
    pub fn cluster(n: u32, seed: u64) -> Bodies {
        let mut rng = SplitMix64::new(seed);
        let mut unit = move || (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
        let mut pos = Vec::with_capacity(n as usize);
        let mut vel = Vec::with_capacity(n as usize);
        while pos.len() < n as usize {
            let (x, y, z) = (unit(), unit(), unit());
            if x * x + y * y + z * z > 1.0 {
                continue; // rejection sampling: keep points inside the ball
            }
            pos.push([x, y, z, 1.0 / n as f32]);
            vel.push([unit() * 0.1, unit() * 0.1, unit() * 0.1, 0.0]);
        }
        Bodies { pos, vel }
    }

    /// A stable configuration for energy checks: a central body of mass 1 and `n − 1` bodies of
    /// total mass 10⁻³ on circular orbits of radius 1 to 2 in the xy-plane, each with the speed
    /// that balances the central body's softened pull, so the system barely changes over a few
    /// hundred steps.
    pub fn disc(n: u32, seed: u64, softening: f32) -> Bodies {
        let mut rng = SplitMix64::new(seed);
        let mut unit = move || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let mut pos = vec![[0.0, 0.0, 0.0, 1.0]];
        let mut vel = vec![[0.0; 4]];
        let light = 1e-3 / (n.max(2) - 1) as f64;
        let eps2 = softening as f64 * softening as f64;
        for _ in 1..n {
            let r = 1.0 + unit();
            let angle = unit() * std::f64::consts::TAU;
            // a(r) = r / (r² + ε²)^{3/2} towards the centre; v²/r = a(r).
            let speed = (r * r / (r * r + eps2).powf(1.5)).sqrt();
            pos.push([
                (r * angle.cos()) as f32,
                (r * angle.sin()) as f32,
                0.0,
                light as f32,
            ]);
            vel.push([
                (-speed * angle.sin()) as f32,
                (speed * angle.cos()) as f32,
                0.0,
                0.0,
            ]);
        }
        Bodies { pos, vel }
    }

    /// Kinetic energy Σ ½mv² in f64. Unlike the total energy, which the step conserves, it moves
    /// by percents over a few steps under the forces, so it shows a wrong force: the C peer's
    /// checksum (peers/nbody.c) is this value.
    pub fn kinetic_energy(&self) -> f64 {
        (self.pos.iter().zip(&self.vel))
            .map(|(p, v)| {
                let v2: f64 = (0..3).map(|k| v[k] as f64 * v[k] as f64).sum();
                0.5 * p[3] as f64 * v2
            })
            .sum()
    }

    /// Total energy in f64: kinetic Σ ½mv² plus the softened potential −Σ_{i<j} m_i m_j /
    /// √(r_ij² + ε²), the potential whose gradient is the softened force the step uses.
    ///
    /// O(n²) like a step, and outside every timed region, but a user waits for it: `bench`
    /// prints it for each row, and at the 65536 bodies that fill a GPU one thread took seconds
    /// a call. The pairs are summed on the Rayon pool in blocks of `ENERGY_BLOCK` rows, the
    /// blocks' sums added in block order, so the result is the same f64 on any number of threads.
    pub fn energy(&self, softening: f32) -> f64 {
        let eps2 = softening as f64 * softening as f64;
        let pos = &self.pos;
        let block_sums: Vec<f64> = (0..pos.len().div_ceil(ENERGY_BLOCK))
            .into_par_iter()
            .map(|block| {
                let rows = block * ENERGY_BLOCK..((block + 1) * ENERGY_BLOCK).min(pos.len());
                let mut potential = 0.0;
                for i in rows {
                    let p = pos[i];
                    for q in &pos[i + 1..] {
                        let r2: f64 = (0..3).map(|k| (q[k] as f64 - p[k] as f64).powi(2)).sum();
                        potential -= p[3] as f64 * q[3] as f64 / (r2 + eps2).sqrt();
                    }
                }
                potential
            })
            .collect();
        self.kinetic_energy() + block_sums.iter().sum::<f64>()
    }
}

/// Rows of the pair triangle one task of [`Bodies::energy`] sums: fixed, so the order of the f64
/// additions, and so the result, does not depend on the number of threads.
const ENERGY_BLOCK: usize = 64;

/// One N-body job: body count, steps per run, time step and softening.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NBody {
    /// Number of bodies.
    pub n: u32,
    /// Steps per run.
    pub steps: u32,
    /// Time step.
    pub dt: f32,
    /// Softening length ε (> 0, which also makes each body's force on itself exactly 0).
    pub softening: f32,
}

impl NBody {
    /// A validated job: 1 ≤ n ≤ [`MAX_BODIES`], 1 ≤ steps ≤ [`MAX_STEPS`], dt and softening
    /// positive and finite, state within host memory.
    pub fn new(n: u32, steps: u32, dt: f32, softening: f32) -> Result<NBody> {
        if n == 0 || n > MAX_BODIES {
            return Err(Error::InvalidSize(format!(
                "nbody: {n} bodies; must be between 1 and {MAX_BODIES}"
            )));
        }
        if steps == 0 || steps > MAX_STEPS {
            return Err(Error::InvalidArgument(format!(
                "nbody: {steps} steps; must be between 1 and {MAX_STEPS}"
            )));
        }
        if !(dt.is_finite() && dt > 0.0) {
            return Err(Error::InvalidArgument(format!(
                "nbody: time step {dt} must be positive and finite"
            )));
        }
        if !(softening.is_finite() && softening > 0.0) {
            return Err(Error::InvalidArgument(format!(
                "nbody: softening {softening} must be positive and finite (it keeps each body's pull on itself at 0)"
            )));
        }
        // Initial state, two position arrays, velocities and accelerations: 16 bytes each.
        super::check_host_memory("the nbody state", n as u64 * 16 * 6)?;
        Ok(NBody {
            n,
            steps,
            dt,
            softening,
        })
    }

    /// Parses the workload's size notation, `N` or `N:STEPS`, with the default dt and softening.
    pub fn parse(size: &str) -> Result<NBody> {
        let bad = || {
            Error::InvalidArgument(format!(
                "nbody size '{size}': expected N or N:STEPS, e.g. 8192:4"
            ))
        };
        let (n, steps) = match size.split_once(':') {
            Some((n, s)) => (n, s.trim().parse().map_err(|_| bad())?),
            None => (size, DEFAULT_STEPS),
        };
        let n = super::parse_count(n, "nbody body count")?;
        let n = u32::try_from(n)
            .map_err(|_| Error::InvalidSize(format!("nbody: {n} bodies; at most {MAX_BODIES}")))?;
        NBody::new(n, steps, DEFAULT_DT, DEFAULT_SOFTENING)
    }

    /// Body-interactions per run: N² per step.
    pub fn interactions(&self) -> f64 {
        self.n as f64 * self.n as f64 * self.steps as f64
    }
}

/// The state after a run, and the accelerations computed in its last step.
#[derive(Clone, Debug, PartialEq)]
pub struct NBodyResult {
    /// Positions and velocities after the last step.
    pub bodies: Bodies,
    /// Accelerations (xyz, 0) at the positions before the last step.
    pub accel: Vec<[f32; 4]>,
}

/// The oracle's accelerations, in f64, at the f32 positions `pos`: the plain double sum.
pub fn reference_accelerations(pos: &[[f32; 4]], softening: f32) -> Vec<[f64; 3]> {
    let p64: Vec<[f64; 4]> = pos.iter().map(|p| p.map(|v| v as f64)).collect();
    reference_accel_f64(&p64, softening as f64)
}

fn reference_accel_f64(pos: &[[f64; 4]], softening: f64) -> Vec<[f64; 3]> {
    let eps2 = softening * softening;
    pos.iter()
        .map(|p| {
            let mut a = [0.0; 3];
            for q in pos {
                let d = [q[0] - p[0], q[1] - p[1], q[2] - p[2]];
                let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2] + eps2;
                let s = q[3] / (r2 * r2.sqrt());
                for k in 0..3 {
                    a[k] += d[k] * s;
                }
            }
            a
        })
        .collect()
}

/// For each body, Σ_j |term_ij|: the scale of its acceleration's rounding error.
fn term_magnitudes(pos: &[[f32; 4]], softening: f32) -> Vec<f64> {
    let eps2 = softening as f64 * softening as f64;
    pos.iter()
        .map(|p| {
            pos.iter()
                .map(|q| {
                    let r2: f64 = (0..3).map(|k| (q[k] as f64 - p[k] as f64).powi(2)).sum();
                    q[3] as f64 * r2.sqrt() / (r2 + eps2).powf(1.5)
                })
                .sum()
        })
        .collect()
}

/// The oracle's `steps` steps in f64 from `bodies`: positions and velocities.
pub fn reference_run(bodies: &Bodies, job: &NBody) -> (Vec<[f64; 4]>, Vec<[f64; 3]>) {
    let mut pos: Vec<[f64; 4]> = bodies.pos.iter().map(|p| p.map(|v| v as f64)).collect();
    let mut vel: Vec<[f64; 3]> = bodies
        .vel
        .iter()
        .map(|v| [v[0] as f64, v[1] as f64, v[2] as f64])
        .collect();
    let dt = job.dt as f64;
    for _ in 0..job.steps {
        let acc = reference_accel_f64(&pos, job.softening as f64);
        for ((p, v), a) in pos.iter_mut().zip(&mut vel).zip(&acc) {
            for k in 0..3 {
                v[k] += a[k] * dt;
                p[k] += v[k] * dt;
            }
        }
    }
    (pos, vel)
}

/// An N-body job prepared on one backend: every run starts again from the same initial bodies.
pub struct NBodyRun {
    job: NBody,
    initial: Bodies,
    engine: Engine<CpuState, GpuNBody>,
    last: Option<NBodyResult>,
}

impl NBodyRun {
    /// Prepares `job` from `initial` (which must hold `job.n` bodies) on `backend`.
    pub fn new(backend: &Backend, job: NBody, initial: Bodies) -> Result<NBodyRun> {
        if initial.len() != job.n as usize || initial.vel.len() != job.n as usize {
            return Err(Error::InvalidArgument(format!(
                "nbody: {} positions and {} velocities for {} bodies",
                initial.len(),
                initial.vel.len(),
                job.n
            )));
        }
        let n = job.n as usize;
        let engine = Engine::at_level(
            backend,
            &CPU_PREFERENCE,
            |isa| CpuState::new(n, isa),
            |ctx| GpuNBody::new(ctx, &job),
        )?;
        Ok(NBodyRun {
            job,
            initial,
            engine,
            last: None,
        })
    }

    /// Runs the job's steps from the initial bodies; returns the final state and the run's
    /// timing. Inputs: positions and velocities (copied in, or uploaded); results: positions,
    /// velocities and accelerations in host memory.
    pub fn simulate(&mut self) -> Result<(NBodyResult, RunTiming)> {
        let clock = RunClock::start();
        let n = self.job.n as u64;
        let (result, timing) = match &mut self.engine {
            Engine::Serial(state) => {
                state.load(&self.initial);
                let kernel = clock.ready(2 * n * 16);
                state.run(&self.job, false);
                let results = kernel.done(None);
                (state.result(&self.job), results.on_host(3 * n * 16))
            }
            Engine::Rayon(pool, state) => {
                state.load(&self.initial);
                let kernel = clock.ready(2 * n * 16);
                pool.install(|| state.run(&self.job, true));
                let results = kernel.done(None);
                (state.result(&self.job), results.on_host(3 * n * 16))
            }
            Engine::Gpu(gpu) => gpu.run(&self.initial, clock)?,
        };
        self.last = Some(result.clone());
        Ok((result, timing))
    }
}

impl Prepared for NBodyRun {
    fn run(&mut self) -> Result<RunTiming> {
        self.simulate().map(|(_, timing)| timing)
    }

    fn work(&self) -> f64 {
        self.job.interactions()
    }

    fn cpu_isa(&self) -> Option<Isa> {
        self.engine.cpu().map(CpuState::isa)
    }

    fn result_summary(&self) -> Option<String> {
        self.last.as_ref().map(|r| {
            let e0 = self.initial.energy(self.job.softening);
            let e1 = r.bodies.energy(self.job.softening);
            format!(
                "energy {e0:.6e} -> {e1:.6e} (drift {:.2e}), kinetic {:.9e}",
                ((e1 - e0) / e0).abs(),
                r.bodies.kinetic_energy()
            )
        })
    }
}

/// Runs `job` from `initial` once on `backend`.
pub fn simulate(backend: &Backend, job: NBody, initial: Bodies) -> Result<NBodyResult> {
    NBodyRun::new(backend, job, initial)?
        .simulate()
        .map(|(r, _)| r)
}

/// The largest acceleration error of one step, and where.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AccelError {
    /// The body with the largest error.
    pub body: usize,
    /// Its error relative to the sum of its terms' magnitudes.
    pub relative: f64,
}

/// One step of a random cluster of `n` bodies on `backend`: the largest acceleration error
/// against the f64 oracle. NaN (an unwritten body) counts as an infinite error.
pub fn accel_check(backend: &Backend, n: u32, seed: u64) -> Result<AccelError> {
    let job = NBody::new(n, 1, DEFAULT_DT, DEFAULT_SOFTENING)?;
    let bodies = Bodies::cluster(n, seed);
    let expected = reference_accelerations(&bodies.pos, job.softening);
    let scale = term_magnitudes(&bodies.pos, job.softening);
    let got = simulate(backend, job, bodies)?;
    let mut worst = AccelError {
        body: 0,
        relative: 0.0,
    };
    for (i, (a, e)) in got.accel.iter().zip(&expected).enumerate() {
        let err: f64 = (0..3)
            .map(|k| (a[k] as f64 - e[k]).powi(2))
            .sum::<f64>()
            .sqrt();
        let relative = if err.is_nan() {
            f64::INFINITY
        } else {
            err / scale[i].max(f64::MIN_POSITIVE)
        };
        if relative > worst.relative {
            worst = AccelError { body: i, relative };
        }
    }
    Ok(worst)
}

/// How a stable disc fared over many steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EnergyCheck {
    /// Steps run.
    pub steps: u32,
    /// |E_k − E_0| / |E_0|.
    pub drift: f64,
    /// Largest distance of a final position from the f64 run, relative to the disc's radius (2).
    pub position_error: f64,
}

/// Runs `steps` steps of a disc of `n` bodies ([`Bodies::disc`]) on `backend`: energy drift and
/// final positions against the f64 oracle.
pub fn energy_check(backend: &Backend, n: u32, steps: u32) -> Result<EnergyCheck> {
    let job = NBody::new(n, steps, DEFAULT_DT, DEFAULT_SOFTENING)?;
    let bodies = Bodies::disc(n, 7, job.softening);
    let e0 = bodies.energy(job.softening);
    let (ref_pos, _) = reference_run(&bodies, &job);
    let got = simulate(backend, job, bodies)?;
    let e1 = got.bodies.energy(job.softening);
    let position_error = got
        .bodies
        .pos
        .iter()
        .zip(&ref_pos)
        .map(|(p, r)| {
            let d: f64 = (0..3).map(|k| (p[k] as f64 - r[k]).powi(2)).sum();
            d.sqrt() / 2.0
        })
        .fold(
            0.0,
            |m: f64, e| if e.is_nan() { f64::INFINITY } else { m.max(e) },
        );
    Ok(EnergyCheck {
        steps,
        drift: if e1.is_nan() {
            f64::INFINITY
        } else {
            ((e1 - e0) / e0).abs()
        },
        position_error,
    })
}

/// Body counts the checks use: awkward, crossing the 256-body tile boundary.
pub const CHECK_SIZES: &[u32] = &[1, 31, 33, 63, 65, 100, 257];

/// A benchmark's N-body problem: the job on a cluster of bodies from seed 42.
impl Problem for NBody {
    fn prepare(&self, backend: &Backend) -> Result<Box<dyn Prepared>> {
        let bodies = Bodies::cluster(self.n, 42);
        Ok(Box::new(NBodyRun::new(backend, *self, bodies)?))
    }

    fn per_unit(&self) -> String {
        format!(
            "{} bodies of cluster seed 42, dt {}, softening {}",
            self.n, self.dt, self.softening
        )
    }
}

/// N-body as a benchmark workload.
pub struct NBodyWorkload;

impl Workload for NBodyWorkload {
    fn single_run(&self) -> Option<SingleRun> {
        Some(SingleRun {
            notation: "N[:STEPS]",
            default_size: "4096",
            options: RUN_OPTIONS,
            run: run_once,
        })
    }

    fn name(&self) -> &'static str {
        "nbody"
    }

    fn description(&self) -> &'static str {
        "all-pairs gravity, f32, tiled through workgroup memory (compute-bound, data reuse)"
    }

    fn unit(&self) -> &'static str {
        "body-interactions"
    }

    fn default_sizes(&self, quick: bool) -> Vec<String> {
        if quick {
            vec!["1024:4".into()]
        } else {
            vec!["8192:4".into()]
        }
    }

    fn sweep_sizes(&self) -> Vec<String> {
        // Steps chosen so each size does at least about 2^26 interactions.
        [256u64, 512, 1024, 2048, 4096, 8192, 16384, 32768]
            .iter()
            .map(|&n| format!("{n}:{}", ((1u64 << 26) / (n * n)).max(1)))
            .collect()
    }

    fn device_size(&self) -> Option<DeviceSize> {
        // Device time on an H200 from the counted expectations (docs/performance.md): 65536
        // bodies (256 workgroups, ~16 warps per SM) × 30 steps, 1.3e11 interactions at
        // 1.5e12–2.5e12/s: 52–86 ms. Serial, on the 2-core EPYC guest's measured throughput, 1
        // step is 4.3e9 at 4.7e8/s: 9 s, the one slow serial row (a smaller body count would
        // not fill the GPU).
        Some(DeviceSize {
            cpu: "65536:1",
            gpu: "65536:30",
            problem: "65536 bodies",
            part: "the first of the GPU's 30 steps, from the same bodies",
        })
    }

    fn shaders(&self) -> Vec<ShaderBuild> {
        vec![gpu::shader_build()]
    }

    fn problem(&self, size: &str) -> Result<Box<dyn Problem>> {
        Ok(Box::new(NBody::parse(size)?))
    }

    /// Per body-interaction, counted from the kernels (cpu.rs `acceleration`, shaders/nbody.wgsl):
    /// d = q − me (3 subtractions), |d|² + ε² (3 multiplies, 3 adds), m·inv·inv·inv (3
    /// multiplies), a += d·s (3 multiplies, 3 adds): 18 flops (the conventional count is 20,
    /// with the reciprocal square root as 2), plus the reciprocal square root itself:
    ///
    /// - CPU: `Simd::rsqrt` (src/simd/mod.rs), the estimate instruction (`rsqrtps`, 1) and one
    ///   Newton step y·(1.5 − (0.5·x)·y·y) (3 multiplies, 1 negated multiply-add: 5 flops): 6,
    ///   24 in all;
    /// - GPU: `inverseSqrt`, 1 (a special-function instruction on NVIDIA, at a quarter of the
    ///   FMA rate or less: counted as one flop, the roof stays an upper bound): 19 in all.
    ///
    /// The reciprocal square root is counted as its constituent operations rather than held
    /// against a ceiling of its own: on the CPU the estimate and the Newton step are ordinary
    /// instructions of the same floating-point pipes (the estimate issues like a multiply), so
    /// a separate "rsqrt ceiling" would measure the f32 ceiling again. Where the kernel's level
    /// has FMA the multiplies and adds are fused as written (AVX2, AVX-512, NEON) and where not
    /// kept apart (SSE2): the faster of the two f32 ceilings bounds them. Positions are read
    /// once per interaction: 16 bytes from the level holding all positions on the CPU, from
    /// the workgroup tile on the GPU. Per body and step, position and velocity in, position,
    /// velocity and acceleration out: 80 bytes, 80 / n per interaction.
    fn work_counts(&self, size: &str, device: Device) -> Option<WorkCounts> {
        let job = NBody::parse(size).ok()?;
        let n = job.n as f64;
        let counts = match device {
            Device::Cpu => WorkCounts::compute(
                &[(Measure::F32Fma, 24.0)],
                "rsqrt estimate + Newton step counted as 6 flops",
            )
            .with_traffic("positions per interaction", 16.0, 16.0 * n),
            Device::Gpu => {
                WorkCounts::compute(&[(Measure::F32Fma, 19.0)], "inverseSqrt counted as 1 flop")
                    .with_workgroup_traffic("positions from the workgroup tile", 16.0)
            }
        };
        Some(counts.with_traffic("bodies in and out", 80.0 / n, 80.0 * n))
    }

    fn verify(&self, backend: &Backend) -> Result<Check> {
        let mut worst = 0.0f64;
        for (i, &n) in CHECK_SIZES.iter().enumerate() {
            let e = accel_check(backend, n, 100 + i as u64)?;
            // NaN cannot occur: accel_check maps an unwritten (NaN) body to infinity.
            if e.relative > ACCEL_TOLERANCE {
                return Ok(Check {
                    passed: false,
                    detail: format!(
                        "{n} bodies: body {} acceleration off by {:.2e} of its terms' magnitude (bound {ACCEL_TOLERANCE:.0e})",
                        e.body, e.relative
                    ),
                });
            }
            worst = worst.max(e.relative);
        }
        let energy = energy_check(backend, 65, 200)?;
        let passed =
            energy.drift <= ENERGY_TOLERANCE && energy.position_error <= POSITION_TOLERANCE;
        Ok(Check {
            passed,
            detail: format!(
                "max relative acceleration error {worst:.2e} (bound {ACCEL_TOLERANCE:.0e}); disc over {} steps: energy drift {:.2e} (bound {ENERGY_TOLERANCE:.0e}), position error {:.2e} (bound {POSITION_TOLERANCE:.0e})",
                energy.steps, energy.drift, energy.position_error
            ),
        })
    }
}

/// The options of `speedup run nbody` besides the size.
const RUN_OPTIONS: &[RunOption] = &[
    RunOption::new("steps", OptionKind::U32, "steps (default 4)"),
    RunOption::new("dt", OptionKind::F32, "time step (default 0.001)"),
    RunOption::new(
        "softening",
        OptionKind::F32,
        "softening length (default 0.05)",
    ),
    RunOption::new("seed", OptionKind::U64, "seed of the bodies (default 42)"),
];

/// `speedup run nbody`: `N[:STEPS]` bodies of a seeded cluster (`--steps` over the size's
/// steps), with the energy drift over the run.
fn run_once(size: &str, options: &RunOptions, backend: &Backend) -> Result<RunReport> {
    let (n, steps) = count_and_suffix(
        size,
        "nbody body count",
        options.value("steps")?,
        "step count",
        DEFAULT_STEPS,
    )?;
    let n = u32::try_from(n).map_err(|_| {
        Error::InvalidSize(format!(
            "--size: too many bodies ({n}; at most {MAX_BODIES})"
        ))
    })?;
    let job = NBody::new(
        n,
        steps,
        options.value("dt")?.unwrap_or(DEFAULT_DT),
        options.value("softening")?.unwrap_or(DEFAULT_SOFTENING),
    )?;
    let bodies = Bodies::cluster(n, options.value("seed")?.unwrap_or(42));
    let e0 = bodies.energy(job.softening);
    let mut run = NBodyRun::new(backend, job, bodies)?;
    let start = Instant::now();
    let (result, timing) = run.simulate()?;
    let elapsed = start.elapsed().as_secs_f64();
    let e1 = result.bodies.energy(job.softening);
    let mut report = RunReport::default();
    report.line("bodies", n);
    report.line(
        "steps",
        format!("{steps} (dt {}, softening {})", job.dt, job.softening),
    );
    report.line(
        "energy",
        format!(
            "{e0:.9e} -> {e1:.9e} (relative drift {:.2e})",
            ((e1 - e0) / e0).abs()
        ),
    );
    report.timing(elapsed, &timing, job.interactions(), "body-interactions");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain double loop the energy is defined by.
    fn energy_in_one_loop(bodies: &Bodies, softening: f32) -> f64 {
        let eps2 = softening as f64 * softening as f64;
        let mut potential = 0.0;
        for (i, p) in bodies.pos.iter().enumerate() {
            for q in &bodies.pos[i + 1..] {
                let r2: f64 = (0..3).map(|k| (q[k] as f64 - p[k] as f64).powi(2)).sum();
                potential -= p[3] as f64 * q[3] as f64 / (r2 + eps2).sqrt();
            }
        }
        bodies.kinetic_energy() + potential
    }

    #[test]
    fn the_energy_is_the_double_loop_on_any_number_of_threads() {
        for n in [1, 2, 63, 64, 65, 200, 1000] {
            let bodies = Bodies::disc(n, 7, DEFAULT_SOFTENING);
            let plain = energy_in_one_loop(&bodies, DEFAULT_SOFTENING);
            let on = |threads| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                pool.install(|| bodies.energy(DEFAULT_SOFTENING))
            };
            let one = on(1);
            let scale = plain.abs().max(f64::MIN_POSITIVE);
            assert!(
                (one - plain).abs() <= 1e-12 * scale,
                "n {n}: {one} against {plain}"
            );
            assert_eq!(one.to_bits(), on(3).to_bits(), "n {n}: 1 thread against 3");
        }
    }
}
