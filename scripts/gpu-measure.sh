#!/usr/bin/env bash
# The whole measurement on a lent GPU machine, in one call that cannot waste it (issue 12, item 9).
# Run from the repository root with .gpu/ (release binary, from scripts/gpu-prepare.sh) and .gl/
# (Vulkan/EGL loader packages) carried:
#   OUT=$OUT bash scripts/gpu-measure.sh
# What it does, each step under its own `timeout`, its output in its own file in $OUT as it goes
# (a hung or failed step loses nothing else), its time and exit code in $OUT/steps.tsv:
#   1. unpacks the carried loader packages, only where libvulkan.so.1 is missing;
#   2. points the Vulkan loader at the NVIDIA driver under /usr/local/nvidia and sets
#      WGPU_BACKEND=vulkan, so a failed Vulkan set-up cannot fall back to GL;
#   3. refuses to measure unless the adapter wgpu picks is a real GPU (DiscreteGpu or
#      IntegratedGpu), saving the loader's diagnostics (VK_LOADER_DEBUG) instead;
#   4. records nvidia-smi before and after, and samples clocks, power, temperature and throttle
#      reasons every 500 ms in between ($OUT/nvidia-smi-samples.csv);
#   5. verifies every workload on the GPU against its CPU reference before timing anything, then
#      again under the Khronos validation layer (5b, carried in .gl/ by gpu-prepare.sh);
#   5c. measures every backend's ceilings (`speedup peak`: $OUT/ceilings.json and .txt);
#   6. Life at the target size (16384² torus, 1000 generations, packed and tiled kernels);
#   7. a torus beyond one storage binding (131072², 2 GiB: two chunks under wgpu's 2^31 - 1 byte
#      cap), packed and tiled, whose hashes must be equal;
#   8. every workload on the GPU at device-filling sizes, then Rayon scaling on 1 to 16 cores;
#   9. the Python peer (scripts/gpu-peer.py: PyTorch) on the Life target, where torch is there.
# The steps' timeouts add up to less than BUDGET (default 470 s, under the 8 minutes a call may
# take); a step that would not fit in what is left is skipped and counted as failed. Exit status:
# 0 if every step passed, 1 if any failed or was skipped, 2 if no real GPU was found.
#
# Overrides, to try the script on a software adapter (ALLOW_SOFTWARE=1 lets lavapipe through,
# labelled as such in $OUT/adapter.txt): SPEEDUP_BIN, LIFE_TARGET (16384x16384:1000), BIG_TORUS
# (131072x131072), BIG_GENERATIONS (20), GPU_SIZES (the bench --sizes of step 8; default: bench's own), BUDGET,
# GPU_TIMEOUT (60: speedup's bound on any one wait for the device).
set -uo pipefail
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
bin=${SPEEDUP_BIN:-.gpu/speedup}
budget=${BUDGET:-470}
gpu_timeout=${GPU_TIMEOUT:-60}
life_target=${LIFE_TARGET:-16384x16384:1000}
big_torus=${BIG_TORUS:-131072x131072}
big_generations=${BIG_GENERATIONS:-20}
# Sizes that give each GPU row at least ~50 ms of device time on an H100/H200 (docs/performance.md,
# "Expected on an H100/H200"): 1 GiB STREAM arrays, 2^32 nonces, 2^35 samples, 65536 bodies.
# Empty: bench's own device-filling sizes for a hardware GPU (src/harness/sizing.rs).
gpu_sizes=${GPU_SIZES:-}
started=$(date +%s)
failed=0
printf 'step\tseconds\texit\n' > "$OUT/steps.tsv"

elapsed() { echo $(( $(date +%s) - started )); }

# step NAME TIMEOUT_SECONDS COMMAND...: runs COMMAND under `timeout`, output to $OUT/NAME.txt.
step() {
    local name=$1 limit=$2
    shift 2
    local left=$(( budget - $(elapsed) ))
    if [ "$left" -lt 5 ]; then
        echo "== $name: skipped, the ${budget} s budget is spent" | tee -a "$OUT/summary.txt"
        printf '%s\t0\tskipped\n' "$name" >> "$OUT/steps.tsv"
        failed=1
        return 1
    fi
    [ "$limit" -gt "$left" ] && limit=$left
    local t0 rc
    t0=$(date +%s%N)
    echo "== $name (at most ${limit} s): $*" | tee -a "$OUT/summary.txt"
    timeout --kill-after=5 "$limit" "$@" > "$OUT/$name.txt" 2>&1
    rc=$?
    local ms took
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    took=$(printf '%d.%01d' $(( ms / 1000 )) $(( ms % 1000 / 100 )))
    printf '%s\t%s\t%s\n' "$name" "$took" "$rc" >> "$OUT/steps.tsv"
    echo "   exit $rc after ${took} s" | tee -a "$OUT/summary.txt"
    [ "$rc" -ne 0 ] && failed=1
    return "$rc"
}

# 1. The Vulkan loader, only where the machine has none.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
    if ls .gl/*.deb >/dev/null 2>&1; then
        for f in .gl/*.deb; do dpkg -x "$f" / || failed=1; done
        ldconfig
        echo "unpacked the carried loader packages: $(ls .gl)" >> "$OUT/summary.txt"
    else
        echo "no libvulkan.so.1 and no .gl/*.deb to unpack" | tee -a "$OUT/summary.txt"
    fi
fi
# The Khronos validation layer for step 5b, only where the machine has none.
layer_json=/usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json
if [ ! -f "$layer_json" ] && ls .gl/vulkan-validationlayers_*.deb >/dev/null 2>&1; then
    dpkg -x .gl/vulkan-validationlayers_*.deb / \
        && echo "unpacked the carried validation layer" >> "$OUT/summary.txt"
fi

# 2. Where the NVIDIA driver lives on the lent machines (shared/GPU.md); the loaders do not look
# there by themselves.
nv=/usr/local/nvidia
if [ -d "$nv/lib64" ]; then
    export LD_LIBRARY_PATH="$nv/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
icd=$nv/share/vulkan/icd.d/nvidia_icd.json
egl=$nv/share/glvnd/egl_vendor.d/10_nvidia.json
if [ -f "$icd" ]; then
    export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
fi
[ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$egl
export WGPU_BACKEND=vulkan
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
env | grep -E '^(LD_LIBRARY_PATH|VK_|__EGL|WGPU_)' > "$OUT/environment.txt"

# 4. nvidia-smi before, and samples all along (stopped by PID at the end).
smi_query=timestamp,name,clocks.sm,clocks.mem,power.draw,temperature.gpu,utilization.gpu,clocks_throttle_reasons.active
sampler=""
if command -v nvidia-smi >/dev/null 2>&1; then
    step nvidia-smi-before 20 nvidia-smi -q
    nvidia-smi --query-gpu=$smi_query --format=csv -lms 500 > "$OUT/nvidia-smi-samples.csv" 2>&1 &
    sampler=$!
else
    echo "nvidia-smi not found: no clocks or power recorded" | tee -a "$OUT/summary.txt"
fi
stop_sampler() { [ -n "$sampler" ] && kill "$sampler" 2>/dev/null; sampler=""; }
trap stop_sampler EXIT

# 3. A real GPU, or nothing is measured.
step devices 60 "$bin" devices --json
kind=$(python3 -c '
import json, sys
text = open(sys.argv[1]).read()
d = json.loads(text[text.index("{"):text.rindex("}") + 1])
i = d.get("gpu_default")
a = next((a for a in d["adapters"] if a["index"] == i), None)
print("none" if a is None else a["backend"] + " " + a["device_type"] + " " + a["name"])
' "$OUT/devices.txt" 2>/dev/null || echo none)
echo "adapter: $kind" | tee "$OUT/adapter.txt" | tee -a "$OUT/summary.txt"
case "$kind" in
    "Vulkan DiscreteGpu "* | "Vulkan IntegratedGpu "*) ;;
    "Vulkan Cpu "*)
        if [ "${ALLOW_SOFTWARE:-0}" = 1 ]; then
            echo "software adapter allowed (ALLOW_SOFTWARE=1): CPU timings, not GPU results" \
                | tee -a "$OUT/adapter.txt" "$OUT/summary.txt"
        else
            VK_LOADER_DEBUG=error,driver timeout 60 "$bin" devices > "$OUT/loader-debug.txt" 2>&1
            echo "refusing to measure: the adapter is a software one; see loader-debug.txt" \
                | tee -a "$OUT/summary.txt"
            exit 2
        fi
        ;;
    *)
        VK_LOADER_DEBUG=error,driver timeout 60 "$bin" devices > "$OUT/loader-debug.txt" 2>&1
        echo "refusing to measure: no real Vulkan GPU adapter; see loader-debug.txt" \
            | tee -a "$OUT/summary.txt"
        exit 2
        ;;
esac

run=("$bin" --gpu-timeout "$gpu_timeout")

# 5. Correct before fast: every workload on the GPU against its reference.
step verify 90 "${run[@]}" verify --backends gpu --validation off

# 5b. The same under the Khronos validation layer (synchronization validation, best practices
# with NVIDIA's checks): per adapter, whether every kernel agrees and whether the layer ran clean;
# every message in $OUT/validation.tsv (docs/validation.md says what each known warning means).
# Its own bounded step: the layer slows submissions, and a failure here must not cost the timings.
step verify-validated 75 "${run[@]}" verify --adapters all --validation layer \
    --validation-log "$OUT/validation.tsv"

# 5c. Ceilings (issue 23): every backend's measured ceilings with the theoretical peaks beside
# them (FMA against 128 lanes x SMs x 2 x the SM clock NVML reports during the run; VRAM triad
# against the HBM peak), fresh, as JSON and as a table; the workloads below read them back from
# the cache this leaves (same machine, same build) to hold each row against its roof.
step ceilings 60 "${run[@]}" peak --format json --output "$OUT/ceilings.json"
[ -s "$OUT/ceilings.json" ] && "${run[@]}" peak --cached > "$OUT/ceilings.txt" 2>&1

# 6. The Life target, device time from timestamp queries.
step life-target 120 "${run[@]}" bench --workloads life,life-tiled --backends gpu \
    --sizes "$life_target" --format json --output "$OUT/life-target.json"

# 7. A torus beyond one storage binding: the chunked path, with equal hashes for both kernels.
for kernel in packed tiled; do
    step "big-torus-$kernel" 90 "${run[@]}" life run --random "$big_torus" \
        -g "$big_generations" --backend gpu --kernel "$kernel" --json
done
if [ -s "$OUT/big-torus-packed.txt" ] && [ -s "$OUT/big-torus-tiled.txt" ]; then
    hash_of() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["hash"])' "$1" 2>/dev/null; }
    hp=$(hash_of "$OUT/big-torus-packed.txt")
    ht=$(hash_of "$OUT/big-torus-tiled.txt")
    if [ -n "$hp" ] && [ "$hp" = "$ht" ]; then
        echo "big torus: packed and tiled hashes equal ($hp)" | tee -a "$OUT/summary.txt"
    else
        echo "big torus: hashes differ or missing (packed '$hp', tiled '$ht')" | tee -a "$OUT/summary.txt"
        failed=1
    fi
fi

# 8. Every workload on the GPU at device-filling sizes: bench's defaults on a hardware GPU
# (GPU rows only, the CPU rows would not fit the budget; --quick's timing, not its sizes).
step workloads 150 "${run[@]}" bench --backends gpu ${gpu_sizes:+--sizes "$gpu_sizes"} \
    --min-time 0.1 --max-time 1 --max-noise off --format json --output "$OUT/workloads.json"

# Rayon scaling up to the machine's 16 cores (issue 7's 0.85 efficiency target).
step rayon-scaling 90 "${run[@]}" bench --quick --workloads life,life-tiled --backends serial,rayon \
    --threads 1,2,4,8,16 --sizes 4096x4096:100,16384x16384:20 --format json \
    --output "$OUT/rayon-scaling.json"

# 9. The peer a Python user would write on the same GPU, on the same torus and generations.
if [ -f scripts/gpu-peer.py ] && python3 -c 'import torch' 2>/dev/null; then
    step peer 90 python3 scripts/gpu-peer.py --size "$life_target" --speedup "$bin" \
        --json "$OUT/peer.json"
else
    echo "peer: skipped (no scripts/gpu-peer.py or no torch)" | tee -a "$OUT/summary.txt"
fi

stop_sampler
command -v nvidia-smi >/dev/null 2>&1 && step nvidia-smi-after 20 nvidia-smi -q
echo "total $(elapsed) s; failed=$failed" | tee -a "$OUT/summary.txt"
exit "$failed"
