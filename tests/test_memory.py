"""No memory growth over many calls, and fault isolation.

Growth: each public function (every row of the registry, each op and mode;
parameters at their defaults, prelu's weight 0.25) is called on small arrays
(16 elements, a fresh result each call, so a leaked result or reference would
pile up): a warm-up, then N calls over which the resident set and the number
of blocks Python's allocator holds (sys.getallocatedblocks; on the fallback,
whose NumPy temporaries leave a few dozen blocks of noise, the number of
objects the garbage collector tracks instead) must not grow; then T more calls
with tracemalloc tracing, after which the traced memory still held must stay
under its threshold. (tracemalloc makes a call 3-5x slower, hence its shorter
window.)

N, and why not 10^5 everywhere: a compiled ufunc call costs 1.5-8 us (more
with parameters, which the Python wrapper binds), so 10^5 calls of each of the
~70 functions of the registry would take a minute or more. So:
- ufunc-backed rows on the compiled backend: N = 10^5 for a representative
  subset by op: forward, backward and fused (accurate mode) of the first
  activation (sigmoid) and of the first one with parameters (a parameter is
  one more operand through the wrapper, the ufunc machinery and the loop);
  N = 1000 for every other function. C-level leaks, which only the resident
  set shows, would be in the one inner loop every function shares
  (csrc/loops.c; the kernels do not allocate), run 10^5 times by the subset.
  T = 2000 for the subset, 1000 for the rest.
- the fallback (pure Python, 0.3-1 ms a call; its fast mode runs the accurate
  formulas through the same wrapper class, so it is checked in accurate mode)
  and the axis rows on the compiled backend (softmax: NumPy code in
  fastact/_axis.py around a kernel ufunc, ~0.2 ms a call): N = 300 and T = 100
  for the subset (the above, and the first axis row's three ops), N = 30 and
  T = 10 for the rest, a coarse check there (it catches a leaked container per
  call, but a few leaked bare arrays of ~240 bytes stay under the traced
  limit: those are caught on the subset, which runs the wrapper every row
  shares).
FASTACT_MEMORY_FULL=1 runs N = 10^5 (ufuncs) and 10^4 (Python code) for every
function.

Thresholds, and why:
- resident set: at most 1 MiB over the N calls, i.e. 10 bytes a call over
  10^5, less than any malloc'd block with its header; measured without leaks:
  0 after the warm-up. (Over fewer calls it catches only larger leaks.)
- allocated blocks (compiled, ufunc-backed rows): at most 100 more: one leaked
  Python object (an array header, a tuple, a float) per call would be N more;
  measured: 0-3.
- gc-tracked objects (fallback, axis rows): at most 10 more; measured: -1 to 0;
  one leaked container per call would be N (30 or more) more.
- tracemalloc (what Python and NumPy allocated, NumPy's array data included,
  and still hold): at most 16 KiB after T calls: a leaked 16-element result
  (~240 bytes) per call would hold 24 KiB after 100 calls, 240 KiB after 1000;
  measured without leaks: 80 bytes (compiled), 3-12 KiB of interpreter caches
  that do not grow with the number of calls (fallback).
- the reference counts of the inputs, parameters and out arrays are the same
  after 1000 (fallback: 20) calls with out= given: a leaked reference per call
  would leave them that much higher (fresh results are covered above).

Fault isolation: a failure inside one call (bad argument, a MemoryError from a
result too large for the address space) leaves the module usable and earlier
results intact, on both backends.
"""
import gc
import os
import sys
import tracemalloc

import numpy as np
import pytest

import fastact
from conftest import compiled_only, using_backend
from fastact import _registry as REG

ACTS = REG.ACTIVATIONS
REQUIRED_PARAM_VALUE = 0.25
FULL = os.environ.get("FASTACT_MEMORY_FULL", "") == "1"
CALLS = {  # regime -> N for (subset, rest)
    "compiled": (10**5, 10**5 if FULL else 1000),
    "python": (10**4 if FULL else 300, 10**4 if FULL else 30),
}
TRACED_CALLS = {"compiled": (2000, 1000), "python": (100, 10)}  # T for (subset, rest)
WARMUP = {"compiled": 1000, "python": 5}
REFCOUNT_CALLS = {"compiled": 1000, "python": 20}
TRACED_LIMIT = 16 * 1024
RSS_LIMIT = 1024 * 1024
BLOCKS_LIMIT = 100
GC_OBJECTS_LIMIT = 10


def params_of(row):
    return tuple(getattr(ACTS[row], "params", ()))


def default_params(row):
    return tuple(REQUIRED_PARAM_VALUE if p.default is None else p.default for p in params_of(row))


def public_call(row):
    v = getattr(ACTS[row], "variant_of", None)
    return (row, {}) if v is None else (v[0], {v[1]: v[2]})


def kind(row):
    return getattr(ACTS[row], "kind", "elementwise")


def subset():
    """(row, op, "accurate") for each op, of the first row, the first row with
    parameters and the first axis row."""
    rows = list(ACTS)
    with_params = [r for r in rows if params_of(r)]
    axis = [r for r in rows if kind(r) == "axis"]
    return {(r, op, "accurate") for r in rows[:1] + with_params[:1] + axis[:1] for op in REG.OPS}


def regime(backend, row):
    """How a call is budgeted and checked: "compiled" for the ufunc-backed rows
    on the compiled backend, "python" for the fallback and for the axis rows
    (softmax: NumPy code in fastact/_axis.py around a kernel ufunc, ~100x the
    cost of a ufunc call, with NumPy temporaries as allocator noise)."""
    return "compiled" if backend == "compiled" and kind(row) == "elementwise" else "python"


def functions():
    """(row, op, mode) for every public function and mode (the backward has one)."""
    out = []
    for row in ACTS:
        for op in REG.OPS:
            for mode in (REG.MODES if op != "backward" else ("accurate",)):
                out.append((row, op, mode))
    return out


def small_inputs(row, op, dtype=np.float64, n=16):
    shape = (2, n // 2) if kind(row) == "axis" else (n,)
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    public, extra = public_call(row)
    z = x if ACTS[row].backward_from == "input" else getattr(fastact, public)(
        x, *default_params(row), **extra)
    return {"forward": (x,), "backward": (g, z), "fused": (x, g)}[op]


def bound_call(row, op, mode, inputs, params, **kw):
    public, extra = public_call(row)
    fn = getattr(fastact, public + REG.API_SUFFIX[op])
    if op != "backward":
        kw["mode"] = mode
    kw.update(extra)
    return lambda: fn(*inputs, *params, **kw)


# AddressSanitizer (tools/sanitize.sh preloads it) keeps freed memory in a
# quarantine of up to 256 MiB to catch use after free: the resident set then
# grows without any leak, so it is not measured there (the other checks are).
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")


def rss():
    """Resident set size in bytes (Linux, not under ASan), or None."""
    if UNDER_ASAN:
        return None
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


def tracked():
    """Objects the garbage collector tracks outside its permanent generation."""
    return sum(len(gc.get_objects(generation)) for generation in range(3))


def growth(call, n, n_traced, warmup):
    """Growth of (resident set, allocated blocks, gc-tracked objects) over n
    calls after `warmup` calls, and the traced bytes still held after n_traced
    more calls under tracemalloc. Everything alive before is frozen out of the
    collector's way (gc.freeze): a full collection of the test process takes
    ~0.1 s, one of what the calls leave behind next to nothing."""
    for _ in range(warmup):
        call()
    gc.freeze()
    try:
        gc.collect()
        rss0, blocks0, objects0 = rss(), sys.getallocatedblocks(), tracked()
        for _ in range(n):
            call()
        gc.collect()
        rss1, blocks1, objects1 = rss(), sys.getallocatedblocks(), tracked()
        tracemalloc.start()
        try:
            for _ in range(n_traced):
                call()
            gc.collect()
            traced, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        gc.unfreeze()
    return {"rss": None if rss0 is None else rss1 - rss0, "blocks": blocks1 - blocks0,
            "objects": objects1 - objects0, "traced": traced}


def check_growth(backend, row, op, mode):
    which = 0 if (row, op, mode) in subset() else 1
    how = regime(backend, row)
    n, t = CALLS[how][which], TRACED_CALLS[how][which]
    call = bound_call(row, op, mode, small_inputs(row, op), default_params(row))
    g = growth(call, n, t, WARMUP[how])
    what = f"{row} {op} {mode} on {backend}"
    if g["rss"] is not None:
        assert g["rss"] <= RSS_LIMIT, f"{what}: resident set grew {g['rss'] / 2**20:.2f} MiB " \
                                      f"over {n} calls"
    if how == "compiled":
        assert g["blocks"] <= BLOCKS_LIMIT, f"{what}: {g['blocks']} more blocks after {n} calls"
    else:
        assert g["objects"] <= GC_OBJECTS_LIMIT, (
            f"{what}: {g['objects']} more gc-tracked objects after {n} calls")
    assert g["traced"] <= TRACED_LIMIT, f"{what}: tracemalloc holds {g['traced']} bytes " \
                                        f"after {t} calls"


@compiled_only("the fallback has its own test below (accurate mode only)")
@pytest.mark.parametrize("row,op,mode", functions())
def test_no_growth_over_many_calls(backend, row, op, mode):
    check_growth(backend, row, op, mode)


@pytest.mark.parametrize("row,op", [(r, op) for r, op, m in functions() if m == "accurate"])
def test_no_growth_over_many_calls_fallback(row, op):
    """The fallback's fast mode runs the accurate formulas through the same
    wrapper class (fastact/_fallback.py), so its accurate calls stand for both."""
    with using_backend("python"):
        check_growth("python", row, op, "accurate")


@pytest.mark.parametrize("row", list(ACTS))
def test_reference_counts_unchanged_by_calls_with_out(backend, row):
    ps = default_params(row)
    arr_ps = tuple(np.full(16 if kind(row) == "elementwise" else (), p) for p in ps)
    for op in REG.OPS:
        inputs = small_inputs(row, op)
        outs = tuple(np.empty_like(inputs[0]) for _ in range(2 if op == "fused" else 1))
        out = outs if op == "fused" else outs[0]
        for params in [ps, arr_ps] if ps and kind(row) == "elementwise" else [ps]:
            call = bound_call(row, op, "accurate", inputs, params, out=out)
            call()
            watched = [*inputs, *outs, *[p for p in params if isinstance(p, np.ndarray)]]
            before = [sys.getrefcount(a) for a in watched]
            for _ in range(REFCOUNT_CALLS[regime(backend, row)]):
                r = call()
            del r
            after = [sys.getrefcount(a) for a in watched]
            assert after == before, f"{row} {op}: reference counts {before} -> {after}"


# ---- fault isolation -----------------------------------------------------------------------

HUGE = 2**45  # elements: 2^48 bytes of float64, beyond the 47-bit user address space


def _every_call(row):
    """(label, call()) for each op and mode on small arrays, results fresh."""
    out = []
    for row_, op, mode in functions():
        if row_ == row:
            out.append((f"{row} {op} {mode}",
                        bound_call(row, op, mode, small_inputs(row, op), default_params(row))))
    return out


def _bits(r):
    return tuple(np.asarray(a).tobytes() for a in (r if isinstance(r, tuple) else (r,)))


@pytest.mark.parametrize("row", list(ACTS))
def test_failures_leave_the_module_usable_and_results_intact(backend, row):
    calls = _every_call(row)
    first = [(label, call()) for label, call in calls]
    kept = [(label, _bits(r)) for label, r in first]
    public, extra = public_call(row)
    ps = default_params(row)
    f = getattr(fastact, public)
    fb = getattr(fastact, public + REG.API_SUFFIX["fused"])
    b = getattr(fastact, public + REG.API_SUFFIX["backward"])
    axis = kind(row) == "axis"
    huge = np.broadcast_to(np.ones((1, 1) if axis else 1),
                           (HUGE // 1024, 1024) if axis else (HUGE,))
    failures = [
        ("string input", lambda: f(np.array(["a"]), *ps, **extra), (TypeError,)),
        ("out of the wrong shape", lambda: f(np.ones(3), *ps, out=np.empty(4), **extra),
         (ValueError,)),
        ("unknown mode", lambda: f(np.ones(3), *ps, mode="nope", **extra), (ValueError,)),
        ("forward result too large", lambda: f(huge, *ps, **extra), (MemoryError,)),
        ("backward result too large", lambda: b(huge, huge, *ps, **extra), (MemoryError,)),
        ("fused results too large", lambda: fb(huge, huge, *ps, **extra), (MemoryError,)),
    ]
    for what, bad, exc in failures:
        with pytest.raises(exc):
            bad()
        for (label, r), (_, bits) in zip(first, kept):
            assert _bits(r) == bits, f"{label}: an earlier result changed after the {what}"
        for (label, call), (_, bits) in zip(calls, kept):
            assert _bits(call()) == bits, f"{label}: a new call differs after the {what}"
