//! What a run gave ([`Outcome`]) and its CSV row.

// The job types and the imports they share live in mod.rs.
use super::*;

/// What one run gave.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The job's number in the full list.
    pub job: usize,
    /// Grid width.
    pub width: u32,
    /// Grid height.
    pub height: u32,
    /// The rule it ran.
    pub rule: Rule,
    /// The topology it ran.
    pub topology: Topology,
    /// Final population.
    pub population: u64,
    /// Hash of the final grid (the same on every backend).
    pub hash: String,
    /// Wall time of the run in seconds; for runs batched on the GPU, of the whole batch.
    pub seconds: f64,
    /// How many runs shared the batch (1 when the run had the device or a core to itself).
    pub batch: usize,
    /// With `until_stable`: the cycle the run ended in, if found within its generations.
    pub cycle: Option<Cycle>,
}

impl Outcome {
    /// Generations `job` stepped to give this outcome: all of them, or up to the repeat that
    /// stopped it (the cycle is found when its first generation comes round again).
    pub fn generations(&self, job: &Job) -> u64 {
        self.cycle.map_or(job.generations, |c| c.start + c.period)
    }
}

/// The CSV header matching [`csv_row`].
///
/// `requested_generations` is the job's `generations` (at most, with --until-stable);
/// `generations` is how many were stepped, as in `life run`'s summary: fewer when the run
/// stabilised.
pub const CSV_HEADER: &str = "job,source,width,height,density,seed,rule,topology,\
requested_generations,population,hash,seconds,batch,stabilised_at,period,max_period,generations";

/// One CSV row: the job's inputs, then what it gave.
pub fn csv_row(job: &Job, o: &Outcome) -> String {
    let (source, density, seed) = match &job.start {
        Start::Pattern { path, .. } => (csv_field(path), String::new(), String::new()),
        Start::Random { density, seed, .. } => {
            ("random".to_string(), density.to_string(), seed.to_string())
        }
    };
    let (stabilised_at, period) = o.cycle.map_or((String::new(), String::new()), |c| {
        (c.start.to_string(), c.period.to_string())
    });
    format!(
        "{},{source},{},{},{density},{seed},{},{},{},{},{},{:.6},{},{stabilised_at},{period},{},{}",
        job.index,
        o.width,
        o.height,
        o.rule,
        o.topology,
        job.generations,
        o.population,
        o.hash,
        o.seconds,
        o.batch,
        job.until_stable.map_or(String::new(), |p| p.to_string()),
        o.generations(job)
    )
}

/// Quotes a CSV field when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
