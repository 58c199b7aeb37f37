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

use super::{fill_run, new_grid, parse_error, row_runs, Pattern};
use crate::error::Result;
use crate::life::grid::Grid;
use crate::life::memory::check_grids;
use crate::life::rule::RuleSpec;

/// Longest line the writer emits, as Golly does.
pub const MAX_LINE: usize = 70;

/// Parses RLE text; `file` names the source in errors.
///
/// `#` lines before the header: `#N` name, `#C`/`#c`/`#O` and unknown tags kept as comments,
/// `#r` an old-style rule line. Golly's `#CXRLE Pos=x,y Gen=n` line and the old `#P`/`#R`
/// position lines are accepted and ignored: they place the pattern in Golly's unbounded plane,
/// while speedup's grid is finite and starts at the pattern's top-left corner (or centres it).
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
            let tag_len = rest.chars().next().map_or(0, char::len_utf8);
            let (tag, value) = rest.split_at(tag_len);
            let value = value.trim().to_string();
            match tag {
                "N" => name = Some(value),
                "r" => rule = Some(parse_rule(&value, file, i + 1, 3)?),
                "C" if value.starts_with("XRLE") => {}
                "P" | "R" => {}
                "C" | "c" | "O" => comments.push(value),
                _ => comments.push(rest.trim().to_string()),
            }
            continue;
        }
        if is_header(trimmed) {
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
    // Two passes over the body, so that no list of cells is ever held: the first finds the
    // extent (and cells outside the header's size), the second fills the allocated grid.
    let (mut width, mut height) = (0u64, 0u64);
    scan_body(text, body_start, file, |run| {
        if let Some((w, h)) = header {
            if run.x + run.n > w.max(1) || run.y >= h.max(1) {
                return Err(parse_error(
                    file,
                    run.line,
                    run.column,
                    format!(
                        "cell ({}, {}) is outside the header's size x = {w}, y = {h}",
                        run.x + run.n - 1,
                        run.y
                    ),
                ));
            }
        }
        width = width.max(run.x + run.n);
        height = height.max(run.y + 1);
        Ok(())
    })?;
    let (w, h) = header.unwrap_or((width, height));
    let mut grid = new_grid(w, h, file, body_start.max(1), 1)?;
    scan_body(text, body_start, file, |run| {
        fill_run(&mut grid, run.x, run.y, run.n);
        Ok(())
    })?;
    Ok(Pattern {
        grid,
        rule,
        name,
        comments,
    })
}

/// `x = 3, ...` (the key `x`, then `=`), as opposed to a body line.
fn is_header(trimmed: &str) -> bool {
    let mut chars = trimmed.chars();
    matches!(chars.next(), Some('x' | 'X')) && chars.as_str().trim_start().starts_with('=')
}

fn parse_rule(text: &str, file: &str, line: usize, column: usize) -> Result<RuleSpec> {
    RuleSpec::parse(text).map_err(|e| parse_error(file, line, column, e.to_string()))
}

/// Parses `x = 3, y = 3, rule = B3/S23`, returning the size and the rule, if any. The rule is
/// the last key and runs to the end of the line, since Golly's suffix holds a comma
/// (`rule = B3/S23:T64,32`).
fn parse_header(line: &str, file: &str, line_no: usize) -> Result<((u64, u64), Option<RuleSpec>)> {
    let (mut x, mut y, mut rule) = (None, None, None);
    let mut offset = 0;
    while offset < line.len() {
        let rest = &line[offset..];
        let column = offset + rest.len() - rest.trim_start().len() + 1;
        let Some(eq) = rest.find('=') else {
            return Err(parse_error(
                file,
                line_no,
                column,
                format!(
                    "expected 'key = value' in the header, found '{}'",
                    rest.trim()
                ),
            ));
        };
        let key = rest[..eq].trim().to_ascii_lowercase();
        let value_start = offset + eq + 1;
        let value_end = match key.as_str() {
            "rule" => line.len(),
            _ => line[value_start..]
                .find(',')
                .map_or(line.len(), |c| value_start + c),
        };
        let raw = &line[value_start..value_end];
        let value = raw.trim();
        let value_col = value_start + raw.len() - raw.trim_start().len() + 1;
        offset = value_end + 1;
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
        match key.as_str() {
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
            // Refuse absurd sizes here, before the body is read or anything allocated. Golly
            // writes `x = 0, y = 0` for an empty pattern: that is a 1x1 grid.
            check_grids(x.max(1), y.max(1), 1, "the header's size")
                .map_err(|e| parse_error(file, line_no, 1, e.to_string()))?;
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

/// A run of live cells found in the body, with the position of its tag.
struct LiveRun {
    x: u64,
    y: u64,
    n: u64,
    line: usize,
    column: usize,
}

/// Reads the body from line index `first_line`, calling `on_live` for every run of live cells.
fn scan_body(
    text: &str,
    first_line: usize,
    file: &str,
    mut on_live: impl FnMut(LiveRun) -> Result<()>,
) -> Result<()> {
    let (mut x, mut y) = (0u64, 0u64);
    let mut count: Option<u64> = None;
    let mut count_pos = (0, 0);
    'lines: for (i, line) in text.lines().enumerate().skip(first_line) {
        let line_no = i + 1;
        if line.trim_start().starts_with('#') && count.is_none() {
            continue;
        }
        for (j, c) in line.chars().enumerate() {
            let column = j + 1;
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
                                    "run count is too large (at most 2^32 - 1)",
                                )
                            })?,
                    );
                }
                ' ' | '\t' | '\r' => {}
                'b' | '.' | 'o' | 'A' | '$' => {
                    let n = count.take().unwrap_or(1);
                    if n == 0 {
                        return Err(parse_error(
                            file,
                            line_no,
                            column,
                            "run count 0: expected a count of at least 1",
                        ));
                    }
                    if c == '$' {
                        y += n;
                        x = 0;
                    } else {
                        if c == 'o' || c == 'A' {
                            on_live(LiveRun {
                                x,
                                y,
                                n,
                                line: line_no,
                                column,
                            })?;
                        }
                        x += n;
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
                // A missing '!' is tolerated, as Golly does; anything after it is ignored.
                '!' => break 'lines,
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
            "run count with no tag after it: expected b, o or $",
        ));
    }
    Ok(())
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
    // The row the writer stands on: rows are ended lazily, so that empty rows in between (or
    // before the first live row) become one `n$` token.
    let mut at_row = 0u32;
    for y in 0..grid.height() {
        let runs = row_runs(grid, y);
        if runs.is_empty() {
            continue;
        }
        if y > at_row {
            line.token((y - at_row) as u64, '$', &mut out);
            at_row = y;
        }
        for (alive, n) in runs {
            line.token(n, if alive { 'o' } else { 'b' }, &mut out);
        }
    }
    line.push("!", &mut out);
    out.push('\n');
    out
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
