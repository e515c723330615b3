#!/usr/bin/env bash
# Builds the portable kernels for aarch64 with the cross compiler and runs
# tools/portable_check.c under qemu: the non-x86 build compiles, dispatches to
# the scalar path and meets the accuracy bounds there.
#   apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
aarch64-linux-gnu-gcc -O3 -std=c11 -ffp-contract=off -fno-math-errno -Wall -Wextra -Icsrc \
    tools/portable_check.c csrc/targets/scalar.c csrc/dispatch.c csrc/loops.c -lm -static \
    -o "$out/portable_check"
qemu-aarch64 "$out/portable_check"
