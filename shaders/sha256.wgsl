// SHA-256 nonce search: invocation i hashes the one-block message prefix ‖ nonce, where nonce =
// base + i is written as 8 bytes little-endian, and counts the hash's leading zero bits. Where
// there are at least `difficulty`, it lowers `found.offset` to i with atomicMin (so the batch's
// smallest such nonce wins whatever order invocations run in) and adds one to `found.matches`.
//
// Bindings (group 0):
//   0: uniform Sha256Params, kept in sync with src/workloads/sha256.rs `Sha256Params`
//   1: storage read_write Found: offset (0xFFFFFFFF = none; the host resets it every batch) and
//      the number of matches in the batch
//
// The host builds the padded block (prefix, 8 zero bytes for the nonce, 0x80, zeros, the length
// in bits) as 16 big-endian words; the kernel ORs the nonce's bytes in. Messages are at most 55
// bytes, so one compression from the initial hash value gives the digest.
//
// Dispatch: 256 invocations per workgroup in x; more than 65535 workgroups are folded into y and
// the flat index rebuilt from num_workgroups (src/gpu/mod.rs `dispatch_size`).

struct Sha256Params {
    // The padded message block, big-endian words, nonce bytes zero.
    block: array<vec4<u32>, 4>,
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

const K = array<u32, 64>(
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
);

const H0 = array<u32, 8>(
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au, 0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
);

fn rotr(x: u32, n: u32) -> u32 {
    return (x >> n) | (x << (32u - n));
}

@compute @workgroup_size(256)
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

    var w: array<u32, 64>;
    for (var k = 0u; k < 16u; k += 1u) {
        w[k] = params.block[k / 4u][k % 4u];
    }
    // Byte b of the nonce (little-endian) goes to message byte nonce_at + b; message byte p is
    // bits 31-24 of word p / 4 when p % 4 = 0, down to bits 7-0 when p % 4 = 3 (big-endian).
    for (var b = 0u; b < 8u; b += 1u) {
        let byte = (select(lo, hi, b >= 4u) >> (8u * (b % 4u))) & 0xffu;
        let p = params.nonce_at + b;
        w[p / 4u] |= byte << (24u - 8u * (p % 4u));
    }
    for (var t = 16u; t < 64u; t += 1u) {
        let s0 = rotr(w[t - 15u], 7u) ^ rotr(w[t - 15u], 18u) ^ (w[t - 15u] >> 3u);
        let s1 = rotr(w[t - 2u], 17u) ^ rotr(w[t - 2u], 19u) ^ (w[t - 2u] >> 10u);
        w[t] = w[t - 16u] + s0 + w[t - 7u] + s1;
    }

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
        let t1 = h + big_s1 + ch + K[t] + w[t];
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
