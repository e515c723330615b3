"""Check fastact's accuracy against its registry bounds.

    python -m fastact.verify [--exhaustive] [--isa NAME|all] [--functions NAME ...]

For each activation, op (the forward, and the gradient of the fused
forward+backward with grad_output = 1) and mode:

* float32: a sweep of 2^24 bit patterns spread evenly over all 2^32 (every
  binade, both signs, subnormals, infinities, NaNs) plus the registry's probe
  points, against a float64 reference; --exhaustive takes all 2^32 inputs, in
  chunks spread over the cores.
* float64: 10^6 samples (strided bit patterns, log-uniform and uniform
  magnitudes, the probes) against an np.longdouble reference, and 10^4 of them
  against mpmath when it is installed.

Each row gives the max error in ulps of the result type (subnormal results
included), the max absolute error, the max relative error where the exact
result is a normal number, the input where the bounding figure is worst, the
registry bound, and whether the measurement is within it. The fused op's y must
also be bit-identical to the forward of the same mode. The exit status is 1 if
any bound is exceeded, 0 otherwise.
"""
import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import fastact
from fastact import _measure as M
from fastact._registry import MODES

CHECKED_OPS = ("forward", "fused")


def _api(act, op, mode):
    """fastact's op of act with its parameters at the measured values."""
    return M.fastact_op(act, op, mode)


ROW = 1024   # softmax and log_softmax are measured along rows of this length


def _pieces(act, x):
    """x as the arrays act is measured on: x itself for an element-wise one;
    for the axis ones, rows of ROW elements and a last shorter row (each row's
    result depends on the row only, so a NaN or inf in x spoils one row)."""
    if M.act_kind(act) != "axis":
        return [x]
    k = len(x) // ROW * ROW
    return [p for p in (x[:k].reshape(-1, ROW), x[k:][None, :]) if p.size]


def _measure_chunk(acts, ops, modes, x, wide, dtype):
    """Errors of every (activation, op, mode) on the inputs x, as a dict
    (name, op, mode) -> ErrorStats, and the count of fused y that differ
    from the forward's, keyed (name, "y", mode)."""
    out = {}
    with np.errstate(all="ignore"):
        for act in acts:
            for xp in _pieces(act, x):
                part = {}
                xw = xp.astype(wide)
                ones = np.ones_like(xp)
                fwd_ref = M.forward_reference(act, xw)
                der_ref = M.derivative_reference(act, xw) if "fused" in ops else None
                for mode in modes:
                    y = _api(act, "forward", mode)(xp)
                    if "forward" in ops:
                        part[(act.name, "forward", mode)] = M.ErrorStats(dtype).add(xp, y, fwd_ref)
                    if "fused" in ops and der_ref is not None:
                        yf, gx = _api(act, "fused", mode)(xp, ones)
                        part[(act.name, "fused", mode)] = M.ErrorStats(dtype).add(xp, gx, der_ref)
                        bits = np.dtype(f"u{xp.itemsize}")
                        part[(act.name, "y", mode)] = int(np.count_nonzero(
                            yf.view(bits) != y.view(bits)))
                _merge(out, part)
    return out


def _merge(total, part):
    for key, value in part.items():
        if key[1] == "y":
            total[key] = total.get(key, 0) + value
        elif key in total:
            total[key].merge(value)
        else:
            total[key] = value


def check_float32(acts, ops, modes, count, workers, chunk=1 << 17, progress=None):
    """The float32 sweep (count patterns; 2^32 is every float32) plus the probes."""
    count = min(int(count), 1 << 32)
    total = {}
    tasks = [(s, min(s + chunk, count)) for s in range(0, count, chunk)]
    if progress is not None:
        progress.total = len(tasks)

    def task(span):
        x = M.float_sweep_chunk(np.float32, count, *span)
        return _measure_chunk(acts, ops, modes, x, np.float64, "float32")

    def collect(future):
        _merge(total, future.result())
        if progress is not None:
            progress.step(f"float32 sweep: {len(tasks):,} chunks of {chunk:,} inputs")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        # a window of 2 tasks per worker in flight, so memory stays bounded
        pending = []
        for span in tasks:
            pending.append(pool.submit(task, span))
            if len(pending) >= 2 * workers:
                collect(pending.pop(0))
        for future in pending:
            collect(future)
    if count < 1 << 32:
        for act in acts:
            _merge(total, _measure_chunk([act], ops, modes, M.probe_points(act, np.float32),
                                         np.float64, "float32"))
    return total


def _mpmath_note(args, rmp):
    """What the report's header says of the mpmath rows (rmp None: mpmath missing)."""
    if rmp:
        return f", {args.mpmath_count:,} vs mpmath"
    if not args.mpmath_count:
        return ""
    if rmp is None:
        return " (mpmath not installed)"
    return " (no mpmath reference for these functions)"


def check_float64(acts, ops, modes, count, mp_count):
    """float64 samples against np.longdouble, and mp_count of them against mpmath
    (None in place of those rows where mpmath is not installed)."""
    x = M.float64_samples(count)
    total = {}
    for act in acts:
        xa = np.concatenate([x, M.probe_points(act, np.float64)])
        _merge(total, _measure_chunk([act], ops, modes, xa, np.longdouble, "float64"))
    mp_total = {}
    if mp_count:
        try:
            import mpmath
        except ImportError:
            return total, None
        # finite |x| <= 2^10: every result that is not saturated (mpmath's
        # exp of a huge argument costs milliseconds)
        moderate = x[np.abs(x) <= 1024.0]
        mp_x = moderate[:: max(1, len(moderate) // mp_count)][:mp_count]
        mp_total = _check_mpmath(mpmath, acts, ops, modes, mp_x)
    return total, mp_total


def _check_mpmath(mp, acts, ops, modes, x):
    with mp.workprec(160):
        return _check_mpmath_at(mp, acts, ops, modes, x)


def _check_mpmath_at(mp, acts, ops, modes, x):
    out = {}
    ones = np.ones_like(x)
    for act in acts:
        ref = M.REFERENCES.get(act.name)
        if ref is None or ref.mp_forward is None:
            continue

        def exact(f):
            return M.mp_exact(mp, f, x)

        with np.errstate(all="ignore"):      # results below long double's range
            fwd = exact(ref.mp_forward)
            der = exact(ref.mp_derivative) if "fused" in ops and ref.mp_derivative else None
            for mode in modes:
                if "forward" in ops:
                    y = _api(act, "forward", mode)(x)
                    out[(act.name, "forward", mode)] = M.ErrorStats("float64").add(x, y, fwd)
                if der is not None:
                    _, gx = _api(act, "fused", mode)(x, ones)
                    out[(act.name, "fused", mode)] = M.ErrorStats("float64").add(x, gx, der)
    return out


# --------------------------------------------------------------------------

def _row(act, op, mode, dtype, label, stats, ymismatch):
    bound = act.bounds.get((op, mode, dtype))
    ok = stats.within(bound)
    if op == "fused" and ymismatch:
        ok = False
    if bound is not None and bound.ulp is None and bound.rel is not None:
        worst = stats.worst_rel
    elif bound is not None and bound.ulp is None and bound.abs is not None:
        worst = stats.worst_abs
    else:
        worst = stats.worst_ulp
    fig = []
    if bound is not None and bound.ulp is not None:
        fig.append(f"{bound.ulp:g} ulp")
    if bound is not None and bound.rel is not None:
        fig.append(f"rel {bound.rel:g}")
    if bound is not None and bound.abs is not None:
        fig.append(f"abs {bound.abs:g}")
    return {
        "function": act.name, "op": "forward" if op == "forward" else "fused grad",
        "mode": mode, "dtype": dtype, "reference": label, "count": stats.count,
        "max_ulp": stats.max_ulp, "max_abs": stats.max_abs, "max_rel": stats.max_rel,
        "worst": worst, "bound": " ".join(fig) or "none stated",
        "within": ok, "nan_mismatches": stats.mismatched_nan,
        "fused_y_differs": ymismatch if op == "fused" else None,
        "stats": stats.as_dict(),
    }


def print_rows(rows, file=sys.stdout):
    head = (f"{'function':<9} {'op':<10} {'mode':<8} {'dtype':<7} {'reference':<10} "
            f"{'max ulp':>9} {'max abs':>9} {'max rel':>9}  {'bound':<13} {'ok':<4} worst input")
    print(head, file=file)
    print("-" * len(head), file=file)
    for r in rows:
        ok = {True: "yes", False: "NO", None: "-"}[r["within"]]
        w = r["worst"]
        worst = "" if w is None else (f"x={M.fmt_value(w[0], r['dtype'])} -> "
                                      f"{M.fmt_value(w[1], r['dtype'])} "
                                      f"(exact {M.fmt_value(w[2], r['dtype'])})")
        extra = []
        if r["nan_mismatches"]:
            extra.append(f"{r['nan_mismatches']} NaN mismatches")
        if r["fused_y_differs"]:
            extra.append(f"fused y differs from forward at {r['fused_y_differs']} inputs")
        print(f"{r['function']:<9} {r['op']:<10} {r['mode']:<8} {r['dtype']:<7} "
              f"{r['reference']:<10} {r['max_ulp']:>9.4g} {r['max_abs']:>9.3g} "
              f"{r['max_rel']:>9.3g}  {r['bound']:<13} {ok:<4} {worst}"
              + ("  [" + "; ".join(extra) + "]" if extra else ""), file=file)


def run(args):
    acts = M.activations(M.split_names(args.functions))
    ops = tuple(M.split_names(args.ops)) or CHECKED_OPS
    modes = tuple(M.split_names(args.modes)) or MODES
    for op in ops:
        if op not in CHECKED_OPS:
            raise SystemExit(f"--ops: {op!r} is not one of {', '.join(CHECKED_OPS)}")
    for mode in modes:
        if mode not in MODES:
            raise SystemExit(f"--modes: {mode!r} is not one of {', '.join(MODES)}")
    if fastact.backend != "compiled":
        if args.isa:
            raise SystemExit("--isa: the compiled extension is not loaded "
                             f"(backend {fastact.backend})")
        isas = [None]
    else:
        from fastact import _ufuncs
        if args.isa == "all":
            isas = [i for i in _ufuncs.ISAS if _ufuncs.isa_supported(i)]
        elif args.isa:
            if args.isa not in _ufuncs.ISAS or not _ufuncs.isa_supported(args.isa):
                raise SystemExit(f"--isa: {args.isa!r} is not supported here; choose from "
                                 f"{', '.join(i for i in _ufuncs.ISAS if _ufuncs.isa_supported(i))}"
                                 " or all")
            isas = [args.isa]
        else:
            isas = [_ufuncs.get_isa()]
    M.keep_freed_memory()
    count32 = 1 << 32 if args.exhaustive else args.float32_count
    workers = args.workers or os.cpu_count() or 1
    for act in acts:
        if act.name not in M.REFERENCES and "fused" in ops:
            print(f"note: {act.name} has no derivative reference in fastact/_measure.py; "
                  "its gradient is not checked", file=sys.stderr)

    report = {"config": fastact.config(), "versions": M.versions(),
              "float32_inputs": count32, "float64_samples": args.float64_count,
              "mpmath_samples": args.mpmath_count, "runs": []}
    failed = False
    for isa in isas:
        if isa is not None:
            from fastact import _ufuncs
            saved = _ufuncs.get_isa()
            _ufuncs.set_isa(isa)
        try:
            t0 = time.perf_counter()
            progress = M.Progress(1, every=30.0)
            r32 = check_float32(acts, ops, modes, count32, workers, progress=progress)
            progress.close()
            t32 = time.perf_counter() - t0
            r64, rmp = check_float64(acts, ops, modes, args.float64_count, args.mpmath_count)
            t64 = time.perf_counter() - t0 - t32
        finally:
            if isa is not None:
                _ufuncs.set_isa(saved)
        rows = []
        for act in acts:
            for op in ops:
                for mode in modes:
                    ym = r32.get((act.name, "y", mode), 0) + r64.get((act.name, "y", mode), 0)
                    for dtype, label, res in (("float32", "float64", r32),
                                              ("float64", "longdouble", r64),
                                              ("float64", "mpmath", rmp or {})):
                        if (act.name, op, mode) in res:
                            rows.append(_row(act, op, mode, dtype, label,
                                             res[(act.name, op, mode)], ym))
        what = "all 2^32" if count32 == 1 << 32 else f"{count32:,} strided"
        print(f"fastact {fastact.__version__} verify: SIMD path {isa or fastact.backend}; "
              f"float32: {what} bit patterns vs float64 ({t32:.1f} s); float64: "
              f"{args.float64_count:,} samples vs long double"
              + _mpmath_note(args, rmp)
              + f" ({t64:.1f} s); fused op with grad_output = 1")
        print_rows(rows)
        bad = [r for r in rows if r["within"] is False]
        if bad:
            failed = True
            print(f"{len(bad)} row(s) exceed the registry bound", flush=True)
        else:
            print("all within the registry bounds", flush=True)
        print()
        report["runs"].append({"isa": isa, "seconds_float32": t32, "seconds_float64": t64,
                               "rows": [{k: v for k, v in r.items() if k != "worst"}
                                        for r in rows]})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1, default=str)
    return 1 if failed else 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m fastact.verify", description=__doc__.split("\n")[0])
    p.add_argument("--exhaustive", action="store_true",
                   help="every float32 input (2^32), in chunks over all cores")
    p.add_argument("--isa", help="SIMD path to check (default: the active one), or 'all'")
    p.add_argument("--functions", nargs="+", metavar="NAME", help="activations (default: all)")
    p.add_argument("--ops", nargs="+", help="forward and/or fused (default: both)")
    p.add_argument("--modes", nargs="+", help="accurate and/or fast (default: both)")
    p.add_argument("--float32-count", type=int, default=1 << 24,
                   help="float32 bit patterns in the strided sweep (default 2^24)")
    p.add_argument("--float64-count", type=int, default=10 ** 6,
                   help="float64 samples against long double (default 10^6)")
    p.add_argument("--mpmath-count", type=int, default=10 ** 4,
                   help="of those, how many also against mpmath (default 10^4; 0: none)")
    p.add_argument("--workers", type=int, help="threads for the float32 sweep (default: cores)")
    p.add_argument("--json", metavar="PATH", help="write every figure to PATH as JSON")
    args = p.parse_args(argv)
    try:
        return run(args)
    except ValueError as exc:           # an unknown activation name
        p.error(str(exc))


if __name__ == "__main__":
    sys.exit(main())
