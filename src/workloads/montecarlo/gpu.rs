//! The GPU host code of Monte Carlo π: pipeline, buffers, submissions and readback.

use super::{key, mix32, MonteCarlo};
use crate::error::Result;
use crate::gpu::{dispatch_size, poisoned_storage, submit_pass, GpuContext, GpuTimer};
use crate::gpu::{ComputeKernel, Readback, ShaderBuild};
use crate::workloads::timing::Inputs;
use crate::workloads::RunTiming;
use std::sync::Arc;

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
    /// mix32(base_hi ^ key), hoisted out of the kernel as the CPU hoists it per 2^32 block.
    mixed_hi: u32,
    /// mix32((base_hi + 1) ^ key): the block a batch runs into when its low word wraps.
    mixed_hi_next: u32,
}

/// One batch ready to dispatch: its bind group and its workgroup counts (x, y).
type BoundBatch = (wgpu::BindGroup, (u32, u32));

/// The counting kernels on a GPU: both pipelines, the count and its staging buffer, made once;
/// one uniform and bind group per batch, made for a job the first time it runs.
pub struct GpuMonteCarlo {
    ctx: Arc<GpuContext>,
    kernel: ComputeKernel,
    racy: Option<ComputeKernel>,
    /// The job whose batches `batches` holds (each batch's bind group and workgroups), and
    /// whether they are bound for the racy kernel.
    batches: Option<(MonteCarlo, bool, Vec<BoundBatch>)>,
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
        // Poisoned: a run that failed to zero the count before adding cannot pass.
        let counts = poisoned_storage(&ctx, "montecarlo counts", 8, 0xDEAD_BEEF)?;
        let racy = if racy {
            Some(ComputeKernel::build(&ctx, &shader_build(true))?)
        } else {
            None
        };
        let readback = Readback::new(&ctx, "montecarlo readback", &[8])?;
        let timer = GpuTimer::new(&ctx)?;
        ctx.check()?;
        Ok(GpuMonteCarlo {
            ctx,
            kernel,
            racy,
            batches: None,
            counts,
            readback,
            timer,
            batch: batch.clamp(1, 1 << 31),
        })
    }

    /// Each batch of `job` (at most `batch` samples) as a bind group whose uniform says where
    /// it starts, and its workgroups.
    fn bind_batches(
        &self,
        kernel: &ComputeKernel,
        job: &MonteCarlo,
    ) -> Result<Vec<(wgpu::BindGroup, (u32, u32))>> {
        let key = key(job.seed);
        let end = job.first + job.samples;
        let mut base = job.first;
        let mut out = Vec::new();
        while base < end {
            let count = (end - base).min(self.batch);
            let invocations = count.div_ceil(PER_INVOCATION as u64);
            let hi = (base >> 32) as u32;
            let params = MonteCarloParams {
                key,
                base_lo: base as u32,
                base_hi: hi,
                count: count as u32,
                per_invocation: PER_INVOCATION,
                invocations: invocations as u32,
                mixed_hi: mix32(hi ^ key),
                mixed_hi_next: mix32(hi.wrapping_add(1) ^ key),
            };
            let uniform = self
                .ctx
                .uniform_with_data("montecarlo params", bytemuck::bytes_of(&params));
            let group = kernel.bind(&self.ctx, &[&uniform, &self.counts])?;
            out.push((group, dispatch_size(invocations.div_ceil(WORKGROUP_SIZE))));
            base += count;
        }
        Ok(out)
    }

    /// Zeroes the count, dispatches every batch of `job` with the `main` kernel (or the racy
    /// one) in one submission, and reads the 64-bit count back: one wait for the work, one for
    /// the readback.
    pub(super) fn count(
        &mut self,
        job: &MonteCarlo,
        racy: bool,
        clock: Inputs,
    ) -> Result<(u64, RunTiming)> {
        let kernel = match (&self.racy, racy) {
            (Some(k), true) => k,
            (None, true) => return Err(self.ctx.error("racy kernel not prepared")),
            _ => &self.kernel,
        };
        if !matches!(&self.batches, Some((j, r, _)) if j == job && *r == racy) {
            let batches = self.bind_batches(kernel, job)?;
            self.batches = Some((*job, racy, batches));
        }
        let batches = &self.batches.as_ref().expect("bound above").2;
        // Lands with the submission below, before its passes.
        self.ctx.write_buffer(&self.counts, 0, &[0u8; 8]);
        let stage = clock.ready(0);
        let device_seconds = submit_pass(&self.ctx, self.timer.as_ref(), "montecarlo", |pass| {
            kernel.dispatch_all(pass, batches.iter().map(|(g, n)| (g, *n)))
        })?;
        let results = stage.done(device_seconds);
        let words: Vec<u32> = self.readback.read_one(&self.ctx, &self.counts)?;
        let hits = words[0] as u64 | (words[1] as u64) << 32;
        Ok((hits, results.on_host(8)))
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
                key, base_lo, base_hi, count, per_invocation, invocations, mixed_hi,
                mixed_hi_next
            },
        },
    );
}
