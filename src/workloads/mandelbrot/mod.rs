//! Mandelbrot: a W×H image of a rectangle of the complex plane, each pixel holding how many
//! iterations of z ← z² + c ran before |z|² > 4 (at most `max_iter`). Compute-bound, floating
//! point, and divergent: neighbouring pixels need very different iteration counts.
//!
//! Size notation: `WxH` or `WxH:MAX_ITER` (default [`DEFAULT_MAX_ITER`]) over [`Region::FULL`];
//! `N` alone is a square N×N. `WxH:MAX_ITER/S` computes every S-th row of that image only (rows
//! S/2, S/2 + S, ...): a representative part of the very same problem, which is how the CPU
//! rows of the device-filling plan run the GPU's image at the GPU's max_iter in a reasonable
//! time (same region, same max_iter, the same mix of escaping and interior pixels).
//!
//! Two workloads share this code: `mandelbrot`, bit-identical across backends (below), and
//! `mandelbrot-fma`, where both the CPU (`f32::mul_add`) and the GPU (WGSL `fma`) fuse the
//! multiply-adds of the iteration, agreeing within [`MAX_GPU_DIFF_FRACTION`]: the pair shows
//! what bit-identity costs.
//!
//! # Floating point: what agrees with what
//!
//! Every backend iterates in f32 in one operation order. The reference ([`reference`](fn@reference)) is a
//! plainly written loop; serial and Rayon share one vector kernel ([`fill_rows`], at every
//! instruction-set level: scalar, SSE2, AVX2, AVX-512, NEON), which does in each lane what
//! [`escape_count`] does. Rust never contracts `a * b + c` into a fused multiply-add, and the
//! kernel's multiplies and adds are separate instructions, so all of them are
//! **bit-identical**. (The kernel also has a fused variant, `fill_rows::<true>`, for measuring
//! FMA arithmetic; see its module.)
//!
//! WGSL allows the shader compiler to fuse (one rounding instead of two), and drivers do. Far
//! from the set the difference never changes when |z|² crosses 4; on the boundary, where orbits
//! are chaotic, it does: with plain `zr * zr - zi * zi + cr` in the shader, lavapipe differed
//! from the CPU in 367 of the 83,944 pixels of [`verify_cases`] (0.44%). The shader therefore
//! ORs the bits of every product with a uniform that is always 0 (`no_fuse`), which no compiler
//! can see through: the product must be rounded to f32 before the integer operation, so it cannot
//! be fused into the add. (A `select` on the same uniform, used before, is loop-invariant: an
//! optimising driver may hoist and fold it, then fuse.) lavapipe (Vulkan and GL) is bit-identical
//! to the CPU (tests/workloads.rs checks it). Drivers may still flush subnormals to zero, so a
//! GPU is held to differing in at most
//! [`MAX_GPU_DIFF_FRACTION`] (0.1%) of pixels, not to bit-identity.
//!
//! # Work
//!
//! The unit is the pixel-iteration, and a run's work is the sum of the iteration counts in the
//! image it produced: the iterations actually done, not W·H·max_iter (most pixels escape early).
//! [`Prepared::work`] is therefore known only after a run; on the GPU the sum can differ from the
//! CPU's by the few boundary pixels above (well under 0.1%).

mod cpu;
mod gpu;

use super::single::{about, OptionKind, RunOption, RunOptions, RunReport, SingleRun};
use super::{
    touched_vec, Check, Device, DeviceSize, Engine, Prepared, Problem, RunClock, RunTiming,
    WorkCounts, Workload,
};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::gpu::ShaderBuild;
use crate::isa::Isa;
use crate::peak::Measure;
pub use cpu::{fill_rows, MAX_FUSED_DIFF_FRACTION, PREFERENCE as CPU_PREFERENCE};
use cpu::{rayon_into, serial_into};
pub use gpu::{GpuMandelbrot, ITERATIONS_PER_DISPATCH, MANDELBROT_WGSL};
use std::path::Path;
use std::time::Instant;

/// Iteration limit when the size does not give one.
pub const DEFAULT_MAX_ITER: u32 = 1000;

/// Largest iteration limit accepted: beyond it a single GPU dispatch over a large image can run
/// for seconds, long enough for an OS watchdog to reset the GPU.
pub const MAX_MAX_ITER: u32 = 1_000_000;

/// The largest fraction of pixels in which the GPU may differ from the CPU (a driver that fuses
/// multiply-adds anyway, or flushes subnormals, changes boundary pixels: see the module docs).
pub const MAX_GPU_DIFF_FRACTION: f64 = 0.001;

/// The same bound for `mandelbrot-fma`: where the CPU and the shader both fuse by hand, the
/// driver may still contract the other products and sums (`zr² + zi²` into an FMA), which it
/// may not across the unfused kernel's guard: lavapipe differs from the fused reference in
/// 0.47% of the verify cases' pixels (392 of 83,944), all on the set's chaotic boundary.
pub const MAX_FMA_DIFF_FRACTION: f64 = 0.01;

/// Largest image accepted, in pixels: the GPU kernel indexes pixels with one u32, and the CPU
/// converts x and y to f32, exact only below 2^24.
pub const MAX_PIXELS: u64 = u32::MAX as u64;

/// A rectangle of the complex plane.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
    /// Real part of the left edge.
    pub re_min: f32,
    /// Imaginary part of the bottom edge.
    pub im_min: f32,
    /// Real part of the right edge.
    pub re_max: f32,
    /// Imaginary part of the top edge.
    pub im_max: f32,
}

impl Region {
    /// The whole set, square: real −2..0.5, imaginary −1.25..1.25.
    pub const FULL: Region = Region {
        re_min: -2.0,
        im_min: -1.25,
        re_max: 0.5,
        im_max: 1.25,
    };

    /// Parses `re_min,im_min,re_max,im_max`, e.g. `-0.8,0.05,-0.7,0.15`.
    pub fn parse(text: &str) -> Result<Region> {
        let bad = |why: &str| {
            Error::InvalidArgument(format!(
                "region '{text}': {why}; expected re_min,im_min,re_max,im_max such as -2,-1.25,0.5,1.25"
            ))
        };
        let parts: Vec<f32> = text
            .split(',')
            .map(|p| p.trim().parse::<f32>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| bad("not four numbers"))?;
        let [re_min, im_min, re_max, im_max] = parts[..] else {
            return Err(bad("not four numbers"));
        };
        let region = Region {
            re_min,
            im_min,
            re_max,
            im_max,
        };
        region.validate()?;
        Ok(region)
    }

    /// Checks the rectangle is finite, not empty, and within |re|, |im| ≤ 16 (everything beyond
    /// |c| > 2 escapes at once; the bound also keeps every f32 step below overflow).
    pub fn validate(&self) -> Result<()> {
        let all = [self.re_min, self.im_min, self.re_max, self.im_max];
        if !all.iter().all(|v| v.is_finite() && v.abs() <= 16.0) {
            return Err(Error::InvalidArgument(format!(
                "region {self}: every bound must be a finite number within [-16, 16]"
            )));
        }
        if self.re_min >= self.re_max || self.im_min >= self.im_max {
            return Err(Error::InvalidArgument(format!(
                "region {self}: needs re_min < re_max and im_min < im_max"
            )));
        }
        Ok(())
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{},{},{},{}",
            self.re_min, self.im_min, self.re_max, self.im_max
        )
    }
}

/// One Mandelbrot image to compute: its size, iteration limit and region.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mandelbrot {
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
    /// Iterations after which a pixel counts as inside the set.
    pub max_iter: u32,
    /// The rectangle of the complex plane the image covers.
    pub region: Region,
    /// Compute every `row_stride`-th row only (1: the whole image): see the module docs.
    pub row_stride: u32,
    /// Fuse the iteration's multiply-adds (`mandelbrot-fma`): one rounding instead of two.
    pub fused: bool,
}

impl Mandelbrot {
    /// A validated job: size within [`MAX_PIXELS`] and host memory, 1 ≤ `max_iter` ≤
    /// [`MAX_MAX_ITER`], a sane region.
    pub fn new(width: u32, height: u32, max_iter: u32, region: Region) -> Result<Mandelbrot> {
        let pixels = width as u64 * height as u64;
        if pixels == 0 {
            return Err(Error::InvalidSize(format!(
                "mandelbrot image {width}x{height} is empty"
            )));
        }
        if pixels > MAX_PIXELS || width > 1 << 24 || height > 1 << 24 {
            return Err(Error::InvalidSize(format!(
                "mandelbrot image {width}x{height} is too large: at most {MAX_PIXELS} pixels and 16777216 per side"
            )));
        }
        if max_iter == 0 || max_iter > MAX_MAX_ITER {
            return Err(Error::InvalidArgument(format!(
                "mandelbrot max_iter {max_iter}: must be between 1 and {MAX_MAX_ITER}"
            )));
        }
        region.validate()?;
        super::check_host_memory("the mandelbrot image", pixels * 4)?;
        Ok(Mandelbrot {
            width,
            height,
            max_iter,
            region,
            row_stride: 1,
            fused: false,
        })
    }

    /// The same image, computing every `stride`-th row only (rows stride/2, stride/2 + stride,
    /// ...); `stride` must be between 1 and the height.
    pub fn every_nth_row(self, stride: u32) -> Result<Mandelbrot> {
        if stride == 0 || stride > self.height {
            return Err(Error::InvalidArgument(format!(
                "mandelbrot row stride {stride}: must be between 1 and the height {}",
                self.height
            )));
        }
        Ok(Mandelbrot {
            row_stride: stride,
            ..self
        })
    }

    /// The same image with the iteration's multiply-adds fused (or not).
    pub fn with_fused(self, fused: bool) -> Mandelbrot {
        Mandelbrot { fused, ..self }
    }

    /// Rows computed: the height, or the rows of every `row_stride`-th one.
    pub fn rows(&self) -> u32 {
        self.height / self.row_stride
    }

    /// The image row (0 at the top) of computed row `k`.
    pub fn row_y(&self, k: u32) -> u32 {
        k * self.row_stride + self.row_stride / 2
    }

    /// Parses the workload's size notation, `WxH`, `WxH:MAX_ITER` or `WxH:MAX_ITER/S` (`N`
    /// alone is a square N×N), over `region`.
    pub fn parse(size: &str, region: Region) -> Result<Mandelbrot> {
        let bad = || {
            Error::InvalidArgument(format!(
                "mandelbrot size '{size}': expected WxH, WxH:MAX_ITER or WxH:MAX_ITER/ROW_STRIDE, e.g. 2048x2048:1000"
            ))
        };
        let (image, stride) = match size.split_once('/') {
            Some((i, s)) => (i, s.trim().parse::<u32>().map_err(|_| bad())?),
            None => (size, 1),
        };
        let (dims, max_iter) = match image.split_once(':') {
            Some((d, m)) => (d, m.trim().parse::<u32>().map_err(|_| bad())?),
            None => (image, DEFAULT_MAX_ITER),
        };
        let (w, h) = crate::size::parse_dimensions(dims).ok_or_else(bad)?;
        Mandelbrot::new(w, h, max_iter, region)?.every_nth_row(stride)
    }

    /// Number of pixels computed (those of every computed row).
    pub fn pixels(&self) -> u64 {
        self.width as u64 * self.rows() as u64
    }

    /// Width and height of one pixel in the complex plane, computed once in f32 and shared by
    /// every backend (the GPU gets these exact values in its uniform).
    fn pixel_size(&self) -> (f32, f32) {
        let r = &self.region;
        (
            (r.re_max - r.re_min) / self.width as f32,
            (r.im_max - r.im_min) / self.height as f32,
        )
    }
}

/// An image of iteration counts, row-major, row 0 at the top.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IterationImage {
    /// Pixels across.
    pub width: u32,
    /// Pixels down (the rows computed: fewer than the job's height with a row stride).
    pub height: u32,
    /// The iteration limit the image was computed with (a count equal to it means "inside").
    pub max_iter: u32,
    /// One count per pixel, each in 0..=max_iter.
    pub counts: Vec<u32>,
}

impl IterationImage {
    /// Sum of all iteration counts: the run's work in pixel-iterations.
    pub fn total_iterations(&self) -> u64 {
        self.counts.iter().map(|&c| c as u64).sum()
    }

    /// Pixels that never escaped.
    pub fn inside(&self) -> u64 {
        self.counts.iter().filter(|&&c| c == self.max_iter).count() as u64
    }

    /// Number of pixels whose counts differ from `other`'s (same size assumed; extra pixels of a
    /// larger image count as differing).
    pub fn differing_pixels(&self, other: &IterationImage) -> u64 {
        let common = self
            .counts
            .iter()
            .zip(&other.counts)
            .filter(|(a, b)| a != b)
            .count();
        (common + self.counts.len().abs_diff(other.counts.len())) as u64
    }

    /// The image as 8-bit RGB: black inside the set, outside a blue–white–orange gradient over
    /// the logarithm of the count (counts span orders of magnitude near the boundary).
    pub fn to_rgb(&self) -> Vec<u8> {
        let scale = ((self.max_iter as f64) + 1.0).ln();
        let mut rgb = Vec::with_capacity(self.counts.len() * 3);
        for &c in &self.counts {
            if c >= self.max_iter {
                rgb.extend_from_slice(&[0, 0, 0]);
            } else {
                rgb.extend_from_slice(&palette(((c as f64) + 1.0).ln() / scale));
            }
        }
        rgb
    }

    /// Writes the colour-mapped image as an RGB PNG (atomically: a complete file or none).
    pub fn write_png(&self, path: &Path) -> Result<()> {
        let mut bytes = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut bytes, self.width, self.height);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            let png_error = |e: png::EncodingError| {
                Error::InvalidArgument(format!("{}: cannot encode PNG: {e}", path.display()))
            };
            let mut writer = encoder.write_header().map_err(png_error)?;
            writer.write_image_data(&self.to_rgb()).map_err(png_error)?;
            writer.finish().map_err(png_error)?;
        }
        crate::output::write_atomic(path, &bytes)
    }
}

/// Colour at `t` in [0, 1]: dark blue, blue, white, orange, dark red.
fn palette(t: f64) -> [u8; 3] {
    const STOPS: [(f64, [f64; 3]); 5] = [
        (0.0, [0.0, 7.0, 100.0]),
        (0.3, [32.0, 107.0, 203.0]),
        (0.6, [237.0, 255.0, 255.0]),
        (0.8, [255.0, 170.0, 0.0]),
        (1.0, [120.0, 20.0, 0.0]),
    ];
    let t = t.clamp(0.0, 1.0);
    let i = STOPS.iter().rposition(|s| s.0 <= t).unwrap_or(0).min(3);
    let ((t0, a), (t1, b)) = (STOPS[i], STOPS[i + 1]);
    let f = (t - t0) / (t1 - t0);
    std::array::from_fn(|k| (a[k] + (b[k] - a[k]) * f).round() as u8)
}

/// The oracle: every pixel of every computed row in turn, z ← z² + c written out in full, in
/// f32 (fused as `mandelbrot-fma` fuses, one `mul_add` per component, when `job.fused`).
pub fn reference(job: &Mandelbrot) -> IterationImage {
    let (dx, dy) = job.pixel_size();
    let mut counts = Vec::with_capacity(job.pixels() as usize);
    for y in (0..job.rows()).map(|k| job.row_y(k)) {
        for x in 0..job.width {
            let cr = job.region.re_min + (x as f32 + 0.5) * dx;
            let ci = job.region.im_max - (y as f32 + 0.5) * dy;
            let (mut zr, mut zi) = (0.0f32, 0.0f32);
            let mut n = 0;
            while n < job.max_iter && zr * zr + zi * zi <= 4.0 {
                (zr, zi) = if job.fused {
                    (zr.mul_add(zr, -(zi * zi)) + cr, (2.0 * zr).mul_add(zi, ci))
                } else {
                    (zr * zr - zi * zi + cr, 2.0 * zr * zi + ci)
                };
                n += 1;
            }
            counts.push(n);
        }
    }
    IterationImage {
        width: job.width,
        height: job.rows(),
        max_iter: job.max_iter,
        counts,
    }
}

/// Iterations of z ← z² + c from z = 0 before |z|² > 4, at most `max_iter`: what each lane of
/// the vector kernel ([`fill_rows`]) does, in the same order.
#[inline]
pub fn escape_count(cr: f32, ci: f32, max_iter: u32) -> u32 {
    let (mut zr, mut zi) = (0.0f32, 0.0f32);
    let mut i = 0;
    while i < max_iter {
        let zr2 = zr * zr;
        let zi2 = zi * zi;
        if zr2 + zi2 > 4.0 {
            break;
        }
        zi = 2.0 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        i += 1;
    }
    i
}

/// A Mandelbrot job prepared on one backend, ready to render repeatedly.
pub struct MandelbrotRun {
    job: Mandelbrot,
    /// The CPU side's state is the level its kernel runs at.
    engine: Engine<Isa, GpuMandelbrot>,
    last: Option<IterationImage>,
}

impl MandelbrotRun {
    /// Prepares `job` on `backend`: a thread pool for Rayon, pipeline and buffers for the GPU.
    pub fn new(backend: &Backend, job: Mandelbrot) -> Result<MandelbrotRun> {
        MandelbrotRun::with_dispatch_limit(backend, job, ITERATIONS_PER_DISPATCH)
    }

    /// Like [`MandelbrotRun::new`], with GPU dispatches of at most `iterations` iterations (tests
    /// use a small limit to split even small images into several bands).
    pub fn with_dispatch_limit(
        backend: &Backend,
        job: Mandelbrot,
        iterations: u64,
    ) -> Result<MandelbrotRun> {
        let engine = Engine::at_level(
            backend,
            &CPU_PREFERENCE,
            |isa| isa,
            |ctx| GpuMandelbrot::new(ctx, &job, iterations),
        )?;
        Ok(MandelbrotRun {
            job,
            engine,
            last: None,
        })
    }

    /// Computes the image, returning it with the time spent in each phase.
    pub fn render(&mut self) -> Result<(IterationImage, RunTiming)> {
        let timing = self.compute()?;
        let image = self.last.clone().expect("computed above");
        Ok((image, timing))
    }

    /// Computes the image into `self.last`: the inputs stage allocates and touches the counts
    /// on the CPU (the GPU's buffers are made once, its uniforms written at preparation), the
    /// results stage reads them back from the GPU.
    fn compute(&mut self) -> Result<RunTiming> {
        let clock = RunClock::start();
        let pixels = self.job.pixels() as usize;
        let (counts, timing) = match &mut self.engine {
            Engine::Serial(isa) => {
                let mut counts = touched_vec(pixels);
                let kernel = clock.ready(0);
                let isa = *isa;
                match self.job.fused {
                    false => serial_into::<false>(isa, &self.job, &mut counts),
                    true => serial_into::<true>(isa, &self.job, &mut counts),
                }
                (counts, kernel.done(None).on_host(pixels as u64 * 4))
            }
            Engine::Rayon(pool, isa) => {
                let mut counts = touched_vec(pixels);
                let kernel = clock.ready(0);
                let (isa, job) = (*isa, &self.job);
                pool.install(|| match job.fused {
                    false => rayon_into::<false>(isa, job, &mut counts),
                    true => rayon_into::<true>(isa, job, &mut counts),
                });
                (counts, kernel.done(None).on_host(pixels as u64 * 4))
            }
            Engine::Gpu(gpu) => gpu.run(clock)?,
        };
        self.last = Some(IterationImage {
            width: self.job.width,
            height: self.job.rows(),
            max_iter: self.job.max_iter,
            counts,
        });
        Ok(timing)
    }
}

impl Prepared for MandelbrotRun {
    fn run(&mut self) -> Result<RunTiming> {
        self.compute()
    }

    /// Pixel-iterations of the last run (0 before the first).
    fn work(&self) -> f64 {
        self.last
            .as_ref()
            .map_or(0.0, |i| i.total_iterations() as f64)
    }

    fn cpu_isa(&self) -> Option<Isa> {
        self.engine.cpu().copied()
    }

    fn result_summary(&self) -> Option<String> {
        self.last.as_ref().map(|i| {
            format!(
                "{} of {} pixels inside, {} iterations",
                i.inside(),
                i.counts.len(),
                i.total_iterations()
            )
        })
    }
}

impl Problem for Mandelbrot {
    fn prepare(&self, backend: &Backend) -> Result<Box<dyn Prepared>> {
        Ok(Box::new(MandelbrotRun::new(backend, *self)?))
    }

    fn per_unit(&self) -> String {
        format!(
            "{}x{} image of {} at max_iter {}{}",
            self.width,
            self.height,
            self.region,
            self.max_iter,
            if self.fused { ", fused" } else { "" }
        )
    }
}

/// Renders `job` once on `backend`.
pub fn render(backend: &Backend, job: Mandelbrot) -> Result<IterationImage> {
    MandelbrotRun::new(backend, job)?.render().map(|(i, _)| i)
}

/// Mandelbrot as a benchmark workload: `mandelbrot` (bit-identical on every backend) or
/// `mandelbrot-fma` (fused on every backend).
pub struct MandelbrotWorkload {
    /// Whether the multiply-adds are fused (`mandelbrot-fma`).
    pub fused: bool,
}

impl MandelbrotWorkload {
    /// `mandelbrot`: bit-identical across backends.
    pub const EXACT: MandelbrotWorkload = MandelbrotWorkload { fused: false };
    /// `mandelbrot-fma`: fused multiply-adds on both sides, agreeing within a tolerance.
    pub const FUSED: MandelbrotWorkload = MandelbrotWorkload { fused: true };

    fn job(&self, size: &str) -> Result<Mandelbrot> {
        Ok(Mandelbrot::parse(size, Region::FULL)?.with_fused(self.fused))
    }
}

/// The cases `verify` and the tests check: awkward sizes over the whole set and over a zoom into
/// the boundary (Seahorse Valley), where orbits are chaotic and f32 rounding matters most.
pub fn verify_cases() -> Vec<Mandelbrot> {
    let zoom = Region {
        re_min: -0.76,
        im_min: 0.08,
        re_max: -0.72,
        im_max: 0.12,
    };
    [
        (1, 1, 50),
        (31, 33, 200),
        (63, 65, 500),
        (100, 37, 300),
        (257, 129, 256),
    ]
    .iter()
    .flat_map(|&(w, h, m)| {
        [Region::FULL, zoom].map(|r| Mandelbrot::new(w, h, m, r).expect("valid case"))
    })
    .collect()
}

/// Compares `got` against the reference for `job`: the number of differing pixels and, for an
/// out-of-range count (a pixel the kernel never wrote), an error describing it.
pub fn compare(job: &Mandelbrot, got: &IterationImage, expected: &IterationImage) -> Result<u64> {
    if got.counts.len() != expected.counts.len() {
        return Err(Error::InvalidSize(format!(
            "{}x{}: {} pixels, expected {}",
            job.width,
            job.height,
            got.counts.len(),
            expected.counts.len()
        )));
    }
    if let Some(i) = got.counts.iter().position(|&c| c > job.max_iter) {
        return Err(Error::InvalidArgument(format!(
            "{}x{} pixel ({}, {}) holds {} (above max_iter {}): never written",
            job.width,
            job.height,
            i % job.width as usize,
            i / job.width as usize,
            got.counts[i],
            job.max_iter
        )));
    }
    Ok(got.differing_pixels(expected))
}

impl Workload for MandelbrotWorkload {
    fn name(&self) -> &'static str {
        if self.fused {
            "mandelbrot-fma"
        } else {
            "mandelbrot"
        }
    }

    fn description(&self) -> &'static str {
        if self.fused {
            "Mandelbrot escape counts in f32 with fused multiply-adds on every backend (agreeing within 0.1% of pixels)"
        } else {
            "Mandelbrot escape counts in f32 (compute-bound, floating point, divergent)"
        }
    }

    fn unit(&self) -> &'static str {
        "pixel-iterations"
    }

    fn default_sizes(&self, quick: bool) -> Vec<String> {
        if quick {
            vec!["512x512:256".into()]
        } else {
            vec!["2048x2048:1000".into()]
        }
    }

    fn sweep_sizes(&self) -> Vec<String> {
        [64, 128, 256, 512, 1024, 2048, 4096]
            .iter()
            .map(|n| format!("{n}x{n}:1000"))
            .collect()
    }

    fn single_run(&self) -> Option<SingleRun> {
        Some(SingleRun {
            notation: "WxH[:MAX_ITER[/ROW_STRIDE]]",
            default_size: "1024x1024",
            options: RUN_OPTIONS,
            run: if self.fused { run_once_fused } else { run_once },
        })
    }

    fn device_size(&self) -> Option<DeviceSize> {
        // Device time on an H200 from the counted expectations (docs/performance.md): 8192² at
        // max_iter 4000 is about the 8e10 iterations of 16384² at 1000 (a quarter of the
        // pixels, the inside ones iterating 4× longer): 30–80 ms. The CPU rows compute
        // every 128th row of the same image at the same max_iter (64 rows, ~5e8 iterations:
        // seconds serial on the 2-core EPYC guest), the same mix of escaping and interior pixels.
        Some(DeviceSize {
            cpu: "8192x8192:4000/128",
            gpu: "8192x8192:4000",
            problem: "8192x8192 image",
            part: "every 128th row of the image (64 of 8192 rows), same region and max_iter",
        })
    }

    fn shaders(&self) -> Vec<ShaderBuild> {
        vec![gpu::shader_build(self.fused)]
    }

    fn problem(&self, size: &str) -> Result<Box<dyn Problem>> {
        Ok(Box::new(self.job(size)?))
    }

    /// Per pixel-iteration (shaders/mandelbrot.wgsl's loop; cpu.rs runs the same per lane):
    /// 4 multiplies (zr², zi², 2·zr, 2zr·zi) and 4 adds (zr² + zi², + ci, zr² − zi², + cr),
    /// unfused on purpose: 8 flops against the f32 mul+add ceiling (the escape compare is not a
    /// flop and not counted). The counter and the limit test: 2 integer adds on the GPU (1 on
    /// the CPU, where one vector add counts every lane); the GPU's `rounded` ORs 3 products'
    /// bits with a uniform: 3 logic operations. The image is written once: 4 bytes per pixel,
    /// at most 4 / max_iter per pixel-iteration.
    fn work_counts(&self, size: &str, device: Device) -> Option<WorkCounts> {
        let job = Mandelbrot::parse(size, Region::FULL).ok()?;
        let pixels = job.width as f64 * job.height as f64;
        let ops: &[(Measure, f64)] = match device {
            Device::Cpu => &[(Measure::F32MulAdd, 8.0), (Measure::IntAdd, 1.0)],
            Device::Gpu => &[
                (Measure::F32MulAdd, 8.0),
                (Measure::IntAdd, 2.0),
                (Measure::IntLogic, 3.0),
            ],
        };
        Some(
            WorkCounts::compute(ops, "escape compare not counted").with_traffic(
                "image out",
                4.0 / job.max_iter as f64,
                4.0 * pixels,
            ),
        )
    }

    fn verify(&self, backend: &Backend) -> Result<Check> {
        // The unfused kernel is bit-identical on the CPU. The fused one is held to its
        // tolerance on every backend: fused results depend on which products the code fuses
        // (the vector kernel fuses |z|² too) and the scalar and SSE2 levels have no FMA at all
        // (two roundings), so no two fused implementations need agree bit for bit.
        let exact = !self.fused && !matches!(backend, Backend::Gpu(_));
        let (mut pixels, mut differing) = (0u64, 0u64);
        let cases: Vec<Mandelbrot> = verify_cases()
            .into_iter()
            .map(|j| j.with_fused(self.fused))
            .collect();
        for job in &cases {
            let expected = reference(job);
            let got = render(backend, *job)?;
            let diff = match compare(job, &got, &expected) {
                Ok(d) => d,
                Err(e) => {
                    return Ok(Check {
                        passed: false,
                        detail: e.to_string(),
                    })
                }
            };
            if exact && diff > 0 {
                return Ok(Check {
                    passed: false,
                    detail: format!(
                        "{}x{} max_iter {} region {}: {diff} pixels differ from the reference (must be bit-identical)",
                        job.width, job.height, job.max_iter, job.region
                    ),
                });
            }
            pixels += job.pixels();
            differing += diff;
        }
        let fraction = differing as f64 / pixels as f64;
        Ok(if exact {
            Check {
                passed: true,
                detail: format!(
                    "{} images ({pixels} pixels) bit-identical to the reference",
                    cases.len()
                ),
            }
        } else {
            let bound = if self.fused {
                MAX_FMA_DIFF_FRACTION
            } else {
                MAX_GPU_DIFF_FRACTION
            };
            Check {
                passed: fraction <= bound,
                detail: format!(
                    "{differing} of {pixels} pixels differ from the reference ({:.4}%, bound {}%)",
                    fraction * 100.0,
                    bound * 100.0
                ),
            }
        })
    }
}

/// The options of `speedup run mandelbrot` besides the size.
const RUN_OPTIONS: &[RunOption] = &[
    RunOption::new("output", OptionKind::Path, "write the image here as a PNG").short('o'),
    RunOption::new(
        "max-iter",
        OptionKind::U32,
        "iteration limit (default 1000)",
    ),
    RunOption::new(
        "region",
        OptionKind::Numbers,
        "the rectangle re_min,im_min,re_max,im_max (default -2,-1.25,0.5,1.25)",
    ),
];

/// `speedup run mandelbrot`: one image at `size` (`WxH[:MAX_ITER]`), with `--max-iter` over the
/// size's limit, over `--region`, written as a PNG to `--output`.
fn run_once(size: &str, options: &RunOptions, backend: &Backend) -> Result<RunReport> {
    run_with(false, size, options, backend)
}

/// `speedup run mandelbrot-fma`: as [`run_once`], fused.
fn run_once_fused(size: &str, options: &RunOptions, backend: &Backend) -> Result<RunReport> {
    run_with(true, size, options, backend)
}

fn run_with(fused: bool, size: &str, options: &RunOptions, backend: &Backend) -> Result<RunReport> {
    let region = match options.text("region") {
        Some(r) => Region::parse(r).map_err(about("--region"))?,
        None => Region::FULL,
    };
    let mut job = Mandelbrot::parse(size, region).map_err(about("--size"))?;
    if let Some(m) = options.value("max-iter")? {
        job = Mandelbrot::new(job.width, job.height, m, region)
            .and_then(|j| j.every_nth_row(job.row_stride))
            .map_err(about("--max-iter"))?;
    }
    let job = job.with_fused(fused);
    let mut run = MandelbrotRun::new(backend, job)?;
    let start = Instant::now();
    let (image, timing) = run.render()?;
    let elapsed = start.elapsed().as_secs_f64();
    let mut report = RunReport::default();
    report.line("size", format!("{}x{}", job.width, job.height));
    report.line("max_iter", job.max_iter);
    report.line("region", job.region);
    report.line(
        "inside",
        format!("{} of {} pixels", image.inside(), image.counts.len()),
    );
    let iterations = image.total_iterations();
    report.line("iterations", iterations);
    report.timing(elapsed, &timing, iterations as f64, "pixel-iterations");
    if let Some(path) = options.text("output") {
        image.write_png(Path::new(path))?;
        report.line("written", path);
    }
    Ok(report)
}
