//! Pattern files in and out, compatible with Golly: RLE (`.rle`), plaintext (`.cells`), Life 1.05
//! and Life 1.06 (`.lif`, `.life`), each optionally gzip-compressed (`.rle.gz` and the like).
//!
//! Readers return a [`Pattern`]: the cells at the pattern's own size, plus the rule (with Golly's
//! `:T`/`:P` bounded-grid suffix) and comments where the format carries them. Every error is one
//! line naming the file, line and column and what was expected. No reader allocates more than the
//! file's text and the grid it describes (the Life 1.0x readers, which learn the grid's size only
//! at the end, also a working grid that grows to it, see `gather`: checked for two grids its
//! size, and written only where the cells are), and every grid's size is checked against
//! [`MAX_CELLS`](crate::life::grid::MAX_CELLS) and the memory available before it is allocated.
//!
//! Both directions stream (see docs/performance.md, "Pattern files"): readers walk the bytes of
//! the file as mapped into memory ([`crate::input`]; a pipe is read into one buffer), never
//! copied and not checked as UTF-8 as a whole (only what becomes a string is, and the whole file
//! when a reader fails, so the errors are the same); writers stream through a 128 KiB buffer
//! ([`TextSink`]) straight into the file, which [`write_pattern`] puts in place atomically. The
//! byte scans go through `simd::bytes` (SSE2, NEON or portable).

mod gather;
pub mod life105;
pub mod life106;
pub mod plaintext;
pub mod rle;

use super::grid::Grid;
use super::memory::check_grids;
use super::rule::RuleSpec;
use crate::error::{Error, Result};
use crate::simd::bytes::{find_byte, B16};
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
        Format::from_header_line(first)
    }

    /// [`Format::sniff`] on bytes that may not be UTF-8: only the lines up to the first
    /// non-blank one are looked at (and must be UTF-8 to announce anything).
    pub fn sniff_bytes(bytes: &[u8]) -> Option<Format> {
        let mut bytes = bytes;
        while let Some(rest) = bytes.strip_prefix("\u{feff}".as_bytes()) {
            bytes = rest;
        }
        let first = lines(bytes)
            .map(|l| std::str::from_utf8(l).map(str::trim))
            .find(|l| l.as_ref().map_or(true, |l| !l.is_empty()))?
            .ok()?;
        Format::from_header_line(first)
    }

    fn from_header_line(first: &str) -> Option<Format> {
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
///
/// A regular file is mapped, not copied ([`crate::input`]); a pipe or `/dev/stdin` is read
/// whole; gzip is decompressed into memory. The readers work on the bytes: UTF-8 is checked
/// only where text becomes a string (names, comments) and, when a reader finds anything wrong,
/// for the whole file, so that a file that is not UTF-8 gets the same error as always.
pub fn read_pattern(path: &Path) -> Result<Pattern> {
    let file = path.display().to_string();
    let source = crate::input::read_file(path, MAX_FILE_BYTES, |n| too_large(&file, n))?;
    let bytes = source.bytes();
    let hint = Format::from_path(path).ok();
    if hint.is_none() && !bytes.starts_with(&GZIP_MAGIC) && Format::sniff_bytes(bytes).is_none() {
        // Neither the extension nor the content says what this is.
        Format::from_path(path)?;
    }
    parse_bytes(bytes, &file, hint)
}

fn too_large(file: &str, bytes: u64) -> Error {
    Error::InvalidSize(format!(
        "{file}: {bytes} bytes is larger than the {} MiB limit for pattern files",
        MAX_FILE_BYTES >> 20
    ))
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Parses a pattern from raw bytes: decompresses gzip (recognised by its magic bytes), picks
/// the format (a `#Life 1.0x` first line wins over `hint`, the extension's; with neither, RLE)
/// and reads it with [`parse_pattern_bytes`]. `file` names the source in errors. This is what
/// [`read_pattern`] and the fuzz tests drive.
pub fn parse_bytes(bytes: &[u8], file: &str, hint: Option<Format>) -> Result<Pattern> {
    if bytes.starts_with(&GZIP_MAGIC) {
        let plain = gunzip(bytes, file)?;
        return parse_bytes(&plain, file, hint);
    }
    let format = Format::sniff_bytes(bytes).or(hint).unwrap_or(Format::Rle);
    parse_pattern_bytes(bytes, file, format)
}

/// Turns a file's bytes into text and its format, as [`parse_bytes`] does, for callers that
/// want the text: decompresses gzip, checks UTF-8 (an error names the line and column of the
/// first bad byte) and picks the format.
pub fn decode(bytes: &[u8], file: &str, hint: Option<Format>) -> Result<(String, Format)> {
    let bytes = if bytes.starts_with(&GZIP_MAGIC) {
        gunzip(bytes, file)?
    } else {
        bytes.to_vec()
    };
    let format = Format::sniff_bytes(&bytes).or(hint).unwrap_or(Format::Rle);
    match String::from_utf8(bytes) {
        Ok(text) => Ok((text, format)),
        Err(e) => Err(utf8_error(e.as_bytes(), file).expect("not UTF-8")),
    }
}

/// The error for text that is not UTF-8, at the line and column of its first bad byte; `None`
/// when it is UTF-8.
fn utf8_error(bytes: &[u8], file: &str) -> Option<Error> {
    let valid = match std::str::from_utf8(bytes) {
        Ok(_) => return None,
        Err(e) => e.valid_up_to(),
    };
    let prefix = &bytes[..valid];
    let line = prefix.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = prefix.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    Some(parse_error(
        file,
        line,
        column,
        "the file is not valid UTF-8 text",
    ))
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
    parse_pattern_bytes(text.as_bytes(), file, format)
}

/// [`parse_pattern`] on bytes that may not be UTF-8. The readers accept only ASCII where cells
/// are, so the text is not checked as a whole on the way in: each reader checks the lines it
/// turns into strings, and whenever it fails, the whole text is checked, so that a file that is
/// not UTF-8 is refused with the position of its first bad byte, as when it was checked first.
pub fn parse_pattern_bytes(text: &[u8], file: &str, format: Format) -> Result<Pattern> {
    parse_unchecked(text, file, format).map_err(|e| utf8_error(text, file).unwrap_or(e))
}

fn parse_unchecked(text: &[u8], file: &str, format: Format) -> Result<Pattern> {
    match format {
        // A plaintext pattern saved as .rle reads as an empty RLE pattern (its `!Name:` line
        // ends the pattern) or fails on its first `O`: say what the file is instead.
        Format::Rle if reads_as_plaintext(text) => Err(Error::InvalidArgument(format!(
            "{file}: this is a plaintext pattern (rows of . and O), not RLE as its name says: \
             rename it to .cells"
        ))),
        Format::Rle => rle::parse_bytes(text, file),
        Format::Plaintext => plaintext::parse_bytes(text, file),
        Format::Life105 => life105::parse_bytes(text, file),
        Format::Life106 => life106::parse_bytes(text, file),
    }
}

/// Whether `text` is laid out as a plaintext pattern: `!` comments and rows of `.` and `O` only.
fn reads_as_plaintext(text: &[u8]) -> bool {
    // Lazily: an RLE file fails on its first row, without the rest being split into lines.
    let mut rows = lines(text)
        .map(trim_end_ascii)
        .filter(|l| !l.is_empty() && !l.starts_with(b"!"))
        .peekable();
    rows.peek().is_some() && rows.all(|l| l.iter().all(|&c| matches!(c, b'.' | b'O')))
}

/// The lines of `text` as `str::lines` makes them: split at `\n`, a `\r` just before a `\n`
/// dropped, no empty last line after a final `\n`.
pub(crate) fn lines(text: &[u8]) -> Lines<'_> {
    Lines { rest: text }
}

/// The iterator [`lines`] returns.
pub(crate) struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        match find_byte(self.rest, 0, b'\n') {
            Some(end) => {
                let line = &self.rest[..end];
                self.rest = &self.rest[end + 1..];
                Some(line.strip_suffix(b"\r").unwrap_or(line))
            }
            None => Some(std::mem::take(&mut self.rest)),
        }
    }
}

/// Whether `b` is white space as `char::is_whitespace` has it, for ASCII (`\t` to `\r` and
/// the space; note that `u8::is_ascii_whitespace` leaves out `\x0b`).
#[inline]
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// `line` without trailing white space, as `str::trim_end` gives it for an ASCII line (a line
/// ending in a non-ASCII byte keeps it: callers that must trim Unicode spaces check it as text).
pub(crate) fn trim_end_ascii(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(0, |i| i + 1);
    &line[..end]
}

/// `bytes` as text, or an error at `line` (any error will do: the caller's failure makes
/// [`parse_pattern_bytes`] report the first bad byte of the whole file instead).
pub(crate) fn text_of<'a>(bytes: &'a [u8], file: &str, line: usize) -> Result<&'a str> {
    std::str::from_utf8(bytes)
        .map_err(|_| parse_error(file, line, 1, "the file is not valid UTF-8 text"))
}

/// The character at `bytes[i..]`, for messages; U+FFFD where the bytes are not UTF-8 (the
/// error is then replaced by the UTF-8 one, see [`parse_pattern_bytes`]).
pub(crate) fn char_at(bytes: &[u8], i: usize) -> char {
    let end = (i + 4).min(bytes.len());
    (i + 1..=end)
        .find_map(|e| std::str::from_utf8(&bytes[i..e]).ok())
        .and_then(|s| s.chars().next())
        .unwrap_or('\u{fffd}')
}

/// Renders `grid` in `format`. For RLE, `rule` (with its suffix) goes in the header; Life 1.05
/// keeps the rule without the suffix; plaintext and Life 1.06 carry no rule.
pub fn render_pattern(grid: &Grid, rule: &RuleSpec, format: Format, name: Option<&str>) -> String {
    let mut out = Vec::new();
    write_pattern_to(&mut out, grid, rule, format, name).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("pattern writers produce UTF-8")
}

/// [`render_pattern`], streamed into `out` (a file, a gzip encoder) through a 128 KiB buffer, so
/// that no copy of the whole text is ever held.
pub fn write_pattern_to(
    out: &mut dyn Write,
    grid: &Grid,
    rule: &RuleSpec,
    format: Format,
    name: Option<&str>,
) -> std::io::Result<()> {
    match format {
        Format::Rle => rle::write_to(out, grid, rule, name),
        Format::Plaintext => plaintext::write_to(out, grid, name),
        Format::Life105 => life105::write_to(out, grid, &rule.rule, name),
        Format::Life106 => life106::write_to(out, grid),
    }
}

/// The gzip level of `.gz` output: 3, not gzip's own default of 6. On a 2048² soup's RLE,
/// zlib-rs at level 6 is about 5 times slower than at level 3 (about 0.3 s against 0.06 s on
/// the development guest, longer than the run it saves) for a file only 12% smaller (25.7%
/// of the text against 28.8%); level 1, faster again, is nearly twice as large as level 3
/// (49%). docs/performance.md, "Pattern files without copies", has the table.
pub const GZIP_LEVEL: u32 = 3;

/// Writes `grid` to `path` in the format its extension names, gzip-compressed when the name ends
/// in `.gz` (at [`GZIP_LEVEL`]), atomically. The text is streamed into the file (or the encoder), never held whole.
pub fn write_pattern(path: &Path, grid: &Grid, rule: &RuleSpec) -> Result<()> {
    let format = Format::from_path(path)?;
    let gzip = is_gzip_path(path);
    crate::output::write_atomic_with(path, |file| {
        // The disk starts on the text while the rest is written (see `Writeback`).
        let file = &mut crate::output::Writeback::new(file);
        if gzip {
            let level = flate2::Compression::new(GZIP_LEVEL);
            let mut gz = flate2::write::GzEncoder::new(file, level);
            write_pattern_to(&mut gz, grid, rule, format, None)?;
            gz.finish()?;
            Ok(())
        } else {
            write_pattern_to(file, grid, rule, format, None)
        }
    })
}

/// A write buffer for the pattern writers: bytes are gathered in [`TextSink::CHUNK`] and handed
/// to the underlying writer in one call (one `write` system call per chunk for a file), so a
/// writer may emit one token at a time cheaply. Hot loops write straight into the buffer's free
/// space ([`TextSink::room`], then [`TextSink::advance`]), with no capacity check per byte.
pub struct TextSink<'a> {
    buf: Box<[u8]>,
    len: usize,
    /// Bytes passed on to `out` so far.
    passed: u64,
    out: &'a mut dyn Write,
}

impl<'a> TextSink<'a> {
    /// Bytes gathered before they are passed on: large enough that a file gets few system calls
    /// (each `write` costs about 1 µs on tmpfs, several on ext4, which dirties the inode's
    /// times in its journal at each), small enough to stay in the core's L2 cache while it
    /// fills. Its pages are new to the process, each faulted in and zeroed once: with a 256 KiB
    /// buffer, a C program wrote a 3.2 MB tmpfs file 0.1 ms slower than with 64 KiB, and with
    /// 64 KiB this writer wrote it to ext4 no faster than with 256 KiB (docs/performance.md,
    /// "The RLE writer at 1 GB/s?").
    pub const CHUNK: usize = 1 << 17;

    /// What the sink passes on before the end ends at a multiple of this in the output: a
    /// `write` that ends inside a page of a file's cache has the kernel zero the page's rest
    /// and the next `write` take the page again (on tmpfs, about 4% of a 3.2 MB file's `write`
    /// time with 64 KiB `write`s).
    const PAGE: u64 = 4096;

    /// A sink in front of `out`.
    pub fn new(out: &'a mut dyn Write) -> Self {
        TextSink {
            buf: vec![0; Self::CHUNK].into_boxed_slice(),
            len: 0,
            passed: 0,
            out,
        }
    }

    /// Appends `bytes`, passing the buffer on when it is full.
    #[inline]
    pub fn push(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        loop {
            let n = bytes.len().min(self.buf.len() - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
            self.len += n;
            bytes = &bytes[n..];
            if bytes.is_empty() {
                return Ok(());
            }
            // The buffer is full: this frees all but less than a page of it.
            self.pass_pages()?;
        }
    }

    /// At least `n` free bytes, to be filled in place and then kept with
    /// [`TextSink::advance`]. Bytes past those kept are scratch: a writer may store whole words
    /// and keep only part of them. The buffer grows for an `n` above what passing it on frees
    /// (a row of a very wide grid).
    #[inline]
    pub fn room(&mut self, n: usize) -> std::io::Result<&mut [u8]> {
        if self.buf.len() - self.len < n {
            self.pass_pages()?;
            if self.buf.len() - self.len < n {
                let mut bigger = vec![0; self.len + n].into_boxed_slice();
                bigger[..self.len].copy_from_slice(&self.buf[..self.len]);
                self.buf = bigger;
            }
        }
        Ok(&mut self.buf[self.len..])
    }

    /// Keeps `n` bytes written into [`TextSink::room`].
    #[inline]
    pub fn advance(&mut self, n: usize) {
        debug_assert!(self.len + n <= self.buf.len());
        self.len += n;
    }

    /// Passes on the bytes up to the last [`TextSink::PAGE`] boundary of the output and moves
    /// the rest (less than a page) to the front.
    fn pass_pages(&mut self) -> std::io::Result<()> {
        let tail = ((self.passed + self.len as u64) % Self::PAGE) as usize;
        if tail < self.len {
            let whole = self.len - tail;
            self.out.write_all(&self.buf[..whole])?;
            self.passed += whole as u64;
            self.buf.copy_within(whole..self.len, 0);
            self.len = tail;
        }
        Ok(())
    }

    /// Passes on every byte gathered.
    fn pass_all(&mut self) -> std::io::Result<()> {
        self.out.write_all(&self.buf[..self.len])?;
        self.passed += self.len as u64;
        self.len = 0;
        Ok(())
    }

    /// Passes on what is left and flushes the underlying writer.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.pass_all()?;
        self.out.flush()
    }
}

/// Writes `n` in decimal at the end of `buf`, returning where its digits start. `buf` must hold
/// 20 bytes (`u64::MAX`).
#[inline]
pub(crate) fn format_u64(mut n: u64, buf: &mut [u8]) -> usize {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return i;
        }
    }
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

/// Sets `n` cells of row `y` of a grid's words (`wpr` to a row) alive from column `x` on, a
/// word at a time. The caller has checked that `x + n <= width` and `y < height`.
#[inline]
fn fill_words(words: &mut [u32], wpr: usize, x: u64, y: u64, n: u64) {
    let bit = x % 32;
    if bit + n <= 32 {
        // The common case (a soup's runs are short): one word, one OR.
        let mask = ((1u64 << n) - 1) << bit;
        words[y as usize * wpr + (x / 32) as usize] |= mask as u32;
        return;
    }
    let row = &mut words[y as usize * wpr..(y as usize + 1) * wpr];
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

/// Whether a byte of a plaintext or Life 1.05 row is a cell: `.` dead, `O`/`o`/`*` alive.
#[inline]
pub(crate) fn is_cell_byte(b: u8) -> bool {
    matches!(b, b'.' | b'O' | b'o' | b'*')
}

/// Index of the first byte of `row` that is not a cell character, if any.
#[inline]
pub(crate) fn first_non_cell(row: &[u8]) -> Option<usize> {
    // Checked 16 bytes at a time ([`cell_masks`]); only the remainder a byte at a time.
    let mut chunks = row.chunks_exact(16);
    let mut base = 0;
    for chunk in chunks.by_ref() {
        let (_, valid) = cell_masks(chunk.try_into().expect("16 bytes"));
        if valid != 0xffff {
            return Some(base + (!valid).trailing_zeros() as usize);
        }
        base += 16;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| !is_cell_byte(b))
        .map(|i| base + i)
}

/// For 16 bytes of a row of cells: which are not `.` (alive, if they are cell characters at
/// all) and which are cell characters, bit j for byte j, compared 16 at a time
/// ([`crate::simd::bytes`]).
#[inline]
pub(crate) fn cell_masks(bytes: &[u8; 16]) -> (u32, u32) {
    let v = B16::load(bytes);
    let dead = v.eq(b'.');
    let valid = dead.or(v.eq(b'O')).or(v.eq(b'o').or(v.eq(b'*')));
    (!dead.mask() & 0xffff, valid.mask())
}

/// [`cell_masks`] a byte at a time: the definition it is tested against.
#[cfg(test)]
pub(crate) fn cell_masks_portable(bytes: &[u8; 16]) -> (u32, u32) {
    let (mut alive, mut valid) = (0, 0);
    for (j, &b) in bytes.iter().enumerate() {
        alive |= ((b != b'.') as u32) << j;
        valid |= (is_cell_byte(b) as u32) << j;
    }
    (alive, valid)
}

/// ORs the cells of `cells` (checked cell characters, anything but `.` alive) into `row` from
/// column `x0` on, 32 cells at a time. The caller has checked that they fit the row.
pub(crate) fn pack_cells(row: &mut [u32], x0: u64, cells: &[u8]) {
    let shift = (x0 % 32) as u32;
    let mut put = |word_at: usize, word: u32| {
        row[word_at] |= word << shift;
        if shift != 0 && word >> (32 - shift) != 0 {
            row[word_at + 1] |= word >> (32 - shift);
        }
    };
    let mut chunks = cells.chunks_exact(32);
    let mut word_at = (x0 / 32) as usize;
    for chunk in chunks.by_ref() {
        let (lo, _) = cell_masks(chunk[..16].try_into().expect("16 bytes"));
        let (hi, _) = cell_masks(chunk[16..].try_into().expect("16 bytes"));
        put(word_at, lo | hi << 16);
        word_at += 1;
    }
    let mut word = 0u32;
    for (j, &b) in chunks.remainder().iter().enumerate() {
        word |= ((b != b'.') as u32) << j;
    }
    if word != 0 {
        put(word_at, word);
    }
}

/// The 8 characters for each byte of cells (bit 0 first), `dead` and `alive` as given.
pub(crate) const fn cell_chars(dead: u8, alive: u8) -> [[u8; 8]; 256] {
    let mut table = [[0u8; 8]; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut bit = 0;
        while bit < 8 {
            table[byte][bit] = if (byte >> bit) & 1 == 1 { alive } else { dead };
            bit += 1;
        }
        byte += 1;
    }
    table
}

/// Writes the characters of cells `x0 .. x1` of `row` (32-bit words, bit 0 first) at the start
/// of `out`, through `table` (see [`cell_chars`]), 8 cells per look-up, and returns how many
/// (`x1 - x0`). `out` must hold [`PUSH_CELLS_SLACK`] bytes more than that: whole groups of 32
/// are stored, and the bytes past the last cell are scratch.
pub(crate) fn push_cells(
    table: &[[u8; 8]; 256],
    row: &[u32],
    x0: u32,
    x1: u32,
    out: &mut [u8],
) -> usize {
    let (mut x, mut at) = (x0, 0);
    while x < x1 {
        // The 32 cells from x on, gathered from one or two words.
        let (i, s) = ((x / 32) as usize, x % 32);
        let mut word = row[i] >> s;
        if s != 0 && i + 1 < row.len() {
            word |= row[i + 1] << (32 - s);
        }
        let chars = &mut out[at..at + 32];
        for (k, part) in chars.chunks_exact_mut(8).enumerate() {
            part.copy_from_slice(&table[((word >> (8 * k)) & 0xff) as usize]);
        }
        let n = (x1 - x).min(32);
        at += n as usize;
        x += n;
    }
    at
}

/// Scratch bytes [`push_cells`] may store past the cells it writes.
pub(crate) const PUSH_CELLS_SLACK: usize = 32;

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

/// The grid of `cells` at their bounding box, as the Life 1.0x readers make it: the tests'
/// definition. `None` when it is too large to make.
#[cfg(test)]
pub(crate) fn grid_of_cells(cells: &[(i64, i64)]) -> Option<Grid> {
    let mut bounds = BoundingBox::default();
    for &(x, y) in cells {
        bounds.add(x, y);
    }
    let ((x0, y0), (w, h)) = bounds.origin_and_size();
    let mut grid = Grid::new(w.try_into().ok()?, h.try_into().ok()?).ok()?;
    for &(x, y) in cells {
        grid.set(x.abs_diff(x0) as u32, y.abs_diff(y0) as u32, true);
    }
    Some(grid)
}

/// `grid` cut to its live cells' bounding box (what a Life 1.0x file of it reads back as).
#[cfg(test)]
pub(crate) fn cropped(grid: &Grid) -> Grid {
    let cells: Vec<(i64, i64)> = grid
        .live_cells()
        .map(|(x, y)| (x as i64, y as i64))
        .collect();
    grid_of_cells(&cells).expect("smaller than the grid")
}

/// Appends `line` to a test file with the ending that `r` picks (`\r\n` one time in 8), or
/// none when it is the `last` line and the file is to miss its final newline.
#[cfg(test)]
pub(crate) fn push_line(text: &mut String, line: &str, r: u64, last: bool) {
    text.push_str(line);
    text.push_str(match r % 8 {
        _ if last => "",
        0 => "\r\n",
        _ => "\n",
    });
}

/// Holds a reader's result for `text` to the reference's: both refuse it, or both read the
/// same. Returns whether it was read.
#[cfg(test)]
pub(crate) fn same_as_reference<T: PartialEq + std::fmt::Debug>(
    text: &str,
    got: Option<T>,
    want: Option<T>,
) -> bool {
    assert_eq!(got.is_some(), want.is_some(), "{text:?}: {got:?}");
    if let (Some(got), Some(want)) = (&got, &want) {
        assert_eq!(got, want, "{text:?}");
    }
    got.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_masks_match_their_definition() {
        let mut rng = crate::random::SplitMix64::new(5);
        let alphabet = b".Oo*x \x80\xff";
        for _ in 0..2000 {
            let bytes: [u8; 16] =
                std::array::from_fn(|_| alphabet[rng.next_u64() as usize % alphabet.len()]);
            assert_eq!(cell_masks(&bytes), cell_masks_portable(&bytes), "{bytes:?}");
        }
    }

    /// Whatever is pushed or written in place, in pieces of any size (some larger than the
    /// buffer), the bytes come out in order, and every `write` but the last ends at a page
    /// boundary of the output.
    #[test]
    fn text_sink_passes_whole_pages_in_order() {
        struct Record(Vec<u8>, Vec<usize>);
        impl Write for Record {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.extend_from_slice(b);
                self.1.push(self.0.len());
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut rng = crate::random::SplitMix64::new(7);
        let mut out = Record(Vec::new(), Vec::new());
        let mut want = Vec::new();
        let mut sink = TextSink::new(&mut out);
        for i in 0..400 {
            let n = match rng.next_u64() % 8 {
                0 => TextSink::CHUNK + rng.next_u64() as usize % 5000,
                1..=3 => rng.next_u64() as usize % 70_000,
                _ => rng.next_u64() as usize % 300,
            };
            let piece: Vec<u8> = (0..n).map(|k| (i * 31 + k) as u8).collect();
            if i % 2 == 0 {
                sink.push(&piece).unwrap();
            } else {
                let room = sink.room(n + 8).unwrap();
                room[..n].copy_from_slice(&piece);
                sink.advance(n);
            }
            want.extend_from_slice(&piece);
        }
        sink.finish().unwrap();
        assert!(out.0 == want);
        let (last, ends) = out.1.split_last().unwrap();
        assert_eq!(*last, want.len());
        assert!(
            ends.iter()
                .all(|e| (*e as u64).is_multiple_of(TextSink::PAGE)),
            "{ends:?}"
        );
    }

    /// A row wider than [`TextSink::CHUNK`] asks its sink for more room than the buffer holds
    /// (Life 1.05 writes a row at once): the buffer grows, every format round-trips.
    #[test]
    fn rows_wider_than_the_sink_round_trip() {
        let w = TextSink::CHUNK as u32 + 4321;
        let mut grid = Grid::new(w, 3).unwrap();
        for x in [0, 1, 5000, TextSink::CHUNK as u32, w - 1] {
            grid.set(x, 1, true);
        }
        grid.set(w / 2, 2, true);
        let rule = RuleSpec::parse("B3/S23").unwrap();
        // Plaintext and the Life 1.0x formats keep the cells' extent, not the grid's size: the
        // cells are compared from the first one.
        let from_first = |g: &Grid| {
            let cells: Vec<(u32, u32)> = g.live_cells().collect();
            let (x0, y0) = (cells[0].0 as i64, cells[0].1 as i64);
            let shifted = cells.iter().map(|&(x, y)| (x as i64 - x0, y as i64 - y0));
            shifted.collect::<Vec<_>>()
        };
        for ext in ["rle", "cells", "lif", "life"] {
            let format = Format::from_path(Path::new(&format!("wide.{ext}"))).unwrap();
            let text = render_pattern(&grid, &rule, format, None);
            let back = parse_pattern(&text, "wide", format).unwrap().grid;
            assert_eq!(from_first(&grid), from_first(&back), "{format:?}");
        }
    }

    #[test]
    fn lines_split_as_str_lines() {
        for text in [
            "", "\n", "a", "a\n", "a\n\n", "a\r\nb", "a\rb\r", "\r\n\r\n", "x\ny\r",
        ] {
            let want: Vec<&[u8]> = text.lines().map(str::as_bytes).collect();
            let got: Vec<&[u8]> = lines(text.as_bytes()).collect();
            assert_eq!(got, want, "{text:?}");
        }
    }
}
