"""fastact.nn: activation layers for NumPy networks, one class per activation.

    from fastact import nn
    act = nn.Sigmoid()
    y = act(x)                       # forward; caches what the backward needs
    grad_x = act.backward(grad_y)    # grad_output -> grad_input

The classes are generated from the registry (fastact._registry), with torch.nn's
names, constructor parameters and defaults: Sigmoid(), Tanh(), ReLU(),
LeakyReLU(negative_slope=0.01), PReLU(num_parameters=1, init=0.25),
GELU(approximate="none"), Softplus(beta=1.0, threshold=20.0), Softmax(dim=-1),
... A class exists only for an activation this version of fastact has
(``fastact.nn.LAYERS`` maps each activation name to its class); asking for one it
does not have raises AttributeError saying so. Every constructor also takes the
keyword-only ``mode="accurate"`` (or "fast") for the forward, and ``inplace=False``.

What is cached. ``forward(x)`` computes y = f(x) with the functional forward
(``fastact.<name>``) and keeps a reference to what ``fastact.<name>_backward``
reads: the output y for the activations whose derivative is a function of y
(sigmoid, tanh, softmax, log_softmax: registry field backward_from == "output"),
the input x for every other one. ``backward(grad_output)`` returns
grad_input = grad_output * f'(x) (for softmax and log_softmax the Jacobian-vector
product along ``dim``). Each call does one pass of one kernel: the fused
``<name>_fwd_bwd`` is not used, because when forward runs grad_output does not
exist yet, and when backward runs y is already known, so the fused pass would
compute y a second time for nothing. (Sigmoid and Tanh therefore differentiate
from y, as torch does: g*(1-y)*y and g*(1-y*y), which lose relative accuracy where
y is within a few ulps of its limits; the functional ``fwd_bwd`` does not.)
The cache is a reference, not a copy: do not modify x (or, for Sigmoid, Tanh,
Softmax and LogSoftmax, the returned y) between forward and backward; an
in-place layer placed after one of those overwrites its cache, as in torch.
Backward may be called again for the same forward; a new forward replaces the cache.

In place. With ``inplace=True`` forward writes y into x and returns x itself, and
backward writes grad_input into grad_output and returns grad_output itself; both
then need a writeable floating-point ndarray (TypeError otherwise, ValueError if it
is read-only). For layers
that cache y this allocates nothing. For the layers whose backward reads x
(everything except Sigmoid, Tanh, Softmax, LogSoftmax), overwriting x would
destroy what the backward needs, so the layer first copies x into a buffer it
owns and reuses from call to call (allocated at the first call and whenever the
shape or dtype changes): the output is still x itself and steady-state calls
allocate nothing, at the price of one extra pass over x and one array of x's size
held by the layer. (Refusing inplace for those layers was the alternative; we keep
torch's ReLU(inplace=True) usable instead.)

PReLU. The registry's required parameter (prelu's ``weight``) is learned, as in
torch: the layer holds ``weight`` (``num_parameters`` values, all ``init``, dtype
``dtype``, float64 by default) and its backward also sets ``grad_weight`` (same
shape and dtype as weight; replaced, not accumulated, at each backward). As in
torch, with num_parameters > 1 the weight applies along axis 1 of the input (the
channel axis of (N, C, ...) data), with 1 it applies to every element. The weight
is cast to the input's float dtype, so a float32 input gives a float32 output.
Computing grad_weight takes one temporary array of x's size (g * min(x, 0)), in
place or not.
"""
import inspect
import operator

import numpy as np

import fastact
from ._registry import ACTIVATIONS, API_SUFFIX, MODES, PUBLIC

# torch.nn's spelling of each activation's class (capitalizing the name would not
# give ReLU, GELU, SiLU...). A name missing here gets its capitalized words.
CLASS_NAMES = {
    "sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU", "relu6": "ReLU6",
    "leaky_relu": "LeakyReLU", "prelu": "PReLU", "elu": "ELU", "selu": "SELU", "celu": "CELU",
    "gelu": "GELU", "silu": "SiLU", "mish": "Mish", "softplus": "Softplus",
    "log_sigmoid": "LogSigmoid", "softsign": "Softsign", "hardsigmoid": "Hardsigmoid",
    "hardswish": "Hardswish", "hardtanh": "Hardtanh", "softmax": "Softmax",
    "log_softmax": "LogSoftmax",
}

# Parameters the registry marks as required (default None) are learned by the layer.
# (activation, parameter) -> (torch's initial value, d f(x; p) / d p as a function of x).
# prelu(x) = max(0, x) + weight * min(0, x), so d/dweight = min(0, x).
LEARNED = {
    ("prelu", "weight"): (0.25, lambda x: np.minimum(x, 0)),
}

# Default of a string option reached through variant rows (gelu's approximate), used
# when the functional API's signature does not show it.
_OPTION_DEFAULTS = {"approximate": "none"}

_ABSENT = object()


def _public_names(activations):
    if activations is ACTIVATIONS:
        return PUBLIC
    return tuple(n for n, a in activations.items() if a.variant_of is None)


def _class_name(name):
    return CLASS_NAMES.get(name) or "".join(w.capitalize() for w in name.split("_"))


class Layer:
    """Base of the activation layers in fastact.nn (see the module docstring).

    Subclasses are generated from the registry by ``make_layer_class``; each sets
    the class attributes below. Instances have ``forward``, ``backward``,
    ``__call__`` (= forward), ``mode``, ``inplace`` and one attribute per
    parameter (torch's names).
    """
    name = None               # the activation's registry name
    backward_from = None      # "output" or "input": what forward caches
    _forward_fn = None        # fastact.<name>
    _backward_fn = None       # fastact.<name>_backward
    _params = ()              # registry params given by the user, in order
    _learned = ()             # (param name, init, d/dparam) of learned params
    _param_order = ()         # every registry param name, in the functional API's order
    _options = {}             # option name -> allowed values (first = default)
    _axis = False             # softmax-like: a `dim` passed as axis=
    __signature__ = None

    def __init__(self, *args, **kwargs):
        cls = type(self).__name__
        if self.__signature__ is None:
            raise TypeError(f"{cls} is the base class of the layers: make one of "
                            f"{', '.join(c.__name__ for c in LAYERS.values())}")
        try:
            bound = self.__signature__.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{cls}{self.__signature__}: {exc}") from None
        bound.apply_defaults()
        a = bound.arguments
        mode = a["mode"]
        if mode not in MODES:
            raise ValueError(f"{cls}: mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        if not isinstance(a["inplace"], (bool, np.bool_)):
            raise TypeError(f"{cls}: inplace must be True or False, got {a['inplace']!r}")
        self.inplace = bool(a["inplace"])
        if self._axis:
            try:
                self.dim = operator.index(a["dim"])
            except TypeError:
                raise TypeError(f"{cls}: dim must be an integer, got {a['dim']!r}") from None
        for p in self._params:
            setattr(self, p, _real(cls, p, a[p]))
        for opt, allowed in self._options.items():
            if a[opt] not in allowed:
                raise ValueError(f"{cls}: {opt} must be one of {allowed}, got {a[opt]!r}")
            setattr(self, opt, a[opt])
        if self._learned:
            try:
                n = operator.index(a["num_parameters"])
            except TypeError:
                raise TypeError(f"{cls}: num_parameters must be an integer, "
                                f"got {a['num_parameters']!r}") from None
            if n < 1:
                raise ValueError(f"{cls}: num_parameters must be at least 1, got {n}")
            dtype = np.dtype(np.float64 if a["dtype"] is None else a["dtype"])
            if dtype.kind != "f":
                raise TypeError(f"{cls}: dtype must be a floating-point dtype, got {dtype}")
            init = _real(cls, "init", a["init"])
            if not isinstance(init, float):
                raise TypeError(f"{cls}: init must be a real number, got an array")
            self.num_parameters = n
            for pname, _, _ in self._learned:
                setattr(self, pname, np.full(n, init, dtype=dtype))
                setattr(self, "grad_" + pname, None)
        self._saved = None    # what backward reads: y or x
        self._copy = None     # the reused buffer keeping x for in-place layers that need it

    # -- the two passes ---------------------------------------------------------

    def forward(self, x):
        """y = f(x), caching y or x for the backward (see the module docstring).
        With inplace=True, y is written into x and x is returned."""
        if self.inplace:
            x = _writable(type(self).__name__, "x", x)
        elif not isinstance(x, np.ndarray):
            x = np.asarray(x)
        args, kwargs = self._call_args(x)
        if self.mode != MODES[0]:
            kwargs["mode"] = self.mode
        if not self.inplace:
            y = self._forward_fn(x, *args, **kwargs)
            self._saved = y if self.backward_from == "output" else x
            return y
        if self.backward_from == "input":
            saved = self._copy
            if saved is None or saved.shape != x.shape or saved.dtype != x.dtype:
                saved = self._copy = np.empty_like(x)
            np.copyto(saved, x)
            self._saved = saved
        y = self._forward_fn(x, *args, out=x, **kwargs)
        if self.backward_from == "output":
            self._saved = y
        return y

    def backward(self, grad_output):
        """grad_input = grad_output * f'(x) at the last forward's x (for Softmax and
        LogSoftmax the vector-Jacobian product along dim). With inplace=True it is
        written into grad_output, which is returned. A learned parameter's gradient
        (PReLU's grad_weight) is set as well."""
        z = self._saved
        if z is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before forward(): there "
                               f"is no cached {self.backward_from} to differentiate at")
        if self.inplace:
            g = _writable(type(self).__name__, "grad_output", grad_output)
        elif not isinstance(grad_output, np.ndarray):
            g = np.asarray(grad_output)
        else:
            g = grad_output
        if g.shape != np.shape(z):
            raise ValueError(f"{type(self).__name__}.backward(): grad_output has shape {g.shape}, "
                             f"but the last forward's {self.backward_from} has shape {np.shape(z)}")
        args, kwargs = self._call_args(z)
        for pname, _, dfun in self._learned:
            # before the in-place backward overwrites g
            setattr(self, "grad_" + pname, self._param_grad(getattr(self, pname), g, z, dfun))
        if self.inplace:
            return self._backward_fn(g, z, *args, out=g, **kwargs)
        return self._backward_fn(g, z, *args, **kwargs)

    def __call__(self, x):
        return self.forward(x)

    # -- helpers ------------------------------------------------------------------

    def _call_args(self, z):
        """The functional API's positional params and keywords for an input like z."""
        if not self._param_order and not self._options and not self._axis:
            return (), {}
        args = []
        for p in self._param_order:
            if p in self._params:
                args.append(getattr(self, p))
            else:
                args.append(self._weight_view(getattr(self, p), z))
        kwargs = {opt: getattr(self, opt) for opt in self._options}
        if self._axis:
            kwargs["axis"] = self.dim
        return args, kwargs

    def _weight_view(self, w, z):
        """A learned weight as the functional API takes it: cast to z's float dtype,
        shaped to broadcast along axis 1 of z (torch's channel axis), or 0-d."""
        w = np.asarray(w)
        zt = np.result_type(z)
        if zt.kind == "f":
            w = w.astype(zt, copy=False)
        if w.size == 1:
            return w.reshape(())
        shape = np.shape(z)
        if len(shape) < 2 or shape[1] != w.size:
            raise ValueError(f"{type(self).__name__} with num_parameters={w.size} needs an input "
                             f"with {w.size} channels along axis 1, got shape {shape}")
        return w.reshape((w.size,) + (1,) * (len(shape) - 2))

    @staticmethod
    def _param_grad(w, g, x, dfun):
        """sum of g * d f / d w over the axes the weight was broadcast along."""
        t = dfun(x)
        same = isinstance(t, np.ndarray) and t.shape == g.shape and t.dtype == np.result_type(t, g)
        t = np.multiply(t, g, out=t if same else None)
        acc = np.result_type(t.dtype, w.dtype)
        if w.size == 1:
            total = np.sum(t, dtype=acc)
        else:
            total = np.sum(t, axis=(0,) + tuple(range(2, t.ndim)), dtype=acc)
        return np.reshape(total, w.shape).astype(w.dtype, copy=False)

    def __repr__(self):
        parts = []
        if self._axis:
            parts.append(f"dim={self.dim}")
        for p in self._params:
            parts.append(f"{p}={getattr(self, p)!r}")
        for opt in self._options:
            parts.append(f"{opt}={getattr(self, opt)!r}")
        if self._learned:
            parts.append(f"num_parameters={self.num_parameters}")
        if self.mode != MODES[0]:
            parts.append(f"mode={self.mode!r}")
        if self.inplace:
            parts.append("inplace=True")
        return f"{type(self).__name__}({', '.join(parts)})"


def _real(cls, pname, value):
    """A parameter value: a Python float, or an array of real numbers."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{cls}: {pname} must be a real number or an array of them, got {value!r}")
    return float(arr) if arr.ndim == 0 else arr


def _writable(cls, what, a):
    if not isinstance(a, np.ndarray) or a.dtype.kind != "f":
        kind = a.dtype if isinstance(a, np.ndarray) else type(a).__name__
        raise TypeError(f"{cls}(inplace=True) writes into {what}, which must be a floating-point "
                        f"numpy array, got {kind}")
    if not a.flags.writeable:
        raise ValueError(f"{cls}(inplace=True) writes into {what}, which is read-only")
    return a


def _option_default(api_fn, option):
    try:
        p = inspect.signature(api_fn).parameters.get(option)
    except (TypeError, ValueError):
        p = None
    if p is not None and p.default is not inspect.Parameter.empty:
        return p.default
    return _OPTION_DEFAULTS.get(option, _ABSENT)


def make_layer_class(act, activations=ACTIVATIONS, api=fastact):
    """The layer class of registry row `act`, calling `api.<name>` and
    `api.<name>_backward` (fastact's functional API; a stand-in in tests).
    Raises ValueError for a row it cannot make a layer of (an unknown required
    parameter)."""
    name = act.name
    kind = act.kind
    if kind not in ("elementwise", "axis"):
        raise ValueError(f"{name}: unknown kind {kind!r}")
    if act.backward_from not in ("output", "input"):
        raise ValueError(f"{name}: unknown backward_from {act.backward_from!r}")
    forward_fn = getattr(api, name + API_SUFFIX["forward"])
    backward_fn = getattr(api, name + API_SUFFIX["backward"])
    P = inspect.Parameter
    sig_params, user_params, learned, order = [], [], [], []
    if kind == "axis":
        sig_params.append(P("dim", P.POSITIONAL_OR_KEYWORD, default=-1))
    for p in act.params:
        order.append(p.name)
        if p.default is None:
            if (name, p.name) not in LEARNED:
                raise ValueError(f"{name}: required parameter {p.name!r} has no entry in "
                                 "fastact.nn.LEARNED (its initial value and derivative)")
            init, dfun = LEARNED[(name, p.name)]
            learned.append((p.name, init, dfun))
        else:
            user_params.append(p.name)
            sig_params.append(P(p.name, P.POSITIONAL_OR_KEYWORD, default=p.default))
    if len(learned) > 1:
        raise ValueError(f"{name}: more than one learned parameter (num_parameters and init "
                         "would be ambiguous)")
    if learned:
        sig_params += [P("num_parameters", P.POSITIONAL_OR_KEYWORD, default=1),
                       P("init", P.POSITIONAL_OR_KEYWORD, default=learned[0][1])]
    options = {}
    for row in activations.values():
        v = row.variant_of
        if v is not None and v[0] == name:
            options.setdefault(v[1], []).append(v[2])
    for opt, values in options.items():
        default = _option_default(forward_fn, opt)
        if default is _ABSENT:
            raise ValueError(f"{name}: no default known for option {opt!r}")
        options[opt] = (default,) + tuple(v for v in values if v != default)
        sig_params.append(P(opt, P.POSITIONAL_OR_KEYWORD, default=default))
    sig_params += [P("mode", P.KEYWORD_ONLY, default=MODES[0]),
                   P("inplace", P.KEYWORD_ONLY, default=False)]
    if learned:
        sig_params.append(P("dtype", P.KEYWORD_ONLY, default=None))
    signature = inspect.Signature(sig_params)
    cls_name = _class_name(name)
    cached = "output y" if act.backward_from == "output" else "input x"
    doc = (f"{cls_name}{signature}: the {name} activation as a layer.\n\n"
           f"    {act.formula}\n    {act.derivative}\n\n"
           f"    forward(x) returns fastact.{name}(x, ...) and caches the {cached}; "
           f"backward(grad_output)\n    returns fastact.{name}_backward(grad_output, "
           f"{cached.split()[-1]}, ...). See fastact.nn for inplace=.\n")
    if learned:
        doc += (f"    Learned: .{learned[0][0]} (num_parameters values, init {learned[0][1]}), "
                f"its gradient in .grad_{learned[0][0]} after backward.\n")
    namespace = {
        "__doc__": doc, "__module__": __name__, "__signature__": signature,
        "name": name, "backward_from": act.backward_from,
        "_forward_fn": staticmethod(forward_fn), "_backward_fn": staticmethod(backward_fn),
        "_params": tuple(user_params), "_learned": tuple(learned), "_param_order": tuple(order),
        "_options": options, "_axis": kind == "axis",
    }
    return type(cls_name, (Layer,), namespace)


def build_layers(activations=ACTIVATIONS, api=fastact):
    """{activation name: layer class} for the public rows of `activations`,
    and {name: reason} for those it could not make."""
    layers, failed = {}, {}
    for n in _public_names(activations):
        try:
            layers[n] = make_layer_class(activations[n], activations, api)
        except ValueError as exc:
            failed[n] = str(exc)
    return layers, failed


LAYERS, _FAILED = build_layers()
for _cls in LAYERS.values():
    globals()[_cls.__name__] = _cls
__all__ = ["Layer", "LAYERS", "CLASS_NAMES", "LEARNED", "make_layer_class", "build_layers"]
__all__ += [c.__name__ for c in LAYERS.values()]
del _cls


def __getattr__(attr):
    for n, cls_name in CLASS_NAMES.items():
        if cls_name == attr:
            if n in _FAILED:
                why = f"no layer could be made for {n!r}: {_FAILED[n]}"
            else:
                why = f"{n!r} is not in this version of fastact's registry"
            available = ", ".join(c.__name__ for c in LAYERS.values())
            raise AttributeError(f"module 'fastact.nn' has no attribute {attr!r}: {why} "
                                 f"(layers available: {available})")
    raise AttributeError(f"module 'fastact.nn' has no attribute {attr!r}")
