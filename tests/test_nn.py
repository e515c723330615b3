"""fastact.nn: the layers equal the functional API, their backward is the
derivative of their forward (finite differences), in-place layers write into
their arguments and allocate nothing, and misuse raises.

The layer tests are parametrized over fastact.nn.LAYERS, which is built from the
registry, so every activation that lands is covered without editing this file.
The code paths of parameters the registry does not hold yet (PReLU's learned
weight, Softmax's dim, GELU's approximate option) are also exercised today on
stand-in rows (STAND_IN below: registry rows of the contract's shape with small
NumPy implementations), and on the real classes once they exist.
"""
import inspect
import tracemalloc
import types

import numpy as np
import pytest

import fastact
from fastact import nn
from fastact._registry import ACTIVATIONS, API_SUFFIX, MODES, PUBLIC, Activation, Param

NAMES = tuple(nn.LAYERS)
DTYPES = (np.float32, np.float64)

# Central differences in float64 with step H: the truncation error is
# H^2/6 * |f'''| < 2e-11 for these activations, the rounding error about
# (ulps changed) * 2^-52 * |f| * |g| / (2 H) < 1e-9 for |x|, |g| < 10 and ~1-ulp
# functions. FD_ATOL/FD_RTOL sit 100x above that and far below any wrong
# derivative (errors of order 1e-2 and more).
H = 1e-5
FD_ATOL = 1e-7
FD_RTOL = 1e-6


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def options_of(name, activations=ACTIVATIONS):
    """{option: [non-default values]} from the variant rows of `name`."""
    opts = {}
    for a in activations.values():
        if a.variant_of is not None and a.variant_of[0] == name:
            opts.setdefault(a.variant_of[1], []).append(a.variant_of[2])
    return opts


def configs(name, activations=ACTIVATIONS):
    """Constructor keywords to test `name` with: the defaults, every user
    parameter moved off its default, each non-default option value, and dim=0
    for the axis-wise ones."""
    act = activations[name]
    out = [{}]
    user = [p for p in act.params if p.default is not None]
    if user:
        out.append({p.name: p.default * 1.5 + 0.25 for p in user})
    for opt, values in options_of(name, activations).items():
        out += [{opt: v} for v in values]
    if act.kind == "axis":
        out.append({"dim": 0})
    return out


def cases(names, activations=ACTIVATIONS):
    return [pytest.param(n, cfg, id=n + "".join(f"-{k}={v}" for k, v in cfg.items()))
            for n in names for cfg in configs(n, activations)]


def sample(name, shape=(4, 6), dtype=np.float64, seed=0, activations=ACTIVATIONS):
    """Normal values of scale 3, kept 1e-3 away from the registry's probe points
    (kinks, switch points), where finite differences are meaningless."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3
    for p in activations[name].probes:
        for q in (p, -p):
            x[np.abs(x - q) < 1e-3] += 1e-2
    return x.astype(dtype)


def functional_call(name, layer, x, api=fastact, activations=ACTIVATIONS):
    """(forward, backward) of the functional API with the layer's settings, as a
    user would write them: params positional in registry order, a learned weight
    cast to x's dtype along axis 1 (torch's PReLU), options and axis as keywords."""
    act = activations[name]
    args = []
    for p in act.params:
        v = getattr(layer, p.name)
        if p.default is None:
            v = np.asarray(v, dtype=x.dtype)
            v = v.reshape(()) if v.size == 1 else v.reshape((v.size,) + (1,) * (x.ndim - 2))
        args.append(v)
    kw = {opt: getattr(layer, opt) for opt in options_of(name, activations)}
    if act.kind == "axis":
        kw["axis"] = layer.dim
    f = getattr(api, name + API_SUFFIX["forward"])
    b = getattr(api, name + API_SUFFIX["backward"])
    return ((lambda x, **more: f(x, *args, mode=layer.mode, **kw, **more)),
            (lambda g, z, **more: b(g, z, *args, **kw, **more)))


def finite_difference(forward, x, g):
    """d/dx_i of sum(g * forward(x)), element by element, by central differences.
    Only the outputs that depend on x_i change, so the unchanged ones cancel
    exactly in the difference before the sum."""
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += H
        xm[i] -= H
        grad[i] = np.sum(g * (forward(xp) - forward(xm))) / (2 * H)
    return grad


def traced_peak(fn):
    """Peak bytes traced (NumPy reports its data buffers to tracemalloc) while fn runs."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


# ---------------------------------------------------------------------------
# the classes
# ---------------------------------------------------------------------------

TORCH_CLASS_NAMES = ("Sigmoid", "Tanh", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU",
                     "CELU", "GELU", "SiLU", "Mish", "Softplus", "LogSigmoid", "Softsign",
                     "Hardsigmoid", "Hardswish", "Hardtanh", "Softmax", "LogSoftmax")


def test_every_public_activation_has_a_layer():
    assert not nn._FAILED, f"no layer made for: {nn._FAILED}"
    assert tuple(nn.LAYERS) == tuple(PUBLIC)
    assert set(nn.CLASS_NAMES.values()) == set(TORCH_CLASS_NAMES)
    for name, cls in nn.LAYERS.items():
        assert cls.__name__ == nn.CLASS_NAMES[name], name   # every public name is in the table
        assert getattr(nn, cls.__name__) is cls
        assert cls.__name__ in nn.__all__
        assert issubclass(cls, nn.Layer) and cls.name == name
        assert cls.backward_from == ACTIVATIONS[name].backward_from


def test_absent_activations_have_no_class():
    for name, cls_name in nn.CLASS_NAMES.items():
        if name in ACTIVATIONS:
            continue
        assert not hasattr(nn, cls_name)
        with pytest.raises(AttributeError, match="not in this version of fastact's registry"):
            getattr(nn, cls_name)
    with pytest.raises(AttributeError):
        nn.NoSuchLayer


@pytest.mark.parametrize("name", NAMES)
def test_constructor_signature_is_torchs(name):
    act = ACTIVATIONS[name]
    params = inspect.signature(nn.LAYERS[name]).parameters
    expected = ["dim"] if act.kind == "axis" else []
    for p in act.params:
        expected += [p.name] if p.default is not None else ["num_parameters", "init"]
    expected += list(options_of(name)) + ["mode", "inplace"]
    expected += ["dtype"] if any(p.default is None for p in act.params) else []
    assert list(params) == expected
    for p in act.params:
        if p.default is not None:
            assert params[p.name].default == p.default
    assert params["mode"].default == "accurate" and params["inplace"].default is False


# the repr torch 2.13 prints for the same layer (torch.nn.<Class>() with defaults)
TORCH_REPRS = {
    "sigmoid": "Sigmoid()", "tanh": "Tanh()", "relu": "ReLU()", "selu": "SELU()",
    "leaky_relu": "LeakyReLU(negative_slope=0.01)", "prelu": "PReLU(num_parameters=1)",
    "elu": "ELU(alpha=1.0)", "celu": "CELU(alpha=1.0)", "gelu": "GELU(approximate='none')",
    "softplus": "Softplus(beta=1.0, threshold=20.0)",
    "hardtanh": "Hardtanh(min_val=-1.0, max_val=1.0)",
    "softmax": "Softmax(dim=-1)", "log_softmax": "LogSoftmax(dim=-1)", "mish": "Mish()",
}


@pytest.mark.parametrize("name", NAMES)
def test_repr(name):
    cls = nn.LAYERS[name]
    r = repr(cls())
    assert r.startswith(cls.__name__ + "(") and r.endswith(")")
    if name in TORCH_REPRS:
        assert r == TORCH_REPRS[name]
    assert repr(cls(inplace=True)) == r[:-1] + (", " if r[-2] != "(" else "") + "inplace=True)"
    assert "mode='fast'" in repr(cls(mode="fast"))


# ---------------------------------------------------------------------------
# values: the functional API and finite differences
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, cfg", cases(NAMES))
def test_layer_equals_functional(name, cfg, dtype, mode, backend):
    """Bit-identical: the layer calls the same function on the same input."""
    layer = nn.LAYERS[name](**cfg, mode=mode)
    x = sample(name, dtype=dtype)
    g = sample(name, dtype=dtype, seed=1) / 3
    f, b = functional_call(name, layer, x)
    y = layer(x)
    y_ref = f(x)
    assert y.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(y, y_ref)
    gx = layer.backward(g)
    z = y_ref if ACTIVATIONS[name].backward_from == "output" else x
    np.testing.assert_array_equal(gx, b(g, z))
    assert gx.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(layer.backward(g), gx)   # backward again: same cache
    np.testing.assert_array_equal(layer.forward(x), y)     # forward is __call__


@pytest.mark.parametrize("name, cfg", cases(NAMES))
def test_backward_is_the_derivative(name, cfg, backend):
    layer = nn.LAYERS[name](**cfg)
    x = sample(name)
    g = sample(name, seed=1) / 3
    layer(x)
    fd = finite_difference(nn.LAYERS[name](**cfg), x, g)
    np.testing.assert_allclose(layer.backward(g), fd, rtol=FD_RTOL, atol=FD_ATOL)


@pytest.mark.parametrize("name", NAMES)
def test_lists_and_0d(name, backend):
    layer = nn.LAYERS[name]()
    x = sample(name, shape=(6,))
    f, b = functional_call(name, layer, x)
    np.testing.assert_array_equal(layer(list(x)), f(x))
    np.testing.assert_array_equal(layer.backward(list(x)), layer.backward(x))
    if ACTIVATIONS[name].kind == "elementwise":
        x0 = np.float64(0.75)
        assert layer(x0) == f(x0) and layer.backward(2.0) == layer.backward(np.float64(2.0))


# ---------------------------------------------------------------------------
# in place
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, cfg", cases(NAMES))
def test_inplace_writes_into_its_arguments(name, cfg, dtype, backend):
    cls = nn.LAYERS[name]
    x0 = sample(name, dtype=dtype)
    g0 = sample(name, dtype=dtype, seed=1) / 3
    ref = cls(**cfg)
    y_ref = ref(x0.copy())
    gx_ref = ref.backward(g0.copy())
    layer = cls(**cfg, inplace=True)
    for _ in range(2):                       # the second call reuses any buffer of the first
        x, g = x0.copy(), g0.copy()
        y = layer(x)
        assert y is x
        np.testing.assert_array_equal(y, y_ref)
        gx = layer.backward(g)
        assert gx is g
        np.testing.assert_array_equal(gx, gx_ref)
    # a strided view: still written through, still the same values
    big = np.zeros((x0.shape[0], 2 * x0.shape[1]), dtype=dtype)
    view = big[:, ::2]
    view[...] = x0
    y = layer(view)
    assert y is view and np.shares_memory(big, y)
    np.testing.assert_array_equal(big[:, ::2], y_ref)
    np.testing.assert_array_equal(big[:, 1::2], 0)
    np.testing.assert_array_equal(layer.backward(g0.copy()), gx_ref)


@pytest.mark.parametrize("name", NAMES)
def test_inplace_allocates_nothing(name, backend):
    """An in-place layer's forward + backward allocates no more than the
    functional API called with out= (which allocates nothing on the compiled
    backend; the fallback computes in float64 blocks). Slack: 64 KiB for Python
    objects, plus one array of x's size for a learned weight's gradient (g times
    d f / d weight is formed before it is summed). The non-in-place layer, for
    comparison, allocates at least its output."""
    cls = nn.LAYERS[name]
    x0 = sample(name, shape=(256, 256))
    g0 = sample(name, shape=(256, 256), seed=1)
    layer = cls(inplace=True)
    x, g = x0.copy(), g0.copy()
    layer(x)
    layer.backward(g)                        # first call: allocates the buffer, if any
    x, g = x0.copy(), g0.copy()
    peak_layer = traced_peak(lambda: (layer(x), layer.backward(g)))
    f, b = functional_call(name, layer, x0)
    x1, g1 = x0.copy(), g0.copy()
    z = f(x0)
    peak_functional = traced_peak(lambda: (f(x1, out=x1), b(g1, z, out=g1)))
    learned = any(p.default is None for p in ACTIVATIONS[name].params)
    slack = 64 * 1024 + (x0.nbytes if learned else 0)
    assert peak_layer <= peak_functional + slack, (peak_layer, peak_functional)
    plain = cls()
    assert traced_peak(lambda: plain(x0)) >= x0.nbytes


def test_inplace_caveat_is_handled():
    """A layer whose backward reads x still differentiates at the original x after
    an in-place forward overwrote it (it kept a copy); one that reads y needs none."""
    for name, cls in nn.LAYERS.items():
        layer = cls(inplace=True)
        x = sample(name)
        x_before = x.copy()
        layer(x)
        g = np.ones_like(x)
        plain = cls()
        plain(x_before)
        np.testing.assert_array_equal(layer.backward(g.copy()), plain.backward(g))
        if cls.backward_from == "input":
            assert not np.array_equal(x, x_before)   # the input was overwritten


# ---------------------------------------------------------------------------
# misuse
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_backward_before_forward_raises(name):
    for inplace in (False, True):
        with pytest.raises(RuntimeError, match="before forward"):
            nn.LAYERS[name](inplace=inplace).backward(np.ones(3))


@pytest.mark.parametrize("name", NAMES)
def test_bad_use_raises(name):
    cls = nn.LAYERS[name]
    with pytest.raises(ValueError, match="mode"):
        cls(mode="exact")
    with pytest.raises(TypeError, match="inplace"):
        cls(inplace="yes")
    with pytest.raises(TypeError, match="unexpected keyword"):
        cls(no_such_parameter=1)
    for p in ACTIVATIONS[name].params:
        if p.default is not None:
            with pytest.raises(TypeError, match=p.name):
                cls(**{p.name: "0.1"})
    layer = cls()
    layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match="shape"):
        layer.backward(np.ones((3, 2)))
    with pytest.raises(ValueError, match="shape"):
        layer.backward(np.ones(3))               # would broadcast, but is not x's gradient
    ip = cls(inplace=True)
    with pytest.raises(TypeError, match="floating-point"):
        ip(np.ones((2, 3), dtype=np.int64))
    with pytest.raises(TypeError, match="floating-point"):
        ip([1.0, 2.0])
    ro = np.ones((2, 3))
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        ip(ro)
    ip(np.ones((2, 3)))
    with pytest.raises(TypeError, match="grad_output"):
        ip.backward(np.ones((2, 3), dtype=np.int32))


# ---------------------------------------------------------------------------
# stand-in rows: learned weight, axis, option (until the registry has them)
# ---------------------------------------------------------------------------

def _op(fn):
    """A stand-in for a functional-API function: out= and mode= like fastact's."""
    def call(*args, out=None, mode="accurate", **kw):
        assert mode in MODES
        r = fn(*args, **kw)
        if out is None:
            return r
        np.copyto(out, r)
        return out
    return call


def _gelu(x, approximate="none"):
    x = np.asarray(x, dtype=np.float64)
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    from math import erf
    return 0.5 * x * (1 + np.vectorize(erf)(x / np.sqrt(2)))


def _gelu_backward(g, x, approximate="none"):
    x = np.asarray(x, dtype=np.float64)
    if approximate == "tanh":
        k = np.sqrt(2 / np.pi)
        t = np.tanh(k * (x + 0.044715 * x**3))
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x))
    from math import erf
    cdf = 0.5 * (1 + np.vectorize(erf)(x / np.sqrt(2)))
    return g * (cdf + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi))


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _row(name, backward_from, **kw):
    return Activation(name=name, aliases=(), formula=f"{name}(x) = stand-in",
                      derivative=f"{name}'(x) = stand-in", backward_from=backward_from,
                      torch_name=name, numpy_expr="", **kw)


STAND_IN = {a.name: a for a in (
    _row("prelu", "input", probes=(0.0,), modes=("accurate",),
         params=(Param("weight", None, "slope for x < 0, learned"),)),
    _row("softmax", "output", kind="axis"),
    _row("gelu", "input"),
    _row("gelu_tanh", "input", variant_of=("gelu", "approximate", "tanh")),
)}
STAND_IN_API = types.SimpleNamespace(
    prelu=_op(lambda x, w: np.where(x > 0, x, w * x)),
    prelu_backward=_op(lambda g, x, w: np.where(x > 0, g, w * g)),
    softmax=_op(_softmax),
    softmax_backward=_op(lambda g, y, axis=-1: y * (g - np.sum(g * y, axis=axis, keepdims=True))),
    gelu=_op(_gelu),
    gelu_backward=_op(_gelu_backward),
)
# the signature fastact's gelu has, from which the layer reads the option's default
STAND_IN_API.gelu.__signature__ = inspect.signature(lambda x, out=None, *, approximate="none",
                                                    mode="accurate": None)
STAND_IN_LAYERS, STAND_IN_FAILED = nn.build_layers(STAND_IN, STAND_IN_API)


def test_stand_in_layers_are_built():
    assert not STAND_IN_FAILED
    assert {n: c.__name__ for n, c in STAND_IN_LAYERS.items()} == {
        "prelu": "PReLU", "softmax": "Softmax", "gelu": "GELU"}
    assert [repr(c()) for c in STAND_IN_LAYERS.values()] == [
        TORCH_REPRS[n] for n in STAND_IN_LAYERS]
    assert list(inspect.signature(STAND_IN_LAYERS["prelu"]).parameters) == [
        "num_parameters", "init", "mode", "inplace", "dtype"]
    assert repr(STAND_IN_LAYERS["prelu"](3, 0.1)) == "PReLU(num_parameters=3)"
    assert repr(STAND_IN_LAYERS["softmax"](1)) == "Softmax(dim=1)"
    assert repr(STAND_IN_LAYERS["gelu"]("tanh")) == "GELU(approximate='tanh')"


@pytest.mark.parametrize("name, cfg", cases(STAND_IN_LAYERS, STAND_IN))
def test_stand_in_layers(name, cfg):
    cls = STAND_IN_LAYERS[name]
    x = sample(name, shape=(3, 4, 5), activations=STAND_IN)
    g = sample(name, shape=(3, 4, 5), seed=1, activations=STAND_IN) / 3
    layer = cls(**cfg)
    f, b = functional_call(name, layer, x, STAND_IN_API, STAND_IN)
    np.testing.assert_array_equal(layer(x), f(x))
    z = f(x) if cls.backward_from == "output" else x
    np.testing.assert_array_equal(layer.backward(g), b(g, z))
    np.testing.assert_allclose(layer.backward(g), finite_difference(cls(**cfg), x, g),
                               rtol=FD_RTOL, atol=FD_ATOL)
    ip = cls(**cfg, inplace=True)
    x1, g1 = x.copy(), g.copy()
    assert ip(x1) is x1 and ip.backward(g1) is g1
    np.testing.assert_array_equal(x1, f(x))
    np.testing.assert_array_equal(g1, b(g, z))


def test_stand_in_option_and_dim_are_checked():
    with pytest.raises(ValueError, match="approximate must be one of"):
        STAND_IN_LAYERS["gelu"](approximate="erf")
    with pytest.raises(TypeError, match="dim must be an integer"):
        STAND_IN_LAYERS["softmax"](dim=1.0)
    s = STAND_IN_LAYERS["softmax"](dim=1)
    y = s(sample("softmax", shape=(2, 3, 4), activations=STAND_IN))
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-15 * 8)   # 3 terms of <= 1


# PReLU: the stand-in class today, and fastact's own once prelu is in the registry
PRELU_SOURCES = {"stand-in": (STAND_IN_LAYERS, STAND_IN_API, STAND_IN)}
if "prelu" in nn.LAYERS:
    PRELU_SOURCES["fastact"] = (nn.LAYERS, fastact, ACTIVATIONS)


@pytest.fixture(params=list(PRELU_SOURCES))
def prelu(request):
    layers, api, acts = PRELU_SOURCES[request.param]
    return layers["prelu"], api, acts


@pytest.mark.parametrize("num_parameters, shape", [(1, (5,)), (1, (3, 4, 5)), (4, (3, 4)),
                                                   (4, (3, 4, 5, 2))])
@pytest.mark.parametrize("inplace", [False, True])
def test_prelu_grad_weight(prelu, num_parameters, shape, inplace):
    """grad_weight = sum of g * min(x, 0) over all axes but the channel axis
    (axis 1) when num_parameters > 1, over all when 1; checked against central
    differences in the weight (prelu is linear in it: no truncation error)."""
    cls, api, acts = prelu
    layer = cls(num_parameters, init=0.1, inplace=inplace)
    layer.weight[:] = np.linspace(0.1, 0.4, num_parameters)
    x = sample("prelu", shape=shape, activations=acts)
    g = sample("prelu", shape=shape, seed=1, activations=acts)
    layer(x.copy())
    gx = layer.backward(g.copy())
    assert layer.grad_weight.shape == (num_parameters,)
    assert layer.grad_weight.dtype == layer.weight.dtype
    fd = np.empty(num_parameters)
    for c in range(num_parameters):
        probe = cls(num_parameters)
        probe.weight[:] = layer.weight
        probe.weight[c] += H
        up = probe(x)
        probe.weight[c] -= 2 * H
        fd[c] = np.sum(g * (up - probe(x))) / (2 * H)
    np.testing.assert_allclose(layer.grad_weight, fd, rtol=FD_RTOL, atol=FD_ATOL)
    # grad_input: g where x > 0, else g times the channel's weight (one rounding)
    np.testing.assert_array_equal(gx, np.where(x > 0, g, g * _channel(layer.weight, x)))


def _channel(w, x):
    return w.reshape(()) if w.size == 1 else w.reshape((w.size,) + (1,) * (x.ndim - 2))


def test_prelu_weight_is_per_channel_along_axis_1(prelu):
    cls, _, _ = prelu
    layer = cls(3, dtype=np.float32)
    layer.weight[:] = [0.5, 0.25, 0.125]
    assert layer.weight.dtype == np.float32
    y = layer(-np.ones((2, 3, 4), dtype=np.float32))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y[0, :, 0], [-0.5, -0.25, -0.125])
    with pytest.raises(ValueError, match="3 channels along axis 1"):
        layer(np.ones((2, 4)))
    with pytest.raises(ValueError, match="3 channels along axis 1"):
        layer(np.ones(3))
    assert cls().weight.tolist() == [0.25] and cls().weight.dtype == np.float64
    # the float64 weight is cast to the input's dtype, which the output keeps
    assert cls()(-np.ones(3, dtype=np.float32)).dtype == np.float32
    assert cls()(-np.ones(3, dtype=np.float16)).dtype == np.float16
    assert cls().grad_weight is None
    with pytest.raises(ValueError, match="num_parameters"):
        cls(0)
    with pytest.raises(TypeError, match="num_parameters"):
        cls(2.0)
    with pytest.raises(TypeError, match="dtype"):
        cls(dtype=np.int32)
