"""Build wiring for fastact's C extension. The ISA table is the only knowledge here.

Each target file in csrc/targets/ is compiled with its own flags (and only on
architectures that can run it); the rest of the extension is compiled for the
baseline of the architecture, and csrc/dispatch.c picks a target at import.
Nothing is tuned to the CPU that builds it, so a wheel runs on any CPU of its arch.
"""
import glob
import os
import platform
import shlex
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# target -> (architectures that can run it, compiler flags)
ISA_TABLE = {
    "scalar": (None, []),
    "sse2": (("x86_64", "amd64"), []),
    "avx2": (("x86_64", "amd64"), ["-mavx2", "-mfma", "-mf16c"]),
    "avx512": (("x86_64", "amd64"),
               ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma", "-mf16c"]),
}
# IEEE semantics kept: no -ffast-math; no contraction, so every rounding is the one written.
# -g0 overrides the -g of Python's own CFLAGS (sysconfig), which setuptools puts first: the
# debug information of the fully inlined kernels made each target's compile 2.5x slower
# (AVX2 target on a Zen 3: 82 s with -g, 31 s without) and its object 28x larger (40 MB).
# FASTACT_EXTRA_CFLAGS comes after, so an instrumented build can ask for -g again.
COMMON_FLAGS = ["-O3", "-g0", "-std=c11", "-ffp-contract=off", "-fno-math-errno"]

MACHINE = platform.machine().lower()
TARGETS = {name: flags for name, (arches, flags) in ISA_TABLE.items()
           if arches is None or MACHINE in arches}
TARGET_FLAGS = "; ".join(f"{name}: {' '.join(flags) or '(baseline)'}" for name, flags in TARGETS.items())
HEADERS = sorted(glob.glob("csrc/**/*.h", recursive=True)) + ["csrc/activations.def"]
# Extra flags for instrumented builds (tools/sanitize.sh), applied to every object.
EXTRA_FLAGS = shlex.split(os.environ.get("FASTACT_EXTRA_CFLAGS", ""))
# GCC schedules instructions before register allocation only when asked: the kernels
# (csrc/kernels-inl.h runs two vectors per iteration) need it to interleave two
# dependency chains. Used where the compiler accepts them (GCC; clang has its own
# scheduler and would warn). Scheduling never changes an operation, only its order.
SCHED_FLAGS = ["-fschedule-insns", "-fsched-pressure"]


class BuildExt(build_ext):
    """Compiles each ISA target with its own flags and links the objects in."""

    def accepts(self, flags):
        """Whether the compiler takes these flags without a word (no error, no warning)."""
        import subprocess
        import tempfile
        cc = self.compiler.compiler_so if hasattr(self.compiler, "compiler_so") else None
        if not cc:
            return False
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "t.c")
            with open(src, "w") as f:
                f.write("int main(void) { return 0; }\n")
            r = subprocess.run(cc[:1] + flags + ["-Werror", "-c", src, "-o", os.path.join(d, "t.o")],
                               capture_output=True, text=True)
            return r.returncode == 0 and not r.stderr.strip()

    def build_extension(self, ext):
        objects = []
        sched = SCHED_FLAGS if self.accepts(SCHED_FLAGS) else []
        if sched:  # show_config reports them with the per-target flags
            ext.define_macros = [(k, f'"{TARGET_FLAGS}; all targets: {" ".join(sched)}"')
                                 if k == "FA_TARGET_FLAGS" else (k, v) for k, v in ext.define_macros]

        def compile_target(target):
            name, flags = target
            return self.compiler.compile(
                [f"csrc/targets/{name}.c"], output_dir=self.build_temp, include_dirs=["csrc"],
                extra_postargs=COMMON_FLAGS + sched + flags + EXTRA_FLAGS, depends=HEADERS)

        # the targets are independent compiler runs of 15-30 s each: one per core at once
        with ThreadPoolExecutor(max_workers=max(1, min(len(TARGETS), os.cpu_count() or 1))) as pool:
            for objs in pool.map(compile_target, TARGETS.items()):
                objects += objs
        ext.extra_objects = objects
        super().build_extension(ext)


ext = Extension(
    "fastact._core",
    sources=["fastact/_core.pyx", "csrc/dispatch.c", "csrc/loops.c"],
    include_dirs=["csrc", np.get_include()],
    # the oldest NumPy C API used: the floor of the runtime range in pyproject.toml
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
                   ("NPY_TARGET_VERSION", "NPY_2_0_API_VERSION"),
                   ("FA_TARGET_FLAGS", f'"{TARGET_FLAGS}"')]
    + [(f"FA_HAVE_TARGET_{name.upper()}", "1") for name in TARGETS if name != "scalar"],
    extra_compile_args=COMMON_FLAGS + EXTRA_FLAGS,
    extra_link_args=EXTRA_FLAGS,
    depends=HEADERS,
)

setup(ext_modules=cythonize([ext], language_level=3), cmdclass={"build_ext": BuildExt})
