/*
 * Kernel output: strings and integers, no format strings, so nothing here walks a
 * variable argument list.
 *
 * Where it goes depends on the CPU's phase. At boot (before this CPU starts the plan)
 * and while this CPU reports a panic, every character goes straight to the debug
 * console. Once the CPU runs the plan, the kernel never waits on a device: each line
 * is built in a per-CPU buffer and published whole, as <moat/log.h> records, into this
 * CPU's kernel log channel, which the log server reads and prints under [kernel]. The
 * write never waits: a full ring is overwritten (its readers count what they lost). A
 * CPU without a channel counts its lines and drops them.
 */
#include <libchannel.h>

#include "core.h"

struct print_cpu {
    bool to_channel;              /* this CPU runs the plan: lines go to its channel */
    bool has_channel;             /* the policy gave this CPU a kernel log channel */
    bool console_line_ended;      /* panic: the console's open line was ended once */
    uint32_t record;              /* the record of `line` being filled */
    struct channel_writer writer; /* this CPU's kernel log; inactive when it has none */
    struct klog_record line[MOAT_LOG_RECORD_MAX];
    uint64_t lines_dropped;       /* lines a CPU without a channel could not log (for a debugger) */
};

static struct print_cpu print_cpus[MOAT_MAX_CPUS];

static struct print_cpu *print_self(void)
{
    uint32_t cpu = arch_cpu_id();
    return &print_cpus[cpu < MOAT_MAX_CPUS ? cpu : 0u];
}

/* Publish the buffered records, the last one marked as ending the line or not. */
static void print_publish(struct print_cpu *p, bool line_ends)
{
    uint32_t count = p->record + 1u;
    tsc_t now = arch_now();
    /*@ loop invariant 0 <= i <= count;
        loop invariant \forall integer j; 0 <= j < MOAT_LOG_RECORD_MAX ==>
          p->line[j].length == \at(p->line[j].length, LoopEntry);
        loop assigns i, p->line[0 .. count - 1].tsc, p->line[0 .. count - 1].flags; */
    for (uint32_t i = 0; i < count; i++) {
        p->line[i].tsc = now;
        p->line[i].flags = (i + 1u < count || !line_ends) ? (uint16_t)MOAT_LOG_CONTINUED : 0u;
    }
    if (p->has_channel) {
        /* For WP, which does not see a record array as bytes: p->line holds count
         * records of writer.element_size bytes; the stores above went to p->line, and
         * the writer is as print_ok had it. */
        /*@ admit \valid_read((const unsigned char *)p->line + (0 .. count * p->writer.element_size - 1)); */
        /*@ admit channel_writer_ok(&p->writer); */
        channel_write_batch(&p->writer, p->line, count);
    } else if (line_ends) {
        p->lines_dropped++;
    }
    /*@ loop invariant 0 <= i <= count;
        loop invariant \forall integer j; 0 <= j < i ==> p->line[j].length == 0;
        loop assigns i, p->line[0 .. count - 1].length; */
    for (uint32_t i = 0; i < count; i++) {
        p->line[i].length = 0;
    }
    p->record = 0;
}

/* True when this CPU writes to the console: at boot, and in its own panic. */
static bool print_to_console(struct print_cpu *p)
{
    if (!p->to_channel) {
        return true;
    }
    if (ATOMIC_LOAD(&core_shared.panicking) != arch_cpu_id() + 1u) {
        return false;
    }
    if (!p->console_line_ended) {
        /* The log server may be in the middle of a line; what this CPU had is lost. */
        p->console_line_ended = true;
        arch_console_putc('\n');
    }
    return true;
}

static void print_char(char c)
{
    struct print_cpu *p = print_self();
    if (print_to_console(p)) {
        arch_console_putc(c);
        return;
    }
    struct klog_record *r = &p->line[p->record];
    if (r->length == MOAT_LOG_TEXT_MAX) {
        if (p->record + 1u < MOAT_LOG_RECORD_MAX) {
            p->record++;
        } else {
            print_publish(p, false);
        }
        r = &p->line[p->record];
    }
    r->text[r->length++] = (uint8_t)c;
}

void print_use_channel(void)
{
    struct print_cpu *p = print_self();
    paddr_t base = tables->klog_phys[arch_cpu_id()];
    uint64_t size = tables->klog_size;
    void *mem = (base != 0u && size != 0u) ? arch_phys_map(base, size) : NULL;
    /* A new epoch per boot, so a reader that outlives a reboot resynchronises. */
    p->has_channel = mem != NULL &&
                     channel_writer_init(&p->writer, mem, (size_t)size, MOAT_LOG_PROTOCOL,
                                         sizeof(struct moat_log_record), arch_now() | 1u) == 0;
    p->record = 0;
    p->line[0].length = 0;
    p->to_channel = true;
}

void print_str(const char *s)
{
    /*@ loop invariant 0 <= i <= 256 && \forall integer j; 0 <= j < i ==> s[j] != 0;
        loop invariant print_ok;
        loop assigns i, PRINT_STATE; */
    for (uint32_t i = 0; i < 256u && s[i] != '\0'; i++) {
        print_char(s[i]);
    }
}

void print_dec(uint64_t v)
{
    char buf[20];
    uint32_t n = 0;
    /*@ loop invariant 0 <= n < 20;
        loop assigns n, v, buf[0 .. 19]; */
    do {
        buf[n++] = (char)('0' + (v % 10u));
        v /= 10u;
    } while (v != 0u && n < sizeof(buf));
    /*@ loop invariant 0 <= n <= 20 && print_ok;
        loop assigns n, PRINT_STATE; */
    while (n > 0u) {
        print_char(buf[--n]);
    }
}

void print_hex(uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    bool started = false;
    print_str("0x");
    /*@ loop invariant shift % 4 == 0 && 0 <= shift <= 64 && print_ok;
        loop assigns shift, started, PRINT_STATE; */
    for (uint32_t shift = 64; shift > 0u; shift -= 4u) {
        uint32_t d = (uint32_t)((v >> (shift - 4u)) & 0xfu);
        if (d != 0u || started || shift == 4u) {
            print_char(digits[d]);
            started = true;
        }
    }
}

void print_nl(void)
{
    struct print_cpu *p = print_self();
    if (print_to_console(p)) {
        arch_console_putc('\n');
        return;
    }
    print_publish(p, true);
}

/*
 * Power actions wait for the kernel log's reader: its notice and everything logged
 * before it are still in channels. The reader (the log server) yields only after a pass
 * over all its channels found nothing; its second yield after the request ends a pass
 * that began after the request, so everything logged before it has been printed. A
 * reader that never yields (stopped, broken) delays the action by POWER_WAIT_MS at most.
 */
#define POWER_WAIT_MS 1000u

static uint32_t power_pending;  /* 0, or 1 + the MOAT_ACTION_* waiting (any CPU) */
static tsc_t power_deadline;    /* stored after power_pending; 0 until then */
static uint32_t power_yields;   /* reader yields since the request */

static _Noreturn void print_power_now(uint32_t action)
{
    if (action == MOAT_ACTION_POWEROFF) {
        arch_poweroff(false);
    }
    arch_reboot();
}

void print_power_request(uint8_t action, subject_id_t from)
{
    if (tables->klog_size == 0u || tables->klog_reader == MOAT_SUBJECT_IDLE) {
        print_power_now(action);
    }
    uint32_t none = 0;
    if (ATOMIC_CAS(&power_pending, &none, 1u + (uint32_t)action)) {
        ATOMIC_STORE(&power_deadline, arch_now() + (uint64_t)POWER_WAIT_MS * arch_tsc_khz());
    }
    /* The request does not return: the system only runs on so the reader can print. */
    if (from != tables->klog_reader) {
        ATOMIC_STORE(&core_subject(from)->state, (uint8_t)SUBJECT_STOPPED);
    }
}

void print_power_on_yield(subject_id_t id)
{
    uint32_t pending = ATOMIC_LOAD(&power_pending);
    if (pending != 0u && id == tables->klog_reader &&
        ATOMIC_FETCH_ADD(&power_yields, 1u) + 1u >= 2u) {
        print_power_now(pending - 1u);
    }
}

void print_power_check(tsc_t now)
{
    uint32_t pending = ATOMIC_LOAD(&power_pending);
    tsc_t deadline = ATOMIC_LOAD(&power_deadline);
    if (pending != 0u && deadline != 0u && now >= deadline) {
        print_power_now(pending - 1u);
    }
}

void print_reset(void)
{
    for (uint32_t i = 0; i < MOAT_MAX_CPUS; i++) {
        print_cpus[i].to_channel = false;
        print_cpus[i].has_channel = false;
        print_cpus[i].console_line_ended = false;
        print_cpus[i].lines_dropped = 0;
    }
    ATOMIC_STORE(&power_pending, 0u);
    ATOMIC_STORE(&power_deadline, 0u);
    ATOMIC_STORE(&power_yields, 0u);
}
