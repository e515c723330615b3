# cython: language_level=3, boundscheck=False, wraparound=False
"""Cython wiring only: builds the numpy ufuncs from the C kernel table (csrc/).

Every ufunc has float16, float32 and float64 loops, all served by the one C
loop fa_ufunc_loop; the loop data says which activation, op and mode. NumPy
releases the GIL around the loop (no object arrays are involved).
"""
cimport numpy as cnp
from libc.stddef cimport ptrdiff_t
from libc.stdlib cimport free, malloc
from libc.string cimport strdup

import numpy as np

cnp.import_array()
cnp.import_ufunc()

cdef extern from "fastact.h":
    ctypedef enum fa_act:
        FA_ACT_COUNT
    ctypedef enum fa_op:
        FA_OP_FWD
        FA_OP_BWD
        FA_OP_FUSED
    ctypedef enum fa_mode:
        FA_MODE_ACCURATE
        FA_MODE_FAST
    ctypedef enum fa_dtype:
        FA_F32
        FA_F64
    ctypedef enum fa_isa:
        FA_ISA_COUNT
    ctypedef struct fa_loop_data:
        fa_act act
        fa_op op
        fa_mode mode
        int half
        fa_dtype dtype
    const char *fa_isa_name(fa_isa isa)
    int fa_isa_compiled(fa_isa isa)
    int fa_isa_supported(fa_isa isa)
    fa_isa fa_isa_best()
    fa_isa fa_isa_active()
    int fa_isa_set(fa_isa isa)
    const char *fa_act_name(fa_act act)
    int fa_act_nparams(fa_act act)
    int fa_act_nmodes(fa_act act)
    int fa_act_streams(fa_act act, fa_op op)
    int fa_op_nin(fa_op op)
    int fa_op_nout(fa_op op)
    void fa_ufunc_loop(char **args, const cnp.npy_intp *dims, const cnp.npy_intp *steps, void *data) nogil
    unsigned short fa_double_to_half(double d, int *overflow)
    ptrdiff_t fa_stream_min_bytes(ptrdiff_t nbytes)
    ctypedef enum fa_rows_fn:
        FA_ROWS_SOFTMAX
        FA_ROWS_LOG_SOFTMAX
    int fa_rows_call(int isa, fa_rows_fn fn, fa_op op, fa_mode mode, fa_dtype dt,
                     void *const *args, ptrdiff_t nrows, ptrdiff_t n) nogil

cdef extern from *:
    """
    #ifndef FA_TARGET_FLAGS
    #define FA_TARGET_FLAGS ""
    #endif
    #ifdef __VERSION__
    #define FA_COMPILER __VERSION__
    #else
    #define FA_COMPILER "unknown"
    #endif
    """
    const char *FA_TARGET_FLAGS
    const char *FA_COMPILER

OPS = {"forward": FA_OP_FWD, "backward": FA_OP_BWD, "fused": FA_OP_FUSED}
MODES = {"accurate": FA_MODE_ACCURATE, "fast": FA_MODE_FAST}

ACTIVATIONS = tuple(fa_act_name(<fa_act>i).decode() for i in range(FA_ACT_COUNT))
# name -> (number of parameters, number of modes), as csrc/activations.def says
SHAPES = {fa_act_name(<fa_act>i).decode(): (fa_act_nparams(<fa_act>i), fa_act_nmodes(<fa_act>i))
          for i in range(FA_ACT_COUNT)}
# name -> the passes whose large outputs are written with non-temporal stores
# (activations.def's streams column; csrc/loops.c)
STREAMS = {fa_act_name(<fa_act>i).decode():
           tuple(op for op, o in OPS.items() if fa_act_streams(<fa_act>i, <fa_op>o))
           for i in range(FA_ACT_COUNT)}
ISAS = tuple(fa_isa_name(<fa_isa>i).decode() for i in range(FA_ISA_COUNT))
COMPILER = FA_COMPILER.decode()
TARGET_FLAGS = FA_TARGET_FLAGS.decode()


cdef fa_isa _isa_index(name) except *:
    if name not in ISAS:
        raise ValueError(f"unknown ISA {name!r}; expected one of {', '.join(ISAS)}")
    return <fa_isa><int>ISAS.index(name)


def isa_compiled(name):
    return bool(fa_isa_compiled(_isa_index(name)))


def isa_supported(name):
    """True if the ISA is compiled in and this CPU runs it."""
    return bool(fa_isa_supported(_isa_index(name)))


def best_isa():
    return fa_isa_name(fa_isa_best()).decode()


def get_isa():
    return fa_isa_name(fa_isa_active()).decode()


def set_isa(name):
    """Switch every fastact ufunc to another ISA level (tests, benchmarks).
    Not thread-safe against calls running at the same time."""
    if fa_isa_set(_isa_index(name)) != 0:
        raise ValueError(f"ISA {name!r} is not supported on this CPU or not compiled in")


def stream_min_bytes(nbytes=None):
    """The output size in bytes from which contiguous runs of the passes that
    stream (csrc/activations.def) are written with non-temporal stores
    (csrc/loops.c), None where this build never streams; given nbytes (an int
    >= 0), sets it first (tests, benchmarks) and returns the previous value.
    Not thread-safe against calls running at the same time."""
    if nbytes is not None and (type(nbytes) is not int or nbytes < 0):
        raise ValueError(f"nbytes must be an int >= 0, got {nbytes!r}")
    cdef ptrdiff_t old = fa_stream_min_bytes(-1 if nbytes is None else nbytes)
    return None if old < 0 else old


cdef char NPY_TYPES[3]
NPY_TYPES[0] = np.dtype(np.float16).num
NPY_TYPES[1] = np.dtype(np.float32).num
NPY_TYPES[2] = np.dtype(np.float64).num


def make_ufunc(str act, str op, str mode, str name, str doc):
    """A new ufunc for one (activation, op, mode). Its loop tables are
    allocated once and live as long as the process (ufuncs keep pointers)."""
    if act not in ACTIVATIONS:
        raise ValueError(f"unknown activation {act!r}")
    cdef fa_op cop = <fa_op><int>OPS[op]
    cdef fa_act cact = <fa_act><int>ACTIVATIONS.index(act)
    cdef int nin = fa_op_nin(cop) + fa_act_nparams(cact), nout = fa_op_nout(cop), nargs = nin + nout, i, j
    cdef cnp.PyUFuncGenericFunction *funcs = <cnp.PyUFuncGenericFunction *>malloc(
        3 * sizeof(cnp.PyUFuncGenericFunction))
    cdef void **data = <void **>malloc(3 * sizeof(void *))
    cdef char *types = <char *>malloc(3 * nargs)
    cdef fa_loop_data *ld = <fa_loop_data *>malloc(3 * sizeof(fa_loop_data))
    # NumPy keeps the name and doc pointers too: they must outlive the ufunc.
    cdef char *cname = strdup(name.encode())
    cdef char *cdoc = strdup(doc.encode())
    if not (funcs and data and types and ld and cname and cdoc):
        free(funcs); free(data); free(types); free(ld); free(cname); free(cdoc)
        raise MemoryError()
    for i in range(3):
        ld[i].act = cact
        ld[i].op = cop
        ld[i].mode = <fa_mode><int>MODES[mode]
        ld[i].half = i == 0
        ld[i].dtype = FA_F64 if i == 2 else FA_F32
        funcs[i] = <cnp.PyUFuncGenericFunction>fa_ufunc_loop
        data[i] = &ld[i]
        for j in range(nargs):
            types[i * nargs + j] = NPY_TYPES[i]
    return cnp.PyUFunc_FromFuncAndData(funcs, data, types, 3, nin, nout,
                                       cnp.PyUFunc_None, cname, cdoc, 0)


cdef extern from "<fenv.h>":
    int FE_DIVBYZERO
    int FE_OVERFLOW
    int FE_INVALID
    int fetestexcept(int excepts) nogil
    int feclearexcept(int excepts) nogil

cdef int _FE_REPORTED = FE_DIVBYZERO | FE_OVERFLOW | FE_INVALID
# above this many elements the direct path releases the GIL (NumPy: 500)
cdef cnp.npy_intp _NOGIL_MIN = 4096


cdef bint _plain_array(object a, int typ, cnp.ndarray like, bint write):
    """a is an exact numpy.ndarray of dtype number typ (native byte order),
    C-contiguous, aligned, shaped as like (if given) and writeable if asked;
    anything else (subclasses, other layouts, 0-d arrays) is not plain."""
    if type(a) is not np.ndarray:
        return False
    cdef cnp.ndarray arr = <cnp.ndarray>a
    cdef int nd = cnp.PyArray_NDIM(arr)
    if (cnp.PyArray_TYPE(arr) != typ or nd == 0 or not cnp.PyArray_ISCARRAY_RO(arr)
            or not cnp.PyArray_ISNOTSWAPPED(arr)
            or (write and not cnp.PyArray_ISWRITEABLE(arr))):
        return False
    return like is None or _same_dims(arr, like, cnp.PyArray_NDIM(like))


cdef bint _disjoint_or_same(cnp.ndarray o, cnp.ndarray i, cnp.npy_intp nbytes, bint same_ok):
    cdef char *po = <char *>cnp.PyArray_DATA(o)
    cdef char *pi = <char *>cnp.PyArray_DATA(i)
    return po >= pi + nbytes or pi >= po + nbytes or (same_ok and po == pi)


# NumPy's float scalars, exact in a double: a parameter given as one (an np.float32
# slope) takes the plain path as a Python float does, with the value the binder
# would give the ufunc (cast to the data's dtype, or rounded to it from the
# double: the same). Through the binder it cost 2.5-4 us more per call.
_NP_FLOAT_SCALARS = (np.float16, np.float32, np.float64)


cdef class Direct:
    """The plain call of one (activation, op, mode) without the ufunc machinery:
    every array an exact numpy.ndarray of one float16/float32/float64 dtype
    and one shape, C-contiguous, aligned, native byte order, at least 1-d; each output
    None (allocated) or such an array that is exactly an input or overlaps
    nothing; parameters Python floats or ints, or NumPy float16/32/64 scalars
    (run() takes their values; at the defaults through __call__ without params).
    It runs the ufunc's own inner loop
    (fa_ufunc_loop) over the whole array, so results are identical to the
    ufunc's, and reports floating-point flags as NumPy would (the kernels raise
    none: see csrc/fastact.h). Any other call returns NotImplemented and the
    caller uses the ufunc, which handles broadcasting, casting, partial overlap,
    subclasses, __array_ufunc__ and every error. Measured here on 1,000 float32
    (relu, out given): the ufunc call takes 0.89 us, this 0.52 us (np.copyto
    0.49); with a Python-float parameter, which NumPy converts on every call,
    the ufunc takes 1.42 us and this 0.57 us. Since the flags are tested before
    they are cleared (0.45 -> 0.32 us on 8 elements), the public relu(x, out=y)
    takes 0.46 us on 1,000 (np.copyto 0.52, same session)."""
    cdef fa_loop_data ld[3]  # float32, float64, float16
    cdef int nd, nout, npar
    cdef tuple defaults, pnames
    cdef readonly str name

    def __init__(self, str act, str op, str mode, tuple params, str name, tuple pnames=()):
        cdef fa_act cact = <fa_act><int>ACTIVATIONS.index(act)
        cdef int i
        self.nd = fa_op_nin(<fa_op><int>OPS[op])
        self.nout = fa_op_nout(<fa_op><int>OPS[op])
        self.npar = fa_act_nparams(cact)
        if len(params) != self.npar or self.npar > 2:
            raise ValueError(f"{act}: {self.npar} parameter values expected, got {params!r}")
        self.defaults = params
        self.pnames = pnames
        for i in range(3):
            self.ld[i].act = cact
            self.ld[i].op = <fa_op><int>OPS[op]
            self.ld[i].mode = <fa_mode><int>MODES[mode]
            self.ld[i].half = i == 2
            self.ld[i].dtype = FA_F64 if i == 1 else FA_F32
        self.name = name

    def __call__(self, a, b=None, out=None, params=None):
        """Forward: (x, None, out); backward and fused: (grad_output, z or x,
        out), the fused out a pair; params: the parameters' values (Python
        floats or ints; None: the defaults). The result, or NotImplemented."""
        return self.run(a, b, out, self.defaults if params is None else params)

    cdef object run(self, object a, object b, object out, tuple params):
        # parameters: Python floats and ints only (NumPy casts them to the
        # array's dtype, as here); others (arrays, NumPy scalars) take the ufunc
        cdef double pd[2]
        cdef float pf[2]
        cdef unsigned short ph[2]
        cdef int overflow
        cdef int i
        cdef object v
        for i in range(self.npar):
            v = params[i]
            if type(v) is float or type(v) in _NP_FLOAT_SCALARS:
                pd[i] = <double>v
            elif type(v) is int and -9007199254740992 <= v <= 9007199254740992:
                pd[i] = <double>v
            else:
                return NotImplemented
            pf[i] = <float>pd[i]
            if (pf[i] - pf[i] != 0) and (pd[i] - pd[i] == 0):  # finite, but not in float32
                return NotImplemented
        if type(a) is not np.ndarray:
            return NotImplemented
        cdef cnp.ndarray A = <cnp.ndarray>a, B = None
        cdef int typ = cnp.PyArray_TYPE(A), k, j
        if ((typ != cnp.NPY_FLOAT and typ != cnp.NPY_DOUBLE and typ != NPY_TYPES[0])
                or not _plain_array(A, typ, None, False)):
            return NotImplemented
        if typ == NPY_TYPES[0]:
            # float16 data: NumPy rounds a Python-float parameter to float16 (once,
            # from the double); one that rounds to inf is left to it
            for i in range(self.npar):
                ph[i] = fa_double_to_half(pd[i], &overflow)
                if overflow:
                    return NotImplemented
        if self.nd == 2:
            if not _plain_array(b, typ, A, False):
                return NotImplemented
            B = <cnp.ndarray>b
        cdef object outs
        if self.nout == 1:
            outs = (out,)
        elif out is None:
            outs = (None, None)
        elif type(out) is tuple and len(<tuple>out) == 2:
            outs = out
        else:
            return NotImplemented
        cdef cnp.npy_intp size = cnp.PyArray_SIZE(A)
        cdef cnp.npy_intp isz = cnp.PyArray_ITEMSIZE(A)
        cdef cnp.npy_intp nbytes = size * isz
        cdef list res = []
        cdef cnp.ndarray O
        for k in range(self.nout):
            o = (<tuple>outs)[k]
            if o is None:
                res.append(cnp.PyArray_EMPTY(cnp.PyArray_NDIM(A), cnp.PyArray_DIMS(A), typ, 0))
                continue
            if not _plain_array(o, typ, A, True):
                return NotImplemented
            O = <cnp.ndarray>o
            # in place is element for element; any other overlap needs the ufunc's copies
            if not _disjoint_or_same(O, A, nbytes, True) or (
                    B is not None and not _disjoint_or_same(O, B, nbytes, True)):
                return NotImplemented
            for j in range(k):
                if not _disjoint_or_same(O, <cnp.ndarray>res[j], nbytes, False):
                    return NotImplemented
            res.append(O)
        cdef char *args[6]
        cdef cnp.npy_intp steps[6]
        cdef cnp.npy_intp dims[1]
        cdef int n = 0
        cdef void *ld = &self.ld[1 if typ == cnp.NPY_DOUBLE else 2 if typ == NPY_TYPES[0] else 0]
        args[n] = <char *>cnp.PyArray_DATA(A); steps[n] = isz; n += 1
        if B is not None:
            args[n] = <char *>cnp.PyArray_DATA(B); steps[n] = isz; n += 1
        for i in range(self.npar):
            if typ == cnp.NPY_DOUBLE:
                args[n] = <char *>&pd[i]
            elif typ == NPY_TYPES[0]:
                args[n] = <char *>&ph[i]
            else:
                args[n] = <char *>&pf[i]
            steps[n] = 0; n += 1
        for k in range(self.nout):
            args[n] = <char *>cnp.PyArray_DATA(<cnp.ndarray>res[k]); steps[n] = isz; n += 1
        dims[0] = size
        cdef int raised
        if fetestexcept(_FE_REPORTED):  # cleared only if set: clearing costs ~50 ns
            feclearexcept(_FE_REPORTED)
        if size > _NOGIL_MIN:
            with nogil:
                fa_ufunc_loop(args, dims, steps, ld)
        else:
            fa_ufunc_loop(args, dims, steps, ld)
        raised = fetestexcept(_FE_REPORTED)
        if raised:
            _report_flags(self.name, raised & FE_DIVBYZERO, raised & FE_OVERFLOW,
                          raised & FE_INVALID)
        return res[0] if self.nout == 1 else (res[0], res[1])


cdef object _UNSET = object()  # not given (the fused ufunc refuses out=None)


cdef inline object _none(object out):
    return None if out is _UNSET else out


cdef object _slow(object slow, tuple lead, object out, tuple args, dict kwargs, object mode):
    """slow(*lead, *args, [out=out,] [mode=mode,] **kwargs), out and mode only if
    given (_UNSET: not; the backward has no mode). out goes by keyword, which
    lets slow take its own short path to the ufunc (by position it would look
    like a parameter); by position only if more arguments follow, so that slow
    words the error as for the caller's own call."""
    if out is not _UNSET:
        if args:
            lead = lead + (out,)
        else:
            kwargs["out"] = out
    if mode is not _UNSET:
        kwargs["mode"] = mode
    return slow(*lead, *args, **kwargs)


cdef dict _api_ns = None      # fastact's namespace and the compiled backend module:
cdef object _api_impl = None  # the plain path serves only while fastact._impl is it


def bind_api(dict namespace, object impl):
    """Where plain_first's functions check that the compiled backend is the one
    in use (the tests point fastact._impl at the fallback for a while)."""
    global _api_ns, _api_impl
    _api_ns, _api_impl = namespace, impl


cdef object _direct_for(dict by_mode, object mode):
    """The Direct serving this mode, or None (another backend in use, a bad mode)."""
    if _api_ns is None or _api_ns.get("_impl") is not _api_impl:
        return None
    return by_mode.get(mode) if type(mode) is str else None


cdef object _plain(dict by_mode, object mode, object a, object b, object out):
    cdef object d = _direct_for(by_mode, mode)
    return NotImplemented if d is None else (<Direct>d).run(a, b, out, (<Direct>d).defaults)


cdef object _plain_kw(dict by_mode, tuple opt, object mode, object a, object b, object out,
                      dict kwargs):
    """_plain with the one keyword an activation may take besides out and mode:
    its option (gelu's approximate=), opt = (name, {value: by_mode of that row})."""
    if kwargs:
        if opt is None or len(kwargs) != 1:
            return NotImplemented
        v = kwargs.get(opt[0], _UNSET)
        if type(v) is not str:
            return NotImplemented
        by_mode = (<dict>opt[1]).get(v)
        if by_mode is None:
            return NotImplemented
    return _plain(by_mode, mode, a, b, out)


cdef object _plain_p(dict by_mode, object mode, object a, object b, tuple args, dict kwargs):
    """_plain for an activation with parameters: bound from args (the
    parameters in order, then out) and kwargs (parameter names, out) as the
    Python binding does; NotImplemented for anything else (the binding words
    the errors)."""
    cdef object d = _direct_for(by_mode, mode)
    if d is None:
        return NotImplemented
    cdef Direct dd = <Direct>d
    cdef Py_ssize_t na = len(args), k
    if na > dd.npar + 1:
        return NotImplemented
    cdef list vals = list(dd.defaults)
    for k in range(min(na, dd.npar)):
        vals[k] = args[k]
    cdef object out = args[dd.npar] if na == dd.npar + 1 else _UNSET
    for key, v in kwargs.items():
        if key == "out" and out is _UNSET:
            out = v
        elif key in dd.pnames and dd.pnames.index(key) >= na:
            vals[dd.pnames.index(key)] = v
        else:
            return NotImplemented
    return dd.run(a, b, _none(out), tuple(vals))


def plain_first(str op, dict by_mode, object slow, int nparams, tuple opt=None):
    """The public function of one op: the plain call through by_mode[mode] (a
    Direct; the backward's key is "accurate") when it applies, otherwise slow,
    the full Python binding (parameters, ufunc keywords, errors), with the same
    arguments. Written here rather than in Python because the checks would cost
    more than the kernel on small arrays; without parameters, out is a named
    argument, which spares building a dict of keywords. opt: (option name,
    {value: by_mode of the row it selects}) for an activation with an option
    (gelu's approximate=; none has parameters too). The caller gives the result
    slow's name, doc and signature."""
    if nparams == 0:
        if op == "forward":
            def forward(x, out=_UNSET, *args, mode="accurate", **kwargs):
                r = NotImplemented if args else _plain_kw(by_mode, opt, mode, x, None, _none(out),
                                                          kwargs)
                return _slow(slow, (x,), out, args, kwargs, mode) if r is NotImplemented else r
            return forward
        if op == "backward":
            def backward(grad_output, z, out=_UNSET, *args, **kwargs):
                r = NotImplemented if args else _plain_kw(by_mode, opt, "accurate", grad_output, z,
                                                          _none(out), kwargs)
                return _slow(slow, (grad_output, z), out, args, kwargs, _UNSET) \
                    if r is NotImplemented else r
            return backward
        def fwd_bwd(x, grad_output, out=_UNSET, *args, mode="accurate", **kwargs):
            r = NotImplemented if args else _plain_kw(by_mode, opt, mode, x, grad_output, _none(out),
                                                      kwargs)
            return _slow(slow, (x, grad_output), out, args, kwargs, mode) \
                if r is NotImplemented else r
        return fwd_bwd
    # parameters come positionally before out
    if op == "forward":
        def forward_p(x, *args, mode="accurate", **kwargs):
            r = _plain_p(by_mode, mode, x, None, args, kwargs)
            return _slow(slow, (x,), _UNSET, args, kwargs, mode) if r is NotImplemented else r
        return forward_p
    if op == "backward":
        def backward_p(grad_output, z, *args, **kwargs):
            r = _plain_p(by_mode, "accurate", grad_output, z, args, kwargs)
            return _slow(slow, (grad_output, z), _UNSET, args, kwargs, _UNSET) \
                if r is NotImplemented else r
        return backward_p
    def fwd_bwd_p(x, grad_output, *args, mode="accurate", **kwargs):
        r = _plain_p(by_mode, mode, x, grad_output, args, kwargs)
        return _slow(slow, (x, grad_output), _UNSET, args, kwargs, mode) \
            if r is NotImplemented else r
    return fwd_bwd_p


def _report_flags(name, divide, over, invalid):
    """What NumPy does after a ufunc's loop raised these flags, under np.errstate
    (its messages; "call" gets the kind and NumPy's status bits)."""
    err = np.geterr()
    bits = (1 if divide else 0) | (2 if over else 0) | (8 if invalid else 0)
    for raised, kind, what in ((divide, "divide", "divide by zero"), (over, "over", "overflow"),
                               (invalid, "invalid", "invalid value")):
        if not raised or err[kind] == "ignore":
            continue
        msg = f"{what} encountered in {name}"
        action = err[kind]
        if action == "raise":
            raise FloatingPointError(msg)
        if action == "call":
            np.geterrcall()(what, bits)
        elif action == "log":
            np.geterrcall().write(f"Warning: {msg}\n")
        elif action == "print":
            import sys
            sys.stderr.write(f"Warning: {msg}\n")
        else:
            import warnings
            warnings.warn(msg, RuntimeWarning, stacklevel=3)


ROWS = {"softmax": FA_ROWS_SOFTMAX, "log_softmax": FA_ROWS_LOG_SOFTMAX}
_ROW_ARGS = {"forward": (1, 1), "backward": (2, 1), "fused": (2, 2)}


cdef bint _same_dims(cnp.ndarray a, cnp.ndarray b, int nd):
    if cnp.PyArray_NDIM(a) != nd:
        return False
    cdef int d
    for d in range(nd):
        if cnp.PyArray_DIMS(a)[d] != cnp.PyArray_DIMS(b)[d]:
            return False
    return True


def rows(str name, str op, str mode, tuple arrays, isa=None):
    """Run the row kernel of softmax or log_softmax (csrc/rows-inl.h) over
    C-contiguous float32/float64 arrays of one shape (rows along the last axis;
    2-D, or any ndim >= 1: the leading axes are the rows), with the GIL
    released: arrays = the op's inputs then its outputs (forward x, y; backward
    grad_output, output, grad_input; fused x, grad_output, y, grad_input). On
    the active ISA, or on `isa` (a name). An output may be exactly an input
    (forward, backward) and must not overlap one otherwise (fused outputs:
    nothing): ValueError. The checks are C-level (PyArray_*): softmax on small
    arrays is dominated by this call's overhead."""
    cdef object cfn_o = ROWS.get(name), cop_o = OPS.get(op), cmode_o = MODES.get(mode)
    if cfn_o is None:
        raise ValueError(f"rows: unknown function {name!r}; expected softmax or log_softmax")
    if cop_o is None:
        raise ValueError(f"rows: unknown op {op!r}; expected one of {', '.join(_ROW_ARGS)}")
    if cmode_o is None:
        raise ValueError(f"rows: unknown mode {mode!r}; expected accurate or fast")
    cdef int nin = 2 if cop_o != FA_OP_FWD else 1
    cdef int nout = 2 if cop_o == FA_OP_FUSED else 1
    cdef Py_ssize_t narr = len(arrays)
    if narr != nin + nout:
        raise TypeError(f"rows: {op} takes {nin + nout} arrays, got {narr}")
    cdef int cisa = -1 if isa is None else <int>_isa_index(isa)
    cdef void *args[4]
    cdef cnp.ndarray arr, first = None
    cdef int k, nd = 0, typ = 0
    cdef object a
    for k in range(narr):
        a = arrays[k]
        if not cnp.PyArray_Check(a):
            raise TypeError(f"rows: array {k} is a {type(a).__name__}, not a numpy.ndarray")
        arr = <cnp.ndarray>a
        if cnp.PyArray_NDIM(arr) < 1 or not cnp.PyArray_IS_C_CONTIGUOUS(arr):
            raise ValueError(f"rows: array {k} must be C-contiguous with at least one axis")
        if k == 0:
            first, nd, typ = arr, cnp.PyArray_NDIM(arr), cnp.PyArray_TYPE(arr)
        if cnp.PyArray_TYPE(arr) != typ or (typ != cnp.NPY_FLOAT and typ != cnp.NPY_DOUBLE):
            raise TypeError(f"rows: array {k} has dtype {arr.dtype}; all must be float32 "
                            "or all float64")
        if not _same_dims(arr, first, nd):
            raise ValueError(f"rows: array {k} has shape {a.shape}, expected {arrays[0].shape}")
        if k >= nin and not cnp.PyArray_ISWRITEABLE(arr):
            raise ValueError(f"rows: output array {k} is read-only")
        args[k] = cnp.PyArray_DATA(arr)
    cdef ptrdiff_t n = cnp.PyArray_DIMS(first)[nd - 1]
    cdef ptrdiff_t size = cnp.PyArray_SIZE(first)
    if size == 0:
        return
    # the kernels' aliasing contract (csrc/rows-inl.h): an output may be exactly an
    # input (forward, backward: element for element), never overlap one otherwise;
    # the fused outputs overlap nothing
    cdef char *lo_k
    cdef char *lo_j
    cdef ptrdiff_t nbytes = size * cnp.PyArray_ITEMSIZE(first)
    cdef int j
    for k in range(nin, narr):
        lo_k = <char *>args[k]
        for j in range(k):
            lo_j = <char *>args[j]
            if lo_k < lo_j + nbytes and lo_j < lo_k + nbytes and not (
                    lo_k == lo_j and j < nin and cop_o != FA_OP_FUSED):
                raise ValueError(f"rows: array {k} (an output) overlaps array {j}")
    cdef ptrdiff_t nrows = size // n
    cdef fa_rows_fn cfn = <fa_rows_fn><int>cfn_o
    cdef fa_op cop = <fa_op><int>cop_o
    cdef fa_mode cmode = <fa_mode><int>cmode_o
    cdef fa_dtype cdt = FA_F64 if typ == cnp.NPY_DOUBLE else FA_F32
    cdef int rc = 0
    with nogil:
        rc = fa_rows_call(cisa, cfn, cop, cmode, cdt, args, nrows, n)
    if rc != 0:
        raise ValueError(f"rows: ISA {isa!r} is not supported on this CPU")
