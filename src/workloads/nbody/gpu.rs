//! The GPU host code of N-body: pipeline, buffers, submissions and readback.

use super::{Bodies, NBody, NBodyResult, TILE};
use crate::error::Result;
use crate::gpu::{cast_vec, poisoned_storage, submit_pass, upload, GpuContext, GpuTimer};
use crate::gpu::{ComputeKernel, Readback, ShaderBuild};
use crate::workloads::timing::Inputs;
use crate::workloads::RunTiming;
use std::sync::Arc;

/// The WGSL source of the tiled all-pairs kernel.
pub const NBODY_WGSL: &str = include_str!("../../../shaders/nbody.wgsl");

/// The kernel [`GpuNBody::new`] compiles: shaders/nbody.wgsl's `main`.
pub(super) fn shader_build() -> ShaderBuild {
    ShaderBuild::main("nbody", NBODY_WGSL)
}

/// Steps recorded into one submission: enough that submission overhead vanishes, few enough that
/// one submission stays short (no GPU watchdog reset at large N).
const STEPS_PER_SUBMIT: u32 = 16;

/// Mirrors `NBodyParams` in shaders/nbody.wgsl; the tests below check the layouts agree.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct NBodyParams {
    n: u32,
    tiles: u32,
    dt: f32,
    softening2: f32,
}

/// The N-body kernel on a GPU: two position buffers with a bind group for each direction,
/// velocities, accelerations, a staging buffer; all made once.
pub struct GpuNBody {
    ctx: Arc<GpuContext>,
    kernel: ComputeKernel,
    /// `bind_groups[i]` reads `pos[i]` and writes `pos[1 - i]`.
    bind_groups: [wgpu::BindGroup; 2],
    pos: [wgpu::Buffer; 2],
    vel: wgpu::Buffer,
    acc: wgpu::Buffer,
    readback: Readback,
    timer: Option<GpuTimer>,
    job: NBody,
}

impl GpuNBody {
    /// Builds the pipeline and buffers for `job`, checking each buffer against the binding limit.
    pub fn new(ctx: Arc<GpuContext>, job: &NBody) -> Result<GpuNBody> {
        let bytes = job.n as u64 * 16;
        ctx.check_binding(
            &format!("the nbody positions of {} bodies (16 bytes each)", job.n),
            bytes,
        )?;
        let params = NBodyParams {
            n: job.n,
            tiles: (job.n as u64).div_ceil(TILE) as u32,
            dt: job.dt,
            softening2: job.softening * job.softening,
        };
        let kernel = ComputeKernel::build(&ctx, &shader_build())?;
        let uniform = ctx.uniform_with_data("nbody params", bytemuck::bytes_of(&params));
        // Poisoned with NaN (0xFFFFFFFF), which no finite result equals: a body the kernel did
        // not write cannot pass a check.
        let nan = u32::MAX;
        let pos = [
            poisoned_storage(&ctx, "nbody positions A", bytes, nan)?,
            poisoned_storage(&ctx, "nbody positions B", bytes, nan)?,
        ];
        let vel = poisoned_storage(&ctx, "nbody velocities", bytes, nan)?;
        let acc = poisoned_storage(&ctx, "nbody accelerations", bytes, nan)?;
        let bind_groups = [
            kernel.bind(&ctx, &[&uniform, &pos[0], &pos[1], &vel, &acc])?,
            kernel.bind(&ctx, &[&uniform, &pos[1], &pos[0], &vel, &acc])?,
        ];
        let readback = Readback::new(&ctx, "nbody readback", &[bytes; 3])?;
        let timer = GpuTimer::new(&ctx)?;
        ctx.check()?;
        Ok(GpuNBody {
            ctx,
            kernel,
            bind_groups,
            pos,
            vel,
            acc,
            readback,
            timer,
            job: *job,
        })
    }

    /// Uploads `initial`, runs the job's steps, and reads back the final state.
    pub fn run(&mut self, initial: &Bodies, clock: Inputs) -> Result<(NBodyResult, RunTiming)> {
        upload(
            &self.ctx,
            &[
                (&self.pos[0], bytemuck::cast_slice(&initial.pos)),
                (&self.vel, bytemuck::cast_slice(&initial.vel)),
            ],
        )?;
        let kernel = clock.ready(2 * self.job.n as u64 * 16);
        let groups = ((self.job.n as u64).div_ceil(TILE) as u32, 1);
        let mut device_seconds = self.timer.as_ref().map(|_| 0.0);
        let mut done = 0;
        while done < self.job.steps {
            let batch = (self.job.steps - done).min(STEPS_PER_SUBMIT);
            let timed = submit_pass(&self.ctx, self.timer.as_ref(), "nbody steps", |pass| {
                // wgpu inserts the barrier between dispatches that write then read a buffer.
                for step in done..done + batch {
                    self.kernel
                        .dispatch(pass, &self.bind_groups[step as usize % 2], groups);
                }
            })?;
            device_seconds = crate::workloads::add_device_time(device_seconds, timed);
            done += batch;
        }
        let results = kernel.done(device_seconds);
        let last = &self.pos[self.job.steps as usize % 2];
        let mut bytes = self
            .readback
            .read(&self.ctx, &[last, &self.vel, &self.acc])?
            .into_iter();
        let mut next = || cast_vec::<[f32; 4]>(&bytes.next().expect("three regions"));
        let result = NBodyResult {
            bodies: Bodies {
                pos: next(),
                vel: next(),
            },
            accel: next(),
        };
        Ok((result, results.on_host(3 * self.job.n as u64 * 16)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    crate::gpu::mirror::shader_mirror_test!(
        params_and_workgroup_size_match_the_shader,
        [NBODY_WGSL],
        workgroups { "main" => TILE },
        structs {
            "NBodyParams" => NBodyParams { n, tiles, dt, softening2 },
        },
    );
}
