#!/usr/bin/env bash
# Runs on the lent GPU machine (see scripts/gpu-prepare.sh), from the repository root, with .gpu/
# and .gl/ carried: installs the loaders, checks that a real GPU adapter is there, then runs the
# measurements docs/performance.md reports, each report written to $OUT (default: ./gpu-out).
#   bash .gpu/gpu-measure.sh [quick]
# `quick` lists the adapters, verifies every workload on every backend, and runs issue 7's two
# targets, GPU Life and rayon scaling (a few minutes of device time); without it, a 65536x65536
# torus and the full bench follow.
# LIFE_TARGET and NAIVE_SIZE override the GPU sizes (to try the script on a software adapter).
set -uo pipefail
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
bin=.gpu/speedup
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
# Where the NVIDIA driver's manifests live on the lent machines (shared/GPU.md); the loaders do
# not look there by themselves.
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd
[ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$egl
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | tee "$OUT/nvidia-smi.txt"
"$bin" devices 2>&1 | tee "$OUT/devices.txt"
# Every workload on every backend against its reference first: the kernels have only run on
# software adapters before, and a fast wrong answer is worth nothing.
"$bin" verify 2>&1 | tee "$OUT/verify.txt"
# Every step below is timed by the bench harness; `time` only shows what each cost of the lease.
step() { echo "== $*"; time "$@"; }
# Issue 7's GPU target: 16384x16384 torus, 1000 generations, device time; both packed kernels,
# and the cell-by-cell baseline at a size its 4-bytes-a-cell buffers fit in any binding.
target=${LIFE_TARGET:-16384x16384:1000}
step "$bin" bench --workloads life,life-tiled,life-naive --backends gpu \
    --sizes "life=$target,life-tiled=$target,life-naive=${NAIVE_SIZE:-4096x4096:100}" \
    --format json --output "$OUT/life-target.json"
# Rayon scaling up to the machine's 16 cores (the 0.85 efficiency target).
step "$bin" bench --workloads life,life-tiled --backends serial,rayon --threads 1,2,4,8,16 \
    --sizes 4096x4096:100,16384x16384:20 --format json --output "$OUT/rayon-scaling.json"
[ "${1:-}" = quick ] && exit 0
# A torus larger than one storage binding, and past 65535 workgroups.
step "$bin" life run --random 65536x65536 -g 100 --backend gpu --kernel packed
step "$bin" life run --random 65536x65536 -g 100 --backend gpu --kernel tiled
# Every workload on every backend at the default sizes: the README table for this machine.
step "$bin" bench --format json --output "$OUT/bench.json"
