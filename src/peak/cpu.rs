//! CPU ceilings: compute microkernels in inline assembly and bandwidth loops per cache level, on
//! one core (serial) or on every thread of a Rayon pool at once.
//!
//! Compute: each kernel keeps 12 independent accumulators (8 for general-purpose registers) in
//! registers and applies one instruction to each per step, `iterations` times. Twelve chains
//! cover the latency of every instruction measured (FMA: 4 cycles × 2 pipes needs 8 in flight;
//! `vpmulld`: 10 cycles, 1 per cycle), so throughput, not latency, binds. The instructions are
//! written in `asm!`, one statement per accumulator: the compiler can neither fold them (it
//! would merge a chain of integer adds into one multiply, or cancel XORs) nor fuse a multiply
//! with the add after it, so the kernel runs exactly the instructions it is counted for.
//!
//! Bandwidth: a read loop (64 u32 lanes summed in independent accumulators, which the compiler
//! vectorises at the level it is compiled for) and the STREAM triad, over working sets sized
//! from the OS's cache sizes: half of L1, half of L2, a share of L3 and several times L3 (DRAM).
//! Every pass goes through `black_box`, so no pass can be hoisted or skipped.

use super::{
    measure_rate, measure_rates_interleaved, theory, BackendCeilings, Budget, Measure, MemLevel,
    RunFn, Sampled,
};
use crate::error::Result;
use crate::isa::Isa;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The sizes of this CPU's caches, from the OS (per core for L1 and L2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheSizes {
    /// L1 data cache, bytes.
    pub l1: u64,
    /// L2, bytes.
    pub l2: u64,
    /// Last-level cache (shared), bytes.
    pub l3: u64,
}

impl CacheSizes {
    /// Read from Linux's `cpu0/cache` (32 KiB, 512 KiB and 8 MiB where it is absent: sizes
    /// under every x86-64 and Arm server core of the last decade, so a working set chosen from
    /// them is at most too small for its level, never too large).
    pub fn detect() -> CacheSizes {
        let listed = crate::harness::system::caches("/sys/devices/system/cpu/cpu0/cache");
        let find = |name: &str| {
            listed.iter().find_map(|entry| {
                let size = entry.strip_prefix(name)?.trim();
                let kib: u64 = size.strip_suffix(" KiB")?.trim().parse().ok()?;
                Some(kib * 1024)
            })
        };
        CacheSizes {
            l1: find("L1d").unwrap_or(32 << 10),
            l2: find("L2").unwrap_or(512 << 10),
            l3: find("L3").unwrap_or(8 << 20),
        }
    }

    /// Per-thread working set of the bandwidth kernels at `level` with `threads` threads, and
    /// the level's capacity for all of them (private levels add up, L3 is shared).
    fn working_set(&self, level: MemLevel, threads: u64) -> (u64, Option<u64>) {
        match level {
            MemLevel::L1 => (self.l1 / 2, Some(self.l1 * threads)),
            MemLevel::L2 => (self.l2 / 2, Some(self.l2 * threads)),
            // Well past L2, well within the shared L3 with every thread's share in it.
            MemLevel::L3 => (
                (self.l3 / (2 * threads)).max(self.l2 * 2),
                Some(self.l3.max(self.l2 * threads)),
            ),
            // STREAM's rule: each of the triad's three arrays at least four times every cache
            // together (L3 and each thread's L2), so no pass finds a line still cached; at
            // least 64 MiB in all, at most 2 GiB. With 4 × L3 in all (3 × 43 MiB here), the
            // Zen 3 guest's two threads ran 16% above the OpenMP triad on 3 × 128 MiB.
            _ => (
                (12 * (self.l3 + self.l2 * threads)).clamp(64 << 20, 2 << 30) / threads,
                None,
            ),
        }
    }
}

/// The CPU levels, nearest first.
pub const LEVELS: [MemLevel; 4] = [MemLevel::L1, MemLevel::L2, MemLevel::L3, MemLevel::Dram];

/// Measures serial ceilings (`rayon` None: one core, on the calling thread, as serial rows run)
/// or Rayon's (`Some(threads)`: every thread of a pool of that size at once, as Rayon rows run).
pub fn measure(rayon: Option<usize>, budget: &Budget) -> Result<BackendCeilings> {
    let isa = super::cpu_level()?;
    let runner = Runner::new(rayon)?;
    let threads = runner.threads;
    let mut ceilings = Vec::new();
    let mut notes = Vec::new();
    if rayon.is_some() && !runner.pinned {
        notes.push(format!(
            "threads not pinned to CPUs of their own ({threads} threads; fewer CPUs allowed, or \
             not Linux): two may share a core, and the all-core ceilings read low"
        ));
    }
    let mut kernels = Vec::new();
    for measure in Measure::COMPUTE.into_iter().chain(Measure::UNITS) {
        match compute_kernel(isa, measure) {
            Ok((kernel, per_iteration)) => kernels.push((measure, kernel, per_iteration)),
            Err(why) => notes.push(format!("{}: {why}", measure.words())),
        }
    }
    // Sampled in turns (one sample of each kernel per round), twice the budget's samples each:
    // every compute ceiling's samples then spread over the whole second or so the kernels
    // take, and a reading is the best of 14, so the host's disturbance of a few tens of
    // milliseconds no longer sets a ceiling (the int32 logic ceiling once read 56 and 67 G
    // op/s against 101–103 in other runs; see docs/performance.md).
    let compute_budget = Budget {
        samples: budget.samples * 2,
        ..*budget
    };
    let runner_ref = &runner;
    let mut runs: Vec<Box<RunFn<'_>>> = kernels
        .iter()
        .map(|&(_, kernel, _)| -> Box<RunFn<'_>> {
            // SAFETY: `compute_kernel` hands out only kernels this CPU runs (`isa` comes from
            // `Isa::for_kernel`, which checks support; the SHA kernel is given out only where
            // the CPU has SHA-NI).
            Box::new(move |n| runner_ref.time(|_| unsafe { black_box(kernel(n)) }))
        })
        .collect();
    let mut interleaved: Vec<(f64, &mut RunFn<'_>)> = kernels
        .iter()
        .zip(runs.iter_mut())
        .map(|(&(_, _, per_iteration), run)| (per_iteration * threads as f64, &mut **run))
        .collect();
    let sampled = measure_rates_interleaved(&compute_budget, &mut interleaved)?;
    for ((measure, _, _), sampled) in kernels.iter().zip(sampled) {
        let mut c = sampled.ceiling(*measure, None);
        c.theoretical = theory::cpu(isa, threads, *measure);
        ceilings.push(c);
    }
    let caches = CacheSizes::detect();
    for level in LEVELS {
        let (bytes, capacity) = caches.working_set(level, threads as u64);
        for measure in [Measure::Read, Measure::Triad] {
            let mut c =
                bandwidth(&runner, isa, measure, bytes, budget)?.ceiling(measure, Some(level));
            c.working_set_bytes = Some(bytes * threads as u64);
            c.capacity_bytes = capacity;
            ceilings.push(c);
        }
    }
    let backend = if rayon.is_some() { "rayon" } else { "serial" };
    Ok(BackendCeilings {
        backend: backend.to_string(),
        label: crate::backend::label(backend, Some(threads), None),
        device: crate::host::cpu_model(),
        software: false,
        threads: Some(threads),
        adapter: None,
        cpu_isa: Some(isa.name().to_string()),
        ceilings,
        notes,
    })
}

/// Runs a closure on the calling thread (serial) or on every thread of a pool at once (Rayon),
/// and times it.
struct Runner {
    pool: Option<rayon::ThreadPool>,
    threads: usize,
    /// Each of the pool's threads is bound to a CPU of its own.
    pinned: bool,
}

impl Runner {
    fn new(rayon: Option<usize>) -> Result<Runner> {
        Ok(match rayon {
            None => Runner {
                pool: None,
                threads: 1,
                pinned: false,
            },
            Some(threads) => {
                let pool = crate::backend::rayon_pool(threads)?;
                let pinned = pin_each_thread(&pool);
                Runner {
                    pool: Some(pool),
                    threads: threads.max(1),
                    pinned,
                }
            }
        })
    }

    /// Wall seconds for `work(thread index)` on every thread, started together: from the moment
    /// the last thread is ready to the moment the last one is done. Waking the pool's threads
    /// (tens of microseconds each, more in a VM whose idle vCPU halted) and waking the caller
    /// afterwards are outside that span: timed, they cost a short sample of a DRAM ceiling
    /// several percent, and they are no part of the bandwidth a loop on running threads gets.
    fn time<R: Send>(&self, work: impl Fn(usize) -> R + Sync) -> Result<f64> {
        let Some(pool) = &self.pool else {
            let start = Instant::now();
            black_box(work(0));
            return Ok(start.elapsed().as_secs_f64());
        };
        let arrived = AtomicUsize::new(0);
        let spans: Vec<(Instant, Instant)> = pool.broadcast(|ctx| {
            arrived.fetch_add(1, Ordering::AcqRel);
            // Spinning a little, then yielding. Spinning keeps a thread on its CPU and lets all
            // start within a microsecond of each other; with the threads pinned it cannot
            // starve a partner. Unpinned (or on a busy machine), the partner may be queued on
            // this very CPU, and a thread spinning for long would hold it off and stretch the
            // timed work: past the spin it yields.
            let spin_until = Instant::now() + BARRIER_SPIN;
            while arrived.load(Ordering::Acquire) < ctx.num_threads() {
                if Instant::now() < spin_until {
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
            let start = Instant::now();
            black_box(work(ctx.index()));
            (start, Instant::now())
        });
        let start = spans.iter().map(|s| s.0).min().expect("a thread");
        let end = spans.iter().map(|s| s.1).max().expect("a thread");
        Ok(end.duration_since(start).as_secs_f64())
    }

    /// One value per thread, each made on its own thread (so its pages are first touched, and
    /// placed, where it will be used).
    fn per_thread<T: Send>(&self, make: impl Fn() -> T + Sync) -> Vec<Mutex<T>> {
        match &self.pool {
            None => vec![Mutex::new(make())],
            Some(pool) => pool.broadcast(|_| Mutex::new(make())),
        }
    }
}

/// How long a thread spins at [`Runner::time`]'s start barrier before it yields.
const BARRIER_SPIN: std::time::Duration = std::time::Duration::from_millis(1);

/// Binds thread `i` of `pool` to the `i`-th CPU this process may run on; false where that
/// cannot be done (more threads than CPUs, not Linux, or the OS refused), leaving the threads
/// unbound.
///
/// Why: the all-core bandwidth ceiling needs every thread on a core of its own for the whole
/// timed pass. Left to the scheduler, two of the pool's threads woken together can land on one
/// CPU while the other idles; a thread yielding at the start barrier then hands that CPU to its
/// partner, and both stream on one core until the load balancer moves one (milliseconds: most of
/// a DRAM sample). A probe of this pattern on the 2-vCPU Zen 3 guest found both threads on one
/// CPU at the start of 22–33 of 40 passes under normal scheduling, none pinned: the likely
/// cause of the quiet guest's bimodal ceiling (whole runs at 27–30 GB/s instead of 38, while
/// the OpenMP triad, whose threads spin and stay put, read 37–39 every time). Real-time
/// priority (`chrt -f 1`) hides it: the real-time class places runnable threads on separate
/// CPUs at once.
fn pin_each_thread(pool: &rayon::ThreadPool) -> bool {
    #[cfg(target_os = "linux")]
    {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: cpu_set_t is plain bits (all zero is the empty set); the calls get its true
        // size and a pointer to it, and 0 names the calling thread.
        let allowed: Vec<usize> = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, size, &mut set) != 0 {
                return false;
            }
            (0..libc::CPU_SETSIZE as usize)
                .filter(|&cpu| libc::CPU_ISSET(cpu, &set))
                .collect()
        };
        if allowed.len() < pool.current_num_threads() {
            return false;
        }
        pool.broadcast(|ctx| {
            // SAFETY: as above; the set holds one CPU the process may use.
            unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(allowed[ctx.index()], &mut set);
                libc::sched_setaffinity(0, size, &set) == 0
            }
        })
        .into_iter()
        .all(|ok| ok)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pool;
        false
    }
}

/// Read or triad bandwidth over `bytes` per thread.
fn bandwidth(
    runner: &Runner,
    isa: Isa,
    measure: Measure,
    bytes: u64,
    budget: &Budget,
) -> Result<Sampled> {
    // Whole turns of the widest loop: 512 bytes (read), 128 bytes of each array (triad).
    let words = ((bytes / 4) as usize).max(128) / 128 * 128;
    let threads = runner.threads as f64;
    if measure == Measure::Read {
        let data = runner.per_thread(|| (0..words as u32).collect::<Vec<u32>>());
        let pass = |passes| {
            runner.time(|t| {
                let d = data[t].lock().unwrap_or_else(|e| e.into_inner());
                read_passes(isa, &d, passes)
            })
        };
        pass(1)?;
        measure_rate(budget, (words * 4) as f64 * threads, pass)
    } else {
        let third = (words / 3).max(128) / 128 * 128;
        // Every array written here, a included (`vec![0.0; n]` would be fresh zero pages from
        // the OS, first touched, page faults and all, inside the first timed pass).
        let arrays = runner.per_thread(|| {
            (
                vec![-1.0f32; third],
                vec![1.0f32; third],
                vec![2.0f32; third],
            )
        });
        let pass = |passes| {
            runner.time(|t| {
                let mut guard = arrays[t].lock().unwrap_or_else(|e| e.into_inner());
                let (a, b, c) = &mut *guard;
                triad_passes(isa, a, b, c, passes)
            })
        };
        // One untimed pass, as STREAM and the OpenMP peer do: the arrays' lines and TLB
        // entries in the state every later pass finds them in.
        pass(1)?;
        measure_rate(budget, (third * 12) as f64 * threads, pass)
    }
}

/// Sums `data` `passes` times as u32 lanes, at `isa`.
fn read_passes(isa: Isa, data: &[u32], passes: u64) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: each level's function is called only where `isa`, which this CPU supports
        // (it came from `Isa::for_kernel`), includes its features.
        match isa {
            Isa::Avx512 => return unsafe { x86::read_avx512(data, passes) },
            Isa::Avx2 => return unsafe { x86::read_avx2(data, passes) },
            _ => {}
        }
    }
    let _ = isa;
    read_generic(data, passes)
}

/// `a = b + 3·c`, `passes` times, at `isa`.
fn triad_passes(isa: Isa, a: &mut [f32], b: &[f32], c: &[f32], passes: u64) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: as in `read_passes`.
        match isa {
            Isa::Avx512 => return unsafe { x86::triad_avx512(a, b, c, passes) },
            Isa::Avx2 => return unsafe { x86::triad_avx2(a, b, c, passes) },
            _ => {}
        }
    }
    let _ = isa;
    triad_generic(a, b, c, passes)
}

/// The read loop every level compiles: 64 independent u32 sums, so the compiler keeps several
/// vector accumulators and the loads, not the adds, bind.
#[inline(always)]
fn read_generic(data: &[u32], passes: u64) -> u32 {
    let mut acc = [0u32; 64];
    for _ in 0..passes {
        // Opaque to the optimiser: the data might have changed, so each pass reads it again.
        let data = black_box(data);
        for chunk in data.chunks_exact(64) {
            for (a, x) in acc.iter_mut().zip(chunk) {
                *a = a.wrapping_add(*x);
            }
        }
    }
    acc.iter().fold(0, |s, x| s ^ x)
}

/// The triad every level compiles (12 bytes per element, as STREAM counts).
#[inline(always)]
fn triad_generic(a: &mut [f32], b: &[f32], c: &[f32], passes: u64) -> f32 {
    for _ in 0..passes {
        let a = black_box(&mut *a);
        for ((a, b), c) in a.iter_mut().zip(black_box(b)).zip(black_box(c)) {
            *a = b + 3.0 * c;
        }
    }
    a[a.len() / 2]
}

/// A compute kernel: runs `iterations` steps, returns a fold of its accumulators (so nothing is
/// dead).
type Kernel = unsafe fn(u64) -> u32;

/// The kernel measuring `measure` at `isa`, with the operations (flops for f32) one iteration
/// does, or why there is none.
fn compute_kernel(isa: Isa, measure: Measure) -> std::result::Result<(Kernel, f64), String> {
    #[cfg(target_arch = "x86_64")]
    {
        x86::kernel(isa, measure)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (isa, measure);
        Err(format!(
            "no compute microkernel for {} yet (x86-64 only)",
            std::env::consts::ARCH
        ))
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The x86-64 microkernels. Each template names its accumulator `{a}` and two inputs `{x}`
    //! and `{y}`; a template that needs only `{x}` mentions `{y}` after `#`, an assembler
    //! comment, because `asm!` refuses an argument the template never uses.

    use super::Kernel;
    use crate::isa::Isa;
    use crate::peak::Measure;
    use std::arch::asm;
    use std::arch::x86_64::*;

    /// Bits of 1 − 2⁻²⁴ (the multiplier) and 2⁻²⁰ (the addend): an accumulator starting near 1
    /// stays a normal number for ever (a denormal would slow the FPU down), whatever the count.
    const X_BITS: i32 = 0x3f7f_ffff;
    const Y_BITS: i32 = 0x3580_0000;

    /// Defines `$name(iterations) -> u32`: accumulators `$a...` of type `$vec` in registers of
    /// class `$class`, each put through `$ins` once per iteration.
    macro_rules! chains {
        ($name:ident, $feature:literal, $vec:ty, $class:ident, $splat:expr, [$($a:ident),+], $ins:literal) => {
            #[target_feature(enable = $feature)]
            unsafe fn $name(iterations: u64) -> u32 {
                let splat = $splat;
                let x: $vec = splat(std::hint::black_box(X_BITS));
                let y: $vec = splat(std::hint::black_box(Y_BITS));
                let mut seed = 0x3f80_0000i32;
                $(
                    seed += 1;
                    let mut $a: $vec = splat(seed);
                )+
                for _ in 0..iterations {
                    $(
                        asm!($ins, a = inout($class) $a, x = in($class) x, y = in($class) y,
                             options(nomem, nostack));
                    )+
                }
                let mut fold = 0u32;
                $(
                    let words: [u32; std::mem::size_of::<$vec>() / 4] = std::mem::transmute($a);
                    fold ^= words.iter().fold(0, |s, w| s ^ w);
                )+
                fold
            }
        };
    }

    /// How many accumulators the vector kernels keep; each operation below is applied to each.
    const VECTOR_CHAINS: f64 = 12.0;
    /// The general-purpose-register kernels keep 8 (with x, y and the loop counter, 11 of the 13
    /// registers `asm!` may use).
    const GPR_CHAINS: f64 = 8.0;

    macro_rules! vector_kernels {
        ($feature:literal, $vec:ty, $class:ident, $splat:expr, $(($name:ident, $ins:literal)),+) => {
            $( chains!($name, $feature, $vec, $class, $splat,
                       [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11], $ins); )+
        };
    }

    vector_kernels!(
        "avx2,fma",
        __m256i,
        ymm_reg,
        |v: i32| _mm256_set1_epi32(v),
        (fma_avx2, "vfmadd213ps {a}, {x}, {y}"),
        (muladd_avx2, "vmulps {a}, {a}, {x}\nvaddps {a}, {a}, {y}"),
        (add_avx2, "vpaddd {a}, {a}, {x} # {y}"),
        (mul_avx2, "vpmulld {a}, {a}, {x} # {y}"),
        (logic_avx2, "vpxor {a}, {a}, {x} # {y}")
    );
    vector_kernels!(
        "avx512f",
        __m512i,
        zmm_reg,
        |v: i32| _mm512_set1_epi32(v),
        (fma_avx512, "vfmadd213ps {a}, {x}, {y}"),
        (muladd_avx512, "vmulps {a}, {a}, {x}\nvaddps {a}, {a}, {y}"),
        (add_avx512, "vpaddd {a}, {a}, {x} # {y}"),
        (mul_avx512, "vpmulld {a}, {a}, {x} # {y}"),
        (logic_avx512, "vpxord {a}, {a}, {x} # {y}")
    );
    vector_kernels!(
        "sse2",
        __m128i,
        xmm_reg,
        |v: i32| _mm_set1_epi32(v),
        (muladd_sse2, "mulps {a}, {x}\naddps {a}, {y}"),
        (add_sse2, "paddd {a}, {x} # {y}"),
        (logic_sse2, "pxor {a}, {x} # {y}"),
        // Scalar f32: one lane of the SSE unit, as plain Rust f32 code compiles.
        (muladd_scalar, "mulss {a}, {x}\naddss {a}, {y}")
    );
    macro_rules! gpr_kernels {
        ($(($name:ident, $ins:literal)),+) => {
            $( chains!($name, "sse2", u32, reg, |v: i32| v as u32,
                       [a0, a1, a2, a3, a4, a5, a6, a7], $ins); )+
        };
    }
    gpr_kernels!(
        (add_scalar, "add {a:e}, {x:e} # {y:e}"),
        (mul_scalar, "imul {a:e}, {x:e} # {y:e}"),
        (logic_scalar, "xor {a:e}, {x:e} # {y:e}")
    );

    /// Defines `$name(iterations) -> u32`: 12 independent SHA-256 states, each put through one
    /// `sha256rnds2` per iteration (its third operand, the round inputs, is xmm0 by definition,
    /// so it is passed there). Twelve in flight cover the instruction's latency (4 cycles on
    /// Zen 3, 6 on Golden Cove) at its rate (1 per cycle on both).
    macro_rules! sha_chains {
        ($name:ident, [$($a:ident),+]) => {
            #[target_feature(enable = "sha,sse2")]
            unsafe fn $name(iterations: u64) -> u32 {
                let x = _mm_set1_epi32(std::hint::black_box(X_BITS));
                let k = _mm_set1_epi32(std::hint::black_box(Y_BITS));
                let mut seed = 0x6a09_e667i32;
                $(
                    seed = seed.wrapping_add(1);
                    let mut $a = _mm_set1_epi32(seed);
                )+
                for _ in 0..iterations {
                    $(
                        asm!("sha256rnds2 {a}, {x}", a = inout(xmm_reg) $a, x = in(xmm_reg) x,
                             in("xmm0") k, options(nomem, nostack));
                    )+
                }
                let mut fold = 0u32;
                $(
                    let words: [u32; 4] = std::mem::transmute($a);
                    fold ^= words.iter().fold(0, |s, w| s ^ w);
                )+
                fold
            }
        };
    }
    sha_chains!(
        sha256rnds2_chains,
        [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11]
    );

    /// The kernel for `measure` at `isa` and its operations per iteration.
    pub(super) fn kernel(isa: Isa, measure: Measure) -> Result<(Kernel, f64), String> {
        let lanes = isa.lanes32() as f64;
        let vector = |k: Kernel, ops_per_lane: f64| Ok((k, VECTOR_CHAINS * lanes * ops_per_lane));
        let gpr = |k: Kernel| Ok((k, GPR_CHAINS));
        use Measure::*;
        match (isa, measure) {
            (Isa::Avx2, F32Fma) => vector(fma_avx2, 2.0),
            (Isa::Avx2, F32MulAdd) => vector(muladd_avx2, 2.0),
            (Isa::Avx2, IntAdd) => vector(add_avx2, 1.0),
            (Isa::Avx2, IntMul) => vector(mul_avx2, 1.0),
            (Isa::Avx2, IntLogic) => vector(logic_avx2, 1.0),
            (Isa::Avx512, F32Fma) => vector(fma_avx512, 2.0),
            (Isa::Avx512, F32MulAdd) => vector(muladd_avx512, 2.0),
            (Isa::Avx512, IntAdd) => vector(add_avx512, 1.0),
            (Isa::Avx512, IntMul) => vector(mul_avx512, 1.0),
            (Isa::Avx512, IntLogic) => vector(logic_avx512, 1.0),
            (Isa::Sse2, F32MulAdd) => vector(muladd_sse2, 2.0),
            (Isa::Sse2, IntAdd) => vector(add_sse2, 1.0),
            (Isa::Sse2, IntLogic) => vector(logic_sse2, 1.0),
            (Isa::Scalar, F32MulAdd) => Ok((muladd_scalar, VECTOR_CHAINS * 2.0)),
            (Isa::Scalar, IntAdd) => gpr(add_scalar),
            (Isa::Scalar, IntMul) => gpr(mul_scalar),
            (Isa::Scalar, IntLogic) => gpr(logic_scalar),
            (Isa::Sse2 | Isa::Scalar, F32Fma) => Err(format!(
                "{isa} has no fused multiply-add (FMA comes with AVX2)"
            )),
            (Isa::Sse2, IntMul) => {
                Err("SSE2 has no 32-bit lane multiply (pmulld is SSE4.1)".into())
            }
            // SHA-NI is a capability beside the vector levels; SHA-256's kernel uses it at any
            // level but plain Rust (`workloads::sha256::cpu::Kernel::choose`), and so does this.
            (Isa::Scalar, Sha256Rnds2) => {
                Err("SHA-NI kernels run at a vector level, not at scalar".into())
            }
            (_, Sha256Rnds2) if !crate::isa::has_sha_ni() => {
                Err("this CPU has no SHA extensions (SHA-NI)".into())
            }
            (_, Sha256Rnds2) => Ok((sha256rnds2_chains, VECTOR_CHAINS)),
            (other, _) => Err(format!("no x86-64 microkernel at level {other}")),
        }
    }

    /// Defines a read loop: 8 accumulators of `$class` each add one vector of `$step / 8`
    /// bytes per turn straight from memory (VEX/EVEX operands need no alignment), `$step`
    /// bytes a turn, so the loads and nothing else bind. `data.len()` must be a multiple of
    /// `$step / 4` words.
    macro_rules! read_loop {
        ($name:ident, $feature:literal, $vec:ty, $class:ident, $zero:expr, $step:literal,
         [$($o:literal),+]) => {
            #[target_feature(enable = $feature)]
            pub(super) unsafe fn $name(data: &[u32], passes: u64) -> u32 {
                assert!(data.len() % ($step / 4) == 0 && !data.is_empty());
                let (mut a0, mut a1, mut a2, mut a3): ($vec, $vec, $vec, $vec) =
                    ($zero, $zero, $zero, $zero);
                let (mut a4, mut a5, mut a6, mut a7): ($vec, $vec, $vec, $vec) =
                    ($zero, $zero, $zero, $zero);
                for _ in 0..passes {
                    let start = data.as_ptr();
                    let end = start.add(data.len());
                    asm!(
                        "2:",
                        $(concat!("vpaddd {a", $o, "}, {a", $o, "}, [{p} + ", $o, " * ", $step, " / 8]"),)+
                        concat!("add {p}, ", $step),
                        "cmp {p}, {end}",
                        "jb 2b",
                        p = inout(reg) start => _,
                        end = in(reg) end,
                        a0 = inout($class) a0, a1 = inout($class) a1,
                        a2 = inout($class) a2, a3 = inout($class) a3,
                        a4 = inout($class) a4, a5 = inout($class) a5,
                        a6 = inout($class) a6, a7 = inout($class) a7,
                        options(nostack, readonly),
                    );
                }
                let mut fold = 0u32;
                for v in [a0, a1, a2, a3, a4, a5, a6, a7] {
                    let words: [u32; std::mem::size_of::<$vec>() / 4] = std::mem::transmute(v);
                    fold ^= words.iter().fold(0u32, |s, w| s.wrapping_add(*w));
                }
                fold
            }
        };
    }
    read_loop!(
        read_avx2,
        "avx2,fma",
        __m256i,
        ymm_reg,
        _mm256_setzero_si256(),
        256,
        [0, 1, 2, 3, 4, 5, 6, 7]
    );
    read_loop!(
        read_avx512,
        "avx512f",
        __m512i,
        zmm_reg,
        _mm512_setzero_si512(),
        512,
        [0, 1, 2, 3, 4, 5, 6, 7]
    );

    /// Defines a triad loop: two vectors of c loaded, each multiplied by s and added to b's by
    /// one FMA with its memory operand, two stores to a: `$step` bytes of each array a turn.
    /// The arrays' length must be a multiple of `$step / 4` floats.
    macro_rules! triad_loop {
        ($name:ident, $feature:literal, $class:ident, $splat:expr, $step:literal) => {
            #[target_feature(enable = $feature)]
            pub(super) unsafe fn $name(a: &mut [f32], b: &[f32], c: &[f32], passes: u64) -> f32 {
                let n = a.len();
                assert!(n % ($step / 4) == 0 && n > 0 && b.len() == n && c.len() == n);
                let s = $splat(3.0);
                for _ in 0..passes {
                    asm!(
                        "2:",
                        "vmovups {t0}, [{c} + {i}]",
                        concat!("vmovups {t1}, [{c} + {i} + ", $step, " / 2]"),
                        "vfmadd213ps {t0}, {s}, [{b} + {i}]",
                        concat!("vfmadd213ps {t1}, {s}, [{b} + {i} + ", $step, " / 2]"),
                        "vmovups [{a} + {i}], {t0}",
                        concat!("vmovups [{a} + {i} + ", $step, " / 2], {t1}"),
                        concat!("add {i}, ", $step),
                        "cmp {i}, {n}",
                        "jb 2b",
                        i = inout(reg) 0usize => _,
                        n = in(reg) n * 4,
                        a = in(reg) a.as_mut_ptr(),
                        b = in(reg) b.as_ptr(),
                        c = in(reg) c.as_ptr(),
                        s = in($class) s,
                        t0 = out($class) _,
                        t1 = out($class) _,
                        options(nostack),
                    );
                }
                a[n / 2]
            }
        };
    }
    triad_loop!(triad_avx2, "avx2,fma", ymm_reg, |x| _mm256_set1_ps(x), 64);
    triad_loop!(triad_avx512, "avx512f", zmm_reg, |x| _mm512_set1_ps(x), 128);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_this_cpu_runs_has_its_kernels_or_says_why() {
        for &isa in Isa::detected() {
            for m in Measure::COMPUTE.into_iter().chain(Measure::UNITS) {
                match compute_kernel(isa, m) {
                    Ok((kernel, ops)) => {
                        assert!(ops >= 8.0, "{isa} {m:?}: {ops} ops per iteration");
                        // SAFETY: `isa` is detected on this CPU.
                        let a = unsafe { kernel(3) };
                        let b = unsafe { kernel(3) };
                        assert_eq!(a, b, "{isa} {m:?} is deterministic");
                    }
                    Err(why) => assert!(!why.is_empty()),
                }
            }
        }
    }

    #[test]
    fn bandwidth_loops_compute_what_they_say() {
        let data: Vec<u32> = (0..256).collect();
        // The generic loop's exact value; the assembly loops fold their lanes their own way, so
        // of them: that they read the last word (changing it changes the result).
        let expected = (0..64u32)
            .map(|l| 2 * (4 * l + 64 + 128 + 192))
            .fold(0, |s, x| s ^ x);
        assert_eq!(read_generic(&data, 2), expected);
        for &isa in Isa::detected() {
            let one = read_passes(isa, &data, 1);
            let mut poked = data.clone();
            poked[255] += 1;
            assert_ne!(
                read_passes(isa, &poked, 1),
                one,
                "{isa} reads the last word"
            );
            let (mut a, b, c) = (vec![0.0f32; 128], vec![1.0f32; 128], vec![2.0f32; 128]);
            assert_eq!(triad_passes(isa, &mut a, &b, &c, 3), 7.0, "{isa}");
            assert!(a.iter().all(|&x| x == 7.0));
        }
    }

    #[test]
    fn working_sets_sit_in_their_levels() {
        let c = CacheSizes {
            l1: 32 << 10,
            l2: 512 << 10,
            l3: 32 << 20,
        };
        for threads in [1, 2, 16] {
            let (l1, _) = c.working_set(MemLevel::L1, threads);
            let (l2, _) = c.working_set(MemLevel::L2, threads);
            let (l3, _) = c.working_set(MemLevel::L3, threads);
            let (dram, _) = c.working_set(MemLevel::Dram, threads);
            assert!(l1 <= c.l1 && l1 > 0);
            assert!(l2 > c.l1 && l2 <= c.l2);
            assert!(l3 > c.l2, "{threads}: {l3}");
            assert!(dram * threads > 2 * c.l3, "{threads}");
        }
    }
}
