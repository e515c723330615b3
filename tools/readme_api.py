"""Writes README.md's table of activations from the registry (fastact/_registry.py).

    python tools/readme_api.py          # rewrite the table in README.md
    python tools/readme_api.py --check  # exit 1 if README.md's table is stale

The table sits between the markers <!-- api-table --> and <!-- /api-table -->;
tests/test_readme.py runs the check, so adding an activation to the registry
without regenerating the README fails the tests.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from fastact._registry import ACTIVATIONS, MODES, PUBLIC  # noqa: E402

README = os.path.join(HERE, "..", "README.md")
BEGIN, END = "<!-- api-table -->", "<!-- /api-table -->"


def _md(text):
    return text.replace("|", "\\|")


def _params(act):
    ps = []
    for p in act.params:
        ps.append(p.name if p.default is None else f"{p.name}={p.default!r}")
    variants = [a for a in ACTIVATIONS.values() if a.variant_of and a.variant_of[0] == act.name]
    if variants:
        ps.append(f"{variants[0].variant_of[1]}={act.default_option!r}")
    if act.kind == "axis":
        ps.insert(0, "axis=-1")
    return ", ".join(ps)


def table():
    rows = ["| activation | parameters | computes | derivative | backward reads | modes |",
            "|---|---|---|---|---|---|"]
    for name in PUBLIC:
        act = ACTIVATIONS[name]
        label = f"`{name}`" + "".join(f" (`{a}`)" for a in act.aliases)
        modes = "accurate, fast" if act.modes == MODES else "exact"
        derivative = act.derivative.split(";")[0]
        if act.kinks:
            derivative += f"; {act.kinks}"
        rows.append(f"| {label} | {_params(act) or '-'} | {_md(act.formula)} | "
                    f"{_md(derivative)} | {act.backward_from} | {modes} |")
    return "\n".join(rows)


def spliced(text):
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    with open(README) as f:
        text = f.read()
    new = spliced(text)
    if "--check" in argv:
        if new != text:
            print("README.md's activation table is stale: run python tools/readme_api.py",
                  file=sys.stderr)
            return 1
        return 0
    with open(README, "w") as f:
        f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
