//! Every WGSL file in shaders/ is part of a kernel the crate compiles, and every kernel, composed
//! as the crate composes it (shaders/life_adder.wgsl and life_common.wgsl in front of the Life
//! kernels), parses and validates with naga, without a GPU. The kernels are the ones the code
//! lists beside its host code (`speedup::workloads::shader_builds`), not a list kept here.

use speedup::gpu::ShaderBuild;

#[test]
fn every_shader_validates() {
    use naga::valid::{Capabilities, ValidationFlags, Validator};
    let kernels = speedup::workloads::shader_builds();
    for ShaderBuild { label, source, .. } in &kernels {
        let module = naga::front::wgsl::parse_str(source)
            .unwrap_or_else(|e| panic!("{label}: {}", e.emit_to_string(source)));
        Validator::new(ValidationFlags::all(), Capabilities::all())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{label}: {}", e.emit_to_string(source)));
    }
    // A file no kernel includes would escape the validation above (and be dead code).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("wgsl") {
            continue;
        }
        let file = std::fs::read_to_string(&path).unwrap();
        assert!(
            kernels.iter().any(|build| build.source.contains(&file)),
            "{}: part of no kernel the crate compiles",
            path.display()
        );
        count += 1;
    }
    assert!(count >= 1, "no shaders found in {}", dir.display());
}

/// The Vulkan, Metal, DX12 and GL promise, checked without those drivers: every kernel, with its
/// constants, goes through naga to SPIR-V (validated by `spirv-val`, Debian's spirv-tools, for
/// Vulkan 1.1), MSL, HLSL (shader model 5.1) and GLSL ES 3.10, and any error fails the test.
/// Without spirv-val the SPIR-V is still generated, and the test says it skipped the validation
/// (CI installs spirv-tools and sets SPEEDUP_REQUIRE_SPIRV_VAL=1).
#[test]
fn every_kernel_translates_to_every_shading_language() {
    use naga::back::{glsl, hlsl, msl, spv};
    use naga::valid::{Capabilities, ValidationFlags, Validator};
    let spirv_val = std::process::Command::new("spirv-val")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !spirv_val {
        assert!(
            !std::env::var("SPEEDUP_REQUIRE_SPIRV_VAL").is_ok_and(|v| v == "1"),
            "SPEEDUP_REQUIRE_SPIRV_VAL=1 but spirv-val is missing (apt-get install spirv-tools)"
        );
        eprintln!(
            "spirv-val not found (apt-get install spirv-tools): SPIR-V generated, not validated"
        );
    }
    let dir = std::env::temp_dir().join(format!("speedup-spirv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    let kernels = speedup::workloads::shader_builds();
    for build in &kernels {
        let ShaderBuild {
            label,
            source,
            entry_point: entry,
            constants,
        } = build;
        let module = naga::front::wgsl::parse_str(source)
            .unwrap_or_else(|e| panic!("{label}: {}", e.emit_to_string(source)));
        let info = Validator::new(ValidationFlags::all(), Capabilities::all())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{label}: {}", e.emit_to_string(source)));
        let mut values = naga::back::PipelineConstants::default();
        for (name, value) in constants {
            values.insert(name.to_string(), *value);
        }
        let stage = naga::ShaderStage::Compute;
        let (module, info) = naga::back::pipeline_constants::process_overrides(
            &module,
            &info,
            Some((stage, entry)),
            &values,
        )
        .unwrap_or_else(|e| panic!("{label}: constants {constants:?}: {e}"));
        let mut fail = |language: &str, error: String| {
            failures.push(format!("{label} -> {language}: {error}"));
        };

        let spv_options = spv::Options {
            lang_version: (1, 3),
            ..Default::default()
        };
        let spv_pipeline = spv::PipelineOptions {
            shader_stage: stage,
            entry_point: entry.to_string(),
        };
        match spv::write_vec(&module, &info, &spv_options, Some(&spv_pipeline)) {
            Err(e) => fail("SPIR-V", e.to_string()),
            Ok(words) if spirv_val => {
                let file = dir.join(format!("{}.spv", label.replace(['/', ' '], "_")));
                std::fs::write(&file, bytemuck_words(&words)).unwrap();
                let o = std::process::Command::new("spirv-val")
                    .args(["--target-env", "vulkan1.1"])
                    .arg(&file)
                    .output()
                    .unwrap();
                if !o.status.success() {
                    fail(
                        "SPIR-V (spirv-val, vulkan1.1)",
                        String::from_utf8_lossy(&o.stderr).trim().replace('\n', " "),
                    );
                }
            }
            Ok(_) => {}
        }

        let msl_pipeline = msl::PipelineOptions {
            entry_point: Some((stage, entry.to_string())),
            ..Default::default()
        };
        let msl_options = msl::Options {
            lang_version: (2, 1),
            fake_missing_bindings: true,
            ..Default::default()
        };
        if let Err(e) = msl::write_string(&module, &info, &msl_options, &msl_pipeline) {
            fail("MSL", e.to_string());
        }

        let hlsl_options = hlsl::Options {
            shader_model: hlsl::ShaderModel::V5_1,
            fake_missing_bindings: true,
            ..Default::default()
        };
        let hlsl_pipeline = hlsl::PipelineOptions {
            entry_point: Some((stage, entry.to_string())),
        };
        let mut hlsl_out = String::new();
        if let Err(e) = hlsl::Writer::new(&mut hlsl_out, &hlsl_options, &hlsl_pipeline)
            .write(&module, &info, None)
        {
            fail("HLSL", e.to_string());
        }

        let glsl_options = glsl::Options {
            version: glsl::Version::Embedded {
                version: 310,
                is_webgl: false,
            },
            ..Default::default()
        };
        let glsl_pipeline = glsl::PipelineOptions {
            shader_stage: stage,
            entry_point: entry.to_string(),
            multiview: None,
        };
        let mut glsl_out = String::new();
        match glsl::Writer::new(
            &mut glsl_out,
            &module,
            &info,
            &glsl_options,
            &glsl_pipeline,
            naga::proc::BoundsCheckPolicies::default(),
        ) {
            Err(e) => fail("GLSL ES 3.10", e.to_string()),
            Ok(mut w) => {
                if let Err(e) = w.write() {
                    fail("GLSL ES 3.10", e.to_string());
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(kernels.len() >= 16);
}

fn bytemuck_words(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Each shader says in its header why it may be compiled without wgpu's runtime checks (loop
/// bounding, division guards, bounds clamps), which src/gpu/context.rs turns off.
#[test]
fn every_shader_says_why_it_needs_no_runtime_checks() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("wgsl") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        assert!(
            source.contains("// Runtime checks"),
            "{}: no 'Runtime checks' paragraph saying why the shader is safe without them",
            path.display()
        );
    }
}
