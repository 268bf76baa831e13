/*
 * VM subjects, the vendor-neutral part: see vm.h. Everything here runs in the VM's own
 * frames (on its exits and before its entries), so it costs only the VM's time; each
 * call does a bounded amount of work.
 */
#include <moat/abi/kcall.h>

#include "vm.h"

bool vm_check_machine(void)
{
    const char *missing = arch_vm_unsupported();
    /*@ loop invariant 0 <= i <= tables->subjects.count;
        loop assigns i; */
    for (subject_id_t i = 0; i < tables_subject_count() && missing != NULL; i++) {
        const struct moat_subject *s = tables_subject(i);
        if (s->kind == MOAT_SUBJECT_VM) {
            const char *name = tables_string(s->name); /* before printing (WP) */
            print_str("vm: subject ");
            print_str(name);
            print_str(" is a VM, this CPU has ");
            print_str(missing);
            print_nl();
            return false;
        }
    }
    return true;
}

/* Decimal, left-aligned, padded with spaces: Linux reads a leading 0 as octal. */
void vm_write_tsc_patches(void)
{
    /*@ loop invariant 0 <= i <= tables->subjects.count;
        loop assigns i; */
    for (subject_id_t i = 0; i < tables_subject_count(); i++) {
        const struct moat_subject *s = tables_subject(i);
        if (s->kind != MOAT_SUBJECT_VM || tables_vm(s)->tsc_khz_patch == 0u) {
            continue;
        }
        char text[MOAT_VM_TSC_DIGITS];
        char digits[20];
        uint32_t n = 0;
        uint64_t khz = arch_tsc_khz();
        /* arch_tsc_khz has at most MOAT_VM_TSC_DIGITS digits: n stays within them. */
        /*@ loop invariant 0 <= n <= MOAT_VM_TSC_DIGITS - 1 && khz < vm_tsc_limit(n);
            loop assigns n, khz, digits[0 .. 19];
            loop variant 20 - n; */
        do {
            digits[n++] = (char)('0' + khz % 10u);
            khz /= 10u;
        } while (khz != 0u && n < sizeof(digits));
        /*@ loop invariant 0 <= k <= MOAT_VM_TSC_DIGITS;
            loop assigns k, text[0 .. MOAT_VM_TSC_DIGITS - 1]; */
        for (uint32_t k = 0; k < MOAT_VM_TSC_DIGITS; k++) {
            text[k] = k < n ? digits[n - 1u - k] : ' ';
        }
        CHECK(n <= MOAT_VM_TSC_DIGITS);
        arch_phys_write(tables_vm(s)->tsc_khz_patch, text, MOAT_VM_TSC_DIGITS);
    }
}

static void vm_console_publish(struct vm_state *v, bool line_ends)
{
    v->line.tsc = arch_now();
    v->line.flags = line_ends ? (uint16_t)0u : (uint16_t)MOAT_LOG_CONTINUED;
    /* For WP, which does not see a record as bytes: v->line is one record of the
     * writer's element size (VM_STATE_OK), as print.c's admit for p->line. */
    /*@ admit \valid_read((const unsigned char *)&v->line + (0 .. v->console.element_size - 1)); */
    channel_write(&v->console, &v->line);
    v->line.length = 0;
}

void vm_reset(subject_id_t id)
{
    const struct moat_vm *m = tables_vm(tables_subject(id));
    struct vm_state *v = vm_state(id);
    /*@ loop invariant 0 <= w <= 4;
        loop assigns w, v->irr[0 .. 3], v->isr[0 .. 3]; */
    for (uint32_t w = 0; w < 4u; w++) {
        v->irr[w] = 0;
        v->isr[w] = 0;
    }
    v->timer_vector = 0;
    v->halted_for_good = false;
    core_subject(id)->timer_event = (uint8_t)VM_TIMER_EVENT;
    /* What wakes it from HLT: the events it gets as interrupts, and its timer. */
    uint64_t wake = 1ull << VM_TIMER_EVENT;
    /*@ loop invariant 0 <= n <= MOAT_MAX_EVENTS;
        loop assigns n, wake; */
    for (uint32_t n = 0; n < MOAT_MAX_EVENTS; n++) {
        wake |= m->vectors[n] != 0u ? 1ull << n : 0u;
    }
    core_subject(id)->wake_events = wake;
    /* The channel is set up once (a restart keeps it); a line the old run left open
     * ends here. */
    if (!v->console_ready && m->console_phys != 0u) {
        void *mem = arch_phys_map(m->console_phys, m->console_size);
        v->console_ready = mem != NULL &&
                           channel_writer_init(&v->console, mem, (size_t)m->console_size,
                                               MOAT_LOG_PROTOCOL, sizeof(struct moat_log_record),
                                               arch_now() | 1u) == 0;
        v->line.length = 0;
    } else if (v->console_ready && v->line.length != 0u) {
        vm_console_publish(v, true);
    }
}

void vm_console_out(subject_id_t id, uint8_t byte)
{
    struct vm_state *v = vm_state(id);
    if (!v->console_ready || byte == '\r') {
        return;
    }
    if (byte == '\n') {
        vm_console_publish(v, true);
        return;
    }
    if (v->line.length >= MOAT_LOG_TEXT_MAX) {
        vm_console_publish(v, false); /* the line goes on in the next record */
    }
    v->line.text[v->line.length++] = byte;
}

void vm_irq_request(subject_id_t id, uint32_t vector)
{
    /* 0..31 are exceptions, not interrupts: never requested. */
    if (vector >= 32u && vector < 256u) {
        vm_state(id)->irr[vector / 64u] |= 1ull << (vector % 64u);
    }
}

/* The highest vector set in a 256-bit map, or 0 (vector 0 is never requested). */
static uint32_t vm_highest(const uint64_t map[4])
{
    /*@ loop invariant 0 <= w <= 4;
        loop invariant \forall integer k; w <= k < 4 ==> map[k] == 0;
        loop assigns w;
        loop variant w; */
    for (uint32_t w = 4u; w > 0u; w--) {
        if (map[w - 1u] != 0u) {
            return 64u * (w - 1u) + 63u - (uint32_t)__builtin_clzll(map[w - 1u]);
        }
    }
    return 0;
}

/* Takes the pending events it gets as vectors (its timer's as the timer's vector);
 * events without a vector stay pending. */
bool vm_enter(subject_id_t id)
{
    struct core_subject *s = core_subject(id);
    struct vm_state *v = vm_state(id);
    const struct moat_vm *m = tables_vm(tables_subject(id));
    uint64_t take = ATOMIC_LOAD(&s->pending) & s->wake_events;
    if (take != 0u) {
        ATOMIC_FETCH_AND(&s->pending, ~take);
    }
    /* Bounded: one bit cleared per pass. */
    /*@ loop invariant 0 <= i <= MOAT_MAX_EVENTS;
        loop assigns i, take, fc_vm_state[id].irr[0 .. 3]; */
    for (uint32_t i = 0; i < MOAT_MAX_EVENTS && take != 0u; i++) {
        uint32_t n = (uint32_t)__builtin_ctzll(take);
        take &= take - 1u;
        vm_irq_request(id, n == VM_TIMER_EVENT ? v->timer_vector : m->vectors[n]);
    }
    if (v->halted_for_good) {
        ATOMIC_STORE(&s->state, (uint8_t)SUBJECT_HALTED);
        return false;
    }
    return true;
}

uint32_t vm_irq_next(subject_id_t id)
{
    struct vm_state *v = vm_state(id);
    uint32_t want = vm_highest(v->irr);
    /* Priority classes of 16 vectors: only above the highest in service. */
    return want / 16u > vm_highest(v->isr) / 16u ? want : 0u;
}

void vm_irq_injected(subject_id_t id, uint32_t vector)
{
    struct vm_state *v = vm_state(id);
    v->irr[vector / 64u % 4u] &= ~(1ull << (vector % 64u));
    v->isr[vector / 64u % 4u] |= 1ull << (vector % 64u);
}

void vm_irq_eoi(subject_id_t id)
{
    struct vm_state *v = vm_state(id);
    uint32_t top = vm_highest(v->isr);
    v->isr[top / 64u] &= ~(1ull << (top % 64u));
}

void vm_timer_route(subject_id_t id, uint8_t vector, bool masked)
{
    vm_state(id)->timer_vector = masked ? 0u : vector;
}

/* The core's subject timer: it fires only in the VM's frames (sched_pick). */
void vm_timer_set(subject_id_t id, tsc_t deadline)
{
    core_subject(id)->timer_deadline = deadline;
}

tsc_t vm_timer_get(subject_id_t id)
{
    return core_subject(id)->timer_deadline;
}

/* event_poll by vmmcall: the lowest pending event without a vector, cleared (those with
 * one, and the timer's, arrive as interrupts: vm_enter takes them). */
static int64_t vm_event_poll(subject_id_t id)
{
    struct core_subject *s = core_subject(id);
    uint64_t pending = ATOMIC_LOAD(&s->pending) & ~s->wake_events;
    if (pending == 0u) {
        return MOAT_ERR_NONE_PENDING;
    }
    uint32_t bit = (uint32_t)__builtin_ctzll(pending);
    ATOMIC_FETCH_AND(&s->pending, ~(1ull << bit));
    return (int64_t)bit;
}

/* vmmcall: the native kernel-call numbers; a VM sends its events, polls for those it
 * gets no vector for, and yields. */
struct core_next vm_on_call(tsc_t now, subject_id_t id, uint64_t number, uint64_t arg0,
                            int64_t *result)
{
    uint32_t restarts = core_subject(id)->restarts;
    *result = MOAT_ERR_NO_CALL;
    if (number == MOAT_KCALL_EVENT_SEND) {
        *result = event_send(id, arg0);
    } else if (number == MOAT_KCALL_EVENT_POLL) {
        *result = vm_event_poll(id);
    } else if (number == MOAT_KCALL_YIELD) {
        *result = MOAT_OK;
        core_cpus[tables_subject(id)->cpu].yielded = true;
        return core_on_timer(now);
    }
    /* A send that restarted or stopped the VM itself ends its run here. */
    if (core_subject(id)->restarts != restarts ||
        ATOMIC_LOAD(&core_subject(id)->state) != SUBJECT_RUNNABLE) {
        return core_on_timer(now);
    }
    return sched_resume(now, id);
}

/* HLT: on at once when an interrupt can be taken; else out of the CPU until an event
 * it gets as an interrupt or its timer (then the frame idles), or for good. */
struct core_next vm_on_halt(tsc_t now, subject_id_t id, bool interrupts_on)
{
    (void)vm_enter(id);
    if (interrupts_on && vm_irq_next(id) != 0u) {
        return sched_resume(now, id);
    }
    vm_state(id)->halted_for_good = !interrupts_on;
    ATOMIC_STORE(&core_subject(id)->state, (uint8_t)SUBJECT_HALTED);
    return core_on_timer(now);
}

struct core_next vm_on_fault(tsc_t now, subject_id_t id, const struct arch_fault *f)
{
    return core_on_fault(now, id, f);
}

/* Each name its own constant array, not a literal: with literals of several lengths in
 * one function, WP's Z3 fails on every goal that a returned one is NUL-ended (nor a
 * constant table of string pointers: with one in the proof's one unit, WP no longer
 * proves that any string literal is NUL-ended; docs/architecture.md, "Code shapes for
 * the proof"). */
static const char vm_fault_npf[] = "npf";
static const char vm_fault_shutdown[] = "shutdown";
static const char vm_fault_state[] = "bad-state";
static const char vm_fault_exit[] = "unknown-exit";

const char *vm_fault_name(uint32_t vector)
{
    switch (vector) {
    case VM_FAULT_NPF:
        return vm_fault_npf;
    case VM_FAULT_SHUTDOWN:
        return vm_fault_shutdown;
    case VM_FAULT_STATE:
        return vm_fault_state;
    case VM_FAULT_EXIT:
        return vm_fault_exit;
    default:
        return NULL;
    }
}
