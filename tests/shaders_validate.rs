//! Every WGSL file in shaders/ parses and validates with naga, without a GPU: the Life kernels
//! with the shared rule (shaders/life_common.wgsl) in front, as src/life/gpu.rs compiles them.

#[test]
fn every_shader_validates() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("wgsl") {
            continue;
        }
        let mut source = std::fs::read_to_string(&path).unwrap();
        // The bit-packed Life kernels use what life_common.wgsl declares, put in front of them
        // when compiled (src/life/gpu.rs), as it is here.
        if source.contains("apply_rule(") && !source.contains("fn apply_rule") {
            source = std::fs::read_to_string(dir.join("life_common.wgsl")).unwrap() + &source;
        }
        let module = naga::front::wgsl::parse_str(&source)
            .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.emit_to_string(&source)));
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::all(),
        )
        .validate(&module)
        .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.emit_to_string(&source)));
        count += 1;
    }
    assert!(count >= 1, "no shaders found in {}", dir.display());
}
