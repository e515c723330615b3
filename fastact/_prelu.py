"""The gradient of prelu with respect to its weight: fastact.prelu_weight_grad.

prelu(x, weight) = x for x > 0, else weight * x, with weight broadcast against
x by NumPy's rules (see the registry's prelu row for torch's channel
convention). d prelu / d weight = x where x <= 0, else 0 (torch's convention:
the x > 0 branch is the strict one, so x = 0 contributes 0 either way and a NaN
x contributes NaN), so the weight's gradient is the sum of grad_output * x over
the x <= 0 elements, reduced over every axis weight was broadcast along, to
weight's shape.
"""
import numpy as np


def prelu_weight_grad(grad_output, x, weight):
    """Gradient of prelu(x, weight) with respect to weight, of weight's shape.

    sum of grad_output * x where x <= 0 (0 where x > 0, even for an infinite
    grad_output), over the leading axes weight lacks and the axes where weight
    has length 1 and the broadcast result does not. The products are formed in
    the floating type of grad_output and x (float16 widened to float32) and
    summed by NumPy's pairwise summation in that type.
    """
    g = np.asarray(grad_output)
    x = np.asarray(x)
    w = np.asarray(weight)
    dt = np.result_type(g.dtype, x.dtype, np.float16)  # a float type, like the ufuncs
    if dt == np.float16:
        dt = np.dtype(np.float32)
    full = np.broadcast_shapes(g.shape, x.shape, w.shape)
    g = np.broadcast_to(g.astype(dt, copy=False), full)
    xb = np.broadcast_to(x.astype(dt, copy=False), full)
    contrib = np.zeros(full, dt)
    # the product only where x <= 0 (or NaN): no overflow flag from the other lanes
    np.multiply(g, xb, out=contrib, where=~(xb > 0))
    lead = len(full) - w.ndim
    s = contrib.sum(axis=tuple(range(lead))) if lead else contrib
    axes = tuple(i for i, n in enumerate(w.shape) if n == 1 and s.shape[i] != 1)
    if axes:
        s = s.sum(axis=axes, keepdims=True)
    return np.asarray(s, dt).reshape(w.shape)
