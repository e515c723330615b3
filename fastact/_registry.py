"""THE table of fastact's activations: each described once.

The public API (fastact/__init__.py), the pure-NumPy fallback, the tests, the
benchmarks and the README tables are driven from ACTIVATIONS. The C side
(csrc/activations.def) lists the same names; the compiled backend refuses to
load if the two disagree.

Error bounds are measured, not guessed: `python -m fastact.verify` reproduces
them (max over a strided sweep of float32 bit patterns, or every float32 with
--exhaustive; float64 over 10^6 samples against mpmath). The test tolerances
are these bounds, so a kernel that gets worse fails its tests.
"""
from dataclasses import dataclass, field

MODES = ("accurate", "fast")
OPS = ("forward", "backward", "fused")


@dataclass(frozen=True)
class Bound:
    """A measured error bound of one op in one mode and dtype.

    ulp: max error in units in the last place of the float result (float32
    ulps for float32, float64 ulps for float64), subnormal results included.
    rel: max relative error where the result is a normal number (None: the ulp
    bound is the contract). why: what the figure is and what limits it.
    """
    ulp: float | None
    rel: float | None
    why: str


@dataclass(frozen=True)
class Activation:
    name: str
    aliases: tuple
    formula: str          # forward, for docstrings and the README
    derivative: str       # f'(x), and how the backward reads it
    backward_from: str    # "output": <name>_backward(grad_output, output)
    torch_name: str       # the torch CPU function the benchmarks compare with
    numpy_expr: str       # the expression a careful NumPy user writes
    # bounds[(op, mode, dtype)]: forward and fused (its gradient) per mode
    bounds: dict = field(default_factory=dict)
    # points worth probing: kinks, saturation, subnormal transitions
    probes: tuple = ()


_SIGMOID_BOUNDS = {
    ("forward", "accurate", "float32"): Bound(
        1.0, None,
        "0.96 ulp measured on every ISA (strided sweep of 2^25 float32 patterns); the "
        "result is within 0.5 ulp plus the exp polynomial (0.08 ulp) and the pair "
        "arithmetic; subnormal results exact to one rounding"),
    ("forward", "fast", "float32"): Bound(
        None, 1e-6,
        "3.1e-7 relative measured where the result is normal; results below 2^-126 "
        "(x < -87.3) flush to 0, like numpy, scipy and torch"),
    ("fused", "accurate", "float32"): Bound(
        2.0, None, "grad * sigmoid'(x) from e = exp(-|x|): y * (1 - y) computed as two "
        "near-correctly-rounded quotients and two products"),
    ("fused", "fast", "float32"): Bound(None, 2e-6, "two fast quotients and two products"),
    ("forward", "accurate", "float64"): Bound(
        1.0, None, "float64 ulps against mpmath, 10^6 samples: same algorithm, Taylor "
        "degree 13 exp"),
    ("forward", "fast", "float64"): Bound(
        None, 1e-12, "degree 10 exp; subnormal results flush to 0"),
    ("fused", "accurate", "float64"): Bound(2.0, None, "as float32"),
    ("fused", "fast", "float64"): Bound(None, 2e-12, "as forward"),
}

_TANH_BOUNDS = {
    ("forward", "accurate", "float32"): Bound(
        1.0, None,
        "0.87 ulp measured on every ISA: odd polynomial below 0.5625, 1 - 2 e2/(1+e2) "
        "above, near-correctly-rounded quotient"),
    ("forward", "fast", "float32"): Bound(
        None, 1e-6, "4.3e-7 relative measured: degree 4/4 rational in x^2, no exp"),
    ("fused", "accurate", "float32"): Bound(
        2.0, None, "1 - y^2 below 0.5625, 4 a b (a = e2/(1+e2), b = 1/(1+e2)) above: full "
        "relative accuracy in the tails"),
    ("fused", "fast", "float32"): Bound(
        None, None, "gradient 1 - y^2 from the fast y: absolute error about 1e-7, "
        "relative accuracy lost where |y| is near 1"),
    ("forward", "accurate", "float64"): Bound(1.0, None, "Cephes rational below 0.625"),
    ("forward", "fast", "float64"): Bound(
        None, 1e-6, "the float32 rational evaluated in float64"),
    ("fused", "accurate", "float64"): Bound(2.0, None, "as float32"),
    ("fused", "fast", "float64"): Bound(None, None, "as float32"),
}

ACTIVATIONS = {
    a.name: a
    for a in (
        Activation(
            name="sigmoid",
            aliases=("expit",),
            formula="sigmoid(x) = 1 / (1 + exp(-x))",
            derivative="sigmoid'(x) = y * (1 - y); sigmoid_backward(grad_output, output) "
                       "computes (grad_output * (1 - output)) * output",
            backward_from="output",
            torch_name="sigmoid",
            numpy_expr="1 / (1 + np.exp(-x))",
            bounds=_SIGMOID_BOUNDS,
            probes=(0.0, 17.33, 18.0, 36.7, -87.33, -88.72, -103.28, -104.0, -745.13),
        ),
        Activation(
            name="tanh",
            aliases=(),
            formula="tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))",
            derivative="tanh'(x) = 1 - y**2; tanh_backward(grad_output, output) computes "
                       "grad_output * (1 - output * output)",
            backward_from="output",
            torch_name="tanh",
            numpy_expr="np.tanh(x)",
            bounds=_TANH_BOUNDS,
            probes=(0.0, 2.0**-12, 0.5625, 0.625, 9.01, 9.125, 19.06, 52.0),
        ),
    )
}


def bound(name, op, mode, dtype):
    return ACTIVATIONS[name].bounds[(op, mode, str(dtype))]
