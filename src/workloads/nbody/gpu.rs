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

/// Most steps recorded into one submission, whatever the adapter: 4096 dispatches keep the
/// recorded command buffer small (a million-step run of a few bodies would otherwise hold a
/// million dispatches in host memory), while a wait per 4096 steps costs nothing measurable.
pub const MAX_STEPS_PER_SUBMIT: u32 = 4096;

/// Body-interactions per second that a hardware GPU does at least (an integrated GPU's order;
/// an H100 does 1.5e12–2.5e12), and that a software adapter does at least (lavapipe on the
/// 2-core EPYC guest: 6e7): what [`steps_per_submit`] plans a submission's duration with.
const SLOWEST_RATE: (f64, f64) = (1e11, 3e7);

/// Steps one submission of `job` runs on `ctx`: all of them where they fit (one submission, one
/// wait), else as many as a quarter of the wait bound (`--gpu-timeout`, which bounds each wait)
/// covers at the slowest rate expected of this kind of adapter, at least one and at most
/// [`MAX_STEPS_PER_SUBMIT`]. An OS watchdog is no reason to split further: it bounds a dispatch
/// (one step, whose size the job fixes), not a submission of several. With the default bound
/// (300 s) a hardware GPU runs 1746 steps of 65536 bodies per submission (the device-filling
/// 30 in one), lavapipe 33 steps of 8192 bodies (~37 s at its measured 6e7/s), or one step of
/// 65536 (~72 s).
pub fn steps_per_submit(ctx: &GpuContext, job: &NBody) -> u32 {
    let rate = if ctx.summary().software {
        SLOWEST_RATE.1
    } else {
        SLOWEST_RATE.0
    };
    let budget = ctx.settings().wait_timeout.as_secs_f64() / 4.0 * rate;
    let per_step = job.n as f64 * job.n as f64;
    let fit = (budget / per_step)
        .floor()
        .clamp(1.0, MAX_STEPS_PER_SUBMIT as f64) as u32;
    fit.min(job.steps)
}

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
        let per_submit = steps_per_submit(&self.ctx, &self.job);
        let mut done = 0;
        while done < self.job.steps {
            let batch = (self.job.steps - done).min(per_submit);
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
