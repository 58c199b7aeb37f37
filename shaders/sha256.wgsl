// SHA-256 nonce search: invocation i hashes the one-block message prefix ‖ nonce, where nonce =
// base + i is written as 8 bytes little-endian, and counts the hash's leading zero bits. Where
// there are at least `difficulty`, it lowers `found.offset` to i with atomicMin (so the batch's
// smallest such nonce wins whatever order invocations run in) and adds one to `found.matches`.
//
// Bindings (group 0):
//   0: uniform Sha256Params, kept in sync with src/workloads/sha256/gpu.rs `Sha256Params`
//   1: storage read_write Found: offset (0xFFFFFFFF = none; the host resets it every batch) and
//      the number of matches in the batch
//
// The host builds the padded block (prefix, 8 zero bytes for the nonce, 0x80, zeros, the length
// in bits) as 16 big-endian words; the kernel ORs the nonce's bytes in. The round constants come
// in the uniform too (see `k`). Messages are at most 55
// bytes, so one compression from the initial hash value gives the digest.
//
// Dispatch: 256 invocations per workgroup in x; more than 65535 workgroups are folded into y and
// the flat index rebuilt from num_workgroups (src/gpu/mod.rs `dispatch_size`).
//
// Runtime checks (wgpu's, off unless --checked-shaders) are not needed: the round loop runs 64
// times; params.block and params.k are indexed by constants and round numbers below their lengths
// (k / 4 < 16, t / 4 < 16); the one store is guarded by index < count, and the result words by
// their fixed slots; the divisors are the constant 4.

struct Sha256Params {
    // The padded message block, big-endian words, nonce bytes zero.
    block: array<vec4<u32>, 4>,
    // The 64 round constants K. Kept in the uniform rather than a WGSL const array: a const array
    // indexed by the loop counter is copied into every invocation's private memory by some
    // compilers, while a uniform read with the same index in every invocation is cheap.
    k: array<vec4<u32>, 16>,
    // First nonce of the batch, low and high 32 bits.
    base_lo: u32,
    base_hi: u32,
    // Nonces in the batch (below 0xFFFFFFFF).
    count: u32,
    // Byte offset of the nonce in the block: the prefix length.
    nonce_at: u32,
    difficulty: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

struct Found {
    offset: atomic<u32>,
    matches: atomic<u32>,
}

@group(0) @binding(0) var<uniform> params: Sha256Params;
@group(0) @binding(1) var<storage, read_write> found: Found;

const WORKGROUP_SIZE: u32 = 256u;

const H0 = array<u32, 8>(
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au, 0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
);

fn rotr(x: u32, n: u32) -> u32 {
    return (x >> n) | (x << (32u - n));
}

fn bswap(x: u32) -> u32 {
    return (x >> 24u) | ((x >> 8u) & 0xff00u) | ((x << 8u) & 0xff0000u) | (x << 24u);
}

// Message word `k` of the block with the nonce's bytes in place. The nonce's 8 bytes, in message
// order, are bswap(lo) then bswap(hi) as big-endian words; starting `shift` bytes into word
// `first`, they spread over words first, first + 1 and (unless shift is 0) first + 2.
fn word(k: u32, first: u32, shift: u32, lo_be: u32, hi_be: u32) -> u32 {
    let s = 8u * shift;
    var n0 = lo_be >> s;
    var n1 = hi_be >> s;
    var n2 = 0u;
    if shift != 0u {
        n1 |= lo_be << (32u - s);
        n2 = hi_be << (32u - s);
    }
    var nonce = 0u;
    if k == first {
        nonce = n0;
    } else if k == first + 1u {
        nonce = n1;
    } else if k == first + 2u {
        nonce = n2;
    }
    return params.block[k / 4u][k % 4u] | nonce;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let index = id.x + id.y * groups.x * WORKGROUP_SIZE;
    if index >= params.count {
        return;
    }
    // nonce = base + index, with the carry into the high word.
    let lo = params.base_lo + index;
    let hi = params.base_hi + select(0u, 1u, lo < params.base_lo);
    let first = params.nonce_at / 4u;
    let shift = params.nonce_at % 4u;
    let lo_be = bswap(lo);
    let hi_be = bswap(hi);

    // The message schedule as a 16-word window w0..w15 that slides one word per round, so it
    // lives in registers instead of a 64-entry array indexed by the round.
    var w0 = word(0u, first, shift, lo_be, hi_be);
    var w1 = word(1u, first, shift, lo_be, hi_be);
    var w2 = word(2u, first, shift, lo_be, hi_be);
    var w3 = word(3u, first, shift, lo_be, hi_be);
    var w4 = word(4u, first, shift, lo_be, hi_be);
    var w5 = word(5u, first, shift, lo_be, hi_be);
    var w6 = word(6u, first, shift, lo_be, hi_be);
    var w7 = word(7u, first, shift, lo_be, hi_be);
    var w8 = word(8u, first, shift, lo_be, hi_be);
    var w9 = word(9u, first, shift, lo_be, hi_be);
    var w10 = word(10u, first, shift, lo_be, hi_be);
    var w11 = word(11u, first, shift, lo_be, hi_be);
    var w12 = word(12u, first, shift, lo_be, hi_be);
    var w13 = word(13u, first, shift, lo_be, hi_be);
    var w14 = word(14u, first, shift, lo_be, hi_be);
    var w15 = word(15u, first, shift, lo_be, hi_be);

    var a = H0[0];
    var b = H0[1];
    var c = H0[2];
    var d = H0[3];
    var e = H0[4];
    var f = H0[5];
    var g = H0[6];
    var h = H0[7];
    for (var t = 0u; t < 64u; t += 1u) {
        let big_s1 = rotr(e, 6u) ^ rotr(e, 11u) ^ rotr(e, 25u);
        let ch = (e & f) ^ (~e & g);
        let t1 = h + big_s1 + ch + params.k[t / 4u][t % 4u] + w0;
        let big_s0 = rotr(a, 2u) ^ rotr(a, 13u) ^ rotr(a, 22u);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = big_s0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
        // Slide the window: w16 = σ1(w14) + w9 + σ0(w1) + w0. (The last 16 rounds compute
        // words never used; cheaper than a branch.)
        let s0 = rotr(w1, 7u) ^ rotr(w1, 18u) ^ (w1 >> 3u);
        let s1 = rotr(w14, 17u) ^ rotr(w14, 19u) ^ (w14 >> 10u);
        let next = w0 + s0 + w9 + s1;
        w0 = w1;
        w1 = w2;
        w2 = w3;
        w3 = w4;
        w4 = w5;
        w5 = w6;
        w6 = w7;
        w7 = w8;
        w8 = w9;
        w9 = w10;
        w10 = w11;
        w11 = w12;
        w12 = w13;
        w13 = w14;
        w14 = w15;
        w15 = next;
    }
    // Only the first 64 bits of the digest matter: difficulty is at most 64.
    let d0 = H0[0] + a;
    let d1 = H0[1] + b;
    var zeros = countLeadingZeros(d0);
    if d0 == 0u {
        zeros = 32u + countLeadingZeros(d1);
    }
    if zeros >= params.difficulty {
        atomicMin(&found.offset, index);
        atomicAdd(&found.matches, 1u);
    }
}
