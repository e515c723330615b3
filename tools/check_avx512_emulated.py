#!/usr/bin/env python3
"""Runs fastact's AVX-512 kernels on an emulated CPU and checks them.

Machines without AVX-512 (like the ones fastact is developed on) compile the
AVX-512 kernels but never execute them. This tool executes every entry of the
AVX-512 kernel table (csrc/kernels-inl.h: activation x op x mode x dtype x
parameter kind) under BochsCPU, the x86-64 CPU of the Bochs emulator as a
library (PyPI: bochscpu-python; Bochs implements AVX-512 F/DQ/BW/VL), and
checks the results:

  * against the same table's AVX2 kernels run natively (max difference in ulp;
    NaN, infinity and signed-zero positions must agree);
  * against the independent references of tests/family_reference.py with the
    registry's error bounds (fastact/_registry.py), as tests/test_family.py does
    (AVX-512 differs from AVX2 in places: vscalef, rcp14, tanh's register
    tables), and exp_shifted as tests/test_softmax.py does;
  * self-consistency: the fused pass's y is the forward's, bit for bit, and for
    activations whose backward reads x, backward(g, x) is the fused gradient;
  * the kernel contract: lengths 1..40 and a few longer ones at several
    alignments give the same bits as the long run, nothing is written outside
    [0, n) (guard values around every output), and in-place calls (outputs
    aliasing inputs) give the same bits.

How. tools/avx512_runner.c is linked with csrc/targets/avx512.c (compiled with
setup.py's flags, read from setup.py) into a bare static program (no libc) that
reads a list of kernel calls from guest memory, runs them and halts. The tool
maps the guest's memory onto a NumPy buffer (identity paging, 2 MiB pages, long
mode, AVX-512 state enabled), runs the program in a child process (so a hang or
an emulator crash cannot take the tool down), and reads the outputs back. The
same job list runs natively through the same runner linked with
csrc/targets/avx2.c as a shared library.

The bochscpu-python 0.4.0 wheel needs two glibc 2.38 symbols; on an older
glibc, tools/bochscpu_glibc_shim.c (built here into a temporary directory) is
preloaded into the child. --self-check also runs the AVX2 table in the
emulator and requires the same bits as natively (a check of the emulator).

Usage: python3 tools/check_avx512_emulated.py [--quick] [--only NAME ...]
Exit status: 0 all checks passed, 1 a check failed (a mismatch beyond the
bounds, a fault, a hang, a write outside an output), 2 cannot run (no
bochscpu, no compiler).
"""
import argparse
import ast
import ctypes
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSRC = os.path.join(ROOT, "csrc")
RUNNER = os.path.join(ROOT, "tools", "avx512_runner.c")
SHIM = os.path.join(ROOT, "tools", "bochscpu_glibc_shim.c")

# ---- the C side's enumerations (csrc/fastact.h, csrc/activations.def) ---------

OPS = ("forward", "backward", "fused")          # fa_op order
MODES = ("accurate", "fast")                    # fa_mode order
DTYPES = (np.dtype(np.float32), np.dtype(np.float64))  # fa_dtype order
PKINDS = ("scalar", "array")                    # fa_params order
LANES = {np.dtype(np.float32): 16, np.dtype(np.float64): 8}  # AVX-512 vector width


def read_activations():
    """[(name, nparams, nmodes)] in activations.def order (the table's first index)."""
    text = open(os.path.join(CSRC, "activations.def")).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return [(m[0], int(m[1]), int(m[2]))
            for m in re.findall(r"^FA_ACT\((\w+),\s*(\d+),\s*(\d+)\)", text, flags=re.M)]


def read_setup_flags():
    """setup.py's ISA_TABLE, COMMON_FLAGS and SCHED_FLAGS (read, not imported:
    importing setup.py would run setup())."""
    tree = ast.parse(open(os.path.join(ROOT, "setup.py")).read())
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id in ("ISA_TABLE", "COMMON_FLAGS", "SCHED_FLAGS"):
            found[node.targets[0].id] = ast.literal_eval(node.value)
    return found


# ---- guest memory layout (physical = virtual, identity-mapped) ------------------

PAGE = 4096
PML4, PDPT, PD = 0x1000, 0x2000, 0x3000   # page tables: one PD of 2 MiB pages (1 GiB)
HEADER = 0x8000                           # fa_runner_header of avx512_runner.c
STACK_TOP = 0xF0000
IMAGE = 0x100000                          # the program's load address
DATA = 0x1000000                          # the job list and the arrays
RUNNER_MAGIC = 0x46415354414354
RUNNER_DONE = 0x454E4F44

JOB_DTYPE = np.dtype([("act", "<i4"), ("op", "<i4"), ("mode", "<i4"), ("dtype", "<i4"),
                      ("params", "<i4"), ("pad", "<i4"), ("n", "<i8"), ("args", "<u8", 6)])

# ---- building -----------------------------------------------------------------


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}\n{r.stdout}{r.stderr}")
    return r


def cc_accepts(cc, flags, tmp):
    src = os.path.join(tmp, "probe.c")
    with open(src, "w") as f:
        f.write("int main(void) { return 0; }\n")
    r = subprocess.run([cc] + flags + ["-Werror", "-c", src, "-o", src + ".o"],
                       capture_output=True, text=True)
    return r.returncode == 0 and not r.stderr.strip()


def build(tmp, cc, isas_bare, isa_native):
    """Builds the bare images (one per ISA in isas_bare), the native library
    for isa_native and the shim. Returns ({isa: elf path}, native .so, shim .so)."""
    cfg = read_setup_flags()
    common = cfg["COMMON_FLAGS"] + (cfg["SCHED_FLAGS"] if cc_accepts(cc, cfg["SCHED_FLAGS"], tmp) else [])
    images = {}
    for isa in isas_bare:
        flags = cfg["ISA_TABLE"][isa][1]
        kobj = os.path.join(tmp, f"{isa}_bare.o")
        # exactly the shipped object's flags (setup.py); static non-PIE link below
        run([cc, "-c", os.path.join(CSRC, "targets", f"{isa}.c"), "-I", CSRC, "-o", kobj]
            + common + flags)
        robj = os.path.join(tmp, f"runner_{isa}.o")
        run([cc, "-c", RUNNER, "-I", CSRC, "-o", robj, "-O2", "-std=c11", "-ffreestanding",
             "-fno-builtin", "-fno-tree-loop-distribute-patterns", "-fno-pic", "-mno-red-zone",
             "-fno-stack-protector", f"-DFA_RUNNER_TABLE=fa_table_{isa}", "-DFA_RUNNER_BARE",
             f"-DFA_RUNNER_HEADER={HEADER:#x}"])
        elf = os.path.join(tmp, f"{isa}.elf")
        run([cc, "-nostdlib", "-static", "-no-pie", f"-Wl,-Ttext-segment={IMAGE:#x}",
             "-Wl,-e,_start", "-Wl,--build-id=none", "-o", elf, robj, kobj, "-lgcc"])
        images[isa] = elf
    flags = cfg["ISA_TABLE"][isa_native][1]
    kobj = os.path.join(tmp, f"{isa_native}_native.o")
    run([cc, "-c", os.path.join(CSRC, "targets", f"{isa_native}.c"), "-I", CSRC, "-fPIC",
         "-o", kobj] + common + flags)
    so = os.path.join(tmp, f"runner_{isa_native}.so")
    run([cc, "-shared", "-fPIC", "-O2", "-std=c11", "-I", CSRC,
         f"-DFA_RUNNER_TABLE=fa_table_{isa_native}", RUNNER, kobj, "-o", so])
    shim = os.path.join(tmp, "libbochscpu_glibc_shim.so")
    run([cc, "-shared", "-fPIC", "-O2", SHIM, "-o", shim])
    return images, so, shim


def load_elf(path):
    """(entry, [(vaddr, bytes, memsz)]) of a static x86-64 ELF's PT_LOAD segments."""
    data = open(path, "rb").read()
    assert data[:4] == b"\x7fELF" and data[4] == 2, f"{path}: not an ELF64 file"
    entry, phoff = struct.unpack_from("<QQ", data, 24)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    segs = []
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz, p_memsz, _ = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:  # PT_LOAD
            segs.append((p_vaddr, data[p_offset:p_offset + p_filesz], p_memsz))
    return entry, segs


# ---- the emulated machine (runs in a child process: --worker) --------------------


def worker(job_dir):
    """Child process: runs <job_dir>/meta.json's image on <job_dir>/in.bin, writes
    out.bin and status.json. Imports bochscpu (needs the preloaded shim)."""
    import bochscpu
    import bochscpu.cpu
    import bochscpu.memory as mem

    meta = json.load(open(os.path.join(job_dir, "meta.json")))
    ws = np.fromfile(os.path.join(job_dir, "in.bin"), np.uint8)
    ramsize = max(64 << 20, (DATA + ws.size + (2 << 20)) & ~((2 << 20) - 1))
    assert ramsize <= 1 << 30, "one page directory maps 1 GiB"
    raw = np.zeros(ramsize + PAGE, np.uint8)
    ram = raw[(-raw.ctypes.data) % PAGE:][:ramsize]
    base = ram.ctypes.data
    for a in range(0, ramsize, PAGE):  # guest physical page a is host ram[a:a+4096]
        mem.page_insert(a, base + a)
    q = ram.view(np.uint64)
    q[PML4 // 8] = PDPT | 3                                 # present, writable
    q[PDPT // 8] = PD | 3
    q[PD // 8:PD // 8 + ramsize // (2 << 20)] = (
        np.arange(ramsize // (2 << 20), dtype=np.uint64) << np.uint64(21)) | np.uint64(0x83)  # 2 MiB
    entry, segs = load_elf(meta["image"])
    for vaddr, blob, memsz in segs:
        assert IMAGE <= vaddr and vaddr + memsz <= DATA, "image outside its window"
        ram[vaddr:vaddr + len(blob)] = np.frombuffer(blob, np.uint8)
        ram[vaddr + len(blob):vaddr + memsz] = 0             # .bss
    ram[DATA:DATA + ws.size] = ws
    hdr = ram[HEADER:HEADER + 48].view(np.int64)
    hdr[:] = [RUNNER_MAGIC, meta["count"], DATA + meta["jobs_offset"], 0, -2, 0]

    sess = bochscpu.Session()
    status = {"events": []}

    def missing(gpa):
        status["events"].append(f"access to unmapped guest page {gpa:#x}")
        finish(2)

    def finish(code):
        status.update(result=int(hdr[3]), current=int(hdr[4]), done=int(hdr[5]) == RUNNER_DONE)
        ram[DATA:DATA + ws.size].tofile(os.path.join(job_dir, "out.bin"))
        with open(os.path.join(job_dir, "status.json"), "w") as f:
            json.dump(status, f)
        sys.stdout.flush()
        os._exit(code)  # the binding crashes at interpreter exit; leave at once

    sess.missing_page_handler = missing
    st = bochscpu.State()
    bochscpu.cpu.set_long_mode(st)
    cr4 = bochscpu.cpu.ControlRegister(st.cr4)
    cr4.OSFXSR = True       # SSE
    cr4.OSXMMEXCPT = True   # SIMD floating-point exceptions as #XM, not #UD
    cr4.OSXSAVE = True      # XCR0 (AVX, AVX-512 state)
    st.cr4 = int(cr4)
    st.xcr0 = 0xE7          # x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM
    st.mxcsr = 0x1F80       # all exceptions masked, round to nearest, no FTZ/DAZ
    st.cr3 = PML4
    cs = bochscpu.Segment()
    cs.present, cs.selector, cs.base, cs.limit, cs.attr = True, 0x8, 0, 0xFFFFFFFF, 0x209B  # 64-bit code
    ds = bochscpu.Segment()
    ds.present, ds.selector, ds.base, ds.limit, ds.attr = True, 0x10, 0, 0xFFFFFFFF, 0xC093
    st.cs = cs
    st.ds = st.ss = st.es = st.fs = st.gs = ds
    st.rsp = STACK_TOP - 8  # as after a call: rsp + 8 is 16-byte aligned
    st.rip = entry
    st.rflags = 2
    sess.cpu.state = st

    hook = bochscpu.Hook()

    def on_hlt(s, cpu_id):
        s.stop()

    def on_exception(s, cpu_id, vector, error):
        status["events"].append(f"exception vector {vector} error {error:#x} at rip {s.cpu.rip:#x}")
        s.stop()

    hook.hlt = on_hlt
    hook.exception = on_exception
    t = time.time()
    sess.run([hook])
    status["seconds"] = time.time() - t
    finish(0)


# ---- job lists ---------------------------------------------------------------------


class Batch:
    """A workspace of arrays and a job list over them, built once and run on
    any base address (natively at a buffer's address, or in the guest at DATA)."""

    def __init__(self):
        self.size = 0
        self.blobs = []      # (offset, array) copied in before the run
        self.outs = []       # (offset, n, dtype, guard): output regions to check
        self.jobs = []       # (act, op, mode, dt, pk, n, [arg offsets])

    def alloc(self, nbytes, misalign=0):
        off = -(-self.size // 64) * 64 + misalign
        self.size = off + nbytes
        return off

    def put(self, arr, misalign=0):
        arr = np.ascontiguousarray(arr)
        off = self.alloc(arr.nbytes, misalign * arr.itemsize)
        self.blobs.append((off, arr))
        return off

    def out(self, n, dtype, misalign=0, init=None):
        """An output of n elements with GUARD guard elements each side; returns the
        offset of element 0. init: the region's initial contents (in-place calls)."""
        dtype = np.dtype(dtype)
        g = GUARD
        region = np.full(n + 2 * g, SENTINEL[dtype], dtype=np.dtype(f"u{dtype.itemsize}")).view(dtype)
        if init is not None:
            region[g:g + n] = init
        off = self.put(region, misalign) + g * dtype.itemsize
        self.outs.append((off, n, dtype, g))
        return off

    def job(self, act, op, mode, dt, pk, n, args):
        self.jobs.append((act, op, mode, dt, pk, n, list(args)))
        return len(self.jobs) - 1

    def image(self, base):
        """The workspace bytes for a run at `base` (64-byte aligned), with the job
        list at its end. Returns (bytes array, jobs offset)."""
        jobs_off = self.alloc(len(self.jobs) * JOB_DTYPE.itemsize)
        buf = np.zeros(self.size, np.uint8)
        for off, arr in self.blobs:
            buf[off:off + arr.nbytes] = arr.view(np.uint8).ravel()
        jt = np.zeros(len(self.jobs), JOB_DTYPE)
        for i, (act, op, mode, dt, pk, n, args) in enumerate(self.jobs):
            jt[i] = (act, op, mode, dt, pk, 0, n, list(a + base for a in args) + [0] * (6 - len(args)))
        buf[jobs_off:jobs_off + jt.nbytes] = jt.view(np.uint8)
        self.size = jobs_off  # the job list is appended afresh by each image()
        return buf, jobs_off


GUARD = 16
SENTINEL = {np.dtype(np.float32): 0x7FA1B2C3, np.dtype(np.float64): 0x7FF4A1B2C3D4E5F6}  # sNaNs


def run_native(batch, so):
    lib = ctypes.CDLL(so)
    lib.fa_run_jobs.restype = ctypes.c_int64
    lib.fa_run_jobs.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p]
    # a buffer at a 64-byte aligned address, like DATA in the guest
    probe_size = batch.size + len(batch.jobs) * JOB_DTYPE.itemsize + 128
    raw = np.zeros(probe_size + 64, np.uint8)
    base = raw.ctypes.data + (-raw.ctypes.data) % 64
    buf, jobs_off = batch.image(base)
    ws = raw[base - raw.ctypes.data:][:buf.size]
    ws[:] = buf
    cur = ctypes.c_int64(-1)
    r = lib.fa_run_jobs(ws.ctypes.data + jobs_off, len(batch.jobs), ctypes.byref(cur))
    if r != len(batch.jobs):
        raise RuntimeError(f"native run: job {-r - 1} names no kernel")
    return ws.copy()


def run_emulated(batch, image, shim, tmp, timeout):
    """Runs the batch in a child process; returns (workspace after the run or
    None, status dict)."""
    buf, jobs_off = batch.image(DATA)
    d = tempfile.mkdtemp(dir=tmp)
    buf.tofile(os.path.join(d, "in.bin"))
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"image": image, "count": len(batch.jobs), "jobs_offset": jobs_off}, f)
    env = dict(os.environ)
    if shim:
        env["LD_PRELOAD"] = (shim + " " + env.get("LD_PRELOAD", "")).strip()
    t = time.time()
    try:
        r = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", d], env=env,
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, {"events": [f"no halt within {timeout} s (hang?)"], "current": None}
    st = {"events": []}
    if os.path.exists(os.path.join(d, "status.json")):
        st = json.load(open(os.path.join(d, "status.json")))
    if r.returncode != 0 or not st.get("done"):
        st["events"].append(f"worker exit {r.returncode}: {(r.stderr or '')[-800:]}")
    st["wall"] = time.time() - t
    out = None
    if os.path.exists(os.path.join(d, "out.bin")):
        out = np.fromfile(os.path.join(d, "out.bin"), np.uint8)
    shutil.rmtree(d, ignore_errors=True)
    return out, st


# ---- inputs -------------------------------------------------------------------------


def specials(dtype):
    fi = np.finfo(dtype)
    sub = float(fi.smallest_subnormal)
    v = [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, sub, -sub, 3 * sub, -7 * sub,
         float(fi.smallest_normal) / 3, -float(fi.smallest_normal) / 5,
         float(fi.smallest_normal), -float(fi.smallest_normal), float(fi.max), -float(fi.max),
         float(fi.max) / 2, -float(fi.max) / 3, 1e30, -1e30, 1e-30, -1e-30, 1.0, -1.0]
    if dtype == np.float64:
        v += [1e300, -1e300, 1e-300, -1e-300, 1e100, -1e100]
    x = np.array(v, dtype)
    # a signalling NaN and a NaN with payload, both signs
    nb = {np.dtype(np.float32): [0x7FA00001, 0xFFC12345], np.dtype(np.float64):
          [0x7FF4000000000001, 0xFFF8123456789ABC]}[dtype]
    return np.concatenate([x, np.array(nb, f"u{dtype.itemsize}").view(dtype)])


def act_inputs(name, dtype, n, rng, act):
    """Specials, the registry's probes and kinks with neighbours (both signs), and
    random values over every magnitude (as tests/test_family.py's inputs)."""
    fi = np.finfo(dtype)
    lo, hi = math.log2(float(fi.smallest_subnormal)), math.log2(float(fi.max))
    pts = []
    if act is not None:
        pts = [p for p in act.probes] + [-p for p in act.probes]
    import reference as R
    from family_reference import REFS
    if name in REFS:
        pts += list(REFS[name].kink_points)
    fixed = np.concatenate([specials(dtype), R.neighbours(pts, dtype, 2)]) if pts else specials(dtype)
    m = max(n - fixed.size, 16)
    k = m // 4
    mags = np.concatenate([np.abs(rng.standard_normal(k)) * 3, rng.uniform(0, 30, k),
                           rng.uniform(0, 120, k), np.exp2(rng.uniform(lo, hi, m - 3 * k))])
    with np.errstate(over="ignore"):
        r = (mags * rng.choice([-1.0, 1.0], mags.size)).astype(dtype)
    x = np.concatenate([fixed, r])
    return x[rng.permutation(x.size)]  # specials spread over body and tails


def grad_outputs(n, dtype, rng):
    g = rng.standard_normal(n).astype(dtype)
    sp = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e-30, 2.0, 0.5], dtype)
    idx = rng.choice(n, min(n // 8, 3 * sp.size), replace=False)
    g[idx] = sp[np.arange(idx.size) % sp.size]
    return g


# ---- the plan: jobs per activation and dtype, and the checks on their results ------


def param_sets(name, dtype, quick):
    from family_reference import REFS
    if name == "exp_shifted":  # shifts as tests/test_softmax.py's
        fi = np.finfo(dtype)
        sets = [(0.0,), (1.5,), (-3.0,), (1e4,), (-1e4,), (float(fi.max),), (2.0 ** -130,)]
    else:
        sets = list(REFS[name].params)
    return sets[:2] if quick else sets


class Plan:
    """Jobs for one activation in both dtypes, and what to check on the results."""

    def __init__(self, idx, name, nparams, nmodes, act, quick, rng):
        self.idx, self.name, self.nparams, self.nmodes, self.act = idx, name, nparams, nmodes, act
        self.quick = quick
        self.rng = rng
        self.batch = Batch()
        self.variants = []   # dicts: label, dtype, pk, x, params, g, z, jobs...
        self.lengths = []    # (variant, mode, op, n, start, outs...)
        self.inplace = []

    # -- building
    def build(self, n_main, lengths):
        b = self.batch
        for dti, dtype in enumerate(DTYPES):
            for pk in (0, 1) if self.nparams else (0,):
                psets = param_sets(self.name, dtype, self.quick)
                cases = [(ps, None) for ps in psets] if pk == 0 else [(None, psets)]
                for ps, choose in cases:
                    v = self.variant(dtype, dti, pk, ps, choose, n_main)
                    self.variants.append(v)
            # length sweeps and in-place calls on the first variant of each kind
            for v in [w for w in self.variants if w["dtype"] == dtype]:
                if v["first"]:
                    self.sweep(v, lengths)

    def variant(self, dtype, dti, pk, ps, choose, n):
        rng, b = self.rng, self.batch
        label = f"params {ps}" if pk == 0 else f"per-element params from {choose}"
        if self.nparams == 0:
            label = "no params"
        if self.name == "exp_shifted":
            d = np.concatenate([rng.exponential(20, n // 2), rng.uniform(0, 800, n // 8),
                                np.exp2(rng.uniform(-60, 130, n - n // 2 - n // 8))])
            shifts = (np.full(n, ps[0]) if pk == 0 else
                      np.array([c[0] for c in choose])[rng.integers(len(choose), size=n)])
            with np.errstate(over="ignore", invalid="ignore"):
                x = (shifts.astype(dtype) - d.astype(dtype)).astype(dtype)
            x[: min(n, 8)] = np.array([np.inf, -np.inf, np.nan, 5.0, 0.0, -0.0,
                                       -float(np.finfo(dtype).max), 1e30], dtype)[: min(n, 8)]
            pvals = [dtype.type(ps[0])] if pk == 0 else [shifts.astype(dtype)]
        else:
            x = act_inputs(self.name, dtype, n, rng, self.act)
            n = x.size
            if pk == 0:
                pvals = [dtype.type(p) for p in ps]
            else:
                pick = rng.integers(len(choose), size=n)
                pvals = [np.array([c[k] for c in choose], dtype)[pick] for k in range(self.nparams)]
        n = x.size
        g = grad_outputs(n, dtype, rng)
        z = x
        if self.act is not None and self.act.backward_from == "output":
            from family_reference import REFS
            with np.errstate(all="ignore"):
                z = np.asarray(REFS[self.name].forward(x.astype(np.float64 if dtype == np.float32
                                                                 else np.longdouble))).astype(dtype)
        v = dict(label=label, dtype=dtype, dti=dti, pk=pk, x=x, params=pvals, g=g, z=z, n=n,
                 first=(pk == 0 and ps == param_sets(self.name, dtype, self.quick)[0]) or pk == 1,
                 runs={})
        # inputs, once: every job of the variant reads these
        v["x_off"] = b.put(x)
        v["g_off"] = b.put(g)
        v["one_off"] = b.put(np.ones(n, dtype))
        v["z_off"] = b.put(z) if z is not x else v["x_off"]
        if pk == 0:
            v["p_offs"] = [b.put(np.array([p], dtype)) for p in pvals]
        else:
            v["p_offs"] = [b.put(p) for p in pvals]
        for mode in range(self.nmodes):
            self.main_jobs(v, mode)
        return v

    def pargs(self, v, start):
        """Parameter pointers for elements [start, ...)."""
        isz = v["dtype"].itemsize
        return [o + (start * isz if v["pk"] == 1 else 0) for o in v["p_offs"]]

    def main_jobs(self, v, mode):
        b, n, dt, dti, pk = self.batch, v["n"], v["dtype"], v["dti"], v["pk"]
        A = self.idx
        p = self.pargs(v, 0)
        y = b.out(n, dt)
        b.job(A, 0, mode, dti, pk, n, [v["x_off"]] + p + [y])
        y1, g1 = b.out(n, dt), b.out(n, dt)
        b.job(A, 2, mode, dti, pk, n, [v["x_off"], v["one_off"]] + p + [y1, g1])
        y2, g2 = b.out(n, dt), b.out(n, dt)
        b.job(A, 2, mode, dti, pk, n, [v["x_off"], v["g_off"]] + p + [y2, g2])
        outs = {"forward": y, "fused1.y": y1, "fused1.gx": g1, "fused.y": y2, "fused.gx": g2}
        if mode == 0:  # the backward has no mode (the table holds one kernel for both)
            gb = b.out(n, dt)
            b.job(A, 1, mode, dti, pk, n, [v["g_off"], v["z_off"]] + p + [gb])
            outs["backward"] = gb
        v["runs"][mode] = outs

    def sweep(self, v, lengths):
        b, dt, dti, pk, isz = self.batch, v["dtype"], v["dti"], v["pk"], v["dtype"].itemsize
        A, N = self.idx, v["n"]
        for mode in range(self.nmodes):
            for k, n in enumerate(lengths):
                if n > N:
                    continue
                s = (k * 37 + n) % (N - n + 1)   # a different start (alignment) each time
                mis = (k * 5) % LANES[dt]        # and a different output misalignment
                p = self.pargs(v, s)
                x, g, z = (v["x_off"] + s * isz, v["g_off"] + s * isz, v["z_off"] + s * isz)
                y = b.out(n, dt, mis)
                b.job(A, 0, mode, dti, pk, n, [x] + p + [y])
                y2, g2 = b.out(n, dt, mis), b.out(n, dt, (mis + 3) % LANES[dt])
                b.job(A, 2, mode, dti, pk, n, [x, g] + p + [y2, g2])
                outs = {"forward": y, "fused.y": y2, "fused.gx": g2}
                if mode == 0:
                    gb = b.out(n, dt, mis)
                    b.job(A, 1, mode, dti, pk, n, [g, z] + p + [gb])
                    outs["backward"] = gb
                self.lengths.append((v, mode, n, s, outs))
            # in place: outputs alias inputs (the contract allows exactly this)
            for n in (45, 77):
                if n > N:
                    continue
                s = (n * 11) % (N - n + 1)
                p = self.pargs(v, s)
                xs, gs, zs = (a[s:s + n] for a in (v["x"], v["g"], v["z"]))
                y = b.out(n, dt, 1, init=xs)
                b.job(A, 0, mode, dti, pk, n, [y] + p + [y])
                y2, g2 = b.out(n, dt, 2, init=xs), b.out(n, dt, 5, init=gs)
                b.job(A, 2, mode, dti, pk, n, [y2, g2] + p + [y2, g2])
                outs = {"forward": y, "fused.y": y2, "fused.gx": g2}
                if mode == 0:
                    gb = b.out(n, dt, 3, init=gs)
                    b.job(A, 1, mode, dti, pk, n, [gb, v["z_off"] + s * isz] + p + [gb])
                    outs["backward"] = gb
                self.inplace.append((v, mode, n, s, outs))


# ---- comparisons -----------------------------------------------------------------


def view(ws, off, n, dtype):
    return ws[off:off + n * dtype.itemsize].view(dtype)


def ordered(a):
    """Float bit patterns as integers ordered like the values (+0 and -0 both 0)."""
    it = np.dtype(f"i{a.dtype.itemsize}")
    i = a.view(it).astype(np.int64) if a.dtype.itemsize == 4 else a.view(it)
    mag = i & np.int64(np.iinfo(it).max)
    return np.where(i < 0, -mag, mag)


def ulp_diff(a, b):
    """|a - b| in steps of the float grid (NaNs excluded: 0 there)."""
    nan = np.isnan(a) | np.isnan(b)
    d = np.abs(ordered(a).astype(np.float64) - ordered(b).astype(np.float64))
    return np.where(nan, 0.0, d)


def special_mismatch(a, b):
    """Where NaN-ness, infinities or the sign of a zero differ."""
    na, nb = np.isnan(a), np.isnan(b)
    bad = na != nb
    bad |= (np.isinf(a) | np.isinf(b)) & ~(na | nb) & (a != b)
    bad |= (a == 0) & (b == 0) & (np.signbit(a) != np.signbit(b))
    return bad


def bits_equal(a, b):
    it = np.dtype(f"u{a.dtype.itemsize}")
    return a.view(it) == b.view(it)


class Report:
    def __init__(self):
        self.rows = {}      # (name, op, mode, dtype) -> dict
        self.failures = []
        self.notes = []

    def row(self, name, op, mode, dtype):
        return self.rows.setdefault((name, op, mode, dtype.name), {
            "avx2_ulp": 0.0, "avx2_special": 0, "ref": None, "ref_bound": "", "consistency": 0,
            "tails": 0, "guards": 0, "inplace": 0, "elements": 0})

    def fail(self, msg):
        self.failures.append(msg)


def fmt_x(x):
    x = np.asarray(x)
    return f"{x!r} ({float(x).hex() if np.isfinite(x) else x})"


def check_plan(plan, ws512, ws2, rep, mp_budget):
    import reference as R
    from family_reference import REFS
    name = plan.name
    for v in plan.variants:
        dt = v["dtype"]
        n, x = v["n"], v["x"]
        for mode, outs in v["runs"].items():
            mname = MODES[mode]
            got = {k: view(ws512, o, n, dt) for k, o in outs.items()}
            base = {k: view(ws2, o, n, dt) for k, o in outs.items()}
            what = f"{name} {mname} {dt.name} {PKINDS[v['pk']]}-params ({v['label']})"
            # against AVX2, natively
            for k in got:
                op = k.split(".")[0].replace("fused1", "fused")
                r = rep.row(name, op, mname, dt)
                d = ulp_diff(got[k], base[k])
                r["avx2_ulp"] = max(r["avx2_ulp"], float(d.max()))
                r["elements"] += n
                sm = special_mismatch(got[k], base[k])
                if k in ("fused.gx", "backward"):
                    # g = +-inf or NaN times a derivative that one ISA rounds to 0 and
                    # the other to a tiny number (both within the bound, which the
                    # g = 1 run checks) gives NaN on one and inf on the other: noted,
                    # not failed
                    soft = sm & ~np.isfinite(v["g"])
                    if soft.any():
                        i = int(np.argmax(soft))
                        rep.notes.append(
                            f"{what} {k}: g = {v['g'][i]!r} at input {fmt_x(x[i] if k != 'backward' else v['z'][i])}: "
                            f"avx512 {got[k][i]!r}, avx2 {base[k][i]!r} ({int(soft.sum())} such)")
                    sm &= np.isfinite(v["g"])
                if sm.any():
                    i = int(np.argmax(sm))
                    r["avx2_special"] += int(sm.sum())
                    inp = x[i] if k != "backward" else v["z"][i]
                    rep.fail(f"{what} {k}: NaN/inf/zero-sign differs from AVX2 at {int(sm.sum())} "
                             f"elements, e.g. input {fmt_x(inp)} g={v['g'][i]!r}: avx512 "
                             f"{got[k][i]!r} vs avx2 {base[k][i]!r}")
            # self-consistency
            for k in ("fused1.y", "fused.y"):
                eq = bits_equal(got[k], got["forward"])
                if not eq.all():
                    i = int(np.argmin(eq))
                    rep.row(name, "fused", mname, dt)["consistency"] += 1
                    rep.fail(f"{what}: fused y differs from the forward at x = {fmt_x(x[i])}: "
                             f"{got[k][i]!r} vs {got['forward'][i]!r}")
            if "backward" in got and (plan.act is None or plan.act.backward_from == "input") \
                    and name != "exp_shifted":
                eq = bits_equal(got["backward"], got["fused.gx"])
                if not eq.all():
                    i = int(np.argmin(eq))
                    rep.row(name, "backward", mname, dt)["consistency"] += 1
                    rep.fail(f"{what}: backward(g, x) differs from the fused gradient at x = "
                             f"{fmt_x(x[i])}, g = {v['g'][i]!r}: {got['backward'][i]!r} vs "
                             f"{got['fused.gx'][i]!r}")
            nanx = np.isnan(x)
            for k in ("forward", "fused1.gx"):
                if not np.isnan(got[k][nanx]).all():
                    i = int(np.argmax(nanx & ~np.isnan(got[k])))
                    rep.fail(f"{what} {k}: NaN input {fmt_x(x[i])} gives {got[k][i]!r}")
            # against the references, with the registry's bounds
            if name == "exp_shifted":
                check_exp_shifted(v, mname, got, rep, what)
            else:
                check_reference(plan, v, mode, got, rep, what, mp_budget)
    # lengths, guards, in place
    for kind, items in (("tails", plan.lengths), ("inplace", plan.inplace)):
        for v, mode, n, s, outs in items:
            dt = v["dtype"]
            main = v["runs"][mode]
            for k, o in outs.items():
                got = view(ws512, o, n, dt)
                ref = view(ws512, main[k], v["n"], dt)[s:s + n]
                eq = bits_equal(got, ref)
                if not eq.all():
                    i = int(np.argmin(eq))
                    op = k.split(".")[0]
                    rep.row(plan.name, op, MODES[mode], dt)[kind] += 1
                    rep.fail(f"{plan.name} {MODES[mode]} {dt.name} {PKINDS[v['pk']]}-params {k}: "
                             f"{'in-place' if kind == 'inplace' else 'length'} {n} (start {s}) "
                             f"element {i} (x = {fmt_x(v['x'][s + i])}) gives {got[i]!r}, the "
                             f"long run {ref[i]!r}")
    # guards around every output
    writer = {a: j for j in plan.batch.jobs for a in j[6]}
    for off, n, dt, g in plan.batch.outs:
        it = np.dtype(f"u{dt.itemsize}")
        lo = ws512[off - g * dt.itemsize:off].view(it)
        hi = ws512[off + n * dt.itemsize:off + (n + g) * dt.itemsize].view(it)
        if (lo != SENTINEL[dt]).any() or (hi != SENTINEL[dt]).any():
            rep.row(plan.name, "forward", "accurate", dt)["guards"] += 1
            j = writer.get(off)
            k = f" ({OPS[j[1]]} {MODES[j[2]]} {PKINDS[j[4]]}-params, n = {j[5]})" if j else ""
            rep.fail(f"{plan.name} {dt.name}{k}: an output of {n} elements at workspace offset {off} "
                     f"has a guard element overwritten (before: {int((lo != SENTINEL[dt]).sum())}, "
                     f"after: {int((hi != SENTINEL[dt]).sum())})")


def wide_ref(fn, x, params):
    import reference as R
    dt = x.dtype
    with np.errstate(all="ignore"):
        w = x.astype(R.wide_type(dt))
        ps = [np.asarray(p, dt).astype(R.wide_type(dt)) for p in params]
        r = np.asarray(fn(w, *ps))
        fi = np.finfo(dt)
        top = r.dtype.type(fi.max) * (1 + r.dtype.type(fi.eps) / 4)  # max + half an ulp
        return np.where(np.abs(r) >= top, np.copysign(np.inf, r), r)


def measure(got, ref, b, dt, normal=None):
    """Each figure of the registry Bound b: (max measured, bound, worst index, what)."""
    import reference as R
    res = []
    if b.ulp is not None:
        e = R.ulp_error(got, ref, dt)
        res.append((float(e.max()), b.ulp, int(np.argmax(e)), "ulp"))
    if b.rel is not None:
        nm = R.is_normal_result(ref, dt)
        e = np.where(nm, R.rel_error(got, ref), 0)
        res.append((float(e.max()), b.rel, int(np.argmax(e)), "rel"))
    if getattr(b, "abs", None) is not None:
        with np.errstate(invalid="ignore"):
            e = np.abs(got.astype(ref.dtype) - ref)
        e = np.where(np.isnan(e), np.inf, e)
        res.append((float(e.max()), b.abs, int(np.argmax(e)), "abs"))
    return res


def record_ref(rep, name, op, mname, dt, res, x, got, ref, what):
    r = rep.row(name, op, mname, dt)
    for val, lim, i, kind in res:
        prev = r["ref"]
        ratio = val / lim if lim else (0 if val == 0 else math.inf)
        if prev is None or ratio > prev[2]:
            r["ref"] = (val, lim, ratio, kind)
        if not val <= lim:
            rep.fail(f"{what} {op}: {kind} error {val:.4g} > bound {lim} at x = {fmt_x(x[i])}: "
                     f"got {got[i]!r}, reference {float(ref[i])!r}")


def check_reference(plan, v, mode, got, rep, what, mp_budget):
    import reference as R
    from family_reference import REFS
    name, dt, mname = plan.name, v["dtype"], MODES[mode]
    ref = REFS[name]
    x = v["x"]
    keep = ~np.isnan(x)
    if v["pk"] == 1:
        keep &= np.all([~np.isnan(p) for p in v["params"]], axis=0) if v["params"] else keep
    bounds = plan.act.bounds
    ps = [p if np.ndim(p) == 0 else p[keep] for p in v["params"]]
    xs = x[keep]
    for op, key, fn, mpfn in (("forward", "forward", ref.forward, ref.mp_forward),
                              ("fused", "fused1.gx", ref.grad, ref.mp_grad)):
        b = bounds[(op, mname, dt.name)]
        g = got[key][keep]
        if dt == np.float64 and not ref.wide64:
            # no long double formula (gelu): mpmath at 160 bits on a sample, as
            # tests/test_family.py's test_float64_against_mpmath
            idx = np.arange(xs.size)
            if idx.size > mp_budget:
                idx = np.sort(np.random.default_rng(5).choice(idx, mp_budget, replace=False))
            fin = idx[np.isfinite(xs[idx])]
            exact = [mpfn(float(xs[i]), *[float(p if np.ndim(p) == 0 else p[i]) for p in ps])
                     for i in fin]
            res = []
            if b.ulp is not None:
                e = np.array([R.mp_ulp_error(g[i], ex, dt) for i, ex in zip(fin, exact)])
                res.append((float(e.max()), b.ulp, int(fin[np.argmax(e)]), "ulp"))
            if b.rel is not None:
                mp = R._mp()
                # relative bounds hold where the exact result is a normal number
                # (R.is_normal_result; as test_float64_against_mpmath)
                tiny = float(np.finfo(dt).smallest_normal)
                e = np.array([float(abs((mp.mpf(float(g[i])) - ex) / ex)) if abs(ex) >= tiny else 0.0
                              for i, ex in zip(fin, exact)])
                res.append((float(e.max()), b.rel, int(fin[np.argmax(e)]), "rel"))
            refv = np.zeros(xs.size)
            for i, ex in zip(fin, exact):
                refv[i] = float(ex)
            record_ref(rep, name, op, mname, dt, res, xs, g, refv, what)
            continue
        r = wide_ref(fn, xs, ps)
        record_ref(rep, name, op, mname, dt, measure(g, r, b, dt), xs, g, r, what)
    # the kinks: exact values, the sign of a zero included (tests/test_family.py)
    if v["pk"] == 0:
        for x0, kps, y0, d0 in ref.kinks:
            if tuple(dt.type(p) for p in kps) != tuple(dt.type(p) for p in v["params"]):
                continue
            hits = np.flatnonzero(bits_equal(x, np.full_like(x, x0)))
            for i in hits[:1]:
                y, gx = got["fused1.y"][i], got["fused1.gx"][i]
                if y != dt.type(y0) or (y0 == 0 and np.signbit(y) != np.signbit(y0)) \
                        or gx != dt.type(d0):
                    rep.fail(f"{what}: at the kink x = {x0!r}: f = {y!r}, f' = {gx!r}; "
                             f"expected {y0!r}, {d0!r}")


def check_exp_shifted(v, mname, got, rep, what):
    """exp(x - shift) as tests/test_softmax.py's test_exp_shifted_kernel: accurate
    within 1 ulp (1.4 where the result is below 2^-100 / 2^-970: the pair's low
    part is then itself subnormal), fast within 2e-7 / 4e-13 relative where the
    result is normal; the gradient is g * y exactly."""
    import reference as R
    dt, x = v["dtype"], v["x"]
    s = v["params"][0]
    s = np.full(x.shape, s, dt) if np.ndim(s) == 0 else s
    w, ws = x.astype(R.wide_type(dt)), s.astype(R.wide_type(dt))
    with np.errstate(all="ignore"):
        h = w - ws
        bb = h - w
        lo = (w - (h - bb)) + (-ws - bb)
        ref = np.exp(h) * (1 + np.where(np.isfinite(lo), lo, 0))
        ref = np.where(x > s, 1, ref)   # x > shift is taken as shift (the kernel's contract)
    ok = ~np.isnan(x)
    y = got["forward"]
    if mname == "accurate":
        e = R.ulp_error(y[ok], ref[ok], dt)
        tiny = np.abs(ref[ok]) < (2.0 ** -100 if dt == np.float32 else 2.0 ** -970)
        res = [(float(e[~tiny].max(initial=0)), 1.0, int(np.argmax(np.where(tiny, 0, e))), "ulp"),
               (float(e.max()), 1.4, int(np.argmax(e)), "ulp")]
    else:
        nm = R.is_normal_result(ref[ok], dt)
        e = np.where(nm, R.rel_error(y[ok], ref[ok]), 0)
        res = [(float(e.max()), 2e-7 if dt == np.float32 else 4e-13, int(np.argmax(e)), "rel")]
    record_ref(rep, "exp_shifted", "forward", mname, dt, res, x[ok], y[ok], ref[ok], what)
    with np.errstate(all="ignore"):
        for key, g in (("fused1.gx", np.ones_like(x)), ("fused.gx", v["g"])):
            exp = (g * got["fused1.y"]).astype(dt)
            eq = bits_equal(got[key], exp) | (np.isnan(got[key]) & np.isnan(exp))
            if not eq.all():
                i = int(np.argmin(eq))
                rep.fail(f"{what} {key}: gradient {got[key][i]!r} is not g * y = {exp[i]!r}")


# ---- the run -----------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="fewer inputs (about 1000 per kernel), parameter sets and lengths")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="these activations only")
    ap.add_argument("--self-check", action="store_true",
                    help="also run the AVX2 table in the emulator: it must give the native bits")
    ap.add_argument("--elements", type=int, help="inputs per kernel (default 20000, quick 1000)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per emulator run")
    ap.add_argument("--cc", default=os.environ.get("CC", "gcc"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    sys.path.insert(0, ROOT)
    import warnings
    with warnings.catch_warnings():  # the compiled backend is not needed here
        warnings.simplefilter("ignore")
        from fastact._registry import ACTIVATIONS
    import reference as R
    if not R.LONGDOUBLE_IS_WIDE:
        print("np.longdouble is not wider than float64 here: float64 references unavailable")
        return 2

    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="fa_avx512emu_")
    try:
        try:
            isas = ["avx512"] + (["avx2"] if args.self_check else [])
            images, so, shim = build(tmp, args.cc, isas, "avx2")
        except (RuntimeError, OSError) as e:
            print(f"cannot build: {e}")
            return 2
        # can the emulator be imported (directly, or with the shim)?
        probe = subprocess.run([sys.executable, "-c", "import bochscpu"], capture_output=True)
        use_shim = None
        if probe.returncode != 0:
            env = dict(os.environ, LD_PRELOAD=shim)
            probe = subprocess.run([sys.executable, "-c", "import bochscpu"], capture_output=True,
                                   env=env, text=True)
            if probe.returncode != 0:
                print("bochscpu (pip install bochscpu-python) cannot be imported:\n" + probe.stderr)
                return 2
            use_shim = shim
        print(f"built in {time.time() - t0:.1f} s; emulator: bochscpu"
              f"{' with the glibc shim' if use_shim else ''}")

        n_main = args.elements or (1000 if args.quick else 20000)
        lengths = (list(range(1, 41)) + [47, 63, 64, 65, 100, 129, 257]) if not args.quick else \
            (list(range(1, 18)) + [31, 32, 33, 40, 65])
        acts = read_activations()
        rep = Report()
        emu_seconds = 0.0
        for idx, (name, nparams, nmodes) in enumerate(acts):
            if args.only and name not in args.only:
                continue
            t = time.time()
            plan = Plan(idx, name, nparams, nmodes, ACTIVATIONS.get(name), args.quick,
                        np.random.default_rng(1000 + idx))
            plan.build(n_main, lengths)
            ws2 = run_native(plan.batch, so)
            ws512, st = run_emulated(plan.batch, images["avx512"], use_shim, tmp, args.timeout)
            emu_seconds += st.get("seconds", 0.0)
            if ws512 is None or not st.get("done") or st.get("result") != len(plan.batch.jobs):
                job = st.get("current")
                desc = ""
                if job is not None and 0 <= job < len(plan.batch.jobs):
                    a, op, mode, dt, pk, n, _ = plan.batch.jobs[job]
                    desc = (f" in job {job}: {name} {OPS[op]} {MODES[mode]} {DTYPES[dt].name} "
                            f"{PKINDS[pk]}-params n={n}")
                rep.fail(f"{name}: the emulated run did not finish{desc}: {st.get('events')}")
                print(f"{name:12s} FAILED TO RUN{desc}: {st.get('events')}")
                continue
            if args.self_check:
                wsa, sta = run_emulated(plan.batch, images["avx2"], use_shim, tmp, args.timeout)
                if wsa is None or not sta.get("done"):
                    rep.fail(f"{name}: the emulated AVX2 run did not finish: {sta.get('events')}")
                elif not np.array_equal(wsa[:plan.batch.size], ws2[:plan.batch.size]):
                    # the arrays only: the job lists hold different addresses
                    nd = int((wsa[:plan.batch.size] != ws2[:plan.batch.size]).sum())
                    rep.fail(f"{name}: emulated AVX2 differs from native AVX2 in {nd} bytes "
                             "(an emulator discrepancy)")
            nfail = len(rep.failures)
            check_plan(plan, ws512, ws2, rep, 60 if args.quick else 400)
            print(f"{name:12s} {len(plan.batch.jobs):5d} kernel calls, {plan.batch.size / 2**20:5.1f} MiB,"
                  f" emulated {st.get('seconds', 0):5.1f} s, total {time.time() - t:5.1f} s"
                  f"{'' if len(rep.failures) == nfail else f'  {len(rep.failures) - nfail} FAILURES'}",
                  flush=True)
        print_report(rep)
        print(f"\n{time.time() - t0:.0f} s in all ({emu_seconds:.0f} s emulating)")
        return 1 if rep.failures else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def print_report(rep):
    print("\nactivation   op       mode     dtype    vs AVX2 (max ulp, special mismatches)  "
          "vs reference (max / registry bound)  tails, guards, in-place, consistency")
    for (name, op, mode, dt), r in rep.rows.items():
        ref = "-"
        if r["ref"] is not None:
            val, lim, _, kind = r["ref"]
            ref = f"{val:.3g} / {lim:g} {kind}"
        bad = [f"{k} {r[k]}" for k in ("tails", "guards", "inplace", "consistency") if r[k]]
        print(f"{name:12s} {op:8s} {mode:8s} {dt:8s} {r['avx2_ulp']:10.4g} {r['avx2_special']:6d}"
              f"                   {ref:34s}  {', '.join(bad) or 'ok'}")
    if rep.notes:
        print(f"\nnotes (not failures):")
        for f in rep.notes[:50]:
            print("  " + f)
    if rep.failures:
        print(f"\n{len(rep.failures)} FAILURES:")
        for f in rep.failures[:200]:
            print("  " + f)
    else:
        print("\nall checks passed")


if __name__ == "__main__":
    sys.exit(main())
