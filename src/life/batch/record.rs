//! The batch CSV as a record that survives a kill, and the tools that read it back.
//!
//! - [`CsvSink`] appends each finished job's row to `OUT.partial` and flushes it at once (a
//!   `scancel`, a time limit or Ctrl-C loses at most the jobs still running), then, when every job
//!   of the shard is done, writes `OUT` in job order and removes the partial file. So `OUT`
//!   exists only when its shard is complete.
//! - [`resume`] reads what an earlier run of the same shard left (`OUT` and `OUT.partial`) and
//!   keeps the rows whose inputs are those of this run's jobs, so `--resume` runs only the rest.
//! - [`merge`] puts the shards' files together: one header, rows in job order, every job once.

use super::{csv_row, Job, Outcome, Start, CSV_HEADER};
use crate::error::{Error, Result};
use crate::output::write_atomic;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Columns of [`CSV_HEADER`] that describe a run's timing rather than its result: `seconds` and
/// `batch` (how many runs shared a GPU dispatch). [`merge`] ignores them when it compares two rows
/// of one job.
const TIMING_COLUMNS: [&str; 2] = ["seconds", "batch"];

/// The partial file next to `target`: `target` with `.partial` added.
pub fn partial_path(target: &Path) -> PathBuf {
    let mut name = target.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// A batch CSV written row by row as jobs finish; see the module docs.
pub struct CsvSink {
    target: PathBuf,
    partial: PathBuf,
    file: std::fs::File,
    /// Every row in the partial file, with its job number.
    rows: Vec<(usize, String)>,
}

impl CsvSink {
    /// Starts `target`'s partial file afresh with the header and `kept` (rows of an earlier run
    /// being resumed, each with its job number).
    pub fn create(target: &Path, kept: Vec<(usize, String)>) -> Result<CsvSink> {
        let partial = partial_path(target);
        let mut text = format!("{CSV_HEADER}\n");
        for (_, row) in &kept {
            text.push_str(row);
            text.push('\n');
        }
        // The kept rows are written to a new file that replaces the old partial file in one
        // rename, so a kill at this point leaves either the old rows or the new.
        write_atomic(&partial, text.as_bytes())?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&partial)
            .map_err(|e| Error::io(&partial, e))?;
        Ok(CsvSink {
            target: target.to_path_buf(),
            partial,
            file,
            rows: kept,
        })
    }

    /// Appends one row and hands it to the OS at once (one `write` of the whole line, so a
    /// killed process leaves whole rows). It is not synced to disk per row: that would cost more
    /// than a small job, and what it guards against is the process dying, not the node.
    pub fn append(&mut self, job: &Job, outcome: &Outcome) -> Result<()> {
        let row = csv_row(job, outcome);
        self.file
            .write_all(format!("{row}\n").as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| Error::io(&self.partial, e))?;
        self.rows.push((job.index, row));
        Ok(())
    }

    /// How many rows the file holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the file holds no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The partial file's path.
    pub fn partial(&self) -> &Path {
        &self.partial
    }

    /// Writes the complete file (rows in job order) and removes the partial one.
    pub fn finish(mut self) -> Result<()> {
        self.rows.sort_by_key(|(job, _)| *job);
        let mut text = format!("{CSV_HEADER}\n");
        for (_, row) in &self.rows {
            text.push_str(row);
            text.push('\n');
        }
        write_atomic(&self.target, text.as_bytes())?;
        std::fs::remove_file(&self.partial).map_err(|e| Error::io(&self.partial, e))
    }
}

/// Splits one CSV line into fields, undoing [`csv_row`]'s quoting; `None` when a quote is left
/// open.
fn split_csv(line: &str) -> Option<Vec<String>> {
    let mut fields = vec![String::new()];
    let (mut quoted, mut chars) = (false, line.chars().peekable());
    while let Some(c) = chars.next() {
        let field = fields.last_mut()?;
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => fields.push(String::new()),
            _ => field.push(c),
        }
    }
    (!quoted).then_some(fields)
}

/// One row read back from a batch CSV.
struct Row {
    job: usize,
    fields: Vec<String>,
    /// The line as written, for the merged file.
    text: String,
    /// Where it was read, for messages: `file:line`.
    at: String,
}

/// The rows of a batch CSV (`name` names it in errors). The header must be this version's; a
/// last line without its line break (a write cut short) is left out.
fn read_rows(text: &str, name: &str) -> Result<Vec<Row>> {
    let columns = CSV_HEADER.split(',').count();
    let mut lines = text.split_inclusive('\n').enumerate();
    match lines.next() {
        None => return Ok(Vec::new()),
        Some((_, header)) if header.trim_end() == CSV_HEADER => {}
        Some((_, header)) => {
            return Err(crate::life::formats::parse_error(
                name,
                1,
                1,
                format!(
                    "expected the batch CSV header '{CSV_HEADER}', found '{}' (a file from \
                     another version of speedup, or not a batch CSV)",
                    header.trim_end()
                ),
            ))
        }
    }
    let mut rows = Vec::new();
    for (i, line) in lines {
        let Some(line) = line.strip_suffix('\n') else {
            break;
        };
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let bad = |what: String| crate::life::formats::parse_error(name, i + 1, 1, what);
        let fields = split_csv(line).ok_or_else(|| bad("a quote is left open".into()))?;
        if fields.len() != columns {
            return Err(bad(format!(
                "{} fields where the header has {columns}",
                fields.len()
            )));
        }
        let job = fields[0]
            .parse()
            .map_err(|_| bad(format!("job '{}' is not a whole number", fields[0])))?;
        rows.push(Row {
            job,
            fields,
            text: line.to_string(),
            at: format!("{name}:{}", i + 1),
        });
    }
    Ok(rows)
}

/// The input columns of `job`'s row that are known before the job runs, as they are written:
/// (column, value). Width, height, rule and topology of a pattern job may come from the pattern
/// file, so they are compared only where the job itself sets them.
fn known_inputs(job: &Job) -> Vec<(&'static str, String)> {
    let mut known = vec![
        ("requested_generations", job.generations.to_string()),
        (
            "max_period",
            job.until_stable.map_or(String::new(), |p| p.to_string()),
        ),
    ];
    match &job.start {
        Start::Pattern { path, .. } => {
            known.push(("source", path.clone()));
            known.push(("density", String::new()));
            known.push(("seed", String::new()));
        }
        Start::Random {
            width,
            height,
            density,
            seed,
        } => {
            known.push(("source", "random".into()));
            known.push(("density", density.to_string()));
            known.push(("seed", seed.to_string()));
            known.push(("width", width.to_string()));
            known.push(("height", height.to_string()));
            known.push((
                "rule",
                job.rule.unwrap_or(crate::life::Rule::CONWAY).to_string(),
            ));
            known.push(("topology", job.topology.unwrap_or_default().to_string()));
        }
    }
    if let Some((w, h)) = job.size {
        known.push(("width", w.to_string()));
        known.push(("height", h.to_string()));
    }
    if let Some(rule) = job.rule {
        known.push(("rule", rule.to_string()));
    }
    if let Some(topology) = job.topology {
        known.push(("topology", topology.to_string()));
    }
    known
}

/// Index of a column of [`CSV_HEADER`].
fn column(name: &str) -> usize {
    CSV_HEADER
        .split(',')
        .position(|c| c == name)
        .expect("a column of CSV_HEADER")
}

/// The first input of `job` that `fields` records differently, as "column: recorded 'a', job
/// 'b'"; `None` when they agree.
fn input_difference(job: &Job, fields: &[String]) -> Option<String> {
    known_inputs(job).into_iter().find_map(|(name, value)| {
        let recorded = &fields[column(name)];
        (*recorded != value).then(|| format!("{name}: recorded '{recorded}', now '{value}'"))
    })
}

/// What `--resume` found in an earlier run's files.
#[derive(Debug, Default)]
pub struct Resumed {
    /// Rows to keep, with their job numbers, in the order found.
    pub rows: Vec<(usize, String)>,
    /// What was left out and why, for the user.
    pub notes: Vec<String>,
}

/// Reads `target` and its partial file, where they exist, and keeps the rows of `jobs` (this
/// shard's) that were recorded with the same inputs, each job once. Rows of other jobs, rows
/// whose inputs differ (the job file changed) and repeats are left out, with a note.
pub fn resume(target: &Path, jobs: &[Job]) -> Result<Resumed> {
    let mut resumed = Resumed::default();
    let mut seen = std::collections::HashSet::new();
    for path in [target.to_path_buf(), partial_path(target)] {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&path, e)),
        };
        for row in read_rows(&text, &path.display().to_string())? {
            let Ok(i) = jobs.binary_search_by_key(&row.job, |j| j.index) else {
                resumed.notes.push(format!(
                    "{}: job {} is not one of this shard's jobs; left out",
                    row.at, row.job
                ));
                continue;
            };
            if let Some(diff) = input_difference(&jobs[i], &row.fields) {
                resumed.notes.push(format!(
                    "{}: job {} was recorded with other inputs ({diff}); it runs again",
                    row.at, row.job
                ));
                continue;
            }
            if seen.insert(row.job) {
                resumed.rows.push((row.job, row.text));
            }
        }
    }
    Ok(resumed)
}

/// What [`merge`] checks the shards' jobs against.
#[derive(Clone, Debug)]
pub enum Expected<'a> {
    /// Jobs 0..N-1.
    Count(usize),
    /// The batch's job list: its length, and each row's `source` (pattern path or `random`).
    Jobs(&'a [Job]),
}

/// Merges batch CSVs (`(name, text)` each) into one: the header once, rows in job order. Every
/// job must appear exactly once; a job found twice is accepted only when both rows give the same
/// results (timings aside). Jobs expected are 0..N-1, N from `expected` or, without it, one more
/// than the largest job found. Fails, naming every missing, extra or conflicting job, when the set
/// is not complete.
pub fn merge(inputs: &[(String, String)], expected: Option<Expected>) -> Result<String> {
    let mut by_job: BTreeMap<usize, Row> = BTreeMap::new();
    let mut problems = Vec::new();
    let timing: Vec<usize> = TIMING_COLUMNS.iter().map(|c| column(c)).collect();
    let results = |r: &Row| -> Vec<String> {
        r.fields
            .iter()
            .enumerate()
            .filter(|(i, _)| !timing.contains(i))
            .map(|(_, f)| f.clone())
            .collect()
    };
    for (name, text) in inputs {
        for row in read_rows(text, name)? {
            match by_job.get(&row.job) {
                Some(first) if results(first) != results(&row) => problems.push(format!(
                    "job {} differs between {} and {}",
                    row.job, first.at, row.at
                )),
                Some(_) => {}
                None => {
                    by_job.insert(row.job, row);
                }
            }
        }
    }
    let count = match &expected {
        Some(Expected::Count(n)) => *n,
        Some(Expected::Jobs(jobs)) => jobs.len(),
        None => by_job.keys().next_back().map_or(0, |&j| j + 1),
    };
    if let Some(Expected::Jobs(jobs)) = expected {
        let source = column("source");
        for job in jobs {
            let Some(row) = by_job.get(&job.index) else {
                continue;
            };
            let want = match &job.start {
                Start::Pattern { path, .. } => path.as_str(),
                Start::Random { .. } => "random",
            };
            if row.fields[source] != want {
                problems.push(format!(
                    "{}: job {} ran '{}' but the job file has '{want}'",
                    row.at, job.index, row.fields[source]
                ));
            }
        }
    }
    let missing: Vec<usize> = (0..count).filter(|j| !by_job.contains_key(j)).collect();
    if !missing.is_empty() {
        problems.push(format!(
            "{} of {count} jobs missing: {}",
            missing.len(),
            ranges(&missing)
        ));
    }
    let extra: Vec<usize> = by_job.range(count..).map(|(&j, _)| j).collect();
    if !extra.is_empty() {
        problems.push(format!(
            "jobs beyond the {count} expected: {}",
            ranges(&extra)
        ));
    }
    if !problems.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "the shards do not make the whole batch: {}",
            problems.join("; ")
        )));
    }
    let mut out = format!("{CSV_HEADER}\n");
    for row in by_job.values() {
        out.push_str(&row.text);
        out.push('\n');
    }
    Ok(out)
}

/// Job numbers as compact ranges: `3, 5-9, 12`.
fn ranges(jobs: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < jobs.len() {
        let mut j = i;
        while j + 1 < jobs.len() && jobs[j + 1] == jobs[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            jobs[i].to_string()
        } else {
            format!("{}-{}", jobs[i], jobs[j])
        });
        i = j + 1;
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_round_trip_quotes() {
        assert_eq!(
            split_csv(r#"1,"a,b ""c""",,x"#).unwrap(),
            ["1", r#"a,b "c""#, "", "x"]
        );
        assert!(split_csv(r#"1,"open"#).is_none());
    }

    #[test]
    fn ranges_are_compact() {
        assert_eq!(ranges(&[0, 3, 4, 5, 9, 11, 12]), "0, 3-5, 9, 11-12");
        assert_eq!(ranges(&[]), "");
    }
}
