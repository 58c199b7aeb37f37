#!/usr/bin/env bash
# Prepares a measurement on a lent GPU machine that reaches no package registry: run it here, in
# the repository root. It builds the release binary into .gpu/ and downloads the Vulkan/EGL
# loader packages into .gl/ (both ignored by git, carried to the device by the `run` tool).
# Then run scripts/gpu-measure.sh there, with carry [".gpu", ".gl"]. See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
exclude="$(git rev-parse --git-common-dir)/info/exclude"
mkdir -p "$(dirname "$exclude")"
for dir in /.gpu/ /.gl/; do
    grep -qxF "$dir" "$exclude" 2>/dev/null || echo "$dir" >> "$exclude"
done
cargo build --release
mkdir -p .gpu
cp target/release/speedup .gpu/
# Debug symbols are two thirds of the binary and count against the 64 MiB that may be carried.
strip .gpu/speedup 2>/dev/null || true
cp scripts/gpu-measure.sh .gpu/
if ! ls .gl/*.deb >/dev/null 2>&1; then
    # The device is x86-64 whatever this machine is: ask apt for amd64 packages explicitly.
    mkdir -p .gl /tmp/amd64/partial
    o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
    apt-get "${o[@]}" update -qq
    (cd .gl && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
if ! ls .gl/vulkan-validationlayers_*.deb >/dev/null 2>&1; then
    # The Khronos validation layer, for gpu-measure.sh's validated verify step (issue 22).
    mkdir -p .gl /tmp/amd64/partial
    o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
    apt-get "${o[@]}" update -qq
    (cd .gl && apt-get "${o[@]}" download vulkan-validationlayers)
fi
ls -l .gpu .gl
