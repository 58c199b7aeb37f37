// life_batch.wgsl: one generation of many same-sized Life grids at once, each with its own rule.
//
// `life batch` runs thousands of small independent grids; one dispatch per grid would leave a GPU
// mostly idle, so the grids sit end to end in one buffer and one dispatch covers them all. Each
// invocation computes one 32-cell word of one grid with the bit-sliced full-adder network of
// life_adder.wgsl (put in front of this file by src/life/batch/gpu.rs), the one life.wgsl and
// src/life/cpu/ use too (horizontal 3-cell sums of the rows above, at and below, added into the
// 3x3 sum as four bit planes, then the rule), so results are bit-identical to a single run. Only
// the addressing and the rule differ: word `index` belongs to grid index / grid_words, and each
// grid has its own rule, read from binding 1 and applied by a loop over the sums 0..=9, where the
// single-grid kernels fold one rule into pipeline constants (life_common.wgsl `apply_rule`).
//
// Layout: grid g's cell (x, y) is bit x % 32 of word g * grid_words + y * words_per_row + x / 32;
// padding bits past the last column are zero on input and kept zero on output.
//
// Bindings:
//   0: uniform Params          (kept in sync with src/life/batch/gpu.rs `BatchParams`)
//   1: storage, read  rules    per grid: (birth mask, survive mask) over the 3x3 sum
//   2: storage, read  current  every grid's current generation
//   3: storage, write next     every grid's next generation
// Dispatch: (x, y) workgroups of 256 with x <= 65535; the flat word index is
// id.x + id.y * num_workgroups.x * 256.
//
// Runtime checks (wgpu's, off unless --checked-shaders) are not needed: the rule loop runs sum =
// 0..=9; the invocation returns unless index < grid_words * grids, the buffers' length, and every
// neighbour word it loads is in the same grid (rows wrap or are dead, columns stay in
// 0..words_per_row); rules[] is indexed by the grid number, below grids; divisors are grid_words,
// words_per_row and height, at least 1.

struct Params {
    width: u32,
    height: u32,
    words_per_row: u32,
    // 1: edges wrap (torus); 0: cells outside are dead (bounded).
    torus: u32,
    // Valid bits of the last word of each row.
    last_word_mask: u32,
    // Bit index of the last column inside its word: (width - 1) % 32.
    last_bit: u32,
    // Words per grid: words_per_row * height.
    grid_words: u32,
    // Number of grids.
    grids: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rules: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> current: array<u32>;
@group(0) @binding(3) var<storage, read_write> next: array<u32>;

// Horizontal 3-cell sums of word `col` of row `row` of the grid starting at word `base`.
fn horizontal(base: u32, row: u32, col: u32) -> Sums {
    let wpr = params.words_per_row;
    let start = base + row * wpr;
    let mid = current[start + col];
    var west_in = 0u;
    var east_in = 0u;
    if (params.torus == 1u) {
        let last = params.width - 1u;
        west_in = (current[start + last / 32u] >> (last % 32u)) & 1u;
        east_in = current[start] & 1u;
    }
    var west = mid << 1u;
    if (col > 0u) {
        west |= current[start + col - 1u] >> 31u;
    } else {
        west |= west_in;
    }
    var east = mid >> 1u;
    if (col + 1u < wpr) {
        east |= current[start + col + 1u] << 31u;
    } else {
        east |= east_in << params.last_bit;
    }
    return three_sums(west, mid, east);
}

// The sums of the row `dy` away from `y`, or zero outside a bounded grid.
fn row_sums(base: u32, y: u32, dy: i32, col: u32) -> Sums {
    let h = i32(params.height);
    var ny = i32(y) + dy;
    if (params.torus == 1u) {
        ny = (ny + h) % h;
    } else if (ny < 0 || ny >= h) {
        return Sums(0u, 0u);
    }
    return horizontal(base, u32(ny), col);
}

// Invocations per workgroup: the flat index below and the host's dispatch count use it too
// (src/gpu/mirror.rs checks the host's copy).
const WORKGROUP_SIZE: u32 = 256u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
    if (index >= params.grid_words * params.grids) {
        return;
    }
    let grid = index / params.grid_words;
    let base = grid * params.grid_words;
    let local = index - base;
    let wpr = params.words_per_row;
    let y = local / wpr;
    let col = local % wpr;
    let a = row_sums(base, y, -1, col);
    let m = row_sums(base, y, 0, col);
    let b = row_sums(base, y, 1, col);

    let s = nine_sum(a, m, b);

    let rule = rules[grid];
    let alive = current[index];
    var result = 0u;
    for (var sum = 0u; sum <= 9u; sum++) {
        let born = ((rule.x >> sum) & 1u) == 1u;
        let stays = ((rule.y >> sum) & 1u) == 1u;
        if (!born && !stays) {
            continue;
        }
        let eq = match_bit(s.s0, sum, 0u) & match_bit(s.s1, sum, 1u) & match_bit(s.s2, sum, 2u)
            & match_bit(s.s3, sum, 3u);
        var who = alive;
        if (born && stays) {
            who = 0xffffffffu;
        } else if (born) {
            who = ~alive;
        }
        result |= eq & who;
    }
    if (col + 1u == wpr) {
        result &= params.last_word_mask;
    }
    next[index] = result;
}
