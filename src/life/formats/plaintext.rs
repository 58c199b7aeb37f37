//! The plaintext format (`.cells`): `!` comment lines, `.` dead, `O` alive, short lines padded.

use super::{
    cell_chars, first_non_cell, new_grid, pack_cells, parse_error, push_cells, Pattern, TextSink,
    PUSH_CELLS_SLACK,
};
use crate::error::Result;
use crate::life::grid::Grid;
use std::io::Write;

/// Parses plaintext; `file` names the source in errors. `O` (also `o` and `*`) is alive, `.`
/// dead; short lines are padded with dead cells; `!Name:` gives the name, other `!` lines are
/// comments.
pub fn parse(text: &str, file: &str) -> Result<Pattern> {
    let mut name = None;
    let mut comments = Vec::new();
    // First pass: check every character and find the extent; the last row with a live cell ends
    // the pattern (trailing blank lines are not part of it), but rows of dots count.
    let (mut width, mut height) = (0u64, 0u64);
    let mut row = 0u64;
    for (i, line) in text.lines().enumerate() {
        if let Some(c) = line.strip_prefix('!') {
            match c.trim().strip_prefix("Name:") {
                Some(n) => name = Some(n.trim().to_string()),
                None => comments.push(c.trim().to_string()),
            }
            continue;
        }
        let cells = line.trim_end();
        if let Some(j) = first_non_cell(cells.as_bytes()) {
            // Everything before the first bad byte is ASCII, so j is also its column.
            let c = cells[j..].chars().next().unwrap_or('?');
            return Err(parse_error(
                file,
                i + 1,
                j + 1,
                format!("unexpected character '{c}': expected '.' (dead) or 'O' (alive)"),
            ));
        }
        row += 1;
        if !cells.is_empty() {
            width = width.max(cells.len() as u64);
            height = row;
        }
    }
    let mut grid = new_grid(width, height, file, 1, 1)?;
    let wpr = grid.words_per_row() as usize;
    let rows = text.lines().filter(|l| !l.starts_with('!'));
    for (words, line) in grid.words_mut().chunks_exact_mut(wpr).zip(rows) {
        pack_cells(words, 0, line.trim_end().as_bytes());
    }
    Ok(Pattern {
        grid,
        rule: None,
        name,
        comments,
    })
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
