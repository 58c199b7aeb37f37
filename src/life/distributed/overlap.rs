//! A band stepped while its halos travel: the interior first, the edge strips once the ghosts
//! have arrived.
//!
//! The owned rows are stepped `g <= k` generations on their own, without ghosts: every row at
//! least `k` rows from an edge that has a neighbour is then right (an error at the edge travels a
//! row a generation). Meanwhile the halos are in flight. Then each such edge is finished apart: a
//! strip of the `k` ghost rows and the `2k` owned rows next to them, as they were before the
//! block, stepped `g` generations on one core, gives the `k` edge rows. The price over
//! [`Band`]'s ghost rows: two strips of `3k` rows instead of `2k` extra rows, and the
//! copies; it pays where waiting for halos costs more than that.

use super::{Band, BandSpec, Neighbours};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::life::{Grid, Kernel, LifeEngine, Rule, Topology};

/// The rows a band sends and receives in one exchange, owned apart from the band so the band can
/// be stepped while MPI holds them.
#[derive(Default)]
pub struct HaloBuffers {
    /// The first `k` owned rows, for the rank above.
    pub send_above: Vec<u32>,
    /// The last `k` owned rows, for the rank below.
    pub send_below: Vec<u32>,
    /// The `k` rows above the band, from the rank above.
    pub receive_above: Vec<u32>,
    /// The `k` rows below the band, from the rank below.
    pub receive_below: Vec<u32>,
}

/// A band whose interior is stepped while its halos travel (see the module docs).
pub struct SplitBand {
    interior: Band,
    width: u32,
    neighbours: Neighbours,
    depth: u32,
    rule: Rule,
    topology: Topology,
    /// The first and last `2k` owned rows before the block: the owned part of the edge strips.
    before_top: Vec<u32>,
    before_bottom: Vec<u32>,
}

impl SplitBand {
    /// Sets up `spec.owned` like [`Band::new`]; the band needs at least `2 * spec.depth` rows
    /// (the strips take `2k` owned rows each).
    pub fn new(backend: &Backend, spec: &BandSpec) -> Result<SplitBand> {
        let BandSpec {
            owned,
            rule,
            topology,
            depth,
            neighbours,
            ..
        } = *spec;
        if depth == 0 || owned.height() < 2 * depth {
            return Err(Error::InvalidArgument(format!(
                "a band of {} rows cannot overlap its exchange with ghosts {depth} deep: it needs at least {} rows",
                owned.height(),
                2 * depth.max(1)
            )));
        }
        let alone = Neighbours {
            above: None,
            below: None,
        };
        // A GPU interior stays on the device; after each step it reads back the `2k` rows at
        // each end that the next block's strips start from.
        let strip = |side: Option<usize>| if side.is_some() { 2 * depth } else { 0 };
        let edges = (strip(neighbours.above), strip(neighbours.below));
        let interior = Band::with_edges(
            backend,
            &BandSpec {
                neighbours: alone,
                ..*spec
            },
            Some(edges),
        )?;
        Ok(SplitBand {
            interior,
            width: owned.width(),
            neighbours,
            depth,
            rule,
            topology,
            before_top: Vec::new(),
            before_bottom: Vec::new(),
        })
    }

    /// The ranks above and below.
    pub fn neighbours(&self) -> Neighbours {
        self.neighbours
    }

    /// Brings the whole band back from a GPU ([`Band::sync`]); call it before
    /// [`SplitBand::owned_words`] at the end of a run.
    pub fn sync(&mut self) -> Result<()> {
        self.interior.sync()
    }

    /// The owned rows' words, row-major (on a GPU, as of the last [`SplitBand::sync`] between
    /// the edge strips).
    pub fn owned_words(&self) -> &[u32] {
        self.interior.owned_words()
    }

    fn row_words(&self) -> usize {
        self.owned_words().len() / self.interior.rows() as usize
    }

    /// Before a block: copies the edge rows to send into `buffers` (sized for the receives too)
    /// and keeps the rows the strips will need.
    pub fn prepare(&mut self, buffers: &mut HaloBuffers) {
        let wpr = self.row_words();
        let (k, owned) = (self.depth as usize * wpr, self.interior.owned_words());
        let n = owned.len();
        let fill = |v: &mut Vec<u32>, rows: &[u32]| {
            v.clear();
            v.extend_from_slice(rows);
        };
        let (above, below) = (
            self.neighbours.above.is_some(),
            self.neighbours.below.is_some(),
        );
        fill(
            &mut buffers.send_above,
            if above { &owned[..k] } else { &[] },
        );
        fill(
            &mut buffers.send_below,
            if below { &owned[n - k..] } else { &[] },
        );
        buffers.receive_above.resize(if above { k } else { 0 }, 0);
        buffers.receive_below.resize(if below { k } else { 0 }, 0);
        fill(
            &mut self.before_top,
            if above { &owned[..2 * k] } else { &[] },
        );
        fill(
            &mut self.before_bottom,
            if below { &owned[n - 2 * k..] } else { &[] },
        );
    }

    /// Steps the owned rows `generations` (at most the depth) without their ghosts: the rows
    /// next to an edge with a neighbour are wrong until [`SplitBand::finish`].
    pub fn step_interior(&mut self, generations: u64) -> Result<()> {
        if generations > self.depth as u64 {
            return Err(Error::InvalidArgument(format!(
                "a band with ghosts {} deep cannot step {generations} generations without an exchange",
                self.depth
            )));
        }
        self.interior.step(generations)
    }

    /// After the halos arrived in `buffers`: steps each edge strip `generations` and writes its
    /// `k` right rows over the interior's wrong ones.
    pub fn finish(&mut self, buffers: &HaloBuffers, generations: u64) -> Result<()> {
        let wpr = self.row_words();
        let k = self.depth as usize * wpr;
        let width = self.width;
        if self.neighbours.above.is_some() {
            let strip = [&buffers.receive_above[..], &self.before_top[..]].concat();
            let done = self.step_strip(width, strip, generations)?;
            self.interior.write_owned_rows(0, &done[k..2 * k])?;
        }
        if self.neighbours.below.is_some() {
            let strip = [&self.before_bottom[..], &buffers.receive_below[..]].concat();
            let done = self.step_strip(width, strip, generations)?;
            let rows = self.interior.rows();
            self.interior
                .write_owned_rows(rows - self.depth, &done[k..2 * k])?;
        }
        Ok(())
    }

    /// A strip of `3k` rows stepped `generations` on one core; its middle `k` rows are right.
    fn step_strip(&self, width: u32, words: Vec<u32>, generations: u64) -> Result<Vec<u32>> {
        let grid = Grid::from_words(width, 3 * self.depth, words)?;
        let mut engine = LifeEngine::with_kernel(
            &Backend::Serial,
            grid,
            self.rule,
            self.topology,
            Kernel::Packed,
        )?;
        engine.step(generations)?;
        Ok(engine.grid()?.words().to_vec())
    }
}
