//! Bands on MPI ranks: the halo exchange, the scatter of a pattern read by rank 0, the gather of
//! the final grid, and a whole distributed run.
//!
//! Only the thread that initialised MPI calls it (Rayon's workers never do), so MPI is asked for
//! `Threading::Funneled`. A rank that fails prints its error and aborts the whole job
//! ([`Cluster::abort`]): its neighbours would otherwise wait for its halos forever.

use super::overlap::{HaloBuffers, SplitBand};
use super::{blocks, lap, neighbours, Band, BandSpec, Decomposition, Neighbours, Timings};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::life::{Grid, Kernel, Rule, Topology};
use ::mpi::collective::SystemOperation;
use ::mpi::environment::Universe;
use ::mpi::request::{LocalScope, Request};
use ::mpi::topology::{Color, SimpleCommunicator};
use ::mpi::traits::*;
use ::mpi::Threading;
use std::time::Instant;

/// Tag of rows travelling to the rank below (they become its ghosts above).
const DOWNWARD: i32 = 1;
/// Tag of rows travelling to the rank above (they become its ghosts below).
const UPWARD: i32 = 2;
/// Tag of the scatter and gather messages.
const BANDS: i32 = 3;
/// Largest message in words: MPI counts elements in an `int`, so a band of a huge grid goes in
/// pieces of 256 MiB.
const MAX_MESSAGE_WORDS: usize = 1 << 26;

/// This process's place in the MPI job: the world communicator, its rank, and its rank among
/// the ranks on the same node (which picks its GPU).
pub struct Cluster {
    // Finalises MPI when dropped, so it must outlive every communicator.
    _universe: Universe,
    world: SimpleCommunicator,
    local_rank: usize,
}

impl Cluster {
    /// Initialises MPI. Under `mpirun` or `srun` the job's ranks find each other; started alone,
    /// the process is a job of one rank.
    pub fn init() -> Result<Cluster> {
        let (universe, _) = ::mpi::initialize_with_threading(Threading::Funneled)
            .ok_or_else(|| Error::Mpi("MPI is already initialised in this process".into()))?;
        let world = universe.world();
        let local_rank = world.split_shared(world.rank()).rank() as usize;
        Ok(Cluster {
            _universe: universe,
            world,
            local_rank,
        })
    }

    /// The communicator of every rank.
    pub fn world(&self) -> &SimpleCommunicator {
        &self.world
    }

    /// This process's rank.
    pub fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    /// Number of ranks.
    pub fn size(&self) -> usize {
        self.world.size() as usize
    }

    /// This process's rank among those on its node: rank → GPU adapter.
    pub fn local_rank(&self) -> usize {
        self.local_rank
    }

    /// The first `ranks` ranks as a communicator of their own (`None` on the others), for
    /// measuring scaling at every rank count in one job.
    pub fn first(&self, ranks: usize) -> Option<SimpleCommunicator> {
        let inside = self.rank() < ranks;
        let color = if inside {
            Color::with_value(0)
        } else {
            Color::undefined()
        };
        self.world.split_by_color(color)
    }

    /// Waits until every rank has reached this point, sleeping between checks: ranks left out
    /// of a measurement must not spin on the cores the measured ones use.
    pub fn quiet_barrier(&self) {
        let mut request = self.world.immediate_barrier();
        loop {
            match request.test() {
                Ok(_) => return,
                Err(pending) => request = pending,
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// Ends the whole job with `code`: every other rank is stopped by the MPI runtime.
    pub fn abort(&self, code: i32) -> ! {
        self.world.abort(code)
    }
}

/// Sends `words` to `rank` in pieces MPI can count.
fn send_words<C: Communicator>(comm: &C, rank: usize, words: &[u32]) {
    let process = comm.process_at_rank(rank as i32);
    for piece in words.chunks(MAX_MESSAGE_WORDS) {
        process.send_with_tag(piece, BANDS);
    }
}

/// Receives `words.len()` words from `rank`, sent by [`send_words`].
fn receive_words<C: Communicator>(comm: &C, rank: usize, words: &mut [u32]) {
    let process = comm.process_at_rank(rank as i32);
    for piece in words.chunks_mut(MAX_MESSAGE_WORDS) {
        process.receive_into_with_tag(piece, BANDS);
    }
}

/// The halo rows of one exchange: what goes up and down, and where what comes back lands.
struct Rows<'a> {
    send_above: &'a [u32],
    send_below: &'a [u32],
    receive_above: &'a mut [u32],
    receive_below: &'a mut [u32],
}

/// Posts every send and receive of one exchange at once, so no ordering between ranks can
/// deadlock; the caller waits for them.
fn post<'a, 'b, C: Communicator>(
    comm: &C,
    scope: &'b LocalScope<'a>,
    around: Neighbours,
    rows: Rows<'a>,
) -> Vec<Request<'a, [u32], &'b LocalScope<'a>>> {
    let mut requests = Vec::with_capacity(4);
    if let Some(up) = around.above {
        let p = comm.process_at_rank(up as i32);
        requests.push(p.immediate_receive_into_with_tag(scope, rows.receive_above, DOWNWARD));
        requests.push(p.immediate_send_with_tag(scope, rows.send_above, UPWARD));
    }
    if let Some(down) = around.below {
        let p = comm.process_at_rank(down as i32);
        requests.push(p.immediate_receive_into_with_tag(scope, rows.receive_below, UPWARD));
        requests.push(p.immediate_send_with_tag(scope, rows.send_below, DOWNWARD));
    }
    requests
}

/// Exchanges `band`'s halos with its neighbours, then returns: the band is stepped after.
pub fn exchange<C: Communicator>(comm: &C, band: &mut Band, timings: &mut Timings) {
    let around = band.neighbours();
    if around.above.is_none() && around.below.is_none() {
        return;
    }
    let started = Instant::now();
    let halo = band.halo();
    let rows = Rows {
        send_above: halo.send_above,
        send_below: halo.send_below,
        receive_above: halo.receive_above,
        receive_below: halo.receive_below,
    };
    ::mpi::request::scope(|scope| {
        let requests = post(comm, scope, around, rows);
        let posted = lap(&mut timings.exchange, started);
        for request in requests {
            request.wait();
        }
        lap(&mut timings.wait, posted);
    });
}

/// One block of `generations` with the exchange overlapped: the halos travel while the band's
/// interior is stepped, then the edge strips are stepped with them.
pub fn step_overlapped<C: Communicator>(
    comm: &C,
    band: &mut SplitBand,
    buffers: &mut HaloBuffers,
    generations: u64,
    timings: &mut Timings,
) -> Result<()> {
    let around = band.neighbours();
    let started = Instant::now();
    band.prepare(buffers);
    let rows = Rows {
        send_above: &buffers.send_above,
        send_below: &buffers.send_below,
        receive_above: &mut buffers.receive_above,
        receive_below: &mut buffers.receive_below,
    };
    let stepped = ::mpi::request::scope(|scope| {
        let requests = post(comm, scope, around, rows);
        let posted = lap(&mut timings.exchange, started);
        // Every request is waited for even when stepping fails: MPI still owns the buffers.
        let stepped = band.step_interior(generations);
        let computed = lap(&mut timings.compute, posted);
        for request in requests {
            request.wait();
        }
        lap(&mut timings.wait, computed);
        stepped
    });
    stepped?;
    let started = Instant::now();
    band.finish(buffers, generations)?;
    lap(&mut timings.compute, started);
    Ok(())
}

/// The grid's size, rule and topology, decided by rank 0 (which may have read them from a
/// file) and broadcast to every rank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Width in cells.
    pub width: u32,
    /// Height in cells.
    pub height: u32,
    /// The rule.
    pub rule: Rule,
    /// The topology.
    pub topology: Topology,
}

/// Rank 0's `header` on every rank (the others pass `None`).
pub fn broadcast_header<C: Communicator>(comm: &C, header: Option<Header>) -> Header {
    let mut raw = [0u64; 5];
    if let Some(h) = header {
        raw = [
            h.width as u64,
            h.height as u64,
            h.rule.birth as u64,
            h.rule.survival as u64,
            (h.topology == Topology::Bounded) as u64,
        ];
    }
    comm.process_at_rank(0).broadcast_into(&mut raw[..]);
    Header {
        width: raw[0] as u32,
        height: raw[1] as u32,
        rule: Rule {
            birth: raw[2] as u16,
            survival: raw[3] as u16,
        },
        topology: if raw[4] == 1 {
            Topology::Bounded
        } else {
            Topology::Torus
        },
    }
}

/// Where each rank's rows come from.
pub enum Start {
    /// A whole grid held by rank 0 (`None` on the others), scattered in bands.
    Scatter(Option<Grid>),
    /// A random soup: each rank draws its own band with [`Grid::random_band`], and the bands
    /// together are `Grid::random(width, height, density, seed)`.
    Random {
        /// Fraction of live cells.
        density: f64,
        /// Seed of the generator.
        seed: u64,
    },
}

/// What a distributed run computes besides the grid.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Kernel each rank's engine runs.
    pub kernel: Kernel,
    /// Requested ghost depth (clamped to the smallest band, see [`Decomposition::halo_depth`]).
    pub halo: u32,
    /// Generations to run.
    pub generations: u64,
    /// Whether rank 0 gathers the final grid (for its hash or an output file).
    pub gather: bool,
    /// Whether the halos travel while the interior is stepped ([`SplitBand`]); needs bands of
    /// at least two rows.
    pub overlap: bool,
}

/// The result of a distributed run, as rank 0 sees it.
#[derive(Debug)]
pub struct Outcome {
    /// The final grid, on rank 0 when gathered.
    pub grid: Option<Grid>,
    /// Live cells of the final grid, summed over the ranks.
    pub population: u64,
    /// The largest compute, exchange and wait times over the ranks.
    pub timings: Timings,
    /// Seconds from the first exchange to the last step, on the slowest rank.
    pub elapsed: f64,
    /// The ghost depth used.
    pub depth: u32,
    /// Number of ranks.
    pub ranks: usize,
}

/// Runs a grid of `header`'s size and rule split across the ranks of `comm`, each rank on
/// `backend`. Every rank of `comm` must call it with the same arguments (rank 0's `start` may
/// hold a grid the others do not).
pub fn run<C: Communicator>(
    comm: &C,
    backend: &Backend,
    header: Header,
    start: Start,
    settings: Settings,
) -> Result<Outcome> {
    let (rank, ranks) = (comm.rank() as usize, comm.size() as usize);
    let split = Decomposition::new(header.height, ranks)?;
    let overlap = settings.overlap && ranks > 1;
    let depth = if overlap {
        split.overlap_depth(settings.halo).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "bands of {} rows are too thin to overlap the exchange: leave out --overlap",
                header.height / ranks as u32
            ))
        })?
    } else {
        split.halo_depth(settings.halo)
    };
    let (first, rows) = split.band(rank);
    let owned = match start {
        Start::Random { density, seed } => {
            Grid::random_band(header.width, rows, density, seed, first as u64)?
        }
        Start::Scatter(whole) => scatter(comm, whole, &split, header.width)?,
    };
    let spec = BandSpec {
        owned: &owned,
        first_row: first,
        rule: header.rule,
        topology: header.topology,
        kernel: settings.kernel,
        depth,
        neighbours: neighbours(rank, ranks, header.topology),
    };
    let mut band = if overlap {
        Either::Split(SplitBand::new(backend, &spec)?, HaloBuffers::default())
    } else {
        Either::Ghosts(Band::new(backend, &spec)?)
    };
    drop(owned);
    // Everyone starts together, so the first exchange's wait is not the set-up's imbalance.
    comm.barrier();
    let started = Instant::now();
    let mut timings = Timings::default();
    for gens in blocks(settings.generations, depth) {
        match &mut band {
            Either::Ghosts(band) => {
                exchange(comm, band, &mut timings);
                let stepping = Instant::now();
                band.step(gens)?;
                lap(&mut timings.compute, stepping);
            }
            Either::Split(band, buffers) => {
                step_overlapped(comm, band, buffers, gens, &mut timings)?;
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mine = [timings.compute, timings.exchange, timings.wait, elapsed];
    let mut slowest = [0f64; 4];
    comm.all_reduce_into(&mine[..], &mut slowest[..], SystemOperation::max());
    // A GPU band holds only its edge rows on the host between exchanges.
    match &mut band {
        Either::Ghosts(band) => band.sync()?,
        Either::Split(band, _) => band.sync()?,
    }
    let owned = match &band {
        Either::Ghosts(band) => band.owned_words(),
        Either::Split(band, _) => band.owned_words(),
    };
    let population = crate::life::grid::count_live(owned);
    let mut total = 0u64;
    comm.all_reduce_into(&population, &mut total, SystemOperation::sum());
    let grid = if settings.gather {
        gather(comm, owned, &split, header.width)?
    } else {
        None
    };
    Ok(Outcome {
        grid,
        population: total,
        timings: Timings {
            compute: slowest[0],
            exchange: slowest[1],
            wait: slowest[2],
        },
        elapsed: slowest[3],
        depth,
        ranks,
    })
}

/// A rank's band: ghost rows exchanged before each block, or the exchange overlapped.
enum Either {
    Ghosts(Band),
    Split(SplitBand, HaloBuffers),
}

/// Rank 0 sends each rank its band of `whole`; every rank returns its own band.
fn scatter<C: Communicator>(
    comm: &C,
    whole: Option<Grid>,
    split: &Decomposition,
    width: u32,
) -> Result<Grid> {
    let rank = comm.rank() as usize;
    let wpr = crate::life::grid::words_per_row(width) as usize;
    let (first, rows) = split.band(rank);
    if rank == 0 {
        let whole = whole.ok_or_else(|| Error::Mpi("rank 0 has no grid to scatter".into()))?;
        for r in 1..split.ranks {
            let (f, n) = split.band(r);
            send_words(
                comm,
                r,
                &whole.words()[f as usize * wpr..(f + n) as usize * wpr],
            );
        }
        let mine = whole.words()[first as usize * wpr..(first + rows) as usize * wpr].to_vec();
        Grid::from_words(width, rows, mine)
    } else {
        let mut band = Grid::new(width, rows)?;
        receive_words(comm, 0, band.words_mut());
        Ok(band)
    }
}

/// Every rank sends its band to rank 0, which returns the whole grid.
fn gather<C: Communicator>(
    comm: &C,
    mine: &[u32],
    split: &Decomposition,
    width: u32,
) -> Result<Option<Grid>> {
    let rank = comm.rank() as usize;
    if rank != 0 {
        send_words(comm, 0, mine);
        return Ok(None);
    }
    let mut whole = Grid::new(width, split.height)?;
    let wpr = whole.words_per_row() as usize;
    whole.words_mut()[..mine.len()].copy_from_slice(mine);
    for r in 1..split.ranks {
        let (f, n) = split.band(r);
        receive_words(
            comm,
            r,
            &mut whole.words_mut()[f as usize * wpr..(f + n) as usize * wpr],
        );
    }
    Ok(Some(whole))
}
