/*
 * A tiny guest for VM subjects (tests/vm-tiny/README.md): a flat 32-bit binary that needs
 * no firmware and no Linux, so each guarantee of the kernel's VM support can be attacked
 * in isolation. What it does depends on its subject's name (from its sinfo page): "tiny"
 * checks the virtual platform and prints what it sees, "npf" and "triple" fault, "storm"
 * and "crashy" attack a native witness's timing, "fpuvm" fills its SSE registers.
 */
#include <stdbool.h>
#include <stdint.h>

#include <moat/abi/kcall.h>
#include <moat/ioport.h>
#include <moat/sinfo_format.h>

#include "guest_io.h"

uint32_t sinfo_gpa;

/* The trap frame trap_common builds (pusha, then the stub's vector and error code). */
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
static volatile uint32_t kicks, ticks, self_ipis;
static volatile uint64_t tick_tsc;
static volatile uint32_t isr_in_handler; /* VEC_SELF's ISR bit, read in its handler */
static uint32_t lvt_timer_at_start;
/* For "npf": a restart must bring both back. */
static volatile uint32_t initialised = 0x1234abcdu;
static volatile uint32_t zeroed;

#define VEC_KICK  0x40u
#define VEC_TIMER 0x41u
#define VEC_SELF  0x42u

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    skip_length = 2;
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo = 0, hi = 0;
    skip_length = 2;
    __asm__ volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    return ((uint64_t)hi << 32) | lo;
}

void guest_trap(struct frame *f);
void guest_trap(struct frame *f)
{
    if (f->vector == 6u || f->vector == 13u) {
        last_vector = f->vector;
        f->eip += skip_length; /* past the instruction the test guarded */
        return;
    }
    if (f->vector == VEC_KICK || f->vector == VEC_TIMER || f->vector == VEC_SELF) {
        if (f->vector == VEC_KICK) {
            kicks++;
        } else if (f->vector == VEC_TIMER) {
            tick_tsc = rdtsc();
            ticks++;
        } else {
            isr_in_handler = (uint32_t)(rdmsr(0x800u + 0x10u + VEC_SELF / 32u) >> (VEC_SELF % 32u)) & 1u;
            self_ipis++;
        }
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

/* The id of its outgoing event `name`, or 99 (an id it does not have). */
static uint32_t send_id(const char *name)
{
    const struct moat_sinfo *s = sinfo();
    for (uint32_t i = 0; i < s->resource_count; i++) {
        if (s->resources[i].kind == MOAT_RES_EVENT_SEND && streq(s->resources[i].name, name)) {
            return s->resources[i].id;
        }
    }
    return 99;
}

/* The exception (6, 13) an instruction given as bytes raised, or 0. */
#define GUARDED(len, bytes)                                                                \
    ({                                                                                     \
        last_vector = 0;                                                                   \
        skip_length = (len);                                                               \
        __asm__ volatile(bytes ::: "memory");                                              \
        last_vector;                                                                       \
    })
/* The same with rAX a page-aligned address: else the CPU's own #GP comes first. */
#define GUARDED_RAX(len, bytes)                                                            \
    ({                                                                                     \
        last_vector = 0;                                                                   \
        skip_length = (len);                                                               \
        __asm__ volatile("mov $0x1000, %%eax\n\t" bytes ::: "eax", "memory");               \
        last_vector;                                                                       \
    })

static void check_svm_instructions(void)
{
    /* VMRUN, VMLOAD and VMSAVE with an aligned rAX; STGI, CLGI, SKINIT, INVLPGA. */
    uint32_t ud[7] = {GUARDED_RAX(3, ".byte 0x0f, 0x01, 0xd8"),
                      GUARDED_RAX(3, ".byte 0x0f, 0x01, 0xda"),
                      GUARDED_RAX(3, ".byte 0x0f, 0x01, 0xdb"), GUARDED(3, ".byte 0x0f, 0x01, 0xdc"),
                      GUARDED(3, ".byte 0x0f, 0x01, 0xdd"), GUARDED(3, ".byte 0x0f, 0x01, 0xde"),
                      GUARDED(3, ".byte 0x0f, 0x01, 0xdf")};
    static const char *const names[7] = {"vmrun", "vmload", "vmsave", "stgi",
                                          "clgi", "skinit", "invlpga"};
    puts("svm instructions:");
    for (uint32_t i = 0; i < 7u; i++) {
        putc(' ');
        puts(names[i]);
        putc(' ');
        putu(ud[i]);
    }
    putc('\n');
}

static void check_platform(void)
{
    uint32_t r[4];
    cpuid(1, r);
    puts("cpuid: hypervisor ");
    putu(r[2] >> 31);
    puts(" x2apic ");
    putu((r[2] >> 21) & 1u);
    puts(" tsc-deadline ");
    putu((r[2] >> 24) & 1u);
    puts(" vmx ");
    putu((r[2] >> 5) & 1u);
    puts(" mce ");
    putu((r[3] >> 7) & 1u);
    cpuid(0x80000001u, r);
    puts(" svm ");
    putu((r[2] >> 2) & 1u);
    cpuid(0x40000000u, r);
    puts(" signature ");
    char sig[13];
    for (uint32_t i = 0; i < 4u; i++) {
        sig[i] = (char)(r[1] >> (8u * i));
        sig[4u + i] = (char)(r[2] >> (8u * i));
        sig[8u + i] = (char)(r[3] >> (8u * i));
    }
    sig[12] = '\0';
    puts(sig);
    putc('\n');

    last_vector = 0;
    uint64_t base = rdmsr(0x1b);
    puts("msr: apic_base ");
    puthex(base);
    puts(" (");
    putu(last_vector);
    puts(") vm_cr ");
    last_vector = 0;
    (void)rdmsr(0xc0010114u);
    putu(last_vector);
    puts(" hsave_pa ");
    last_vector = 0;
    wrmsr(0xc0010117u, 0x1000);
    putu(last_vector);
    puts(" lstar ");
    last_vector = 0;
    wrmsr(0xc0000082u, 0x1234);
    putu(last_vector);
    puts(" ");
    puthex(rdmsr(0xc0000082u));
    putc('\n');
    check_svm_instructions();
}

static void check_calls(void)
{
    int32_t ping = vmmcall(MOAT_KCALL_EVENT_SEND, send_id("ping"));
    int32_t unknown_id = vmmcall(MOAT_KCALL_EVENT_SEND, 99);
    int32_t unknown_call = vmmcall(77, 0);
    /* The peer answers the ping with "kick" (vector 0x40): HLT waits for it. */
    __asm__ volatile("sti");
    for (uint32_t i = 0; i < 1000u && kicks == 0u; i++) {
        __asm__ volatile("hlt");
    }
    /* Printed after the kick, so after the peer's line. */
    puts("vmmcall: ping ");
    puti(ping);
    puts(" unknown-id ");
    puti(unknown_id);
    puts(" unknown-call ");
    puti(unknown_call);
    putc('\n');
    puts("event: kicks ");
    putu(kicks);
    putc('\n');
    wrmsr(0x83f, VEC_SELF); /* x2APIC self IPI */
    puts("self-ipi: ");
    putu(self_ipis);
    putc('\n');
}

/* The TSC-deadline timer: within its frame it fires on time; a deadline that passes
 * while other subjects run fires only when its next frame starts. */
static void check_timer(void)
{
    uint64_t khz = sinfo()->tsc_khz;
    wrmsr(0x80f, 0x1ff);                 /* SVR: APIC on */
    wrmsr(0x832, (2u << 17) | VEC_TIMER); /* LVT timer: TSC-deadline mode */
    uint64_t armed = 0;
    /* From a frame's start, until a try sees no preemption between arming and the tick (a
     * gap of 500 us in its TSC reads: the host or a late frame took it away); the first
     * try only translates the paths (TCG). A timer held to the next frame never passes. */
    bool preempted = true;
    for (uint32_t round = 0; round < 8u && (round < 2u || preempted); round++) {
        uint32_t seen = ticks;
        (void)vmmcall(MOAT_KCALL_YIELD, 0); /* at the start of a frame */
        armed = rdtsc();
        uint64_t last = armed;
        preempted = false;
        wrmsr(0x6e0, armed + 100u * khz / 1000u);
        while (ticks == seen && rdtsc() - armed < 1000u * khz) {
            uint64_t now = rdtsc();
            preempted = preempted || now - last > 500u * khz / 1000u;
            last = now;
        }
    }
    puts(preempted ? "timer: in frame, every try preempted, last after us "
                   : "timer: in frame, fired after us ");
    putu((tick_tsc - armed) * 1000u / khz);
    putc('\n');
    /* Armed for 100 us from now, then the rest of the frame given away: the others' frames
     * (2 ms here) pass before it can fire. */
    uint32_t before = ticks;
    armed = rdtsc();
    wrmsr(0x6e0, armed + 100u * khz / 1000u);
    (void)vmmcall(MOAT_KCALL_YIELD, 0);
    uint64_t back = rdtsc();
    while (ticks == before && rdtsc() - back < 1000u * khz) {
    }
    /* It is not lost, and comes when its frame is back: after the others' 2 ms. */
    puts("timer: across frames, fired after the other frames: ");
    puts(ticks != before && tick_tsc - armed >= 1900u * khz / 1000u ? "yes" : "no");
    putc('\n');
    wrmsr(0x6e0, 0);
}

/* Hostile probes (docs/architecture.md, Tests: the VM mutation campaign): what the guest
 * may not do is refused with #GP (13), what it may do keeps working. */
static uint32_t wrmsr_vector(uint32_t msr, uint64_t value)
{
    last_vector = 0;
    wrmsr(msr, value);
    return last_vector;
}

static uint32_t rdmsr_vector(uint32_t msr)
{
    last_vector = 0;
    (void)rdmsr(msr);
    return last_vector;
}

static void check_refusals(void)
{
    uint64_t khz = sinfo()->tsc_khz;
    puts("refusals:");
    /* EFER: SVME is the kernel's, hidden and kept; the guest's own value is taken. */
    uint64_t efer = rdmsr(0xc0000080u);
    puts(" efer-svme ");
    putu((efer >> 12) & 1u);
    puts(" efer ");
    putu(wrmsr_vector(0xc0000080u, efer | (1u << 12)));
    putc(' ');
    putu(wrmsr_vector(0xc0000080u, efer));
    puts(" pat ");
    putu(wrmsr_vector(0x277u, 0x0007040600070402ull)); /* type 2 is reserved */
    puts(" apic-base ");
    putu(wrmsr_vector(0x1bu, 0xfee00900u)); /* x2APIC off */
    /* The port right after the UART's eight is no UART register, read or written. */
    puts(" port-0x400 ");
    puthex(moat_inb(0x400));
    moat_outb(0x400, 0x5a);
    moat_outb(0x3fb, 0x80); /* DLAB: port 0x3f8 is the divisor latch */
    uint8_t dll = moat_inb(0x3f8);
    moat_outb(0x3fb, 0x03);
    puts(" dll ");
    puthex(dll);
    /* String I/O would make the kernel read guest memory. */
    static const uint8_t byte = 'x';
    last_vector = 0;
    skip_length = 1;
    __asm__ volatile("outsb" : : "d"(0x80), "S"(&byte) : "memory");
    /* The UART: THRI pending while enabled (a polled 8250 transmits only then); in
     * loopback, bytes written go nowhere. */
    moat_outb(0x3f9, 0x02);
    uint8_t iir = moat_inb(0x3fa);
    moat_outb(0x3f9, 0x00);
    puts(" iir ");
    puthex(iir);
    puts(" loop ");
    moat_outb(0x3fc, 0x10);
    putc('Z');
    moat_outb(0x3fc, 0x00);
    putc('-');
    puts(" outs ");
    putu(last_vector);
    /* IN AL replaces AL alone. */
    uint32_t eax = 0x12345678u;
    __asm__ volatile("inb $0x80, %%al" : "+a"(eax));
    puts(" in-al ");
    puthex(eax);
    /* An interrupt requested with interrupts off comes after STI, not before. */
    uint32_t r[4];
    __asm__ volatile("cli");
    uint32_t before = self_ipis;
    wrmsr(0x83f, VEC_SELF);
    cpuid(0, r); /* an exit, where the kernel could inject */
    uint32_t held = self_ipis - before;
    __asm__ volatile("sti; nop");
    cpuid(0, r);
    /* The MSRs it owns pass through (STAR, FS base, SYSENTER_CS); TSC_AUX (no RDTSCP)
     * is not among them. */
    puts("\nmsr-map: star ");
    putu(wrmsr_vector(0xc0000081u, 0x00230010ull << 32));
    puts(" fs-base ");
    putu(wrmsr_vector(0xc0000100u, 0x5000));
    puts(" sysenter-cs ");
    putu(wrmsr_vector(0x174u, 0x10));
    puts(" tsc-aux ");
    putu(rdmsr_vector(0xc0000103u));
    puts("\ninterrupts: cli-ipi ");
    putu(held);
    putc(' ');
    putu(self_ipis - before);
    /* An ICR write with another delivery mode (INIT) is no fixed interrupt. */
    before = self_ipis;
    wrmsr(0x830, (5u << 8) | VEC_SELF);
    cpuid(0, r);
    puts(" init-ipi ");
    putu(self_ipis - before);
    puts(" isr ");
    putu(isr_in_handler);
    puts(" lvt-timer ");
    puthex(lvt_timer_at_start);
    /* A masked timer raises nothing. */
    before = ticks;
    wrmsr(0x832, (1u << 16) | (2u << 17) | VEC_TIMER);
    uint64_t armed = rdtsc();
    wrmsr(0x6e0, armed + 50u * khz / 1000u);
    while (rdtsc() - armed < 500u * khz / 1000u) {
        cpuid(0, r);
    }
    puts(" masked-timer ");
    putu(ticks - before);
    wrmsr(0x6e0, 0);
    /* Its debug registers are its own across exits and other subjects' frames. */
    uint32_t dr0 = 0x1234u;
    __asm__ volatile("mov %0, %%dr0" : : "r"(dr0));
    (void)vmmcall(MOAT_KCALL_YIELD, 0);
    __asm__ volatile("mov %%dr0, %0" : "=r"(dr0));
    puts(" debug: dr0 ");
    puthex(dr0);
    putc('\n');
}

static void role_tiny(void)
{
    lvt_timer_at_start = (uint32_t)rdmsr(0x832);
    puts("hello from the tiny guest, tsc ");
    putu(sinfo()->tsc_khz);
    puts(" kHz\n");
    check_platform();
    check_calls();
    check_timer();
    check_refusals();
    puts("done\n");
    (void)vmmcall(MOAT_KCALL_EVENT_SEND, send_id("done"));
}

/* Pristine after every restart, then a guest-physical address outside its memory. */
static void role_npf(void)
{
    puts("pristine: ");
    puts(initialised == 0x1234abcdu && zeroed == 0u ? "yes" : "NO");
    putc('\n');
    initialised = 0;
    zeroed = 1;
    (void)*(volatile uint32_t *)0x40000000u;
    puts("still running after the NPF\n");
}

static void role_triple(void)
{
    puts("triple fault\n");
    struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } none = {0, 0};
    __asm__ volatile("lidt %0; int3" : : "m"(none));
    puts("still running after the triple fault\n");
}

/* SSE on, and its own pattern in xmm0-7 over and over: a native subject beside it that
 * ever reads one of these bytes in its registers got the VM's extended state. */
static void role_fpu(void)
{
    static const uint8_t pattern[16] __attribute__((aligned(16))) = {
        0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
        0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
    uint32_t cr;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr));
    __asm__ volatile("mov %0, %%cr0" : : "r"((cr & ~4u) | 2u)); /* EM off, MP on */
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr | (1u << 9) | (1u << 10))); /* OSFXSR */
    puts("fpu: filling xmm0-7\n");
    for (;;) {
        __asm__ volatile("movdqa (%0), %%xmm0\n\tmovdqa %%xmm0, %%xmm1\n\t"
                         "movdqa %%xmm0, %%xmm2\n\tmovdqa %%xmm0, %%xmm3\n\t"
                         "movdqa %%xmm0, %%xmm4\n\tmovdqa %%xmm0, %%xmm5\n\t"
                         "movdqa %%xmm0, %%xmm6\n\tmovdqa %%xmm0, %%xmm7"
                         :
                         : "r"(pattern)
                         : "memory");
        for (volatile uint32_t i = 0; i < 1000u; i++) {
        }
    }
}

/* Debug address registers are per VM: "drw" keeps a value in DR0, "drr" (after it in the
 * plan) must never read it in its own. */
static void role_debug_registers(bool writer)
{
    uint64_t khz = sinfo()->tsc_khz;
    uint64_t start = rdtsc();
    uint32_t seen = 0;
    while (writer || rdtsc() - start < 20u * khz) {
        uint32_t dr0 = writer ? 0x12345678u : 0u;
        if (writer) {
            __asm__ volatile("mov %0, %%dr0" : : "r"(dr0));
        } else {
            __asm__ volatile("mov %%dr0, %0" : "=r"(dr0));
        }
        seen |= dr0;
    }
    puts("debug registers: dr0 seen ");
    puthex(seen);
    putc('\n');
}

/* Exits as fast as it can, every kind it can make, forever. */
static void role_storm(void)
{
    uint32_t r[4];
    for (;;) {
        cpuid(0, r);
        (void)moat_inb(0x80);
        moat_outb(0x80, 0);
        (void)rdmsr(0x10);
        (void)vmmcall(MOAT_KCALL_EVENT_SEND, 99);
        (void)vmmcall(99, 0);
    }
}

void guest_main(void);
void guest_main(void)
{
    idt_init();
    const char *name = sinfo()->subject_name;
    if (streq(name, "tiny")) {
        role_tiny();
    } else if (streq(name, "npf") || streq(name, "crashy")) {
        role_npf();
    } else if (streq(name, "triple")) {
        role_triple();
    } else if (streq(name, "storm")) {
        role_storm();
    } else if (streq(name, "fpuvm")) {
        role_fpu();
    } else if (streq(name, "drw") || streq(name, "drr")) {
        role_debug_registers(streq(name, "drw"));
    } else {
        puts("no role\n");
    }
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}
