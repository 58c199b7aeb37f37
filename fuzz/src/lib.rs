//! What every pattern-reader fuzz target checks. tests/fuzz_inputs.rs includes this file too,
//! so that the same checks run in `cargo test` on stable, without libFuzzer.

use speedup::life::formats::{decode, parse_bytes, parse_pattern, render_pattern, Format};
use speedup::life::RuleSpec;

/// Grids are capped at 1 MiB (8 Mi cells) while fuzzing: a header asking for more is refused
/// at once instead of filling memory, which is behaviour under test, not a finding.
pub const FUZZ_BUDGET_BYTES: u64 = 1 << 20;

/// Reads `data` as `format` (gzip, UTF-8 and header detection included): it must not panic.
/// When it succeeds, writing the pattern in the same format and reading it back must give the
/// same grid.
pub fn check(data: &[u8], format: Format) {
    speedup::life::memory::set_budget(Some(FUZZ_BUDGET_BYTES));
    // The readers work on bytes and check UTF-8 only where they must (and whenever they fail):
    // they must give what checking the whole text first gave, error for error.
    let from_bytes = parse_bytes(data, "fuzz-input", Some(format)).map_err(|e| e.to_string());
    let checked_first = decode(data, "fuzz-input", Some(format))
        .and_then(|(text, format)| parse_pattern(&text, "fuzz-input", format))
        .map_err(|e| e.to_string());
    assert_eq!(from_bytes, checked_first, "bytes path against text path");
    // A `#Life 1.0x` first line wins over the hint: the round trip uses the format read.
    let Ok((text, format)) = decode(data, "fuzz-input", Some(format)) else {
        return;
    };
    let Ok(pattern) = parse_pattern(&text, "fuzz-input", format) else {
        return;
    };
    let spec = pattern
        .rule
        .unwrap_or_else(|| RuleSpec::parse("B3/S23").expect("B3/S23 parses"));
    let text = render_pattern(&pattern.grid, &spec, format, pattern.name.as_deref());
    let back = parse_pattern(&text, "round-trip", format).unwrap_or_else(|e| {
        panic!(
            "a written {} file does not read back: {e}\n{text}",
            format.name()
        )
    });
    assert_eq!(
        back.grid,
        pattern.grid,
        "round trip through {}",
        format.name()
    );
}
