//! Golly's run-length encoded format (`.rle`).
//!
//! ```text
//! #N Glider
//! #C A comment
//! x = 3, y = 3, rule = B3/S23
//! bob$2bo$3o!
//! ```
//! `b` (or `.`) is a dead cell, `o` (or `A`) a live one, `$` ends a row, a number before a tag
//! repeats it, `!` ends the pattern. Line breaks and spaces may stand anywhere between tokens.
//!
//! Both directions work on bytes at memory speed: the reader walks the body once (twice only
//! for a file without a header line, whose size it must find first) and ORs each live run into
//! the grid's words; the writer reads whole words, finds runs with `trailing_zeros`, and streams
//! tokens through a small buffer into any [`std::io::Write`].

use super::{new_grid, parse_error, Pattern, TextSink};
use crate::error::Result;
use crate::life::grid::Grid;
use crate::life::memory::check_grids;
use crate::life::rule::RuleSpec;
use crate::simd::bytes::{run_bits, Bits, BitsKernel, Bytes32, PortableBits, B16};
use std::io::Write;

/// Longest line the writer emits, as Golly does.
pub const MAX_LINE: usize = 70;

/// Parses RLE text; `file` names the source in errors.
///
/// `#` lines before the header: `#N` name, `#C`/`#c`/`#O` and unknown tags kept as comments,
/// `#r` an old-style rule line. Golly's `#CXRLE Pos=x,y Gen=n` line and the old `#P`/`#R`
/// position lines are accepted and ignored: they place the pattern in Golly's unbounded plane,
/// while speedup's grid is finite and starts at the pattern's top-left corner (or centres it).
pub fn parse(text: &str, file: &str) -> Result<Pattern> {
    parse_bytes(text.as_bytes(), file)
}

/// [`parse`] on bytes (see [`super::parse_pattern_bytes`] for how UTF-8 is checked).
pub(crate) fn parse_bytes(text: &[u8], file: &str) -> Result<Pattern> {
    parse_with(text, file, Path::Native)
}

/// How a body is read: every path gives the same grid, or the same error (tests compare them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
enum Path {
    /// A byte at a time ([`Body::scan`]'s own loop): what every other path leaves to it.
    Bytes,
    /// 64-byte windows read a token at a time ([`Body::window`]).
    Windows,
    /// 64-byte blocks read 8 bytes per `pext` ([`Body::blocks`]) with [`PortableBits`]:
    /// the definition the CPU's instructions are tested against.
    Portable,
    /// [`Body::blocks`] with the CPU's `pext` where it has a fast one
    /// ([`run_bits`]), else [`Path::Windows`]: what [`parse`] uses.
    Native,
}

/// [`parse`] by one [`Path`].
fn parse_with(text: &[u8], file: &str, path: Path) -> Result<Pattern> {
    let mut name = None;
    let mut comments = Vec::new();
    let mut rule = None;
    let mut header: Option<(u64, u64)> = None;
    // (line number, byte offset) where the body starts.
    let mut body_start = None;
    let mut offset = 0;
    let mut line_count = 0;
    for (i, raw) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        line_count = i + 1;
        let line_offset = offset;
        offset += raw.len();
        let line = raw
            .strip_suffix(b"\n")
            .map_or(raw, |l| l.strip_suffix(b"\r").unwrap_or(l));
        // A body line starts with an ASCII byte that is not a space, '#' or 'x': it is not
        // looked at as text (it may be a whole body on one line). Any other line is.
        let first = line.iter().position(|&b| !super::is_space(b));
        let Some(first) = first else { continue };
        if line[first] < 0x80 && !matches!(line[first], b'#' | b'x' | b'X') {
            body_start = Some((i + 1, line_offset));
            break;
        }
        let line = super::text_of(line, file, i + 1)?;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('#') {
            let tag_len = rest.chars().next().map_or(0, char::len_utf8);
            let (tag, value) = rest.split_at(tag_len);
            let value = value.trim().to_string();
            match tag {
                "N" => name = Some(value),
                "r" => rule = Some(parse_rule(&value, file, i + 1, 3)?),
                "C" if value.starts_with("XRLE") => {}
                "P" | "R" => {}
                "C" | "c" | "O" => comments.push(value),
                _ => comments.push(rest.trim().to_string()),
            }
            continue;
        }
        if is_header(trimmed) {
            let (size, r) = parse_header(line, file, i + 1)?;
            header = Some(size);
            if r.is_some() {
                rule = r;
            }
            body_start = Some((i + 2, offset));
        } else {
            body_start = Some((i + 1, line_offset));
        }
        break;
    }
    let Some((body_line, body_offset)) = body_start else {
        return Err(parse_error(
            file,
            line_count.max(1),
            1,
            "no pattern found: expected a header line 'x = W, y = H' and RLE data",
        ));
    };
    let body = Body {
        text,
        start: body_offset,
        line: body_line,
        file,
        path,
    };
    let grid = match header {
        // With a header the grid is allocated first and filled in one pass; a run outside the
        // header's size is an error at its tag.
        Some((w, h)) => {
            let mut grid = new_grid(w, h, file, body_line - 1, 1)?;
            body.read(Some((w, h)), &mut Fill::new(&mut grid))?;
            grid
        }
        // Without one, a first pass finds the extent, so that no list of cells is ever held.
        None => {
            let mut extent = Extent::default();
            body.read(None, &mut extent)?;
            let mut grid = new_grid(extent.width, extent.height, file, (body_line - 1).max(1), 1)?;
            body.read(None, &mut Fill::new(&mut grid))?;
            grid
        }
    };
    Ok(Pattern {
        grid,
        rule,
        name,
        comments,
    })
}

/// `x = 3, ...` (the key `x`, then `=`), as opposed to a body line.
fn is_header(trimmed: &str) -> bool {
    let mut chars = trimmed.chars();
    matches!(chars.next(), Some('x' | 'X')) && chars.as_str().trim_start().starts_with('=')
}

fn parse_rule(text: &str, file: &str, line: usize, column: usize) -> Result<RuleSpec> {
    RuleSpec::parse(text).map_err(|e| parse_error(file, line, column, e.to_string()))
}
/// Parses `x = 3, y = 3, rule = B3/S23`, returning the size and the rule, if any. The rule is
/// the last key and runs to the end of the line, since Golly's suffix holds a comma
/// (`rule = B3/S23:T64,32`).
fn parse_header(line: &str, file: &str, line_no: usize) -> Result<((u64, u64), Option<RuleSpec>)> {
    let (mut x, mut y, mut rule) = (None, None, None);
    let mut offset = 0;
    while offset < line.len() {
        let rest = &line[offset..];
        let column = offset + rest.len() - rest.trim_start().len() + 1;
        let Some(eq) = rest.find('=') else {
            return Err(parse_error(
                file,
                line_no,
                column,
                format!(
                    "expected 'key = value' in the header, found '{}'",
                    rest.trim()
                ),
            ));
        };
        let key = rest[..eq].trim().to_ascii_lowercase();
        let value_start = offset + eq + 1;
        let value_end = match key.as_str() {
            "rule" => line.len(),
            _ => line[value_start..]
                .find(',')
                .map_or(line.len(), |c| value_start + c),
        };
        let raw = &line[value_start..value_end];
        let value = raw.trim();
        let value_col = value_start + raw.len() - raw.trim_start().len() + 1;
        offset = value_end + 1;
        let number = |v: &str| -> Result<u64> {
            v.parse::<u64>().map_err(|_| {
                parse_error(
                    file,
                    line_no,
                    value_col,
                    format!("expected a whole number, found '{v}'"),
                )
            })
        };
        match key.as_str() {
            "x" => x = Some(number(value)?),
            "y" => y = Some(number(value)?),
            "rule" => rule = Some(parse_rule(value, file, line_no, value_col)?),
            other => {
                return Err(parse_error(
                    file,
                    line_no,
                    column,
                    format!("unknown header key '{other}': expected x, y or rule"),
                ))
            }
        }
    }
    match (x, y) {
        (Some(x), Some(y)) => {
            // Refuse absurd sizes here, before the body is read or anything allocated. Golly
            // writes `x = 0, y = 0` for an empty pattern: that is a 1x1 grid.
            check_grids(x.max(1), y.max(1), 1, "the header's size")
                .map_err(|e| parse_error(file, line_no, 1, e.to_string()))?;
            Ok(((x, y), rule))
        }
        _ => Err(parse_error(
            file,
            line_no,
            1,
            "the header must give both x and y, as in 'x = 3, y = 3'",
        )),
    }
}

/// Where the live cells a body describes go: the grid, or the extent of a file without a header.
trait Runs {
    /// `n` live cells from (x, y) on, inside the limits the scan was given.
    fn live(&mut self, x: u64, y: u64, n: u64);
    /// Cells `base .. base + 64` of row `y` (`base` a multiple of 64), bit 0 first, ORed in;
    /// any set bit is inside the limits. There may be none, and then the word may lie anywhere
    /// (past the row, past the grid): nothing changes. No branch depends on the bits (a soup's
    /// words are full or empty at random).
    fn bits(&mut self, y: u64, base: u64, bits: u64);
}

/// Runs ORed into a grid's words. It holds the words and the row length, not the grid: taken
/// once, they stay in registers through the loops that call [`Runs::bits`] every 64 cells
/// (through a `&mut Grid`, they were loaded again at every call).
struct Fill<'a> {
    words: &'a mut [u32],
    words_per_row: usize,
}

impl<'a> Fill<'a> {
    fn new(grid: &'a mut Grid) -> Fill<'a> {
        let words_per_row = grid.words_per_row() as usize;
        Fill {
            words: grid.words_mut(),
            words_per_row,
        }
    }
}

impl Runs for Fill<'_> {
    fn live(&mut self, x: u64, y: u64, n: u64) {
        super::fill_words(self.words, self.words_per_row, x, y, n)
    }

    // Always inlined: called once per 64 cells from the window loops, it stayed a call.
    #[inline(always)]
    fn bits(&mut self, y: u64, base: u64, bits: u64) {
        // Set bits are inside the grid: a word that is not holds none of them.
        let at = (y as usize)
            .wrapping_mul(self.words_per_row)
            .wrapping_add((base / 32) as usize);
        if let Some(word) = self.words.get_mut(at) {
            *word |= bits as u32;
        }
        if let Some(word) = self.words.get_mut(at.wrapping_add(1)) {
            *word |= (bits >> 32) as u32;
        }
    }
}

/// The extent of the live cells: the grid a file without a header needs.
#[derive(Default)]
struct Extent {
    width: u64,
    height: u64,
}

impl Runs for Extent {
    fn live(&mut self, x: u64, y: u64, n: u64) {
        self.width = self.width.max(x + n);
        self.height = self.height.max(y + 1);
    }

    #[inline(always)]
    fn bits(&mut self, y: u64, base: u64, bits: u64) {
        let any = (bits != 0) as u64;
        // `any` times the extent: 0 (no change) for no bits.
        let right = (base + 64 - bits.leading_zeros() as u64) * any;
        self.width = self.width.max(right);
        self.height = self.height.max((y + 1) * any);
    }
}

/// A 64-byte window of an RLE body, classified: bit masks (bit j for byte j) and, for each
/// byte, the run a token ending there describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    /// `0`..`9`.
    digits: u64,
    /// `0`.
    zeros: u64,
    /// The run tags `b`, `.`, `o`, `A`.
    runs: u64,
    /// `$`.
    rows: u64,
    /// `\n`.
    newlines: u64,
    /// For a token ending at byte j: its count (the 0 to 2 digits just before j within the
    /// window, 1 for none) in the low 7 bits, and bit 7 set when byte j is a live tag. Meaningful
    /// only where no third digit precedes j (the window path checks that with the masks).
    counts: [u8; 64],
}

impl Window {
    const EMPTY: Window = Window {
        digits: 0,
        zeros: 0,
        runs: 0,
        rows: 0,
        newlines: 0,
        counts: [0; 64],
    };
}

/// Classifies the 64 bytes at `bytes[at..]` (`at >= 2`: the two bytes before are loaded, and
/// ignored), 16 bytes per vector operation ([`crate::simd::bytes`]: SSE2 on x86-64, NEON on
/// aarch64).
#[inline]
fn classify(bytes: &[u8], at: usize) -> Window {
    assert!(at >= 2 && at + 64 <= bytes.len());
    // The bytes before the window are not part of its counts: its first one or two lanes of
    // "digit one (two) before" are cleared.
    const AFTER_FIRST: [u8; 16] = [
        0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    ];
    const AFTER_SECOND: [u8; 16] = [
        0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    ];
    let splat = B16::splat;
    let is_digit = |v: B16| v.in_range(b'0', b'9');
    // The window and the two bytes before it, as one array: the loads below are then at
    // constant offsets, with no bounds check each.
    let window: &[u8; 66] = bytes[at - 2..at + 64].try_into().expect("66 bytes");
    let mut w = Window::EMPTY;
    for k in 0..4 {
        let from = 2 + 16 * k;
        let (v, v1, v2) = (
            B16::load(&window[from..]),
            B16::load(&window[from - 1..]),
            B16::load(&window[from - 2..]),
        );
        let (mut d1, mut d2) = (is_digit(v1), is_digit(v2));
        if k == 0 {
            d1 = d1.and(B16::load(&AFTER_FIRST));
            d2 = d2.and(B16::load(&AFTER_SECOND));
        }
        let value1 = v1.sub(splat(b'0'));
        let value2 = v2.sub(splat(b'0'));
        // 1 without a digit before, else that digit; plus ten times the one before it.
        let ones = d1.and(value1).or(d1.andnot(splat(1)));
        let twice = value2.add(value2);
        let eight = twice.add(twice).add(twice.add(twice));
        let tens = d1.and(d2).and(eight.add(twice));
        let live = v.eq(b'o').or(v.eq(b'A'));
        let count = ones.add(tens).or(live.and(splat(0x80)));
        w.counts[16 * k..16 * k + 16].copy_from_slice(&count.to_array());
        let runs = live.or(v.eq(b'b').or(v.eq(b'.')));
        let mask = |v: B16| (v.mask() as u64) << (16 * k);
        w.digits |= mask(is_digit(v));
        w.zeros |= mask(v.eq(b'0'));
        w.runs |= mask(runs);
        w.rows |= mask(v.eq(b'$'));
        w.newlines |= mask(v.eq(b'\n'));
    }
    w
}

/// [`classify`] a byte at a time: the definition the vector version is tested against.
#[cfg(test)]
fn classify_portable(bytes: &[u8], at: usize) -> Window {
    let window = &bytes[at..at + 64];
    let mut w = Window::EMPTY;
    let digit = |j: usize, back: usize| j >= back && window[j - back].is_ascii_digit();
    for (j, &b) in window.iter().enumerate() {
        w.digits |= (b.is_ascii_digit() as u64) << j;
        w.zeros |= ((b == b'0') as u64) << j;
        w.runs |= (matches!(b, b'b' | b'.' | b'o' | b'A') as u64) << j;
        w.rows |= ((b == b'$') as u64) << j;
        w.newlines |= ((b == b'\n') as u64) << j;
        let ones = if digit(j, 1) { window[j - 1] - b'0' } else { 1 };
        let tens = if digit(j, 1) && digit(j, 2) {
            10 * (window[j - 2] - b'0')
        } else {
            0
        };
        let live = if matches!(b, b'o' | b'A') { 0x80 } else { 0 };
        w.counts[j] = (ones + tens) | live;
    }
    w
}

/// `n` low bits set (all 64 from 64 on).
#[inline(always)]
fn below(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

/// A 64-byte block of an RLE body as [`Body::blocks`] reads it: bit masks (bit j for byte j),
/// and each byte's slot of cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slots {
    /// `0`..`9`.
    digits: u64,
    /// `0`.
    zeros: u64,
    /// The bytes that end a token: `b`, `o`, `$` and `\n` (not `.` and `A`: this path leaves
    /// them to [`Body::window`]).
    ends: u64,
    /// `\n`.
    newlines: u64,
    /// The tags read one by one: `$`, and those of runs of 25 to 99 cells (more than their 3
    /// slots hold).
    hard: u64,
    /// Byte j: as many low bits set as cells the slot of byte j holds, 0 to 8. A run of n
    /// cells, n at most 24, gives its tag byte min(n, 8), its last digit the next
    /// min(n - 8, 8), a tens digit before it the rest; a longer run's bytes, the digits of a
    /// `$` and every other byte get none. Meaningful where the token is plain (at most two
    /// digits, no leading 0). Bytes 64..72 are 0 (8 can be loaded from any byte).
    cells: [u8; 72],
    /// `cells` where the run is live, else 0.
    live: [u8; 72],
}

impl Slots {
    const EMPTY: Slots = Slots {
        digits: 0,
        zeros: 0,
        ends: 0,
        newlines: 0,
        hard: 0,
        cells: [0; 72],
        live: [0; 72],
    };
}

/// Classifies the 64 bytes at `bytes[at..]` for [`Body::blocks`] (`at >= 2` and
/// `at + 66 <= bytes.len()`: the two bytes before and after are looked at), 32 bytes per
/// vector operation. What a byte's slot holds depends only on the bytes around it, not on
/// where the block starts: a count looks back two bytes (into the block before), and a digit
/// looks ahead one or two bytes for its tag (into the block after). So blocks at fixed offsets
/// can be classified ahead of the reading, independently of where their tokens end.
///
/// It fills `s` in place: returned by value, the arrays were copied a byte at a time.
#[inline(always)]
fn classify_slots<B: Bits>(bits: B, bytes: &[u8], at: usize, s: &mut Slots) {
    assert!(at >= 2 && at + 66 <= bytes.len());
    // n low bits for n = 0..=8, and none for 9 (a long run's bytes).
    const LOW_BITS: [u8; 16] = [0, 1, 3, 7, 15, 31, 63, 127, 255, 0, 0, 0, 0, 0, 0, 0];
    // Ten times a digit's value: one look-up, where adds took four.
    const TENS: [u8; 16] = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 0, 0, 0, 0, 0, 0];
    let splat = |b: u8| bits.splat(b);
    let is_digit = |v: B::V| v.in_range(b'0', b'9');
    // Meaningful for digits (other lanes are masked off where it is used).
    let ten = |v: B::V| bits.lookup(&TENS, v);
    let window: &[u8; 68] = bytes[at - 2..at + 66].try_into().expect("68 bytes");
    (s.digits, s.zeros, s.ends, s.newlines, s.hard) = (0, 0, 0, 0, 0);
    for k in 0..2 {
        let from = 2 + 32 * k;
        let load = |at: usize| bits.load(&window[at..]);
        let (v2, v1, v, a1, a2) = (
            load(from - 2),
            load(from - 1),
            load(from),
            load(from + 1),
            load(from + 2),
        );
        let (d2, d1, d, da1) = (is_digit(v2), is_digit(v1), is_digit(v), is_digit(a1));
        let (o0, o1, o2) = (v.eq(b'o'), a1.eq(b'o'), a2.eq(b'o'));
        let run = v.eq(b'b').or(o0);
        let zero = splat(b'0');
        let (n2, n1, n0, na1) = (v2.sub(zero), v1.sub(zero), v.sub(zero), a1.sub(zero));
        // The count of a token whose tag is here (1 without digits), of one whose last digit
        // is here, and of one whose tens digit is here (its units digit next).
        let count = d1
            .and(n1)
            .or(d1.andnot(splat(1)))
            .add(d1.and(d2).and(ten(n2)));
        let units = n0.add(d1.and(ten(n1)));
        let tens = ten(n0).add(na1);
        // In a plain token, a digit before a non-digit is its last one and the tag is next;
        // only the digits of `b` and `o` runs have slots (a `$`'s have none).
        let at_units = da1.andnot(d).and(o1.or(a1.eq(b'b')));
        let at_tens = d.and(da1).and(o2.or(a2.eq(b'b')));
        // The run's length at each of its bytes, and the cells the bytes before hold (the
        // tag the first 8, the units digit the next 8, the tens digit the rest); a run too
        // long for its slots (over 24) gets none at any byte (9: no bits).
        let n = run.and(count).or(at_units.and(units)).or(at_tens.and(tens));
        let before = at_units.and(splat(8)).or(at_tens.and(splat(16)));
        let long = splat(24).lt_signed(n);
        let width = n.sat_sub(before).min(splat(8)).or(long).min(splat(9));
        let cells = bits.lookup(&LOW_BITS, width);
        let live = o0.or(at_units.and(o1)).or(at_tens.and(o2)).and(cells);
        let lanes = 32 * k..32 * k + 32;
        cells.store(&mut s.cells[lanes.clone()]);
        live.store(&mut s.live[lanes]);
        let mask = |v: B::V| (v.mask() as u64) << (32 * k);
        let (row, newline) = (v.eq(b'$'), v.eq(b'\n'));
        s.digits |= mask(d);
        s.zeros |= mask(v.eq(b'0'));
        s.ends |= mask(run.or(row).or(newline));
        s.newlines |= mask(newline);
        s.hard |= mask(run.and(long).or(row));
    }
}

/// [`classify_slots`] a byte at a time: its definition, for the tests. Unlike
/// [`classify_portable`], counts look back past the block's start.
#[cfg(test)]
fn classify_slots_portable(bytes: &[u8], at: usize) -> Slots {
    // Byte j of the block, for j from -2 to 65.
    let byte = |j: isize| bytes[(at as isize + j) as usize];
    let digit = |j: isize| byte(j).is_ascii_digit();
    let value = |j: isize| byte(j).wrapping_sub(b'0') as u32;
    let is_run = |j: isize| matches!(byte(j), b'b' | b'o');
    let mut s = Slots::EMPTY;
    for j in 0..64isize {
        let bit = 1u64 << j;
        let b = byte(j);
        s.digits |= (digit(j) as u64) * bit;
        s.zeros |= ((b == b'0') as u64) * bit;
        s.ends |= (matches!(b, b'b' | b'o' | b'$' | b'\n') as u64) * bit;
        s.newlines |= ((b == b'\n') as u64) * bit;
        s.hard |= ((b == b'$') as u64) * bit;
        // The run this byte is in: its length, the cells its slot starts after (8 for the
        // units digit, 16 for the tens digit), and its tag's offset.
        let (n, before, tag) = if is_run(j) {
            (count_before(bytes, (at as isize + j) as usize) as u32, 0, 0)
        } else if digit(j) && !digit(j + 1) && is_run(j + 1) {
            let tens = if digit(j - 1) { value(j - 1) } else { 0 };
            (10 * tens + value(j), 8, 1)
        } else if digit(j) && digit(j + 1) && is_run(j + 2) {
            (10 * value(j) + value(j + 1), 16, 2)
        } else {
            continue;
        };
        if n > 24 {
            s.hard |= (tag == 0) as u64 * bit;
            continue;
        }
        let width = n.saturating_sub(before).min(8);
        s.cells[j as usize] = ((1u32 << width) - 1) as u8;
        if byte(j + tag) == b'o' {
            s.live[j as usize] = s.cells[j as usize];
        }
    }
    s
}

/// The count of the token whose tag is `bytes[tag]`: the up to two digits before it (1 for
/// none). Meaningful where no third digit precedes them.
#[inline]
fn count_before(bytes: &[u8], tag: usize) -> u64 {
    let digit = |j: usize| {
        let b = bytes[j];
        b.is_ascii_digit().then(|| (b - b'0') as u64)
    };
    match (digit(tag - 1), digit(tag - 2)) {
        (Some(units), Some(tens)) => 10 * tens + units,
        (Some(units), None) => units,
        _ => 1,
    }
}

/// Where a scan stands: the next byte, the cell the next run starts at, and the line (its
/// number and first byte) for error positions.
#[derive(Clone, Copy)]
struct Cursor {
    i: usize,
    x: u64,
    y: u64,
    line: usize,
    line_start: usize,
}

/// The body of an RLE file: the text from byte `start`, which is on line `line` (1-based).
struct Body<'a> {
    text: &'a [u8],
    start: usize,
    line: usize,
    file: &'a str,
    /// How it is read.
    path: Path,
}

/// [`Body::scan`] as a [`BitsKernel`]: compiled, with everything it inlines, for the CPU's
/// `pext` and `pshufb` inside [`run_bits`].
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
struct ScanKernel<'b, 'a, R> {
    body: &'b Body<'a>,
    limit: Option<(u64, u64)>,
    runs: &'b mut R,
}

impl<R: Runs> BitsKernel for ScanKernel<'_, '_, R> {
    type Output = Result<()>;
    #[inline(always)]
    fn run<B: Bits>(self, bits: B) -> Result<()> {
        self.body.scan(Some(bits), self.limit, self.runs)
    }
}

impl Body<'_> {
    /// [`Body::scan`] by [`Body::path`].
    fn read(&self, limit: Option<(u64, u64)>, runs: &mut impl Runs) -> Result<()> {
        match self.path {
            Path::Native => {
                let kernel = ScanKernel {
                    body: self,
                    limit,
                    runs: &mut *runs,
                };
                match run_bits(kernel) {
                    Some(done) => done,
                    None => self.scan(None::<PortableBits>, limit, runs),
                }
            }
            Path::Portable => self.scan(Some(PortableBits), limit, runs),
            Path::Bytes | Path::Windows => self.scan(None::<PortableBits>, limit, runs),
        }
    }

    /// Walks the body once, giving every live cell to `runs`. With `limit` = (w, h), a live run
    /// outside w × h is an error at its tag.
    ///
    /// Most of the body goes through [`Body::window`], 64 bytes at a time; whatever it leaves
    /// (spaces, comment lines, `!`, counts of 3 digits or more, errors) is read here a byte at
    /// a time. Positions are kept as byte offsets: the line number is counted at each `\n`, the
    /// column found from the line's start only when an error is reported. Body lines are ASCII
    /// up to any error (a non-ASCII byte is one), so a byte column is the character column.
    ///
    /// With `bits`, the body is first read by [`Body::blocks`], block after block for as long
    /// as they are plain; what it leaves (a window starting with a byte it does not read) goes
    /// to [`Body::window`]. An error it finds sends the byte path back to the start of the row
    /// under way, to report it.
    #[inline(always)]
    fn scan<B: Bits>(
        &self,
        bits: Option<B>,
        limit: Option<(u64, u64)>,
        runs: &mut impl Runs,
    ) -> Result<()> {
        let bytes = self.text;
        let mut cur = Cursor {
            i: 0,
            x: 0,
            y: 0,
            line: self.line,
            line_start: self.start,
        };
        // The run count being read, and where it started (an offset, or None for no count).
        let mut count = 0u64;
        let mut count_at: Option<(usize, usize)> = None;
        cur.i = self.skip_comment_lines(self.start, &mut cur.line, &mut cur.line_start, false);
        // Live runs must end inside (max_x, max_y); past them the byte path reports the error.
        let max = limit.map_or((u32::MAX as u64, u64::MAX), |(w, h)| (w.max(1), h.max(1)));
        // The window is not tried again before this offset: it stopped at a byte it leaves to
        // the byte path, so trying sooner would make no progress.
        let mut window_from = 0;
        // [`Body::blocks`]' classification, filled in place block after block.
        let mut slots = [Slots::EMPTY; 2];
        while cur.i < bytes.len() {
            if self.path != Path::Bytes
                && count_at.is_none()
                && cur.i >= window_from
                && cur.i >= 2
                && cur.i + 64 <= bytes.len()
            {
                let from = cur.i;
                let mut stop = 0;
                // The blocks look back two bytes for counts: none may be pending there.
                let fits = cur.i + 66 <= bytes.len() && !bytes[cur.i - 1].is_ascii_digit();
                if let Some(bits) = bits.filter(|_| fits) {
                    match Self::blocks(bits, bytes, &mut cur, max, runs, &mut slots) {
                        Ok(plain) => stop = plain,
                        Err(until) => {
                            // An error in the row under way: the byte path finds and reports it.
                            window_from = until;
                            continue;
                        }
                    }
                }
                if cur.i == from {
                    stop = Self::window(bytes, &mut cur, max, runs);
                }
                if cur.i > from {
                    if cur.i == cur.line_start {
                        cur.i = self.skip_comment_lines(
                            cur.i,
                            &mut cur.line,
                            &mut cur.line_start,
                            false,
                        );
                    }
                    continue;
                }
                window_from = cur.i + stop + 1;
            }
            let (i, line, line_start) = (cur.i, cur.line, cur.line_start);
            let c = bytes[i];
            if c.is_ascii_digit() {
                if count_at.is_none() {
                    count_at = Some((line, i - line_start + 1));
                }
                count = count * 10 + (c - b'0') as u64;
                if count > u32::MAX as u64 {
                    let (l, col) = count_at.unwrap_or((line, 1));
                    return Err(parse_error(
                        self.file,
                        l,
                        col,
                        "run count is too large (at most 2^32 - 1)",
                    ));
                }
                cur.i += 1;
                continue;
            }
            match c {
                b'b' | b'.' | b'o' | b'A' | b'$' => {
                    let n = match count_at.take() {
                        None => 1,
                        Some(_) => std::mem::take(&mut count),
                    };
                    let column = i - line_start + 1;
                    if n == 0 {
                        return Err(parse_error(
                            self.file,
                            line,
                            column,
                            "run count 0: expected a count of at least 1",
                        ));
                    }
                    if c == b'$' {
                        cur.y += n;
                        cur.x = 0;
                    } else {
                        if c == b'o' || c == b'A' {
                            if let Some((w, h)) = limit {
                                // Golly writes `x = 0, y = 0` for an empty pattern: 1x1.
                                if cur.x + n > w.max(1) || cur.y >= h.max(1) {
                                    return Err(self.outside(
                                        cur.x + n - 1,
                                        cur.y,
                                        (w, h),
                                        line,
                                        column,
                                    ));
                                }
                            }
                            runs.live(cur.x, cur.y, n);
                        }
                        cur.x += n;
                    }
                    if cur.x > u32::MAX as u64 || cur.y > u32::MAX as u64 {
                        return Err(parse_error(
                            self.file,
                            line,
                            column,
                            "pattern extends beyond 2^32 cells",
                        ));
                    }
                    cur.i += 1;
                }
                b'\n' => {
                    cur.line += 1;
                    cur.line_start = i + 1;
                    cur.i = self.skip_comment_lines(
                        i + 1,
                        &mut cur.line,
                        &mut cur.line_start,
                        count_at.is_some(),
                    );
                }
                b' ' | b'\t' | b'\r' => cur.i += 1,
                // A missing '!' is tolerated, as Golly does; anything after it is ignored, but
                // must be text as the rest (its check is the one left to do).
                b'!' => {
                    super::text_of(&bytes[i + 1..], self.file, line)?;
                    break;
                }
                _ => {
                    let other = super::char_at(bytes, i);
                    let hint = if other.is_ascii_alphabetic() {
                        " (multi-state patterns are not supported; expected b, o, $ or !)"
                    } else {
                        " (expected b, o, $, a run count or !)"
                    };
                    return Err(parse_error(
                        self.file,
                        line,
                        i - line_start + 1,
                        format!("unexpected character '{other}'{hint}"),
                    ));
                }
            }
        }
        if let Some((l, col)) = count_at {
            return Err(parse_error(
                self.file,
                l,
                col,
                "run count with no tag after it: expected b, o or $",
            ));
        }
        Ok(())
    }

    /// Reads the tokens of the 64 bytes at `cur.i` (which starts a token; the caller checked
    /// that `2 <= cur.i` and `cur.i + 64 <= bytes.len()`) that are plain: a run or `$` with a
    /// count of at most 2 digits not starting with 0, or a line end after no count, before the
    /// first byte of any other kind. Advances `cur` past the last token read and returns the
    /// offset of the first byte it left for the byte path (past which it will not progress).
    /// When a live cell falls outside the limits, or a position passes 2^32, it leaves `cur`
    /// as it was and returns 63: the byte path then reads these bytes and reports the error
    /// (cells already ORed into `runs` do not matter then).
    ///
    /// What a token means is found for all 64 bytes at once ([`classify`]), so the loop over
    /// the tokens, walked with `trailing_zeros`, only adds each run to a word of live cells,
    /// which reaches `runs` every 64 cells; the limits are checked on those words.
    #[inline]
    fn window(
        bytes: &[u8],
        cur: &mut Cursor,
        (max_x, max_y): (u64, u64),
        runs: &mut impl Runs,
    ) -> usize {
        let w = classify(bytes, cur.i);
        let ends = w.runs | w.rows | w.newlines;
        let (after1, after2) = (w.digits << 1, w.digits << 2);
        // Left to the byte path: other bytes, a count's leading 0, a third digit, a count
        // before a line end (the count goes on on the next line).
        let other = !(w.digits | ends)
            | (w.zeros & !after1)
            | (w.digits & after1 & after2)
            | (w.newlines & after1);
        let plain = other.trailing_zeros() as usize;
        let ends = ends & below(plain);
        if ends == 0 {
            return plain;
        }
        // Read up to and including the last token end before `plain`.
        let read = 64 - ends.leading_zeros() as usize;
        let mut tokens = (w.runs | w.rows) & ends;
        let (mut y, mut base, mut off, mut acc) = (cur.y, cur.x & !63, cur.x % 64, 0u64);
        // Whether the live cells of `bits` (cells base .. base + 64 of row y) are inside.
        let inside = |bits: u64, base: u64, y: u64| {
            // Cells base .. max_x of the word are inside the limits; bit j is cell base + j.
            let room = max_x.saturating_sub(base);
            bits == 0 || (y < max_y && (room >= 64 || bits >> room == 0))
        };
        while tokens != 0 {
            let p = tokens.trailing_zeros() as usize;
            tokens &= tokens - 1;
            let count = w.counts[p];
            let n = (count & 0x7f) as u64;
            if (w.rows >> p) & 1 == 1 {
                if !inside(acc, base, y) || base + off > u32::MAX as u64 {
                    return 63;
                }
                runs.bits(y, base, acc);
                (y, base, off, acc) = (y + n, 0, 0, 0);
                continue;
            }
            if n > 64 {
                // A long run (65 to 99 cells): the word so far goes out, the run on its own.
                if !inside(acc, base, y) {
                    return 63;
                }
                runs.bits(y, base, acc);
                let x = base + off;
                if count & 0x80 != 0 {
                    if x + n > max_x || y >= max_y {
                        return 63;
                    }
                    runs.live(x, y, n);
                }
                (base, off, acc) = ((x + n) & !63, (x + n) % 64, 0);
                continue;
            }
            // n live cells (or none, for a dead run) from `off` on, n <= 64.
            let cells = (u64::MAX >> (64 - n)) & 0u64.wrapping_sub((count >> 7) as u64);
            acc |= cells << off;
            let end = off + n;
            if end >= 64 {
                if !inside(acc, base, y) {
                    return 63;
                }
                runs.bits(y, base, acc);
                // The run's cells past the word: off + n < 128, so they fit the next one.
                acc = ((cells as u128) << off >> 64) as u64;
                (base, off) = (base + 64, end - 64);
            } else {
                off = end;
            }
        }
        if !inside(acc, base, y) || base + off > u32::MAX as u64 || y > u32::MAX as u64 {
            return 63;
        }
        runs.bits(y, base, acc);
        let newlines = w.newlines & below(read);
        if newlines != 0 {
            cur.line += newlines.count_ones() as usize;
            cur.line_start = cur.i + 64 - newlines.leading_zeros() as usize;
        }
        (cur.x, cur.y) = (base + off, y);
        cur.i += read;
        plain
    }

    /// [`Body::window`], 8 bytes per `pext`, over blocks of 64 bytes at fixed offsets from
    /// `cur.i` (which starts a token, the byte before it not a digit; the caller checked that
    /// `2 <= cur.i` and `cur.i + 66 <= bytes.len()`): reads the tokens that are plain (`b` or
    /// `o` runs, `$`, with a count of at most 2 digits not starting with 0, or a line end after
    /// no count) up to the first byte of any other kind (`.` and `A` are left to
    /// [`Body::window`]) or the last block that fits. `Ok`: as [`Body::window`], `cur` is past
    /// the last token read, and the offset of the first byte left for the other paths. `Err`:
    /// a live cell outside the limits or a position past 2^32 (the error is in the row under
    /// way): `cur` is set back to the start of that row or where the call began, and the
    /// byte path must read up to the returned offset (past the error), which it reports.
    ///
    /// Each byte of a run's token is a slot of up to 8 cells ([`classify_slots`]): the 64
    /// bytes give 64 bytes of cell masks, and `pext` of 8 of them packs their cells, in order,
    /// into one word of up to 64 cells, which is shifted into the row's word under way. So
    /// the loop runs per 8 bytes (about 5 tokens of a soup), not per token. `$` and runs of
    /// more than 24 cells (counts that do not fit their bytes' slots) are read one by one at
    /// their tags (their digits hold no cells).
    ///
    /// A slot depends only on the bytes around it, so a block is read whole, up to its last
    /// byte, even where a token goes on into the next block (its digits' cells come first,
    /// its tag's in the next block), once the next block is classified and its first token
    /// found plain. The next block is classified while this one is read: nothing in the
    /// classification waits on the reading, and the word under way stays in registers from
    /// block to block.
    #[inline(always)]
    fn blocks<B: Bits>(
        bits: B,
        bytes: &[u8],
        cur: &mut Cursor,
        (max_x, max_y): (u64, u64),
        runs: &mut impl Runs,
        s: &mut [Slots; 2],
    ) -> std::result::Result<usize, usize> {
        // Bytes that end this path: other bytes, a count's leading 0, a third digit, a count
        // before a line end. `before`: the digits of the block before (none at the start).
        let others = |s: &Slots, before: u64| {
            let after1 = s.digits << 1 | before >> 63;
            let after2 = s.digits << 2 | before >> 62;
            !(s.digits | s.ends)
                | (s.zeros & !after1)
                | (s.digits & after1 & after2)
                | (s.newlines & after1)
        };
        let inside = |bits: u64, base: u64, y: u64| {
            let room = max_x.saturating_sub(base);
            bits == 0 || (y < max_y && (room >= 64 || bits >> room == 0))
        };
        // Where the byte path resumes after an error: the start of the row under way (after
        // its `$`), or where the call began.
        let mut resume = *cur;
        let mut at = cur.i;
        let (mut y, mut base, mut off, mut acc) = (cur.y, cur.x & !63, cur.x % 64, 0u64);
        let (mut line, mut line_start) = (cur.line, cur.line_start);
        let mut before = 0u64;
        let mut odd = false;
        classify_slots(bits, bytes, at, &mut s[0]);
        let (plain, read) = loop {
            let [s0, s1] = &mut *s;
            let (this, next) = if odd { (&*s1, s0) } else { (&*s0, s1) };
            let plain = others(this, before).trailing_zeros() as usize;
            // Whole: every byte plain, and the token going on into the next block too.
            let whole = plain == 64 && at + 130 <= bytes.len() && {
                classify_slots(bits, bytes, at + 64, next);
                others(next, this.digits).trailing_zeros() > next.ends.trailing_zeros()
            };
            let read = if whole {
                64
            } else {
                64 - (this.ends & below(plain)).leading_zeros() as usize
            };
            // 8 slots from byte `$at` of the block: their cells packed in order, shifted in
            // after the `off` cells of the word under way, which goes out when full.
            macro_rules! slots {
                ($at:expr, $keep:expr) => {{
                    let load = |a: &[u8; 72]| {
                        u64::from_le_bytes(a[$at..$at + 8].try_into().expect("8 bytes")) & $keep
                    };
                    let (mask, live) = (load(&this.cells), load(&this.live));
                    let cells = bits.pext(live, mask);
                    acc |= cells << off;
                    let end = off + mask.count_ones() as u64;
                    if end >= 64 {
                        if !inside(acc, base, y) {
                            *cur = resume;
                            return Err(at + 128);
                        }
                        runs.bits(y, base, acc);
                        // The cells past the word's end (none when off is 0).
                        acc = (cells >> 1) >> (63 - off);
                        base += 64;
                    }
                    off = end % 64;
                }};
            }
            let mut hard = this.hard & below(read);
            if hard == 0 && read == 64 {
                // Most blocks of a soup.
                slots!(0, u64::MAX);
                slots!(8, u64::MAX);
                slots!(16, u64::MAX);
                slots!(24, u64::MAX);
                slots!(32, u64::MAX);
                slots!(40, u64::MAX);
                slots!(48, u64::MAX);
                slots!(56, u64::MAX);
            } else {
                let mut from = 0;
                loop {
                    // The slots from `from` to the next token read one by one (or `read`).
                    let to = if hard == 0 {
                        read
                    } else {
                        hard.trailing_zeros() as usize
                    };
                    let mut c = from;
                    while c + 8 <= to {
                        slots!(c, u64::MAX);
                        c += 8;
                    }
                    if c < to {
                        slots!(c, below(8 * (to - c)));
                    }
                    if hard == 0 {
                        break;
                    }
                    let tag = to;
                    hard &= hard - 1;
                    if !inside(acc, base, y) {
                        *cur = resume;
                        return Err(at + 128);
                    }
                    runs.bits(y, base, acc);
                    let n = count_before(bytes, at + tag);
                    if bytes[at + tag] == b'$' {
                        y += n;
                        if base + off > u32::MAX as u64 || y > u32::MAX as u64 {
                            *cur = resume;
                            return Err(at + 128);
                        }
                        (base, off, acc) = (0, 0, 0);
                        // The next row starts after this `$`: a token boundary.
                        let newlines = this.newlines & below(tag);
                        resume = Cursor {
                            i: at + tag + 1,
                            x: 0,
                            y,
                            line: line + newlines.count_ones() as usize,
                            line_start: match newlines {
                                0 => line_start,
                                _ => at + 64 - newlines.leading_zeros() as usize,
                            },
                        };
                    } else {
                        // A run of 25 to 99 cells.
                        let x = base + off;
                        if bytes[at + tag] == b'o' {
                            if x + n > max_x || y >= max_y {
                                *cur = resume;
                                return Err(at + 128);
                            }
                            runs.live(x, y, n);
                        }
                        (base, off, acc) = ((x + n) & !63, (x + n) % 64, 0);
                    }
                    from = tag + 1;
                }
            }
            let newlines = this.newlines & below(read);
            if newlines != 0 {
                line += newlines.count_ones() as usize;
                line_start = at + 64 - newlines.leading_zeros() as usize;
            }
            if !whole {
                break (plain, read);
            }
            (before, odd, at) = (this.digits, !odd, at + 64);
        };
        if !inside(acc, base, y) || base + off > u32::MAX as u64 || y > u32::MAX as u64 {
            *cur = resume;
            return Err(at + 128);
        }
        runs.bits(y, base, acc);
        *cur = Cursor {
            i: at + read,
            x: base + off,
            y,
            line,
            line_start,
        };
        Ok(plain)
    }

    /// From the start of a line at `i`: skips `#` lines (when no run count is pending), which
    /// may stand between body lines, and returns where scanning resumes. A line is a comment
    /// when its first non-whitespace character is `#`.
    fn skip_comment_lines(
        &self,
        mut i: usize,
        line: &mut usize,
        line_start: &mut usize,
        count_pending: bool,
    ) -> usize {
        if count_pending {
            return i;
        }
        let bytes = self.text;
        loop {
            let rest = &bytes[i..];
            let first = rest
                .iter()
                .position(|&b| !matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c))
                .unwrap_or(rest.len());
            let end = || rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            // A comment line is skipped, not read: it must still be text (when it is not, it
            // is left to the body, which fails on it and so reports the bad byte).
            let is_comment = match rest.get(first) {
                Some(b'#') => std::str::from_utf8(&rest[..end()]).is_ok(),
                // Unicode white space before a '#' (rare): ask the str functions.
                Some(&b) if b >= 0x80 => std::str::from_utf8(&rest[..end()])
                    .is_ok_and(|l| l.trim_start().starts_with('#')),
                _ => false,
            };
            if !is_comment {
                return i;
            }
            match rest.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    i += end + 1;
                    *line += 1;
                    *line_start = i;
                }
                None => return bytes.len(),
            }
        }
    }

    fn outside(
        &self,
        x: u64,
        y: u64,
        (w, h): (u64, u64),
        line: usize,
        column: usize,
    ) -> crate::error::Error {
        parse_error(
            self.file,
            line,
            column,
            format!("cell ({x}, {y}) is outside the header's size x = {w}, y = {h}"),
        )
    }
}

/// Renders `grid` as RLE with `rule` (and its suffix) in the header. With a bounded-grid suffix
/// the whole grid is written (x and y equal to the grid's size), so that Golly, which centres a
/// pattern in its bounded grid, places every cell where it was.
pub fn write(grid: &Grid, rule: &RuleSpec, name: Option<&str>) -> String {
    let mut out = Vec::new();
    write_to(&mut out, grid, rule, name).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("RLE is ASCII")
}

/// Tag indices into [`TOKENS`].
const DEAD: usize = 0;
const LIVE: usize = 1;
const ROWS: usize = 2;

/// Every token with a count below 100, per tag (`b`, `o`, `$`): its bytes (at most 3; a count
/// of 1 is not written) and, in the last byte, how many there are. A writer stores all 4 bytes
/// and keeps the first `len`: one load and one store per token, no digit arithmetic.
static TOKENS: [[[u8; 4]; 100]; 3] = [token_table(b'b'), token_table(b'o'), token_table(b'$')];

const fn token_table(tag: u8) -> [[u8; 4]; 100] {
    let mut table = [[0u8; 4]; 100];
    let mut n = 1;
    while n < 100 {
        let (tens, ones) = (b'0' + (n / 10) as u8, b'0' + (n % 10) as u8);
        table[n] = match n {
            1 => [tag, 0, 0, 1],
            2..=9 => [ones, tag, 0, 2],
            _ => [tens, ones, tag, 3],
        };
        n += 1;
    }
    table
}

/// Bytes the writer asks its sink for before each 64 cells: 64 tokens of at most 11 bytes
/// (a 10-digit count and its tag), each after a possible line break.
const ROOM_PER_WORD: usize = 64 * 12;

/// [`write()`], streamed into `out` through a [`TextSink`], in two passes over chunks of the
/// body.
///
/// First the tokens, without line breaks: runs are found 64 cells at a time with AVX2 and
/// `pext` where the CPU has them fast (`row_tokens_bits`, through `run_bits`: so
/// `SPEEDUP_CPU` below `avx2` turns it off), else eight cells at a time (`row_tokens`, see
/// `INNER`). Then `Lines` breaks the chunk into lines of at most [`MAX_LINE`] bytes, never
/// inside a token, as Golly does. Apart, each pass is a short loop with no dependency through
/// the line's length: the line break, decided per token, had made the writer wait on it at
/// every token.
pub fn write_to(
    out: &mut dyn Write,
    grid: &Grid,
    rule: &RuleSpec,
    name: Option<&str>,
) -> std::io::Result<()> {
    write_with(out, grid, rule, name, Tokens::Native)
}

/// How the writer finds its tokens: every way gives the same bytes (tests compare them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
enum Tokens {
    /// Eight cells a step ([`row_tokens`]).
    Bytes,
    /// 64 cells a step ([`row_tokens_bits`]) with [`PortableBits`]: the definition the CPU's
    /// instructions are tested against.
    Portable,
    /// [`row_tokens_bits`] with the CPU's AVX2 and `pext` where it has them fast
    /// ([`run_bits`]), else [`Tokens::Bytes`]: what [`write_to`] uses.
    Native,
}

/// [`write_to`] by one [`Tokens`] way.
fn write_with(
    out: &mut dyn Write,
    grid: &Grid,
    rule: &RuleSpec,
    name: Option<&str>,
    tokens: Tokens,
) -> std::io::Result<()> {
    let mut sink = TextSink::new(out);
    if let Some(n) = name {
        sink.push(format!("#N {n}\n").as_bytes())?;
    }
    sink.push(
        format!(
            "x = {}, y = {}, rule = {}\n",
            grid.width(),
            grid.height(),
            rule.to_golly()
        )
        .as_bytes(),
    )?;
    let mut body = Lines::new(tokens);
    let (s, b) = (&mut sink, &mut body);
    match tokens {
        Tokens::Native => match run_bits(BodyKernel {
            grid,
            sink: s,
            body: b,
        }) {
            Some(done) => done?,
            None => write_body(None::<PortableBits>, grid, s, b)?,
        },
        Tokens::Portable => write_body(Some(PortableBits), grid, s, b)?,
        Tokens::Bytes => write_body(None::<PortableBits>, grid, s, b)?,
    }
    body.finish(&mut sink)?;
    sink.finish()
}

/// [`write_body`] as a [`BitsKernel`]: compiled, with everything it inlines, for the CPU's
/// AVX2 and `pext` inside [`run_bits`].
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
struct BodyKernel<'g, 's, 'o> {
    grid: &'g Grid,
    sink: &'s mut TextSink<'o>,
    body: &'s mut Lines,
}

impl BitsKernel for BodyKernel<'_, '_, '_> {
    type Output = std::io::Result<()>;
    #[inline(always)]
    fn run<B: Bits>(self, bits: B) -> std::io::Result<()> {
        write_body(Some(bits), self.grid, self.sink, self.body)
    }
}

/// The body's tokens, row by row, into `body`: with `bits`, by [`row_tokens_bits`], else by
/// [`row_tokens`].
#[inline(always)]
fn write_body<B: Bits>(
    bits: Option<B>,
    grid: &Grid,
    sink: &mut TextSink,
    body: &mut Lines,
) -> std::io::Result<()> {
    // The row the writer stands on: rows are ended lazily, so that empty rows in between (or
    // before the first live row) become one `n$` token.
    let mut at_row = 0u32;
    let width = grid.width() as u64;
    let cell = |row: &[u32], x: u64| (row[(x / 32) as usize] >> (x % 32)) as u64 & 1;
    for y in 0..grid.height() {
        let row = grid.row(y);
        if row.iter().all(|&w| w == 0) {
            continue;
        }
        if y > at_row {
            let room = body.room(sink)?;
            let at = token(room, 0, (y - at_row) as u64, ROWS);
            body.advance(at);
            at_row = y;
        }
        // The first column of the run under way.
        let mut start = 0u64;
        for (k, words) in row.chunks(2 * WORDS_PER_CALL).enumerate() {
            let base = (k * WORDS_PER_CALL * 64) as u64;
            // The cell before the piece: the row's first cell reads as its own predecessor,
            // so that the row's first run starts without a change.
            let before = cell(row, base.saturating_sub(1));
            let room = body.room(sink)?;
            let at;
            (at, start) = match bits {
                Some(bits) => row_tokens_bits(bits, room, words, base, width, start, before),
                None => row_tokens(room, words, base, width, start, before),
            };
            body.advance(at);
        }
        // The row's trailing dead run is not written.
        if cell(row, width - 1) == 1 {
            let room = body.room(sink)?;
            let at = token(room, 0, width - start, LIVE);
            body.advance(at);
        }
    }
    Ok(())
}

/// Lane j: j + 16, the position of cell j of 32 (half a step of [`row_tokens_bits`]) as it
/// counts them (16 lanes of room below, for the end of the run from before the step).
const LANE_AT: [u8; 32] = {
    let mut a = [0u8; 32];
    let mut j = 0;
    while j < 32 {
        a[j] = j as u8 + 16;
        j += 1;
    }
    a
};

/// Lane j: j + 17, the position of the cell after cell j, counted as in [`LANE_AT`].
const LANE_NEXT: [u8; 32] = {
    let mut a = LANE_AT;
    let mut j = 0;
    while j < 32 {
        a[j] += 1;
        j += 1;
    }
    a
};

/// For each 8-bit mask, 0xff in the bytes whose bit is set: the `pext` mask that keeps those
/// bytes of a u64.
static BYTE_MASKS: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut m = 0;
    while m < 256 {
        let mut j = 0;
        while j < 8 {
            if m >> j & 1 == 1 {
                t[m] |= 0xff << (8 * j);
            }
            j += 1;
        }
        m += 1;
    }
    t
};

/// [`row_tokens`] 64 cells a step, with vectors of a byte per cell (two of 32) and `pext`:
/// the same arguments, the same bytes out.
///
/// A token with a count below 10 is at most two bytes, and the cell before its run's end is
/// not a change whenever it has a digit. So each cell j gets one slot: the tag of the run
/// that ends there (the cell's opposite) where j is a change, else the digit of the run that
/// ends at j + 1, if that is a change (a run of 2 to 9 cells); the token of a change at the
/// step's first cell has its digits in two slots of its own, before them. The slots are kept
/// where j or j + 1 is a change, so `changes | changes >> 1` says which, and `pext` packs
/// each eight slots' kept bytes. The runs' lengths come from the position of the last change
/// at or before each cell: a prefix maximum over the lanes of the changes' positions
/// ([`step_runs`]). A run of 10 to 99 cells puts its tens digit in the slot before its ones
/// digit, which holds no change ([`two_digit_runs`], rare in a soup); a step with a run of 100
/// cells or more (every step of a long empty stretch) is written a change at a time instead,
/// with [`token`].
///
/// The only chain from step to step is the position in `out` (nine adds); no branch depends
/// on the cells but the rare long runs. Each step's slots are packed into `out` one step
/// later ([`Packed::write`]), after the next step's vectors: the two steps' work is
/// independent, so the core overlaps it (3% faster than packing each step at once).
#[inline(always)]
fn row_tokens_bits<B: Bits>(
    bits: B,
    out: &mut [u8],
    words: &[u32],
    base: u64,
    width: u64,
    mut start: u64,
    before: u64,
) -> (usize, u64) {
    let (lane_at, lane_next) = (bits.load(&LANE_AT), bits.load(&LANE_NEXT));
    let tag_step = bits.splat(b'o' - b'b');
    let (dead_tag, zero, nine) = (bits.splat(b'o'), bits.splat(b'0'), bits.splat(9));
    // Two steps' slots: the step under way's (`slots[cur]`) and the one still to be packed
    // (the other: steps without a change take neither).
    let mut slots = [[0u8; 64]; 2];
    let mut cur = 0;
    let mut pending = Packed::NONE;
    let mut at = 0;
    let mut carry = before;
    // Padding bits are zero: the only change among them is a live run ending at the edge,
    // which the row's end writes (or, for a dead run, leaves out). Only the last step can
    // hold padding.
    let last_step = words.len().div_ceil(2) - 1;
    let in_last = width - base - last_step as u64 * 64;
    let last_mask = if in_last >= 64 {
        u64::MAX
    } else {
        (1u64 << in_last) - 1
    };
    for (k, pair) in words.chunks(2).enumerate() {
        let word = pair[0] as u64 | (pair.get(1).copied().unwrap_or(0) as u64) << 32;
        let base = base + k as u64 * 64;
        let mut changes = word ^ (word << 1 | carry);
        carry = word >> 63;
        if k == last_step {
            changes &= last_mask;
        }
        if changes == 0 {
            continue;
        }
        // The run under way began `back` cells before this step (0 at the row's start, where
        // the first run begins without a change). As a lane position (`LANE_AT`), its
        // beginning is 16 - back; 0 stands for "16 or more cells back", which makes any run
        // from it 16 or longer, as it is. The high half's run began at the low half's last
        // change, or before it.
        let back = base - start;
        let low = changes as u32;
        let back_high = match low {
            0 => back + 32,
            _ => low.leading_zeros() as u64 + 1,
        };
        let [change_low, change_high] = bits.spread_bits64(changes);
        let [cells_low, cells_high] = bits.spread_bits64(word);
        let run_low = step_runs(bits, change_low, back, lane_at, lane_next);
        let run_high = step_runs(bits, change_high, back_high, lane_at, lane_next);
        let (tags, digits) = ((dead_tag, tag_step), zero);
        let step = &mut slots[cur];
        step_slots(
            change_low,
            cells_low,
            run_low,
            (tags, digits),
            &mut step[..32],
        );
        step_slots(
            change_high,
            cells_high,
            run_high,
            (tags, digits),
            &mut step[32..],
        );
        // The digits of a token at the step's first cell (a run of 2 to 9 cells), which
        // come before the slots.
        let mut first = b'0'.wrapping_add(back as u8) as u16;
        let mut n = (changes & 1 == 1 && back >= 2) as usize;
        // At the row's start the first run begins at cell 0 without a change there: a run
        // of one cell to a change at cell 1 has no digit, though cell 0 is no change.
        let mut kept = changes | changes >> 1 & !((back == 0) as u64);
        // Runs of 10 cells or more: their two digits are put in place here; one of 100 or
        // more sends the step to a change at a time.
        let long_runs =
            nine.lt_signed(run_low).mask() as u64 | (nine.lt_signed(run_high).mask() as u64) << 32;
        let long = long_runs & changes >> 1 & !changes;
        if (long != 0 || changes & 1 == 1 && back >= 10)
            && !two_digit_runs(step, &mut kept, (&mut first, &mut n), changes, long, back)
        {
            at = pending.write(bits, out, at, &slots);
            pending = Packed::NONE;
            let mut c = changes;
            while c != 0 {
                let j = c.trailing_zeros();
                c &= c - 1;
                let tag = (word >> j) as usize & 1 ^ 1;
                at = token(out, at, base + j as u64 - start, tag);
                start = base + j as u64;
            }
            continue;
        }
        start = base + 63 - changes.leading_zeros() as u64;
        at = pending.write(bits, out, at, &slots);
        pending = Packed {
            kept,
            first,
            n,
            slots: cur,
        };
        cur ^= 1;
    }
    at = pending.write(bits, out, at, &slots);
    (at, start)
}

/// A step of [`row_tokens_bits`] whose slots are still to be packed into the output: the
/// slots to keep, the digits before them (`n` of the two bytes of `first`), and which of the
/// two slot buffers holds them.
#[derive(Clone, Copy)]
struct Packed {
    kept: u64,
    first: u16,
    n: usize,
    slots: usize,
}

impl Packed {
    /// No step: nothing to write.
    const NONE: Packed = Packed {
        kept: 0,
        first: 0,
        n: 0,
        slots: 0,
    };

    /// Packs the step's bytes into `out` at `at` and returns the position after them. They
    /// go into a window of fixed size (at most 2 + 64, and 8 of scratch): one bounds check
    /// per step, none per store.
    #[inline(always)]
    fn write<B: Bits>(self, bits: B, out: &mut [u8], at: usize, buffers: &[[u8; 64]; 2]) -> usize {
        let Packed {
            kept,
            first,
            mut n,
            slots,
        } = self;
        let slots = &buffers[slots & 1];
        let to: &mut [u8; 74] = (&mut out[at..at + 74]).try_into().expect("74 bytes");
        to[..2].copy_from_slice(&first.to_le_bytes());
        for i in 0..8 {
            let bytes = u64::from_le_bytes(slots[8 * i..8 * i + 8].try_into().expect("8 bytes"));
            let m = (kept >> (8 * i)) as u8;
            let packed = bits.pext(bytes, BYTE_MASKS[m as usize]);
            // `n` is at most 2 + 8 * i here.
            let n8: &mut [u8; 8] = (&mut to[n..n + 8]).try_into().expect("8 bytes");
            *n8 = packed.to_le_bytes();
            n += m.count_ones() as usize;
        }
        at + n
    }
}

/// 64-cell words [`row_tokens`] is handed at once: a row of up to 2048 cells in one call.
const WORDS_PER_CALL: usize = 32;

/// Room [`Lines::room`] gives for one call of [`row_tokens`].
const ROOM_PER_CALL: usize = WORDS_PER_CALL * ROOM_PER_WORD;

/// The interior runs of eight cells: for the change bits `b` of eight cells (bit `j` set where
/// cell `j` differs from the cell before it) and the tag `t` of the run that starts at the
/// first change, `INNER[t][b]` holds the tokens of the runs between the first change and the
/// last (each of 1 to 7 cells, so each token 1 or 2 bytes, at most 7 bytes in all, tags
/// alternating from `t`) and, in the top byte, how many bytes there are.
///
/// With it the writer takes eight cells per step instead of one run: the run that ends at the
/// first change (which started before these cells) is one [`TOKENS`] look-up, all the runs
/// inside are one look-up and one 8-byte store, and the run from the last change on is left
/// under way. A soup has about four runs per eight cells.
static INNER: [[u64; 256]; 2] = [inner_table(DEAD), inner_table(LIVE)];

const fn inner_table(first: usize) -> [u64; 256] {
    let mut table = [0u64; 256];
    let mut b = 1;
    while b < 256 {
        let mut bytes = [0u8; 8];
        let mut len = 0;
        let mut tag = first;
        // The run under way starts at the lowest change; each later change ends it.
        let mut from = (b as u32).trailing_zeros();
        let mut j = from + 1;
        while j < 8 {
            if b >> j & 1 == 1 {
                let t = TOKENS[tag][(j - from) as usize];
                let mut i = 0;
                while i < t[3] as usize {
                    bytes[len] = t[i];
                    len += 1;
                    i += 1;
                }
                (from, tag) = (j, tag ^ 1);
            }
            j += 1;
        }
        bytes[7] = len as u8;
        table[b] = u64::from_le_bytes(bytes);
        b += 1;
    }
    table
}

/// For [`row_tokens_bits`]: puts the two digits of each run of 10 to 99 cells in a step in
/// place, and says `false` (changing nothing that matters) if a run is 100 cells or longer.
///
/// A run of 10 cells or more has its ones digit in the slot before its end, where the step
/// put a wrong single digit, and its tens digit in the slot before that, which holds no
/// change (the run is longer than 2) and was not kept. `long` has a bit at each slot whose
/// run (ending at the next cell) is 10 or more; a run that ends at the step's first cell,
/// `back` cells long, has both digits in `first` (two bytes, `n` of them kept), and one
/// that ends at the second cell its tens digit there.
/// For [`row_tokens_bits`], 32 cells with a change where `change` is 0xff: lane j is the
/// length of the run that ends at cell j + 1, the run under way having begun `back` cells
/// before cell 0 (exact below 16, and 16 or more for anything longer, which is long all the
/// same). The runs are differences of positions (`LANE_AT`, `LANE_NEXT`) from the last
/// change at or before each cell: a prefix maximum.
#[inline(always)]
fn step_runs<B: Bits>(bits: B, change: B::V, back: u64, at: B::V, next: B::V) -> B::V {
    let began = bits.splat(16u64.saturating_sub(back) as u8);
    next.sub(change.and(at).prefix_max().max(began))
}

/// For [`row_tokens_bits`], the slots of 32 cells (`cells`: 0xff where one lives) into `to`:
/// at a change, the tag of the run it ends (a live cell ends a dead run: `b`, made as `o`
/// less the step from `b` to `o` where the cell lives); elsewhere the digit of the run that ends at the next cell, from
/// `run` ([`step_runs`]).
#[inline(always)]
fn step_slots<V: Bytes32>(
    change: V,
    cells: V,
    run: V,
    ((dead_tag, tag_step), zero): ((V, V), V),
    to: &mut [u8],
) {
    let tags = dead_tag.sub(cells.and(tag_step));
    change.and(tags).or(change.andnot(run.add(zero))).store(to);
}

#[cold]
fn two_digit_runs(
    slots: &mut [u8; 64],
    kept: &mut u64,
    (first, n): (&mut u16, &mut usize),
    changes: u64,
    long: u64,
    back: u64,
) -> bool {
    let digits = |run: u64| [b'0' + (run / 10) as u8, b'0' + (run % 10) as u8];
    if changes & 1 == 1 && back >= 10 {
        if back >= 100 {
            return false;
        }
        *first = u16::from_le_bytes(digits(back));
        *n = 2;
    }
    let mut l = long;
    while l != 0 {
        let k = l.trailing_zeros() as usize;
        l &= l - 1;
        // The run ends at cell k + 1 and began at the last change at or before cell k.
        let below = changes & (u64::MAX >> (63 - k));
        let run = match below {
            0 => k as u64 + 1 + back,
            _ => (k + 1 - (63 - below.leading_zeros() as usize)) as u64,
        };
        if run >= 100 {
            return false;
        }
        let [tens, ones] = digits(run);
        slots[k] = ones;
        if k == 0 {
            *first = tens as u16;
            *n = 1;
        } else {
            slots[k - 1] = tens;
            *kept |= 1 << (k - 1);
        }
    }
    true
}

/// Writes into `out` the tokens of the runs that end in `words` (the row's cells `base ..
/// base + 32 * words.len()`, in a row `width` cells wide), the run under way having started
/// at column `start` and the cell before `base` being `before` (0 or 1); returns the bytes
/// written and the new `start`.
///
/// Runs are found eight cells at a time: `w ^ (w << 1 | before)` marks every cell that
/// differs from the one before it (each set bit ends a run and starts the next), and the
/// loop visits only the bytes of that word that hold a change. At each, the run that ends
/// at its first change is a [`TOKENS`] look-up (its tag is the opposite of the cell at the
/// change) and the runs inside the byte one [`INNER`] look-up; the run under way starts at
/// the byte's last change. The only chains from step to step are the position in `out`
/// (two adds) and the set of bytes left (one `blsr`): no branch depends on the cells but
/// the loop's exit, taken about once per 64 cells.
///
/// Out of line, so that its few values stay in registers, with a whole row piece per call.
#[inline(never)]
fn row_tokens(
    out: &mut [u8],
    words: &[u32],
    base: u64,
    width: u64,
    mut start: u64,
    before: u64,
) -> (usize, u64) {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut at = 0;
    let mut carry = before;
    for (k, pair) in words.chunks(2).enumerate() {
        let word = pair[0] as u64 | (pair.get(1).copied().unwrap_or(0) as u64) << 32;
        let base = base + k as u64 * 64;
        let mut changes = word ^ (word << 1 | carry);
        carry = word >> 63;
        // Padding bits are zero: the only change among them is a live run ending at the
        // edge, which the row's end writes (or, for a dead run, leaves out).
        if width - base < 64 {
            changes &= (1u64 << (width - base)) - 1;
        }
        // The top bit of each byte of `changes` that is not zero.
        let mut bytes = (((changes & LOW7) + LOW7) | changes) & !LOW7;
        while bytes != 0 {
            let shift = bytes.trailing_zeros() & 56;
            bytes &= bytes - 1;
            let b = (changes >> shift) as usize & 0xff;
            let first = shift + b.trailing_zeros();
            let last = shift + b.ilog2();
            // The cell at the first change starts the next run: the run before it has the
            // other tag.
            let tag = (word >> first) as usize & 1;
            at = token(out, at, base + first as u64 - start, tag ^ 1);
            let inner = INNER[tag][b];
            let to: &mut [u8; 8] = (&mut out[at..at + 8]).try_into().expect("8 bytes");
            *to = inner.to_le_bytes();
            at += (inner >> 56) as usize;
            start = base + last as u64;
        }
    }
    (at, start)
}

/// Stores the token `n` × `tag` (an index into [`TOKENS`]) at `out[at..]`; returns the new
/// end.
#[inline(always)]
fn token(out: &mut [u8], at: usize, n: u64, tag: usize) -> usize {
    if n >= 100 {
        return long_token(out, at, n, tag);
    }
    // One 4-byte load and store, as a u32 (as a byte array, the copy became three).
    let bytes = u32::from_le_bytes(TOKENS[tag][n as usize]);
    let to: &mut [u8; 4] = (&mut out[at..at + 4]).try_into().expect("4 bytes");
    *to = bytes.to_le_bytes();
    at + (bytes >> 24) as usize
}

/// [`token`] for a count of 100 or more (rare in a soup: one long dead stretch or row gap).
#[cold]
fn long_token(out: &mut [u8], at: usize, n: u64, tag: usize) -> usize {
    let mut buf = [0u8; 24];
    let first = super::format_u64(n, &mut buf[..23]);
    buf[23] = TOKENS[tag][1][0];
    let bytes = &buf[first..];
    out[at..at + bytes.len()].copy_from_slice(bytes);
    at + bytes.len()
}

/// Bytes of tokens `Lines` gathers before it breaks them into lines: a few pages, so that
/// both passes work in the core's L1 and L2 caches.
const TOKEN_CHUNK: usize = 1 << 14;

/// The body's tokens, gathered without line breaks, and broken into lines of at most
/// [`MAX_LINE`] bytes into a [`TextSink`] a chunk at a time.
///
/// A line ends at the last token end that keeps it within [`MAX_LINE`] bytes, which is where
/// Golly's writer, deciding token by token, breaks it. Token ends are easy to find in the
/// text: a token is digits and one tag, so every byte that is not a digit ends one.
struct Lines {
    /// Tokens: `len` bytes of them, the first starting a line. Sized for a chunk, a call's
    /// tokens past it, and the 72-byte copies [`Lines::break_lines`] makes near its end.
    buf: Box<[u8]>,
    len: usize,
    /// Where tokens end, a bit a byte of `buf` (set where the byte is not a digit), as
    /// little-endian words: [`Lines::break_lines`] finds each line's end in it.
    ends: Box<[u8]>,
    /// How token ends are found: 64 bytes per two AVX2 compares ([`Tokens::Native`], where
    /// the CPU has them, and [`Tokens::Portable`]), or four SSE2/NEON ones ([`B16`]).
    tokens: Tokens,
}

/// [`Lines::break_lines_with`] as a [`BitsKernel`], for the CPU's AVX2 inside [`run_bits`].
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
struct LineKernel<'l, 's, 'o> {
    lines: &'l mut Lines,
    sink: &'s mut TextSink<'o>,
}

impl BitsKernel for LineKernel<'_, '_, '_> {
    type Output = std::io::Result<()>;
    #[inline(always)]
    fn run<B: Bits>(self, bits: B) -> std::io::Result<()> {
        self.lines.break_lines_with(Some(bits), self.sink)
    }
}

impl Lines {
    fn new(tokens: Tokens) -> Lines {
        let buf = vec![0; TOKEN_CHUNK + ROOM_PER_CALL + 128].into_boxed_slice();
        Lines {
            ends: vec![0; buf.len() / 8 + 8].into_boxed_slice(),
            buf,
            len: 0,
            tokens,
        }
    }

    /// Room for one [`row_tokens`] call's tokens ([`ROOM_PER_CALL`] bytes, with the 8-byte
    /// stores' scratch): when the chunk is full, its lines go to `sink` first.
    #[inline]
    fn room(&mut self, sink: &mut TextSink) -> std::io::Result<&mut [u8]> {
        if self.len >= TOKEN_CHUNK {
            self.break_lines(sink)?;
        }
        Ok(&mut self.buf[self.len..self.len + ROOM_PER_CALL])
    }

    /// Keeps `n` bytes of tokens written into [`Lines::room`].
    #[inline]
    fn advance(&mut self, n: usize) {
        self.len += n;
    }

    /// Writes every line of the tokens gathered that must end before the last
    /// [`MAX_LINE`] bytes (each with its `\n`) to `sink`, and moves what is left, at most
    /// [`MAX_LINE`] bytes that more tokens may join, to the front.
    fn break_lines(&mut self, sink: &mut TextSink) -> std::io::Result<()> {
        match self.tokens {
            Tokens::Native => match run_bits(LineKernel { lines: self, sink }) {
                Some(done) => done,
                None => self.break_lines_with(None::<PortableBits>, sink),
            },
            Tokens::Portable => self.break_lines_with(Some(PortableBits), sink),
            Tokens::Bytes => self.break_lines_with(None::<PortableBits>, sink),
        }
    }

    /// [`Lines::break_lines`] with `bits`' 32-byte compares, else with [`B16`].
    ///
    /// First the token ends of the whole chunk, a bit a byte (two compares per 64 bytes, no
    /// chain from one to the next); then each line's end is one load from that bitmap, a
    /// shift and `lzcnt` after the previous line's. Compares in a window per line had made
    /// the chain from line to line twice as long (load, compare, `movemask`, `lzcnt`).
    #[inline(always)]
    fn break_lines_with<B: Bits>(
        &mut self,
        bits: Option<B>,
        sink: &mut TextSink,
    ) -> std::io::Result<()> {
        // At most one line per 60 bytes (a line is cut short by at most a 10-byte token),
        // each of them with a newline and a 72-byte copy.
        let room = sink.room(self.len + self.len / 60 + 128)?;
        let (buf, len) = (&self.buf, self.len);
        if len > MAX_LINE {
            // The bytes past `len` are scratch; their bits are never read.
            for (w, block) in buf[..len.next_multiple_of(64)].chunks_exact(64).enumerate() {
                let digits = match bits {
                    Some(bits) => {
                        let low = bits.load(&block[..32]).in_range(b'0', b'9').mask();
                        let high = bits.load(&block[32..]).in_range(b'0', b'9').mask();
                        low as u64 | (high as u64) << 32
                    }
                    None => {
                        let mut digits = 0u64;
                        for k in 0..4 {
                            let v = B16::load(&block[16 * k..]);
                            digits |= (v.in_range(b'0', b'9').mask() as u64) << (16 * k);
                        }
                        digits
                    }
                };
                self.ends[8 * w..8 * w + 8].copy_from_slice(&(!digits).to_le_bytes());
            }
        }
        let ends = &self.ends;
        let (mut from, mut at) = (0, 0);
        while len - from > MAX_LINE {
            // The line ends after the last token end among bytes from .. from + 70 (a
            // token is at most 11 bytes, so one is among the last 11): the 64 bits that end
            // with byte from + 69's, shifted up so that its bit is the top one.
            let last = from + MAX_LINE - 1;
            let word = u64::from_le_bytes(
                ends[last / 8 - 7..last / 8 + 1]
                    .try_into()
                    .expect("8 bytes"),
            );
            let end = last + 1 - (word << (7 - last % 8)).leading_zeros() as usize;
            // Whole arrays, not `copy_from_slice`: a fixed-size copy in registers, never a call.
            let line: &[u8; 72] = buf[from..from + 72].try_into().expect("72 bytes");
            let to: &mut [u8; 72] = (&mut room[at..at + 72]).try_into().expect("72 bytes");
            *to = *line;
            room[at + end - from] = b'\n';
            at += end - from + 1;
            from = end;
        }
        sink.advance(at);
        self.buf.copy_within(from..len, 0);
        self.len = len - from;
        Ok(())
    }

    /// Writes the rest of the body and the `!` that ends it (on a line of its own when the
    /// last line is full).
    fn finish(mut self, sink: &mut TextSink) -> std::io::Result<()> {
        self.break_lines(sink)?;
        sink.push(&self.buf[..self.len])?;
        let end: &[u8] = if self.len + 1 > MAX_LINE {
            b"\n!\n"
        } else {
            b"!\n"
        };
        sink.push(end)
    }
}

/// The writer before [`write_to`]'s two passes, kept as the tests' definition of its output.
#[cfg(test)]
mod linewise {
    use super::*;

    /// The writer before [`write_to`]'s two passes, a token and its line break at a time: the
    /// tests' definition of the output, byte for byte.
    ///
    /// Runs are found a 64-bit word at a time: `w ^ (w << 1)` marks every cell that differs from
    /// the one before it, so each set bit ends a run, and `trailing_zeros` walks them; the run's
    /// tag alternates. Each token is one table look-up (`TOKENS`) stored straight into the sink's
    /// buffer, so the loop holds no branch on the cells' values.
    pub(super) fn write_to_linewise(
        out: &mut dyn Write,
        grid: &Grid,
        rule: &RuleSpec,
        name: Option<&str>,
    ) -> std::io::Result<()> {
        let mut sink = TextSink::new(out);
        if let Some(n) = name {
            sink.push(format!("#N {n}\n").as_bytes())?;
        }
        sink.push(
            format!(
                "x = {}, y = {}, rule = {}\n",
                grid.width(),
                grid.height(),
                rule.to_golly()
            )
            .as_bytes(),
        )?;
        // The length of the body line being written.
        let mut line = 0usize;
        // The row the writer stands on: rows are ended lazily, so that empty rows in between (or
        // before the first live row) become one `n$` token.
        let mut at_row = 0u32;
        let width = grid.width() as u64;
        for y in 0..grid.height() {
            let row = grid.row(y);
            if row.iter().all(|&w| w == 0) {
                continue;
            }
            if y > at_row {
                let room = sink.room(ROOM_PER_WORD)?;
                let mut at = 0;
                token(room, &mut at, &mut line, (y - at_row) as u64, ROWS);
                sink.advance(at);
                at_row = y;
            }
            // The run being gathered: its tag and first column. The cell before column 0 reads as
            // column 0's, so that the row's first run starts without a transition.
            let mut alive = if row[0] & 1 == 1 { LIVE } else { DEAD };
            let mut start = 0u64;
            let mut carry = alive as u64;
            for (k, pair) in row.chunks(2).enumerate() {
                let word = pair[0] as u64 | (pair.get(1).copied().unwrap_or(0) as u64) << 32;
                let base = k as u64 * 64;
                let mut changes = word ^ (word << 1 | carry);
                carry = word >> 63;
                // Padding bits are zero: the only change among them is a live run ending at the
                // edge, which the row's end writes (or, for a dead run, leaves out).
                if width - base < 64 {
                    changes &= (1u64 << (width - base)) - 1;
                }
                if changes == 0 {
                    continue;
                }
                let room = sink.room(ROOM_PER_WORD)?;
                let at;
                (at, start, alive, line) =
                    word_tokens_linewise(room, changes, base, start, alive, line);
                sink.advance(at);
            }
            // The row's trailing dead run is not written.
            if alive == LIVE {
                let room = sink.room(ROOM_PER_WORD)?;
                let mut at = 0;
                token(room, &mut at, &mut line, width - start, LIVE);
                sink.advance(at);
            }
        }
        let end: &[u8] = if line + 1 > MAX_LINE {
            b"\n!\n"
        } else {
            b"!\n"
        };
        sink.push(end)?;
        sink.finish()
    }

    /// Writes the tokens of the runs that end at the set bits of `changes` (cells `base ..
    /// base + 64`) into `out`, the run under way starting at `start` with tag `alive`, on a line
    /// `line` bytes long; returns the bytes written and the new `start`, `alive` and `line`.
    ///
    /// A function of its own, out of line, so that its few values stay in registers: inside
    /// `write_to` the compiler kept `start` and the line length on the stack, and the store and
    /// reload of each token's values made a chain through memory.
    #[inline(never)]
    fn word_tokens_linewise(
        out: &mut [u8],
        mut changes: u64,
        base: u64,
        mut start: u64,
        mut alive: usize,
        mut line: usize,
    ) -> (usize, u64, usize, usize) {
        let mut at = 0;
        while changes != 0 {
            let x = base + changes.trailing_zeros() as u64;
            changes &= changes - 1;
            (at, line) = short_token(out, at, line, x - start, alive);
            (start, alive) = (x, alive ^ 1);
        }
        (at, start, alive, line)
    }

    /// Stores the token `n` × `tag` (an index into [`TOKENS`]) at `out[*at..]`, after a line break
    /// when it would make the line longer than [`MAX_LINE`], as Golly does.
    #[inline(always)]
    fn token(out: &mut [u8], at: &mut usize, line: &mut usize, n: u64, tag: usize) {
        if n >= 100 {
            (*at, *line) = long_token(out, *at, *line, n, tag);
            return;
        }
        let bytes = TOKENS[tag][n as usize];
        let len = bytes[3] as usize;
        if *line + len > MAX_LINE {
            out[*at] = b'\n';
            *at += 1;
            *line = 0;
        }
        out[*at..*at + 4].copy_from_slice(&bytes);
        *at += len;
        *line += len;
    }

    /// [`token`] by value, with the line break decided without a branch: a `\n` is stored
    /// first and kept (or overwritten by the token) as the line's length says. Returns the new
    /// `at` and line length.
    #[inline(always)]
    fn short_token(out: &mut [u8], at: usize, line: usize, n: u64, tag: usize) -> (usize, usize) {
        if n >= 100 {
            return long_token(out, at, line, n, tag);
        }
        let bytes = TOKENS[tag][n as usize];
        let len = bytes[3] as usize;
        let wrap = line + len > MAX_LINE;
        out[at] = b'\n';
        let at = at + wrap as usize;
        let line = if wrap { 0 } else { line };
        out[at..at + 4].copy_from_slice(&bytes);
        (at + len, line + len)
    }

    /// [`token`] for a count of 100 or more (rare in a soup: one long dead stretch or row gap).
    #[cold]
    ///
    /// Takes and returns its position and line length by value, as [`short_token`] does: a
    /// reference to them would make the hot loop keep them in memory.
    fn long_token(out: &mut [u8], at: usize, line: usize, n: u64, tag: usize) -> (usize, usize) {
        let mut buf = [0u8; 24];
        let first = crate::life::formats::format_u64(n, &mut buf[..23]);
        buf[23] = TOKENS[tag][1][0];
        let bytes = &buf[first..];
        let (mut at, mut line) = (at, line);
        if line + bytes.len() > MAX_LINE {
            out[at] = b'\n';
            at += 1;
            line = 0;
        }
        out[at..at + bytes.len()].copy_from_slice(bytes);
        (at + bytes.len(), line + bytes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glider() {
        let p = parse(
            "#N Glider\nx = 3, y = 3, rule = B3/S23\nbob$2bo$3o!\n",
            "g.rle",
        )
        .unwrap();
        assert_eq!(p.grid.to_text(), "-*-/--*/***");
        assert_eq!(p.name.as_deref(), Some("Glider"));
        assert_eq!(p.rule.unwrap().rule, crate::life::Rule::CONWAY);
    }

    #[test]
    fn row_skips_and_breaks() {
        let p = parse("x = 4, y = 4\no2$\n3b\no!", "t.rle").unwrap();
        assert_eq!(p.grid.to_text(), "*---/----/---*/----");
    }

    #[test]
    fn errors_name_position() {
        let e = parse("x = 3, y = 3\nbo$q!", "bad.rle")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.rle:2:4:"), "{e}");
        let e = parse("x = 2, y = 1\n3o!", "big.rle")
            .unwrap_err()
            .to_string();
        assert!(e.contains("outside the header"), "{e}");
        let e = parse("x = 99999999999, y = 99999999999\no!", "huge.rle")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("huge.rle:1:1:"), "{e}");
    }

    /// Reads `text` by every [`Path`] and checks that they agree, grid for grid and error for
    /// error; returns whether it was read without an error.
    fn paths_agree(text: &str, case: &str) -> bool {
        let read = |path| parse_with(text.as_bytes(), "w.rle", path).map(|p| p.grid);
        let bytes = read(Path::Bytes);
        for path in [Path::Windows, Path::Portable, Path::Native] {
            match (&read(path), &bytes) {
                (Ok(a), Ok(b)) => assert!(a == b, "{case}, {path:?}: {text:?}"),
                (Err(a), Err(b)) => {
                    assert_eq!(a.to_string(), b.to_string(), "{case}, {path:?}: {text:?}")
                }
                (a, b) => panic!("{case}, {path:?}: {text:?}: {a:?} against {b:?}"),
            }
        }
        bytes.is_ok()
    }

    /// The window paths and the byte path agree, cell for cell and error for error, on bodies
    /// that mix everything the windows hand over: spaces, comment lines, long counts, counts
    /// split by a line break, zero counts, runs past the header's size, `!` and what follows.
    #[test]
    fn window_paths_match_byte_path() {
        let pieces = [
            "o",
            "b",
            "2o",
            "3b",
            "$",
            "2$",
            "\n",
            "64o",
            "65o",
            "99b",
            "123o",
            "1\n2o",
            " ",
            "\t",
            "\r\n",
            "\n#C note\n",
            "A",
            ".",
            "0o",
            "00$",
            "05o",
            "!",
            "x",
            "\u{e9}",
            "24o",
            "25o",
            "9b",
            "17o",
            "12$",
            "8o",
        ];
        let mut rng = crate::random::SplitMix64::new(7);
        let mut read = 0;
        for case in 0..3000 {
            let (w, h) = (1 + rng.next_u64() % 2000, 1 + rng.next_u64() % 40);
            let mut body = String::new();
            let tokens = rng.next_u64() % 300;
            for _ in 0..tokens {
                // Mostly plain tokens, sometimes anything.
                let r = rng.next_u64();
                let piece = if r.is_multiple_of(32) {
                    pieces[(r >> 8) as usize % pieces.len()]
                } else {
                    pieces[(r >> 8) as usize % 7]
                };
                body.push_str(piece);
            }
            for text in [format!("x = {w}, y = {h}\n{body}"), body.clone()] {
                read += paths_agree(&text, &format!("case {case}")) as usize;
            }
        }
        // Both outcomes are compared: make sure the cases are not nearly all errors.
        assert!(
            read > 1500,
            "only {read} of 6000 texts read without an error"
        );
    }

    /// Soup-shaped bodies (what the slot path is for) at the edges of its slots: counts of 1
    /// (no digits), 8, 9, 16, 17, 24 and 25, 2 digits up to 99, runs crossing 64-cell words
    /// and the width, `$` with counts, rows ending without `$`, lines of every length
    /// (broken mid-count too), widths that are not multiples of 64, `!` or no `!` at the end.
    #[test]
    fn slot_path_matches_byte_path_on_soups() {
        let mut rng = crate::random::SplitMix64::new(24);
        let mut read = 0;
        for case in 0..1500 {
            let w = [1, 7, 63, 64, 65, 100, 127, 128, 129, 300, 1000][case % 11];
            let h = 1 + rng.next_u64() % 12;
            let line_len = [70, 1, 2, 3, 17, 64, 65, 200][(rng.next_u64() % 8) as usize];
            let mut body = String::new();
            let mut line = 0;
            let mut x = 0;
            let tokens = rng.next_u64() % 400;
            for _ in 0..tokens {
                let r = rng.next_u64();
                let n = match r % 16 {
                    0..=5 => 1,
                    6..=9 => 2 + (r >> 8) % 7,
                    10 => [8, 9, 16, 17, 23, 24, 25, 26][(r >> 8) as usize % 8],
                    11..=13 => 10 + (r >> 8) % 15,
                    14 => 25 + (r >> 8) % 75,
                    _ => 0,
                };
                let token = if n == 0 || x + n > w + 2 {
                    x = 0;
                    let rows = 1 + (r >> 16) % 3;
                    if rows == 1 {
                        "$".to_string()
                    } else {
                        format!("{rows}$")
                    }
                } else {
                    x += n;
                    let tag = if (r >> 20).is_multiple_of(2) {
                        'o'
                    } else {
                        'b'
                    };
                    if n == 1 {
                        tag.to_string()
                    } else {
                        format!("{n}{tag}")
                    }
                };
                for c in token.chars() {
                    // Line breaks between tokens, and now and then inside a count.
                    let inside = c.is_ascii_digit() && (r >> 30).is_multiple_of(64);
                    if line >= line_len && (inside || !c.is_ascii_digit() || line > 2 * line_len) {
                        body.push('\n');
                        line = 0;
                    }
                    body.push(c);
                    line += 1;
                }
            }
            if rng.next_u64().is_multiple_of(2) {
                body.push('!');
            }
            for text in [format!("x = {w}, y = {}\n{body}", h * 3), body.clone()] {
                read += paths_agree(&text, &format!("soup case {case}")) as usize;
            }
        }
        assert!(
            read > 1500,
            "only {read} of 3000 texts read without an error"
        );
    }

    /// Long rows with no `$` for many windows (most of a soup's windows, and the case the
    /// other soup test meets least): the slot path against the byte path at runs of 1 to
    /// 10000 cells (words filled 0 to 8 times a window, counts crossing windows), lines broken
    /// everywhere (inside counts too), rows past a header's width (the error found inside a
    /// stretch of slots), and `!` at each of the first 300 offsets of every 50th body.
    #[test]
    fn slot_stretches_match_byte_path_on_long_rows() {
        let mut rng = crate::random::SplitMix64::new(2407);
        let mut read = 0;
        for case in 0..600 {
            let mut body = String::new();
            let rows = 1 + rng.next_u64() % 3;
            let line_len = [70, 1, 5, 63, 64, 65, 1000][case % 7];
            let mut line = 0;
            let mut widest = 0;
            for _ in 0..rows {
                let mut x = 0;
                for _ in 0..rng.next_u64() % 300 {
                    let r = rng.next_u64();
                    let n = match r % 12 {
                        0..=4 => 1,
                        5..=7 => 2 + (r >> 8) % 7,
                        8 => 8 + (r >> 8) % 17,
                        9 => 1 + (r >> 8) % 99,
                        10 => [24, 25, 64, 65, 128, 999, 10000][(r >> 8) as usize % 7],
                        _ => 1 + (r >> 8) % 3,
                    };
                    x += n;
                    let tag = if (r >> 20).is_multiple_of(2) {
                        'o'
                    } else {
                        'b'
                    };
                    let token = if n == 1 {
                        tag.to_string()
                    } else {
                        format!("{n}{tag}")
                    };
                    for c in token.chars() {
                        let split = c.is_ascii_digit() && (r >> 40).is_multiple_of(16);
                        if line >= line_len && (split || !c.is_ascii_digit()) {
                            body.push('\n');
                            line = 0;
                        }
                        body.push(c);
                        line += 1;
                    }
                }
                widest = widest.max(x);
                body.push('$');
                line += 1;
            }
            // A header as wide as the rows, or narrower: the error comes from inside a stretch.
            let w = widest.saturating_sub([0, 1, 64][case % 3]).max(1);
            let texts = [format!("x = {w}, y = {rows}\n{body}"), body.clone()];
            for text in texts {
                read += paths_agree(&text, &format!("long rows {case}")) as usize;
            }
            if case % 50 == 0 {
                for cut in 0..body.len().min(300) {
                    let text = format!("{}!{}", &body[..cut], &body[cut..]);
                    read += paths_agree(&text, &format!("long rows {case}, ! at {cut}")) as usize;
                }
            }
        }
        assert!(read > 600, "only {read} texts read without an error");
    }

    #[test]
    fn classify_slots_matches_its_definition() {
        let mut rng = crate::random::SplitMix64::new(5);
        let alphabet = b"0123456789012bobobobo.A$\n!x \r\x80";
        for _ in 0..3000 {
            let mut bytes = [0u8; 72];
            for b in bytes.iter_mut() {
                let r = rng.next_u64();
                *b = if r.is_multiple_of(8) {
                    (r >> 8) as u8
                } else {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                };
            }
            for at in 2..=6 {
                let want = classify_slots_portable(&bytes, at);
                let mut got = Slots::EMPTY;
                classify_slots(PortableBits, &bytes, at, &mut got);
                assert_eq!(got, want);
                struct Native<'a>(&'a [u8], usize);
                impl BitsKernel for Native<'_> {
                    type Output = Slots;
                    #[inline(always)]
                    fn run<B: Bits>(self, bits: B) -> Slots {
                        let mut s = Slots::EMPTY;
                        classify_slots(bits, self.0, self.1, &mut s);
                        s
                    }
                }
                if let Some(got) = run_bits(Native(&bytes, at)) {
                    assert_eq!(got, want);
                }
            }
        }
    }

    #[test]
    fn classify_matches_its_definition() {
        let mut rng = crate::random::SplitMix64::new(3);
        let alphabet = b"0123456789bo.A$\n!#x \t\r\x80\xff/:";
        for _ in 0..2000 {
            let mut bytes = [0u8; 70];
            for b in bytes.iter_mut() {
                let r = rng.next_u64();
                *b = if r.is_multiple_of(4) {
                    (r >> 8) as u8
                } else {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                };
            }
            for at in 2..=6 {
                assert_eq!(classify(&bytes, at), classify_portable(&bytes, at));
            }
        }
    }

    #[test]
    fn soups_round_trip_at_awkward_widths() {
        let rule = RuleSpec::parse("B3/S23").unwrap();
        for (seed, &(w, h)) in [
            (1, 1),
            (31, 3),
            (33, 5),
            (63, 2),
            (64, 4),
            (65, 7),
            (100, 9),
            (257, 11),
            (1000, 3),
        ]
        .iter()
        .enumerate()
        {
            for density in [0.02, 0.5, 0.97] {
                let g = Grid::random(w, h, density, seed as u64).unwrap();
                let text = write(&g, &rule, None);
                assert_eq!(
                    parse(&text, "s.rle").unwrap().grid,
                    g,
                    "{w}x{h} at {density}"
                );
                assert!(paths_agree(&text, &format!("{w}x{h} at {density}")));
            }
        }
    }

    /// Every way of finding the writer's tokens; [`Tokens::Native`] is the CPU's AVX2 path
    /// where it has one ([`native_tokens_note`] says when it is not).
    const TOKENS_WAYS: [Tokens; 3] = [Tokens::Bytes, Tokens::Portable, Tokens::Native];

    /// [`write`] by one [`Tokens`] way.
    fn write_by(g: &Grid, rule: &RuleSpec, name: Option<&str>, tokens: Tokens) -> String {
        let mut out = Vec::new();
        write_with(&mut out, g, rule, name, tokens).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Says so when [`Tokens::Native`] is not the AVX2 path here, so that a test comparing
    /// it does not pass silently for a path it did not run.
    fn native_tokens_note() {
        struct Probe;
        impl BitsKernel for Probe {
            type Output = ();
            fn run<B: Bits>(self, _: B) {}
        }
        if run_bits(Probe).is_none() {
            eprintln!(
                "skipped (Native is the byte-step path): this CPU has no fast pext with AVX2, \
                 or a lower level is forced"
            );
        }
    }

    /// The two-pass writer gives the old writer's output byte for byte: soups of every
    /// density at widths around the 64-cell words, runs and row gaps of 100 or more, bodies
    /// longer than a token chunk, and last lines of exactly 70 bytes (whose `!` goes on a line
    /// of its own).
    #[test]
    fn writer_matches_the_linewise_writer() {
        native_tokens_note();
        let rule = RuleSpec::parse("B36/S23").unwrap();
        let mut rng = crate::random::SplitMix64::new(70);
        let mut full_last_lines = 0;
        let mut check = |g: &Grid, what: &str| {
            let mut want = Vec::new();
            linewise::write_to_linewise(&mut want, g, &rule, Some("n")).unwrap();
            for tokens in TOKENS_WAYS {
                let got = write_by(g, &rule, Some("n"), tokens);
                assert!(
                    got.as_bytes() == want,
                    "{what}, {tokens:?}: {got:?} against {want:?}"
                );
            }
            full_last_lines += want.ends_with(b"\n!\n") as usize;
        };
        for case in 0..3000u64 {
            let widths = [
                1, 2, 3, 31, 32, 33, 63, 64, 65, 70, 71, 99, 100, 101, 127, 129, 200, 333,
            ];
            let w = widths[case as usize % widths.len()];
            let h = 1 + (rng.next_u64() % 9) as u32;
            let density =
                [0.0, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0][(rng.next_u64() % 9) as usize];
            let mut g = Grid::random(w, h, density, case).unwrap();
            if case % 5 == 0 {
                // Empty rows between live ones: `n$` tokens, some of 100 rows or more.
                let mut t = Grid::new(w, 150).unwrap();
                for y in 0..h {
                    for x in 0..w {
                        t.set(x, y * 149 / h.max(1), g.get(x, y));
                    }
                }
                g = t;
            }
            check(&g, &format!("case {case}: {w}x{h} at {density}"));
        }
        for (w, h, density) in [(1000, 200, 0.5), (4000, 30, 0.2), (150, 600, 0.9)] {
            let g = Grid::random(w, h, density, 9).unwrap();
            check(&g, &format!("{w}x{h} at {density}"));
        }
        assert!(full_last_lines > 0, "no case ended on a full line");
    }

    /// The byte-step writer against the old one on rows built to hit its edges: widths at
    /// the 64-cell words and the 2048-cell pieces of `row_tokens` (1, 63, 64, 65, 2047..2049,
    /// 4099), all-dead and all-live rows, runs of exactly 99, 100, 9999 and 10000 cells and
    /// longer, runs crossing a piece, a change at every cell and at every eighth, row gaps
    /// of 1, 99, 100 and more, and counts that cross line breaks; each also read back.
    #[test]
    fn writer_matches_the_linewise_writer_at_the_edges() {
        native_tokens_note();
        let rule = RuleSpec::parse("B3/S23").unwrap();
        let mut rng = crate::random::SplitMix64::new(2024);
        for w in [
            1u32, 2, 7, 8, 9, 63, 64, 65, 99, 100, 101, 2047, 2048, 2049, 4099, 20011,
        ] {
            let rows: Vec<Box<dyn Fn(u32) -> bool>> = vec![
                Box::new(|_| false),
                Box::new(|_| true),
                Box::new(|x| x % 2 == 0),
                Box::new(|x| x % 8 == 7),
                Box::new(|x| x % 16 < 3),
                Box::new(|x| x >= 99),
                Box::new(|x| !(100..9999).contains(&x)),
                Box::new(|x| (100..10100).contains(&x)),
                Box::new(|x| x > 2000 && x < 2100),
                Box::new(|x| x + 1 == w),
                Box::new(|x| x == 0),
                Box::new(|x| x % 97 < 95),
                // Two-digit runs ending at the first and second cells of a step and of its
                // high half, and across steps.
                Box::new(|x| x % 64 == 0),
                Box::new(|x| x % 32 == 1),
                Box::new(|x| x % 50 < 25),
                // Steps without a change between steps with short runs, the dead run across
                // them (70 and 82 cells) ending at the next step's first cell and inside it:
                // the steps still to be packed keep their slots.
                Box::new(|x| x % 128 < 60 && x % 3 == 0),
                Box::new(|x| x % 192 < 60 && x % 3 == 0 || x % 192 == 140),
            ];
            for gap in [1u32, 2, 99, 100, 101] {
                let h = rows.len() as u32 * gap + 3;
                let mut g = Grid::new(w, h).unwrap();
                for (i, f) in rows.iter().enumerate() {
                    for x in 0..w {
                        g.set(x, i as u32 * gap + 1, f(x));
                    }
                }
                // A soup row at the end: random runs across the pieces.
                for x in 0..w {
                    g.set(x, h - 1, rng.next_u64().is_multiple_of(3));
                }
                let mut want = Vec::new();
                linewise::write_to_linewise(&mut want, &g, &rule, None).unwrap();
                for tokens in TOKENS_WAYS {
                    let got = write_by(&g, &rule, None, tokens);
                    assert!(got.as_bytes() == want, "width {w}, gap {gap}, {tokens:?}");
                }
                let got = write(&g, &rule, None);
                assert!(
                    got.lines().all(|l| l.len() <= MAX_LINE),
                    "width {w}, gap {gap}"
                );
                assert_eq!(
                    parse(&got, "e.rle").unwrap().grid,
                    g,
                    "width {w}, gap {gap}"
                );
            }
        }
    }

    /// Every entry of [`INNER`] against the runs it stands for, written one token at a time.
    #[test]
    fn inner_table_matches_its_definition() {
        for tag in [DEAD, LIVE] {
            for (b, entry) in INNER[tag].iter().enumerate().skip(1) {
                let ends: Vec<usize> = (0..8).filter(|j| b >> j & 1 == 1).collect();
                let mut want = Vec::new();
                for (i, pair) in ends.windows(2).enumerate() {
                    let n = pair[1] - pair[0];
                    if n > 1 {
                        want.push(b'0' + n as u8);
                    }
                    want.push(if (tag + i) % 2 == LIVE { b'o' } else { b'b' });
                }
                let got = entry.to_le_bytes();
                assert_eq!(got[7] as usize, want.len(), "{tag} {b:08b}");
                assert_eq!(&got[..want.len()], &want[..], "{tag} {b:08b}");
            }
        }
    }

    #[test]
    fn writer_keeps_lines_short() {
        let g = Grid::random(300, 20, 0.5, 1).unwrap();
        let text = write(&g, &RuleSpec::parse("B3/S23").unwrap(), None);
        assert!(text.lines().all(|l| l.len() <= MAX_LINE), "{text}");
        assert_eq!(parse(&text, "r.rle").unwrap().grid, g);
    }
}
