/*
 * The red-team guest (tests/vm-attack/README.md): a flat 32-bit image in the pattern of
 * tests/vm-tiny (its entry.S and tiny.ld), whose roles, chosen by its subject's name,
 * attack the containment of VM subjects from inside and print what they see, one line
 * per attack, for the .expect files of tests/systems/vm-attack-*.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <moat/abi/kcall.h>
#include <moat/ioport.h>
#include <moat/sinfo_format.h>

#include "../vm-tiny/guest_io.h"

uint32_t sinfo_gpa;

struct frame {
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint32_t vector, error;
    uint32_t eip, cs, eflags;
};

struct idt_gate {
    uint16_t offset_low, selector;
    uint8_t zero, type;
    uint16_t offset_high;
};

extern const uint8_t trap_stubs[];
static struct idt_gate idt[256];
static volatile uint32_t last_vector; /* the exception the last guarded instruction raised */
static volatile uint32_t skip_length; /* the guarded instruction's length */
static volatile uint32_t irqs[256];   /* interrupts taken, per vector */

#define CR4_PKE     (1u << 22)
#define CR4_OSXSAVE (1u << 18)
#define CR4_VMXE    (1u << 13)
#define CR4_OSFXSR  (1u << 9)

static inline __attribute__((unused)) uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint32_t read_cr4(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

/* The exception (6, 13) the instruction raised, or 0; it is skipped then. */
static uint32_t write_cr4(uint32_t v)
{
    last_vector = 0;
    skip_length = 3;
    __asm__ volatile("mov %0, %%cr4" : : "a"(v) : "memory");
    return last_vector;
}

static uint32_t wrmsr(uint32_t msr, uint64_t v)
{
    last_vector = 0;
    skip_length = 2;
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
    return last_vector;
}

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo = 0, hi = 0;
    last_vector = 0;
    skip_length = 2;
    __asm__ volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    return ((uint64_t)hi << 32) | lo;
}

static uint32_t rdpkru(void)
{
    uint32_t v = 0xdeadu;
    last_vector = 0;
    skip_length = 3;
    __asm__ volatile(".byte 0x0f, 0x01, 0xee" : "+a"(v) : "c"(0) : "edx", "memory");
    return v;
}

static uint32_t wrpkru(uint32_t v)
{
    last_vector = 0;
    skip_length = 3;
    __asm__ volatile(".byte 0x0f, 0x01, 0xef" : : "a"(v), "c"(0), "d"(0) : "memory");
    return last_vector;
}

static uint64_t xgetbv(uint32_t index)
{
    uint32_t lo = 0, hi = 0;
    last_vector = 0;
    skip_length = 3;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "+a"(lo), "+d"(hi) : "c"(index) : "memory");
    return ((uint64_t)hi << 32) | lo;
}

static uint32_t xsetbv(uint32_t index, uint64_t v)
{
    last_vector = 0;
    skip_length = 3;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd1"
                     :
                     : "c"(index), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
                     : "memory");
    return last_vector;
}

void guest_trap(struct frame *f);
void guest_trap(struct frame *f)
{
    if (f->vector == 6u || f->vector == 13u) {
        last_vector = f->vector;
        f->eip += skip_length;
        return;
    }
    if (f->vector >= 32u) {
        irqs[f->vector]++;
        wrmsr(0x80b, 0); /* x2APIC EOI */
        return;
    }
    puts("unexpected vector ");
    putu(f->vector);
    puts(" at ");
    puthex(f->eip);
    putc('\n');
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

static void idt_init(void)
{
    for (uint32_t v = 0; v < 256u; v++) {
        uint32_t addr = (uint32_t)(uintptr_t)trap_stubs + 16u * v;
        idt[v] = (struct idt_gate){(uint16_t)addr, 0x10, 0, 0x8e, (uint16_t)(addr >> 16)};
    }
    struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } desc = {sizeof(idt) - 1u, (uint32_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(desc));
}

static const struct moat_sinfo *sinfo(void)
{
    return (const struct moat_sinfo *)(uintptr_t)sinfo_gpa;
}

static bool streq(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static uint32_t guarded_vector(void)
{
    uint32_t v = last_vector;
    last_vector = 0;
    return v;
}

/* The platform's edges in one boot: MSRs it must not reach, EFER bits it must not set,
 * instructions it must not run, x2APIC commands to CPUs it does not have, timer
 * deadlines at the ends of time, port accesses at the end of the port space, an endless
 * console line. Each result is printed; the kernel must survive them all. */
static void probe(void)
{
    uint64_t efer = rdmsr(0xc0000080u);
    puts("efer: ");
    puthex(efer);
    puts(" lmsle ");
    putu(wrmsr(0xc0000080u, efer | (1u << 13)));
    puts(" tce ");
    putu(wrmsr(0xc0000080u, efer | (1u << 15)));
    puts(" svme-clear ");
    putu(wrmsr(0xc0000080u, efer & ~(1ull << 12)));
    puts(" ffxsr ");
    putu(wrmsr(0xc0000080u, efer | (1u << 14)));
    puts(" now ");
    puthex(rdmsr(0xc0000080u));
    putc('\n');
    (void)wrmsr(0xc0000080u, efer);
    static const uint32_t denied[] = {0xc0000103u, 0xfeu, 0x2ffu, 0x200u, 0x48u, 0x49u,
                                      0xc0010114u, 0xc0010117u, 0xc0010010u, 0xc0010015u,
                                      0xda0u, 0x1d9u, 0xc0010200u, 0x3au};
    static const char *const denied_names[] = {"tsc_aux", "mtrrcap", "mtrr_def", "mtrr_base0",
                                               "spec_ctrl", "pred_cmd", "vm_cr", "hsave_pa",
                                               "syscfg", "hwcr", "xss", "debugctl",
                                               "perf_ctl0", "feature_ctl"};
    puts("msr writes:");
    for (uint32_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
        if (i == 7u) {
            puts("\nmsr writes:"); /* lines within a log record's 112 bytes */
        }
        putc(' ');
        puts(denied_names[i]);
        putc(' ');
        putu(wrmsr(denied[i], 0));
    }
    putc('\n');
    last_vector = 0;
    skip_length = 2;
    __asm__ volatile("rdpmc" : : "c"(0) : "eax", "edx", "memory");
    puts("insns: rdpmc ");
    putu(guarded_vector());
    skip_length = 3;
    __asm__ volatile(".byte 0x0f, 0x01, 0xc8" : : "a"(0x100000u), "c"(0), "d"(0) : "memory");
    puts(" monitor ");
    putu(guarded_vector());
    skip_length = 3;
    __asm__ volatile(".byte 0x0f, 0x01, 0xc9" : : "a"(0), "c"(0) : "memory");
    puts(" mwait ");
    putu(guarded_vector());
    skip_length = 2;
    __asm__ volatile("invd" : : : "memory");
    puts(" invd ");
    putu(guarded_vector());
    skip_length = 2;
    __asm__ volatile("wbinvd" : : : "memory");
    puts(" wbinvd ");
    putu(guarded_vector());
    /* Intercepted (#UD) on hardware; QEMU's TCG runs it (TSC and TSC_AUX, which the
     * kernel never sets). */
    skip_length = 3;
    __asm__ volatile(".byte 0x0f, 0x01, 0xf9" : : : "eax", "ecx", "edx", "memory");
    puts("\ninsns: rdtscp ");
    putu(guarded_vector());
    putc('\n');
    /* IPIs to CPUs it does not have: INIT, SIPI, NMI, fixed, to all, to id 1, broadcast. */
    puts("icr:");
    static const uint64_t icr[] = {0x000c4500u, 0x000c4600u, 0x000c4400u, 0x000c0040u,
                                   0x100000040ull, 0xffffffff00000040ull, 0x00080042u};
    for (uint32_t i = 0; i < sizeof(icr) / sizeof(icr[0]); i++) {
        putc(' ');
        putu(wrmsr(0x830u, icr[i]));
    }
    uint32_t self = irqs[0x42];
    __asm__ volatile("sti; nop; cli");
    puts(" self-ipis taken ");
    putu(irqs[0x42] - self);
    putc('\n');
    /* The timer at the ends of time: the past (fires once), the largest deadline (never). */
    (void)wrmsr(0x80fu, 0x1ffu);
    (void)wrmsr(0x832u, (1u << 18) | 0x41u);
    (void)wrmsr(0x6e0u, 1);
    __asm__ volatile("sti");
    uint64_t until = rdtsc() + (uint32_t)sinfo()->tsc_khz; /* 1 ms */
    while (rdtsc() < until && irqs[0x41] == 0u) {
    }
    __asm__ volatile("cli");
    uint32_t past = irqs[0x41];
    (void)wrmsr(0x6e0u, ~0ull);
    __asm__ volatile("sti");
    until = rdtsc() + (uint32_t)sinfo()->tsc_khz;
    while (rdtsc() < until) {
    }
    __asm__ volatile("cli");
    puts("timer: past fired ");
    putu(past);
    puts(", max fired ");
    putu(irqs[0x41] - past);
    puts(", deadline ");
    puthex(rdmsr(0x6e0u));
    putc('\n');
    (void)wrmsr(0x6e0u, 0);
    /* Ports at the end of the space, 1, 2 and 4 bytes wide; the UART's last register. */
    uint32_t in4;
    uint16_t in2;
    uint8_t in1;
    __asm__ volatile("inl %%dx, %%eax" : "=a"(in4) : "d"(0xffffu));
    __asm__ volatile("inw %%dx, %%ax" : "=a"(in2) : "d"(0xffffu));
    __asm__ volatile("inb %%dx, %%al" : "=a"(in1) : "d"(0xffffu));
    __asm__ volatile("outl %%eax, %%dx" : : "a"(0x12345678u), "d"(0xfffdu));
    __asm__ volatile("outl %%eax, %%dx" : : "a"(0x41424344u), "d"(0x3ffu));
    uint32_t uart4;
    __asm__ volatile("inl %%dx, %%eax" : "=a"(uart4) : "d"(0x3fdu));
    puts("ports: 0xffff ");
    puthex(in4);
    putc(' ');
    puthex(in2);
    putc(' ');
    puthex(in1);
    puts(", 0x3fd as 4 bytes ");
    puthex(uart4);
    putc('\n');
    /* String I/O: #GP. */
    static uint8_t buf[4];
    skip_length = 1;
    __asm__ volatile("insb" : : "D"(buf), "d"(0x3f8u) : "memory");
    puts("string io: ins ");
    putu(guarded_vector());
    skip_length = 1;
    __asm__ volatile("outsb" : : "S"(buf), "d"(0x80u) : "memory");
    puts(" outs ");
    putu(guarded_vector());
    putc('\n');
    /* A console line without end: 20,000 bytes (200 records), then its end. */
    for (uint32_t i = 0; i < 20000u; i++) {
        putc((char)('a' + i % 26u));
    }
    puts("\nendless line: ended\n");
}

/* XCR0 is the host's (the kernel's XSAVE of every subject uses it): the guest may set
 * only that value. Then the rest of its frames are given away, so that the others run
 * with what it left behind. */
static void role_xcr0(void)
{
    (void)write_cr4(read_cr4() | CR4_OSXSAVE | CR4_OSFXSR);
    uint64_t host = xgetbv(0);
    uint32_t v = xsetbv(0, 1);
    uint64_t now = xgetbv(0);
    (void)vmmcall(MOAT_KCALL_YIELD, 0);
    puts("xcr0: host ");
    puthex(host);
    puts("\nxcr0: after an exit ");
    puthex(xgetbv(0));
    /* On hardware XSETBV exits (#GP here, 13); QEMU's TCG runs it (0, XCR0 changed). */
    puts("\nxcr0: xsetbv(x87 only) ");
    putu(v);
    puts(", then ");
    puthex(now);
    putc('\n');
    for (;;) {
        (void)xsetbv(0, 1);
        (void)vmmcall(MOAT_KCALL_YIELD, 0);
    }
}

/* PKRU (protection keys, with CR4.PKE) is neither in the VMCB nor in the kernel's XCR0:
 * "pkru-set" leaves its mark in it, checks that it is still its own after other
 * subjects ran, then triple-faults into a restart (on-fault="restart"); in each life it
 * first says what it found. "pkru-see" looks once the other has run, then halts. */
static void role_pkru_set(void)
{
    (void)write_cr4(read_cr4() | CR4_PKE);
    uint32_t found = rdpkru();
    uint32_t fault = last_vector;
    uint32_t mark = 0x5555555cu;
    (void)wrpkru(mark);
    for (uint32_t i = 0; i < 5u; i++) {
        (void)vmmcall(MOAT_KCALL_YIELD, 0);
    }
    uint32_t later = rdpkru();
    puts("pkru-set: found ");
    puthex(found);
    puts(" (");
    putu(fault);
    puts("), its own after others ran: ");
    puts(later == mark ? "yes" : "NO");
    putc('\n');
    struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } none = {0, 0};
    __asm__ volatile("lidt %0; int3" : : "m"(none));
}

static void role_pkru_see(void)
{
    for (uint32_t i = 0; i < 25u; i++) {
        (void)vmmcall(MOAT_KCALL_YIELD, 0);
    }
    (void)write_cr4(read_cr4() | CR4_PKE);
    uint32_t found = rdpkru();
    puts("pkru-see: found ");
    puthex(found);
    puts(" (");
    putu(last_vector);
    puts(")\n");
}

/* What a VM can leave behind in the CPU and the kernel's emulation beyond its RAM: at
 * each life's start every item must be at its power-on value; then it marks them all
 * and triple-faults into a restart (on-fault="restart"). Two VMs doing it by turns on
 * one CPU also catch state passed from one VM to another. */
static uint32_t residue_bad;

static void residue_check(const char *what, uint64_t seen, uint64_t want)
{
    if (seen != want) {
        puts(residue_bad == 0u ? "residue: LEFT" : ",");
        putc(' ');
        puts(what);
        putc(' ');
        puthex(seen);
        residue_bad++;
    }
}

#define DR_READ(n)                                                                         \
    ({                                                                                     \
        uint32_t v_;                                                                       \
        __asm__ volatile("mov %%db" #n ", %0" : "=r"(v_));                                 \
        v_;                                                                                \
    })
#define CR_READ(n)                                                                         \
    ({                                                                                     \
        uint32_t v_;                                                                       \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v_));                                 \
        v_;                                                                                \
    })

static const uint32_t residue_msrs[] = {0xc0000100u, 0xc0000101u, 0xc0000102u, 0xc0000081u,
                                        0xc0000082u, 0xc0000083u, 0xc0000084u, 0x174u,
                                        0x175u, 0x176u};
static const char *const residue_msr_names[] = {"fs_base", "gs_base", "kernel_gs_base", "star",
                                                "lstar", "cstar", "sfmask", "sysenter_cs",
                                                "sysenter_esp", "sysenter_eip"};
static uint8_t xmm_seen[8][16];
static uint8_t xmm_mark[16] = {0xa5, 0x5a, 0xa5, 0x5a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

static uint8_t uart_reg(uint32_t reg)
{
    return moat_inb((uint16_t)(0x3f8u + reg));
}

static void residue_look(void)
{
    uint32_t flags;
    __asm__ volatile("pushf; pop %0" : "=r"(flags));
    residue_check("if", (flags >> 9) & 1u, 0);
    residue_check("dr0", DR_READ(0), 0);
    residue_check("dr1", DR_READ(1), 0);
    residue_check("dr2", DR_READ(2), 0);
    residue_check("dr3", DR_READ(3), 0);
    residue_check("dr6", DR_READ(6), 0xffff0ff0u);
    residue_check("dr7", DR_READ(7), 0x400u);
    residue_check("cr0", CR_READ(0), 0x11u);
    residue_check("cr2", CR_READ(2), 0);
    residue_check("cr3", CR_READ(3), 0);
    residue_check("cr4", CR_READ(4), 0);
    residue_check("efer", rdmsr(0xc0000080u), 0);
    residue_check("pat", rdmsr(0x277u), 0x0007040600070406ull);
    for (uint32_t i = 0; i < sizeof(residue_msrs) / sizeof(residue_msrs[0]); i++) {
        residue_check(residue_msr_names[i], rdmsr(residue_msrs[i]), 0);
    }
    residue_check("tsc_deadline", rdmsr(0x6e0u), 0);
    residue_check("apic_tpr", rdmsr(0x808u), 0);
    residue_check("apic_svr", rdmsr(0x80fu), 0xffu);
    residue_check("apic_lvt_timer", rdmsr(0x832u), 0x10000u);
    /* The reset leaves 0x10000 in the ICR (vcpu_reset masks 0x2f..0x37, the ICR among
     * them): a constant, not a residue; a mark would show. */
    uint64_t icr = rdmsr(0x830u);
    residue_check("apic_icr", icr == 0x10000u ? 0u : icr, 0);
    residue_check("apic_tmr_init", rdmsr(0x838u), 0);
    residue_check("apic_tmr_div", rdmsr(0x83eu), 0);
    for (uint32_t w = 0; w < 8u; w++) {
        residue_check("apic_isr", rdmsr(0x810u + w), 0);
        residue_check("apic_irr", rdmsr(0x820u + w), 0);
    }
    residue_check("uart_ier", uart_reg(1), 0);
    residue_check("uart_lcr", uart_reg(3), 0);
    residue_check("uart_mcr", uart_reg(4), 0);
    residue_check("uart_scratch", uart_reg(7), 0);
    moat_outb(0x3fb, 0x80); /* DLAB */
    residue_check("uart_dll", uart_reg(0), 0);
    residue_check("uart_dlm", uart_reg(1), 0);
    moat_outb(0x3fb, 0);
    /* Extended state: the init values (SSE needs CR4.OSFXSR, PKRU CR4.PKE). */
    (void)write_cr4(CR4_OSFXSR | CR4_PKE);
    residue_check("pkru", rdpkru(), 0);
    uint32_t mxcsr = 0;
    uint16_t fcw = 0;
    __asm__ volatile("stmxcsr %0\n\tfnstcw %1\n\t"
                     "movdqu %%xmm0, 0(%2)\n\tmovdqu %%xmm1, 16(%2)\n\t"
                     "movdqu %%xmm2, 32(%2)\n\tmovdqu %%xmm3, 48(%2)\n\t"
                     "movdqu %%xmm4, 64(%2)\n\tmovdqu %%xmm5, 80(%2)\n\t"
                     "movdqu %%xmm6, 96(%2)\n\tmovdqu %%xmm7, 112(%2)"
                     : "=m"(mxcsr), "=m"(fcw)
                     : "r"(xmm_seen)
                     : "memory");
    residue_check("mxcsr", mxcsr, 0x1f80u);
    residue_check("fcw", fcw, 0x37fu);
    uint32_t nonzero = 0;
    for (uint32_t r = 0; r < 8u; r++) {
        for (uint32_t i = 0; i < 16u; i++) {
            nonzero += xmm_seen[r][i] != 0u ? 1u : 0u;
        }
    }
    residue_check("xmm0-7 nonzero bytes", nonzero, 0);
    (void)write_cr4(0);
    /* Nothing pending or armed from before: interrupts on for a while, none comes. */
    wrmsr(0x80f, 0x1ff);
    __asm__ volatile("sti");
    uint64_t until = rdtsc() + (uint32_t)sinfo()->tsc_khz / 5u; /* 200 us */
    while (rdtsc() < until) {
    }
    __asm__ volatile("cli");
    uint32_t taken = 0;
    for (uint32_t v = 0; v < 256u; v++) {
        taken += irqs[v];
    }
    residue_check("interrupts", taken, 0);
    wrmsr(0x80f, 0xff);
}

static void residue_mark(void)
{
    uint32_t mark = 0x30u + sinfo()->subject_id; /* each VM its own */
    (void)write_cr4(CR4_OSFXSR | CR4_PKE | CR4_OSXSAVE | (1u << 2) | (1u << 3) | (1u << 8));
    (void)wrpkru(0x55555550u + (mark & 0xcu));
    xmm_mark[15] = (uint8_t)mark;
    uint32_t mxcsr = 0x3f80u;
    uint16_t fcw = 0x27fu;
    __asm__ volatile("ldmxcsr %0\n\tfldcw %1\n\tmovdqu (%2), %%xmm0\n\tmovdqa %%xmm0, %%xmm1\n\t"
                     "movdqa %%xmm0, %%xmm2\n\tmovdqa %%xmm0, %%xmm3\n\tmovdqa %%xmm0, %%xmm4\n\t"
                     "movdqa %%xmm0, %%xmm5\n\tmovdqa %%xmm0, %%xmm6\n\tmovdqa %%xmm0, %%xmm7"
                     :
                     : "m"(mxcsr), "m"(fcw), "r"(xmm_mark)
                     : "memory");
    uint32_t dr[4] = {0x3ff000u + mark, 0x3ff100u + mark, 0x3ff200u + mark, 0x3ff300u + mark};
    __asm__ volatile("mov %0, %%db0\n\tmov %1, %%db1\n\tmov %2, %%db2\n\tmov %3, %%db3"
                     :
                     : "r"(dr[0]), "r"(dr[1]), "r"(dr[2]), "r"(dr[3]));
    __asm__ volatile("mov %0, %%db6\n\tmov %1, %%db7" : : "r"(0xffff0ff1u), "r"(0x4ffu));
    __asm__ volatile("mov %0, %%cr2\n\tmov %1, %%cr3" : : "r"(0xc2c2c000u + mark), "r"(0x200000u));
    (void)wrmsr(0xc0000080u, (1u << 0) | (1u << 11)); /* SCE, NXE */
    (void)wrmsr(0x277u, 0x0606060606060606ull);
    for (uint32_t i = 0; i < sizeof(residue_msrs) / sizeof(residue_msrs[0]); i++) {
        (void)wrmsr(residue_msrs[i], i < 7u ? 0x12340000u + mark : mark);
    }
    (void)wrmsr(0x6e0u, rdtsc() + 1000000000000ull);
    (void)wrmsr(0x808u, 0x20u);
    (void)wrmsr(0x80fu, 0x1ffu);
    (void)wrmsr(0x832u, (1u << 18) | 0x41u);
    (void)wrmsr(0x830u, 0x000c4400u); /* an NMI to the others: dropped, but stored */
    (void)wrmsr(0x838u, 0x1234u);
    (void)wrmsr(0x83eu, 0xbu);
    (void)wrmsr(0x83fu, 0x42u); /* a self-IPI left requested (interrupts are off) */
    moat_outb(0x3fb, 0x80);
    moat_outb(0x3f8, 1);
    moat_outb(0x3f9, 2);
    moat_outb(0x3fb, 0x03);
    moat_outb(0x3f9, 0x02);
    moat_outb(0x3fc, 0x0b);
    moat_outb(0x3ff, (uint8_t)mark);
    /* Last, CR0: caches off, alignment checks, numeric errors native. */
    uint32_t cr0 = CR_READ(0) | (1u << 30) | (1u << 18) | (1u << 5);
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
}

static void role_residue(void)
{
    /* Its life count, if it writes a channel (which survives its restarts). */
    volatile uint32_t *life = NULL;
    for (uint32_t i = 0; i < sinfo()->resource_count; i++) {
        if (sinfo()->resources[i].kind == MOAT_RES_CHANNEL &&
            (sinfo()->resources[i].flags & MOAT_RES_WRITER) != 0u) {
            life = (volatile uint32_t *)(uintptr_t)sinfo()->resources[i].address;
        }
    }
    residue_look();
    if (residue_bad == 0u) {
        puts("residue: none");
    }
    if (life != NULL) {
        puts(" (life ");
        putu(*life);
        putc(')');
    }
    putc('\n');
    if (life != NULL && (*life)++ == 4u) {
        (void)vmmcall(MOAT_KCALL_EVENT_SEND, 0); /* its only event: power off */
        return;
    }
    residue_mark();
    struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } none = {0, 0};
    __asm__ volatile("lidt %0; int3" : : "m"(none));
}

/* A guest state VMRUN refuses: EFER.LME written while 32-bit paging is on (hardware
 * would #GP the WRMSR; the kernel's EFER emulation takes it, VMRUN then fails). */
static uint32_t badstate_pd[1024] __attribute__((aligned(4096)));

static void role_badstate(void)
{
    badstate_pd[0] = 0x83u; /* 0-4 MiB identity, a 4 MiB page: present, writable */
    (void)write_cr4(read_cr4() | (1u << 4)); /* PSE */
    __asm__ volatile("mov %0, %%cr3" : : "r"(badstate_pd));
    __asm__ volatile("mov %%cr0, %%eax\n\tor $0x80000000, %%eax\n\tmov %%eax, %%cr0" : : : "eax");
    puts("badstate: paging on, now EFER.LME\n");
    (void)wrmsr(0xc0000080u, 1u << 8);
    puts("badstate: still running\n");
}

/* The nested page tables at their edges, one guest-physical access per life (a nested
 * page fault restarts it; the life count is kept in the channel it writes, which
 * survives restarts): the byte past its RAM, a write to its read-only sinfo page, the
 * xAPIC and I/O APIC pages, 4 GiB and 1 TiB - 4 MiB (through 4 MiB pages with PSE-36),
 * the byte past its channel. */
static uint32_t npt_pd[1024] __attribute__((aligned(4096)));

static volatile uint8_t *npt_far(uint64_t gpa)
{
    /* PDE 1 maps the 4 MiB page at gpa (bits 39:32 in PDE bits 20:13). */
    npt_pd[0] = 0x83u;
    npt_pd[1] = (uint32_t)(gpa & 0xffc00000u) | (uint32_t)((gpa >> 32) << 13) | 0x83u;
    (void)write_cr4(read_cr4() | (1u << 4));
    __asm__ volatile("mov %0, %%cr3" : : "r"(npt_pd) : "memory");
    __asm__ volatile("mov %%cr0, %%eax\n\tor $0x80000000, %%eax\n\tmov %%eax, %%cr0" : : : "eax");
    return (volatile uint8_t *)0x400000u;
}

static void role_npt(void)
{
    const struct moat_sinfo *si = sinfo();
    volatile uint32_t *life = NULL;
    uint64_t channel_end = 0;
    for (uint32_t i = 0; i < si->resource_count; i++) {
        if (si->resources[i].kind == MOAT_RES_CHANNEL &&
            (si->resources[i].flags & MOAT_RES_WRITER) != 0u) {
            life = (volatile uint32_t *)(uintptr_t)si->resources[i].address;
            channel_end = si->resources[i].address + si->resources[i].size;
        }
    }
    if (life == NULL) {
        puts("npt: no channel\n");
        return;
    }
    uint32_t n = (*life)++;
    volatile uint8_t *last = (volatile uint8_t *)0x1fffffu;
    *last = 0x5a;
    if (n == 0u) {
        puts("npt: the last byte of RAM ");
        puts(*last == 0x5a ? "is RAM" : "is NOT RAM");
        puts(", channel ends at ");
        puthex(channel_end);
        putc('\n');
    }
    puts("npt: life ");
    putu(n);
    putc('\n');
    switch (n) {
    case 0:
        (void)*(volatile uint8_t *)0x200000u;
        break;
    case 1:
        *(volatile uint8_t *)(uintptr_t)sinfo_gpa = 0;
        break;
    case 2:
        (void)*(volatile uint32_t *)0xfee00030u;
        break;
    case 3:
        (void)*(volatile uint32_t *)0xfec00000u;
        break;
    case 4:
        (void)*npt_far(0x100000000ull);
        break;
    case 5:
        (void)*npt_far(0xffffc00000ull);
        break;
    case 6:
        (void)*(volatile uint8_t *)(uintptr_t)channel_end;
        break;
    default:
        puts("npt: done\n");
        (void)vmmcall(MOAT_KCALL_EVENT_SEND, 0);
        return;
    }
    puts("npt: STILL RUNNING after life ");
    putu(n);
    putc('\n');
}

void guest_main(void);
void guest_main(void)
{
    idt_init();
    const char *name = sinfo()->subject_name;
    if (streq(name, "probe")) {
        probe();
        puts("done\n");
        (void)vmmcall(MOAT_KCALL_EVENT_SEND, 0); /* its only event: power off */
    } else if (streq(name, "pkru-set")) {
        role_pkru_set();
    } else if (streq(name, "pkru-see")) {
        role_pkru_see();
        /* Out of the CPU for good: pkru-set's later restarts follow each other with no
         * other VM between them. */
        __asm__ volatile("cli; hlt");
    } else if (streq(name, "residue") || streq(name, "residue2")) {
        role_residue();
    } else if (streq(name, "badstate")) {
        role_badstate();
    } else if (streq(name, "npt")) {
        role_npt();
    } else if (streq(name, "xcr0")) {
        role_xcr0();
    } else {
        puts("no role\n");
    }
    for (;;) {
        (void)vmmcall(MOAT_KCALL_YIELD, 0);
    }
}
