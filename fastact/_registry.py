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
        "0.98 ulp measured over every float32 (AVX-512 and AVX2; 0.91 on the strided sweep, "
        "all ISAs). On AVX-512 (32-entry lookups and FMA) |x| <= 16 takes v = sigmoid(-|x|) "
        "from a table of degree-7 polynomials on intervals of width 1/2, y = v or 1 - v. "
        "Elsewhere, and beyond 16: for |x| <= 70, E = exp(-x) kept as a pair (degree-6 polynomial), "
        "y = 1/(1 + E) by a residual-corrected reciprocal of the pair 1 + E (for x < 0 the "
        "large E keeps its relative accuracy, so no numerator e and no select); below "
        "x = -70 y = e, carried as 2^40 e and scaled down at the end, so that subnormal "
        "results (x < -87.3) are rounded to the subnormal grid, not flushed, without "
        "subnormal arithmetic (no slowdown)"),
    ("forward", "fast", "float32"): Bound(
        None, 1e-6,
        "3.6e-7 relative measured where the result is normal, over every float32 on SSE2 "
        "(3.3e-7 AVX2): degree-5 exp, reciprocal estimate + one Newton step; results below "
        "2^-126 (x < -87.3) flush to 0, as numpy, scipy and torch do"),
    ("fused", "accurate", "float32"): Bound(
        2.0, None, "1.00 ulp measured for the derivative over every float32 (AVX2; 0.99 "
        "AVX-512; 0.96 on the strided sweep, all ISAs; grad_output = 1). AVX-512, |x| <= "
        "16: v (1 - v) from v = sigmoid(-|x|) of the forward's table kept unrounded (its "
        "polynomial's last rounding error) and 1 - v as an exact pair, rounded once. "
        "Elsewhere: sigmoid(x) "
        "sigmoid(-x) = (1/D)(E/D), both quotients left unrounded as pairs and multiplied "
        "with one rounding (without FMA: (E/D)/D as one corrected quotient), full relative "
        "accuracy in both tails; times grad_output adds one rounding. Beyond |x| = 70 the "
        "gradient is grad_output * e computed as grad_output * 2^40 e and scaled down to "
        "the subnormal grid once"),
    ("fused", "fast", "float32"): Bound(
        None, 2e-6, "3.9e-7 relative measured (normal results, every float32, SSE2; 3.5e-7 "
        "AVX2)"),
    ("forward", "accurate", "float64"): Bound(
        1.0, None, "0.94 ulp measured against long double (10^6 samples, all ISAs): same "
        "algorithm, Taylor degree-13 exp, the pair form for |x| <= 80"),
    ("forward", "fast", "float64"): Bound(
        None, 1e-12, "3.0e-13 relative measured: degree-10 exp; subnormal results flush "
        "to 0"),
    ("fused", "accurate", "float64"): Bound(2.0, None, "0.97 ulp measured (grad_output = 1, "
                                                       "all ISAs)"),
    ("fused", "fast", "float64"): Bound(None, 1e-12, "3.0e-13 relative measured"),
}

_TANH_BOUNDS = {
    ("forward", "accurate", "float32"): Bound(
        1.0, None,
        "0.71 ulp measured on AVX-512, 0.87 on AVX2 and 0.90 on SSE2 over every float32 "
        "input, SSE2's kernel also the scalar path's (no FMA on either): polynomials on intervals of |x| "
        "around points whose tanh is within 2^-10 ulp of a float, their coefficients looked "
        "up (32 intervals; 8 on AVX2)"),
    ("forward", "fast", "float32"): Bound(
        None, 1e-6, "4.5e-7 relative measured over every float32 on SSE2, 3.7e-7 on AVX2: "
        "both take a degree 4/4 rational in x^2 (no exp; on SSE2 faster than tables read by "
        "four loads, on AVX2 1.3x faster than the 8-interval table, whose 9 lookups share a "
        "pipe with the FMAs on Zen 3); AVX-512 and the scalar path take the accurate kernel "
        "(0.71-0.90 ulp, 8.1e-8 relative at most), since no cheaper table beat it by more "
        "than 7%"),
    ("fused", "accurate", "float32"): Bound(
        2.0, None, "1.28 ulp measured over every float32 input on AVX-512 (grad_output = "
        "1), 1.43 on SSE2 (no FMA), 1.06 on AVX2: where lookups are cheap (AVX-512, SSE2, scalar) sech^2 from a "
        "table of its own on intervals of width 1/2 up to |x| = 16; elsewhere, and beyond "
        "16, 1 - y^2 below 0.5625 and 4 e2/(1+e2)^2 above as one corrected quotient; both "
        "keep full relative accuracy down to the subnormals; times grad_output adds one "
        "rounding"),
    ("fused", "fast", "float32"): Bound(
        None, None, "gradient 1 - y^2 from the fast y: 9.0e-7 absolute measured over every "
        "float32 (SSE2; 7.3e-7 AVX2; 1.0e-7 where y is the accurate one); relative accuracy "
        "is lost where |y| is near 1",
        abs=1e-6),
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


def _bounds(forward32, fused32, forward64, fused64):
    """A one-mode activation's measured bounds: {dtype: Bound} for forward and fused,
    the same in both mode keys (exact activations compute the same in both)."""
    per = {("forward", "float32"): forward32, ("fused", "float32"): fused32,
           ("forward", "float64"): forward64, ("fused", "float64"): fused64}
    return {(op, mode, dt): b for (op, dt), b in per.items() for mode in MODES}


_HARDSIGMOID_BOUNDS = _bounds(
    Bound(1.0, None, "torch's two roundings, x + 3 then / 6 (a true division), bit-identical to "
          "torch's CPU kernel. x + 3 is exact for x in [-6, -1.5]; elsewhere its error, at "
          "most half an ulp of x + 3, is at most 2/3 ulp of y after the division, and s / 6 "
          "lies within 1/3 ulp of the float grid, so the error is at most 1 ulp: 1.00 ulp "
          "measured (scalar, SSE2, AVX2; float32 sweep)"),
    Bound(1.0, None, "grad_output * RN(1/6) strictly inside (-3, 3), else 0 (torch's product; "
          "torch's float64 kernel multiplies by the float32 1/6, 3e-9 off, fastact by the "
          "float64 one): with grad_output = 1 exactly 1/6 rounded once; for any grad_output "
          "one rounding plus RN(1/6)'s relative error 2^-25 (2^-54 in float64), at most "
          "0.5 ulp more: 0.667 ulp found by the property tests"),
    Bound(1.0, None, "same two roundings in float64; 1.00 ulp measured (10^6 samples against long "
          "double)"),
    Bound(1.0, None, "as float32: one rounding of grad_output * RN(1/6), whose own error adds "
          "at most 0.5 ulp"),
)

_HARDSWISH_BOUNDS = _bounds(
    Bound(1.0, None, "x (x + 3) / 6 on -3 < x < 3 from error-free pieces (Fast2Sum for x + 3, an "
          "exact product) and one corrected quotient by 6: about one rounding; 0.50 ulp "
          "measured (float32 sweep: every 1024th bit pattern plus every 64th float in "
          "[-8, 8], scalar/SSE2/AVX2) (torch's three roundings, (x * (x + 3)) / 6, reach "
          "1.90 ulp); x itself above 3 (torch's x * 6 / 6 is 1 ulp off for 16% of x there "
          "and overflows above 5.7e37)"),
    Bound(1.5, None, "f' = (2x + 3) / 6 from TwoSum and one corrected quotient, so it keeps its "
          "relative accuracy near its zero at x = -1.5 (torch's x / 3 + 0.5 cancels "
          "there); 0.50 ulp measured (grad_output = 1)."
          " For any grad_output, g f' adds one rounding: 1.36 ulp measured over 10^6 random (x, g) (AVX2)"),
    Bound(1.0, None, "same algorithm; 0.50 ulp measured (10^6 samples against long double)"),
    Bound(1.5, None, "0.50 ulp measured (grad_output = 1)."
          " For any grad_output, g f' adds one rounding: 1.15 ulp measured over 10^6 random (x, g) (AVX2)"),
)

_SOFTSIGN_BOUNDS = _bounds(
    Bound(1.0, None, "1 + |x| = dh + dl exactly (Fast2Sum), 1/(1 + |x|) = th + tl with th = 1/dh "
          "(one division) and tl from the exact residual, y = x th (an exact pair) + x tl "
          "with one rounding: 0.50 ulp measured (float32 sweep: every 1024th bit pattern "
          "plus every 64th float in [-8, 8], scalar/SSE2/AVX2) (torch's x / (|x| + 1) "
          "rounds twice: 1.49 ulp); +-inf give +-1 (torch: NaN)"),
    Bound(1.5, None, "f' = th^2 + 2 th tl rounded once (an FMA, or th^2 as an exact pair without "
          "FMA): never forms (1 + |x|)^2, so no overflow at any |x|. 0.50 ulp measured "
          "where f' is normal; 0.75 ulp where it is subnormal (|x| > 1.8e19), which is "
          "computed scaled by 2^96 and rounded a second time when scaled back (scalar, "
          "SSE2, AVX2; grad_output = 1)."
          " For any grad_output, g f' adds one rounding: 1.44 ulp measured over 10^6 random (x, g) (AVX2)"),
    Bound(1.0, None, "same algorithm; 0.50 ulp measured (10^6 samples against long double)"),
    Bound(1.5, None, "0.50 ulp measured where f' is normal, 0.75 ulp where it is subnormal (|x| > "
          "1.3e154), as for float32 (grad_output = 1)."
          " For any grad_output, g f' adds one rounding: 1.44 ulp measured over 10^6 random (x, g) (AVX2)"),
)
# softmax and log_softmax (fastact/_axis.py). The compiled backend runs the C row
# kernel (csrc/rows-inl.h: per row the max, exp(x - max) and its sum, the
# normalisation, the gradient, with the row in cache); the fallback does NumPy
# passes around the exp_shifted kernel. Accurate mode: the row sums compensated
# in the array's dtype (TwoSum per lane, lanes added in a fixed tree); fast mode:
# plain sums in the dtype over blocks of 16 terms per lane (two accumulators of NL
# lanes: 2 lanes on the scalar path), the blocks then compensated. The fallback's accurate sums: float32 accumulated in float64, float64 by
# NumPy's pairwise sum. Measured by `python tests/softmax_reference.py` (the cases
# of tests/test_softmax.py: rows of 1 to 4096 elements, values of scale 1 to 1e4,
# a dominant element, magnitudes up to max/4, other and strided axes) against the
# max-subtracted formulas in float64 (float32 results) or long double (float64
# results), on the scalar, SSE2 and AVX2 row kernels (AVX-512 not available on
# the measuring machine) and, with FASTACT_PURE_PYTHON=1, the fallback; each
# text gives the worst row-kernel figure and the fallback's where it is larger.
# The gradient (fused, and the backward from the exact output) is measured with
# grad_output ~ N(0, 1) and stated in units of the row's largest term (softmax:
# max |y g|, |y <g, y>|; log_softmax: max |g|, |exp(y) sum g|): the gradient
# cancels, so no bound relative to each element exists (torch's formula has the
# same limit); "ulp" is then ulps of that term and "abs" a fraction of it.
_SM_WHY = ("exp(x - max) with the difference as an exact pair: within 1 ulp (0.99 "
           "measured; 1.32 for terms below 2^-100 / 2^-970); ")
_SM_KSUM = ("the row sum compensated in the dtype (about u^2 n relative), its "
            "reciprocal corrected to about half an ulp, one product per element")
_SOFTMAX_BOUNDS = {
    ("forward", "accurate", "float32"): Bound(
        3.0, None, "2.22 ulp measured (row kernel, every ISA): " + _SM_WHY + _SM_KSUM
        + "; fallback 2.35 ulp (float64 sums, one division)"),
    ("forward", "fast", "float32"): Bound(
        None, 1e-6, "4.8e-7 relative measured (normal results; scalar path; 4.3e-7 SSE2, "
        "3.8e-7 AVX2, 3.3e-7 AVX-512): fast exp (degree-5, terms below 2^-126 flushed to "
        "0), float32 row sums plain over 16 terms per lane, those blocks compensated (plain "
        "sums lane by lane measured 4.4e-5 on a row of 131,072)"),
    ("fused", "accurate", "float32"): Bound(
        4.0, None, "3.2 ulp of the row's largest term measured (AVX2; fallback 3.48): "
        "y * (g - sum(g y)), torch's order, the products rounded, the sum compensated"),
    ("fused", "fast", "float32"): Bound(
        None, None, "7.0 ulp (5.8e-7) of the row's largest term measured (scalar path): "
        "the float32 sums blocked as the forward's", abs=1e-6),
    ("forward", "accurate", "float64"): Bound(
        12.0, None, "2.5 ulp measured (row kernel): " + _SM_WHY + _SM_KSUM + "; the "
        "bound is the fallback's: 7.2 ulp measured (NumPy's sum: pairwise along a "
        "contiguous axis, sequential along a strided one; 10.9 ulp was measured on "
        "300-element strided columns before)"),
    ("forward", "fast", "float64"): Bound(
        None, 1e-12, "3.3e-13 relative measured: degree-10 exp, row sums blocked as float32's"),
    ("fused", "accurate", "float64"): Bound(
        12.0, None, "3.5 ulp of the row's largest term measured (row kernel); fallback "
        "7.1 (its sums as its forward's)"),
    ("fused", "fast", "float64"): Bound(
        None, None, "1.9e3 ulp (2.7e-13) of the row's largest term measured: the fast exp",
        abs=1e-12),
}
_LOG_SOFTMAX_BOUNDS = {
    ("forward", "accurate", "float32"): Bound(
        2.0, None, "1.45 ulp measured (row kernel; fallback 1.64): (x - max) - log1p(t), "
        "t the sum of exp(x - max) over all but one maximum (whose term is exactly 1), "
        "compensated, and log1p of the pair t, so the largest result keeps full "
        "relative accuracy when one element dominates; the two terms have the same "
        "sign (no cancellation)"),
    ("forward", "fast", "float32"): Bound(
        None, 1.5e-6, "2.5e-7 relative (3.5 ulp) measured on the scalar path, 2.4e-7 SSE2, "
        "2.2e-7 AVX2 and AVX-512: the accurate exp where a term may be subnormal (the "
        "fast one would flush the terms that make up a dominated row's t), float32 sums "
        "of t plain over 16 terms per lane, the blocks compensated (plain lane sums "
        "measured 9.3e-7 on the scalar path's rows of 4096, 3.7e-6 on a row of 131,072)"),
    ("fused", "accurate", "float32"): Bound(
        3.5, None, "2.37 ulp of the row's largest term measured (row kernel; fallback "
        "2.61): g - e (sum(g) / (1 + t)), e / (1 + t) = exp(y) before rounding, the sums "
        "compensated"),
    ("fused", "fast", "float32"): Bound(
        None, None, "6.3 ulp (4.1e-7) of the row's largest term measured (row kernel: "
        "sum(g) compensated in both modes); the fallback's float32 sum(g) cancels: "
        "35.8 ulp (2.5e-6)", abs=4e-6),
    ("forward", "accurate", "float64"): Bound(
        7.0, None, "1.59 ulp measured (row kernel): as float32; fallback 3.9 ulp (NumPy's "
        "pairwise, on strided axes sequential, sums; 5.88 ulp measured before)"),
    ("forward", "fast", "float64"): Bound(
        None, 1e-14, "5.7e-16 relative (3.5 ulp) measured (scalar path; 4.9e-16 SSE2, "
        "3.7e-16 AVX2 and AVX-512): the accurate exp, row sums blocked as float32's"),
    ("fused", "accurate", "float64"): Bound(
        30.0, None, "2.8 ulp of the row's largest term measured (row kernel); the bound "
        "is the fallback's: 23.4 ulp, the rounding of NumPy's sum(g) over rows of up to "
        "4096 N(0, 1) values"),
    ("fused", "fast", "float64"): Bound(
        None, None, "16 ulp (2e-15) of the row's largest term measured (scalar path; "
        "row kernel's sum(g) compensated); fallback 59.2 ulp (8.5e-15): its plain sums",
        abs=2e-14),
}
def _measured(forward_acc, fused_acc, forward_fast, fused_fast):
    """Bounds of one exp-family row from (figure, why) per (op, mode), each a
    dict dtype -> (ulp, rel, why)."""
    out = {}
    for (op, mode), per in (("forward", "accurate"), forward_acc), (("fused", "accurate"), fused_acc), \
            (("forward", "fast"), forward_fast), (("fused", "fast"), fused_fast):
        for dt, (ulp, rel, why) in per.items():
            out[(op, mode, dt)] = Bound(ulp, rel, why)
    return out


_EF_WHY = ("Measured by tools/measure_expfam.py on scalar, SSE2, AVX2 and the fallback (the measuring CPU had no AVX-512): float32 every 509th/1021st bit pattern + 2e6 uniform in [-110, 110], float64 2e5-3e5 samples against long double; every parameter set of the tests. ")
_FAST32 = ("degree-4 expm1 / degree-5 exp rounded once, reciprocal estimate + Newton for "
           "log1p's quotient; results below 2^-126 flush to 0")
_FAST64 = "Taylor expm1/exp to degree 10, atanh series to z^17; subnormal results flush to 0"


def _ef(f32_acc, g32_acc, f64_acc, g64_acc, f32_fast, g32_fast, f64_fast, g64_fast):
    """Bounds of an exp-family row: (bound, why) per op, mode and dtype."""
    b = {}
    for (op, mode, dt), (val, why) in {
            ("forward", "accurate", "float32"): f32_acc, ("fused", "accurate", "float32"): g32_acc,
            ("forward", "accurate", "float64"): f64_acc, ("fused", "accurate", "float64"): g64_acc,
            ("forward", "fast", "float32"): f32_fast, ("fused", "fast", "float32"): g32_fast,
            ("forward", "fast", "float64"): f64_fast, ("fused", "fast", "float64"): g64_fast}.items():
        b[(op, mode, dt)] = (Bound(val, None, _EF_WHY + why) if mode == "accurate"
                             else Bound(None, val, _EF_WHY + why))
    return b


_ELU_BOUNDS = _ef(
    (2.0, "max 0.75 ulp (alpha = 1) and 0.74 (alpha = 1.3) on AVX2; 1.73 ulp on scalar/SSE2 "
          "for alpha != 1, where alpha * (expm1 pair) is two roundings without FMA"),
    (2.0, "gradient alpha e^x: 0.98 ulp (alpha = 1), 1.06 (1.3) on AVX2, 1.34 on scalar/SSE2; "
          "the exp pair's own rounding of r and t is not carried (as sigmoid's)"),
    (2.0, "0.64 ulp on AVX2, 1.54 on scalar/SSE2 (alpha = 1.3), fallback 1.41 (np.expm1 "
          "times alpha)"),
    (2.0, "1.06 ulp on AVX2, 1.35 on scalar/SSE2, fallback 1.15"),
    (1e-6, "1.26e-7 relative measured; " + _FAST32),
    (1e-6, "2.12e-7 relative measured; " + _FAST32),
    (1e-12, "7.2e-13 relative measured; " + _FAST64),
    (1e-12, "3.0e-13 relative measured; " + _FAST64))
_SELU_BOUNDS = _ef(
    (2.0, "0.99 ulp on AVX2 (at a subnormal x: scale * x rounded into the subnormals), 1.70 "
          "on scalar/SSE2 (constant-pair products without FMA)"),
    (2.0, "1.00 ulp on AVX2, 1.24 on scalar/SSE2"),
    (2.0, "0.69 ulp on AVX2, 1.61 on scalar/SSE2, fallback 1.42"),
    (2.0, "0.87 ulp on AVX2, 1.28 on scalar/SSE2, fallback 1.44"),
    (1e-6, "1.51e-7 relative measured; " + _FAST32),
    (1e-6, "2.15e-7 relative measured; " + _FAST32),
    (1e-12, "7.2e-13 relative measured; " + _FAST64),
    (1e-12, "3.0e-13 relative measured; " + _FAST64))
_CELU_BOUNDS = _ef(
    (2.0, "0.78 ulp on AVX2 (x/alpha carried as a pair), 1.62 on scalar/SSE2 for alpha = 1.3"),
    (2.0, "gradient e^(x/alpha): 0.98 ulp on AVX2, 0.96 on scalar/SSE2 (grad_output = 1)."
          " For any grad_output, g f' adds one rounding: 1.68 ulp measured over 10^6 random (x, g) (AVX2)"),
    (2.5, "0.70 ulp on AVX2, 1.44 on scalar/SSE2; fallback 2.0 (subnormal x: alpha * (x / "
          "alpha) rounded twice)"),
    (2.0, "0.95 ulp on AVX2, 0.98 on scalar/SSE2, fallback 1.13 (grad_output = 1)."
          " For any grad_output, g f' adds one rounding: 1.64 ulp measured over 10^6 random (x, g) (AVX2)"),
    (1e-6, "1.58e-7 relative measured; " + _FAST32),
    (1e-6, "2.23e-7 relative measured; " + _FAST32),
    (1e-12, "7.2e-13 relative measured; " + _FAST64),
    (1e-12, "3.0e-13 relative measured; " + _FAST64))
_SOFTPLUS_BOUNDS = _ef(
    (4.0, "0.98 ulp for beta = 1 and 2, 1.20 for beta = 3; 3.4 ulp for beta = 0.7 where the "
          "result is subnormal (e^u rounded to the subnormal grid before the division by "
          "beta); normal results within 1.2 ulp"),
    (2.0, "gradient sigmoid(beta x): 0.98 ulp (beta 1, 2), 1.19 (beta 3), 1.15 (beta 0.7), "
          "grad_output = 1."
          " For any grad_output, g f' adds one rounding: 1.60 ulp measured over 10^6 random (x, g) (AVX2)"),
    (3.0, "0.93 ulp on scalar, 1.01 on AVX2/SSE2 for beta = 1, 1.79 for beta = 0.7 "
          "(subnormal results); "
          "fallback 2.5 (beta = 0.7: np.log1p plus the division by beta)"),
    (2.5, "0.98 ulp; fallback 2.17 (beta = 0.7: the quotient of np.exp results)"),
    (1e-6, "3.6e-7 relative measured; " + _FAST32),
    (1e-6, "2.6e-7 relative measured; " + _FAST32),
    (1e-12, "3.0e-13 relative measured; " + _FAST64),
    (1e-12, "3.0e-13 relative measured; " + _FAST64))
_LOG_SIGMOID_BOUNDS = _ef(
    (1.5, "0.98 ulp (the softplus core on -x)"),
    (2.0, "gradient sigmoid(-x) as one corrected quotient: 0.98 ulp (grad_output = 1)."
          " For any grad_output, g f' adds one rounding: 1.55 ulp measured over 10^6 random (x, g) (AVX2)"),
    (2.0, "0.91 ulp on scalar, 1.75 on SSE2/AVX2 near |x| = 0.94 (not yet traced: the "
          "log1p pair on the targets with a 12-bit reciprocal estimate); fallback 1.47"),
    (2.0, "0.96 ulp; fallback 1.34"),
    (1e-6, "3.2e-7 relative measured; " + _FAST32),
    (1e-6, "2.2e-7 relative measured; " + _FAST32),
    (1e-12, "3.0e-13 relative measured; " + _FAST64),
    (1e-12, "3.0e-13 relative measured; " + _FAST64))

def _gated_bounds(figs):
    """Bounds of a gated activation from {(op, mode, dtype): (ulp, rel, abs, why)}."""
    return {k: Bound(u, r, w, abs=a) for k, (u, r, a, w) in figs.items()}


_SILU_BOUNDS = _gated_bounds({
    ("forward", "accurate", "float32"): (1.5, None, None,
        "1.11 ulp measured over every float32 (AVX-512; 1.08 on the strided sweep, every "
        "ISA): for |x| <= 70, x (1/D) with 1/D = 1/(1 + e^-x) the unrounded quotient of "
        "sigmoid's pairs, one rounding; beyond, x e / (1 + e), e = exp(-|x|) as a pair with "
        "its exponent raised by 2^40, the exact product and one corrected quotient, so "
        "subnormal results (x < -87.3) are rounded once"),
    ("forward", "fast", "float32"): (None, 1e-6, None,
        "2.9e-7 relative measured (4.1 ulp, every 1024th float32 bit pattern, scalar/SSE2/"
        "AVX2): degree-5 exp, one division 1 / (1 + e), two products"),
    ("fused", "accurate", "float32"): (1.5, None, None,
        "1.12 ulp measured over every float32 (AVX-512; 1.09 on the strided sweep, every "
        "ISA; grad_output = 1): for |x| <= 70, (1/D)(1 + x w), w = sigmoid(-x), as pairs "
        "and an exact product; beyond, N / (1 + e)^2 with N = (1 + e) + x e or "
        "e (1 + x + e); near the zero of silu' (x0 = -1.27846) 1 + x + e from x - x0 "
        "(a series), so the gradient keeps relative accuracy there too"),
    ("fused", "fast", "float32"): (None, None, 1e-6,
        "2.2e-7 absolute measured: s (1 + x (1 - s)) from the fast sigmoid; relative "
        "accuracy is lost next to the zero of silu' at x = -1.27846"),
    ("forward", "accurate", "float64"): (1.5, None, None,
        "1.05 ulp measured (10^6 samples against long double, every ISA): as float32 "
        "(|x| <= 80 the sigmoid form), Taylor degree-13 exp"),
    ("forward", "fast", "float64"): (None, 1e-12, None,
        "3.0e-13 relative measured: degree-10 exp"),
    ("fused", "accurate", "float64"): (1.5, None, None, "1.05 ulp measured (grad_output = 1, "
                                                         "every ISA)"),
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
        "1.11 ulp measured (grad_output = 1): E (K - a/sqrt(2 pi)) or 1 - that, the factor "
        "taken from a - a0 near the zero of gelu' (x = -0.75179)"),
    ("forward", "accurate", "float64"): (3.0, None, None,
        "1.72 ulp (AVX2) / 1.85 (no FMA) measured against mpmath (2*10^4 samples; the "
        "fallback, the same algorithm in NumPy, 2.23): the degree-29 P's fit (8.8e-17 "
        "relative) is most of it"),
    ("fused", "accurate", "float64"): (3.0, None, None,
        "1.53 ulp measured (compiled, all ISAs), 2.54 (fallback)"),
})
_FAST_WHY = ("Measured with tools/measure_family.py (every 1024th float32 bit pattern; "
             "float64 10^5 samples against long double, 10^4 against mpmath for gelu) on "
             "scalar, SSE2 and AVX2: ")
_GELU_BOUNDS.update(_gated_bounds({
    ("forward", "fast", "float32"): (None, 1e-6, None, _FAST_WHY +
        "4.2e-7 relative (6.8 ulp) where the result is normal: e^(-a^2/2) from the degree-5 "
        "exp (a^2 exact, its low part as a factor 1 - l/2), K = t P(2t - 1) with t = 1/(1 + "
        "5a/16) from one division and a degree-9 P by Estrin (fit 2.5e-8, tools/fit_erf.py); "
        "results below 2^-126 rounded twice"),
    ("fused", "fast", "float32"): (None, None, 1e-6, _FAST_WHY +
        "2.1e-7 absolute measured: E (K - a/sqrt(2 pi)) or 1 - that, rounded plainly; "
        "relative accuracy is lost next to the zero of gelu' at x = -0.75179"),
    ("forward", "fast", "float64"): (None, 1e-12, None, _FAST_WHY +
        "3.0e-13 relative measured: Taylor degree-10 exp, the accurate degree-29 P without "
        "pairs"),
    ("fused", "fast", "float64"): (None, None, 1e-13, _FAST_WHY +
        "3.5e-14 absolute measured; relative accuracy lost next to the zero of gelu'"),
}))

_GELU_TANH_BOUNDS = _gated_bounds({
    ("forward", "accurate", "float32"): (1.5, None, None,
        "0.95 ulp measured (every 4096th float32 bit pattern, scalar/SSE2/AVX2): x sigmoid(z), "
        "z = A x + B x^3 as a pair (A, B as hi + lo, x^2 exact), then silu's algorithm "
        "(e = exp(-|z|) as a pair 2^40 up, one corrected quotient)"),
    ("fused", "accurate", "float32"): (1.5, None, None,
        "0.97 ulp measured (grad_output = 1): N / (1 + e)^2 as pairs; near the zero of the "
        "derivative (x = -0.75246) its factor comes from x - x0"),
    ("forward", "accurate", "float64"): (2.0, None, None,
        "0.76 ulp measured (2*10^4 samples against long double, mpmath for 4 < |x| < 30), "
        "0.51 for the fallback"),
    ("fused", "accurate", "float64"): (2.0, None, None,
        "1.08 ulp measured (compiled), 1.59 (fallback)"),
})
_GELU_TANH_BOUNDS.update(_gated_bounds({
    ("forward", "fast", "float32"): (None, 1e-6, None, _FAST_WHY +
        "2.9e-7 relative (4.0 ulp) where the result is normal: z as the accurate mode's pair "
        "(its rounding times |z| <= 88 would cost 1e-5 in the negative tail), the degree-5 "
        "exp, one division 1 / (1 + e)"),
    ("fused", "fast", "float32"): (None, None, 1e-6, _FAST_WHY +
        "2.4e-7 absolute measured: s (1 + x (1 - s) z') from the fast sigmoid; relative "
        "accuracy is lost next to the zero of the derivative at x = -0.75246"),
    ("forward", "fast", "float64"): (None, 1e-12, None, _FAST_WHY +
        "3.0e-13 relative measured: Taylor degree-10 exp"),
    ("fused", "fast", "float64"): (None, None, 2e-13, _FAST_WHY +
        "6.8e-14 absolute measured"),
}))

_MISH_BOUNDS = _gated_bounds({
    ("forward", "accurate", "float32"): (1.5, None, None,
        "1.04 ulp measured (every 4096th float32 bit pattern, scalar/SSE2/AVX2): x N / D "
        "with e = exp(-|x|) as a pair 2^40 up, N = 1 + 2e, D = N + 2e^2 (x >= 0) or "
        "N = e (2 + e), D = 2 + N (x < 0): sums of positive terms, one corrected quotient"),
    ("fused", "accurate", "float32"): (1.5, None, None,
        "1.09 ulp measured (grad_output = 1): M / (D^2 (1 + e)) as pairs; near the zero of "
        "mish' (x = -1.19243) its factor comes from x - x0"),
    ("forward", "accurate", "float64"): (1.5, None, None,
        "0.95 ulp measured (2*10^4 samples against long double), 0.50 for the fallback "
        "(long double arithmetic)"),
    ("fused", "accurate", "float64"): (1.5, None, None,
        "0.93 ulp measured (compiled), 0.85 (fallback)"),
})
_MISH_BOUNDS.update(_gated_bounds({
    ("forward", "fast", "float32"): (None, 1e-6, None, _FAST_WHY +
        "3.3e-7 relative (4.6 ulp) where the result is normal: the accurate mode's N / D "
        "(sums of positive terms) with e from the degree-5 exp, each value rounded once, "
        "one division"),
    ("fused", "fast", "float32"): (None, None, 1e-6, _FAST_WHY +
        "2.5e-7 absolute measured: M / (D^2 (1 + e)) rounded plainly, one division; "
        "relative accuracy is lost next to the zero of mish' at x = -1.19243"),
    ("forward", "fast", "float64"): (None, 1e-12, None, _FAST_WHY +
        "3.0e-13 relative measured: Taylor degree-10 exp"),
    ("fused", "fast", "float64"): (None, None, 2e-13, _FAST_WHY +
        "8.8e-14 absolute measured"),
}))

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
            probes=(0.0, 0.5, 8.0, 16.0, 17.33, 18.0, 36.7, -87.33, -88.72, -103.28, -104.0, -745.13),
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
            probes=(0.0, 2.0**-12, 0.5625, 0.625, 8.0, 9.01, 9.125, 16.0, 19.06, 52.0),
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
            name="prelu",
            aliases=(),
            formula="prelu(x) = x for x > 0, else weight * x",
            derivative="prelu'(x) = 1 for x > 0, else weight; the weight's gradient, "
                       "sum of grad_output * x where x <= 0 over the axes weight is "
                       "broadcast along, is fastact.prelu_weight_grad",
            backward_from="input",
            torch_name="prelu",
            numpy_expr="np.where(x > 0, x, x * w)",
            bounds=_EXACT_BOUNDS,
            probes=(0.0,),
            params=(Param("weight", None,
                          "an array broadcast against x by NumPy's rules (trailing axes "
                          "first). torch's weight of shape (C,) applies to axis 1: for "
                          "(N, C, H, W) input pass weight.reshape(C, 1, 1) (or (C, 1) for "
                          "(N, C, L)); for channels-last input (..., C) pass it as is; a "
                          "scalar or shape (1,) weight applies everywhere"),),
            modes=EXACT,
            kinks="prelu'(0) = weight, as torch",
        ),
        Activation(
            name="relu6",
            aliases=(),
            formula="relu6(x) = min(max(x, 0), 6)",
            derivative="relu6'(x) = 1 for 0 < x < 6, else 0",
            backward_from="input",
            torch_name="relu6",
            numpy_expr="np.clip(x, 0, 6)",
            bounds=_EXACT_BOUNDS,
            probes=(0.0, 6.0),
            modes=EXACT,
            kinks="relu6'(0) = relu6'(6) = 0 (torch's hardtanh_backward); relu6(-0.0) = -0.0, "
                  "as torch",
        ),
        Activation(
            name="hardtanh",
            aliases=(),
            formula="hardtanh(x) = min(max(x, min_val), max_val)",
            derivative="hardtanh'(x) = 1 for min_val < x < max_val, else 0",
            backward_from="input",
            torch_name="hardtanh",
            numpy_expr="np.clip(x, -1.0, 1.0)",
            bounds=_EXACT_BOUNDS,
            probes=(0.0, 1.0),
            params=(Param("min_val", -1.0, "lower bound"),
                    Param("max_val", 1.0, "upper bound (min_val > max_val gives max_val "
                          "everywhere, as torch.clamp; torch's hardtanh refuses it); a NaN "
                          "bound gives NaN, as torch")),
            modes=EXACT,
            kinks="hardtanh'(min_val) = hardtanh'(max_val) = 0, as torch; hardtanh(-0.0) = -0.0",
        ),
        Activation(
            name="hardsigmoid",
            aliases=(),
            formula="hardsigmoid(x) = relu6(x + 3) / 6",
            derivative="hardsigmoid'(x) = 1/6 for -3 < x < 3, else 0",
            backward_from="input",
            torch_name="hardsigmoid",
            numpy_expr="np.clip(x + 3, 0, 6) / 6",
            bounds=_HARDSIGMOID_BOUNDS,
            probes=(0.0, 3.0, 1.5),
            modes=EXACT,
            kinks="hardsigmoid'(-3) = hardsigmoid'(3) = 0, as torch",
        ),
        Activation(
            name="hardswish",
            aliases=(),
            formula="hardswish(x) = x * relu6(x + 3) / 6",
            derivative="hardswish'(x) = 0 for x <= -3, x/3 + 1/2 for -3 < x < 3, 1 for x >= 3",
            backward_from="input",
            torch_name="hardswish",
            numpy_expr="x * np.clip(x + 3, 0, 6) / 6",
            bounds=_HARDSWISH_BOUNDS,
            probes=(0.0, 3.0, 1.5),
            modes=EXACT,
            kinks="hardswish'(-3) = 0 and hardswish'(3) = 1, as torch 2.13's autograd; "
                  "hardswish(x) = -0.0 for x <= -3 (torch's x * 0 / 6; torch gives NaN at -inf)",
        ),
        Activation(
            name="softsign",
            aliases=(),
            formula="softsign(x) = x / (1 + |x|)",
            derivative="softsign'(x) = 1 / (1 + |x|)^2, computed as (1 / (1 + |x|))^2 without "
                       "overflow",
            backward_from="input",
            torch_name="softsign",
            numpy_expr="x / (1 + np.abs(x))",
            bounds=_SOFTSIGN_BOUNDS,
            probes=(0.0, 1.0, 2.0**24, 2.0**63, 2.0**75, 2.0**76),
            modes=EXACT,
            kinks="softsign(+-inf) = +-1 and softsign'(+-inf) = 0 (torch: NaN); "
                  "softsign(-0.0) = -0.0",
        ),
        Activation(
            name="softmax",
            aliases=(),
            formula="softmax(x) = exp(x - max(x)) / sum(exp(x - max(x))), along axis",
            derivative="softmax'(x) = diag(y) - y y^T (a Jacobian along axis); "
                       "softmax_backward(grad_output, output) computes "
                       "output * (grad_output - sum(grad_output * output, axis)), as torch",
            backward_from="output",
            torch_name="softmax",
            numpy_expr="(e := np.exp(x - x.max(-1, keepdims=True))) / e.sum(-1, keepdims=True)",
            bounds=_SOFTMAX_BOUNDS,
            probes=(0.0, 1.0, 88.0, 104.0, 710.0, 1e38),
            kind="axis",
        ),
        Activation(
            name="log_softmax",
            aliases=(),
            formula="log_softmax(x) = (x - max(x)) - log(sum(exp(x - max(x)))), along axis",
            derivative="log_softmax'(x) = I - 1 exp(y)^T (a Jacobian along axis); "
                       "log_softmax_backward(grad_output, output) computes "
                       "grad_output - exp(output) * sum(grad_output, axis), as torch",
            backward_from="output",
            torch_name="log_softmax",
            numpy_expr="(z := x - x.max(-1, keepdims=True)) "
                       "- np.log(np.exp(z).sum(-1, keepdims=True))",
            bounds=_LOG_SOFTMAX_BOUNDS,
            probes=(0.0, 1.0, 88.0, 104.0, 710.0, 1e38),
            kind="axis",
        ),
        Activation(
            name="elu",
            aliases=(),
            formula="elu(x) = x for x > 0, else alpha * expm1(x)",
            derivative="elu'(x) = 1 for x > 0, else alpha * exp(x)",
            backward_from="input",
            torch_name="elu",
            numpy_expr="np.where(x > 0, x, 1.0 * np.expm1(x))",
            bounds=_ELU_BOUNDS,
            probes=(0.0, 2.0**-40, 0.3466, 0.35, 1.0, 16.98, 17.33, 17.5, 37.43, 40.0, 87.33,
                    103.97, 104.0, 745.1),
            params=(Param("alpha", 1.0, "the value elu approaches as x -> -inf is -alpha"),),
            kinks="elu'(0) = alpha (the x > 0 branch is the strict one, as torch); "
                  "elu(-0.0) = -0.0",
        ),
        Activation(
            name="selu",
            aliases=(),
            formula="selu(x) = scale * (x for x > 0, else alpha * expm1(x)), alpha = "
                    "1.6732632423543772848170429916717, scale = 1.0507009873554804934193349852946 "
                    "(Klambauer et al., 2017)",
            derivative="selu'(x) = scale for x > 0, else scale * alpha * exp(x)",
            backward_from="input",
            torch_name="selu",
            numpy_expr="1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))",
            bounds=_SELU_BOUNDS,
            probes=(0.0, 2.0**-40, 0.3466, 0.35, 1.0, 16.98, 17.33, 17.5, 37.43, 40.0, 87.33,
                    103.97, 104.0, 745.1),
            kinks="selu'(0) = scale * alpha (torch); selu(-0.0) = -0.0",
        ),
        Activation(
            name="celu",
            aliases=(),
            formula="celu(x) = max(0, x) + min(0, alpha * expm1(x / alpha))",
            derivative="celu'(x) = 1 for x > 0, else exp(x / alpha)",
            backward_from="input",
            torch_name="celu",
            numpy_expr="np.where(x > 0, x, 1.0 * np.expm1(x / 1.0))",
            bounds=_CELU_BOUNDS,
            probes=(0.0, 2.0**-40, 0.3466, 0.35, 1.0, 16.98, 17.33, 17.5, 37.43, 40.0, 87.33,
                    103.97, 104.0, 745.1),
            params=(Param("alpha", 1.0, "the value celu approaches as x -> -inf is -alpha; "
                          "alpha > 0 (torch rejects 0)"),),
            kinks="celu'(0) = 1 = exp(0/alpha) (torch's float32 value; its float64 kernel "
                  "rounds 1/alpha to float32 first); celu(-0.0) = -0.0",
        ),
        Activation(
            name="softplus",
            aliases=(),
            formula="softplus(x) = x where beta * x > threshold, else log1p(exp(beta * x)) / beta",
            derivative="softplus'(x) = 1 where beta * x > threshold, else sigmoid(beta * x)",
            backward_from="input",
            torch_name="softplus",
            numpy_expr="np.logaddexp(0, x)",
            bounds=_SOFTPLUS_BOUNDS,
            probes=(0.0, 0.5, 1.0, 17.33, 20.0, 36.7, 87.33, 103.3, 104.0, 745.1),
            params=(Param("beta", 1.0, "the sharpness: softplus(x) = log1p(exp(beta x)) / beta"),
                    Param("threshold", 20.0, "above beta * x > threshold the result is x "
                          "(torch's linear region; at the threshold itself the log1p branch)")),
            kinks="beta * x == threshold takes the log1p branch (torch's strict >): "
                  "softplus'(threshold / beta) = sigmoid(threshold)",
        ),
        Activation(
            name="log_sigmoid",
            aliases=("log_expit",),
            formula="log_sigmoid(x) = log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))",
            derivative="log_sigmoid'(x) = sigmoid(-x) = 1 - sigmoid(x), computed without "
                       "cancellation",
            backward_from="input",
            torch_name="logsigmoid",
            numpy_expr="-np.logaddexp(0, -x)",
            bounds=_LOG_SIGMOID_BOUNDS,
            probes=(0.0, 0.5, 1.0, 17.33, 36.7, 87.33, 103.3, 104.0, 745.1),
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
# internal kernels in csrc/activations.def that are not activations: name ->
# number of parameters (both modes, every op, as the table requires).
# exp_shifted(x, shift) = exp(x - shift), shift = the row maximum: the
# element-wise step of softmax and log_softmax (fastact/_axis.py)
INTERNAL = {"exp_shifted": 1}


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
    for name in ELEMENTWISE + tuple(INTERNAL):
        act = ACTIVATIONS.get(name)
        modes = act.modes if act else MODES
        for op in OPS:
            for mode in MODES:
                if mode not in modes or (op == "backward" and mode != MODES[0]):
                    table[(name, op, mode)] = table[(name, op, MODES[0])]
                    continue
                uname = ufunc_name(name, op, mode)
                if act:
                    doc = (f"fastact {uname} {what} ({act.formula}); "
                           f"see fastact.{name}{API_SUFFIX[op]}")
                else:
                    doc = f"fastact internal {uname} {what}; see fastact._axis"
                table[(name, op, mode)] = make(name, op, mode, uname, doc)
    return table


def bound(name, op, mode, dtype):
    return ACTIVATIONS[name].bounds[(op, mode, str(dtype))]


def bounds_text(act, op):
    """The measured bounds of op, one docstring line per mode and dtype."""
    lines = []
    for mode in MODES:
        for dtype in ("float32", "float64"):
            b = act.bounds.get((op, mode, dtype))
            if b is None:
                continue
            fig = []
            if b.ulp is not None:
                fig.append(f"max {b.ulp:g} ulp")
            if b.rel is not None:
                fig.append(f"max relative error {b.rel:g}")
            if b.abs is not None:
                fig.append(f"max absolute error {b.abs:g}")
            lines.append(f"    {mode}, {dtype}: {', '.join(fig) or 'see note'} -- {b.why}")
    return "\n".join(lines)
