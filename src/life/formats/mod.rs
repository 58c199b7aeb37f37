//! Pattern files in and out, compatible with Golly: RLE (`.rle`), plaintext (`.cells`), Life 1.05
//! and Life 1.06 (`.lif`, `.life`), each optionally gzip-compressed (`.rle.gz` and the like).
//!
//! Readers return a [`Pattern`]: the cells at the pattern's own size, plus the rule (with Golly's
//! `:T`/`:P` bounded-grid suffix) and comments where the format carries them. Every error is one
//! line naming the file, line and column and what was expected. No reader allocates more than the
//! file's text and the grid it describes, and the grid's size is checked against
//! [`MAX_CELLS`](crate::life::grid::MAX_CELLS) and the memory available before it is allocated.
//!
//! Writers produce whole files in memory; [`write_pattern`] then writes them atomically.

pub mod life105;
pub mod life106;
pub mod plaintext;
pub mod rle;

use super::grid::Grid;
use super::memory::check_grids;
use super::rule::RuleSpec;
use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::path::Path;

/// A pattern as read from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// The cells, at the size the file declares (RLE header) or implies (the other formats: the
    /// bounding box of the cells for Life 1.0x, the lines' extent for plaintext).
    pub grid: Grid,
    /// The rule and bounded-grid suffix, when the file gives one.
    pub rule: Option<RuleSpec>,
    /// The pattern's name (`#N` in RLE, `!Name:` in plaintext, the first `#D` line in Life 1.05).
    pub name: Option<String>,
    /// Other comment lines, without their `#C` / `!` / `#D` markers.
    pub comments: Vec<String>,
}

/// The pattern file formats speedup reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Run-length encoded, Golly's native format (`.rle`).
    Rle,
    /// Plaintext (`.cells`): `.` dead, `O` alive, `!` comments.
    Plaintext,
    /// Life 1.05 (`.lif`): `#P x y` blocks of `.`/`*` rows, with `#N`/`#R` rule lines.
    Life105,
    /// Life 1.06 (`.life`): one `x y` pair per live cell.
    Life106,
}

impl Format {
    /// The format named by a file's extension (a trailing `.gz` is looked through). For writing,
    /// `.lif` means Life 1.05 (it carries the rule and the name) and `.life` Life 1.06; readers
    /// go by the `#Life 1.0x` header, whatever the extension.
    pub fn from_path(path: &Path) -> Result<Format> {
        match extension(path).as_str() {
            "rle" => Ok(Format::Rle),
            "cells" | "txt" => Ok(Format::Plaintext),
            "lif" => Ok(Format::Life105),
            "life" => Ok(Format::Life106),
            ext => Err(Error::InvalidArgument(format!(
                "{}: unknown pattern format '.{ext}': expected .rle, .cells, .lif or .life \
                 (optionally followed by .gz)",
                path.display()
            ))),
        }
    }

    /// The format a text's first line announces (`#Life 1.05` or `#Life 1.06`), if any.
    pub fn sniff(text: &str) -> Option<Format> {
        // The first non-blank line, as the Life 1.0x readers look for their header.
        let first = text
            .trim_start_matches('\u{feff}')
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())?;
        let version = first.strip_prefix("#Life")?.trim();
        match version {
            "1.05" => Some(Format::Life105),
            "1.06" => Some(Format::Life106),
            _ => None,
        }
    }

    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Rle => "RLE",
            Format::Plaintext => "plaintext",
            Format::Life105 => "Life 1.05",
            Format::Life106 => "Life 1.06",
        }
    }
}

/// The lowercase extension of `path`, looking through a final `.gz`.
fn extension(path: &Path) -> String {
    let ext = |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default()
    };
    match ext(path).as_str() {
        "gz" => ext(&path.with_extension("")),
        other => other.to_string(),
    }
}

/// Whether `path` names a gzip-compressed file (`.gz`).
pub fn is_gzip_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Largest pattern file read, compressed or not, so a hostile file (or a gzip bomb) cannot
/// exhaust memory before parsing starts.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// Reads a pattern file. gzip is recognised by its magic bytes and decompressed transparently;
/// the format is taken from a `#Life 1.0x` first line, else from the extension.
pub fn read_pattern(path: &Path) -> Result<Pattern> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(&path.display().to_string(), meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let hint = Format::from_path(path).ok();
    if hint.is_none() && !bytes.starts_with(&GZIP_MAGIC) && Format::sniff(&lossy(&bytes)).is_none()
    {
        // Neither the extension nor the content says what this is.
        Format::from_path(path)?;
    }
    parse_bytes(&bytes, &path.display().to_string(), hint)
}

fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(&bytes[..bytes.len().min(64)])
}

fn too_large(file: &str, bytes: u64) -> Error {
    Error::InvalidSize(format!(
        "{file}: {bytes} bytes is larger than the {} MiB limit for pattern files",
        MAX_FILE_BYTES >> 20
    ))
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Parses a pattern from raw bytes: see [`decode`], then [`parse_pattern`]. `file` names the
/// source in errors. This is what the fuzz targets drive.
pub fn parse_bytes(bytes: &[u8], file: &str, hint: Option<Format>) -> Result<Pattern> {
    let (text, format) = decode(bytes, file, hint)?;
    parse_pattern(&text, file, format)
}

/// Turns a file's bytes into text and its format: decompresses gzip (recognised by its magic
/// bytes), checks UTF-8 (an error names the line and column of the first bad byte), and picks
/// the format: a `#Life 1.0x` first line wins over `hint` (the extension's); with neither, RLE.
pub fn decode(bytes: &[u8], file: &str, hint: Option<Format>) -> Result<(String, Format)> {
    let bytes = if bytes.starts_with(&GZIP_MAGIC) {
        gunzip(bytes, file)?
    } else {
        bytes.to_vec()
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        let prefix = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = prefix.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = prefix.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        parse_error(file, line, column, "the file is not valid UTF-8 text")
    })?;
    let format = Format::sniff(&text).or(hint).unwrap_or(Format::Rle);
    Ok((text, format))
}

/// Decompresses gzip data (several members allowed, as `cat a.gz b.gz` makes), refusing output
/// beyond [`MAX_FILE_BYTES`].
fn gunzip(bytes: &[u8], file: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| parse_error(file, 1, 1, format!("not a valid gzip file: {e}")))?;
    if out.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(
            &format!("{file} (decompressed)"),
            out.len() as u64,
        ));
    }
    Ok(out)
}

/// Parses pattern text in `format`; `file` names the source in error messages.
pub fn parse_pattern(text: &str, file: &str, format: Format) -> Result<Pattern> {
    match format {
        // A plaintext pattern saved as .rle reads as an empty RLE pattern (its `!Name:` line
        // ends the pattern) or fails on its first `O`: say what the file is instead.
        Format::Rle if reads_as_plaintext(text) => Err(Error::InvalidArgument(format!(
            "{file}: this is a plaintext pattern (rows of . and O), not RLE as its name says: \
             rename it to .cells"
        ))),
        Format::Rle => rle::parse(text, file),
        Format::Plaintext => plaintext::parse(text, file),
        Format::Life105 => life105::parse(text, file),
        Format::Life106 => life106::parse(text, file),
    }
}

/// Whether `text` is laid out as a plaintext pattern: `!` comments and rows of `.` and `O` only.
fn reads_as_plaintext(text: &str) -> bool {
    let rows: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('!'))
        .collect();
    !rows.is_empty()
        && rows
            .iter()
            .all(|l| l.chars().all(|c| matches!(c, '.' | 'O')))
}

/// Renders `grid` in `format`. For RLE, `rule` (with its suffix) goes in the header; Life 1.05
/// keeps the rule without the suffix; plaintext and Life 1.06 carry no rule.
pub fn render_pattern(grid: &Grid, rule: &RuleSpec, format: Format, name: Option<&str>) -> String {
    match format {
        Format::Rle => rle::write(grid, rule, name),
        Format::Plaintext => plaintext::write(grid, name),
        Format::Life105 => life105::write(grid, &rule.rule, name),
        Format::Life106 => life106::write(grid),
    }
}

/// Writes `grid` to `path` in the format its extension names, gzip-compressed when the name ends
/// in `.gz`, atomically.
pub fn write_pattern(path: &Path, grid: &Grid, rule: &RuleSpec) -> Result<()> {
    let format = Format::from_path(path)?;
    let text = render_pattern(grid, rule, format, None);
    let bytes = if is_gzip_path(path) {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes())
            .and_then(|_| gz.finish())
            .map_err(|e| Error::io(path, e))?
    } else {
        text.into_bytes()
    };
    crate::output::write_atomic(path, &bytes)
}

/// `pattern` centred in an all-dead `width` × `height` grid (its own size: returned as is).
/// Fails when the pattern does not fit, or when the grid is beyond the limits.
pub fn centre(pattern: Grid, width: u32, height: u32) -> Result<Grid> {
    if (width, height) == (pattern.width(), pattern.height()) {
        return Ok(pattern);
    }
    if width < pattern.width() || height < pattern.height() {
        return Err(Error::InvalidSize(format!(
            "the pattern is {}x{} and does not fit the {width}x{height} grid",
            pattern.width(),
            pattern.height()
        )));
    }
    check_grids(width as u64, height as u64, 1, "the grid")?;
    let mut grid = Grid::new(width, height)?;
    grid.paste(
        &pattern,
        (width - pattern.width()) / 2,
        (height - pattern.height()) / 2,
    );
    Ok(grid)
}

/// A helper for readers: a position in the text, turned into an error.
pub(crate) fn parse_error(
    file: &str,
    line: usize,
    column: usize,
    message: impl Into<String>,
) -> Error {
    Error::Parse {
        file: file.to_string(),
        line,
        column,
        message: message.into(),
    }
}

/// A reader's grid: `width` × `height` checked against the limits and the memory available
/// before it is allocated; a refusal points at `line`:`column` of `file`.
pub(crate) fn new_grid(
    width: u64,
    height: u64,
    file: &str,
    line: usize,
    column: usize,
) -> Result<Grid> {
    let at = |e: Error| parse_error(file, line, column, e.to_string());
    check_grids(width.max(1), height.max(1), 1, "the pattern").map_err(at)?;
    Grid::new(width.max(1) as u32, height.max(1) as u32).map_err(at)
}

/// Sets `n` cells of row `y` alive from column `x` on, a word at a time. The caller has checked
/// that `x + n <= width` and `y < height`.
pub(crate) fn fill_run(grid: &mut Grid, x: u64, y: u64, n: u64) {
    let wpr = grid.words_per_row() as usize;
    let row = &mut grid.words_mut()[y as usize * wpr..(y as usize + 1) * wpr];
    let (mut x, end) = (x, x + n);
    while x < end {
        let bit = x % 32;
        let take = (32 - bit).min(end - x);
        let mask = if take == 32 {
            u32::MAX
        } else {
            ((1u32 << take) - 1) << bit
        };
        row[(x / 32) as usize] |= mask;
        x += take;
    }
}

/// Runs of equal cells in row `y` as (alive, length), without the trailing dead run. Reads whole
/// words, so long empty or full stretches cost one step per 32 cells.
pub(crate) fn row_runs(grid: &Grid, y: u32) -> Vec<(bool, u64)> {
    let mut runs: Vec<(bool, u64)> = Vec::new();
    let mut push = |alive: bool, n: u64| match runs.last_mut() {
        Some((a, len)) if *a == alive => *len += n,
        _ => runs.push((alive, n)),
    };
    let width = grid.width() as u64;
    for (i, &word) in grid.row(y).iter().enumerate() {
        let start = i as u64 * 32;
        let cells = (width - start).min(32);
        if word == 0 || (cells == 32 && word == u32::MAX) {
            push(word != 0, cells);
            continue;
        }
        for b in 0..cells {
            push((word >> b) & 1 == 1, 1);
        }
    }
    if runs.last().is_some_and(|(a, _)| !a) {
        runs.pop();
    }
    runs
}

/// A grid from a reader that lists cells by coordinates (Life 1.0x): `visit` walks the file and
/// calls its argument for every live cell. It runs twice, so that no list of cells is ever held:
/// once for the bounding box, then, with the grid allocated to that box, to set the cells.
pub(crate) fn grid_from_points(
    file: &str,
    mut visit: impl FnMut(&mut dyn FnMut(i64, i64) -> Result<()>) -> Result<()>,
) -> Result<Grid> {
    let mut bounds = BoundingBox::default();
    visit(&mut |x, y| {
        bounds.add(x, y);
        Ok(())
    })?;
    let ((x0, y0), (w, h)) = bounds.origin_and_size();
    let mut grid = new_grid(w, h, file, 1, 1)?;
    visit(&mut |x, y| {
        // Inside the bounding box by construction, so the offsets fit the grid.
        grid.set(x.abs_diff(x0) as u32, y.abs_diff(y0) as u32, true);
        Ok(())
    })?;
    Ok(grid)
}

/// The bounding box of a set of points, grown one point at a time, in `i64` so that Life 1.0x's
/// negative coordinates need no special case.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BoundingBox(Option<[i64; 4]>);

impl BoundingBox {
    /// Adds the cell (x, y).
    pub(crate) fn add(&mut self, x: i64, y: i64) {
        let [x0, y0, x1, y1] = self.0.unwrap_or([x, y, x, y]);
        self.0 = Some([x0.min(x), y0.min(y), x1.max(x), y1.max(y)]);
    }

    /// The top-left corner and the size (`(0, 0)` and 1x1 for no cells). The size is a `u64`:
    /// the span of two `i64`s can exceed `i64::MAX`, and is computed without overflow.
    pub(crate) fn origin_and_size(&self) -> ((i64, i64), (u64, u64)) {
        match self.0 {
            None => ((0, 0), (1, 1)),
            Some([x0, y0, x1, y1]) => {
                let span = |lo: i64, hi: i64| hi.abs_diff(lo).saturating_add(1);
                ((x0, y0), (span(x0, x1), span(y0, y1)))
            }
        }
    }
}
