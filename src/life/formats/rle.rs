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
//!
//! Both directions work on bytes at memory speed: the reader walks the body once (twice only
//! for a file without a header line, whose size it must find first) and ORs each live run into
//! the grid's words; the writer reads whole words, finds runs with `trailing_zeros`, and streams
//! tokens through a small buffer into any [`std::io::Write`].

use super::{fill_run, fill_words, new_grid, parse_error, Pattern, TextSink};
use crate::error::Result;
use crate::life::grid::Grid;
use crate::life::memory::check_grids;
use crate::life::rule::RuleSpec;
use std::io::Write;

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
    // (line number, byte offset) where the body starts.
    let mut body_start = None;
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line_offset = offset;
        offset += raw.len();
        let line = raw
            .strip_suffix('\n')
            .map_or(raw, |l| l.strip_suffix('\r').unwrap_or(l));
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
            body_start = Some((i + 2, offset));
        } else {
            body_start = Some((i + 1, line_offset));
        }
        break;
    }
    let Some((body_line, body_offset)) = body_start else {
        return Err(parse_error(
            file,
            text.lines().count().max(1),
            1,
            "no pattern found: expected a header line 'x = W, y = H' and RLE data",
        ));
    };
    let body = Body {
        text,
        start: body_offset,
        line: body_line,
        file,
    };
    let grid = match header {
        // With a header the grid is allocated first and filled in one pass; a run outside the
        // header's size is an error at its tag.
        Some((w, h)) => {
            let mut grid = new_grid(w, h, file, body_line - 1, 1)?;
            let (wpr, rows) = (grid.words_per_row() as usize, grid.height() as u64);
            let words = grid.words_mut();
            body.scan(Some((w, h)), |x, y, n, alive| {
                if n <= 32 {
                    // Without a branch on `alive`: a dead run ORs an empty mask into a word
                    // of its row (clamped into the grid: a dead run may pass its edges).
                    let live = 0u64.wrapping_sub(alive as u64);
                    let mask = (((1u64 << n) - 1) << (x % 32)) & live;
                    let row = y.min(rows - 1) as usize * wpr;
                    let at = ((x / 32) as usize).min(wpr - 1);
                    words[row + at] |= mask as u32;
                    words[row + (at + 1).min(wpr - 1)] |= (mask >> 32) as u32;
                } else if alive {
                    fill_words(words, wpr, x, y, n);
                }
            })?;
            grid
        }
        // Without one, a first pass finds the extent, so that no list of cells is ever held.
        None => {
            let (mut width, mut height) = (0u64, 0u64);
            body.scan(None, |x, y, n, alive| {
                if alive {
                    width = width.max(x + n);
                    height = height.max(y + 1);
                }
            })?;
            let mut grid = new_grid(width, height, file, (body_line - 1).max(1), 1)?;
            body.scan(None, |x, y, n, alive| {
                if alive {
                    fill_run(&mut grid, x, y, n)
                }
            })?;
            grid
        }
    };
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

/// The body of an RLE file: the text from byte `start`, which is on line `line` (1-based).
struct Body<'a> {
    text: &'a str,
    start: usize,
    line: usize,
    file: &'a str,
}

impl Body<'_> {
    /// Walks the body once, calling `on_run(x, y, n, alive)` for every run of `n` live cells
    /// starting at (x, y), and for some runs of dead cells too (`alive` false), which a caller
    /// may add to its grid as an empty mask without a branch. With `limit` = (w, h), a live run outside w × h is an error at its tag.
    ///
    /// Every byte of the body is looked at once, and positions are kept as byte offsets: the
    /// line number is counted at each `\n`, the column found from the line's start only when an
    /// error is reported. Body lines are ASCII up to any error (a non-ASCII byte is one), so a
    /// byte column is the character column.
    fn scan(
        &self,
        limit: Option<(u64, u64)>,
        mut on_run: impl FnMut(u64, u64, u64, bool),
    ) -> Result<()> {
        let bytes = self.text.as_bytes();
        let (mut x, mut y) = (0u64, 0u64);
        // The run count being read, and where it started (an offset, or None for no count).
        let mut count = 0u64;
        let mut count_at: Option<(usize, usize)> = None;
        let mut line = self.line;
        let mut line_start = self.start;
        let mut i = self.skip_comment_lines(self.start, &mut line, &mut line_start, false);
        // The live runs' bounds for the fast path: past them (or on a row past the header's
        // height) the byte-by-byte path below reports the error.
        let (max_x, max_y) =
            limit.map_or((u32::MAX as u64, u64::MAX), |(w, h)| (w.max(1), h.max(1)));
        while i < bytes.len() {
            // The fast path: a token of `b`/`.`/`o`/`A` with at most two count digits, no count
            // pending, read with selects instead of branches (in a random soup whether a count
            // is there, and whether the run is alive, is a coin toss the branch predictor
            // loses); everything else (`$`, line ends, longer counts, errors) takes the
            // byte-by-byte path below, one byte at a time.
            if count_at.is_none() && i + 2 < bytes.len() {
                let (c0, c1) = (bytes[i], bytes[i + 1]);
                let (d0, d1) = (c0.wrapping_sub(b'0') as u64, c1.wrapping_sub(b'0') as u64);
                let one = d0 < 10;
                let two = one & (d1 < 10);
                let digits = one as usize + two as usize;
                let tag = bytes[i + digits];
                let n = if two {
                    d0 * 10 + d1
                } else if one {
                    d0
                } else {
                    1
                };
                let live = (tag == b'o') | (tag == b'A');
                let dead = (tag == b'b') | (tag == b'.');
                let fits = (x + n <= max_x) & (y < max_y);
                if (live | dead) & (n != 0) & (fits | dead) & (x + n <= u32::MAX as u64) {
                    on_run(x, y, n, live);
                    x += n;
                    i += digits + 1;
                    continue;
                }
            }
            let c = bytes[i];
            if c.is_ascii_digit() {
                if count_at.is_none() {
                    count_at = Some((line, i - line_start + 1));
                }
                count = count * 10 + (c - b'0') as u64;
                if count > u32::MAX as u64 {
                    let (l, col) = count_at.unwrap_or((line, 1));
                    return Err(parse_error(
                        self.file,
                        l,
                        col,
                        "run count is too large (at most 2^32 - 1)",
                    ));
                }
                i += 1;
                continue;
            }
            match c {
                b'b' | b'.' | b'o' | b'A' | b'$' => {
                    let n = match count_at.take() {
                        None => 1,
                        Some(_) => std::mem::take(&mut count),
                    };
                    let column = i - line_start + 1;
                    if n == 0 {
                        return Err(parse_error(
                            self.file,
                            line,
                            column,
                            "run count 0: expected a count of at least 1",
                        ));
                    }
                    if c == b'$' {
                        y += n;
                        x = 0;
                    } else {
                        if c == b'o' || c == b'A' {
                            if let Some((w, h)) = limit {
                                // Golly writes `x = 0, y = 0` for an empty pattern: 1x1.
                                if x + n > w.max(1) || y >= h.max(1) {
                                    return Err(self.outside(x + n - 1, y, (w, h), line, column));
                                }
                            }
                            on_run(x, y, n, true);
                        }
                        x += n;
                    }
                    if x > u32::MAX as u64 || y > u32::MAX as u64 {
                        return Err(parse_error(
                            self.file,
                            line,
                            column,
                            "pattern extends beyond 2^32 cells",
                        ));
                    }
                    i += 1;
                }
                b'\n' => {
                    line += 1;
                    line_start = i + 1;
                    i = self.skip_comment_lines(
                        i + 1,
                        &mut line,
                        &mut line_start,
                        count_at.is_some(),
                    );
                }
                b' ' | b'\t' | b'\r' => i += 1,
                // A missing '!' is tolerated, as Golly does; anything after it is ignored.
                b'!' => break,
                _ => {
                    let other = self.text[i..].chars().next().unwrap_or('?');
                    let hint = if other.is_ascii_alphabetic() {
                        " (multi-state patterns are not supported; expected b, o, $ or !)"
                    } else {
                        " (expected b, o, $, a run count or !)"
                    };
                    return Err(parse_error(
                        self.file,
                        line,
                        i - line_start + 1,
                        format!("unexpected character '{other}'{hint}"),
                    ));
                }
            }
        }
        if let Some((l, col)) = count_at {
            return Err(parse_error(
                self.file,
                l,
                col,
                "run count with no tag after it: expected b, o or $",
            ));
        }
        Ok(())
    }

    /// From the start of a line at `i`: skips `#` lines (when no run count is pending), which
    /// may stand between body lines, and returns where scanning resumes. A line is a comment
    /// when its first non-whitespace character is `#`.
    fn skip_comment_lines(
        &self,
        mut i: usize,
        line: &mut usize,
        line_start: &mut usize,
        count_pending: bool,
    ) -> usize {
        if count_pending {
            return i;
        }
        let bytes = self.text.as_bytes();
        loop {
            let rest = &bytes[i..];
            let first = rest
                .iter()
                .position(|&b| !matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c))
                .unwrap_or(rest.len());
            let is_comment = match rest.get(first) {
                Some(b'#') => true,
                // Unicode white space before a '#' (rare): ask the str functions.
                Some(&b) if b >= 0x80 => {
                    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                    self.text[i..i + end].trim_start().starts_with('#')
                }
                _ => false,
            };
            if !is_comment {
                return i;
            }
            match rest.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    i += end + 1;
                    *line += 1;
                    *line_start = i;
                }
                None => return bytes.len(),
            }
        }
    }

    fn outside(
        &self,
        x: u64,
        y: u64,
        (w, h): (u64, u64),
        line: usize,
        column: usize,
    ) -> crate::error::Error {
        parse_error(
            self.file,
            line,
            column,
            format!("cell ({x}, {y}) is outside the header's size x = {w}, y = {h}"),
        )
    }
}

/// Renders `grid` as RLE with `rule` (and its suffix) in the header. With a bounded-grid suffix
/// the whole grid is written (x and y equal to the grid's size), so that Golly, which centres a
/// pattern in its bounded grid, places every cell where it was.
pub fn write(grid: &Grid, rule: &RuleSpec, name: Option<&str>) -> String {
    let mut out = Vec::new();
    write_to(&mut out, grid, rule, name).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("RLE is ASCII")
}

/// [`write()`], streamed into `out` through a small buffer.
pub fn write_to(
    out: &mut dyn Write,
    grid: &Grid,
    rule: &RuleSpec,
    name: Option<&str>,
) -> std::io::Result<()> {
    let mut sink = TextSink::new(out);
    if let Some(n) = name {
        sink.push(format!("#N {n}\n").as_bytes())?;
    }
    sink.push(
        format!(
            "x = {}, y = {}, rule = {}\n",
            grid.width(),
            grid.height(),
            rule.to_golly()
        )
        .as_bytes(),
    )?;
    let mut tokens = Tokens { sink, len: 0 };
    // The row the writer stands on: rows are ended lazily, so that empty rows in between (or
    // before the first live row) become one `n$` token.
    let mut at_row = 0u32;
    let width = grid.width() as u64;
    for y in 0..grid.height() {
        let row = grid.row(y);
        if row.iter().all(|&w| w == 0) {
            continue;
        }
        if y > at_row {
            tokens.token((y - at_row) as u64, b'$')?;
            at_row = y;
        }
        // The run being gathered: (alive, length); runs continue across words.
        let (mut alive, mut len) = (false, 0u64);
        for (i, &word) in row.iter().enumerate() {
            let cells = (width - i as u64 * 32).min(32) as u32;
            let mut pos = 0u32;
            while pos < cells {
                let rest = word >> pos;
                let bit = rest & 1 == 1;
                // Padding bits are zero, so a dead run may reach past `cells`: clamp it.
                let run = if bit {
                    (!rest).trailing_zeros()
                } else {
                    rest.trailing_zeros()
                };
                let run = run.min(cells - pos);
                if bit == alive {
                    len += run as u64;
                } else {
                    if len > 0 {
                        tokens.token(len, if alive { b'o' } else { b'b' })?;
                    }
                    (alive, len) = (bit, run as u64);
                }
                pos += run;
            }
        }
        // The row's trailing dead run is not written.
        if alive {
            tokens.token(len, b'o')?;
        }
    }
    tokens.push(b"!")?;
    tokens.sink.push(b"\n")?;
    tokens.sink.finish()
}

/// Appends tokens, breaking lines before a token that would pass [`MAX_LINE`].
struct Tokens<'a> {
    sink: TextSink<'a>,
    len: usize,
}

impl Tokens<'_> {
    #[inline]
    fn token(&mut self, n: u64, tag: u8) -> std::io::Result<()> {
        let mut buf = [0u8; 24];
        let start = if n == 1 {
            buf.len() - 1
        } else {
            super::format_u64(n, &mut buf[..23])
        };
        buf[23] = tag;
        self.push(&buf[start..])
    }

    #[inline]
    fn push(&mut self, token: &[u8]) -> std::io::Result<()> {
        if self.len + token.len() > MAX_LINE {
            self.sink.push(b"\n")?;
            self.len = 0;
        }
        self.len += token.len();
        self.sink.push(token)
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
