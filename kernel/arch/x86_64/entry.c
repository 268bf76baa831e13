/*
 * The x86-64 side of running subjects: saved register and XSAVE state per subject,
 * kernel entry from the trampoline (kernel calls, exceptions, timer, IRQs) and the way
 * back into a subject or the idle loop. Subjects are pinned to one CPU, so a subject's
 * saved state is only ever touched by that CPU; what a CPU has loaded is per CPU.
 */
#include "x86.h"


static struct trap_frame contexts[MOAT_MAX_SUBJECTS];
static uint8_t xsave_areas[MOAT_MAX_SUBJECTS][XSAVE_AREA] __attribute__((aligned(64)));
/* Per CPU: whose registers the entry frame holds, whose extended state is in the CPU,
 * whose I/O bitmap the TSS holds. */
static subject_id_t running[MOAT_MAX_CPUS] = {[0 ... MOAT_MAX_CPUS - 1] = MOAT_SUBJECT_IDLE};
static subject_id_t fpu_owner[MOAT_MAX_CPUS] = {[0 ... MOAT_MAX_CPUS - 1] = MOAT_SUBJECT_IDLE};
/* The policy bitmap each CPU's TSS holds now; 0 = every port denied (cpu.c's initial state). */
static const uint8_t *io_loaded[MOAT_MAX_CPUS];

static const char *const vector_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

static const char *const register_names[ARCH_FAULT_REGS] = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9",
    "r10", "r11", "r12", "r13", "r14", "r15", "rflags", "cs", "ss", "",
};

const char *arch_vector_name(uint32_t vector)
{
    return vector < 32u ? vector_names[vector] : "irq";
}

const char *arch_register_name(uint32_t index)
{
    return index < ARCH_FAULT_REGS ? register_names[index] : "";
}

tsc_t arch_now(void)
{
    return rdtsc();
}

bool arch_phys_reachable(paddr_t base, uint64_t size)
{
    /* paging.c identity-maps the first 4 GiB. */
    return base + size >= base && base + size <= 0x100000000ull;
}

void arch_phys_copy(paddr_t dst, paddr_t src, uint64_t size)
{
    /* The kernel identity-maps the first 4 GiB (arch_phys_reachable). */
    __builtin_memmove((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, size);
}

void arch_phys_zero(paddr_t dst, uint64_t size)
{
    __builtin_memset((void *)(uintptr_t)dst, 0, size);
}

void arch_phys_write(paddr_t dst, const void *src, uint64_t size)
{
    __builtin_memcpy((void *)(uintptr_t)dst, src, size);
}

void arch_subject_init(subject_id_t id, const struct moat_subject *subject)
{
    struct trap_frame *c = &contexts[id];
    __builtin_memset(c, 0, sizeof(*c));
    c->rip = subject->entry;
    c->rsp = subject->stack_top;
    c->rdi = subject->sinfo_virt;
    c->rflags = RFLAGS_IF;
    c->cs = SEL_USER_CS;
    c->ss = SEL_USER_DS;
    uint8_t *area = xsave_areas[id];
    __builtin_memset(area, 0, XSAVE_AREA);
    area[0] = 0x7f; /* x87 control word 0x037f */
    area[1] = 0x03;
    area[24] = 0x80; /* MXCSR 0x1f80: all SIMD exceptions masked */
    area[25] = 0x1f;
    uint32_t cpu = arch_cpu_id();
    if (fpu_owner[cpu] == id) {
        fpu_owner[cpu] = MOAT_SUBJECT_IDLE; /* its live state is discarded, never saved */
    }
}

void arch_subject_set_result(subject_id_t id, int64_t value)
{
    contexts[id].rax = (uint64_t)value;
}

static void io_bitmap_load(uint32_t cpu, const uint8_t *bitmap)
{
    uint8_t *iomap = TRAMP->tss[cpu].iomap;
    for (uint32_t i = 0; i < MOAT_IO_BITMAP_SIZE; i++) {
        iomap[i] = bitmap != 0 ? bitmap[i] : 0xff;
    }
    io_loaded[cpu] = bitmap;
}

static _Noreturn void subject_enter(uint32_t cpu, subject_id_t id)
{
    if (fpu_owner[cpu] != id) {
        if (fpu_owner[cpu] != MOAT_SUBJECT_IDLE) {
            cpu_xsave(xsave_areas[fpu_owner[cpu]]);
        }
        cpu_xrstor(xsave_areas[id]);
        fpu_owner[cpu] = id;
    }
    /* Subjects without ports share the all-denied map: switching between them copies nothing. */
    if (io_loaded[cpu] != moat_system.subjects[id].io_bitmap) {
        io_bitmap_load(cpu, moat_system.subjects[id].io_bitmap);
    }
    struct tramp_cpu *tc = &TRAMP->cpus[cpu];
    struct trap_frame *frame =
        (struct trap_frame *)(uintptr_t)(tc->stack_top - sizeof(struct trap_frame));
    *frame = contexts[id];
    frame->cs = SEL_USER_CS;
    frame->ss = SEL_USER_DS;
    /* Keep the flags a subject may hold; interrupts always on, IOPL 0, no NT/VM. */
    frame->rflags = (frame->rflags & 0x40dd5u) | RFLAGS_IF;
    tc->subject_cr3 = moat_system.subjects[id].pml4;
    if (cpu_features.pcid) {
        tc->subject_cr3 |= (uint64_t)(id + 1u) | CR3_NOFLUSH; /* PCID 1 + subject id */
    }
    running[cpu] = id;
    arch_enter_subject(frame);
}

/* Idle in the kernel: the barrier's wait and the idle loop. */
void arch_idle_until(tsc_t deadline)
{
    apic_timer_arm(deadline);
    __asm__ volatile("sti\n\thlt\n\tcli" ::: "memory");
}

_Noreturn void arch_run(struct core_next next)
{
    /* The scheduler loop: each pass runs a subject (never returns here) or idles once. */
    uint32_t cpu = arch_cpu_id();
    for (;;) {
        apic_timer_arm(next.deadline);
        if (next.subject != MOAT_SUBJECT_IDLE) {
            subject_enter(cpu, next.subject);
        }
        running[cpu] = MOAT_SUBJECT_IDLE;
        __asm__ volatile("sti\n\thlt\n\tcli" ::: "memory");
        next = core_on_timer(rdtsc());
    }
}

static void fault_from_frame(const struct trap_frame *f, struct arch_fault *out)
{
    out->vector = (uint32_t)f->vector;
    out->error = f->error;
    out->ip = f->rip;
    out->addr = f->vector == 14u ? read_cr2() : 0u;
    const uint64_t regs[19] = {f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, f->rbp,
                               f->rsp, f->r8,  f->r9,  f->r10, f->r11, f->r12, f->r13,
                               f->r14, f->r15, f->rflags, f->cs, f->ss};
    for (uint32_t i = 0; i < 19u; i++) {
        out->regs[i] = regs[i];
    }
}

static uint8_t irq_line(uint64_t vector)
{
    return (uint8_t)(vector - VEC_IRQ_BASE);
}

static bool is_irq(uint64_t vector)
{
    return vector >= VEC_IRQ_BASE && vector < VEC_IRQ_BASE + MOAT_MAX_IRQS;
}

_Noreturn void arch_trap_entry(struct trap_frame *f)
{
    tsc_t now = rdtsc();
    if (f->vector == 2u && core_panicking()) {
        arch_halt(); /* another CPU panics and stops this one */
    }
    subject_id_t cur = running[arch_cpu_id()];
    CHECK(cur < moat_system.subject_count);
    contexts[cur] = *f;
    if (f->vector == VEC_SYSCALL && f->rip >= MOAT_USER_VIRT_END) {
        /* A syscall ending at the top of the lower half returns to a non-canonical
         * address: iretq would #GP in ring 0 on the subject's page tables, where no
         * kernel handler is mapped. Contain it as the subject's #GP instead. */
        f->vector = 13u;
        f->error = 0;
    }
    struct core_next next;
    if (f->vector == VEC_SYSCALL) {
        next = core_on_kcall(now, cur, f->rax, f->rdi, f->rsi);
    } else if (f->vector == 2u || f->vector == 18u) {
        /* NMI and machine check are the platform's, not the running subject's. */
        core_panic("NMI or machine check, vector", f->vector);
    } else if (f->vector < 32u) {
        struct arch_fault fault = {0};
        fault_from_frame(f, &fault);
        next = core_on_fault(now, cur, &fault);
    } else if (f->vector == VEC_TIMER || f->vector == VEC_WAKE) {
        apic_eoi();
        next = core_on_timer(now);
    } else if (is_irq(f->vector)) {
        /* Level lines stay masked until the owner unmasks them through its event. */
        ioapic_mask(irq_line(f->vector));
        apic_eoi();
        next = core_on_irq(now, irq_line(f->vector));
    } else {
        next = core_on_timer(now); /* spurious */
    }
    arch_run(next);
}

void arch_kernel_trap(struct trap_frame *f)
{
    if (f->vector == 2u && core_panicking()) {
        arch_halt(); /* another CPU panics and stops this one */
    }
    if (f->vector == VEC_TIMER || f->vector == VEC_WAKE) {
        apic_eoi();
        return;
    }
    if (f->vector == VEC_SPURIOUS || (f->vector >= 0x20u && f->vector < 0x30u)) {
        return;
    }
    if (is_irq(f->vector)) {
        /* The kernel waits (idle loop or barrier): raise the event, step nothing. */
        ioapic_mask(irq_line(f->vector));
        apic_eoi();
        core_raise_irq(irq_line(f->vector));
        return;
    }
    if (f->vector == 2u || f->vector == 18u) {
        core_panic("NMI or machine check, vector", f->vector);
    }
    struct arch_fault fault = {0};
    fault_from_frame(f, &fault);
    print_str("kernel exception ");
    print_str(arch_vector_name((uint32_t)f->vector));
    print_nl();
    core_panic_fault("exception in the kernel, error code", &fault);
}
