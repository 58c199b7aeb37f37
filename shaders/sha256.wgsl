// SHA-256 nonce search: invocation i hashes the one-block message prefix ‖ nonce, where nonce =
// base + i is written as 8 bytes little-endian, and counts the hash's leading zero bits. Where
// there are at least DIFFICULTY, it lowers `results.slots[slot].offset` to i with atomicMin (so
// the batch's smallest such nonce wins whatever order invocations run in), adds one to
// `results.slots[slot].matches` and sets `results.hit`.
//
// Bindings (group 0):
//   0: uniform Sha256Params, kept in sync with src/workloads/sha256/gpu.rs `Sha256Params`
//   1: storage read_write Results: `hit` (nonzero once any batch of the submission has a hit)
//      and one (offset, matches) slot per batch of the submission (offset 0xFFFFFFFF = none; the
//      host resets them before each submission), so that several batches are recorded in one
//      submission and all their slots read back once
//   2: (entry point `gate` only) storage read_write array<DispatchArgs>: the indirect dispatch
//      arguments of the submission's batches, one per slot, written by the host
//
// Two entry points. `main` hashes one batch. `gate` runs as one invocation before each batch of
// a first-match search after the submission's first, and zeroes that batch's workgroup count
// when an earlier batch had a hit: the batch is then dispatched indirectly with no workgroups.
// So a first-match search records a group of batches in one submission and still stops at the
// first batch with a hit, and its answer is that batch's smallest hit, the lowest nonce (every
// batch before it ran in full and had none). The host code is src/workloads/sha256/gpu.rs.
//
// Pipeline constants (overrides), set per search by the host (src/workloads/sha256/gpu.rs
// `shader_build`): W0..W15, the padded message block (prefix, 8 zero bytes for the nonce, 0x80,
// zeros, the length in bits) as big-endian words; NONCE_AT, the prefix length (the nonce's byte
// offset); DIFFICULTY; and the midstate: MID_ROUNDS, the rounds before the first word that holds
// nonce bytes (NONCE_AT / 4: they depend on the prefix alone), and MID_A..MID_H, the working
// state after them, computed once on the host. As constants the driver folds the fixed words
// into the schedule and the rounds, and the nonce's word position into plain ORs.
//
// The 64 rounds and the 48 schedule words are unrolled by hand (generated once, then kept as
// text), with the round constants as literals: the loop and its 16-word sliding window are left
// to no driver's unroller. Rounds below 12 are each guarded by `MID_ROUNDS <= t`, a constant
// comparison the driver removes (a prefix is at most 47 bytes, so at most 11 rounds are in the
// midstate). For the default prefix "speedup" (7 bytes), the nonce starts in word 1: 1 round of
// 64 is in the midstate.
//
// Dispatch: 256 invocations per workgroup in x; more than 65535 workgroups are folded into y and
// the flat index rebuilt from num_workgroups (src/gpu/mod.rs `dispatch_size`).
//
// Runtime checks (wgpu's, off unless --checked-shaders) are not needed: there is no loop; the
// one store is guarded by index < count, and `results.slots` and `args` are indexed by the
// uniform slot, below the host's slot count; the divisors are the constant 4.

struct Sha256Params {
    // First nonce of the batch, low and high 32 bits.
    base_lo: u32,
    base_hi: u32,
    // Nonces in the batch (below 0xFFFFFFFF).
    count: u32,
    // This batch's slot in `results.slots` and `args`.
    slot: u32,
}

struct Found {
    offset: atomic<u32>,
    matches: atomic<u32>,
}

struct Results {
    // Nonzero once a batch of this submission has a hit: `gate` reads it.
    hit: atomic<u32>,
    slots: array<Found>,
}

// Mirrors wgpu's DispatchIndirectArgs: the workgroup counts of one batch.
struct DispatchArgs {
    x: u32,
    y: u32,
    z: u32,
}

@group(0) @binding(0) var<uniform> params: Sha256Params;
@group(0) @binding(1) var<storage, read_write> results: Results;
@group(0) @binding(2) var<storage, read_write> args: array<DispatchArgs>;

const WORKGROUP_SIZE: u32 = 256u;

override W0: u32;
override W1: u32;
override W2: u32;
override W3: u32;
override W4: u32;
override W5: u32;
override W6: u32;
override W7: u32;
override W8: u32;
override W9: u32;
override W10: u32;
override W11: u32;
override W12: u32;
override W13: u32;
override W14: u32;
override W15: u32;
override NONCE_AT: u32;
override DIFFICULTY: u32;
override MID_ROUNDS: u32;
override MID_A: u32;
override MID_B: u32;
override MID_C: u32;
override MID_D: u32;
override MID_E: u32;
override MID_F: u32;
override MID_G: u32;
override MID_H: u32;

const H0 = array<u32, 8>(
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au, 0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
);

struct State {
    a: u32,
    b: u32,
    c: u32,
    d: u32,
    e: u32,
    f: u32,
    g: u32,
    h: u32,
}

fn rotr(x: u32, n: u32) -> u32 {
    return (x >> n) | (x << (32u - n));
}

fn bswap(x: u32) -> u32 {
    return (x >> 24u) | ((x >> 8u) & 0xff00u) | ((x << 8u) & 0xff0000u) | (x << 24u);
}

// One compression round with `kw` = K[t] + W[t].
fn sha_round(s: State, kw: u32) -> State {
    let t1 = s.h + (rotr(s.e, 6u) ^ rotr(s.e, 11u) ^ rotr(s.e, 25u)) + ((s.e & s.f) ^ (~s.e & s.g)) + kw;
    let t2 = (rotr(s.a, 2u) ^ rotr(s.a, 13u) ^ rotr(s.a, 22u)) + ((s.a & s.b) ^ (s.a & s.c) ^ (s.b & s.c));
    return State(t1 + t2, s.a, s.b, s.c, s.d + t1, s.e, s.f, s.g);
}

// W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16].
fn schedule(w2: u32, w7: u32, w15: u32, w16: u32) -> u32 {
    let s0 = rotr(w15, 7u) ^ rotr(w15, 18u) ^ (w15 >> 3u);
    let s1 = rotr(w2, 17u) ^ rotr(w2, 19u) ^ (w2 >> 10u);
    return s1 + w7 + s0 + w16;
}

// Message word `k` with the nonce's bytes in place. The nonce's 8 bytes, in message order, are
// bswap(lo) then bswap(hi) as big-endian words; starting NONCE_AT % 4 bytes into word
// NONCE_AT / 4, they spread over that word, the next and (unless the shift is 0) the one after.
// Every test here is on constants: the driver reduces each word to `fixed` or one OR.
fn word(k: u32, fixed: u32, lo_be: u32, hi_be: u32) -> u32 {
    let first = NONCE_AT / 4u;
    let shift = NONCE_AT % 4u;
    let s = 8u * shift;
    var n0 = lo_be >> s;
    var n1 = hi_be >> s;
    var n2 = 0u;
    // `& 31u`: a no-op where it runs (s is 8, 16 or 24), but with NONCE_AT a constant the
    // compiler evaluates the shift for shift 0 too, and a shift by 32 is an error there.
    if shift != 0u {
        n1 |= lo_be << ((32u - s) & 31u);
        n2 = hi_be << ((32u - s) & 31u);
    }
    var nonce = 0u;
    if k == first {
        nonce = n0;
    } else if k == first + 1u {
        nonce = n1;
    } else if k == first + 2u {
        nonce = n2;
    }
    return fixed | nonce;
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
    let lo_be = bswap(lo);
    let hi_be = bswap(hi);

    // The message words: fixed words from the overrides, the nonce's bytes OR-ed in.
    let w0 = word(0u, W0, lo_be, hi_be);
    let w1 = word(1u, W1, lo_be, hi_be);
    let w2 = word(2u, W2, lo_be, hi_be);
    let w3 = word(3u, W3, lo_be, hi_be);
    let w4 = word(4u, W4, lo_be, hi_be);
    let w5 = word(5u, W5, lo_be, hi_be);
    let w6 = word(6u, W6, lo_be, hi_be);
    let w7 = word(7u, W7, lo_be, hi_be);
    let w8 = word(8u, W8, lo_be, hi_be);
    let w9 = word(9u, W9, lo_be, hi_be);
    let w10 = word(10u, W10, lo_be, hi_be);
    let w11 = word(11u, W11, lo_be, hi_be);
    let w12 = word(12u, W12, lo_be, hi_be);
    let w13 = word(13u, W13, lo_be, hi_be);
    let w14 = word(14u, W14, lo_be, hi_be);
    let w15 = word(15u, W15, lo_be, hi_be);
    // The rounds before the nonce's first word were run on the host: start from that midstate.
    var s = State(MID_A, MID_B, MID_C, MID_D, MID_E, MID_F, MID_G, MID_H);
    if MID_ROUNDS <= 0u { s = sha_round(s, 0x428a2f98u + w0); }
    if MID_ROUNDS <= 1u { s = sha_round(s, 0x71374491u + w1); }
    if MID_ROUNDS <= 2u { s = sha_round(s, 0xb5c0fbcfu + w2); }
    if MID_ROUNDS <= 3u { s = sha_round(s, 0xe9b5dba5u + w3); }
    if MID_ROUNDS <= 4u { s = sha_round(s, 0x3956c25bu + w4); }
    if MID_ROUNDS <= 5u { s = sha_round(s, 0x59f111f1u + w5); }
    if MID_ROUNDS <= 6u { s = sha_round(s, 0x923f82a4u + w6); }
    if MID_ROUNDS <= 7u { s = sha_round(s, 0xab1c5ed5u + w7); }
    if MID_ROUNDS <= 8u { s = sha_round(s, 0xd807aa98u + w8); }
    if MID_ROUNDS <= 9u { s = sha_round(s, 0x12835b01u + w9); }
    if MID_ROUNDS <= 10u { s = sha_round(s, 0x243185beu + w10); }
    if MID_ROUNDS <= 11u { s = sha_round(s, 0x550c7dc3u + w11); }
    s = sha_round(s, 0x72be5d74u + w12);
    s = sha_round(s, 0x80deb1feu + w13);
    s = sha_round(s, 0x9bdc06a7u + w14);
    s = sha_round(s, 0xc19bf174u + w15);
    let w16 = schedule(w14, w9, w1, w0);
    s = sha_round(s, 0xe49b69c1u + w16);
    let w17 = schedule(w15, w10, w2, w1);
    s = sha_round(s, 0xefbe4786u + w17);
    let w18 = schedule(w16, w11, w3, w2);
    s = sha_round(s, 0x0fc19dc6u + w18);
    let w19 = schedule(w17, w12, w4, w3);
    s = sha_round(s, 0x240ca1ccu + w19);
    let w20 = schedule(w18, w13, w5, w4);
    s = sha_round(s, 0x2de92c6fu + w20);
    let w21 = schedule(w19, w14, w6, w5);
    s = sha_round(s, 0x4a7484aau + w21);
    let w22 = schedule(w20, w15, w7, w6);
    s = sha_round(s, 0x5cb0a9dcu + w22);
    let w23 = schedule(w21, w16, w8, w7);
    s = sha_round(s, 0x76f988dau + w23);
    let w24 = schedule(w22, w17, w9, w8);
    s = sha_round(s, 0x983e5152u + w24);
    let w25 = schedule(w23, w18, w10, w9);
    s = sha_round(s, 0xa831c66du + w25);
    let w26 = schedule(w24, w19, w11, w10);
    s = sha_round(s, 0xb00327c8u + w26);
    let w27 = schedule(w25, w20, w12, w11);
    s = sha_round(s, 0xbf597fc7u + w27);
    let w28 = schedule(w26, w21, w13, w12);
    s = sha_round(s, 0xc6e00bf3u + w28);
    let w29 = schedule(w27, w22, w14, w13);
    s = sha_round(s, 0xd5a79147u + w29);
    let w30 = schedule(w28, w23, w15, w14);
    s = sha_round(s, 0x06ca6351u + w30);
    let w31 = schedule(w29, w24, w16, w15);
    s = sha_round(s, 0x14292967u + w31);
    let w32 = schedule(w30, w25, w17, w16);
    s = sha_round(s, 0x27b70a85u + w32);
    let w33 = schedule(w31, w26, w18, w17);
    s = sha_round(s, 0x2e1b2138u + w33);
    let w34 = schedule(w32, w27, w19, w18);
    s = sha_round(s, 0x4d2c6dfcu + w34);
    let w35 = schedule(w33, w28, w20, w19);
    s = sha_round(s, 0x53380d13u + w35);
    let w36 = schedule(w34, w29, w21, w20);
    s = sha_round(s, 0x650a7354u + w36);
    let w37 = schedule(w35, w30, w22, w21);
    s = sha_round(s, 0x766a0abbu + w37);
    let w38 = schedule(w36, w31, w23, w22);
    s = sha_round(s, 0x81c2c92eu + w38);
    let w39 = schedule(w37, w32, w24, w23);
    s = sha_round(s, 0x92722c85u + w39);
    let w40 = schedule(w38, w33, w25, w24);
    s = sha_round(s, 0xa2bfe8a1u + w40);
    let w41 = schedule(w39, w34, w26, w25);
    s = sha_round(s, 0xa81a664bu + w41);
    let w42 = schedule(w40, w35, w27, w26);
    s = sha_round(s, 0xc24b8b70u + w42);
    let w43 = schedule(w41, w36, w28, w27);
    s = sha_round(s, 0xc76c51a3u + w43);
    let w44 = schedule(w42, w37, w29, w28);
    s = sha_round(s, 0xd192e819u + w44);
    let w45 = schedule(w43, w38, w30, w29);
    s = sha_round(s, 0xd6990624u + w45);
    let w46 = schedule(w44, w39, w31, w30);
    s = sha_round(s, 0xf40e3585u + w46);
    let w47 = schedule(w45, w40, w32, w31);
    s = sha_round(s, 0x106aa070u + w47);
    let w48 = schedule(w46, w41, w33, w32);
    s = sha_round(s, 0x19a4c116u + w48);
    let w49 = schedule(w47, w42, w34, w33);
    s = sha_round(s, 0x1e376c08u + w49);
    let w50 = schedule(w48, w43, w35, w34);
    s = sha_round(s, 0x2748774cu + w50);
    let w51 = schedule(w49, w44, w36, w35);
    s = sha_round(s, 0x34b0bcb5u + w51);
    let w52 = schedule(w50, w45, w37, w36);
    s = sha_round(s, 0x391c0cb3u + w52);
    let w53 = schedule(w51, w46, w38, w37);
    s = sha_round(s, 0x4ed8aa4au + w53);
    let w54 = schedule(w52, w47, w39, w38);
    s = sha_round(s, 0x5b9cca4fu + w54);
    let w55 = schedule(w53, w48, w40, w39);
    s = sha_round(s, 0x682e6ff3u + w55);
    let w56 = schedule(w54, w49, w41, w40);
    s = sha_round(s, 0x748f82eeu + w56);
    let w57 = schedule(w55, w50, w42, w41);
    s = sha_round(s, 0x78a5636fu + w57);
    let w58 = schedule(w56, w51, w43, w42);
    s = sha_round(s, 0x84c87814u + w58);
    let w59 = schedule(w57, w52, w44, w43);
    s = sha_round(s, 0x8cc70208u + w59);
    let w60 = schedule(w58, w53, w45, w44);
    s = sha_round(s, 0x90befffau + w60);
    let w61 = schedule(w59, w54, w46, w45);
    s = sha_round(s, 0xa4506cebu + w61);
    let w62 = schedule(w60, w55, w47, w46);
    s = sha_round(s, 0xbef9a3f7u + w62);
    let w63 = schedule(w61, w56, w48, w47);
    s = sha_round(s, 0xc67178f2u + w63);


    // Only the first 64 bits of the digest matter: difficulty is at most 64.
    let d0 = H0[0] + s.a;
    let d1 = H0[1] + s.b;
    var zeros = countLeadingZeros(d0);
    if d0 == 0u {
        zeros = 32u + countLeadingZeros(d1);
    }
    if zeros >= DIFFICULTY {
        atomicMin(&results.slots[params.slot].offset, index);
        atomicAdd(&results.slots[params.slot].matches, 1u);
        atomicStore(&results.hit, 1u);
    }
}

// Before batch `params.slot` of a first-match submission: no workgroups for it once an earlier
// batch has had a hit. wgpu puts a barrier between this dispatch and the ones before (they
// write `results`) and after (which read `args` as indirect arguments).
@compute @workgroup_size(1)
fn gate() {
    if atomicLoad(&results.hit) != 0u {
        args[params.slot].x = 0u;
    }
}
