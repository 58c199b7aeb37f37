//! The serial and Rayon kernels of Mandelbrot: what both CPU backends run.

use super::{escape_count, escape_count_fused, Mandelbrot};
use rayon::prelude::*;

/// Fills row `y` of the image.
pub(super) fn fill_row(job: &Mandelbrot, (dx, dy): (f32, f32), y: usize, row: &mut [u32]) {
    let ci = job.region.im_max - (y as f32 + 0.5) * dy;
    // The seam for `mandelbrot-fma`: the scalar fused path until a vector kernel with a fused
    // switch takes both arms.
    let count = if job.fused {
        escape_count_fused
    } else {
        escape_count
    };
    for (x, out) in row.iter_mut().enumerate() {
        let cr = job.region.re_min + (x as f32 + 0.5) * dx;
        *out = count(cr, ci, job.max_iter);
    }
}

/// Computes the image on one thread, into `counts`.
pub(super) fn serial_into(job: &Mandelbrot, counts: &mut [u32]) {
    let step = job.pixel_size();
    for (k, row) in counts.chunks_mut(job.width as usize).enumerate() {
        fill_row(job, step, job.row_y(k as u32) as usize, row);
    }
}

/// Computes the image on the current Rayon pool, one row per task: rows cost very different
/// amounts (the set's interior is max_iter per pixel), and work stealing evens that out.
pub(super) fn rayon_into(job: &Mandelbrot, counts: &mut [u32]) {
    let step = job.pixel_size();
    counts
        .par_chunks_mut(job.width as usize)
        .enumerate()
        .for_each(|(k, row)| fill_row(job, step, job.row_y(k as u32) as usize, row));
}
