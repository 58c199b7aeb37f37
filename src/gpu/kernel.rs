//! The part of a GPU workload that is the same for every kernel: a pipeline and its bind groups,
//! one timed compute pass submitted and waited for, uploads, and a staging buffer kept alive for
//! repeated readbacks.

use super::{GpuContext, GpuTimer, PipelineOptions};
use crate::error::Result;
use std::time::Instant;

/// A compute pipeline built from one WGSL entry point, with the layout of its bind group 0: the
/// one way every GPU kernel of the crate (the workloads', Life's, the batch's) is built, bound
/// and dispatched.
///
/// Bindings are numbered in the order buffers are passed to [`ComputeKernel::bind`]: buffer `i`
/// is `@group(0) @binding(i)`. The layout is derived from the shader, so every binding must be
/// used by the entry point.
pub struct ComputeKernel {
    label: String,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

impl ComputeKernel {
    /// Compiles `source`, one of speedup's shaders, as `options` say (crate-private: compiled
    /// without runtime checks, see [`GpuContext::compute_pipeline`]); validation errors become
    /// `Err` naming the label.
    pub(crate) fn new(
        ctx: &GpuContext,
        source: &str,
        options: &PipelineOptions<'_>,
    ) -> Result<ComputeKernel> {
        ctx.set_task(options.label);
        let pipeline = ctx.compute_pipeline(source, options)?;
        let layout = pipeline.get_bind_group_layout(0);
        Ok(ComputeKernel {
            label: options.label.to_string(),
            pipeline,
            layout,
        })
    }

    /// Compiles `build` with the default options otherwise (workgroup memory zeroed): how a
    /// workload's host code compiles the builds it lists in `Workload::shaders`, so that the
    /// list is what runs.
    pub(crate) fn build(ctx: &GpuContext, build: &ShaderBuild) -> Result<ComputeKernel> {
        let options = PipelineOptions {
            entry_point: build.entry_point,
            constants: &build.constants,
            ..PipelineOptions::new(&build.label)
        };
        ComputeKernel::new(ctx, build.source, &options)
    }

    /// A bind group with `buffers[i]` at binding `i`. Mismatches with the shader (wrong usage,
    /// too small, missing binding) become `Err`.
    pub fn bind(&self, ctx: &GpuContext, buffers: &[&wgpu::Buffer]) -> Result<wgpu::BindGroup> {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(&self.label),
            layout: &self.layout,
            entries: &entries,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(ctx.error(format!("bind group for {}: {e}", self.label)));
        }
        Ok(group)
    }

    /// Records one dispatch of `groups` (x, y) workgroups with `bind_group`.
    pub fn dispatch(
        &self,
        pass: &mut wgpu::ComputePass<'_>,
        bind_group: &wgpu::BindGroup,
        groups: (u32, u32),
    ) {
        self.dispatch_all(pass, [(bind_group, groups)]);
    }

    /// Records one dispatch per `(bind group, (x, y) workgroups)`, in order, setting the pipeline
    /// once: Life records hundreds of generations, and one dispatch per chunk each, into a pass.
    pub fn dispatch_all<'g>(
        &self,
        pass: &mut wgpu::ComputePass<'_>,
        dispatches: impl IntoIterator<Item = (&'g wgpu::BindGroup, (u32, u32))>,
    ) {
        pass.set_pipeline(&self.pipeline);
        for (bind_group, (x, y)) in dispatches {
            pass.set_bind_group(0, bind_group, &[]);
            pass.dispatch_workgroups(x, y, 1);
        }
    }

    /// Records one dispatch with `bind_group` whose workgroup counts the device reads from
    /// `args` at `offset` (three u32: x, y, z) when it runs: an earlier dispatch of the same
    /// pass may have written them, e.g. to skip work (x = 0) that turned out not to be needed.
    pub fn dispatch_indirect(
        &self,
        pass: &mut wgpu::ComputePass<'_>,
        bind_group: &wgpu::BindGroup,
        args: &wgpu::Buffer,
        offset: u64,
    ) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.dispatch_workgroups_indirect(args, offset);
    }
}

/// One kernel as the crate builds it: the WGSL source as composed (shared files in front), the
/// entry point and the pipeline-overridable constants. Each host file lists the builds it
/// compiles (`Workload::shaders`, `crate::workloads::shader_builds`), so that
/// tests/shaders_validate.rs validates and translates exactly those, without a GPU.
#[derive(Clone, Debug)]
pub struct ShaderBuild {
    /// Names the build in test failures, e.g. "montecarlo racy" or "life tiled B3/S23".
    pub label: String,
    /// The WGSL source as compiled.
    pub source: &'static str,
    /// The `@compute` function built.
    pub entry_point: &'static str,
    /// Values of the shader's `override` constants.
    pub constants: Vec<(&'static str, f64)>,
}

impl ShaderBuild {
    /// Entry point `main` of `source`, no constants: most kernels' one build.
    pub fn main(label: &str, source: &'static str) -> ShaderBuild {
        ShaderBuild {
            label: label.to_string(),
            source,
            entry_point: "main",
            constants: Vec::new(),
        }
    }
}

/// Records one compute pass with `record`, timestamped by `timer` where there is one, submits it
/// and waits for the device. Returns the pass's device time when the timer read a sane value.
pub fn submit_pass(
    ctx: &GpuContext,
    timer: Option<&GpuTimer>,
    label: &str,
    record: impl FnOnce(&mut wgpu::ComputePass<'_>),
) -> Result<Option<f64>> {
    ctx.set_task(label);
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some(label),
            timestamp_writes: timer.map(|t| t.pass_writes()),
        });
        record(&mut pass);
    }
    if let Some(t) = timer {
        t.resolve(&mut encoder);
    }
    ctx.submit([encoder.finish()]);
    match timer {
        Some(t) => t.read_seconds(ctx),
        None => ctx.wait().map(|_| None),
    }
}

/// Writes each `(buffer, bytes)` at offset 0 and waits until the copies have reached the device.
/// Returns the wall time taken, the upload phase of a run.
pub fn upload(ctx: &GpuContext, writes: &[(&wgpu::Buffer, &[u8])]) -> Result<f64> {
    let start = Instant::now();
    for (buffer, bytes) in writes {
        ctx.write_buffer(buffer, 0, bytes);
    }
    // Queue writes are carried out at the next submission: submit nothing to flush them.
    ctx.submit([]);
    ctx.wait()?;
    Ok(start.elapsed().as_secs_f64())
}

/// A `MAP_READ` staging buffer made once and reused by every readback of a run. It holds one or
/// more regions back to back, so several outputs come back with one copy submission and one map.
pub struct Readback {
    staging: wgpu::Buffer,
    sizes: Vec<u64>,
}

impl Readback {
    /// A staging buffer for reading back sources of `sizes` bytes each (multiples of 4).
    pub fn new(ctx: &GpuContext, label: &str, sizes: &[u64]) -> Result<Readback> {
        let staging = ctx.buffer(
            label,
            sizes.iter().sum(),
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        )?;
        Ok(Readback {
            staging,
            sizes: sizes.to_vec(),
        })
    }

    /// Copies the first `sizes[i]` bytes of `sources[i]` (`COPY_SRC` buffers) to the host,
    /// waiting for the device. Returns one byte vector per source.
    pub fn read(&self, ctx: &GpuContext, sources: &[&wgpu::Buffer]) -> Result<Vec<Vec<u8>>> {
        assert_eq!(sources.len(), self.sizes.len(), "one source per region");
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        let mut offset = 0;
        for (source, &size) in sources.iter().zip(&self.sizes) {
            encoder.copy_buffer_to_buffer(source, 0, &self.staging, offset, size);
            offset += size;
        }
        ctx.submit([encoder.finish()]);
        let all = ctx.map_and_read(&self.staging, offset)?;
        let mut out = Vec::with_capacity(self.sizes.len());
        let mut rest = all.as_slice();
        for &size in &self.sizes {
            let (head, tail) = rest.split_at(size as usize);
            out.push(head.to_vec());
            rest = tail;
        }
        Ok(out)
    }

    /// Reads back the one source of a single-region readback as a vector of `T`.
    pub fn read_one<T: bytemuck::Pod>(
        &self,
        ctx: &GpuContext,
        source: &wgpu::Buffer,
    ) -> Result<Vec<T>> {
        let bytes = self.read(ctx, &[source])?;
        Ok(cast_vec(&bytes[0]))
    }
}

/// Copies bytes read back from the device into a vector of `T` (the bytes need not be aligned
/// for `T`, which a plain `Vec<u8>` does not promise).
pub fn cast_vec<T: bytemuck::Pod>(bytes: &[u8]) -> Vec<T> {
    let count = bytes.len() / std::mem::size_of::<T>();
    let mut out = vec![T::zeroed(); count];
    bytemuck::cast_slice_mut::<T, u8>(&mut out)
        .copy_from_slice(&bytes[..count * std::mem::size_of::<T>()]);
    out
}

/// A storage buffer (copy source and destination too) of `bytes` bytes, every word set to
/// `poison`: a value chosen so it cannot pass for the kernel's output, so that an element the
/// kernel failed to write shows up in tests instead of passing as zero or a previous result.
pub fn poisoned_storage(
    ctx: &GpuContext,
    label: &str,
    bytes: u64,
    poison: u32,
) -> Result<wgpu::Buffer> {
    let words = vec![poison; bytes.div_ceil(4) as usize];
    ctx.storage_with_data(label, bytemuck::cast_slice(&words))
}
