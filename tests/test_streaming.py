"""Forward outputs written with non-temporal stores (csrc/loops.c): above a size
threshold (32 MiB by default) a contiguous forward run goes through an L1 buffer
copied out with streaming stores. The kernel is the same, so the results must be
the same bits as the plain path's, whatever the length, the output's alignment,
in-place use or parameters; and nothing outside the output may be written.
The threshold is lowered to 0 here so that small arrays take the streamed path."""
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

# lengths around the 4096-byte chunk (1024 float32, 512 float64) and the head
LENGTHS = (0, 1, 2, 3, 5, 511, 512, 513, 1023, 1024, 1025, 2048 + 7, 3 * 1024 + 1, 10_000)


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
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs,per", CASES, ids=[f"{c[0]}-{c[1].get('mode', '')}" for c in CASES])
def test_streamed_forward_is_bit_identical(isa, name, kwargs, per, dtype):
    fn = getattr(fastact, name)
    rng = np.random.default_rng(7)
    es = np.dtype(dtype).itemsize
    with using_isa(isa):
        for n in LENGTHS:
            x = (rng.standard_normal(n) * 6).astype(dtype)
            extra = (rng.standard_normal(n).astype(dtype),) if per else ()
            with threshold(1 << 62):
                want = fn(x, *extra, **kwargs)
            # the output at every offset modulo 16 bytes inside a guarded buffer
            for shift in range(16 // es):
                buf = np.full(n + 16 // es + 8, 12345.0, dtype=dtype)
                out = buf[shift + 4: shift + 4 + n]
                with threshold(0):
                    got = fn(x, *extra, out=out, **kwargs)
                assert got is out
                np.testing.assert_array_equal(out.view(f"u{es}"), want.view(f"u{es}"),
                                              err_msg=f"{name} n={n} shift={shift}")
                assert (buf[:shift + 4] == 12345.0).all() and (buf[shift + 4 + n:] == 12345.0).all(), \
                    f"{name} n={n} shift={shift}: wrote outside the output"
            # in place
            y = x.copy()
            with threshold(0):
                fn(y, *extra, out=y, **kwargs)
            np.testing.assert_array_equal(y.view(f"u{es}"), want.view(f"u{es}"),
                                          err_msg=f"{name} n={n} in place")


def test_unaligned_output():
    """An output not aligned to its elements (a view at an odd byte offset): the
    loop streams only to element-aligned outputs (NumPy may also hand it an aligned
    buffer and copy out itself); either way the same bits, nothing else written."""
    n = 5000
    x = np.random.default_rng(3).standard_normal(n).astype(np.float32)
    raw = np.zeros(n * 4 + 1, dtype=np.uint8)
    out = raw[1:].view(np.float32)
    assert not out.flags.aligned
    with threshold(1 << 62):
        want = fastact.sigmoid(x)
    with threshold(0):
        fastact.sigmoid(x, out=out)
    np.testing.assert_array_equal(out.view(np.uint32), want.view(np.uint32))
    assert raw[0] == 0


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
