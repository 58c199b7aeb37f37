/* N-body peer: speedup's nbody workload (src/workloads/nbody) in C, structure of arrays, built
 * with -O3 -march=native -ffast-math (peers/build.sh): GCC vectorises the inner loop to the
 * widest vectors the CPU has and computes 1/sqrtf(r2) as rsqrt plus one Newton-Raphson step,
 * what a GPU's inverseSqrt does.
 *
 * Same problem: the bodies of speedup's Bodies::cluster(N, 42) (SplitMix64 from seed 42, points
 * uniform in the unit ball by rejection, mass 1/N, velocities uniform in +-0.1), all-pairs
 * gravity with G = 1 and Plummer softening eps = 0.05 (each body's pull on itself is 0, so the
 * sum runs over every j), then the symplectic Euler step v += a dt, r += v dt with dt = 1e-3,
 * STEPS times, positions double-buffered so every body of a step sees the same positions.
 * The work is N^2 body-interactions per step, speedup's unit.
 *
 * Checksum: the kinetic energy sum(m |v|^2 / 2) after the steps, in f64 (speedup's bench row
 * reports it as "kinetic"). The forces move it (unlike the sum of positions, which momentum
 * conservation fixes whatever the forces): rsqrt + Newton against speedup's exact 1/sqrt agrees
 * to ~4e-10 relative at 1024:4, while a systematic 1e-4 error in 1/r moves it by 5e-7, so the
 * 1e-8 bound of scripts/peers.py and tests/peers.rs tells them apart. */
#include "common.h"

#include <math.h>

typedef struct {
    float *x, *y, *z, *m, *vx, *vy, *vz, *xn, *yn, *zn;
} bodies;

/* One uniform draw in [-1, 1) exactly as speedup's: 24 random bits, exact in f32 throughout. */
static float unit(splitmix64 *rng) {
    return (float)(splitmix64_next(rng) >> 40) / 16777216.0f * 2.0f - 1.0f;
}

/* Bodies::cluster(n, seed). The rejection test goes through volatile floats: under -ffast-math
 * GCC could fuse x*x + y*y + z*z and, on a point just at the ball's edge, keep a different set of
 * bodies than speedup does. */
static void cluster(bodies *b, uint32_t n, uint64_t seed) {
    splitmix64 rng = {seed};
    volatile float one = 1.0f;
    float mass = one / (float)n;
    uint32_t i = 0;
    while (i < n) {
        float x = unit(&rng), y = unit(&rng), z = unit(&rng);
        volatile float xx = x * x, yy = y * y, zz = z * z;
        volatile float xy = xx + yy;
        volatile float r2 = xy + zz;
        if (r2 > 1.0f) continue;
        b->x[i] = x, b->y[i] = y, b->z[i] = z, b->m[i] = mass;
        /* one statement each: the draws must come in speedup's order */
        b->vx[i] = unit(&rng) * 0.1f;
        b->vy[i] = unit(&rng) * 0.1f;
        b->vz[i] = unit(&rng) * 0.1f;
        i++;
    }
}

/* One step: accelerations from (x, y, z), new positions into (xn, yn, zn). */
static void step(const float *restrict x, const float *restrict y, const float *restrict z,
                 const float *restrict m, float *restrict vx, float *restrict vy, float *restrict vz,
                 float *restrict xn, float *restrict yn, float *restrict zn, uint32_t n, float eps2,
                 float dt) {
    for (uint32_t i = 0; i < n; i++) {
        const float xi = x[i], yi = y[i], zi = z[i];
        float ax = 0.0f, ay = 0.0f, az = 0.0f;
        for (uint32_t j = 0; j < n; j++) {
            float dx = x[j] - xi, dy = y[j] - yi, dz = z[j] - zi;
            float inv = 1.0f / sqrtf(dx * dx + dy * dy + dz * dz + eps2);
            float s = m[j] * inv * inv * inv;
            ax += dx * s;
            ay += dy * s;
            az += dz * s;
        }
        vx[i] += ax * dt;
        vy[i] += ay * dt;
        vz[i] += az * dt;
        xn[i] = xi + vx[i] * dt;
        yn[i] = yi + vy[i] * dt;
        zn[i] = zi + vz[i] * dt;
    }
}

static float *array(uint32_t n) {
    float *a = aligned_alloc(64, ((size_t)n * sizeof(float) + 63) / 64 * 64);
    if (!a) usage_error("nbody", "out of memory for bodies:", "");
    return a;
}

int main(int argc, char **argv) {
    if (argc < 2) usage_error("nbody", "usage: nbody N[:STEPS] [REPS]; got no size", "");
    const char *size = argv[1], *p;
    uint64_t n = parse_count(size, &p), steps = 4;
    if (p != size && *p == ':') {
        const char *q = p + 1;
        steps = parse_count(q, &p);
        if (p == q) usage_error("nbody", "size must be N or N:STEPS, got", size);
    }
    if (p == size || *p != '\0' || n == 0 || n > 65535u * 256u || steps == 0 || steps > 1000000)
        usage_error("nbody", "size must be N[:STEPS] with 1 <= N <= 16776960, 1 <= STEPS <= 10^6, got", size);
    int reps = parse_reps(argc, argv, 3, "nbody");
    const float dt = 1e-3f, softening = 0.05f, eps2 = softening * softening;

    bodies init, b;
    float **fields[] = {&init.x, &init.y, &init.z, &init.m, &init.vx, &init.vy, &init.vz,
                        &b.x, &b.y, &b.z, &b.m, &b.vx, &b.vy, &b.vz, &b.xn, &b.yn, &b.zn};
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) *fields[k] = array((uint32_t)n);
    cluster(&init, (uint32_t)n, 42);
    double *seconds = malloc((size_t)reps * sizeof *seconds);
    double kinetic = 0.0;
    for (int r = 0; r < reps; r++) {
        /* every repetition starts again from the initial bodies, as speedup's runs do */
        size_t bytes = (size_t)n * sizeof(float);
        memcpy(b.x, init.x, bytes), memcpy(b.y, init.y, bytes), memcpy(b.z, init.z, bytes);
        memcpy(b.m, init.m, bytes), memcpy(b.vx, init.vx, bytes), memcpy(b.vy, init.vy, bytes);
        memcpy(b.vz, init.vz, bytes);
        double start = now_seconds();
        for (uint64_t s = 0; s < steps; s++) {
            step(b.x, b.y, b.z, b.m, b.vx, b.vy, b.vz, b.xn, b.yn, b.zn, (uint32_t)n, eps2, dt);
            float *t;
            t = b.x, b.x = b.xn, b.xn = t;
            t = b.y, b.y = b.yn, b.yn = t;
            t = b.z, b.z = b.zn, b.zn = t;
        }
        seconds[r] = now_seconds() - start;
        kinetic = 0.0;
        for (uint64_t i = 0; i < n; i++)
            kinetic += 0.5 * (double)b.m[i] *
                       ((double)b.vx[i] * b.vx[i] + (double)b.vy[i] * b.vy[i] + (double)b.vz[i] * b.vz[i]);
    }
    char checksum[32];
    snprintf(checksum, sizeof checksum, "%.9e", kinetic);
    report("nbody", NATIVE_ISA, size, reps, seconds, (double)n * (double)n * (double)steps,
           "body-interactions", checksum, "");
    return 0;
}
