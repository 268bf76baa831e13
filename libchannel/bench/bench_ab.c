/*
 * channel-bench-ab: the flow-controlled scenario of channel-bench (bench_flow.c, one
 * element per call) for several builds of libchannel in one process, interleaved, beside
 * ck_ring: for quick A/B comparisons of library changes on a noisy machine, where two
 * runs of channel-bench taken seconds apart can differ by 3x.
 *
 *   channel-bench-ab [--runs N] [--ms N] [--size N] LIB.so...
 *
 * Each library is dlopen'ed (RTLD_LOCAL, so builds with the same soname coexist) and
 * called through pointers (bench_ab_shim.h), as the PLT calls a shared library. A round
 * is one ck_ring run, one run of every library, and one more ck_ring run; each library's
 * ratio for the round is its rate over the mean of the two ck_ring runs around it. The
 * figures printed are medians over the rounds, with the lowest and highest ratio. The
 * builds must be of this tree's API and no newer: the reader struct is allocated with
 * this tree's libchannel.h.
 */
#include <dlfcn.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define AB_MAX_LIBS 8
#define AB_MAX_RUNS 63

struct bench_ab_lib bench_ab;

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Median, lowest and highest of count values (count >= 1). */
static void spread(const double *values, unsigned count, double *mid, double *low, double *high)
{
    double sorted[AB_MAX_RUNS];

    memcpy(sorted, values, count * sizeof(double));
    qsort(sorted, count, sizeof(double), compare_doubles);
    *mid = count % 2 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
    *low = sorted[0];
    *high = sorted[count - 1];
}

static void *need(void *handle, const char *path, const char *name)
{
    void *sym = dlsym(handle, name);

    if (sym == NULL) {
        fprintf(stderr, "channel-bench-ab: %s has no %s\n", path, name);
        exit(2);
    }
    return sym;
}

static void load(const char *path, struct bench_ab_lib *lib)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

    if (h == NULL) {
        fprintf(stderr, "channel-bench-ab: %s\n", dlerror());
        exit(2);
    }
    *(void **)&lib->writer_init = need(h, path, "channel_writer_init");
    *(void **)&lib->reader_init = need(h, path, "channel_reader_init");
    *(void **)&lib->read = need(h, path, "channel_read");
    *(void **)&lib->read_batch = need(h, path, "channel_read_batch");
    *(void **)&lib->write = need(h, path, "channel_write");
    *(void **)&lib->write_batch = need(h, path, "channel_write_batch");
    *(void **)&lib->lost = need(h, path, "channel_lost");
}

static double rate(const struct bench_flow_result *r)
{
    return r->seconds > 0 ? (double)r->elements / r->seconds : 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: channel-bench-ab [--runs N] [--ms N] [--size 8|64|256|4096] "
                    "LIB.so...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "runs", required_argument, NULL, 'r' },
        { "ms", required_argument, NULL, 'm' },
        { "size", required_argument, NULL, 'z' },
        { NULL, 0, NULL, 0 },
    };
    struct bench_ab_lib libs[AB_MAX_LIBS];
    double ck[AB_MAX_RUNS], rates[AB_MAX_LIBS][AB_MAX_RUNS], ratios[AB_MAX_LIBS][AB_MAX_RUNS];
    struct bench_config cfg;
    struct bench_flow_result fr;
    unsigned runs = 9, ms = 40, nlibs, run, l;
    size_t size = 8;
    uint64_t lost = 0;
    cpu_set_t set;
    double mid, low, high;
    int c, cpu;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            runs = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'm':
            ms = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'z':
            size = strtoul(optarg, NULL, 10);
            break;
        default:
            usage();
        }
    }
    nlibs = argc > optind ? (unsigned)(argc - optind) : 0u;
    if (nlibs == 0 || nlibs > AB_MAX_LIBS || runs == 0 || runs > AB_MAX_RUNS || ms == 0 ||
        (size != 8 && size != 64 && size != 256 && size != 4096)) {
        usage();
    }
    for (l = 0; l < nlibs; l++) {
        load(argv[optind + (int)l], &libs[l]);
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.run_ns = (uint64_t)ms * 1000000u;
    cfg.runs = runs;
    cfg.slots = 1024;
    cfg.batch = 32;
    cfg.flow_only = true;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        for (cpu = 0; cpu < CPU_SETSIZE && cfg.cpu_count < 1 + BENCH_MAX_READERS; cpu++) {
            if (CPU_ISSET((size_t)cpu, &set)) {
                cfg.cpus[cfg.cpu_count++] = cpu;
            }
        }
    }
    if (cfg.cpu_count == 0) {
        cfg.cpus[cfg.cpu_count++] = 0;
    }
    /* Round 0 warms up and is not counted. */
    for (run = 0; run <= runs; run++) {
        unsigned i = run == 0 ? 0 : run - 1;
        double ck_before;

        if (bench_flow_ck_run(&cfg, size, &fr) != 0) {
            usage();
        }
        ck_before = rate(&fr);
        lost += run == 0 ? 0 : fr.lost;
        for (l = 0; l < nlibs; l++) {
            bench_ab = libs[l];
            bench_flow_channel_run(&cfg, size, false, &fr);
            rates[l][i] = rate(&fr);
            lost += run == 0 ? 0 : fr.lost;
        }
        (void)bench_flow_ck_run(&cfg, size, &fr);
        lost += run == 0 ? 0 : fr.lost;
        ck[i] = (ck_before + rate(&fr)) / 2;
        for (l = 0; l < nlibs; l++) {
            ratios[l][i] = ck[i] > 0 ? rates[l][i] / ck[i] : 0;
        }
    }
    spread(ck, runs, &mid, &low, &high);
    printf("%zu B, one element per call, %u rounds x %u ms: ck_ring %.1f M/s", size, runs, ms,
           mid / 1e6);
    printf(", cache-line round trip %.0f ns, lost %llu\n", bench_round_trip_ns(&cfg),
           (unsigned long long)lost);
    for (l = 0; l < nlibs; l++) {
        double rate_mid;

        spread(rates[l], runs, &rate_mid, &low, &high);
        spread(ratios[l], runs, &mid, &low, &high);
        printf("  %-40s %7.1f M/s  libchannel/ck_ring %.2f (%.2f-%.2f)\n", argv[optind + (int)l],
               rate_mid / 1e6, mid, low, high);
    }
    return lost == 0 ? 0 : 1;
}
