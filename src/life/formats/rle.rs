//! Golly's run-length encoded format (`.rle`).
//!
//! ```text
//! #N Glider
//! #C A comment
//! x = 3, y = 3, rule = B3/S23
//! bob$2bo$3o!
//! ```
//! `b` (or `.`) is a dead cell, `o` (or `A`) a live one, `$` ends a row, a number before a tag
//! repeats it, `!` ends the pattern. Line breaks and spaces may stand anywhere between tokens.

use super::{parse_error, Pattern};
use crate::error::Result;
use crate::life::grid::{check_size, Grid};
use crate::life::rule::RuleSpec;

/// Longest line the writer emits, as Golly does.
pub const MAX_LINE: usize = 70;

/// Parses RLE text; `file` names the source in errors.
pub fn parse(text: &str, file: &str) -> Result<Pattern> {
    let mut name = None;
    let mut comments = Vec::new();
    let mut rule = None;
    let mut header: Option<(u64, u64)> = None;
    let mut body_start = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('#') {
            let (tag, value) = rest.split_at(rest.chars().next().map_or(0, |c| c.len_utf8()));
            let value = value.trim().to_string();
            match tag {
                "N" => name = Some(value),
                "r" => rule = Some(parse_rule(&value, file, i + 1, 3)?),
                "C" | "c" | "O" => comments.push(value),
                _ => comments.push(rest.trim().to_string()),
            }
            continue;
        }
        if trimmed.starts_with('x') || trimmed.starts_with('X') {
            let (size, r) = parse_header(line, file, i + 1)?;
            header = Some(size);
            if r.is_some() {
                rule = r;
            }
            body_start = Some(i + 1);
        } else {
            body_start = Some(i);
        }
        break;
    }
    let Some(body_start) = body_start else {
        return Err(parse_error(
            file,
            text.lines().count().max(1),
            1,
            "no pattern found: expected a header line 'x = W, y = H' and RLE data",
        ));
    };
    let cells = parse_body(text, body_start, file)?;
    let (declared_w, declared_h) = header.unwrap_or((cells.width, cells.height));
    let (w, h) = (
        declared_w.max(cells.width).max(1),
        declared_h.max(cells.height).max(1),
    );
    if let Some(&(x, y, line, col)) = cells
        .live
        .iter()
        .find(|(x, y, _, _)| *x >= declared_w.max(1) || *y >= declared_h.max(1))
        .filter(|_| header.is_some())
    {
        return Err(parse_error(
            file,
            line,
            col,
            format!(
                "cell ({x}, {y}) is outside the header's size x = {declared_w}, y = {declared_h}"
            ),
        ));
    }
    check_size(w, h).map_err(|e| parse_error(file, body_start.max(1), 1, e.to_string()))?;
    let mut grid = Grid::new(w as u32, h as u32)?;
    for &(x, y, _, _) in &cells.live {
        grid.set(x as u32, y as u32, true);
    }
    Ok(Pattern {
        grid,
        rule,
        name,
        comments,
    })
}

fn parse_rule(text: &str, file: &str, line: usize, column: usize) -> Result<RuleSpec> {
    RuleSpec::parse(text).map_err(|e| parse_error(file, line, column, e.to_string()))
}

/// Parses `x = 3, y = 3, rule = B3/S23`, returning the size and the rule, if any.
fn parse_header(line: &str, file: &str, line_no: usize) -> Result<((u64, u64), Option<RuleSpec>)> {
    let (mut x, mut y, mut rule) = (None, None, None);
    let mut offset = 0;
    for part in line.split(',') {
        let column = offset + part.len() - part.trim_start().len() + 1;
        offset += part.len() + 1;
        let Some((key, value)) = part.split_once('=') else {
            return Err(parse_error(
                file,
                line_no,
                column,
                format!(
                    "expected 'key = value' in the header, found '{}'",
                    part.trim()
                ),
            ));
        };
        let value_col = column + part.trim_start().find('=').unwrap_or(0) + 1;
        let value = value.trim();
        let number = |v: &str| -> Result<u64> {
            v.parse::<u64>().map_err(|_| {
                parse_error(
                    file,
                    line_no,
                    value_col,
                    format!("expected a whole number, found '{v}'"),
                )
            })
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "x" => x = Some(number(value)?),
            "y" => y = Some(number(value)?),
            "rule" => rule = Some(parse_rule(value, file, line_no, value_col)?),
            other => {
                return Err(parse_error(
                    file,
                    line_no,
                    column,
                    format!("unknown header key '{other}': expected x, y or rule"),
                ))
            }
        }
    }
    match (x, y) {
        (Some(x), Some(y)) => {
            // Refuse absurd sizes here, before the body is read or anything allocated.
            if x > 0 && y > 0 {
                check_size(x, y).map_err(|e| parse_error(file, line_no, 1, e.to_string()))?;
            }
            Ok(((x, y), rule))
        }
        _ => Err(parse_error(
            file,
            line_no,
            1,
            "the header must give both x and y, as in 'x = 3, y = 3'",
        )),
    }
}

struct Cells {
    /// Live cells with the line and column of their token.
    live: Vec<(u64, u64, usize, usize)>,
    width: u64,
    height: u64,
}

fn parse_body(text: &str, first_line: usize, file: &str) -> Result<Cells> {
    let (mut x, mut y) = (0u64, 0u64);
    let mut width = 0u64;
    let mut live = Vec::new();
    let mut count: Option<u64> = None;
    let mut count_pos = (0, 0);
    'lines: for (i, line) in text.lines().enumerate().skip(first_line) {
        let line_no = i + 1;
        if line.trim_start().starts_with('#') && count.is_none() {
            continue;
        }
        for (j, c) in line.char_indices() {
            let column = line[..j].chars().count() + 1;
            match c {
                '0'..='9' => {
                    if count.is_none() {
                        count_pos = (line_no, column);
                    }
                    let digit = c as u64 - '0' as u64;
                    count = Some(
                        count
                            .unwrap_or(0)
                            .checked_mul(10)
                            .and_then(|n| n.checked_add(digit))
                            .filter(|&n| n <= u32::MAX as u64)
                            .ok_or_else(|| {
                                parse_error(
                                    file,
                                    count_pos.0,
                                    count_pos.1,
                                    "run count is too large",
                                )
                            })?,
                    );
                }
                ' ' | '\t' | '\r' => {}
                'b' | '.' | 'o' | 'A' | '$' => {
                    let n = count.take().unwrap_or(1);
                    if n == 0 {
                        return Err(parse_error(file, line_no, column, "run count 0"));
                    }
                    match c {
                        '$' => {
                            y += n;
                            x = 0;
                        }
                        'o' | 'A' => {
                            if live.len() as u64 + n > crate::life::grid::MAX_CELLS {
                                return Err(parse_error(
                                    file,
                                    line_no,
                                    column,
                                    "too many live cells",
                                ));
                            }
                            for k in 0..n {
                                live.push((x + k, y, line_no, column));
                            }
                            x += n;
                            width = width.max(x);
                        }
                        _ => {
                            x += n;
                            width = width.max(x);
                        }
                    }
                    if x > u32::MAX as u64 || y > u32::MAX as u64 {
                        return Err(parse_error(
                            file,
                            line_no,
                            column,
                            "pattern extends beyond 2^32 cells",
                        ));
                    }
                }
                // A missing '!' is tolerated, as Golly does.
                '!' => {
                    break 'lines;
                }
                other => {
                    let hint = if other.is_ascii_alphabetic() {
                        " (multi-state patterns are not supported; expected b, o, $ or !)"
                    } else {
                        " (expected b, o, $, a run count or !)"
                    };
                    return Err(parse_error(
                        file,
                        line_no,
                        column,
                        format!("unexpected character '{other}'{hint}"),
                    ));
                }
            }
        }
    }
    if count.is_some() {
        return Err(parse_error(
            file,
            count_pos.0,
            count_pos.1,
            "run count with no tag after it",
        ));
    }
    // Rows that hold a live cell count; a trailing `$` alone does not add a row.
    let height = live.iter().map(|c| c.1 + 1).max().unwrap_or(0);
    Ok(Cells {
        live,
        width,
        height,
    })
}

/// Renders `grid` as RLE with `rule` (and its suffix) in the header. With a bounded-grid suffix
/// the whole grid is written (x and y equal to the grid's size), so that Golly, which centres a
/// pattern in its bounded grid, places every cell where it was.
pub fn write(grid: &Grid, rule: &RuleSpec, name: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(n) = name {
        out.push_str(&format!("#N {n}\n"));
    }
    out.push_str(&format!(
        "x = {}, y = {}, rule = {}\n",
        grid.width(),
        grid.height(),
        rule.to_golly()
    ));
    let mut line = LineWriter::default();
    let mut pending_rows = 0u64;
    for y in 0..grid.height() {
        let runs = row_runs(grid, y);
        if runs.is_empty() {
            pending_rows += 1;
            continue;
        }
        if y > 0 {
            // End the previous row, plus any empty rows in between, as one `n$` token.
            line.token(pending_rows + 1, '$', &mut out);
        }
        pending_rows = 0;
        for (alive, n) in runs {
            line.token(n, if alive { 'o' } else { 'b' }, &mut out);
        }
    }
    line.push("!", &mut out);
    out.push('\n');
    out
}

/// Runs of equal cells in row `y` as (alive, length), without the trailing dead run.
fn row_runs(grid: &Grid, y: u32) -> Vec<(bool, u64)> {
    let mut runs: Vec<(bool, u64)> = Vec::new();
    for x in 0..grid.width() {
        let alive = grid.get(x, y);
        match runs.last_mut() {
            Some((a, n)) if *a == alive => *n += 1,
            _ => runs.push((alive, 1)),
        }
    }
    if runs.last().is_some_and(|(a, _)| !a) {
        runs.pop();
    }
    runs
}

/// Appends tokens, breaking lines before a token that would pass [`MAX_LINE`].
#[derive(Default)]
struct LineWriter {
    len: usize,
}

impl LineWriter {
    fn token(&mut self, n: u64, tag: char, out: &mut String) {
        let t = if n == 1 {
            tag.to_string()
        } else {
            format!("{n}{tag}")
        };
        self.push(&t, out);
    }

    fn push(&mut self, token: &str, out: &mut String) {
        if self.len + token.len() > MAX_LINE {
            out.push('\n');
            self.len = 0;
        }
        out.push_str(token);
        self.len += token.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glider() {
        let p = parse(
            "#N Glider\nx = 3, y = 3, rule = B3/S23\nbob$2bo$3o!\n",
            "g.rle",
        )
        .unwrap();
        assert_eq!(p.grid.to_text(), "-*-/--*/***");
        assert_eq!(p.name.as_deref(), Some("Glider"));
        assert_eq!(p.rule.unwrap().rule, crate::life::Rule::CONWAY);
    }

    #[test]
    fn row_skips_and_breaks() {
        let p = parse("x = 4, y = 4\no2$\n3b\no!", "t.rle").unwrap();
        assert_eq!(p.grid.to_text(), "*---/----/---*/----");
    }

    #[test]
    fn errors_name_position() {
        let e = parse("x = 3, y = 3\nbo$q!", "bad.rle")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.rle:2:4:"), "{e}");
        let e = parse("x = 2, y = 1\n3o!", "big.rle")
            .unwrap_err()
            .to_string();
        assert!(e.contains("outside the header"), "{e}");
        let e = parse("x = 99999999999, y = 99999999999\no!", "huge.rle")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("huge.rle:1:1:"), "{e}");
    }

    #[test]
    fn writer_keeps_lines_short() {
        let g = Grid::random(300, 20, 0.5, 1).unwrap();
        let text = write(&g, &RuleSpec::parse("B3/S23").unwrap(), None);
        assert!(text.lines().all(|l| l.len() <= MAX_LINE), "{text}");
        assert_eq!(parse(&text, "r.rle").unwrap().grid, g);
    }
}
