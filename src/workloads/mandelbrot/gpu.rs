//! The GPU host code of Mandelbrot: pipeline, buffers, submissions and readback.

use super::Mandelbrot;
use crate::error::Result;
use crate::gpu::{dispatch_size, poisoned_storage, submit_pass, GpuContext, GpuTimer};
use crate::gpu::{ComputeKernel, Readback, ShaderBuild};
use crate::workloads::timing::Inputs;
use crate::workloads::RunTiming;
use std::sync::Arc;

/// The WGSL source of the escape-count kernel.
pub const MANDELBROT_WGSL: &str = include_str!("../../../shaders/mandelbrot.wgsl");

/// The kernel [`GpuMandelbrot::new`] compiles: shaders/mandelbrot.wgsl's `main`, with its
/// `FUSED` override set for `mandelbrot-fma`.
pub(super) fn shader_build(fused: bool) -> ShaderBuild {
    let main = ShaderBuild::main("mandelbrot", MANDELBROT_WGSL);
    ShaderBuild {
        label: if fused {
            "mandelbrot-fma"
        } else {
            "mandelbrot"
        }
        .into(),
        constants: vec![("FUSED", f64::from(u8::from(fused)))],
        ..main
    }
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
    /// Always 0: the shader ORs it into products to keep them from being fused (see its header).
    no_fuse: u32,
    /// First pixel of the band being dispatched.
    first: u32,
    /// Computed row k is image row k * row_stride + row_offset.
    row_stride: u32,
    row_offset: u32,
}

/// Iterations one GPU dispatch may do at most (every pixel at max_iter): about a second on a
/// software adapter per 10^9, milliseconds on a GPU, so no dispatch runs long enough for an OS
/// watchdog to reset the device, whatever the image size and iteration limit.
pub const ITERATIONS_PER_DISPATCH: u64 = 1 << 32;

/// The Mandelbrot kernel on a GPU: pipeline, one uniform and bind group per band, count buffer
/// and staging buffer, all made once.
pub struct GpuMandelbrot {
    ctx: Arc<GpuContext>,
    kernel: ComputeKernel,
    /// One per band of at most `ITERATIONS_PER_DISPATCH` iterations: its bind group (whose
    /// uniform says where the band starts) and its workgroups. All are recorded into one
    /// submission; each uniform buffer keeps its band's start (the bind groups hold them).
    bands: Vec<(wgpu::BindGroup, (u32, u32))>,
    counts: wgpu::Buffer,
    readback: Readback,
    timer: Option<GpuTimer>,
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
                job.width,
                job.rows()
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
            row_stride: job.row_stride,
            row_offset: job.row_stride / 2,
        };
        let kernel = ComputeKernel::build(&ctx, &shader_build(job.fused))?;
        // Poisoned with a count above any max_iter, so a pixel the kernel skipped cannot pass.
        let counts = poisoned_storage(&ctx, "mandelbrot counts", bytes, u32::MAX)?;
        let band = (iterations_per_dispatch / job.max_iter as u64)
            .next_multiple_of(WORKGROUP_SIZE)
            .min(job.pixels().next_multiple_of(WORKGROUP_SIZE));
        let pixels = job.pixels();
        let mut bands = Vec::new();
        for first in (0..pixels).step_by(band as usize) {
            let params = MandelbrotParams {
                first: first as u32,
                ..params
            };
            let uniform = ctx.uniform_with_data("mandelbrot params", bytemuck::bytes_of(&params));
            let group = kernel.bind(&ctx, &[&uniform, &counts])?;
            let groups = dispatch_size((pixels - first).min(band).div_ceil(WORKGROUP_SIZE));
            bands.push((group, groups));
        }
        let readback = Readback::new(&ctx, "mandelbrot readback", &[bytes])?;
        let timer = GpuTimer::new(&ctx)?;
        ctx.check()?;
        Ok(GpuMandelbrot {
            ctx,
            kernel,
            bands,
            counts,
            readback,
            timer,
        })
    }

    /// Runs every band in one submission (the driver runs each dispatch after the one before,
    /// and the watchdog bound is per band of work, not per submission), waits once, and reads
    /// the counts back.
    pub fn run(&mut self, clock: Inputs) -> Result<(Vec<u32>, RunTiming)> {
        // Nothing to upload: the uniforms were written at preparation.
        let kernel = clock.ready(0);
        let device_seconds = submit_pass(&self.ctx, self.timer.as_ref(), "mandelbrot", |pass| {
            self.kernel
                .dispatch_all(pass, self.bands.iter().map(|(g, n)| (g, *n)))
        })?;
        let results = kernel.done(device_seconds);
        let counts: Vec<u32> = self.readback.read_one(&self.ctx, &self.counts)?;
        let bytes = counts.len() as u64 * 4;
        Ok((counts, results.on_host(bytes)))
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
                width, height, max_iter, pixels, re_min, im_max, dx, dy, no_fuse, first, row_stride,
                row_offset
            },
        },
    );
}
