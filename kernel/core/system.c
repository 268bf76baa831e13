/*
 * Boot-time view of the system: the banner (policy name, subjects, plans) and the
 * checks the kernel makes before it starts any subject: the tables fit this kernel,
 * and the firmware memory map covers every region the policy uses. Also the panic path.
 */
#include <moat/abi/audit.h>
#include <moat/abi/layout.h>

#include "core.h"

static bool system_fail(const char *what, uint64_t value)
{
    print_str("refusing to start subjects: ");
    print_str(what);
    print_str(" ");
    print_hex(value);
    print_nl();
    return false;
}

static bool system_check_ram(paddr_t base, uint64_t size, const char *what)
{
    const char *problem = "is not usable RAM in the firmware memory map";
    if (size == 0u) {
        return true;
    }
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
    print_str("Moat separation kernel");
    print_nl();
    print_str("system ");
    print_str(moat_system.name);
    print_str(": ");
    print_dec(moat_system.subject_count);
    print_str(" subjects, ");
    print_dec(moat_system.plan_count);
    print_str(" plans, ");
    print_dec(moat_system.cpu_count);
    print_str(" CPUs, tick ");
    print_dec(moat_system.tick_ns);
    print_str(" ns");
    print_nl();
    for (subject_id_t i = 0; i < moat_system.subject_count && i < MOAT_MAX_SUBJECTS; i++) {
        const struct moat_subject *s = &moat_system.subjects[i];
        print_str("subject ");
        print_dec(i);
        print_str(" ");
        print_str(s->name);
        print_str(" cpu ");
        print_dec(s->cpu);
        print_str(s->on_fault == MOAT_FAULT_RESTART ? " on-fault restart" : " on-fault stop");
        print_nl();
    }
    for (plan_id_t p = 0; p < moat_system.plan_count && p < MOAT_MAX_PLANS; p++) {
        const struct moat_plan *plan = &moat_system.plans[p];
        print_str("plan ");
        print_str(plan->name);
        print_str(": major ");
        print_dec(plan->major_ticks);
        print_str(" ticks");
        for (uint32_t c = 0; c < moat_system.cpu_count && c < MOAT_MAX_CPUS; c++) {
            const struct moat_cpu_schedule *cs = &plan->cpus[c];
            print_str(c == 0u ? ", cpu" : "; cpu");
            print_dec(c);
            for (uint32_t f = 0; f < cs->frame_count && f < MOAT_MAX_FRAMES_PER_CPU; f++) {
                subject_id_t id = cs->frames[f].subject;
                print_str(" ");
                print_str(id < moat_system.subject_count ? moat_system.subjects[id].name : "idle");
                print_str(":");
                print_dec(cs->frames[f].ticks);
            }
        }
        print_nl();
    }
}

/* CPU c's frames: 1..64 of them, real subjects pinned to c or idle, adding up to the
 * major frame every CPU shares. */
static bool system_check_schedule(const struct moat_plan *plan, uint32_t c)
{
    const struct moat_cpu_schedule *s = &plan->cpus[c];
    uint64_t total = 0;
    if (s->frame_count == 0u || s->frame_count > MOAT_MAX_FRAMES_PER_CPU) {
        return false;
    }
    for (uint32_t f = 0; f < s->frame_count; f++) {
        subject_id_t id = s->frames[f].subject;
        if (id != MOAT_SUBJECT_IDLE &&
            (id >= moat_system.subject_count || moat_system.subjects[id].cpu != c)) {
            return false;
        }
        if (s->frames[f].ticks == 0u) {
            return false;
        }
        total += s->frames[f].ticks;
    }
    return total == plan->major_ticks;
}

static bool system_check_tables(void)
{
    if (moat_system.cpu_count == 0u || moat_system.cpu_count > MOAT_MAX_CPUS) {
        return system_fail("bad cpu count:", moat_system.cpu_count);
    }
    if (moat_system.cpu_count > arch_cpu_count()) {
        print_str("cpus: the policy needs ");
        print_dec(moat_system.cpu_count);
        print_str(" CPUs, this machine has ");
        print_dec(arch_cpu_count());
        print_nl();
        return system_fail("too few CPUs:", arch_cpu_count());
    }
    if (moat_system.subject_count > MOAT_MAX_SUBJECTS) {
        return system_fail("too many subjects:", moat_system.subject_count);
    }
    if (moat_system.plan_count == 0u || moat_system.plan_count > MOAT_MAX_PLANS ||
        moat_system.initial_plan >= moat_system.plan_count) {
        return system_fail("bad plan count or initial plan:", moat_system.plan_count);
    }
    if (moat_system.tick_ns == 0u || moat_system.region_count > MOAT_MAX_REGIONS ||
        moat_system.irq_count > MOAT_MAX_IRQS) {
        return system_fail("bad tick, region or irq count:", moat_system.tick_ns);
    }
    for (plan_id_t p = 0; p < moat_system.plan_count; p++) {
        for (uint32_t c = 0; c < moat_system.cpu_count; c++) {
            if (!system_check_schedule(&moat_system.plans[p], c)) {
                return system_fail("bad frames in plan", p);
            }
        }
    }
    for (subject_id_t i = 0; i < moat_system.subject_count; i++) {
        if (moat_system.subjects[i].cpu >= moat_system.cpu_count ||
            moat_system.subjects[i].reset_count > MOAT_MAX_RESETS) {
            return system_fail("bad subject", i);
        }
    }
    return true;
}

bool core_check_system(void)
{
    system_banner();
    if (!system_check_tables()) {
        return false;
    }
    bool ok = system_check_ram(MOAT_KERNEL_PHYS_BASE, MOAT_KERNEL_PHYS_END - MOAT_KERNEL_PHYS_BASE, "kernel");
    ok = system_check_ram(moat_system.audit_phys, moat_system.audit_size, "audit") && ok;
    for (uint32_t i = 0; i < moat_system.region_count; i++) {
        ok = system_check_ram(moat_system.regions[i].base, moat_system.regions[i].size,
                              "policy region") && ok;
    }
    if (!ok) {
        return system_fail("memory regions missing, count", moat_system.region_count);
    }
    print_str("memory: ");
    print_dec(moat_system.region_count);
    print_str(" policy regions are usable RAM");
    print_nl();
    return true;
}

/*
 * The first CPU to panic stops the others (they halt where they are), writes the record
 * and powers off. Another CPU panicking at the same time halts; the same CPU panicking
 * again while it writes the record (e.g. in the audit path) powers off at once.
 */
_Noreturn void core_panic_fault(const char *why, const struct arch_fault *f)
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
        print_hex(f->error);
        print_nl();
        smp_console_unlock(locked);
        audit_record(MOAT_AUDIT_PANIC, MOAT_SUBJECT_IDLE, f, MOAT_FAULT_STOP);
    }
    arch_poweroff(true);
}

_Noreturn void core_panic(const char *why, uint64_t value)
{
    struct arch_fault f = {0};
    f.error = value;
    core_panic_fault(why, &f);
}
