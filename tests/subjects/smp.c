/*
 * Multicore test subjects (one image; the role is the subject's name). Only the subject
 * on CPU 0 of each system owns COM1; the others send their results to it through a
 * "report" channel, so no two CPUs ever write the UART at once.
 *  - producer / reader1..3 (smp-stream): the producer streams sequence-numbered
 *    elements; each reader checks every element and accounts for every one it did not
 *    get as an overrun loss (reader3 is slow on purpose). The producer prints each
 *    reader's report.
 *  - ping / pong (smp-pingpong): ping stamps the TSC into "stamp" and notifies pong on
 *    the other CPU, which is waiting in its own frame; pong returns how long its wake-up
 *    took (TSC synchronised across CPUs). Ping prints the distribution.
 *  - boss / follower1..3 (smp-plans): each records the start of its frames (one per major
 *    frame); boss switches to a plan with a longer major frame; everyone finds the first
 *    frame of the new plan; boss compares the instants.
 *  - witness0 / witness1 (smp-timing): frame starts against the plan on each CPU (drift
 *    per major frame, phase), boss-style report; crasher faults on CPU 1 meanwhile.
 */
#include <libchannel.h>

#include "testlib.h"

#define PROTOCOL_STREAM 0x5e1u
#define PROTOCOL_REPORT 0x5e2u
#define STREAM_TOTAL    72000u
#define STREAM_BATCH    24u
#define PINGS           400u
#define PLAN_FRAMES     60u

struct element {
    uint64_t seq;
    uint64_t check;
    uint64_t pad[2];
};

/* What a subject on CPU n > 0 tells the one on CPU 0. */
struct report {
    uint64_t done;
    uint64_t value[6];
};

static uint64_t check_of(uint64_t seq)
{
    return seq * 0x9e3779b97f4a7c15ull ^ 0x5a5a5a5a5a5a5a5aull;
}

static void put_kv(const char *key, uint64_t v)
{
    t_puts(" ");
    t_puts(key);
    t_puts(" ");
    t_putu(v);
}

static bool writer_open(struct channel_writer *w, const char *name, uint64_t protocol, size_t size)
{
    const struct moat_sinfo_resource *ch = t_resource(name, MOAT_RES_CHANNEL);
    return ch != 0 && channel_writer_init(w, (void *)(uintptr_t)ch->address, ch->size, protocol,
                                          size, moat_rdtsc() | 1u) == 0;
}

static bool reader_open(struct channel_reader *r, const char *name, uint64_t protocol, size_t size)
{
    const struct moat_sinfo_resource *ch = t_resource(name, MOAT_RES_CHANNEL);
    return ch != 0 && channel_reader_init(r, (const void *)(uintptr_t)ch->address, ch->size,
                                          protocol, size) == 0;
}

/* Send a final report to CPU 0 and idle from then on. */
static int report_and_idle(struct channel_writer *w, const uint64_t *v, uint32_t n)
{
    struct report rep = {1u, {0}};
    for (uint32_t i = 0; i < n && i < 6u; i++) {
        rep.value[i] = v[i];
    }
    channel_write(w, &rep);
    for (;;) {
        moat_yield();
    }
}

/* A report in `r` now (reading it); false if there is none yet. */
static bool report_poll(struct channel_reader *r, struct report *out)
{
    struct report rep;
    for (uint32_t i = 0; i < 8u; i++) {
        enum channel_result res = channel_read(r, &rep);
        if (res == CHANNEL_SUCCESS && rep.done == 1u) {
            *out = rep;
            return true;
        }
        if (res == CHANNEL_NO_DATA || res == CHANNEL_INACTIVE) {
            return false;
        }
    }
    return false;
}

/* A report in `r`, waiting up to `frames` own frames; false if none came. */
static bool report_get(struct channel_reader *r, struct report *out, uint32_t frames)
{
    for (uint32_t f = 0; f < frames; f++) {
        if (report_poll(r, out)) {
            return true;
        }
        moat_yield();
    }
    return false;
}

static const char *const report_names[4] = {"", "report1", "report2", "report3"};

/* The report of CPU k's subject: 1 got it, 0 the system has no such channel, -1 none
 * came within `frames` own frames. */
static int report_of(uint32_t k, struct report *rep, uint32_t frames)
{
    struct channel_reader r;
    if (t_resource(report_names[k], MOAT_RES_CHANNEL) == 0) {
        return 0;
    }
    if (!reader_open(&r, report_names[k], PROTOCOL_REPORT, sizeof(struct report)) ||
        !report_get(&r, rep, frames)) {
        return -1;
    }
    return 1;
}

/* ---- smp-stream ---- */

static int producer(void)
{
    struct channel_writer w;
    if (!writer_open(&w, "stream", PROTOCOL_STREAM, sizeof(struct element))) {
        t_puts("stream: no channel\n");
        return 1;
    }
    /* Let every reader see the epoch before the first element. */
    for (uint32_t i = 0; i < 20u; i++) {
        moat_yield();
    }
    uint64_t frames = 0;
    for (uint64_t seq = 0; seq < STREAM_TOTAL; frames++) {
        for (uint32_t i = 0; i < STREAM_BATCH && seq < STREAM_TOTAL; i++, seq++) {
            struct element e = {seq, check_of(seq), {seq, ~seq}};
            channel_write(&w, &e);
        }
        moat_yield();
    }
    t_puts("stream: wrote");
    put_kv("elements", STREAM_TOTAL);
    put_kv("in frames", frames);
    t_puts("\n");
    uint32_t readers = 0;
    for (uint32_t k = 1; k <= 3u; k++) {
        struct report rep;
        int got = report_of(k, &rep, 5000u);
        if (got <= 0) {
            t_puts(got < 0 ? "stream: a reader never reported\n" : "");
            continue;
        }
        uint64_t received = rep.value[0], lost = rep.value[1], corrupt = rep.value[2];
        uint64_t unaccounted = rep.value[3], overruns = rep.value[4];
        t_puts("stream: reader");
        t_putu(k);
        put_kv("received", received);
        put_kv("lost", lost);
        put_kv("overruns", overruns);
        put_kv("corrupt", corrupt);
        put_kv("unaccounted", unaccounted);
        t_puts(corrupt == 0u && unaccounted == 0u && received + lost == STREAM_TOTAL ? " ok\n"
                                                                                  : " BAD\n");
        if (k == 3u) {
            t_puts(overruns > 0u && lost > 0u ? "stream: the slow reader3 was overrun\n"
                                              : "stream: the slow reader3 was NEVER overrun\n");
        }
        readers++;
    }
    t_puts("stream: readers reported ");
    t_putu(readers);
    t_puts("\n");
    moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
    return 0;
}

/* Reader 3 reads at most SLOW_READS elements per frame, a third of what the producer
 * writes: the producer laps it again and again, and every element it misses must be
 * reported as lost. */
#define SLOW_READS 8u

static int reader(uint32_t k)
{
    struct channel_reader r;
    struct channel_writer rep;
    if (!reader_open(&r, "stream", PROTOCOL_STREAM, sizeof(struct element)) ||
        !writer_open(&rep, report_names[k], PROTOCOL_REPORT, sizeof(struct report))) {
        return 1;
    }
    uint64_t next = 0; /* the sequence number expected next */
    uint64_t received = 0, corrupt = 0, unaccounted = 0, overruns = 0;
    uint64_t lost_before = 0;
    uint32_t per_frame = k == 3u ? SLOW_READS : 4096u;
    while (next < STREAM_TOTAL) {
        for (uint32_t i = 0; i < per_frame; i++) {
            struct element e;
            enum channel_result res = channel_read(&r, &e);
            if (res == CHANNEL_NO_DATA || res == CHANNEL_INACTIVE) {
                break;
            }
            if (res == CHANNEL_OVERRUN) {
                overruns++;
                continue;
            }
            if (res != CHANNEL_SUCCESS) {
                continue;
            }
            if (e.check != check_of(e.seq) || e.pad[0] != e.seq || e.pad[1] != ~e.seq) {
                corrupt++;
                continue;
            }
            /* Every gap must be exactly what the reader was told it lost. */
            uint64_t lost_now = channel_lost(&r);
            if (e.seq < next || e.seq - next != lost_now - lost_before) {
                unaccounted++;
            }
            lost_before = lost_now;
            received++;
            next = e.seq + 1u;
        }
        moat_yield();
    }
    uint64_t v[5] = {received, channel_lost(&r), corrupt, unaccounted, overruns};
    return report_and_idle(&rep, v, 5);
}

/* ---- smp-pingpong ---- */

static void insert_sorted(uint64_t *v, uint64_t count, uint64_t x)
{
    uint64_t j = count;
    for (; j > 0u && v[j - 1u] > x; j--) {
        v[j] = v[j - 1u];
    }
    v[j] = x;
}

static uint64_t latencies[PINGS];

static int ping(void)
{
    struct channel_writer stamp;
    struct channel_reader back;
    unsigned to_pong = t_event("ping", MOAT_RES_EVENT_SEND);
    uint64_t khz = moat_sinfo_page->tsc_khz;
    if (!writer_open(&stamp, "stamp", PROTOCOL_REPORT, sizeof(struct report)) ||
        !reader_open(&back, "back", PROTOCOL_REPORT, sizeof(struct report))) {
        return 1;
    }
    for (uint32_t i = 0; i < 5u; i++) {
        moat_yield();
    }
    uint64_t n = 0, missing = 0;
    uint64_t round_min = UINT64_MAX;
    for (uint64_t round = 1; round <= PINGS; round++) {
        struct report s = {round, {moat_rdtsc(), 0}};
        channel_write(&stamp, &s);
        moat_event_send(to_pong);
        (void)moat_event_wait(); /* pong's answer */
        uint64_t t = moat_rdtsc();
        struct report a;
        bool got = false;
        while (channel_read(&back, &a) != CHANNEL_NO_DATA) {
            got = got || a.done == round;
            if (a.done == round) {
                insert_sorted(latencies, n++, a.value[0]);
                round_min = t - s.value[0] < round_min ? t - s.value[0] : round_min;
            }
        }
        missing += got ? 0u : 1u;
    }
    uint64_t median = n == 0u ? 0u : latencies[n / 2u];
    t_puts("pingpong: rounds ");
    t_putu(n);
    put_kv("missing", missing);
    t_puts("\npingpong: wake-up latency ticks median ");
    t_putu(median);
    put_kv("p90", n == 0u ? 0u : latencies[n * 9u / 10u]);
    put_kv("max", n == 0u ? 0u : latencies[n - 1u]);
    t_puts("\npingpong: wake-up latency median us ");
    t_putu(median * 1000u / khz);
    t_puts("\npingpong: fastest round trip us ");
    t_putu(round_min * 1000u / khz);
    t_puts("\n");
    moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
    return 0;
}

static int pong(void)
{
    struct channel_reader stamp;
    struct channel_writer back;
    unsigned to_ping = t_event("pong", MOAT_RES_EVENT_SEND);
    if (!reader_open(&stamp, "stamp", PROTOCOL_REPORT, sizeof(struct report)) ||
        !writer_open(&back, "back", PROTOCOL_REPORT, sizeof(struct report))) {
        return 1;
    }
    for (;;) {
        (void)moat_event_wait();
        uint64_t t = moat_rdtsc();
        struct report s;
        for (uint32_t i = 0; i < 16u; i++) {
            enum channel_result res = channel_read(&stamp, &s);
            if (res == CHANNEL_NO_DATA) {
                break;
            }
            if (res == CHANNEL_SUCCESS) {
                struct report a = {s.done, {t > s.value[0] ? t - s.value[0] : 0u, 0}};
                channel_write(&back, &a);
            }
        }
        moat_event_send(to_ping);
    }
}

/* ---- smp-plans ---- */

/*
 * Own frame starts (yield returns at the next one), and where the longer plan began.
 * A start can be late (host load under emulation), so each start is first moved to its
 * planned instant on the old plan's grid (period `old`, phase fitted to the first
 * OLD_PLAN_FRAMES starts, which precede any switch): planned instants are whole
 * multiples of `old` apart, 1 in the old plan and 2 in the new one. The switch is the
 * first planned start after the last gap of one period.
 */
#define OLD_PLAN_FRAMES 16u
static uint64_t starts[PLAN_FRAMES];

static uint64_t late_on_grid(uint64_t t, uint64_t phase, uint64_t period)
{
    uint64_t o = t % period;
    return o >= phase ? o - phase : o + period - phase;
}

/* The grid point t belongs to. The fitted phase can itself be a little late (the first
 * frames run cold code under emulation), so a start up to 1/16 period before it counts
 * as early; anything else as late (up to 15/16 of a period, 15 ms here). */
static uint64_t planned_on_grid(uint64_t t, uint64_t phase, uint64_t period)
{
    uint64_t d = late_on_grid(t, phase, period);
    return d > period - period / 16u ? t + (period - d) : t - d;
}

static uint64_t switch_instant(uint64_t old)
{
    uint64_t phase = 0, best = UINT64_MAX;
    for (uint32_t j = 0; j < OLD_PLAN_FRAMES; j++) {
        uint64_t sum = 0;
        for (uint32_t k = 0; k < OLD_PLAN_FRAMES; k++) {
            sum += late_on_grid(starts[k], starts[j] % old, old);
        }
        if (sum < best) {
            best = sum;
            phase = starts[j] % old;
        }
    }
    uint64_t at = 0;
    uint64_t prev = planned_on_grid(starts[0], phase, old);
    for (uint32_t i = 1; i < PLAN_FRAMES; i++) {
        uint64_t planned = planned_on_grid(starts[i], phase, old);
        if (planned - prev < old + old / 2u) {
            at = 0;
        } else if (at == 0u) {
            at = planned;
        }
        prev = planned;
    }
    return at;
}

static void record_starts(int switch_event, uint32_t switch_at)
{
    for (uint32_t i = 0; i < PLAN_FRAMES; i++) {
        moat_yield();
        starts[i] = moat_rdtsc();
        if ((int)i == (int)switch_at && switch_event >= 0) {
            moat_event_send((unsigned)switch_event);
        }
    }
}

/* Plan "short": major 4 ticks of 4 ms; plan "long": 8 ticks. */
#define PLAN_TICK_US      4000u
#define PLAN_OLD_MAJOR_US 16000u

static int boss(void)
{
    uint64_t khz = moat_sinfo_page->tsc_khz;
    record_starts((int)t_event("to_long", MOAT_RES_EVENT_SEND), 20u);
    uint64_t mine = switch_instant(PLAN_OLD_MAJOR_US * khz / 1000u);
    t_puts("plans: cpu0 switched");
    t_puts(mine != 0u ? "\n" : " NEVER\n");
    uint32_t same = 0, cpus = 1;
    for (uint32_t k = 1; k <= 3u; k++) {
        struct report rep;
        int got = report_of(k, &rep, 2000u);
        cpus += got != 0 ? 1u : 0u;
        if (got <= 0) {
            t_puts(got < 0 ? "plans: a follower never reported\n" : "");
            continue;
        }
        /* Follower k's frame is planned k ticks after the boss's. */
        uint64_t theirs = rep.value[0];
        uint64_t planned = mine + k * PLAN_TICK_US * khz / 1000u;
        uint64_t diff = theirs > planned ? theirs - planned : planned - theirs;
        t_puts("plans: cpu");
        t_putu(k);
        t_puts(" switched us from its planned offset ");
        t_putu(diff * 1000u / khz);
        /* Within half a short major frame means the same one. */
        bool ok = theirs != 0u && mine != 0u && diff * 1000u / khz < PLAN_OLD_MAJOR_US / 2u;
        t_puts(ok ? " same major frame\n" : " DIFFERENT major frame\n");
        same += ok ? 1u : 0u;
    }
    t_puts("plans: ");
    t_putu(same + 1u);
    t_puts(" of ");
    t_putu(cpus);
    t_puts(" CPUs switched at the same major frame\n");
    moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
    return 0;
}

static int follower(uint32_t k)
{
    struct channel_writer w;
    if (!writer_open(&w, report_names[k], PROTOCOL_REPORT, sizeof(struct report))) {
        return 1;
    }
    record_starts(-1, 0);
    uint64_t v[1] = {switch_instant(PLAN_OLD_MAJOR_US * moat_sinfo_page->tsc_khz / 1000u)};
    return report_and_idle(&w, v, 1);
}

/* ---- smp-timing ---- */

#define WIT_MAJOR_US 10000u
#define WIT_GAP_US   4000u
#define WIT_FRAMES   200u
#define WIT_WARMUP   5u

static uint64_t wit_starts[WIT_FRAMES];

/* How late the start of frame k is against the phase the starts fit best, and that
 * phase in absolute TSC modulo the major frame. */
static uint64_t wit_late(uint64_t k, uint64_t phase, uint64_t period)
{
    uint64_t o = wit_starts[k] % period;
    return o >= phase ? o - phase : o + period - phase;
}

struct witness_result {
    uint64_t drift_ns;  /* per major frame, earliest of first vs last quarter */
    uint64_t phase;     /* TSC of the planned starts, modulo the major frame */
    uint64_t p90_us;
    uint64_t worst_us;  /* reported, not bounded: host preemption and the barrier */
};

static struct witness_result witness_measure(void)
{
    uint64_t khz = moat_sinfo_page->tsc_khz;
    uint64_t period = WIT_MAJOR_US * khz / 1000u;
    uint64_t gap = WIT_GAP_US * khz / 1000u;
    uint64_t count = 0;
    uint64_t last = moat_rdtsc();
    while (count < WIT_FRAMES + WIT_WARMUP) {
        uint64_t t = moat_rdtsc();
        if (t - last > gap) {
            if (count >= WIT_WARMUP) {
                wit_starts[count - WIT_WARMUP] = t;
            }
            count++;
        }
        last = t;
    }
    /* The plan's phase: the candidate that makes the starts least late in total. */
    uint64_t phase = 0, best = UINT64_MAX;
    for (uint64_t j = 0; j < WIT_FRAMES; j++) {
        uint64_t cand = wit_starts[j] % period, sum = 0;
        for (uint64_t k = 0; k < WIT_FRAMES; k++) {
            uint64_t o = wit_starts[k] % period;
            sum += o >= cand ? o - cand : o + period - cand;
        }
        if (sum < best) {
            best = sum;
            phase = cand;
        }
    }
    uint64_t q = WIT_FRAMES / 4u, a = UINT64_MAX, b = UINT64_MAX;
    for (uint64_t k = 0; k < q; k++) {
        uint64_t la = wit_late(k, phase, period), lb = wit_late(WIT_FRAMES - q + k, phase, period);
        a = la < a ? la : a;
        b = lb < b ? lb : b;
    }
    static uint64_t late[WIT_FRAMES];
    for (uint64_t k = 0; k < WIT_FRAMES; k++) {
        insert_sorted(late, k, wit_late(k, phase, period));
    }
    struct witness_result r;
    r.drift_ns = b > a ? (b - a) * 1000000u / khz / (WIT_FRAMES - q) : 0u;
    r.phase = phase;
    r.p90_us = late[WIT_FRAMES * 9u / 10u] * 1000u / khz;
    r.worst_us = late[WIT_FRAMES - 1u] * 1000u / khz;
    return r;
}

static int witness0(void)
{
    uint64_t khz = moat_sinfo_page->tsc_khz;
    uint64_t period = WIT_MAJOR_US * khz / 1000u;
    struct witness_result mine = witness_measure();
    /* The other CPUs' results first: nothing else prints on COM1 once they are in. */
    struct report reps[4];
    int got[4] = {0, 0, 0, 0};
    for (uint32_t k = 1; k <= 3u; k++) {
        got[k] = report_of(k, &reps[k], 2000u);
    }
    t_puts("timing: cpu0 frames ");
    t_putu(WIT_FRAMES);
    t_puts("\ntiming: cpu0 drift ns per major frame ");
    t_putu(mine.drift_ns);
    t_puts("\ntiming: cpu0 90th percentile lateness us ");
    t_putu(mine.p90_us);
    t_puts("\ntiming: cpu0 worst lateness us ");
    t_putu(mine.worst_us);
    t_puts("\n");
    uint64_t worst_drift = mine.drift_ns, worst_offset = 0;
    for (uint32_t k = 1; k <= 3u; k++) {
        const struct report *rep = &reps[k];
        if (got[k] <= 0) {
            t_puts(got[k] < 0 ? "timing: a witness never reported\n" : "");
            continue;
        }
        uint64_t d = rep->value[1] > mine.phase ? rep->value[1] - mine.phase : mine.phase - rep->value[1];
        d = d > period / 2u ? period - d : d; /* phases are modulo the major frame */
        t_puts("timing: cpu");
        t_putu(k);
        t_puts(" drift ns per major frame ");
        t_putu(rep->value[0]);
        t_puts("\ntiming: cpu");
        t_putu(k);
        t_puts(" 90th percentile lateness us ");
        t_putu(rep->value[2]);
        t_puts("\ntiming: cpu");
        t_putu(k);
        t_puts(" worst lateness us ");
        t_putu(rep->value[3]);
        t_puts("\ntiming: cpu");
        t_putu(k);
        t_puts(" frame starts offset from cpu0 us ");
        t_putu(d * 1000u / khz);
        t_puts("\n");
        worst_drift = rep->value[0] > worst_drift ? rep->value[0] : worst_drift;
        worst_offset = d > worst_offset ? d : worst_offset;
    }
    t_puts("timing: worst drift ns per major frame ");
    t_putu(worst_drift);
    t_puts("\ntiming: worst offset between CPUs us ");
    t_putu(worst_offset * 1000u / khz);
    t_puts("\n");
    moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
    return 0;
}

static int witness_other(uint32_t k)
{
    struct channel_writer w;
    if (!writer_open(&w, report_names[k], PROTOCOL_REPORT, sizeof(struct report))) {
        return 1;
    }
    struct witness_result r = witness_measure();
    uint64_t v[4] = {r.drift_ns, r.phase, r.p90_us, r.worst_us};
    return report_and_idle(&w, v, 4);
}

/* Faults (invalid opcode) in one of every CRASH_EVERY of its frames and is restarted,
 * which lets it run again in the rest of the frame (it yields first), until witness1 has
 * reported; then it idles, so no audit record is printed while witness0 writes the
 * results. Not every frame: printing an audit record takes milliseconds under TCG, and
 * the next major frame on every CPU waits at the barrier until it is done. */
#define CRASH_EVERY 8u

static int crasher(void)
{
    struct channel_reader r;
    struct report rep;
    uint64_t major = WIT_MAJOR_US * moat_sinfo_page->tsc_khz / 1000u;
    if (!reader_open(&r, "report1", PROTOCOL_REPORT, sizeof(struct report))) {
        return 1;
    }
    bool done = false;
    for (;;) {
        moat_yield();
        done = done || report_poll(&r, &rep);
        if (done) {
            continue;
        }
        if ((moat_rdtsc() / major) % CRASH_EVERY == 0u) {
            __asm__ volatile("ud2");
        }
    }
}

int main(void)
{
    const char *name = moat_sinfo_page->subject_name;
    static const char *const readers[4] = {"", "reader1", "reader2", "reader3"};
    static const char *const followers[4] = {"", "follower1", "follower2", "follower3"};
    static const char *const witnesses[4] = {"", "witness1", "witness2", "witness3"};
    for (uint32_t k = 1; k <= 3u; k++) {
        if (t_streq(name, readers[k])) {
            return reader(k);
        }
        if (t_streq(name, followers[k])) {
            return follower(k);
        }
        if (t_streq(name, witnesses[k])) {
            return witness_other(k);
        }
    }
    if (t_streq(name, "producer")) {
        return producer();
    }
    if (t_streq(name, "ping")) {
        return ping();
    }
    if (t_streq(name, "pong")) {
        return pong();
    }
    if (t_streq(name, "boss")) {
        return boss();
    }
    if (t_streq(name, "witness0")) {
        return witness0();
    }
    if (t_streq(name, "crasher")) {
        return crasher();
    }
    return 2;
}
