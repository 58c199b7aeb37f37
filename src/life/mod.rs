//! The Game of Life (and every Life-like B/S rule) on a finite grid, on three backends.
//!
//! - [`grid`]: the bit-packed grid, the layout every backend shares;
//! - [`rule`]: B/S rules, topologies and Golly's `:T`/`:P` suffixes;
//! - [`reference`](mod@reference): the plain cell-by-cell step, the oracle for tests;
//! - [`cpu`]: the bit-sliced serial and Rayon kernels;
//! - [`naive`]: the one-byte-per-cell CPU kernel, a baseline;
//! - [`gpu`]: the WGSL kernels' host code, state resident on the device;
//! - [`formats`]: pattern files (RLE, plaintext, Life 1.05/1.06, gzipped) in and out;
//! - [`image`]: PNG pictures and animated GIFs of a run;
//! - [`memory`]: refusing grids beyond the limits or the machine's memory, before allocating;
//! - [`batch`]: many independent runs in one command, batched into one GPU dispatch;
//! - [`session`]: one long run (`speedup life run`): chunked stepping, stop flag, repeats, samples;
//! - [`stable`]: finding when a run repeats (`--until-stable`);
//! - [`distributed`]: one grid split in bands across processes (MPI with `--features mpi`).

pub mod batch;
pub mod cpu;
pub mod distributed;
pub mod formats;
pub mod gpu;
pub mod grid;
pub mod image;
pub mod memory;
pub mod naive;
pub mod reference;
pub mod rule;
pub mod session;
pub mod stable;

pub use grid::Grid;
pub use rule::{Bounds, Rule, RuleSpec, Topology};

use crate::backend::Backend;
use crate::error::{Error, Result};

/// Which Life kernel runs: the fast bit-packed one, or the naive one as a baseline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kernel {
    /// Bit-packed and bit-sliced: 32 cells per word on the CPU (src/life/cpu/), a column of
    /// words per invocation on the GPU (shaders/life.wgsl).
    #[default]
    Packed,
    /// Bit-packed like [`Kernel::Packed`], several generations per pass: on the GPU each
    /// workgroup loads a tile with a halo into workgroup memory and steps it there
    /// (shaders/life_tiled.wgsl); on the CPU, several generations per pass over a cache-sized band
    /// of rows.
    Tiled,
    /// Cell by cell: one byte per cell on the CPU (src/life/naive.rs), one u32 per cell and one
    /// invocation per cell on the GPU (shaders/life_naive.wgsl). The baseline.
    Naive,
}

impl Kernel {
    /// Every kernel, in the order tests and tables list them.
    pub const ALL: [Kernel; 3] = [Kernel::Packed, Kernel::Tiled, Kernel::Naive];

    /// The fastest kernel measured on this kind of backend: [`Kernel::Tiled`] on the CPU (one
    /// pass over memory every few generations; see docs/performance.md), [`Kernel::Packed`] on
    /// the GPU until the tiled GPU kernel has been measured faster on real hardware.
    pub fn best_for(backend: &Backend) -> Kernel {
        match backend {
            Backend::Serial | Backend::Rayon { .. } => Kernel::Tiled,
            Backend::Gpu(_) => Kernel::Packed,
        }
    }
}

impl std::str::FromStr for Kernel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "packed" => Ok(Kernel::Packed),
            "tiled" => Ok(Kernel::Tiled),
            "naive" => Ok(Kernel::Naive),
            // Once an alias of packed, which is not the fastest everywhere: one word, one kernel.
            "fast" => Err(Error::InvalidArgument(
                "unknown kernel 'fast': expected packed, tiled or naive (leave --kernel out for \
                 the fastest measured on the backend)"
                    .into(),
            )),
            _ => Err(Error::InvalidArgument(format!(
                "unknown kernel '{s}': expected packed, tiled or naive"
            ))),
        }
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kernel::Packed => "packed",
            Kernel::Tiled => "tiled",
            Kernel::Naive => "naive",
        })
    }
}

/// A Life simulation on one backend. Create it with a starting grid, step it, read the grid.
pub enum LifeEngine {
    /// Serial or Rayon, bit-packed.
    Cpu(cpu::CpuLife),
    /// Serial or Rayon, one byte per cell.
    Naive(naive::NaiveLife),
    /// A wgpu adapter.
    Gpu(gpu::GpuLife),
}

impl LifeEngine {
    /// Sets up `grid` on `backend` with the fastest kernel for it ([`Kernel::best_for`]): for
    /// the GPU, uploads the grid and builds the pipeline.
    pub fn new(backend: &Backend, grid: Grid, rule: Rule, topology: Topology) -> Result<Self> {
        Self::with_kernel(backend, grid, rule, topology, Kernel::best_for(backend))
    }

    /// Like [`LifeEngine::new`], choosing the kernel.
    pub fn with_kernel(
        backend: &Backend,
        grid: Grid,
        rule: Rule,
        topology: Topology,
        kernel: Kernel,
    ) -> Result<Self> {
        Ok(match (backend, kernel) {
            (Backend::Serial, Kernel::Packed) => {
                LifeEngine::Cpu(cpu::CpuLife::serial(grid, rule, topology))
            }
            (Backend::Rayon { threads }, Kernel::Packed) => {
                LifeEngine::Cpu(cpu::CpuLife::rayon(grid, rule, topology, *threads)?)
            }
            (Backend::Serial, Kernel::Tiled) => {
                LifeEngine::Cpu(cpu::CpuLife::tiled(grid, rule, topology, None)?)
            }
            (Backend::Rayon { threads }, Kernel::Tiled) => {
                LifeEngine::Cpu(cpu::CpuLife::tiled(grid, rule, topology, Some(*threads))?)
            }
            (Backend::Serial, Kernel::Naive) => {
                LifeEngine::Naive(naive::NaiveLife::new(&grid, rule, topology, None)?)
            }
            (Backend::Rayon { threads }, Kernel::Naive) => LifeEngine::Naive(
                naive::NaiveLife::new(&grid, rule, topology, Some(*threads))?,
            ),
            (Backend::Gpu(ctx), _) => LifeEngine::Gpu(gpu::GpuLife::with_kernel(
                ctx.clone(),
                &grid,
                rule,
                topology,
                kernel,
            )?),
        })
    }

    /// Advances `generations` generations and waits until they are done. Returns the device time
    /// where the backend measures one (a GPU with timestamp queries).
    pub fn step(&mut self, generations: u64) -> Result<Option<f64>> {
        match self {
            LifeEngine::Cpu(e) => {
                e.step(generations);
                Ok(None)
            }
            LifeEngine::Naive(e) => {
                e.step(generations);
                Ok(None)
            }
            LifeEngine::Gpu(e) => e.step(generations),
        }
    }

    /// The instruction-set level the CPU kernel runs at: the bit-packed kernels' row loop
    /// ([`cpu::CpuLife::isa`]), the baseline for the naive kernel (plain Rust, no vector code
    /// of its own), `None` on a GPU.
    pub fn cpu_isa(&self) -> Option<crate::isa::Isa> {
        match self {
            LifeEngine::Cpu(e) => Some(e.isa()),
            LifeEngine::Naive(_) => Some(crate::isa::Isa::baseline()),
            LifeEngine::Gpu(_) => None,
        }
    }

    /// Generations the kernel advances per pass over the grid: 1, or more for the tiled kernels.
    /// Stepping a multiple of it at a time keeps every pass full.
    pub fn generations_per_pass(&self) -> u64 {
        match self {
            LifeEngine::Cpu(e) => e.generations_per_pass() as u64,
            LifeEngine::Naive(_) => 1,
            LifeEngine::Gpu(e) => e.generations_per_pass() as u64,
        }
    }

    /// Replaces the current generation with `grid`, of the engine's size, keeping what the
    /// engine built (a GPU pipeline and buffers, a thread pool): cheaper than a new engine.
    pub fn set_grid(&mut self, grid: Grid) -> Result<()> {
        match self {
            LifeEngine::Cpu(e) => {
                let current = e.grid();
                if (grid.width(), grid.height()) != (current.width(), current.height()) {
                    return Err(Error::InvalidArgument(format!(
                        "a {}x{} grid for a {}x{} engine",
                        grid.width(),
                        grid.height(),
                        current.width(),
                        current.height()
                    )));
                }
                *e.grid_mut() = grid;
                Ok(())
            }
            LifeEngine::Naive(e) => e.set_grid(&grid),
            LifeEngine::Gpu(e) => e.set_grid(&grid),
        }
    }

    /// The current generation (read back from the device for the GPU).
    pub fn grid(&self) -> Result<Grid> {
        match self {
            LifeEngine::Cpu(e) => Ok(e.grid().clone()),
            LifeEngine::Naive(e) => Ok(e.grid()),
            LifeEngine::Gpu(e) => e.grid(),
        }
    }

    /// The current generation without a copy where the engine holds it on the host (the tiled
    /// and packed CPU engines), else read back (the GPU) or rebuilt (the byte-per-cell engine).
    pub fn current(&self) -> Result<std::borrow::Cow<'_, Grid>> {
        use std::borrow::Cow;
        match self {
            LifeEngine::Cpu(e) => Ok(Cow::Borrowed(e.grid())),
            engine => engine.grid().map(Cow::Owned),
        }
    }

    /// The current generation, ending the engine: on the CPU the grid itself, not a copy.
    pub fn into_grid(self) -> Result<Grid> {
        match self {
            LifeEngine::Cpu(e) => Ok(e.into_grid()),
            engine => engine.grid(),
        }
    }
}

/// Runs `generations` generations of `grid` on `backend` and returns the final grid.
pub fn run(
    backend: &Backend,
    grid: Grid,
    rule: Rule,
    topology: Topology,
    generations: u64,
) -> Result<Grid> {
    let mut engine = LifeEngine::new(backend, grid, rule, topology)?;
    engine.step(generations)?;
    engine.grid()
}
