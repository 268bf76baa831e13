/*
 * The x86-64 side of running subjects: saved register and XSAVE state per subject,
 * kernel entry from the trampoline (kernel calls, exceptions, timer, IRQs) and the way
 * back into a subject or the idle loop.
 */
#include "x86.h"


static struct trap_frame contexts[MOAT_MAX_SUBJECTS];
static uint8_t xsave_areas[MOAT_MAX_SUBJECTS][XSAVE_AREA] __attribute__((aligned(64)));
static subject_id_t running = MOAT_SUBJECT_IDLE;   /* whose registers the entry frame holds */
static subject_id_t fpu_owner = MOAT_SUBJECT_IDLE; /* whose extended state is in the CPU */
static subject_id_t io_owner = MOAT_SUBJECT_IDLE;  /* whose I/O bitmap the TSS holds */

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

uint32_t arch_cpu_id(void)
{
    return 0;
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
    if (fpu_owner == id) {
        fpu_owner = MOAT_SUBJECT_IDLE; /* its live state is discarded, never saved */
    }
}

void arch_subject_set_result(subject_id_t id, int64_t value)
{
    contexts[id].rax = (uint64_t)value;
}

static void io_bitmap_load(subject_id_t id)
{
    const uint8_t *bitmap = moat_system.subjects[id].io_bitmap;
    uint8_t *iomap = TRAMP->tss[0].iomap;
    for (uint32_t i = 0; i < MOAT_IO_BITMAP_SIZE; i++) {
        iomap[i] = bitmap != 0 ? bitmap[i] : 0xff;
    }
    io_owner = id;
}

static _Noreturn void subject_enter(subject_id_t id)
{
    if (fpu_owner != id) {
        if (fpu_owner != MOAT_SUBJECT_IDLE) {
            cpu_xsave(xsave_areas[fpu_owner]);
        }
        cpu_xrstor(xsave_areas[id]);
        fpu_owner = id;
    }
    if (io_owner != id) {
        io_bitmap_load(id);
    }
    struct tramp_cpu *tc = &TRAMP->cpus[0];
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
    running = id;
    arch_enter_subject(frame);
}

_Noreturn void arch_run(struct core_next next)
{
    /* The scheduler loop: each pass runs a subject (never returns here) or idles once. */
    for (;;) {
        apic_timer_arm(next.deadline);
        if (next.subject != MOAT_SUBJECT_IDLE) {
            subject_enter(next.subject);
        }
        running = MOAT_SUBJECT_IDLE;
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
    subject_id_t cur = running;
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
    } else if (f->vector == VEC_TIMER) {
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
    if (f->vector == VEC_TIMER) {
        apic_eoi();
        return;
    }
    if (f->vector == VEC_SPURIOUS || (f->vector >= 0x20u && f->vector < 0x30u)) {
        return;
    }
    if (is_irq(f->vector)) {
        ioapic_mask(irq_line(f->vector));
        apic_eoi();
        core_on_irq(rdtsc(), irq_line(f->vector));
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
