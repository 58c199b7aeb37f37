//! Many same-sized grids in one GPU dispatch (shaders/life_batch.wgsl).
//!
//! A 64×64 grid is 128 words: one dispatch of it uses a sliver of a GPU, and per-dispatch
//! overhead dominates. `life batch` therefore puts every grid of a size end to end in one buffer
//! and steps them all with one dispatch per generation, each grid with its own rule. The host
//! side follows src/life/gpu.rs: two resident buffers that swap roles each generation, many
//! generations per submission, a read back only at the end.

use crate::error::{Error, Result};
use crate::gpu::{
    dispatch_size, poisoned_storage, submit_pass, ComputeKernel, GpuContext, ShaderBuild,
};
use crate::life::gpu::GENERATIONS_PER_SUBMIT;
use crate::life::grid::{last_word_mask, Grid};
use crate::life::rule::{Rule, Topology};
use std::sync::Arc;

/// The WGSL source of the batched kernel (shaders/life_adder.wgsl, the adder network every
/// bit-packed kernel shares, in front of it).
pub const LIFE_BATCH_WGSL: &str = concat!(
    include_str!("../../../shaders/life_adder.wgsl"),
    include_str!("../../../shaders/life_batch.wgsl")
);

/// The kernel [`BatchGpuLife::new`] compiles: shaders/life_batch.wgsl's `main` (the rules are
/// a buffer, not constants, so one build serves every batch).
pub fn shader_build() -> ShaderBuild {
    ShaderBuild::main("life batch", LIFE_BATCH_WGSL)
}

/// Invocations per workgroup in life_batch.wgsl (its `@workgroup_size`, checked by the tests
/// below).
const WORKGROUP_SIZE: u64 = 256;

/// Largest buffer one batch uses, whatever the adapter allows, so that a batch of many grids
/// never needs more than this on the device (twice, for the two generations) and on the host.
pub const MAX_BATCH_BYTES: u64 = 256 << 20;

/// Mirrors `Params` in shaders/life_batch.wgsl; the tests below check the layouts agree.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct BatchParams {
    width: u32,
    height: u32,
    words_per_row: u32,
    torus: u32,
    last_word_mask: u32,
    last_bit: u32,
    grid_words: u32,
    grids: u32,
}

/// Many grids of one size and topology stepping together on a GPU.
pub struct BatchGpuLife {
    ctx: Arc<GpuContext>,
    compute: ComputeKernel,
    buffers: [wgpu::Buffer; 2],
    /// `bind_groups[i]` reads `buffers[i]` and writes `buffers[1 - i]`.
    bind_groups: [wgpu::BindGroup; 2],
    current: usize,
    width: u32,
    height: u32,
    grid_words: u64,
    grids: u64,
}

impl BatchGpuLife {
    /// How many `width` × `height` grids one batch on `ctx` holds: limited by the adapter's
    /// largest storage binding and by [`MAX_BATCH_BYTES`]. At least 1.
    pub fn capacity(ctx: &GpuContext, width: u32, height: u32) -> usize {
        let limits = ctx.limits();
        let max = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size)
            .min(MAX_BATCH_BYTES);
        let one = crate::life::memory::grid_bytes(width, height).max(1);
        (max / one).clamp(1, usize::MAX as u64) as usize
    }

    /// Uploads `grids` (all of one size) with one rule each, and prepares the kernel.
    pub fn new(
        ctx: Arc<GpuContext>,
        grids: &[&Grid],
        rules: &[Rule],
        topology: Topology,
    ) -> Result<Self> {
        let Some(first) = grids.first() else {
            return Err(Error::InvalidArgument("an empty GPU batch".into()));
        };
        let (width, height) = (first.width(), first.height());
        if grids
            .iter()
            .any(|g| (g.width(), g.height()) != (width, height))
            || rules.len() != grids.len()
        {
            return Err(Error::InvalidArgument(
                "a GPU batch needs grids of one size and one rule per grid".into(),
            ));
        }
        let grid_words = first.words().len() as u64;
        let total_bytes = grid_words * 4 * grids.len() as u64;
        ctx.check_binding("the batch buffer", total_bytes)?;
        let mut words = Vec::new();
        words
            .try_reserve_exact((grid_words * grids.len() as u64) as usize)
            .map_err(|_| Error::InvalidSize(format!("cannot allocate {total_bytes} bytes")))?;
        for g in grids {
            words.extend_from_slice(g.words());
        }
        let rule_masks: Vec<[u32; 2]> = rules
            .iter()
            .map(|r| {
                let (b, s) = r.nine_sum_masks();
                [b as u32, s as u32]
            })
            .collect();
        let params = BatchParams {
            width,
            height,
            words_per_row: first.words_per_row(),
            torus: (topology == Topology::Torus) as u32,
            last_word_mask: last_word_mask(width),
            last_bit: (width - 1) % 32,
            grid_words: grid_words as u32,
            grids: grids.len() as u32,
        };
        let compute = ComputeKernel::build(&ctx, &shader_build())?;
        let uniform = ctx.uniform_with_data("life batch params", bytemuck::bytes_of(&params));
        let rules_buf =
            ctx.storage_with_data("life batch rules", bytemuck::cast_slice(&rule_masks))?;
        let a = ctx.storage_with_data("life batch A", bytemuck::cast_slice(&words))?;
        drop(words);
        // Poisoned, not a copy: a word the kernel failed to write shows up as garbage.
        let b = poisoned_storage(&ctx, "life batch B", total_bytes, 0xA5A5_A5A5)?;
        let bind_groups = [
            compute.bind(&ctx, &[&uniform, &rules_buf, &a, &b])?,
            compute.bind(&ctx, &[&uniform, &rules_buf, &b, &a])?,
        ];
        ctx.check()?;
        Ok(BatchGpuLife {
            ctx,
            compute,
            buffers: [a, b],
            bind_groups,
            current: 0,
            width,
            height,
            grid_words,
            grids: grids.len() as u64,
        })
    }

    /// Advances every grid `generations` generations and waits for the device.
    pub fn step(&mut self, generations: u64) -> Result<()> {
        let (gx, gy) = dispatch_size((self.grid_words * self.grids).div_ceil(WORKGROUP_SIZE));
        let mut left = generations;
        while left > 0 {
            let n = left.min(GENERATIONS_PER_SUBMIT);
            // Generation `i` reads parity `start + i`: the two bind groups alternate.
            let start = self.current;
            let dispatches =
                (0..n as usize).map(|i| (&self.bind_groups[(start + i) % 2], (gx, gy)));
            let compute = &self.compute;
            submit_pass(&self.ctx, None, "life batch", |pass| {
                compute.dispatch_all(pass, dispatches)
            })?;
            self.current = (start + n as usize) % 2;
            left -= n;
        }
        Ok(())
    }

    /// Reads every grid back, in the order they were given.
    pub fn grids(&self) -> Result<Vec<Grid>> {
        let bytes = self.ctx.read_buffer(
            &self.buffers[self.current],
            self.grid_words * 4 * self.grids,
        )?;
        bytes
            .chunks_exact((self.grid_words * 4) as usize)
            .map(|chunk| {
                let words = bytemuck::pod_collect_to_vec::<u8, u32>(chunk);
                Grid::from_words(self.width, self.height, words)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    crate::gpu::mirror::shader_mirror_test!(
        params_and_workgroup_size_match_the_shader,
        [LIFE_BATCH_WGSL],
        workgroups { "main" => WORKGROUP_SIZE },
        structs {
            "Params" => BatchParams {
                width, height, words_per_row, torus, last_word_mask, last_bit, grid_words, grids
            },
        },
    );
}
