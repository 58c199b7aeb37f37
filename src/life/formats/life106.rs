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

use super::{format_u64, new_grid, parse_error, BoundingBox, Pattern, TextSink};
use crate::error::Result;
use crate::life::grid::Grid;
use std::io::Write;

/// The first line of every Life 1.06 file.
pub const HEADER: &str = "#Life 1.06";

/// Parses Life 1.06 text; `file` names the source in errors. `#` lines after the header are
/// kept as comments.
///
/// Two passes, so that no list of cells is ever held: the first finds the bounding box, the
/// second sets the cells in the grid allocated to it.
pub fn parse(text: &str, file: &str) -> Result<Pattern> {
    let mut comments = Vec::new();
    let mut bounds = BoundingBox::default();
    for_each_cell(text, file, &mut comments, |x, y| bounds.add(x, y))?;
    let ((x0, y0), (w, h)) = bounds.origin_and_size();
    let mut grid = new_grid(w, h, file, 1, 1)?;
    comments.clear();
    // Inside the bounding box by construction, so the offsets fit the grid.
    for_each_cell(text, file, &mut comments, |x, y| {
        grid.set(x.abs_diff(x0) as u32, y.abs_diff(y0) as u32, true)
    })?;
    Ok(Pattern {
        grid,
        rule: None,
        name: None,
        comments,
    })
}

fn for_each_cell(
    text: &str,
    file: &str,
    comments: &mut Vec<String>,
    mut cell: impl FnMut(i64, i64),
) -> Result<()> {
    let mut lines = text.lines().enumerate();
    expect_header(&mut lines, file, HEADER)?;
    for (i, line) in lines {
        // The common line, `x y` in ASCII digits, read without allocating or splitting.
        if let Some((x, y)) = plain_pair(line.as_bytes()) {
            cell(x, y);
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(c) = trimmed.strip_prefix('#') {
            comments.push(c.trim().to_string());
            continue;
        }
        let (x, y) = coordinates(line, file, i + 1)?;
        cell(x, y);
    }
    Ok(())
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
    lines: &mut impl Iterator<Item = (usize, &'a str)>,
    file: &str,
    header: &str,
) -> Result<()> {
    for (i, line) in lines.by_ref() {
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

/// [`write()`], streamed into `out` through a small buffer. Each row's ` y\n` is formatted once.
pub fn write_to(out: &mut dyn Write, grid: &Grid) -> std::io::Result<()> {
    let mut sink = TextSink::new(out);
    sink.push(HEADER.as_bytes())?;
    sink.push(b"\n")?;
    for y in 0..grid.height() {
        let row = grid.row(y);
        if row.iter().all(|&w| w == 0) {
            continue;
        }
        let mut suffix = [0u8; 24];
        suffix[23] = b'\n';
        let start = format_u64(y as u64, &mut suffix[..23]) - 1;
        suffix[start] = b' ';
        let suffix = &suffix[start..];
        for (i, &word) in row.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let x = i as u64 * 32 + bits.trailing_zeros() as u64;
                bits &= bits - 1;
                let mut digits = [0u8; 20];
                let at = format_u64(x, &mut digits);
                sink.push(&digits[at..])?;
                sink.push(suffix)?;
            }
        }
    }
    sink.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

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
