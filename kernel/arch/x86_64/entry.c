/*
 * The x86-64 side of running subjects: saved register and XSAVE state per subject,
 * kernel entry from the trampoline (kernel calls, exceptions, timer, IRQs), faults on
 * the way back (iretq), and the way back into a subject or the idle loop. Subjects are
 * pinned to one CPU, so a subject's saved state is only ever touched by that CPU; what a
 * CPU has loaded is per CPU. A register frame stays in the trampoline (which every
 * subject on the CPU maps) only until another subject is entered: an entry from ring 3
 * leaves it where the stub built it (a kernel call or interrupt that returns to the same
 * subject copies nothing), and it is copied out to the subject's state slot and cleared
 * before any other subject's registers go there (frame_save).
 */
#include "svm.h"

/* Per CPU: the subject in ring 3 now (IDLE while the kernel runs), whose extended state
 * is in the CPU, whose branch predictions and caches it may hold (the last subject it ran). */
static subject_id_t running[MOAT_MAX_CPUS] = {[0 ... MOAT_MAX_CPUS - 1] = MOAT_SUBJECT_IDLE};
static subject_id_t fpu_owner[MOAT_MAX_CPUS] = {[0 ... MOAT_MAX_CPUS - 1] = MOAT_SUBJECT_IDLE};
static subject_id_t last_run[MOAT_MAX_CPUS] = {[0 ... MOAT_MAX_CPUS - 1] = MOAT_SUBJECT_IDLE};
/* Per CPU: the deadline the LAPIC timer is armed for and has not reached (0: none). */
static tsc_t timer_armed[MOAT_MAX_CPUS];
/* Per CPU: the CR3 of the subject it entered last (its PCID included). */
static uint64_t subject_cr3[MOAT_MAX_CPUS];
/* Per CPU: whose registers are in the entry frame (the top of the CPU's entry stack) and
 * not in its state slot; IDLE: the frame is clear. */
static subject_id_t frame_live[MOAT_MAX_CPUS] = {[0 ... MOAT_MAX_CPUS - 1] = MOAT_SUBJECT_IDLE};
/* The policy bitmap each CPU's TSS holds now; 0 = every port denied (cpu.c's initial state). */
static const uint8_t *io_loaded[MOAT_MAX_CPUS];
/* 8-byte words [lo, hi) of a bitmap that grant some port (not all 0xff): per subject from
 * its policy bitmap, per CPU what the TSS holds. A switch rewrites only the outgoing and
 * incoming spans (one word for COM1); copying all 8 KiB took longer than a 1 ms frame on
 * a 50 M instructions/s CPU, and the log server got no time at all. */
struct io_span {
    uint16_t lo, hi;
};
static struct io_span io_loaded_span[MOAT_MAX_CPUS];

/* The arch's part of a subject's state slot (core_subject_arch; zeroed at boot). */
struct arch_subject {
    uint8_t xsave[XSAVE_AREA] __attribute__((aligned(64)));
    struct trap_frame context; /* its registers while it does not run */
    const uint8_t *io_map;     /* its policy bitmap (NULL: no ports), found at its first init */
    struct io_span io_span;    /* found at its first init (boot) */
    bool io_span_known;
};
_Static_assert(CORE_SUBJECT_ARCH_OFFSET % 64u == 0u && MOAT_SUBJECT_STATE_ALIGN % 64u == 0u,
               "XSAVE areas 64-aligned");
_Static_assert(sizeof(struct arch_subject) <= SVM_STATE_OFFSET,
               "the arch's subject state fits its slot, below a VM's (svm.c)");

static struct arch_subject *arch_subject(subject_id_t id)
{
    return core_subject_arch(id);
}

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
    const char *vm = vm_fault_name(vector);
    return vector < VEC_EXCEPTIONS ? vector_names[vector] : vm != NULL ? vm : "irq";
}

/* Clears a register frame in the trampoline once it is copied out (rep stosq: 22
 * counted iterations under TCG; asm, so no store is dropped as dead). */
static void words_clear(void *dst, uint64_t count)
{
    __asm__ volatile("rep stosq" : "+D"(dst), "+c"(count) : "a"(0ull) : "memory");
}

static void frame_clear(struct trap_frame *f)
{
    words_clear(f, sizeof(*f) / 8u);
}

/* A frame copied by quadwords (the compiler's memcpy is `rep movsb`: 176 counted
 * iterations under TCG, 22 here). DF is clear in the kernel (tramp_common). */
static void frame_copy(struct trap_frame *dst, const struct trap_frame *src)
{
    uint64_t count = sizeof(*dst) / 8u;
    void *d = dst;
    const void *w = src;
    __asm__ volatile("rep movsq" : "+D"(d), "+S"(w), "+c"(count) : : "memory");
}

/* The running CPU's index, on its kernel stack (every caller in this file runs there). */
static inline uint32_t cpu_self(void)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    return (uint32_t)((sp - 1u - (uintptr_t)kernel_stacks) / KERNEL_STACK_SIZE);
}

/* The frame at the top of CPU cpu's entry stack: where every non-IST entry from ring 3
 * builds it, and what tramp_exit returns from. */
static struct trap_frame *entry_frame(uint32_t cpu)
{
    return (struct trap_frame *)(uintptr_t)(TRAMP_CPU(cpu)->stack_top - sizeof(struct trap_frame));
}

/* The live entry frame, if any, into its subject's state slot; the trampoline cleared. */
static void frame_save(uint32_t cpu)
{
    subject_id_t id = frame_live[cpu];
    if (id != MOAT_SUBJECT_IDLE) {
        struct trap_frame *frame = entry_frame(cpu);
        frame_copy(&arch_subject(id)->context, frame);
        frame_clear(frame);
        frame_live[cpu] = MOAT_SUBJECT_IDLE;
    }
}

/* Where subject id's registers are: the entry frame while they are live there. */
static struct trap_frame *subject_regs(uint32_t cpu, subject_id_t id)
{
    return frame_live[cpu] == id ? entry_frame(cpu) : &arch_subject(id)->context;
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

void *arch_phys_map(paddr_t base, uint64_t size)
{
    return arch_phys_reachable(base, size) ? (void *)(uintptr_t)base : NULL;
}

static struct io_span io_span_of(const uint8_t *bitmap)
{
    struct io_span span = {0, 0};
    for (uint16_t w = 0; bitmap != 0 && w < MOAT_IO_BITMAP_SIZE / 8u; w++) {
        uint64_t v;
        __builtin_memcpy(&v, bitmap + 8u * w, 8);
        if (v != ~(uint64_t)0) {
            span.lo = span.hi == 0u ? w : span.lo;
            span.hi = (uint16_t)(w + 1u);
        }
    }
    return span;
}

void arch_subject_init(subject_id_t id, const struct moat_subject *subject)
{
    struct arch_subject *a = arch_subject(id);
    struct trap_frame *c = &a->context;
    __builtin_memset(c, 0, sizeof(*c));
    c->rip = subject->entry;
    c->rsp = subject->stack_top;
    c->rdi = subject->sinfo_virt;
    c->rflags = RFLAGS_IF;
    c->cs = SEL_USER_CS;
    c->ss = SEL_USER_DS;
    /* The policy's bitmap never changes: its span is found once, at the first init
     * (boot), so a restart's last part costs about one reset chunk. */
    if (!a->io_span_known) {
        a->io_map = tables_io_bitmap(subject);
        a->io_span = io_span_of(a->io_map);
        a->io_span_known = true;
    }
    uint8_t *area = a->xsave;
    __builtin_memset(area, 0, cpu_features.xsave_size); /* what XSAVE/XRSTOR use of it */
    area[0] = 0x7f; /* x87 control word 0x037f */
    area[1] = 0x03;
    area[24] = 0x80; /* MXCSR 0x1f80: all SIMD exceptions masked */
    area[25] = 0x1f;
    uint32_t cpu = cpu_self();
    if (fpu_owner[cpu] == id) {
        fpu_owner[cpu] = MOAT_SUBJECT_IDLE; /* its live state is discarded, never saved */
    }
    if (frame_live[cpu] == id) {
        /* Its old registers are discarded too: the fresh context is entered. */
        frame_clear(entry_frame(cpu));
        frame_live[cpu] = MOAT_SUBJECT_IDLE;
    }
    if (subject->kind == MOAT_SUBJECT_VM) {
        /* Never an iretq to it: subject_enter refuses the frame, exit_refused runs it. */
        c->rip = MOAT_USER_VIRT_END;
        svm_subject_init(id, subject);
    }
}

void arch_subject_set_result(subject_id_t id, int64_t value)
{
    subject_regs(cpu_self(), id)->rax = (uint64_t)value;
}

static void fault_from_frame(const struct trap_frame *f, struct arch_fault *out)
{
    out->vector = (uint32_t)f->vector;
    out->error = f->error;
    out->ip = f->rip;
    out->addr = f->vector == VEC_PF ? read_cr2() : 0u;
    const uint64_t regs[] = {f->rax, f->rbx, f->rcx,    f->rdx, f->rsi, f->rdi, f->rbp,
                             f->rsp, f->r8,  f->r9,     f->r10, f->r11, f->r12, f->r13,
                             f->r14, f->r15, f->rflags, f->cs,  f->ss};
    _Static_assert(sizeof(regs) / sizeof(regs[0]) <= ARCH_FAULT_REGS, "fault registers");
    for (uint32_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
        out->regs[i] = regs[i];
    }
}

static void io_bitmap_load(uint32_t cpu, const uint8_t *bitmap, struct io_span span)
{
    uint8_t *iomap = TRAMP_TSS(cpu)->iomap;
    const uint64_t denied = ~(uint64_t)0;
    for (uint32_t w = io_loaded_span[cpu].lo; w < io_loaded_span[cpu].hi; w++) {
        __builtin_memcpy(iomap + 8u * w, &denied, 8);
    }
    for (uint32_t w = span.lo; w < span.hi; w++) {
        __builtin_memcpy(iomap + 8u * w, bitmap + 8u * w, 8);
    }
    io_loaded[cpu] = bitmap;
    io_loaded_span[cpu] = span;
}

/* A VM's registers are its own (svm.c): what entering it takes beyond them, as in
 * subject_enter: the entry frame saved, the extended state switched, the predictions
 * dropped on a change of subject. */
void entry_switch_to_vm(uint32_t cpu, subject_id_t id)
{
    frame_save(cpu);
    if (fpu_owner[cpu] != id) {
        if (fpu_owner[cpu] != MOAT_SUBJECT_IDLE) {
            cpu_xsave(arch_subject(fpu_owner[cpu])->xsave);
        }
        cpu_x87_pointers_clear();
        cpu_xrstor(arch_subject(id)->xsave);
        fpu_owner[cpu] = id;
    }
    if (last_run[cpu] != id) {
        cpu_spec_switch();
        last_run[cpu] = id;
    }
}

/* Enters subject id on this CPU; returns only if its saved frame may not be returned to
 * (exit_frame_sanitise), with nothing of it loaded in the trampoline. */
static void subject_enter(uint32_t cpu, subject_id_t id)
{
    struct arch_subject *a = arch_subject(id);
    struct trap_frame *frame = entry_frame(cpu);
    /* Its registers still in the entry frame: no other subject was entered here since it
     * was (that saves the frame first), so its extended state, I/O bitmap and CR3 are
     * the loaded ones and its own predictions the last; it returns from where it is. */
    bool in_place = frame_live[cpu] == id;
    if (!in_place) {
        frame_save(cpu);
    }
    struct trap_frame *ctx = in_place ? frame : &a->context;
#ifdef EXIT_FAULT_MARK_RIP
    if (ctx->r15 == EXIT_FAULT_MARK_RIP) {
        ctx->rip = MOAT_USER_VIRT_END; /* test kernels only (meson.build: exit_fault_marks) */
    }
#endif
    if (!exit_frame_sanitise(ctx)) {
        frame_save(cpu); /* exit_refused reports from the state slot */
        return;
    }
    if (!in_place) {
        const struct moat_subject *s = tables_subject(id);
        if (fpu_owner[cpu] != id) {
            if (fpu_owner[cpu] != MOAT_SUBJECT_IDLE) {
                cpu_xsave(arch_subject(fpu_owner[cpu])->xsave);
            }
            cpu_x87_pointers_clear();
            cpu_xrstor(a->xsave);
            fpu_owner[cpu] = id;
        }
        /* Port-less subjects share the all-denied map: switching between them copies nothing. */
        if (io_loaded[cpu] != a->io_map) {
            io_bitmap_load(cpu, a->io_map, a->io_span);
        }
        if (last_run[cpu] != id) {
            cpu_spec_switch();
            last_run[cpu] = id;
        }
        subject_cr3[cpu] = s->pml4;
        if (cpu_features.pcid) {
            subject_cr3[cpu] |= (uint64_t)(id + 1u) | CR3_NOFLUSH; /* PCID 1 + subject id */
        }
    }
    struct tramp_cpu *tc = TRAMP_CPU(cpu);
#ifdef MOAT_TEST_KERNEL
    /* Test kernels only: the entry and IST stacks hold nothing of an earlier entry (but
     * this subject's own frame, returned from in place), and what in place skips holds. */
    for (uint32_t i = 0; i < sizeof(tc->stacks) - (in_place ? sizeof(*ctx) : 0u); i++) {
        CHECK(tc->stacks[i] == 0u);
    }
    CHECK(tc->user_rsp == 0u);
    CHECK(fpu_owner[cpu] == id && last_run[cpu] == id &&
          io_loaded[cpu] == tables_io_bitmap(tables_subject(id)));
    /* Never an iretq to a non-canonical RIP: TCG would fault only at the fetch in ring
     * 3, where real CPUs fault in ring 0 (exit-fault's bad_rip). */
    CHECK(ctx->rip < MOAT_USER_VIRT_END);
#endif
    if (!in_place) {
        frame_copy(frame, ctx);
        frame_live[cpu] = id;
    }
#ifdef EXIT_FAULT_MARK_SS
    if (frame->r15 == EXIT_FAULT_MARK_SS) {
        frame->ss = SEL_KERNEL_DS; /* test kernels only: RPL 0 with CS RPL 3, iretq #GP */
    }
#endif
    tc->subject_cr3 = subject_cr3[cpu];
    running[cpu] = id;
    arch_enter_subject(frame);
}

/* A return to ring 3 that failed (refused before iretq, or iretq faulted): the subject's
 * fault, with the address it was returning to, as if it were its own (audit record,
 * policy action). Nothing of it is left in the trampoline. */
static struct core_next exit_refused(uint32_t cpu, subject_id_t id, uint32_t vector,
                                     uint64_t error)
{
    /* A VM's frame is always refused (arch_subject_init): the native paths pay nothing
     * for VMs. It runs here until its next exit. */
    if (tables_subject(id)->kind == MOAT_SUBJECT_VM) {
        return svm_run(cpu, id);
    }
    const struct trap_frame *c = &arch_subject(id)->context;
    struct arch_fault fault = {0};
    fault_from_frame(c, &fault);
    fault.vector = vector;
    fault.error = error;
    fault.addr = 0;
#ifdef MOAT_TEST_KERNEL
    /* Test kernels only: the general registers the audit record gets (exit-fault checks
     * they are the subject's own, not the trampoline's or the kernel's). */
    bool locked = smp_console_lock();
    print_str("test kernel: exit fault of ");
    print_str(tables_string(tables_subject(id)->name));
    print_str(":");
    for (uint32_t i = 0; i < 16u; i++) {
        print_str(" ");
        print_str(register_names[i]);
        print_str(" ");
        print_hex(fault.regs[i]);
    }
    print_nl();
    smp_console_unlock(locked);
#endif
    running[cpu] = MOAT_SUBJECT_IDLE;
    return core_on_fault(rdtsc(), id, &fault);
}

/* Idle in the kernel: the barrier's wait and the idle loop. */
/* Arms the timer unless it is armed for this deadline already (and has not fired). */
static void timer_arm(uint32_t cpu, tsc_t deadline)
{
    if (timer_armed[cpu] != deadline) {
        apic_timer_arm(deadline);
        timer_armed[cpu] = deadline;
    }
}

void arch_idle_until(tsc_t deadline)
{
    timer_arm(cpu_self(), deadline);
    __asm__ volatile("sti\n\thlt\n\tcli" ::: "memory");
}

_Noreturn void arch_run(struct core_next next)
{
    /* The scheduler loop: each pass runs a subject (never returns here) or idles once.
     * Idling keeps a waiting subject's frame in place (nothing runs on this CPU until
     * the next subject_enter, which saves it if that is another subject). */
    uint32_t cpu = cpu_self();
    for (;;) {
        timer_arm(cpu, next.deadline);
        if (next.subject != MOAT_SUBJECT_IDLE) {
            subject_enter(cpu, next.subject);
            next = exit_refused(cpu, next.subject, VEC_GP, 0);
            continue;
        }
        running[cpu] = MOAT_SUBJECT_IDLE;
        __asm__ volatile("sti\n\thlt\n\tcli" ::: "memory");
        next = core_on_timer(rdtsc());
    }
}

static uint8_t irq_line(uint64_t vector)
{
    return (uint8_t)(vector - VEC_IRQ_BASE);
}

_Noreturn void arch_trap_entry(struct trap_frame *entry)
{
    tsc_t now = rdtsc();
    uint32_t cpu = cpu_self();
    if (entry->vector == VEC_NMI && core_panicking()) {
        arch_halt(); /* another CPU panics and stops this one */
    }
    subject_id_t cur = running[cpu];
    CHECK(cur != MOAT_SUBJECT_IDLE && frame_live[cpu] == cur);
    struct trap_frame *f = entry;
    struct tramp_cpu *tc = TRAMP_CPU(cpu);
    struct trap_frame *exit_frame = entry_frame(cpu);
    if (entry != exit_frame) {
        /* An IST entry: saved at once; the frame this subject was entered with, still on
         * the entry stack, is stale. */
        f = &arch_subject(cur)->context;
        frame_copy(f, entry);
        frame_clear(entry);
        frame_clear(exit_frame);
        frame_live[cpu] = MOAT_SUBJECT_IDLE;
    }
    tc->subject_cr3 = 0;
    running[cpu] = MOAT_SUBJECT_IDLE;
    struct core_next next;
    switch (exit_trap_kind(f->vector)) {
    case TRAP_KCALL:
        next = core_on_kcall(now, cur, f->rax, f->rdi, f->rsi);
        break;
    case TRAP_PLATFORM:
        /* NMI and machine check are the platform's, not the running subject's. */
        core_panic("NMI or machine check, vector", f->vector);
    case TRAP_FAULT: {
        struct arch_fault fault = {0};
        fault_from_frame(f, &fault);
        next = core_on_fault(now, cur, &fault);
        break;
    }
    case TRAP_TIMER:
        if (f->vector == VEC_TIMER) {
            timer_armed[cpu] = 0; /* it fired (not the wake IPI) */
        }
        apic_eoi();
        next = core_on_timer(now);
        break;
    case TRAP_IRQ:
        /* Level lines stay masked until the owner unmasks them through its event. */
        ioapic_mask(irq_line(f->vector));
        apic_eoi();
        next = core_on_irq(now, irq_line(f->vector));
        break;
    default:
        next = core_on_timer(now); /* spurious */
        break;
    }
    arch_run(next);
}

/* iretq to ring 3 raised #NP, #SS or #GP in ring 0 (tramp.S, on the kernel's page tables
 * and stack): the return, not the kernel, failed. The frame is the fault's, on the entry
 * stack below the iretq frame; the subject's registers are still in its state slot. */
_Noreturn void arch_exit_fault(struct trap_frame *f)
{
    uint32_t cpu = cpu_self();
    subject_id_t cur = running[cpu];
    CHECK(cur != MOAT_SUBJECT_IDLE && frame_live[cpu] == cur);
    uint32_t vector = (uint32_t)f->vector;
    uint64_t error = f->error;
    struct tramp_cpu *tc = TRAMP_CPU(cpu);
    /* Its registers were popped into the CPU before the iretq, so the fault's frame holds
     * them; the iretq's frame above it the rest (the fault overwrote the frame's lower
     * part, where they were). */
    struct trap_frame *ctx = &arch_subject(cur)->context;
    const struct trap_frame *iret_frame = entry_frame(cpu);
    frame_copy(ctx, f);
    ctx->vector = 0;
    ctx->error = 0;
    ctx->rip = iret_frame->rip;
    ctx->cs = iret_frame->cs;
    ctx->rflags = iret_frame->rflags;
    ctx->rsp = iret_frame->rsp;
    ctx->ss = iret_frame->ss;
    frame_live[cpu] = MOAT_SUBJECT_IDLE;
    uint64_t base = (uint64_t)(uintptr_t)f;
    words_clear(f, (tc->stack_top - base) / 8u);
    tc->subject_cr3 = 0;
    arch_run(exit_refused(cpu, cur, vector, error));
}

void arch_kernel_trap(struct trap_frame *f)
{
    if (f->vector == VEC_NMI && core_panicking()) {
        arch_halt(); /* another CPU panics and stops this one */
    }
    switch (exit_trap_kind(f->vector)) {
    case TRAP_TIMER:
        if (f->vector == VEC_TIMER) {
            timer_armed[cpu_self()] = 0; /* it fired (not the wake IPI) */
        }
        apic_eoi();
        return;
    case TRAP_SPURIOUS:
        return;
    case TRAP_IRQ:
        /* The kernel waits (idle loop or barrier): raise the event, step nothing. */
        ioapic_mask(irq_line(f->vector));
        apic_eoi();
        core_raise_irq(irq_line(f->vector));
        return;
    case TRAP_PLATFORM:
        core_panic("NMI or machine check, vector", f->vector);
    default:
        break;
    }
    struct arch_fault fault = {0};
    fault_from_frame(f, &fault);
    print_str("kernel exception ");
    print_str(arch_vector_name((uint32_t)f->vector));
    print_nl();
    core_panic_fault("exception in the kernel, error code", &fault);
}
