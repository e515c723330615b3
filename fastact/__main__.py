"""python -m fastact: what fastact does on this machine, in well under a minute.

Prints the machine (CPU, active and supported SIMD paths, threads), then for
every activation in the registry: the time per element of fastact in each mode
and of its peers (the registry's NumPy expression; scipy.special and torch when
installed) on one array, the speed-ups, and the max error of each against a
wider reference on a sweep of bit patterns spread over every binade.
bench/bench.py is the full comparison (sizes, dtypes, ISAs, backward, fused).
"""
import argparse
import json
import os
import sys
import time

import numpy as np

import fastact
from fastact import _measure as M
from fastact._registry import MODES


def forward_impls(act, peers, x, y):
    """label -> f() computing the forward of `act` on x (into y where the
    implementation takes out=), for fastact's modes and the peers present."""
    impls = {}
    api = getattr(fastact, act.name)
    for mode in MODES:
        impls[mode] = lambda mode=mode: api(x, out=y, mode=mode)
    expr = M.numpy_expr(act)
    impls["numpy"] = lambda: expr(x)
    sp = M.scipy_function(peers["scipy"], act)
    if sp is not None:
        impls["scipy"] = lambda: sp(x, out=y)
    tfwd, _ = M.torch_functions(peers["torch"], act)
    if tfwd is not None:
        torch = peers["torch"]
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        impls["torch"] = lambda: tfwd(xt, out=yt)
    return impls


def result_functions(act, peers):
    """label -> f(x) returning the forward of `act` as an array of x's dtype,
    for fastact's modes and the peers present (the accuracy sweep's callers)."""
    api = getattr(fastact, act.name)
    funcs = {mode: lambda x, mode=mode: api(x, mode=mode) for mode in MODES}
    expr = M.numpy_expr(act)
    funcs["numpy"] = lambda x: np.asarray(expr(x), dtype=x.dtype)
    sp = M.scipy_function(peers["scipy"], act)
    if sp is not None:
        funcs["scipy"] = sp
    tfwd, _ = M.torch_functions(peers["torch"], act)
    if tfwd is not None:
        torch = peers["torch"]
        funcs["torch"] = lambda x: tfwd(torch.from_numpy(x)).numpy()
    return funcs


def label(act, impl, peers):
    if impl in MODES:
        return f"fastact {impl}"
    if impl == "numpy":
        return act.numpy_expr
    if impl == "scipy":
        return f"scipy.special.{M.scipy_function(peers['scipy'], act).__name__}"
    return f"torch.{act.torch_name}"


def run(args):
    M.single_thread()
    M.keep_freed_memory()
    dtype = np.dtype(args.dtype)
    acts = M.activations(M.split_names(args.functions))
    size = args.size or 1 << 20
    sweep = 1 << 20 if args.quick else 1 << 22
    min_time = 0.05 if args.quick else 0.2
    peers, notes = M.load_peers()
    info = M.machine_info(peers)
    for line in M.machine_lines(info):
        print(line)
    for note in notes:
        print(f"note: {note}")
    print(flush=True)

    x, _ = M.timing_inputs(size, dtype)
    y = np.empty_like(x)
    impl_sets = {a.name: list(forward_impls(a, peers, x, y)) for a in acts}
    steps = sum(2 * len(v) for v in impl_sets.values()) + 1
    progress = M.Progress(steps, every=5.0)

    # speed
    times = {}
    progress.show("timing np.copyto")
    copy_t = M.time_call(lambda: np.copyto(y, x), min_time=min_time).ns_per(size)
    progress.step("timing np.copyto")
    with np.errstate(all="ignore"):
        for act in acts:
            for impl, fn in forward_impls(act, peers, x, y).items():
                progress.show(f"timing {act.name} {impl}")
                times[(act.name, impl)] = M.time_call(fn, min_time=min_time).ns_per(size)
                progress.step(f"timing {act.name} {impl}")

    # accuracy
    errors = {}
    wide = M.wide_dtype(dtype)
    for act in acts:
        funcs = result_functions(act, peers)
        stats = {impl: M.ErrorStats(dtype.name) for impl in funcs}
        progress.show(f"errors of {act.name}")
        with np.errstate(all="ignore"):
            for xs in M.float_sweep(dtype, sweep, chunk=1 << 16):
                ref = M.forward_reference(act, xs.astype(wide))
                for impl, f in funcs.items():
                    stats[impl].add(xs, f(xs), ref)
        progress.step(f"errors of {act.name}", n=len(funcs))
        errors.update({(act.name, impl): s for impl, s in stats.items()})
    progress.close()

    report_speed(acts, impl_sets, times, copy_t, size, dtype)
    report_errors(acts, impl_sets, errors, peers, sweep, dtype, wide)

    if args.json:
        out = {"machine": info, "size": size, "dtype": dtype.name,
               "copyto_ns_per_element": copy_t, "activations": {}}
        for act in acts:
            out["activations"][act.name] = {
                impl: {"label": label(act, impl, peers),
                       "ns_per_element": times[(act.name, impl)],
                       "errors": errors[(act.name, impl)].as_dict()}
                for impl in impl_sets[act.name]}
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1, default=str)
        print(f"\nwrote {args.json}")
    return 0


def report_speed(acts, impl_sets, times, copy_t, size, dtype):
    peers_seen = [p for p in ("numpy", "scipy", "torch")
                  if any(p in impl_sets[a.name] for a in acts)]
    print(f"Speed: {size:,} {dtype.name} elements, ns per element (median), one thread; "
          f"np.copyto of the same array: {copy_t:.3f}")
    head = f"{'function':<10}" + "".join(f"{m:>10}" for m in MODES)
    head += "".join(f"{p:>10}" for p in peers_seen)
    head += "   " + "".join(f"{p + ' / fastact':>17}" for p in peers_seen)
    print(head)
    sub = " " * (10 + 10 * (len(MODES) + len(peers_seen)) + 3)
    sub += "".join(f"{'/'.join(m[:4] for m in MODES):>17}" for _ in peers_seen)
    print(sub)
    for act in acts:
        row = f"{act.name:<10}"
        for impl in list(MODES) + peers_seen:
            t = times.get((act.name, impl))
            row += f"{t:>10.3f}" if t is not None else f"{'-':>10}"
        row += "   "
        for p in peers_seen:
            t = times.get((act.name, p))
            if t is None:
                row += f"{'-':>17}"
                continue
            row += f"{'  '.join(f'{t / times[(act.name, m)]:.2f}x' for m in MODES):>17}"
        print(row)
    print()


def report_errors(acts, impl_sets, errors, peers, sweep, dtype, wide):
    print(f"Max error: {sweep:,} {dtype.name} bit patterns spread over every binade "
          f"(both signs, subnormals, inf, NaN), against {M.wide_name(wide)}")
    print(f"{'function':<10}{'implementation':<26}{'max ulp':>11}{'(normal)':>10}"
          f"{'max abs':>11}   worst input (ulp)")
    for act in acts:
        for impl in impl_sets[act.name]:
            s = errors[(act.name, impl)]
            w = s.worst_ulp
            worst = "" if w is None else (f"x={M.fmt_value(w[0], dtype)} -> "
                                          f"{M.fmt_value(w[1], dtype)} "
                                          f"(exact {M.fmt_value(w[2], dtype)})")
            nan = f"  [{s.mismatched_nan} NaN mismatches]" if s.mismatched_nan else ""
            print(f"{act.name:<10}{label(act, impl, peers):<26}{s.max_ulp:>11.4g}"
                  f"{s.max_ulp_normal:>10.4g}{s.max_abs:>11.3g}   {worst}{nan}")
    print("ulp: units in the last place of the result; '(normal)' leaves out inputs whose "
          "exact result is below the smallest normal number, where flushing to 0 costs "
          f"up to 2^{np.finfo(dtype).nmant} ulps.")


def main(argv=None):
    run_as = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    prog = "python -m fastact" if run_as in ("", "__main__.py", "-c") else run_as
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="shorter timings and a "
                   "2^20-point error sweep")
    p.add_argument("--size", type=int, help="elements per array (default 1,048,576)")
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--functions", nargs="+", metavar="NAME", help="activations (default: all)")
    p.add_argument("--json", metavar="PATH", help="write every figure to PATH as JSON")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    try:
        status = run(args)
    except ValueError as exc:           # an unknown activation name
        p.error(str(exc))
    print(f"({time.perf_counter() - t0:.1f} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
