// STREAM triad: a[i] = b[i] + s·c[i] over f32 arrays, one element per invocation. Memory-bound:
// 12 bytes move per element (two loads, one store) for one multiply-add, so its speed is the
// device's memory bandwidth.
//
// Bindings (group 0):
//   0: uniform StreamParams, kept in sync with src/workloads/stream/gpu.rs `StreamParams`
//   1: storage read_write array<f32> a (written)
//   2: storage read       array<f32> b
//   3: storage read       array<f32> c
//
// Dispatch: 256 invocations per workgroup in x; more than 65535 workgroups are folded into y and
// the flat index rebuilt from num_workgroups (src/gpu/mod.rs `dispatch_size`).
//
// Runtime checks (wgpu's, off unless --checked-shaders) are not needed: no loops; a[i], b[i] and
// c[i] only for i < n, the arrays' length; no integer division.

struct StreamParams {
    n: u32,
    scalar: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: StreamParams;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> c: array<f32>;

const WORKGROUP_SIZE: u32 = 256u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
    if i < params.n {
        a[i] = b[i] + params.scalar * c[i];
    }
}
