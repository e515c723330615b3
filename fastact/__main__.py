"""python -m fastact: what fastact does on this machine, in well under a minute.

Prints the machine (CPU, active and supported SIMD paths, threads), then one
row per activation in the registry: the time per element of fastact in each of
its modes and of its peers (the NumPy expression a careful user writes,
scipy.special's function of the same name, torch.nn.functional and numexpr when
installed) on one array, fastact's speed-up over each, and the max error of
each against a reference in a wider type, over a sweep of bit patterns spread
over every binade. Parameters are at their defaults (prelu: weight 0.25);
softmax and log_softmax run along the last axis of a (1024, n/1024) array.

    python -m fastact [--quick] [--size N] [--dtype float32|float64]
                      [--functions NAME ...] [--json PATH] [--plot PATH]
    python -m fastact plot NAME ... -o act.png     (see python -m fastact plot -h)

The time is shared out: each figure's sampling time and each sweep shrink as
the number of activations grows, so the whole report stays under a minute on
2 cores. bench/bench.py is the full comparison (sizes, dtypes, threads, ISAs,
backward, fused).
"""
import argparse
import json
import os
import sys
import time

import numpy as np

from fastact import _measure as M

# Budgets of the whole report, in seconds of timing samples and in sweep points
# (inputs x implementations), shared among the activations measured.
TIMING_BUDGET = {False: 18.0, True: 4.0}          # keyed by --quick
SWEEP_BUDGET = {False: 1 << 25, True: 1 << 22}
MIN_TIME = (0.01, 0.2)                             # per figure, s: floor and ceiling
SWEEP = (1 << 14, 1 << 22)                         # per activation: floor and ceiling

PEER_COLUMNS = ("numpy", "scipy", "torch", "numexpr")


class Impl:
    """One implementation of an activation's forward: `key` is a fastact mode or
    a peer library; result(x) computes it (the error sweep), bind(x, y) gives
    the no-argument call the timer runs."""

    def __init__(self, key, label, result, bind):
        self.key, self.label, self.result, self.bind = key, label, result, bind
        self.ns = None
        self.errors = None


def implementations(act, peers):
    """key -> Impl of `act`'s forward: fastact's modes, then the peers present."""
    impls = {}
    for mode in M.act_modes(act):
        f = M.fastact_op(act, "forward", mode)
        impls[mode] = Impl(mode, f"fastact {mode}", f,
                           lambda x, y, f=f: (lambda: f(x, out=y)))
    found = [M.numpy_forward(act), M.scipy_forward(peers["scipy"], act)]
    tp = M.torch_peers(peers["torch"], act)
    found.append(tp.forward() if tp is not None else None)
    found.append(M.numexpr_forward(peers["numexpr"], act))
    for peer in found:
        if peer is None:
            continue
        impls[peer.library] = Impl(peer.library, peer.label,
                                   lambda x, p=peer: np.asarray(p.fn(x)),
                                   lambda x, y, p=peer: p.bind(x, out=y))
    return impls


def plan(impls, quick, budget=None, sweep=None):
    """(seconds per figure, sweep inputs per activation): the timing budget
    (seconds) shared by all the figures, the sweep budget (inputs x
    implementations) by all the activations, each within its floor and ceiling;
    `budget` and `sweep` override them."""
    figures = 1 + sum(len(v) for v in impls.values())
    total = TIMING_BUDGET[quick] if budget is None else budget
    min_time = min(MIN_TIME[1], max(MIN_TIME[0], total / figures))
    if sweep is None:
        per_act = SWEEP_BUDGET[quick] // max(1, sum(len(v) for v in impls.values()))
        sweep = min(SWEEP[1], max(SWEEP[0], per_act))
    return min_time, int(sweep)


def error_inputs(act, dtype, count):
    """The inputs of the error sweep, in chunks: bit patterns over every binade for
    the element-wise activations; for the axis ones, rows of 256 normal values
    whose scale runs log-uniformly from 2^-10 to 2^7 (flat to saturated rows)."""
    if M.act_kind(act) != "axis":
        yield from M.float_sweep(dtype, count, chunk=1 << 16)
        return
    rng = np.random.default_rng(7)
    cols = 256
    for start in range(0, count, 1 << 16):
        rows = max(1, min(1 << 16, count - start) // cols)
        scale = np.exp2(rng.uniform(-10, 7, (rows, 1)))
        yield (rng.standard_normal((rows, cols)) * scale).astype(dtype)


def measure(args):
    M.single_thread()
    M.keep_freed_memory()
    dtype = np.dtype(args.dtype)
    acts = M.find_activations(M.split_names(args.functions))
    size = args.size or 1 << 20
    peers, notes = M.load_peers()
    info = M.machine_info(peers)
    for line in M.machine_lines(info):
        print(line)
    for note in notes:
        print(f"note: {note}")
    print(flush=True)

    impls = {a.name: implementations(a, peers) for a in acts}
    min_time, sweep = plan(impls, args.quick, args.budget, args.sweep)
    progress = M.Progress(sum(2 * len(v) for v in impls.values()) + 1, every=5.0)

    # speed: one x per shape, outputs preallocated
    x_flat, _ = M.timing_inputs(size, dtype)
    arrays = {}
    progress.show("timing np.copyto")
    y_flat = M.placed_empty(x_flat.size, dtype, 2)
    copy_ns = M.time_call(lambda: np.copyto(y_flat, x_flat),
                          min_time=min_time).ns_per(size)
    progress.step("timing np.copyto")
    with np.errstate(all="ignore"):
        for act in acts:
            shape = M.shaped(act, size)
            if shape not in arrays:
                n = int(np.prod(shape))
                arrays[shape] = (x_flat[:n].reshape(shape), y_flat[:n].reshape(shape))
            x, y = arrays[shape]
            for impl in impls[act.name].values():
                text = f"timing {act.name}: {impl.key}"
                progress.show(text)
                impl.ns = M.time_call(impl.bind(x, y), min_time=min_time).ns_per(x.size)
                progress.step(text)

    # accuracy
    wide = M.wide_dtype(dtype)
    for act in acts:
        params = M.params_as(act, dtype)     # as the dtype's computation receives them
        text = f"errors of {act.name}"
        progress.show(text)
        stats = {k: M.ErrorStats(dtype.name) for k in impls[act.name]}
        with np.errstate(all="ignore"):
            for xs in error_inputs(act, dtype, sweep):
                ref = M.forward_reference(act, xs.astype(wide), params)
                for key, impl in impls[act.name].items():
                    stats[key].add(xs, impl.result(xs), ref)
        for key, impl in impls[act.name].items():
            impl.errors = stats[key]
        progress.step(text, n=len(stats))
    progress.close()
    return {"info": info, "notes": notes, "acts": acts, "impls": impls, "size": size,
            "dtype": dtype, "copy_ns": copy_ns, "min_time": min_time, "sweep": sweep,
            "wide": wide}


# --------------------------------------------------------------------------
# printing

def _flushes(s):
    """True if the implementation's results below the normal range are off by
    more than its normal ones (flushed to 0, typically)."""
    return not s.mismatched_nan and s.max_ulp > s.max_ulp_normal + 1


def _ulp_cell(s, width):
    mark = "!" if s.mismatched_nan else ("*" if _flushes(s) else "")
    v = s.max_ulp_normal
    txt = "0" if v == 0 else (f"{v:.3g}" if v < 1e3 else f"{v:.1e}")
    return f"{txt + mark:>{width}}"


def _abs_cell(s, width):
    return f"{'0' if s.max_abs == 0 else f'{s.max_abs:.1e}':>{width}}"


def _ratio(v):
    return f"{v:.0f}" if v >= 100 else (f"{v:.1f}" if v >= 10 else f"{v:.2f}")


def print_report(r):
    acts, impls, size, dtype = r["acts"], r["impls"], r["size"], r["dtype"]
    modes = [m for m in M.MODES if any(m in impls[a.name] for a in acts)]
    peers = [p for p in PEER_COLUMNS if any(p in impls[a.name] for a in acts)]
    axis = [a.name for a in acts if M.act_kind(a) == "axis"]
    nw = max([8] + [len(a.name) for a in acts]) + 2

    shape_note = ""
    if axis:
        rows, cols = M.shaped(next(a for a in acts if a.name in axis), size)
        shape_note = f"; {', '.join(axis)} along the last axis of ({rows:,}, {cols:,})"
    print(f"Speed: {size:,} {dtype.name} elements{shape_note}; ns per element, median of "
          f"{r['min_time']:.2g} s of samples, one thread; np.copyto of the array: "
          f"{r['copy_ns']:.3f}")
    head1 = " " * nw + f"{'fastact':^{8 * len(modes)}}  {'peers':^{8 * len(peers)}}"
    head1 += f"   fastact {'/'.join(modes)} is N times faster than"
    head2 = f"{'function':<{nw}}" + "".join(f"{m:>8}" for m in modes) + "  "
    head2 += "".join(f"{p:>8}" for p in peers) + "   " + "".join(f"{p:>14}" for p in peers)
    print(head1.rstrip())
    print(head2)
    for act in acts:
        row = f"{act.name:<{nw}}"
        im = impls[act.name]
        for m in modes:
            row += f"{im[m].ns:>8.3f}" if m in im else f"{'-':>8}"
        row += "  "
        for p in peers:
            row += f"{im[p].ns:>8.3f}" if p in im else f"{'':>8}"
        row += "   "
        for p in peers:
            if p not in im:
                row += f"{'':>14}"
                continue
            ratios = "/".join(_ratio(im[p].ns / im[m].ns) for m in modes if m in im)
            row += f"{ratios + 'x':>14}"
        print(row.rstrip())
    if len(modes) > 1:
        print(f"'-' in {modes[1]}: an exact function, one mode.")
    print()

    print(f"Max error against {M.wide_name(r['wide'])}: {r['sweep']:,} {dtype.name} inputs per "
          "function (bit patterns over every binade, both signs, subnormals, inf, NaN"
          + ("; for softmax rows of normal values scaled 2^-10 to 2^7" if axis else "") + ")")
    head1 = " " * nw + "".join(f"{m:^19}" for m in modes) + f"{'':2}" + \
        "".join(f"{p:>9}" for p in peers)
    head2 = f"{'function':<{nw}}" + "".join(f"{'ulp':>9}{'abs':>10}" for _ in modes) + \
        f"{'':2}" + "".join(f"{'ulp':>9}" for _ in peers)
    print(head1.rstrip())
    print(head2)
    flagged = []
    for act in acts:
        im = impls[act.name]
        row = f"{act.name:<{nw}}"
        for m in modes:
            row += (_ulp_cell(im[m].errors, 9) + _abs_cell(im[m].errors, 10)) if m in im \
                else f"{'-':>9}{'-':>10}"
        row += f"{'':2}"
        for p in peers:
            row += _ulp_cell(im[p].errors, 9) if p in im else f"{'':>9}"
        print(row.rstrip())
        flagged += [(act.name, im[k].label, im[k].errors.mismatched_nan)
                    for k in im if im[k].errors.mismatched_nan]
    print(f"ulp: units in the last place of the {dtype.name} result, where the exact result is a "
          "normal number; abs: absolute error over all inputs.")
    if any(_flushes(i.errors) for a in acts for i in impls[a.name].values()):
        print(f"*: results below the smallest normal number ({np.finfo(dtype).tiny:.3g}) are off "
              "by more (flushed to 0); the JSON has the figure over all results.")
    for name, label, n in flagged:
        print(f"!: {name} {label}: NaN where the reference is not, or the reverse, at {n} inputs")
    print()

    print("Peers (the same call is timed and checked):")
    for act in acts:
        im = impls[act.name]
        p = M.param_values(act)
        params = f"  [{', '.join(f'{k}={v:g}' for k, v in p.items())}]" if p else ""
        print(f"  {M.display_name(act)}{params}")
        for key in peers:
            if key in im:
                print(f"    {key:<8} {im[key].label}")


def report_json(r, argv, seconds):
    out = {"machine": r["info"], "argv": list(argv), "seconds": seconds, "size": r["size"],
           "dtype": r["dtype"].name, "copyto_ns_per_element": r["copy_ns"],
           "min_time_per_figure": r["min_time"], "error_inputs_per_function": r["sweep"],
           "reference": M.wide_name(r["wide"]), "notes": r["notes"], "activations": {}}
    for act in r["acts"]:
        im = r["impls"][act.name]
        modes = [m for m in M.MODES if m in im]
        entry = {"display": M.display_name(act), "kind": M.act_kind(act),
                 "shape": list(M.shaped(act, r["size"])), "params": M.param_values(act),
                 "modes": modes, "implementations": {}}
        for key, impl in im.items():
            d = {"label": impl.label, "ns_per_element": impl.ns,
                 "errors": impl.errors.as_dict()}
            if key not in M.MODES:
                d["fastact_speedup"] = {m: impl.ns / im[m].ns for m in modes}
            entry["implementations"][key] = d
        out["activations"][act.name] = entry
    return out


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    run_as = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    prog = "python -m fastact" if run_as in ("", "__main__.py", "-c") else run_as
    if argv and argv[0] == "plot":
        from fastact import plot
        return plot.main(argv[1:], prog=f"{prog} plot")
    p = argparse.ArgumentParser(
        prog=prog, description=__doc__.split("\n")[0],
        epilog=f"'{prog} plot NAME ... -o FILE' draws activations and their derivatives.")
    p.add_argument("--quick", action="store_true",
                   help="about a quarter of the timing and an eighth of the sweep")
    p.add_argument("--size", type=int, help="elements per array (default 1,048,576)")
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--functions", nargs="+", metavar="NAME",
                   help="activations, by name or alias, space- or comma-separated (default: all)")
    p.add_argument("--budget", type=float, metavar="SECONDS",
                   help="seconds of timing samples shared by all the figures (default "
                   f"{TIMING_BUDGET[False]:g}; --quick {TIMING_BUDGET[True]:g}), each figure "
                   f"getting {MIN_TIME[0]:g} to {MIN_TIME[1]:g} s")
    p.add_argument("--sweep", type=int, metavar="N",
                   help="inputs per function in the error sweep (default: shared out, "
                   f"{SWEEP[0]:,} to {SWEEP[1]:,})")
    p.add_argument("--json", metavar="PATH", help="write every figure to PATH as JSON")
    p.add_argument("--plot", metavar="PATH",
                   help="draw time per element against max error to PATH (needs matplotlib)")
    args = p.parse_args(argv)
    if args.size is not None and args.size < 1:
        p.error("--size must be a positive number of elements")
    if args.budget is not None and not args.budget >= 0:
        p.error("--budget must be >= 0 seconds")
    if args.sweep is not None and args.sweep < 1:
        p.error("--sweep must be a positive number of inputs")
    if args.plot:
        from fastact import plot
        try:
            plot.require_matplotlib()
        except ImportError as exc:
            p.error(str(exc))
    t0 = time.perf_counter()
    try:
        r = measure(args)
    except ValueError as exc:           # an unknown activation name
        p.error(str(exc))
    print_report(r)
    seconds = time.perf_counter() - t0
    data = report_json(r, argv, seconds)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1, default=str)
        print(f"\nwrote {args.json}")
    if args.plot:
        from fastact import plot
        plot.speed_accuracy(data, args.plot)
        print(f"wrote {args.plot}")
    print(f"({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
