"""XOR with a 2-4-1 sigmoid network, trained by full-batch gradient descent twice:
with fastact's layers (fastact.nn.Sigmoid) and with the plain NumPy a textbook
writes (1 / (1 + np.exp(-x)) forward, s * (1 - s) for the derivative). Both start
from the same weights; the script prints the two loss curves side by side and
the time per epoch of each.

    python examples/xor.py                  # 2000 epochs, the 4 rows of XOR
    python examples/xor.py --repeat 25000   # the 4 rows tiled to 100,000 (same loss):
                                            # arrays large enough for the activation
                                            # to matter next to Python's call overhead

Network: h = sigmoid(X W1 + b1), y = sigmoid(h W2 + b2), loss = mean((y - t)^2).
"""
import argparse
import os
import sys
import time

import numpy as np

try:
    import fastact
except ImportError:  # run from a source checkout without installing: use the checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import fastact
from fastact import nn

X_XOR = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
T_XOR = np.array([[0], [1], [1], [0]], dtype=float)


class NumpySigmoid:
    """The layer a NumPy user writes by hand, with the interface of fastact.nn's."""

    def forward(self, x):
        self.s = 1 / (1 + np.exp(-x))
        return self.s

    def backward(self, grad_output):
        return grad_output * self.s * (1 - self.s)


def make_activation(impl):
    if impl == "fastact":
        # in place: the pre-activation and the incoming gradient are temporaries
        # of this step, so the layer overwrites them instead of allocating
        return nn.Sigmoid(inplace=True)
    if impl == "numpy":
        return NumpySigmoid()
    raise ValueError(f"impl must be 'fastact' or 'numpy', got {impl!r}")


def init_params(seed, hidden, dtype):
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(0, 1, (2, hidden)).astype(dtype), "b1": np.zeros(hidden, dtype),
            "W2": rng.normal(0, 1, (hidden, 1)).astype(dtype), "b2": np.zeros(1, dtype)}


def train(impl, epochs=2000, lr=2.0, seed=0, hidden=4, repeat=1, dtype=np.float64, every=100):
    """Train on XOR (tiled `repeat` times) with `impl`'s sigmoid. Returns
    {"epochs": report epochs, "losses": loss at each (before that epoch's update),
    "seconds_per_epoch": median time of one training step, "params": final weights,
    "predictions": y on the 4 XOR rows after training}."""
    X = np.tile(X_XOR, (repeat, 1)).astype(dtype)
    T = np.tile(T_XOR, (repeat, 1)).astype(dtype)
    p = init_params(seed, hidden, dtype)
    act1, act2 = make_activation(impl), make_activation(impl)
    n = len(X)
    report, losses, times = [], [], []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        h = act1.forward(X @ p["W1"] + p["b1"])
        y = act2.forward(h @ p["W2"] + p["b2"])
        dz2 = act2.backward((2 / n) * (y - T))
        dz1 = act1.backward(dz2 @ p["W2"].T)
        p["W2"] -= lr * (h.T @ dz2)
        p["b2"] -= lr * dz2.sum(axis=0)
        p["W1"] -= lr * (X.T @ dz1)
        p["b1"] -= lr * dz1.sum(axis=0)
        times.append(time.perf_counter() - t0)
        if epoch % every == 0 or epoch == epochs - 1:
            report.append(epoch)
            losses.append(float(np.mean((y - T) ** 2)))
    h = 1 / (1 + np.exp(-(X_XOR @ p["W1"] + p["b1"])))
    predictions = 1 / (1 + np.exp(-(h @ p["W2"] + p["b2"])))
    return {"epochs": np.array(report), "losses": np.array(losses),
            "seconds_per_epoch": float(np.median(times)), "params": p,
            "predictions": predictions.ravel()}


def print_comparison(title, a, b, rows, out=None):
    """The two loss curves side by side and the time per epoch of each."""
    out = out or sys.stdout
    print(title, file=out)
    print(f"{'epoch':>7}  {'loss fastact':>14}  {'loss numpy':>14}  {'|difference|':>12}", file=out)
    for e, la, lb in zip(a["epochs"], a["losses"], b["losses"]):
        print(f"{e:>7}  {la:>14.8g}  {lb:>14.8g}  {abs(la - lb):>12.2g}", file=out)
    ta, tb = a["seconds_per_epoch"], b["seconds_per_epoch"]
    print(f"time per epoch (median): fastact {ta * 1e6:.1f} us, numpy {tb * 1e6:.1f} us "
          f"({tb / ta:.2f}x; backend {fastact.backend})", file=out)
    if rows < 10_000:
        print(f"  ({rows} rows: the time is mostly the fixed cost of each call, a few us; "
              "--repeat 25000 tiles the data to 100,000 rows)", file=out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=2000)
    ap.add_argument("--lr", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hidden", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=1, help="tile the 4 rows this many times")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float64")
    ap.add_argument("--every", type=int, default=100, help="print the loss every N epochs")
    args = ap.parse_args(argv)
    if args.epochs < 1 or args.repeat < 1 or args.every < 1 or args.hidden < 1:
        ap.error("--epochs, --repeat, --every and --hidden must be at least 1")
    kw = dict(epochs=args.epochs, lr=args.lr, seed=args.seed, hidden=args.hidden,
              repeat=args.repeat, dtype=np.dtype(args.dtype), every=args.every)
    results = {impl: train(impl, **kw) for impl in ("fastact", "numpy")}
    print_comparison(f"XOR, 2-{args.hidden}-1 sigmoid network, full-batch gradient descent "
                     f"(lr {args.lr}, seed {args.seed}, {4 * args.repeat} rows, {args.dtype})",
                     results["fastact"], results["numpy"], 4 * args.repeat)
    print("predictions after training (fastact): "
          + ", ".join(f"{x:.0f}{y:.0f} -> {p:.3f}" for (x, y), p in
                      zip(X_XOR, results["fastact"]["predictions"])))
    return results


if __name__ == "__main__":
    main()
