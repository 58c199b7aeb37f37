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

use super::{grid_from_points, parse_error, Pattern};
use crate::error::Result;
use crate::life::grid::Grid;

/// The first line of every Life 1.06 file.
pub const HEADER: &str = "#Life 1.06";

/// Parses Life 1.06 text; `file` names the source in errors. `#` lines after the header are
/// kept as comments.
pub fn parse(text: &str, file: &str) -> Result<Pattern> {
    let mut comments = Vec::new();
    let grid = grid_from_points(file, |cell| {
        comments.clear();
        for_each_cell(text, file, &mut comments, cell)
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
    cell: &mut dyn FnMut(i64, i64) -> Result<()>,
) -> Result<()> {
    let mut lines = text.lines().enumerate();
    expect_header(&mut lines, file, HEADER)?;
    for (i, line) in lines {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(c) = trimmed.strip_prefix('#') {
            comments.push(c.trim().to_string());
            continue;
        }
        let (x, y) = coordinates(line, file, i + 1)?;
        cell(x, y)?;
    }
    Ok(())
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
    let mut out = String::from(HEADER);
    out.push('\n');
    for (x, y) in grid.live_cells() {
        out.push_str(&format!("{x} {y}\n"));
    }
    out
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
