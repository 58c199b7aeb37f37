//! The plaintext format (`.cells`): `!` comment lines, `.` dead, `O` alive, short lines padded.

use super::{
    cell_chars, first_non_cell, lines, new_grid, pack_cells, parse_error, push_cells, text_of,
    trim_end_ascii, Pattern, TextSink, PUSH_CELLS_SLACK,
};
use crate::error::Result;
use crate::life::grid::Grid;
use std::io::Write;

/// Parses plaintext; `file` names the source in errors. `O` (also `o` and `*`) is alive, `.`
/// dead; short lines are padded with dead cells; `!Name:` gives the name, other `!` lines are
/// comments.
pub fn parse(text: &str, file: &str) -> Result<Pattern> {
    parse_bytes(text.as_bytes(), file)
}

/// [`parse`] on bytes (see [`super::parse_pattern_bytes`] for how UTF-8 is checked).
pub(crate) fn parse_bytes(text: &[u8], file: &str) -> Result<Pattern> {
    let mut name = None;
    let mut comments = Vec::new();
    // First pass: check every character and find the extent; the last row with a live cell ends
    // the pattern (trailing blank lines are not part of it), but rows of dots count.
    let (mut width, mut height) = (0u64, 0u64);
    let mut row = 0u64;
    for (i, line) in lines(text).enumerate() {
        if let Some(c) = line.strip_prefix(b"!") {
            let c = text_of(c, file, i + 1)?;
            match c.trim().strip_prefix("Name:") {
                Some(n) => name = Some(n.trim().to_string()),
                None => comments.push(c.trim().to_string()),
            }
            continue;
        }
        let cells = row_cells(line, file, i + 1)?;
        row += 1;
        if !cells.is_empty() {
            width = width.max(cells.len() as u64);
            height = row;
        }
    }
    let mut grid = new_grid(width, height, file, 1, 1)?;
    let wpr = grid.words_per_row() as usize;
    let rows = lines(text).filter(|l| !l.starts_with(b"!"));
    for (words, line) in grid.words_mut().chunks_exact_mut(wpr).zip(rows) {
        // Checked by the first pass.
        let cells = row_cells(line, file, 0).unwrap_or_default();
        pack_cells(words, 0, cells);
    }
    Ok(Pattern {
        grid,
        rule: None,
        name,
        comments,
    })
}

/// The cells of a row: the line without trailing white space, checked to hold only cell
/// characters; an error names the first other one.
fn row_cells<'a>(line: &'a [u8], file: &str, line_no: usize) -> Result<&'a [u8]> {
    let cells = trim_end_ascii(line);
    if first_non_cell(cells).is_none() {
        return Ok(cells);
    }
    // A non-cell byte: the row is read as text, as `str::trim_end` trims it (Unicode spaces
    // at its end are not cells either).
    let text = text_of(line, file, line_no)?.trim_end();
    match first_non_cell(text.as_bytes()) {
        None => Ok(text.as_bytes()),
        Some(j) => {
            // Everything before the first bad byte is ASCII, so j is also its column.
            let c = text[j..].chars().next().unwrap_or('?');
            Err(parse_error(
                file,
                line_no,
                j + 1,
                format!("unexpected character '{c}': expected '.' (dead) or 'O' (alive)"),
            ))
        }
    }
}

/// `.` and `O` for each byte of cells.
const CHARS: [[u8; 8]; 256] = cell_chars(b'.', b'O');

/// Renders `grid` as plaintext. Every row is written in full, trailing dead cells included, so
/// that reading the file back gives the same grid, size and all.
pub fn write(grid: &Grid, name: Option<&str>) -> String {
    let mut out = Vec::new();
    write_to(&mut out, grid, name).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("plaintext is ASCII")
}

/// [`write()`], streamed into `out` through a small buffer.
pub fn write_to(out: &mut dyn Write, grid: &Grid, name: Option<&str>) -> std::io::Result<()> {
    let mut sink = TextSink::new(out);
    if let Some(n) = name {
        sink.push(format!("!Name: {n}\n").as_bytes())?;
    }
    // Rows are written in pieces of at most 4096 cells, so the buffer stays small for any width.
    const PIECE: u32 = 4096;
    for y in 0..grid.height() {
        let row = grid.row(y);
        let mut x = 0;
        while x < grid.width() {
            let end = x.saturating_add(PIECE).min(grid.width());
            let room = sink.room((end - x) as usize + PUSH_CELLS_SLACK)?;
            let n = push_cells(&CHARS, row, x, end, room);
            sink.advance(n);
            x = end;
        }
        sink.push(b"\n")?;
    }
    sink.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_pad() {
        let p = parse("!Name: Blinker\n!a comment\n.O\n.O.\n.O\n", "b.cells").unwrap();
        assert_eq!(p.grid.to_text(), "-*-/-*-/-*-");
        assert_eq!(p.name.as_deref(), Some("Blinker"));
        assert_eq!(p.comments, vec!["a comment".to_string()]);
        let e = parse("..\n.x\n", "bad.cells").unwrap_err().to_string();
        assert!(e.starts_with("bad.cells:2:2:"), "{e}");
    }

    #[test]
    fn wide_rows_round_trip() {
        let g = Grid::random(4133, 3, 0.5, 7).unwrap();
        assert_eq!(parse(&write(&g, None), "w.cells").unwrap().grid, g);
    }
}
