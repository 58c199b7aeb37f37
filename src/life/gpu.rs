//! The GPU Life engine: the grid stays on the device in two buffers that swap roles each
//! generation (the `boids` pattern from wgpu's examples); many generations go into one
//! submission; the grid is read back only when asked.
//!
//! A grid larger than the adapter's largest storage binding is split by rows into chunks, one
//! buffer pair each; every generation then dispatches once per chunk, reading one halo row from
//! each neighbouring chunk. The dispatch itself is folded into two dimensions, so neither the
//! binding size nor the 65535-workgroup limit caps the grid size.
//!
//! Three kernels: [`Kernel::Packed`] (shaders/life.wgsl, bit-packed and bit-sliced, one
//! generation per dispatch), [`Kernel::Tiled`] (shaders/life_tiled.wgsl, the same network run
//! for up to [`MAX_TILE_GENERATIONS`] generations per dispatch on tiles held in workgroup
//! memory) and [`Kernel::Naive`] (shaders/life_naive.wgsl, one u32 per cell and one invocation
//! per cell, the baseline that shows what packing buys). Each is one `KernelDescription`
//! (shader, rule constants, grid layout and bindings, generations per pass, invocation plan),
//! and the engine reads nothing else about it: a new GPU kernel is one more description and its
//! .wgsl. Pipelines, bind groups, poisoning and submissions go through the helpers of
//! [`crate::gpu`] that every workload uses.

use super::grid::{last_word_mask, Grid};
use super::rule::{Rule, Topology};
use super::Kernel;
use crate::error::{Error, Result};
use crate::gpu::{
    dispatch_size, poisoned_storage, submit_pass, ComputeKernel, GpuContext, GpuTimer,
    PipelineOptions, ShaderBuild,
};
use std::sync::Arc;

/// The WGSL source of the bit-packed Life kernel (shaders/life_adder.wgsl and
/// shaders/life_common.wgsl in front of it).
pub const LIFE_WGSL: &str = concat!(
    include_str!("../../shaders/life_adder.wgsl"),
    include_str!("../../shaders/life_common.wgsl"),
    include_str!("../../shaders/life.wgsl")
);
/// The WGSL source of the tiled Life kernel (shaders/life_adder.wgsl and
/// shaders/life_common.wgsl in front of it).
pub const LIFE_TILED_WGSL: &str = concat!(
    include_str!("../../shaders/life_adder.wgsl"),
    include_str!("../../shaders/life_common.wgsl"),
    include_str!("../../shaders/life_tiled.wgsl")
);
/// The WGSL source of the one-cell-per-invocation baseline kernel.
pub const LIFE_NAIVE_WGSL: &str = include_str!("../../shaders/life_naive.wgsl");

/// Invocations per workgroup in every Life kernel (their `@workgroup_size`, checked by the tests
/// below).
const WORKGROUP_SIZE: u64 = 256;

/// Words across one tile of the tiled kernel (its `TILE_WORDS`): 30, so that the tile and its
/// one-word halo each side are 32 words, one per invocation of a subgroup.
const TILE_WORDS: u32 = 30;

/// Rows down one tile of the tiled kernel (its `TILE_ROWS`).
const TILE_ROWS: u32 = 32;

/// Most generations the tiled kernel runs per dispatch (its `MAX_GENERATIONS`): each one costs
/// two halo rows per tile of 32, recomputed, and the workgroup arrays are sized for it.
pub const MAX_TILE_GENERATIONS: u32 = 8;

/// Rows of words one invocation of the packed kernel computes (its `ROWS` constant).
const ROWS_PER_INVOCATION: u32 = 8;

/// Generations recorded into one submission. Large enough that per-submission overhead vanishes,
/// small enough that no single submission runs long enough to trip an OS GPU watchdog, and that
/// Ctrl-C and progress reports are noticed within a fraction of a second.
pub const GENERATIONS_PER_SUBMIT: u64 = 256;

/// Everything the host code needs to know about one GPU Life kernel: its shader, how the rule
/// and its other constants reach it, how the grid is laid out and bound, how many generations
/// one dispatch advances and how many invocations a chunk takes. [`GpuLife`] reads only this,
/// so a new GPU kernel is one more description (and its .wgsl), picked in [`description`].
struct KernelDescription {
    /// The WGSL source as compiled (shaders/life_adder.wgsl and life_common.wgsl in front of the
    /// bit-packed ones).
    source: &'static str,
    /// How the rule becomes the shader's `BIRTH` and `SURVIVE` constants.
    rule_masks: RuleMasks,
    /// The shader's other pipeline-overridable constants.
    constants: &'static [(&'static str, f64)],
    /// How the grid is stored and bound.
    layout: Layout,
    /// Generations one dispatch advances at most. Above 1, binding 5 is a uniform with the
    /// generation count of the pass (one bind group per count), and a pass runs no more
    /// generations than the shortest chunk has rows (its halo rows come from the neighbours).
    max_generations_per_pass: u32,
    /// How many invocations one chunk of the grid takes.
    invocations: Invocations,
    /// Whether wgpu zeroes workgroup memory before each workgroup runs: needless for a shader
    /// that writes every workgroup word before it reads it, and that zeroing costs time.
    zero_initialize_workgroup_memory: bool,
}

/// How a [`Rule`] becomes the `BIRTH` and `SURVIVE` masks of a kernel.
enum RuleMasks {
    /// Over the 3×3 sum, the cell itself included ([`Rule::nine_sum_masks`]): what the
    /// bit-sliced adder network of shaders/life_adder.wgsl produces.
    NineSum,
    /// Over the live-neighbour count ([`Rule::birth`], [`Rule::survival`]).
    Neighbours,
}

/// How a kernel stores the grid on the device, and so what it binds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// The grid's own bit-packed words, split by rows into chunks no larger than a storage
    /// binding; bindings: 0 `LifeParams`, 1 the chunk above (halo rows), 2 this chunk, 3 the
    /// chunk below, 4 this chunk's next generation (shaders/life_common.wgsl).
    PackedChunks,
    /// One u32 per cell, in one buffer (grids past one binding are refused); bindings:
    /// 0 `NaiveParams`, 1 the current generation, 2 the next.
    WordPerCell,
}

/// How many invocations a chunk of `rows` rows of `words_per_row` words takes, and the `bands`
/// its `LifeParams` counts.
enum Invocations {
    /// One invocation per column of `rows_per_band` words: bands of that many rows.
    Columns { rows_per_band: u32 },
    /// One workgroup per tile of `words` × `rows` words: bands of tiles down the chunk.
    Tiles { words: u32, rows: u32 },
    /// One invocation per cell.
    Cells,
}

impl Invocations {
    /// (bands, invocations) for a chunk of `rows` rows of `words_per_row` words, `width` cells
    /// wide.
    fn plan(&self, rows: u32, words_per_row: u32, width: u32) -> (u32, u64) {
        match *self {
            Invocations::Columns { rows_per_band } => {
                let bands = rows.div_ceil(rows_per_band);
                (bands, words_per_row as u64 * bands as u64)
            }
            Invocations::Tiles {
                words,
                rows: tile_rows,
            } => {
                let bands = rows.div_ceil(tile_rows);
                let tiles = words_per_row.div_ceil(words) as u64 * bands as u64;
                (bands, tiles * WORKGROUP_SIZE)
            }
            Invocations::Cells => (rows, width as u64 * rows as u64),
        }
    }
}

/// shaders/life.wgsl: bit-packed and bit-sliced, a column of [`ROWS_PER_INVOCATION`] words per
/// invocation, one generation per dispatch.
const PACKED: KernelDescription = KernelDescription {
    source: LIFE_WGSL,
    rule_masks: RuleMasks::NineSum,
    constants: &[("ROWS", ROWS_PER_INVOCATION as f64)],
    layout: Layout::PackedChunks,
    max_generations_per_pass: 1,
    invocations: Invocations::Columns {
        rows_per_band: ROWS_PER_INVOCATION,
    },
    zero_initialize_workgroup_memory: true,
};

/// shaders/life_tiled.wgsl: the same network, up to [`MAX_TILE_GENERATIONS`] generations per
/// dispatch on tiles held in workgroup memory.
const TILED: KernelDescription = KernelDescription {
    source: LIFE_TILED_WGSL,
    rule_masks: RuleMasks::NineSum,
    constants: &[],
    layout: Layout::PackedChunks,
    max_generations_per_pass: MAX_TILE_GENERATIONS,
    invocations: Invocations::Tiles {
        words: TILE_WORDS,
        rows: TILE_ROWS,
    },
    // It writes every word of its workgroup arrays before reading it: zeroing is pure cost.
    zero_initialize_workgroup_memory: false,
};

/// shaders/life_naive.wgsl: one u32 and one invocation per cell, the baseline.
const NAIVE: KernelDescription = KernelDescription {
    source: LIFE_NAIVE_WGSL,
    rule_masks: RuleMasks::Neighbours,
    constants: &[],
    layout: Layout::WordPerCell,
    max_generations_per_pass: 1,
    invocations: Invocations::Cells,
    zero_initialize_workgroup_memory: true,
};

/// The description of `kernel` on the GPU: the one place a Life kernel meets its shader.
fn description(kernel: Kernel) -> &'static KernelDescription {
    match kernel {
        Kernel::Packed => &PACKED,
        Kernel::Tiled => &TILED,
        Kernel::Naive => &NAIVE,
    }
}

/// Mirrors `Params` in shaders/life_common.wgsl (which life.wgsl and life_tiled.wgsl use); the
/// tests below check the layouts agree.
/// `bands` counts row bands of `ROWS` rows for the packed kernel, tiles down the chunk for the
/// tiled one.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct LifeParams {
    width: u32,
    words_per_row: u32,
    torus: u32,
    last_word_mask: u32,
    last_bit: u32,
    rows: u32,
    bands: u32,
    has_above: u32,
    has_below: u32,
    above_offset: u32,
    below_offset: u32,
    _pad: u32,
}

/// Mirrors `Params` in shaders/life_naive.wgsl; the tests below check the layouts agree.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct NaiveParams {
    width: u32,
    height: u32,
    torus: u32,
    _pad: u32,
}

/// A band of rows held in its own pair of buffers.
struct Chunk {
    /// The band in both generations: `buffers[p]` holds it at parity `p`.
    buffers: [wgpu::Buffer; 2],
    /// `bind_groups[p][g - 1]` reads parity `p` (and the neighbours' halo rows) and writes
    /// `1 - p`, `g` generations on: `g` is 1 except for the tiled kernel, which has one bind
    /// group per generation count of a pass.
    bind_groups: [Vec<wgpu::BindGroup>; 2],
    /// Workgroups of one dispatch over this chunk, folded to two dimensions.
    groups: (u32, u32),
    /// Bytes of one of its buffers.
    bytes: u64,
    /// Rows of the grid in this chunk.
    rows: u32,
}

/// Life on a GPU: the grid resident in chunk buffers (usually one chunk), two generations each,
/// and one compute kernel.
pub struct GpuLife {
    ctx: Arc<GpuContext>,
    kernel: Kernel,
    /// What `kernel` is on the GPU: layout, bindings, generations per pass.
    description: &'static KernelDescription,
    compute: ComputeKernel,
    chunks: Vec<Chunk>,
    /// Parity of the buffers holding the current generation.
    current: usize,
    /// Generations one dispatch advances at most: 1, or up to [`MAX_TILE_GENERATIONS`] for the
    /// tiled kernel.
    generations_per_pass: u32,
    width: u32,
    height: u32,
    timer: Option<GpuTimer>,
}

/// One chunk's data, parameters and dispatch size, before its buffers exist.
struct ChunkPlan {
    data: Vec<u32>,
    params: Vec<u8>,
    invocations: u64,
    /// Rows of the grid in this chunk.
    rows: u32,
}

impl GpuLife {
    /// Uploads `grid` and prepares the bit-packed kernel.
    pub fn new(ctx: Arc<GpuContext>, grid: &Grid, rule: Rule, topology: Topology) -> Result<Self> {
        Self::with_kernel(ctx, grid, rule, topology, Kernel::Packed)
    }

    /// Uploads `grid` and prepares `kernel`. The packed and tiled kernels split grids larger than
    /// one storage binding into chunks; the naive one refuses them with the limit named.
    pub fn with_kernel(
        ctx: Arc<GpuContext>,
        grid: &Grid,
        rule: Rule,
        topology: Topology,
        kernel: Kernel,
    ) -> Result<Self> {
        let limits = ctx.limits();
        let max_chunk = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        Self::with_chunk_limit(ctx, grid, rule, topology, kernel, max_chunk)
    }

    /// Like [`GpuLife::with_kernel`], with chunk buffers of at most `max_chunk_bytes` (never more
    /// than the adapter allows). Small values force many chunks: tests use this to check the
    /// splitting on small grids.
    pub fn with_chunk_limit(
        ctx: Arc<GpuContext>,
        grid: &Grid,
        rule: Rule,
        topology: Topology,
        kernel: Kernel,
        max_chunk_bytes: u64,
    ) -> Result<Self> {
        let torus = topology == Topology::Torus;
        let description = description(kernel);
        let plans = match description.layout {
            Layout::PackedChunks => plan_chunks(&ctx, grid, torus, max_chunk_bytes, description)?,
            Layout::WordPerCell => vec![plan_word_per_cell(&ctx, grid, torus, description)?],
        };
        // A pass's halo rows come from the neighbouring chunks, so it runs no more generations
        // than the shortest chunk has rows.
        let shortest = plans.iter().map(|p| p.rows).min().unwrap_or(1);
        let generations_per_pass = shortest.clamp(1, description.max_generations_per_pass);
        let label = format!("life ({kernel})");
        let (source, constants) = kernel_source(kernel, rule);
        let compute = ComputeKernel::new(
            &ctx,
            source,
            &PipelineOptions {
                constants: &constants,
                zero_initialize_workgroup_memory: description.zero_initialize_workgroup_memory,
                ..PipelineOptions::new(&label)
            },
        )?;
        let chunks = build_chunks(&ctx, &compute, description, generations_per_pass, plans)?;
        let timer = GpuTimer::new(&ctx)?;
        ctx.check()?;
        Ok(GpuLife {
            ctx,
            kernel,
            description,
            compute,
            chunks,
            current: 0,
            generations_per_pass,
            width: grid.width(),
            height: grid.height(),
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

    /// How many chunk buffers the grid is split into (1 unless it exceeds a storage binding).
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// Generations one dispatch advances at most: 1 for the packed and naive kernels, up to
    /// [`MAX_TILE_GENERATIONS`] for the tiled one (fewer when a chunk has fewer rows).
    pub fn generations_per_pass(&self) -> u32 {
        self.generations_per_pass
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

    /// Records `n` generations in one compute pass (one dispatch per chunk and pass of up to
    /// `generations_per_pass` generations), submits them and waits.
    fn submit(&mut self, n: u64) -> Result<Option<f64>> {
        let per_pass = self.generations_per_pass as u64;
        let passes = n.div_ceil(per_pass);
        // Pass `i` runs `per_pass` generations (the last one what is left) from parity
        // `start + i`: wgpu places a barrier between dispatches in a pass that write and then
        // read the same buffer, so each pass sees the previous one complete.
        let start = self.current;
        let chunks = &self.chunks;
        let dispatches = (0..passes).flat_map(|i| {
            let generations = per_pass.min(n - i * per_pass) as usize;
            let parity = (start + i as usize) % 2;
            chunks
                .iter()
                .map(move |chunk| (&chunk.bind_groups[parity][generations - 1], chunk.groups))
        });
        let compute = &self.compute;
        let label = format!("life ({})", self.kernel);
        let timed = submit_pass(&self.ctx, self.timer.as_ref(), &label, |pass| {
            compute.dispatch_all(pass, dispatches)
        });
        self.current = (start + passes as usize) % 2;
        timed
    }

    /// Replaces the current generation with `grid`, of the engine's size, reusing the pipeline
    /// and buffers: a distributed band of the naive kernel (which cannot move rows alone) loads
    /// each block this way instead of building a new engine. The writes reach the device before
    /// the next step or read: nothing waits here.
    pub fn set_grid(&mut self, grid: &Grid) -> Result<()> {
        if (grid.width(), grid.height()) != (self.width, self.height) {
            return Err(Error::InvalidArgument(format!(
                "a {}x{} grid for a {}x{} GPU engine",
                grid.width(),
                grid.height(),
                self.width,
                self.height
            )));
        }
        match self.description.layout {
            Layout::PackedChunks => self.write_rows(0, grid.words()),
            Layout::WordPerCell => {
                let cells = word_per_cell(grid);
                let buffer = &self.chunks[0].buffers[self.current];
                self.ctx
                    .write_buffer(buffer, 0, bytemuck::cast_slice(&cells));
                Ok(())
            }
        }
    }

    /// Reads the current generation back from the device.
    pub fn grid(&self) -> Result<Grid> {
        let mut values = Vec::new();
        for chunk in &self.chunks {
            let bytes = self
                .ctx
                .read_buffer(&chunk.buffers[self.current], chunk.bytes)?;
            values.extend(
                bytes
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes(c.try_into().expect("chunks of 4"))),
            );
        }
        match self.description.layout {
            Layout::PackedChunks => Grid::from_words(self.width, self.height, values),
            Layout::WordPerCell => {
                let mut grid = Grid::new(self.width, self.height)?;
                let w = self.width as usize;
                for (i, v) in values.into_iter().enumerate() {
                    if v != 0 {
                        grid.set((i % w) as u32, (i / w) as u32, true);
                    }
                }
                Ok(grid)
            }
        }
    }
}

impl GpuLife {
    /// Words of one packed row.
    fn words_per_row(&self) -> u64 {
        self.width.div_ceil(32) as u64
    }

    /// Checks that rows `first .. first + count` lie in the grid and that the kernel stores rows
    /// bit-packed (the naive kernel's one word per cell has no row calls).
    fn check_rows(&self, first: u32, count: u64) -> Result<()> {
        if self.description.layout != Layout::PackedChunks {
            return Err(Error::InvalidArgument(
                "reading or writing a few rows needs the packed or tiled GPU kernel, not the naive one"
                    .into(),
            ));
        }
        if first as u64 + count > self.height as u64 {
            return Err(Error::InvalidArgument(format!(
                "rows {first}..{} are outside the {}-row grid",
                first as u64 + count,
                self.height
            )));
        }
        Ok(())
    }

    /// The pieces of rows `first .. first + count` in the chunk buffers: (chunk, byte offset in
    /// it, byte offset in the rows, bytes), in order. A range may cross chunk boundaries.
    fn row_pieces(&self, first: u32, count: u32) -> Vec<(usize, u64, u64, u64)> {
        let row_bytes = self.words_per_row() * 4;
        let (start, end) = (first as u64, first as u64 + count as u64);
        let mut pieces = Vec::new();
        let mut chunk_first = 0u64;
        for (k, chunk) in self.chunks.iter().enumerate() {
            let chunk_end = chunk_first + chunk.rows as u64;
            let (a, b) = (start.max(chunk_first), end.min(chunk_end));
            if a < b {
                pieces.push((
                    k,
                    (a - chunk_first) * row_bytes,
                    (a - start) * row_bytes,
                    (b - a) * row_bytes,
                ));
            }
            chunk_first = chunk_end;
        }
        pieces
    }

    /// Reads back rows of the current generation, `(first row, row count)` per range, all in one
    /// copy submission and one bounded wait; returns each range's packed words, row-major. This
    /// moves only the rows asked for: a distributed band reads its `k` edge rows at each end
    /// this way instead of the whole band.
    pub fn read_rows(&self, ranges: &[(u32, u32)]) -> Result<Vec<Vec<u32>>> {
        let row_bytes = self.words_per_row() * 4;
        for &(first, count) in ranges {
            self.check_rows(first, count as u64)?;
        }
        let total: u64 = ranges.iter().map(|&(_, c)| c as u64 * row_bytes).sum();
        if total == 0 {
            return Ok(ranges.iter().map(|_| Vec::new()).collect());
        }
        let staging = self.ctx.buffer(
            "life rows readback",
            total,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        )?;
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        let mut base = 0;
        for &(first, count) in ranges {
            for (k, from, to, bytes) in self.row_pieces(first, count) {
                let source = &self.chunks[k].buffers[self.current];
                encoder.copy_buffer_to_buffer(source, from, &staging, base + to, bytes);
            }
            base += count as u64 * row_bytes;
        }
        self.ctx.set_task("life (read rows)");
        self.ctx.submit([encoder.finish()]);
        let bytes = self.ctx.map_and_read(&staging, total)?;
        let mut rest = bytes.as_slice();
        Ok(ranges
            .iter()
            .map(|&(_, count)| {
                let (head, tail) = rest.split_at((count as u64 * row_bytes) as usize);
                rest = tail;
                crate::gpu::cast_vec(head)
            })
            .collect())
    }

    /// Overwrites rows `first ..` of the current generation with `words` (whole packed rows,
    /// row-major; bits past the grid's width are cleared). The writes reach the device before
    /// the next step or read: nothing waits here. A distributed band writes its `k` ghost rows at
    /// each end this way instead of uploading the whole band.
    pub fn write_rows(&mut self, first: u32, words: &[u32]) -> Result<()> {
        let wpr = self.words_per_row() as usize;
        if !words.len().is_multiple_of(wpr) {
            return Err(Error::InvalidArgument(format!(
                "{} words are not whole rows of {wpr} words",
                words.len()
            )));
        }
        let count = words.len() / wpr;
        self.check_rows(first, count as u64)?;
        let mask = last_word_mask(self.width);
        let mut rows = words.to_vec();
        for row in rows.chunks_exact_mut(wpr) {
            row[wpr - 1] &= mask;
        }
        let bytes: &[u8] = bytemuck::cast_slice(&rows);
        for (k, to, from, len) in self.row_pieces(first, count as u32) {
            let (from, len) = (from as usize, len as usize);
            self.ctx.write_buffer(
                &self.chunks[k].buffers[self.current],
                to,
                &bytes[from..from + len],
            );
        }
        Ok(())
    }
}

/// The WGSL source `kernel` is compiled from and the pipeline-overridable constants it is built
/// with for `rule`: what [`GpuLife`] compiles, and what [`shader_builds`] lists.
pub fn kernel_source(kernel: Kernel, rule: Rule) -> (&'static str, Vec<(&'static str, f64)>) {
    let description = description(kernel);
    let (birth, survive) = match description.rule_masks {
        RuleMasks::NineSum => rule.nine_sum_masks(),
        RuleMasks::Neighbours => (rule.birth, rule.survival),
    };
    let mut constants = vec![("BIRTH", birth as f64), ("SURVIVE", survive as f64)];
    constants.extend_from_slice(description.constants);
    (description.source, constants)
}

/// The rules [`shader_builds`] lists each kernel with: its rule masks are pipeline constants,
/// and Conway (B3/S23), B36/S23 and B2/S, whose masks differ in every term, stand for every rule
/// (each folds its own way).
const SAMPLE_RULES: [Rule; 3] = [
    Rule::CONWAY,
    Rule {
        birth: (1 << 3) | (1 << 6),
        survival: (1 << 2) | (1 << 3),
    },
    Rule {
        birth: 1 << 2,
        survival: 0,
    },
];

/// The builds of `kernel` [`GpuLife`] compiles ([`kernel_source`]), one per sample rule, for
/// tests/shaders_validate.rs to validate and translate to every shading language.
pub fn shader_builds(kernel: Kernel) -> Vec<ShaderBuild> {
    SAMPLE_RULES
        .into_iter()
        .map(|rule| {
            let (source, constants) = kernel_source(kernel, rule);
            ShaderBuild {
                constants,
                ..ShaderBuild::main(&format!("life {kernel} {rule}"), source)
            }
        })
        .collect()
}

/// Splits the packed grid into row chunks of at most `max_chunk_bytes` each, balanced in size,
/// and computes each chunk's parameters (where its halo rows come from) and dispatch size for
/// a kernel of [`Layout::PackedChunks`].
fn plan_chunks(
    ctx: &GpuContext,
    grid: &Grid,
    torus: bool,
    max_chunk_bytes: u64,
    description: &KernelDescription,
) -> Result<Vec<ChunkPlan>> {
    let wpr = grid.words_per_row();
    let row_bytes = wpr as u64 * 4;
    let limits = ctx.limits();
    let max_chunk_bytes = max_chunk_bytes
        .min(limits.max_storage_buffer_binding_size)
        .min(limits.max_buffer_size);
    if row_bytes > max_chunk_bytes {
        return Err(Error::GpuLimit {
            what: format!("one row of the {}-cell-wide grid", grid.width()),
            value: row_bytes,
            limit_name: "max_storage_buffer_binding_size",
            limit: max_chunk_bytes,
        });
    }
    let height = grid.height();
    let count = (height as u64).div_ceil(max_chunk_bytes / row_bytes) as u32;
    let rows_per_chunk = height.div_ceil(count);
    let count = height.div_ceil(rows_per_chunk);
    let rows_of = |k: u32| rows_per_chunk.min(height - k * rows_per_chunk);
    let words = grid.words();
    Ok((0..count)
        .map(|k| {
            let first = (k * rows_per_chunk) as usize * wpr as usize;
            let rows = rows_of(k);
            let data = words[first..first + rows as usize * wpr as usize].to_vec();
            let above = if k > 0 {
                Some(k - 1)
            } else {
                torus.then_some(count - 1)
            };
            let below = if k + 1 < count {
                Some(k + 1)
            } else {
                torus.then_some(0)
            };
            let (bands, invocations) = description.invocations.plan(rows, wpr, grid.width());
            let params = LifeParams {
                width: grid.width(),
                words_per_row: wpr,
                torus: torus as u32,
                last_word_mask: last_word_mask(grid.width()),
                last_bit: (grid.width() - 1) % 32,
                rows,
                bands,
                has_above: above.is_some() as u32,
                has_below: below.is_some() as u32,
                above_offset: above.map_or(0, |a| (rows_of(a) - 1) * wpr),
                below_offset: 0,
                _pad: 0,
            };
            ChunkPlan {
                data,
                params: bytemuck::bytes_of(&params).to_vec(),
                invocations,
                rows,
            }
        })
        .collect())
}

/// The single chunk of a kernel of [`Layout::WordPerCell`]: one u32 per cell.
fn plan_word_per_cell(
    ctx: &GpuContext,
    grid: &Grid,
    torus: bool,
    description: &KernelDescription,
) -> Result<ChunkPlan> {
    let cells = grid.cells();
    ctx.check_binding("the unpacked grid buffer (4 bytes per cell)", cells * 4)?;
    let data = word_per_cell(grid);
    let params = NaiveParams {
        width: grid.width(),
        height: grid.height(),
        torus: torus as u32,
        _pad: 0,
    };
    Ok(ChunkPlan {
        data,
        params: bytemuck::bytes_of(&params).to_vec(),
        invocations: description
            .invocations
            .plan(grid.height(), grid.words_per_row(), grid.width())
            .1,
        rows: grid.height(),
    })
}

/// `grid` unpacked, one u32 (0 or 1) per cell, row-major: the [`Layout::WordPerCell`] layout.
fn word_per_cell(grid: &Grid) -> Vec<u32> {
    let mut data = vec![0u32; grid.cells() as usize];
    for (x, y) in grid.live_cells() {
        data[y as usize * grid.width() as usize + x as usize] = 1;
    }
    data
}

/// Uploads every chunk (the second buffer of each poisoned, so a word the kernel fails to write
/// shows up as garbage instead of passing as the previous generation) and binds them as the
/// description's layout says, once per generation count 1 ..= `generations_per_pass`.
fn build_chunks(
    ctx: &GpuContext,
    compute: &ComputeKernel,
    description: &KernelDescription,
    generations_per_pass: u32,
    plans: Vec<ChunkPlan>,
) -> Result<Vec<Chunk>> {
    let mut buffers = Vec::with_capacity(plans.len());
    for plan in &plans {
        let a = ctx.storage_with_data("life grid", bytemuck::cast_slice(&plan.data))?;
        let b = poisoned_storage(ctx, "life grid", plan.data.len() as u64 * 4, 0xA5A5_A5A5)?;
        buffers.push([a, b]);
    }
    // A multi-generation kernel's generation counts (binding 5), one small uniform each, shared
    // by every chunk (16 bytes: the smallest uniform binding some backends accept). A
    // one-generation kernel binds none: one bind group per parity.
    let pass_generations: Vec<Option<wgpu::Buffer>> = if description.max_generations_per_pass > 1 {
        (1..=generations_per_pass)
            .map(|g| {
                let bytes: [u32; 4] = [g, 0, 0, 0];
                Some(ctx.uniform_with_data("life pass generations", bytemuck::bytes_of(&bytes)))
            })
            .collect()
    } else {
        vec![None]
    };
    let count = plans.len();
    let mut bind_groups = Vec::with_capacity(count);
    for (k, plan) in plans.iter().enumerate() {
        let uniform = ctx.uniform_with_data("life params", &plan.params);
        // The chunks holding the halo rows; a chunk with no neighbour there (bounded grid) binds
        // itself, and the shader reads nothing from it.
        let above = if k > 0 { k - 1 } else { count - 1 };
        let below = if k + 1 < count { k + 1 } else { 0 };
        let bind = |p: usize, generations: &Option<wgpu::Buffer>| {
            let mut bindings = match description.layout {
                Layout::PackedChunks => vec![
                    &uniform,
                    &buffers[above][p],
                    &buffers[k][p],
                    &buffers[below][p],
                    &buffers[k][1 - p],
                ],
                Layout::WordPerCell => vec![&uniform, &buffers[k][p], &buffers[k][1 - p]],
            };
            bindings.extend(generations);
            compute.bind(ctx, &bindings)
        };
        let bind_all = |p: usize| -> Result<Vec<wgpu::BindGroup>> {
            pass_generations.iter().map(|g| bind(p, g)).collect()
        };
        bind_groups.push([bind_all(0)?, bind_all(1)?]);
    }
    Ok(plans
        .into_iter()
        .zip(buffers)
        .zip(bind_groups)
        .map(|((plan, buffers), bind_groups)| Chunk {
            buffers,
            bind_groups,
            groups: dispatch_size(plan.invocations.div_ceil(WORKGROUP_SIZE)),
            bytes: plan.data.len() as u64 * 4,
            rows: plan.rows,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    crate::gpu::mirror::shader_mirror_test!(
        packed_and_tiled_params_and_workgroup_size_match_the_shaders,
        [LIFE_WGSL, LIFE_TILED_WGSL],
        workgroups { "main" => WORKGROUP_SIZE },
        structs {
            "Params" => LifeParams {
                width, words_per_row, torus, last_word_mask, last_bit, rows, bands, has_above,
                has_below, above_offset, below_offset
            },
        },
    );
    crate::gpu::mirror::shader_mirror_test!(
        naive_params_and_workgroup_size_match_the_shader,
        [LIFE_NAIVE_WGSL],
        workgroups { "main" => WORKGROUP_SIZE },
        structs {
            "Params" => NaiveParams { width, height, torus },
        },
    );

    #[test]
    fn tile_constants_match_the_shader() {
        // The dispatch size and the pass length computed here must agree with the arrays and
        // loops of shaders/life_tiled.wgsl.
        for (name, value) in [
            ("TILE_WORDS", TILE_WORDS),
            ("TILE_ROWS", TILE_ROWS),
            ("MAX_GENERATIONS", MAX_TILE_GENERATIONS),
            ("WORKGROUP_SIZE", WORKGROUP_SIZE as u32),
            ("REGION_COLS", TILE_WORDS + 2),
            ("REGION_ROWS", TILE_ROWS + 2 * MAX_TILE_GENERATIONS),
            (
                "REGION_WORDS",
                (TILE_WORDS + 2) * (TILE_ROWS + 2 * MAX_TILE_GENERATIONS),
            ),
        ] {
            let declaration = format!("const {name}: u32 = {value}u;");
            assert!(LIFE_TILED_WGSL.contains(&declaration), "{declaration}");
        }
        let both = 2 * (TILE_WORDS + 2) * (TILE_ROWS + 2 * MAX_TILE_GENERATIONS);
        assert!(LIFE_TILED_WGSL.contains(&format!("array<u32, {both}>")));
        // One invocation per column segment: the largest region's segments must not outnumber
        // the workgroup's invocations.
        let segment_rows = 6;
        assert!(LIFE_TILED_WGSL.contains(&format!("const SEGMENT_ROWS: u32 = {segment_rows}u;")));
        let segments = (TILE_ROWS + 2 * MAX_TILE_GENERATIONS).div_ceil(segment_rows);
        assert!((TILE_WORDS + 2) * segments <= WORKGROUP_SIZE as u32);
    }
}
