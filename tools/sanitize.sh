#!/usr/bin/env bash
# Builds fastact's extension with AddressSanitizer + UndefinedBehaviorSanitizer
# into a copy of this tree (never in the checkout) and runs the test suite
# against that build; prints CLEAN or NOT CLEAN and exits 0 / 1.
#
#   tools/sanitize.sh [pytest args...]      e.g.  tools/sanitize.sh -x tests/test_errors.py
#
# What it does, and why:
# - copies the tracked and untracked-but-not-ignored files (the working tree as
#   you have it, without build products) to $FASTACT_SANITIZE_DIR
#   (default /tmp/fastact-sanitize) and builds there in place;
# - flags -fsanitize=address,undefined -fno-sanitize-recover=all
#   -fno-omit-frame-pointer -O1 -g, given through FASTACT_EXTRA_CFLAGS, which
#   setup.py appends after its own flags to every object (the Cython module,
#   csrc/*.c and each csrc/targets/<isa>.c, which it compiles with its own flags)
#   and to the link; also through CFLAGS/LDFLAGS, which reach every object too
#   but come before setup.py's -O3; then checks with nm that every object
#   really carries ASan and UBSan instrumentation;
# - runs `python -m pytest` in the copy (so the tests import the instrumented
#   build) with LD_PRELOAD=libasan (the Python executable is not instrumented,
#   so the ASan runtime must come first; libstdc++ after it, see below),
#   FASTACT_REQUIRE_COMPILED=1 and
#   ASAN_OPTIONS=detect_leaks=0 (CPython's own allocations at exit are not
#   leaks of ours) :allocator_may_return_null=1 (tests ask for a 256 TiB array
#   on purpose and expect NumPy's MemoryError; by default ASan would abort on
#   the request instead of returning NULL) :abort_on_error=1,
#   UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 (the first undefined
#   behaviour stops the run, with a stack trace); pytest runs with -s (no
#   capture), because a report that pytest captured would be lost with the
#   process.
# The pytest log is kept in $FASTACT_SANITIZE_DIR/pytest.log.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dest=${FASTACT_SANITIZE_DIR:-/tmp/fastact-sanitize}
case "$dest/" in
    "$src"/*) echo "sanitize: refusing to build inside the source tree ($dest)" >&2; exit 2 ;;
esac
start=$(date +%s)

libasan=$(gcc -print-file-name=libasan.so)
if [ ! -e "$libasan" ]; then
    echo "sanitize: gcc has no libasan.so ($libasan); install libasan (gcc's)" >&2
    exit 2
fi
# libstdc++ preloaded too: ASan intercepts C++ throws, and when libstdc++ only
# arrives later with a C++ extension (matplotlib's ft2font, for fastact.plot) the
# interceptor finds no real __cxa_throw and aborts the first time one is thrown
libstdcxx=$(gcc -print-file-name=libstdc++.so)
preload="$libasan"
if [ -e "$libstdcxx" ]; then preload="$libasan $libstdcxx"; fi
python=${PYTHON:-python3}
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -g"

echo "sanitize: copying $src -> $dest"
# only a directory this script made (it leaves a marker) is ever deleted
if [ -n "$(ls -A "$dest" 2>/dev/null)" ] && [ ! -e "$dest/.fastact-sanitize" ]; then
    echo "sanitize: $dest exists and was not made by this script; choose another" \
         "FASTACT_SANITIZE_DIR" >&2
    exit 2
fi
rm -rf "$dest"
mkdir -p "$dest"
touch "$dest/.fastact-sanitize"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # tracked files deleted in the working tree are skipped (--ignore-failed-read)
    (cd "$src" && git ls-files -z --cached --others --exclude-standard \
        | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$dest"
else
    (cd "$src" && tar --exclude=./build --exclude='*.so' --exclude=./fastact/_core.c \
        --exclude='__pycache__' -cf - .) | tar -xf - -C "$dest"
fi
rm -f "$dest"/fastact/*.so "$dest"/fastact/_core.c
rm -rf "$dest/build"

echo "sanitize: building with $flags"
if ! grep -q FASTACT_EXTRA_CFLAGS "$dest/setup.py"; then
    echo "sanitize: note: setup.py has no FASTACT_EXTRA_CFLAGS hook; relying on CFLAGS/LDFLAGS" >&2
fi
(cd "$dest" && FASTACT_EXTRA_CFLAGS="$flags" CFLAGS="$flags" \
    LDFLAGS="-fsanitize=address,undefined" \
    "$python" setup.py build_ext --inplace >build.log 2>&1) || {
    tail -30 "$dest/build.log"; echo "sanitize: NOT CLEAN (build failed)"; exit 1; }

# every object must be instrumented: ASan reports and UBSan handlers referenced
missing=0
for obj in $(find "$dest/build" -name '*.o' | sort); do
    syms=$(nm "$obj" 2>/dev/null || true)
    a=$(grep -c '__asan_' <<<"$syms" || true)
    u=$(grep -c '__ubsan_handle' <<<"$syms" || true)
    printf 'sanitize:   %-28s asan refs %5s  ubsan refs %5s\n' "${obj#"$dest"/build/*/}" "$a" "$u"
    if [ "$a" -eq 0 ] || [ "$u" -eq 0 ]; then missing=1; fi
done
if [ "$missing" -ne 0 ]; then
    echo "sanitize: NOT CLEAN (an object was built without the sanitizer flags)"
    exit 1
fi

echo "sanitize: running the test suite under ASan + UBSan"
set +e
(
    cd "$dest"
    export LD_PRELOAD="$preload"
    export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1:abort_on_error=1
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    export FASTACT_REQUIRE_COMPILED=1 PYTHONDONTWRITEBYTECODE=1
    "$python" -c 'import fastact, sys
print("sanitize: testing", fastact.__file__, fastact.backend)
sys.exit(fastact.backend != "compiled")' &&
    # -s: no capture, so that a report printed just before an abort reaches the log
    "$python" -m pytest -q -s -p no:cacheprovider "$@"
) >"$dest/pytest.log" 2>&1
status=$?
set -e
tail -5 "$dest/pytest.log"
elapsed=$(( $(date +%s) - start ))
report='ERROR: AddressSanitizer|runtime error:|Sanitizer: CHECK failed'
if grep -qE "$report" "$dest/pytest.log"; then
    grep -nE -A30 "$report" "$dest/pytest.log" | head -60
    echo "sanitize: NOT CLEAN (sanitizer report above; log: $dest/pytest.log; ${elapsed} s)"
    exit 1
fi
if [ "$status" -ne 0 ]; then
    echo "sanitize: NOT CLEAN: no sanitizer report, but pytest exited with $status" \
         "(test failures or a crash; log: $dest/pytest.log; ${elapsed} s)"
    exit 1
fi
echo "sanitize: CLEAN (no ASan or UBSan report; all tests passed; ${elapsed} s)"
