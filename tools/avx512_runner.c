/* A job runner for one ISA's kernel table, for tools/check_avx512_emulated.py.
 *
 * fa_run_jobs calls table[act][op][mode][dtype][params](args, n) for each job
 * of a list. The same file is built two ways:
 *   hosted (a shared library, loaded with ctypes): the AVX2 table run natively,
 *     the comparison baseline;
 *   bare (FA_RUNNER_BARE: -ffreestanding -nostdlib -static, no libc): a flat
 *     program for the emulated CPU. _start reads the job list from a header at
 *     a fixed guest address, runs it and halts; the header records the job in
 *     progress, so a fault names its kernel.
 * FA_RUNNER_TABLE names the table (fa_table_avx512, fa_table_avx2, ...).
 */
#include <stddef.h>
#include <stdint.h>

#include "fastact.h"

#ifndef FA_RUNNER_TABLE
#error "define FA_RUNNER_TABLE, e.g. -DFA_RUNNER_TABLE=fa_table_avx512"
#endif

/* One kernel call; the layout is mirrored by JOB_DTYPE in the Python tool. */
typedef struct {
    int32_t act, op, mode, dtype, params, pad;
    int64_t n;
    uint64_t args[6]; /* data inputs, parameters, outputs (fastact.h, fa_kernel) */
} fa_job;

extern const fa_kernel_table FA_RUNNER_TABLE;

/* Runs jobs[0..count); *current is the job in progress. Returns count, or
 * -(i + 1) if job i names no kernel. */
int64_t fa_run_jobs(const fa_job *jobs, int64_t count, volatile int64_t *current) {
    for (int64_t i = 0; i < count; ++i) {
        const fa_job *j = &jobs[i];
        if (j->act < 0 || j->act >= FA_ACT_COUNT || j->op < 0 || j->op >= FA_OP_COUNT ||
            j->mode < 0 || j->mode >= FA_MODE_COUNT || j->dtype < 0 ||
            j->dtype >= FA_DTYPE_COUNT || j->params < 0 || j->params >= FA_PARAMS_COUNT)
            return -(i + 1);
        fa_kernel k = FA_RUNNER_TABLE[j->act][j->op][j->mode][j->dtype][j->params];
        if (!k)
            return -(i + 1);
        *current = i;
        k((void *const *)j->args, (ptrdiff_t)j->n);
    }
    *current = count;
    return count;
}

#ifdef FA_RUNNER_BARE
/* No libc: the compiler may emit calls to these (struct copies, buffered
 * tails). Byte loops; built with -fno-builtin -fno-tree-loop-distribute-patterns
 * so they do not turn back into calls to themselves. */
void *memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}
void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s)
        while (n--) *d++ = *s++;
    else
        while (n--) d[n] = s[n];
    return dst;
}
void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}
/* The softmax row kernels (csrc/rows-inl.h, a separate table) call libm's log
 * and exp for rare rows; this runner runs only the element-wise table, so they
 * are never reached here. Linked as traps: a call stops the emulated CPU with
 * an invalid-opcode exception, which the tool reports, instead of a wrong result. */
double log(double x) {
    (void)x;
    __builtin_trap();
}
double exp(double x) {
    (void)x;
    __builtin_trap();
}

/* The header the tool writes at FA_RUNNER_HEADER (guest physical = virtual). */
typedef struct {
    uint64_t magic;      /* FA_RUNNER_MAGIC, written by the tool */
    int64_t count;       /* jobs */
    uint64_t jobs;       /* address of fa_job[count] */
    int64_t result;      /* fa_run_jobs' return value, written here */
    int64_t current;     /* the job in progress */
    uint64_t done;       /* FA_RUNNER_DONE once finished */
} fa_runner_header;

#define FA_RUNNER_MAGIC 0x46415354414354ull /* "FASTACT" */
#define FA_RUNNER_DONE 0x454e4f44ull        /* "DONE" */

void _start(void) {
    volatile fa_runner_header *h = (volatile fa_runner_header *)FA_RUNNER_HEADER;
    h->current = -1;
    if (h->magic == FA_RUNNER_MAGIC)
        h->result = fa_run_jobs((const fa_job *)h->jobs, h->count, &h->current);
    h->done = FA_RUNNER_DONE;
    for (;;) __asm__ volatile("hlt");
}
#endif
