/*
 * Timing-isolation test subjects (tests/systems/timing-isolation; one image, the role is
 * the subject's name). Run under QEMU -icount shift=0: one TSC tick is one guest
 * instruction, so every number here is an instruction count and the run is
 * deterministic.
 *
 * Two witnesses (one per CPU) spin through their frames and record, per frame, how late
 * it started against its planned instant, how often the kernel was entered on their CPU
 * inside the frame, and which major frame it was (so a missed frame shows). Attackers
 * each have their own frames and attack only in their phase: phase p is major frames
 * [p*PHASE_MAJORS, (p+1)*PHASE_MAJORS), which every subject computes from its own frame
 * start and the plan start witness0 publishes in the "clock" channel. Phase 1 is idle
 * (the baseline), then one attack per phase, then idle again. witness1 sends its
 * results to witness0 ("report"), which prints one line per attack and CPU and powers
 * off.
 *
 * Under -icount the two CPUs take turns on one host thread and share one virtual clock:
 * while one CPU runs, the other's TSC moves too. So a gap in a witness's TSC reads is no
 * proof that its own CPU was interrupted. The witness tells its own CPU's kernel entries
 * apart by ES: it keeps the null selector there, and every return from the kernel
 * (tramp_exit) reloads the user data selector. The plan gives the other CPU idle frames
 * around each witness frame, so no subject runs there while a witness measures.
 *
 * The frame table below must match system.xml.
 */
#include <libchannel.h>

#include "rtc.h"
#include "testlib.h"

#define MAJOR_TICKS    265u
#define PHASE_MAJORS   8u
#define PROTOCOL_CLOCK 0x150u
#define PROTOCOL_STATS 0x151u

enum phase {
    PHASE_WARMUP,
    PHASE_IDLE,
    PHASE_RESTART_FLOOD,
    PHASE_RESTART_LOCAL,
    PHASE_TIMERS,
    PHASE_FAULT_STORM,
    PHASE_EVENT_FLOOD,
    PHASE_IRQ_FLOOD,
    PHASE_FUZZ,
    /* The VM attacker's phases (tests/vm/guest/vmattack.c, which has these numbers). */
    PHASE_VM_SPIN,
    PHASE_VM_STORM,
    PHASE_VM_REBOOT,
    PHASE_IDLE_AGAIN,
    PHASE_COUNT
};

static const char *const phase_names[PHASE_COUNT] = {
    "warm-up",     "idle",        "restart-flood",    "restart-flood-local", "timer-into-frames",
    "fault-storm", "event-flood", "irq-unmask-flood", "kcall-fuzz",          "vm-spin",
    "vm-exit-storm", "vm-reboot-storm", "idle-again",
};

/* Each subject's frame: its offset in the major frame and its length, in ticks, and the
 * phase it attacks in (PHASE_COUNT: never). */
struct role {
    const char *name;
    uint32_t offset;
    uint32_t ticks;
    enum phase phase;
};

static const struct role roles[] = {
    {"witness0", 0, 5, PHASE_COUNT},
    {"fuzz", 205, 10, PHASE_FUZZ},
    {"timer0", 215, 10, PHASE_TIMERS},
    {"flood", 225, 10, PHASE_RESTART_FLOOD},
    {"notify0", 235, 10, PHASE_EVENT_FLOOD},
    {"sink0", 245, 10, PHASE_COUNT},
    {"crasher", 255, 10, PHASE_FAULT_STORM},
    {"victim", 5, 50, PHASE_COUNT},
    {"witness1", 55, 5, PHASE_COUNT},
    {"flood_local", 205, 10, PHASE_RESTART_LOCAL},
    {"timer1", 215, 5, PHASE_TIMERS},
    {"sink1", 235, 10, PHASE_COUNT},
    {"notify1", 245, 10, PHASE_EVENT_FLOOD},
    {"irq", 260, 5, PHASE_IRQ_FLOOD},
};

static const struct role *me;
static uint64_t tick;   /* TSC ticks per policy tick (100 us) */
static uint64_t major;  /* TSC ticks per major frame */
static uint64_t origin; /* the plan's start as witness0 saw it */

static const struct role *role_of(const char *name)
{
    for (uint32_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (t_streq(roles[i].name, name)) {
            return &roles[i];
        }
    }
    return 0;
}

/* The planned start of `r`'s frame in major frame m. */
static uint64_t planned(const struct role *r, uint64_t m)
{
    return origin + m * major + r->offset * tick;
}

/* The major frame whose frame of `r` contains (or, late, follows) instant t. */
static uint64_t major_of(const struct role *r, uint64_t t)
{
    uint64_t base = origin + r->offset * tick;
    return t + major / 2u < base ? 0u : (t + major / 2u - base) / major;
}

static enum phase phase_of(uint64_t m)
{
    return m / PHASE_MAJORS < PHASE_COUNT ? (enum phase)(m / PHASE_MAJORS) : PHASE_COUNT;
}

static uint64_t frame_end(uint64_t m)
{
    return planned(me, m) + me->ticks * tick;
}

static void *channel_mem(const char *name, uint64_t *size)
{
    const struct moat_sinfo_resource *ch = t_resource(name, MOAT_RES_CHANNEL);
    if (ch == 0) {
        t_puts("isolation: no channel\n");
        __builtin_trap();
    }
    *size = ch->size;
    return (void *)(uintptr_t)ch->address;
}

struct clock {
    uint64_t origin;
    uint64_t pad[7];
};

/* Wait (yielding) until witness0 has published the plan's start. */
static void clock_get(void)
{
    struct channel_reader r;
    uint64_t size;
    const void *mem = channel_mem("clock", &size);
    if (channel_reader_init(&r, mem, size, PROTOCOL_CLOCK, sizeof(struct clock)) != 0) {
        __builtin_trap();
    }
    for (;;) {
        struct clock c;
        if (channel_read(&r, &c) == CHANNEL_SUCCESS) {
            origin = c.origin;
            return;
        }
        if (!channel_has_data(&r)) {
            moat_yield();
        }
    }
}

static void spin_until(uint64_t t)
{
    while (moat_rdtsc() < t) {
    }
}

/* ---- witnesses ---- */

static inline void es_clear(void)
{
    __asm__ volatile("mov %0, %%es" : : "r"(0u));
}

/* True when the kernel returned to this subject since the last es_clear. */
static inline bool es_entered(void)
{
    uint32_t es;
    __asm__ volatile("mov %%es, %0" : "=r"(es));
    return (es & 0xffffu) != 0u;
}

/* What a witness measured in one phase. Lateness is against the planned instant from
 * witness0's first start, itself late by its start-up; results are printed against the
 * earliest start of the idle phase. */
struct stats {
    uint64_t phase;
    uint64_t frames;        /* own frames that started in the phase */
    int64_t worst;          /* latest start (frames after the phase's first) */
    int64_t earliest;       /* earliest start (frames after the phase's first) */
    uint64_t interruptions; /* kernel entries on this CPU inside own frames */
    uint64_t stolen;        /* most ticks lost to them in one frame */
    uint64_t measured;      /* frames whose lateness counts */
    uint64_t worst_major;   /* where the start furthest from the idle phase's was */
};

struct calibration {
    uint64_t loop_ticks;
    uint64_t kcall_ticks;
    uint64_t timer_ticks;
    uint64_t detects; /* 1: a kernel call and an own timer both showed in ES */
    uint64_t pad[4];
};

#define LOOP_ITERATIONS 50000u
/* rdtsc, three moves, then dec + jnz per iteration, up to the second rdtsc. */
#define LOOP_INSTRUCTIONS (2u * LOOP_ITERATIONS + 4u)
#define KCALLS            64u
/* A gap between two TSC reads of the spin loop longer than this is a kernel entry. */
#define ENTRY_MIN 200u

static struct stats results[PHASE_COUNT];
static struct calibration calib;

/* TSC ticks across a loop of exactly LOOP_INSTRUCTIONS instructions. */
static uint64_t timed_loop(void)
{
    uint64_t lo0, hi0, lo1, hi1;
    __asm__ volatile("rdtsc\n\t"
                     "mov %%rax, %0\n\t"
                     "mov %%rdx, %1\n\t"
                     "mov %4, %%ecx\n\t"
                     "1: dec %%ecx\n\t"
                     "jnz 1b\n\t"
                     "rdtsc"
                     : "=&r"(lo0), "=&r"(hi0), "=a"(lo1), "=d"(hi1)
                     : "i"(LOOP_ITERATIONS)
                     : "rcx", "cc");
    return ((hi1 << 32) | (lo1 & 0xffffffffu)) - ((hi0 << 32) | (lo0 & 0xffffffffu));
}

/*
 * The cost of one kernel entry, measured in an own frame while the other CPU idles: a
 * kernel call that does nothing (event_poll with nothing pending), and an own timer
 * interrupt (the gap it leaves in a spin loop). Also checks that ES shows both.
 */
static void calibrate(uint64_t start)
{
    unsigned timer = t_event("calib", MOAT_RES_EVENT_RECV);
    spin_until(start + tick / 2u);
    calib.loop_ticks = timed_loop();
    es_clear();
    uint64_t t0 = moat_rdtsc();
    for (uint32_t i = 0; i < KCALLS; i++) {
        (void)moat_event_poll();
    }
    calib.kcall_ticks = (moat_rdtsc() - t0) / KCALLS;
    bool kcall_seen = es_entered();
    uint64_t deadline = moat_rdtsc() + tick / 4u;
    (void)moat_timer_set(deadline, timer);
    es_clear();
    bool timer_seen = false;
    uint64_t last = moat_rdtsc();
    while (!timer_seen && last < deadline + tick) {
        uint64_t t = moat_rdtsc();
        timer_seen = es_entered();
        if (timer_seen) {
            /* An entry between the TSC read and ES shows in the next gap. */
            uint64_t next = moat_rdtsc();
            calib.timer_ticks = t - last > next - t ? t - last : next - t;
        }
        last = t;
    }
    calib.detects = kcall_seen && timer_seen ? 1u : 0u;
    (void)moat_event_poll();
    es_clear();
}

/*
 * Spin through own frames until the last phase is over, filling results[]. A start is
 * the first TSC read after a gap of more than half a major frame.
 */
static void witness_measure(uint64_t calib_major)
{
    es_clear();
    uint64_t last = moat_rdtsc();
    uint64_t frame_start = last;
    uint64_t frame_major = major_of(me, last);
    uint64_t interruptions = 0, stolen = 0;
    bool entered_before = false;
    for (uint32_t p = 0; p < PHASE_COUNT; p++) {
        results[p].phase = p;
        results[p].worst = INT64_MIN;
        results[p].earliest = INT64_MAX;
    }
    for (;;) {
        bool entered = es_entered();
        uint64_t t = moat_rdtsc();
        entered = es_entered() || entered;
        if (entered) {
            es_clear();
        }
        uint64_t gap = t - last;
        last = t;
        if (gap <= major / 2u) {
            /* ES shows an entry between the TSC read and the ES read one iteration before
             * its gap; an entry is the pair of both. */
            if (gap > ENTRY_MIN && (entered || entered_before)) {
                interruptions++;
                stolen += gap;
                entered = false;
            }
            entered_before = entered;
            continue;
        }
        /* An entry seen without its gap was the preemption at the frame's end. */
        entered_before = false;
        /* The frame that began at frame_start is over: account for it. */
        enum phase p = phase_of(frame_major);
        if (p < PHASE_COUNT) {
            struct stats *s = &results[p];
            s->frames++;
            s->interruptions += interruptions;
            s->stolen = stolen > s->stolen ? stolen : s->stolen;
            if (frame_major % PHASE_MAJORS != 0u) {
                int64_t late = (int64_t)(frame_start - planned(me, frame_major));
                if (late > s->worst) {
                    s->worst = late;
                    s->worst_major = late > -s->earliest ? frame_major : s->worst_major;
                }
                if (late < s->earliest) {
                    s->earliest = late;
                    s->worst_major = -late > s->worst ? frame_major : s->worst_major;
                }
                s->measured++;
            }
        }
        interruptions = 0;
        stolen = 0;
        frame_start = t;
        frame_major = major_of(me, t);
        if (phase_of(frame_major) >= PHASE_COUNT) {
            return;
        }
        if (frame_major == calib_major) {
            calibrate(t);
            last = moat_rdtsc();
        }
    }
}

static void put_signed(int64_t v)
{
    t_puts(v < 0 ? "-" : "+");
    t_putu(v < 0 ? (uint64_t)(-v) : (uint64_t)v);
}

static void put_kv(const char *key, uint64_t v)
{
    t_puts(" ");
    t_puts(key);
    t_puts(" ");
    t_putu(v);
}

static void print_calibration(uint32_t cpu, const struct calibration *c)
{
    t_puts("isolation: cpu");
    t_putu(cpu);
    t_puts(" loop of ");
    t_putu(LOOP_INSTRUCTIONS);
    t_puts(" instructions read ");
    t_putu(c->loop_ticks);
    t_puts(" ticks\nisolation: cpu");
    t_putu(cpu);
    put_kv("kernel call round trip ticks", c->kcall_ticks);
    put_kv("timer interrupt entry ticks", c->timer_ticks);
    t_puts(c->detects == 1u ? " entries seen\n" : " entries NOT seen (ES kept?)\n");
}

/* A start delta for a phase in which no frame could be measured. */
#define NO_FRAME_DELTA 999999999

/*
 * One line per phase. delta: how much further from its planned instant a start was than
 * any in the idle phase, late or early (an early start means the frame before was cut);
 * late/early: the latest and earliest start against the idle phase's earliest; kernel
 * entries inside own frames; frames seen of PHASE_MAJORS. Totals of missed frames and of
 * entries beyond the idle phase's.
 */
static void print_results(uint32_t cpu, const struct stats *r, uint64_t *missed,
                          uint64_t *interrupted)
{
    const struct stats *idle = &r[PHASE_IDLE];
    int64_t base = idle->earliest;
    for (uint32_t p = PHASE_IDLE; p < PHASE_COUNT; p++) {
        const struct stats *s = &r[p];
        t_puts("isolation: ");
        t_puts(phase_names[p]);
        t_puts(" cpu");
        t_putu(cpu);
        t_puts(" delta ");
        if (s->measured == 0u) {
            put_signed(NO_FRAME_DELTA);
            t_puts(" (no frame started)");
        } else {
            int64_t later = s->worst - idle->worst;
            int64_t earlier = idle->earliest - s->earliest;
            put_signed(later > earlier ? later : earlier);
            t_puts(" late ");
            put_signed(s->worst - base);
            t_puts(" early ");
            put_signed(s->earliest - base);
            put_kv("at major", s->worst_major);
        }
        t_puts(" idle ");
        put_signed(idle->worst - base);
        put_kv("frames", s->frames);
        put_kv("of", PHASE_MAJORS);
        put_kv("entries in frames", s->interruptions);
        put_kv("stolen", s->stolen);
        t_puts("\n");
        *missed += s->frames < PHASE_MAJORS ? PHASE_MAJORS - s->frames : 0u;
        *interrupted += s->interruptions > idle->interruptions
                            ? s->interruptions - idle->interruptions
                            : 0u;
    }
}

/* witness1: its calibration and results to witness0, then idle. */
static int witness_report(void)
{
    struct channel_writer w;
    uint64_t size;
    void *mem = channel_mem("report", &size);
    if (channel_writer_init(&w, mem, size, PROTOCOL_STATS, sizeof(struct stats),
                            moat_rdtsc() | 1u) != 0) {
        return 1;
    }
    struct stats c;
    __builtin_memcpy(&c, &calib, sizeof(c));
    channel_write(&w, &c);
    channel_write_batch(&w, results, PHASE_COUNT);
    for (;;) {
        moat_yield();
    }
}

/* witness0: witness1's report, then every line, then poweroff. */
static int witness_print(void)
{
    struct channel_reader r;
    uint64_t size;
    const void *mem = channel_mem("report", &size);
    static struct stats other[PHASE_COUNT + 1u];
    uint32_t got = 0;
    if (channel_reader_init(&r, mem, size, PROTOCOL_STATS, sizeof(struct stats)) != 0) {
        return 1;
    }
    for (uint32_t f = 0; f < 100u && got <= PHASE_COUNT; f++) {
        enum channel_result res = channel_read(&r, &other[got]);
        if (res == CHANNEL_SUCCESS) {
            got++;
        } else if (res != CHANNEL_EPOCH_CHANGED) {
            moat_yield();
        }
    }
    uint64_t missed = 0, interrupted = 0;
    print_calibration(0, &calib);
    if (got > PHASE_COUNT) {
        struct calibration c1;
        __builtin_memcpy(&c1, &other[0], sizeof(c1));
        print_calibration(1, &c1);
    }
    print_results(0, results, &missed, &interrupted);
    if (got > PHASE_COUNT) {
        print_results(1, &other[1], &missed, &interrupted);
    } else {
        t_puts("isolation: witness1 never reported\n");
    }
    t_puts("isolation: missed frames ");
    t_putu(missed);
    t_puts("\nisolation: kernel entries in witness frames beyond idle ");
    t_putu(interrupted);
    t_puts("\n");
    moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
    for (;;) {
        moat_yield();
    }
}

static int witness(uint32_t cpu)
{
    if (cpu == 0u) {
        /* The first start of the plan's first frame: the origin of every planned instant. */
        struct channel_writer w;
        uint64_t size;
        origin = moat_rdtsc();
        struct clock c = {origin, {0}};
        void *mem = channel_mem("clock", &size);
        if (channel_writer_init(&w, mem, size, PROTOCOL_CLOCK, sizeof(c), origin | 1u) != 0) {
            return 1;
        }
        channel_write(&w, &c);
    } else {
        clock_get();
    }
    witness_measure(2u + cpu);
    return cpu == 0u ? witness_print() : witness_report();
}

/* ---- attackers ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return rng_state >> 17 ^ rng_state << 29;
}

/* One frame's attack (m: the major frame, end: the frame's planned end). Returns once
 * the TSC is past end, i.e. when it resumes in a later frame, or after yielding. */
static void attack(uint64_t m, uint64_t end)
{
    const char *name = me->name;
    if (t_streq(name, "flood") || t_streq(name, "flood_local")) {
        /* Its only grant: restart the 16 MiB victim. */
        unsigned restart = t_event(name[5] == '\0' ? "flood_restart" : "local_restart",
                                   MOAT_RES_EVENT_SEND);
        while (moat_rdtsc() < end) {
            moat_event_send(restart);
        }
    } else if (t_streq(name, "timer0") || t_streq(name, "timer1")) {
        /* A deadline inside the same CPU's witness's next frame, at a different point of
         * it each major frame (0..7/8 of the frame in). */
        const struct role *w = role_of(name[5] == '0' ? "witness0" : "witness1");
        unsigned id = t_event("alarm", MOAT_RES_EVENT_RECV);
        uint64_t in = (m % PHASE_MAJORS) * w->ticks * tick / PHASE_MAJORS;
        (void)moat_timer_set(planned(w, m + 1u) + in, id);
        (void)moat_event_poll();
        moat_yield();
    } else if (t_streq(name, "notify0") || t_streq(name, "notify1")) {
        bool zero = name[6] == '0';
        unsigned to_sink = t_event(zero ? "n0_sink" : "n1_sink", MOAT_RES_EVENT_SEND);
        unsigned to_witness = t_event(zero ? "n0_witness" : "n1_witness", MOAT_RES_EVENT_SEND);
        while (moat_rdtsc() < end) {
            moat_event_send(to_sink);
            moat_event_send(to_witness);
        }
    } else if (t_streq(name, "irq")) {
        /* Unmask and acknowledge until the frame ends, which is where witness0's frame
         * begins on the other CPU: the next RTC interrupt (8192 Hz) falls into it. */
        unsigned unmask = t_event("rtc_unmask", MOAT_RES_EVENT_SEND);
        while (moat_rdtsc() < end) {
            (void)rtc_read(RTC_C);
            moat_event_send(unmask);
            (void)moat_event_poll();
        }
    } else if (t_streq(name, "fuzz")) {
        rng_state = moat_rdtsc();
        while (moat_rdtsc() < end) {
            /* Call numbers: half small (not yield, wait or exit, which would end or stop
             * the frame's fuzzing), half any 64-bit value; arguments: any value, or a TSC
             * deadline up to two major frames ahead, and an id below 80. */
            static const uint64_t small[] = {1, 3, 4, 6, 7, 8, 15, 16, 255, 0x80000000u};
            uint64_t r = rng();
            uint64_t number = (r & 1u) != 0u ? small[(r >> 1) % 10u] : rng();
            uint64_t a0 = (r & 2u) != 0u ? moat_rdtsc() + rng() % (2u * major) : rng();
            uint64_t a1 = (r & 4u) != 0u ? rng() % 80u : rng();
            (void)moat_kcall(number, a0, a1);
        }
    } else {
        moat_yield();
    }
}

static int attacker(void)
{
    clock_get();
    for (;;) {
        uint64_t m = major_of(me, moat_rdtsc());
        if (phase_of(m) == me->phase && m % PHASE_MAJORS != PHASE_MAJORS - 1u) {
            attack(m, frame_end(m));
        } else {
            moat_yield();
        }
    }
}

/*
 * Faults again and again (on-fault="restart": every life starts here afresh). Its frame
 * ends where witness0's begins; in the last STORM_WINDOW_TICKS of it, it faults at a
 * chosen distance before the end, another one each major frame, so that the handling of
 * some fault overlaps the frame end.
 */
#define STORM_WINDOW_TICKS 2u

static int crasher(void)
{
    clock_get();
    uint64_t now = moat_rdtsc();
    uint64_t m = major_of(me, now);
    while (phase_of(m) != me->phase || m % PHASE_MAJORS == PHASE_MAJORS - 1u) {
        moat_yield();
        now = moat_rdtsc();
        m = major_of(me, now);
    }
    uint64_t end = frame_end(m);
    uint64_t window = STORM_WINDOW_TICKS * tick;
    if (now + window < end) {
        __asm__ volatile("ud2");
    }
    spin_until(end - (m % PHASE_MAJORS) * window / PHASE_MAJORS);
    __asm__ volatile("ud2");
    return 0;
}

static int irq_owner(void)
{
    rtc_write(RTC_A, (uint8_t)((rtc_read(RTC_A) & 0xf0u) | 0x03u)); /* 8192 Hz */
    rtc_write(RTC_B, (uint8_t)(rtc_read(RTC_B) | 0x40u));           /* periodic interrupt */
    return attacker();
}

int main(void)
{
    const char *name = moat_sinfo_page->subject_name;
    me = role_of(name);
    tick = moat_sinfo_page->tsc_khz / 10u; /* the policy's tick: 100 us */
    major = MAJOR_TICKS * tick;
    if (me == 0) {
        return 2;
    }
    if (t_streq(name, "witness0") || t_streq(name, "witness1")) {
        return witness(name[7] == '0' ? 0u : 1u);
    }
    if (t_streq(name, "crasher")) {
        return crasher();
    }
    if (t_streq(name, "irq")) {
        return irq_owner();
    }
    if (t_streq(name, "victim") || t_streq(name, "sink0") || t_streq(name, "sink1")) {
        for (;;) {
            (void)moat_event_wait();
        }
    }
    return attacker();
}
