//! The serial and Rayon kernels of the SHA-256 search: what both CPU backends run.
//!
//! A nonce search hashes many independent messages, so the CPU can work on several at once, in
//! one of two ways ([`Kernel`]):
//!
//! - **multi-buffer** ([`Kernel::Lanes`]): one generic compression over the u32 lanes of the
//!   `Simd` vectors, one message per lane (4 with SSE2 or NEON, 8 with AVX2, 16 with
//!   AVX-512, 1 for [`Isa::Scalar`]), run at its level by `simd::dispatch`, which compiles the
//!   whole block loop for it;
//! - **SHA-NI streams** ([`Kernel::ShaNi`], `cpu/sha_ni.rs`): x86's SHA-256 instructions
//!   (`sha256rnds2`, two rounds of one message per instruction) on [`SHA_NI_STREAMS`] messages
//!   interleaved, so the round instructions' latency, which bounds a single stream (OpenSSL's),
//!   is overlapped; run by `simd::x86_64::sha::run_sha_ni` beside
//!   `simd::dispatch`.
//!
//! Which is faster depends on the CPU (how fast its `sha256rnds2` is, how wide its vectors are),
//! so [`Kernel::choose`] times both once per process on a few thousand nonces and keeps the
//! faster; `SPEEDUP_SHA=on|off` ([`crate::isa::sha_ni`]) decides instead.
//!
//! Every kernel hashes the same block: the prefix, the nonce's 8 little-endian bytes and the
//! padding ([`Template`]). Rounds before the first word the nonce touches do not depend on the
//! nonce: the multi-buffer kernel runs them once per search (a midstate within the block), the
//! SHA-NI kernel skips whole groups of four such rounds.

use super::{batch_sizes, padded_block, Found, Search, H0, K};
use crate::error::Result;
use crate::isa::{self, Isa};
use crate::simd::portable::Portable;
use crate::simd::{dispatch, rotr, Simd, SimdKernel};
use rayon::prelude::*;
use std::ops::Range;

#[cfg(target_arch = "x86_64")]
mod sha_ni;
use std::sync::OnceLock;
use std::time::Instant;

/// Independent messages the SHA-NI kernel keeps in flight when `SPEEDUP_SHA=on` forces it: two
/// hide most of `sha256rnds2`'s latency; four hide the rest where the CPU's 16 vector registers
/// hold them, which [`Kernel::choose`] finds out by timing ([`SHA_NI_STREAMS_TRIED`]).
pub const SHA_NI_STREAMS: usize = 2;

/// The SHA-NI stream counts [`Kernel::choose`] times against the multi-buffer kernel.
pub const SHA_NI_STREAMS_TRIED: [usize; 2] = [2, 4];

/// How the SHA-NI kernel's name starts (`cpu_kernel` in reports, e.g. "sha-ni ×2"):
/// what picks its operation count.
pub const SHA_NI_NAME: &str = "sha-ni";

/// The vector levels of the multi-buffer kernel, fastest first as measured.
pub const PREFERENCE: [Isa; 5] = [Isa::Avx512, Isa::Avx2, Isa::Neon, Isa::Sse2, Isa::Scalar];

/// How the CPU hashes: which kernel, at which level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// One message per lane of the level's vectors.
    Lanes(Isa),
    /// x86 SHA-NI with this many messages in flight (1, 2 or 4), chosen at a vector level of
    /// at least SSE2 (the SHA-NI code itself is 128-bit whatever the level; a row's `cpu_isa`
    /// is the level, its `cpu_kernel` says SHA-NI ran).
    ShaNi {
        /// The vector level the run was prepared at.
        isa: Isa,
        /// Messages interleaved.
        streams: usize,
    },
}

impl Kernel {
    /// The kernel for vector level `isa` on this CPU: multi-buffer at `isa`, or SHA-NI streams
    /// where the CPU has them, `isa` is not [`Isa::Scalar`] (plain Rust) and they are faster
    /// (2 or 4 streams against multi-buffer, timed once per process and level) or
    /// `SPEEDUP_SHA=on` asks for them ([`SHA_NI_STREAMS`]).
    pub fn choose(isa: Isa) -> Result<Kernel> {
        let lanes = Kernel::Lanes(isa);
        let ni = Kernel::ShaNi {
            isa,
            streams: SHA_NI_STREAMS,
        };
        if isa == Isa::Scalar || !isa::has_sha_ni() {
            return Ok(lanes);
        }
        match isa::sha_ni()? {
            Some(true) => return Ok(ni),
            Some(false) => return Ok(lanes),
            None => {}
        }
        static CHOSEN: OnceLock<Vec<(Isa, Kernel)>> = OnceLock::new();
        let chosen = CHOSEN.get_or_init(|| {
            Isa::detected()
                .iter()
                .filter(|&&level| level != Isa::Scalar)
                .map(|&level| {
                    let mut candidates = vec![Kernel::Lanes(level)];
                    candidates.extend(SHA_NI_STREAMS_TRIED.map(|streams| Kernel::ShaNi {
                        isa: level,
                        streams,
                    }));
                    (level, fastest(&candidates))
                })
                .collect()
        });
        Ok(chosen
            .iter()
            .find(|(level, _)| *level == isa)
            .map_or(ni, |&(_, kernel)| kernel))
    }

    /// The vector level the kernel was chosen at (a row's `cpu_isa`).
    pub fn isa(self) -> Isa {
        match self {
            Kernel::Lanes(isa) | Kernel::ShaNi { isa, .. } => isa,
        }
    }

    /// Whether this CPU can run the kernel.
    pub fn is_supported(self) -> bool {
        match self {
            Kernel::Lanes(isa) => isa.is_supported(),
            Kernel::ShaNi { isa, streams } => {
                isa != Isa::Scalar
                    && isa.is_supported()
                    && isa::has_sha_ni()
                    && matches!(streams, 1 | 2 | 4)
            }
        }
    }
}

/// The kernel's name, as a row's `cpu_kernel` and the table show it: the instructions and how
/// many messages are in flight, `avx2 ×8` (multi-buffer, eight AVX2 lanes) or `sha-ni ×2` (two
/// SHA-NI streams).
impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kernel::Lanes(isa) => write!(f, "{isa} ×{}", isa.lanes32()),
            Kernel::ShaNi { streams, .. } => write!(f, "{SHA_NI_NAME} ×{streams}"),
        }
    }
}

/// Of `candidates`, the one that hashes a few thousand nonces fastest (best of five rounds,
/// the candidates taking turns, so a busy moment on a shared machine does not decide it): about
/// 2 ms, once per process.
fn fastest(candidates: &[Kernel]) -> Kernel {
    let template = Template::new(super::DEFAULT_PREFIX.as_bytes());
    let mut best = vec![std::time::Duration::MAX; candidates.len()];
    for _ in 0..5 {
        for (kernel, best) in candidates.iter().zip(&mut best) {
            let start = Instant::now();
            std::hint::black_box(scan(*kernel, &template, 64, 0..4096, false));
            *best = (*best).min(start.elapsed());
        }
    }
    let winner = (0..candidates.len())
        .min_by_key(|&i| best[i])
        .expect("a candidate");
    candidates[winner]
}

/// The padded block of one search with the nonce's bytes zero, as SHA-256's big-endian message
/// words, and what follows from the prefix alone.
#[derive(Clone, Debug)]
pub struct Template {
    /// The 16 message words, nonce bytes zero.
    words: [u32; 16],
    /// The nonce's byte offset in the block (the prefix's length).
    // Read only by the SHA-NI kernel (x86-64).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    at: usize,
    /// The first word the nonce touches (its bytes span at most three words from there).
    first: usize,
    /// Bits to shift the nonce's big-endian bytes left in the 128-bit window of words
    /// `first..first + 4`.
    shift: u32,
    /// The working state after rounds `0..first`, which use only prefix words.
    midstate: [u32; 8],
}

impl Template {
    /// The template of messages `prefix ‖ nonce` (prefix at most [`super::MAX_PREFIX`] bytes).
    pub fn new(prefix: &[u8]) -> Template {
        let block = padded_block(prefix);
        let words = std::array::from_fn(|i| {
            u32::from_be_bytes(block[4 * i..4 * i + 4].try_into().expect("4 bytes"))
        });
        let first = prefix.len() / 4;
        Template {
            words,
            at: prefix.len(),
            first,
            shift: 64 - 8 * (prefix.len() - 4 * first) as u32,
            midstate: rounds_on_one(H0, &words, first),
        }
    }

    /// Words `first..first + 3` of `nonce`'s block.
    #[inline(always)]
    fn nonce_words(&self, nonce: u64) -> [u32; 3] {
        let window = (nonce.swap_bytes() as u128) << self.shift;
        std::array::from_fn(|j| self.words[self.first + j] | (window >> (96 - 32 * j)) as u32)
    }

    /// The nonce's bits in the 16-byte groups of words `4g..4g + 8`, `g = first / 4` (the
    /// nonce's 8 bytes lie within them), each as the 128 bits of a vector of four words: to be
    /// or-ed into the template's groups, computed in registers (writing words to memory and
    /// loading them as a vector would stall on store forwarding).
    #[inline(always)]
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    fn nonce_groups(&self, nonce: u64) -> [u128; 2] {
        // The nonce's bytes as a big-endian number, placed at byte r of 32 bytes.
        let bytes = nonce.swap_bytes() as u128;
        let r = (self.at - 16 * (self.first / 4)) as u32;
        let (high, low) = if r <= 8 {
            (bytes << (64 - 8 * r), 0)
        } else {
            (bytes >> (8 * r - 64), bytes << (192 - 8 * r))
        };
        // Big-endian words to lane order: word 0 in the low 32 bits.
        let lanes = |x: u128| {
            ((x >> 64) as u64).rotate_left(32) as u128 | ((x as u64).rotate_left(32) as u128) << 64
        };
        [lanes(high), lanes(low)]
    }
}

/// Whether digest words 0 and 1 start with at least `difficulty` zero bits.
#[inline(always)]
fn enough_zeros(w0: u32, w1: u32, difficulty: u32) -> bool {
    let zeros = if w0 == 0 {
        32 + w1.leading_zeros()
    } else {
        w0.leading_zeros()
    };
    zeros >= difficulty
}

/// Scans `range` with `kernel` for nonces whose hash has at least `difficulty` zero bits: the
/// first one and how many, stopping at the first when `stop_at_first` (then the count is 1 or
/// 0). Serial runs it over the whole range; Rayon over chunks in parallel.
///
/// # Panics
///
/// If this CPU cannot run `kernel` (callers pass one from [`Kernel::choose`]).
pub fn scan(
    kernel: Kernel,
    template: &Template,
    difficulty: u32,
    range: Range<u64>,
    stop_at_first: bool,
) -> (Option<u64>, u64) {
    assert!(kernel.is_supported(), "this CPU cannot run {kernel}");
    let mut out = Scan {
        template,
        difficulty,
        stop_at_first,
        first: None,
        matches: 0,
    };
    match kernel {
        Kernel::Lanes(isa) => dispatch(
            isa,
            ScanLanes {
                out: &mut out,
                range,
            },
        ),
        #[cfg(target_arch = "x86_64")]
        Kernel::ShaNi { streams, .. } => sha_ni::scan(streams, &mut out, range),
        #[cfg(not(target_arch = "x86_64"))]
        Kernel::ShaNi { .. } => unreachable!("SHA-NI is x86-64's (checked above)"),
    }
    (out.first, out.matches)
}

/// One scan's question and its answer so far.
struct Scan<'a> {
    template: &'a Template,
    difficulty: u32,
    stop_at_first: bool,
    first: Option<u64>,
    matches: u64,
}

impl Scan<'_> {
    /// Records the hashes of `count` consecutive nonces from `base` (digest words 0 and 1 of
    /// each); true when the scan is over (a hit in a first-match search).
    #[inline(always)]
    fn record(&mut self, base: u64, w0: &[u32], w1: &[u32]) -> bool {
        for (lane, (&a, &b)) in w0.iter().zip(w1).enumerate() {
            if enough_zeros(a, b, self.difficulty) {
                self.first = self.first.or(Some(base + lane as u64));
                self.matches += 1;
                if self.stop_at_first {
                    return true;
                }
            }
        }
        false
    }
}

/// The multi-buffer kernel: the scan at one vector level, then what it left (fewer nonces than
/// a vector holds) one at a time.
struct ScanLanes<'s, 't> {
    out: &'s mut Scan<'t>,
    range: Range<u64>,
}

impl SimdKernel for ScanLanes<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        let ScanLanes { out, range } = self;
        let rest = scan_lanes(s, out, range);
        if !(out.stop_at_first && out.first.is_some()) {
            scan_lanes(Portable::<1>, out, rest);
        }
    }
}

/// The multi-buffer scan: `S::LANES` consecutive nonces per compression, until fewer than that
/// are left (or a first-match search has its hit); returns the nonces it left.
#[inline(always)]
fn scan_lanes<S: Simd>(s: S, out: &mut Scan, range: Range<u64>) -> Range<u64> {
    let t = out.template;
    let lanes = S::LANES as u64;
    let mut nonce = range.start;
    let mut words = [[0u32; 16]; 3];
    let (mut w0, mut w1) = ([0u32; 16], [0u32; 16]);
    while range.end - nonce >= lanes {
        for (lane, n) in (nonce..).take(S::LANES).enumerate() {
            for (row, &word) in words.iter_mut().zip(&t.nonce_words(n)) {
                row[lane] = word;
            }
        }
        let nonce_words = words.map(|row| s.load_u32(&row));
        let (a, b) = compress_lanes(s, t, nonce_words);
        s.store_u32(a, &mut w0);
        s.store_u32(b, &mut w1);
        let done = out.record(nonce, &w0[..S::LANES], &w1[..S::LANES]);
        nonce += lanes;
        if done {
            return nonce..nonce;
        }
    }
    nonce..range.end
}

/// Digest words 0 and 1 of `S::LANES` blocks that differ only in the three words from
/// `t.first` (`nonce_words`), from the template's midstate.
#[inline(always)]
fn compress_lanes<S: Simd>(s: S, t: &Template, nonce_words: [S::U32; 3]) -> (S::U32, S::U32) {
    let mut w: [S::U32; 16] = std::array::from_fn(|i| s.splat_u32(t.words[i]));
    w[t.first..t.first + 3].copy_from_slice(&nonce_words);
    let mut state: [S::U32; 8] = std::array::from_fn(|i| s.splat_u32(t.midstate[i]));
    for i in t.first..16 {
        round(s, &mut state, s.add_u32(s.splat_u32(K[i]), w[i]));
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = state;
    // Rounds 16..64 sixteen at a time, unrolled: the message ring's indices are constants and
    // the working variables rotate by renaming, not by moves.
    macro_rules! step {
        ($base:expr, $j:literal, $a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident, $g:ident, $h:ident) => {
            let w15 = w[($j + 1) & 15];
            let w2 = w[($j + 14) & 15];
            let s0 = s.xor3(rotr!(s, w15, 7), rotr!(s, w15, 18), s.shr_u32::<3>(w15));
            let s1 = s.xor3(rotr!(s, w2, 17), rotr!(s, w2, 19), s.shr_u32::<10>(w2));
            w[$j] = s.add_u32(s.add_u32(s.add_u32(w[$j], s0), w[($j + 9) & 15]), s1);
            let kw = s.add_u32(s.splat_u32(K[$base + $j]), w[$j]);
            let big_s1 = s.xor3(rotr!(s, $e, 6), rotr!(s, $e, 11), rotr!(s, $e, 25));
            let t1 = s.add_u32(s.add_u32(s.add_u32($h, big_s1), s.choose($e, $f, $g)), kw);
            let big_s0 = s.xor3(rotr!(s, $a, 2), rotr!(s, $a, 13), rotr!(s, $a, 22));
            $d = s.add_u32($d, t1);
            $h = s.add_u32(t1, s.add_u32(big_s0, s.majority($a, $b, $c)));
        };
    }
    for base in [16, 32, 48] {
        step!(base, 0, a, b, c, d, e, f, g, h);
        step!(base, 1, h, a, b, c, d, e, f, g);
        step!(base, 2, g, h, a, b, c, d, e, f);
        step!(base, 3, f, g, h, a, b, c, d, e);
        step!(base, 4, e, f, g, h, a, b, c, d);
        step!(base, 5, d, e, f, g, h, a, b, c);
        step!(base, 6, c, d, e, f, g, h, a, b);
        step!(base, 7, b, c, d, e, f, g, h, a);
        step!(base, 8, a, b, c, d, e, f, g, h);
        step!(base, 9, h, a, b, c, d, e, f, g);
        step!(base, 10, g, h, a, b, c, d, e, f);
        step!(base, 11, f, g, h, a, b, c, d, e);
        step!(base, 12, e, f, g, h, a, b, c, d);
        step!(base, 13, d, e, f, g, h, a, b, c);
        step!(base, 14, c, d, e, f, g, h, a, b);
        step!(base, 15, b, c, d, e, f, g, h, a);
    }
    (
        s.add_u32(a, s.splat_u32(H0[0])),
        s.add_u32(b, s.splat_u32(H0[1])),
    )
}

/// One SHA-256 round on `state` (a..h) with `kw` = K[i] + W[i].
#[inline(always)]
fn round<S: Simd>(s: S, state: &mut [S::U32; 8], kw: S::U32) {
    let [a, b, c, d, e, f, g, h] = *state;
    let big_s1 = s.xor3(rotr!(s, e, 6), rotr!(s, e, 11), rotr!(s, e, 25));
    let t1 = s.add_u32(s.add_u32(s.add_u32(h, big_s1), s.choose(e, f, g)), kw);
    let big_s0 = s.xor3(rotr!(s, a, 2), rotr!(s, a, 13), rotr!(s, a, 22));
    let t2 = s.add_u32(big_s0, s.majority(a, b, c));
    *state = [s.add_u32(t1, t2), a, b, c, s.add_u32(d, t1), e, f, g];
}

/// The state after rounds `0..n` of `words` from `state`, one lane in plain Rust: the rounds
/// that use only the prefix, which every nonce shares.
fn rounds_on_one(mut state: [u32; 8], words: &[u32; 16], n: usize) -> [u32; 8] {
    let mut lanes = state.map(|x| [x]);
    for (&k, &w) in K.iter().zip(words).take(n) {
        round(Portable::<1>, &mut lanes, [k.wrapping_add(w)]);
    }
    state = lanes.map(|[x]| x);
    state
}

/// Runs `search` on the current Rayon pool with `kernel`: rounds of at most `batch` nonces split
/// into chunks, several per thread; a first-match search stops after the first round with a hit.
pub fn rayon_search(kernel: Kernel, search: &Search, batch: u64, threads: usize) -> Found {
    let template = Template::new(&search.prefix);
    let range = search.range();
    let mut first = None;
    let mut matches = 0;
    let mut base = range.start;
    let mut sizes = batch_sizes(search, batch);
    while base < range.end && (search.exhaustive || first.is_none()) {
        let size = sizes.next().expect("endless");
        let end = base.saturating_add(size).min(range.end);
        // Several chunks per thread, so work stealing can even out uneven progress.
        let chunk = ((end - base) / (threads as u64 * 8)).max(1);
        let chunks = (end - base).div_ceil(chunk);
        let (f, m) = (0..chunks)
            .into_par_iter()
            .map(|c| {
                let lo = base + c * chunk;
                let hi = lo.saturating_add(chunk).min(end);
                scan(
                    kernel,
                    &template,
                    search.difficulty,
                    lo..hi,
                    !search.exhaustive,
                )
            })
            .reduce(
                || (None, 0),
                |(fa, ma), (fb, mb)| (min_some(fa, fb), ma + mb),
            );
        first = first.or(f);
        matches += m;
        base = end;
    }
    Found::from_scan(search, first, matches)
}

pub(super) fn min_some(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::sha256::{leading_zero_bits, message};
    use sha2::{Digest, Sha256};

    const TEXT: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz+/ABCDEFGHIJ";

    /// The plain answer: every nonce hashed with the `sha2` crate, difficulty 0 allowed.
    fn expected(
        prefix: &[u8],
        difficulty: u32,
        range: Range<u64>,
        stop: bool,
    ) -> (Option<u64>, u64) {
        let mut first = None;
        let mut matches = 0;
        for nonce in range {
            if leading_zero_bits(&Sha256::digest(message(prefix, nonce))) >= difficulty {
                first = first.or(Some(nonce));
                matches += 1;
                if stop {
                    break;
                }
            }
        }
        (first, matches)
    }

    /// Searches at awkward places: every nonce offset within a word and the skipped rounds of
    /// long prefixes, lengths 0 and 1 and around the lane counts, difficulties 0 to 9, ranges
    /// across 2^32 and at the top of the nonces.
    fn cases() -> Vec<(usize, u32, Range<u64>, bool)> {
        let mut out = Vec::new();
        let lengths = [0, 1, 2, 3, 4, 5, 7, 15, 16, 17, 31, 44, 47];
        let counts = [0, 1, 3, 5, 17, 33, 70];
        for (i, &len) in lengths.iter().enumerate() {
            for (j, &count) in counts.iter().enumerate() {
                let difficulty = ((i + j) % 10) as u32;
                let start = (i * 1000 + j) as u64;
                out.push((len, difficulty, start..start + count, (i + j) % 3 == 0));
            }
        }
        let edge = 1u64 << 32;
        out.push((7, 3, edge - 21..edge + 30, false));
        out.push((7, 6, edge - 40..edge + 300, true));
        out.push((33, 2, u64::MAX - 45..u64::MAX, false));
        // Enough nonces for a dozen hits at 12 bits: the digest's first words bit for bit.
        out.push((7, 12, 0..50_000, false));
        out.push((20, 33, 0..300, false));
        out
    }

    fn kernels() -> Vec<Kernel> {
        let mut out: Vec<Kernel> = Isa::detected().iter().map(|&i| Kernel::Lanes(i)).collect();
        for streams in [1, 2, 4] {
            let ni = Kernel::ShaNi {
                isa: Isa::widest(),
                streams,
            };
            if ni.is_supported() {
                out.push(ni);
            } else {
                eprintln!("{ni} skipped: this CPU has no SHA-NI");
            }
        }
        if !Isa::Avx512.is_supported() {
            eprintln!("avx512 skipped: this CPU has no AVX-512 (its 16-lane logic is checked by the portable vector)");
        }
        out
    }

    #[test]
    fn every_kernel_of_this_cpu_finds_the_reference_nonces() {
        for kernel in kernels() {
            for (len, difficulty, range, stop) in cases() {
                let template = Template::new(&TEXT[..len]);
                let got = scan(kernel, &template, difficulty, range.clone(), stop);
                let want = expected(&TEXT[..len], difficulty, range.clone(), stop);
                assert_eq!(
                    got, want,
                    "{kernel}: prefix {len} difficulty {difficulty} {range:?} stop {stop}"
                );
            }
        }
    }

    #[test]
    fn sixteen_portable_lanes_find_the_reference_nonces() {
        for (len, difficulty, range, stop) in cases() {
            let template = Template::new(&TEXT[..len]);
            let mut out = Scan {
                template: &template,
                difficulty,
                stop_at_first: stop,
                first: None,
                matches: 0,
            };
            ScanLanes {
                out: &mut out,
                range: range.clone(),
            }
            .run(Portable::<16>);
            let want = expected(&TEXT[..len], difficulty, range.clone(), stop);
            assert_eq!(
                (out.first, out.matches),
                want,
                "prefix {len} difficulty {difficulty} {range:?}"
            );
        }
    }
}
