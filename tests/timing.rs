//! One timing boundary for every backend (issue 20): each workload's CPU and GPU runs time the
//! same stages over the same data, rows carry both times and refuse a speedup against a row
//! that timed other data, the device-filling plan runs the same problem on both sides, and GPU
//! runs make as few submissions and host waits as their work allows.

mod common;

use speedup::backend::Backend;
use speedup::gpu::{AdapterChoice, GpuContext, HostSyncs, Transfers};
use speedup::harness::bench::{self, Plan, PlannedSize, Silent};
use speedup::harness::MeasureConfig;
use speedup::workloads::mandelbrot::{Mandelbrot, MandelbrotRun, Region};
use speedup::workloads::montecarlo::{MonteCarlo, MonteCarloRun};
use speedup::workloads::nbody::{self, Bodies, NBody, NBodyRun};
use speedup::workloads::sha256::{self, Search, Sha256Run};
use speedup::workloads::{self, Prepared, RunClock, RunTiming, Timing, Workload};
use std::sync::Arc;

fn main() {
    let mut suite = common::Suite::new(file!());
    for workload in workloads::all() {
        let name = workload.name();
        let w: Arc<dyn Workload> = Arc::from(workload);
        let same = w.clone();
        suite.per_gpu(&format!("timed_regions_match::{name}"), move |ctx| {
            timed_regions_match(same.as_ref(), ctx)
        });
        suite.per_gpu(&format!("submissions_are_bounded::{name}"), move |ctx| {
            submissions_are_bounded(w.as_ref(), ctx)
        });
    }
    common::trials!(suite.per_gpu(
        one_submission_for_every_mandelbrot_band,
        one_submission_for_every_montecarlo_batch,
        one_submission_for_every_exhaustive_sha256_batch,
        first_match_sha256_submits_groups_of_batches,
        one_submission_for_every_nbody_step,
        a_transfer_outside_the_clock_is_seen,
    ));
    suite.test(
        "device_filling_rows_share_their_per_unit_parameters",
        device_filling_rows_share_their_per_unit_parameters,
    );
    suite.test("a_row_refuses_a_baseline_that_timed_other_data", || {
        a_row_refuses_a_baseline_that_timed_other_data()
    });
    suite.run()
}

/// A context of its own on `shared`'s adapter: other trials run at the same time on the shared
/// context, and its submission counts would include theirs.
fn own(shared: &GpuContext) -> Arc<GpuContext> {
    GpuContext::open(&AdapterChoice::Index(shared.summary().index))
        .unwrap_or_else(|e| panic!("reopening {}: {e}", shared.summary().name))
}

/// A small size of `workload` whose runs take well under a second on lavapipe.
fn small_size(name: &str) -> &'static str {
    match name {
        "life" | "life-tiled" => "128x96:40",
        "life-naive" => "64x48:5",
        "mandelbrot" | "mandelbrot-fma" => "96x64:200",
        "nbody" => "300:3",
        "sha256" => "5000:8",
        "montecarlo" => "100003",
        "stream" => "100000:3",
        other => panic!("no small size for {other}: add one here"),
    }
}

/// Runs a prepared `size` of `workload` on `backend` once (after one untimed run) and returns
/// its timing and the host syncs it made on `ctx`.
fn run_once(
    workload: &dyn Workload,
    size: &str,
    backend: &Backend,
    ctx: &GpuContext,
) -> (RunTiming, HostSyncs) {
    let name = workload.name();
    let mut prepared: Box<dyn Prepared> = workload
        .prepare(size, backend)
        .unwrap_or_else(|e| panic!("{name} {size} on {}: {e}", backend.label()));
    prepared.run().unwrap();
    let (before, moved) = (ctx.host_syncs(), Transfers::so_far());
    let timing = prepared
        .run()
        .unwrap_or_else(|e| panic!("{name} {size} on {}: {e}", backend.label()));
    let outside = timing.moved_outside(Transfers::so_far() - moved);
    assert_eq!(
        outside,
        Transfers::default(),
        "{name} {size} on {}: moved data during its run but outside its clock",
        backend.label()
    );
    (timing, ctx.host_syncs() - before)
}

/// The CPU's and the GPU's clocks cover the same data: the same input bytes made resident and
/// the same result bytes in host memory, and through the harness, rows with both times whose
/// speedups are granted.
fn timed_regions_match(workload: &dyn Workload, shared: &Arc<GpuContext>) {
    let ctx = &own(shared);
    let name = workload.name();
    let size = small_size(name);
    let gpu = Backend::Gpu(ctx.clone());
    let (g, _) = run_once(workload, size, &gpu, ctx);
    // Measured, not declared: the clock saw the bytes the row claims move inside it.
    if let Some(why) = g.unseen_transfers() {
        panic!("{name} {size} on gpu {why}: a transfer outside its timed region");
    }
    for cpu in [Backend::Serial, Backend::Rayon { threads: 2 }] {
        let (c, syncs) = run_once(workload, size, &cpu, ctx);
        assert_eq!(
            syncs,
            HostSyncs::default(),
            "{name}: a CPU run touched the GPU"
        );
        assert_eq!(
            c.transfers(),
            Transfers::default(),
            "{name}: a CPU run moved GPU data"
        );
        assert_eq!(
            (c.input_bytes(), c.result_bytes()),
            (g.input_bytes(), g.result_bytes()),
            "{name} {size}: {} timed (input, result) bytes that gpu did not, or the reverse",
            cpu.label()
        );
    }
    assert!(g.kernel_seconds() <= g.end_to_end_seconds(), "{name}");
    assert!(
        g.result_bytes() > 0,
        "{name}: a run with no result in host memory"
    );

    // Through the harness: both times on every row, the headline as asked, speedups granted.
    for timing in [Timing::EndToEnd, Timing::Kernel] {
        let plan = Plan {
            workloads: vec![(workloads::by_name(name).unwrap(), sizes_again(name, size))],
            backends: vec![Backend::Serial, gpu.clone()],
            config: one_run(),
            default_rayon_threads: 2,
            fill_devices: false,
            crossovers: false,
            timing,
        };
        let report = bench::run(&plan, Vec::new(), &mut Silent).unwrap();
        assert_eq!(report.results.len(), 2, "{name}: {:?}", report.skipped);
        for row in &report.results {
            let (e2e, kernel) = (row.end_to_end_seconds.unwrap(), row.kernel_seconds.unwrap());
            assert!(
                kernel <= e2e,
                "{name} {}: kernel {kernel} > e2e {e2e}",
                row.backend
            );
            assert_eq!(row.timing, timing);
            let headline = match timing {
                Timing::EndToEnd => e2e,
                Timing::Kernel => kernel,
            };
            assert_eq!(row.median_seconds, headline, "{name} {}", row.backend);
            assert_eq!(row.submissions.is_some(), row.backend == "gpu", "{name}");
        }
        let gpu_row = &report.results[1];
        assert!(
            gpu_row.speedup_vs_serial.is_some(),
            "{name}: the gpu row's speedup was refused: its timed region differs from serial's"
        );
    }
}

/// `size` of workload `name`, parsed for a plan.
fn sizes_again(name: &str, size: &str) -> Vec<PlannedSize> {
    let w = workloads::by_name(name).unwrap();
    vec![PlannedSize::parse(w.as_ref(), size).unwrap()]
}

/// One timed run per row, no warm-up beyond one: enough to check what a row holds.
fn one_run() -> MeasureConfig {
    MeasureConfig {
        warmup_runs: 1,
        min_time_seconds: 0.0,
        min_runs: 1,
        max_runs: 1,
        max_time_seconds: 10.0,
        max_noise: None,
        interleave: false,
    }
}

/// Submissions and waits of one GPU run, bounded per workload by what its work needs.
fn submissions_are_bounded(workload: &dyn Workload, shared: &Arc<GpuContext>) {
    let ctx = &own(shared);
    let name = workload.name();
    let size = small_size(name);
    let (_, syncs) = run_once(workload, size, &Backend::Gpu(ctx.clone()), ctx);
    // (submissions, waits) at most.
    let bound = match name {
        // One for all the work, one for the readback.
        "mandelbrot" | "mandelbrot-fma" | "montecarlo" | "sha256" => (2, 2),
        // The upload flushed, the generations (256 per submission: 1 here), the readback.
        "life" | "life-tiled" | "life-naive" => (3, 3),
        // The upload, the 3 steps in one submission, the readback.
        "nbody" => (3, 3),
        // The upload, the triads in one pass, the readback.
        "stream" => (3, 3),
        other => panic!("no bound for {other}: add one here"),
    };
    assert!(
        (syncs.submissions, syncs.waits) <= bound && syncs.submissions <= bound.0,
        "{name} {size}: {} submissions and {} waits per run, bound {bound:?}",
        syncs.submissions,
        syncs.waits
    );
    assert!(syncs.waits <= bound.1, "{name}: {} waits", syncs.waits);
    if name == "sha256" {
        // The size notation is exhaustive; a first-match search (`speedup run sha256`) of 20
        // batches without a hit submits groups of 1, 2, 4, 8 and 5 batches, each waited for
        // and read back: 10, where one submission per batch made 40.
        let search = Search::new(b"speedup", 40, 0, 20_000, false).unwrap();
        let mut run = Sha256Run::with_batch(&Backend::Gpu(ctx.clone()), search, 1000).unwrap();
        let syncs = syncs_of(ctx, || {
            assert_eq!(run.search().unwrap().0.nonce, None);
        });
        assert!(
            syncs.submissions <= 10 && syncs.waits <= 10,
            "first-match sha256, 20 batches: {syncs:?}"
        );
    }
}

/// Counts a run's syncs, the second of two.
fn syncs_of(ctx: &GpuContext, mut run: impl FnMut()) -> HostSyncs {
    run();
    let before = ctx.host_syncs();
    run();
    ctx.host_syncs() - before
}

fn one_submission_for_every_mandelbrot_band(shared: &Arc<GpuContext>) {
    let ctx = &own(shared);
    for fused in [false, true] {
        let job = Mandelbrot::new(100, 37, 300, Region::FULL)
            .unwrap()
            .with_fused(fused);
        // 1000 iterations per band: 15 bands of 256 pixels.
        let mut run =
            MandelbrotRun::with_dispatch_limit(&Backend::Gpu(ctx.clone()), job, 1000).unwrap();
        let syncs = syncs_of(ctx, || {
            run.render().unwrap();
        });
        assert_eq!(
            (syncs.submissions, syncs.waits),
            (2, 2),
            "15 bands: one submission for all, one readback"
        );
    }
}

fn one_submission_for_every_montecarlo_batch(shared: &Arc<GpuContext>) {
    let ctx = &own(shared);
    let job = MonteCarlo::new(100_003, 7, (1 << 32) - 50_000).unwrap();
    // 25 batches of 4096, across a 2^32 block boundary.
    let mut run = MonteCarloRun::with_batch(&Backend::Gpu(ctx.clone()), job, 4096).unwrap();
    let syncs = syncs_of(ctx, || {
        run.estimate().unwrap();
    });
    assert_eq!((syncs.submissions, syncs.waits), (2, 2), "25 batches");
}

fn one_submission_for_every_exhaustive_sha256_batch(shared: &Arc<GpuContext>) {
    let ctx = &own(shared);
    let search = Search::new(b"speedup", 6, 0, 20_000, true).unwrap();
    // 20 batches of 1000.
    let mut run = Sha256Run::with_batch(&Backend::Gpu(ctx.clone()), search, 1000).unwrap();
    let syncs = syncs_of(ctx, || {
        run.search().unwrap();
    });
    assert_eq!((syncs.submissions, syncs.waits), (2, 2), "20 batches");
}

/// A first-match search records groups of 1, 2, 4, … batches per submission, each batch after
/// a group's first behind a gate that skips it once an earlier one had a hit, and still answers
/// the lowest nonce.
fn first_match_sha256_submits_groups_of_batches(shared: &Arc<GpuContext>) {
    let ctx = &own(shared);
    // Batches of 100 nonces: the answers lie in batch 1 (of the second group, batches 1 and 2),
    // batch 3 (the third, 3 to 6) and batch 29 (the fifth, 15 to 30), and each of those groups
    // has a later batch with a hit (nonces 260, 556, 3031), which the gate must skip: the run
    // reports an error if one of them ran.
    for (difficulty, answer, groups) in [(6, 131, 2), (8, 344, 3), (10, 2923, 5)] {
        let search = Search::new(b"speedup", difficulty, 0, 200_000, false).unwrap();
        let expected = sha256::reference(&search);
        assert_eq!(expected.nonce, Some(answer), "difficulty {difficulty}");
        let mut run = Sha256Run::with_batch(&Backend::Gpu(ctx.clone()), search, 100).unwrap();
        let syncs = syncs_of(ctx, || {
            assert_eq!(run.search().unwrap().0, expected, "difficulty {difficulty}");
        });
        assert_eq!(
            (syncs.submissions, syncs.waits),
            (2 * groups, 2 * groups),
            "difficulty {difficulty}: {groups} groups, each a submission and a readback"
        );
    }
}

fn one_submission_for_every_nbody_step(shared: &Arc<GpuContext>) {
    let ctx = &own(shared);
    let job = NBody::new(100, 40, nbody::DEFAULT_DT, nbody::DEFAULT_SOFTENING).unwrap();
    assert_eq!(nbody::steps_per_submit(ctx, &job), 40, "all 40 steps fit");
    let mut run = NBodyRun::new(&Backend::Gpu(ctx.clone()), job, Bodies::cluster(100, 7)).unwrap();
    let syncs = syncs_of(ctx, || {
        run.simulate().unwrap();
    });
    assert_eq!(
        (syncs.submissions, syncs.waits),
        (3, 3),
        "the upload, 40 steps in one submission (16 per submission made 5), the readback"
    );
    // Long runs of many bodies are split so that no wait nears --gpu-timeout; none is split
    // for want of room below the cap.
    let big = NBody::new(65536, 30, nbody::DEFAULT_DT, nbody::DEFAULT_SOFTENING).unwrap();
    let per = nbody::steps_per_submit(ctx, &big);
    assert!((1..=30).contains(&per), "{per}");
    let many = NBody::new(
        10,
        nbody::MAX_STEPS_PER_SUBMIT + 1,
        nbody::DEFAULT_DT,
        nbody::DEFAULT_SOFTENING,
    )
    .unwrap();
    assert_eq!(
        nbody::steps_per_submit(ctx, &many),
        nbody::MAX_STEPS_PER_SUBMIT
    );
}

/// The CPU rows of the device-filling plan run a part of the GPU rows' very problem: the same
/// parameters per unit of work (max_iter, seed, prefix and difficulty, bodies, grid), and say
/// which part.
fn device_filling_rows_share_their_per_unit_parameters() {
    let mut checked = 0;
    for w in workloads::all() {
        let d = w.device_size().expect("every workload fills a device");
        assert!(!d.part.is_empty(), "{}: no part note", w.name());
        let (cpu, gpu) = match (w.problem(d.cpu), w.problem(d.gpu)) {
            (Ok(c), Ok(g)) => (c, g),
            (Err(e), _) | (_, Err(e)) if e.to_string().contains("is available") => {
                eprintln!(
                    "{}: not checked, this machine lacks the memory: {e}",
                    w.name()
                );
                continue;
            }
            (Err(e), _) | (_, Err(e)) => panic!("{}: {e}", w.name()),
        };
        assert_eq!(
            cpu.per_unit(),
            gpu.per_unit(),
            "{}: the CPU rows ({}) and GPU rows ({}) run different problems",
            w.name(),
            d.cpu,
            d.gpu
        );
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} workloads checked");
    // The check has teeth: the old mandelbrot CPU size (max_iter 20) is another problem.
    let m = workloads::by_name("mandelbrot").unwrap();
    assert_ne!(
        m.problem("8192x8192:20").unwrap().per_unit(),
        m.problem("8192x8192:4000").unwrap().per_unit()
    );
}

/// A speedup against a row whose clock covered other data (here: a result left on the device)
/// is refused, not computed.
fn a_row_refuses_a_baseline_that_timed_other_data() {
    use speedup::harness::report::{fill_comparisons, same_timed_region};
    let w = workloads::by_name("montecarlo").unwrap();
    let sizes = vec![PlannedSize::parse(w.as_ref(), "1000").unwrap()];
    let plan = Plan {
        workloads: vec![(w, sizes)],
        backends: vec![Backend::Serial, Backend::Rayon { threads: 2 }],
        config: one_run(),
        default_rayon_threads: 2,
        fill_devices: false,
        crossovers: false,
        timing: Timing::EndToEnd,
    };
    let mut report = bench::run(&plan, Vec::new(), &mut Silent).unwrap();
    assert!(report.results[1].speedup_vs_serial.is_some());
    assert!(same_timed_region(&report.results[0], &report.results[1]));
    report.results[1].result_bytes = Some(0);
    fill_comparisons(&mut report);
    assert_eq!(report.results[1].speedup_vs_serial, None);
    assert!(!same_timed_region(&report.results[0], &report.results[1]));
}

/// The checks above have teeth: a planted run (upload, then readback, of 256 bytes) that
/// uploads before its clock starts or reads back after it stops is caught by its row alone,
/// and by the ledger across its call; the same run with both transfers inside is not.
fn a_transfer_outside_the_clock_is_seen(ctx: &Arc<GpuContext>) {
    let data: Vec<u8> = (0..=255).collect();
    let bytes = data.len() as u64;
    let run = |upload_inside: bool, readback_inside: bool| {
        let before = Transfers::so_far();
        let early = (!upload_inside).then(|| ctx.storage_with_data("planted", &data).unwrap());
        let clock = RunClock::start();
        let buffer = early.unwrap_or_else(|| ctx.storage_with_data("planted", &data).unwrap());
        let results = clock.ready(bytes).done(None);
        let inside = readback_inside.then(|| ctx.read_buffer(&buffer, bytes).unwrap());
        let timing = results.on_host(bytes);
        let back = inside.unwrap_or_else(|| ctx.read_buffer(&buffer, bytes).unwrap());
        assert_eq!(back, data);
        let outside = timing.moved_outside(Transfers::so_far() - before);
        (
            timing.unseen_transfers(),
            (outside.to_device, outside.to_host),
        )
    };
    assert_eq!(run(true, true), (None, (0, 0)));
    let (late, outside) = run(true, false);
    let late = late.expect("a readback after the clock is seen");
    assert!(
        late.contains("256 result bytes but its clock saw none"),
        "{late}"
    );
    assert_eq!(outside, (0, 256));
    let (early, outside) = run(false, true);
    let early = early.expect("an upload before the clock is seen");
    assert!(
        early.contains("256 input bytes but its clock saw 0 uploaded"),
        "{early}"
    );
    assert_eq!(outside, (256, 0));
}
