//! Test support: checks that what a kernel's host code mirrors from its WGSL source (the layout
//! of its uniform struct, its workgroup size) agrees with the shader, read by naga (a
//! dev-dependency, at wgpu's version) rather than copied by hand and kept in sync by comments.
//!
//! Each host file stamps one test with [`shader_mirror_test!`]; a mismatch fails with the member
//! or entry point named and both sides' values.

/// A member of a struct as laid out in memory: name, byte offset and byte size.
pub type Member = (String, u32, u32);

/// The members of WGSL struct `name` in `source` that are not padding (names starting with `_`),
/// in order, and the struct's whole size (WGSL's `span`, padding included).
pub fn wgsl_struct(source: &str, name: &str) -> (Vec<Member>, u32) {
    let module = parse(source);
    let gctx = module.to_ctx();
    for (_, ty) in module.types.iter() {
        if ty.name.as_deref() != Some(name) {
            continue;
        }
        let naga::TypeInner::Struct { members, span } = &ty.inner else {
            panic!("WGSL type {name} is not a struct");
        };
        let members = members
            .iter()
            .map(|m| {
                let member = m.name.clone().unwrap_or_default();
                (member, m.offset, module.types[m.ty].inner.size(gctx))
            })
            .filter(|(member, _, _)| !member.starts_with('_'))
            .collect();
        return (members, *span);
    }
    panic!("no struct {name} in the WGSL source");
}

/// The `@workgroup_size` of entry point `entry` in `source`.
pub fn workgroup_size(source: &str, entry: &str) -> [u32; 3] {
    let module = parse(source);
    module
        .entry_points
        .iter()
        .find(|e| e.name == entry)
        .unwrap_or_else(|| panic!("no entry point {entry} in the WGSL source"))
        .workgroup_size
}

fn parse(source: &str) -> naga::Module {
    naga::front::wgsl::parse_str(source)
        .unwrap_or_else(|e| panic!("WGSL does not parse: {}", e.emit_to_string(source)))
}

/// Asserts that the Rust mirror of a WGSL struct has the same non-padding members, in the same
/// order, at the same offsets and of the same sizes, and the same whole size. `rust` lists the
/// Rust struct's non-padding members; `rust_size` is its `size_of`. `source_name` names the
/// source in messages.
pub fn assert_struct_mirrors(
    source: &str,
    source_name: &str,
    wgsl_name: &str,
    rust_name: &str,
    rust: &[Member],
    rust_size: usize,
) {
    let (wgsl, span) = wgsl_struct(source, wgsl_name);
    for i in 0..wgsl.len().max(rust.len()) {
        assert_eq!(
            wgsl.get(i),
            rust.get(i),
            "member {i} (name, offset, bytes) of WGSL {wgsl_name} in {source_name} vs Rust {rust_name}"
        );
    }
    assert_eq!(
        span as usize, rust_size,
        "size of WGSL {wgsl_name} in {source_name} vs Rust {rust_name}"
    );
}

/// Stamps a test named `$test` that checks a kernel's host code against its WGSL sources (one or
/// more, in brackets, that share the entry points and structs):
/// each `entry => CONSTANT` says the entry point's `@workgroup_size` is `(CONSTANT, 1, 1)`, and
/// each `"WgslStruct" => RustStruct { fields }` that the Rust struct (`repr(C)`, `Zeroable`)
/// mirrors the WGSL one (list every Rust field but padding ones, named with a leading `_`).
macro_rules! shader_mirror_test {
    (
        $test:ident, [$($source:expr),+ $(,)?],
        workgroups { $($entry:literal => $size:expr),* $(,)? },
        structs { $($wgsl:literal => $rust:ident { $($field:ident),* $(,)? }),* $(,)? } $(,)?
    ) => {
        #[test]
        fn $test() {
            for (name, source) in [$((stringify!($source), $source)),+] {
                $(
                    assert_eq!(
                        $crate::gpu::mirror::workgroup_size(source, $entry),
                        [$size as u32, 1, 1],
                        "@workgroup_size of entry point {} of {name} vs {}",
                        $entry,
                        stringify!($size)
                    );
                )*
                $(
                    let zero = <$rust as bytemuck::Zeroable>::zeroed();
                    let members = [$((
                        stringify!($field).to_string(),
                        std::mem::offset_of!($rust, $field) as u32,
                        std::mem::size_of_val(&zero.$field) as u32,
                    )),*];
                    $crate::gpu::mirror::assert_struct_mirrors(
                        source,
                        name,
                        $wgsl,
                        stringify!($rust),
                        &members,
                        std::mem::size_of::<$rust>(),
                    );
                )*
            }
        }
    };
}
pub(crate) use shader_mirror_test;
