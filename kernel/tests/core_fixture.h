/*
 * The system the core's host tests run (test_sched.c, test_events.c, test_subjects.c,
 * test_boot.c): one CPU, three subjects, two plans, an IRQ route, a kernel log channel.
 *
 *   plan main (40 ticks): alpha 10, beta 20, idle 5, gamma 5;  plan other: gamma 40.
 *   alpha: on-fault restart, 7 routes (SEND_*), two small reset steps, sinfo at 0x1000.
 *   beta: on-fault stop, one route (notify alpha's incoming 7).
 *   gamma: on-fault restart, one big reset step (96 chunks), IRQ 5 raises its event 9.
 * Memory (fake memory offsets): klog 0x4000, audit 0x8000, gamma's reset 0x20000; two
 * policy regions, the first [0, 0x10000).
 */
#ifndef MOAT_TESTS_CORE_FIXTURE_H
#define MOAT_TESTS_CORE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <moat/abi/kcall.h>

#include "blob.h"
#include "fake_arch.h"

/* One tick is 1000 ns = 1000 TSC ticks at the fake 1 GHz. */
#define T(ticks) ((tsc_t)(ticks) * 1000u)
#define START 5000u

enum { ALPHA = 0, BETA = 1, GAMMA = 2 };
enum { SEND_STOP_GAMMA = 3, SEND_RESTART_BETA = 5, SEND_RESTART_GAMMA = 6 };
/* alpha's incoming ids: 7 is beta's notify, 12 its <timer>; gamma's <timer> is 4. */
enum { ALPHA_TIMER = 12, ALPHA_NOTIFY = 7, GAMMA_TIMER = 4 };
/* gamma's reset is big: 96 chunks, more than one kernel entry's worth. */
#define GAMMA_RESET_BASE 0x20000u
#define GAMMA_RESET_CHUNKS 96u
#define GAMMA_RESET_SIZE (GAMMA_RESET_CHUNKS * SUBJECT_RESET_CHUNK_BYTES)

extern const struct blob_system fixture_system;
extern jmp_buf power_jump;

/* cmocka setup: a fresh fake machine with the fixture's blob checked and in force. */
int fixture_setup(void **state);

static inline struct core_next boot(void)
{
    assert_true(core_check_system());
    core_prepare_subjects();
    fake.phys_calls = 0;
    fake.now = START;
    return core_start(START);
}

static inline struct core_next kcall(subject_id_t who, uint64_t nr, uint64_t a0, uint64_t a1)
{
    return core_on_kcall(fake.now, who, nr, a0, a1);
}

static inline struct core_next timer_at(tsc_t now)
{
    fake.now = now;
    return core_on_timer(now);
}

static inline size_t log_count(const char *text)
{
    static char log[65536];
    fake_log_text(log, sizeof(log));
    size_t count = 0;
    for (const char *p = strstr(log, text); p != NULL; p = strstr(p + 1, text)) {
        count++;
    }
    return count;
}

#endif /* MOAT_TESTS_CORE_FIXTURE_H */
