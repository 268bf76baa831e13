/*
 * A fake architecture for host unit tests of kernel/core: records what the core asks
 * of the hardware (console text, physical writes, register state, power requests).
 */
#ifndef MOAT_TESTS_FAKE_ARCH_H
#define MOAT_TESTS_FAKE_ARCH_H

#include <setjmp.h>

#include "../core/core.h"

#define FAKE_MEM_BASE 0x1000000u
/* The policy's memory: what tests name by offset below 0x80000, what blob.c places above. */
#define FAKE_MEM_SIZE 0x100000u

struct fake_arch {
    tsc_t now;
    tsc_t now_step;         /* arch_now() moves `now` on by this first (0: a still clock) */
    char console[65536];
    size_t console_len;
    uint8_t mem[FAKE_MEM_SIZE];
    paddr_t ram_base;
    uint64_t ram_size;
    paddr_t reachable_end;
    uint32_t init_count[MOAT_MAX_SUBJECTS];
    int64_t result[MOAT_MAX_SUBJECTS];
    bool result_set[MOAT_MAX_SUBJECTS];
    uint64_t phys_calls;    /* arch_phys_copy/zero calls */
    tsc_t phys_cost;        /* TSC ticks arch_phys_copy/zero take per KiB */
    tsc_t init_cost;        /* TSC ticks arch_subject_init takes */
    int unmasked_irq;
    int power; /* 0 none, 1 poweroff ok, 2 poweroff failure, 3 reboot, 4 halted */
    jmp_buf *power_jump;
    uint32_t cpu;           /* the CPU the core runs on now */
    uint32_t machine_cpus;  /* what arch_cpu_count reports (0 means 1) */
    uint32_t wakes[MOAT_MAX_CPUS]; /* arch_wake_cpu calls per target CPU */
    uint32_t idles;         /* arch_idle_until calls */
    bool others_stopped;    /* arch_stop_other_cpus was called */
    bool no_vm;             /* arch_vm_unsupported says what is missing */
    /* Called from arch_idle_until: a test plays the other CPUs here (may be NULL). */
    void (*on_idle)(void);
};

extern struct fake_arch fake;

/* A fresh fake machine (its memory, with the subjects' state region, zeroed) and fresh
 * core state (CPUs, shared words, no validated tables). */
void fake_reset(void);
/* Does the console hold `text`? */
bool fake_console_has(const char *text);
/* The text of every kernel log channel (records joined into lines), CPU by CPU. */
size_t fake_log_text(char *out, size_t out_size);
/* Does some kernel log channel hold `text`? */
bool fake_log_has(const char *text);

#endif /* MOAT_TESTS_FAKE_ARCH_H */
