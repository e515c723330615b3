"""8 Python threads calling every public function at once, on shared inputs with
separate outputs, get results bit-identical to serial calls.

Every row of the registry (public functions and their variants), each op and
mode, float16/32/64, contiguous and strided inputs (the strided and float16
calls run through the loop's per-call stack blocks, the contiguous float32/64
ones straight into the kernels), the parameters at their defaults and, for
activations that have them, as a shared per-element array. The shared inputs
are read-only, so a write into them would raise rather than pass unseen. The
threads start together (a barrier) and each runs every call several times in
its own shuffled order, so different functions, dtypes and layouts overlap.
On both backends. That the GIL is released (2 threads faster than 1 on large
arrays) is measured by bench/threads.py, not asserted here.
"""
import random
import threading

import numpy as np
import pytest

import fastact
from fastact import _registry as REG

pytestmark = pytest.mark.usefixtures("backend")

ACTS = REG.ACTIVATIONS
THREADS = 8
# elements per array and rounds: long enough for calls to overlap; the fallback
# (float64 pair arithmetic in NumPy, ~50x slower per element) gets smaller arrays
# so that the file stays fast as the registry grows
SIZE = {"compiled": (16_384, 2), "python": (1_024, 1)}
REQUIRED_PARAM_VALUE = 0.25


def params_of(row):
    return tuple(getattr(ACTS[row], "params", ()))


def public_call(row):
    v = getattr(ACTS[row], "variant_of", None)
    return (row, {}) if v is None else (v[0], {v[1]: v[2]})


def kind(row):
    return getattr(ACTS[row], "kind", "elementwise")


def frozen(a):
    a = np.asarray(a)
    a.setflags(write=False)
    return a


def shared_inputs(n, dtype, strided, seed):
    rng = np.random.default_rng(seed)
    n = n * (2 if strided else 1)
    x = (rng.standard_normal(n) * 4).astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    if strided:
        x, g = x[::2], g[::-2]
    return frozen(x), frozen(g)


def bind(fn, data, ps, kw, nout):
    """call(outs): fn on the shared data and parameters, writing into outs."""
    if nout == 1:
        return lambda o: fn(*data, *ps, out=o[0], **kw)
    return lambda o: fn(*data, *ps, out=o, **kw)


def jobs(n):
    """(label, call(out)) for every function, with the out it writes (allocated
    per thread) described by (shape, dtype, count)."""
    out = []
    for dtype in (np.float16, np.float32, np.float64):
        for strided in (False, True):
            x, g = shared_inputs(n, dtype, strided, seed=len(out))
            for row in ACTS:
                public, extra = public_call(row)
                defaults = tuple(REQUIRED_PARAM_VALUE if p.default is None else p.default
                                 for p in params_of(row))
                variants = [("default params", defaults)]
                if defaults and kind(row) == "elementwise":
                    rng = np.random.default_rng(7)
                    variants.append(("per-element params", tuple(
                        frozen((d * (1 + 0.1 * rng.standard_normal(x.shape))).astype(dtype))
                        for d in defaults)))
                # what the backward reads: x, or the forward's output
                z = x if ACTS[row].backward_from == "input" else frozen(
                    getattr(fastact, public)(x, *defaults, **extra))
                for plabel, ps in variants:
                    for op in REG.OPS:
                        fn = getattr(fastact, public + REG.API_SUFFIX[op])
                        data = {"forward": (x,), "backward": (g, z), "fused": (x, g)}[op]
                        for mode in (REG.MODES if op != "backward" else (None,)):
                            label = (f"{row} {op} {mode or ''} {np.dtype(dtype).name} "
                                     f"{'strided' if strided else 'contiguous'} {plabel}")
                            kw = dict(extra) if mode is None else dict(extra, mode=mode)
                            nout = 2 if op == "fused" else 1
                            out.append((label, bind(fn, data, ps, kw, nout),
                                        (x.shape, np.dtype(dtype), nout)))
    return out


def fresh(spec):
    shape, dtype, count = spec
    return tuple(np.full(shape, np.nan, dtype) for _ in range(count))


def test_eight_threads_match_serial_calls(backend):
    isa = fastact._impl.get_isa() if backend == "compiled" else None
    n, rounds = SIZE[backend]
    work = jobs(n)
    expected = []
    for label, call, spec in work:
        o = fresh(spec)
        call(o)
        expected.append(tuple(a.view(f"u{a.itemsize}").copy() for a in o))

    barrier = threading.Barrier(THREADS)
    failures, errors = [], []

    def worker(tid):
        order = list(range(len(work))) * rounds
        random.Random(tid).shuffle(order)
        outs = {}
        try:
            barrier.wait()
            for k in order:
                label, call, spec = work[k]
                o = outs.get(k) or outs.setdefault(k, fresh(spec))
                for a in o:
                    a.fill(np.nan)
                call(o)
                for i, (a, e) in enumerate(zip(o, expected[k])):
                    diff = a.view(e.dtype) != e
                    if diff.any():
                        failures.append(f"thread {tid}: {label}, output {i}: {int(diff.sum())} "
                                        f"elements differ from the serial call, first at "
                                        f"{int(np.argmax(diff))}")
        except Exception as exc:  # reported below, with the thread that saw it
            errors.append(f"thread {tid}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, "\n".join(errors[:10])
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures[:10])
    if isa is not None:
        assert fastact._impl.get_isa() == isa, "the active ISA moved during the threaded calls"
