// Bandwidth ceilings (src/peak/gpu.rs): reading and the STREAM triad over working sets sized for
// the GPU's L2 or far beyond it (VRAM), and reading workgroup memory. The entry points:
//   read_all   acc += b[k] over the whole array, params.passes times          16 bytes per vec4
//   triad      a[k] = b[k] + s·c[k] over the whole arrays, params.passes times 48 bytes per vec4
//   workgroup_read a 16 KiB tile loaded once into workgroup memory, then read 4 vec4 per turn,
//              params.passes turns                                            64 bytes per turn
// Each invocation walks the array with a grid stride (consecutive invocations, consecutive
// vec4: coalesced). On hardware GPUs (params.rotate) pass p reads element (j + p·4096) mod n,
// so no pass reads what the pass
// before read at the same point and a compiler cannot hoist a load out of the pass loop. read
// and workgroup store their sum only when it equals params.seed's NaN, which it
// never does (the compiler cannot know), so their only traffic is the reads.
//
// Bindings (group 0):
//   0: uniform MemoryParams, kept in sync with src/peak/gpu.rs `MemoryParams`
//   1: storage read_write array<vec4<f32>> a (triad's output; read's and workgroup's sink)
//   2: storage read       array<vec4<f32>> b
//   3: storage read       array<vec4<f32>> c (triad only)
//
// Dispatch: WORKGROUP_SIZE invocations per workgroup, at most 65535 workgroups in x, one row,
// at most n invocations in all; n is a power of two, at least 1024 (the host checks).
//
// Runtime checks (wgpu's, off unless --checked-shaders) are not needed: the loops end (passes is
// a uniform; j grows by the invocation count, at least 1, up to n); every index is masked with
// n − 1 < the arrays' length (a has one element per invocation at least: the host sizes it);
// tile indices are masked with 1023; no integer division.

struct MemoryParams {
    n: u32,
    passes: u32,
    seed: u32,
    scalar: f32,
    // 1: pass p starts 4096·p elements further on (hardware GPUs); 0: every pass reads the same
    // way (software adapters, whose compilers turn a wrapped index into per-lane gathers but
    // a plain one into vector loads).
    rotate: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: MemoryParams;
@group(0) @binding(1) var<storage, read_write> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> c: array<vec4<f32>>;

const WORKGROUP_SIZE: u32 = 256u;
const TILE: u32 = 1024u;

var<workgroup> tile: array<vec4<f32>, TILE>;

// A value no sum equals: the host sets params.seed to the bits of a NaN (never equal to
// anything), which the compiler cannot know.
fn never() -> vec4<f32> {
    return vec4<f32>(bitcast<f32>(params.seed));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn read_all(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let total = groups.x * WORKGROUP_SIZE;
    let mask = params.n - 1u;
    var acc = vec4<f32>(0.0);
    for (var p = 0u; p < params.passes; p += 1u) {
        if params.rotate == 0u {
            for (var j = id.x; j < params.n; j += total) {
                acc += b[j];
            }
        } else {
            for (var j = id.x; j < params.n; j += total) {
                acc += b[(j + p * 4096u) & mask];
            }
        }
    }
    if all(acc == never()) {
        a[id.x & mask] = acc;
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn triad(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let total = groups.x * WORKGROUP_SIZE;
    let mask = params.n - 1u;
    for (var p = 0u; p < params.passes; p += 1u) {
        if params.rotate == 0u {
            for (var j = id.x; j < params.n; j += total) {
                a[j] = b[j] + params.scalar * c[j];
            }
        } else {
            for (var j = id.x; j < params.n; j += total) {
                let k = (j + p * 4096u) & mask;
                a[k] = b[k] + params.scalar * c[k];
            }
        }
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn workgroup_read(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let mask = params.n - 1u;
    for (var q = 0u; q < TILE; q += WORKGROUP_SIZE) {
        tile[local + q] = b[(id.x + q) & mask];
    }
    workgroupBarrier();
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var t = 0u; t < params.passes; t += 1u) {
        acc0 += tile[(local + t) & (TILE - 1u)];
        acc1 += tile[(local + 256u + t) & (TILE - 1u)];
        acc2 += tile[(local + 512u + t) & (TILE - 1u)];
        acc3 += tile[(local + 768u + t) & (TILE - 1u)];
    }
    let acc = (acc0 + acc1) + (acc2 + acc3);
    if all(acc == never()) {
        a[id.x & mask] = acc;
    }
}
