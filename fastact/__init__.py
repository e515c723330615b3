"""fastact: fast, accurate neural-network activation functions for NumPy.

Every function is backed by a numpy.ufunc (broadcasting, out=, where=, dtype
preservation, __array_ufunc__ dispatch), compiled for several SIMD levels and
dispatched at import. A pure-NumPy twin with the same API is used when the
compiled module is unavailable or when FASTACT_PURE_PYTHON=1;
``fastact.backend`` says which one is live ("compiled" or "python").
"""
import os as _os
import warnings as _warnings

import inspect as _inspect

import numpy as _np

from . import _axis
from ._registry import ACTIVATIONS, API_SUFFIX, MODES, PUBLIC, bounds_text

__version__ = "0.1.0"


def _load_backend():
    if _os.environ.get("FASTACT_PURE_PYTHON", "") not in ("", "0"):
        from . import _fallback
        return "python", _fallback
    try:
        from . import _ufuncs
    except ImportError as exc:
        _warnings.warn(f"fastact: compiled extension unavailable ({exc}); using the pure-NumPy "
                       "fallback, which is much slower", RuntimeWarning, stacklevel=3)
        from . import _fallback
        return "python", _fallback
    return "compiled", _ufuncs


backend, _impl = _load_backend()


def _check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return mode


_MISSING = object()


def _check_param(fname, pname, v):
    """A parameter value: a real number or an array of them (anything else
    would reach the ufunc as a dtype it has no loop for)."""
    if type(v) in (int, float, bool):
        return v
    if isinstance(v, (_np.ndarray, _np.generic)):
        kind = v.dtype.kind
    elif isinstance(v, (str, bytes, complex)) or v is None:
        kind = "x"
    else:
        return v  # array-likes (lists, dask, xarray...): NumPy's rules decide
    if kind not in "biuf":
        raise TypeError(f"{fname}: {pname} must be a real number or an array of real numbers, "
                        f"got {type(v).__name__}" + (f" of dtype {v.dtype}" if kind != "x" else ""))
    return v


def _binder(fname, nlead, params):
    """bind(x-like leading values, args, kwargs) -> (parameter values, out, kwargs):
    the positional values after the nlead data arguments are the parameters in
    order, then out; parameters may also come by keyword."""
    names = [p.name for p in params]
    nmax = nlead + len(params) + 1

    def bind(lead, args, kwargs):
        if len(args) > len(params) + 1:
            raise TypeError(f"{fname}() takes at most {nmax} positional arguments "
                            f"({nlead + len(args)} given)")
        vals = []
        for k, p in enumerate(params):
            if k < len(args):
                if p.name in kwargs:
                    raise TypeError(f"{fname}() got multiple values for argument {p.name!r}")
                v = args[k]
            else:
                v = kwargs.pop(p.name, _MISSING)
                if v is _MISSING:
                    if p.default is None:
                        raise TypeError(f"{fname}() missing required argument {p.name!r}")
                    v = p.default
            v = _check_param(fname, p.name, v)
            x = lead[0]
            # keep x's float dtype: an array parameter of another dtype is cast to it,
            # a NumPy scalar too (np.float64 is a float subclass: NumPy would
            # promote a float32 x to float64 for it, a Python float it would not)
            if (type(v) not in (int, float, bool) and isinstance(x, (_np.ndarray, _np.generic))
                    and x.dtype.kind == "f" and isinstance(v, (_np.ndarray, _np.generic))
                    and v.dtype != x.dtype):
                v = _np.asarray(v).astype(x.dtype)
            vals.append(v)
        if len(args) > len(params):
            if "out" in kwargs:
                raise TypeError(f"{fname}() got multiple values for argument 'out'")
            out = args[len(params)]
        else:
            out = kwargs.pop("out", _MISSING)
        return vals, out, kwargs

    return bind, names


def _no_loop(fname, exc, operands):
    """NumPy's "not supported for the input types" TypeError, reworded to name
    the dtypes that have no loop (the fallback's message does the same)."""
    kinds = ", ".join(type(a).__name__ if isinstance(a, (int, float, bool)) else
                      str(getattr(a, "dtype", None) or _np.asarray(a).dtype) for a in operands)
    return TypeError(f"{fname}: no float16/float32/float64 loop for inputs of dtype ({kinds}); "
                     "object, complex, string, datetime and other non-real inputs are not "
                     f"supported ({exc})")


def _call(ufunc, fname, operands, kwargs):
    try:
        return ufunc(*operands, **kwargs)
    except TypeError as exc:
        if "not supported for the input types" not in str(exc):
            raise
        raise _no_loop(fname, exc, operands) from None


def _signature(lead, params, out_default, options, mode):
    P = _inspect.Parameter
    ps = [P(n, P.POSITIONAL_OR_KEYWORD) for n in lead]
    ps += [P(p.name, P.POSITIONAL_OR_KEYWORD, default=P.empty if p.default is None else p.default)
           for p in params]
    ps.append(P("out", P.POSITIONAL_OR_KEYWORD, default=out_default))
    ps += [P(o, P.KEYWORD_ONLY, default=d) for o, d in options]
    if mode:
        ps.append(P("mode", P.KEYWORD_ONLY, default="accurate"))
    ps.append(P("ufunc_kwargs", P.VAR_KEYWORD))
    return _inspect.Signature(ps)


def _variants(act):
    """{option value: registry row} for a public activation with an option
    (gelu: {"none": "gelu", "tanh": "gelu_tanh"}), and the option's name."""
    rows = {a.variant_of[2]: a.name for a in ACTIVATIONS.values()
            if a.variant_of and a.variant_of[0] == act.name}
    if not rows:
        return None, None
    option = next(a.variant_of[1] for a in ACTIVATIONS.values()
                  if a.variant_of and a.variant_of[0] == act.name)
    return option, {act.default_option: act.name, **rows}


def _params_text(act):
    if not act.params:
        return ""
    return "\n    Parameters (torch's names and defaults; a scalar or an array broadcasting " \
           "against x):\n" + "\n".join(
               f"      {p.name}" + (f"={p.default!r}" if p.default is not None else " (required)")
               + f": {p.doc}" for p in act.params) + "\n"


def _make_api(act):
    name = act.name
    option, rows = _variants(act)
    opts = [(option, act.default_option)] if option else []
    fnames = {op: name + API_SUFFIX[op] for op in API_SUFFIX}
    fwd_bind, _ = _binder(fnames["forward"], 1, act.params)
    bwd_bind, _ = _binder(fnames["backward"], 2, act.params)
    fb_bind, _ = _binder(fnames["fused"], 2, act.params)

    def row(kwargs, fname):
        if not option:
            return name
        value = kwargs.pop(option, act.default_option)
        if value not in rows:
            raise ValueError(f"{fname}: {option} must be one of {tuple(rows)}, got {value!r}")
        return rows[value]

    # The common calls, f(x), f(x, out=y), f(x, mode=...) and their fused and
    # backward twins, go straight to the ufunc with the parameters' defaults:
    # the binding below costs about 1.5 us a call, more than the kernel takes
    # on a few thousand elements. Anything else (parameters given, other
    # keywords, a call the ufunc refuses) takes the full path, which also
    # words the errors.
    # Likewise the parameters given positionally, each a Python number or an
    # ndarray of x's dtype: those the binder would pass on unchanged (it casts
    # an array of another dtype to x's, so that the result keeps x's dtype).
    # prelu's weight is always given: as a Python number the plain path below
    # takes it (0.53 us on 8 float32), as an array of x's dtype this does (2.3
    # us; 3.2 through the binder).
    direct = not option and all(p.default is not None for p in act.params)
    defaults = tuple(p.default for p in act.params)
    npar = len(act.params)
    keys = {op: {m: (name, op, m) for m in MODES} if not option else {} for op in API_SUFFIX}
    fwd_k, fb_k = keys["forward"], keys["fused"]
    bwd_k = keys["backward"].get("accurate")

    def given(x, args):
        """the parameters to pass the ufunc as they are, or None"""
        if not args:
            return defaults if direct else None
        if len(args) != npar:
            return None
        xt = x.dtype if type(x) is _np.ndarray else None
        for v in args:
            t = type(v)
            # Python numbers, and NumPy arrays and scalars of x's dtype (an np.float32
            # slope for float32 x took the binder's path: 4 us more per call)
            if (t is not float and t is not int and
                    ((t is not _np.ndarray and not isinstance(v, _np.generic)) or v.dtype != xt)):
                return None
        return args

    def forward(x, *args, mode="accurate", **kwargs):
        if (type(mode) is str and mode in fwd_k
                and (not kwargs or (len(kwargs) == 1 and "out" in kwargs))):
            vals = given(x, args)
            if vals is not None:
                try:
                    return _impl.UFUNCS[fwd_k[mode]](x, *vals, **kwargs)
                except TypeError:
                    pass
        r = row(kwargs, fnames["forward"])
        vals, out, kwargs = fwd_bind((x,), args, kwargs)
        if out is not _MISSING:
            kwargs["out"] = out
        return _call(_impl.get_ufunc(r, "forward", _check_mode(mode)), fnames["forward"],
                     (x, *vals), kwargs)

    def backward(grad_output, z, *args, **kwargs):
        if bwd_k and (not kwargs or (len(kwargs) == 1 and "out" in kwargs)):
            vals = given(z, args)
            if vals is not None:
                try:
                    return _impl.UFUNCS[bwd_k](grad_output, z, *vals, **kwargs)
                except TypeError:
                    pass
        r = row(kwargs, fnames["backward"])
        vals, out, kwargs = bwd_bind((z, grad_output), args, kwargs)
        if out is not _MISSING:
            kwargs["out"] = out
        return _call(_impl.get_ufunc(r, "backward", "accurate"), fnames["backward"],
                     (grad_output, z, *vals), kwargs)

    def fwd_bwd(x, grad_output, *args, mode="accurate", **kwargs):
        if (type(mode) is str and mode in fb_k
                and (not kwargs or (len(kwargs) == 1 and "out" in kwargs))):
            vals = given(x, args)
            if vals is not None:
                try:
                    return _impl.UFUNCS[fb_k[mode]](x, grad_output, *vals, **kwargs)
                except TypeError:
                    pass
        r = row(kwargs, fnames["fused"])
        vals, out, kwargs = fb_bind((x, grad_output), args, kwargs)
        kwargs["out"] = (None, None) if out is _MISSING or out is None else out
        return _call(_impl.get_ufunc(r, "fused", _check_mode(mode)), fnames["fused"],
                     (x, grad_output, *vals), kwargs)

    zname = "output" if act.backward_from == "output" else "x"
    forward.__signature__ = _signature(["x"], act.params, None, opts, True)
    backward.__signature__ = _signature(["grad_output", zname], act.params, None, opts, False)
    fwd_bwd.__signature__ = _signature(["x", "grad_output"], act.params, (None, None), opts, True)
    modes_text = ('``mode="accurate"`` (default) or ``"fast"`` (opt-in approximation).'
                  if act.modes == MODES else
                  '``mode`` is accepted for uniformity: the result is exact in both modes.')
    option_text = (f"``{option}``: one of {tuple(rows)} (default {act.default_option!r}).\n"
                   if option else "")

    forward.__name__ = forward.__qualname__ = fnames["forward"]
    forward.__doc__ = f"""{act.formula}

    Element-wise, as a numpy.ufunc: ``x`` array-like (float16/32/64 kept,
    integers computed as np.tanh does), ``out`` as for any ufunc (``out=x`` works
    in place), other ufunc keywords (``where``, ``dtype``, ``casting``...) passed on.
    {modes_text}
    {option_text}Never overflows, raises no floating-point warning; NaN in gives NaN out.
{_params_text(act)}
    Derivative: {act.derivative}. {act.kinks}

    Measured error bounds:
{bounds_text(act, "forward")}
    """
    backward.__name__ = backward.__qualname__ = fnames["backward"]
    if act.backward_from == "output":
        backward.__doc__ = f"""Gradient of {name} from its cached output.

    {act.derivative}. Same operation order on every ISA and in the fallback, so
    results are identical everywhere. Where |output| is close to its limit the
    formula cancels: use {name}_fwd_bwd for full relative accuracy there.
    """
    else:
        backward.__doc__ = f"""Gradient of {name} from its input: grad_output * {name}'(x).

    {act.derivative}. {act.kinks}
{_params_text(act)}
    Measured error bounds (grad_output = 1): as {fnames["fused"]}.
    """
    fwd_bwd.__name__ = fwd_bwd.__qualname__ = fnames["fused"]
    fwd_bwd.__doc__ = f"""Forward and backward of {name} in one pass over x.

    Returns ``(y, grad_input)`` with y = {name}(x) (bit-identical to the forward
    of the same mode) and grad_input = grad_output * {name}'(x), the derivative
    computed from x so it keeps full relative accuracy where y is near its limits.
    ``out`` is a pair of arrays (or Nones).
{_params_text(act)}
    Measured error bounds of grad_input:
{bounds_text(act, "fused")}
    """
    # The plainest calls (contiguous arrays of one dtype and shape, as above) skip
    # the ufunc machinery too, with identical results: the compiled backend wraps
    # each function in a C-level check (_core.Direct, _core.plain_first).
    if not hasattr(_impl, "PLAIN"):
        return forward, backward, fwd_bwd
    public = []
    for op, fn in (("forward", forward), ("backward", backward), ("fused", fwd_bwd)):
        def by_mode(row):
            if op == "backward":
                return {"accurate": _impl.PLAIN[(row, op, "accurate")]}
            return {m: _impl.PLAIN[(row, op, m)] for m in MODES}
        opt = (option, {v: by_mode(r) for v, r in rows.items()}) if option else None
        wrapped = _impl.plain_first(op, by_mode(name), fn, len(act.params), opt)
        for attr in ("__name__", "__qualname__", "__doc__", "__signature__"):
            setattr(wrapped, attr, getattr(fn, attr))
        wrapped.__module__ = __name__
        public.append(wrapped)
    return tuple(public)


__all__ = ["backend", "show_config", "ACTIVATIONS"]
for _act in (ACTIVATIONS[_n] for _n in PUBLIC):
    if _act.kind == "axis":  # softmax, log_softmax: a C row kernel, or NumPy passes
        _f, _b, _fb = _axis.make_api(_act, lambda *key: _impl.get_ufunc(*key),
                                     lambda: getattr(_impl, "rows", None))
    else:
        _f, _b, _fb = _make_api(_act)
    globals()[_f.__name__] = _f
    globals()[_b.__name__] = _b
    globals()[_fb.__name__] = _fb
    __all__ += [_f.__name__, _b.__name__, _fb.__name__]
    for _alias in _act.aliases:
        globals()[_alias] = _f
        __all__.append(_alias)
del _act, _f, _b, _fb
if hasattr(_impl, "bind_api"):  # the plain path serves while _impl is this backend
    _impl.bind_api(globals(), _impl)


def show_config(file=None):
    """Print the backend, the active SIMD path, the available ones and the build."""
    import platform
    import sys

    import numpy as np

    info = config()
    out = file or sys.stdout
    print(f"fastact {__version__}  backend: {info['backend']}", file=out)
    print(f"  machine: {platform.machine()}  {info['cpu']}", file=out)
    print(f"  numpy {np.__version__}  python {platform.python_version()}", file=out)
    if info["backend"] == "compiled":
        print(f"  SIMD path: {info['isa']} (best on this CPU: {info['best_isa']}; "
              f"FASTACT_ISA={_os.environ.get('FASTACT_ISA', '') or 'unset'})", file=out)
        print(f"  supported here: {', '.join(info['isa_supported'])}", file=out)
        print(f"  compiled in: {', '.join(info['isa_compiled'])}", file=out)
        print(f"  compiler: {info['compiler']}", file=out)
        print(f"  per-target flags: {info['target_flags']}", file=out)
        nt = info["stream_min_bytes"]
        print("  non-temporal stores: " + ("none in this build" if nt is None else
              f"contiguous outputs of {nt:,} bytes and more, of the passes that stream"), file=out)


def config():
    """The facts show_config prints, as a dict."""
    info = {"version": __version__, "backend": backend, "cpu": _cpu_name()}
    if backend == "compiled":
        info.update(_impl.build_info())
    return info


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or "unknown CPU"


from ._prelu import prelu_weight_grad  # noqa: E402  (the gradient of prelu's weight)

__all__.append("prelu_weight_grad")

from . import nn  # noqa: E402  (layer objects; built from the functions above)
