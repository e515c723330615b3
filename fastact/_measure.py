"""Timing and accuracy helpers shared by `python -m fastact`, fastact.verify and
bench/bench.py, so each figure is measured one way only.

Timing: median seconds per call over repeated samples (see `time_call`).
Accuracy: the error of a result against a reference computed in a wider type
(float64 for float32 results, np.longdouble for float64 ones, mpmath when asked),
in ulps of the result type, absolute, and relative where the exact result is a
normal number (see `ErrorStats`).

Everything here is driven by fastact._registry.ACTIVATIONS. The per-activation
facts the registry does not hold (a wide-precision reference for f and f', the
hand-written NumPy backward) are in REFERENCES below; an activation missing
there is still timed and its forward is checked against its registry
`numpy_expr` evaluated in the wider type, but its gradient is not checked.
"""
import gc
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from ._registry import ACTIVATIONS

# bench/bench.py sets the same variables before NumPy loads
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


# --------------------------------------------------------------------------
# references

def _sigmoid_parts(x):
    e = np.exp(-np.abs(x))            # never overflows
    r = 1 / (1 + e)
    return e, r


def _sigmoid_ref(x):
    e, r = _sigmoid_parts(x)
    return np.where(x >= 0, r, e * r)  # 1/(1+e) for x >= 0, e/(1+e) below


def _sigmoid_grad_ref(x):
    e, r = _sigmoid_parts(x)
    return e * r * r                   # e/(1+e)^2: no cancellation near the tails


def _tanh_grad_ref(x):
    e2 = np.exp(-2 * np.abs(x))
    r = 1 / (1 + e2)
    return 4 * e2 * r * r              # 4 e2/(1+e2)^2 = 1 - tanh(x)^2, without cancelling


def _mp_sigmoid(mp, x):
    return 1 / (1 + mp.exp(-x))


def _mp_sigmoid_grad(mp, x):
    e = mp.exp(-abs(x))
    return e / (1 + e) ** 2


def _mp_tanh_grad(mp, x):
    return mp.sech(x) ** 2


@dataclass(frozen=True)
class Reference:
    forward: object          # f(x) on a float64 or longdouble array, in that type
    derivative: object       # f'(x), same
    mp_forward: object       # f(mpf) with mpmath, or None
    mp_derivative: object    # f'(mpf), or None
    numpy_backward: str      # what a NumPy user writes for the gradient from y


REFERENCES = {
    "sigmoid": Reference(_sigmoid_ref, _sigmoid_grad_ref, _mp_sigmoid, _mp_sigmoid_grad,
                         "g * y * (1 - y)"),
    "tanh": Reference(np.tanh, _tanh_grad_ref, lambda mp, x: mp.tanh(x), _mp_tanh_grad,
                      "g * (1 - y * y)"),
}


def numpy_expr(act):
    """The registry's NumPy expression of f as a function of x (eval'd once)."""
    return eval("lambda x: " + act.numpy_expr, {"np": np})  # noqa: S307 (our own table)


def numpy_backward(act):
    """The hand-written NumPy gradient from the output, g and y -> gx, or None."""
    ref = REFERENCES.get(act.name)
    if ref is None or act.backward_from != "output":
        return None
    return eval("lambda g, y: " + ref.numpy_backward, {"np": np})  # noqa: S307


def forward_reference(act, x):
    """f(x) computed in x's (wider) type, with no floating-point warnings."""
    with np.errstate(all="ignore"):
        ref = REFERENCES.get(act.name)
        if ref is not None:
            return ref.forward(x)
        return np.asarray(numpy_expr(act)(x), dtype=x.dtype)


def derivative_reference(act, x):
    """f'(x) in x's type, or None when REFERENCES has no derivative for it."""
    ref = REFERENCES.get(act.name)
    if ref is None:
        return None
    with np.errstate(all="ignore"):
        return ref.derivative(x)


def wide_dtype(dtype):
    """The type references are computed in for results of `dtype`."""
    return np.dtype(np.float64) if np.dtype(dtype).itemsize < 8 else np.dtype(np.longdouble)


def wide_name(dtype):
    """How reports name a reference type: float64, or long double with its precision."""
    dtype = np.dtype(dtype)
    if dtype == np.longdouble and dtype.itemsize > 8:
        return f"long double ({np.finfo(dtype).nmant + 1}-bit mantissa)"
    return dtype.name


def fmt_value(v, dtype):
    """A value with the digits that tell `dtype` results apart."""
    return f"{float(v):.9g}" if np.dtype(dtype).itemsize <= 4 else f"{float(v):.17g}"


# --------------------------------------------------------------------------
# inputs

def float_sweep_chunk(dtype, count, start, stop):
    """Values start..stop-1 of a sweep of `count` bit patterns of `dtype`
    (float32 or float64) spread evenly over the whole integer representation, so
    every binade of both signs is hit (with subnormals, +-0, +-inf and NaNs).
    With `count` equal to the number of patterns (2^32 for float32) it is every
    one of them; otherwise the low bits of each stride step are varied so the
    mantissa tails differ too."""
    dtype = np.dtype(dtype)
    utype = np.uint32 if dtype.itemsize == 4 else np.uint64
    stride = (1 << (8 * dtype.itemsize)) // count
    i = np.arange(start, stop, dtype=np.uint64)
    if stride > 1:
        jitter = (i * np.uint64(2654435761)) % np.uint64(stride)
        i *= np.uint64(stride)
        i += jitter
    return i.astype(utype).view(dtype)


def float_sweep(dtype, count, chunk=1 << 17):
    """The sweep of float_sweep_chunk, `chunk` values at a time."""
    count = min(int(count), 1 << (8 * np.dtype(dtype).itemsize))
    for start in range(0, count, chunk):
        yield float_sweep_chunk(dtype, count, start, min(start + chunk, count))


def probe_points(act, dtype, spread=4):
    """The registry's probes of `act`, both signs, and `spread` neighbours each side."""
    dtype = np.dtype(dtype)
    pts = []
    for p in act.probes:
        for s in (p, -p):
            v = dtype.type(s)
            lo = hi = v
            pts.append(v)
            for _ in range(spread):
                lo = np.nextafter(lo, dtype.type(-np.inf))
                hi = np.nextafter(hi, dtype.type(np.inf))
                pts += [lo, hi]
    pts += [dtype.type(v) for v in (0.0, -0.0, np.inf, -np.inf, np.nan)]
    return np.array(pts, dtype=dtype)


def timing_inputs(n, dtype, seed=1):
    """The arrays the speed figures are measured on: x standard normal times 3
    (both signs, mostly in the curved part, some saturated) and grad_output
    standard normal, both of `dtype`."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * 3).astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    return x, g


def float64_samples(count, seed=20261123):
    """`count` float64 inputs: a quarter strided over all bit patterns, a quarter
    with |x| log-uniform in [2^-40, 2^10], half uniform in [-40, 40]."""
    rng = np.random.default_rng(seed)
    q = count // 4
    strided = np.concatenate(list(float_sweep(np.float64, q)))
    logu = np.exp2(rng.uniform(-40, 10, q)) * rng.choice([-1.0, 1.0], q)
    unif = rng.uniform(-40, 40, count - 2 * q)
    return np.concatenate([strided, logu, unif])


# --------------------------------------------------------------------------
# error measurement

@dataclass
class ErrorStats:
    """Max errors of a result of `dtype` against a reference, mergeable by chunk.
    The worst input of each figure is kept with the result and the reference."""
    dtype: str
    count: int = 0
    mismatched_nan: int = 0      # NaN where the reference is not, or the reverse
    max_ulp: float = 0.0         # all results; below the smallest normal, in subnormal ulps
    max_ulp_normal: float = 0.0  # where the exact result is a normal number
    max_abs: float = 0.0
    max_rel: float = 0.0         # where the exact result is a normal number
    worst_ulp: tuple = None      # (x, got, ref) where each figure is worst
    worst_ulp_normal: tuple = None
    worst_abs: tuple = None
    worst_rel: tuple = None

    FIGURES = ("ulp", "ulp_normal", "abs", "rel")

    def add(self, x, got, ref):
        """Fold in one chunk: x the inputs, got the results, ref the reference
        values in a wider type."""
        x, got, ref = (np.asarray(a).ravel() for a in (x, got, ref))
        self.count += got.size
        if got.size == 0:
            return self
        with np.errstate(all="ignore"):          # signalling NaNs, inf - inf
            self._add(x, got, ref)
        return self

    def _add(self, x, got, ref):
        info = np.finfo(self.dtype)
        diff = np.subtract(got, ref, dtype=ref.dtype)
        np.abs(diff, out=diff)
        if np.isnan(diff).any():                      # a NaN, or inf - inf
            bad = np.flatnonzero(np.isnan(diff))
            g, r = got[bad], ref[bad]
            same = (g == r) | (np.isnan(g) & np.isnan(r))
            diff[bad] = np.where(same, 0, np.inf)
            self.mismatched_nan += int(np.count_nonzero(~same))
        # ulp of the result type at ref: 2^(E - nmant) for |ref| in [2^E, 2^(E+1)),
        # and the smallest subnormal for |ref| below the smallest normal.
        _, e = np.frexp(ref)                          # |ref| = m 2^e, 1/2 <= m < 1
        np.subtract(info.nmant + 1, e, out=e)
        ulp_err = np.ldexp(diff, e)
        aref = np.abs(ref)
        normal = aref >= info.tiny
        odd = None if normal.all() else np.flatnonzero(~normal)
        if odd is not None:
            ulp_err[odd] = diff[odd] / info.smallest_subnormal
        self._keep("ulp", ulp_err, x, got, ref)
        if odd is not None:
            ulp_err[odd] = 0
        self._keep("ulp_normal", ulp_err, x, got, ref)
        self._keep("abs", diff, x, got, ref)
        rel = np.divide(diff, aref, out=aref)         # relative error, normal results only
        if odd is not None:
            rel[odd] = 0
        self._keep("rel", rel, x, got, ref)

    def _keep(self, what, err, x, got, ref):
        i = int(np.argmax(err))
        e = float(err[i])
        if e > getattr(self, "max_" + what) or getattr(self, "worst_" + what) is None:
            setattr(self, "max_" + what, e)
            setattr(self, "worst_" + what, (x[i].item(), got[i].item(), ref[i].item()))

    def merge(self, other):
        self.count += other.count
        self.mismatched_nan += other.mismatched_nan
        for what in self.FIGURES:
            theirs = getattr(other, "worst_" + what)
            if theirs is None:
                continue
            if (getattr(self, "worst_" + what) is None
                    or getattr(other, "max_" + what) > getattr(self, "max_" + what)):
                setattr(self, "max_" + what, getattr(other, "max_" + what))
                setattr(self, "worst_" + what, theirs)
        return self

    def within(self, bound):
        """True/False against a registry Bound, None if the bound states no figure."""
        if bound is None or (bound.ulp is None and bound.rel is None and bound.abs is None):
            return None
        ok = self.mismatched_nan == 0
        if bound.ulp is not None:
            ok &= self.max_ulp <= bound.ulp
        if bound.rel is not None:
            ok &= self.max_rel <= bound.rel
        if bound.abs is not None:
            ok &= self.max_abs <= bound.abs
        return bool(ok)

    def as_dict(self):
        d = {k: v for k, v in self.__dict__.items()}
        for what in self.FIGURES:
            w = d.pop("worst_" + what)
            d["worst_" + what] = None if w is None else dict(
                zip(("x", "got", "ref"), (fmt_float(v) for v in w)))
        return d


def fmt_float(v):
    """A float for reports and JSON: the shortest repr that round-trips."""
    return repr(float(v))


# --------------------------------------------------------------------------
# timing

@dataclass
class Timing:
    seconds: float      # median per call
    samples: int
    calls_per_sample: int

    def ns_per(self, n):
        return self.seconds / n * 1e9


def time_call(fn, min_time=0.2, min_samples=3, sample_time=0.002, max_samples=5000):
    """Median time of one call of fn(), in seconds.

    One warm-up call (pages in the outputs, loads the code), then samples: the
    first of one call, the others of `k` back-to-back calls each, k chosen so a
    sample lasts about `sample_time` (calls of a microsecond are timed in
    bulk); samples are taken until there are `min_samples` of them and
    `min_time` seconds have passed. The garbage collector is off meanwhile."""
    fn()
    samples = []
    k = 1
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        while len(samples) < max_samples:
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            t1 = time.perf_counter()
            samples.append((t1 - t0) / k)
            if len(samples) == 1:
                k = max(1, int(sample_time / max(samples[0], 1e-9)))
            if len(samples) >= min_samples and t1 - start >= min_time:
                break
    finally:
        if was_enabled:
            gc.enable()
    return Timing(float(np.median(samples)), len(samples), k)


def keep_freed_memory():
    """Ask glibc to keep freed memory instead of returning it to the system.

    The error sweeps allocate and free temporaries of a few hundred KB per
    chunk; by default glibc maps and unmaps each one, and every page touched
    again is a page fault (about 2 us each in a VM: it doubled the run time of
    the sweeps). For the command-line tools only; a no-op off glibc."""
    try:
        import ctypes
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    ok = mallopt(m_mmap_threshold, 32 << 20)      # the largest glibc accepts
    ok &= mallopt(m_trim_threshold, 256 << 20)
    return bool(ok)


def single_thread():
    """Ask every library that could thread to use one thread: the environment
    variables (read by libraries imported after this) and torch if loaded."""
    for var in THREAD_VARS:
        os.environ[var] = "1"
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


# --------------------------------------------------------------------------
# peers

def load_peers():
    """The optional peers that import here: {'scipy': scipy.special or None,
    'torch': torch or None}, and a note for each one missing."""
    peers, notes = {}, []
    try:
        import scipy.special
        peers["scipy"] = scipy.special
    except ImportError:
        peers["scipy"] = None
        notes.append("scipy not installed: its column is dropped")
    try:
        import torch
        torch.set_num_threads(1)
        peers["torch"] = torch
    except ImportError:
        peers["torch"] = None
        notes.append("torch not installed: its column is dropped")
    return peers, notes


def scipy_function(special, act):
    """scipy.special's function of the same name as the activation or one of its
    aliases (sigmoid -> expit), or None."""
    if special is None:
        return None
    for name in (act.name,) + tuple(act.aliases):
        f = getattr(special, name, None)
        if isinstance(f, np.ufunc):
            return f
    return None


def torch_functions(torch, act):
    """(forward, backward) of torch for `act`: torch.<torch_name> and
    aten.<torch_name>_backward's out= overload, or None where missing."""
    if torch is None or not act.torch_name:
        return None, None
    fwd = getattr(torch, act.torch_name, None)
    bwd = getattr(torch.ops.aten, act.torch_name + "_backward", None)
    if bwd is not None:
        bwd = getattr(bwd, "grad_input", None)
    return fwd, bwd


def machine_info(peers=None):
    """What a report says about where it ran: CPU, cores, fastact's config
    (backend, SIMD path, supported ones, compiler), versions, threads."""
    import platform

    import fastact

    info = {"cpu": fastact.config()["cpu"], "machine": platform.machine(),
            "logical_cpus": os.cpu_count(), "fastact": fastact.config(),
            "versions": versions(peers), "threads": 1,
            "thread_env": {v: os.environ.get(v) for v in THREAD_VARS}}
    torch = (peers or {}).get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
    return info


def machine_lines(info):
    """machine_info as the few lines the reports open with."""
    cfg = info["fastact"]
    lines = [f"fastact {cfg['version']}: {cfg['backend']} backend"
             + (f", SIMD path {cfg['isa']} (best here {cfg['best_isa']}; supported: "
                f"{', '.join(cfg['isa_supported'])})" if cfg["backend"] == "compiled" else "")]
    lines.append(f"machine: {info['cpu']}, {info['machine']}, {info['logical_cpus']} logical "
                 f"CPUs; everything timed on one thread")
    lines.append(", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    return lines


def versions(peers=None):
    """Versions of python, numpy and the peers, for reports and JSON."""
    import platform
    v = {"python": platform.python_version(), "numpy": np.__version__}
    for name, mod in (peers or {}).items():
        if mod is not None:
            top = sys.modules[mod.__name__.split(".")[0]]
            v[name] = getattr(top, "__version__", "?")
    return v


# --------------------------------------------------------------------------
# progress

class Progress:
    """A one-line progress indicator on stderr: on a terminal it rewrites its
    line (close() erases it); otherwise it writes a line at most every `every`
    seconds, so logs stay short."""

    def __init__(self, total, every=10.0, stream=None):
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every = every
        self.start = self.last = time.monotonic()
        self.width = 0

    def step(self, text="", n=1):
        self.done += n
        self.show(text)

    def show(self, text=""):
        now = time.monotonic()
        pct = 100.0 * self.done / self.total if self.total else 100.0
        line = f"[{pct:5.1f}%  {now - self.start:6.1f} s] {text}"
        if self.tty:
            pad = max(0, self.width - len(line))
            self.stream.write("\r" + line + " " * pad)
            self.width = len(line)
            self.stream.flush()
        elif now - self.last >= self.every:
            self.stream.write(line + "\n")
            self.stream.flush()
            self.last = now

    def close(self):
        if self.tty and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
        self.width = 0


def activations(names=None):
    """The registry's element-wise activations, or the named ones (unknown names,
    and softmax / log_softmax, which work along an axis and have their own
    benchmark, bench/softmax_bench.py, and tests: ValueError)."""
    known = [n for n, a in ACTIVATIONS.items() if a.kind == "elementwise"]
    if not names:
        return [ACTIVATIONS[n] for n in known]
    unknown = [n for n in names if n not in known]
    if unknown:
        axis = [n for n in unknown if n in ACTIVATIONS]
        raise ValueError(f"unknown activation(s) {', '.join(unknown)}; "
                         f"known: {', '.join(known)}"
                         + (f" ({', '.join(axis)}: along an axis, see bench/softmax_bench.py "
                            "and tests/test_softmax.py)" if axis else ""))
    return [ACTIVATIONS[n] for n in names]


def split_names(values):
    """argparse helper: ['a,b', 'c'] -> ['a', 'b', 'c']."""
    out = []
    for v in values or ():
        out += [s for s in v.split(",") if s]
    return out
