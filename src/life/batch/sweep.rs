//! Sweeps: a job for every (density, seed) pair (`life batch --random WxH --densities
//! --seeds`).

// The job types and the imports they share live in mod.rs.
use super::*;

/// Largest number of values a range may expand to, so a typo cannot ask for a billion jobs.
pub const MAX_SWEEP_VALUES: usize = 1_000_000;

/// Parses densities: `0.1,0.2,0.5` or an inclusive range `start:stop:step` (`0.1:0.9:0.1`).
pub fn parse_densities(text: &str) -> Result<Vec<f64>> {
    let bad = || {
        Error::InvalidArgument(format!(
            "'{text}': expected densities as a list (0.1,0.3) or a range start:stop:step \
             (0.1:0.9:0.1), each between 0 and 1"
        ))
    };
    let values: Vec<f64> = match text.split(':').collect::<Vec<_>>()[..] {
        [a, b, step] => {
            let (a, b, step): (f64, f64, f64) = (
                a.trim().parse().map_err(|_| bad())?,
                b.trim().parse().map_err(|_| bad())?,
                step.trim().parse().map_err(|_| bad())?,
            );
            // Written so that NaN fails too.
            let increasing = step > 0.0 && a <= b;
            if !increasing {
                return Err(bad());
            }
            // Count steps up front (with a little slack for rounding) so the end is included.
            let n = ((b - a) / step + 1e-9).floor() + 1.0;
            if n > MAX_SWEEP_VALUES as f64 {
                return Err(bad());
            }
            // Rounded to 12 decimals so that 0.1 + 2 * 0.1 reads as 0.3 in the CSV.
            (0..n as usize)
                .map(|i| ((a + i as f64 * step) * 1e12).round() / 1e12)
                .collect()
        }
        [list] => list
            .split(',')
            .map(|v| v.trim().parse().map_err(|_| bad()))
            .collect::<Result<_>>()?,
        _ => return Err(bad()),
    };
    if values.iter().any(|d| !(0.0..=1.0).contains(d)) {
        return Err(bad());
    }
    Ok(values)
}

/// Parses seeds: `1,5,9`, an inclusive range `1:100`, or `start:stop:step`.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>> {
    let bad = || {
        Error::InvalidArgument(format!(
            "'{text}': expected seeds as a list (1,5,9) or an inclusive range start:stop \
             or start:stop:step (1:100)"
        ))
    };
    let num = |s: &str| s.trim().parse::<u64>().map_err(|_| bad());
    let parts: Vec<&str> = text.split(':').collect();
    let values: Vec<u64> = match parts[..] {
        [list] => list.split(',').map(num).collect::<Result<_>>()?,
        [a, b] | [a, b, _] => {
            let (a, b) = (num(a)?, num(b)?);
            let step = parts.get(2).map_or(Ok(1), |s| num(s))?;
            if step == 0 || a > b || (b - a) / step >= MAX_SWEEP_VALUES as u64 {
                return Err(bad());
            }
            (a..=b).step_by(step as usize).collect()
        }
        _ => return Err(bad()),
    };
    Ok(values)
}

/// Jobs for every (density, seed) pair on a `width` × `height` soup, densities outermost.
pub fn sweep(
    width: u32,
    height: u32,
    densities: &[f64],
    seeds: &[u64],
    defaults: &Defaults,
) -> Vec<Job> {
    densities
        .iter()
        .flat_map(|&density| seeds.iter().map(move |&seed| (density, seed)))
        .enumerate()
        .map(|(index, (density, seed))| Job {
            index,
            start: Start::Random {
                width,
                height,
                density,
                seed,
            },
            size: None,
            rule: defaults.rule,
            topology: defaults.topology,
            generations: defaults.generations,
            until_stable: defaults.until_stable,
        })
        .collect()
}
