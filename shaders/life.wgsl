// life.wgsl: generations of a Life-like rule on a bit-packed grid (the fast kernel).
//
// Each invocation computes a column of up to ROWS 32-cell words (one word wide, ROWS rows tall)
// with a bit-sliced full-adder network, never cell by cell: the horizontal 3-cell sums of each
// row are formed once and rolled down the column, added into the 3x3 sum (0..=9) as four bit
// planes, and the rule is applied to that sum and the cell's own state. This is the same network
// as the CPU kernel in src/life/cpu.rs, so both give bit-identical results. Rolling the sums
// down the column means each output word costs three loads (west, own and east word of the next
// row) instead of nine.
//
// Layout: cell (x, y) is bit x % 32 of word y * words_per_row + x / 32; padding bits past the last
// column are zero on input and kept zero on output.
//
// Large grids: a grid may be split by rows into chunks, each in its own buffer, so that no
// buffer exceeds the adapter's largest storage binding. One dispatch computes one chunk; it
// reads the chunk itself plus one halo row from the chunks above and below (on a torus the
// last chunk is above the first). A grid that fits one binding is one chunk, bound three times.
//
// Bindings:
//   0: uniform Params   (kept in sync with src/life/gpu.rs `LifeParams`)
//   1: storage, read    the chunk holding the halo row above this chunk
//   2: storage, read    this chunk, current generation
//   3: storage, read    the chunk holding the halo row below this chunk
//   4: storage, write   this chunk, next generation
// Pipeline-overridable constants (set from src/life/gpu.rs): BIRTH and SURVIVE, the rule as
// masks over the 3x3 sum, so the driver's compiler folds the rule into straight-line code; ROWS.
// Dispatch: (x, y) workgroups of 256 with x <= 65535; the flat invocation index is
// id.x + id.y * num_workgroups.x * 256, so grids beyond 65535 workgroups still run.

// Bit s set: a dead cell whose 3x3 sum is s is born (Conway: sum 3).
override BIRTH: u32 = 8u;
// Bit s set: a live cell whose 3x3 sum (itself included) is s survives (Conway: sums 3 and 4).
override SURVIVE: u32 = 24u;
// Rows computed by one invocation.
override ROWS: u32 = 8u;

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
    // Row bands of ROWS rows in this chunk: ceil(rows / ROWS).
    bands: u32,
    // 1 if there is a row above this chunk's first row (always on a torus), else 0.
    has_above: u32,
    // 1 if there is a row below this chunk's last row (always on a torus), else 0.
    has_below: u32,
    // Word index of the halo row above, in binding 1.
    above_offset: u32,
    // Word index of the halo row below, in binding 3.
    below_offset: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> above_chunk: array<u32>;
@group(0) @binding(2) var<storage, read> current: array<u32>;
@group(0) @binding(3) var<storage, read> below_chunk: array<u32>;
@group(0) @binding(4) var<storage, read_write> next: array<u32>;

struct Sums {
    ones: u32,
    twos: u32,
}

// Word `word` of row `row` of this chunk; row -1 and row `rows` are the halo rows from the
// neighbouring chunks (dead outside a bounded grid).
fn load(row: i32, word: u32) -> u32 {
    if (row < 0) {
        return select(0u, above_chunk[params.above_offset + word], params.has_above == 1u);
    }
    if (u32(row) >= params.rows) {
        return select(0u, below_chunk[params.below_offset + word], params.has_below == 1u);
    }
    return current[u32(row) * params.words_per_row + word];
}

// Horizontal 3-cell sums (west + self + east) of word `col` of row `row` (chunk-relative, -1 to
// `rows`), as two bit planes.
fn horizontal(row: i32, col: u32) -> Sums {
    let wpr = params.words_per_row;
    let mid = load(row, col);
    var west = mid << 1u;
    if (col > 0u) {
        west |= load(row, col - 1u) >> 31u;
    } else if (params.torus == 1u) {
        // The cell west of column 0 is the last column of the same row.
        let last = params.width - 1u;
        west |= (load(row, last / 32u) >> (last % 32u)) & 1u;
    }
    var east = mid >> 1u;
    if (col + 1u < wpr) {
        east |= load(row, col + 1u) << 31u;
    } else if (params.torus == 1u) {
        // The cell east of the last column is column 0 of the same row.
        east |= (load(row, 0u) & 1u) << params.last_bit;
    }
    let ab = west ^ mid;
    return Sums(ab ^ east, (west & mid) | (ab & east));
}

// Bits where `plane` matches bit `bit` of `sum`.
fn match_bit(plane: u32, sum: u32, bit: u32) -> u32 {
    return select(~plane, plane, ((sum >> bit) & 1u) == 1u);
}

// The next state of the 32 cells of `alive`, given the three rows' horizontal sums.
fn apply_rule(a: Sums, m: Sums, b: Sums, alive: u32) -> u32 {
    // Sum of three 2-bit numbers (0..=9) as four bit planes s0..s3.
    let p = a.ones ^ m.ones;
    let s0 = p ^ b.ones;
    let carry1 = (a.ones & m.ones) | (p & b.ones);
    let q = a.twos ^ m.twos;
    let t = q ^ b.twos;
    let carry2 = (a.twos & m.twos) | (q & b.twos);
    let s1 = t ^ carry1;
    let carry3 = t & carry1;
    let s2 = carry2 ^ carry3;
    let s3 = carry2 & carry3;

    var result = 0u;
    // BIRTH and SURVIVE are pipeline constants: this loop folds to the few terms the rule needs.
    for (var sum = 0u; sum <= 9u; sum++) {
        let born = ((BIRTH >> sum) & 1u) == 1u;
        let stays = ((SURVIVE >> sum) & 1u) == 1u;
        if (!born && !stays) {
            continue;
        }
        let eq = match_bit(s0, sum, 0u) & match_bit(s1, sum, 1u) & match_bit(s2, sum, 2u)
            & match_bit(s3, sum, 3u);
        var who = alive;
        if (born && stays) {
            who = 0xffffffffu;
        } else if (born) {
            who = ~alive;
        }
        result |= eq & who;
    }
    return result;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let index = id.x + id.y * groups.x * 256u;
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
        let word = y * wpr + col;
        next[word] = apply_rule(above, here, below, current[word]) & mask;
        above = here;
        here = below;
    }
}
