/*
 * Interrupt hardware: the legacy PICs (remapped and masked), the local APIC and its
 * timer (TSC-deadline mode when the CPU has it, else one-shot calibrated at boot against
 * PIT channel 2, together with the TSC frequency), inter-processor interrupts, and the
 * I/O APIC for policy IRQs (each delivered to the CPU of the subject that owns it). Every CPU has its own local APIC
 * at the same address; the boot CPU's calibration holds for all of them.
 */
#include "x86.h"

#define LAPIC_ID       0x020u
#define LAPIC_EOI      0x0b0u
#define LAPIC_ICR_LOW  0x300u
#define LAPIC_ICR_HIGH 0x310u
#define ICR_PENDING    (1u << 12)
#define LAPIC_SVR      0x0f0u
#define LAPIC_LVT_TMR  0x320u
#define LAPIC_LVT_LINT0 0x350u
#define LAPIC_LVT_LINT1 0x360u
#define LAPIC_TMR_INIT 0x380u
#define LAPIC_TMR_CUR  0x390u
#define LAPIC_TMR_DIV  0x3e0u
#define LVT_MASKED     (1u << 16)
#define LVT_TSC_DEADLINE (2u << 17)
#define LVT_NMI        (4u << 8)

#define APIC_BASE_X2APIC (1u << 10)
#define APIC_BASE_ENABLE (1u << 11)

#define IOAPIC_BASE 0xfec00000u

#define PIT_HZ 1193182u
#define PIT_CALIBRATION_COUNT 11932u /* about 10 ms */

static volatile uint32_t *lapic;
static uint64_t tsc_khz;
static uint64_t lapic_khz;
/* LAPIC timer ticks per TSC tick, in 32.32 fixed point (set with the two above). */
static uint64_t lapic_per_tsc;
static uint32_t ioapic_lock; /* the I/O APIC's index/data pair, shared by all CPUs */

static uint32_t lapic_read(uint32_t reg)
{
    return lapic[reg / 4u];
}

static void lapic_write(uint32_t reg, uint32_t v)
{
    lapic[reg / 4u] = v;
}

static void pic_disable(void)
{
    /* Remap to 0x20..0x2f so a spurious legacy IRQ is never taken for an exception. */
    outb(0x20, 0x11);
    outb(0xa0, 0x11);
    outb(0x21, 0x20);
    outb(0xa1, 0x28);
    outb(0x21, 0x04);
    outb(0xa1, 0x02);
    outb(0x21, 0x01);
    outb(0xa1, 0x01);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

static void calibrate(void)
{
    outb(0x61, (uint8_t)((inb(0x61) & ~0x02u) | 0x01u)); /* gate on, speaker off */
    outb(0x43, 0xb0);                                     /* channel 2, mode 0 */
    lapic_write(LAPIC_TMR_DIV, 0xb);                      /* divide by 1 */
    lapic_write(LAPIC_LVT_TMR, LVT_MASKED | VEC_TIMER);
    outb(0x42, (uint8_t)(PIT_CALIBRATION_COUNT & 0xffu));
    outb(0x42, (uint8_t)(PIT_CALIBRATION_COUNT >> 8));
    lapic_write(LAPIC_TMR_INIT, 0xffffffffu);
    uint64_t t0 = rdtsc();
    bool done = false;
    for (uint32_t i = 0; i < 100000000u && !done; i++) {
        done = (inb(0x61) & 0x20u) != 0u;
    }
    uint64_t t1 = rdtsc();
    uint32_t lapic_ticks = 0xffffffffu - lapic_read(LAPIC_TMR_CUR);
    lapic_write(LAPIC_TMR_INIT, 0);
    if (!done) {
        core_panic("PIT calibration timed out", 0);
    }
    tsc_khz = (t1 - t0) * PIT_HZ / (PIT_CALIBRATION_COUNT * 1000ull);
    lapic_khz = (uint64_t)lapic_ticks * PIT_HZ / (PIT_CALIBRATION_COUNT * 1000ull);
    if (tsc_khz == 0u || tsc_khz >= 10000000000ull || lapic_khz == 0u) { /* vm.c: 10 digits */
        core_panic("timer calibration failed", tsc_khz);
    }
    lapic_per_tsc = (lapic_khz << 32) / tsc_khz;
}

/* This CPU's local APIC: enabled (globally too), LINT0 masked, LINT1 = NMI, timer mode. */
static void apic_local_init(void)
{
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE);
    lapic_write(LAPIC_SVR, 0x100u | VEC_SPURIOUS);
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT1, LVT_NMI); /* platform NMIs: the kernel panics */
    lapic_write(LAPIC_TMR_DIV, 0xb);       /* divide by 1 */
    if (cpu_features.tsc_deadline) {
        lapic_write(LAPIC_LVT_TMR, LVT_TSC_DEADLINE | VEC_TIMER);
        /* The mode switch must be visible before the first deadline MSR write. */
        __asm__ volatile("mfence" ::: "memory");
    } else {
        lapic_write(LAPIC_LVT_TMR, VEC_TIMER); /* one-shot */
    }
}

void apic_init(void)
{
    pic_disable();
    uint64_t base = rdmsr(MSR_APIC_BASE);
    if ((base & APIC_BASE_X2APIC) != 0u) {
        core_panic_hex("the firmware left the LAPIC in x2APIC mode (not supported yet), base",
                       base);
    }
    wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    lapic = (volatile uint32_t *)(uintptr_t)(base & ~0xfffull);
    lapic_write(LAPIC_SVR, 0x100u | VEC_SPURIOUS);
    calibrate();
    apic_local_init();
    print_str("timer: TSC ");
    print_dec(tsc_khz);
    print_str(" kHz, LAPIC ");
    print_dec(lapic_khz);
    print_str(cpu_features.tsc_deadline ? " kHz, TSC-deadline" : " kHz, one-shot");
    print_nl();
}

void apic_init_ap(void)
{
    apic_local_init();
}

uint32_t apic_id(void)
{
    return lapic == 0 ? 0u : lapic_read(LAPIC_ID) >> 24;
}

void apic_send_ipi(uint32_t apic, uint32_t command)
{
    for (uint32_t i = 0; i < 1000000u && (lapic_read(LAPIC_ICR_LOW) & ICR_PENDING) != 0u; i++) {
        __asm__ volatile("pause");
    }
    lapic_write(LAPIC_ICR_HIGH, apic << 24);
    lapic_write(LAPIC_ICR_LOW, command);
}

void apic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

#ifdef MOAT_TEST_KERNEL
/* Test kernels only: the first arm for each new deadline, per CPU, goes off half-way to
 * it, as a LAPIC in count mode may when the calibration is off. The kernel sees a timer
 * entry before the deadline it armed (in a subject or idle); it must arm the same
 * deadline again (entry.c: a timer entry clears timer_armed), which then holds, or the
 * CPU waits for an interrupt that never comes. */
static tsc_t early_deadline[MOAT_MAX_CPUS];

static tsc_t timer_early(tsc_t deadline)
{
    tsc_t now = rdtsc();
    uint32_t cpu = arch_cpu_id();
    if (deadline == early_deadline[cpu] || deadline <= now) {
        return deadline;
    }
    early_deadline[cpu] = deadline;
    return now + (deadline - now) / 2u;
}
#endif

void apic_timer_arm(tsc_t deadline)
{
#ifdef MOAT_TEST_KERNEL
    deadline = timer_early(deadline);
#endif
    if (cpu_features.tsc_deadline) {
        wrmsr(MSR_TSC_DEADLINE, deadline);
        return;
    }
    tsc_t now = rdtsc();
    uint64_t count = 1;
    if (deadline > now) {
        /* (deadline - now) * lapic_khz / tsc_khz, as a multiply and a shift. */
        count = (uint64_t)(((unsigned __int128)(deadline - now) * lapic_per_tsc) >> 32) + 1u;
    }
    lapic_write(LAPIC_TMR_INIT, count > 0xffffffffu ? 0xffffffffu : (uint32_t)count);
}

uint64_t arch_tsc_khz(void)
{
    return tsc_khz;
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
    volatile uint32_t *io = (volatile uint32_t *)(uintptr_t)IOAPIC_BASE;
    /* Held for two stores; bounded: the holder never waits for anything. */
    for (uint32_t i = 0; i < 10000000u && __atomic_exchange_n(&ioapic_lock, 1u, __ATOMIC_ACQUIRE) != 0u; i++) {
        __asm__ volatile("pause");
    }
    io[0] = reg;
    io[4] = v;
    __atomic_store_n(&ioapic_lock, 0u, __ATOMIC_RELEASE);
}

void ioapic_init(void)
{
    /* Route each policy IRQ line to its vector on its owner's CPU (physical destination:
     * that CPU's APIC id), masked until unmasked by the owner's granted event, so an IRQ
     * and its unmask floods cost only the owner's CPU. ISA lines are edge-triggered,
     * active high. After mp_detect, which knows the APIC ids. */
    for (uint32_t i = 0; i < tables_irq_count(); i++) {
        const struct moat_irq_route *r = tables_irq(i);
        uint32_t cpu = tables_subject(r->subject)->cpu;
        ioapic_write(0x10u + 2u * r->line, LVT_MASKED | (VEC_IRQ_BASE + r->line));
        ioapic_write(0x11u + 2u * r->line, mp_apic_id(cpu) << 24);
        print_str("irq ");
        print_dec(r->line);
        print_str(": cpu ");
        print_dec(cpu);
        print_str(", APIC id ");
        print_dec(mp_apic_id(cpu));
        print_nl();
    }
}

/* line < MOAT_MAX_IRQS: a routed line (tables_check) or one exit_trap_kind found. */
void arch_irq_unmask(uint8_t line)
{
    ioapic_write(0x10u + 2u * line, VEC_IRQ_BASE + line);
}

void ioapic_mask(uint8_t line)
{
    ioapic_write(0x10u + 2u * line, LVT_MASKED | (VEC_IRQ_BASE + line));
}
