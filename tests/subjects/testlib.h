/*
 * Test-subject helpers (test code only, not the SDK): console output and lookup of sinfo
 * resources by name. Output goes line by line into the subject's log channel (SDK
 * <moat/log.h>, a `<subject>.log` channel the subject writes), which the system's log
 * server prints on COM1 as `[subject] line`; no test subject owns the UART, so kernel
 * lines ([kernel], from the kernel log) and subject lines never interleave.
 */
#ifndef MOAT_TESTLIB_H
#define MOAT_TESTLIB_H

#include <stdbool.h>
#include <stdint.h>

#include <moat/log.h>
#include <moat/subject.h>

static inline void t_outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t t_inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* The line being built; it is logged whole at its '\n'. */
struct t_line {
    char text[MOAT_LOG_LINE_MAX];
    uint32_t length;
};

static inline struct t_line *t_line(void)
{
    static struct t_line line;
    return &line;
}

static inline void t_putc(char c)
{
    struct t_line *l = t_line();
    if (c == '\n') {
        l->text[l->length] = '\0';
        (void)moat_log("%s", l->text);
        l->length = 0;
    } else if (l->length + 1u < sizeof(l->text)) {
        l->text[l->length++] = c;
    }
}

static inline void t_puts(const char *s)
{
    for (; *s != '\0'; s++) {
        t_putc(*s);
    }
}

static inline void t_putu(uint64_t v)
{
    char buf[20];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n > 0) {
        t_putc(buf[--n]);
    }
}

/* AVX usable: the CPU has it and the OS (the kernel) enabled its state in XCR0. */
static inline bool t_have_avx(void)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1u), "c"(0u));
    if ((c & (1u << 27)) == 0u || (c & (1u << 28)) == 0u) {
        return false;
    }
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0u));
    return (lo & 0x6u) == 0x6u;
}

static inline bool t_streq(const char *a, const char *b)
{
    for (; *a != '\0' && *a == *b; a++, b++) {
    }
    return *a == *b;
}

/* The resource called `name` of kind `kind`, or 0. */
static inline const struct moat_sinfo_resource *t_resource(const char *name, uint32_t kind)
{
    const struct moat_sinfo *si = moat_sinfo_page;
    for (uint32_t i = 0; i < si->resource_count; i++) {
        if (si->resources[i].kind == kind && t_streq(si->resources[i].name, name)) {
            return &si->resources[i];
        }
    }
    return 0;
}

/* The id of an event by name (send or receive side); a missing one stops the subject. */
static inline unsigned t_event(const char *name, uint32_t kind)
{
    const struct moat_sinfo_resource *r = t_resource(name, kind);
    if (r == 0) {
        t_puts("testlib: no event ");
        t_puts(name);
        t_puts("\n");
        __builtin_trap();
    }
    return r->id;
}

/*
 * Returns once the log server has printed every line logged so far: sends "flush" and
 * waits for "flushed" (the log server's optional handshake; the policy routes both
 * between this subject and the log server). A subject that is about to lose its log
 * channel (a fault restarts it, which wipes the channel) or whose next act lets another
 * subject power off calls it first, so no line is lost or printed late however the host
 * delays the log server's frames. Any other incoming event while waiting is dropped.
 */
static inline void t_flush(void)
{
    unsigned flushed = t_event("flushed", MOAT_RES_EVENT_RECV);
    moat_event_send(t_event("flush", MOAT_RES_EVENT_SEND));
    while (moat_event_wait() != (int)flushed) {
    }
}

#endif /* MOAT_TESTLIB_H */
