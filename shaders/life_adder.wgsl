// life_adder.wgsl: the bit-sliced adder network every bit-packed Life kernel shares (life.wgsl and
// life_tiled.wgsl through life_common.wgsl, and life_batch.wgsl): 32 cells per word, each count
// held as bit planes, so one word's worth of cells is summed with a handful of logic operations.
// It is the same network as the CPU kernel in src/life/cpu/, so every kernel gives bit-identical
// results. src/life/gpu.rs and src/life/batch/gpu.rs put this file in front of the kernels that
// use it; it declares no bindings and no constants, so each kernel keeps its own.
//
// Runtime checks (wgpu's, off unless --checked-shaders) are not needed: no loops, no indexing and
// no divisions, only bitwise logic on values passed in.

// A per-bit count 0..=3 as two bit planes.
struct Sums {
    ones: u32,
    twos: u32,
}

// Per bit, west + mid + east: the horizontal 3-cell sums of a word, given the word shifted so that
// each bit sees its west and east neighbour.
fn three_sums(west: u32, mid: u32, east: u32) -> Sums {
    let ab = west ^ mid;
    return Sums(ab ^ east, (west & mid) | (ab & east));
}

// A per-bit count 0..=9, the 3x3 sum of each cell (itself included), as four bit planes.
struct NineSum {
    s0: u32,
    s1: u32,
    s2: u32,
    s3: u32,
}

// The 3x3 sums of a word's 32 cells: the horizontal sums of the rows above (a), at (m) and below
// (b), three 2-bit numbers added with full adders.
fn nine_sum(a: Sums, m: Sums, b: Sums) -> NineSum {
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
    return NineSum(s0, s1, s2, s3);
}

// Bits where `plane` matches bit `bit` of `sum`.
fn match_bit(plane: u32, sum: u32, bit: u32) -> u32 {
    return select(~plane, plane, ((sum >> bit) & 1u) == 1u);
}
