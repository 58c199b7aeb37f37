//! The GPU host code of Monte Carlo π: pipeline, buffers, submissions and readback.

use super::{key, MonteCarlo};
use crate::error::Result;
use crate::gpu::{dispatch_size, poisoned_storage, submit_pass, upload, GpuContext, GpuTimer};
use crate::gpu::{ComputeKernel, Readback, ShaderBuild};
use crate::workloads::Phases;
use bytemuck::Zeroable;
use std::sync::Arc;
use std::time::Instant;

/// The WGSL source of the counting kernels (`main`, and `racy` for the demonstration).
pub const MONTECARLO_WGSL: &str = include_str!("../../../shaders/montecarlo.wgsl");

/// The kernel [`GpuMonteCarlo::new`] compiles: shaders/montecarlo.wgsl's `main`, or with
/// `racy` its `racy` entry point (the demonstration of a lost-update race).
pub(super) fn shader_build(racy: bool) -> ShaderBuild {
    let main = ShaderBuild::main("montecarlo", MONTECARLO_WGSL);
    if racy {
        ShaderBuild {
            label: "montecarlo racy".into(),
            entry_point: "racy",
            ..main
        }
    } else {
        main
    }
}

/// Invocations per workgroup in montecarlo.wgsl (its `@workgroup_size`, checked by the tests
/// below).
const WORKGROUP_SIZE: u64 = 256;

/// Samples each GPU invocation draws: enough to amortise the reduction, few enough that a
/// batch still fills a large GPU.
const PER_INVOCATION: u32 = 64;

/// Mirrors `MonteCarloParams` in shaders/montecarlo.wgsl; the tests below check the layouts agree.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct MonteCarloParams {
    key: u32,
    base_lo: u32,
    base_hi: u32,
    count: u32,
    per_invocation: u32,
    invocations: u32,
    _pad: [u32; 2],
}

/// The counting kernels on a GPU: both pipelines, the uniform (rewritten per batch), the count
/// and its staging buffer, made once.
pub struct GpuMonteCarlo {
    ctx: Arc<GpuContext>,
    kernel: ComputeKernel,
    bind_group: wgpu::BindGroup,
    racy: Option<(ComputeKernel, wgpu::BindGroup)>,
    uniform: wgpu::Buffer,
    counts: wgpu::Buffer,
    readback: Readback,
    timer: Option<GpuTimer>,
    batch: u64,
}

impl GpuMonteCarlo {
    /// Builds the pipeline and buffers, counting `batch` samples (at most 2^31) per submission.
    /// With `racy`, also the racy demonstration's pipeline.
    pub fn new(ctx: Arc<GpuContext>, batch: u64, racy: bool) -> Result<GpuMonteCarlo> {
        let kernel = ComputeKernel::build(&ctx, &shader_build(false))?;
        let uniform = ctx.uniform_with_data(
            "montecarlo params",
            bytemuck::bytes_of(&MonteCarloParams::zeroed()),
        );
        // Poisoned: a run that failed to zero the count before adding cannot pass.
        let counts = poisoned_storage(&ctx, "montecarlo counts", 8, 0xDEAD_BEEF)?;
        let bind_group = kernel.bind(&ctx, &[&uniform, &counts])?;
        let racy = if racy {
            let k = ComputeKernel::build(&ctx, &shader_build(true))?;
            let g = k.bind(&ctx, &[&uniform, &counts])?;
            Some((k, g))
        } else {
            None
        };
        let readback = Readback::new(&ctx, "montecarlo readback", &[8])?;
        let timer = GpuTimer::new(&ctx)?;
        ctx.check()?;
        Ok(GpuMonteCarlo {
            ctx,
            kernel,
            bind_group,
            racy,
            uniform,
            counts,
            readback,
            timer,
            batch: batch.clamp(1, 1 << 31),
        })
    }

    /// Zeroes the count, dispatches every batch of `job` with the `main` kernel (or the racy one),
    /// and reads the 64-bit count back.
    pub(super) fn count(&mut self, job: &MonteCarlo, racy: bool) -> Result<(u64, Phases)> {
        let upload_seconds = upload(&self.ctx, &[(&self.counts, &[0u8; 8])])?;
        let start = Instant::now();
        let (kernel, bind_group) = match (&self.racy, racy) {
            (Some((k, g)), true) => (k, g),
            (None, true) => return Err(self.ctx.error("racy kernel not prepared")),
            _ => (&self.kernel, &self.bind_group),
        };
        let key = key(job.seed);
        let mut device_seconds = self.timer.as_ref().map(|_| 0.0);
        let end = job.first + job.samples;
        let mut base = job.first;
        while base < end {
            let count = (end - base).min(self.batch);
            let invocations = count.div_ceil(PER_INVOCATION as u64);
            let params = MonteCarloParams {
                key,
                base_lo: base as u32,
                base_hi: (base >> 32) as u32,
                count: count as u32,
                per_invocation: PER_INVOCATION,
                invocations: invocations as u32,
                _pad: [0; 2],
            };
            // Lands before the next submission; each batch's pass is waited for before the
            // uniform is rewritten for the next.
            self.ctx
                .queue
                .write_buffer(&self.uniform, 0, bytemuck::bytes_of(&params));
            let groups = dispatch_size(invocations.div_ceil(WORKGROUP_SIZE));
            let timed = submit_pass(&self.ctx, self.timer.as_ref(), "montecarlo batch", |pass| {
                kernel.dispatch(pass, bind_group, groups)
            })?;
            device_seconds = crate::workloads::add_device_time(device_seconds, timed);
            base += count;
        }
        let compute_seconds = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let words: Vec<u32> = self.readback.read_one(&self.ctx, &self.counts)?;
        let hits = words[0] as u64 | (words[1] as u64) << 32;
        Ok((
            hits,
            Phases {
                upload_seconds: Some(upload_seconds),
                compute_seconds: Some(compute_seconds),
                readback_seconds: Some(start.elapsed().as_secs_f64()),
                device_seconds,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    crate::gpu::mirror::shader_mirror_test!(
        params_and_workgroup_size_match_the_shader,
        [MONTECARLO_WGSL],
        workgroups { "main" => WORKGROUP_SIZE, "racy" => WORKGROUP_SIZE },
        structs {
            "MonteCarloParams" => MonteCarloParams {
                key, base_lo, base_hi, count, per_invocation, invocations
            },
        },
    );
}
