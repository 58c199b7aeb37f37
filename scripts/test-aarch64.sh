#!/usr/bin/env bash
# The CPU-side tests for aarch64, run under qemu user-mode emulation on an x86-64 machine: the
# NEON implementation of `Simd` (src/simd/aarch64) and every kernel on it, checked at each
# level against the reference, as the x86 levels are on x86 (docs/validation.md, "aarch64").
#   scripts/test-aarch64.sh [--list]
# Needs (Debian/Ubuntu): qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross, and
# `rustup target add aarch64-unknown-linux-gnu`. On an aarch64 machine it runs natively
# (no runner, no cross linker). CARGO_TARGET_DIR etc. are honoured.
#
# The linker and runner are set here in the environment, not in a .cargo/config.toml, so that
# nobody's ordinary build (nor a native aarch64 build) picks up a cross linker or an emulator it
# may not have; values already in the environment win.
#
# GPU trials cannot run in the emulated process (no aarch64 Vulkan or GL driver is loaded there):
# they are reported ignored with their reason, so SPEEDUP_REQUIRE_GPU and the validation
# requirement are cleared for this run.
set -euo pipefail
cd "$(dirname "$0")/.."

target=aarch64-unknown-linux-gnu
sysroot="${AARCH64_SYSROOT:-/usr/aarch64-linux-gnu}"
if [ "$(uname -m)" != aarch64 ]; then
  missing=()
  command -v aarch64-linux-gnu-gcc >/dev/null || missing+=(gcc-aarch64-linux-gnu)
  command -v qemu-aarch64 >/dev/null || missing+=(qemu-user)
  [ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || missing+=(libc6-dev-arm64-cross)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "test-aarch64: missing ${missing[*]} (apt-get install ${missing[*]})" >&2
    exit 2
  fi
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER="${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER:-aarch64-linux-gnu-gcc}"
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER:-qemu-aarch64 -L $sysroot}"
fi
unset SPEEDUP_REQUIRE_GPU SPEEDUP_REQUIRE_VALIDATION
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

run() {
  echo "+ cargo test --target $target $*" >&2
  cargo test --target "$target" "$@"
}

# The library's unit tests: each `Simd` operation of every level against plain arithmetic
# (src/simd/mod.rs), each kernel's levels against its reference, Life's strip kernel, formats.
run --lib -- "$@"
# Every workload's `verify` at each CPU level, serial and Rayon: verify::mandelbrot::serial_neon,
# ... and the workloads' own trials on serial and Rayon (GPU trials ignored). Not `cli::`: those
# execute the aarch64 `speedup` binary directly, which only a binfmt_misc registration of qemu
# (qemu-user-binfmt, root) would allow; they test the command line, not the kernels.
run --test workloads -- --skip cli:: "$@"
# Life's engines on serial and Rayon against the reference: the default level there is NEON, so
# the strip kernel runs (the `naive` kernel checks the reference path).
run --test backends_agree -- "$@"
