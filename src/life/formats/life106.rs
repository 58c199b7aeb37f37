//! Life 1.06 (`.lif`, `.life`): a `#Life 1.06` line, then one `x y` pair per live cell.
//!
//! ```text
//! #Life 1.06
//! 0 -1
//! 1 0
//! -1 1
//! ```
//! Coordinates may be negative and come in any order; the reader normalises them to their
//! bounding box (the file carries no grid size, rule or name).

use super::gather::{Gather, ROOM};
use super::{format_u64, lines, parse_error, text_of, Pattern, TextSink};
use crate::error::Result;
use crate::life::grid::Grid;
use crate::simd::bytes::{run_bits, Bits, BitsKernel, Bytes32, PortableBits, B16};
use std::io::Write;

/// The first line of every Life 1.06 file.
pub const HEADER: &str = "#Life 1.06";

/// Parses Life 1.06 text; `file` names the source in errors. `#` lines after the header are
/// kept as comments.
///
/// One pass: the cells are gathered into a grid that grows to their bounding box
/// (`Gather`); no list of cells is held. Only a pattern too large to hold while it grows is
/// read a second time, into a grid allocated to its box.
pub fn parse(text: &str, file: &str) -> Result<Pattern> {
    parse_bytes(text.as_bytes(), file)
}

/// [`parse`] on bytes (see [`super::parse_pattern_bytes`] for how UTF-8 is checked).
pub(crate) fn parse_bytes(text: &[u8], file: &str) -> Result<Pattern> {
    parse_with(text, file, Path::Native)
}

/// How the lines are read: every path gives the same grid, or the same error (tests compare
/// them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
enum Path {
    /// Each line found and read on its own ([`plain_pair`], else [`coordinates`]): what every
    /// other path leaves to it, and the one that explains errors.
    General,
    /// Up to 8 lines per 64 bytes ([`pairs_in_window`]), then one line at a time
    /// ([`short_pair`]), then [`Path::General`].
    Lines,
    /// 64-byte windows of short lines read whole ([`lines_in_window`]) with [`PortableBits`]:
    /// the definition the CPU's instructions are tested against; then [`Path::Lines`].
    Portable,
    /// [`lines_in_window`] with the CPU's vectors where it has them ([`run_bits`]), then
    /// [`Path::Lines`]: what [`parse`] uses.
    Native,
}

/// [`parse`] by one [`Path`].
fn parse_with(text: &[u8], file: &str, path: Path) -> Result<Pattern> {
    let mut comments = Vec::new();
    let mut gather = Gather::new(text.len());
    read_cells(path, text, file, &mut comments, &mut gather)?;
    let grid = gather.into_grid(file, |grid, x0, y0| {
        comments.clear();
        // Inside the bounding box by construction, so the offsets fit the grid.
        let set = |x: i64, y: i64| grid.set(x.abs_diff(x0) as u32, y.abs_diff(y0) as u32, true);
        read_cells(
            path,
            text,
            file,
            &mut comments,
            &mut Each(set, [(0, 0); ROOM]),
        )
    })?;
    Ok(Pattern {
        grid,
        rule: None,
        name: None,
        comments,
    })
}

/// Where [`for_each_cell`] puts the cells it reads.
trait CellSink {
    /// The cell (x, y).
    fn cell(&mut self, x: i64, y: i64);

    /// Room for [`ROOM`] cells, written in place by the window paths.
    fn room(&mut self) -> &mut [(i64, i64); ROOM];

    /// Keeps the first `n` cells written into [`CellSink::room`]; the reader is at byte `at`.
    fn keep(&mut self, n: usize, at: usize);
}

impl CellSink for Gather {
    #[inline(always)]
    fn cell(&mut self, x: i64, y: i64) {
        self.push(x, y);
    }

    #[inline(always)]
    fn room(&mut self) -> &mut [(i64, i64); ROOM] {
        Gather::room(self)
    }

    #[inline(always)]
    fn keep(&mut self, n: usize, at: usize) {
        Gather::keep(self, n, at);
    }
}

/// A function of each cell, as a [`CellSink`].
struct Each<F>(F, [(i64, i64); ROOM]);

impl<F: FnMut(i64, i64)> CellSink for Each<F> {
    fn cell(&mut self, x: i64, y: i64) {
        (self.0)(x, y);
    }

    fn room(&mut self) -> &mut [(i64, i64); ROOM] {
        &mut self.1
    }

    fn keep(&mut self, n: usize, _: usize) {
        for &(x, y) in &self.1[..n] {
            (self.0)(x, y);
        }
    }
}

/// [`for_each_cell`] as a [`BitsKernel`]: compiled, with everything it inlines, for the CPU's
/// vectors inside [`run_bits`].
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
struct CellsKernel<'a, S> {
    text: &'a [u8],
    file: &'a str,
    comments: &'a mut Vec<String>,
    cell: &'a mut S,
}

impl<S: CellSink> BitsKernel for CellsKernel<'_, S> {
    type Output = Result<()>;
    #[inline(always)]
    fn run<B: Bits>(self, bits: B) -> Result<()> {
        for_each_cell(
            Some(bits),
            true,
            self.text,
            self.file,
            self.comments,
            self.cell,
        )
    }
}

/// [`for_each_cell`] by `path`.
fn read_cells(
    path: Path,
    text: &[u8],
    file: &str,
    comments: &mut Vec<String>,
    cell: &mut impl CellSink,
) -> Result<()> {
    let none = None::<PortableBits>;
    match path {
        Path::Native => {
            let kernel = CellsKernel {
                text,
                file,
                comments: &mut *comments,
                cell: &mut *cell,
            };
            match run_bits(kernel) {
                Some(done) => done,
                None => for_each_cell(none, true, text, file, comments, cell),
            }
        }
        Path::Portable => for_each_cell(Some(PortableBits), true, text, file, comments, cell),
        Path::Lines => for_each_cell(none, true, text, file, comments, cell),
        Path::General => for_each_cell(none, false, text, file, comments, cell),
    }
}

/// Walks the lines after the header, giving each cell to `cell` and each `#` line to
/// `comments`. With `bits`, 64-byte windows of short lines are read whole first
/// ([`lines_in_window`]); with `windows`, then up to 8 lines at a time ([`pairs_in_window`])
/// and single short lines ([`short_pair`]); whatever those leave goes to the general path,
/// which also makes every error.
#[inline(always)]
fn for_each_cell<B: Bits>(
    bits: Option<B>,
    windows: bool,
    text: &[u8],
    file: &str,
    comments: &mut Vec<String>,
    cell: &mut impl CellSink,
) -> Result<()> {
    let mut lines = lines(text).enumerate();
    expect_header(&mut lines, file, HEADER)?;
    // From the line after the header on, the lines are walked by hand: most are read by the
    // window paths straight from the bytes, without finding each line's end first.
    let Some((first, line)) = lines.next() else {
        return Ok(());
    };
    let bytes = text;
    let (mut i, mut at) = (first, line.as_ptr() as usize - text.as_ptr() as usize);
    while at < bytes.len() {
        if let Some(bits) = bits {
            let (next, read) = lines_in_window(bits, bytes, at, cell.room());
            if read > 0 {
                cell.keep(read, next);
                (i, at) = (i + read, next);
                continue;
            }
        }
        if windows {
            let room: &mut [(i64, i64); 8] = (&mut cell.room()[..8]).try_into().expect("8");
            let (next, read) = pairs_in_window(bytes, at, room);
            if read > 0 {
                cell.keep(read, next);
                (i, at) = (i + read, next);
                continue;
            }
            if let Some((x, y, next)) = short_pair(bytes, at) {
                cell.cell(x, y);
                (i, at) = (i + 1, next);
                continue;
            }
        }
        let end = bytes[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |n| at + n);
        // As `str::lines`: a line ends at `\n`, and a `\r` just before it is not part of it.
        let line = &text[at..end];
        let line = match end < bytes.len() {
            true => line.strip_suffix(b"\r").unwrap_or(line),
            false => line,
        };
        (i, at) = (i + 1, end + 1);
        // The common line, `x y` in ASCII digits, read without allocating or splitting.
        if let Some((x, y)) = plain_pair(line) {
            cell.cell(x, y);
            continue;
        }
        let line = text_of(line, file, i)?;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(c) = trimmed.strip_prefix('#') {
            comments.push(c.trim().to_string());
            continue;
        }
        let (x, y) = coordinates(line, file, i)?;
        cell.cell(x, y);
    }
    Ok(())
}

/// Bytes [`lines_in_window`] needs from where it starts: the 64 it classifies and 8 more for
/// the whole-word reads of numbers that start near their end.
const LINES_WINDOW: usize = 72;

/// Reads every line that starts at `at` and ends (with `\n`) within the next 64 bytes into
/// `pairs`, when all of them are exactly `x y`: each number an optional `-` and 1 to 4
/// digits, one space between (any soup below 10000², in any position); returns where it
/// stopped and how many lines it read (`at` and 0 when any of those lines is anything else,
/// or fewer than [`LINES_WINDOW`] bytes are left: the other paths read those).
///
/// Nothing is decided line by line. Masks of the 64 bytes (`bits`' vectors: two 32-byte
/// compares per class) give the newlines, spaces, signs and digits, and the whole window's
/// shape is checked on them at once, branch-free: only those bytes; every space and newline
/// after a digit; a `-` only where a number starts, and a digit after it and wherever a
/// number starts without one; no 5 digits in a row; and the spaces and newlines alternating
/// (`pext` of the spaces at the separators is 0101…: one space a line, before its end). Then
/// each line is a few bit scans (its end and its space are the next set bits of their masks,
/// independent of the line before) and two word loads, the two numbers placed in one word and
/// combined together by two multiplications.
#[inline(always)]
fn lines_in_window<B: Bits>(
    bits: B,
    bytes: &[u8],
    at: usize,
    pairs: &mut [(i64, i64); ROOM],
) -> (usize, usize) {
    let Some(window) = bytes.get(at..at + LINES_WINDOW) else {
        return (at, 0);
    };
    let window: &[u8; LINES_WINDOW] = window.try_into().expect("LINES_WINDOW bytes");
    let (lo, hi) = (bits.load(&window[..32]), bits.load(&window[32..64]));
    let both = |a: B::V, b: B::V| a.mask() as u64 | (b.mask() as u64) << 32;
    let newlines = both(lo.eq(b'\n'), hi.eq(b'\n'));
    let spaces = both(lo.eq(b' '), hi.eq(b' '));
    let minus = both(lo.eq(b'-'), hi.eq(b'-'));
    let digits = both(lo.in_range(b'0', b'9'), hi.in_range(b'0', b'9'));
    if newlines == 0 {
        return (at, 0);
    }
    // The bytes up to and including the window's last newline: its whole lines.
    let valid = u64::MAX >> newlines.leading_zeros();
    let seps = (spaces | newlines) & valid;
    let starts = (newlines << 1 | spaces << 1 | 1) & valid;
    let (minus, digits) = (minus & valid, digits & valid);
    let mut bad = valid & !(digits | seps | minus);
    bad |= seps & !(digits << 1);
    bad |= minus & !starts;
    bad |= ((starts & !minus) | minus << 1) & valid & !digits;
    bad |= digits & digits >> 1 & digits >> 2 & digits >> 3 & digits >> 4;
    // At least one separator (the last newline) is counted, so the shift is below 64.
    let alternate = 0x5555_5555_5555_5555 & u64::MAX >> (64 - seps.count_ones());
    bad |= bits.pext(spaces, seps) ^ alternate;
    if bad != 0 {
        return (at, 0);
    }
    // Each index below is under 64; `& 63` tells the compiler so.
    let word = |i: u32| {
        let i = (i & 63) as usize;
        u64::from_le_bytes(window[i..i + 8].try_into().expect("8 bytes"))
    };
    let (mut ends, mut gaps) = (newlines & valid, spaces & valid);
    let (mut start, mut read) = (0u32, 0usize);
    // Each line: its end and its space (the next set bits of their masks), its signs, and its
    // two numbers' digits. Without a sign in the window (a soup written from 0 0), the
    // numbers start at the line's start and after its space: a loop without the signs' work.
    let mut line = |signs: u64| {
        let (end, gap) = (ends.trailing_zeros(), gaps.trailing_zeros());
        ends &= ends - 1;
        gaps &= gaps - 1;
        let x_minus = signs >> start & 1;
        let y_minus = signs >> (gap + 1) & 1;
        let (x_at, y_at) = (start + x_minus as u32, gap + 1 + y_minus as u32);
        // x's digits to the top of the low half (zeros before them), y's to the top of the
        // high half: two 4-digit numbers, combined pairwise twice, as in [`pair_value`].
        let v = (word(x_at) << (32 - 8 * (gap - x_at)) & 0x0f0f_0f0f)
            | (word(y_at) << (64 - 8 * (end - y_at)) & 0x0f0f_0f0f_0000_0000);
        let v = v.wrapping_mul(10 << 8 | 1) >> 8 & 0x00ff_00ff_00ff_00ff;
        let v = v.wrapping_mul(100 << 16 | 1) >> 16;
        let (x, y) = ((v & 0xffff) as i64, (v >> 32 & 0xffff) as i64);
        let (x_minus, y_minus) = (x_minus as i64, y_minus as i64);
        pairs[read % ROOM] = ((x ^ -x_minus) + x_minus, (y ^ -y_minus) + y_minus);
        read += 1;
        start = end + 1;
        ends != 0
    };
    if minus == 0 {
        while line(0) {}
    } else {
        while line(minus) {}
    }
    (at + start as usize, read)
}

/// Bytes [`pairs_in_window`] needs from where it starts: the 64 it classifies and room past
/// them for whole-word reads (its byte indexes are masked to this, so they need no checks).
const WINDOW: usize = 128;

/// Reads up to 8 lines that start at `at` and end (with `\n`) within the next 64 bytes, as
/// long as each is exactly `x y` (each an optional `-` and 1 to 8 digits, one space between,
/// `\r` allowed before the `\n`), into `pairs`; returns where it stopped and how many it read
/// (`at` and 0 when the first line is anything else, or fewer than [`WINDOW`] bytes are left:
/// the per-line paths read those).
///
/// Masks of the 64 bytes, compared 16 at a time ([`B16`]): the newlines, so that every line's
/// start and end are known without reading the line before; the non-digits, so that each
/// number's end is one bit scan from its start; the spaces and the signs. Lines are then
/// independent of each other, and a core overlaps them; the numbers are read a word at a time
/// from their known starts and lengths ([`pair_value`]). (A loop of always 8 steps, without the
/// branch at the window's last line, was slower: a step costs more than the misprediction.)
#[inline]
fn pairs_in_window(bytes: &[u8], at: usize, pairs: &mut [(i64, i64); 8]) -> (usize, usize) {
    let Some(window) = bytes.get(at..at + WINDOW) else {
        return (at, 0);
    };
    let window: &[u8; WINDOW] = window.try_into().expect("WINDOW bytes");
    let (mut newlines, mut digits, mut spaces, mut minus) = (0u64, 0u64, 0u64, 0u64);
    for k in 0..4 {
        let v = B16::load(&window[16 * k..]);
        newlines |= (v.eq(b'\n').mask() as u64) << (16 * k);
        digits |= (v.in_range(b'0', b'9').mask() as u64) << (16 * k);
        spaces |= (v.eq(b' ').mask() as u64) << (16 * k);
        minus |= (v.eq(b'-').mask() as u64) << (16 * k);
    }
    let non_digits = !digits;
    let bit = |mask: u64, i: usize| (mask.wrapping_shr(i as u32) & 1) as usize;
    let scan = |mask: u64, i: usize| i + mask.wrapping_shr(i as u32).trailing_zeros() as usize;
    let byte = |i: usize| window[i % WINDOW];
    let (mut start, mut read) = (0usize, 0usize);
    let mut ends = newlines;
    for pair in pairs.iter_mut() {
        if ends == 0 {
            break;
        }
        let end = ends.trailing_zeros() as usize;
        ends &= ends - 1;
        // The space and each number's sign and end come from the masks, the space's from the
        // line's start and not from the first number's end: the core works on both numbers at
        // once. Each number runs from after its optional sign to the next non-digit (the
        // newline at `end` is one); a line whose first number does not end at its space, or
        // whose second does not end at its end, is refused.
        let gap = scan(spaces, start);
        let x_at = start + bit(minus, start);
        let y_minus = bit(minus, gap + 1);
        let y_at = gap + 1 + y_minus;
        let (x_end, y_end) = (scan(non_digits, x_at), scan(non_digits, y_at));
        let (x_len, y_len) = (x_end - x_at, y_end.wrapping_sub(y_at));
        let line_ends = (y_end == end) | ((y_end + 1 == end) & (byte(y_end) == b'\r'));
        if !((x_end == gap) & line_ends & (x_len.wrapping_sub(1) < 8) & (y_len.wrapping_sub(1) < 8))
        {
            break;
        }
        let (x, y) = pair_value(window, (x_at, x_len), (y_at, y_len));
        *pair = (
            if x_at > start { -x } else { x },
            if y_minus == 1 { -y } else { y },
        );
        read += 1;
        start = end + 1;
    }
    (at + start, read)
}

/// The values of two numbers of 1 to 8 digits at `window[at..]` (`at` below 64), given as
/// (start, length). Both of at most 4 digits (any soup below 10000²): both in one word, two
/// multiplications for the pair; else each a word at a time ([`digits_value`]).
#[inline]
fn pair_value(window: &[u8; WINDOW], x: (usize, usize), y: (usize, usize)) -> (i64, i64) {
    if x.1 > 4 || y.1 > 4 {
        return (
            digits_value(window, x.0 % 64, x.1),
            digits_value(window, y.0 % 64, y.1),
        );
    }
    let word = |at: usize| {
        u64::from_le_bytes(window[at % 64..at % 64 + 8].try_into().expect("8 bytes"))
            ^ 0x3030_3030_3030_3030
    };
    // x's digits to the top of the low half (zeros before them), y's to the top of the high
    // half: one 8-digit word holding two 4-digit numbers, combined pairwise twice.
    let v = (word(x.0) << (32 - 8 * x.1) & 0xffff_ffff) | word(y.0) << (64 - 8 * y.1);
    let v = (v & 0x0f0f_0f0f_0f0f_0f0f).wrapping_mul(10 << 8 | 1) >> 8;
    let v = (v & 0x00ff_00ff_00ff_00ff).wrapping_mul(100 << 16 | 1) >> 16;
    ((v & 0xffff) as i64, (v >> 32 & 0xffff) as i64)
}

/// The `len` (1 to 8) decimal digits at `window[at..]` (`at` below 64), combined a
/// word at a time as in [`parse_digits8`].
#[inline]
fn digits_value(window: &[u8; WINDOW], at: usize, len: usize) -> i64 {
    let word = u64::from_le_bytes(window[at..at + 8].try_into().expect("8 bytes"));
    let v = (word ^ 0x3030_3030_3030_3030) << (64 - 8 * len);
    let v = (v & 0x0f0f_0f0f_0f0f_0f0f).wrapping_mul(10 << 8 | 1) >> 8;
    let v = (v & 0x00ff_00ff_00ff_00ff).wrapping_mul(100 << 16 | 1) >> 16;
    let v = (v & 0x0000_ffff_0000_ffff).wrapping_mul(10000 << 32 | 1) >> 32;
    v as i64
}

/// The line at `bytes[at..]` when it is exactly `x y\n` (or `\r\n`): each number an optional
/// `-` and 1 to 8 digits, one space between. Returns the numbers and the offset of the next
/// line; `None` for anything else (including the last 24 bytes of the text), which the general
/// path reads.
#[inline]
fn short_pair(bytes: &[u8], at: usize) -> Option<(i64, i64, usize)> {
    // Room for two signed 8-digit numbers, the space and "\r\n", read 8 bytes at a time.
    if bytes.len() - at < 24 {
        return None;
    }
    let (x, at) = short_int(bytes, at)?;
    if bytes[at] != b' ' {
        return None;
    }
    let (y, at) = short_int(bytes, at + 1)?;
    match bytes[at] {
        b'\n' => Some((x, y, at + 1)),
        b'\r' if bytes[at + 1] == b'\n' => Some((x, y, at + 2)),
        _ => None,
    }
}

/// An optional `-` and 1 to 8 decimal digits at `bytes[at..]` (at least 9 bytes there), and
/// the offset after them; `None` for no digits or more than 8.
#[inline]
fn short_int(bytes: &[u8], at: usize) -> Option<(i64, usize)> {
    let negative = bytes[at] == b'-';
    let at = at + negative as usize;
    let (value, digits) = parse_digits8(bytes[at..at + 8].try_into().expect("8 bytes"))?;
    let value = value as i64;
    Some((if negative { -value } else { value }, at + digits))
}

/// The leading decimal digits of 8 bytes (1 to 7 of them, followed by a non-digit) and their
/// number, a whole word at a time: the digits are found with one carry-free test per byte and
/// combined by three multiplications. `None` for no digit or 8 digits (there may be more).
#[inline]
pub(crate) fn parse_digits8(chunk: [u8; 8]) -> Option<(u64, usize)> {
    // '0'..'9' become 0..9; a byte is a digit if that is below 10. Adding 0x76 sets bit 7 of a
    // byte from 10 on; a carry out of a byte only disturbs bytes after the first non-digit.
    let t = u64::from_le_bytes(chunk) ^ 0x3030_3030_3030_3030;
    let non_digits = (t.wrapping_add(0x7676_7676_7676_7676) | t) & 0x8080_8080_8080_8080;
    let digits = (non_digits.trailing_zeros() / 8) as usize;
    if digits == 0 || digits == 8 {
        return None;
    }
    // The digits moved to the top bytes (the first digit, the most significant, lowest), with
    // zero digits before them: an 8-digit number, combined pairwise.
    let v = t << (64 - 8 * digits);
    let v = (v & 0x0f0f_0f0f_0f0f_0f0f).wrapping_mul(10 << 8 | 1) >> 8;
    let v = (v & 0x00ff_00ff_00ff_00ff).wrapping_mul(100 << 16 | 1) >> 16;
    let v = (v & 0x0000_ffff_0000_ffff).wrapping_mul(10000 << 32 | 1) >> 32;
    Some((v, digits))
}

/// `x y` with optional `-` signs, at most 18 digits each, separated and surrounded by spaces
/// or tabs; `None` for anything else, which [`coordinates`] then reads (or explains).
#[inline]
fn plain_pair(line: &[u8]) -> Option<(i64, i64)> {
    let blank = |b: u8| b == b' ' || b == b'\t' || b == b'\r';
    let mut i = line.iter().position(|&b| !blank(b))?;
    let x = plain_int(line, &mut i)?;
    let gap = i;
    while i < line.len() && blank(line[i]) {
        i += 1;
    }
    if i == gap {
        return None;
    }
    let y = plain_int(line, &mut i)?;
    line[i..].iter().all(|&b| blank(b)).then_some((x, y))
}

#[inline]
fn plain_int(line: &[u8], i: &mut usize) -> Option<i64> {
    let negative = line.get(*i) == Some(&b'-');
    *i += negative as usize;
    let start = *i;
    let mut value = 0i64;
    while let Some(&b) = line.get(*i) {
        if !b.is_ascii_digit() || *i - start == 18 {
            break;
        }
        value = value * 10 + (b - b'0') as i64;
        *i += 1;
    }
    let digits = *i - start;
    let more = line.get(*i).is_some_and(u8::is_ascii_digit);
    (digits > 0 && !more).then_some(if negative { -value } else { value })
}

/// Checks that the first non-blank line is `header`, leaving `lines` just after it.
pub(crate) fn expect_header<'a>(
    lines: &mut impl Iterator<Item = (usize, &'a [u8])>,
    file: &str,
    header: &str,
) -> Result<()> {
    for (i, line) in lines.by_ref() {
        let line = text_of(line, file, i + 1)?;
        let trimmed = line.trim().trim_start_matches('\u{feff}');
        if trimmed.is_empty() {
            continue;
        }
        if trimmed == header {
            return Ok(());
        }
        return Err(parse_error(
            file,
            i + 1,
            1,
            format!("expected the header line '{header}'"),
        ));
    }
    Err(parse_error(
        file,
        1,
        1,
        format!("empty file: expected the header line '{header}'"),
    ))
}

/// Parses one `x y` line into two integers, naming the column of whatever is wrong.
fn coordinates(line: &str, file: &str, line_no: usize) -> Result<(i64, i64)> {
    let mut fields = Vec::with_capacity(2);
    let mut start = None;
    // Split on whitespace by hand so that each field's column is known.
    for (j, c) in line
        .char_indices()
        .chain(std::iter::once((line.len(), ' ')))
    {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(j),
            (true, Some(s)) => {
                fields.push((s, &line[s..j]));
                start = None;
                // A third field is already an error; stop before a long line is split further.
                if fields.len() > 2 {
                    break;
                }
            }
            _ => {}
        }
    }
    let column = |byte: usize| line[..byte].chars().count() + 1;
    if fields.len() != 2 {
        let at = fields.get(2).map_or(line.len(), |f| f.0);
        return Err(parse_error(
            file,
            line_no,
            column(at),
            format!(
                "expected two whole numbers 'x y', found {} field{}",
                fields.len(),
                if fields.len() == 1 { "" } else { "s" }
            ),
        ));
    }
    let number = |(at, text): (usize, &str)| {
        text.parse::<i64>().map_err(|_| {
            parse_error(
                file,
                line_no,
                column(at),
                format!("expected a whole number, found '{text}'"),
            )
        })
    };
    Ok((number(fields[0])?, number(fields[1])?))
}

/// Renders the live cells of `grid` as Life 1.06, in the grid's own coordinates (top-left 0 0).
pub fn write(grid: &Grid) -> String {
    let mut out = Vec::new();
    write_to(&mut out, grid).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("Life 1.06 is ASCII")
}

/// Columns whose digits [`write_to`] keeps in a table rather than formatting per cell.
const TABLED_COLUMNS: u32 = 1 << 16;

/// [`write()`], streamed into `out` through a [`TextSink`]. Each row's ` y\n` is formatted
/// once, each column's digits once (below `TABLED_COLUMNS`); a live cell is then two stores
/// of whole words into the sink's buffer.
pub fn write_to(out: &mut dyn Write, grid: &Grid) -> std::io::Result<()> {
    let mut sink = TextSink::new(out);
    sink.push(HEADER.as_bytes())?;
    sink.push(b"\n")?;
    // Column x's digits in the first bytes and, in the last, how many (at most 5).
    let columns: Vec<[u8; 8]> = (0..grid.width().min(TABLED_COLUMNS))
        .map(|x| {
            let mut digits = [0u8; 20];
            let at = format_u64(x as u64, &mut digits);
            let mut entry = [0u8; 8];
            entry[..20 - at].copy_from_slice(&digits[at..]);
            entry[7] = (20 - at) as u8;
            entry
        })
        .collect();
    // Per 32 cells: 32 lines of at most 10 digits, a space, 10 digits and '\n', plus the 16
    // bytes a suffix store may pass its end.
    const ROOM: usize = 32 * 22 + 16;
    for y in 0..grid.height() {
        let row = grid.row(y);
        if row.iter().all(|&w| w == 0) {
            continue;
        }
        let mut suffix = [0u8; 16];
        let mut digits = [0u8; 20];
        let at = format_u64(y as u64, &mut digits);
        suffix[0] = b' ';
        suffix[1..21 - at].copy_from_slice(&digits[at..]);
        suffix[21 - at] = b'\n';
        let suffix_len = 22 - at;
        for (i, &word) in row.iter().enumerate() {
            if word == 0 {
                continue;
            }
            let room = sink.room(ROOM)?;
            let mut len = 0;
            let mut bits = word;
            while bits != 0 {
                let x = i as u32 * 32 + bits.trailing_zeros();
                bits &= bits - 1;
                match columns.get(x as usize) {
                    Some(entry) => {
                        room[len..len + 8].copy_from_slice(entry);
                        len += entry[7] as usize;
                    }
                    None => {
                        let at = format_u64(x as u64, &mut digits);
                        room[len..len + 20 - at].copy_from_slice(&digits[at..]);
                        len += 20 - at;
                    }
                }
                room[len..len + 16].copy_from_slice(&suffix);
                len += suffix_len;
            }
            sink.advance(len);
        }
    }
    sink.finish()
}

#[cfg(test)]
mod tests {
    use super::super::{cropped, grid_of_cells, push_line, same_as_reference};
    use super::*;
    use crate::simd::bytes::{Bits, BitsKernel};

    /// Life 1.06 read the plain way, the definition the fast paths are held to: each line
    /// trimmed, blank lines skipped, `#` lines kept as comments, any other line exactly two
    /// whole numbers; the grid is the cells' bounding box. `None` for anything it refuses.
    fn reference(text: &str) -> Option<(Grid, Vec<String>)> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        (lines.next()? == HEADER).then_some(())?;
        let (mut cells, mut comments) = (Vec::new(), Vec::new());
        for line in lines {
            if let Some(c) = line.strip_prefix('#') {
                comments.push(c.trim().to_string());
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [x, y] = fields[..] else { return None };
            cells.push((x.parse::<i64>().ok()?, y.parse::<i64>().ok()?));
        }
        Some((grid_of_cells(&cells)?, comments))
    }

    /// `text` read by every [`Path`]: the same grid and comments, or the same error, from
    /// each (the result is [`Path::Native`]'s).
    fn every_path(text: &str) -> Result<Pattern> {
        let read = |path| parse_with(text.as_bytes(), "p.life", path);
        let native = read(Path::Native);
        for path in [Path::General, Path::Lines, Path::Portable] {
            match (&native, read(path)) {
                (Ok(a), Ok(b)) => assert!(
                    a.grid == b.grid && a.comments == b.comments,
                    "{path:?}: {text:?}"
                ),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{path:?}"),
                (a, b) => panic!("{path:?}: {text:?}: {a:?} against {b:?}"),
            }
        }
        native
    }

    /// What [`lines_in_window`] must do, a line at a time: read every whole line in the first
    /// 64 bytes when each is `-?d{1,4} -?d{1,4}`, else nothing.
    fn lines_in_window_definition(window: &[u8]) -> (usize, Vec<(i64, i64)>) {
        let Some(last) = window[..64].iter().rposition(|&b| b == b'\n') else {
            return (0, Vec::new());
        };
        let number = |f: &[u8]| {
            let digits = f.strip_prefix(b"-").unwrap_or(f);
            let ok = (1..=4).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit);
            ok.then(|| std::str::from_utf8(f).unwrap().parse::<i64>().unwrap())
        };
        let mut pairs = Vec::new();
        for line in window[..last].split(|&b| b == b'\n') {
            let mut fields = line.split(|&b| b == b' ');
            match (
                fields.next().and_then(number),
                fields.next().and_then(number),
            ) {
                (Some(x), Some(y)) if fields.next().is_none() => pairs.push((x, y)),
                _ => return (0, Vec::new()),
            }
        }
        (last + 1, pairs)
    }

    /// [`lines_in_window`], with [`PortableBits`] and with the CPU's vectors where it has
    /// them, against its definition, on windows of short lines (1 to 4 digits, signs) with
    /// one wrong byte now and then (5 digits, `+`, tab, `\r`, double space, a comment, a
    /// lone `-`, an empty line) at every place.
    #[test]
    fn lines_in_window_reads_as_its_definition() {
        struct Native<'a>(&'a [u8]);
        impl BitsKernel for Native<'_> {
            type Output = (usize, Vec<(i64, i64)>);
            #[inline(always)]
            fn run<B: Bits>(self, bits: B) -> Self::Output {
                window_of(bits, self.0)
            }
        }
        #[inline(always)]
        fn window_of<B: Bits>(bits: B, window: &[u8]) -> (usize, Vec<(i64, i64)>) {
            let mut pairs = [(0, 0); ROOM];
            let (next, read) = lines_in_window(bits, window, 0, &mut pairs);
            (next * (read > 0) as usize, pairs[..read].to_vec())
        }
        let mut rng = crate::random::SplitMix64::new(106);
        let (mut read, mut native) = (0, 0);
        for case in 0..20_000 {
            let mut text = Vec::new();
            while text.len() < LINES_WINDOW {
                let r = rng.next_u64();
                let number = |r: u64| {
                    let digits = 1 + (r % 4) as usize;
                    let sign = if (r >> 3).is_multiple_of(3) { "-" } else { "" };
                    format!("{sign}{:0digits$}", (r >> 8) % 10u64.pow(digits as u32))
                };
                text.extend(format!("{} {}\n", number(r), number(r >> 20)).bytes());
            }
            if case % 3 != 0 {
                let r = rng.next_u64();
                let at = (r % 70) as usize;
                let wrong: [&[u8]; 9] =
                    [b"12345", b"+", b"\t", b"\r", b"  ", b"#", b"-", b"\n", b"x"];
                let wrong = wrong[(r >> 8) as usize % wrong.len()];
                text.splice(at..at + 1, wrong.iter().copied());
            }
            let want = lines_in_window_definition(&text);
            assert_eq!(
                window_of(PortableBits, &text),
                want,
                "{:?}",
                String::from_utf8_lossy(&text)
            );
            if let Some(got) = run_bits(Native(&text)) {
                assert_eq!(got, want);
                native += 1;
            }
            read += (want.0 > 0) as usize;
        }
        assert!(read > 8000, "only {read} windows read");
        if native == 0 {
            eprintln!("skipped: the CPU's vectors (AVX2 and a fast pext) are not in force here");
        }
    }

    /// Files whose lines put every window and chunk boundary inside numbers of 1 to 20
    /// digits, signed and not, with CRLF, tabs, trailing spaces, comments and no final newline
    /// here and there: every path reads them alike (and as Rust's integer parser does).
    #[test]
    fn every_path_reads_awkward_lines_alike() {
        let mut rng = crate::random::SplitMix64::new(7);
        for case in 0..300 {
            let mut text = String::from("#Life 1.06\n");
            // A first line of every length, so that what follows starts at every offset.
            text.push_str(&format!("#{}\n", "c".repeat(case % 67)));
            let long = case % 10 == 0;
            let mut cells = Vec::new();
            for k in 0..200 {
                let r = rng.next_u64();
                let number = |r: u64| -> (String, i64) {
                    let digits = if long {
                        1 + (r % 20) as u32
                    } else {
                        1 + (r % 5) as u32
                    };
                    // Long digit runs of small values: leading zeros, so the box stays small.
                    let v = ((r >> 8) % 10u64.pow(digits.min(3))) as i64;
                    let v = if (r >> 40).is_multiple_of(3) { -v } else { v };
                    let sign = if v < 0 || (r >> 40).is_multiple_of(9) {
                        "-"
                    } else {
                        ""
                    };
                    (format!("{sign}{:0w$}", v.abs(), w = digits as usize), v)
                };
                let ((xs, x), (ys, y)) = (number(r), number(r >> 17));
                let (sep, end) = match (r >> 50) % 23 {
                    0 => (" ", "\r\n"),
                    1 => ("\t", "\n"),
                    2 => (" ", " \n"),
                    3 => ("  ", "\n"),
                    _ => (" ", "\n"),
                };
                text.push_str(&format!("{xs}{sep}{ys}{end}"));
                cells.push((x, y));
                if r.is_multiple_of(61) {
                    text.push_str("#C note\n");
                }
                if k == 199 && case % 2 == 0 {
                    text.pop();
                }
            }
            let p = every_path(&text).unwrap();
            assert_eq!(p.grid, grid_of_cells(&cells).unwrap(), "case {case}");
        }
    }

    /// The window, short-line and general paths against [`reference`] at awkward inputs:
    /// numbers of 1 to 20 digits (leading zeros, `-0`), values near the ends of `i32` and
    /// `i64` (a small spread around a large base, so the box stays small), CRLF, a missing
    /// final newline, `+` signs, double spaces, and files whose length puts lines on every
    /// side of the window's 64 and 128 bytes.
    #[test]
    fn every_path_reads_as_the_reference() {
        let mut rng = crate::random::SplitMix64::new(24);
        let bases: [i64; 8] = [
            0,
            -40,
            99_999_950,
            -100_000_020,
            i32::MAX as i64 - 20,
            i32::MIN as i64,
            i64::MAX - 60,
            i64::MIN,
        ];
        let mut read = 0;
        for case in 0..1500 {
            let base = bases[case % bases.len()];
            let mut text = String::from("#Life 1.06\n");
            let n = rng.next_u64() % 40;
            for k in 0..n {
                let r = rng.next_u64();
                let number = |r: u64| {
                    let v = base + (r % 50) as i64;
                    // Leading zeros now and then, so short values have long digit runs.
                    match (r >> 8) % 6 {
                        0 if v >= 0 => format!("{v:012}"),
                        1 if v >= 0 => format!("{v:08}"),
                        _ => v.to_string(),
                    }
                };
                let line = match r % 97 {
                    0 => "#C a comment".to_string(),
                    1 => "   ".to_string(),
                    2 if case % 5 == 0 => format!("+{} {}", number(r >> 7), number(r >> 17)),
                    3 if case % 7 == 0 => format!("{}  {}", number(r >> 7), number(r >> 17)),
                    4 if case % 9 == 0 => "1 2 3".to_string(),
                    // Small numbers beside a large base make a box too large to allocate: only
                    // beside small bases, so the test stays quick.
                    5 if base.unsigned_abs() < 100 => "-0 0".to_string(),
                    _ => format!("{} {}", number(r >> 7), number(r >> 27)),
                };
                push_line(&mut text, &line, r >> 50, k + 1 == n && case % 4 == 0);
            }
            let got = every_path(&text).ok().map(|p| (p.grid, p.comments));
            read += same_as_reference(&text, got, reference(&text)) as usize;
        }
        assert!(read > 900, "only {read} of 1500 read");
    }

    /// The written soup of a grid wider and taller than a chunk, in every order of its lines
    /// (as written, reversed, shuffled) and shifted by offsets that are and are not multiples
    /// of 32, reads back as the grid.
    #[test]
    fn soups_read_back_in_any_order_and_offset() {
        let g = Grid::random(333, 97, 0.4, 8).unwrap();
        let text = write(&g);
        let mut lines: Vec<(i64, i64)> = text
            .lines()
            .skip(1)
            .map(|l| {
                let (x, y) = l.split_once(' ').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        let mut rng = crate::random::SplitMix64::new(4);
        for (order, (dx, dy)) in [
            (0, (0, 0)),
            (1, (-7, 5)),
            (2, (64, -33)),
            (2, (-1000003, 9)),
        ] {
            match order {
                1 => lines.reverse(),
                2 => {
                    for i in (1..lines.len()).rev() {
                        lines.swap(i, rng.next_u64() as usize % (i + 1));
                    }
                }
                _ => {}
            }
            let mut moved = String::from("#Life 1.06\n");
            for &(x, y) in &lines {
                moved.push_str(&format!("{} {}\n", x + dx, y + dy));
            }
            let p = parse(&moved, "s.life").unwrap();
            // The box is the live cells', which may be smaller than the random grid.
            assert_eq!(p.grid, cropped(&g), "order {order}, offset ({dx}, {dy})");
        }
    }

    #[test]
    fn digits_a_word_at_a_time() {
        for text in ["0 ", "7\n", "12x", "1234567 ", "0012-", "9999999\r"] {
            let mut chunk = [b'#'; 8];
            chunk[..text.len()].copy_from_slice(text.as_bytes());
            let digits = text.bytes().take_while(u8::is_ascii_digit).count();
            let value = text[..digits].parse::<u64>().unwrap();
            assert_eq!(parse_digits8(chunk), Some((value, digits)), "{text:?}");
        }
        assert_eq!(parse_digits8(*b"x1234567"), None);
        assert_eq!(parse_digits8(*b"12345678"), None);
        // Bytes just outside the digits ('/' and ':') and high bytes are not digits.
        assert_eq!(parse_digits8(*b"1/:\xff\x80 0 "), Some((1, 1)));
        assert_eq!(parse_digits8(*b"9:######"), Some((9, 1)));
    }

    #[test]
    fn short_lines_read_as_the_general_path_reads_them() {
        let g = Grid::random(300, 200, 0.3, 5).unwrap();
        let text = write(&g);
        assert_eq!(parse(&text, "r.life").unwrap().grid, g);
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(parse(&crlf, "r.life").unwrap().grid, g);
        let odd =
            "#Life 1.06\n-3 -4\n  5\t7 \n#c\n12345678 1\n-0 2\n1 2\r\n3 4\n5 6\n7 8\n9 10\n11 12";
        let p = parse(odd, "o.life").unwrap();
        assert_eq!((p.grid.width(), p.grid.height()), (12345682, 17));
        assert_eq!(p.grid.population(), 10);
        let e = parse(
            "#Life 1.06\n1 2\n3 4\n5 6\n7 8\n9 10\n11 12\n1 x\n",
            "bad.life",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("bad.life:8:3:"), "{e}");
    }

    /// The window path reads what the per-line paths read: every line written both plainly
    /// and with a trailing tab (which only the general path takes), mixed with lines the
    /// window must hand over (long numbers, signs, `\r`, comments, blank lines, errors).
    #[test]
    fn window_path_matches_the_line_paths() {
        let mut rng = crate::random::SplitMix64::new(9);
        let mut read = 0;
        for case in 0..400 {
            let mut plain = String::from("#Life 1.06\n");
            let mut slow = plain.clone();
            for _ in 0..rng.next_u64() % 60 {
                let r = rng.next_u64();
                // 1 to 10 digits (leading zeros past 3), so the bounding box stays small.
                let number = |r: u64| -> String {
                    let digits = 1 + (r % 10) as usize;
                    let value = (r >> 8) % 1000;
                    let sign = if (r >> 40).is_multiple_of(3) { "-" } else { "" };
                    format!("{sign}{value:0digits$}")
                };
                let line = match r % 50 {
                    0 => "#C note".to_string(),
                    1 => String::new(),
                    2 if case % 4 == 0 => "1 x".to_string(),
                    3 => format!("{}  {}", number(r >> 3), number(r >> 5)),
                    _ => format!("{} {}", number(r >> 3), number(r >> 17)),
                };
                let end = if (r >> 50).is_multiple_of(7) {
                    "\r\n"
                } else {
                    "\n"
                };
                plain.push_str(&format!("{line}{end}"));
                slow.push_str(&format!("{line}\t{end}"));
            }
            let a = every_path(&plain).map(|p| p.grid);
            let b = every_path(&slow).map(|p| p.grid);
            match (&a, &b) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a, b, "{plain:?}");
                    read += 1;
                }
                (Err(a), Err(b)) => assert_eq!(
                    a.to_string().split(':').nth(1),
                    b.to_string().split(':').nth(1),
                    "{plain:?}"
                ),
                _ => panic!("{plain:?}: {a:?} against {b:?}"),
            }
        }
        assert!(read > 200, "only {read} of 400 read");
    }

    #[test]
    fn glider_normalised() {
        let p = parse("#Life 1.06\n0 -1\n1 0\n-1 1\n0 1\n1 1\n", "g.lif").unwrap();
        assert_eq!(p.grid.to_text(), "-*-/--*/***");
        let e = parse("#Life 1.06\n0 -1\n1 x\n", "bad.lif")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.lif:3:3:"), "{e}");
        let e = parse("#Life 1.05\n", "v.lif").unwrap_err().to_string();
        assert!(e.starts_with("v.lif:1:1:") && e.contains("1.06"), "{e}");
    }
}
