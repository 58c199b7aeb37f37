// Mandelbrot escape counts: one invocation per pixel of a W×H image of a rectangle of the complex
// plane. Each writes how many iterations of z ← z² + c ran before |z|² > 4, or max_iter when the
// orbit never escaped (the pixel is taken to be in the set).
//
// Bindings (group 0):
//   0: uniform MandelbrotParams, kept in sync with src/workloads/mandelbrot/gpu.rs `MandelbrotParams`
//   1: storage read_write array<u32>: the counts, row-major, row 0 at the top (im_max)
//
// f32 throughout, in the same operation order as the CPU's `escape_count`. WGSL lets the compiler
// contract a*b+c into one fused multiply-add (one rounding instead of two), which Rust never does;
// on the set's boundary, where orbits are chaotic, that changes the counts of a few pixels (0.44%
// of the verify cases on lavapipe). Every product therefore goes through `rounded`, an integer OR
// of the product's bits with a uniform that is always 0: a compiler must materialise the rounded
// f32 to take its bits, and cannot know the OR is a no-op, so no multiply-add can be formed
// across it. (A `select` on the same uniform, used before, can be hoisted out of the loop as
// loop-invariant and then folded, after which the driver is free to fuse again.) Subnormals may
// still be flushed by some drivers, so the CPU comparison keeps a 0.1% tolerance.
//
// With the FUSED override set (`mandelbrot-fma`) the iteration fuses on purpose instead, with
// `fma` where the CPU's `escape_count_fused` calls `mul_add`: zi <- fma(2 zr, zi, ci),
// zr <- fma(zr, zr, -zi^2) + cr; no `rounded` guard. The two variants side by side show what the
// guard costs. Driver and CPU agree within the same 0.1% there.
//
// Rows: computed row k is image row k * row_stride + row_offset (row_stride 1, offset 0: the
// whole image; the CPU rows of the device-filling plan compute every 128th row of the GPU's
// image, and the GPU can run the same part).
//
// Runtime checks (wgpu's, off unless --checked-shaders): the loop ends, since i grows by one per
// turn up to the uniform max_iter; the only division and remainder are by params.width, at least 1
// (src/workloads/mandelbrot/mod.rs validates sizes); the one store is at index < params.pixels, the
// length of the count buffer.
//
// Dispatch: one band of pixels from `first` at a time, 256 invocations per workgroup in x; more
// than 65535 workgroups are folded into y and the flat pixel index rebuilt from num_workgroups
// (src/gpu/mod.rs `dispatch_size`).

struct MandelbrotParams {
    width: u32,
    height: u32,
    max_iter: u32,
    // width * height
    pixels: u32,
    re_min: f32,
    im_max: f32,
    // pixel width and height in the complex plane
    dx: f32,
    dy: f32,
    // Always 0: OR-ed into each product's bits; see `rounded`.
    no_fuse: u32,
    // First pixel of this band: large images go in several dispatches (see the Rust side).
    first: u32,
    // Computed row k is image row k * row_stride + row_offset.
    row_stride: u32,
    row_offset: u32,
}

// 1 for mandelbrot-fma: fuse the iteration's multiply-adds (see above).
override FUSED: bool = false;

@group(0) @binding(0) var<uniform> params: MandelbrotParams;
@group(0) @binding(1) var<storage, read_write> counts: array<u32>;

const WORKGROUP_SIZE: u32 = 256u;

// Returns x, rounded to f32 on its own: an integer operation on its bits, with a uniform the
// compiler cannot know is 0, stands between the product and the add that follows.
fn rounded(x: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(x) | params.no_fuse);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let index = params.first + id.x + id.y * groups.x * WORKGROUP_SIZE;
    if index >= params.pixels {
        return;
    }
    let x = index % params.width;
    let y = (index / params.width) * params.row_stride + params.row_offset;
    // The pixel's centre.
    let cr = params.re_min + rounded((f32(x) + 0.5) * params.dx);
    let ci = params.im_max - rounded((f32(y) + 0.5) * params.dy);
    var zr: f32 = 0.0;
    var zi: f32 = 0.0;
    var i: u32 = 0u;
    loop {
        if i >= params.max_iter {
            break;
        }
        if FUSED {
            let zr2 = zr * zr;
            let zi2 = zi * zi;
            if zr2 + zi2 > 4.0 {
                break;
            }
            zi = fma(2.0 * zr, zi, ci);
            zr = fma(zr, zr, -zi2) + cr;
        } else {
            let zr2 = rounded(zr * zr);
            let zi2 = rounded(zi * zi);
            if zr2 + zi2 > 4.0 {
                break;
            }
            zi = rounded(2.0 * zr * zi) + ci;
            zr = zr2 - zi2 + cr;
        }
        i += 1u;
    }
    counts[index] = i;
}
