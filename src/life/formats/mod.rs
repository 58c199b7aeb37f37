//! Pattern files in and out, compatible with Golly: RLE (`.rle`) and plaintext (`.cells`).
//!
//! Readers return a [`Pattern`]: the cells at the pattern's own size, plus the rule (with Golly's
//! `:T`/`:P` bounded-grid suffix) and comments where the format carries them. Every error names
//! the file, line and column. Writers produce whole files in memory; [`write_pattern`] then
//! writes them atomically.

pub mod plaintext;
pub mod rle;

use super::grid::Grid;
use super::rule::RuleSpec;
use crate::error::{Error, Result};
use std::path::Path;

/// A pattern as read from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// The cells, at the size the file declares (RLE header) or implies (plaintext).
    pub grid: Grid,
    /// The rule and bounded-grid suffix, when the file gives one.
    pub rule: Option<RuleSpec>,
    /// The pattern's name (`#N` in RLE, `!Name:` in plaintext).
    pub name: Option<String>,
    /// Other comment lines, without their `#C` / `!` markers.
    pub comments: Vec<String>,
}

/// The pattern file formats speedup reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Run-length encoded, Golly's native format (`.rle`).
    Rle,
    /// Plaintext (`.cells`): `.` dead, `O` alive, `!` comments.
    Plaintext,
}

impl Format {
    /// The format named by a file's extension.
    pub fn from_path(path: &Path) -> Result<Format> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "rle" => Ok(Format::Rle),
            "cells" | "txt" => Ok(Format::Plaintext),
            _ => Err(Error::InvalidArgument(format!(
                "{}: unknown pattern format '.{ext}': expected .rle or .cells",
                path.display()
            ))),
        }
    }
}

/// Largest pattern file read, so a hostile file cannot exhaust memory before parsing starts.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// Reads a pattern file, choosing the format by extension.
pub fn read_pattern(path: &Path) -> Result<Pattern> {
    let format = Format::from_path(path)?;
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::InvalidSize(format!(
            "{}: file of {} bytes is larger than the {} MiB limit",
            path.display(),
            meta.len(),
            MAX_FILE_BYTES >> 20
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let name = path.display().to_string();
    let text = String::from_utf8(bytes).map_err(|e| {
        let prefix = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = prefix.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = prefix.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        Error::Parse {
            file: name.clone(),
            line,
            column,
            message: "the file is not valid UTF-8 text".into(),
        }
    })?;
    parse_pattern(&text, &name, format)
}

/// Parses pattern text in `format`; `file` names the source in error messages.
pub fn parse_pattern(text: &str, file: &str, format: Format) -> Result<Pattern> {
    match format {
        Format::Rle => rle::parse(text, file),
        Format::Plaintext => plaintext::parse(text, file),
    }
}

/// Renders `grid` in `format`. For RLE, `rule` (with its suffix) goes in the header.
pub fn render_pattern(grid: &Grid, rule: &RuleSpec, format: Format, name: Option<&str>) -> String {
    match format {
        Format::Rle => rle::write(grid, rule, name),
        Format::Plaintext => plaintext::write(grid, name),
    }
}

/// Writes `grid` to `path` in the format its extension names, atomically.
pub fn write_pattern(path: &Path, grid: &Grid, rule: &RuleSpec) -> Result<()> {
    let format = Format::from_path(path)?;
    crate::output::write_atomic(path, render_pattern(grid, rule, format, None).as_bytes())
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
