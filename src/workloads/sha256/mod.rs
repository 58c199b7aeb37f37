//! SHA-256 search, the classic "try every key" job: the smallest nonce such that
//! SHA-256(prefix ‖ nonce) starts with at least K zero bits. Integer, compute-bound, and exactly
//! reproducible: every backend returns the same nonce.
//!
//! The message is the prefix bytes followed by the nonce as **8 bytes, little-endian**. Prefixes
//! are at most [`MAX_PREFIX`] = 47 bytes, so a message is at most 55 bytes and fits one SHA-256
//! block with its padding: one compression per nonce.
//!
//! - The reference ([`reference`](fn@reference)) hashes each message with the `sha2` crate's `Sha256::digest`.
//! - Serial and Rayon build the padded block once and share one scan ([`cpu`]): several messages
//!   at once, in vector lanes (SSE2, AVX2, AVX-512, NEON) or as interleaved SHA-NI streams,
//!   whichever this CPU runs faster.
//! - The GPU (shaders/sha256.wgsl) implements SHA-256 in WGSL: one nonce per invocation, the
//!   batch's smallest hit kept with `atomicMin`.
//!
//! # Two modes, and the work they count
//!
//! A **first-match** search (what `speedup run sha256` does) stops early: it works through the
//! range in batches and stops after the first batch with a hit. Its work is the nonces tried up
//! to and including the answer, the same on every backend, although Rayon and the GPU hash the
//! rest of that batch too. An **exhaustive** search (what `bench` does) hashes every nonce of a
//! fixed range and also counts the hits, so every backend does exactly the same work, which is
//! what a fair comparison needs. Size notation: `N` or `N:K`, an exhaustive search of nonces
//! 0..N at difficulty K (default [`DEFAULT_DIFFICULTY`]); N may be written `2^24`.

pub mod cpu;
mod folded;
mod gpu;

use super::single::{count_and_suffix, OptionKind, RunOption, RunOptions, RunReport, SingleRun};
use super::{
    counts, Check, Device, DeviceSize, Engine, Prepared, Problem, Ran, RunClock, RunTiming,
    WorkCounts, Workload,
};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::gpu::ShaderBuild;
use crate::isa::Isa;
use crate::peak::Measure;
use cpu::{rayon_search, scan, Kernel, Template};

use gpu::midstate_rounds;
pub use gpu::{GpuSha256, SHA256_WGSL};
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::time::Instant;

/// Longest prefix: 47 bytes + 8 nonce bytes + the 0x80 byte + 8 length bytes = 64, one block.
pub const MAX_PREFIX: usize = 47;

/// Largest difficulty: the GPU kernel looks at the first 64 bits of the digest (and 2^64 hashes
/// would be needed on average anyway).
pub const MAX_DIFFICULTY: u32 = 64;

/// Difficulty of the benchmark's exhaustive search: about one hit per 65536 nonces.
pub const DEFAULT_DIFFICULTY: u32 = 16;

/// Prefix of the benchmark and of `speedup run sha256` unless given.
pub const DEFAULT_PREFIX: &str = "speedup";

/// Most nonces per batch (one GPU dispatch, or one Rayon round): large enough that per-batch
/// overhead (a dispatch, and on Rayon a round) vanishes, small enough that no single dispatch
/// runs long. GPU submissions hold several batches (`gpu::MAX_GROUP`).
pub const DEFAULT_BATCH: u64 = 1 << 22;

/// A first-match search's first batch. Batches then double up to the largest, so an answer found
/// early costs little beyond it (at most about twice the nonces up to the answer, or one first
/// batch), while a long search soon runs in full-size batches.
pub const FIRST_BATCH: u64 = 1 << 16;

/// The size of each batch of `search` in turn: the largest for an exhaustive search, doubling
/// from [`FIRST_BATCH`] for a first-match one.
fn batch_sizes(search: &Search, largest: u64) -> impl Iterator<Item = u64> {
    let first = if search.exhaustive {
        largest
    } else {
        FIRST_BATCH.min(largest)
    };
    std::iter::successors(Some(first), move |&b| Some((b * 2).min(largest)))
}

/// What to search for and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Search {
    /// Message bytes before the nonce.
    pub prefix: Vec<u8>,
    /// Leading zero bits wanted.
    pub difficulty: u32,
    /// First nonce tried.
    pub start: u64,
    /// Nonces in the range: `start..start + count`.
    pub count: u64,
    /// Hash the whole range and count hits (a fair benchmark) instead of stopping at the first.
    pub exhaustive: bool,
}

impl Search {
    /// A validated search: prefix at most [`MAX_PREFIX`] bytes, 1 ≤ difficulty ≤
    /// [`MAX_DIFFICULTY`], a non-empty range whose end (exclusive) fits in a u64.
    pub fn new(
        prefix: &[u8],
        difficulty: u32,
        start: u64,
        count: u64,
        exhaustive: bool,
    ) -> Result<Search> {
        if prefix.len() > MAX_PREFIX {
            return Err(Error::InvalidArgument(format!(
                "sha256 prefix of {} bytes: at most {MAX_PREFIX} (the message must fit one 64-byte block with the 8-byte nonce and padding)",
                prefix.len()
            )));
        }
        if difficulty == 0 || difficulty > MAX_DIFFICULTY {
            return Err(Error::InvalidArgument(format!(
                "sha256 difficulty {difficulty}: must be between 1 and {MAX_DIFFICULTY} leading zero bits"
            )));
        }
        if count == 0 {
            return Err(Error::InvalidSize(
                "sha256: the nonce range is empty".into(),
            ));
        }
        if start.checked_add(count).is_none() {
            return Err(Error::InvalidSize(format!(
                "sha256: nonces {start} + {count} run past the largest 64-bit nonce"
            )));
        }
        Ok(Search {
            prefix: prefix.to_vec(),
            difficulty,
            start,
            count,
            exhaustive,
        })
    }

    /// Parses the workload's size notation, `N` or `N:K`: an exhaustive search of nonces 0..N at
    /// difficulty K, with [`DEFAULT_PREFIX`].
    pub fn parse(size: &str) -> Result<Search> {
        let (n, k) = match size.split_once(':') {
            Some((n, k)) => (
                n,
                k.trim().parse().map_err(|_| {
                    Error::InvalidArgument(format!(
                        "sha256 size '{size}': expected N or N:DIFFICULTY, e.g. 2^24:16"
                    ))
                })?,
            ),
            None => (size, DEFAULT_DIFFICULTY),
        };
        let count = super::parse_count(n, "sha256 nonce count")?;
        Search::new(DEFAULT_PREFIX.as_bytes(), k, 0, count, true)
    }

    /// The nonces searched (`new` checked that the end fits in a u64).
    pub fn range(&self) -> Range<u64> {
        self.start..self.start + self.count
    }
}

/// The outcome of a search: identical on every backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    /// The smallest nonce in the range with enough leading zero bits, if any.
    pub nonce: Option<u64>,
    /// Exhaustive searches: how many nonces in the range qualify.
    pub matches: Option<u64>,
    /// Nonces tried: the whole range for an exhaustive search (or one that found nothing), else
    /// up to and including the answer. The run's work in hashes.
    pub tried: u64,
}

impl Found {
    fn from_scan(search: &Search, first: Option<u64>, matches: u64) -> Found {
        let tried = match (search.exhaustive, first) {
            (false, Some(n)) => n - search.start + 1,
            _ => search.count,
        };
        Found {
            nonce: first,
            matches: search.exhaustive.then_some(matches),
            tried,
        }
    }
}

/// The message hashed for `nonce`: prefix ‖ nonce as 8 little-endian bytes.
pub fn message(prefix: &[u8], nonce: u64) -> Vec<u8> {
    let mut m = prefix.to_vec();
    m.extend_from_slice(&nonce.to_le_bytes());
    m
}

/// Leading zero bits of a digest.
pub fn leading_zero_bits(digest: &[u8]) -> u32 {
    let mut zeros = 0;
    for &byte in digest {
        zeros += byte.leading_zeros();
        if byte != 0 {
            break;
        }
    }
    zeros
}

/// The oracle: every nonce in order, hashed with `sha2::Sha256::digest`.
pub fn reference(search: &Search) -> Found {
    let mut first = None;
    let mut matches = 0;
    for nonce in search.range() {
        let digest = Sha256::digest(message(&search.prefix, nonce));
        if leading_zero_bits(&digest) >= search.difficulty {
            first = first.or(Some(nonce));
            matches += 1;
            if !search.exhaustive {
                break;
            }
        }
    }
    Found::from_scan(search, first, matches)
}

/// The padded message block with the nonce's 8 bytes left zero: what the CPU scan and the GPU
/// kernel both start each hash from.
fn padded_block(prefix: &[u8]) -> [u8; 64] {
    let mut block = [0u8; 64];
    block[..prefix.len()].copy_from_slice(prefix);
    block[prefix.len() + 8] = 0x80;
    let bits = (prefix.len() as u64 + 8) * 8;
    block[56..].copy_from_slice(&bits.to_be_bytes());
    block
}

/// SHA-256's initial hash value.
const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// SHA-256's round constants (FIPS 180-4 §4.2.2), for the GPU kernel's uniform.
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// A search prepared on one backend.
pub struct Sha256Run {
    search: Search,
    template: Template,
    /// The CPU side's state is the kernel it runs, and so its level.
    engine: Engine<Kernel, GpuSha256>,
    batch: u64,
    last: Option<Found>,
}

impl Sha256Run {
    /// Prepares `search` on `backend`, with [`DEFAULT_BATCH`] nonces per batch.
    pub fn new(backend: &Backend, search: Search) -> Result<Sha256Run> {
        Sha256Run::with_batch(backend, search, DEFAULT_BATCH)
    }

    /// Prepares `search` with `batch` nonces per Rayon round or GPU dispatch (tests use small
    /// batches to exercise the batching), the CPU kernel chosen for this CPU's default level
    /// ([`Kernel::choose`] of [`default_isa`]).
    pub fn with_batch(backend: &Backend, search: Search, batch: u64) -> Result<Sha256Run> {
        let engine = Engine::try_new(
            backend,
            || Kernel::choose(default_isa()?),
            |ctx| GpuSha256::new(ctx, &search, batch),
        )?;
        Ok(Sha256Run::on(engine, search, batch))
    }

    /// Prepares `search` with the CPU kernel `kernel` (serial and Rayon; the GPU ignores it): an
    /// error if this CPU cannot run it. [`Kernel::choose`] gives the kernel for a level.
    pub fn with_kernel(
        backend: &Backend,
        search: Search,
        batch: u64,
        kernel: Kernel,
    ) -> Result<Sha256Run> {
        if !kernel.is_supported() {
            return Err(Error::InvalidArgument(format!(
                "sha256: this CPU cannot run the {kernel} kernel"
            )));
        }
        let engine = Engine::new(
            backend,
            || kernel,
            |ctx| GpuSha256::new(ctx, &search, batch),
        )?;
        Ok(Sha256Run::on(engine, search, batch))
    }

    fn on(engine: Engine<Kernel, GpuSha256>, search: Search, batch: u64) -> Sha256Run {
        Sha256Run {
            template: Template::new(&search.prefix),
            search,
            engine,
            batch: batch.max(1),
            last: None,
        }
    }

    /// Runs the search; returns what it found and the run's timing. No input data (the prefix
    /// is a parameter); the result is the nonce and the match count, 16 bytes.
    pub fn search(&mut self) -> Result<(Found, RunTiming)> {
        let clock = RunClock::start();
        let s = &self.search;
        let (found, timing) = match &mut self.engine {
            Engine::Serial(sha_kernel) => {
                let kernel = clock.ready(0);
                let (first, matches) = scan(
                    *sha_kernel,
                    &self.template,
                    s.difficulty,
                    s.range(),
                    !s.exhaustive,
                );
                let found = Found::from_scan(s, first, matches);
                (found, kernel.done(None).on_host(16))
            }
            Engine::Rayon(pool, sha_kernel) => {
                let kernel = clock.ready(0);
                let threads = pool.current_num_threads();
                let sha_kernel = *sha_kernel;
                let found = pool.install(|| rayon_search(sha_kernel, s, self.batch, threads));
                (found, kernel.done(None).on_host(16))
            }
            Engine::Gpu(gpu) => gpu.run(clock)?,
        };
        self.last = Some(found);
        Ok((found, timing))
    }
}

impl Prepared for Sha256Run {
    fn run(&mut self) -> Result<RunTiming> {
        self.search().map(|(_, timing)| timing)
    }

    fn cpu_isa(&self) -> Option<Isa> {
        self.engine.cpu().map(|k| k.isa())
    }

    fn cpu_kernel(&self) -> Option<String> {
        self.engine.cpu().map(|k| k.to_string())
    }

    /// Hashes: the whole range for an exhaustive search; for a first-match search, the nonces
    /// up to and including the last run's answer.
    fn work(&self) -> f64 {
        self.last.map_or(self.search.count, |f| f.tried) as f64
    }

    fn result_summary(&self) -> Option<String> {
        self.last.map(|f| {
            let nonce = f.nonce.map_or("none".to_string(), |n| n.to_string());
            match f.matches {
                Some(m) => format!("smallest nonce {nonce}, {m} hits"),
                None => format!("smallest nonce {nonce}"),
            }
        })
    }
}

/// The vector level the CPU kernels run at unless told: `SPEEDUP_CPU` if set, else the first of
/// [`cpu::PREFERENCE`] this CPU has.
pub fn default_isa() -> Result<Isa> {
    Isa::for_kernel(&cpu::PREFERENCE)
}

impl Sha256Run {
    /// The CPU kernel serial and Rayon run (a row's `cpu_kernel`, its level the row's
    /// `cpu_isa`); `None` on a GPU.
    pub fn kernel(&self) -> Option<Kernel> {
        self.engine.cpu().copied()
    }
}

/// Runs `search` once on `backend`.
pub fn search(backend: &Backend, search: Search) -> Result<Found> {
    Sha256Run::new(backend, search)?.search().map(|(f, _)| f)
}

/// Searches the checks use: prefix lengths that put the nonce at every offset within a word
/// (0, 1, 2, 3 mod 4) and at the longest prefix, ranges of awkward lengths, one crossing 2^32
/// (the GPU's carry into the nonce's high word), both modes.
pub fn check_searches() -> Vec<Search> {
    const TEXT: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz+/ABCDEFGHI";
    let mut out = Vec::new();
    for (i, len) in [0, 1, 2, 7, 44, MAX_PREFIX].into_iter().enumerate() {
        for (j, &(start, count)) in [(0, 1), (5, 31), (0, 257), (100, 1000)].iter().enumerate() {
            let difficulty = [1, 2, 4, 6][(i + j) % 4];
            let exhaustive = j % 2 == 0;
            out.push(
                Search::new(&TEXT[..len], difficulty, start, count, exhaustive).expect("valid"),
            );
        }
    }
    let across = (1u64 << 32) - 700;
    out.push(Search::new(b"carry", 7, across, 1500, true).expect("valid"));
    out.push(Search::new(b"carry", 9, across, 3000, false).expect("valid"));
    out.push(Search::new(b"top", 3, u64::MAX - 100, 100, true).expect("valid"));
    out
}

/// SHA-256 search as a benchmark workload.
pub struct Sha256Workload;

impl Problem for Search {
    fn prepare(&self, backend: &Backend) -> Result<Box<dyn Prepared>> {
        Ok(Box::new(Sha256Run::new(backend, self.clone())?))
    }

    fn per_unit(&self) -> String {
        format!(
            "nonces after prefix {:?} at difficulty {}",
            String::from_utf8_lossy(&self.prefix),
            self.difficulty
        )
    }
}

impl Workload for Sha256Workload {
    fn single_run(&self) -> Option<SingleRun> {
        Some(SingleRun {
            notation: "N[:DIFFICULTY] nonces to search",
            default_size: "2^32",
            options: RUN_OPTIONS,
            run: run_once,
        })
    }

    fn name(&self) -> &'static str {
        "sha256"
    }

    fn description(&self) -> &'static str {
        "SHA-256 nonce search over a fixed range (integer, compute-bound)"
    }

    fn unit(&self) -> &'static str {
        "hashes"
    }

    fn default_sizes(&self, quick: bool) -> Vec<String> {
        if quick {
            vec!["2^20".into()]
        } else {
            vec!["2^24".into()]
        }
    }

    fn sweep_sizes(&self) -> Vec<String> {
        (14..=28).step_by(2).map(|k| format!("2^{k}")).collect()
    }

    fn device_size(&self) -> Option<DeviceSize> {
        // Device time on an H200 from the counted expectations (docs/performance.md): 2^29
        // nonces at difficulty 64 (no early stop) at 4e9–8e9/s: 67–134 ms. The CPU rows search
        // 2^24.
        Some(DeviceSize {
            cpu: "2^24:64",
            gpu: "2^29:64",
            problem: "nonce search at difficulty 64",
            part: "nonces 0..2^24, the start of the GPU's 0..2^29 (same prefix and difficulty)",
        })
    }

    fn shaders(&self) -> Vec<ShaderBuild> {
        // The kernel is compiled per search (its prefix and difficulty are pipeline constants):
        // the default search's build and its gate (a first-match search's), and one with a
        // 47-byte prefix (the nonce in words 11 to 13, 11 midstate rounds) and the largest
        // difficulty.
        let long = Search::new(&[b'x'; MAX_PREFIX], MAX_DIFFICULTY, 0, 1, true).expect("valid");
        let default = Search::parse("1").expect("valid");
        vec![
            gpu::shader_build(&default),
            gpu::gate_build(&default),
            gpu::shader_build(&long),
        ]
    }

    fn problem(&self, size: &str) -> Result<Box<dyn Problem>> {
        Ok(Box::new(Search::parse(size)?))
    }

    /// Per hash: one compression (FIPS 180-4 §6.2.2) of the one padded block, counted as the
    /// multi-buffer kernel writes it, a rotation counting as one logic operation:
    /// - 64 rounds: Σ1 (3 rotations, 2 XORs), Ch (AND, AND-NOT, XOR), Σ0 (3 + 2), Maj (2 ANDs,
    ///   an OR, an AND): 17 logic; T1 (4 adds), T2 (1), e = d + T1, a = T1 + T2: 7 adds;
    /// - 48 schedule words: σ0 and σ1 (2 rotations, a shift, 2 XORs each): 10 logic, 3 adds;
    /// - the final state: 8 adds.
    ///
    /// 64 × 17 + 48 × 10 = 1568 logic and 64 × 7 + 48 × 3 + 8 = 600 adds, less the rounds
    /// before the nonce's first word, which run once per search. No memory traffic (the block
    /// and state stay in registers). A row that ran the SHA-NI kernel is counted by
    /// its instructions instead ([`Workload::work_counts_ran`], [`counts::sha256_sha_ni`]).
    ///
    /// The GPU kernel takes the message words as pipeline constants (issue 20), so the driver
    /// folds every operation on the fixed words: `folded::gpu_ops_per_hash` counts what is
    /// left, for the size's prefix (1473 logic and 542 adds for the default prefix, against the
    /// 1568 and 600 above: the nonce reaches every schedule word, so little folds).
    fn work_counts(&self, size: &str, device: Device) -> Option<WorkCounts> {
        if device == Device::Gpu {
            let search = Search::parse(size).ok()?;
            let (adds, logic) = folded::gpu_ops_per_hash(&search.prefix);
            return Some(WorkCounts::compute(
                &[
                    (Measure::IntLogic, logic as f64),
                    (Measure::IntAdd, adds as f64),
                ],
                "after the driver folds the pipeline constants (the fixed message words)",
            ));
        }
        // The multi-buffer kernel runs the rounds before the nonce's first word once per search.
        let skipped = midstate_rounds(Search::parse(size).ok()?.prefix.len()) as f64;
        Some(WorkCounts::compute(
            &[
                (Measure::IntLogic, 1568.0 - 17.0 * skipped),
                (Measure::IntAdd, 600.0 - 7.0 * skipped),
            ],
            "operations of the portable compression (the multi-buffer kernel)",
        ))
    }

    fn work_counts_ran(&self, size: &str, device: Device, ran: &Ran) -> Option<WorkCounts> {
        match (device, ran.kernel) {
            (Device::Cpu, Some(kernel)) if kernel.starts_with(cpu::SHA_NI_NAME) => {
                let search = Search::parse(size).ok()?;
                // Groups of four rounds before the nonce's first word: run once per search.
                let skipped = midstate_rounds(search.prefix.len()) / 4;
                let lanes = ran.isa.map_or(1, Isa::lanes32);
                Some(counts::sha256_sha_ni(skipped, lanes))
            }
            _ => self.work_counts(size, device),
        }
    }

    fn verify(&self, backend: &Backend) -> Result<Check> {
        let searches = check_searches();
        for s in &searches {
            let expected = reference(s);
            // Small batches, so the batching itself is checked too.
            let got = Sha256Run::with_batch(backend, s.clone(), 200)?.search()?.0;
            if got != expected {
                return Ok(Check {
                    passed: false,
                    detail: format!(
                        "prefix {:?} difficulty {} nonces {:?}: got {got:?}, expected {expected:?}",
                        String::from_utf8_lossy(&s.prefix),
                        s.difficulty,
                        s.range()
                    ),
                });
            }
        }
        Ok(Check {
            passed: true,
            detail: format!(
                "{} searches identical to the sha2 reference",
                searches.len()
            ),
        })
    }
}

/// Leading zero bits `speedup run sha256` looks for when neither the size nor `--difficulty`
/// says (harder than [`DEFAULT_DIFFICULTY`], which keeps bench rows short).
const RUN_DIFFICULTY: u32 = 20;

/// The options of `speedup run sha256` besides the size.
const RUN_OPTIONS: &[RunOption] = &[
    RunOption::new(
        "difficulty",
        OptionKind::U32,
        "leading zero bits wanted (default 20)",
    ),
    RunOption::new(
        "prefix",
        OptionKind::Text,
        "message prefix, as text (at most 47 bytes)",
    ),
    RunOption::new("start", OptionKind::U64, "first nonce to try"),
    RunOption::new(
        "exhaustive",
        OptionKind::Switch,
        "hash the whole range and count every hit, instead of stopping at the first",
    ),
];

/// `speedup run sha256`: a search over `N[:DIFFICULTY]` nonces (`--difficulty` over the size's)
/// from `--start`, for the first hit or, `--exhaustive`, every hit.
fn run_once(size: &str, options: &RunOptions, backend: &Backend) -> Result<RunReport> {
    let (count, difficulty) = count_and_suffix(
        size,
        "sha256 nonce count",
        options.value("difficulty")?,
        "difficulty",
        RUN_DIFFICULTY,
    )?;
    let prefix = options.text("prefix").unwrap_or(DEFAULT_PREFIX);
    let search = Search::new(
        prefix.as_bytes(),
        difficulty,
        options.value("start")?.unwrap_or(0),
        count,
        options.has("exhaustive"),
    )?;
    let mut run = Sha256Run::new(backend, search.clone())?;
    let start = Instant::now();
    let (found, timing) = run.search()?;
    let elapsed = start.elapsed().as_secs_f64();
    let mut report = RunReport::default();
    report.line("prefix", format!("{prefix:?}"));
    report.line("difficulty", format!("{difficulty} leading zero bits"));
    report.line(
        "nonces",
        format!(
            "{}..{} ({})",
            search.range().start,
            search.range().end,
            if search.exhaustive {
                "exhaustive"
            } else {
                "first match"
            }
        ),
    );
    match found.nonce {
        Some(nonce) => {
            let digest = Sha256::digest(message(prefix.as_bytes(), nonce));
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            report.line(
                "nonce",
                format!("{nonce} (8 bytes little-endian after the prefix)"),
            );
            report.line("sha256", hex);
        }
        None => report.line("nonce", "none in the range"),
    }
    if let Some(m) = found.matches {
        report.line("hits", m);
    }
    report.line("tried", format!("{} nonces", found.tried));
    report.timing(elapsed, &timing, found.tried as f64, "hashes");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::Prepared;

    /// A CPU run's engine holds its kernel: the row's `cpu_isa` is the kernel's level and its
    /// `cpu_kernel` names the kernel, SHA-NI streams included where this CPU has them.
    #[test]
    fn a_cpu_run_reports_the_kernel_it_runs() {
        let search = Search::new(b"abc", 4, 0, 100, true).unwrap();
        let mut kernels = vec![Kernel::Lanes(Isa::Scalar), Kernel::Lanes(Isa::widest())];
        let ni = Kernel::ShaNi {
            isa: Isa::widest(),
            streams: 2,
        };
        if ni.is_supported() {
            kernels.push(ni);
        } else {
            eprintln!("sha-ni skipped: this CPU has no SHA-NI");
        }
        for kernel in kernels {
            for backend in [Backend::Serial, Backend::Rayon { threads: 2 }] {
                let mut run = Sha256Run::with_kernel(&backend, search.clone(), 64, kernel).unwrap();
                assert_eq!(run.search().unwrap().0, reference(&search), "{kernel}");
                assert_eq!(run.kernel(), Some(kernel));
                assert_eq!(run.cpu_isa(), Some(kernel.isa()));
                assert_eq!(run.cpu_kernel(), Some(kernel.to_string()));
            }
        }
        assert_eq!(Kernel::Lanes(Isa::Avx2).to_string(), "avx2 ×8");
        assert_eq!(ni.to_string(), "sha-ni ×2");
    }
}
