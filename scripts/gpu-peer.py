#!/usr/bin/env python3
"""The Life a Python user would write on the same GPU, timed next to speedup's (issue 12, item 11).

The peer is PyTorch: the grid as a float tensor, a 3x3 conv2d of ones over it with circular
padding (a torus), and the rule applied to the sums. It runs on the same soup as
`speedup life run --random WxH --seed S` (a cell is alive when its 32-bit random number is below
a threshold; the numbers of the 32 cells of grid word g are bit-sliced across SplitMix64 draws
16g .. 16g+15: src/life/grid.rs `Grid::random_band` and `random_word`, reproduced here in int64
tensor arithmetic), for the same generations, then checks that its final population equals
speedup's and reports both throughputs and their ratio (speedup / peer).

    python3 scripts/gpu-peer.py --size 16384x16384:1000 --speedup .gpu/speedup --json out.json

Runs on CUDA where torch has it, else on the CPU (how tests/gpu_peer.rs tries it here, small).
Exit status 1 when the populations differ or speedup fails.
"""

import argparse
import json
import subprocess
import sys
import time

import torch

GAMMA = 0x9E3779B97F4A7C15
M1 = 0xBF58476D1CE4E5B9
M2 = 0x94D049BB133111EB
MASK64 = (1 << 64) - 1


def signed(x):
    """An unsigned 64-bit constant as the int64 with the same bits."""
    return x - (1 << 64) if x >= 1 << 63 else x


def shr(z, n):
    """Logical right shift of int64 tensors (torch's >> is arithmetic)."""
    return (z >> n) & ((1 << (64 - n)) - 1)


def splitmix64_draws(seed_s, k):
    """SplitMix64::draw(seed, k) = mix(seed + (k + 1) * GAMMA) for an int64 tensor of k, all
    arithmetic wrapping (int64 multiplication wraps as u64 does)."""
    z = seed_s + (k + 1) * signed(GAMMA)
    z = (z ^ shr(z, 30)) * signed(M1)
    z = (z ^ shr(z, 27)) * signed(M2)
    return z ^ shr(z, 31)


def soup(width, height, density, seed, device, rows_per_block=256):
    """The same random soup as speedup's Grid::random, as a (height, width) bool tensor.

    Cell b of word g has the 32-bit number whose bit 31 - L is bit b of level L's 32 bits, where
    level L is the low (L even) or high (L odd) half of draw 16g + L // 2; the cell is alive when
    that number is below the threshold. speedup decides the cells level by level and stops early;
    the numbers, and so the cells, are the same.
    """
    threshold = min(int(density * 4294967296.0), 4294967295)
    if density >= 1.0:
        return torch.ones((height, width), dtype=torch.bool, device=device)
    wpr = (width + 31) // 32
    out = torch.empty((height, width), dtype=torch.bool, device=device)
    seed_s = signed(seed & MASK64)
    draw_index = torch.arange(16, dtype=torch.int64, device=device)
    cell_bit = torch.arange(32, dtype=torch.int64, device=device)
    for first in range(0, height, rows_per_block):
        rows = min(rows_per_block, height - first)
        words = torch.arange(first * wpr, (first + rows) * wpr, dtype=torch.int64, device=device)
        draws = splitmix64_draws(seed_s, 16 * words[:, None] + draw_index)  # (n, 16)
        # Level L = 2 * (L // 2) + L % 2: low halves at even levels, high halves at odd ones.
        levels = torch.stack([draws & 0xFFFFFFFF, shr(draws, 32)], dim=2).reshape(-1, 32)
        numbers = torch.zeros((words.numel(), 32), dtype=torch.int64, device=device)
        for level in range(32):
            numbers |= ((levels[:, level, None] >> cell_bit) & 1) << (31 - level)
        alive = (numbers < threshold).reshape(rows, wpr * 32)[:, :width]
        out[first:first + rows] = alive
    return out


def life_torch(grid, generations):
    """Conway's Life on a torus: conv2d of a 3x3 ones kernel over circularly padded cells."""
    dtype = torch.float16 if grid.is_cuda else torch.float32
    x = grid.to(dtype)[None, None]
    kernel = torch.ones((1, 1, 3, 3), dtype=dtype, device=grid.device)
    for _ in range(generations):
        s = torch.nn.functional.conv2d(torch.nn.functional.pad(x, (1, 1, 1, 1), mode="circular"), kernel)
        # s counts the cell itself: born with 3, survives with 3 or 4 (sum including itself).
        x = ((s == 3) | ((x == 1) & (s == 4))).to(dtype)
    return x[0, 0] == 1


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", required=True, help="WxH:GENERATIONS, e.g. 16384x16384:1000")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--density", type=float, default=0.5)
    p.add_argument("--speedup", default=".gpu/speedup", help="the speedup binary")
    p.add_argument("--backend", default="gpu", help="speedup's --backend (gpu on the GPU machine)")
    p.add_argument("--json", help="write the result here")
    args = p.parse_args()
    dims, gens = args.size.split(":")
    width, height = (int(v) for v in dims.split("x"))
    generations = int(gens)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True

    grid = soup(width, height, args.density, args.seed, device)
    start_population = int(grid.sum())
    # Warm up (cuDNN picks its algorithm), then time the whole run.
    life_torch(grid, min(generations, 2))
    sync(device)
    t0 = time.perf_counter()
    final = life_torch(grid, generations)
    sync(device)
    peer_seconds = time.perf_counter() - t0
    peer_population = int(final.sum())

    cmd = [args.speedup, "life", "run", "--random", f"{width}x{height}", "-g", str(generations),
           "--seed", str(args.seed), "--density", str(args.density), "--backend", args.backend,
           "--json"]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        print(f"error: {' '.join(cmd)} failed: {run.stderr.strip()}", file=sys.stderr)
        return 1
    ours = json.loads(run.stdout.strip().splitlines()[-1])
    cell_updates = width * height * generations
    peer_rate = cell_updates / peer_seconds
    ours_rate = cell_updates / (ours.get("device_seconds") or ours["elapsed_seconds"])
    result = {
        "size": args.size,
        "seed": args.seed,
        "peer": f"torch {torch.__version__} conv2d on {device.type}"
        + (f" ({torch.cuda.get_device_name()})" if device.type == "cuda" else ""),
        "start_population": start_population,
        "peer_population": peer_population,
        "speedup_population": ours["population"],
        "populations_equal": peer_population == ours["population"],
        "peer_seconds": peer_seconds,
        "peer_cell_updates_per_second": peer_rate,
        "speedup_device": ours["device"],
        "speedup_seconds": ours.get("device_seconds") or ours["elapsed_seconds"],
        "speedup_time_is": "device" if ours.get("device_seconds") else "wall",
        "speedup_cell_updates_per_second": ours_rate,
        "speedup_over_peer": ours_rate / peer_rate,
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    if not result["populations_equal"]:
        print(f"error: populations differ: peer {peer_population}, speedup {ours['population']}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
