// life_naive.wgsl: the baseline kernel, one cell per invocation on an unpacked grid.
//
// This is the kernel most people write first: every cell is a whole u32 (0 or 1), and each
// invocation loads its eight neighbours and applies the rule. It moves 32x more memory than the
// bit-packed kernel in life.wgsl and does per-cell work; `--kernel naive` keeps it selectable so
// the benchmark shows what bit-packing and bit-slicing buy.
//
// Bindings:
//   0: uniform Params   (kept in sync with src/life/gpu.rs `NaiveParams`)
//   1: storage, read    the current generation, one u32 per cell, row-major
//   2: storage, write   the next generation, same layout
// Pipeline-overridable constants: BIRTH and SURVIVE, bit k set when a dead (live) cell with k
// live neighbours is born (survives).
// Dispatch: (x, y) workgroups of 256 with x <= 65535; flat index id.x + id.y * num_workgroups.x * 256.
//
// Runtime checks (wgpu's, off unless --checked-shaders) are not needed: the loops are the fixed 3x3
// neighbourhood; the invocation returns unless index < width * height, the cell buffers' length;
// cell() wraps x and y into 0..w-1 and 0..h-1 on a torus (x, y >= -1, so x + w >= 0) and returns
// before indexing outside a bounded grid; divisors are width and height, at least 1
// (src/life/grid.rs refuses empty grids).

override BIRTH: u32 = 8u;
override SURVIVE: u32 = 12u;

struct Params {
    width: u32,
    height: u32,
    // 1: edges wrap (torus); 0: cells outside are dead (bounded).
    torus: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> current: array<u32>;
@group(0) @binding(2) var<storage, read_write> next: array<u32>;

fn cell(x: i32, y: i32) -> u32 {
    let w = i32(params.width);
    let h = i32(params.height);
    if (params.torus == 1u) {
        return current[u32((y + h) % h) * params.width + u32((x + w) % w)];
    }
    if (x < 0 || y < 0 || x >= w || y >= h) {
        return 0u;
    }
    return current[u32(y) * params.width + u32(x)];
}

// Invocations per workgroup: the flat index below and the host's dispatch count use it too
// (src/gpu/mirror.rs checks the host's copy).
const WORKGROUP_SIZE: u32 = 256u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
    if (index >= params.width * params.height) {
        return;
    }
    let x = i32(index % params.width);
    let y = i32(index / params.width);
    var neighbours = 0u;
    for (var dy = -1; dy <= 1; dy++) {
        for (var dx = -1; dx <= 1; dx++) {
            if (dx != 0 || dy != 0) {
                neighbours += cell(x + dx, y + dy);
            }
        }
    }
    let rule = select(BIRTH, SURVIVE, current[index] == 1u);
    next[index] = (rule >> neighbours) & 1u;
}
