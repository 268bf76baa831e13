/*
 * The tables of one system: a blob moat-polc writes into the prebuilt kernel's reserved
 * tables segment (MOAT_TABLES_PHYS, at most MOAT_TABLES_CAPACITY bytes). The kernel is
 * built once; the policy reaches it only as this data, which the kernel validates whole
 * at boot before any subject runs (docs/architecture.md, "The tables blob").
 *
 * The blob has no pointers: a header, then arrays of fixed-size records, each named in
 * the header by its byte offset from the blob's start and its record count. Records
 * refer to each other by index (a subject's sends are sends[send_first ..
 * send_first + send_count)), names by byte offset into the strings array (NUL-ended).
 * Physical addresses (page tables, sinfo pages, reset steps, the audit region) are data,
 * each checked at boot to lie in one of the blob's RAM regions.
 *
 * Event numbering is subject-local and has two directions:
 *  - outgoing: event_send(id) indexes the sender's sends, whose entry says what the
 *    event does (notify a target, or a kernel action);
 *  - incoming: bit n of a subject's pending bitmap; a notify route names the target's
 *    incoming id, IRQ routes name one, and timer_set raises one of the caller's own.
 * The subject finds both kinds of id by name in its sinfo page.
 */
#ifndef MOAT_ABI_TABLES_H
#define MOAT_ABI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "kcall.h"
#include "layout.h"

typedef uint64_t paddr_t;
typedef uint64_t vaddr_t;
typedef uint16_t subject_id_t;
typedef uint16_t plan_id_t;

/* Limits of the format; the kernel checks every count against them at boot. None sizes
 * a kernel array except MOAT_MAX_CPUS (per-CPU state) and MOAT_MAX_IRQS (IRQ lines). */
#define MOAT_MAX_CPUS           8
#define MOAT_MAX_SUBJECTS       4095 /* x86: subject n is PCID n + 1, 0 the kernel's (12 bits) */
#define MOAT_MAX_PLANS          8
#define MOAT_MAX_FRAMES_PER_CPU 4096
#define MOAT_MAX_IRQS           24
#define MOAT_MAX_REGIONS        65536
#define MOAT_MAX_RESETS         32 /* per subject */
#define MOAT_MAX_CHANNELS       16384 /* moat-polc's limit; channels are regions to the kernel */
#define MOAT_MAX_VMS            16    /* VM subjects per system (each VMCB is a kernel range) */
#define MOAT_IO_BITMAP_SIZE     8192 /* one bit per port 0..65535; a set bit denies */
/* A plan's major frame lasts at most this many ns (1,000 s; also bounds the tick), so
 * that no tick product overflows: major_ticks <= MOAT_MAX_MAJOR_NS / tick_ns. */
#define MOAT_MAX_MAJOR_NS       1000000000000ull

_Static_assert(MOAT_TRAMPOLINE_CPUS == MOAT_MAX_CPUS, "one trampoline slice per CPU");

/*
 * Per-subject kernel state (saved registers, XSAVE area, scheduling and reset state):
 * one slot of this many bytes per subject, slot n at state_phys + n * size, in a region
 * moat-polc places (never mapped into a subject). The kernel asserts its state fits.
 */
#define MOAT_SUBJECT_STATE_SIZE  MOAT_U64(0x2000)
#define MOAT_SUBJECT_STATE_ALIGN MOAT_U64(0x1000)

enum moat_fault_action {
    MOAT_FAULT_STOP = 0,
    MOAT_FAULT_RESTART = 1,
};

/* What a subject is: a ring-3 program on the kernel's page tables, or a hardware virtual
 * machine on nested page tables (docs/vm.md). */
enum moat_subject_kind {
    MOAT_SUBJECT_NATIVE = 0,
    MOAT_SUBJECT_VM = 1,
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
#define MOAT_ACTION_COUNT 7

/* "No record" for an optional index (moat_subject.io_bitmap). */
#define MOAT_TABLES_NONE 0xffffffffu

/* Where one array lies in the blob: byte offset from the blob's start (a multiple of 8)
 * and number of records. */
struct moat_tables_array {
    uint32_t offset;
    uint32_t count;
};

#define MOAT_TABLES_MAGIC   MOAT_U64(0x31454c4254414f4d) /* "MOATBLE1", little-endian */
#define MOAT_TABLES_VERSION 1u

struct moat_tables_header {
    uint64_t magic;        /* MOAT_TABLES_MAGIC */
    uint32_t version;      /* MOAT_TABLES_VERSION */
    uint32_t header_size;  /* sizeof(struct moat_tables_header) */
    uint64_t layout_hash;  /* MOAT_TABLES_LAYOUT_HASH of the writer */
    uint64_t size;         /* bytes of the whole blob, header included */
    uint64_t checksum;     /* moat_tables_checksum() of the whole blob */
    /* The system. */
    uint32_t name;         /* into strings */
    uint32_t cpu_count;    /* 1 .. MOAT_MAX_CPUS */
    uint64_t tick_ns;      /* length of one scheduling tick, > 0 */
    plan_id_t initial_plan;
    /* The subject that reads the kernel log channels (when klog_size != 0). A poweroff or
     * reboot waits until it has yielded twice after the request (1 s at most). */
    subject_id_t klog_reader;
    uint32_t reserved;
    paddr_t audit_phys;    /* crash-audit region, written by the kernel */
    uint64_t audit_size;
    /* Kernel log channels, one per CPU (SHMStream v2, <moat/log.h> records), written only
     * by the kernel on that CPU after boot; 0 = none: that CPU's notices are dropped. */
    paddr_t klog_phys[MOAT_MAX_CPUS];
    uint64_t klog_size;
    /* Per-subject kernel state: subject count * MOAT_SUBJECT_STATE_SIZE bytes. */
    paddr_t state_phys;
    uint64_t state_size;
    /* The arrays (record types below). */
    struct moat_tables_array subjects;   /* struct moat_subject */
    struct moat_tables_array plans;      /* struct moat_plan, >= 1 */
    struct moat_tables_array frames;     /* struct moat_frame, every plan's, every CPU's */
    struct moat_tables_array sends;      /* struct moat_event_route, every subject's */
    struct moat_tables_array resets;     /* struct moat_reset, every subject's */
    struct moat_tables_array irqs;       /* struct moat_irq_route */
    struct moat_tables_array regions;    /* struct moat_ram_range, sorted, disjoint */
    struct moat_tables_array io_bitmaps; /* struct moat_io_bitmap */
    struct moat_tables_array strings;    /* bytes (count = bytes) */
    struct moat_tables_array vms;        /* struct moat_vm, one per VM subject */
};

/* What one outgoing event of a subject does. */
struct moat_event_route {
    uint8_t action;       /* enum moat_event_action */
    uint8_t target_event; /* NOTIFY: the target's incoming id (< MOAT_MAX_EVENTS) */
    subject_id_t target;  /* NOTIFY, RESTART, STOP: the target subject */
    plan_id_t plan;       /* SWITCH_PLAN: the plan to switch to */
    uint8_t irq;          /* UNMASK_IRQ: the IRQ line (one of the irqs) */
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
    uint32_t name;         /* into strings */
    uint16_t cpu;          /* < cpu_count */
    uint8_t on_fault;      /* enum moat_fault_action */
    uint8_t kind;          /* enum moat_subject_kind */
    /* Native: its top-level page table (CR3). VM: the root of its nested page tables
     * (guest-physical to host-physical, 4-level, built by moat-polc). */
    paddr_t pml4;
    vaddr_t entry;         /* first instruction (native: crt0; VM: guest-physical rip) */
    vaddr_t stack_top;     /* initial rsp (native; 0 for a VM) */
    vaddr_t sinfo_virt;    /* native: passed to crt0 in rdi; VM: its guest-physical address */
    paddr_t sinfo_phys;    /* the kernel fills tsc_khz here at boot */
    uint32_t send_first;   /* its outgoing events: ids 0 .. send_count-1 */
    uint16_t send_count;   /* <= MOAT_MAX_EVENTS */
    uint16_t reset_count;  /* 1 .. MOAT_MAX_RESETS */
    uint32_t reset_first;
    uint32_t io_bitmap;    /* into io_bitmaps, or MOAT_TABLES_NONE when no ports are granted */
    uint64_t timer_events; /* bit n: incoming id n is one of its <timer>s (timer_set may use it) */
    uint32_t vm;           /* VM: into vms; native: MOAT_TABLES_NONE */
    uint32_t reserved2;
};

/*
 * What the kernel needs to run one VM subject beyond its moat_subject record. Everything
 * about the guest (its RAM, kernel, initrd, boot parameters, memory map and firmware
 * tables, and the nested page tables) is built by moat-polc; the subject's reset steps
 * put the pristine images back into zeroed guest RAM at boot and on restart.
 *
 * The guest starts in 32-bit flat protected mode with paging off (the Linux 32-bit boot
 * protocol): cs/ds/es/ss flat 4 GiB, eip = moat_subject.entry, esi = boot_rsi, other
 * registers 0, interrupts off.
 */
#define MOAT_VM_TSC_DIGITS 10u /* decimal digits of the TSC kHz the kernel writes at boot */

struct moat_vm {
    paddr_t vmcb;          /* a 4 KiB page only the kernel maps (SVM: the VMCB) */
    uint64_t boot_rsi;     /* esi at entry: guest-physical address of the boot parameters */
    uint64_t ram_size;     /* bytes of guest RAM, from guest-physical 0 */
    /* The guest's UART output: a channel the kernel writes (<moat/log.h> records, one per
     * line, written in the VM's own frames), named "<vm>.log", read by the log server.
     * 0 = none: the output is dropped. */
    paddr_t console_phys;
    uint64_t console_size;
    /* Where in a pristine (never guest-mapped) copy of the boot image the kernel writes
     * the TSC frequency at boot, before the first reset copies it into guest RAM:
     * the kHz in ASCII decimal, left-aligned, the rest of the MOAT_VM_TSC_DIGITS bytes
     * spaces (Linux reads a leading 0 as octal). 0 = none. */
    paddr_t tsc_khz_patch;
    /* Incoming event n is injected as interrupt vector vectors[n] (32 .. 255) at the
     * VM's next entry once it can take interrupts; 0 = not injected (it stays pending).
     * Event 63 is the VM's own emulated TSC-deadline timer: vectors[63] is 0 and no
     * route or IRQ may name it. */
    uint8_t vectors[MOAT_MAX_EVENTS];
};

/* A minor frame whose subject is MOAT_SUBJECT_IDLE halts the CPU for its length. */
#define MOAT_SUBJECT_IDLE 0xffffu

struct moat_frame {
    subject_id_t subject; /* a subject pinned to the frame's CPU, or MOAT_SUBJECT_IDLE */
    uint16_t reserved;
    uint32_t ticks;       /* length in scheduling ticks, > 0 */
};

struct moat_plan_cpu {
    uint32_t frame_first; /* into frames */
    uint32_t frame_count; /* 1 .. MOAT_MAX_FRAMES_PER_CPU; the ticks add up to major_ticks */
};

struct moat_plan {
    uint32_t name; /* into strings */
    uint32_t reserved;
    uint64_t major_ticks; /* equal on every CPU */
    struct moat_plan_cpu cpus[MOAT_MAX_CPUS]; /* [0, cpu_count) used, the rest 0 */
};

struct moat_irq_route {
    uint8_t line;         /* ISA/GSI line, < MOAT_MAX_IRQS, each at most once */
    uint8_t event;        /* the owner's incoming event id */
    subject_id_t subject; /* the owner */
};

/* A physical range the firmware memory map must cover as usable RAM. */
struct moat_ram_range {
    paddr_t base;
    uint64_t size;
};

struct moat_io_bitmap {
    uint8_t bits[MOAT_IO_BITMAP_SIZE];
};

/*
 * A hash of the format's layout: every record's size and every field's offset, the
 * limits and the version, each term weighted by its position. A kernel refuses a blob
 * whose writer saw another layout, and moat-polc a kernel built for another (the
 * MOAT_NOTE_KERNEL note, layout.h). A constant expression, so that it can sit in a note.
 */
#define MOAT_L(i, v) (((uint64_t)(v) + 1u) * (0x9e3779b97f4a7c15ull * (2u * (uint64_t)(i) + 1u)))
#define MOAT_TABLES_LAYOUT_HASH ( \
    MOAT_L(0, sizeof(struct moat_tables_header)) + \
    MOAT_L(1, offsetof(struct moat_tables_header, version)) + \
    MOAT_L(2, offsetof(struct moat_tables_header, header_size)) + \
    MOAT_L(3, offsetof(struct moat_tables_header, layout_hash)) + \
    MOAT_L(4, offsetof(struct moat_tables_header, size)) + \
    MOAT_L(5, offsetof(struct moat_tables_header, checksum)) + \
    MOAT_L(6, offsetof(struct moat_tables_header, name)) + \
    MOAT_L(7, offsetof(struct moat_tables_header, cpu_count)) + \
    MOAT_L(8, offsetof(struct moat_tables_header, tick_ns)) + \
    MOAT_L(9, offsetof(struct moat_tables_header, initial_plan)) + \
    MOAT_L(10, offsetof(struct moat_tables_header, klog_reader)) + \
    MOAT_L(11, offsetof(struct moat_tables_header, audit_phys)) + \
    MOAT_L(12, offsetof(struct moat_tables_header, audit_size)) + \
    MOAT_L(13, offsetof(struct moat_tables_header, klog_phys)) + \
    MOAT_L(14, offsetof(struct moat_tables_header, klog_size)) + \
    MOAT_L(15, offsetof(struct moat_tables_header, state_phys)) + \
    MOAT_L(16, offsetof(struct moat_tables_header, state_size)) + \
    MOAT_L(17, offsetof(struct moat_tables_header, subjects)) + \
    MOAT_L(18, offsetof(struct moat_tables_header, plans)) + \
    MOAT_L(19, offsetof(struct moat_tables_header, frames)) + \
    MOAT_L(20, offsetof(struct moat_tables_header, sends)) + \
    MOAT_L(21, offsetof(struct moat_tables_header, resets)) + \
    MOAT_L(22, offsetof(struct moat_tables_header, irqs)) + \
    MOAT_L(23, offsetof(struct moat_tables_header, regions)) + \
    MOAT_L(24, offsetof(struct moat_tables_header, io_bitmaps)) + \
    MOAT_L(25, offsetof(struct moat_tables_header, strings)) + \
    MOAT_L(26, sizeof(struct moat_tables_array)) + \
    MOAT_L(27, offsetof(struct moat_tables_array, count)) + \
    MOAT_L(28, sizeof(struct moat_subject)) + \
    MOAT_L(29, offsetof(struct moat_subject, cpu)) + \
    MOAT_L(30, offsetof(struct moat_subject, on_fault)) + \
    MOAT_L(31, offsetof(struct moat_subject, pml4)) + \
    MOAT_L(32, offsetof(struct moat_subject, entry)) + \
    MOAT_L(33, offsetof(struct moat_subject, stack_top)) + \
    MOAT_L(34, offsetof(struct moat_subject, sinfo_virt)) + \
    MOAT_L(35, offsetof(struct moat_subject, sinfo_phys)) + \
    MOAT_L(36, offsetof(struct moat_subject, send_first)) + \
    MOAT_L(37, offsetof(struct moat_subject, send_count)) + \
    MOAT_L(38, offsetof(struct moat_subject, reset_count)) + \
    MOAT_L(39, offsetof(struct moat_subject, reset_first)) + \
    MOAT_L(40, offsetof(struct moat_subject, io_bitmap)) + \
    MOAT_L(41, offsetof(struct moat_subject, timer_events)) + \
    MOAT_L(42, sizeof(struct moat_event_route)) + \
    MOAT_L(43, offsetof(struct moat_event_route, target_event)) + \
    MOAT_L(44, offsetof(struct moat_event_route, target)) + \
    MOAT_L(45, offsetof(struct moat_event_route, plan)) + \
    MOAT_L(46, offsetof(struct moat_event_route, irq)) + \
    MOAT_L(47, sizeof(struct moat_reset)) + \
    MOAT_L(48, offsetof(struct moat_reset, src)) + \
    MOAT_L(49, offsetof(struct moat_reset, size)) + \
    MOAT_L(50, sizeof(struct moat_frame)) + \
    MOAT_L(51, offsetof(struct moat_frame, ticks)) + \
    MOAT_L(52, sizeof(struct moat_plan_cpu)) + \
    MOAT_L(53, offsetof(struct moat_plan_cpu, frame_count)) + \
    MOAT_L(54, sizeof(struct moat_plan)) + \
    MOAT_L(55, offsetof(struct moat_plan, major_ticks)) + \
    MOAT_L(56, offsetof(struct moat_plan, cpus)) + \
    MOAT_L(57, sizeof(struct moat_irq_route)) + \
    MOAT_L(58, offsetof(struct moat_irq_route, event)) + \
    MOAT_L(59, offsetof(struct moat_irq_route, subject)) + \
    MOAT_L(60, sizeof(struct moat_ram_range)) + \
    MOAT_L(61, offsetof(struct moat_ram_range, size)) + \
    MOAT_L(62, sizeof(struct moat_io_bitmap)) + \
    MOAT_L(63, MOAT_TABLES_VERSION) + \
    MOAT_L(64, MOAT_MAX_CPUS) + \
    MOAT_L(65, MOAT_MAX_SUBJECTS) + \
    MOAT_L(66, MOAT_MAX_PLANS) + \
    MOAT_L(67, MOAT_MAX_FRAMES_PER_CPU) + \
    MOAT_L(68, MOAT_MAX_IRQS) + \
    MOAT_L(69, MOAT_MAX_REGIONS) + \
    MOAT_L(70, MOAT_MAX_RESETS) + \
    MOAT_L(71, MOAT_MAX_EVENTS) + \
    MOAT_L(72, MOAT_SUBJECT_STATE_SIZE) + \
    MOAT_L(73, MOAT_TABLES_PHYS) + \
    MOAT_L(74, MOAT_TABLES_CAPACITY) + \
    MOAT_L(75, offsetof(struct moat_tables_header, vms)) + \
    MOAT_L(76, offsetof(struct moat_subject, kind)) + \
    MOAT_L(77, offsetof(struct moat_subject, vm)) + \
    MOAT_L(78, sizeof(struct moat_vm)) + \
    MOAT_L(79, offsetof(struct moat_vm, boot_rsi)) + \
    MOAT_L(80, offsetof(struct moat_vm, ram_size)) + \
    MOAT_L(81, offsetof(struct moat_vm, console_phys)) + \
    MOAT_L(82, offsetof(struct moat_vm, console_size)) + \
    MOAT_L(83, offsetof(struct moat_vm, tsc_khz_patch)) + \
    MOAT_L(84, offsetof(struct moat_vm, vectors)) + \
    MOAT_L(85, MOAT_VM_TSC_DIGITS) + \
    MOAT_L(86, MOAT_MAX_VMS))

/*
 * The blob's checksum: FNV-1a (64-bit) over its `size` bytes, the checksum field read as
 * zero. It catches truncation and stray corruption; the boot check does not rely on it
 * (every field is checked on its own).
 */
static inline uint64_t moat_tables_checksum(const uint8_t *blob, uint64_t size)
{
    uint64_t h = 0xcbf29ce484222325ull;
    /*@ loop invariant 0 <= i <= size;
        loop assigns i, h; */
    for (uint64_t i = 0; i < size; i++) {
        uint8_t b = blob[i];
        if (i >= offsetof(struct moat_tables_header, checksum) &&
            i < offsetof(struct moat_tables_header, checksum) + sizeof(uint64_t)) {
            b = 0;
        }
        h = (h ^ b) * 0x100000001b3ull;
    }
    return h;
}

#endif /* MOAT_ABI_TABLES_H */
