/*
 * The types of the tables moat-polc generates for one system (tables.c, const data,
 * compiled into the kernel). The kernel's core walks only these tables; every bound
 * below is also enforced by moat-polc, so a generated table never exceeds them.
 *
 * Event numbering is subject-local and has two directions:
 *  - outgoing: event_send(id) indexes the sender's `sends` table, whose entry says
 *    what the event does (notify a target, or a kernel action);
 *  - incoming: bit n of a subject's pending bitmap; a notify route names the target's
 *    incoming id, IRQ routes name one, and timer_set raises one of the caller's own.
 * The subject finds both kinds of id by name in its sinfo page.
 */
#ifndef MOAT_ABI_TABLES_H
#define MOAT_ABI_TABLES_H

#include <stdint.h>

#include "kcall.h"
#include "layout.h"

typedef uint64_t paddr_t;
typedef uint64_t vaddr_t;
typedef uint16_t subject_id_t;
typedef uint16_t plan_id_t;

#define MOAT_MAX_CPUS           8
#define MOAT_MAX_SUBJECTS       64
#define MOAT_MAX_PLANS          8
#define MOAT_MAX_FRAMES_PER_CPU 64
#define MOAT_MAX_IRQS           24
#define MOAT_MAX_REGIONS        1024
#define MOAT_MAX_RESETS         32
#define MOAT_IO_BITMAP_SIZE     8192 /* one bit per port 0..65535; a set bit denies */

_Static_assert(MOAT_TRAMPOLINE_CPUS == MOAT_MAX_CPUS, "one trampoline slice per CPU");

enum moat_fault_action {
    MOAT_FAULT_STOP = 0,
    MOAT_FAULT_RESTART = 1,
};

enum moat_event_action {
    MOAT_ACTION_NOTIFY = 0,
    MOAT_ACTION_POWEROFF = 1,
    MOAT_ACTION_REBOOT = 2,
    MOAT_ACTION_RESTART = 3,
    MOAT_ACTION_STOP = 4,
    MOAT_ACTION_SWITCH_PLAN = 5,
    MOAT_ACTION_UNMASK_IRQ = 6,
};

/* What one outgoing event of a subject does. */
struct moat_event_route {
    uint8_t action;       /* enum moat_event_action */
    uint8_t target_event; /* NOTIFY: the target's incoming id (< MOAT_MAX_EVENTS) */
    subject_id_t target;  /* NOTIFY, RESTART, STOP: the target subject */
    plan_id_t plan;       /* SWITCH_PLAN: the plan to switch to */
    uint8_t irq;          /* UNMASK_IRQ: the IRQ line */
    uint8_t reserved;
};

/*
 * One step of putting a subject back to its initial state (restart) and of preparing
 * it at boot: copy size bytes from src to dst, or zero them when src is 0.
 */
struct moat_reset {
    paddr_t dst;
    paddr_t src;
    uint64_t size;
};

struct moat_subject {
    const char *name;
    uint32_t cpu;
    uint8_t on_fault; /* enum moat_fault_action */
    uint8_t reserved[3];
    paddr_t pml4;          /* physical address of its top-level page table (CR3) */
    vaddr_t entry;         /* first instruction (crt0) */
    vaddr_t stack_top;     /* initial rsp */
    vaddr_t sinfo_virt;    /* passed to crt0 in rdi */
    paddr_t sinfo_phys;    /* the kernel fills tsc_khz here at boot */
    uint16_t send_count;   /* outgoing events: ids 0 .. send_count-1 */
    uint16_t reset_count;  /* <= MOAT_MAX_RESETS */
    uint32_t reserved2;
    uint64_t timer_events; /* bit n: incoming id n is one of its <timer>s (timer_set may use it) */
    const struct moat_event_route *sends;
    const struct moat_reset *resets;
    const uint8_t *io_bitmap; /* MOAT_IO_BITMAP_SIZE bytes, or 0 when no ports are granted */
};

/* A minor frame whose subject is MOAT_SUBJECT_IDLE halts the CPU for its length. */
#define MOAT_SUBJECT_IDLE 0xffffu

struct moat_frame {
    subject_id_t subject; /* an index into moat_system.subjects, or MOAT_SUBJECT_IDLE */
    uint16_t reserved;
    uint32_t ticks; /* length in scheduling ticks */
};

struct moat_cpu_schedule {
    uint16_t frame_count; /* 1 .. MOAT_MAX_FRAMES_PER_CPU */
    const struct moat_frame *frames;
};

struct moat_plan {
    const char *name;
    uint64_t major_ticks; /* equal on every CPU */
    struct moat_cpu_schedule cpus[MOAT_MAX_CPUS];
};

struct moat_irq_route {
    uint8_t line;         /* ISA/GSI line */
    uint8_t event;        /* the owner's incoming event id */
    subject_id_t subject; /* the owner */
};

/* A physical range the firmware memory map must cover as usable RAM. */
struct moat_ram_range {
    paddr_t base;
    uint64_t size;
};

struct moat_system {
    const char *name;
    uint32_t cpu_count;
    uint32_t reserved;
    uint64_t tick_ns; /* length of one scheduling tick */
    uint16_t subject_count;
    uint16_t plan_count;
    uint16_t initial_plan;
    uint16_t irq_count;
    uint32_t region_count;
    uint32_t reserved2;
    const struct moat_subject *subjects;
    const struct moat_plan *plans;
    const struct moat_irq_route *irqs;
    const struct moat_ram_range *regions;
    paddr_t audit_phys; /* crash-audit region, written by the kernel */
    uint64_t audit_size;
    /* Kernel log channels, one per CPU (SHMStream v2, <moat/log.h> records), written only
     * by the kernel on that CPU after boot and read by the log server; 0 = none: that
     * CPU's notices are counted and dropped. */
    paddr_t klog_phys[MOAT_MAX_CPUS];
    uint64_t klog_size;
    /* The subject that reads the kernel log channels (when klog_size != 0). A poweroff or
     * reboot waits until it has yielded twice after the request, so what was logged
     * before (the request's own notice included) reaches the console; 1 s at most. */
    subject_id_t klog_reader;
};

/* Defined in the generated tables.c. */
extern const struct moat_system moat_system;

#endif /* MOAT_ABI_TABLES_H */
