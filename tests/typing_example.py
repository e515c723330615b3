"""Typed use of fastact, checked by mypy against fastact/__init__.pyi (tests/test_typing.py).

`correct_usage` must type-check cleanly under `mypy --strict`, and the test
also runs it, so the example is real code. `wrong_usage` is never called: each
of its lines marked with a `mypy-error:` comment must be flagged by mypy with a
message containing the fragment, and no other line may be flagged, so a stub
that types everything as Any (or drops a parameter) fails the test.
"""
from typing import Any

import numpy as np
from numpy.typing import NDArray

import fastact


def correct_usage() -> NDArray[np.float32]:
    x: NDArray[np.float32] = np.linspace(-4.0, 4.0, 9, dtype=np.float32)
    grad = np.ones_like(x)

    y: NDArray[Any] = fastact.sigmoid(x)
    t = fastact.tanh(x, mode="fast")
    same = fastact.expit([0.0, 1.0], mode="accurate")     # alias, any array-like input
    gy = fastact.sigmoid_backward(grad, y)
    gt = fastact.tanh_backward(grad, t, out=np.empty_like(t))
    y2, gx = fastact.sigmoid_fwd_bwd(x, grad)
    t2, gt2 = fastact.tanh_fwd_bwd(x, grad, out=(None, np.empty_like(x)), mode="fast")
    fastact.sigmoid(x, out=x, where=x > 0)                   # ufunc keywords pass through

    shapes: tuple[tuple[int, ...], ...] = (y.shape, same.shape, gy.shape, gt.shape,
                                           y2.shape, gx.shape, t2.shape, gt2.shape)
    assert all(s in ((9,), (2,)) for s in shapes), shapes
    assert fastact.backend in ("compiled", "python")
    version: str = fastact.__version__
    assert version
    info: dict[str, Any] = fastact.config()
    assert info["backend"] == fastact.backend
    return x


def wrong_usage(x: NDArray[np.float64]) -> None:
    fastact.sigmoid(x, mode=3)  # mypy-error: Argument "mode" to "sigmoid" has incompatible type
    fastact.tanh(x, mode="fastest")  # mypy-error: Argument "mode" to "tanh" has incompatible type
    fastact.sigmoid_backward(x)  # mypy-error: Missing positional argument "output"
    fastact.tanh_fwd_bwd(x)  # mypy-error: Missing positional argument "grad_output"
    fastact.sigmoid(x, x, x)  # mypy-error: Too many positional arguments
    fastact.tanh(x).no_such_method()  # mypy-error: has no attribute "no_such_method"
    n: int = fastact.sigmoid(x)  # mypy-error: Incompatible types in assignment
    fastact.relu_not_an_activation(x)  # mypy-error: Module has no attribute
