//! The Game of Life (and every Life-like B/S rule) on a finite grid, on three backends.
//!
//! - [`grid`]: the bit-packed grid, the layout every backend shares;
//! - [`rule`]: B/S rules, topologies and Golly's `:T`/`:P` suffixes;
//! - [`reference`]: the plain cell-by-cell step, the oracle for tests;
//! - [`cpu`]: the bit-sliced serial and Rayon kernels;
//! - [`gpu`]: the WGSL kernel's host code, state resident on the device;
//! - [`formats`]: pattern files (RLE, plaintext, Life 1.05/1.06, gzipped) in and out;
//! - [`image`]: PNG pictures and animated GIFs of a run;
//! - [`memory`]: refusing grids beyond the limits or the machine's memory, before allocating;
//! - [`batch`]: many independent runs in one command, batched into one GPU dispatch.

pub mod batch;
pub mod cpu;
pub mod formats;
pub mod gpu;
pub mod grid;
pub mod image;
pub mod memory;
pub mod reference;
pub mod rule;

pub use grid::Grid;
pub use rule::{Bounds, Rule, RuleSpec, Topology};

use crate::backend::Backend;
use crate::error::Result;

/// A Life simulation on one backend. Create it with a starting grid, step it, read the grid.
pub enum LifeEngine {
    /// Serial or Rayon.
    Cpu(cpu::CpuLife),
    /// A wgpu adapter.
    Gpu(gpu::GpuLife),
}

impl LifeEngine {
    /// Sets up `grid` on `backend`: for the GPU, uploads it and builds the pipeline.
    pub fn new(backend: &Backend, grid: Grid, rule: Rule, topology: Topology) -> Result<Self> {
        Ok(match backend {
            Backend::Serial => LifeEngine::Cpu(cpu::CpuLife::serial(grid, rule, topology)),
            Backend::Rayon { threads } => {
                LifeEngine::Cpu(cpu::CpuLife::rayon(grid, rule, topology, *threads)?)
            }
            Backend::Gpu(ctx) => {
                LifeEngine::Gpu(gpu::GpuLife::new(ctx.clone(), &grid, rule, topology)?)
            }
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
            LifeEngine::Gpu(e) => e.step(generations),
        }
    }

    /// The current generation (read back from the device for the GPU).
    pub fn grid(&self) -> Result<Grid> {
        match self {
            LifeEngine::Cpu(e) => Ok(e.grid().clone()),
            LifeEngine::Gpu(e) => e.grid(),
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
