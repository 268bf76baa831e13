/*
 * The portable kernel core: plan stepping, events, kernel calls, fault actions and
 * audit records over the tables moat-polc generates. Every entry point returns what
 * the CPU runs next and until when; the arch makes it so (switch, program the timer).
 */
#ifndef MOAT_CORE_CORE_H
#define MOAT_CORE_CORE_H

#include "arch.h"

/* Returned by every core entry: run `subject` (or idle) until `deadline`. */
struct core_next {
    subject_id_t subject; /* MOAT_SUBJECT_IDLE: halt the CPU */
    tsc_t deadline;
};

enum subject_state {
    SUBJECT_RUNNABLE = 0,
    SUBJECT_WAITING = 1, /* in event_wait with nothing pending */
    SUBJECT_STOPPED = 2,
};

struct core_subject {
    uint8_t state; /* enum subject_state */
    uint64_t pending;
    tsc_t timer_deadline; /* 0: not armed */
    uint8_t timer_event;
    uint32_t restarts;
};

struct core_cpu {
    plan_id_t plan;
    plan_id_t next_plan;
    uint16_t frame;
    bool yielded;          /* the current frame's subject gave up the rest of it */
    tsc_t major_start;     /* planned TSC of the current major frame's start */
    uint64_t frame_ticks;  /* ticks from the major start to the current frame's start */
    tsc_t frame_end;       /* planned TSC of the current frame's end */
    uint64_t major_count;
};

/* Boot: checks the system against the machine, prints the banner, prepares subjects. */
bool core_check_system(void);
void core_prepare_subjects(void);
struct core_next core_start(tsc_t now);

/* Entries from the arch while the system runs. `current` is the interrupted subject. */
struct core_next core_on_timer(tsc_t now);
struct core_next core_on_kcall(tsc_t now, subject_id_t current, uint64_t number,
                               uint64_t arg0, uint64_t arg1);
struct core_next core_on_fault(tsc_t now, subject_id_t current, const struct arch_fault *f);
struct core_next core_on_irq(tsc_t now, uint8_t line);

/* Kernel invariant failure: audit record, message, power off with failure. */
_Noreturn void core_panic(const char *why, uint64_t value);
/* An exception in the kernel: the same, with the CPU state in the audit record. */
_Noreturn void core_panic_fault(const char *why, const struct arch_fault *f);
#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            core_panic("CHECK failed: " #cond, (uint64_t)__LINE__);                        \
        }                                                                                  \
    } while (0)

/* Subject and CPU state (read by tests; owned by the core). */
extern struct core_subject core_subjects[MOAT_MAX_SUBJECTS];
extern struct core_cpu core_cpus[MOAT_MAX_CPUS];
extern bool core_panicking;

/* Internal modules. */
uint64_t sched_ticks_to_tsc(uint64_t ticks);
void sched_init(tsc_t now);
void sched_step(void);
struct core_next sched_pick(tsc_t now);

void subject_reset(subject_id_t id);
void subject_stop(subject_id_t id);
void subject_restart(subject_id_t id);

int64_t event_send(subject_id_t from, uint64_t id);
int64_t event_take(subject_id_t id);
void event_raise(subject_id_t id, uint8_t event);
void event_fire_timers(tsc_t now);

void audit_init(void);
void audit_record(uint16_t kind, subject_id_t subject, const struct arch_fault *f,
                  uint64_t action);

void print_str(const char *s);
void print_dec(uint64_t v);
void print_hex(uint64_t v);
void print_nl(void);

#endif /* MOAT_CORE_CORE_H */
