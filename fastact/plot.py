"""Figures of fastact's activations, with matplotlib (an optional extra:
``pip install 'fastact[plot]'``).

    python -m fastact plot sigmoid tanh relu -o act.png   # each with its derivative
    python -m fastact --plot speed.png                     # time against error

`activations(names, path)` draws each activation and its derivative in a grid
of small panels (the figures of the textbooks: sigmoid with its derivative
peaking at 0.25, tanh at 1, the kink of relu...). The curves are fastact's own
output: the forward and the fused gradient with grad_output = 1, so the figure
shows what the library computes. softmax and log_softmax are not element-wise;
they are drawn on the two-element input [x, 0] (their first output, which is
sigmoid(x) and log_sigmoid(x)).

`speed_accuracy(report, path)` draws, from the report's JSON data, one small
log-log panel per activation: time per element against the max error (ulps of
normal results) of every implementation and mode, each point labelled.

Rendering uses matplotlib's Agg canvas directly (no pyplot, no display), so it
works headless and leaves matplotlib's global state alone.
"""
import argparse
import math
import sys

import numpy as np

from fastact import _measure as M

INSTALL_HINT = "pip install 'fastact[plot]' (or pip install matplotlib)"

# x range of each panel; the default shows the saturation of sigmoid and tanh
XLIM = {"relu6": (-4.0, 8.0)}
DEFAULT_XLIM = (-6.0, 6.0)
EXACT_FLOOR = 0.01           # ulp: where an exact (0 ulp) result is drawn on a log axis


def require_matplotlib():
    """matplotlib's Figure and Agg canvas classes, or an ImportError saying how
    to install it."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(f"fastact's plots need matplotlib, which is not installed: "
                          f"{INSTALL_HINT}") from exc
    return Figure, FigureCanvasAgg


def _grid(n, cols=None):
    cols = cols or min(n, 4)
    return math.ceil(n / cols), cols


def curves(act, x, mode="accurate"):
    """(y, dy/dx) of `act` at the float64 points x, from fastact's forward and its
    fused gradient with grad_output = 1. An axis activation is evaluated on
    the rows [x, 0], its first output drawn."""
    fused = M.fastact_op(act, "fused", mode)
    with np.errstate(all="ignore"):
        if M.act_kind(act) == "axis":
            xx = np.stack([x, np.zeros_like(x)], axis=-1)
            g = np.zeros_like(xx)
            g[:, 0] = 1
            y, d = fused(xx, g)
            return y[:, 0], d[:, 0]
        return fused(x, np.ones_like(x))


def panel_title(act):
    name = M.display_name(act)
    if M.act_kind(act) == "axis":
        name = f"{act.name}([x, 0])[0]"
    p = M.param_values(act)
    if p:
        name += "  " + ", ".join(f"{k}={v:g}" for k, v in p.items())
    return name


def activations(names, path, *, mode="accurate", cols=None, xlim=None, dpi=100, points=801):
    """Draw each named activation (all when `names` is empty) with its derivative
    in a grid of panels, to the image file `path` (PNG, SVG, PDF: by its
    extension). Returns the path."""
    if mode not in M.MODES:
        raise ValueError(f"mode must be one of {M.MODES}, got {mode!r}")
    acts = M.find_activations(list(names))
    Figure, Canvas = require_matplotlib()
    rows, ncols = _grid(len(acts), cols)
    fig = Figure(figsize=(3.0 * ncols, 2.5 * rows), dpi=dpi, layout="constrained")
    Canvas(fig)
    for i, act in enumerate(acts):
        ax = fig.add_subplot(rows, ncols, i + 1)
        lo, hi = xlim or XLIM.get(act.name, DEFAULT_XLIM)
        x = np.linspace(lo, hi, points)
        y, d = curves(act, x, mode if mode in M.act_modes(act) else "accurate")
        ax.plot(x, y, lw=1.8, label="f(x)")
        ax.plot(x, d, lw=1.4, ls="--", label="f'(x)")
        ax.axhline(0, color="0.6", lw=0.6)
        ax.axvline(0, color="0.6", lw=0.6)
        ax.grid(True, color="0.92", lw=0.5)
        ax.set_xlim(lo, hi)
        ax.set_title(panel_title(act), fontsize=9)
        ax.tick_params(labelsize=7)
        if i == 0:
            ax.legend(fontsize=7, loc="upper left", frameon=False)
    fig.savefig(path)
    return path


def speed_accuracy(report, path, *, cols=None, dpi=100):
    """Time per element against max error (ulps where the exact result is
    normal) for every implementation and mode of each activation in `report`
    (the dict `python -m fastact --json` writes), one log-log panel per
    activation with labelled points, to the image file `path`."""
    Figure, Canvas = require_matplotlib()
    acts = report["activations"]
    if not acts:
        raise ValueError("the report measured no activation")
    pts = [(v["ns_per_element"], max(v["errors"]["max_ulp_normal"], EXACT_FLOOR))
           for a in acts.values() for v in a["implementations"].values()]
    tx = [p[0] for p in pts if p[0] > 0]
    finite = [p[1] for p in pts if math.isfinite(p[1])]
    # an infinite error (a peer returning inf or NaN where the result is finite)
    # is drawn at the top of the panel, labelled "inf"
    top = max(finite) * 10 if finite else 1e9
    ty = [min(p[1], top) for p in pts]
    xlim = (min(tx) / 1.6, max(tx) * 1.6)
    ylim = (min(ty) / 2.5, max(ty) * 2.5)
    rows, ncols = _grid(len(acts), cols)
    fig = Figure(figsize=(3.2 * ncols, 2.7 * rows + 0.4), dpi=dpi, layout="constrained")
    Canvas(fig)
    fig.suptitle(f"{report['size']:,} {report['dtype']} elements, one thread: time per element "
                 f"against max error (against {report.get('reference', 'a wider type')}); "
                 f"errors of 0 drawn at {EXACT_FLOOR} ulp", fontsize=9)
    for i, (name, a) in enumerate(acts.items()):
        ax = fig.add_subplot(rows, ncols, i + 1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        items = sorted(a["implementations"].items(), key=lambda kv: kv[1]["ns_per_element"])
        for k, (key, v) in enumerate(items):
            t = v["ns_per_element"]
            e = max(v["errors"]["max_ulp_normal"], EXACT_FLOOR)
            label = key if math.isfinite(e) else key + " (inf)"
            e = min(e, top)
            ours = key in M.MODES
            ax.scatter([t], [e], s=30 if ours else 22, marker="o" if ours else "s",
                       color="C0" if ours else "C1", zorder=3)
            mark = "!" if v["errors"].get("mismatched_nan") else ""
            # labels alternate above and below, so points at one error stay readable
            ax.annotate(label + mark, (t, e), textcoords="offset points",
                        xytext=(3, 4 if k % 2 == 0 else -10), fontsize=7)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.grid(True, which="major", color="0.9", lw=0.5)
        ax.set_title(a.get("display", name), fontsize=9)
        ax.tick_params(labelsize=7)
        if i % ncols == 0:
            ax.set_ylabel("max error, ulp", fontsize=8)
        if i >= len(acts) - ncols:
            ax.set_xlabel("ns per element", fontsize=8)
    fig.savefig(path)
    return path


def main(argv=None, prog="python -m fastact plot"):
    p = argparse.ArgumentParser(
        prog=prog, description="Draw activations with their derivatives, one small panel "
        "each (fastact's forward and fused gradient).")
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="activations, by name or alias (default: all)")
    p.add_argument("-o", "--output", default="activations.png", metavar="PATH",
                   help="image file; PNG, SVG or PDF by its extension (default activations.png)")
    p.add_argument("--mode", default="accurate", choices=M.MODES)
    p.add_argument("--cols", type=int, help="panels per row (default up to 4)")
    p.add_argument("--xlim", type=float, nargs=2, metavar=("LO", "HI"),
                   help="x range of every panel (default -6..6, relu6 -4..8)")
    p.add_argument("--dpi", type=int, default=100)
    args = p.parse_args(argv)
    if args.cols is not None and args.cols < 1:
        p.error("--cols must be at least 1")
    if args.xlim and not args.xlim[0] < args.xlim[1]:
        p.error("--xlim: LO must be below HI")
    try:
        require_matplotlib()
        activations(M.split_names(args.names), args.output, mode=args.mode, cols=args.cols,
                    xlim=args.xlim, dpi=args.dpi)
    except (ImportError, ValueError) as exc:
        p.error(str(exc))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
