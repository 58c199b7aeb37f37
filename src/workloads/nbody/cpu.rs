//! The serial and Rayon kernels of N-body: what both CPU backends run.

use super::{Bodies, NBody, NBodyResult};
use rayon::prelude::*;

/// Partial sums per body on the CPU: the terms for bodies j ≡ l (mod LANES) go to partial sum l,
/// so the compiler can compute LANES terms at once with SIMD (a single running sum in strict f32
/// order would serialise every addition). The partial sums are added at the end; the result
/// differs from index-order summation only by rounding, well inside
/// [`ACCEL_TOLERANCE`](super::ACCEL_TOLERANCE).
pub(super) const LANES: usize = 8;

/// Body `me`'s acceleration from every body in `pos`, in f32. Serial and Rayon share it, so they
/// are bit-identical to each other.
#[inline]
pub(super) fn acceleration(pos: &[[f32; 4]], me: [f32; 4], softening2: f32) -> [f32; 3] {
    let mut a = [[0.0f32; LANES]; 3];
    let chunks = pos.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        // Lane by lane in separate short loops over arrays: the shape the vectoriser handles.
        let mut d = [[0.0f32; LANES]; 3];
        let mut s = [0.0f32; LANES];
        for l in 0..LANES {
            for k in 0..3 {
                d[k][l] = chunk[l][k] - me[k];
            }
        }
        for l in 0..LANES {
            let inv = 1.0
                / (d[0][l] * d[0][l] + d[1][l] * d[1][l] + d[2][l] * d[2][l] + softening2).sqrt();
            s[l] = chunk[l][3] * inv * inv * inv;
        }
        for k in 0..3 {
            for l in 0..LANES {
                a[k][l] += d[k][l] * s[l];
            }
        }
    }
    for (l, q) in rest.iter().enumerate() {
        let d = [q[0] - me[0], q[1] - me[1], q[2] - me[2]];
        let inv = 1.0 / (d[0] * d[0] + d[1] * d[1] + d[2] * d[2] + softening2).sqrt();
        let s = q[3] * inv * inv * inv;
        for k in 0..3 {
            a[k][l] += d[k] * s;
        }
    }
    a.map(|partial| partial.iter().sum())
}

/// Updates one body: its acceleration from `pos_in`, then the symplectic Euler step.
#[inline]
pub(super) fn step_body(
    pos_in: &[[f32; 4]],
    i: usize,
    job: &NBody,
    out: &mut [f32; 4],
    vel: &mut [f32; 4],
    acc: &mut [f32; 4],
) {
    let me = pos_in[i];
    let a = acceleration(pos_in, me, job.softening * job.softening);
    for k in 0..3 {
        vel[k] += a[k] * job.dt;
        out[k] = me[k] + vel[k] * job.dt;
    }
    out[3] = me[3];
    *acc = [a[0], a[1], a[2], 0.0];
}

/// Bodies per Rayon task: each costs N interactions, so even small chunks are long enough.
pub(super) const CPU_CHUNK: usize = 64;

/// Updates bodies `first..first + out.len()` (their new positions, velocities and accelerations
/// in `out`, `vel`, `acc`) from the positions `pos_in`: serial over all bodies, Rayon per chunk.
pub(super) fn step_bodies(
    pos_in: &[[f32; 4]],
    first: usize,
    job: &NBody,
    out: &mut [[f32; 4]],
    vel: &mut [[f32; 4]],
    acc: &mut [[f32; 4]],
) {
    for (k, ((out, vel), acc)) in out.iter_mut().zip(vel).zip(acc).enumerate() {
        step_body(pos_in, first + k, job, out, vel, acc);
    }
}

/// CPU state: two position arrays that swap roles each step, velocities, accelerations.
pub(super) struct CpuState {
    pos: [Vec<[f32; 4]>; 2],
    vel: Vec<[f32; 4]>,
    acc: Vec<[f32; 4]>,
}

impl CpuState {
    pub(super) fn new(n: usize) -> CpuState {
        CpuState {
            pos: [vec![[0.0; 4]; n], vec![[0.0; 4]; n]],
            vel: vec![[0.0; 4]; n],
            acc: vec![[0.0; 4]; n],
        }
    }

    /// Copies `initial` in: a run's inputs stage (what the GPU's upload is).
    pub(super) fn load(&mut self, initial: &Bodies) {
        self.pos[0].copy_from_slice(&initial.pos);
        self.vel.copy_from_slice(&initial.vel);
    }

    /// Runs `job.steps` steps from the loaded bodies, on the current Rayon pool when `parallel`.
    pub(super) fn run(&mut self, job: &NBody, parallel: bool) {
        for step in 0..job.steps as usize {
            let (a, b) = self.pos.split_at_mut(1);
            let (src, dst) = if step % 2 == 0 {
                (&a[0], &mut b[0])
            } else {
                (&b[0], &mut a[0])
            };
            if parallel {
                dst.par_chunks_mut(CPU_CHUNK)
                    .zip(self.vel.par_chunks_mut(CPU_CHUNK))
                    .zip(self.acc.par_chunks_mut(CPU_CHUNK))
                    .enumerate()
                    .for_each(|(c, ((out, vel), acc))| {
                        step_bodies(src, c * CPU_CHUNK, job, out, vel, acc)
                    });
            } else {
                step_bodies(src, 0, job, dst, &mut self.vel, &mut self.acc);
            }
        }
    }

    /// The final state, copied out: a run's results stage (what the GPU's readback is).
    pub(super) fn result(&self, job: &NBody) -> NBodyResult {
        NBodyResult {
            bodies: Bodies {
                pos: self.pos[job.steps as usize % 2].clone(),
                vel: self.vel.clone(),
            },
            accel: self.acc.clone(),
        }
    }
}
