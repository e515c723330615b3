"""Logistic regression by full-batch gradient descent on a synthetic data set,
twice: with fastact.sigmoid and with the NumPy expression 1 / (1 + np.exp(-z)).
Both start from zero weights on the same data; the script prints the two loss
curves side by side, the time per epoch of each, and the training accuracy next
to that of the model that generated the labels.

    python examples/logistic_regression.py                 # 100,000 x 10, 100 epochs
    python examples/logistic_regression.py --samples 1000000 --dtype float32

Data (fixed seed): x ~ N(0, I_d); true weights w* ~ N(0, 16/d) per coordinate, bias 0.5;
labels y ~ Bernoulli(sigmoid(x . w* + 0.5)). Model: p = sigmoid(X w + b), loss = mean
binary cross-entropy, computed from z = X w + b as mean(log(1 + e^z) - y z) (never
log(0)); gradient X^T (p - y) / n: the sigmoid's derivative cancels against the
cross-entropy's, so only the forward sigmoid is needed.
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

SIGMOIDS = {
    "fastact": fastact.sigmoid,
    "numpy": lambda z: 1 / (1 + np.exp(-z)),
}


def make_data(samples=100_000, features=10, seed=0, dtype=np.float64):
    """(X, y, w_true, b_true): the synthetic set described in the module docstring."""
    rng = np.random.default_rng(seed)
    w_true = rng.normal(0, 4 / np.sqrt(features), features)
    X = rng.standard_normal((samples, features))
    b_true = 0.5
    p = 1 / (1 + np.exp(-(X @ w_true + b_true)))
    y = (rng.random(samples) < p).astype(dtype)
    return X.astype(dtype), y, w_true.astype(dtype), b_true


def loss(z, y):
    """Mean binary cross-entropy of labels y under p = sigmoid(z), from z."""
    return float(np.mean(np.logaddexp(0, z) - y * z))


def accuracy(X, y, w, b):
    return float(np.mean((X @ w + b > 0) == (y > 0.5)))


def train(impl, X, y, epochs=100, lr=2.0, every=10):
    """Gradient descent from zero weights with `impl`'s sigmoid ("fastact" or
    "numpy"). Returns {"epochs": report epochs, "losses": loss at each (before that
    epoch's update), "seconds_per_epoch": median time of one step,
    "sigmoid_seconds_per_epoch": median time of its sigmoid call, "w", "b",
    "accuracy": on (X, y)}."""
    if impl not in SIGMOIDS:
        raise ValueError(f"impl must be one of {tuple(SIGMOIDS)}, got {impl!r}")
    sigmoid = SIGMOIDS[impl]
    n, d = X.shape
    w = np.zeros(d, dtype=X.dtype)
    b = X.dtype.type(0)
    report, losses, times, sig_times = [], [], [], []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        z = X @ w + b
        t1 = time.perf_counter()
        r = sigmoid(z)
        sig_times.append(time.perf_counter() - t1)
        r -= y                       # p - y: the gradient of the loss with respect to z
        w -= (lr / n) * (X.T @ r)
        b -= lr * r.mean()
        times.append(time.perf_counter() - t0)
        if epoch % every == 0 or epoch == epochs - 1:
            report.append(epoch)
            losses.append(loss(z, y))
    return {"epochs": np.array(report), "losses": np.array(losses),
            "seconds_per_epoch": float(np.median(times)),
            "sigmoid_seconds_per_epoch": float(np.median(sig_times)), "w": w, "b": b,
            "accuracy": accuracy(X, y, w, b)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--features", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--lr", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float64")
    ap.add_argument("--every", type=int, default=10, help="print the loss every N epochs")
    args = ap.parse_args(argv)
    if min(args.samples, args.features, args.epochs, args.every) < 1:
        ap.error("--samples, --features, --epochs and --every must be at least 1")
    dtype = np.dtype(args.dtype).type
    X, y, w_true, b_true = make_data(args.samples, args.features, args.seed, dtype)
    results = {impl: train(impl, X, y, args.epochs, args.lr, args.every) for impl in SIGMOIDS}
    a, b = results["fastact"], results["numpy"]
    print(f"logistic regression, {args.samples} x {args.features} synthetic set "
          f"(seed {args.seed}), full-batch gradient descent (lr {args.lr}, {args.dtype})")
    print(f"{'epoch':>7}  {'loss fastact':>14}  {'loss numpy':>14}  {'|difference|':>12}")
    for e, la, lb in zip(a["epochs"], a["losses"], b["losses"]):
        print(f"{e:>7}  {la:>14.10g}  {lb:>14.10g}  {abs(la - lb):>12.2g}")
    ta, tb = a["seconds_per_epoch"], b["seconds_per_epoch"]
    sa, sb = a["sigmoid_seconds_per_epoch"], b["sigmoid_seconds_per_epoch"]
    print(f"time per epoch (median): fastact {ta * 1e3:.3f} ms, numpy {tb * 1e3:.3f} ms "
          f"({tb / ta:.2f}x); of which the sigmoid: fastact {sa * 1e3:.3f} ms, numpy "
          f"{sb * 1e3:.3f} ms ({sb / sa:.2f}x); backend {fastact.backend}")
    results["true_accuracy"] = accuracy(X, y, w_true, b_true)
    results["true_loss"] = loss(X @ w_true + b_true, y)
    print(f"training accuracy: fastact {a['accuracy']:.4f}, numpy {b['accuracy']:.4f}; "
          f"the generating model on the same data: {results['true_accuracy']:.4f} "
          f"(loss {results['true_loss']:.6f})")
    return results


if __name__ == "__main__":
    main()
