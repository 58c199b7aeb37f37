//! The GPU host code of Mandelbrot: pipeline, buffers, submissions and readback.

use super::Mandelbrot;
use crate::error::Result;
use crate::gpu::{dispatch_size, poisoned_storage, submit_pass, GpuContext, GpuTimer};
use crate::gpu::{ComputeKernel, Readback, ShaderBuild};
use crate::workloads::Phases;
use std::sync::Arc;
use std::time::Instant;

/// The WGSL source of the escape-count kernel.
pub const MANDELBROT_WGSL: &str = include_str!("../../../shaders/mandelbrot.wgsl");

/// The kernel [`GpuMandelbrot::new`] compiles: shaders/mandelbrot.wgsl's `main`.
pub(super) fn shader_build() -> ShaderBuild {
    ShaderBuild::main("mandelbrot", MANDELBROT_WGSL)
}

/// Invocations per workgroup in mandelbrot.wgsl (its `@workgroup_size`, checked by the tests
/// below).
const WORKGROUP_SIZE: u64 = 256;

/// Mirrors `MandelbrotParams` in shaders/mandelbrot.wgsl; the tests below check the layouts agree.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct MandelbrotParams {
    width: u32,
    height: u32,
    max_iter: u32,
    pixels: u32,
    re_min: f32,
    im_max: f32,
    dx: f32,
    dy: f32,
    /// Always 0: the shader selects on it to keep products from being fused (see its header).
    no_fuse: u32,
    /// First pixel of the band being dispatched.
    first: u32,
    _pad: [u32; 2],
}

/// Iterations one GPU dispatch may do at most (every pixel at max_iter): about a second on a
/// software adapter per 10^9, milliseconds on a GPU, so no dispatch runs long enough for an OS
/// watchdog to reset the device, whatever the image size and iteration limit.
pub const ITERATIONS_PER_DISPATCH: u64 = 1 << 32;

/// The Mandelbrot kernel on a GPU: pipeline, uniform, count buffer and staging buffer, made once.
pub struct GpuMandelbrot {
    ctx: Arc<GpuContext>,
    kernel: ComputeKernel,
    bind_group: wgpu::BindGroup,
    uniform: wgpu::Buffer,
    params: MandelbrotParams,
    counts: wgpu::Buffer,
    readback: Readback,
    timer: Option<GpuTimer>,
    /// Pixels per dispatch: a multiple of the workgroup size.
    band: u64,
}

impl GpuMandelbrot {
    /// Builds the pipeline and buffers for `job`, to run in bands of at most
    /// `iterations_per_dispatch` iterations (at least one workgroup of pixels). Fails naming the
    /// limit when the count buffer exceeds a storage binding.
    pub fn new(
        ctx: Arc<GpuContext>,
        job: &Mandelbrot,
        iterations_per_dispatch: u64,
    ) -> Result<GpuMandelbrot> {
        let bytes = job.pixels() * 4;
        ctx.check_binding(
            &format!(
                "the mandelbrot image of {}x{} u32 counts (4 bytes each)",
                job.width, job.height
            ),
            bytes,
        )?;
        let (dx, dy) = job.pixel_size();
        let params = MandelbrotParams {
            width: job.width,
            height: job.height,
            max_iter: job.max_iter,
            pixels: job.pixels() as u32,
            re_min: job.region.re_min,
            im_max: job.region.im_max,
            dx,
            dy,
            no_fuse: 0,
            first: 0,
            _pad: [0; 2],
        };
        let kernel = ComputeKernel::build(&ctx, &shader_build())?;
        let uniform = ctx.uniform_with_data("mandelbrot params", bytemuck::bytes_of(&params));
        // Poisoned with a count above any max_iter, so a pixel the kernel skipped cannot pass.
        let counts = poisoned_storage(&ctx, "mandelbrot counts", bytes, u32::MAX)?;
        let bind_group = kernel.bind(&ctx, &[&uniform, &counts])?;
        let readback = Readback::new(&ctx, "mandelbrot readback", &[bytes])?;
        let timer = GpuTimer::new(&ctx)?;
        ctx.check()?;
        let band = (iterations_per_dispatch / job.max_iter as u64)
            .next_multiple_of(WORKGROUP_SIZE)
            .min(job.pixels().next_multiple_of(WORKGROUP_SIZE));
        Ok(GpuMandelbrot {
            ctx,
            kernel,
            bind_group,
            uniform,
            params,
            counts,
            readback,
            timer,
            band,
        })
    }

    /// Runs the kernel band by band (one band, usually), waits, and reads the counts back.
    pub fn run(&mut self) -> Result<(Vec<u32>, Phases)> {
        let start = Instant::now();
        let pixels = self.params.pixels as u64;
        let mut device_seconds = self.timer.as_ref().map(|_| 0.0);
        for first in (0..pixels).step_by(self.band as usize) {
            self.params.first = first as u32;
            // Lands before the next submission, this band's pass.
            self.ctx
                .queue
                .write_buffer(&self.uniform, 0, bytemuck::bytes_of(&self.params));
            let groups = dispatch_size((pixels - first).min(self.band).div_ceil(WORKGROUP_SIZE));
            let timed = submit_pass(&self.ctx, self.timer.as_ref(), "mandelbrot", |pass| {
                self.kernel.dispatch(pass, &self.bind_group, groups)
            })?;
            device_seconds = crate::workloads::add_device_time(device_seconds, timed);
        }
        let compute_seconds = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let counts = self.readback.read_one(&self.ctx, &self.counts)?;
        Ok((
            counts,
            Phases {
                compute_seconds: Some(compute_seconds),
                readback_seconds: Some(start.elapsed().as_secs_f64()),
                device_seconds,
                ..Phases::default()
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    crate::gpu::mirror::shader_mirror_test!(
        params_and_workgroup_size_match_the_shader,
        [MANDELBROT_WGSL],
        workgroups { "main" => WORKGROUP_SIZE },
        structs {
            "MandelbrotParams" => MandelbrotParams {
                width, height, max_iter, pixels, re_min, im_max, dx, dy, no_fuse, first
            },
        },
    );
}
