// life_common.wgsl: what the bit-packed Life kernels (life.wgsl and life_tiled.wgsl) share: their
// parameters, bindings 0 to 4 and halo-row loads, and the rule over the bit-sliced adder network
// of life_adder.wgsl. src/life/gpu.rs puts life_adder.wgsl and this file in front of each of them
// before compiling, so both apply the same adder network as the CPU kernel in src/life/cpu/ (and
// as life_batch.wgsl) and give bit-identical results.
//
// Layout: cell (x, y) is bit x % 32 of word y * words_per_row + x / 32; padding bits past the last
// column are zero in storage.
//
// Large grids: a grid may be split by rows into chunks, each in its own buffer, so that no
// buffer exceeds the adapter's largest storage binding. One dispatch computes one chunk; it
// reads the chunk itself plus halo rows from the chunks above and below (on a torus the last
// chunk is above the first). A grid that fits one binding is one chunk, bound three times.
//
// Bindings:
//   0: uniform Params   (kept in sync with src/life/gpu.rs `LifeParams`)
//   1: storage, read    the chunk holding the halo rows above this chunk
//   2: storage, read    this chunk, current generation
//   3: storage, read    the chunk holding the halo rows below this chunk
//   4: storage, write   this chunk, next generation (life_tiled.wgsl: generations later)
//
// Pipeline-overridable constants (set from src/life/gpu.rs): BIRTH and SURVIVE, the rule as masks
// over the 3x3 sum, so the driver's compiler folds the rule into straight-line code.
//
// Runtime checks (wgpu's, off unless --checked-shaders), for this file and the two kernels it
// heads: load_word reads row -1 - k only where has_above says binding 1 holds the rows above
// (above_offset is the last of them, k < the rows it has) and row rows + k only where has_below
// says binding 3 holds the rows below; every other index is row * words_per_row + word with row <
// rows and word < words_per_row, inside binding 2 (src/life/gpu.rs sizes the chunks and never runs
// more generations per pass than the shortest chunk has rows). Divisors are words_per_row (at least
// 1) and the constants of the kernels.

struct Params {
    width: u32,
    words_per_row: u32,
    // 1: edges wrap (torus); 0: cells outside are dead (bounded).
    torus: u32,
    // Valid bits of the last word of each row.
    last_word_mask: u32,
    // Bit index of the last column inside its word: (width - 1) % 32.
    last_bit: u32,
    // Rows in this chunk.
    rows: u32,
    // life.wgsl: row bands of ROWS rows in this chunk, ceil(rows / ROWS); life_tiled.wgsl: tiles
    // down this chunk, ceil(rows / TILE_ROWS).
    bands: u32,
    // 1 if there are rows above this chunk's first row (always on a torus), else 0.
    has_above: u32,
    // 1 if there are rows below this chunk's last row (always on a torus), else 0.
    has_below: u32,
    // Word index in binding 1 of the row just above this chunk; the rows above it precede it.
    above_offset: u32,
    // Word index in binding 3 of the row just below this chunk; the rows below it follow it.
    below_offset: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> above_chunk: array<u32>;
@group(0) @binding(2) var<storage, read> current: array<u32>;
@group(0) @binding(3) var<storage, read> below_chunk: array<u32>;
@group(0) @binding(4) var<storage, read_write> next: array<u32>;
// Word `word` (0 .. words_per_row) of chunk-relative row `row`, read from the chunk that holds
// it: rows -1, -2, ... are the last rows of the chunk above, rows `rows`, `rows` + 1, ... the
// first rows of the chunk below (dead outside a bounded grid).
fn load_word(row: i32, word: u32) -> u32 {
    let wpr = params.words_per_row;
    if (row < 0) {
        if (params.has_above == 0u) {
            return 0u;
        }
        return above_chunk[params.above_offset - u32(-1 - row) * wpr + word];
    }
    if (u32(row) >= params.rows) {
        if (params.has_below == 0u) {
            return 0u;
        }
        return below_chunk[params.below_offset + (u32(row) - params.rows) * wpr + word];
    }
    return current[u32(row) * wpr + word];
}

// Bit s set: a dead cell whose 3x3 sum is s is born (Conway: sum 3).
override BIRTH: u32 = 8u;
// Bit s set: a live cell whose 3x3 sum (itself included) is s survives (Conway: sums 3 and 4).
override SURVIVE: u32 = 24u;

// A row's horizontal sums around one word, and that word (the cells' own state, which the rule
// needs as well: the kernels keep it instead of loading it again).
struct Row {
    sums: Sums,
    mid: u32,
}

// The cells among `alive`'s 32 whose 3x3 sum (bit planes s0..s3) is `sum` and that the rule
// makes live: all of them where `sum` both bears and keeps, the dead ones where it only bears,
// the live ones where it only keeps, none where neither.
fn rule_term(sum: u32, s0: u32, s1: u32, s2: u32, s3: u32, alive: u32) -> u32 {
    let born = ((BIRTH >> sum) & 1u) == 1u;
    let stays = ((SURVIVE >> sum) & 1u) == 1u;
    let eq = match_bit(s0, sum, 0u) & match_bit(s1, sum, 1u) & match_bit(s2, sum, 2u)
        & match_bit(s3, sum, 3u);
    let who = select(select(0u, alive, stays), select(~alive, 0xffffffffu, stays), born);
    return eq & who;
}

// The next state of the 32 cells of `alive`, given the three rows' horizontal sums.
fn apply_rule(a: Sums, m: Sums, b: Sums, alive: u32) -> u32 {
    let planes = nine_sum(a, m, b);
    let s0 = planes.s0;
    let s1 = planes.s1;
    let s2 = planes.s2;
    let s3 = planes.s3;

    // Unrolled by hand, one term per sum 0..=9: each term's shifts of BIRTH and SURVIVE are of
    // pipeline constants by literals, so every compiler folds the rule into the few terms it
    // names; a loop would rely on the driver unrolling it first.
    return rule_term(0u, s0, s1, s2, s3, alive) | rule_term(1u, s0, s1, s2, s3, alive)
        | rule_term(2u, s0, s1, s2, s3, alive) | rule_term(3u, s0, s1, s2, s3, alive)
        | rule_term(4u, s0, s1, s2, s3, alive) | rule_term(5u, s0, s1, s2, s3, alive)
        | rule_term(6u, s0, s1, s2, s3, alive) | rule_term(7u, s0, s1, s2, s3, alive)
        | rule_term(8u, s0, s1, s2, s3, alive) | rule_term(9u, s0, s1, s2, s3, alive);
}

