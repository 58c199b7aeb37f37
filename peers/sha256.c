/* SHA-256 search peer: speedup's sha256 workload (src/workloads/sha256) with OpenSSL's SHA-256
 * compression function (libcrypto's SHA256_Transform: its assembly, SHA-NI where the CPU has
 * it, AVX2 or SSSE3 otherwise, picked at run time by OpenSSL), built with -O3 -march=native
 * -lcrypto (peers/build.sh).
 *
 * Same problem: an exhaustive search of nonces 0..N for SHA-256("speedup" || nonce as 8 bytes
 * little-endian) with at least K leading zero bits (size N or N:K, K = 16 by default). The
 * 15-byte message and its padding fit one 64-byte block, built once; each nonce writes its 8
 * bytes into it and runs one compression from the initial hash value: one compression per hash,
 * speedup's unit. The zero bits are counted on the first two state words, as speedup's kernel
 * does. Checksum: the number of hits, with the smallest nonce as smallest=..., both exact.
 *
 * `openssl speed` (run by scripts/peers.sh) is the other SHA-256 yardstick: one stream of long
 * messages, its bytes/s / 64 = compressions/s without any per-call cost. */
#define OPENSSL_API_COMPAT 0x10100000L
#define OPENSSL_SUPPRESS_DEPRECATED
#include "common.h"

#include <openssl/sha.h>

static const char PREFIX[] = "speedup";

int main(int argc, char **argv) {
    if (argc < 2) usage_error("sha256", "usage: sha256 N[:K] [REPS]; got no size", "");
    const char *size = argv[1], *p;
    uint64_t count = parse_count(size, &p), difficulty = 16;
    if (p != size && *p == ':') {
        const char *q = p + 1;
        difficulty = parse_count(q, &p);
        if (p == q) usage_error("sha256", "size must be N or N:K, got", size);
    }
    if (p == size || *p != '\0' || count == 0 || difficulty == 0 || difficulty > 64)
        usage_error("sha256", "size must be N[:K] with N >= 1 nonces, 1 <= K <= 64, got", size);
    int reps = parse_reps(argc, argv, 3, "sha256");

    size_t len = sizeof PREFIX - 1;
    unsigned char block[64] = {0};
    memcpy(block, PREFIX, len);
    block[len + 8] = 0x80;
    uint64_t bits = (len + 8) * 8;
    for (int k = 0; k < 8; k++) block[56 + k] = (unsigned char)(bits >> (56 - 8 * k));
    SHA256_CTX initial;
    SHA256_Init(&initial);

    double *seconds = malloc((size_t)reps * sizeof *seconds);
    uint64_t hits = 0, smallest = UINT64_MAX;
    for (int r = 0; r < reps; r++) {
        uint64_t h = 0, first = UINT64_MAX;
        double start = now_seconds();
        for (uint64_t nonce = 0; nonce < count; nonce++) {
            for (int k = 0; k < 8; k++) block[len + k] = (unsigned char)(nonce >> (8 * k));
            SHA256_CTX ctx = initial;
            SHA256_Transform(&ctx, block);
            uint32_t zeros = ctx.h[0] ? (uint32_t)__builtin_clz(ctx.h[0])
                                      : 32 + (ctx.h[1] ? (uint32_t)__builtin_clz(ctx.h[1]) : 32);
            if (zeros >= difficulty) {
                if (first == UINT64_MAX) first = nonce;
                h++;
            }
        }
        seconds[r] = now_seconds() - start;
        hits = h, smallest = first;
    }
    char checksum[32], extra[48];
    snprintf(checksum, sizeof checksum, "%llu", (unsigned long long)hits);
    if (smallest == UINT64_MAX)
        snprintf(extra, sizeof extra, "smallest=none");
    else
        snprintf(extra, sizeof extra, "smallest=%llu", (unsigned long long)smallest);
    report("sha256", "openssl", size, reps, seconds, (double)count, "hashes", checksum, extra);
    return 0;
}
