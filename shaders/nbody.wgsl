// N-body: one all-pairs gravitational step (G = 1) with Plummer softening. Invocation i sums
//   a_i = Σ_j m_j (r_j − r_i) / (|r_j − r_i|² + ε²)^(3/2)
// over every body j (itself included: its term is 0 because ε > 0), then moves body i by one
// symplectic Euler step: v ← v + a·dt, r ← r + v·dt.
//
// Bindings (group 0):
//   0: uniform NBodyParams, kept in sync with src/workloads/nbody/gpu.rs `NBodyParams`
//   1: storage read       array<vec4<f32>> positions in  (xyz, mass in w)
//   2: storage read_write array<vec4<f32>> positions out (xyz, mass in w)
//   3: storage read_write array<vec4<f32>> velocities, updated in place (w unused)
//   4: storage read_write array<vec4<f32>> accelerations of this step (w = 0), for checking
//
// Data reuse: each workgroup copies a tile of 256 positions into workgroup memory once, and
// every one of its 256 invocations reads all of them from there, so global memory is read
// n²/256 times instead of n² times. Bodies past n load as mass 0 and add nothing. Every
// invocation, in range or not, takes part in every tile so the barriers stay uniform.
//
// Positions are double-buffered (in → out) because all invocations read every position while
// others would be writing theirs; the host swaps the two buffers every step.
//
// Runtime checks (wgpu's, off unless --checked-shaders) are not needed: the tile loop runs
// params.tiles times, the inner loop TILE times; pos_in, vel, pos_out and acc are read and written
// only at i < n or j < n, their length; tile[] only at local and k < TILE, its length; there is no
// integer division.

struct NBodyParams {
    n: u32,
    // ceil(n / TILE)
    tiles: u32,
    dt: f32,
    // ε²
    softening2: f32,
}

@group(0) @binding(0) var<uniform> params: NBodyParams;
@group(0) @binding(1) var<storage, read> pos_in: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> pos_out: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> vel: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> acc: array<vec4<f32>>;

const TILE: u32 = 256u;

var<workgroup> tile: array<vec4<f32>, TILE>;

@compute @workgroup_size(TILE)
fn main(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let i = id.x;
    let inside = i < params.n;
    var me = vec4<f32>(0.0);
    if inside {
        me = pos_in[i];
    }
    var a = vec3<f32>(0.0);
    for (var t = 0u; t < params.tiles; t += 1u) {
        let j = t * TILE + local;
        var p = vec4<f32>(0.0);
        if j < params.n {
            p = pos_in[j];
        }
        tile[local] = p;
        workgroupBarrier();
        for (var k = 0u; k < TILE; k += 1u) {
            let q = tile[k];
            let d = q.xyz - me.xyz;
            let inv = inverseSqrt(dot(d, d) + params.softening2);
            a += d * (q.w * inv * inv * inv);
        }
        workgroupBarrier();
    }
    if inside {
        let v = vel[i].xyz + a * params.dt;
        vel[i] = vec4<f32>(v, 0.0);
        pos_out[i] = vec4<f32>(me.xyz + v * params.dt, me.w);
        acc[i] = vec4<f32>(a, 0.0);
    }
}
