"""Property-based tests (hypothesis) of every public function, op and mode.

Driven by the registry: every row of fastact._registry.ACTIVATIONS (public
functions and the variants reached through an option, e.g. gelu's
approximate="tanh"), each op (forward, backward, fused), each mode, float16/32/64,
with the activation's parameters (defaults, other Python scalars, or arrays that
broadcast against x; a required parameter such as prelu's weight is given 0.25).
Activations that land later are covered without editing this file.

Properties, each on both backends (and a drawn SIMD level of the compiled one):
- layouts: 0-d, empty and up to a few thousand elements; strided, negative,
  transposed, unaligned (a byte offset into a uint8 buffer) and byte-swapped
  operands, out= arrays in such layouts, and broadcasting between operands and
  parameters, give the bits of the same call on C-contiguous native copies;
  the dtype is kept; the fused y is the forward's y.
- out= aliasing: an output that is exactly an input (in place, including the
  fused pair swapped) gives the out-of-place bits; an output that overlaps an
  input partially gives what NumPy ufuncs give (NumPy copies the input first,
  so the result is that of the non-overlapping call), and nothing outside out
  is written.
- where=: the masked-out elements of out keep their bytes, the others get the
  bits of the unmasked call.
- the compiled backend and the fallback (fastact._fallback, reached through the
  public functions) both stay within the tolerance below of the independent
  reference of tests/family_reference.py, evaluated in a wider type (float64
  for float16/32 results, long double for float64; rows without a long double
  formula are held to mpmath for float64 in test_family.py instead), raise no
  overflow, invalid or divide-by-zero flag (finite grad_output, any x), agree
  on where results are NaN, and give identical bits for the backward from the
  output (the fallback computes it with the C kernels' operations, see
  fastact/_fallback.py).

Tolerances against the reference, and why:
- forward and fused gradient, float32/float64: the registry's measured bound
  (fastact._registry.bound) for that op, mode and dtype; exact activations (no
  "fast" in their modes) compute the same in both modes, so fast mode uses the
  accurate bound. The bounds are measured with grad_output = 1, so they speak
  of the derivative: for the fused gradient with a random grad_output, where
  the derivative itself is subnormal, an ulp bound lets it be rounded to the
  subnormal grid before the product (as in test_accuracy.py: |grad_output| x
  the grid's spacing x the bound on top), and a relative bound, which holds
  for normal results only, lets it flush to 0 (|grad_output| x the smallest
  normal on top); an absolute bound scales with |grad_output|, plus half an
  ulp for the product's rounding.
- float16: computed through float32 (compiled) or float64 (fallback) and
  rounded once, so the float32 bound (as an absolute error) plus half a float16
  ulp of the result.
- backward from the input: it computes the fused gradient's quantity
  grad_output * f'(x), so the fused accurate bound.
- backward from the output (sigmoid, tanh: (g (1 - y)) y and g (1 - y y)):
  8 eps |g| absolute, eps of the result dtype. The output y is itself rounded
  (at most 1 ulp, i.e. eps, off for |y| <= 1); these formulas move by at most
  2 |g| per unit change of y (|1 - 2y| <= 1, |2y| <= 2), and their three
  roundings add at most 1.5 eps |g|: 3.5 eps |g| in all, 8 leaves room.
- axis activations (softmax, log_softmax): the forward against the reference
  with the registry bound; their gradients sum along the axis in a different
  order on each backend, so the two backends are compared with each other
  within 2 n eps (|g| + sum |g|) (n: the axis length), the classic bound of a
  recursive sum of n terms.

Hypothesis runs derandomized (the same examples every run, for CI) with no
example database; FASTACT_HYPOTHESIS_EXAMPLES=<n> runs n examples per test for a
deeper search. The default keeps this file under ~30 s.
"""
import dataclasses
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastact
import reference as R
import softmax_reference as SR
from conftest import COMPILED, SUPPORTED_ISAS, using_backend, using_isa
from family_reference import REFS
from fastact import _registry as REG

ACTS = REG.ACTIVATIONS
ROWS = tuple(ACTS)  # public rows and their variants
OPS = REG.OPS
MODES = REG.MODES
DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
REQUIRED_PARAM_VALUE = 0.25  # for parameters without a default (prelu's weight, as torch's init)

_EXAMPLES = int(os.environ.get("FASTACT_HYPOTHESIS_EXAMPLES", "0"))


def props(n):
    return settings(max_examples=_EXAMPLES or n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


# ---- the registry, read generically ------------------------------------------------------

def kind(row):
    return getattr(ACTS[row], "kind", "elementwise")


def params_of(row):
    return tuple(getattr(ACTS[row], "params", ()))


def param_default(p):
    return REQUIRED_PARAM_VALUE if p.default is None else float(p.default)


def modes_of(row):
    return tuple(getattr(ACTS[row], "modes", MODES))


def public_call(row):
    """(public function name, extra keywords) that reach the row."""
    v = getattr(ACTS[row], "variant_of", None)
    return (row, {}) if v is None else (v[0], {v[1]: v[2]})


def call(row, op, inputs, params=(), mode="accurate", **kw):
    """The public function of (row, op) on the backend in use."""
    public, extra = public_call(row)
    fn = getattr(fastact, public + REG.API_SUFFIX[op])
    if op != "backward":
        kw["mode"] = mode
    return fn(*inputs, *params, **extra, **kw)


def as_tuple(r):
    return r if isinstance(r, tuple) else (r,)


def nout(op):
    return 2 if op == "fused" else 1


def roles(op):
    """The data inputs of an op: x (activation input), g (grad_output), z (what
    the backward reads: x or the forward's output)."""
    return {"forward": ("x",), "backward": ("g", "z"), "fused": ("x", "g")}[op]


# ---- values ------------------------------------------------------------------------------------

def specials(row):
    """Values every activation must handle, and the row's probe points (both signs)."""
    probes = [float(p) for p in getattr(ACTS[row], "probes", ())]
    return np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -1e-310, 1e-40, -1e-30, 1.0,
                     -1.0, 20.0, -100.0, 1e30, -1e30] + probes + [-p for p in probes])


def x_values(rng, shape, dtype, row):
    """Most magnitudes, both signs, with a sprinkling of the special values."""
    n = int(np.prod(shape, dtype=np.int64))
    v = rng.standard_normal(n) * np.exp2(rng.integers(-12, 8, n))
    if n:
        k = int(rng.integers(0, n // 4 + 2))
        v[rng.integers(0, n, k)] = rng.choice(specials(row), k)
    with np.errstate(over="ignore"):
        return v.astype(dtype).reshape(shape)


def g_values(rng, shape, dtype):
    """Finite grad_output of many magnitudes, some zeros (infinite and NaN
    grad_output are covered by test_special_values.py)."""
    n = int(np.prod(shape, dtype=np.int64))
    v = rng.standard_normal(n) * np.exp2(rng.integers(-8, 9, n))
    v[rng.random(n) < 0.05] = 0.0
    return v.astype(dtype).reshape(shape)


def forward_output(row, x, params):
    """What <row>_backward reads as its z: x itself, or the forward's output
    (accurate mode, on the backend in use)."""
    if ACTS[row].backward_from == "input":
        return x
    return np.asarray(call(row, "forward", (x,), params))


# ---- layouts -----------------------------------------------------------------------------------

LAYOUTS = ("contiguous", "strided", "negative", "fortran", "unaligned", "byteswapped")


def materialize(a, layout, offset=1):
    """An array equal to `a` (same shape and values) laid out as `layout`."""
    a = np.asarray(a)
    if layout == "contiguous" or a.ndim == 0 and layout != "unaligned":
        return a.copy()
    if layout == "strided":
        buf = np.empty(a.shape[:-1] + (a.shape[-1] * 3,), a.dtype)
        v = buf[..., 1::3]
    elif layout == "negative":
        return np.flip(np.flip(a).copy())
    elif layout == "fortran":
        return np.asfortranarray(a)
    elif layout == "unaligned":
        raw = np.zeros(a.nbytes + a.itemsize, np.uint8)
        off = 1 + offset % (a.itemsize - 1)
        v = raw[off:off + a.nbytes].view(a.dtype).reshape(a.shape)
    elif layout == "byteswapped":
        return a.astype(a.dtype.newbyteorder())
    else:
        raise AssertionError(layout)
    v[...] = a
    return v


def bits(a):
    a = np.asarray(a)
    return a.view(f"u{a.itemsize}")


def assert_same_bits(got, expected, what):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype and got.shape == expected.shape, (
        f"{what}: {got.dtype}{got.shape} vs {expected.dtype}{expected.shape}")
    diff = bits(got) != bits(expected)
    assert not diff.any(), (
        f"{what}: {int(diff.sum())} of {diff.size} elements differ, first at index "
        f"{np.argwhere(diff)[0].tolist()}: {got[diff][0]!r} vs {expected[diff][0]!r}")


# ---- drawn cases -------------------------------------------------------------------------------

@dataclasses.dataclass
class Case:
    row: str
    op: str
    mode: str
    dtype: np.dtype
    shape: tuple
    seed: int
    isa: str | None
    in_shapes: tuple     # shape of each data input (broadcasting: some axes 1 or dropped)
    in_layouts: tuple
    param_kinds: tuple   # "default", "scalar" or "array", per parameter
    param_shapes: tuple
    param_layouts: tuple

    def __str__(self):
        return (f"{self.row} {self.op} mode={self.mode} {self.dtype} shape={self.shape} "
                f"inputs={list(zip(self.in_shapes, self.in_layouts))} params="
                f"{list(zip(self.param_kinds, self.param_shapes, self.param_layouts))} "
                f"isa={self.isa} seed={self.seed}")

    def rng(self, salt=0):
        return np.random.default_rng([self.seed, salt])

    def params(self, layouts=True):
        """The parameter values: Python floats or arrays of the case's dtype."""
        out = []
        rng = self.rng(1)
        for p, k, shp, lay in zip(params_of(self.row), self.param_kinds, self.param_shapes,
                                  self.param_layouts):
            base = param_default(p)
            if k == "default":
                out.append(base)
            elif k == "scalar":  # within 10% of the default: keeps signs and orderings
                out.append(base * float(1 + rng.uniform(-0.1, 0.1)))
            else:
                a = (base * (1 + rng.uniform(-0.1, 0.1, shp))).astype(self.dtype)
                out.append(materialize(a, lay, self.seed) if layouts else a)
        return tuple(out)

    def inputs(self):
        """The data inputs, C-contiguous, native, at their own (broadcastable) shapes."""
        rng = self.rng(0)
        out = []
        for role, shp in zip(roles(self.op), self.in_shapes):
            if role == "x":
                out.append(x_values(rng, shp, self.dtype, self.row))
            elif role == "g":
                out.append(g_values(rng, shp, self.dtype))
            else:
                out.append(forward_output(self.row, x_values(rng, shp, self.dtype, self.row),
                                          self.params(layouts=False)))
        return out

    def laid_out(self, arrays):
        return [materialize(a, lay, self.seed) for a, lay in zip(arrays, self.in_layouts)]


def _collapsed(draw, shape, allowed):
    """A shape that broadcasts to `shape`: some axes set to 1, some leading ones dropped."""
    if not allowed or not shape:
        return shape
    ones = draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    s = tuple(1 if o else n for o, n in zip(ones, shape))
    drop = draw(st.integers(0, len(shape)))
    return s[drop:]


def shapes(min_dims):
    small = hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=0, max_side=12)
    long = st.integers(0, 3000).map(lambda n: (n,))
    return st.one_of(small, long)


@st.composite
def cases(draw, rows=ROWS, broadcast=False, layouts=True, min_size=0):
    row = draw(st.sampled_from(rows))
    op = draw(st.sampled_from(OPS))
    axis = kind(row) == "axis"
    big_enough = shapes(1 if axis else 0).filter(lambda s: np.prod(s, dtype=np.int64) >= min_size)
    shape = draw(big_enough)
    # axis activations are not ufuncs: their inputs and output share one shape
    bc = broadcast and not axis
    n_in = len(roles(op))
    in_shapes = tuple(_collapsed(draw, shape, bc) for _ in range(n_in))
    if bc and n_in == 1 and not params_of(row):
        in_shapes = (shape,)
    lay = st.sampled_from(LAYOUTS) if layouts else st.just("contiguous")
    in_layouts = tuple(draw(lay) for _ in range(n_in))
    kinds, pshapes, players = [], [], []
    for _ in params_of(row):
        k = draw(st.sampled_from(("default", "scalar", "array")))
        kinds.append(k)
        pshapes.append(_collapsed(draw, shape, bc) if k == "array" else ())
        players.append(draw(lay) if k == "array" else "contiguous")
    return Case(row=row, op=op, mode=draw(st.sampled_from(MODES)),
                dtype=draw(st.sampled_from(DTYPES)), shape=shape,
                seed=draw(st.integers(0, 2**32 - 1)),
                isa=draw(st.sampled_from(SUPPORTED_ISAS)) if SUPPORTED_ISAS else None,
                in_shapes=in_shapes, in_layouts=in_layouts, param_kinds=tuple(kinds),
                param_shapes=tuple(pshapes), param_layouts=tuple(players))


def on_isa(backend, isa):
    return using_isa(isa if backend == "compiled" else None)


# ---- 1. layouts, shapes, dtypes, broadcasting ---------------------------------------------

OUT_LAYOUTS = (None, "contiguous", "strided", "negative", "fortran", "unaligned")


@props(120)
@given(case=cases(broadcast=True), out_layout=st.sampled_from(OUT_LAYOUTS))
def test_layouts_and_broadcasting_give_the_contiguous_bits(backend, case, out_layout):
    """Operands (and out=, unless None) in the drawn layouts give the bits of
    the same call on C-contiguous native copies with fresh results."""
    with on_isa(backend, case.isa):
        plain = case.inputs()
        params = case.params()
        arrays = [p for p in params if isinstance(p, np.ndarray)]
        shape = np.broadcast_shapes(*[a.shape for a in plain + arrays])
        kw = {}
        if out_layout is not None:
            outs = tuple(materialize(np.zeros(shape, case.dtype), out_layout, case.seed)
                         for _ in range(nout(case.op)))
            kw["out"] = outs if case.op == "fused" else outs[0]
        got = as_tuple(call(case.row, case.op, case.laid_out(plain), params, case.mode, **kw))
        # C-contiguous native copies (np.array, not np.ascontiguousarray: that makes 0-d 1-d)
        dense = [np.array(np.broadcast_to(a, shape), order="C") for a in plain]
        dense_p = tuple(np.array(np.broadcast_to(p, shape), p.dtype.newbyteorder("="), order="C")
                        if isinstance(p, np.ndarray) else p for p in params)
        expected = as_tuple(call(case.row, case.op, dense, dense_p, case.mode))
        assert len(got) == nout(case.op), str(case)
        what = f"{case}, out {out_layout}"
        for i, (a, b) in enumerate(zip(got, expected)):
            if out_layout is not None:
                assert a is outs[i], f"{what}: output {i} is not the out= array"
            a = np.asarray(a)
            assert a.dtype == case.dtype and a.shape == shape, (
                f"{what}: output {i} is {a.dtype}{a.shape}, expected {case.dtype}{shape}")
            assert_same_bits(a, b, f"{what}: output {i}")
        if case.op == "fused":
            y = call(case.row, "forward", dense[:1], dense_p, case.mode)
            assert_same_bits(got[0], np.broadcast_to(y, shape),
                             f"{what}: fused y against the forward")


# ---- 2. out= aliasing ----------------------------------------------------------------------------

@st.composite
def alias_cases(draw):
    case = draw(cases(broadcast=False))
    n_in = len(roles(case.op))
    # which input each output writes over (None: a fresh array)
    if case.op == "fused":
        targets = draw(st.sampled_from([(0, 1), (1, 0), (0, None), (None, 1), (1, None),
                                        (None, 0)]))
    else:
        targets = (draw(st.integers(0, n_in - 1)),)
    return case, targets


@props(100)
@given(ac=alias_cases())
def test_out_exactly_an_input_gives_the_out_of_place_bits(backend, ac):
    case, targets = ac
    with on_isa(backend, case.isa):
        plain = case.inputs()
        params = case.params()
        expected = as_tuple(call(case.row, case.op, case.laid_out(plain), params, case.mode))
        inputs = [a for a in case.laid_out(plain)]
        # a byte-swapped input cannot be written in place with the result dtype
        inputs = [a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))
                  for a in inputs]
        outs = tuple(inputs[t] if t is not None else np.empty(case.shape, case.dtype)
                     for t in targets)
        got = as_tuple(call(case.row, case.op, inputs, params, case.mode,
                            out=outs if case.op == "fused" else outs[0]))
        for i, (g, o, e) in enumerate(zip(got, outs, expected)):
            assert g is o, f"{case}: output {i} is not the out= array"
            assert_same_bits(o, e, f"{case}: output {i} written over input {targets[i]}")


@st.composite
def overlap_cases(draw):
    case = draw(cases(broadcast=False, layouts=False, min_size=2))
    size = int(np.prod(case.shape, dtype=np.int64))
    n_in = len(roles(case.op))
    slot = draw(st.integers(0, nout(case.op) - 1))      # the output that overlaps
    victim = draw(st.integers(0, n_in - 1))              # the input it overlaps
    shift = draw(st.integers(1, max(1, size - 1))) * draw(st.sampled_from((1, -1)))
    reverse = draw(st.booleans())                        # out runs backwards over the input
    return case, slot, victim, shift, reverse


@props(100)
@given(oc=overlap_cases())
def test_out_partially_overlapping_an_input_acts_as_numpy(backend, oc):
    """NumPy copies an input that an output overlaps partially, so the result is
    the non-overlapping call's; nothing outside out is written."""
    case, slot, victim, shift, reverse = oc
    size = int(np.prod(case.shape, dtype=np.int64))  # at least 2: partial overlap exists
    with on_isa(backend, case.isa):
        plain = case.inputs()
        params = case.params()
        expected = as_tuple(call(case.row, case.op, [a.copy() for a in plain], params,
                                 case.mode))
        buf = np.empty(size + abs(shift), case.dtype)
        i0, o0 = (0, shift) if shift > 0 else (-shift, 0)
        buf[i0:i0 + size] = plain[victim].ravel()
        buf[:i0] = buf[i0 + size:] = np.float16(-7.5)  # the rest of the buffer
        inputs = list(plain)
        inputs[victim] = buf[i0:i0 + size].reshape(case.shape)
        window = buf[o0:o0 + size]
        out_view = (window[::-1] if reverse else window).reshape(case.shape)
        outs = [np.empty(case.shape, case.dtype) for _ in range(nout(case.op))]
        outs[slot] = out_view
        before = buf.copy()
        call(case.row, case.op, inputs, params, case.mode,
             out=tuple(outs) if case.op == "fused" else outs[0])
        what = (f"{case}: output {slot} over input {victim} shifted by {shift} elements"
                f"{', reversed' if reverse else ''}")
        for i, (o, e) in enumerate(zip(outs, expected)):
            assert_same_bits(o, e, f"{what}: output {i}")
        outside = np.ones(buf.size, bool)
        outside[o0:o0 + size] = False
        assert_same_bits(buf[outside], before[outside], f"{what}: bytes outside out")


# ---- 3. where= ----------------------------------------------------------------------------------

ELEMENTWISE = tuple(r for r in ROWS if kind(r) == "elementwise")


@st.composite
def where_cases(draw):
    case = draw(cases(rows=ELEMENTWISE, broadcast=True))
    mask_shape = _collapsed(draw, case.shape, True)
    out_layouts = tuple(draw(st.sampled_from(("contiguous", "strided", "negative", "unaligned")))
                        for _ in range(nout(case.op)))
    return case, mask_shape, draw(st.floats(0, 1)), out_layouts


@props(100)
@given(wc=where_cases())
def test_where_leaves_masked_elements_untouched(backend, wc):
    case, mask_shape, density, out_layouts = wc
    with on_isa(backend, case.isa):
        rng = case.rng(7)
        plain = case.inputs()
        params = case.params()
        arrays = [p for p in params if isinstance(p, np.ndarray)]
        shape = np.broadcast_shapes(*[a.shape for a in plain + arrays], mask_shape)
        mask = rng.random(mask_shape) < density
        full = as_tuple(call(case.row, case.op, case.laid_out(plain), params, case.mode))
        outs = []
        for lay in out_layouts:
            fill = rng.integers(0, 2**16, shape).astype(np.uint16).view(np.float16)
            outs.append(materialize(fill.astype(case.dtype), lay, case.seed))
        before = [o.copy() for o in outs]
        got = as_tuple(call(case.row, case.op, case.laid_out(plain), params, case.mode,
                            out=tuple(outs) if case.op == "fused" else outs[0], where=mask))
        m = np.broadcast_to(mask, shape)
        for i, (g, o, b, f) in enumerate(zip(got, outs, before, full)):
            assert g is o, f"{case}: output {i} is not the out= array"
            assert_same_bits(o[~m], b[~m], f"{case}: output {i} where the mask is False")
            assert_same_bits(o[m], np.broadcast_to(f, shape)[m],
                             f"{case}: output {i} where the mask is True")


# ---- 4. both backends against the reference ---------------------------------------------------

def _wide_eval(fn, x, params):
    """fn of tests/family_reference.py in the wide type, on x and the parameters
    as the kernels see them (rounded to x's dtype); results beyond the largest
    float of x's dtype become inf, the correctly rounded result; NaN where x is
    NaN (NaN in, NaN out: the references' formulas do not all keep it, e.g.
    relu's where(x > 0, x, 0))."""
    x = np.asarray(x)
    wide = R.wide_type(x.dtype)
    ps = [np.asarray(p, x.dtype).astype(wide) for p in params]
    with np.errstate(all="ignore"):
        r = np.asarray(fn(x.astype(wide), *ps))
        fi = np.finfo(x.dtype)
        top = r.dtype.type(fi.max) * (1 + r.dtype.type(fi.eps) / 4)  # max + half an ulp
        r = np.where(np.abs(r) >= top, np.copysign(np.inf, r), r)
    return np.where(np.isnan(x), np.nan, r)


def has_wide_reference(row, dtype):
    """float64 results need a long double formula: rows without one (erf-based)
    are checked against mpmath in test_family.py instead."""
    if dtype == np.float64 and not R.LONGDOUBLE_IS_WIDE:
        return False
    return kind(row) == "axis" or dtype != np.float64 or getattr(REFS[row], "wide64", True)


def reference_forward(row, x, params):
    if kind(row) == "axis":  # tests/softmax_reference.py, along the last axis (the default)
        return SR.FORWARD[row](x, -1)
    return _wide_eval(REFS[row].forward, x, params)


def assert_axis_gradient(what, x, g, gx, row, b, dtype):
    """An axis row's gradient against tests/softmax_reference.py, in the units
    the registry states its bound in: ulps (or a fraction) of the row's largest
    term, where the reference is finite (NaN and inf rows: the backends are
    compared with each other below)."""
    gref, scale = SR.GRAD[row](x, g, -1)
    ok = np.isfinite(gref) & np.isfinite(scale)
    if b.ulp is not None:
        err = np.where(ok, SR.scaled_error(gx, gref, scale, dtype), 0)
        assert err.max(initial=0) <= b.ulp, (
            f"{what}: {R.worst(x, err, gx, gref, 'error in ulps of the row scale')} > {b.ulp}")
    if getattr(b, "abs", None) is not None:
        with np.errstate(all="ignore"):
            err = np.where(ok, np.abs(gx.astype(gref.dtype) - gref) / scale, 0)
        err = np.nan_to_num(err, nan=0.0)
        assert err.max(initial=0) <= b.abs, (
            f"{what}: {R.worst(x, err, gx, gref, 'error over the row scale')} > {b.abs}")


def reference_gradient(row, x, g, params):
    """grad_output * f'(x) in the reference's wide type."""
    d = _wide_eval(REFS[row].grad, x, params)
    with np.errstate(all="ignore"):
        return d * np.asarray(g).astype(d.dtype)


def registry_bound(row, op, mode, dtype):
    """The registry's bound; an exact activation's fast mode is its accurate mode;
    float16 takes the float32 bound (assert_within adds the float16 rounding)."""
    m = mode if mode in modes_of(row) else "accurate"
    return REG.bound(row, op, m, "float32" if dtype == np.float16 else str(dtype))


def _ulp(ref, dtype):
    return R.ulp_of(ref, dtype)


def assert_within(what, x, got, ref, b, dtype, slack=0.0, g=None):
    """got (of `dtype`) within Bound b of the wide reference, figure by figure;
    float16 results: the float32 bound plus half a float16 ulp (see the module
    docstring). slack: absolute error allowed on top (subnormal derivatives).
    g: the grad_output of a gradient; an absolute bound (measured with
    grad_output = 1) then scales with |g|, plus the product's rounding."""
    got = np.asarray(got)
    ref = np.asarray(ref)
    wide = np.dtype(np.float32 if dtype == np.float16 else dtype)  # whose bound applies
    abs_b = getattr(b, "abs", None)
    if abs_b is not None:
        abs_b = (np.full(ref.shape, abs_b, ref.dtype) if g is None else
                 abs_b * np.abs(np.asarray(g).astype(ref.dtype)) + 0.5 * _ulp(ref, wide))
    gw = got.astype(ref.dtype)
    with np.errstate(all="ignore"):
        d = np.abs(gw - ref)
    same = (np.isnan(gw) & np.isnan(ref)) | (gw == ref)
    d = np.where(same, 0, np.where(np.isnan(d), np.inf, d))
    d = np.maximum(d - slack, 0)
    checks = []
    if dtype == np.float16:
        figs = []  # the float32 bound as an absolute error, each figure
        if b.ulp is not None:
            figs.append(b.ulp * _ulp(ref, wide))
        if b.rel is not None:
            figs.append(b.rel * np.abs(ref) + np.where(R.is_normal_result(ref, wide), 0,
                                                       float(np.finfo(wide).smallest_normal)))
        if abs_b is not None:
            figs.append(abs_b)
        t32 = np.minimum.reduce(figs) if figs else 0  # every figure holds: the smallest
        with np.errstate(all="ignore"):
            big = np.maximum(np.abs(ref), np.where(np.isfinite(gw), np.abs(gw), 0))
            checks.append(("error over (half a float16 ulp + float32 bound)",
                           d / (0.5 * _ulp(big, np.float16) + t32), 1.0))
    else:
        if b.ulp is not None:
            checks.append(("ulp error", d / _ulp(ref, dtype), b.ulp))
        if b.rel is not None:
            with np.errstate(all="ignore"):
                rel = np.where(R.is_normal_result(ref, dtype), d / np.abs(ref), 0)
            checks.append(("relative error", rel, b.rel))
        if abs_b is not None:
            with np.errstate(all="ignore"):
                checks.append(("error over the absolute bound", d / abs_b, 1.0))
    assert checks, f"{what}: the bound states no figure ({b.why})"
    for label, err, limit in checks:
        err = np.nan_to_num(np.asarray(err, dtype=np.float64).ravel(), nan=0.0)
        if err.size and err.max() > limit:
            raise AssertionError(f"{what}: {R.worst(x, err, got, ref, label)} > {limit}")


def backward_from_output_tolerance(g, dtype):
    return 8 * float(np.finfo(dtype).eps) * np.abs(np.asarray(g, np.float64))


def _subnormal_slack(g, b, dtype):
    """Error allowed on top of the bound where the derivative itself is not a
    normal number: an ulp bound lets it be rounded to the subnormal grid before
    the product (|g| x spacing x bound, as in test_accuracy.py); a bound without
    ulps holds for normal results only (fast modes flush results below the
    smallest normal to 0), so there up to |g| x the smallest normal."""
    d32 = np.float32 if dtype == np.float16 else dtype
    fi = np.finfo(d32)
    if b.ulp is not None:
        unit = float(fi.smallest_subnormal) * b.ulp
    else:
        unit = float(fi.smallest_normal)
    return np.abs(np.asarray(g, np.float64)) * unit


def run_backend(name, case, plain, params):
    """The call on one backend, with overflow, invalid and divide-by-zero raising:
    none of them may be flagged for finite grad_output (the forward's contract:
    no floating-point warning for any x)."""
    with using_backend(name), on_isa(name, case.isa):
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                r = call(case.row, case.op, plain, params, case.mode)
        except FloatingPointError as exc:
            raise AssertionError(f"{case} on {name}: {exc} (x or grad_output: "
                                 f"{[np.asarray(a).ravel()[:8] for a in plain]})") from None
        return [np.asarray(a) for a in as_tuple(r)]


@props(150)
@given(case=cases(broadcast=False, layouts=False))
def test_backends_agree_with_the_reference(case):
    backends = ("compiled", "python") if COMPILED else ("python",)
    params = case.params(layouts=False)
    rng = case.rng(0)
    # the inputs, drawn once; the backward's z (when it is the forward's output) is
    # computed once, on the first backend, so that both backends read the same z
    x = x_values(rng, case.shape, case.dtype, case.row)
    g = g_values(rng, case.shape, case.dtype)
    with using_backend(backends[0]), on_isa(backends[0], case.isa):
        z = forward_output(case.row, x, params)
    plain = {"forward": [x], "backward": [g, z], "fused": [x, g]}[case.op]
    results = {b: run_backend(b, case, plain, params) for b in backends}
    dt = case.dtype
    elementwise = kind(case.row) == "elementwise"
    for b, res in results.items():
        what = f"{case} on {b}"
        if not has_wide_reference(case.row, dt) or (not elementwise and x.size == 0):
            break  # (the axis references reduce along the axis: no empty input)
        if case.op in ("forward", "fused"):
            ref = reference_forward(case.row, x, params)
            assert_within(f"{what}: y", x, res[0], ref,
                          registry_bound(case.row, "forward", case.mode, dt), dt)
        if not elementwise:
            # float16 axis gradients have no bound of their own: the backends are compared
            if case.op == "fused" and dt != np.float16:
                assert_axis_gradient(f"{what}: gradient", x, g, res[1], case.row,
                                     registry_bound(case.row, "fused", case.mode, dt), dt)
            continue
        if case.op == "fused":
            bnd = registry_bound(case.row, "fused", case.mode, dt)
            assert_within(f"{what}: gradient", x, res[1],
                          reference_gradient(case.row, x, g, params), bnd, dt,
                          _subnormal_slack(g, bnd, dt), g=g)
        if case.op == "backward":
            if ACTS[case.row].backward_from == "input":
                bnd = registry_bound(case.row, "fused", "accurate", dt)
                assert_within(f"{what}: gradient", z, res[0],
                              reference_gradient(case.row, z, g, params), bnd, dt,
                              _subnormal_slack(g, bnd, dt), g=g)
            else:
                # y = z came from this x: compare with g f'(x), absolute tolerance
                ref = reference_gradient(case.row, x, g, params)
                with np.errstate(all="ignore"):
                    err = np.abs(res[0].astype(ref.dtype) - ref)
                tol = backward_from_output_tolerance(g, dt) + float(
                    np.finfo(dt).smallest_subnormal)
                bad = ~((err <= tol) | (np.isnan(res[0]) & np.isnan(ref)))
                assert not bad.any(), (
                    f"{what}: |error| {R.worst(x, np.where(bad, err, 0), res[0], ref)} above "
                    "8 eps |grad_output|")
    if len(results) < 2:
        return
    c, p = results["compiled"], results["python"]
    for i, (a, b) in enumerate(zip(c, p)):
        nan_a, nan_b = np.isnan(a), np.isnan(b)
        assert (nan_a == nan_b).all(), (
            f"{case}: output {i} NaN on one backend only, at x = "
            f"{np.asarray(plain[0])[nan_a != nan_b][:5]!r}")
    if case.op == "backward" and elementwise and ACTS[case.row].backward_from == "output":
        assert_same_bits(c[0], p[0], f"{case}: backward from the output, compiled vs fallback")
    if not elementwise and case.op != "forward":
        gx_c, gx_p = c[-1].astype(np.float64), p[-1].astype(np.float64)
        gg = np.abs(g.astype(np.float64))
        n = case.shape[-1]
        tol = 2 * n * float(np.finfo(dt).eps) * (gg + gg.sum(axis=-1, keepdims=True))
        bad = ~((np.abs(gx_c - gx_p) <= tol) | (np.isnan(gx_c) & np.isnan(gx_p)))
        assert not bad.any(), f"{case}: gradients of the two backends differ beyond 2 n eps"
