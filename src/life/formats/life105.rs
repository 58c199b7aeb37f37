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

use super::life106::expect_header;
use super::{
    cell_chars, first_non_cell, lines, new_grid, pack_cells, parse_error, push_cells, text_of,
    trim_ascii, BoundingBox, Pattern, TextSink, PUSH_CELLS_SLACK,
};
use crate::error::Result;
use crate::life::grid::Grid;
use crate::life::rule::{Rule, RuleSpec};
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
/// Two passes over the rows, as Life 1.06 makes for single cells: the first
/// checks them and finds the bounding box from each row's first and last live cell, the second
/// packs whole rows into the grid allocated to that box.
pub fn parse(text: &str, file: &str) -> Result<Pattern> {
    parse_bytes(text.as_bytes(), file)
}

/// [`parse`] on bytes (see [`super::parse_pattern_bytes`] for how UTF-8 is checked).
pub(crate) fn parse_bytes(text: &[u8], file: &str) -> Result<Pattern> {
    let mut meta = Meta::default();
    let mut bounds = BoundingBox::default();
    for_each_row(text, file, &mut meta, |x, y, cells| {
        let first = cells.iter().position(|&b| b != b'.');
        let last = cells.iter().rposition(|&b| b != b'.');
        if let (Some(first), Some(last)) = (first, last) {
            // x + last fits: for_each_row checked it.
            bounds.add(x + first as i64, y);
            bounds.add(x + last as i64, y);
        }
    })?;
    let ((x0, y0), (w, h)) = bounds.origin_and_size();
    let mut grid = new_grid(w, h, file, 1, 1)?;
    let wpr = grid.words_per_row() as usize;
    let mut meta = Meta::default();
    for_each_row(text, file, &mut meta, |x, y, cells| {
        // Trim the row to its live cells, which lie inside the box.
        let Some(first) = cells.iter().position(|&b| b != b'.') else {
            return;
        };
        let last = cells.iter().rposition(|&b| b != b'.').unwrap_or(first);
        let row = y.abs_diff(y0) as usize;
        let words = &mut grid.words_mut()[row * wpr..(row + 1) * wpr];
        pack_cells(words, (x + first as i64).abs_diff(x0), &cells[first..=last]);
    })?;
    Ok(Pattern {
        grid,
        rule: meta.rule,
        name: meta.name,
        comments: meta.comments,
    })
}

/// Walks the file, calling `row(x, y, cells)` for every row of cells (checked: `.`, `*`, `O`,
/// `o`) whose first cell is at (x, y); `x + cells.len()` fits an `i64`.
fn for_each_row(
    text: &[u8],
    file: &str,
    meta: &mut Meta,
    mut row: impl FnMut(i64, i64, &[u8]),
) -> Result<()> {
    let mut lines = lines(text).enumerate();
    expect_header(&mut lines, file, HEADER)?;
    // Rows before any `#P` line start at the origin.
    let (mut block_x, mut row_y) = (0i64, 0i64);
    for (i, raw) in lines {
        let line_no = i + 1;
        // The common line, a row of ASCII cells, is read as bytes; any other as text.
        let cells = trim_ascii(raw);
        if !cells.is_empty() && cells[0] != b'#' && first_non_cell(cells).is_none() {
            row_of_cells(cells, &mut row, block_x, &mut row_y, file, line_no)?;
            continue;
        }
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
        row_of_cells(cells, &mut row, block_x, &mut row_y, file, line_no)?;
    }
    Ok(())
}

/// Hands a checked row of cells at (`block_x`, `row_y`) to `row` and moves to the next row.
fn row_of_cells(
    cells: &[u8],
    row: &mut impl FnMut(i64, i64, &[u8]),
    block_x: i64,
    row_y: &mut i64,
    file: &str,
    line_no: usize,
) -> Result<()> {
    if let Some(last) = cells.iter().rposition(|&b| b != b'.') {
        if block_x.checked_add(last as i64).is_none() {
            // The first live cell past i64::MAX is the one named.
            let j = (0..=last)
                .find(|&j| cells[j] != b'.' && block_x.checked_add(j as i64).is_none())
                .unwrap_or(last);
            return Err(parse_error(file, line_no, j + 1, "coordinate out of range"));
        }
    }
    row(block_x, *row_y, cells);
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
    use super::*;

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
