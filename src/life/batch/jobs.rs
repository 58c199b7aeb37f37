//! Job files: a JSON list of runs, or one run per line (`life batch JOBS`).

// The job types and the imports they share live in mod.rs.
use super::*;

/// A job as written in a job file, before validation.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    pattern: Option<String>,
    random: Option<String>,
    size: Option<String>,
    density: Option<f64>,
    seed: Option<u64>,
    rule: Option<String>,
    topology: Option<String>,
    generations: Option<u64>,
}

impl RawJob {
    fn build(self, index: usize, base: &Path, defaults: &Defaults) -> Result<Job> {
        let size = self.size.as_deref().map(parse_size).transpose()?;
        let start = match (self.pattern, self.random) {
            (Some(_), Some(_)) => {
                return Err(Error::InvalidArgument(
                    "give either a pattern or a random size, not both".into(),
                ))
            }
            (Some(path), None) => {
                if self.density.is_some() || self.seed.is_some() {
                    return Err(Error::InvalidArgument(
                        "density and seed apply to random soups, not to a pattern".into(),
                    ));
                }
                Start::Pattern {
                    resolved: base.join(&path),
                    path,
                }
            }
            (None, Some(random)) => {
                let (width, height) = parse_size(&random)?;
                let density = self.density.unwrap_or(defaults.density);
                if !(0.0..=1.0).contains(&density) {
                    return Err(Error::InvalidArgument(format!(
                        "density {density} is not between 0 and 1"
                    )));
                }
                Start::Random {
                    width,
                    height,
                    density,
                    seed: self.seed.unwrap_or(defaults.seed),
                }
            }
            (None, None) => {
                return Err(Error::InvalidArgument(
                    "a job needs a pattern or a random size (random=WxH)".into(),
                ))
            }
        };
        Ok(Job {
            index,
            start,
            size,
            rule: match self.rule {
                Some(r) => Some(Rule::parse(&r)?),
                None => defaults.rule,
            },
            topology: match self.topology {
                Some(t) => Some(t.parse()?),
                None => defaults.topology,
            },
            generations: self.generations.unwrap_or(defaults.generations),
            until_stable: defaults.until_stable,
        })
    }
}

/// Parses a job file: a JSON list of objects, or one job per line. `file` names it in errors and
/// relative pattern paths are taken from `base` (the job file's folder).
///
/// JSON: `[{"pattern": "acorn.lif", "generations": 1000}, {"random": "64x64", "density": 0.3,
/// "seed": 7, "rule": "B36/S23"}]`. Lines: `key=value` pairs separated by spaces, a bare word
/// being the pattern; blank lines and `#` comments are skipped:
///
/// ```text
/// acorn.lif generations=5206 size=256x256
/// random=64x64 density=0.3 seed=7 rule=B36/S23 topology=bounded
/// ```
///
/// Keys: pattern, random, size, density, seed, rule, topology, generations. Errors name the
/// file, line and column.
pub fn parse_jobs(text: &str, file: &str, base: &Path, defaults: &Defaults) -> Result<Vec<Job>> {
    if text.trim_start().starts_with('[') {
        parse_json(text, file, base, defaults)
    } else {
        parse_lines(text, file, base, defaults)
    }
}

fn parse_json(text: &str, file: &str, base: &Path, defaults: &Defaults) -> Result<Vec<Job>> {
    let raws: Vec<RawJob> = serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        parse_error(
            file,
            e.line().max(1),
            e.column().max(1),
            format!("{message} (expected a JSON list of job objects)"),
        )
    })?;
    let starts = object_starts(text);
    raws.into_iter()
        .enumerate()
        .map(|(i, raw)| {
            raw.build(i, base, defaults).map_err(|e| {
                let (line, column) = starts.get(i).copied().unwrap_or((1, 1));
                parse_error(file, line, column, format!("job {i}: {e}"))
            })
        })
        .collect()
}

/// Line and column of each object that opens at the top level of a JSON list, so that an error
/// found after deserialising still points at its job.
fn object_starts(text: &str) -> Vec<(usize, usize)> {
    let (mut line, mut column) = (1, 0);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut starts = Vec::new();
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            column = 0;
        } else {
            column += 1;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '[' | '{' => {
                if c == '{' && depth == 1 {
                    starts.push((line, column));
                }
                depth += 1;
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    starts
}

fn parse_lines(text: &str, file: &str, base: &Path, defaults: &Defaults) -> Result<Vec<Job>> {
    let mut jobs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let content = line.split('#').next().unwrap_or("");
        if content.trim().is_empty() {
            continue;
        }
        let mut raw = RawJob::default();
        for (byte, token) in tokens(content) {
            let column = line[..byte].chars().count() + 1;
            let at = |e: Error| parse_error(file, line_no, column, e.to_string());
            let (key, value) = token.split_once('=').unwrap_or(("pattern", token));
            let number = |what: &str| {
                Error::InvalidArgument(format!("{key}: expected {what}, found '{value}'"))
            };
            let slot_taken = match key {
                "pattern" => raw.pattern.replace(value.to_string()).is_some(),
                "random" => {
                    parse_size(value).map_err(at)?;
                    raw.random.replace(value.to_string()).is_some()
                }
                "size" => {
                    parse_size(value).map_err(at)?;
                    raw.size.replace(value.to_string()).is_some()
                }
                "density" => {
                    let d = value.parse().map_err(|_| at(number("a number")))?;
                    raw.density.replace(d).is_some()
                }
                "seed" => {
                    let s = value.parse().map_err(|_| at(number("a whole number")))?;
                    raw.seed.replace(s).is_some()
                }
                "generations" => {
                    let g = value.parse().map_err(|_| at(number("a whole number")))?;
                    raw.generations.replace(g).is_some()
                }
                "rule" => {
                    Rule::parse(value).map_err(at)?;
                    raw.rule.replace(value.to_string()).is_some()
                }
                "topology" => {
                    value.parse::<Topology>().map_err(at)?;
                    raw.topology.replace(value.to_string()).is_some()
                }
                other => {
                    return Err(at(Error::InvalidArgument(format!(
                        "unknown key '{other}': expected pattern, random, size, density, seed, \
                         rule, topology or generations"
                    ))))
                }
            };
            if slot_taken {
                return Err(at(Error::InvalidArgument(format!("'{key}' given twice"))));
            }
        }
        let index = jobs.len();
        jobs.push(
            raw.build(index, base, defaults)
                .map_err(|e| parse_error(file, line_no, 1, e.to_string()))?,
        );
    }
    Ok(jobs)
}

/// Whitespace-separated tokens with their byte offsets.
fn tokens(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_whitespace()
        .map(move |t| (t.as_ptr() as usize - text.as_ptr() as usize, t))
}
