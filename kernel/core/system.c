/*
 * Boot-time view of the system, once tables_check has validated the blob: the banner
 * (policy name, subjects, plans), the checks against this machine before any subject
 * starts (enough CPUs, every region usable RAM the kernel reaches), the per-subject
 * state region. Also the panic path.
 */
#include <moat/abi/audit.h>
#include <moat/abi/layout.h>

#include "core.h"
#include "vm.h"

uint8_t *core_state;

static bool system_check_ram(paddr_t base, uint64_t size, const char *what)
{
    const char *problem = "is not usable RAM in the firmware memory map";
    if (arch_ram_covers(base, size)) {
        if (arch_phys_reachable(base, size)) {
            return true;
        }
        problem = "is beyond the physical memory this kernel maps";
    }
    print_str("memory: [");
    print_hex(base);
    print_str(", ");
    print_hex(base + size);
    print_str(") (");
    print_str(what);
    print_str(") ");
    print_str(problem);
    print_nl();
    return false;
}

static void system_banner(void)
{
    print_str("system ");
    print_str(tables_string(tables->name));
    print_str(": ");
    print_dec(tables_subject_count());
    print_str(" subjects, ");
    print_dec(tables_plan_count());
    print_str(" plans, ");
    print_dec(tables->cpu_count);
    print_str(" CPUs, tick ");
    print_dec(tables->tick_ns);
    print_str(" ns");
    print_nl();
    /*@ loop invariant 0 <= i <= tables->subjects.count && print_ok;
        loop assigns i, PRINT_STATE;
        loop variant tables->subjects.count - i; */
    for (subject_id_t i = 0; i < tables_subject_count(); i++) {
        const struct moat_subject *s = tables_subject(i);
        print_str("subject ");
        print_dec(i);
        print_str(" ");
        print_str(tables_string(s->name));
        print_str(" cpu ");
        print_dec(s->cpu);
        print_str(s->on_fault == MOAT_FAULT_RESTART ? " on-fault restart" : " on-fault stop");
        print_nl();
    }
    /*@ loop invariant 0 <= p <= tables->plans.count && print_ok;
        loop assigns p, PRINT_STATE;
        loop variant tables->plans.count - p; */
    for (plan_id_t p = 0; p < tables_plan_count(); p++) {
        const struct moat_plan *plan = tables_plan(p);
        print_str("plan ");
        print_str(tables_string(plan->name));
        print_str(": major ");
        print_dec(plan->major_ticks);
        print_str(" ticks");
        /*@ loop invariant 0 <= c <= tables->cpu_count && print_ok;
            loop assigns c, PRINT_STATE;
            loop variant tables->cpu_count - c; */
        for (uint32_t c = 0; c < tables->cpu_count; c++) {
            print_str(c == 0u ? ", cpu" : "; cpu");
            print_dec(c);
            /*@ loop invariant 0 <= f <= plan->cpus[c].frame_count && print_ok;
                loop assigns f, PRINT_STATE;
                loop variant plan->cpus[c].frame_count - f; */
            for (uint32_t f = 0; f < plan->cpus[c].frame_count; f++) {
                const struct moat_frame *fr = tables_frame(p, c, f);
                print_str(" ");
                print_str(fr->subject == MOAT_SUBJECT_IDLE
                              ? "idle"
                              : tables_string(tables_subject(fr->subject)->name));
                print_str(":");
                print_dec(fr->ticks);
            }
        }
        print_nl();
    }
}

bool core_check_system(void)
{
    system_banner();
    if (tables->cpu_count > arch_cpu_count()) {
        print_str("cpus: the policy needs ");
        print_dec(tables->cpu_count);
        print_str(" CPUs, this machine has ");
        print_dec(arch_cpu_count());
        print_nl();
        return false;
    }
    if (!vm_check_machine()) {
        return false;
    }
    bool ok = system_check_ram(MOAT_KERNEL_PHYS_BASE, MOAT_KERNEL_PHYS_END - MOAT_KERNEL_PHYS_BASE,
                               "kernel");
    /*@ loop invariant 0 <= i <= tables->regions.count && print_ok;
        loop invariant ok ==> \forall integer k; 0 <= k < i ==>
          fc_reachable(fc_regions[k].base, fc_regions[k].size);
        loop assigns i, ok, PRINT_STATE;
        loop variant tables->regions.count - i; */
    for (uint32_t i = 0; i < tables_region_count(); i++) {
        ok = system_check_ram(tables_region(i)->base, tables_region(i)->size, "policy region") &&
             ok;
    }
    if (!ok) {
        return false;
    }
    print_str("memory: ");
    print_dec(tables_region_count());
    print_str(" policy regions are usable RAM");
    print_nl();
    /* Every subject's state slot: inside a region (tables_check), reachable (above). */
    core_state = arch_phys_map(tables->state_phys, tables->state_size);
    if (tables->state_size != 0u) {
        CHECK(core_state != NULL);
        arch_phys_zero(tables->state_phys, tables->state_size);
    }
    return true;
}

/*
 * The first CPU to panic stops the others (they halt where they are), writes the record
 * and powers off. Another CPU panicking at the same time halts; the same CPU panicking
 * again while it writes the record (e.g. in the audit path) powers off at once. The
 * line's value is a count or number in decimal, an address, mask or magic in hex.
 */
static _Noreturn void system_panic(const char *why, const struct arch_fault *f, uint64_t value,
                                   bool hex)
{
    uint32_t self = arch_cpu_id() + 1u;
    uint32_t first = 0;
    if (!ATOMIC_CAS(&core_shared.panicking, &first, self)) {
        if (first != self) {
            arch_halt();
        }
    } else {
        arch_stop_other_cpus();
        /* A CPU stopped while printing holds the lock: end its line, print anyway. */
        bool locked = smp_console_lock();
        if (!locked) {
            print_nl();
        }
        print_str("PANIC: ");
        print_str(why);
        print_str(" ");
        if (hex) {
            print_hex(value);
        } else {
            print_dec(value);
        }
        print_nl();
        smp_console_unlock(locked);
        audit_record(MOAT_AUDIT_PANIC, MOAT_SUBJECT_IDLE, f, MOAT_FAULT_STOP);
    }
    arch_poweroff(true);
}

_Noreturn void core_panic_fault(const char *why, const struct arch_fault *f)
{
    system_panic(why, f, f->error, true);
}

_Noreturn void core_panic(const char *why, uint64_t value)
{
    struct arch_fault f = {.error = value};
    system_panic(why, &f, value, false);
}

_Noreturn void core_panic_hex(const char *why, uint64_t value)
{
    struct arch_fault f = {.error = value};
    system_panic(why, &f, value, true);
}
