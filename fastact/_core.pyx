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
    int fa_op_nin(fa_op op)
    int fa_op_nout(fa_op op)
    void fa_ufunc_loop(char **args, const cnp.npy_intp *dims, const cnp.npy_intp *steps, void *data)
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
