//! Life-like rules in B/S notation, and Golly's bounded-grid suffixes (`:T W,H`, `:P W,H`).
//!
//! Accepted spellings: `B3/S23`, `b3s23`, `S23/B3`, and the old survival/birth form `23/3`.
//! Multi-state, non-totalistic and Klein-bottle rules are named as unsupported.

use crate::error::{Error, Result};
use std::fmt;

/// A Life-like (outer-totalistic, two-state, Moore neighbourhood) rule.
///
/// Bit `k` of `birth` is set when a dead cell with `k` live neighbours is born; bit `k` of
/// `survival` when a live cell with `k` live neighbours survives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    /// Neighbour counts (bits 0..=8) that bring a dead cell to life.
    pub birth: u16,
    /// Neighbour counts (bits 0..=8) that keep a live cell alive.
    pub survival: u16,
}

impl Rule {
    /// Conway's Game of Life, B3/S23.
    pub const CONWAY: Rule = Rule {
        birth: 1 << 3,
        survival: (1 << 2) | (1 << 3),
    };

    /// Builds a rule from lists of neighbour counts.
    pub fn new(birth: &[u8], survival: &[u8]) -> Result<Rule> {
        let mask = |counts: &[u8]| -> Result<u16> {
            counts.iter().try_fold(0u16, |m, &k| {
                if k > 8 {
                    Err(Error::InvalidRule(format!(
                        "neighbour count {k} is above 8"
                    )))
                } else {
                    Ok(m | 1 << k)
                }
            })
        };
        Ok(Rule {
            birth: mask(birth)?,
            survival: mask(survival)?,
        })
    }

    /// Whether a cell with `alive` state and `neighbours` live neighbours is alive next generation.
    pub fn next_state(&self, alive: bool, neighbours: u32) -> bool {
        let set = if alive { self.survival } else { self.birth };
        (set >> neighbours) & 1 == 1
    }

    /// The rule as a function of the 3×3 sum (the cell plus its eight neighbours, 0..=9), which
    /// is what the bit-sliced kernels count: bit `s` of the first mask is set when a dead cell with
    /// 3×3 sum `s` is born, bit `s` of the second when a live cell with sum `s` survives.
    pub fn nine_sum_masks(&self) -> (u16, u16) {
        (self.birth, self.survival << 1)
    }

    /// Parses a rule string in any accepted spelling, without a topology suffix.
    pub fn parse(text: &str) -> Result<Rule> {
        let spec = RuleSpec::parse(text)?;
        if spec.bounds.is_some() {
            return Err(Error::InvalidRule(format!(
                "'{text}': a topology suffix is not allowed here; use --topology and --size"
            )));
        }
        Ok(spec.rule)
    }
}

impl Default for Rule {
    fn default() -> Self {
        Rule::CONWAY
    }
}

impl fmt::Display for Rule {
    /// Writes canonical `B3/S23` notation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = |m: u16| -> String {
            (0..=8)
                .filter(|k| (m >> k) & 1 == 1)
                .map(|k| char::from(b'0' + k as u8))
                .collect()
        };
        write!(f, "B{}/S{}", digits(self.birth), digits(self.survival))
    }
}

impl std::str::FromStr for Rule {
    type Err = Error;
    fn from_str(s: &str) -> Result<Rule> {
        Rule::parse(s)
    }
}

/// How the grid's edges behave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Topology {
    /// Edges wrap around (Golly's `:T`): neighbours are taken modulo width and height.
    #[default]
    Torus,
    /// Cells outside the grid are dead (Golly's `:P`, a plane bounded by dead cells).
    Bounded,
}

impl Topology {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Topology::Torus => "torus",
            Topology::Bounded => "bounded",
        }
    }

    /// Golly's suffix letter.
    pub fn golly_letter(self) -> char {
        match self {
            Topology::Torus => 'T',
            Topology::Bounded => 'P',
        }
    }
}

impl fmt::Display for Topology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Topology {
    type Err = Error;
    fn from_str(s: &str) -> Result<Topology> {
        match s.to_ascii_lowercase().as_str() {
            "torus" | "t" => Ok(Topology::Torus),
            "bounded" | "plane" | "p" => Ok(Topology::Bounded),
            _ => Err(Error::InvalidArgument(format!(
                "unknown topology '{s}': expected torus or bounded"
            ))),
        }
    }
}

/// A grid's bounds from a Golly suffix: topology and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Torus or bounded plane.
    pub topology: Topology,
    /// Width in cells.
    pub width: u32,
    /// Height in cells.
    pub height: u32,
}

/// A rule with an optional Golly bounded-grid suffix, as found in RLE headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleSpec {
    /// The birth/survival rule.
    pub rule: Rule,
    /// Topology and size from a `:T W,H` or `:P W,H` suffix.
    pub bounds: Option<Bounds>,
}

impl RuleSpec {
    /// Parses `B3/S23`, `B3/S23:T64,64`, `23/3:P10,20` and the other accepted spellings.
    pub fn parse(text: &str) -> Result<RuleSpec> {
        let text = text.trim();
        let (rule_part, suffix) = match text.split_once(':') {
            Some((r, s)) => (r.trim(), Some(s.trim())),
            None => (text, None),
        };
        let rule = parse_bs(rule_part)?;
        let bounds = suffix.map(|s| parse_suffix(s, text)).transpose()?;
        Ok(RuleSpec { rule, bounds })
    }

    /// Writes the rule and its suffix the way Golly does: `B3/S23:T64,64`.
    pub fn to_golly(&self) -> String {
        match self.bounds {
            None => self.rule.to_string(),
            Some(b) => format!(
                "{}:{}{},{}",
                self.rule,
                b.topology.golly_letter(),
                b.width,
                b.height
            ),
        }
    }
}

fn unsupported(text: &str, why: &str) -> Error {
    Error::InvalidRule(format!(
        "'{text}': {why} is not supported (only two-state Life-like B/S rules)"
    ))
}

fn parse_bs(text: &str) -> Result<Rule> {
    if text.is_empty() {
        return Err(Error::InvalidRule("empty rule".into()));
    }
    let lower = text.to_ascii_lowercase();
    // Generations rules: a G or C part, or three slash-separated parts (345/2/4, B2/S345/C4).
    if lower.contains('g')
        || lower.contains('c') && !lower.contains('b')
        || lower.matches('/').count() >= 2
    {
        return Err(unsupported(text, "a multi-state (Generations) rule"));
    }
    if lower.starts_with('w') {
        return Err(unsupported(text, "a Wolfram (one-dimensional) rule"));
    }
    if lower.contains('h') || lower.contains('v') && !lower.contains('/') {
        return Err(unsupported(
            text,
            "a hexagonal or von Neumann neighbourhood",
        ));
    }
    let digits = |s: &str, which: &str| -> Result<Vec<u8>> {
        let mut out = Vec::new();
        for c in s.chars() {
            match c {
                '0'..='8' => {
                    let d = c as u8 - b'0';
                    if out.contains(&d) {
                        return Err(Error::InvalidRule(format!(
                            "'{text}': {which} count {d} given twice"
                        )));
                    }
                    out.push(d);
                }
                '9' => {
                    return Err(Error::InvalidRule(format!(
                        "'{text}': neighbour count 9 is impossible (at most 8 neighbours)"
                    )))
                }
                c if c.is_ascii_alphabetic() => {
                    return Err(unsupported(text, "a non-totalistic (isotropic) rule"))
                }
                _ => {
                    return Err(Error::InvalidRule(format!(
                        "'{text}': unexpected character '{c}' in {which} counts"
                    )))
                }
            }
        }
        Ok(out)
    };
    // B/S forms, in either order, with or without the slash.
    if lower.starts_with('b') || lower.starts_with('s') {
        let (mut birth, mut survival) = (None, None);
        for part in split_bs(&lower) {
            // Every part must open with its tag: "x23" in "b3/x23" is not a survival part (and
            // a part may open with a multi-byte character, which must not be split).
            if !(part.starts_with('b') || part.starts_with('s')) {
                return Err(Error::InvalidRule(format!(
                    "'{text}': unexpected '{part}': expected B (birth) and S (survival) parts, \
                     as in B3/S23"
                )));
            }
            let (tag, rest) = part.split_at(1);
            let slot = if tag == "b" {
                &mut birth
            } else {
                &mut survival
            };
            if slot.is_some() {
                return Err(Error::InvalidRule(format!("'{text}': '{tag}' given twice")));
            }
            *slot = Some(digits(rest, if tag == "b" { "birth" } else { "survival" })?);
        }
        let (Some(b), Some(s)) = (birth, survival) else {
            return Err(Error::InvalidRule(format!(
                "'{text}': expected both B (birth) and S (survival) parts, as in B3/S23"
            )));
        };
        return Rule::new(&b, &s);
    }
    // The old form: survival/birth, as in 23/3.
    if let Some((s, b)) = lower.split_once('/') {
        return Rule::new(&digits(b, "birth")?, &digits(s, "survival")?);
    }
    Err(Error::InvalidRule(format!(
        "'{text}': expected B/S notation such as B3/S23 (or S23/B3, or 23/3)"
    )))
}

/// Splits "b3/s23", "b3s23" or "s23/b3" into ["b3", "s23"] (parts keep their tag letter).
fn split_bs(lower: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    for chunk in lower.split('/') {
        let mut start = 0;
        for (i, c) in chunk.char_indices() {
            if i > 0 && (c == 'b' || c == 's') {
                parts.push(&chunk[start..i]);
                start = i;
            }
        }
        parts.push(&chunk[start..]);
    }
    parts.retain(|p| !p.is_empty());
    parts
}

fn parse_suffix(suffix: &str, whole: &str) -> Result<Bounds> {
    let bad = |why: &str| Error::InvalidRule(format!("'{whole}': {why}"));
    let mut chars = suffix.chars();
    let letter = chars
        .next()
        .ok_or_else(|| bad("empty topology suffix after ':'"))?;
    let topology = match letter.to_ascii_uppercase() {
        'T' => Topology::Torus,
        'P' => Topology::Bounded,
        'K' => return Err(unsupported(whole, "a Klein bottle (:K)")),
        'C' => return Err(unsupported(whole, "a cross-surface (:C)")),
        'S' => return Err(unsupported(whole, "a sphere (:S)")),
        _ => return Err(bad("expected :T (torus) or :P (bounded plane) suffix")),
    };
    let rest = chars.as_str();
    let (w, h) = rest
        .split_once(',')
        .ok_or_else(|| bad("expected the size as W,H after the topology letter"))?;
    let number = |s: &str| -> Result<u32> {
        let s = s.trim();
        if s.contains('*') || s.contains('+') {
            return Err(unsupported(whole, "a shifted or twisted torus"));
        }
        s.parse::<u32>()
            .map_err(|_| bad(&format!("'{s}' is not a grid size")))
    };
    let (width, height) = (number(w)?, number(h)?);
    if width == 0 || height == 0 {
        return Err(unsupported(
            whole,
            "an unbounded dimension (size 0); speedup needs a finite grid",
        ));
    }
    crate::life::grid::check_size(width as u64, height as u64)?;
    Ok(Bounds {
        topology,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        for s in ["B3/S23", "b3s23", "S23/B3", "23/3", "B3/S32", " b3/s23 "] {
            assert_eq!(Rule::parse(s).unwrap(), Rule::CONWAY, "{s}");
        }
        assert_eq!(Rule::parse("B36/S23").unwrap().to_string(), "B36/S23");
        assert_eq!(Rule::parse("B2/S").unwrap().to_string(), "B2/S");
        assert_eq!(Rule::parse("/2").unwrap().to_string(), "B2/S");
        assert_eq!(
            Rule::parse("B3678/S34678").unwrap().to_string(),
            "B3678/S34678"
        );
        assert_eq!(
            Rule::parse("B3/S012345678").unwrap().to_string(),
            "B3/S012345678"
        );
    }

    #[test]
    fn suffixes() {
        let spec = RuleSpec::parse("B3/S23:T64,32").unwrap();
        assert_eq!(
            spec.bounds,
            Some(Bounds {
                topology: Topology::Torus,
                width: 64,
                height: 32
            })
        );
        assert_eq!(spec.to_golly(), "B3/S23:T64,32");
        let spec = RuleSpec::parse("23/3:P10,20").unwrap();
        assert_eq!(spec.bounds.unwrap().topology, Topology::Bounded);
    }

    #[test]
    fn unsupported_named() {
        for (s, word) in [
            ("B3/S23:K10,10", "Klein"),
            ("B3/S23/G3", "multi-state"),
            ("345/2/4", "multi-state"),
            ("B2/S345/C4", "multi-state"),
            ("B2ae/S12", "non-totalistic"),
            ("B3/S23:T10*2,10", "shifted"),
            ("B3/S23:T0,0", "unbounded"),
        ] {
            let e = RuleSpec::parse(s).unwrap_err().to_string();
            assert!(e.contains(word), "{s}: {e}");
        }
        assert!(Rule::parse("B9/S23").is_err());
        assert!(Rule::parse("hello").is_err());
        assert!(Rule::parse("").is_err());
        assert!(Rule::parse("B3").is_err());
        // Found by fuzzing: a part opening with a multi-byte character, and a wrong tag.
        assert!(Rule::parse("b3/\u{e9}s23").is_err());
        assert!(Rule::parse("B3/X23").is_err());
    }
}
