// life_tiled.wgsl: several generations of a Life-like rule per dispatch (temporal blocking).
//
// The packed kernel (life.wgsl) reads and writes the whole grid once per generation, and each
// generation is a dispatch of its own. This kernel gives each workgroup a tile of TILE_WORDS x
// TILE_ROWS words (960 x 32 cells), loads it once together with a halo, runs `generations`
// (1 to MAX_GENERATIONS) generations in workgroup memory, and writes the tile back: one read and
// one write of the grid per `generations` generations, and that many times fewer dispatches.
//
// The halo: a cell's state after g generations depends on the cells within g of it, so the
// workgroup loads `generations` extra rows above and below the tile and one extra word (32
// cells, enough for up to 31 generations) left and right. The region's outermost cells have
// neighbours missing, so wrong values creep in from its edges, one cell per generation, and never
// reach the tile; generation g (from 0) updates only rows g + 1 .. rows - g - 1, the ones whose
// values can still reach it, and every column (the halo words are mostly valid).
//
// Virtual coordinates: the region is addressed as if the grid repeated without end, word v of a
// row holding cells 32v .. 32v + 31. On a torus, cell x stands for cell x mod width, so the
// padding bits of a row's last word and the halo words left of word 0 and right of the last word
// hold the wrapped cells, and the wrap needs no special case while stepping. On a bounded grid,
// every cell outside it is dead and is cleared again after every generation (births outside the
// grid would otherwise leak back in). Only the real cells of the tile are written back, padding
// bits zero.
//
// The rule is the bit-sliced adder network of shaders/life_adder.wgsl, which src/life/gpu.rs puts
// in front of this file with life_common.wgsl (the parameters, bindings and rule): results are bit-identical to the packed
// and CPU kernels.
//
// Large grids are split by rows into chunks as for life.wgsl; the halo rows come from the chunks
// above and below, so src/life/gpu.rs never runs more generations per pass than the shortest
// chunk has rows.
//
// Bindings: 0 to 4 as in life_common.wgsl; 5: uniform, the generations of this pass, 1 to
// MAX_GENERATIONS.
// Runtime checks: see life_common.wgsl for the loads. The loops end: the region and tile copies
// stride by WORKGROUP_SIZE to a bound below REGION_WORDS, the generation loop runs min(generations,
// MAX_GENERATIONS) times, the row loop at most SEGMENT_ROWS, and the gather loop in virtual_word
// adds at least one bit per turn up to 32 (take >= 1: bit < 32, x < width). Workgroup indices stay
// below 2 * REGION_WORDS (rows <= REGION_ROWS, cols <= REGION_COLS); divisors are cols, tile_cols
// (at least 1), width (at least 1) and constants.
// Dispatch: one workgroup of 256 per tile, folded to (x, y) with x <= 65535; the tile index is
// workgroup_id.x + workgroup_id.y * num_workgroups.x.

// Words per tile row, and rows per tile (src/life/gpu.rs TILE_WORDS, TILE_ROWS).
const TILE_WORDS: u32 = 30u;
const TILE_ROWS: u32 = 32u;
// Most generations per pass (src/life/gpu.rs MAX_TILE_GENERATIONS): the halo rows it needs set
// the size of the workgroup arrays.
const MAX_GENERATIONS: u32 = 8u;
// The loaded region at its largest: one halo word each side, MAX_GENERATIONS halo rows each side.
const REGION_COLS: u32 = 32u;
const REGION_ROWS: u32 = 48u;
const REGION_WORDS: u32 = 1536u;
// Rows one invocation updates per generation, rolling the horizontal sums down its column. With
// 32 region columns and 48 rows this gives 8 segments of 6 rows: every invocation is busy, and
// each subgroup of 32 takes one segment, so its loads are one row of 32 consecutive words.
const SEGMENT_ROWS: u32 = 6u;
const WORKGROUP_SIZE: u32 = 256u;

@group(0) @binding(5) var<uniform> generations: u32;

// The loaded region twice: generation g lives at offset (g % 2) * REGION_WORDS, row-major with
// REGION_COLS words per row.
var<workgroup> region: array<u32, 3072>;

// Virtual word `v` (-1 .. words_per_row) of chunk-relative row `row`: cells 32v .. 32v + 31, each
// cell x standing for x mod width on a torus and dead outside a bounded grid.
fn virtual_word(row: i32, v: i32) -> u32 {
    let width = params.width;
    // Whole words inside the row: all but the last word and the halo words.
    if (v >= 0 && u32(v) < width / 32u) {
        return load_word(row, u32(v));
    }
    if (params.torus == 0u) {
        if (v < 0 || u32(v) >= params.words_per_row) {
            return 0u;
        }
        // The last word: its padding bits are zero in storage, as dead cells outside should be.
        return load_word(row, u32(v));
    }
    // Torus: the cell at virtual 32v, reduced mod width without forming 32v (which may overflow
    // for rows of nearly 2^32 cells). Here v is -1 or at least width / 32.
    var x: u32;
    if (v < 0) {
        x = (width - 32u % width) % width;
    } else {
        let past = 32u * (u32(v) - width / 32u);
        let tail = width % 32u;
        if (past < tail) {
            x = width - tail + past;
        } else {
            x = (past - tail) % width;
        }
    }
    // Gather 32 cells, a run at a time: a run ends at a word boundary or the row's end.
    var out = 0u;
    var filled = 0u;
    loop {
        if (filled >= 32u) {
            break;
        }
        let bit = x % 32u;
        let take = min(min(32u - bit, width - x), 32u - filled);
        let bits = load_word(row, x / 32u) >> bit;
        out |= select(bits & ((1u << take) - 1u), bits, take == 32u) << filled;
        filled += take;
        x += take;
        if (x == width) {
            x = 0u;
        }
    }
    return out;
}

// Horizontal 3-cell sums of region word (r, c) in the generation at `base`; rows and columns
// outside the loaded region (`rows` x `cols`) count as dead.
fn region_sums(base: u32, r: i32, c: u32, rows: u32, cols: u32) -> Row {
    if (r < 0 || u32(r) >= rows) {
        return Row(Sums(0u, 0u), 0u);
    }
    let at = base + u32(r) * REGION_COLS + c;
    let mid = region[at];
    var west = mid << 1u;
    if (c > 0u) {
        west |= region[at - 1u] >> 31u;
    }
    var east = mid >> 1u;
    if (c + 1u < cols) {
        east |= region[at + 1u] << 31u;
    }
    return Row(three_sums(west, mid, east), mid);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let wpr = params.words_per_row;
    let tiles_across = (wpr + TILE_WORDS - 1u) / TILE_WORDS;
    let tile = group.x + group.y * groups.x;
    // Uniform across the workgroup, so leaving early does not split a barrier.
    if (tile >= tiles_across * params.bands) {
        return;
    }
    let gens = min(generations, MAX_GENERATIONS);
    let first_word = (tile % tiles_across) * TILE_WORDS;
    let first_row = (tile / tiles_across) * TILE_ROWS;
    let tile_cols = min(TILE_WORDS, wpr - first_word);
    let tile_rows = min(TILE_ROWS, params.rows - first_row);
    let cols = tile_cols + 2u;
    let rows = tile_rows + 2u * gens;
    // Region (r, c) is virtual word first_word - 1 + c of chunk row first_row - gens + r.
    let top = i32(first_row) - i32(gens);
    let left = i32(first_word) - 1;

    for (var i = lane; i < rows * cols; i += WORKGROUP_SIZE) {
        let r = i / cols;
        let c = i % cols;
        region[r * REGION_COLS + c] = virtual_word(top + i32(r), left + i32(c));
    }
    workgroupBarrier();

    // Each invocation takes a column segment: neighbouring invocations, neighbouring columns
    // (segments * cols <= 8 * 32 = WORKGROUP_SIZE, so one round covers the region).
    let segments = (rows + SEGMENT_ROWS - 1u) / SEGMENT_ROWS;
    let c = lane % cols;
    let segment = lane / cols;
    let busy = segment < segments;
    // On a bounded grid, the cells of this column outside the grid are cleared every generation.
    let v = left + i32(c);
    var column_mask = 0xffffffffu;
    if (params.torus == 0u) {
        if (v < 0 || u32(v) >= wpr) {
            column_mask = 0u;
        } else if (u32(v) + 1u == wpr) {
            column_mask = params.last_word_mask;
        }
    }
    let start = segment * SEGMENT_ROWS;
    let end = min(start + SEGMENT_ROWS, rows);

    for (var g = 0u; g < gens; g++) {
        let src = (g % 2u) * REGION_WORDS;
        let dst = REGION_WORDS - src;
        // Only rows whose result can still reach the tile: the valid part of the region shrinks
        // by a row at each end per generation, and the rows outside it are never read again.
        let low = max(start, g + 1u);
        let high = min(end, rows - g - 1u);
        if (busy && low < high) {
            var above = region_sums(src, i32(low) - 1, c, rows, cols);
            var here = region_sums(src, i32(low), c, rows, cols);
            for (var r = low; r < high; r++) {
                let below = region_sums(src, i32(r) + 1, c, rows, cols);
                let row = top + i32(r);
                let outside = params.torus == 0u
                    && ((row < 0 && params.has_above == 0u)
                        || (row >= i32(params.rows) && params.has_below == 0u));
                let next_word = apply_rule(above.sums, here.sums, below.sums, here.mid);
                region[dst + r * REGION_COLS + c] = select(next_word & column_mask, 0u, outside);
                above = here;
                here = below;
            }
        }
        workgroupBarrier();
    }

    // The tile, `gens` generations on: real cells only, padding bits zero.
    let result = (gens % 2u) * REGION_WORDS;
    for (var i = lane; i < tile_rows * tile_cols; i += WORKGROUP_SIZE) {
        let r = i / tile_cols;
        let c = i % tile_cols;
        let word = first_word + c;
        let mask = select(0xffffffffu, params.last_word_mask, word + 1u == wpr);
        next[(first_row + r) * wpr + word] = region[result + (r + gens) * REGION_COLS + c + 1u] & mask;
    }
}
