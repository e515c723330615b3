"""Times tools/floor.c (the leanest sigmoid and tanh loops, no accuracy care)
beside fastact, torch and NumPy at 65,536 float32 elements, in one run: medians
of 15 rounds of 200 calls, alternating. What it shows: how close any sigmoid or
tanh kernel can come to #2's targets (2x torch.sigmoid, 1.5x np.tanh) on this
machine. Needs a C compiler, an AVX-512 CPU, and torch for its column.

    taskset -c 1 python tools/floor.py
"""
import ctypes
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import fastact


def build():
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "floor.c")
    out = os.path.join(tempfile.mkdtemp(), "floor.so")
    subprocess.run(["cc", "-O3", "-mavx512f", "-mavx512dq", "-mavx512vl", "-mfma", "-shared",
                    "-fPIC", src, "-o", out], check=True)
    return ctypes.CDLL(out)


def main():
    lib = build()
    n = 65536
    x = (np.random.default_rng(0).standard_normal(n) * 4).astype(np.float32)
    y = np.empty_like(x)
    xp, yp = ctypes.c_void_p(x.ctypes.data), ctypes.c_void_p(y.ctypes.data)
    fs = {
        "floor sigmoid": lambda: lib.floor_sigmoid(xp, yp, n),
        "floor tanh": lambda: lib.floor_tanh(xp, yp, n),
        "fastact sigmoid": lambda: fastact.sigmoid(x, out=y),
        "fastact sigmoid fast": lambda: fastact.sigmoid(x, out=y, mode="fast"),
        "fastact tanh": lambda: fastact.tanh(x, out=y),
        "np.tanh": lambda: np.tanh(x, out=y),
        "np.copyto": lambda: np.copyto(y, x),
    }
    try:
        import torch
        torch.set_num_threads(1)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        fs["torch.sigmoid"] = lambda: torch.sigmoid(xt, out=yt)
    except ImportError:
        pass
    times = {k: [] for k in fs}
    for _ in range(15):
        for k, f in fs.items():
            f()
            t = time.perf_counter()
            for _ in range(200):
                f()
            times[k].append((time.perf_counter() - t) / 200 / n * 1e9)
    med = {k: float(np.median(v)) for k, v in times.items()}
    for k, v in med.items():
        print(f"{k:22s} {v:.3f} ns/element")
    if "torch.sigmoid" in med:
        print(f"torch.sigmoid / floor sigmoid:   {med['torch.sigmoid'] / med['floor sigmoid']:.2f}x"
              f"   (#2 asks 2x of the 1-ulp kernel; fastact accurate "
              f"{med['torch.sigmoid'] / med['fastact sigmoid']:.2f}x)")
    print(f"np.tanh / floor tanh:            {med['np.tanh'] / med['floor tanh']:.2f}x"
          f"   (#2 asks 1.5x; fastact accurate {med['np.tanh'] / med['fastact tanh']:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
