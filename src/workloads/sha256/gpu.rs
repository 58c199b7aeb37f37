//! The GPU host code of the SHA-256 search: pipeline, buffers, submissions and readback.

use super::{batch_sizes, padded_block, Found, Search, K};
use crate::error::Result;
use crate::gpu::{dispatch_size, poisoned_storage, submit_pass, GpuContext, GpuTimer};
use crate::gpu::{ComputeKernel, Readback, ShaderBuild};
use crate::workloads::Phases;
use std::sync::Arc;
use std::time::Instant;

/// The WGSL source of the search kernel.
pub const SHA256_WGSL: &str = include_str!("../../../shaders/sha256.wgsl");

/// The kernel [`GpuSha256::new`] compiles: shaders/sha256.wgsl's `main`.
pub(super) fn shader_build() -> ShaderBuild {
    ShaderBuild::main("sha256", SHA256_WGSL)
}

/// Invocations per workgroup in sha256.wgsl (its `@workgroup_size`, checked by the tests below).
const WORKGROUP_SIZE: u64 = 256;

/// Mirrors `Sha256Params` in shaders/sha256.wgsl; the tests below check the layouts agree.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct Sha256Params {
    block: [u32; 16],
    k: [u32; 64],
    base_lo: u32,
    base_hi: u32,
    count: u32,
    nonce_at: u32,
    difficulty: u32,
    _pad: [u32; 3],
}

/// "No hit" in the kernel's `found.offset`.
const NONE: u32 = u32::MAX;

/// The search kernel on a GPU: pipeline, uniform (rewritten per batch), result word pair and its
/// staging buffer, made once.
pub struct GpuSha256 {
    ctx: Arc<GpuContext>,
    kernel: ComputeKernel,
    bind_group: wgpu::BindGroup,
    uniform: wgpu::Buffer,
    found: wgpu::Buffer,
    readback: Readback,
    timer: Option<GpuTimer>,
    params: Sha256Params,
    search: Search,
    batch: u64,
}

impl GpuSha256 {
    /// Builds the pipeline and buffers for `search`, in batches of at most `batch` nonces (below
    /// 2^32).
    pub fn new(ctx: Arc<GpuContext>, search: &Search, batch: u64) -> Result<GpuSha256> {
        let block = padded_block(&search.prefix);
        let mut words = [0u32; 16];
        for (w, bytes) in words.iter_mut().zip(block.chunks_exact(4)) {
            *w = u32::from_be_bytes(bytes.try_into().expect("4 bytes"));
        }
        let params = Sha256Params {
            block: words,
            k: K,
            base_lo: 0,
            base_hi: 0,
            count: 0,
            nonce_at: search.prefix.len() as u32,
            difficulty: search.difficulty,
            _pad: [0; 3],
        };
        let kernel = ComputeKernel::build(&ctx, &shader_build())?;
        let uniform = ctx.uniform_with_data("sha256 params", bytemuck::bytes_of(&params));
        let found = poisoned_storage(&ctx, "sha256 found", 8, NONE)?;
        let bind_group = kernel.bind(&ctx, &[&uniform, &found])?;
        let readback = Readback::new(&ctx, "sha256 readback", &[8])?;
        let timer = GpuTimer::new(&ctx)?;
        ctx.check()?;
        Ok(GpuSha256 {
            ctx,
            kernel,
            bind_group,
            uniform,
            found,
            readback,
            timer,
            params,
            search: search.clone(),
            batch: batch.clamp(1, u32::MAX as u64 - 1),
        })
    }

    /// Runs the search batch by batch: reset the result, dispatch, read the result back.
    pub fn run(&mut self) -> Result<(Found, Phases)> {
        let start = Instant::now();
        let search = &self.search;
        let range = search.range();
        let mut first = None;
        let mut matches = 0u64;
        let mut device_seconds = self.timer.as_ref().map(|_| 0.0);
        let mut base = range.start;
        let mut sizes = batch_sizes(search, self.batch);
        while base < range.end && (search.exhaustive || first.is_none()) {
            let count = (range.end - base).min(sizes.next().expect("endless"));
            self.params.base_lo = base as u32;
            self.params.base_hi = (base >> 32) as u32;
            self.params.count = count as u32;
            // Queue writes land before the next submission, the pass below.
            self.ctx
                .queue
                .write_buffer(&self.uniform, 0, bytemuck::bytes_of(&self.params));
            self.ctx
                .queue
                .write_buffer(&self.found, 0, bytemuck::cast_slice(&[NONE, 0]));
            let groups = dispatch_size(count.div_ceil(WORKGROUP_SIZE));
            let timed = submit_pass(&self.ctx, self.timer.as_ref(), "sha256 batch", |pass| {
                self.kernel.dispatch(pass, &self.bind_group, groups)
            })?;
            device_seconds = crate::workloads::add_device_time(device_seconds, timed);
            let [offset, hits]: [u32; 2] = self
                .readback
                .read_one::<u32>(&self.ctx, &self.found)?
                .try_into()
                .map_err(|_| self.ctx.error("sha256: short readback"))?;
            if offset != NONE {
                if offset as u64 >= count {
                    return Err(self.ctx.error(format!(
                        "sha256 kernel reported offset {offset} in a batch of {count}"
                    )));
                }
                first = first.or(Some(base + offset as u64));
            }
            matches += hits as u64;
            base += count;
        }
        Ok((
            Found::from_scan(search, first, matches),
            Phases {
                compute_seconds: Some(start.elapsed().as_secs_f64()),
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
        [SHA256_WGSL],
        workgroups { "main" => WORKGROUP_SIZE },
        structs {
            "Sha256Params" => Sha256Params {
                block, k, base_lo, base_hi, count, nonce_at, difficulty
            },
        },
    );
}
