//! Weak and strong scaling of `bench --workloads life --distributed`: one row per (scaling,
//! ranks), their efficiencies, and the table printed for them. The measuring loop runs on MPI
//! ranks (`life::distributed::scaling`); what it measured is arranged here, without MPI.

use crate::life::distributed::Timings;

/// One row of the scaling report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ScalingRow {
    /// weak (grid per rank fixed) or strong (total grid fixed).
    pub scaling: &'static str,
    /// Ranks that measured.
    pub ranks: usize,
    /// Width of the whole grid.
    pub width: u32,
    /// Height of the whole grid.
    pub height: u32,
    /// Generations per run.
    pub generations: u64,
    /// Ghost depth used.
    pub halo: u32,
    /// Whether the exchange was overlapped with the interior.
    pub overlap: bool,
    /// Median over the timed runs, slowest rank.
    pub seconds: f64,
    /// Cell-updates per second of the median run.
    pub cell_updates_per_second: f64,
    /// weak: t(1) / t(p); strong: t(1) / (p t(p)). Set by [`set_efficiencies`].
    pub efficiency: f64,
    /// The median run's slowest-rank split.
    pub timings: Timings,
}

/// Fills in each row's efficiency against the one-rank row of its scaling (NaN without one),
/// and orders the rows weak first, then by ranks.
pub fn set_efficiencies(rows: &mut [ScalingRow]) {
    for i in 0..rows.len() {
        let base = rows
            .iter()
            .find(|r| r.ranks == 1 && r.scaling == rows[i].scaling)
            .map_or(f64::NAN, |r| r.seconds);
        let r = &mut rows[i];
        r.efficiency = match r.scaling {
            "weak" => base / r.seconds,
            _ => base / (r.ranks as f64 * r.seconds),
        };
    }
    rows.sort_by_key(|r| (r.scaling == "strong", r.ranks));
}

/// The scaling rows as a text table, headed by `backend` (the backend every rank ran).
pub fn table(backend: &str, rows: &[ScalingRow]) -> String {
    let mut out = format!(
        "life, distributed: {backend} on each rank{}; seconds are the median run's slowest rank\n",
        if rows.iter().any(|r| r.overlap) {
            ", exchange overlapped"
        } else {
            ""
        }
    );
    out.push_str(&format!(
        "{:<8} {:>5} {:>13} {:>6} {:>5} {:>10} {:>12} {:>6} {:>10} {:>10} {:>10}\n",
        "scaling",
        "ranks",
        "grid",
        "gens",
        "halo",
        "seconds",
        "cells/s",
        "eff",
        "compute",
        "exchange",
        "wait"
    ));
    for r in rows {
        out.push_str(&format!(
            "{:<8} {:>5} {:>13} {:>6} {:>5} {:>10.4} {:>12.3e} {:>5.0}% {:>10.4} {:>10.4} {:>10.4}\n",
            r.scaling,
            r.ranks,
            format!("{}x{}", r.width, r.height),
            r.generations,
            r.halo,
            r.seconds,
            r.cell_updates_per_second,
            r.efficiency * 100.0,
            r.timings.compute,
            r.timings.exchange,
            r.timings.wait
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(scaling: &'static str, ranks: usize, seconds: f64) -> ScalingRow {
        ScalingRow {
            scaling,
            ranks,
            width: 64,
            height: 64 * ranks as u32,
            generations: 10,
            halo: 1,
            overlap: false,
            seconds,
            cell_updates_per_second: 1.0,
            efficiency: 0.0,
            timings: Timings::default(),
        }
    }

    #[test]
    fn efficiencies_are_against_one_rank_of_the_same_scaling() {
        let mut rows = vec![
            row("strong", 2, 1.0),
            row("weak", 2, 2.5),
            row("strong", 1, 1.5),
            row("weak", 1, 2.0),
        ];
        set_efficiencies(&mut rows);
        let got: Vec<(&str, usize, f64)> = rows
            .iter()
            .map(|r| (r.scaling, r.ranks, r.efficiency))
            .collect();
        assert_eq!(
            got,
            vec![
                ("weak", 1, 1.0),
                ("weak", 2, 0.8),
                ("strong", 1, 1.0),
                ("strong", 2, 0.75)
            ]
        );
        let text = table("serial", &rows);
        assert!(
            text.starts_with("life, distributed: serial on each rank;"),
            "{text}"
        );
        assert!(text.lines().nth(3).unwrap().contains("80%"), "{text}");
    }
}
