//! The workload suite on every backend against each workload's plain reference, at awkward sizes:
//! integer workloads bit-identical, float workloads within their stated tolerance. Messages say
//! which backend, which case, where, and by how much.

mod common;

use speedup::backend::Backend;
use speedup::gpu::GpuContext;
use speedup::isa::Isa;
use speedup::workloads;
use std::sync::Arc;

fn main() {
    let mut suite = common::Suite::new(file!());
    // Every registered workload's own `verify` passes on every backend: `verify::NAME::BACKEND`.
    // Life has its own, larger suite (tests/backends_agree.rs).
    for workload in workloads::all().into_iter().filter(|w| w.name() != "life") {
        let name = format!("verify::{}", workload.name());
        suite.per_backend(&name, move |backend| {
            let check = workload
                .verify(backend)
                .unwrap_or_else(|e| panic!("{} on {}: {e}", workload.name(), backend.label()));
            let (name, label) = (workload.name(), backend.label());
            assert!(check.passed, "{name} on {label}: {}", check.detail);
        });
    }
    // And on serial and Rayon at each instruction-set level, the level forced (ignored where this
    // CPU lacks it): `verify::NAME::serial_avx2`. Each run says it ran at that level.
    for workload in workloads::all() {
        let name = format!("verify::{}", workload.name());
        suite.per_cpu_level(&name, move |backend, isa| {
            let (name, label) = (workload.name(), backend.label());
            let size = &workload.default_sizes(true)[0];
            let prepared = workload.prepare(size, backend).unwrap();
            // Kernels with vector code run at the forced level (Life's bit-packed kernels at
            // theirs for it); plain-Rust kernels say nothing, and their rows say the baseline.
            let expected = match name {
                "life-naive" => Some(Isa::baseline()),
                _ if name.starts_with("life") => Some(speedup::life::cpu::life_level(isa)),
                "mandelbrot" | "mandelbrot-fma" | "nbody" | "montecarlo" | "sha256" => Some(isa),
                _ => prepared.cpu_isa().map(|_| isa),
            };
            assert_eq!(
                prepared.cpu_isa(),
                expected,
                "{name} on {label} forced to {isa}"
            );
            let check = workload
                .verify(backend)
                .unwrap_or_else(|e| panic!("{name} on {label} at {isa}: {e}"));
            assert!(check.passed, "{name} on {label} at {isa}: {}", check.detail);
        });
    }
    common::trials!(suite.per_backend(
        mandelbrot::backends_match_reference,
        nbody::accelerations_match_f64_reference,
        nbody::disc_conserves_energy_and_follows_f64,
        nbody::a_lone_pair_attracts,
        sha256::backends_match_reference,
        montecarlo::backends_count_exactly_the_reference_hits,
        montecarlo::racy_count_loses_increments_but_never_invents_them,
        stream::backends_match_reference_bit_for_bit,
        stream::repeated_runs_keep_the_result_and_count_the_bytes,
    ));
    common::trials!(suite.per_gpu(
        mandelbrot::gpu_bands_make_the_same_image,
        stream::beyond_a_binding_the_error_names_the_limit,
    ));
    common::trials!(suite.test(
        mandelbrot::known_points,
        mandelbrot::work_is_the_sum_of_counts,
        mandelbrot::bad_parameters_are_refused,
        mandelbrot::png_is_written,
        nbody::serial_and_rayon_are_bit_identical,
        nbody::bad_parameters_are_refused,
        sha256::the_answer_really_has_the_zeros_and_is_the_smallest,
        sha256::leading_zero_bits_counts_across_bytes,
        sha256::bad_parameters_are_refused,
        montecarlo::the_estimate_is_close_to_pi,
        montecarlo::bad_parameters_are_refused,
        stream::bad_parameters_are_refused,
        cli::mandelbrot_writes_a_png,
        cli::every_workload_runs_and_reports_its_unit,
        cli::racy_serial_loses_nothing,
        cli::misplaced_and_bad_flags_are_errors,
    ));
    suite.run()
}

mod mandelbrot {
    use super::*;
    use speedup::workloads::mandelbrot::{
        self, compare, reference, Mandelbrot, Region, MAX_GPU_DIFF_FRACTION,
    };

    /// Serial and Rayon equal the reference bit for bit; the GPU differs in at most 0.1% of
    /// pixels, summed over the cases (one 1x1 image would otherwise make a single pixel 100%).
    pub fn backends_match_reference(backend: &Backend) {
        let (mut pixels, mut differing) = (0, 0);
        for job in mandelbrot::verify_cases() {
            let expected = reference(&job);
            let got = mandelbrot::render(backend, job).unwrap();
            let diff = compare(&job, &got, &expected)
                .unwrap_or_else(|e| panic!("{}: {e}", backend.label()));
            if !matches!(backend, Backend::Gpu(_)) {
                assert_eq!(
                    diff,
                    0,
                    "{}: {}x{} max_iter {} region {}: {diff} pixels differ",
                    backend.label(),
                    job.width,
                    job.height,
                    job.max_iter,
                    job.region
                );
            }
            pixels += job.pixels();
            differing += diff;
        }
        let fraction = differing as f64 / pixels as f64;
        eprintln!("{}: {differing} of {pixels} pixels differ", backend.label());
        assert!(
            fraction <= MAX_GPU_DIFF_FRACTION,
            "{}: {differing} of {pixels} pixels differ ({:.4}%, bound {}%)",
            backend.label(),
            fraction * 100.0,
            MAX_GPU_DIFF_FRACTION * 100.0
        );
        // Mesa's software adapters keep every f32 rounding the shader asks for (the no-fuse
        // guard holds, and they do not flush subnormals): exact there. A real GPU may flush
        // subnormals, hence the tolerance above.
        if let Backend::Gpu(ctx) = &backend {
            if ctx.is_software() {
                assert_eq!(
                    differing,
                    0,
                    "{}: the no-fuse guard let products fuse",
                    backend.label()
                );
            }
        }
    }

    /// Split into bands of a few workgroups each (the way huge images are run), the GPU image is
    /// the same as in one dispatch.
    pub fn gpu_bands_make_the_same_image(ctx: &Arc<GpuContext>) {
        let job = Mandelbrot::new(100, 37, 300, Region::FULL).unwrap();
        let backend = Backend::Gpu(ctx.clone());
        let whole = mandelbrot::render(&backend, job).unwrap();
        let banded = mandelbrot::MandelbrotRun::with_dispatch_limit(&backend, job, 300 * 700)
            .unwrap()
            .render()
            .unwrap()
            .0;
        assert_eq!(banded, whole, "{}", backend.label());
    }

    pub fn known_points() {
        // c = 0 never escapes; c = 1 escapes after 0 → 1 → 2 → 5: three iterations.
        assert_eq!(mandelbrot::escape_count(0.0, 0.0, 100), 100);
        assert_eq!(mandelbrot::escape_count(1.0, 0.0, 100), 3);
        assert_eq!(mandelbrot::escape_count(-2.5, 0.0, 100), 1);
    }

    pub fn work_is_the_sum_of_counts() {
        let job = Mandelbrot::new(40, 30, 100, Region::FULL).unwrap();
        let image = reference(&job);
        let mut run = mandelbrot::MandelbrotRun::new(&Backend::Serial, job).unwrap();
        use speedup::workloads::Prepared;
        run.run().unwrap();
        assert_eq!(run.work(), image.total_iterations() as f64);
        assert!(image.inside() > 0 && image.inside() < job.pixels());
    }

    pub fn bad_parameters_are_refused() {
        let err = |r: speedup::Result<Mandelbrot>| r.unwrap_err().to_string();
        assert!(err(Mandelbrot::parse("0x10", Region::FULL)).contains("empty"));
        assert!(err(Mandelbrot::parse("10x10:0", Region::FULL)).contains("max_iter"));
        assert!(err(Mandelbrot::parse("10by10", Region::FULL)).contains("expected WxH"));
        assert!(err(Mandelbrot::parse("100000x100000", Region::FULL)).contains("too large"));
        // One W×H notation for Life and the workloads: `N` alone is a square.
        let square = Mandelbrot::parse("64:10", Region::FULL).unwrap();
        assert_eq!((square.width, square.height, square.max_iter), (64, 64, 10));
        assert_eq!(
            speedup::workloads::life::parse_life_size("4096").unwrap(),
            (4096, 4096, speedup::workloads::life::DEFAULT_GENERATIONS)
        );
        assert!(Region::parse("1,0,0,1")
            .unwrap_err()
            .to_string()
            .contains("re_min < re_max"));
        assert!(Region::parse("1,2,3").is_err());
        assert!(Region::parse("-2,-1,nan,1").is_err());
    }

    pub fn png_is_written() {
        let job = Mandelbrot::new(33, 17, 64, Region::FULL).unwrap();
        let image = reference(&job);
        let dir = std::env::temp_dir().join(format!("speedup-mandel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.png");
        image.write_png(&path).unwrap();
        let decoder = png::Decoder::new(std::fs::File::open(&path).unwrap());
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (33, 17));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

mod nbody {
    use super::*;
    use speedup::workloads::nbody::{
        self, accel_check, energy_check, Bodies, NBody, ACCEL_TOLERANCE, CHECK_SIZES,
        ENERGY_TOLERANCE, POSITION_TOLERANCE,
    };

    pub fn accelerations_match_f64_reference(backend: &Backend) {
        let mut worst = 0.0f64;
        for (i, &n) in CHECK_SIZES.iter().enumerate() {
            let e = accel_check(backend, n, 500 + i as u64).unwrap();
            worst = worst.max(e.relative);
            assert!(
                e.relative <= ACCEL_TOLERANCE,
                "{}: {n} bodies: body {} acceleration off by {:.3e} of its terms' magnitude (bound {ACCEL_TOLERANCE:.0e})",
                backend.label(),
                e.body,
                e.relative
            );
        }
        eprintln!(
            "{}: worst relative acceleration error {worst:.3e}",
            backend.label()
        );
    }

    pub fn disc_conserves_energy_and_follows_f64(backend: &Backend) {
        let e = energy_check(backend, 63, 200).unwrap();
        eprintln!("{}: {e:?}", backend.label());
        assert!(
            e.drift <= ENERGY_TOLERANCE,
            "{}: energy drift {:.3e} over {} steps (bound {ENERGY_TOLERANCE:.0e})",
            backend.label(),
            e.drift,
            e.steps
        );
        assert!(
            e.position_error <= POSITION_TOLERANCE,
            "{}: final positions off by {:.3e} of the radius (bound {POSITION_TOLERANCE:.0e})",
            backend.label(),
            e.position_error
        );
    }

    pub fn serial_and_rayon_are_bit_identical() {
        let job = NBody::new(257, 3, 1e-3, 0.05).unwrap();
        let bodies = Bodies::cluster(257, 9);
        let serial = nbody::simulate(&Backend::Serial, job, bodies.clone()).unwrap();
        let rayon = nbody::simulate(&Backend::Rayon { threads: 3 }, job, bodies).unwrap();
        assert_eq!(serial, rayon);
    }

    pub fn a_lone_pair_attracts(backend: &Backend) {
        // Two unit masses 2 apart, ε = 0.05: each pulls the other with 2 / (4 + ε²)^{3/2}.
        let bodies = Bodies {
            pos: vec![[-1.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]],
            vel: vec![[0.0; 4]; 2],
        };
        let job = NBody::new(2, 1, 1e-3, 0.05).unwrap();
        let expected = 2.0 / (4.0f64 + 0.0025).powf(1.5);
        let r = nbody::simulate(backend, job, bodies.clone()).unwrap();
        let a = r.accel[0][0] as f64;
        assert!(
            (a - expected).abs() < 1e-6 && (r.accel[1][0] as f64 + expected).abs() < 1e-6,
            "{}: accelerations {:?}, expected ±{expected}",
            backend.label(),
            r.accel
        );
        assert!(r.bodies.pos[0][0] > -1.0 && r.bodies.pos[1][0] < 1.0);
    }

    pub fn bad_parameters_are_refused() {
        assert!(NBody::parse("0")
            .unwrap_err()
            .to_string()
            .contains("between 1"));
        assert!(NBody::parse("10:0")
            .unwrap_err()
            .to_string()
            .contains("steps"));
        assert!(NBody::parse("ten").is_err());
        assert!(NBody::new(10, 1, 1e-3, 0.0)
            .unwrap_err()
            .to_string()
            .contains("softening"));
        assert!(NBody::new(10, 1, f32::NAN, 0.1)
            .unwrap_err()
            .to_string()
            .contains("time step"));
        assert!(NBody::parse("100000000").is_err());
    }
}

mod sha256 {
    use super::*;
    use sha2::{Digest, Sha256};
    use speedup::workloads::sha256::{self, reference, Search, Sha256Run, MAX_PREFIX};

    /// Every backend returns exactly the reference's answer (nonce, hit count, nonces tried),
    /// with batches small enough that searches span several, and with the default batch.
    pub fn backends_match_reference(backend: &Backend) {
        for s in sha256::check_searches() {
            let expected = reference(&s);
            for batch in [64, 1000, sha256::DEFAULT_BATCH] {
                let got = Sha256Run::with_batch(backend, s.clone(), batch)
                    .unwrap()
                    .search()
                    .unwrap()
                    .0;
                assert_eq!(
                    got,
                    expected,
                    "{}: prefix {:?} difficulty {} nonces {:?} exhaustive {} batch {batch}",
                    backend.label(),
                    String::from_utf8_lossy(&s.prefix),
                    s.difficulty,
                    s.range(),
                    s.exhaustive
                );
            }
        }
    }

    pub fn the_answer_really_has_the_zeros_and_is_the_smallest() {
        let s = Search::new(b"speedup", 12, 0, 1 << 16, false).unwrap();
        let found = sha256::search(&Backend::Rayon { threads: 3 }, s.clone()).unwrap();
        let nonce = found.nonce.expect("a 12-bit hit within 65536 nonces");
        let digest = Sha256::digest(sha256::message(b"speedup", nonce));
        assert!(sha256::leading_zero_bits(&digest) >= 12, "{digest:x?}");
        for earlier in 0..nonce {
            let d = Sha256::digest(sha256::message(b"speedup", earlier));
            assert!(
                sha256::leading_zero_bits(&d) < 12,
                "nonce {earlier} also qualifies"
            );
        }
        assert_eq!(found.tried, nonce + 1);
    }

    pub fn leading_zero_bits_counts_across_bytes() {
        assert_eq!(sha256::leading_zero_bits(&[0x80, 0]), 0);
        assert_eq!(sha256::leading_zero_bits(&[0x01, 0xff]), 7);
        assert_eq!(sha256::leading_zero_bits(&[0, 0, 0x10]), 19);
        assert_eq!(sha256::leading_zero_bits(&[0; 4]), 32);
    }

    pub fn bad_parameters_are_refused() {
        let long = vec![b'x'; MAX_PREFIX + 1];
        assert!(Search::new(&long, 8, 0, 10, false)
            .unwrap_err()
            .to_string()
            .contains("prefix"));
        assert!(Search::new(b"", 0, 0, 10, false)
            .unwrap_err()
            .to_string()
            .contains("difficulty"));
        assert!(Search::new(b"", 65, 0, 10, false).is_err());
        assert!(Search::new(b"", 8, 0, 0, false)
            .unwrap_err()
            .to_string()
            .contains("empty"));
        assert!(Search::new(b"", 8, u64::MAX, 1, false).is_err());
        assert!(Search::parse("2^64").is_err());
        assert_eq!(Search::parse("2^10:5").unwrap().count, 1024);
    }
}

mod montecarlo {
    use super::*;
    use speedup::workloads::montecarlo::{self, reference, MonteCarlo, MonteCarloRun};

    /// Every backend counts exactly the reference's hits, with GPU batches small enough that a
    /// count spans several submissions, and with the default batch.
    pub fn backends_count_exactly_the_reference_hits(backend: &Backend) {
        for job in montecarlo::check_jobs() {
            let expected = reference(&job);
            for batch in [1000, montecarlo::DEFAULT_BATCH] {
                let got = MonteCarloRun::with_batch(backend, job, batch)
                    .unwrap()
                    .estimate()
                    .unwrap()
                    .0;
                assert_eq!(
                    got,
                    expected,
                    "{}: {} samples from index {} seed {} batch {batch}",
                    backend.label(),
                    job.samples,
                    job.first,
                    job.seed
                );
            }
        }
    }

    pub fn the_estimate_is_close_to_pi() {
        let job = MonteCarlo::new(1 << 22, 5, 0).unwrap();
        let e = montecarlo::estimate(&Backend::Rayon { threads: 3 }, job).unwrap();
        let off = (e.pi() - std::f64::consts::PI).abs();
        assert!(
            off < 5.0 * e.standard_error(),
            "pi ~ {} is {off:.2e} off, {:.1} standard errors",
            e.pi(),
            off / e.standard_error()
        );
        // Different seeds draw different points.
        let other = montecarlo::estimate(&Backend::Serial, MonteCarlo::new(1 << 16, 6, 0).unwrap())
            .unwrap();
        let same_n =
            montecarlo::estimate(&Backend::Serial, MonteCarlo::new(1 << 16, 5, 0).unwrap())
                .unwrap();
        assert_ne!(other.hits, same_n.hits);
    }

    /// The racy count never exceeds the truth and, alone, loses nothing. Losses under real
    /// contention depend on scheduling, so they are printed rather than required.
    pub fn racy_count_loses_increments_but_never_invents_them(backend: &Backend) {
        let job = MonteCarlo::new(1 << 18, 3, 0).unwrap();
        let r = montecarlo::racy(backend, job).unwrap();
        assert_eq!(r.expected, reference(&job).hits, "{}", backend.label());
        if matches!(backend, Backend::Serial) {
            assert_eq!(r.counted, r.expected, "one thread races with nobody");
        }
        eprintln!(
            "{}: racy count {} of {} ({} lost)",
            backend.label(),
            r.counted,
            r.expected,
            r.lost()
        );
        assert!(r.counted <= r.expected, "{}: {r:?}", backend.label());
        assert_eq!(r.lost(), r.expected - r.counted);
    }

    pub fn bad_parameters_are_refused() {
        assert!(MonteCarlo::parse("0")
            .unwrap_err()
            .to_string()
            .contains("between 1"));
        assert!(MonteCarlo::parse("2^49").is_err());
        assert!(MonteCarlo::parse("many").is_err());
        assert!(MonteCarlo::new(10, 1, u64::MAX - 5).is_err());
    }
}

mod stream {
    use super::*;
    use speedup::workloads::stream::{self, first_difference, reference, Stream, StreamRun};
    use speedup::workloads::Prepared;

    pub fn backends_match_reference_bit_for_bit(backend: &Backend) {
        for &n in stream::CHECK_SIZES {
            let got = stream::triad_once(backend, n).unwrap();
            if let Some((i, g, e)) = first_difference(&got, &reference(n)) {
                panic!(
                    "{}: {n} elements: a[{i}] = {g}, expected {e}",
                    backend.label()
                );
            }
        }
    }

    pub fn repeated_runs_keep_the_result_and_count_the_bytes(backend: &Backend) {
        let job = Stream::new(1000, 3).unwrap();
        let mut run = StreamRun::new(backend, job).unwrap();
        run.run().unwrap();
        run.run().unwrap();
        assert_eq!(
            first_difference(&run.result().unwrap(), &reference(1000)),
            None
        );
        assert_eq!(run.work(), 12.0 * 1000.0 * 3.0);
    }

    pub fn bad_parameters_are_refused() {
        assert!(Stream::parse("0")
            .unwrap_err()
            .to_string()
            .contains("between 1"));
        assert!(Stream::parse("10:0")
            .unwrap_err()
            .to_string()
            .contains("repetitions"));
        assert!(Stream::parse("2^40").is_err());
        assert!(Stream::parse("lots").is_err());
    }

    /// Larger than any binding on the GPU: the error names the limit.
    pub fn beyond_a_binding_the_error_names_the_limit(ctx: &Arc<GpuContext>) {
        let limit = ctx.limits().max_storage_buffer_binding_size;
        let too_many = (limit / 4 + 1).min(u32::MAX as u64);
        if too_many * 4 > limit && too_many * 12 < 8 << 30 {
            let err = StreamRun::new(
                &Backend::Gpu(ctx.clone()),
                Stream::new(too_many, 1).unwrap(),
            )
            .err()
            .expect("beyond the binding limit");
            assert!(
                err.to_string().contains("max_storage_buffer_binding_size"),
                "{err}"
            );
        }
    }
}

/// `speedup run` end to end, on the CPU backends (the GPU paths are covered above).
mod cli {
    use std::process::Command;

    fn speedup(args: &[&str]) -> (bool, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_speedup"))
            .args(args)
            .output()
            .expect("run speedup");
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    }

    pub fn mandelbrot_writes_a_png() {
        let dir = std::env::temp_dir().join(format!("speedup-run-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.png");
        let (ok, text) = speedup(&[
            "run",
            "mandelbrot",
            "--size",
            "65x33",
            "--max-iter",
            "50",
            "--backend",
            "serial",
            "--output",
            path.to_str().unwrap(),
        ]);
        assert!(ok, "{text}");
        assert!(
            text.contains("pixel-iterations/s") && text.contains("written:"),
            "{text}"
        );
        assert!(std::fs::metadata(&path).unwrap().len() > 100);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    pub fn every_workload_runs_and_reports_its_unit() {
        for (args, expect) in [
            (&["nbody", "--size", "100:2"][..], "body-interactions/s"),
            (
                &["sha256", "--size", "2^14", "--difficulty", "8"][..],
                "nonce:        ",
            ),
            (&["montecarlo", "--size", "100003"][..], "samples/s"),
            (&["stream", "--size", "1000:3"][..], "GB/s"),
        ] {
            let mut all = vec!["run"];
            all.extend_from_slice(args);
            all.extend_from_slice(&["--backend", "rayon", "--threads", "2"]);
            let (ok, text) = speedup(&all);
            assert!(ok && text.contains(expect), "{all:?}: {text}");
        }
    }

    pub fn racy_serial_loses_nothing() {
        let (ok, text) = speedup(&[
            "run",
            "montecarlo",
            "--racy",
            "--size",
            "1000",
            "--backend",
            "serial",
        ]);
        assert!(ok && text.contains("lost:         0 increments"), "{text}");
    }

    pub fn misplaced_and_bad_flags_are_errors() {
        let (ok, text) = speedup(&["run", "stream", "--max-iter", "5", "--backend", "serial"]);
        assert!(
            !ok && text
                .contains("--max-iter applies to mandelbrot and mandelbrot-fma only, not stream"),
            "{text}"
        );
        let (ok, text) = speedup(&["run", "sha256", "--difficulty", "99", "--backend", "serial"]);
        assert!(!ok && text.contains("difficulty 99"), "{text}");
        let (ok, text) = speedup(&[
            "run",
            "mandelbrot",
            "--region",
            "1,1,0,0",
            "--backend",
            "serial",
        ]);
        assert!(!ok && text.contains("--region"), "{text}");
    }
}
