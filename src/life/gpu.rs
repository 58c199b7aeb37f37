//! The GPU Life engine: the grid stays on the device in two buffers that swap roles each
//! generation (the `boids` pattern from wgpu's examples); many generations go into one
//! submission; the grid is read back only when asked.
//!
//! Two kernels: [`Kernel::Packed`] (shaders/life.wgsl, bit-packed and bit-sliced, the fast
//! one) and [`Kernel::Naive`] (shaders/life_naive.wgsl, one u32 per cell and one invocation
//! per cell, the baseline that shows what packing buys).

use super::grid::{last_word_mask, Grid};
use super::rule::{Rule, Topology};
use super::Kernel;
use crate::error::Result;
use crate::gpu::{dispatch_size, GpuContext, GpuTimer};
use std::sync::Arc;

/// The WGSL source of the bit-packed Life kernel.
pub const LIFE_WGSL: &str = include_str!("../../shaders/life.wgsl");
/// The WGSL source of the one-cell-per-invocation baseline kernel.
pub const LIFE_NAIVE_WGSL: &str = include_str!("../../shaders/life_naive.wgsl");

/// Invocations per workgroup in both kernels.
const WORKGROUP_SIZE: u64 = 256;

/// Rows of words one invocation of the packed kernel computes (its `ROWS` constant).
const ROWS_PER_INVOCATION: u32 = 8;

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
    last_word_mask: u32,
    last_bit: u32,
    bands: u32,
    _pad: u32,
}

/// Mirrors `Params` in shaders/life_naive.wgsl: keep the two in sync.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct NaiveParams {
    width: u32,
    height: u32,
    torus: u32,
    _pad: u32,
}

/// Life on a GPU: two resident buffers, two bind groups (current→next and back), one pipeline.
pub struct GpuLife {
    ctx: Arc<GpuContext>,
    kernel: Kernel,
    pipeline: wgpu::ComputePipeline,
    buffers: [wgpu::Buffer; 2],
    /// `bind_groups[i]` reads `buffers[i]` and writes `buffers[1 - i]`.
    bind_groups: [wgpu::BindGroup; 2],
    /// Index of the buffer holding the current generation.
    current: usize,
    /// Workgroups per dispatch, folded to two dimensions.
    groups: (u32, u32),
    width: u32,
    height: u32,
    /// Bytes of one grid buffer.
    buffer_bytes: u64,
    timer: Option<GpuTimer>,
}

impl GpuLife {
    /// Uploads `grid` and prepares the bit-packed kernel.
    pub fn new(ctx: Arc<GpuContext>, grid: &Grid, rule: Rule, topology: Topology) -> Result<Self> {
        Self::with_kernel(ctx, grid, rule, topology, Kernel::Packed)
    }

    /// Uploads `grid` and prepares `kernel`. Fails with a message naming the limit if the grid
    /// does not fit one storage binding of the adapter.
    pub fn with_kernel(
        ctx: Arc<GpuContext>,
        grid: &Grid,
        rule: Rule,
        topology: Topology,
        kernel: Kernel,
    ) -> Result<Self> {
        let torus = (topology == Topology::Torus) as u32;
        let (data, params, constants, invocations): (Vec<u32>, Vec<u8>, _, u64) = match kernel {
            Kernel::Packed => {
                let (birth, survive) = rule.nine_sum_masks();
                let bands = grid.height().div_ceil(ROWS_PER_INVOCATION);
                let params = LifeParams {
                    width: grid.width(),
                    height: grid.height(),
                    words_per_row: grid.words_per_row(),
                    torus,
                    last_word_mask: last_word_mask(grid.width()),
                    last_bit: (grid.width() - 1) % 32,
                    bands,
                    _pad: 0,
                };
                let constants = [
                    ("BIRTH", birth as f64),
                    ("SURVIVE", survive as f64),
                    ("ROWS", ROWS_PER_INVOCATION as f64),
                ];
                let invocations = grid.words_per_row() as u64 * bands as u64;
                (
                    grid.words().to_vec(),
                    bytemuck::bytes_of(&params).to_vec(),
                    constants.to_vec(),
                    invocations,
                )
            }
            Kernel::Naive => {
                let cells = grid.cells();
                ctx.check_binding("the unpacked grid buffer (4 bytes per cell)", cells * 4)?;
                let mut unpacked = vec![0u32; cells as usize];
                for (x, y) in grid.live_cells() {
                    unpacked[y as usize * grid.width() as usize + x as usize] = 1;
                }
                let params = NaiveParams {
                    width: grid.width(),
                    height: grid.height(),
                    torus,
                    _pad: 0,
                };
                let constants = vec![
                    ("BIRTH", rule.birth as f64),
                    ("SURVIVE", rule.survival as f64),
                ];
                (
                    unpacked,
                    bytemuck::bytes_of(&params).to_vec(),
                    constants,
                    cells,
                )
            }
        };
        let bytes: &[u8] = bytemuck::cast_slice(&data);
        ctx.check_binding("the grid buffer", bytes.len() as u64)?;
        let source = match kernel {
            Kernel::Packed => LIFE_WGSL,
            Kernel::Naive => LIFE_NAIVE_WGSL,
        };
        let label = format!("life ({kernel})");
        let pipeline = ctx.compute_pipeline_with_constants(&label, source, "main", &constants)?;
        let uniform = ctx.uniform_with_data("life params", &params);
        let a = ctx.storage_with_data("life grid A", bytes)?;
        // The second buffer starts poisoned, not as a copy: a word the kernel failed to write
        // shows up as garbage instead of passing as the previous generation.
        let poison = vec![0xA5A5_A5A5u32; data.len()];
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
            groups: dispatch_size(invocations.div_ceil(WORKGROUP_SIZE)),
            ctx,
            kernel,
            pipeline,
            buffers: [a, b],
            bind_groups,
            current: 0,
            width: grid.width(),
            height: grid.height(),
            buffer_bytes: bytes.len() as u64,
            timer,
        })
    }

    /// The context this engine runs on.
    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }

    /// The kernel in use.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Advances `generations` generations, waiting for the device to finish. Returns the device
    /// time measured by timestamp queries, where the adapter supports them.
    pub fn step(&mut self, generations: u64) -> Result<Option<f64>> {
        let mut device_seconds = self.timer.as_ref().map(|_| 0.0);
        let mut left = generations;
        while left > 0 {
            let n = left.min(GENERATIONS_PER_SUBMIT);
            let t = self.submit(n)?;
            device_seconds = device_seconds.zip(t).map(|(d, t)| d + t);
            left -= n;
        }
        Ok(device_seconds)
    }

    /// Records `n` generations as `n` dispatches in one compute pass, submits them and waits.
    fn submit(&mut self, n: u64) -> Result<Option<f64>> {
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
                pass.dispatch_workgroups(self.groups.0, self.groups.1, 1);
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
            .read_buffer(&self.buffers[self.current], self.buffer_bytes)?;
        let values = bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("chunks of 4")));
        match self.kernel {
            Kernel::Packed => Grid::from_words(self.width, self.height, values.collect()),
            Kernel::Naive => {
                let mut grid = Grid::new(self.width, self.height)?;
                let w = self.width as usize;
                for (i, v) in values.enumerate() {
                    if v != 0 {
                        grid.set((i % w) as u32, (i / w) as u32, true);
                    }
                }
                Ok(grid)
            }
        }
    }
}
