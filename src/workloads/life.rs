//! Life as a benchmark workload: a random soup on a torus, B3/S23, for a fixed number of
//! generations. Size notation: `WxH` or `WxH:GENERATIONS` (default 100 generations).
//!
//! Three workloads: `life` runs the bit-packed kernels one generation per pass, `life-tiled` the
//! bit-packed kernels several generations per pass over cache- or workgroup-sized tiles, and
//! `life-naive` the cell-by-cell baselines (one byte per cell on the CPU, one u32 per cell on the
//! GPU), so a report shows what bit-packing and tiling buy on each backend next to what
//! parallelism buys.

use super::{
    Check, Device, DeviceSize, Prepared, Problem, Ran, RunClock, RunTiming, WorkCounts, Workload,
};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::gpu::ShaderBuild;
use crate::isa::Isa;
use crate::life::{reference::reference_run, Grid, Kernel, LifeEngine, Rule, Topology};
use crate::peak::Measure;

/// Life as a workload, with the kernel it runs.
pub struct LifeWorkload {
    /// The kernel every backend runs.
    pub kernel: Kernel,
}

/// What one Life kernel is as a benchmark workload: its name, what it measures and the sizes it
/// runs at. One value per kernel, picked in [`LifeWorkload::profile`], so a new kernel is one
/// more value.
struct KernelProfile {
    /// The workload's name (`life`, `life-tiled`, ...).
    name: &'static str,
    /// One line for listings.
    description: &'static str,
    /// Bytes moved per cell-update, where one figure holds on every backend.
    bytes_per_unit: Option<f64>,
    /// The default size with `--quick`, and without.
    quick_size: &'static str,
    full_size: &'static str,
    /// The sweep's largest grid side (powers of two from 32 up to it), and the cell-updates each
    /// size runs at least, so that tiny grids are not all overhead.
    sweep_largest_side: u64,
    sweep_work: u64,
    /// The problem that fills a datacenter GPU ([`Workload::device_size`]).
    device_size: DeviceSize,
}

/// `life`: the bit-packed kernels, one generation per pass. Bit-packed, a cell is read once
/// (1 bit) and written once (1 bit) per generation: 0.25 bytes.
const PACKED: KernelProfile = KernelProfile {
    name: "life",
    description:
        "Game of Life, bit-packed and bit-sliced, B3/S23 on a random torus (integer stencil)",
    bytes_per_unit: Some(0.25),
    quick_size: "512x512:20",
    full_size: "4096x4096:100",
    sweep_largest_side: 8192,
    sweep_work: 1 << 26,
    device_size: PACKED_DEVICE_SIZE,
};

/// The device-filling problem of both bit-packed workloads. Device time on an H200 from the
/// counted expectations (docs/performance.md): 16384² × 3000 generations, 8.1e11 cell-updates
/// at 1.0e13–1.5e13/s, 54–81 ms. Serial, on the 2-core EPYC guest's measured throughput, 20
/// generations are 5.4e9 at 4e10/s: 0.14 s.
const PACKED_DEVICE_SIZE: DeviceSize = DeviceSize {
    cpu: "16384x16384:20",
    gpu: "16384x16384:3000",
    problem: "16384x16384 torus",
    part: "the first 20 of the GPU's 3000 generations, from the same soup",
};

/// `life-tiled`: the bit-packed kernels, several generations per pass; their traffic depends
/// on how many generations each pass takes (that is the point of them), so no bytes per update.
const TILED: KernelProfile = KernelProfile {
    name: "life-tiled",
    description: "Game of Life, bit-packed, several generations per pass over cache/workgroup tiles, B3/S23 on a random torus",
    bytes_per_unit: None,
    quick_size: "512x512:20",
    full_size: "4096x4096:100",
    sweep_largest_side: 8192,
    sweep_work: 1 << 26,
    device_size: PACKED_DEVICE_SIZE,
};

/// `life-naive`: the cell-by-cell baselines; their traffic differs by backend (1 byte a cell on
/// the CPU, 4 on the GPU), and they are slow, so they run smaller sizes.
const NAIVE: KernelProfile = KernelProfile {
    name: "life-naive",
    description: "Game of Life cell by cell (the baseline): one byte per cell on the CPU, one u32 per cell on the GPU",
    bytes_per_unit: None,
    quick_size: "256x256:4",
    full_size: "1024x1024:10",
    sweep_largest_side: 2048,
    sweep_work: 1 << 22,
    // 8192² × 400 generations, 2.7e10 cell-updates at 4e11–5e11/s on an H200: 54–67 ms (the
    // same work as 16384² × 100 with a quarter of the memory). Serial: 1 generation, 6.7e7 at
    // 5e7/s, 1.3 s.
    device_size: DeviceSize {
        cpu: "8192x8192:1",
        gpu: "8192x8192:400",
        problem: "8192x8192 torus",
        part: "the first of the GPU's 400 generations, from the same soup",
    },
};

impl LifeWorkload {
    /// The workload profile of this workload's kernel.
    fn profile(&self) -> &'static KernelProfile {
        match self.kernel {
            Kernel::Packed => &PACKED,
            Kernel::Tiled => &TILED,
            Kernel::Naive => &NAIVE,
        }
    }
}

/// Generations per run when the size does not say.
pub const DEFAULT_GENERATIONS: u64 = 100;

/// Parses `WxH` or `WxH:GENERATIONS` (`N` alone is a square N×N).
pub fn parse_life_size(size: &str) -> Result<(u32, u32, u64)> {
    let bad = || {
        Error::InvalidArgument(format!(
            "life size '{size}': expected WxH or WxH:GENERATIONS, e.g. 4096x4096:100"
        ))
    };
    let (dims, generations) = match size.split_once(':') {
        Some((d, g)) => (d, g.trim().parse::<u64>().map_err(|_| bad())?),
        None => (size, DEFAULT_GENERATIONS),
    };
    let (w, h) = crate::size::parse_dimensions(dims).ok_or_else(bad)?;
    if generations == 0 {
        return Err(Error::InvalidArgument(format!(
            "life size '{size}': generations must be at least 1"
        )));
    }
    crate::life::grid::check_size(w as u64, h as u64)?;
    Ok((w, h, generations))
}

/// A benchmark's Life problem: a half-full random soup (seed 42) on a W×H torus, B3/S23, stepped
/// `generations` generations per run by one kernel.
struct LifeProblem {
    width: u32,
    height: u32,
    generations: u64,
    kernel: Kernel,
}

impl Problem for LifeProblem {
    fn prepare(&self, backend: &Backend) -> Result<Box<dyn Prepared>> {
        let grid = Grid::random(self.width, self.height, 0.5, 42)?;
        let engine =
            LifeEngine::with_kernel(backend, grid, Rule::CONWAY, Topology::Torus, self.kernel)?;
        Ok(Box::new(PreparedLife {
            start: engine.grid()?,
            engine,
            cells: self.width as u64 * self.height as u64,
            generations: self.generations,
        }))
    }

    fn per_unit(&self) -> String {
        format!(
            "{}x{} torus, B3/S23, soup of density 0.5 from seed 42, {} kernel",
            self.width, self.height, self.kernel
        )
    }
}

struct PreparedLife {
    /// The soup every run starts from, so that every run does the same generations.
    start: Grid,
    engine: LifeEngine,
    cells: u64,
    generations: u64,
}

impl Prepared for PreparedLife {
    /// Inputs: the start grid loaded (copied into the engine's memory; uploaded, and waited
    /// for, on the GPU). Kernel: the generations, several per submission on the GPU. Results:
    /// the final grid in host memory (read back from the GPU; on the CPU it is there already).
    /// The bytes counted are the packed grid's on every backend (the naive kernels hold other
    /// representations of the same grid).
    fn run(&mut self) -> Result<RunTiming> {
        let clock = RunClock::start();
        let grid_bytes = self.start.words().len() as u64 * 4;
        self.engine.set_grid(self.start.clone())?;
        if let LifeEngine::Gpu(gpu) = &self.engine {
            // Queue writes are carried out at the next submission: flush them here, inside the
            // inputs stage, rather than in the kernel's.
            crate::gpu::upload(gpu.context(), &[])?;
        }
        let kernel = clock.ready(grid_bytes);
        let device_seconds = self.engine.step(self.generations)?;
        let results = kernel.done(device_seconds);
        if let LifeEngine::Gpu(gpu) = &self.engine {
            gpu.grid()?;
        }
        Ok(results.on_host(grid_bytes))
    }

    fn work(&self) -> f64 {
        self.cells as f64 * self.generations as f64
    }

    fn cpu_isa(&self) -> Option<crate::isa::Isa> {
        self.engine.cpu_isa()
    }

    fn result_summary(&self) -> Option<String> {
        // One readback per call: reports ask once per row, after the timed runs.
        let grid = self.engine.grid().ok()?;
        Some(format!(
            "population {}, {} hash {}",
            grid.population(),
            crate::life::grid::HASH_ALGORITHM,
            grid.hash_hex()
        ))
    }
}

/// Logic operations per 32 cells (one word) and generation of the bit-packed kernels, B3/S23, as
/// shaders/life_adder.wgsl and life_common.wgsl write them (the CPU's row kernels run the same
/// network on vectors of words):
/// - the horizontal 3-cell sums of the one new row a word needs (the kernels roll the sums down
///   a column): west and east neighbour words by 4 shifts and 2 ORs, then a full adder (`ab =
///   w ^ m`, `ones = ab ^ e`, `twos = (w & m) | (ab & e)`): 6 + 5 = 11;
/// - the 3×3 sum of three rows' sums (`nine_sum`): two full adders (5 each), the carries' sum
///   and carry (2), the top planes (2): 14;
/// - the rule, folded to straight-line code: "three, or four and alive": about 7.
///
/// 32 per word: 1 per cell-update. (The AVX-512 kernel does the same work in ~21 instructions
/// per word with `vpternlogd`, 3 operations in one: operations, not instructions, are counted,
/// in the workloads as in the ceilings.)
const PACKED_LOGIC_PER_WORD: f64 = 32.0;

/// Logic operations per word and generation of the CPU's strip kernel (src/life/cpu/strip.rs),
/// which runs B3/S23 at the SSE2, AVX2 and NEON levels: it counts the 8 neighbours without the
/// cell, so the rule is 4 operations (`(c1 ^ t) & !c2 & (s0 | alive)`):
/// - the new row's sums: west and east by 4 shifts and 2 ORs, their 2-sum (2), the 3-sum with
///   the cell (3): 11;
/// - 3-sum above + 3-sum below + 2-sum of the row, as two full adders of two planes
///   (`p`, `s0`, `c1`; `q`, `t`, `c2`: 5 each): 10;
/// - the rule: 4.
///
/// 25 per word (the row kernel's 32 at the scalar level, and the AVX-512 kernel's operations).
const STRIP_LOGIC_PER_WORD: f64 = 25.0;

/// The work counts of one Life kernel on a grid of `cells` cells.
fn life_counts(kernel: Kernel, cells: f64, device: Device, logic_per_word: f64) -> WorkCounts {
    // Two bit-packed grids (current and next): 1/8 byte per cell each.
    let packed_grids = cells / 4.0;
    match (kernel, device) {
        // One read and one write of each cell's bit per generation: 0.25 bytes from wherever
        // the two grids fit. On the CPU, per output word 3 loads and 1 store of 4 bytes to the
        // rows being summed (L1): 16 bytes per 32 cells.
        (Kernel::Packed, Device::Cpu) => WorkCounts::compute(
            &[(Measure::IntLogic, logic_per_word / 32.0)],
            "index arithmetic and the torus wrap not counted",
        )
        .with_traffic("grid in and out", 0.25, packed_grids)
        .with_traffic("row loads and stores", 0.5, 3.0 * cells.sqrt() / 8.0),
        // The GPU's 3 loads per word come from its L1, which no ceiling measures.
        (Kernel::Packed, Device::Gpu) => WorkCounts::compute(
            &[(Measure::IntLogic, logic_per_word / 32.0)],
            "index arithmetic and the torus wrap not counted; L1 loads not counted",
        )
        .with_traffic("grid in and out", 0.25, packed_grids),
        // Up to 8 generations per pass over the grid: 0.25 / 8 bytes from its level; 1/16 more
        // word updates for the halo rows recomputed. The steps in between go through two
        // 256 KiB tile buffers (CPU, L2) or workgroup memory (GPU: 4 reads and 1 write of 4
        // bytes per word and generation).
        (Kernel::Tiled, device) => {
            let counts = WorkCounts::compute(
                &[(Measure::IntLogic, logic_per_word / 32.0 * 17.0 / 16.0)],
                "8 generations per pass assumed (fewer on grids under 112 rows)",
            )
            .with_traffic("grid in and out, once per pass", 0.25 / 8.0, packed_grids);
            match device {
                Device::Cpu => counts.with_traffic("tile buffers", 0.5, 512.0 * 1024.0),
                Device::Gpu => {
                    counts.with_workgroup_traffic("tile in workgroup memory", 20.0 / 32.0)
                }
            }
        }
        // One byte per cell on the CPU (read once, written once: 2 bytes), a u32 on the GPU
        // (8 bytes); 8 adds for the neighbour sum and 2 compares for the rule per cell; on the
        // CPU 9 loads and 1 store of a byte from the rows being summed.
        (Kernel::Naive, Device::Cpu) => WorkCounts::compute(
            &[(Measure::IntAdd, 10.0)],
            "index arithmetic and the torus wrap not counted",
        )
        .with_traffic("grid in and out", 2.0, 2.0 * cells)
        .with_traffic("neighbour loads", 10.0, 3.0 * cells.sqrt()),
        (Kernel::Naive, Device::Gpu) => WorkCounts::compute(
            &[(Measure::IntAdd, 10.0)],
            "index arithmetic and the torus wrap not counted; L1 loads not counted",
        )
        .with_traffic("grid in and out", 8.0, 8.0 * cells),
    }
}

impl Workload for LifeWorkload {
    fn name(&self) -> &'static str {
        self.profile().name
    }

    fn description(&self) -> &'static str {
        self.profile().description
    }

    fn unit(&self) -> &'static str {
        "cell-updates"
    }

    fn bytes_per_unit(&self) -> Option<f64> {
        self.profile().bytes_per_unit
    }

    fn work_counts(&self, size: &str, device: Device) -> Option<WorkCounts> {
        let (w, h, _) = parse_life_size(size).ok()?;
        Some(life_counts(
            self.kernel,
            w as f64 * h as f64,
            device,
            PACKED_LOGIC_PER_WORD,
        ))
    }

    /// A CPU row that ran at a level the strip kernel serves (B3/S23, as every bench row runs)
    /// is held to the strip kernel's count; other levels and the GPU to the row kernel's.
    fn work_counts_ran(&self, size: &str, device: Device, ran: &Ran) -> Option<WorkCounts> {
        let (w, h, _) = parse_life_size(size).ok()?;
        let strips =
            device == Device::Cpu && matches!(ran.isa, Some(Isa::Sse2 | Isa::Avx2 | Isa::Neon));
        let logic_per_word = if strips {
            STRIP_LOGIC_PER_WORD
        } else {
            PACKED_LOGIC_PER_WORD
        };
        Some(life_counts(
            self.kernel,
            w as f64 * h as f64,
            device,
            logic_per_word,
        ))
    }

    fn default_sizes(&self, quick: bool) -> Vec<String> {
        let profile = self.profile();
        let size = if quick {
            profile.quick_size
        } else {
            profile.full_size
        };
        vec![size.into()]
    }

    fn problem_size(&self, size: &str) -> Option<(f64, &'static str)> {
        // The sweep keeps the work per run near 2^26 cell-updates at every grid size, so the
        // grid's cell count, not the work, is what grows along a sweep.
        let (w, h, _) = parse_life_size(size).ok()?;
        Some((w as f64 * h as f64, "cells"))
    }

    fn sweep_sizes(&self) -> Vec<String> {
        // Enough generations that each size does at least the profile's work per run.
        let profile = self.profile();
        let work = profile.sweep_work;
        (5..=profile.sweep_largest_side.trailing_zeros())
            .map(|p| 1u64 << p)
            .map(|n| format!("{n}x{n}:{}", work / (n * n) + 1))
            .collect()
    }

    fn device_size(&self) -> Option<DeviceSize> {
        Some(self.profile().device_size)
    }

    fn shaders(&self) -> Vec<ShaderBuild> {
        crate::life::gpu::shader_builds(self.kernel)
    }

    fn problem(&self, size: &str) -> Result<Box<dyn Problem>> {
        let (width, height, generations) = parse_life_size(size)?;
        Ok(Box::new(LifeProblem {
            width,
            height,
            generations,
            kernel: self.kernel,
        }))
    }

    fn verify(&self, backend: &Backend) -> Result<Check> {
        let mut cases = 0;
        for &(w, h) in &[(1, 1), (31, 33), (63, 65), (100, 37), (257, 129)] {
            for rule in ["B3/S23", "B36/S23", "B2/S"] {
                for topology in [Topology::Torus, Topology::Bounded] {
                    let rule = Rule::parse(rule)?;
                    let start = Grid::random(w, h, 0.4, cases)?;
                    let expected = reference_run(&start, rule, topology, 9);
                    let mut engine =
                        LifeEngine::with_kernel(backend, start, rule, topology, self.kernel)?;
                    engine.step(9)?;
                    let got = engine.grid()?;
                    if got != expected {
                        return Ok(Check {
                            passed: false,
                            detail: format!(
                                "{w}x{h} {rule} {topology}: differs from the reference after 9 generations"
                            ),
                        });
                    }
                    cases += 1;
                }
            }
        }
        Ok(Check {
            passed: true,
            detail: format!("{cases} grids bit-identical to the reference"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The strip kernel's levels are held to its 25 operations per word, the others (the row
    /// kernel at the scalar level, AVX-512, the GPU) to 32.
    #[test]
    fn a_cpu_row_is_counted_by_the_kernel_its_level_ran() {
        let life = LifeWorkload {
            kernel: Kernel::Packed,
        };
        let logic = |device, isa| {
            let ran = Ran { isa, kernel: None };
            life.work_counts_ran("64x64:1", device, &ran)
                .unwrap()
                .ops_of(Measure::IntLogic)
        };
        assert_eq!(logic(Device::Cpu, Some(Isa::Avx2)), 25.0 / 32.0);
        assert_eq!(logic(Device::Cpu, Some(Isa::Sse2)), 25.0 / 32.0);
        assert_eq!(logic(Device::Cpu, Some(Isa::Scalar)), 1.0);
        assert_eq!(logic(Device::Cpu, Some(Isa::Avx512)), 1.0);
        assert_eq!(logic(Device::Gpu, None), 1.0);
    }
}
