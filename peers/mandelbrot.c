/* Mandelbrot peer: speedup's mandelbrot workload (src/workloads/mandelbrot) written in C as a
 * strong engineer would, to measure speedup's CPU kernels against.
 *
 * Same problem: the region -2..0.5 x -1.25..1.25, pixel centres
 *   cr = re_min + (x + 0.5) * dx,  ci = im_max - (y + 0.5) * dy,  dx = (re_max - re_min) / W,
 * all in f32; z <- z^2 + c from 0 while |z|^2 <= 4, at most MAX_ITER times, in the order of
 * speedup's escape_count: zr2 = zr*zr, zi2 = zi*zi, test zr2 + zi2 > 4, then
 * zi = (zr + zr) * zi + ci (2*zr is exact either way), zr = (zr2 - zi2) + cr.
 * Same arithmetic: every multiply and add rounded separately. GCC contracts a*b + c into an FMA
 * even across intrinsics unless told not to, so this file must be built with -ffp-contract=off
 * (peers/build.sh does); then every pixel's count is bit-identical to speedup's and the
 * checksum, the total of the counts (speedup's work in pixel-iterations), is equal.
 *
 * Fast: whole rows are swept by 4 independent vectors at once (4 x 16 pixels with AVX-512, 4 x 8
 * with AVX2), iterated in lockstep until every lane of all four has escaped. One vector alone
 * would leave the FP units idle: each iteration is a chain of dependent mul, sub/add (~3 x 3-4
 * cycles latency), so four independent chains keep both pipes busy. Escaped lanes keep iterating
 * (masked out of the count); the group stops when the last lane escapes.
 *
 * The level is picked at run time (__builtin_cpu_supports): AVX-512F, else AVX2, else scalar;
 * PEER_ISA=avx512|avx2|scalar forces one (exit 3 when this CPU lacks it). */
#include "common.h"

#include <stdbool.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PEER_X86 1
#endif

typedef struct {
    uint32_t width, height, max_iter;
    float re_min, im_max, dx, dy;
} job;

static inline float row_ci(const job *j, uint32_t y) { return j->im_max - ((float)y + 0.5f) * j->dy; }

/* Counts of one group written to row[x0..], only the lanes inside the image. */
static inline void store_group(uint32_t *row, uint32_t x0, uint32_t width, const uint32_t *group,
                               uint32_t group_len) {
    uint32_t n = width - x0 < group_len ? width - x0 : group_len;
    memcpy(row + x0, group, n * sizeof *group);
}

static void image_scalar(const job *j, uint32_t *counts) {
    for (uint32_t y = 0; y < j->height; y++) {
        float ci = row_ci(j, y);
        for (uint32_t x = 0; x < j->width; x++) {
            float cr = j->re_min + ((float)x + 0.5f) * j->dx;
            float zr = 0.0f, zi = 0.0f;
            uint32_t i = 0;
            while (i < j->max_iter) {
                float zr2 = zr * zr, zi2 = zi * zi;
                if (zr2 + zi2 > 4.0f) break;
                zi = (zr + zr) * zi + ci;
                zr = (zr2 - zi2) + cr;
                i++;
            }
            counts[(size_t)y * j->width + x] = i;
        }
    }
}

#ifdef PEER_X86
#define VECS 4

__attribute__((target("avx2"))) static void image_avx2(const job *j, uint32_t *counts) {
    enum { L = 8, G = VECS * L };
    const __m256 four = _mm256_set1_ps(4.0f), half = _mm256_set1_ps(0.5f);
    const __m256 re_min = _mm256_set1_ps(j->re_min), dx = _mm256_set1_ps(j->dx);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    uint32_t group[G] __attribute__((aligned(32)));
    for (uint32_t y = 0; y < j->height; y++) {
        const __m256 ci = _mm256_set1_ps(row_ci(j, y));
        uint32_t *row = counts + (size_t)y * j->width;
        for (uint32_t x0 = 0; x0 < j->width; x0 += G) {
            __m256 cr[VECS], zr[VECS], zi[VECS], active[VECS];
            __m256i count[VECS];
            for (int v = 0; v < VECS; v++) {
                __m256i x = _mm256_add_epi32(_mm256_set1_epi32((int)(x0 + v * L)), lane);
                cr[v] = _mm256_add_ps(re_min, _mm256_mul_ps(_mm256_add_ps(_mm256_cvtepi32_ps(x), half), dx));
                zr[v] = zi[v] = _mm256_setzero_ps();
                active[v] = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
                count[v] = _mm256_setzero_si256();
            }
            for (uint32_t it = 0; it < j->max_iter; it++) {
                for (int v = 0; v < VECS; v++) {
                    __m256 zr2 = _mm256_mul_ps(zr[v], zr[v]);
                    __m256 zi2 = _mm256_mul_ps(zi[v], zi[v]);
                    __m256 inside = _mm256_cmp_ps(_mm256_add_ps(zr2, zi2), four, _CMP_LE_OQ);
                    active[v] = _mm256_and_ps(active[v], inside);
                    /* an active lane is all ones, -1 as an integer: subtracting counts it */
                    count[v] = _mm256_sub_epi32(count[v], _mm256_castps_si256(active[v]));
                    zi[v] = _mm256_add_ps(_mm256_mul_ps(_mm256_add_ps(zr[v], zr[v]), zi[v]), ci);
                    zr[v] = _mm256_add_ps(_mm256_sub_ps(zr2, zi2), cr[v]);
                }
                __m256 any = _mm256_or_ps(_mm256_or_ps(active[0], active[1]), _mm256_or_ps(active[2], active[3]));
                if (_mm256_testz_ps(any, any)) break;
            }
            for (int v = 0; v < VECS; v++) _mm256_store_si256((__m256i *)(group + v * L), count[v]);
            store_group(row, x0, j->width, group, G);
        }
    }
}

__attribute__((target("avx512f"))) static void image_avx512(const job *j, uint32_t *counts) {
    enum { L = 16, G = VECS * L };
    const __m512 four = _mm512_set1_ps(4.0f), half = _mm512_set1_ps(0.5f);
    const __m512 re_min = _mm512_set1_ps(j->re_min), dx = _mm512_set1_ps(j->dx);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i one = _mm512_set1_epi32(1);
    uint32_t group[G] __attribute__((aligned(64)));
    for (uint32_t y = 0; y < j->height; y++) {
        const __m512 ci = _mm512_set1_ps(row_ci(j, y));
        uint32_t *row = counts + (size_t)y * j->width;
        for (uint32_t x0 = 0; x0 < j->width; x0 += G) {
            __m512 cr[VECS], zr[VECS], zi[VECS];
            __m512i count[VECS];
            __mmask16 active[VECS];
            for (int v = 0; v < VECS; v++) {
                __m512i x = _mm512_add_epi32(_mm512_set1_epi32((int)(x0 + v * L)), lane);
                cr[v] = _mm512_add_ps(re_min, _mm512_mul_ps(_mm512_add_ps(_mm512_cvtepi32_ps(x), half), dx));
                zr[v] = zi[v] = _mm512_setzero_ps();
                active[v] = 0xffff;
                count[v] = _mm512_setzero_si512();
            }
            for (uint32_t it = 0; it < j->max_iter; it++) {
                for (int v = 0; v < VECS; v++) {
                    __m512 zr2 = _mm512_mul_ps(zr[v], zr[v]);
                    __m512 zi2 = _mm512_mul_ps(zi[v], zi[v]);
                    active[v] = _mm512_mask_cmp_ps_mask(active[v], _mm512_add_ps(zr2, zi2), four, _CMP_LE_OQ);
                    count[v] = _mm512_mask_add_epi32(count[v], active[v], count[v], one);
                    zi[v] = _mm512_add_ps(_mm512_mul_ps(_mm512_add_ps(zr[v], zr[v]), zi[v]), ci);
                    zr[v] = _mm512_add_ps(_mm512_sub_ps(zr2, zi2), cr[v]);
                }
                if ((active[0] | active[1] | active[2] | active[3]) == 0) break;
            }
            for (int v = 0; v < VECS; v++) _mm512_store_si512((void *)(group + v * L), count[v]);
            store_group(row, x0, j->width, group, G);
        }
    }
}
#endif

typedef void (*kernel)(const job *, uint32_t *);

/* The kernel for PEER_ISA, or the best this CPU runs. */
static kernel pick(const char **isa) {
    const char *forced = getenv("PEER_ISA");
    bool has_avx2 = false, has_avx512 = false;
#ifdef PEER_X86
    __builtin_cpu_init();
    has_avx2 = __builtin_cpu_supports("avx2");
    has_avx512 = __builtin_cpu_supports("avx512f");
#endif
    if (forced && *forced) {
        *isa = forced;
        if (strcmp(forced, "scalar") == 0) return image_scalar;
#ifdef PEER_X86
        if (strcmp(forced, "avx2") == 0 && has_avx2) return image_avx2;
        if (strcmp(forced, "avx512") == 0 && has_avx512) return image_avx512;
#endif
        if (strcmp(forced, "avx2") == 0 || strcmp(forced, "avx512") == 0) {
            fprintf(stderr, "mandelbrot: PEER_ISA=%s: this CPU has no %s\n", forced,
                    strcmp(forced, "avx2") == 0 ? "AVX2" : "AVX-512");
            exit(3);
        }
        usage_error("mandelbrot", "PEER_ISA must be avx512, avx2 or scalar, got", forced);
    }
#ifdef PEER_X86
    if (has_avx512) return *isa = "avx512", image_avx512;
    if (has_avx2) return *isa = "avx2", image_avx2;
#endif
    *isa = "scalar";
    return image_scalar;
}

int main(int argc, char **argv) {
    if (argc < 2) usage_error("mandelbrot", "usage: mandelbrot WxH[:MAX_ITER] [REPS]; got no size", "");
    const char *size = argv[1], *p;
    uint64_t w = parse_count(size, &p), h = w, max_iter = 1000;
    if (p != size && *p == 'x') {
        const char *q = p + 1;
        h = parse_count(q, &p);
        if (p == q) usage_error("mandelbrot", "size must be WxH or WxH:MAX_ITER, got", size);
    }
    if (p != size && *p == ':') {
        const char *q = p + 1;
        max_iter = parse_count(q, &p);
        if (p == q) usage_error("mandelbrot", "size must be WxH or WxH:MAX_ITER, got", size);
    }
    if (p == size || *p != '\0' || w == 0 || h == 0 || w > (1u << 24) || h > (1u << 24) ||
        max_iter == 0 || max_iter > 1000000)
        usage_error("mandelbrot", "size must be WxH[:MAX_ITER] with 1..2^24 per side, max_iter 1..10^6, got", size);
    int reps = parse_reps(argc, argv, 5, "mandelbrot");

    /* The region and the pixel size exactly as speedup computes them, in f32. */
    const float re_min = -2.0f, im_min = -1.25f, re_max = 0.5f, im_max = 1.25f;
    job j = {(uint32_t)w, (uint32_t)h, (uint32_t)max_iter, re_min, im_max,
             (re_max - re_min) / (float)w, (im_max - im_min) / (float)h};
    const char *isa;
    kernel run = pick(&isa);
    uint32_t *counts = malloc((size_t)w * h * sizeof *counts);
    double *seconds = malloc((size_t)reps * sizeof *seconds);
    if (!counts || !seconds) usage_error("mandelbrot", "out of memory for size", size);
    uint64_t total = 0;
    for (int r = 0; r < reps; r++) {
        double start = now_seconds();
        run(&j, counts);
        seconds[r] = now_seconds() - start;
        uint64_t sum = 0;
        for (size_t i = 0; i < (size_t)w * h; i++) sum += counts[i];
        if (r > 0 && sum != total) {
            fprintf(stderr, "mandelbrot: repetition %d counted %llu iterations, the first %llu\n", r,
                    (unsigned long long)sum, (unsigned long long)total);
            return 1;
        }
        total = sum;
    }
    char checksum[32];
    snprintf(checksum, sizeof checksum, "%llu", (unsigned long long)total);
    report("mandelbrot", isa, size, reps, seconds, (double)total, "pixel-iterations", checksum, "");
    free(counts);
    free(seconds);
    return 0;
}
