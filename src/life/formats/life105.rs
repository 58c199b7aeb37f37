//! Life 1.05 (`.lif`, `.life`), in which classic patterns such as the acorn are still
//! distributed.
//!
//! ```text
//! #Life 1.05
//! #D Name: Acorn
//! #D A methuselah that stabilises after 5206 generations.
//! #N
//! #P -3 -1
//! .*
//! ...*
//! **..***
//! ```
//! `#D` lines describe the pattern, `#N` asks for the normal rules (B3/S23) and `#R 23/3` for
//! another one (survival/birth), and each `#P x y` starts a block of `.`/`*` rows whose top-left
//! cell is at (x, y) relative to a centre origin; a bare `#P` continues below the rows so far.
//! The reader normalises the cells to their bounding box.

use super::gather::{or_bits, Gather};
use super::life106::expect_header;
use super::{
    cell_chars, first_non_cell, lines, pack_cells, parse_error, push_cells, text_of, Pattern,
    TextSink, PUSH_CELLS_SLACK,
};
use crate::error::Result;
use crate::life::grid::Grid;
use crate::life::rule::{Rule, RuleSpec};
use crate::simd::bytes::{find_byte, B16};
use std::io::Write;

/// The first line of every Life 1.05 file.
pub const HEADER: &str = "#Life 1.05";

/// Widest block row the writer emits: Life 1.05 readers expect lines of at most 80 characters.
pub const MAX_LINE: u32 = 80;

/// What the `#` lines say.
#[derive(Default)]
struct Meta {
    name: Option<String>,
    rule: Option<RuleSpec>,
    comments: Vec<String>,
}

/// Parses Life 1.05 text; `file` names the source in errors.
///
/// One pass: each row of cells is read into bits with one scan (which checks its characters
/// and finds its end together, `fast_row`) and set into a grid that grows to the cells'
/// bounding box (`Gather`). Only a pattern too large to hold while it grows is read a second
/// time, into a grid allocated to its box.
pub fn parse(text: &str, file: &str) -> Result<Pattern> {
    parse_bytes(text.as_bytes(), file)
}

/// [`parse`] on bytes (see [`super::parse_pattern_bytes`] for how UTF-8 is checked).
pub(crate) fn parse_bytes(text: &[u8], file: &str) -> Result<Pattern> {
    let mut meta = Meta::default();
    let mut gather = Gather::new(text.len());
    if let Some(b) = block_spread(text) {
        // Only a box no larger (as a grid) than the text: a few far-apart `#P` lines of a
        // small file must not make a large grid that its cells may never need.
        let cells = (b[2] as i128 - b[0] as i128 + 1) * (b[3] as i128 - b[1] as i128 + 1);
        if cells / 8 <= text.len() as i128 {
            gather.reserve(b);
        }
    }
    for_each_row(text, file, &mut meta, |x, y, bits, at| {
        gather.row(x, y, bits, at)
    })?;
    let grid = gather.into_grid(file, |grid, x0, y0| {
        let wpr = grid.words_per_row() as usize;
        meta = Meta::default();
        for_each_row(text, file, &mut meta, |x, y, bits, _| {
            // Rows with a live cell lie inside the box.
            if bits.iter().any(|&w| w != 0) {
                let row = y.abs_diff(y0) as usize;
                let words = &mut grid.words_mut()[row * wpr..(row + 1) * wpr];
                or_bits(words, x.wrapping_sub(x0), bits);
            }
        })
    })?;
    Ok(Pattern {
        grid,
        rule: meta.rule,
        name: meta.name,
        comments: meta.comments,
    })
}

/// Where the `#P x y` blocks say the cells lie: from the leftmost block's column to
/// [`MAX_LINE`] columns right of the rightmost one (the width of the writer's blocks and the
/// longest line Life 1.05 readers expect), from the top block's row to the bottom one's. A
/// hint for sizing the working grid ([`Gather::reserve`]), found before any row is read: the
/// `#` bytes are few (a `.`/`*` row holds none), so one byte search finds them all. `None`
/// when there are no numbered `#P` lines; lines that are not `#P x y` are left to the reader
/// (and its errors).
fn block_spread(text: &[u8]) -> Option<[i64; 4]> {
    let mut spread: Option<[i64; 4]> = None;
    let mut at = 0;
    while let Some(hash) = find_byte(text, at, b'#') {
        let end = find_byte(text, hash, b'\n').unwrap_or(text.len());
        at = end;
        let starts_line = hash == 0 || text[hash - 1] == b'\n';
        let Some(rest) = text[hash..end].strip_prefix(b"#P") else {
            continue;
        };
        let Ok(rest) = std::str::from_utf8(rest) else {
            continue;
        };
        let mut numbers = rest.split_whitespace().map(str::parse::<i64>);
        if let (true, Some(Ok(x)), Some(Ok(y)), None) =
            (starts_line, numbers.next(), numbers.next(), numbers.next())
        {
            let right = x.saturating_add(MAX_LINE as i64 - 1);
            let s = spread.get_or_insert([x, y, right, y]);
            *s = [s[0].min(x), s[1].min(y), s[2].max(right), s[3].max(y)];
        }
    }
    spread
}

/// Most cells `fast_row` reads in a row (longer rows take the general path).
const FAST_CELLS: usize = 256;

/// The row of cells at `bytes[at..]` when it is only `.`/`*`/`O`/`o` bytes (at least one) up
/// to its `\n` (or `\r\n`), at most [`FAST_CELLS`] of them, with at least 16 bytes after the
/// newline's chunk: its cells as bits in `bits` (bit `i % 32` of word `i / 32`, the words past
/// the row zero), how many cells it has, and the offset of the next line. `None` for anything else, which the general
/// path reads (and explains, if it is wrong).
///
/// One scan, 16 bytes at a time ([`B16`]), finds the newline, checks the characters and makes
/// the live cells' bits together, where the general path splits the line, trims it, checks it
/// and packs it in four.
#[inline]
fn fast_row(bytes: &[u8], at: usize, bits: &mut [u32; FAST_CELLS / 32]) -> Option<(usize, usize)> {
    let mut halves = [0u32; FAST_CELLS / 16];
    for c in 0..halves.len() {
        let v = B16::load(bytes.get(at + 16 * c..at + 16 * c + 16)?);
        let newline = v.eq(b'\n').mask();
        let dead = v.eq(b'.');
        let alive = v.eq(b'*').or(v.eq(b'O')).or(v.eq(b'o'));
        let cells = dead.or(alive).mask();
        if newline == 0 {
            if cells != 0xffff {
                return None;
            }
            halves[c] = alive.mask();
            continue;
        }
        let n = newline.trailing_zeros();
        let before = (1u32 << n) - 1;
        // A '\r' just before the newline is the line's end, not a cell.
        let cr = n > 0 && bytes[at + 16 * c + n as usize - 1] == b'\r';
        let row = if cr { before >> 1 } else { before };
        if cells & row != row || (c == 0 && row == 0) {
            return None;
        }
        halves[c] = alive.mask() & row;
        for (k, word) in bits.iter_mut().enumerate() {
            *word = halves[2 * k] | halves[2 * k + 1] << 16;
        }
        let cells = 16 * c + row.count_ones() as usize;
        return Some((cells, at + 16 * c + n as usize + 1));
    }
    None
}

/// Walks the file, calling `row(x, y, bits)` for every row of cells (checked: `.`, `*`, `O`,
/// `o`) whose first cell is at (x, y), cell `x + i` alive where bit `i % 32` of `bits[i / 32]`
/// is set; `x` plus the last live cell's offset fits an `i64`.
fn for_each_row(
    text: &[u8],
    file: &str,
    meta: &mut Meta,
    mut row: impl FnMut(i64, i64, &[u32], usize),
) -> Result<()> {
    let mut lines = lines(text).enumerate();
    expect_header(&mut lines, file, HEADER)?;
    let Some((first, line)) = lines.next() else {
        return Ok(());
    };
    // Rows before any `#P` line start at the origin.
    let (mut block_x, mut row_y) = (0i64, 0i64);
    let mut bits = [0u32; FAST_CELLS / 32];
    let mut packed = Vec::new();
    // From the line after the header on, the lines are walked by hand, so that a row of cells
    // is found, checked and packed in one scan.
    let (mut i, mut at) = (first, line.as_ptr() as usize - text.as_ptr() as usize);
    while at < text.len() {
        let line_no = i + 1;
        i += 1;
        if let Some((n, next)) = fast_row(text, at, &mut bits) {
            at = next;
            let bits = &bits[..n.div_ceil(32)];
            row_of_cells(bits, &mut row, at, block_x, &mut row_y, file, line_no)?;
            continue;
        }
        let end = find_byte(text, at, b'\n').unwrap_or(text.len());
        let raw = &text[at..end];
        let raw = match end < text.len() {
            true => raw.strip_suffix(b"\r").unwrap_or(raw),
            false => raw,
        };
        at = end + 1;
        let line = text_of(raw, file, line_no)?;
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix('#') {
            let tag_len = rest.chars().next().map_or(0, char::len_utf8);
            let (tag, value) = rest.split_at(tag_len);
            let value = value.trim();
            match tag {
                "D" | "C" => match value.strip_prefix("Name:") {
                    Some(n) if meta.name.is_none() => meta.name = Some(n.trim().to_string()),
                    _ => meta.comments.push(value.to_string()),
                },
                "N" => meta.rule = Some(RuleSpec::parse("B3/S23")?),
                "R" => {
                    meta.rule = Some(RuleSpec::parse(value).map_err(|e| {
                        parse_error(file, line_no, 4, format!("{e} (expected '#R 23/3')"))
                    })?)
                }
                "P" => (block_x, row_y) = block_origin(value, (block_x, row_y), file, line_no)?,
                _ => meta.comments.push(rest.trim().to_string()),
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        let cells = trimmed.as_bytes();
        if let Some(j) = first_non_cell(cells) {
            // Everything before the first bad byte is ASCII, so j is its character index.
            let c = trimmed[j..].chars().next().unwrap_or('?');
            let column = line.len() - line.trim_start().len() + j + 1;
            return Err(parse_error(
                file,
                line_no,
                column,
                format!("unexpected character '{c}': expected '.' (dead) or '*' (alive)"),
            ));
        }
        packed.clear();
        packed.resize(cells.len().div_ceil(32), 0);
        pack_cells(&mut packed, 0, cells);
        row_of_cells(&packed, &mut row, at, block_x, &mut row_y, file, line_no)?;
    }
    Ok(())
}

/// Hands a checked row of cells at (`block_x`, `row_y`) to `row` and moves to the next row.
fn row_of_cells(
    bits: &[u32],
    row: &mut impl FnMut(i64, i64, &[u32], usize),
    at: usize,
    block_x: i64,
    row_y: &mut i64,
    file: &str,
    line_no: usize,
) -> Result<()> {
    // Only a block near i64::MAX can overflow: the last live cell is looked for only there.
    let fits = block_x.checked_add(32 * bits.len() as i64).is_some();
    let last_word = match fits {
        true => None,
        false => bits.iter().rposition(|&w| w != 0),
    };
    if let Some(w) = last_word {
        let last = w as i64 * 32 + 31 - bits[w].leading_zeros() as i64;
        if block_x.checked_add(last).is_none() {
            // The first live cell past i64::MAX is the one named.
            let j = (0..=last)
                .find(|&j| {
                    bits[j as usize / 32] >> (j % 32) & 1 == 1 && block_x.checked_add(j).is_none()
                })
                .unwrap_or(last);
            return Err(parse_error(
                file,
                line_no,
                j as usize + 1,
                "coordinate out of range",
            ));
        }
    }
    row(block_x, *row_y, bits, at);
    *row_y = row_y
        .checked_add(1)
        .ok_or_else(|| parse_error(file, line_no, 1, "coordinate out of range"))?;
    Ok(())
}

/// Parses the `x y` after `#P`. A bare `#P` keeps `current` (the left edge of the rows so far
/// and the next row), so its block continues below the previous one: that is how Golly reads it
/// (its reader leaves x and y as they were when the line holds no numbers), and how Golly's own
/// Patterns/Life/Methuselahs/acorn.lif and rabbits.lif are written.
fn block_origin(
    value: &str,
    current: (i64, i64),
    file: &str,
    line_no: usize,
) -> Result<(i64, i64)> {
    let mut numbers = value.split_whitespace().map(|f| f.parse::<i64>());
    match (numbers.next(), numbers.next(), numbers.next()) {
        (None, _, _) => Ok(current),
        (Some(Ok(x)), Some(Ok(y)), None) => Ok((x, y)),
        _ => Err(parse_error(
            file,
            line_no,
            3,
            format!(
                "expected '#P x y' with two whole numbers (or a bare '#P'), found '#P {value}'"
            ),
        )),
    }
}

/// `.` and `*` for each byte of cells.
const CHARS: [[u8; 8]; 256] = cell_chars(b'.', b'*');

/// Renders `grid` as Life 1.05: the name as a `#D Name:` line, the rule (`#N` for B3/S23, else
/// `#R survival/birth`), and the cells as `#P` blocks at most [`MAX_LINE`] columns wide, relative
/// to the grid's centre. Empty stretches are skipped, and each row's trailing dead cells dropped.
pub fn write(grid: &Grid, rule: &Rule, name: Option<&str>) -> String {
    let mut out = Vec::new();
    write_to(&mut out, grid, rule, name).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("Life 1.05 is ASCII")
}

/// [`write()`], streamed into `out` through a small buffer.
pub fn write_to(
    out: &mut dyn Write,
    grid: &Grid,
    rule: &Rule,
    name: Option<&str>,
) -> std::io::Result<()> {
    let mut sink = TextSink::new(out);
    sink.push(HEADER.as_bytes())?;
    sink.push(b"\n")?;
    if let Some(n) = name {
        sink.push(format!("#D Name: {n}\n").as_bytes())?;
    }
    if *rule == Rule::CONWAY {
        sink.push(b"#N\n")?;
    } else {
        let digits = |m: u16| -> String {
            (0..=8u8)
                .filter(|k| (m >> k) & 1 == 1)
                .map(|k| char::from(b'0' + k))
                .collect()
        };
        sink.push(format!("#R {}/{}\n", digits(rule.survival), digits(rule.birth)).as_bytes())?;
    }
    let (cx, cy) = ((grid.width() / 2) as i64, (grid.height() / 2) as i64);
    for x0 in (0..grid.width()).step_by(MAX_LINE as usize) {
        let x1 = x0.saturating_add(MAX_LINE).min(grid.width());
        // The last live column of row y within x0..x1, plus one (0: none).
        let end = |y: u32| {
            let row = grid.row(y);
            let mut x = x1;
            while x > x0 {
                // Whole words at a time from the right: mask the block's part of the word.
                let i = ((x - 1) / 32) as usize;
                let lo = x0.max(i as u32 * 32);
                let bits = row[i] >> (lo % 32) & (u32::MAX >> (32 - (x - lo)));
                if bits != 0 {
                    return lo + 32 - bits.leading_zeros();
                }
                x = lo;
            }
            0
        };
        let Some(first) = (0..grid.height()).find(|&y| end(y) > 0) else {
            continue;
        };
        let last = (first..grid.height())
            .rev()
            .find(|&y| end(y) > 0)
            .unwrap_or(first);
        sink.push(format!("#P {} {}\n", x0 as i64 - cx, first as i64 - cy).as_bytes())?;
        for y in first..=last {
            match end(y) {
                0 => sink.push(b".\n")?,
                e => {
                    let room = sink.room((e - x0) as usize + PUSH_CELLS_SLACK + 1)?;
                    let n = push_cells(&CHARS, grid.row(y), x0, e, room);
                    room[n] = b'\n';
                    sink.advance(n + 1);
                }
            }
        }
    }
    sink.finish()
}

#[cfg(test)]
mod tests {
    use super::super::{cropped, grid_of_cells, push_line, same_as_reference};
    use super::*;

    /// Life 1.05 read the plain way, the definition the one-scan rows are held to: each line
    /// trimmed; `#P x y` moves the block (a bare `#P` keeps it); other `#` lines skipped;
    /// blank lines skipped; any other line a row of `.`/`*`/`O`/`o`. `None` for anything else.
    fn reference(text: &str) -> Option<Grid> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        (lines.next()? == HEADER).then_some(())?;
        let (mut bx, mut y, mut cells) = (0i64, 0i64, Vec::new());
        for line in lines {
            if let Some(rest) = line.strip_prefix("#P") {
                let v: Vec<i64> = rest
                    .split_whitespace()
                    .map(|f| f.parse().ok())
                    .collect::<Option<_>>()?;
                match v[..] {
                    [] => {}
                    [x, yy] => (bx, y) = (x, yy),
                    _ => return None,
                }
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            for (i, c) in line.bytes().enumerate() {
                match c {
                    b'.' => {}
                    b'*' | b'O' | b'o' => cells.push((bx + i as i64, y)),
                    _ => return None,
                }
            }
            y += 1;
        }
        grid_of_cells(&cells)
    }

    /// The one-scan rows against [`reference`] at awkward inputs: rows of 0 to 300 cells (on
    /// both sides of every 16 and of the 256 the scan takes), all-dead rows, every live
    /// character, negative and odd `#P` offsets, CRLF, trailing and leading blanks, comments,
    /// a missing final newline and a bad character at any place.
    #[test]
    fn rows_read_as_the_reference() {
        let mut rng = crate::random::SplitMix64::new(105);
        let mut read = 0;
        for case in 0..600 {
            let mut text = String::from("#Life 1.05\n#D soup\n");
            let n = rng.next_u64() % 30;
            for k in 0..n {
                let r = rng.next_u64();
                let line = match r % 23 {
                    0 => format!(
                        "#P {} {}",
                        ((r >> 8) % 200) as i64 - 100,
                        ((r >> 20) % 90) as i64 - 45
                    ),
                    1 => "#P".to_string(),
                    2 => String::new(),
                    3 => "#C note".to_string(),
                    _ => {
                        let len = match (r >> 5) % 4 {
                            0 => (r >> 9) % 301,
                            1 => 256 + (r >> 9) % 3 - 1,
                            _ => (r >> 9) % 40,
                        } as usize;
                        let all_dead = (r >> 30).is_multiple_of(7);
                        let mut row: String = (0..len)
                            .map(|i| match (rng.next_u64() >> (i % 13)) % 5 {
                                _ if all_dead => '.',
                                0 => '*',
                                1 => 'O',
                                2 => 'o',
                                _ => '.',
                            })
                            .collect();
                        if case % 11 == 0 && (r >> 40).is_multiple_of(3) && len > 0 {
                            let at = (r >> 42) as usize % len;
                            row.replace_range(at..at + 1, "x");
                        }
                        match (r >> 45) % 9 {
                            0 => format!("  {row}"),
                            1 => format!("{row} \t"),
                            _ => row,
                        }
                    }
                };
                push_line(&mut text, &line, r >> 50, k + 1 == n && case % 4 == 0);
            }
            let got = parse(&text, "r.lif").ok().map(|p| p.grid);
            read += same_as_reference(&text, got, reference(&text)) as usize;
        }
        assert!(read > 400, "only {read} of 600 read");
    }

    /// Files whose `#P` lines say one thing and whose rows say another (rows wider than 80,
    /// blocks far left of every live cell, bare and malformed `#P` lines, `#P` not at a line's
    /// start, blocks overlapping, negative positions, CRLF) read as the reference: the spread
    /// of the `#P` lines only sizes the working grid.
    #[test]
    fn block_spread_is_only_a_hint() {
        let mut rng = crate::random::SplitMix64::new(1050);
        let mut read = 0;
        for case in 0..400 {
            let mut text = String::from("#Life 1.05\n");
            for k in 0..1 + rng.next_u64() % 8 {
                let r = rng.next_u64();
                let (x, y) = ((r % 400) as i64 - 200, ((r >> 10) % 100) as i64 - 50);
                let header = match (r >> 20) % 9 {
                    0 => "#P".to_string(),
                    1 => format!(" #P {x} {y}"),
                    2 => format!("#P {x}"),
                    _ => format!("#P {x} {y}"),
                };
                push_line(&mut text, &header, r >> 24, false);
                let (rows, width) = ((r >> 30) % 12, 1 + (r >> 36) % 100);
                for j in 0..rows {
                    let lead = if (r >> 44).is_multiple_of(3) {
                        (r >> 46) % 60
                    } else {
                        0
                    };
                    let row: String = (0..lead + width)
                        .map(
                            |i| match i >= lead && (rng.next_u64() >> (i % 7)).is_multiple_of(3) {
                                true => '*',
                                false => '.',
                            },
                        )
                        .collect();
                    let last = k == 0 && j + 1 == rows && case % 5 == 0;
                    push_line(&mut text, &row, r >> 50, last);
                }
            }
            let got = parse(&text, "h.lif").ok().map(|p| p.grid);
            read += same_as_reference(&text, got, reference(&text)) as usize;
        }
        assert!(read > 150, "only {read} of 400 read");
    }

    /// A soup written at awkward widths (not multiples of 32 or 80) reads back as itself.
    #[test]
    fn soups_round_trip_at_awkward_widths() {
        for (w, h) in [(1, 1), (33, 5), (80, 3), (81, 17), (300, 40), (1000, 7)] {
            let mut g = Grid::random(w, h, 0.5, w as u64).unwrap();
            g.set(w - 1, 0, true);
            let p = parse(&write(&g, &Rule::CONWAY, None), "w.lif").unwrap();
            let want = cropped(&g);
            assert_eq!(p.grid, want, "{w}x{h}");
        }
    }

    #[test]
    fn blocks_and_rules() {
        let text = "#Life 1.05\n#D Name: Two\n#R 23/36\n#P -1 -1\n*\n#P 2 1\n.*\n";
        let p = parse(text, "t.lif").unwrap();
        assert_eq!(p.grid.to_text(), "*----/-----/----*");
        assert_eq!(p.name.as_deref(), Some("Two"));
        assert_eq!(p.rule.unwrap().rule.to_string(), "B36/S23");
        let e = parse("#Life 1.05\n#P 1\n", "bad.lif")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.lif:2:3:"), "{e}");
        // A bare `#P` continues below the rows so far, at their left edge (as Golly reads it).
        let bare = parse("#Life 1.05\n#P\n.*\n#P 3 0\n*\n#P\n*\n", "t.lif").unwrap();
        assert_eq!(bare.grid.to_text(), "*-*/--*");
        let e = parse("#Life 1.05\n.*x\n", "bad.lif")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.lif:2:3:"), "{e}");
    }
}
