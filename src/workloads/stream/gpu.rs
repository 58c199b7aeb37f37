//! The GPU host code of the STREAM triad: pipeline, buffers, submissions and readback.

use super::{inputs, Stream, SCALAR};
use crate::error::Result;
use crate::gpu::{
    dispatch_size, poisoned_storage, submit_pass, ComputeKernel, GpuContext, GpuTimer, ShaderBuild,
};
use crate::workloads::Phases;
use std::sync::Arc;
use std::time::Instant;

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
        ctx.wait()?;
        Ok(GpuStream {
            groups: dispatch_size(job.elements.div_ceil(WORKGROUP_SIZE)),
            ctx,
            kernel,
            bind_group,
            a,
            timer,
            elements: job.elements,
        })
    }

    /// Runs `reps` triads in one pass and waits.
    pub fn run(&mut self, reps: u32) -> Result<Phases> {
        let start = Instant::now();
        let device_seconds =
            submit_pass(&self.ctx, self.timer.as_ref(), "stream triads", |pass| {
                for _ in 0..reps {
                    self.kernel.dispatch(pass, &self.bind_group, self.groups);
                }
            })?;
        Ok(Phases {
            compute_seconds: Some(start.elapsed().as_secs_f64()),
            device_seconds,
            ..Phases::default()
        })
    }

    /// Reads array a back.
    pub fn result(&self) -> Result<Vec<f32>> {
        let bytes = self.ctx.read_buffer(&self.a, self.elements * 4)?;
        Ok(crate::gpu::cast_vec(&bytes))
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
