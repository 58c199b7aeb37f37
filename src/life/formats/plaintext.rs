//! The plaintext format (`.cells`): `!` comment lines, `.` dead, `O` alive, short lines padded.

use super::{parse_error, Pattern};
use crate::error::Result;
use crate::life::grid::{check_size, Grid};

/// Parses plaintext; `file` names the source in errors.
pub fn parse(text: &str, file: &str) -> Result<Pattern> {
    let mut name = None;
    let mut comments = Vec::new();
    let mut rows: Vec<Vec<u64>> = Vec::new();
    let mut width = 0u64;
    for (i, line) in text.lines().enumerate() {
        if let Some(c) = line.strip_prefix('!') {
            match c.trim().strip_prefix("Name:") {
                Some(n) => name = Some(n.trim().to_string()),
                None => comments.push(c.trim().to_string()),
            }
            continue;
        }
        let mut live = Vec::new();
        let line = line.trim_end();
        for (j, c) in line.chars().enumerate() {
            match c {
                '.' => {}
                'O' | 'o' | '*' => live.push(j as u64),
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
        width = width.max(line.chars().count() as u64);
        rows.push(live);
    }
    // Trailing blank lines carry no cells and are not part of the pattern.
    while rows.last().is_some_and(|r| r.is_empty()) && rows.len() > 1 {
        rows.pop();
    }
    let height = rows.len().max(1) as u64;
    check_size(width.max(1), height).map_err(|e| parse_error(file, 1, 1, e.to_string()))?;
    let mut grid = Grid::new(width.max(1) as u32, height as u32)?;
    for (y, row) in rows.iter().enumerate() {
        for &x in row {
            grid.set(x as u32, y as u32, true);
        }
    }
    Ok(Pattern {
        grid,
        rule: None,
        name,
        comments,
    })
}

/// Renders `grid` as plaintext, trailing dead cells of each row omitted.
pub fn write(grid: &Grid, name: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(n) = name {
        out.push_str(&format!("!Name: {n}\n"));
    }
    for y in 0..grid.height() {
        let mut row: String = (0..grid.width())
            .map(|x| if grid.get(x, y) { 'O' } else { '.' })
            .collect();
        let kept = row.trim_end_matches('.').len();
        // Keep one '.' for an empty row so that the line is not mistaken for nothing.
        row.truncate(kept.max(1));
        out.push_str(&row);
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
