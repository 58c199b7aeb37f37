// life.wgsl: generations of a Life-like rule on a bit-packed grid (the fast kernel).
//
// Each invocation computes a column of up to ROWS 32-cell words (one word wide, ROWS rows tall)
// with a bit-sliced full-adder network, never cell by cell: the horizontal 3-cell sums of each
// row are formed once and rolled down the column, added into the 3x3 sum (0..=9) as four bit
// planes, and the rule is applied to that sum and the cell's own state. This is the same network
// as the CPU kernel in src/life/cpu/ (shaders/life_adder.wgsl and life_common.wgsl, put in front
// of this file when compiling), so both give bit-identical results. Rolling the sums
// down the column means each output word costs three loads (west, own and east word of the next
// row) instead of nine.
//
// Layout, chunks and bindings: see life_common.wgsl (one halo row above and below each chunk).
// Padding bits past the last column are kept zero on output.
// Pipeline-overridable constants (set from src/life/gpu.rs): ROWS here; BIRTH and SURVIVE in
// life_common.wgsl.
// Runtime checks: see life_common.wgsl; the row loop runs at most ROWS times, from the band's first
// row to min(first + ROWS, rows), and the kernel divides only by words_per_row.
// Dispatch: (x, y) workgroups of 256 with x <= 65535; the flat invocation index is
// id.x + id.y * num_workgroups.x * 256, so grids beyond 65535 workgroups still run.

// Rows computed by one invocation.
override ROWS: u32 = 8u;

// Horizontal 3-cell sums (west + self + east) of word `col` of row `row` (chunk-relative, -1 to
// `rows`), as two bit planes, and the word itself (the cells' own state, which the rule needs
// too: kept here rather than loaded a second time).
fn horizontal(row: i32, col: u32) -> Row {
    let wpr = params.words_per_row;
    let mid = load_word(row, col);
    var west = mid << 1u;
    if (col > 0u) {
        west |= load_word(row, col - 1u) >> 31u;
    } else if (params.torus == 1u) {
        // The cell west of column 0 is the last column of the same row.
        let last = params.width - 1u;
        west |= (load_word(row, last / 32u) >> (last % 32u)) & 1u;
    }
    var east = mid >> 1u;
    if (col + 1u < wpr) {
        east |= load_word(row, col + 1u) << 31u;
    } else if (params.torus == 1u) {
        // The cell east of the last column is column 0 of the same row.
        east |= (load_word(row, 0u) & 1u) << params.last_bit;
    }
    return Row(three_sums(west, mid, east), mid);
}

// Invocations per workgroup: the flat index below and the host's dispatch count use it too
// (src/gpu/mirror.rs checks the host's copy).
const WORKGROUP_SIZE: u32 = 256u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
    let wpr = params.words_per_row;
    // Neighbouring invocations take neighbouring columns of the same band, so loads coalesce.
    let band = index / wpr;
    if (band >= params.bands) {
        return;
    }
    let col = index % wpr;
    let first = band * ROWS;
    let last = min(first + ROWS, params.rows);
    var above = horizontal(i32(first) - 1, col);
    var here = horizontal(i32(first), col);
    var mask = 0xffffffffu;
    if (col + 1u == wpr) {
        mask = params.last_word_mask;
    }
    for (var y = first; y < last; y++) {
        let below = horizontal(i32(y) + 1, col);
        next[y * wpr + col] = apply_rule(above.sums, here.sums, below.sums, here.mid) & mask;
        above = here;
        here = below;
    }
}
