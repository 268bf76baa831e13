/*
 * The fake architecture behind kernel/core host tests: see fake_arch.h.
 */
#include "fake_arch.h"

#include <stdlib.h>
#include <string.h>

#include <libchannel.h>
#include <moat/log.h>

#include "../core/tables.h"

struct fake_arch fake;

void fake_reset(void)
{
    memset(&fake, 0, sizeof(fake));
    memset(core_cpus, 0, sizeof(core_cpus));
    memset(&core_shared, 0, sizeof(core_shared));
    fake.ram_base = 0x100000u;
    fake.ram_size = 0x4000000u;
    fake.reachable_end = 0x100000000u;
    fake.unmasked_irq = -1;
    tables = NULL;
    print_reset();
    audit_reset();
}

bool fake_console_has(const char *text)
{
    fake.console[sizeof(fake.console) - 1] = '\0';
    return strstr(fake.console, text) != NULL;
}

size_t fake_log_text(char *out, size_t out_size)
{
    size_t len = 0;
    out[0] = '\0';
    if (tables == NULL) {
        return 0;
    }
    for (uint32_t cpu = 0; cpu < MOAT_MAX_CPUS; cpu++) {
        paddr_t base = tables->klog_phys[cpu];
        if (base == 0u) {
            continue;
        }
        struct channel_reader r;
        if (channel_reader_init(&r, &fake.mem[base - FAKE_MEM_BASE], tables->klog_size,
                                MOAT_LOG_PROTOCOL, sizeof(struct moat_log_record)) != 0) {
            abort();
        }
        struct moat_log_record rec;
        for (enum channel_result res = channel_read(&r, &rec); res != CHANNEL_NO_DATA &&
                                                               res != CHANNEL_INACTIVE;
             res = channel_read(&r, &rec)) {
            if (res != CHANNEL_SUCCESS || rec.length > MOAT_LOG_TEXT_MAX ||
                len + rec.length + 2u > out_size) {
                continue;
            }
            memcpy(out + len, rec.text, rec.length);
            len += rec.length;
            if ((rec.flags & MOAT_LOG_CONTINUED) == 0u) {
                out[len++] = '\n';
            }
            out[len] = '\0';
        }
    }
    return len;
}

bool fake_log_has(const char *text)
{
    static char log[65536];
    fake_log_text(log, sizeof(log));
    return strstr(log, text) != NULL;
}

void arch_console_putc(char c)
{
    if (fake.console_len + 1u < sizeof(fake.console)) {
        fake.console[fake.console_len++] = c;
        fake.console[fake.console_len] = '\0';
    }
}

tsc_t arch_now(void)
{
    fake.now += fake.now_step;
    return fake.now;
}

uint64_t arch_tsc_khz(void)
{
    return 1000000u; /* 1 GHz: one TSC tick per ns */
}

bool arch_ram_covers(paddr_t base, uint64_t size)
{
    return base >= fake.ram_base && base + size <= fake.ram_base + fake.ram_size;
}

bool arch_phys_reachable(paddr_t base, uint64_t size)
{
    return base + size <= fake.reachable_end;
}

static uint8_t *fake_phys(paddr_t p, uint64_t size)
{
    if (p < FAKE_MEM_BASE || p + size > FAKE_MEM_BASE + FAKE_MEM_SIZE) {
        abort();
    }
    return &fake.mem[p - FAKE_MEM_BASE];
}

void arch_phys_copy(paddr_t dst, paddr_t src, uint64_t size)
{
    fake.phys_calls++;
    fake.now += fake.phys_cost * size / 1024u;
    memmove(fake_phys(dst, size), fake_phys(src, size), size);
}

void arch_phys_zero(paddr_t dst, uint64_t size)
{
    fake.phys_calls++;
    fake.now += fake.phys_cost * size / 1024u;
    memset(fake_phys(dst, size), 0, size);
}

void arch_phys_write(paddr_t dst, const void *src, uint64_t size)
{
    memcpy(fake_phys(dst, size), src, size);
}

void *arch_phys_map(paddr_t base, uint64_t size)
{
    return fake_phys(base, size);
}

void arch_subject_init(subject_id_t id, const struct moat_subject *subject)
{
    (void)subject;
    fake.init_count[id]++;
    fake.now += fake.init_cost;
    fake.result_set[id] = false;
}

void arch_subject_set_result(subject_id_t id, int64_t value)
{
    fake.result[id] = value;
    fake.result_set[id] = true;
}

const char *arch_register_name(uint32_t index)
{
    return index == 0u ? "r0" : "";
}

const char *arch_vector_name(uint32_t vector)
{
    return vector == 6u ? "#UD" : "?";
}

uint32_t arch_cpu_id(void)
{
    return fake.cpu;
}

const char *arch_vm_unsupported(void)
{
    return fake.no_vm ? "no fake VMs" : NULL;
}

uint32_t arch_cpu_count(void)
{
    return fake.machine_cpus == 0u ? 1u : fake.machine_cpus;
}

void arch_wake_cpu(uint32_t cpu)
{
    if (cpu < MOAT_MAX_CPUS && cpu != fake.cpu) {
        fake.wakes[cpu]++;
    }
}

void arch_idle_until(tsc_t deadline)
{
    fake.idles++;
    if (fake.on_idle != NULL) {
        fake.on_idle();
    } else {
        fake.now = deadline; /* nobody else runs: the wait times out */
    }
}

void arch_cpu_relax(void)
{
}

void arch_stop_other_cpus(void)
{
    fake.others_stopped = true;
}


void arch_irq_unmask(uint8_t line)
{
    fake.unmasked_irq = line;
}

static _Noreturn void fake_power(int kind)
{
    fake.power = kind;
    if (fake.power_jump == NULL) {
        abort();
    }
    longjmp(*fake.power_jump, 1);
}

_Noreturn void arch_poweroff(bool failure)
{
    fake_power(failure ? 2 : 1);
}

_Noreturn void arch_reboot(void)
{
    fake_power(3);
}

_Noreturn void arch_halt(void)
{
    fake_power(4);
}
