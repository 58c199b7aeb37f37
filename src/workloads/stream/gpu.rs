//! The GPU host code of the STREAM triad: pipeline, buffers, submissions and readback.

use super::{inputs, Stream, SCALAR};
use crate::error::Result;
use crate::gpu::{
    dispatch_size, poisoned_storage, submit_pass, upload, ComputeKernel, GpuContext, GpuTimer,
    Readback, ShaderBuild,
};
use crate::workloads::timing::Inputs;
use crate::workloads::RunTiming;
use std::sync::Arc;

/// The WGSL source of the triad kernel.
pub const STREAM_WGSL: &str = include_str!("../../../shaders/stream.wgsl");

/// The kernel [`GpuStream::new`] compiles: shaders/stream.wgsl's `main`.
pub(super) fn shader_build() -> ShaderBuild {
    ShaderBuild::main("stream", STREAM_WGSL)
}

/// Invocations per workgroup in stream.wgsl (its `@workgroup_size`, checked by the tests below).
const WORKGROUP_SIZE: u64 = 256;

/// Mirrors `StreamParams` in shaders/stream.wgsl; the tests below check the layouts agree.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct StreamParams {
    n: u32,
    scalar: f32,
    _pad: [u32; 2],
}

/// The triad on a GPU: the three arrays resident on the device, the pipeline, made once.
pub struct GpuStream {
    ctx: Arc<GpuContext>,
    kernel: ComputeKernel,
    bind_group: wgpu::BindGroup,
    a: wgpu::Buffer,
    timer: Option<GpuTimer>,
    groups: (u32, u32),
    elements: u64,
    /// The inputs, uploaded at the start of every run.
    b: wgpu::Buffer,
    c: wgpu::Buffer,
    /// Staging for array a, made once (a run reads a back every time).
    readback: Readback,
}

impl GpuStream {
    /// Uploads b and c and builds the pipeline. Refuses arrays larger than one storage binding
    /// (the error names the limit) rather than splitting them: the triad is a bandwidth probe,
    /// and a size the device cannot bind in one piece adds nothing a smaller size does not show.
    pub fn new(ctx: Arc<GpuContext>, job: &Stream) -> Result<GpuStream> {
        let bytes = job.elements * 4;
        ctx.check_binding(
            &format!("one stream array of {} f32 (4 bytes each)", job.elements),
            bytes,
        )?;
        let (b, c) = inputs(job.elements);
        let params = StreamParams {
            n: job.elements as u32,
            scalar: SCALAR,
            _pad: [0; 2],
        };
        let kernel = ComputeKernel::build(&ctx, &shader_build())?;
        let uniform = ctx.uniform_with_data("stream params", bytemuck::bytes_of(&params));
        // NaN (0xFFFFFFFF) until written, so an element the kernel skipped cannot pass.
        let a = poisoned_storage(&ctx, "stream a", bytes, u32::MAX)?;
        let b = ctx.storage_with_data("stream b", bytemuck::cast_slice(&b))?;
        let c = ctx.storage_with_data("stream c", bytemuck::cast_slice(&c))?;
        let bind_group = kernel.bind(&ctx, &[&uniform, &a, &b, &c])?;
        let timer = GpuTimer::new(&ctx)?;
        let readback = Readback::new(&ctx, "stream readback", &[bytes])?;
        ctx.wait()?;
        Ok(GpuStream {
            b,
            c,
            readback,
            groups: dispatch_size(job.elements.div_ceil(WORKGROUP_SIZE)),
            ctx,
            kernel,
            bind_group,
            a,
            timer,
            elements: job.elements,
        })
    }

    /// Makes b and c on the host as the CPU run does, uploads them, runs `reps` triads in one
    /// pass and waits, and reads a back.
    pub fn run(&mut self, reps: u32, clock: Inputs) -> Result<(Vec<f32>, RunTiming)> {
        let (b, c) = inputs(self.elements);
        upload(
            &self.ctx,
            &[
                (&self.b, bytemuck::cast_slice(&b)),
                (&self.c, bytemuck::cast_slice(&c)),
            ],
        )?;
        let kernel = clock.ready(2 * self.elements * 4);
        let device_seconds =
            submit_pass(&self.ctx, self.timer.as_ref(), "stream triads", |pass| {
                for _ in 0..reps {
                    self.kernel.dispatch(pass, &self.bind_group, self.groups);
                }
            })?;
        let results = kernel.done(device_seconds);
        let a = self.result()?;
        Ok((a, results.on_host(self.elements * 4)))
    }

    /// Reads array a back.
    pub fn result(&self) -> Result<Vec<f32>> {
        self.readback.read_one(&self.ctx, &self.a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    crate::gpu::mirror::shader_mirror_test!(
        params_and_workgroup_size_match_the_shader,
        [STREAM_WGSL],
        workgroups { "main" => WORKGROUP_SIZE },
        structs {
            "StreamParams" => StreamParams { n, scalar },
        },
    );
}
