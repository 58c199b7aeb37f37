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

use super::gather::Gather;
use super::{format_u64, lines, parse_error, text_of, Pattern, TextSink};
use crate::error::Result;
use crate::life::grid::Grid;
use crate::simd::bytes::B16;
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
    let mut comments = Vec::new();
    let mut gather = Gather::new(text.len());
    for_each_cell(text, file, &mut comments, &mut gather)?;
    let grid = gather.into_grid(file, |grid, x0, y0| {
        comments.clear();
        // Inside the bounding box by construction, so the offsets fit the grid.
        let set = |x: i64, y: i64| grid.set(x.abs_diff(x0) as u32, y.abs_diff(y0) as u32, true);
        for_each_cell(text, file, &mut comments, &mut Each(set, [(0, 0); 8]))
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

    /// Room for 8 cells, written in place by the window path.
    fn room8(&mut self) -> &mut [(i64, i64); 8];

    /// Keeps the first `n` cells written into [`CellSink::room8`]; the reader is at byte `at`.
    fn keep(&mut self, n: usize, at: usize);
}

impl CellSink for Gather {
    #[inline(always)]
    fn cell(&mut self, x: i64, y: i64) {
        self.push(x, y);
    }

    #[inline(always)]
    fn room8(&mut self) -> &mut [(i64, i64); 8] {
        Gather::room8(self)
    }

    #[inline(always)]
    fn keep(&mut self, n: usize, at: usize) {
        Gather::keep(self, n, at);
    }
}

/// A function of each cell, as a [`CellSink`].
struct Each<F>(F, [(i64, i64); 8]);

impl<F: FnMut(i64, i64)> CellSink for Each<F> {
    fn cell(&mut self, x: i64, y: i64) {
        (self.0)(x, y);
    }

    fn room8(&mut self) -> &mut [(i64, i64); 8] {
        &mut self.1
    }

    fn keep(&mut self, n: usize, _: usize) {
        for &(x, y) in &self.1[..n] {
            (self.0)(x, y);
        }
    }
}

fn for_each_cell(
    text: &[u8],
    file: &str,
    comments: &mut Vec<String>,
    cell: &mut impl CellSink,
) -> Result<()> {
    let mut lines = lines(text).enumerate();
    expect_header(&mut lines, file, HEADER)?;
    // From the line after the header on, the lines are walked by hand: most are read by
    // `short_pair` straight from the bytes, without finding the line's end first.
    let Some((first, line)) = lines.next() else {
        return Ok(());
    };
    let bytes = text;
    let (mut i, mut at) = (first, line.as_ptr() as usize - text.as_ptr() as usize);
    while at < bytes.len() {
        let (next, read) = pairs_in_window(bytes, at, cell.room8());
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
            let got = parse(&text, "r.life").ok().map(|p| (p.grid, p.comments));
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
            let a = parse(&plain, "w.life").map(|p| p.grid);
            let b = parse(&slow, "w.life").map(|p| p.grid);
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
