// Compute ceilings (src/peak/gpu.rs): each invocation keeps 8 independent vec4 chains (32 lanes of
// independent work, so latency never binds) and applies one operation to each chain per turn,
// params.iterations times, as clpeak does. The entry points:
//   f32_fma     a = fma(a, m, n)                       2 flops per lane
//   f32_mul_add a = rounded(a * m) + n                 2 flops per lane, never fused (below)
//   int_add   a_k = a_k + a_(k+1)  (a ring of 8)     4 ops per lane (the ring written out 4 times)
//   int_mul   a_k = a_k * a_(k+1)                    4 ops per lane
//   int_logic a_k = a_k ^ a_(k+1)                    4 ops per lane
// The integer rings are written out four times per turn because a software adapter's loop costs
// several vector instructions per turn (its lanes' masks), as much as a one-cycle ring: lavapipe
// measured 31 G int32 op/s with one ring per turn, 83 G with four, where its sha256 kernel itself
// does at least 65 G. On a GPU the loop is one or two scalar instructions either way.
//   empty       nothing: the empty-dispatch round trip
// Every state a chain passes through is a value the loop carries, so no compiler can do a turn
// in fewer operations (a ring of adds has no closed form; a chain of FMAs cannot be reassociated).
// The integer rings start odd, so products never collapse to zero. f32_mul_add keeps the multiply and
// the add apart as Mandelbrot's kernel does: the product's bits are ORed with a uniform that is
// always 0 (params.no_fuse), which the compiler cannot know, so no FMA can be formed across it;
// that OR is one integer operation per two flops, as in shaders/mandelbrot.wgsl.
//
// Bindings (group 0; `empty` has none):
//   0: uniform PeakParams, kept in sync with src/peak/gpu.rs `PeakParams`
//   1: storage read_write array<vec4<u32>> sink: one fold of the chains per invocation, so that
//      nothing is dead code
//
// Dispatch: WORKGROUP_SIZE invocations per workgroup, at most 65535 workgroups in x, one row; the
// sink holds one vec4 per invocation launched.
//
// Runtime checks (wgpu's, off unless --checked-shaders) are not needed: the loops end after the
// uniform params.iterations turns; sink[i] only for i below the invocations launched, which the
// sink is sized for; no integer division.

struct PeakParams {
    iterations: u32,
    no_fuse: u32,
    seed: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: PeakParams;
@group(0) @binding(1) var<storage, read_write> sink: array<vec4<u32>>;

const WORKGROUP_SIZE: u32 = 256u;

// The starting values of chain k of invocation i: distinct, odd, and near 1.0 as f32 bits.
fn start(i: u32, k: u32) -> vec4<u32> {
    return vec4<u32>(0x3f800001u + 2u * (i * 8u + k)) ^ vec4<u32>(params.seed, 0u, 2u, 4u);
}

fn f(i: u32, k: u32) -> vec4<f32> {
    return bitcast<vec4<f32>>(start(i, k) & vec4<u32>(0x3f87ffffu));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn f32_fma(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    // 1 − 2⁻²⁴ and 2⁻²⁰ from the uniform: a chain near 1 stays a normal number.
    let m = vec4<f32>(bitcast<f32>(0x3f7fffffu ^ params.no_fuse));
    let n = vec4<f32>(bitcast<f32>(0x35800000u ^ params.no_fuse));
    var a0 = f(i, 0u); var a1 = f(i, 1u); var a2 = f(i, 2u); var a3 = f(i, 3u);
    var a4 = f(i, 4u); var a5 = f(i, 5u); var a6 = f(i, 6u); var a7 = f(i, 7u);
    for (var t = 0u; t < params.iterations; t += 1u) {
        a0 = fma(a0, m, n); a1 = fma(a1, m, n); a2 = fma(a2, m, n); a3 = fma(a3, m, n);
        a4 = fma(a4, m, n); a5 = fma(a5, m, n); a6 = fma(a6, m, n); a7 = fma(a7, m, n);
    }
    sink[i] = bitcast<vec4<u32>>(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
}

// x rounded to f32 on its own: see the header.
fn rounded(x: vec4<f32>) -> vec4<f32> {
    return bitcast<vec4<f32>>(bitcast<vec4<u32>>(x) | vec4<u32>(params.no_fuse));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn f32_mul_add(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    let m = vec4<f32>(bitcast<f32>(0x3f7fffffu ^ params.no_fuse));
    let n = vec4<f32>(bitcast<f32>(0x35800000u ^ params.no_fuse));
    var a0 = f(i, 0u); var a1 = f(i, 1u); var a2 = f(i, 2u); var a3 = f(i, 3u);
    var a4 = f(i, 4u); var a5 = f(i, 5u); var a6 = f(i, 6u); var a7 = f(i, 7u);
    for (var t = 0u; t < params.iterations; t += 1u) {
        a0 = rounded(a0 * m) + n; a1 = rounded(a1 * m) + n;
        a2 = rounded(a2 * m) + n; a3 = rounded(a3 * m) + n;
        a4 = rounded(a4 * m) + n; a5 = rounded(a5 * m) + n;
        a6 = rounded(a6 * m) + n; a7 = rounded(a7 * m) + n;
    }
    sink[i] = bitcast<vec4<u32>>(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn int_add(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    var a0 = start(i, 0u); var a1 = start(i, 1u); var a2 = start(i, 2u); var a3 = start(i, 3u);
    var a4 = start(i, 4u); var a5 = start(i, 5u); var a6 = start(i, 6u); var a7 = start(i, 7u);
    for (var t = 0u; t < params.iterations; t += 1u) {
        a0 = a0 + a1; a1 = a1 + a2; a2 = a2 + a3; a3 = a3 + a4;
        a4 = a4 + a5; a5 = a5 + a6; a6 = a6 + a7; a7 = a7 + a0;
        a0 = a0 + a1; a1 = a1 + a2; a2 = a2 + a3; a3 = a3 + a4;
        a4 = a4 + a5; a5 = a5 + a6; a6 = a6 + a7; a7 = a7 + a0;
        a0 = a0 + a1; a1 = a1 + a2; a2 = a2 + a3; a3 = a3 + a4;
        a4 = a4 + a5; a5 = a5 + a6; a6 = a6 + a7; a7 = a7 + a0;
        a0 = a0 + a1; a1 = a1 + a2; a2 = a2 + a3; a3 = a3 + a4;
        a4 = a4 + a5; a5 = a5 + a6; a6 = a6 + a7; a7 = a7 + a0;
    }
    sink[i] = a0 ^ a1 ^ a2 ^ a3 ^ a4 ^ a5 ^ a6 ^ a7;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn int_mul(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    var a0 = start(i, 0u); var a1 = start(i, 1u); var a2 = start(i, 2u); var a3 = start(i, 3u);
    var a4 = start(i, 4u); var a5 = start(i, 5u); var a6 = start(i, 6u); var a7 = start(i, 7u);
    for (var t = 0u; t < params.iterations; t += 1u) {
        a0 = a0 * a1; a1 = a1 * a2; a2 = a2 * a3; a3 = a3 * a4;
        a4 = a4 * a5; a5 = a5 * a6; a6 = a6 * a7; a7 = a7 * a0;
        a0 = a0 * a1; a1 = a1 * a2; a2 = a2 * a3; a3 = a3 * a4;
        a4 = a4 * a5; a5 = a5 * a6; a6 = a6 * a7; a7 = a7 * a0;
        a0 = a0 * a1; a1 = a1 * a2; a2 = a2 * a3; a3 = a3 * a4;
        a4 = a4 * a5; a5 = a5 * a6; a6 = a6 * a7; a7 = a7 * a0;
        a0 = a0 * a1; a1 = a1 * a2; a2 = a2 * a3; a3 = a3 * a4;
        a4 = a4 * a5; a5 = a5 * a6; a6 = a6 * a7; a7 = a7 * a0;
    }
    sink[i] = a0 ^ a1 ^ a2 ^ a3 ^ a4 ^ a5 ^ a6 ^ a7;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn int_logic(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    var a0 = start(i, 0u); var a1 = start(i, 1u); var a2 = start(i, 2u); var a3 = start(i, 3u);
    var a4 = start(i, 4u); var a5 = start(i, 5u); var a6 = start(i, 6u); var a7 = start(i, 7u);
    for (var t = 0u; t < params.iterations; t += 1u) {
        a0 = a0 ^ a1; a1 = a1 ^ a2; a2 = a2 ^ a3; a3 = a3 ^ a4;
        a4 = a4 ^ a5; a5 = a5 ^ a6; a6 = a6 ^ a7; a7 = a7 ^ a0;
        a0 = a0 ^ a1; a1 = a1 ^ a2; a2 = a2 ^ a3; a3 = a3 ^ a4;
        a4 = a4 ^ a5; a5 = a5 ^ a6; a6 = a6 ^ a7; a7 = a7 ^ a0;
        a0 = a0 ^ a1; a1 = a1 ^ a2; a2 = a2 ^ a3; a3 = a3 ^ a4;
        a4 = a4 ^ a5; a5 = a5 ^ a6; a6 = a6 ^ a7; a7 = a7 ^ a0;
        a0 = a0 ^ a1; a1 = a1 ^ a2; a2 = a2 ^ a3; a3 = a3 ^ a4;
        a4 = a4 ^ a5; a5 = a5 ^ a6; a6 = a6 ^ a7; a7 = a7 ^ a0;
    }
    sink[i] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

// Does nothing, but names both bindings (a pipeline's layout comes from what its entry point
// uses, and every kernel here binds the same two buffers): the host never sets iterations to
// 2^32 − 1.
@compute @workgroup_size(1)
fn empty(@builtin(global_invocation_id) id: vec3<u32>) {
    if params.iterations == 0xffffffffu {
        sink[id.x] = vec4<u32>(0u);
    }
}
