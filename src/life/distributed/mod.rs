//! One Life grid split across many processes: rows in bands, one band per rank, with ghost rows
//! `k` deep so that neighbouring ranks exchange halos once every `k` generations.
//!
//! The pieces that do not need MPI live here and are tested in the default build:
//! - [`Decomposition`]: which rows each rank owns (bands differ by at most one row);
//! - [`neighbours`]: which rank is above and below (a torus wraps, a bounded grid ends);
//! - [`Band`]: a rank's rows plus ghost rows, stepped on any backend by the ordinary Life engines;
//! - [`run_local`]: every band in this one process, halos copied between them, for tests.
//!
//! With `--features mpi`, the submodule `mpi` moves the same halos between processes.
//!
//! Why ghost rows work (the temporal blocking of the tiled kernels): a cell's next state depends
//! on its 3×3 neighbourhood, so after `g` generations an error at the edge of a band has reached
//! at most `g` rows in. A band stepped `g <= k` generations with `k` rows of up-to-date ghosts on
//! each side has every owned row right, whatever happened beyond the ghosts; the ghosts are then
//! stale and are exchanged again. The band is stepped with the grid's own topology: for a torus
//! the wrap across the band's top and bottom is wrong but lands only in ghost rows, and the wrap
//! left to right is the grid's; for a bounded grid a band at the top or bottom edge has no ghost
//! rows on that side, so the engine's dead border is the grid's.

#[cfg(feature = "mpi")]
pub mod mpi;
pub mod overlap;
#[cfg(feature = "mpi")]
pub mod session;

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::life::{Grid, Kernel, LifeEngine, Rule, Topology};
use overlap::{HaloBuffers, SplitBand};
use std::time::Instant;

/// Ghost depth used when none is asked for: eight generations per exchange, the most the tiled
/// GPU kernel advances per pass (see docs/distributed.md for what depth hides the exchange).
pub const DEFAULT_HALO: u32 = 8;

/// How a grid's rows are split over ranks: rank `r` owns a band of consecutive rows, the first
/// `height % ranks` ranks one row more than the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decomposition {
    /// Rows of the whole grid.
    pub height: u32,
    /// Number of ranks.
    pub ranks: usize,
}

impl Decomposition {
    /// Splits `height` rows over `ranks` ranks; every rank must own at least one row.
    pub fn new(height: u32, ranks: usize) -> Result<Self> {
        if ranks == 0 || (height as usize) < ranks {
            return Err(Error::InvalidArgument(format!(
                "a grid of {height} rows cannot be split over {ranks} ranks: each rank needs at least one row"
            )));
        }
        Ok(Decomposition { height, ranks })
    }

    /// The band of `rank`: its first row and its number of rows.
    pub fn band(&self, rank: usize) -> (u32, u32) {
        let base = self.height / self.ranks as u32;
        let extra = self.height % self.ranks as u32;
        let r = rank as u32;
        (r * base + r.min(extra), base + (r < extra) as u32)
    }

    /// The ghost depth actually used for a requested one: at least 1, and at most the smallest
    /// band, since a rank's ghost rows are its neighbour's edge rows.
    pub fn halo_depth(&self, requested: u32) -> u32 {
        requested.clamp(1, self.height / self.ranks as u32)
    }

    /// The depth for an overlapped exchange ([`overlap`]): at most half the smallest band, whose
    /// edge strips take `2k` owned rows each; `None` where a band has a single row.
    pub fn overlap_depth(&self, requested: u32) -> Option<u32> {
        let most = self.height / self.ranks as u32 / 2;
        (most >= 1).then(|| requested.clamp(1, most))
    }
}

/// The ranks above and below a band; `None` where the grid ends (a bounded grid's first and last
/// band) or where the engine wraps the band onto itself (a torus on one rank).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Neighbours {
    /// The rank owning the rows just above this band.
    pub above: Option<usize>,
    /// The rank owning the rows just below this band.
    pub below: Option<usize>,
}

/// The neighbours of `rank` among `ranks` for a grid of `topology`.
pub fn neighbours(rank: usize, ranks: usize, topology: Topology) -> Neighbours {
    if ranks <= 1 {
        return Neighbours {
            above: None,
            below: None,
        };
    }
    match topology {
        Topology::Torus => Neighbours {
            above: Some((rank + ranks - 1) % ranks),
            below: Some((rank + 1) % ranks),
        },
        Topology::Bounded => Neighbours {
            above: rank.checked_sub(1),
            below: (rank + 1 < ranks).then_some(rank + 1),
        },
    }
}

/// Where a rank's time went, in seconds: stepping its band, moving halos (copying rows in and
/// out, posting messages), and waiting for its neighbours' halos to arrive.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Timings {
    /// Stepping the band (owned and ghost rows) on the rank's backend.
    pub compute: f64,
    /// Copying halo rows and posting the sends and receives.
    pub exchange: f64,
    /// Blocked until the neighbours' halos arrived (transfer time and load imbalance).
    pub wait: f64,
}

/// How a band is advanced: the CPU engine keeps its grid and has ghost rows written into it; the
/// GPU engine keeps the band resident on the device and moves only rows: before each block the
/// ghost rows go in, after it the edge rows to send come out; the naive engine (and a GPU band
/// that cannot move rows alone, the overlapped one's interior) is built once and loaded with the
/// whole band for each block of generations.
enum Stepper {
    Cpu(crate::life::cpu::CpuLife),
    Gpu {
        engine: crate::life::gpu::GpuLife,
        /// The band on the host: its ghost rows and its `k` edge rows at each end that has a
        /// neighbour are current after every step; the rest only after [`Band::sync`].
        grid: Grid,
        /// Whether the rows between the edges are older than the device's.
        stale: bool,
        /// Owned rows at the top and at the bottom read back after every step: the ghost
        /// depths, or `2k` for the overlapped band's strips.
        edges: (u32, u32),
    },
    Reloaded {
        engine: LifeEngine,
        /// The band on the host, current after every step.
        grid: Grid,
    },
}

/// The halo rows of a band, borrowed at once so a transport can send and receive together.
pub struct Halo<'a> {
    /// The band's first `k` owned rows, for the rank above (empty where there is none).
    pub send_above: &'a [u32],
    /// The band's last `k` owned rows, for the rank below (empty where there is none).
    pub send_below: &'a [u32],
    /// The ghost rows above the band, from the rank above.
    pub receive_above: &'a mut [u32],
    /// The ghost rows below the band, from the rank below.
    pub receive_below: &'a mut [u32],
}

/// One rank's rows of the grid, with ghost rows `depth` deep on each side that has a neighbour.
pub struct Band {
    first_row: u32,
    rows: u32,
    depth: u32,
    neighbours: Neighbours,
    stepper: Stepper,
}

/// What one rank's band is: its rows of the grid, how they are stepped, how deep its ghosts go
/// and who its neighbours are. [`Band::new`] and [`SplitBand::new`] set a band up from it.
#[derive(Clone, Copy, Debug)]
pub struct BandSpec<'a> {
    /// The rank's own rows of the grid.
    pub owned: &'a Grid,
    /// The grid row of `owned`'s first row.
    pub first_row: u32,
    /// The rule every band steps.
    pub rule: Rule,
    /// The whole grid's topology (a torus wraps the first band round to the last).
    pub topology: Topology,
    /// The kernel that steps the band on its backend.
    pub kernel: Kernel,
    /// Ghost rows towards each neighbour: generations that may be stepped between exchanges.
    pub depth: u32,
    /// The ranks above and below.
    pub neighbours: Neighbours,
}

impl Band {
    /// Sets up `spec.owned` on `backend`, with ghost rows `spec.depth` deep towards each
    /// neighbour. The ghosts start dead: a halo exchange must fill them before the first step.
    pub fn new(backend: &Backend, spec: &BandSpec) -> Result<Band> {
        Self::with_edges(backend, spec, None)
    }

    /// [`Band::new`], keeping `edges` (top, bottom) owned rows current on the host after every
    /// GPU step instead of the ghost depths: the overlapped band ([`overlap::SplitBand`]) has no
    /// ghosts but reads `2k` rows at each end with a neighbour.
    fn with_edges(backend: &Backend, spec: &BandSpec, edges: Option<(u32, u32)>) -> Result<Band> {
        let BandSpec {
            owned,
            first_row,
            rule,
            topology,
            kernel,
            depth,
            neighbours,
        } = *spec;
        let exchanges = neighbours.above.is_some() || neighbours.below.is_some();
        if exchanges && (depth == 0 || depth > owned.height()) {
            return Err(Error::InvalidArgument(format!(
                "halo depth {depth} must be between 1 and the band's {} rows",
                owned.height()
            )));
        }
        let above = if neighbours.above.is_some() { depth } else { 0 };
        let below = if neighbours.below.is_some() { depth } else { 0 };
        let mut grid = Grid::new(owned.width(), owned.height() + above + below)?;
        let wpr = owned.words_per_row() as usize;
        let start = above as usize * wpr;
        grid.words_mut()[start..start + owned.words().len()].copy_from_slice(owned.words());
        let stepper = match LifeEngine::with_kernel(backend, grid.clone(), rule, topology, kernel) {
            Ok(LifeEngine::Cpu(engine)) => Stepper::Cpu(engine),
            Ok(LifeEngine::Gpu(engine)) if kernel != Kernel::Naive => Stepper::Gpu {
                engine,
                grid,
                stale: false,
                edges: edges.unwrap_or((above, below)),
            },
            Ok(engine) => Stepper::Reloaded { engine, grid },
            Err(e) => return Err(e),
        };
        Ok(Band {
            first_row,
            rows: owned.height(),
            depth,
            neighbours,
            stepper,
        })
    }

    /// The grid row of the band's first owned row.
    pub fn first_row(&self) -> u32 {
        self.first_row
    }

    /// Owned rows.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// Ghost depth: generations that may be stepped between two exchanges.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The ranks above and below.
    pub fn neighbours(&self) -> Neighbours {
        self.neighbours
    }

    fn ghosts_above(&self) -> u32 {
        if self.neighbours.above.is_some() {
            self.depth
        } else {
            0
        }
    }

    fn extended(&self) -> &Grid {
        match &self.stepper {
            Stepper::Cpu(engine) => engine.grid(),
            Stepper::Gpu { grid, .. } | Stepper::Reloaded { grid, .. } => grid,
        }
    }

    fn extended_mut(&mut self) -> &mut Grid {
        match &mut self.stepper {
            Stepper::Cpu(engine) => engine.grid_mut(),
            Stepper::Gpu { grid, .. } | Stepper::Reloaded { grid, .. } => grid,
        }
    }

    /// Brings the whole band back from the device where it is resident there (a GPU band keeps
    /// only its edge rows current on the host between exchanges); a no-op elsewhere. Call it
    /// before [`Band::owned_words`] or [`Band::owned`] at the end of a run.
    pub fn sync(&mut self) -> Result<()> {
        if let Stepper::Gpu {
            engine,
            grid,
            stale,
            ..
        } = &mut self.stepper
        {
            if *stale {
                *grid = engine.grid()?;
                *stale = false;
            }
        }
        Ok(())
    }

    /// Whether rows between the band's edges are out of date on the host ([`Band::sync`]).
    pub fn is_stale(&self) -> bool {
        matches!(self.stepper, Stepper::Gpu { stale: true, .. })
    }

    /// Rows moved to and from the device per block of generations, as (rows written, rows
    /// read): the ghost rows in and the edge rows out for a GPU band (an overlapped band's
    /// interior also writes `k` strip rows back at each such end), the whole extended band
    /// each way where it is set up again every block, none for a CPU band.
    pub fn rows_moved_per_block(&self) -> (u32, u32) {
        let ghosts = self.extended().height() - self.rows;
        match &self.stepper {
            Stepper::Cpu(_) => (0, 0),
            Stepper::Gpu { edges, .. } => (ghosts, edges.0 + edges.1),
            Stepper::Reloaded { grid, .. } => (grid.height(), grid.height()),
        }
    }

    /// The owned rows' words, row-major. On a GPU band the rows between the edges are those of
    /// the last [`Band::sync`].
    pub fn owned_words(&self) -> &[u32] {
        let grid = self.extended();
        let wpr = grid.words_per_row() as usize;
        let start = self.ghosts_above() as usize * wpr;
        &grid.words()[start..start + self.rows as usize * wpr]
    }

    /// The owned rows' words, to overwrite some of them (padding bits must stay zero).
    fn owned_words_mut(&mut self) -> &mut [u32] {
        let above = self.ghosts_above() as usize;
        let rows = self.rows as usize;
        let grid = self.extended_mut();
        let wpr = grid.words_per_row() as usize;
        &mut grid.words_mut()[above * wpr..(above + rows) * wpr]
    }

    /// Overwrites owned rows from `first` (counted from the first owned row) with `words`, on
    /// the host and, for a band resident on a GPU, on the device too.
    fn write_owned_rows(&mut self, first: u32, words: &[u32]) -> Result<()> {
        let above = self.ghosts_above();
        let wpr = self.extended().words_per_row() as usize;
        let at = first as usize * wpr;
        self.owned_words_mut()[at..at + words.len()].copy_from_slice(words);
        if let Stepper::Gpu { engine, .. } = &mut self.stepper {
            engine.write_rows(above + first, words)?;
        }
        Ok(())
    }

    /// The owned rows as a grid of their own.
    pub fn owned(&self) -> Result<Grid> {
        Grid::from_words(
            self.extended().width(),
            self.rows,
            self.owned_words().to_vec(),
        )
    }

    /// The rows to send and the ghost rows to fill, borrowed together.
    pub fn halo(&mut self) -> Halo<'_> {
        let (above, below) = (
            self.neighbours.above.is_some(),
            self.neighbours.below.is_some(),
        );
        let (depth, rows) = (self.depth as usize, self.rows as usize);
        let grid = self.extended_mut();
        let wpr = grid.words_per_row() as usize;
        let ghost_above = if above { depth * wpr } else { 0 };
        let (receive_above, rest) = grid.words_mut().split_at_mut(ghost_above);
        let (owned, receive_below) = rest.split_at_mut(rows * wpr);
        let owned: &[u32] = owned;
        let edge = depth * wpr;
        Halo {
            send_above: if above { &owned[..edge] } else { &[] },
            send_below: if below {
                &owned[owned.len() - edge..]
            } else {
                &[]
            },
            receive_above,
            receive_below,
        }
    }

    /// Advances the band `generations` generations. With neighbours, at most [`Band::depth`]
    /// generations may pass between two halo exchanges: the owned rows are right only that far.
    pub fn step(&mut self, generations: u64) -> Result<()> {
        let exchanges = self.neighbours.above.is_some() || self.neighbours.below.is_some();
        if exchanges && generations > self.depth as u64 {
            return Err(Error::InvalidArgument(format!(
                "a band with ghost rows {} deep cannot step {generations} generations without an exchange",
                self.depth
            )));
        }
        let (above, rows) = (self.ghosts_above(), self.rows);
        match &mut self.stepper {
            Stepper::Cpu(engine) => engine.step(generations),
            Stepper::Gpu {
                engine,
                grid,
                stale,
                edges,
            } => {
                let below = grid.height() - above - rows;
                let wpr = grid.words_per_row() as usize;
                let words = grid.words();
                let bottom = (above + rows) as usize * wpr;
                if above > 0 {
                    engine.write_rows(0, &words[..above as usize * wpr])?;
                }
                if below > 0 {
                    engine.write_rows(above + rows, &words[bottom..])?;
                }
                engine.step(generations)?;
                *stale = true;
                // The rows the neighbours need next: the first and last `k` owned rows, as deep
                // as the ghosts on that side. One readback for both.
                let ranges: Vec<(u32, u32)> = [
                    (edges.0 > 0, above, edges.0),
                    (edges.1 > 0, above + rows - edges.1, edges.1),
                ]
                .into_iter()
                .filter(|r| r.0)
                .map(|r| (r.1, r.2))
                .collect();
                let read = engine.read_rows(&ranges)?;
                for ((first, _), rows) in ranges.iter().zip(read) {
                    let at = *first as usize * wpr;
                    grid.words_mut()[at..at + rows.len()].copy_from_slice(&rows);
                }
            }
            Stepper::Reloaded { engine, grid } => {
                engine.set_grid(grid.clone())?;
                engine.step(generations)?;
                *grid = engine.grid()?;
            }
        }
        Ok(())
    }
}

/// The generations of each block between two exchanges: `depth` at a time, the rest last.
pub fn blocks(generations: u64, depth: u32) -> impl Iterator<Item = u64> {
    let depth = depth.max(1) as u64;
    (0..generations.div_ceil(depth)).map(move |i| depth.min(generations - i * depth))
}

/// The bands of `whole` (the grid described as one band) cut into `split`'s ranks, each with
/// its own rows and neighbours, set up on `backend` by `new` ([`Band::new`] or
/// [`SplitBand::new`]).
fn cut_into_bands<B>(
    backend: &Backend,
    whole: &BandSpec,
    split: &Decomposition,
    new: fn(&Backend, &BandSpec) -> Result<B>,
) -> Result<Vec<B>> {
    let grid = whole.owned;
    let wpr = grid.words_per_row() as usize;
    (0..split.ranks)
        .map(|rank| {
            let (first_row, rows) = split.band(rank);
            let start = first_row as usize * wpr;
            let words = grid.words()[start..start + rows as usize * wpr].to_vec();
            let owned = Grid::from_words(grid.width(), rows, words)?;
            let spec = BandSpec {
                owned: &owned,
                first_row,
                neighbours: neighbours(rank, split.ranks, whole.topology),
                ..*whole
            };
            new(backend, &spec)
        })
        .collect()
}

/// How [`run_local`] runs a grid: the rule and topology, and the settings a distributed run
/// takes (kernel, ranks, ghost depth, generations, overlap), for bands in one process.
#[derive(Clone, Copy, Debug)]
pub struct LocalRun {
    /// The rule every band steps.
    pub rule: Rule,
    /// The whole grid's topology.
    pub topology: Topology,
    /// The kernel that steps each band on the backend.
    pub kernel: Kernel,
    /// Number of bands, as many as a distributed run would have ranks.
    pub ranks: usize,
    /// Requested ghost depth (clamped to the smallest band, see [`Decomposition::halo_depth`]).
    pub halo: u32,
    /// Generations to run.
    pub generations: u64,
    /// Whether each band's interior is stepped while its halos are copied ([`SplitBand`]);
    /// needs bands of at least two rows.
    pub overlap: bool,
}

/// Runs `grid` as `run` says, split into `run.ranks` bands in this one process, the halos
/// copied between bands: the same bands, ghosts and blocks as over MPI, without MPI. The result
/// equals a single engine's run; tests check that at awkward sizes.
pub fn run_local(backend: &Backend, grid: &Grid, run: &LocalRun) -> Result<(Grid, Timings)> {
    let LocalRun {
        rule,
        topology,
        kernel,
        ranks,
        halo,
        generations,
        overlap,
    } = *run;
    let split = Decomposition::new(grid.height(), ranks)?;
    let depth = split.halo_depth(halo);
    // The whole grid as one band, with the run's rule, topology and kernel: each rank's band
    // is cut from it.
    let whole = |depth| BandSpec {
        owned: grid,
        first_row: 0,
        rule,
        topology,
        kernel,
        depth,
        neighbours: Neighbours {
            above: None,
            below: None,
        },
    };
    if overlap {
        let depth = split.overlap_depth(halo).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "bands of {} rows are too thin to overlap the exchange",
                grid.height() / ranks as u32
            ))
        })?;
        let bands = cut_into_bands(backend, &whole(depth), &split, SplitBand::new)?;
        return run_local_split(grid, bands, depth, generations);
    }
    let mut bands = cut_into_bands(backend, &whole(depth), &split, Band::new)?;
    let mut timings = Timings::default();
    for gens in blocks(generations, depth) {
        let started = Instant::now();
        // Every band's edges first, then every band's ghosts: the copies all read the state
        // before this block, as messages sent at the same time would.
        let edges: Vec<(Vec<u32>, Vec<u32>)> = bands
            .iter_mut()
            .map(|b| {
                let h = b.halo();
                (h.send_above.to_vec(), h.send_below.to_vec())
            })
            .collect();
        for band in &mut bands {
            let around = band.neighbours();
            let halo = band.halo();
            if let Some(up) = around.above {
                halo.receive_above.copy_from_slice(&edges[up].1);
            }
            if let Some(down) = around.below {
                halo.receive_below.copy_from_slice(&edges[down].0);
            }
        }
        timings.exchange += started.elapsed().as_secs_f64();
        let started = Instant::now();
        for band in &mut bands {
            band.step(gens)?;
        }
        timings.compute += started.elapsed().as_secs_f64();
    }
    for band in &mut bands {
        band.sync()?;
    }
    let whole = put_together(grid, bands.iter().map(|b| b.owned_words()))?;
    Ok((whole, timings))
}

/// [`run_local`] with the exchange overlapped: every band's interior is stepped, then its edge
/// strips once the (copied) halos are in.
fn run_local_split(
    grid: &Grid,
    mut bands: Vec<SplitBand>,
    depth: u32,
    generations: u64,
) -> Result<(Grid, Timings)> {
    let mut buffers: Vec<HaloBuffers> = bands.iter().map(|_| HaloBuffers::default()).collect();
    let mut timings = Timings::default();
    for gens in blocks(generations, depth) {
        let started = Instant::now();
        for (band, b) in bands.iter_mut().zip(&mut buffers) {
            band.prepare(b);
        }
        for i in 0..bands.len() {
            let around = bands[i].neighbours();
            if let Some(up) = around.above {
                buffers[i].receive_above = buffers[up].send_below.clone();
            }
            if let Some(down) = around.below {
                buffers[i].receive_below = buffers[down].send_above.clone();
            }
        }
        let started = lap(&mut timings.exchange, started);
        for (band, b) in bands.iter_mut().zip(&buffers) {
            band.step_interior(gens)?;
            band.finish(b, gens)?;
        }
        lap(&mut timings.compute, started);
    }
    for band in &mut bands {
        band.sync()?;
    }
    let whole = put_together(grid, bands.iter().map(|b| b.owned_words()))?;
    Ok((whole, timings))
}

/// The grid `like` (its size) made of the bands' owned rows, in row order; each band's host copy
/// must be current (synced).
fn put_together<'a>(like: &Grid, bands: impl Iterator<Item = &'a [u32]>) -> Result<Grid> {
    let words = bands.flatten().copied().collect();
    Grid::from_words(like.width(), like.height(), words)
}

/// Seconds since `started`, added to `slot`; returns the new instant, for timing phases in turn.
pub fn lap(slot: &mut f64, started: Instant) -> Instant {
    let now = Instant::now();
    *slot += now.duration_since(started).as_secs_f64();
    now
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::life::reference::reference_run;

    #[test]
    fn bands_cover_the_grid_and_differ_by_at_most_a_row() {
        for (height, ranks) in [(1u32, 1usize), (7, 3), (100, 7), (5, 5), (64, 4)] {
            let d = Decomposition::new(height, ranks).unwrap();
            let mut next = 0;
            for r in 0..ranks {
                let (first, rows) = d.band(r);
                assert_eq!(first, next, "{height} rows over {ranks}: rank {r}");
                assert!(rows == height / ranks as u32 || rows == height / ranks as u32 + 1);
                next += rows;
            }
            assert_eq!(next, height);
        }
        assert!(Decomposition::new(3, 4).is_err());
        assert!(Decomposition::new(3, 0).is_err());
        assert_eq!(Decomposition::new(10, 3).unwrap().halo_depth(8), 3);
        assert_eq!(Decomposition::new(10, 3).unwrap().halo_depth(0), 1);
    }

    #[test]
    fn torus_wraps_and_bounded_ends() {
        let t = neighbours(0, 3, Topology::Torus);
        assert_eq!((t.above, t.below), (Some(2), Some(1)));
        let b = neighbours(0, 3, Topology::Bounded);
        assert_eq!((b.above, b.below), (None, Some(1)));
        let b = neighbours(2, 3, Topology::Bounded);
        assert_eq!((b.above, b.below), (Some(1), None));
        assert_eq!(neighbours(0, 1, Topology::Torus).above, None);
    }

    #[test]
    fn blocks_add_up() {
        assert_eq!(blocks(10, 4).collect::<Vec<_>>(), vec![4, 4, 2]);
        assert_eq!(blocks(0, 4).count(), 0);
        assert_eq!(blocks(3, 8).collect::<Vec<_>>(), vec![3]);
    }

    /// Bands, ghosts and blocks in one process give the single engine's grid: awkward sizes,
    /// both topologies, several rules, one to five bands, ghosts one to several rows deep.
    #[test]
    fn split_runs_equal_one_engine() {
        let rules = ["B3/S23", "B36/S23", "B2/S", "B3678/S34678"];
        for (i, &(w, h)) in [(33u32, 31u32), (65, 17), (31, 9), (100, 12)]
            .iter()
            .enumerate()
        {
            let grid = Grid::random(w, h, 0.4, 11 + i as u64).unwrap();
            for topology in [Topology::Torus, Topology::Bounded] {
                for rule_text in rules {
                    let rule = Rule::parse(rule_text).unwrap();
                    let gens = 13;
                    let want = reference_run(&grid, rule, topology, gens);
                    for ranks in 1..=5 {
                        for halo in [1, 3, 8] {
                            for (kernel, overlap) in [
                                (Kernel::Packed, false),
                                (Kernel::Tiled, false),
                                (Kernel::Tiled, true),
                            ] {
                                if overlap && h / (ranks as u32) < 2 {
                                    continue;
                                }
                                let (got, _) = run_local(
                                    &Backend::Serial,
                                    &grid,
                                    &LocalRun {
                                        rule,
                                        topology,
                                        kernel,
                                        ranks,
                                        halo,
                                        generations: gens,
                                        overlap,
                                    },
                                )
                                .unwrap();
                                assert_eq!(
                                    got.hash_hex(),
                                    want.hash_hex(),
                                    "{w}x{h} {topology} {rule_text}, {ranks} bands, halo {halo}, {kernel}, overlap {overlap}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn naive_and_rayon_bands_agree() {
        let grid = Grid::random(45, 23, 0.5, 3).unwrap();
        let rule = Rule::CONWAY;
        let want = reference_run(&grid, rule, Topology::Torus, 9);
        for backend in [Backend::Serial, Backend::Rayon { threads: 2 }] {
            for kernel in [Kernel::Naive, Kernel::Packed] {
                for overlap in [false, true] {
                    let (got, _) = run_local(
                        &backend,
                        &grid,
                        &LocalRun {
                            rule,
                            topology: Topology::Torus,
                            kernel,
                            ranks: 3,
                            halo: 2,
                            generations: 9,
                            overlap,
                        },
                    )
                    .unwrap();
                    assert_eq!(got, want, "{} {kernel}, overlap {overlap}", backend.name());
                }
            }
        }
    }

    /// A naive GPU band cannot move rows alone: it builds its engine once and loads the whole
    /// band into it for each block. Every adapter that opens, plain and overlapped.
    #[test]
    fn gpu_naive_bands_reload_one_engine_per_block() {
        let contexts: Vec<_> = crate::gpu::GpuContext::open_all()
            .into_iter()
            .filter_map(|c| c.ok())
            .collect();
        if contexts.is_empty() {
            let required = std::env::var("SPEEDUP_REQUIRE_GPU").is_ok_and(|v| v == "1");
            assert!(!required, "SPEEDUP_REQUIRE_GPU=1 but no GPU adapter opened");
            eprintln!("no GPU adapter: the naive GPU bands were not run");
            return;
        }
        let grid = Grid::random(45, 23, 0.5, 3).unwrap();
        let rule = Rule::CONWAY;
        for topology in [Topology::Torus, Topology::Bounded] {
            let want = reference_run(&grid, rule, topology, 9);
            for ctx in &contexts {
                for overlap in [false, true] {
                    let backend = Backend::Gpu(ctx.clone());
                    let (got, _) = run_local(
                        &backend,
                        &grid,
                        &LocalRun {
                            rule,
                            topology,
                            kernel: Kernel::Naive,
                            ranks: 3,
                            halo: 2,
                            generations: 9,
                            overlap,
                        },
                    )
                    .unwrap();
                    assert_eq!(got, want, "{topology}, overlap {overlap}");
                }
            }
        }
    }

    #[test]
    fn stepping_past_the_ghosts_is_refused() {
        let grid = Grid::random(40, 10, 0.5, 1).unwrap();
        let spec = BandSpec {
            owned: &grid,
            first_row: 0,
            rule: Rule::CONWAY,
            topology: Topology::Torus,
            kernel: Kernel::Packed,
            depth: 2,
            neighbours: neighbours(0, 2, Topology::Torus),
        };
        let mut band = Band::new(&Backend::Serial, &spec).unwrap();
        assert!(band.step(3).is_err());
        assert!(band.step(2).is_ok());
    }
}
