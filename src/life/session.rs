//! One long run of one grid, as `speedup life run` does it: stepping in chunks that keep Ctrl-C
//! and a progress display prompt, stopping when the grid repeats (`--until-stable`), and
//! recording samples every K generations (snapshot files, GIF frames, statistics rows).
//!
//! ```
//! use speedup::backend::Backend;
//! use speedup::life::session::{Session, SessionPlan};
//! use speedup::life::{Grid, Kernel, Rule, Topology};
//! use std::sync::atomic::AtomicBool;
//!
//! // A blinker repeats with period 2 from the start.
//! let blinker = Grid::from_text("-----/--*--/--*--/--*--/-----").unwrap();
//! let plan = SessionPlan { generations: 100, until_stable: Some(10), samples: None };
//! let session = Session::new(&Backend::Serial, Kernel::Packed, blinker, Rule::CONWAY, Topology::Torus, plan).unwrap();
//! let outcome = session.run(&AtomicBool::new(false), &mut |_| {}).unwrap();
//! assert_eq!(outcome.cycle.map(|c| c.period), Some(2));
//! assert_eq!(outcome.generations, 2);
//! ```

use super::formats::write_pattern;
use super::grid::{counting, COUNT_BLOCK_WORDS};
use super::image::{write_png, GifRecorder};
use super::stable::{Cycle, CycleDetector};
use super::{Bounds, Grid, Kernel, LifeEngine, Rule, RuleSpec, Topology};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::output::write_atomic;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What a session does: how far it steps, whether it stops on a repeat, what it records.
#[derive(Clone, Debug)]
pub struct SessionPlan {
    /// Generations to run (at most, with `until_stable`).
    pub generations: u64,
    /// Stop when the grid repeats with a period of at most this many generations.
    pub until_stable: Option<u64>,
    /// What to record every K generations, if anything.
    pub samples: Option<Samples>,
}

/// What to record every K generations of a session, and where.
#[derive(Clone, Debug)]
pub struct Samples {
    /// K: record generations 0, K, 2K, ...
    pub every: u64,
    /// A folder for a snapshot file per sample (`gen-NNNN.EXT`) and its extension: rle, cells,
    /// lif, life or png.
    pub snapshots: Option<(PathBuf, String)>,
    /// An animated GIF of the samples and its frame delay in hundredths of a second.
    pub gif: Option<(PathBuf, u16)>,
    /// A CSV file of generation, population, births and deaths per sample.
    pub stats: Option<PathBuf>,
    /// Pixels per cell in PNG snapshots and GIF frames.
    pub scale: u32,
}

/// How a session ended.
#[derive(Clone, Debug)]
pub struct SessionOutcome {
    /// The grid at the last generation stepped.
    pub grid: Grid,
    /// Generations stepped.
    pub generations: u64,
    /// The repeat that stopped the run (with `until_stable`).
    pub cycle: Option<Cycle>,
    /// Whether the stop flag ended the run early.
    pub interrupted: bool,
    /// Wall time spent stepping (not reading back samples or writing them).
    pub stepping_seconds: f64,
    /// Device time of the steps, where the backend measures it.
    pub device_seconds: Option<f64>,
    /// Things the user should know, e.g. that a picture was scaled down.
    pub notes: Vec<String>,
}

/// A grid on an engine, with what the run must watch and record.
pub struct Session {
    engine: LifeEngine,
    spec: RuleSpec,
    generations: u64,
    detector: Option<CycleDetector>,
    sampler: Option<Sampler>,
}

impl Session {
    /// Sets `start` up on `backend` with `kernel`, ready to run `plan`; generation 0 is sampled
    /// now (the snapshot folder is created, the first frame drawn) so that a bad output fails
    /// before any stepping.
    pub fn new(
        backend: &Backend,
        kernel: Kernel,
        start: Grid,
        rule: Rule,
        topology: Topology,
        plan: SessionPlan,
    ) -> Result<Session> {
        let spec = RuleSpec {
            rule,
            bounds: Some(Bounds {
                topology,
                width: start.width(),
                height: start.height(),
            }),
        };
        let mut sampler = match plan.samples {
            Some(samples) => Some(Sampler::new(samples, &start, plan.generations)?),
            None => None,
        };
        if let Some(s) = &mut sampler {
            s.record(0, &start, &spec)?;
        }
        let engine = LifeEngine::with_kernel(backend, start, rule, topology, kernel)?;
        let mut detector = plan.until_stable.map(CycleDetector::new);
        if let Some(d) = &mut detector {
            d.observe(0, &*engine.current()?);
        }
        Ok(Session {
            engine,
            spec,
            generations: plan.generations,
            detector,
            sampler,
        })
    }

    /// The rule and the grid's topology and size, as pattern files record them.
    pub fn spec(&self) -> RuleSpec {
        self.spec
    }

    /// Runs the plan to its end, a repeat, or until `stop` is raised (checked between chunks of
    /// about a tenth of a second), telling `progress` each generation reached; then writes the
    /// GIF and the statistics.
    pub fn run(
        mut self,
        stop: &AtomicBool,
        progress: &mut dyn FnMut(u64),
    ) -> Result<SessionOutcome> {
        let total = self.generations;
        let (mut generation, mut stepping, mut device_seconds) = (0u64, Duration::ZERO, None);
        // Step in chunks sized to take about a tenth of a second (at most the GPU engine's
        // submission size), so that a stop and the progress display are served promptly however
        // fast or slow one generation is; in whole passes of the tiled kernels, which would
        // otherwise run short passes (a pass of one generation saves nothing).
        let per_pass = self.engine.generations_per_pass();
        let mut chunk = per_pass;
        let mut cycle = None;
        while generation < total && cycle.is_none() && !stop.load(Ordering::SeqCst) {
            let mut target = total.min(generation.saturating_add(chunk));
            // --until-stable: every generation's grid is shown to the detector.
            if self.detector.is_some() {
                target = generation + 1;
            }
            if let Some(s) = &self.sampler {
                target = target.min(s.next_stop(generation));
            }
            let started = Instant::now();
            if let Some(d) = self.engine.step(target - generation)? {
                device_seconds = Some(device_seconds.unwrap_or(0.0) + d);
            }
            let took = started.elapsed();
            stepping += took;
            let rate = (target - generation) as f64 / took.as_secs_f64().max(1e-9);
            chunk = ((rate * 0.1) as u64)
                .clamp(1, super::gpu::GENERATIONS_PER_SUBMIT)
                .next_multiple_of(per_pass);
            generation = target;
            // One look at the grid serves the detector and the sampler: on the CPU it is the
            // engine's own (no copy), on the GPU one read-back.
            let sample = self.sampler.as_ref().is_some_and(|s| s.wants(generation));
            if self.detector.is_some() || sample {
                let grid = self.engine.current()?;
                if let Some(d) = &mut self.detector {
                    cycle = d.observe(generation, &grid);
                }
                if let (Some(s), true) = (&mut self.sampler, sample) {
                    s.record(generation, &grid, &self.spec)?;
                }
            }
            progress(generation);
        }
        let grid = self.engine.into_grid()?;
        let notes = match self.sampler {
            Some(s) => s.finish()?,
            None => Vec::new(),
        };
        Ok(SessionOutcome {
            grid,
            generations: generation,
            cycle,
            interrupted: generation < total && cycle.is_none(),
            stepping_seconds: stepping.as_secs_f64(),
            device_seconds,
            notes,
        })
    }
}

/// Writes `grid` to `path` by its extension: a picture for .png, else a pattern file. Returns a
/// note for the user when a picture had to be scaled down.
pub fn write_grid(path: &Path, grid: &Grid, spec: &RuleSpec, scale: u32) -> Result<Option<String>> {
    let png = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if png {
        write_png(path, grid, scale)
    } else {
        write_pattern(path, grid, spec)?;
        Ok(None)
    }
}

/// Records the samples: snapshot files, GIF frames, statistics rows.
struct Sampler {
    samples: Samples,
    /// Digits of the generation in snapshot names, so they sort.
    digits: usize,
    gif: Option<GifRecorder>,
    stats: Option<String>,
    /// The last grid seen and its generation, for births and deaths.
    last: Option<(u64, Grid)>,
    notes: Vec<String>,
}

impl Sampler {
    fn new(samples: Samples, start: &Grid, generations: u64) -> Result<Sampler> {
        if samples.every == 0 {
            return Err(Error::InvalidArgument(
                "samples must be at least one generation apart".into(),
            ));
        }
        if let Some((dir, _)) = &samples.snapshots {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let gif = match &samples.gif {
            Some((_, delay)) => Some(GifRecorder::new(
                start.width(),
                start.height(),
                samples.scale,
                *delay,
            )?),
            None => None,
        };
        let stats = samples
            .stats
            .as_ref()
            .map(|_| "generation,population,births,deaths\n".to_string());
        Ok(Sampler {
            samples,
            digits: generations.to_string().len(),
            gif,
            stats,
            last: None,
            notes: Vec::new(),
        })
    }

    /// The next generation after `generation` at which the loop must stop to read the grid:
    /// a sample, or, with statistics, the one before a sample (for births and deaths).
    fn next_stop(&self, generation: u64) -> u64 {
        let every = self.samples.every;
        // Saturating: the run may be as long as u64 allows.
        let next_sample = (generation / every + 1).saturating_mul(every);
        if self.stats.is_some() && next_sample - 1 > generation {
            next_sample - 1
        } else {
            next_sample
        }
    }

    /// Whether the loop needs the grid at `generation`.
    fn wants(&self, generation: u64) -> bool {
        let every = self.samples.every;
        generation.is_multiple_of(every)
            || (self.stats.is_some() && generation.wrapping_add(1).is_multiple_of(every))
    }

    fn record(&mut self, generation: u64, grid: &Grid, spec: &RuleSpec) -> Result<()> {
        if generation.is_multiple_of(self.samples.every) {
            if let Some((dir, ext)) = &self.samples.snapshots {
                let digits = self.digits;
                let path = dir.join(format!("gen-{generation:0digits$}.{ext}"));
                if let Some(note) = write_grid(&path, grid, spec, self.samples.scale)? {
                    self.notes.push(note);
                }
            }
            if let Some(gif) = &mut self.gif {
                gif.frame(grid)?;
            }
            if let Some(stats) = &mut self.stats {
                let (births, deaths) = match &self.last {
                    Some((g, prev)) if g + 1 == generation => {
                        let (b, d) = births_and_deaths(prev, grid);
                        (b.to_string(), d.to_string())
                    }
                    _ => (String::new(), String::new()),
                };
                stats.push_str(&format!(
                    "{generation},{},{births},{deaths}\n",
                    grid.population()
                ));
            }
        }
        // Births and deaths need the generation before a sample: kept in one buffer, copied
        // into (a fresh grid each time cost the allocation's page faults as well).
        if self.stats.is_some() {
            match &mut self.last {
                Some((g, last)) => {
                    *g = generation;
                    last.clone_from(grid);
                }
                None => self.last = Some((generation, grid.clone())),
            }
        }
        Ok(())
    }

    /// Writes the GIF and the statistics (atomically), returning notes for the user.
    fn finish(self) -> Result<Vec<String>> {
        let mut notes = self.notes;
        notes.dedup();
        if let (Some(gif), Some((path, _))) = (self.gif, &self.samples.gif) {
            notes.extend(gif.plan().note());
            gif.write(path)?;
        }
        if let (Some(stats), Some(path)) = (self.stats, &self.samples.stats) {
            write_atomic(path, stats.as_bytes())?;
        }
        Ok(notes)
    }
}

/// Cells born and cells that died between two generations of one grid, in one pass
/// [`counting`] at the CPU's level (a run with `--stats` counts them at every sample).
fn births_and_deaths(before: &Grid, after: &Grid) -> (u64, u64) {
    counting(|| {
        (before.words().chunks(COUNT_BLOCK_WORDS))
            .zip(after.words().chunks(COUNT_BLOCK_WORDS))
            .fold((0, 0), |(births, deaths), (x, y)| {
                // One block's counts in u32 lanes (see COUNT_BLOCK_WORDS).
                let (b, d) = x.iter().zip(y).fold((0u32, 0u32), |(b, d), (&x, &y)| {
                    (b + (y & !x).count_ones(), d + (x & !y).count_ones())
                });
                (births + b as u64, deaths + d as u64)
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::Isa;

    /// Births and deaths at every level this CPU runs equal a cell-by-cell count, on grids of
    /// more than one counting block with a ragged last one.
    #[test]
    fn births_and_deaths_at_every_level_equal_a_cell_count() {
        let (w, h) = (1000, 2 * COUNT_BLOCK_WORDS as u32 / 32 + 3);
        let before = Grid::random(w, h, 0.4, 1).unwrap();
        let after = Grid::random(w, h, 0.6, 2).unwrap();
        let (mut born, mut died) = (0, 0);
        for y in 0..h {
            for x in 0..w {
                match (before.get(x, y), after.get(x, y)) {
                    (false, true) => born += 1,
                    (true, false) => died += 1,
                    _ => {}
                }
            }
        }
        assert!(born > 0 && died > 0);
        for &isa in Isa::detected().iter().chain([Isa::Scalar].iter()) {
            let got = isa.forced_here(|| births_and_deaths(&before, &after));
            assert_eq!(got.unwrap(), (born, died), "{isa}");
        }
    }
}
