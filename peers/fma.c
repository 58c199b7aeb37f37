/* FMA-throughput peer: the f32 floating-point ceiling of one core, the yardstick for issue 23's
 * measured serial FMA ceiling (`speedup` measures its own; this is the hand-written loop it must
 * come within 10% of).
 *
 * Many independent chains acc <- acc * m + c, each one vector wide: a fused multiply-add has a
 * latency of 4-5 cycles and a core issues 2 per cycle, so at least 8-10 chains must be in flight
 * to fill both pipes. AVX2 uses 12 chains of 8 lanes (14 of the 16 ymm registers with m and c);
 * AVX-512 uses 24 chains of 16 lanes (of 32 zmm registers). m = 0.999 and c = 0.001 keep every
 * value in [0, 1.4]: no overflow, no subnormals. Work: 2 flop per lane per FMA.
 *
 * MODE `fma` (default) or `muladd`: the same chains with a separate multiply and add (both
 * rounded: Mandelbrot's kernels are unfused on purpose, so their roof is this one), 2 flop per
 * lane per pair. Built with -O2 -ffp-contract=off (peers/build.sh) so the muladd chains stay
 * unfused. The level is picked at run time (AVX-512F, else AVX2+FMA); PEER_ISA=avx512|avx2
 * forces one (exit 3 when this CPU lacks it). SIZE is the number of loop trips (e.g. 2^26).
 *
 * Checksum: chain 0's first lane after SIZE trips, which a scalar loop of fmaf (or of a rounded
 * multiply then add) reproduces exactly, so anyone can check the loop really ran. */
#include "common.h"

#include <stdbool.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PEER_X86 1
#endif

static const float M = 0.999f, C = 0.001f;

#ifdef PEER_X86
/* Chain k starts at k/64, so no two chains are the same value (nothing to merge); chain 0 starts
 * at 0 and approaches 1 as 1 - 0.999^t, so its value after a few thousand trips says how many
 * ran, and fused and unfused rounding give different values. */
#define CHAINS_AVX2 12
#define CHAINS_AVX512 24

#define DEFINE_KERNEL(name, tgt, vec, set1, op, store, chains, lanes)                     \
    __attribute__((target(tgt))) static float name(uint64_t trips) {                    \
        vec m = set1(M), c = set1(C), acc[chains];                                          \
        for (int k = 0; k < chains; k++) acc[k] = set1((float)k / 64.0f);            \
        for (uint64_t t = 0; t < trips; t++) {                                              \
            _Pragma("GCC unroll 24") for (int k = 0; k < chains; k++) acc[k] = op(acc[k], m, c); \
        }                                                                                   \
        float out[lanes] __attribute__((aligned(64)));                                      \
        store(out, acc[0]);                                                                 \
        /* keep every chain live: fold the others into a value the compiler must compute */ \
        float sink = 0.0f;                                                                  \
        for (int k = 1; k < chains; k++) {                                                  \
            float o[lanes] __attribute__((aligned(64)));                                    \
            store(o, acc[k]);                                                               \
            sink += o[0];                                                                   \
        }                                                                                   \
        __asm__ volatile("" : : "x"(sink));                                                 \
        return out[0];                                                                      \
    }

#define FMA256(a, m, c) _mm256_fmadd_ps(a, m, c)
#define MULADD256(a, m, c) _mm256_add_ps(_mm256_mul_ps(a, m), c)
#define FMA512(a, m, c) _mm512_fmadd_ps(a, m, c)
#define MULADD512(a, m, c) _mm512_add_ps(_mm512_mul_ps(a, m), c)

DEFINE_KERNEL(fma_avx2, "avx2,fma", __m256, _mm256_set1_ps, FMA256, _mm256_store_ps, CHAINS_AVX2, 8)
DEFINE_KERNEL(muladd_avx2, "avx2,fma", __m256, _mm256_set1_ps, MULADD256, _mm256_store_ps, CHAINS_AVX2, 8)
DEFINE_KERNEL(fma_avx512, "avx512f", __m512, _mm512_set1_ps, FMA512, _mm512_store_ps, CHAINS_AVX512, 16)
DEFINE_KERNEL(muladd_avx512, "avx512f", __m512, _mm512_set1_ps, MULADD512, _mm512_store_ps, CHAINS_AVX512, 16)
#endif

int main(int argc, char **argv) {
    if (argc < 2) usage_error("fma", "usage: fma TRIPS [REPS] [fma|muladd]; got no size", "");
    const char *size = argv[1], *p;
    uint64_t trips = parse_count(size, &p);
    if (p == size || *p != '\0' || trips == 0 || trips > (1ull << 40))
        usage_error("fma", "TRIPS must be 1..2^40 (e.g. 2^26), got", size);
    int reps = parse_reps(argc, argv, 5, "fma");
    const char *mode = argc > 3 ? argv[3] : "fma";
    bool fused = strcmp(mode, "fma") == 0;
    if (!fused && strcmp(mode, "muladd") != 0) usage_error("fma", "MODE must be fma or muladd, got", mode);
#ifdef PEER_X86
    __builtin_cpu_init();
    bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    bool has_avx512 = __builtin_cpu_supports("avx512f");
    const char *forced = getenv("PEER_ISA");
    const char *isa = has_avx512 ? "avx512" : "avx2";
    if (forced && *forced) {
        if (strcmp(forced, "avx512") != 0 && strcmp(forced, "avx2") != 0)
            usage_error("fma", "PEER_ISA must be avx512 or avx2, got", forced);
        isa = forced;
    }
    bool wide = strcmp(isa, "avx512") == 0;
    if ((wide && !has_avx512) || (!wide && !has_avx2)) {
        fprintf(stderr, "fma: this CPU has no %s\n", wide ? "AVX-512" : "AVX2 with FMA");
        return 3;
    }
    float (*kernel)(uint64_t) = wide ? (fused ? fma_avx512 : muladd_avx512) : (fused ? fma_avx2 : muladd_avx2);
    double per_trip = wide ? CHAINS_AVX512 * 16.0 * 2.0 : CHAINS_AVX2 * 8.0 * 2.0;
    double *seconds = malloc((size_t)reps * sizeof *seconds);
    float value = 0.0f;
    for (int r = 0; r < reps; r++) {
        double start = now_seconds();
        value = kernel(trips);
        seconds[r] = now_seconds() - start;
    }
    char checksum[32], extra[32];
    snprintf(checksum, sizeof checksum, "%.9g", (double)value);
    snprintf(extra, sizeof extra, "mode=%s", mode);
    report("fma", isa, size, reps, seconds, per_trip * (double)trips, "flop", checksum, extra);
    return 0;
#else
    (void)reps, (void)fused;
    fprintf(stderr, "fma: only x86-64 kernels are written (AVX2+FMA, AVX-512)\n");
    return 3;
#endif
}
