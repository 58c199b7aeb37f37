//! The GPU Life engine: the grid stays on the device in two buffers that swap roles each
//! generation (the `boids` pattern from wgpu's examples); many generations go into one
//! submission; the grid is read back only when asked.

use super::grid::{last_word_mask, Grid};
use super::rule::{Rule, Topology};
use crate::error::Result;
use crate::gpu::{dispatch_size, GpuContext, GpuTimer};
use std::sync::Arc;

/// The WGSL source of the bit-packed Life kernel.
pub const LIFE_WGSL: &str = include_str!("../../shaders/life.wgsl");

/// Invocations per workgroup in life.wgsl.
const WORKGROUP_SIZE: u64 = 256;

/// Generations recorded into one submission. Large enough that per-submission overhead vanishes,
/// small enough that no single submission runs long enough to trip an OS GPU watchdog, and that
/// Ctrl-C and progress reports are noticed within a fraction of a second.
pub const GENERATIONS_PER_SUBMIT: u64 = 256;

/// Mirrors `Params` in shaders/life.wgsl: keep the two in sync.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct LifeParams {
    width: u32,
    height: u32,
    words_per_row: u32,
    torus: u32,
    birth_mask: u32,
    survive_mask: u32,
    last_word_mask: u32,
    last_bit: u32,
}

/// Life on a GPU: two resident buffers, two bind groups (current→next and back), one pipeline.
pub struct GpuLife {
    ctx: Arc<GpuContext>,
    pipeline: wgpu::ComputePipeline,
    buffers: [wgpu::Buffer; 2],
    /// `bind_groups[i]` reads `buffers[i]` and writes `buffers[1 - i]`.
    bind_groups: [wgpu::BindGroup; 2],
    /// Index of the buffer holding the current generation.
    current: usize,
    width: u32,
    height: u32,
    words: u64,
    timer: Option<GpuTimer>,
}

impl GpuLife {
    /// Uploads `grid` and prepares the kernel. Fails with a message naming the limit if the grid
    /// does not fit one storage binding.
    pub fn new(ctx: Arc<GpuContext>, grid: &Grid, rule: Rule, topology: Topology) -> Result<Self> {
        let bytes: &[u8] = bytemuck::cast_slice(grid.words());
        ctx.check_binding("the grid buffer", bytes.len() as u64)?;
        let (birth_mask, survive_mask) = rule.nine_sum_masks();
        let params = LifeParams {
            width: grid.width(),
            height: grid.height(),
            words_per_row: grid.words_per_row(),
            torus: (topology == Topology::Torus) as u32,
            birth_mask: birth_mask as u32,
            survive_mask: survive_mask as u32,
            last_word_mask: last_word_mask(grid.width()),
            last_bit: (grid.width() - 1) % 32,
        };
        let pipeline = ctx.compute_pipeline("life", LIFE_WGSL, "main")?;
        let uniform = ctx.uniform_with_data("life params", bytemuck::bytes_of(&params));
        let a = ctx.storage_with_data("life grid A", bytes)?;
        // The second buffer starts poisoned, not as a copy: a word the kernel failed to write
        // shows up as garbage instead of passing as the previous generation.
        let poison = vec![0xA5A5_A5A5u32; grid.words().len()];
        let b = ctx.storage_with_data("life grid B", bytemuck::cast_slice(&poison))?;
        let layout = pipeline.get_bind_group_layout(0);
        let bind = |src: &wgpu::Buffer, dst: &wgpu::Buffer| {
            ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("life step"),
                layout: &layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: uniform.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: src.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: dst.as_entire_binding(),
                    },
                ],
            })
        };
        let bind_groups = [bind(&a, &b), bind(&b, &a)];
        let timer = GpuTimer::new(&ctx)?;
        ctx.check()?;
        Ok(GpuLife {
            ctx,
            pipeline,
            buffers: [a, b],
            bind_groups,
            current: 0,
            width: grid.width(),
            height: grid.height(),
            words: grid.words().len() as u64,
            timer,
        })
    }

    /// The context this engine runs on.
    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }

    /// Advances `generations` generations, waiting for the device to finish. Returns the device
    /// time measured by timestamp queries, where the adapter supports them.
    pub fn step(&mut self, generations: u64) -> Result<Option<f64>> {
        let mut device_seconds = self.timer.as_ref().map(|_| 0.0);
        let mut left = generations;
        while left > 0 {
            let n = left.min(GENERATIONS_PER_SUBMIT);
            if let Some(t) = self.submit(n)? {
                device_seconds = device_seconds.map(|d| d + t);
            }
            left -= n;
        }
        Ok(device_seconds)
    }

    /// Records `n` generations as `n` dispatches in one compute pass, submits them and waits.
    fn submit(&mut self, n: u64) -> Result<Option<f64>> {
        let (gx, gy) = dispatch_size(self.words.div_ceil(WORKGROUP_SIZE));
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("life generations"),
                timestamp_writes: self.timer.as_ref().map(|t| t.pass_writes()),
            });
            pass.set_pipeline(&self.pipeline);
            // wgpu places a barrier between dispatches in a pass that write and then read the same
            // buffer, so each generation sees the previous one complete.
            for _ in 0..n {
                pass.set_bind_group(0, &self.bind_groups[self.current], &[]);
                pass.dispatch_workgroups(gx, gy, 1);
                self.current = 1 - self.current;
            }
        }
        if let Some(t) = &self.timer {
            t.resolve(&mut encoder);
        }
        self.ctx.queue.submit([encoder.finish()]);
        match &self.timer {
            Some(t) => t.read_seconds(&self.ctx),
            None => self.ctx.wait().map(|_| None),
        }
    }

    /// Reads the current generation back from the device.
    pub fn grid(&self) -> Result<Grid> {
        let bytes = self
            .ctx
            .read_buffer(&self.buffers[self.current], self.words * 4)?;
        let words = bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        Grid::from_words(self.width, self.height, words)
    }
}
