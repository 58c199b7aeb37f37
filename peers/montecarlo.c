/* Monte Carlo pi peer: speedup's montecarlo workload (src/workloads/montecarlo) in C, built with
 * -O3 -march=native (peers/build.sh): GCC vectorises the counting loop over the hash (vpmulld,
 * shifts, xors) to the widest integer vectors the CPU has.
 *
 * Same problem, same arithmetic: sample i is h = mix32(lo(i) ^ mix32(hi(i) ^ key)), key =
 * mix32(seed_lo ^ mix32(seed_hi ^ 0x9e3779b9)), seed 2024; its point is x = 2(h >> 17) + 1,
 * y = 2((h >> 2) & 0x7fff) + 1 and it is a hit when x^2 + y^2 < 2^32, tested in wrapping u32 as
 * x*x < 0 - y*y (speedup's kernels' form). Checksum: the hit count, exact. */
#include "common.h"

/* "lowbias32" (Chris Wellons), speedup's mix32. */
static inline uint32_t mix32(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/* Hits among the `len` samples whose low index words start at `lo`, within one 2^32 block
 * whose high word's mix is `mixed_hi`. Everything in 32 bits (index, hit count), so the
 * vectoriser keeps 8 (AVX2) or 16 (AVX-512) samples per vector instead of widening to 64-bit
 * lanes: one hash, one compare and one subtract per vector of samples. */
static uint32_t count_chunk(uint32_t lo, uint32_t len, uint32_t mixed_hi) {
    uint32_t hits = 0;
    for (uint32_t k = 0; k < len; k++) {
        uint32_t h = mix32((lo + k) ^ mixed_hi);
        uint32_t x = 2 * (h >> 17) + 1;
        uint32_t y = 2 * ((h >> 2) & 0x7fff) + 1;
        hits += x * x < 0u - y * y;
    }
    return hits;
}

/* Samples per count_chunk call: its u32 count cannot overflow, and the call overhead vanishes. */
#define CHUNK (1u << 24)

static uint64_t count_block(uint64_t lo, uint64_t hi, uint32_t mixed_hi) {
    uint64_t hits = 0;
    for (uint64_t i = lo; i < hi; i += CHUNK) {
        uint64_t len = hi - i < CHUNK ? hi - i : CHUNK;
        hits += count_chunk((uint32_t)i, (uint32_t)len, mixed_hi);
    }
    return hits;
}

static uint64_t count(uint64_t first, uint64_t samples, uint64_t seed) {
    uint32_t key = mix32((uint32_t)seed ^ mix32((uint32_t)(seed >> 32) ^ 0x9e3779b9u));
    uint64_t hits = 0, end = first + samples;
    for (uint64_t i = first; i < end;) {
        uint64_t hi = i >> 32, block_end = (hi + 1) << 32;
        if (block_end > end || block_end == 0) block_end = end;
        hits += count_block(i, block_end, mix32((uint32_t)hi ^ key));
        i = block_end;
    }
    return hits;
}

int main(int argc, char **argv) {
    if (argc < 2) usage_error("montecarlo", "usage: montecarlo SAMPLES [REPS] [SEED] [FIRST]; got no size", "");
    const char *size = argv[1], *p;
    uint64_t samples = parse_count(size, &p);
    if (p == size || *p != '\0' || samples == 0 || samples > (1ull << 48))
        usage_error("montecarlo", "SAMPLES must be 1..2^48 (e.g. 2^28), got", size);
    int reps = parse_reps(argc, argv, 5, "montecarlo");
    /* seed and first index: speedup's defaults, or others for tests/peers.rs */
    uint64_t seed = 2024, first = 0;
    if (argc > 3) {
        seed = parse_count(argv[3], &p);
        if (p == argv[3] || *p) usage_error("montecarlo", "SEED must be a whole number, got", argv[3]);
    }
    if (argc > 4) {
        first = parse_count(argv[4], &p);
        if (p == argv[4] || *p || first + samples < first)
            usage_error("montecarlo", "FIRST must be a whole number with FIRST + SAMPLES < 2^64, got", argv[4]);
    }
    double *seconds = malloc((size_t)reps * sizeof *seconds);
    uint64_t hits = 0;
    for (int r = 0; r < reps; r++) {
        double start = now_seconds();
        uint64_t h = count(first, samples, seed);
        seconds[r] = now_seconds() - start;
        if (r > 0 && h != hits) {
            fprintf(stderr, "montecarlo: repetition %d counted %llu hits, the first %llu\n", r,
                    (unsigned long long)h, (unsigned long long)hits);
            return 1;
        }
        hits = h;
    }
    char checksum[32];
    snprintf(checksum, sizeof checksum, "%llu", (unsigned long long)hits);
    report("montecarlo", NATIVE_ISA, size, reps, seconds, (double)samples, "samples", checksum, "");
    return 0;
}
