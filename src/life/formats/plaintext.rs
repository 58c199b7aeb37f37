//! The plaintext format (`.cells`): `!` comment lines, `.` dead, `O` alive, short lines padded.

use super::{new_grid, parse_error, Pattern};
use crate::error::Result;
use crate::life::grid::Grid;

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
        let line = line.trim_end();
        let mut cells = 0u64;
        for (j, c) in line.chars().enumerate() {
            match c {
                '.' | 'O' | 'o' | '*' => cells += 1,
                _ => {
                    return Err(parse_error(
                        file,
                        i + 1,
                        j + 1,
                        format!("unexpected character '{c}': expected '.' (dead) or 'O' (alive)"),
                    ))
                }
            }
        }
        row += 1;
        if cells > 0 {
            width = width.max(cells);
            height = row;
        }
    }
    let mut grid = new_grid(width, height, file, 1, 1)?;
    let mut y = 0u32;
    for line in text.lines() {
        if line.starts_with('!') {
            continue;
        }
        if y as u64 >= height {
            break;
        }
        for (x, c) in line.trim_end().chars().enumerate() {
            if c != '.' {
                grid.set(x as u32, y, true);
            }
        }
        y += 1;
    }
    Ok(Pattern {
        grid,
        rule: None,
        name,
        comments,
    })
}

/// Renders `grid` as plaintext. Every row is written in full, trailing dead cells included, so
/// that reading the file back gives the same grid, size and all.
pub fn write(grid: &Grid, name: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(n) = name {
        out.push_str(&format!("!Name: {n}\n"));
    }
    for y in 0..grid.height() {
        out.extend((0..grid.width()).map(|x| if grid.get(x, y) { 'O' } else { '.' }));
        out.push('\n');
    }
    out
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
}
