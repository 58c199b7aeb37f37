#!/usr/bin/env bash
# speedup against C peers and OpenSSL on the same core (issue 19 item 4), in one command:
#   scripts/peers.sh [--quick] [--rounds N] [--reps N] [--only mandelbrot,nbody,...] [--bin PATH]
# Builds the peers of peers/ with the system C compiler (CC, default cc) and speedup's release
# binary (cargo build --release, unless --bin or SPEEDUP_BIN names one), runs each workload's
# speedup bench row (serial for the compute workloads, rayon for stream, the same size) and its
# peer in alternation, best run against best run, and prints a markdown table headed by the
# machine: speedup's throughput, the peer's, ours ÷ peer, and whether both computed the same
# result (checksums). Files in target/peers (--out). Exit status 1 if a checksum disagrees or a
# row could not run. The logic is in scripts/peers.py (python3, standard library only).
set -euo pipefail
exec python3 "$(dirname "$0")/peers.py" "$@"
