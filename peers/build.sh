#!/usr/bin/env bash
# Builds the C peers (issue 19 item 4, issue 23's FMA yardstick) with the system C compiler:
#   bash peers/build.sh OUTDIR [PEER...]
# PEER is any of mandelbrot nbody montecarlo sha256 stream fma (default: all). Each peer's flags
# are here and only here (scripts/peers.sh and tests/peers.rs both build through this script),
# and they are the flags the peers' comments promise:
#   mandelbrot, fma: -O3 -ffp-contract=off (no FMA contraction: speedup's Mandelbrot rounds every
#                    multiply and add); their AVX2/AVX-512 kernels carry target attributes and
#                    are picked at run time, so no -march is needed;
#   nbody:           -O3 -march=native -ffast-math (rsqrt + one Newton step, any vector width);
#   montecarlo:      -O3 -march=native;
#   sha256:          -O3 -march=native, linked with OpenSSL's libcrypto;
#   stream:          -O3 -march=native -fopenmp.
# CC overrides the compiler (default cc). Prints one line per peer that failed and exits 1 if
# any did (a missing OpenMP or OpenSSL header fails only its peer).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: peers/build.sh OUTDIR [PEER...]}
shift
peers=("$@")
[ ${#peers[@]} -eq 0 ] && peers=(mandelbrot nbody montecarlo sha256 stream fma)
mkdir -p "$out"
cc=${CC:-cc}
march=-march=native
# -march=native is GCC/Clang on x86 and recent aarch64; fall back to the compiler's default.
echo 'int main(void){return 0;}' | "$cc" $march -x c -o /dev/null - 2>/dev/null || march=

failed=0
for peer in "${peers[@]}"; do
  case $peer in
    mandelbrot|fma) flags=(-O3 -ffp-contract=off); libs=() ;;
    nbody) flags=(-O3 $march -ffast-math); libs=(-lm) ;;
    montecarlo) flags=(-O3 $march); libs=() ;;
    sha256) flags=(-O3 $march); libs=(-lcrypto) ;;
    stream) flags=(-O3 $march -fopenmp); libs=(-lm) ;;
    *) echo "peers/build.sh: unknown peer '$peer' (mandelbrot nbody montecarlo sha256 stream fma)" >&2; exit 2 ;;
  esac
  if ! log=$("$cc" -std=gnu11 -Wall -Wextra "${flags[@]}" -o "$out/$peer" "$here/$peer.c" "${libs[@]}" 2>&1); then
    echo "peers/build.sh: $peer did not build with $cc ${flags[*]} ${libs[*]}: $(echo "$log" | grep -m1 -i error)" >&2
    failed=1
  elif [ -n "$log" ]; then
    echo "$log" >&2
  fi
done
exit $failed
