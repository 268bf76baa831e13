/*
 * More than one CPU: how many the machine has (the ACPI MADT), starting the ones the
 * policy uses (INIT-SIPI-SIPI into the real-mode code of boot.S; the rest are never
 * started and stay parked in wait-for-SIPI), a common start instant, and the arch hooks
 * the core's SMP code needs (CPU index, wake and stop IPIs).
 */
#include "x86.h"

#define RSDP_SCAN_BASE 0xe0000u
#define RSDP_SCAN_END  0x100000u
#define MADT_LAPIC     0u
#define ICR_INIT       0x4500u /* INIT, level assert */
#define ICR_STARTUP    0x4600u /* start-up; vector = page number */
#define ICR_FIXED      0x4000u /* fixed delivery, level assert; | vector */
#define ICR_NMI        0x4400u
#define AP_START_MS    1000u /* how long an AP may take to report in */

struct sdt_header {
    char signature[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));

uint64_t kernel_cr3;
/* CPU index -> local APIC id; index 0 is the boot CPU. */
static uint32_t cpu_apic[MOAT_MAX_CPUS];
static uint32_t machine_cpus = 1;
static uint32_t started_cpus = 1; /* CPUs 0 .. started_cpus-1 run the kernel */
static uint32_t ap_alive;    /* the AP being started has reached arch_ap_main */
static uint32_t ap_index;    /* which CPU index it is */
static tsc_t start_tsc;      /* 0 until the boot CPU says when the first frame starts */

static bool bytes_sum_zero(const uint8_t *p, uint32_t size)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < size; i++) {
        sum = (uint8_t)(sum + p[i]);
    }
    return sum == 0u;
}

static bool bytes_equal(const void *a, const char *b, uint32_t size)
{
    const uint8_t *p = a;
    for (uint32_t i = 0; i < size; i++) {
        if (p[i] != (uint8_t)b[i]) {
            return false;
        }
    }
    return true;
}

static paddr_t rsdp_find(void)
{
    paddr_t given = bootinfo_rsdp();
    if (given != 0u) {
        return given;
    }
    for (paddr_t p = RSDP_SCAN_BASE; p < RSDP_SCAN_END; p += 16u) {
        const uint8_t *b = (const uint8_t *)(uintptr_t)p;
        if (bytes_equal(b, "RSD PTR ", 8) && bytes_sum_zero(b, 20)) {
            return p;
        }
    }
    return 0;
}

/* The MADT through the RSDT (ACPI 1) or XSDT (ACPI 2+), or 0. */
static const struct sdt_header *madt_find(paddr_t rsdp)
{
    const uint8_t *r = (const uint8_t *)(uintptr_t)rsdp;
    uint64_t root = *(const uint32_t *)(r + 16);
    uint32_t entry_size = 4;
    if (r[15] >= 2u && *(const uint64_t *)(r + 24) != 0u) {
        root = *(const uint64_t *)(r + 24);
        entry_size = 8;
    }
    if (root == 0u || root >= 0x100000000ull) {
        return 0;
    }
    const struct sdt_header *h = (const struct sdt_header *)(uintptr_t)root;
    uint32_t count = h->length > sizeof(*h) ? (h->length - (uint32_t)sizeof(*h)) / entry_size : 0u;
    for (uint32_t i = 0; i < count && i < 256u; i++) {
        const uint8_t *e = (const uint8_t *)h + sizeof(*h) + i * entry_size;
        uint64_t addr = entry_size == 8u ? *(const uint64_t *)e : *(const uint32_t *)e;
        const struct sdt_header *t = (const struct sdt_header *)(uintptr_t)addr;
        if (addr != 0u && addr < 0x100000000ull && bytes_equal(t->signature, "APIC", 4)) {
            return t;
        }
    }
    return 0;
}

void mp_detect(void)
{
    cpu_apic[0] = apic_id();
    machine_cpus = 1;
    paddr_t rsdp = rsdp_find();
    const struct sdt_header *madt = rsdp != 0u ? madt_find(rsdp) : 0;
    uint32_t length = madt != 0 ? madt->length : 0u;
    /* Entries follow the header, the local APIC address and the flags (8 bytes). */
    for (uint32_t off = sizeof(struct sdt_header) + 8u; off + 2u <= length && off < 65536u;) {
        const uint8_t *e = (const uint8_t *)madt + off;
        if (e[1] < 2u) {
            break;
        }
        /* Processor local APIC: ACPI id, APIC id, flags (bit 0: enabled). */
        if (e[0] == MADT_LAPIC && e[1] >= 8u && (e[4] & 1u) != 0u && e[3] != cpu_apic[0]) {
            if (machine_cpus < MOAT_MAX_CPUS) {
                cpu_apic[machine_cpus] = e[3];
            }
            machine_cpus++;
        }
        off += e[1];
    }
    print_str("cpus: ");
    print_dec(machine_cpus);
    print_str(madt != 0 ? " in the ACPI MADT" : " (no ACPI MADT found)");
    print_nl();
}

uint32_t mp_apic_id(uint32_t cpu)
{
    return cpu < machine_cpus && cpu < MOAT_MAX_CPUS ? cpu_apic[cpu] : cpu_apic[0];
}

uint32_t arch_cpu_count(void)
{
    return machine_cpus;
}

uint32_t arch_cpu_id(void)
{
    /* Every CPU runs the kernel on its own stack (the NMI and #DF stacks aside). */
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    /* One unsigned compare: below the stacks wraps to a huge index. */
    uintptr_t index = (sp - 1u - (uintptr_t)kernel_stacks) / KERNEL_STACK_SIZE;
    if (index < KERNEL_STACK_CPUS) {
        return (uint32_t)index;
    }
    uint32_t id = apic_id();
    for (uint32_t cpu = 0; cpu < machine_cpus && cpu < MOAT_MAX_CPUS; cpu++) {
        if (cpu_apic[cpu] == id) {
            return cpu;
        }
    }
    return 0;
}

static void delay_us(uint64_t us)
{
    tsc_t end = rdtsc() + us * arch_tsc_khz() / 1000u;
    for (uint32_t i = 0; i < 100000000u && rdtsc() < end; i++) {
        __asm__ volatile("pause");
    }
}

static bool start_cpu(uint32_t cpu)
{
    ap_index = cpu;
    ap_stack_top = (uint64_t)(uintptr_t)(kernel_stacks[cpu] + KERNEL_STACK_SIZE);
    __atomic_store_n(&ap_alive, 0u, __ATOMIC_SEQ_CST);
    apic_send_ipi(cpu_apic[cpu], ICR_INIT);
    delay_us(10000);
    for (uint32_t i = 0; i < 2u && __atomic_load_n(&ap_alive, __ATOMIC_SEQ_CST) == 0u; i++) {
        apic_send_ipi(cpu_apic[cpu], ICR_STARTUP | (AP_TRAMP_PHYS >> 12));
        delay_us(200);
    }
    tsc_t end = rdtsc() + (uint64_t)AP_START_MS * arch_tsc_khz();
    for (uint32_t i = 0; i < 1000000000u && rdtsc() < end; i++) {
        if (__atomic_load_n(&ap_alive, __ATOMIC_SEQ_CST) != 0u) {
            return true;
        }
        __asm__ volatile("pause");
    }
    return false;
}

void mp_start_cpus(void)
{
    uint32_t size = (uint32_t)(ap_tramp_end - ap_tramp_start);
    __builtin_memcpy((void *)(uintptr_t)AP_TRAMP_PHYS, ap_tramp_start, size);
    for (uint32_t cpu = 1; cpu < tables->cpu_count; cpu++) {
        if (!start_cpu(cpu)) {
            core_panic("a CPU did not start, cpu", cpu);
        }
        started_cpus = cpu + 1u;
    }
    if (tables->cpu_count > 1u) {
        print_str("cpus: ");
        print_dec(tables->cpu_count);
        print_str(" running the plan, ");
        print_dec(machine_cpus - tables->cpu_count);
        print_str(" parked");
        print_nl();
    }
}

/* Every CPU starts the plan at the same planned instant. */
static _Noreturn void run_from(tsc_t start)
{
    for (uint32_t i = 0; i < 1000000000u && rdtsc() < start; i++) {
        __asm__ volatile("pause");
    }
    arch_run(core_start(start));
}

_Noreturn void mp_run(void)
{
    /* Far enough ahead for every parked AP to notice (they wake on the IPI). */
    tsc_t start = rdtsc() + arch_tsc_khz();
    __atomic_store_n(&start_tsc, start, __ATOMIC_SEQ_CST);
    for (uint32_t cpu = 1; cpu < tables->cpu_count; cpu++) {
        arch_wake_cpu(cpu);
    }
    run_from(start);
}

void arch_ap_main(void)
{
    uint32_t cpu = ap_index;
    if (cpu_features.nx) {
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    }
    write_cr3(kernel_cr3);
    cpu_init(cpu, kernel_cr3, (uint64_t)(uintptr_t)(kernel_stacks[cpu] + KERNEL_STACK_SIZE));
    apic_init_ap();
    print_str("cpu ");
    print_dec(cpu);
    print_str(": up, APIC id ");
    print_dec(apic_id());
    print_nl();
    __atomic_store_n(&ap_alive, 1u, __ATOMIC_SEQ_CST);
    /* Parked in the kernel until the boot CPU has prepared the subjects. */
    for (uint32_t i = 0; i < 1000000000u && __atomic_load_n(&start_tsc, __ATOMIC_SEQ_CST) == 0u; i++) {
        __asm__ volatile("sti\n\thlt\n\tcli" ::: "memory");
    }
    run_from(__atomic_load_n(&start_tsc, __ATOMIC_SEQ_CST));
}

void arch_wake_cpu(uint32_t cpu)
{
    if (cpu < started_cpus && cpu < MOAT_MAX_CPUS && cpu != arch_cpu_id()) {
        apic_send_ipi(cpu_apic[cpu], ICR_FIXED | VEC_WAKE);
    }
}

void arch_cpu_relax(void)
{
    __asm__ volatile("pause");
}

void arch_stop_other_cpus(void)
{
    uint32_t self = arch_cpu_id();
    for (uint32_t cpu = 0; cpu < started_cpus && cpu < MOAT_MAX_CPUS; cpu++) {
        if (cpu != self) {
            apic_send_ipi(cpu_apic[cpu], ICR_NMI);
        }
    }
}

_Noreturn void arch_halt(void)
{
    for (;;) {
        __asm__ volatile("cli\n\thlt");
    }
}
