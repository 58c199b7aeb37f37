//! Running a batch: one job after another, one job per Rayon thread, or batched on the GPU
//! (see the module docs of `life::batch`).

// The job types and the imports they share live in mod.rs.
use super::*;

/// Runs `jobs` on `backend`, calling `done` as each finishes, and returns their outcomes in job
/// order. When `stop` is raised (Ctrl-C) no new job starts, and the outcomes so far are returned.
pub fn run_jobs(
    backend: &Backend,
    jobs: &[Job],
    stop: &AtomicBool,
    done: &(dyn Fn(&Outcome) + Sync),
) -> Result<Vec<Outcome>> {
    let mut outcomes = match backend {
        Backend::Serial => run_one_by_one(&Backend::Serial, jobs, stop, done)?,
        Backend::Rayon { threads } if jobs.len() >= *threads => {
            let pool = crate::backend::rayon_pool(*threads)?;
            let results: Vec<Option<Result<Outcome>>> = pool.install(|| {
                jobs.par_iter()
                    .map(|job| {
                        (!stop.load(Ordering::Relaxed)).then(|| {
                            let o = run_single(&Backend::Serial, job)?;
                            done(&o);
                            Ok(o)
                        })
                    })
                    .collect()
            });
            results.into_iter().flatten().collect::<Result<Vec<_>>>()?
        }
        Backend::Rayon { .. } => run_one_by_one(backend, jobs, stop, done)?,
        Backend::Gpu(_) => run_batched(backend, jobs, stop, done)?,
    };
    outcomes.sort_by_key(|o| o.job);
    Ok(outcomes)
}

fn run_one_by_one(
    backend: &Backend,
    jobs: &[Job],
    stop: &AtomicBool,
    done: &(dyn Fn(&Outcome) + Sync),
) -> Result<Vec<Outcome>> {
    let mut out = Vec::new();
    for job in jobs {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let o = run_single(backend, job)?;
        done(&o);
        out.push(o);
    }
    Ok(out)
}

/// Errors from a job name it.
fn in_job(job: &Job) -> impl Fn(Error) -> Error + '_ {
    move |e| Error::InvalidArgument(format!("job {}: {e}", job.index))
}

fn run_single(backend: &Backend, job: &Job) -> Result<Outcome> {
    let p = job.prepare().map_err(in_job(job))?;
    let start = Instant::now();
    let (width, height) = (p.grid.width(), p.grid.height());
    let mut engine = LifeEngine::new(backend, p.grid, p.rule, p.topology).map_err(in_job(job))?;
    let cycle = match job.until_stable {
        Some(max_period) => {
            step_until_stable(&mut engine, job.generations, max_period).map_err(in_job(job))?
        }
        None => {
            engine.step(job.generations).map_err(in_job(job))?;
            None
        }
    };
    let grid = engine.grid().map_err(in_job(job))?;
    Ok(Outcome {
        job: job.index,
        width,
        height,
        rule: p.rule,
        topology: p.topology,
        population: grid.population(),
        hash: grid.hash_hex(),
        seconds: start.elapsed().as_secs_f64(),
        batch: 1,
        cycle,
    })
}

/// The GPU path: jobs are prepared in windows of at most [`gpu::MAX_BATCH_BYTES`] of grids (so
/// the host never holds the whole batch), and within a window those of one size, topology and
/// generation count run together.
fn run_batched(
    backend: &Backend,
    jobs: &[Job],
    stop: &AtomicBool,
    done: &(dyn Fn(&Outcome) + Sync),
) -> Result<Vec<Outcome>> {
    let Some(ctx) = backend.gpu() else {
        return run_one_by_one(backend, jobs, stop, done);
    };
    let mut out = Vec::new();
    let mut window: Vec<(&Job, PreparedJob)> = Vec::new();
    let mut window_bytes = 0u64;
    for (i, job) in jobs.iter().enumerate() {
        if stop.load(Ordering::Relaxed) {
            return Ok(out);
        }
        let p = job.prepare().map_err(in_job(job))?;
        window_bytes += grid_bytes(p.grid.width(), p.grid.height());
        window.push((job, p));
        if window_bytes >= gpu::MAX_BATCH_BYTES || i + 1 == jobs.len() {
            let mut taken = std::mem::take(&mut window);
            window_bytes = 0;
            // Group by everything a batch must share; the sort is stable, so job order holds
            // within a group.
            taken.sort_by_key(|(j, p)| {
                (
                    p.grid.width(),
                    p.grid.height(),
                    p.topology == Topology::Torus,
                    j.generations,
                )
            });
            let mut rest = &taken[..];
            while let Some((first_job, first)) = rest.first() {
                let same = rest
                    .iter()
                    .take_while(|(j, p)| {
                        (p.grid.width(), p.grid.height(), p.topology, j.generations)
                            == (
                                first.grid.width(),
                                first.grid.height(),
                                first.topology,
                                first_job.generations,
                            )
                    })
                    .count();
                let capacity =
                    gpu::BatchGpuLife::capacity(ctx, first.grid.width(), first.grid.height());
                let (group, tail) = rest.split_at(same.min(capacity));
                rest = tail;
                if stop.load(Ordering::Relaxed) {
                    return Ok(out);
                }
                for o in run_group(backend, group)? {
                    done(&o);
                    out.push(o);
                }
            }
        }
    }
    Ok(out)
}

/// One batch: jobs of one size, topology and generation count, in one dispatch per generation.
fn run_group(backend: &Backend, group: &[(&Job, PreparedJob)]) -> Result<Vec<Outcome>> {
    let (Some(ctx), Some((first_job, first))) = (backend.gpu(), group.first()) else {
        return Ok(Vec::new());
    };
    // A run that stops when it repeats reads its grid back every generation: one at a time.
    if group.len() == 1 || group.iter().any(|(j, _)| j.until_stable.is_some()) {
        return group.iter().map(|(j, _)| run_single(backend, j)).collect();
    }
    let start = Instant::now();
    let grids: Vec<&Grid> = group.iter().map(|(_, p)| &p.grid).collect();
    let rules: Vec<Rule> = group.iter().map(|(_, p)| p.rule).collect();
    let batch_error = |e: Error| {
        Error::InvalidArgument(format!(
            "batch of jobs {}..={}: {e}",
            first_job.index,
            group.last().map_or(first_job.index, |(j, _)| j.index)
        ))
    };
    let mut engine =
        gpu::BatchGpuLife::new(ctx.clone(), &grids, &rules, first.topology).map_err(batch_error)?;
    engine.step(first_job.generations).map_err(batch_error)?;
    let finals = engine.grids().map_err(batch_error)?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(group
        .iter()
        .zip(finals)
        .map(|((job, p), grid)| Outcome {
            job: job.index,
            width: grid.width(),
            height: grid.height(),
            rule: p.rule,
            topology: p.topology,
            population: grid.population(),
            hash: grid.hash_hex(),
            seconds,
            batch: group.len(),
            cycle: None,
        })
        .collect())
}
