/*
 * vmattack: the VM attacker of tests/systems/timing-isolation (a flat 32-bit guest, no
 * Linux). Like the native attackers of tests/subjects/isolation.c it attacks only in its
 * phases, which it computes as they do: from the plan's start witness0 publishes in the
 * "clock" channel and the TSC (phase p = major frames [p*8, p*8+8), 265 ticks of 100 us
 * each). Its phases (PHASE_VM_* in isolation.c, which must match):
 *   vm-spin          it spins with interrupts off: only the kernel's timer ends its frames
 *   vm-exit-storm    CPUID, port I/O, RDMSR, TSC-deadline writes and vmmcalls, as fast
 *                    as it can: every one a VM exit
 *   vm-reboot-storm  a triple fault at once: the fault action restarts it (zeroed RAM,
 *                    its pristine image), and it faults again, every frame
 * Otherwise it gives up its frames at once.
 */
#include <stdint.h>

#include <moat/sinfo_format.h>

#define MAJOR_TICKS      265u
#define PHASE_MAJORS     8u
#define PHASE_VM_SPIN    9u
#define PHASE_VM_STORM   10u
#define PHASE_VM_REBOOT  11u
#define PHASE_IDLE_AGAIN 12u
#define CHANNEL_DATA     64u /* libchannel: the header, then element 0 */
#define CHANNEL_WC       56u /* libchannel: the header's write counter */

void vmattack_main(const struct moat_sinfo *sinfo);

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t load64(uintptr_t address)
{
    const volatile uint32_t *p = (const volatile uint32_t *)address;
    uint32_t hi, lo;
    do {
        hi = p[1];
        lo = p[0];
    } while (hi != p[1]);
    return ((uint64_t)hi << 32) | lo;
}

/* Gives up the rest of the frame (vmmcall MOAT_KCALL_YIELD; a HLT with interrupts off
 * would wait for an event that never comes). */
static void yield(void)
{
    uint32_t ret;
    __asm__ volatile("vmmcall" : "=a"(ret) : "a"(0u) : "memory");
}

static void storm(void)
{
    uint32_t a = 0, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    uint8_t v;
    __asm__ volatile("inb $0x80, %0" : "=a"(v));
    __asm__ volatile("outb %0, $0x80" : : "a"(v));
    __asm__ volatile("rdmsr" : "=a"(a), "=d"(d) : "c"(0x10u));
    /* A TSC deadline a little ahead: it may only ever fire in this VM's own frames. */
    uint64_t deadline = rdtsc() + 20000u;
    __asm__ volatile("wrmsr" : : "c"(0x6e0u), "a"((uint32_t)deadline), "d"((uint32_t)(deadline >> 32)));
    uint32_t ret;
    __asm__ volatile("vmmcall" : "=a"(ret) : "a"(1u), "D"(99u) : "memory"); /* no such event */
    __asm__ volatile("vmmcall" : "=a"(ret) : "a"(99u), "D"(0u) : "memory"); /* no such call */
}

static void triple_fault(void)
{
    struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } none = {0, 0};
    __asm__ volatile("lidt %0\n\tint3" : : "m"(none));
}

void vmattack_main(const struct moat_sinfo *sinfo)
{
    uintptr_t clock = 0;
    for (uint32_t i = 0; i < sinfo->resource_count; i++) {
        const char *n = sinfo->resources[i].name;
        if (n[0] == 'c' && n[1] == 'l' && n[2] == 'o' && n[3] == 'c' && n[4] == 'k' && n[5] == '\0') {
            clock = (uintptr_t)sinfo->resources[i].address;
        }
    }
    if (clock == 0u) {
        triple_fault();
    }
    while (load64(clock + CHANNEL_WC) == 0u) {
        yield(); /* witness0 has not published the plan's start yet */
    }
    uint64_t origin = load64(clock + CHANNEL_DATA);
    uint64_t tick = (uint32_t)sinfo->tsc_khz / 10u; /* TSC ticks per 100 us */
    uint64_t phase_len = PHASE_MAJORS * MAJOR_TICKS * tick;
    uint64_t spin = origin + PHASE_VM_SPIN * phase_len;
    uint64_t exits = origin + PHASE_VM_STORM * phase_len;
    uint64_t reboots = origin + PHASE_VM_REBOOT * phase_len;
    uint64_t end = origin + PHASE_IDLE_AGAIN * phase_len;
    for (;;) {
        uint64_t t = rdtsc();
        if (t < spin || t >= end) {
            yield();
        } else if (t < exits) {
            while (rdtsc() < exits) {
            }
        } else if (t < reboots) {
            while (rdtsc() < reboots) {
                storm();
            }
        } else {
            triple_fault();
        }
    }
}
