/*
 * The x86-64 boot sequence once in long mode (arch_boot_main, called by boot.S): memory
 * map, page tables, CPU protections (debug registers cleared, speculation mitigations
 * chosen and printed), timer, CPUs in ACPI, the tables blob's check and the core's, the
 * other CPUs, then the plan. Also the kernel's ELF note and the platform's power controls.
 */
#include "x86.h"

/* The reserved tables segment (kernel.ld.S), filled by moat-polc in a system image. */
extern const uint8_t __moat_tables[];

/* MOAT_NOTE_KERNEL (layout.h): moat-polc refuses this kernel for another tables format. */
static const struct {
    uint32_t namesz, descsz, type;
    char name[8];
    uint32_t desc[3];
} kernel_note __attribute__((section(".note.moat"), used, aligned(4))) = {
    sizeof(MOAT_NOTE_NAME), 12u, MOAT_NOTE_KERNEL, MOAT_NOTE_NAME,
    {MOAT_NOTE_VERSION, (uint32_t)MOAT_TABLES_LAYOUT_HASH, (uint32_t)(MOAT_TABLES_LAYOUT_HASH >> 32)},
};

static void print_feature(const char *name, bool present)
{
    print_str(" ");
    print_str(name);
    print_str(present ? "+" : "-");
}

void arch_boot_main(uint32_t magic, uint32_t info);
void arch_boot_main(uint32_t magic, uint32_t info)
{
    serial_init();
    bool known = bootinfo_parse(magic, info);
    print_nl();
    print_str("boot: ");
    print_str(bootinfo_protocol());
    print_str(", ");
    print_dec(bootinfo_ram_entries());
    print_str(" RAM ranges in the firmware memory map");
    print_nl();
    if (!known) {
        core_panic_hex("unknown boot protocol, magic", magic);
    }
    cpu_detect();
    if (cpu_features.nx) {
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    }
    kernel_cr3 = paging_init();
    write_cr3(kernel_cr3);
    cpu_init(0, kernel_cr3, (uint64_t)(uintptr_t)(kernel_stacks[0] + KERNEL_STACK_SIZE));
    print_str("cpu:");
    print_feature("nx", cpu_features.nx);
    print_feature("smep", cpu_features.smep);
    print_feature("smap", cpu_features.smap);
    print_feature("umip", cpu_features.umip);
    print_feature("xsave", cpu_features.xsave);
    print_feature("pcid", cpu_features.pcid);
    print_feature("tsc-deadline", cpu_features.tsc_deadline);
    print_feature("invariant-tsc", cpu_features.invariant_tsc);
    print_str(" xsave-size ");
    print_dec(cpu_features.xsave_size);
    print_nl();
    cpu_spec_print();
    if (cpu_features.xsave_size > XSAVE_AREA) {
        core_panic("XSAVE area larger than reserved", cpu_features.xsave_size);
    }
    apic_init();
    mp_detect();
    print_str("Moat separation kernel");
    print_nl();
    if (!tables_check(__moat_tables, MOAT_TABLES_CAPACITY) || !core_check_system()) {
        print_str("refusing to start subjects");
        print_nl();
        arch_poweroff(true);
    }
    ioapic_init();
    mp_start_cpus();
    core_prepare_subjects();
    if (tables_subject_count() == 0u) {
        print_str("no subjects to run; powering off");
        print_nl();
        arch_poweroff(false);
    }
    print_str("starting plan ");
    print_str(tables_string(tables_plan(tables->initial_plan)->name));
    print_nl();
    mp_run();
}

_Noreturn void arch_poweroff(bool failure)
{
    /* QEMU isa-debug-exit (iobase 0xf4): exit status (value << 1) | 1, so 1 or 3. */
    outl(0xf4, failure ? 1u : 0u);
    /* ACPI S5 through the PM1a control block of QEMU's chipsets, then stop. */
    outw(0x604, 0x2000);
    outw(0xb004, 0x2000);
    for (;;) {
        __asm__ volatile("cli\n\thlt");
    }
}

_Noreturn void arch_reboot(void)
{
    outb(0x64, 0xfe); /* keyboard controller reset */
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } empty = {0, 0};
    __asm__ volatile("lidt %0\n\tint3" : : "m"(empty)); /* triple fault */
    for (;;) {
        __asm__ volatile("cli\n\thlt");
    }
}
