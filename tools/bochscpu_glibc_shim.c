/* LD_PRELOAD shim for tools/check_avx512_emulated.py: the bochscpu-python 0.4.0
 * wheel was linked against glibc 2.38, whose C23 headers redirect strtoull and
 * sscanf to the new symbols __isoc23_strtoull and __isoc23_sscanf. On an older
 * glibc those symbols are missing and the module fails to import. The two
 * differ from the classic functions only in accepting C23's 0b prefix, which
 * the emulator's configuration strings do not use, so forwarding is exact here.
 * Built by the tool into a temporary directory:
 *   gcc -shared -fPIC -O2 bochscpu_glibc_shim.c -o libshim.so */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

unsigned long long __isoc23_strtoull(const char *s, char **end, int base) {
    return strtoull(s, end, base);
}

int __isoc23_sscanf(const char *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = vsscanf(s, fmt, ap);
    va_end(ap);
    return r;
}
