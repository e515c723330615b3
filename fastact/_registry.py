"""THE table of fastact's activations: each described once.

The public API (fastact/__init__.py), the pure-NumPy fallback, the tests, the
benchmarks and the README tables are driven from ACTIVATIONS. The C side
(csrc/activations.def) lists the same names; the compiled backend refuses to
load if the two disagree.

Error bounds are measured, not guessed: `python -m fastact.verify` reproduces
them (max over a strided sweep of float32 bit patterns, or every float32 with
--exhaustive; float64 over 10^6 samples against long double, 10^4 of them
also against mpmath). The test tolerances are these bounds, so a kernel that
gets worse fails its tests.
"""
from dataclasses import dataclass, field

MODES = ("accurate", "fast")
OPS = ("forward", "backward", "fused")
EXACT = ("accurate",)  # the modes of an exact activation: "fast" computes the same


@dataclass(frozen=True)
class Param:
    """A parameter of an activation, with torch.nn.functional's name and default
    (None: required). It reaches the ufunc as an extra input after the data, so
    a Python scalar or any array that broadcasts against x works."""
    name: str
    default: float | None
    doc: str


@dataclass(frozen=True)
class Bound:
    """A measured error bound of one op in one mode and dtype.

    ulp: max error in units in the last place of the float result (float32
    ulps for float32, float64 ulps for float64), subnormal results included.
    rel: max relative error where the result is a normal number.
    abs: max absolute error (for approximations whose relative error is
    unbounded, e.g. a derivative computed as 1 - y**2 near saturation).
    A None is no claim. why: what was measured, and what limits it.
    """
    ulp: float | None
    rel: float | None
    why: str
    abs: float | None = None


@dataclass(frozen=True)
class Activation:
    name: str
    aliases: tuple
    formula: str          # forward, for docstrings and the README
    derivative: str       # f'(x), and how the backward reads it
    backward_from: str    # "output": <name>_backward(grad_output, output); "input": (.., x)
    torch_name: str       # torch.nn.functional's function (torch.<name> for sigmoid, tanh)
    numpy_expr: str       # the expression a careful NumPy user writes
    # bounds[(op, mode, dtype)]: forward and fused (its gradient) per mode
    bounds: dict = field(default_factory=dict)
    # points worth probing: kinks, saturation, subnormal transitions
    probes: tuple = ()
    params: tuple = ()    # Param, in torch's order
    modes: tuple = MODES  # EXACT for activations with nothing to approximate
    kind: str = "elementwise"  # or "axis": along one axis (softmax), not a ufunc
    # (public name, option, value) for a row reached through an option of a
    # public function: gelu's approximate="tanh" is the row gelu_tanh
    variant_of: tuple | None = None
    default_option: str = ""  # the option value this (public) row itself computes
    # the derivative's values at the kinks, for the docs: "relu'(0) = 0 (torch)"
    kinks: str = ""


# Measured on an AMD EPYC (Zen 4) with `python -m fastact.verify` (float32: strided
# sweep of bit patterns; float64: samples against long double) on every ISA.
# The bound is the contract the tests enforce; the figure in `why` is the worst
# measured over all ISAs.
_SIGMOID_BOUNDS = {
    ("forward", "accurate", "float32"): Bound(
        1.0, None,
        "0.96 ulp measured (all ISAs): e = exp(-|x|) kept as a pair (degree-6 polynomial, "
        "0.08 ulp), y = 1/(1+e) or e/(1+e) by a residual-corrected quotient; subnormal "
        "results (x < -87.3) rounded once, not flushed"),
    ("forward", "fast", "float32"): Bound(
        None, 1e-6,
        "3.3e-7 relative measured where the result is normal: degree-5 exp, reciprocal "
        "estimate + one Newton step; results below 2^-126 (x < -87.3) flush to 0, as "
        "numpy, scipy and torch do"),
    ("fused", "accurate", "float32"): Bound(
        2.0, None, "0.95 ulp measured for the derivative (grad_output = 1): e/(1+e)^2 as one "
        "corrected quotient by the squared pair, full relative accuracy in both tails; "
        "times grad_output adds one rounding. Where the derivative is subnormal (|x| > "
        "87.3) it is rounded to the subnormal grid before that product"),
    ("fused", "fast", "float32"): Bound(
        None, 2e-6, "3.8e-7 relative measured (normal results)"),
    ("forward", "accurate", "float64"): Bound(
        1.0, None, "0.97 ulp measured against long double (10^6 samples, all ISAs): same "
        "algorithm, Taylor degree-13 exp"),
    ("forward", "fast", "float64"): Bound(
        None, 1e-12, "3.0e-13 relative measured: degree-10 exp; subnormal results flush "
        "to 0"),
    ("fused", "accurate", "float64"): Bound(2.0, None, "0.97 ulp measured (grad_output = 1)"),
    ("fused", "fast", "float64"): Bound(None, 1e-12, "3.0e-13 relative measured"),
}

_TANH_BOUNDS = {
    ("forward", "accurate", "float32"): Bound(
        1.0, None,
        "0.83 ulp measured on AVX-512 and 0.99 on the scalar path (32 interval "
        "polynomials held in registers, no FMA on x86's scalar path); 0.87 on SSE2/AVX2 "
        "(odd polynomial below 0.5625, 1 - 2 e2/(1+e2) above)"),
    ("forward", "fast", "float32"): Bound(
        None, 1e-6, "4.3e-7 relative measured: degree 4/4 rational in x^2, no exp"),
    ("fused", "accurate", "float32"): Bound(
        2.0, None, "1.33 ulp measured (grad_output = 1): 1 - y^2 below 0.5625, 4 e2/(1+e2)^2 "
        "above as one corrected quotient, so the tail keeps full relative accuracy down "
        "to the subnormals; times grad_output adds one rounding"),
    ("fused", "fast", "float32"): Bound(
        None, None, "gradient 1 - y^2 from the fast y: 7.9e-7 absolute measured (twice "
        "the forward's error); relative accuracy is lost where |y| is near 1", abs=1e-6),
    ("forward", "accurate", "float64"): Bound(
        1.0, None, "0.85 ulp measured: the Cephes rational below 0.625, the exp path above"),
    ("forward", "fast", "float64"): Bound(
        None, 1e-6, "6.0e-8 relative measured: the float32 rational evaluated in float64"),
    ("fused", "accurate", "float64"): Bound(2.0, None, "1.43 ulp measured (grad_output = 1)"),
    ("fused", "fast", "float64"): Bound(
        None, None, "gradient 1 - y^2 from the fast y: 1.2e-7 absolute measured", abs=2e-7),
}

# Exact activations: each result is x, a product with x or a constant, rounded
# once; the gradient is g times a parameter or a constant, rounded once.
_EXACT_BOUNDS = {
    (op, mode, dt): Bound(0.5, None, "exact: one rounding of a product, or none")
    for op in ("forward", "fused") for mode in MODES for dt in ("float32", "float64")
}


def _gated_bounds(figs):
    """Bounds of a gated activation from {(op, mode, dtype): (ulp, rel, abs, why)}."""
    return {k: Bound(u, r, w, abs=a) for k, (u, r, a, w) in figs.items()}


_SILU_BOUNDS = _gated_bounds({
    ("forward", "accurate", "float32"): (1.5, None, None,
        "1.04 ulp measured (every 256th float32 bit pattern, scalar/SSE2/AVX2; the AVX-512 "
        "path was not runnable on the measuring machine): x e / (1 + e), e = exp(-|x|) as a "
        "pair with its exponent raised by 2^40, the exact product and one corrected "
        "quotient; subnormal results (x < -87.3) rounded once"),
    ("forward", "fast", "float32"): (None, 1e-6, None,
        "3.3e-7 relative measured (4.4 ulp): degree-5 exp, reciprocal estimate + Newton, "
        "two products"),
    ("fused", "accurate", "float32"): (1.5, None, None,
        "1.05 ulp measured (grad_output = 1): N / (1 + e)^2 with N = (1 + e) + x e or "
        "e (1 + x + e) as pairs, and near the zero of silu' (x0 = -1.27846) 1 + x + e "
        "from x - x0, so the gradient keeps relative accuracy there too"),
    ("fused", "fast", "float32"): (None, None, 1e-6,
        "2.7e-7 absolute measured: s (1 + x (1 - s)) from the fast sigmoid; relative "
        "accuracy is lost next to the zero of silu' at x = -1.27846"),
    ("forward", "accurate", "float64"): (1.5, None, None,
        "1.01 ulp measured (10^5 samples against long double): as float32, Taylor "
        "degree-13 exp"),
    ("forward", "fast", "float64"): (None, 1e-12, None,
        "3.0e-13 relative measured: degree-10 exp"),
    ("fused", "accurate", "float64"): (1.5, None, None, "0.97 ulp measured (grad_output = 1)"),
    ("fused", "fast", "float64"): (None, None, 2e-13,
        "6.8e-14 absolute measured; relative accuracy lost next to the zero of silu'"),
})

_GELU_ACC = ("e^(-a^2/2) K(a), a = |x|, K = t P(2t - 1) with t = 1/(1 + a/2) carried as a "
             "pair (math/erf-inl.h, tools/fit_erf.py), e^(-a^2/2) from the exact pair a^2, "
             "products as pairs; 1 - Phi for x >= 0 as a pair")
_GELU_BOUNDS = _gated_bounds({
    ("forward", "accurate", "float32"): (1.5, None, None,
        "1.17 ulp measured (every 4096th float32 bit pattern, scalar/SSE2/AVX2): " + _GELU_ACC +
        "; P's last step kept as a pair, its fit 5.9e-10 relative"),
    ("fused", "accurate", "float32"): (1.5, None, None,
        "0.92 ulp measured (grad_output = 1): E (K - a/sqrt(2 pi)) or 1 - that, the factor "
        "taken from a - a0 near the zero of gelu' (x = -0.75179)"),
    ("forward", "accurate", "float64"): (3.0, None, None,
        "1.72 ulp (AVX2) / 1.85 (no FMA) measured against mpmath (2*10^4 samples; the "
        "fallback, the same algorithm in NumPy, 2.23): the degree-29 P's fit (8.8e-17 "
        "relative) is most of it"),
    ("fused", "accurate", "float64"): (3.0, None, None,
        "1.53 ulp measured (compiled, all ISAs), 2.54 (fallback)"),
})
for _dt in ("float32", "float64"):  # the fast mode is the accurate one for now
    for _op in ("forward", "fused"):
        _GELU_BOUNDS[(_op, "fast", _dt)] = _GELU_BOUNDS[(_op, "accurate", _dt)]

_GELU_TANH_BOUNDS = _gated_bounds({
    ("forward", "accurate", "float32"): (1.5, None, None,
        "0.95 ulp measured (every 4096th float32 bit pattern, scalar/SSE2/AVX2): x sigmoid(z), "
        "z = A x + B x^3 as a pair (A, B as hi + lo, x^2 exact), then silu's algorithm "
        "(e = exp(-|z|) as a pair 2^40 up, one corrected quotient)"),
    ("fused", "accurate", "float32"): (1.5, None, None,
        "0.94 ulp measured (grad_output = 1): N / (1 + e)^2 as pairs; near the zero of the "
        "derivative (x = -0.75246) its factor comes from x - x0"),
    ("forward", "accurate", "float64"): (2.0, None, None,
        "0.76 ulp measured (2*10^4 samples against long double, mpmath for 4 < |x| < 30), "
        "0.51 for the fallback"),
    ("fused", "accurate", "float64"): (2.0, None, None,
        "1.08 ulp measured (compiled), 1.59 (fallback)"),
})
for _dt in ("float32", "float64"):  # the fast mode is the accurate one for now
    for _op in ("forward", "fused"):
        _GELU_TANH_BOUNDS[(_op, "fast", _dt)] = _GELU_TANH_BOUNDS[(_op, "accurate", _dt)]

_MISH_BOUNDS = _gated_bounds({
    ("forward", "accurate", "float32"): (1.5, None, None,
        "1.04 ulp measured (every 4096th float32 bit pattern, scalar/SSE2/AVX2): x N / D "
        "with e = exp(-|x|) as a pair 2^40 up, N = 1 + 2e, D = N + 2e^2 (x >= 0) or "
        "N = e (2 + e), D = 2 + N (x < 0): sums of positive terms, one corrected quotient"),
    ("fused", "accurate", "float32"): (1.5, None, None,
        "0.92 ulp measured (grad_output = 1): M / (D^2 (1 + e)) as pairs; near the zero of "
        "mish' (x = -1.19243) its factor comes from x - x0"),
    ("forward", "accurate", "float64"): (1.5, None, None,
        "0.95 ulp measured (2*10^4 samples against long double), 0.50 for the fallback "
        "(long double arithmetic)"),
    ("fused", "accurate", "float64"): (1.5, None, None,
        "0.93 ulp measured (compiled), 0.85 (fallback)"),
})
for _dt in ("float32", "float64"):  # the fast mode is the accurate one for now
    for _op in ("forward", "fused"):
        _MISH_BOUNDS[(_op, "fast", _dt)] = _MISH_BOUNDS[(_op, "accurate", _dt)]

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
        Activation(
            name="relu",
            aliases=(),
            formula="relu(x) = max(x, 0)",
            derivative="relu'(x) = 1 for x > 0, else 0",
            backward_from="input",
            torch_name="relu",
            numpy_expr="np.maximum(x, 0)",
            bounds=_EXACT_BOUNDS,
            probes=(0.0,),
            modes=EXACT,
            kinks="relu'(0) = 0, as torch; relu(-0.0) = +0.0",
        ),
        Activation(
            name="leaky_relu",
            aliases=(),
            formula="leaky_relu(x) = x for x > 0, else negative_slope * x",
            derivative="leaky_relu'(x) = 1 for x > 0, else negative_slope",
            backward_from="input",
            torch_name="leaky_relu",
            numpy_expr="np.where(x > 0, x, x * 0.01)",
            bounds=_EXACT_BOUNDS,
            probes=(0.0,),
            params=(Param("negative_slope", 0.01, "slope for x <= 0"),),
            modes=EXACT,
            kinks="leaky_relu'(0) = negative_slope, as torch",
        ),
        Activation(
            name="silu",
            aliases=("swish",),
            formula="silu(x) = x * sigmoid(x)",
            derivative="silu'(x) = s * (1 + x * (1 - s)), s = sigmoid(x); silu_backward"
                       "(grad_output, x) computes grad_output * silu'(x) from x",
            backward_from="input",
            torch_name="silu",
            numpy_expr="x * scipy.special.expit(x)",
            bounds=_SILU_BOUNDS,
            probes=(0.0, -1.2784645427610738, 17.33, 24.0, 45.0, -87.33, -103.28, -108.66,
                    -110.0, -745.13, -751.76, -753.0),
            kinks="smooth; silu'(0) = 1/2; at -inf the limits -0 and 0 (torch: NaN from "
                  "-inf * 0)",
        ),
        Activation(
            name="gelu",
            aliases=(),
            formula="gelu(x) = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2)))",
            derivative="gelu'(x) = Phi(x) + x * phi(x), phi the standard normal density; "
                       "gelu_backward(grad_output, x) computes grad_output * gelu'(x) from x",
            backward_from="input",
            torch_name="gelu",
            numpy_expr="x * 0.5 * (1 + scipy.special.erf(x / np.sqrt(2)))",
            bounds=_GELU_BOUNDS,
            probes=(0.0, 0.7517915246935645, 5.0, 13.2, 14.5, 37.5, 39.0),
            default_option="none",
            kinks="smooth; gelu'(0) = 1/2; at -inf the limits -0 and 0 (torch: NaN from "
                  "-inf * 0)",
        ),
        Activation(
            name="gelu_tanh",
            aliases=(),
            formula="gelu_tanh(x) = gelu(x, approximate='tanh') = 0.5 * x * (1 + "
                    "tanh(sqrt(2/pi) * (x + 0.044715 * x**3)))",
            derivative="gelu_tanh'(x) = 0.5 (1 + tanh u) + 0.5 x (1 - tanh(u)**2) sqrt(2/pi) (1 + 3 * 0.044715 "
                       "x**2), u = sqrt(2/pi) (x + 0.044715 x**3) (torch's gelu_backward with "
                       "approximate='tanh'), computed from x",
            backward_from="input",
            torch_name="gelu",
            numpy_expr="0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))",
            bounds=_GELU_TANH_BOUNDS,
            probes=(0.0, 0.7524614220710163, 5.9, 8.0, 10.8, 10.9, 12.0, 21.55, 21.8),
            variant_of=("gelu", "approximate", "tanh"),
            kinks="smooth; derivative 1/2 at 0; at -inf the limits -0 and 0 (torch: NaN from "
                  "-inf * 0)",
        ),
        Activation(
            name="mish",
            aliases=(),
            formula="mish(x) = x * tanh(softplus(x)), softplus(x) = log(1 + exp(x))",
            derivative="mish'(x) = tanh(sp) + x * sigmoid(x) * sech(sp)**2, sp = softplus(x); "
                       "mish_backward(grad_output, x) computes grad_output * mish'(x) from x",
            backward_from="input",
            torch_name="mish",
            numpy_expr="x * np.tanh(np.logaddexp(0, x))",
            bounds=_MISH_BOUNDS,
            probes=(0.0, -1.1924312145154952, 9.0, 13.0, 22.0, -87.33, -103.28, -108.66,
                    -110.0, -745.13, -751.76, -753.0),
            kinks="smooth; mish'(0) = 0.6; at -inf the limits -0 and 0 (torch: NaN from "
                  "-inf * 0)",
        ),
    )
}


# the activations with public functions (gelu_tanh is reached through gelu)
PUBLIC = tuple(n for n, a in ACTIVATIONS.items() if a.variant_of is None)
# the ufunc-backed rows: every one of them is a row of csrc/activations.def
ELEMENTWISE = tuple(n for n, a in ACTIVATIONS.items() if a.kind == "elementwise")
# internal kernels in csrc/activations.def that are not activations
INTERNAL = {}


# public function name of each op: sigmoid, sigmoid_backward, sigmoid_fwd_bwd
API_SUFFIX = {"forward": "", "backward": "_backward", "fused": "_fwd_bwd"}


def ufunc_name(name, op, mode):
    """__name__ of the ufunc behind (activation, op, mode): the public function's
    name, with "_fast" for the fast mode (the backward has one mode)."""
    return name + API_SUFFIX[op] + ("_fast" if mode == "fast" and op != "backward" else "")


def build_ufuncs(make, what):
    """{(name, op, mode): make(name, op, mode, ufunc_name, doc)} for every
    element-wise activation, op and mode: the table each backend serves. The
    backward and exact activations have one mode, so both of their keys hold
    the same object."""
    table = {}
    for name in ELEMENTWISE:
        act = ACTIVATIONS[name]
        for op in OPS:
            for mode in MODES:
                if mode not in act.modes or (op == "backward" and mode != MODES[0]):
                    table[(name, op, mode)] = table[(name, op, MODES[0])]
                    continue
                uname = ufunc_name(name, op, mode)
                doc = f"fastact {uname} {what} ({act.formula}); see fastact.{name}{API_SUFFIX[op]}"
                table[(name, op, mode)] = make(name, op, mode, uname, doc)
    return table


def bound(name, op, mode, dtype):
    return ACTIVATIONS[name].bounds[(op, mode, str(dtype))]
