//! `--sweep`: throughput against problem size. Finds the crossover sizes (where rayon overtakes
//! serial, where each GPU overtakes rayon); the chart of the same rows is drawn by
//! [`super::export::svg`].

use super::report::{row_label, Crossover, Report, ResultRow};

/// One problem size measured on both backends of a pair.
#[derive(Clone, Debug, PartialEq)]
pub struct PairPoint {
    /// Problem size.
    pub size: String,
    /// Problem size as a number (`ResultRow::size_value`).
    pub size_value: f64,
    /// Challenger's median seconds.
    pub challenger: f64,
    /// Baseline's median seconds.
    pub baseline: f64,
}

/// Where the challenger becomes faster: `("always", None)`, `("never", None)` or `("at", Some(i))`
/// with `points[i]` the first size from which it is faster at every larger size. Points are
/// taken in order of `size_value`; "faster" means a strictly smaller median.
pub fn crossover_index(points: &[PairPoint]) -> (&'static str, Option<usize>) {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&a, &b| points[a].size_value.total_cmp(&points[b].size_value));
    let faster = |i: usize| points[i].challenger < points[i].baseline;
    // Walk down from the largest size while the challenger stays faster.
    let mut first = order.len();
    while first > 0 && faster(order[first - 1]) {
        first -= 1;
    }
    match first {
        f if f == order.len() => ("never", None),
        0 => ("always", None),
        f => ("at", Some(order[f])),
    }
}

/// The default rayon row's label for a workload: the machine's default pool, else the largest.
fn rayon_label(report: &Report, rows: &[&ResultRow]) -> Option<String> {
    let rayon: Vec<&&ResultRow> = rows.iter().filter(|r| r.backend == "rayon").collect();
    rayon
        .iter()
        .find(|r| r.threads == Some(report.machine.rayon_threads))
        .or_else(|| rayon.iter().max_by_key(|r| r.threads))
        .map(|r| row_label(&report.machine, r))
}

/// Workload names in the order their first row appears.
pub(crate) fn workloads(report: &Report) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for r in &report.results {
        if !names.contains(&r.workload.as_str()) {
            names.push(&r.workload);
        }
    }
    names
}

/// Series labels of one workload's rows, in order of first appearance.
pub(crate) fn labels(report: &Report, rows: &[&ResultRow]) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for r in rows {
        let l = row_label(&report.machine, r);
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    labels
}

/// Crossovers of every workload with two or more sizes: default rayon against serial, and each
/// GPU adapter against default rayon (against serial where rayon was not run).
pub fn crossovers(report: &Report) -> Vec<Crossover> {
    let mut out = Vec::new();
    for workload in workloads(report) {
        let rows: Vec<&ResultRow> = report
            .results
            .iter()
            .filter(|r| r.workload == workload)
            .collect();
        let label = |r: &ResultRow| row_label(&report.machine, r);
        let rayon = rayon_label(report, &rows);
        let serial = rows
            .iter()
            .any(|r| r.backend == "serial")
            .then(|| "serial".to_string());
        let mut pairs = Vec::new();
        if let (Some(r), Some(s)) = (&rayon, &serial) {
            pairs.push((r.clone(), s.clone()));
        }
        for gpu in labels(report, &rows) {
            if rows.iter().any(|r| r.backend == "gpu" && label(r) == gpu) {
                if let Some(base) = rayon.clone().or_else(|| serial.clone()) {
                    pairs.push((gpu, base));
                }
            }
        }
        for (challenger, baseline) in pairs {
            let points: Vec<PairPoint> = rows
                .iter()
                .filter(|c| label(c) == challenger)
                .filter_map(|c| {
                    let b = rows
                        .iter()
                        .find(|b| b.size == c.size && label(b) == baseline)?;
                    Some(PairPoint {
                        size: c.size.clone(),
                        size_value: c.size_value,
                        challenger: c.median_seconds,
                        baseline: b.median_seconds,
                    })
                })
                .collect();
            if points.len() < 2 {
                continue;
            }
            let (status, index) = crossover_index(&points);
            let below = index.and_then(|i| {
                points
                    .iter()
                    .filter(|p| p.size_value < points[i].size_value)
                    .max_by(|a, b| a.size_value.total_cmp(&b.size_value))
                    .map(|p| p.size.clone())
            });
            out.push(Crossover {
                workload: workload.to_string(),
                challenger,
                baseline,
                status: status.to_string(),
                from_size: index.map(|i| points[i].size.clone()),
                below_size: below,
                from_size_value: index.map(|i| points[i].size_value),
            });
        }
    }
    out
}
