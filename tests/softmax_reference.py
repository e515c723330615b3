"""Independent references for softmax / log_softmax along an axis and their
gradients: the max-subtracted textbook formulas in a wider type (float64 for
float32 results, np.longdouble for float64 results), and the error measures the
registry's softmax bounds are stated in (tests/test_softmax.py, and the
measurement that produced the bounds: `python tests/softmax_reference.py`, and
with FASTACT_PURE_PYTHON=1 for the fallback)."""
import numpy as np

import reference as R


def wide(x):
    return np.asarray(x).astype(R.wide_type(np.asarray(x).dtype))


def softmax(x, axis=-1):
    w = wide(x)
    with np.errstate(all="ignore"):
        e = np.exp(w - np.max(w, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """z - log(sum exp z), z = x - max(x), with log(sum exp z) = log1p(t), t the
    sum over all but one maximal element (whose exp z is exactly 1): where one
    element dominates, its result -log1p(t) is tiny and log(1 + t) would round
    t away even in the wide type."""
    w = wide(x)
    with np.errstate(all="ignore"):
        i = np.argmax(w, axis=axis, keepdims=True)
        z = w - np.take_along_axis(w, i, axis=axis)
        e = np.exp(z)
        first = np.arange(w.shape[axis]).reshape([-1 if k == axis % w.ndim else 1
                                                   for k in range(w.ndim)]) == i
        t = np.sum(np.where(first, 0, e), axis=axis, keepdims=True)
        return z - np.log1p(t)


def softmax_grad(x, g, axis=-1):
    """(gradient, scale): J^T g = y (g - <g, y>) from the exact y, and per
    element the row's largest term max(|y g|, |y <g, y>|) the error is measured in."""
    y = softmax(x, axis)
    g = wide(g)
    d = np.sum(g * y, axis=axis, keepdims=True)
    terms = np.maximum(np.abs(y * g), np.abs(y * d))
    return y * (g - d), np.broadcast_to(np.max(terms, axis=axis, keepdims=True), y.shape)


def log_softmax_grad(x, g, axis=-1):
    """(gradient, scale): g - softmax(x) sum(g), and the row's largest term
    max(|g|, |softmax sum(g)|)."""
    p = softmax(x, axis)
    g = wide(g)
    sg = np.sum(g, axis=axis, keepdims=True)
    terms = np.maximum(np.abs(g), np.abs(p * sg))
    return g - p * sg, np.broadcast_to(np.max(terms, axis=axis, keepdims=True), p.shape)


FORWARD = {"softmax": softmax, "log_softmax": log_softmax}
GRAD = {"softmax": softmax_grad, "log_softmax": log_softmax_grad}


def scaled_error(got, ref, scale, dtype):
    """|got - ref| in ulps of the row's largest term (float32/float64 ulps)."""
    with np.errstate(all="ignore"):
        err = np.abs(got.astype(ref.dtype) - ref) / R.ulp_of(scale, dtype)
    return np.where(np.isnan(err), np.inf, err)


def cases(dtype, seed=3, budget=20000):
    """(x, axis) pairs: rows of 1 to 4096 elements, values of scale 1 to 1e4,
    rows with a dominant element, huge magnitudes near the float limit, mixed
    signs, and axes other than the last."""
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(seed)
    big = float(np.finfo(dtype).max) / 4
    out = []
    for n in (1, 2, 3, 7, 16, 33, 64, 100, 1000, 4096):
        rows = max(1, budget // n)
        for scale in (1.0, 10.0, 100.0, 1e4):
            out.append((rng.standard_normal((rows, n)) * scale, -1))
        x = rng.standard_normal((rows, n))
        x[:, 0] += 30  # one dominant element: log_softmax's max near 0
        out.append((x, -1))
        out.append((rng.uniform(-1, 1, (rows, n)) * big, -1))
        out.append((rng.choice([-1.0, 1.0], (rows, n)) * big * rng.uniform(0.5, 1, (rows, n))
                    + rng.standard_normal((rows, n)), -1))
    out.append((rng.standard_normal((50, 30, 20)) * 5, 0))
    out.append((rng.standard_normal((50, 30, 20)) * 5, 1))
    out.append((rng.standard_normal((7, 300)).T * 20, 0))  # a strided axis
    return [(x.astype(dtype), a) for x, a in out]


def measure(fa, name, mode, dtype, isa=None):
    """Worst forward error (ulps, relative where normal) and fused-gradient error
    (ulps of the row's largest term, and as a fraction of it: the registry's
    abs bounds) over cases(dtype)."""
    worst = {"fwd_ulp": 0.0, "fwd_rel": 0.0, "grad": 0.0, "grad_abs": 0.0}
    rng = np.random.default_rng(11)
    for x, axis in cases(dtype):
        g = rng.standard_normal(x.shape).astype(dtype)
        with np.errstate(over="ignore"):
            y, gx = getattr(fa, f"{name}_fwd_bwd")(x, g, axis, mode=mode)
        ref = FORWARD[name](x, axis)
        ok = np.isfinite(ref)
        worst["fwd_ulp"] = max(worst["fwd_ulp"], float(R.ulp_error(y, ref, dtype)[ok].max()))
        normal = ok & R.is_normal_result(ref, dtype)
        if normal.any():
            worst["fwd_rel"] = max(worst["fwd_rel"], float(R.rel_error(y, ref)[normal].max()))
        gref, scale = GRAD[name](x, g, axis)
        worst["grad"] = max(worst["grad"], float(scaled_error(gx, gref, scale, dtype)[ok].max()))
        with np.errstate(all="ignore"):
            frac = np.abs(gx.astype(gref.dtype) - gref) / scale
        worst["grad_abs"] = max(worst["grad_abs"], float(frac[ok].max()))
    return worst


if __name__ == "__main__":
    # every ISA of the compiled backend (its row kernel); FASTACT_PURE_PYTHON=1
    # measures the fallback's NumPy passes instead (the bounds cover both)
    import fastact
    if fastact.backend == "python":
        isas, set_isa = ["python"], lambda isa: None
    else:
        from fastact import _ufuncs
        isas = [i for i in _ufuncs.ISAS if _ufuncs.isa_supported(i)]
        set_isa = _ufuncs.set_isa
    for isa in isas:
        set_isa(isa)
        for name in ("softmax", "log_softmax"):
            for mode in ("accurate", "fast"):
                for dt in ("float32", "float64"):
                    w = measure(fastact, name, mode, dt)
                    print(f"{isa:7s} {name:12s} {mode:9s} {dt}: forward {w['fwd_ulp']:.3g} ulp, "
                          f"rel {w['fwd_rel']:.3g}; gradient {w['grad']:.3g} ulp "
                          f"({w['grad_abs']:.2g}) of the row scale",
                          flush=True)
