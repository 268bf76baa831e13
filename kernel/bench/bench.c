/*
 * Kernel path benchmark, the measuring subject (CPU 0; kernel/bench/README in
 * docs/benchmarks.md). Under QEMU `-icount shift=0` one TSC tick is one guest
 * instruction, so a span between two rdtsc reads is the instructions retired in between.
 * It first checks that (a calibrated loop), then times each kernel call path from
 * ring 3: rdtsc, syscall, rdtsc, minus the same sequence without the syscall. Each
 * sample is taken only where it ends before the frame does, so no frame switch lands in
 * one. With a "wake" event it also times a notify to the waiter on CPU 1 (waiter.c).
 * Lines: `bench: PATH min N median N samples N`, then the poweroff.
 */
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "bench.h"

#define SAMPLES 64u
/* A deadline no run reaches (about 17 minutes of instructions at 1 GHz). */
#define FAR_AWAY 0x10000000000ull

static uint32_t samples[SAMPLES];
static uint32_t sample_count;

/*
 * rdtsc to rdtsc around `syscall` (kernel call `number`), low 32 bits; *result = rax,
 * *returned = the second rdtsc. Not inlined: its syscall has one address (a label). Then `pause`: under -icount QEMU runs all CPUs in turn
 * on one thread, and a vCPU keeps running until it halts, pauses or uses up its slice;
 * so another CPU woken by this call (an IPI) runs right after the pause, never inside
 * the span.
 */
__attribute__((noinline)) static uint32_t kcall_span(uint64_t number, uint64_t arg0,
                                                     uint64_t arg1, int64_t *result,
                                                     uint32_t *returned)
{
    register uint64_t r10 __asm__("r10") = number;
    register uint64_t r9 __asm__("r9");
    uint32_t span;
    __asm__ volatile("rdtsc\n\t"
                     "mov %%eax, %%r8d\n\t"
                     "mov %%r10, %%rax\n\t"
                     /* attribute.py single-steps the kernel from here. */
                     ".globl bench_kcall_syscall\n"
                     "bench_kcall_syscall: syscall\n\t"
                     "mov %%rax, %%r10\n\t"
                     "rdtsc\n\t"
                     "mov %%eax, %%r9d\n\t"
                     "pause\n\t"
                     "sub %%r8d, %%eax"
                     : "=a"(span), "+r"(r10), "+D"(arg0), "+S"(arg1), "=r"(r9)
                     :
                     : "rcx", "rdx", "r8", "r11", "memory");
    *result = (int64_t)r10;
    *returned = (uint32_t)r9;
    return span;
}

/* The same sequence without the syscall: what kcall_span adds to any call. */
static uint32_t kcall_span_empty(void)
{
    register uint64_t r10 __asm__("r10") = 0;
    uint32_t span;
    __asm__ volatile("rdtsc\n\t"
                     "mov %%eax, %%r8d\n\t"
                     "mov %%r10, %%rax\n\t"
                     "mov %%rax, %%r10\n\t"
                     "rdtsc\n\t"
                     "sub %%r8d, %%eax"
                     : "=a"(span), "+r"(r10)
                     :
                     : "rdx", "r8", "memory");
    return span;
}

/* rdtsc to rdtsc around a loop of exactly 2 * n instructions (dec, jnz). */
static uint32_t loop_span(uint32_t n)
{
    uint32_t span;
    __asm__ volatile("rdtsc\n\t"
                     "mov %%eax, %%r8d\n\t"
                     "mov %1, %%ecx\n\t"
                     "1: dec %%ecx\n\t"
                     "jnz 1b\n\t"
                     "rdtsc\n\t"
                     "sub %%r8d, %%eax"
                     : "=&a"(span)
                     : "r"(n)
                     : "rcx", "rdx", "r8", "memory");
    return span;
}

/* The frame this subject is in: its start and its length (measured once). */
static uint64_t frame_start;
static uint64_t frame_length;
static uint32_t frames;

static void next_frame(void)
{
    moat_yield();
    frame_start = moat_rdtsc();
    frames++;
}

/* Spins through one whole frame of its own: its length is the last TSC read before the
 * gap (the other subjects' frames) minus the first. */
static void measure_frame(void)
{
    next_frame();
    uint64_t last = frame_start;
    for (;;) {
        uint64_t t = moat_rdtsc();
        if (t - last > BENCH_GAP) {
            frame_length = last - frame_start;
            frame_start = t;
            return;
        }
        last = t;
    }
}

/* Room for a sample of up to `cost` in this frame, with a margin; else the next frame. */
static void make_room(uint64_t cost)
{
    if (moat_rdtsc() - frame_start + 2u * cost + BENCH_GAP > frame_length) {
        next_frame();
    }
}

static int done_event = -1;

/* Ends the run: the "done" event is a poweroff (the kernel waits for the log server). */
static _Noreturn void power_off(void)
{
    (void)moat_event_send((unsigned)done_event);
    for (;;) {
        moat_yield();
    }
}

static void fail(const char *what, int64_t value)
{
    moat_log("bench: FAILED: %s %lld", what, (long long)value);
    power_off();
}

static void report(const char *path)
{
    bench_sort(samples, sample_count);
    moat_log("bench: %s min %u median %u samples %u", path, samples[0],
             samples[sample_count / 2u], sample_count);
}

/* Under -icount shift=0 a loop of k instructions reads k ticks: else every number is
 * something else and the run must not print a table. */
static uint32_t calibrate(void)
{
    next_frame();
    uint32_t empty = loop_span(1u);
    uint32_t short_loop = loop_span(1000u) - empty;
    uint32_t long_loop = loop_span(1000000u) - empty;
    if (short_loop != 2u * 999u || long_loop != 2u * 999999u) {
        moat_log("bench: CALIBRATION FAILED: loops of %u and %u instructions read %u and %u "
                 "TSC ticks (run under -icount shift=0)",
                 2u * 999u, 2u * 999999u, short_loop, long_loop);
        power_off();
    }
    uint32_t base = kcall_span_empty();
    moat_log("bench: calibration: loops of %u and %u instructions read %u and %u TSC ticks; "
             "rdtsc to rdtsc around a call, no call: %u",
             2u * 999u, 2u * 999999u, short_loop, long_loop, base);
    return base;
}

/* SAMPLES round trips of kernel call `number`, each expected to return `expect`. */
static void time_kcall(const char *path, uint64_t number, uint64_t arg0, uint64_t arg1,
                       int64_t expect, uint32_t base)
{
    uint64_t worst = BENCH_GAP;
    sample_count = 0;
    while (sample_count < SAMPLES) {
        make_room(worst);
        int64_t result;
        uint32_t returned;
        uint32_t span = kcall_span(number, arg0, arg1, &result, &returned) - base;
        if (result != expect) {
            fail(path, result);
        }
        worst = span > worst ? span : worst;
        samples[sample_count++] = span;
    }
    report(path);
}

/*
 * A notify to the waiter on CPU 1 (waiter.c), each sent while it waits. The receiver's
 * path: from kcall_span's rdtsc after the syscall (the IPI is sent by then) to the
 * waiter's first rdtsc after its event_wait returned, less what else lies between:
 * here the mov and the pause, there the one mov before its rdtsc, and the rdtsc itself
 * (WAKE_OTHERS). Under -icount both CPUs share one instruction clock and only one runs
 * at a time, so that difference is the instructions the waiter's CPU ran from the IPI
 * to the waiter's first instruction. Also the sender's round trip (with the IPI).
 */
#define WAKE_OTHERS 4u

static void time_wake(unsigned wake, uint32_t base)
{
    struct moat_channel_info info;
    if (moat_channel("waiter.tsc", &info) != 0) {
        fail("no channel waiter.tsc", 0);
    }
    const volatile struct bench_wake *w =
        (const volatile struct bench_wake *)(uintptr_t)(info.address + BENCH_PAYLOAD);
    static uint32_t sender[SAMPLES];
    uint64_t worst = BENCH_GAP;
    uint32_t first_frame = frames;
    sample_count = 0;
    while (sample_count < SAMPLES) {
        make_room(worst);
        if (frames - first_frame > SAMPLES) {
            fail("wake: samples in 64 frames", sample_count); /* the waiter never waits */
        }
        /* The waiter announces each wait just before its call; a pause lets its CPU run
         * up to its halt in the kernel. */
        uint32_t seq = w->wakes;
        if (w->waiting != seq + 1u) {
            __asm__ volatile("pause");
            continue;
        }
        int64_t result;
        uint32_t returned;
        uint32_t span = kcall_span(MOAT_KCALL_EVENT_SEND, wake, 0, &result, &returned) - base;
        if (result != 0) {
            fail("wake: event_send", result);
        }
        if (w->wakes != seq + 1u) {
            continue; /* it did not wake at the pause: no sample */
        }
        uint32_t receiver = w->woke_tsc - returned - WAKE_OTHERS;
        worst = span > worst ? span : worst;
        sender[sample_count] = span;
        samples[sample_count++] = receiver;
    }
    report("wake-receiver");
    for (uint32_t i = 0; i < SAMPLES; i++) {
        samples[i] = sender[i];
    }
    report("wake-sender");
}

int main(void)
{
    int poke = moat_event_outgoing("poke");
    int tick = moat_event_incoming("tick");
    int wake = moat_event_outgoing("wake");
    done_event = moat_event_outgoing("done");
    if (done_event < 0) {
        return 1;
    }
    if (poke < 0 || tick < 0) {
        fail("policy without events poke/tick", 0);
    }
    measure_frame();
    uint32_t base = calibrate();
    time_kcall("kcall-invalid", BENCH_KCALL_INVALID, 0, 0, MOAT_ERR_NO_CALL, base);
    time_kcall("event-poll", MOAT_KCALL_EVENT_POLL, 0, 0, MOAT_ERR_NONE_PENDING, base);
    time_kcall("event-send", MOAT_KCALL_EVENT_SEND, (uint64_t)poke, 0, 0, base);
    time_kcall("timer-set", MOAT_KCALL_TIMER_SET, FAR_AWAY, (uint64_t)tick, 0, base);
    (void)moat_timer_set(0, (unsigned)tick);
    if (wake >= 0) {
        time_wake((unsigned)wake, base);
    }
    /* The spinners (switch.c) report after BENCH_SWITCH_FRAMES major frames. */
    for (uint32_t i = 0; i < BENCH_SWITCH_FRAMES + 4u; i++) {
        moat_yield();
    }
    moat_log("bench: done");
    power_off();
}
