"""fastact: fast, accurate neural-network activation functions for NumPy.

Every function is backed by a numpy.ufunc (broadcasting, out=, where=, dtype
preservation, __array_ufunc__ dispatch), compiled for several SIMD levels and
dispatched at import. A pure-NumPy twin with the same API is used when the
compiled module is unavailable or when FASTACT_PURE_PYTHON=1;
``fastact.backend`` says which one is live ("compiled" or "python").
"""
import os as _os
import warnings as _warnings

from ._registry import ACTIVATIONS, API_SUFFIX, MODES

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


def _bounds_text(act, op):
    lines = []
    for mode in MODES:
        for dtype in ("float32", "float64"):
            b = act.bounds.get((op, mode, dtype))
            if b is None:
                continue
            fig = []
            if b.ulp is not None:
                fig.append(f"max {b.ulp:g} ulp")
            if b.rel is not None:
                fig.append(f"max relative error {b.rel:g}")
            if b.abs is not None:
                fig.append(f"max absolute error {b.abs:g}")
            lines.append(f"    {mode}, {dtype}: {', '.join(fig) or 'see note'} -- {b.why}")
    return "\n".join(lines)


def _make_api(act):
    name = act.name

    def forward(x, out=None, *, mode="accurate", **kwargs):
        return _impl.get_ufunc(name, "forward", _check_mode(mode))(x, out=out, **kwargs)

    def backward(grad_output, output, out=None, **kwargs):
        return _impl.get_ufunc(name, "backward", "accurate")(grad_output, output, out=out, **kwargs)

    def fwd_bwd(x, grad_output, out=(None, None), *, mode="accurate", **kwargs):
        return _impl.get_ufunc(name, "fused", _check_mode(mode))(x, grad_output, out=out, **kwargs)

    forward.__name__ = forward.__qualname__ = name + API_SUFFIX["forward"]
    forward.__doc__ = f"""{act.formula}

    Element-wise, as a numpy.ufunc: ``x`` array-like (float16/32/64 kept,
    integers computed as np.tanh does), ``out`` as for any ufunc (``out=x`` works
    in place), other ufunc keywords (``where``, ``dtype``, ``casting``...) passed on.
    ``mode="accurate"`` (default) or ``"fast"`` (opt-in approximation).
    Never overflows, raises no floating-point warning; NaN in gives NaN out.

    Derivative: {act.derivative}.

    Measured error bounds:
{_bounds_text(act, "forward")}
    """
    backward.__name__ = backward.__qualname__ = name + API_SUFFIX["backward"]
    backward.__doc__ = f"""Gradient of {name} from its cached output.

    {act.derivative}. Same operation order on every ISA and in the fallback, so
    results are identical everywhere. Where |output| is close to its limit the
    formula cancels: use {name}_fwd_bwd for full relative accuracy there.
    """
    fwd_bwd.__name__ = fwd_bwd.__qualname__ = name + API_SUFFIX["fused"]
    fwd_bwd.__doc__ = f"""Forward and backward of {name} in one pass over x.

    Returns ``(y, grad_input)`` with y = {name}(x) (bit-identical to the forward
    of the same mode) and grad_input = grad_output * {name}'(x), the derivative
    computed from x so it keeps full relative accuracy where y is near its limits.
    ``out`` is a pair of arrays (or Nones).

    Measured error bounds of grad_input:
{_bounds_text(act, "fused")}
    """
    return forward, backward, fwd_bwd


__all__ = ["backend", "show_config", "ACTIVATIONS"]
for _act in ACTIVATIONS.values():
    _f, _b, _fb = _make_api(_act)
    globals()[_f.__name__] = _f
    globals()[_b.__name__] = _b
    globals()[_fb.__name__] = _fb
    __all__ += [_f.__name__, _b.__name__, _fb.__name__]
    for _alias in _act.aliases:
        globals()[_alias] = _f
        __all__.append(_alias)
del _act, _f, _b, _fb


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
