//! Pictures of a grid: PNG (one pixel per cell, or K×K with a scale) and animated GIF.
//!
//! Live cells are black on white. A grid too large for a sensible image is downscaled: each pixel
//! then stands for a block of cells and is shaded by the fraction of them alive, and the
//! [`Plan`] says so in a note that the command prints.

use super::grid::Grid;
use crate::error::{Error, Result};
use std::borrow::Cow;
use std::path::Path;

/// Largest PNG side in pixels (8192 × 8192 is 64 Mpx, 64 MiB of grey pixels before
/// compression): beyond it the grid is downscaled.
pub const MAX_PNG_SIDE: u32 = 8192;

/// Largest GIF side in pixels: an animation holds many frames, so it is kept smaller.
pub const MAX_GIF_SIDE: u32 = 1024;

/// How a `width` × `height` grid maps to pixels: each cell as `scale` × `scale` pixels, or, for a
/// grid too large, each pixel as a `cells_per_pixel` × `cells_per_pixel` block of cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Grid width in cells.
    pub grid_width: u32,
    /// Grid height in cells.
    pub grid_height: u32,
    /// Pixels per cell along each side (1 when downscaled).
    pub scale: u32,
    /// Cells per pixel along each side (1 unless downscaled).
    pub cells_per_pixel: u32,
    /// The scale that was asked for.
    pub requested_scale: u32,
}

impl Plan {
    /// The largest scale up to `scale` that keeps both sides within `max_side` pixels; failing
    /// that, the smallest downscaling that does.
    pub fn new(grid_width: u32, grid_height: u32, scale: u32, max_side: u32) -> Plan {
        let requested_scale = scale.max(1);
        let longest = grid_width.max(grid_height).max(1) as u64;
        let max_side = max_side.max(1) as u64;
        let fit = (max_side / longest).min(requested_scale as u64);
        let (scale, cells_per_pixel) = if fit >= 1 {
            (fit as u32, 1)
        } else {
            let mut f = longest.div_ceil(max_side);
            // Whole words per pixel let the downscaler count cells with one popcount per word.
            if f > 32 {
                f = f.div_ceil(32) * 32;
            }
            (1, f.min(u32::MAX as u64) as u32)
        };
        Plan {
            grid_width,
            grid_height,
            scale,
            cells_per_pixel,
            requested_scale,
        }
    }

    /// Image width in pixels.
    pub fn width(&self) -> u32 {
        self.grid_width.div_ceil(self.cells_per_pixel) * self.scale
    }

    /// Image height in pixels.
    pub fn height(&self) -> u32 {
        self.grid_height.div_ceil(self.cells_per_pixel) * self.scale
    }

    /// What the user should be told when the image is not what was asked for.
    pub fn note(&self) -> Option<String> {
        if self.cells_per_pixel > 1 {
            Some(format!(
                "the {}x{} grid is too large for a {}x{} image: downscaled to {}x{} pixels, \
                 one pixel per {c}x{c} cells, shaded by the fraction alive",
                self.grid_width,
                self.grid_height,
                self.grid_width as u64 * self.requested_scale as u64,
                self.grid_height as u64 * self.requested_scale as u64,
                self.width(),
                self.height(),
                c = self.cells_per_pixel
            ))
        } else if self.scale < self.requested_scale {
            Some(format!(
                "--scale {} would make the image too large; used --scale {}",
                self.requested_scale, self.scale
            ))
        } else {
            None
        }
    }

    /// The grey pixels of `grid` (0 black = alive, 255 white = dead), row-major.
    pub fn render(&self, grid: &Grid) -> Vec<u8> {
        let f = self.cells_per_pixel as u64;
        let (bw, bh) = (
            self.grid_width.div_ceil(self.cells_per_pixel) as usize,
            self.grid_height.div_ceil(self.cells_per_pixel) as usize,
        );
        let mut counts = vec![0u32; bw * bh];
        for y in 0..grid.height().min(self.grid_height) {
            let out = &mut counts[(y as u64 / f) as usize * bw..][..bw];
            for (i, &word) in grid.row(y).iter().enumerate() {
                if word == 0 {
                    continue;
                }
                let x0 = i as u64 * 32;
                if f.is_multiple_of(32) {
                    out[(x0 / f) as usize] += word.count_ones();
                } else {
                    let mut w = word;
                    while w != 0 {
                        let b = w.trailing_zeros() as u64;
                        w &= w - 1;
                        out[((x0 + b) / f) as usize] += 1;
                    }
                }
            }
        }
        let shade = |bx: usize, by: usize, count: u32| -> u8 {
            let cells_x = (self.grid_width as u64 - bx as u64 * f).min(f);
            let cells_y = (self.grid_height as u64 - by as u64 * f).min(f);
            let alive = count as u64 * 255 / (cells_x * cells_y).max(1);
            255 - alive.min(255) as u8
        };
        let s = self.scale as usize;
        let mut pixels = Vec::with_capacity(bw * s * bh * s);
        for by in 0..bh {
            let row: Vec<u8> = (0..bw)
                .flat_map(|bx| std::iter::repeat_n(shade(bx, by, counts[by * bw + bx]), s))
                .collect();
            for _ in 0..s {
                pixels.extend_from_slice(&row);
            }
        }
        pixels
    }
}

/// Encodes `grid` as a greyscale PNG under `plan`.
pub fn png_bytes(grid: &Grid, plan: &Plan) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, plan.width(), plan.height());
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let fail = |e: png::EncodingError| Error::InvalidArgument(format!("PNG encoding: {e}"));
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(&plan.render(grid)).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}

/// Writes `grid` to `path` as a PNG, `scale` × `scale` pixels per cell, atomically. Returns a
/// note to show the user when the grid had to be downscaled.
pub fn write_png(path: &Path, grid: &Grid, scale: u32) -> Result<Option<String>> {
    let plan = Plan::new(grid.width(), grid.height(), scale, MAX_PNG_SIDE);
    crate::output::write_atomic(path, &png_bytes(grid, &plan)?)?;
    Ok(plan.note())
}

/// An animated GIF built one frame at a time, in memory (the frames of a two-colour animation
/// compress well), then written atomically by [`GifRecorder::write`].
pub struct GifRecorder {
    encoder: gif::Encoder<Vec<u8>>,
    plan: Plan,
    delay_centiseconds: u16,
    frames: u64,
}

impl GifRecorder {
    /// A recorder for grids of `width` × `height` cells at `scale`, showing each frame for
    /// `delay_centiseconds`, looping forever.
    pub fn new(width: u32, height: u32, scale: u32, delay_centiseconds: u16) -> Result<Self> {
        let plan = Plan::new(width, height, scale, MAX_GIF_SIDE);
        let fail = |e: gif::EncodingError| Error::InvalidArgument(format!("GIF encoding: {e}"));
        // A grey ramp as the global palette: a pixel's grey level is its palette index.
        let palette: Vec<u8> = (0..=255u8).flat_map(|g| [g, g, g]).collect();
        let mut encoder = gif::Encoder::new(
            Vec::new(),
            plan.width() as u16,
            plan.height() as u16,
            &palette,
        )
        .map_err(fail)?;
        encoder.set_repeat(gif::Repeat::Infinite).map_err(fail)?;
        Ok(GifRecorder {
            encoder,
            plan,
            delay_centiseconds,
            frames: 0,
        })
    }

    /// The pixel plan (and its note, if the grid is downscaled).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Frames added so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Adds `grid` as the next frame.
    pub fn frame(&mut self, grid: &Grid) -> Result<()> {
        let pixels = self.plan.render(grid);
        let frame = gif::Frame {
            width: self.plan.width() as u16,
            height: self.plan.height() as u16,
            delay: self.delay_centiseconds,
            buffer: Cow::Owned(pixels),
            ..Default::default()
        };
        self.encoder
            .write_frame(&frame)
            .map_err(|e| Error::InvalidArgument(format!("GIF encoding: {e}")))?;
        self.frames += 1;
        Ok(())
    }

    /// Finishes the animation and writes it to `path` atomically.
    pub fn write(self, path: &Path) -> Result<()> {
        let bytes = self.encoder.into_inner().map_err(|e| Error::io(path, e))?;
        crate::output::write_atomic(path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        let p = Plan::new(100, 50, 4, MAX_PNG_SIDE);
        assert_eq!((p.width(), p.height(), p.note()), (400, 200, None));
        let p = Plan::new(5000, 10, 4, MAX_PNG_SIDE);
        assert_eq!(p.scale, 1);
        assert!(p.note().unwrap().contains("--scale 1"));
        let p = Plan::new(100_000, 3, 1, MAX_PNG_SIDE);
        assert_eq!((p.cells_per_pixel, p.width()), (13, 7693));
        // Past 32 cells per pixel, whole words: 1e6 / 8192 = 122.07 rounds up to 128.
        let p = Plan::new(1_000_000, 3, 1, MAX_PNG_SIDE);
        assert_eq!((p.cells_per_pixel, p.width()), (128, 7813));
        assert!(p.note().unwrap().contains("downscaled"));
    }

    #[test]
    fn pixels_follow_cells() {
        let g = Grid::from_text("*-/-*/--").unwrap();
        let p = Plan::new(2, 3, 2, MAX_PNG_SIDE);
        let px = p.render(&g);
        assert_eq!(px.len(), 4 * 6);
        assert_eq!(&px[..8], &[0, 0, 255, 255, 0, 0, 255, 255]);
        // Downscaled: one pixel for the whole 2x3 grid, two of its six cells alive.
        let p = Plan::new(2, 3, 1, 1);
        assert_eq!(p.cells_per_pixel, 3);
        assert_eq!(p.render(&g), vec![255 - (2 * 255 / 6) as u8]);
    }
}
