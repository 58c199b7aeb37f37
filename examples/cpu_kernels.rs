//! Times the Monte Carlo and SHA-256 CPU kernels at every level this CPU runs, one core, next
//! to the kernels they replaced (copied here as they were, so "before" and "after" run in the
//! same process, back to back), and the Rayon rows on two threads:
//!
//! ```text
//! cargo run --release --example cpu_kernels [montecarlo|sha256|all] [repetitions]
//! ```
//!
//! Each figure is the best of the repetitions (default 5). Compare SHA-256 with `openssl speed
//! -seconds 3 sha256` (its 16384-byte rate ÷ 64 is compressions per second).

use speedup::backend::Backend;
use speedup::isa::Isa;
use speedup::workloads::montecarlo::{self, cpu as mc, MonteCarlo, MonteCarloRun};
use speedup::workloads::sha256::{self, cpu as sha, Search, Sha256Run};
use speedup::workloads::Prepared;
use std::time::Instant;

/// Best seconds of `reps` calls of `f`, and its last result.
fn best<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..reps {
        let start = Instant::now();
        let value = f();
        best = best.min(start.elapsed().as_secs_f64());
        out = Some(value);
    }
    (best, out.expect("at least one repetition"))
}

fn line(what: &str, work: f64, seconds: f64, unit: &str, answer: impl std::fmt::Debug) {
    println!(
        "{what:<34} {:>10.3e} {unit}/s  ({seconds:.4} s, {answer:?})",
        work / seconds
    );
}

fn montecarlo_rows(reps: usize) {
    let samples = 1u64 << 28;
    let key = montecarlo::key(montecarlo::DEFAULT_SEED);
    println!("montecarlo 2^28 samples, seed {}", montecarlo::DEFAULT_SEED);
    // main's serial kernel before issue 19: the hoisted high word, one sample at a time.
    let (s, hits) = best(reps, || {
        let mixed_hi = montecarlo::mix32(key);
        (0..samples)
            .filter(|&j| {
                let h = montecarlo::mix32(j as u32 ^ mixed_hi);
                let x = 2 * (h >> 17) + 1;
                let y = 2 * ((h >> 2) & 0x7fff) + 1;
                (x * x) < 0u32.wrapping_sub(y * y)
            })
            .count() as u64
    });
    line("before (main, serial)", samples as f64, s, "samples", hits);
    let mut serial = 0.0;
    for &isa in Isa::detected() {
        let (s, h) = best(reps, || mc::count_range(isa, key, 0..samples));
        assert_eq!(h, hits, "{isa} disagrees");
        line(&format!("serial {isa}"), samples as f64, s, "samples", h);
        serial = samples as f64 / s;
    }
    let job = MonteCarlo::new(samples, montecarlo::DEFAULT_SEED, 0).expect("valid");
    let rayon = Backend::Rayon { threads: 2 };
    let mut run = MonteCarloRun::new(&rayon, job).expect("rayon");
    let (s, (e, _)) = best(reps, || run.estimate().expect("runs"));
    assert_eq!(e.hits, hits);
    line(
        &format!(
            "rayon 2 threads {}",
            run.cpu_isa().expect("a CPU run has a level")
        ),
        samples as f64,
        s,
        "samples",
        e.hits,
    );
    println!(
        "  rayon efficiency vs the widest serial: {:.2}",
        samples as f64 / s / (2.0 * serial)
    );
}

fn sha256_rows(reps: usize) {
    let count = 1u64 << 22;
    let search = Search::new(b"speedup", 64, 0, count, true).expect("valid");
    println!("sha256 2^22 nonces, prefix \"speedup\", difficulty 64 (every nonce hashed)");
    // main's serial kernel before issue 19: sha2::compress256 (SHA-NI inside where the CPU has it).
    let (s, before) = best(reps, || {
        use sha2::digest::generic_array::GenericArray;
        let mut block = [0u8; 64];
        block[..7].copy_from_slice(b"speedup");
        block[15] = 0x80;
        block[56..].copy_from_slice(&(15u64 * 8).to_be_bytes());
        let mut block = GenericArray::clone_from_slice(&block);
        let mut zero_words = 0u64;
        for nonce in 0..count {
            block[7..15].copy_from_slice(&nonce.to_le_bytes());
            let mut state = [
                0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
                0x5be0cd19,
            ];
            sha2::compress256(&mut state, std::slice::from_ref(&block));
            zero_words += (state[0] == 0) as u64;
        }
        zero_words
    });
    line(
        "before (main, sha2 crate)",
        count as f64,
        s,
        "hashes",
        before,
    );
    let template = sha::Template::new(&search.prefix);
    let mut kernels: Vec<sha::Kernel> = Isa::detected()
        .iter()
        .map(|&i| sha::Kernel::Lanes(i))
        .collect();
    for streams in [1, 2, 4] {
        kernels.push(sha::Kernel::ShaNi {
            isa: Isa::widest(),
            streams,
        });
    }
    let mut fastest = 0.0f64;
    for kernel in kernels.into_iter().filter(|k| k.is_supported()) {
        let (s, found) = best(reps, || sha::scan(kernel, &template, 64, 0..count, false));
        line(
            &format!("serial {kernel}"),
            count as f64,
            s,
            "hashes",
            found,
        );
        fastest = fastest.max(count as f64 / s);
    }
    let chosen = sha::Kernel::choose(sha256::default_isa().expect("level")).expect("kernel");
    println!("  chosen at run time: {chosen}");
    let rayon = Backend::Rayon { threads: 2 };
    let mut run = Sha256Run::new(&rayon, search).expect("rayon");
    let (s, (found, _)) = best(reps, || run.search().expect("runs"));
    line(
        &format!(
            "rayon 2 threads {}",
            run.kernel().expect("a CPU run has a kernel")
        ),
        count as f64,
        s,
        "hashes",
        found.matches,
    );
    println!(
        "  rayon efficiency vs the fastest serial: {:.2}",
        count as f64 / s / (2.0 * fastest)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map_or("all", String::as_str);
    let reps = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    println!(
        "levels detected: {:?}; SHA-NI: {}",
        Isa::detected(),
        speedup::isa::has_sha_ni()
    );
    if matches!(which, "montecarlo" | "all") {
        montecarlo_rows(reps);
    }
    if matches!(which, "sha256" | "all") {
        sha256_rows(reps);
    }
}
