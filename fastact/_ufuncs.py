"""The compiled backend: one numpy.ufunc per (activation, op, mode), made once
from the C kernel table, plus the ISA controls."""
import os
import warnings

from . import _core
from ._registry import ACTIVATIONS, ELEMENTWISE, INTERNAL, build_ufuncs

# Choose the ISA now, while the GIL is held: the loops read it without it.
_core.get_isa()
_forced = os.environ.get("FASTACT_ISA", "")
if _forced and _forced not in _core.ISAS:
    warnings.warn(f"fastact: FASTACT_ISA={_forced!r} is not one of {', '.join(_core.ISAS)}; "
                  f"ignored (using {_core.get_isa()})", RuntimeWarning, stacklevel=2)

_expected = {n: (len(ACTIVATIONS[n].params), len(ACTIVATIONS[n].modes)) for n in ELEMENTWISE}
_expected.update({n: (k, 2) for n, k in INTERNAL.items()})
if _core.SHAPES != _expected:
    raise ImportError("fastact: the C kernel table (csrc/activations.def) and fastact/_registry.py "
                      f"disagree on the activations or their (parameters, modes): {_core.SHAPES} "
                      f"vs {_expected}")

UFUNCS = build_ufuncs(_core.make_ufunc, "ufunc")
# The plain calls (contiguous arrays, parameters at their defaults or given as
# Python numbers) without the ufunc machinery: see _core.Direct. PLAIN for every
# element-wise row (prelu's required weight defaults to None, which Direct
# declines: prelu(x) takes the full path and its error); DIRECT for the rows
# whose default call it serves: the public functions' rows without a required
# parameter (not gelu_tanh, selected through gelu's approximate="tanh", nor prelu).
PLAIN = {key: _core.Direct(*key, tuple(p.default for p in ACTIVATIONS[key[0]].params),
                           uf.__name__, tuple(p.name for p in ACTIVATIONS[key[0]].params))
         for key, uf in UFUNCS.items() if key[0] in ELEMENTWISE}
DIRECT = {k: d for k, d in PLAIN.items() if not ACTIVATIONS[k[0]].variant_of
          and all(p.default is not None for p in ACTIVATIONS[k[0]].params)}
plain_first = _core.plain_first
bind_api = _core.bind_api


def get_ufunc(name, op, mode):
    return UFUNCS[(name, op, mode)]


get_isa = _core.get_isa
set_isa = _core.set_isa
best_isa = _core.best_isa
isa_supported = _core.isa_supported
ISAS = _core.ISAS
# softmax / log_softmax over contiguous rows (fastact/_axis.py)
rows = _core.rows


def build_info():
    return {
        "isa": _core.get_isa(),
        "best_isa": _core.best_isa(),
        "isa_supported": [i for i in _core.ISAS if _core.isa_supported(i)],
        "isa_compiled": [i for i in _core.ISAS if _core.isa_compiled(i)],
        "compiler": _core.COMPILER,
        "target_flags": _core.TARGET_FLAGS,
        "stream_min_bytes": _core.stream_min_bytes(),
    }
