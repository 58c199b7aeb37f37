//! The naive CPU kernel: one byte per cell, neighbours counted cell by cell.
//!
//! This is the loop most people write first. It is here as a baseline (`--kernel naive`), so the
//! benchmark shows what bit-packing and bit-slicing buy on each backend; its GPU counterpart is
//! shaders/life_naive.wgsl. Rayon splits it by rows.

use super::grid::Grid;
use super::rule::{Rule, Topology};
use rayon::prelude::*;

/// Life on unpacked cells (one byte each), serial or on a Rayon pool.
pub struct NaiveLife {
    width: usize,
    height: usize,
    rule: Rule,
    topology: Topology,
    cells: Vec<u8>,
    next: Vec<u8>,
    pool: Option<rayon::ThreadPool>,
}

impl NaiveLife {
    /// Unpacks `grid`; `threads` `None` runs serially, `Some(n)` on a pool of `n` threads.
    pub fn new(
        grid: &Grid,
        rule: Rule,
        topology: Topology,
        threads: Option<usize>,
    ) -> crate::Result<Self> {
        let (width, height) = (grid.width() as usize, grid.height() as usize);
        let cells = unpack(grid);
        let pool = threads.map(crate::backend::rayon_pool).transpose()?;
        Ok(NaiveLife {
            width,
            height,
            rule,
            topology,
            next: cells.clone(),
            cells,
            pool,
        })
    }

    /// Advances `generations` generations.
    pub fn step(&mut self, generations: u64) {
        for _ in 0..generations {
            let (w, h, rule, topology) = (self.width, self.height, self.rule, self.topology);
            let cells = &self.cells;
            let row = |y: usize, out: &mut [u8]| step_row(cells, w, h, y, rule, topology, out);
            match &self.pool {
                None => self
                    .next
                    .chunks_mut(w)
                    .enumerate()
                    .for_each(|(y, out)| row(y, out)),
                Some(pool) => pool.install(|| {
                    self.next
                        .par_chunks_mut(w)
                        .enumerate()
                        .for_each(|(y, out)| row(y, out))
                }),
            }
            std::mem::swap(&mut self.cells, &mut self.next);
        }
    }

    /// Replaces the current generation with `grid`, of the engine's size, keeping the thread
    /// pool and buffers.
    pub fn set_grid(&mut self, grid: &Grid) -> crate::Result<()> {
        if (grid.width() as usize, grid.height() as usize) != (self.width, self.height) {
            return Err(crate::Error::InvalidArgument(format!(
                "a {}x{} grid for a {}x{} engine",
                grid.width(),
                grid.height(),
                self.width,
                self.height
            )));
        }
        self.cells = unpack(grid);
        Ok(())
    }

    /// The current generation, packed.
    pub fn grid(&self) -> Grid {
        let mut grid = Grid::new(self.width as u32, self.height as u32)
            .expect("same size as the grid it was made from");
        for (i, &c) in self.cells.iter().enumerate() {
            if c != 0 {
                grid.set((i % self.width) as u32, (i / self.width) as u32, true);
            }
        }
        grid
    }
}

/// `grid` unpacked, one byte (0 or 1) per cell, row-major.
fn unpack(grid: &Grid) -> Vec<u8> {
    let width = grid.width() as usize;
    let mut cells = vec![0u8; width * grid.height() as usize];
    for (x, y) in grid.live_cells() {
        cells[y as usize * width + x as usize] = 1;
    }
    cells
}

/// One output row, cell by cell.
fn step_row(
    cells: &[u8],
    w: usize,
    h: usize,
    y: usize,
    rule: Rule,
    topology: Topology,
    out: &mut [u8],
) {
    let torus = topology == Topology::Torus;
    for (x, cell) in out.iter_mut().enumerate() {
        let mut neighbours = 0u32;
        for dy in [-1isize, 0, 1] {
            for dx in [-1isize, 0, 1] {
                if dx == 0 && dy == 0 {
                    continue;
                }
                let (nx, ny) = (x as isize + dx, y as isize + dy);
                let (nx, ny) = if torus {
                    (nx.rem_euclid(w as isize), ny.rem_euclid(h as isize))
                } else if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                    continue;
                } else {
                    (nx, ny)
                };
                neighbours += cells[ny as usize * w + nx as usize] as u32;
            }
        }
        *cell = rule.next_state(cells[y * w + x] != 0, neighbours) as u8;
    }
}
