"""Outputs written with non-temporal stores (csrc/loops.c): above a size threshold
(32 MiB by default) a contiguous run of a pass that streams (activations.def: the
exact activations' passes, sigmoid's and tanh's backward) is handed to its kernel
with FA_N_STREAM and the kernel stores its whole vectors past the output's first
64-byte boundary non-temporally (a fused pass whose two outputs are not equally
aligned runs plain). The transcendental cases below check that the others ignore
the threshold. The arithmetic is the same, so the results
must be the same bits as the plain path's, whatever the length, the outputs'
alignment, in-place use or parameters; and nothing outside the outputs may be
written. The threshold is lowered to 0 here so that small arrays stream."""
import contextlib

import numpy as np
import pytest

import fastact
from conftest import compiled_only, using_isa


def stream_supported():
    from fastact import _core
    return _core.stream_min_bytes() is not None


pytestmark = [compiled_only("the pure-NumPy fallback writes through NumPy"),
              pytest.mark.skipif(fastact.backend == "compiled" and not stream_supported(),
                                 reason="this build has no non-temporal path (not x86-64)")]

# lengths around the 64-byte head (16 float32, 8 float64), the vector pairs and
# the guarded kernels' blocks of 512 elements
LENGTHS = (0, 1, 2, 3, 5, 17, 33, 511, 512, 513, 1023, 1024, 1025, 2048 + 7, 3 * 1024 + 1, 10_000)


@contextlib.contextmanager
def threshold(nbytes):
    from fastact import _core
    old = _core.stream_min_bytes(nbytes)
    try:
        yield old
    finally:
        _core.stream_min_bytes(old)


CASES = [  # (function, keyword arguments, per-element parameter array or None)
    ("relu", {}, None),
    ("sigmoid", {}, None),
    ("sigmoid", {"mode": "fast"}, None),
    ("tanh", {}, None),
    ("gelu", {}, None),
    ("leaky_relu", {"negative_slope": 0.2}, None),
    ("prelu", {}, "weight"),
    ("relu6", {}, None),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}, None),  # two parameters
    ("hardsigmoid", {}, None),
    ("hardswish", {}, None),
    ("softsign", {}, None),
]
OPS = ("forward", "backward", "fused")
SENTINEL = 12345.0


def call(name, op, x, g, extra, kwargs, out):
    """fastact's `op` of `name` on x (and g), writing to `out` (one array, or
    a pair for the fused pass) or to fresh arrays where out is None."""
    fn = getattr(fastact, {"forward": name, "backward": f"{name}_backward",
                           "fused": f"{name}_fwd_bwd"}[op])
    bwd_kwargs = {k: v for k, v in kwargs.items() if k != "mode"}  # backward: exact, one mode
    if op == "forward":
        return fn(x, *extra, out=out, **kwargs)
    if op == "backward":
        return fn(g, x, *extra, out=out, **bwd_kwargs)
    return fn(x, g, *extra, out=(None, None) if out is None else out, **kwargs)


def guarded(n, shift, dtype):
    """An output of n elements at element offset `shift` inside a buffer full
    of a sentinel: (buffer, output view, check that nothing else was written)."""
    pad = 64 // np.dtype(dtype).itemsize + 4
    buf = np.full(n + 2 * pad, SENTINEL, dtype=dtype)
    out = buf[pad + shift: pad + shift + n]

    def untouched():
        return (buf[:pad + shift] == SENTINEL).all() and (buf[pad + shift + n:] == SENTINEL).all()
    return buf, out, untouched


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs,per", CASES, ids=[f"{c[0]}-{c[1].get('mode', '')}" for c in CASES])
def test_streamed_is_bit_identical(isa, name, kwargs, per, dtype, op):
    es = np.dtype(dtype).itemsize
    rng = np.random.default_rng(7)
    u = f"u{es}"
    with using_isa(isa):
        for n in LENGTHS:
            x = (rng.standard_normal(n) * 6).astype(dtype)
            g = rng.standard_normal(n).astype(dtype)
            extra = (rng.standard_normal(n).astype(dtype),) if per else ()
            with threshold(1 << 62):
                want = call(name, op, x, g, extra, kwargs, None)
            wants = want if op == "fused" else (want,)
            # the outputs at every element offset modulo 64 bytes; for the fused
            # pass also at different offsets from each other (then not streamed)
            for shift in range(64 // es):
                shift2 = (shift, (shift + 1) % (64 // es)) if op == "fused" else (shift,)
                for s2 in shift2:
                    outs = [guarded(n, shift, dtype)] + ([guarded(n, s2, dtype)] if op == "fused" else [])
                    out = tuple(o[1] for o in outs) if op == "fused" else outs[0][1]
                    with threshold(0):
                        got = call(name, op, x, g, extra, kwargs, out)
                    for (_, o, untouched), w, gt in zip(outs, wants, got if op == "fused" else (got,)):
                        assert gt is o
                        np.testing.assert_array_equal(o.view(u), w.view(u),
                                                      err_msg=f"{name} {op} n={n} shift={shift},{s2}")
                        assert untouched(), f"{name} {op} n={n} shift={shift},{s2}: wrote outside the output"
            # in place, at every 64-byte offset: the output is the input x (and
            # for the backward, g; for the fused pass, gx is g)
            for shift in range(0, 64 // es, 3):
                buf, y, untouched = guarded(n, shift, dtype)
                y[...] = x
                with threshold(0):
                    call(name, op, y, g, extra, kwargs, (y, None) if op == "fused" else y)
                np.testing.assert_array_equal(y.view(u), wants[0].view(u),
                                              err_msg=f"{name} {op} n={n} in place on x")
                assert untouched()
                if op == "forward":
                    continue
                buf, g2, untouched = guarded(n, shift, dtype)
                g2[...] = g
                with threshold(0):
                    call(name, op, x, g2, extra, kwargs, (None, g2) if op == "fused" else g2)
                np.testing.assert_array_equal(g2.view(u), wants[-1].view(u),
                                              err_msg=f"{name} {op} n={n} in place on g")
                assert untouched()


@pytest.mark.parametrize("name", ["relu", "relu_backward", "relu_fwd_bwd"])
def test_unaligned_output(name):
    """An output not aligned to its elements (a view at an odd byte offset): the
    loop streams only to element-aligned outputs (NumPy may also hand it an aligned
    buffer and copy out itself); either way the same bits, nothing else written."""
    n = 5000
    rng = np.random.default_rng(3)
    x, g = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    fn = getattr(fastact, name)
    args = (x,) if name == "relu" else (g, x) if name == "relu_backward" else (x, g)
    raw = np.zeros(n * 4 + 1, dtype=np.uint8)
    out = raw[1:].view(np.float32)
    assert not out.flags.aligned
    with threshold(1 << 62):
        want = fn(*args)
    want = want[-1] if name == "relu_fwd_bwd" else want
    with threshold(0):
        fn(*args, out=(None, out) if name == "relu_fwd_bwd" else out)
    np.testing.assert_array_equal(out.view(np.uint32), want.view(np.uint32))
    assert raw[0] == 0


def test_streamed_passes_follow_the_registry():
    """activations.def's streams column, as the binding reads it: the passes whose
    arithmetic is cheaper than their memory traffic stream (every pass of an exact
    activation; the backward passes that read the output), the others do not."""
    from fastact import _core
    from fastact._registry import ACTIVATIONS, ELEMENTWISE, EXACT
    for name in ELEMENTWISE:
        a = ACTIVATIONS[name]
        want = (("forward", "backward", "fused") if a.modes == EXACT
                else ("backward",) if a.backward_from == "output" else ())
        assert _core.STREAMS[name] == want, name
    assert _core.STREAMS["exp_shifted"] == ()


def test_threshold_setter():
    from fastact import _core
    default = _core.stream_min_bytes()
    assert default == 32 << 20
    assert fastact.config()["stream_min_bytes"] == default
    with threshold(100) as old:
        assert old == default and _core.stream_min_bytes() == 100
    assert _core.stream_min_bytes() == default
    for bad in (-1, 1.5, "8"):
        with pytest.raises(ValueError, match="nbytes"):
            _core.stream_min_bytes(bad)
