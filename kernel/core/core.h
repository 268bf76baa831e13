/*
 * The portable kernel core: plan stepping, events, kernel calls, fault actions and
 * audit records over the tables blob moat-polc writes (tables.h, checked at boot). Every entry point returns what
 * the CPU runs next and until when; the arch makes it so (switch, program the timer).
 */
#ifndef MOAT_CORE_CORE_H
#define MOAT_CORE_CORE_H

#include "arch.h"
#include "atomic.h"
#include "tables.h"
#include <moat/log.h>

/* A <moat/log.h> record as the kernel fills it, the text as bytes: to the proof, printing
 * then changes no `char`, so a string stays one across it (docs/architecture.md). */
struct klog_record {
    uint64_t tsc;
    uint32_t reserved;
    uint16_t length, flags;
    uint8_t text[MOAT_LOG_TEXT_MAX];
};
_Static_assert(sizeof(struct klog_record) == sizeof(struct moat_log_record), "log record");

/* Returned by every core entry: run `subject` (or idle) until `deadline`. */
struct core_next {
    subject_id_t subject; /* MOAT_SUBJECT_IDLE: halt the CPU */
    tsc_t deadline;
};

enum subject_state {
    SUBJECT_RUNNABLE = 0,
    SUBJECT_WAITING = 1, /* in event_wait with nothing pending */
    SUBJECT_STOPPED = 2,
    SUBJECT_RESETTING = 3, /* restarting: its reset steps run in its own frames, then it runs */
    SUBJECT_HALTED = 4, /* a VM in HLT: runnable again once one of its wake_events is pending */
};

/* Restart/stop of a subject by another one: carried out at the target's next frame start
 * (bits, atomic; requests made before that frame coalesce). */
#define SUBJECT_REQUEST_RESTART 1u
#define SUBJECT_REQUEST_STOP    2u

/*
 * Owned by the subject's CPU, except: `pending` (any CPU sets bits, atomically; only the
 * owner clears them), `state` (read by notifiers on other CPUs) and `request` (set by
 * any CPU, taken by the owner). Those three are accessed only through atomic.h.
 */
struct core_subject {
    uint8_t state; /* enum subject_state */
    uint8_t request; /* SUBJECT_REQUEST_* */
    uint64_t pending;
    tsc_t timer_deadline; /* 0: not armed */
    uint8_t timer_event;
    uint32_t restarts;
    uint32_t reset_step;  /* RESETTING: the reset step under way ... */
    uint64_t reset_done;  /* ... and how many of its bytes are done */
    uint64_t finish_tsc;  /* what its reset's last part (registers, sinfo) took at boot */
    /* A fault's or exit's report (audit lines, then the action's line) still to print:
     * line by line in the subject's own frames, each only while it fits before the
     * frame's end; the subject does not run until it is out. */
    bool report_pending;
    uint32_t report_line; /* the next line to print */
    uint8_t report_action;
    uint16_t report_kind;
    uint64_t report_seq;
    tsc_t report_tsc;
    struct arch_fault report_fault;
    uint64_t wake_events; /* VM: the pending events that end its HLT (vm.c) */
};

/* Reset work per kernel entry: chunks of this many bytes, at most this many chunks, and
 * none that would not end before the frame does (core_cpu.reset_chunk_tsc). */
#define SUBJECT_RESET_CHUNK_BYTES 1024u
#define SUBJECT_RESET_CHUNKS_PER_ENTRY 64u

/* Owned by its CPU; `frame_subject` is also read by other CPUs (atomically). */
struct core_cpu {
    uint32_t cpu;          /* its index in core_cpus (sched_init; not c - core_cpus, which
                            * the proof's memory model cannot subtract) */
    plan_id_t plan;
    const struct moat_frame *frames; /* the plan's frames of this CPU ... */
    uint32_t frame_count;            /* ... and how many */
    uint16_t frame;
    subject_id_t frame_subject; /* the current frame's subject, or MOAT_SUBJECT_IDLE */
    bool yielded;          /* the current frame's subject gave up the rest of it */
    tsc_t major_start;     /* planned TSC of the current major frame's start */
    uint64_t frame_ticks;  /* ticks from the major start to the current frame's start */
    tsc_t frame_start;     /* planned TSC of the current frame's start */
    tsc_t frame_end;       /* planned TSC of the current frame's end */
    uint64_t major_count;
    bool frame_begun;      /* the current frame's start work (requests, timer) is done */
    /* Behind the plan, counted over a window of window_ms from window_start:
     * frames ended, frames skipped (no time at all), frames started late. */
    tsc_t window_start;
    uint32_t window_ms;
    uint32_t window_frames;
    uint32_t skipped_frames;
    uint32_t late_frames;
    uint64_t worst_lateness; /* TSC ticks, of the frames that did start */
    /* What one reset chunk took last on this CPU (TSC ticks; measured at boot first). */
    uint64_t reset_chunk_tsc;
    /* What the last line of a fault or exit report took here. */
    uint64_t report_line_tsc;
};

/*
 * The words all CPUs share (atomic.h only). The major-frame barrier is a counter and a
 * generation: the last CPU to arrive for major frame n latches the requested plan,
 * resets the counter and publishes n; the others wait for n. No CPU can arrive for n+1
 * before every CPU has left n, so the counter and the latched plan are never reused early.
 */
struct core_shared {
    uint32_t arrived;        /* CPUs at the current barrier */
    uint64_t generation;     /* the last major frame every CPU reached */
    plan_id_t plan_requested; /* set by switch-plan on any CPU */
    plan_id_t plan_latched;  /* the plan of major frame `generation` */
    uint32_t panicking;      /* 0, or 1 + the CPU that panics first */
    uint32_t console;        /* console lock: 0 free, 1 held */
};
extern struct core_shared core_shared;

/* Boot, after tables_check: the banner, the tables against this machine (CPUs, RAM),
 * then the per-subject state mapped and zeroed; prepares subjects. */
bool core_check_system(void);
void core_prepare_subjects(void);
struct core_next core_start(tsc_t now);

/* Entries from the arch while the system runs. `current` is the interrupted subject. */
struct core_next core_on_timer(tsc_t now);
struct core_next core_on_kcall(tsc_t now, subject_id_t current, uint64_t number,
                               uint64_t arg0, uint64_t arg1);
struct core_next core_on_fault(tsc_t now, subject_id_t current, const struct arch_fault *f);
struct core_next core_on_irq(tsc_t now, uint8_t line);
/* An IRQ taken while the kernel waits (idle, barrier): raise its events, step nothing. */
void core_raise_irq(uint8_t line);
/* True once some CPU has begun a panic: an NMI then means "stop here". */
bool core_panicking(void);

/* Kernel invariant failure: audit record, message, power off with failure. The value is
 * printed in decimal (a count, an id, a line); core_panic_hex for an address or a magic. */
_Noreturn void core_panic(const char *why, uint64_t value);
_Noreturn void core_panic_hex(const char *why, uint64_t value);
/* An exception in the kernel: the same, with the CPU state in the audit record (the
 * error code in hex). */
_Noreturn void core_panic_fault(const char *why, const struct arch_fault *f);
#ifdef __FRAMAC__
/* For the proof: a failed CHECK calls this, whose contract's precondition is false
 * (proof/kernel/spec_system.h), so WP proves at each CHECK that it cannot fail. */
_Noreturn void core_check_failed(uint64_t line);
#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            core_check_failed((uint64_t)__LINE__);                                         \
        }                                                                                  \
    } while (0)
#else
#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            core_panic("CHECK failed: " #cond ", line", (uint64_t)__LINE__);                 \
        }                                                                                  \
    } while (0)
#endif

/*
 * Per-subject state lives in the region moat-polc placed for it (tables->state_phys),
 * one MOAT_SUBJECT_STATE_SIZE slot per subject: the core's part at offset 0, the arch's
 * (saved registers, XSAVE area, ...) from CORE_SUBJECT_ARCH_OFFSET. Mapped once and
 * zeroed by core_check_system. Owned by the core; read by tests.
 */
#define CORE_SUBJECT_ARCH_OFFSET 0x400u
_Static_assert(sizeof(struct core_subject) <= CORE_SUBJECT_ARCH_OFFSET, "core subject state fits");
extern uint8_t *core_state;

static inline struct core_subject *core_subject(subject_id_t id)
{
    return (struct core_subject *)(void *)(core_state + (uint64_t)id * MOAT_SUBJECT_STATE_SIZE);
}

/* The arch's part of subject id's slot: MOAT_SUBJECT_STATE_SIZE - CORE_SUBJECT_ARCH_OFFSET
 * bytes, 64-aligned. */
static inline void *core_subject_arch(subject_id_t id)
{
    return core_state + (uint64_t)id * MOAT_SUBJECT_STATE_SIZE + CORE_SUBJECT_ARCH_OFFSET;
}

extern struct core_cpu core_cpus[MOAT_MAX_CPUS];

/* Internal modules. */
uint64_t sched_ticks_to_tsc(uint64_t ticks);
void sched_init(tsc_t now);
/* After a kernel call that leaves `id` runnable (event.c): its direct return. */
struct core_next sched_resume(tsc_t now, subject_id_t id);

void smp_reset(void);
plan_id_t smp_barrier(uint64_t major);
void smp_kick(subject_id_t id);
bool smp_console_lock(void);
void smp_console_unlock(bool locked);

void subject_take_requests(subject_id_t id);
tsc_t subject_reset_work(subject_id_t id, tsc_t until);
void subject_stop(subject_id_t id);
void subject_restart(subject_id_t id);
void subject_contain(subject_id_t id, uint16_t kind, const struct arch_fault *f);
bool subject_report_work(subject_id_t id, tsc_t until);

int64_t event_send(subject_id_t from, uint64_t id);
int64_t event_take(subject_id_t id);
void event_raise(subject_id_t id, uint8_t event);
/* In id's own frame: raise its timer's event once the deadline has come (inline: every
 * return to a subject checks it). */
static inline void event_fire_timer(subject_id_t id, tsc_t now)
{
    struct core_subject *s = core_subject(id);
    if (s->timer_deadline != 0u && s->timer_deadline <= now) {
        s->timer_deadline = 0;
        event_raise(id, s->timer_event);
    }
}

void audit_init(void);
void audit_reset(void); /* host tests: back to boot state */
uint64_t audit_write(uint16_t kind, subject_id_t subject, const struct arch_fault *f,
                     uint64_t action, tsc_t *tsc);
void audit_print(uint64_t seq, tsc_t tsc, uint16_t kind, subject_id_t subject,
                 const struct arch_fault *f, uint64_t action);
bool audit_print_line(uint64_t seq, tsc_t tsc, uint16_t kind, subject_id_t subject,
                      const struct arch_fault *f, uint64_t action, uint32_t line);
void audit_record(uint16_t kind, subject_id_t subject, const struct arch_fault *f,
                  uint64_t action);

/* Kernel output (print.c): the console at boot and in a panic, the CPU's kernel log
 * channel once it runs the plan (print_use_channel, at core_start). */
void print_use_channel(void);
void print_reset(void); /* host tests: back to boot state */
/* Power actions wait for the kernel log's reader (see print.c). */
void print_power_request(uint8_t action, subject_id_t from);
void print_power_on_yield(subject_id_t id);
void print_power_check(tsc_t now);
void print_str(const char *s);
void print_dec(uint64_t v);
void print_hex(uint64_t v);
void print_nl(void);

#endif /* MOAT_CORE_CORE_H */
