// Monte Carlo π: counts how many of the batch's samples fall inside the quarter circle. Sample i
// is a point drawn by a counter-based generator (a hash of the seed and i, no state carried
// from one sample to the next), so every backend draws the same points; the test is in integer
// arithmetic, so every backend counts exactly the same hits.
//
// Bindings (group 0):
//   0: uniform MonteCarloParams, kept in sync with src/workloads/montecarlo/gpu.rs `MonteCarloParams`
//   1: storage read_write Counts: a 64-bit hit count as two u32 words (lo, hi), accumulated over
//      every batch of a run; the host zeroes it before the first
//
// Entry points:
//   main: each invocation counts its samples privately, the workgroup adds the 256 counts up in
//         workgroup memory, and one invocation adds the sum to the global count: one atomicAdd
//         per workgroup (plus one more on the rare carry into the high word).
//   racy: the race made visible: each invocation adds its count with a separate load and store,
//         count = count + mine, so whatever another invocation stored in between is overwritten
//         and lost. Only the low word is used; only the `--racy` demonstration runs it.
//
// The point: h = mix32(lo(i) ^ mix32(hi(i) ^ key)), the inner mix from the uniform; x = the top
// 15 bits of h, y = the next 15;
// the point (2x+1, 2y+1) / 2^16 lies in the unit square, and it is inside the circle when
// (2x+1)² + (2y+1)² < 2^32. Both squares fit in a u32 and the second is odd (never 0), so the
// test is a < 2^32 − b, and 2^32 − b is `0u - b` in wrapping u32 arithmetic.
//
// Dispatch: 256 invocations per workgroup in x; more than 65535 workgroups are folded into y and
// the flat index rebuilt from num_workgroups (src/gpu/mod.rs `dispatch_size`).
//
// Runtime checks (wgpu's, off unless --checked-shaders) are not needed: the sample loop runs
// per_invocation times at most (it stops at count), the reduction halves a constant stride to 0;
// partial[] is indexed by the local index (< WORKGROUP_SIZE) plus a stride below it, only for local
// < stride; the one division is by the constant WORKGROUP_SIZE.

struct MonteCarloParams {
    // The seed, mixed down to 32 bits.
    key: u32,
    // Index of the batch's first sample, low and high 32 bits.
    base_lo: u32,
    base_hi: u32,
    // Samples in the batch (at most 2^31, so offsets below never wrap).
    count: u32,
    // Consecutive samples each invocation draws.
    per_invocation: u32,
    // Invocations with samples: ceil(count / per_invocation).
    invocations: u32,
    // mix32(base_hi ^ key) and mix32((base_hi + 1) ^ key): the high word's mix, hoisted to the
    // host as the CPU hoists it per 2^32 block (a batch of at most 2^31 samples touches at most
    // two blocks), instead of recomputed for every sample.
    mixed_hi: u32,
    mixed_hi_next: u32,
}

struct Counts {
    lo: atomic<u32>,
    hi: atomic<u32>,
}

@group(0) @binding(0) var<uniform> params: MonteCarloParams;
@group(0) @binding(1) var<storage, read_write> counts: Counts;

const WORKGROUP_SIZE: u32 = 256u;

var<workgroup> partial: array<u32, WORKGROUP_SIZE>;

// "lowbias32", a 32-bit integer hash by Chris Wellons (hash-prospector): a bijection with low
// bias, all wrapping u32 arithmetic, so the CPU computes the very same values.
fn mix32(v: u32) -> u32 {
    var x = v;
    x ^= x >> 16u;
    x *= 0x7feb352du;
    x ^= x >> 15u;
    x *= 0x846ca68bu;
    x ^= x >> 16u;
    return x;
}

// Hits among this invocation's samples of the batch.
fn count_mine(index: u32) -> u32 {
    var hits = 0u;
    if index >= params.invocations {
        return 0u;
    }
    let first = index * params.per_invocation;
    for (var k = 0u; k < params.per_invocation; k += 1u) {
        let offset = first + k;
        if offset >= params.count {
            break;
        }
        // sample = base + offset; the low word wrapped: the next block's high word.
        let lo = params.base_lo + offset;
        let mixed_hi = select(params.mixed_hi, params.mixed_hi_next, lo < params.base_lo);
        let h = mix32(lo ^ mixed_hi);
        let x = 2u * (h >> 17u) + 1u;
        let y = 2u * ((h >> 2u) & 0x7fffu) + 1u;
        let a = x * x;
        let b = y * y;
        hits += select(0u, 1u, a < 0u - b);
    }
    return hits;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
    // Every invocation takes part in the reduction, even those past the end (with 0 hits), so
    // the barriers are reached by the whole workgroup.
    partial[local] = count_mine(index);
    workgroupBarrier();
    for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride >>= 1u) {
        if local < stride {
            partial[local] += partial[local + stride];
        }
        workgroupBarrier();
    }
    if local == 0u && partial[0] > 0u {
        let sum = partial[0];
        let old = atomicAdd(&counts.lo, sum);
        // The low word wrapped: carry 2^32 into the high word.
        if old + sum < old {
            atomicAdd(&counts.hi, 1u);
        }
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn racy(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
    let mine = count_mine(index);
    if mine > 0u {
        // count += mine, done wrong on purpose: a read, then a write.
        let seen = atomicLoad(&counts.lo);
        atomicStore(&counts.lo, seen + mine);
    }
}
