/*
 * channel-bench: libchannel throughput, measured against ck_ring SPSC and plain memcpy
 * in one run, printed as one table (see docs/benchmarks.md for the method).
 *
 * For 8, 64, 256 and 4096-byte elements, one element per call and batches: the memcpy
 * ceiling; flow-controlled libchannel beside ck_ring (nothing lost); a free-running
 * writer with 1 and with 3 readers. Each figure is the median of --runs runs after a
 * warm-up run; runs of the scenarios compared in a ratio are interleaved, and ratios
 * are the median of per-run ratios, so slow drift on a shared machine cancels out.
 */
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "libchannel.h"

#define MAX_RUNS 31u
#define BENCH_DASHES "----------"
#define BENCH_MIN_SHARE 0.9 /* CPU time / wall time below which a run was disturbed */
#define BENCH_RETRIES 3u

static const size_t bench_sizes[] = { 8, 64, 256, 4096 };

/* The medians of one table row. */
struct bench_row {
    double memcpy_rate;
    double channel_rate;
    double ck_rate;
    double channel_over_ck;
    uint64_t flow_lost;
    double free_writer_rate[2]; /* [0]: 1 reader, [1]: 3 readers */
    double free_writer_cpu_rate[2];
    double free_reader_rate[2]; /* per reader */
    double free_lost_pct[2];
    double cpu_3_over_1;
    uint64_t free_errors;
    double round_trip_ns; /* cache-line round trip measured just before the row */
    unsigned disturbed;   /* runs of this row kept although disturbed */
    double ratios[MAX_RUNS]; /* --flow: each run's libchannel/ck_ring, printed in run order */
    bool measured;        /* false for a size left out with --size */
};

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(const double *values, unsigned count)
{
    double sorted[MAX_RUNS];

    memcpy(sorted, values, count * sizeof(double));
    qsort(sorted, count, sizeof(double), compare_doubles);
    if (count % 2 == 1) {
        return sorted[count / 2];
    }
    return (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
}

static double rate(const struct bench_flow_result *r)
{
    return r->seconds > 0 ? (double)r->elements / r->seconds : 0;
}

static void free_summary(const struct bench_free_result *r, unsigned readers, double *delivered,
                         double *lost_pct)
{
    unsigned i;

    *delivered = 0;
    *lost_pct = 0;
    for (i = 0; i < readers; i++) {
        *delivered += r->reader_seconds[i] > 0 ? (double)r->delivered[i] / r->reader_seconds[i]
                                               : 0;
        *lost_pct += r->written > 0 ? 100.0 * (double)r->lost[i] / (double)r->written : 0;
    }
    *delivered /= readers;
    *lost_pct /= readers;
}

/* Runs redone, or kept although disturbed, because a thread lost its CPU meanwhile. */
struct bench_disturbance {
    unsigned redone;
    unsigned kept;
};

enum bench_scenario {
    SCENARIO_MEMCPY,
    SCENARIO_CHANNEL,
    SCENARIO_CK,
    SCENARIO_FREE_1,
    SCENARIO_FREE_3,
};

/*
 * One run of a scenario. A run in which a measuring thread had its CPU for less than
 * BENCH_MIN_SHARE of the time (another process ran there) is thrown away and run again,
 * up to BENCH_RETRIES times; after that it is kept and counted.
 */
static void run_scenario(const struct bench_config *cfg, enum bench_scenario scenario,
                         size_t size, bool batch, struct bench_flow_result *flow,
                         struct bench_free_result *free_result, struct bench_disturbance *dist)
{
    unsigned attempt;

    for (attempt = 0;; attempt++) {
        double share = 1.0;

        switch (scenario) {
        case SCENARIO_MEMCPY:
            bench_memcpy_run(cfg, size, batch, flow);
            share = flow->cpu_share;
            break;
        case SCENARIO_CHANNEL:
            bench_flow_channel_run(cfg, size, batch, flow);
            share = flow->cpu_share;
            break;
        case SCENARIO_CK:
            if (bench_flow_ck_run(cfg, size, flow) != 0) {
                fprintf(stderr, "channel-bench: no ck_ring type for %zu bytes\n", size);
                exit(1);
            }
            share = flow->cpu_share;
            break;
        case SCENARIO_FREE_1:
        case SCENARIO_FREE_3:
            bench_free_run(cfg, size, batch, scenario == SCENARIO_FREE_1 ? 1 : 3, free_result);
            share = free_result->writer_cpu_seconds / free_result->writer_seconds;
            break;
        }
        if (share >= BENCH_MIN_SHARE) {
            return;
        }
        if (attempt == BENCH_RETRIES) {
            dist->kept++;
            return;
        }
        dist->redone++;
    }
}

/* Measure one row: warm-up, then cfg->runs interleaved runs of every scenario. */
static void measure_row(const struct bench_config *cfg, size_t size, bool batch,
                        double ck_single_rate, struct bench_row *row,
                        struct bench_disturbance *dist)
{
    double memcpy_rates[MAX_RUNS], channel_rates[MAX_RUNS], ck_rates[MAX_RUNS];
    double ratios[MAX_RUNS], cpu_ratios[MAX_RUNS];
    double wr[2][MAX_RUNS], wr_cpu[2][MAX_RUNS], rd[2][MAX_RUNS], lost[2][MAX_RUNS];
    struct bench_flow_result flow;
    struct bench_free_result free_result;
    unsigned kept_before;
    unsigned run;
    unsigned k;

    memset(row, 0, sizeof(*row));
    row->measured = true;
    row->round_trip_ns = bench_round_trip_ns(cfg);
    kept_before = dist->kept;
    for (run = 0; run <= cfg->runs; run++) {
        /* Run 0 warms caches, page mappings and CPU clocks up and is not counted. */
        unsigned i = run == 0 ? 0 : run - 1;

        if (!cfg->flow_only) {
            run_scenario(cfg, SCENARIO_MEMCPY, size, batch, &flow, NULL, dist);
            memcpy_rates[i] = rate(&flow);
        } else {
            memcpy_rates[i] = 0;
        }
        run_scenario(cfg, SCENARIO_CHANNEL, size, batch, &flow, NULL, dist);
        channel_rates[i] = rate(&flow);
        row->flow_lost += run == 0 ? 0 : flow.lost;
        if (!batch) {
            run_scenario(cfg, SCENARIO_CK, size, batch, &flow, NULL, dist);
            ck_rates[i] = rate(&flow);
            row->flow_lost += run == 0 ? 0 : flow.lost;
        } else {
            ck_rates[i] = ck_single_rate;
        }
        ratios[i] = ck_rates[i] > 0 ? channel_rates[i] / ck_rates[i] : 0;
        if (cfg->flow_only) {
            continue;
        }
        for (k = 0; k < 2; k++) {
            run_scenario(cfg, k == 0 ? SCENARIO_FREE_1 : SCENARIO_FREE_3, size, batch, &flow,
                         &free_result, dist);
            wr[k][i] = (double)free_result.written / free_result.writer_seconds;
            wr_cpu[k][i] = (double)free_result.written / free_result.writer_cpu_seconds;
            free_summary(&free_result, k == 0 ? 1 : 3, &rd[k][i], &lost[k][i]);
            row->free_errors += run == 0 ? 0 : free_result.errors;
        }
        cpu_ratios[i] = wr_cpu[1][i] / wr_cpu[0][i];
    }
    row->memcpy_rate = median(memcpy_rates, cfg->runs);
    row->channel_rate = median(channel_rates, cfg->runs);
    row->ck_rate = median(ck_rates, cfg->runs);
    row->channel_over_ck = median(ratios, cfg->runs);
    row->disturbed = dist->kept - kept_before;
    if (cfg->flow_only) {
        memcpy(row->ratios, ratios, sizeof(ratios));
        return;
    }
    for (k = 0; k < 2; k++) {
        row->free_writer_rate[k] = median(wr[k], cfg->runs);
        row->free_writer_cpu_rate[k] = median(wr_cpu[k], cfg->runs);
        row->free_reader_rate[k] = median(rd[k], cfg->runs);
        row->free_lost_pct[k] = median(lost[k], cfg->runs);
    }
    row->cpu_3_over_1 = median(cpu_ratios, cfg->runs);
}

/* The CPU model and the load average, so a pasted table says where it was measured. */
static void print_machine(void)
{
    char line[256];
    char model[128] = "unknown CPU";
    double load = -1;
    FILE *f;

    f = fopen("/proc/cpuinfo", "r");
    if (f != NULL) {
        while (fgets(line, sizeof(line), f) != NULL) {
            if (strncmp(line, "model name", 10) == 0 && strchr(line, ':') != NULL) {
                snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
                model[strcspn(model, "\n")] = '\0';
                break;
            }
        }
        fclose(f);
    }
    f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fscanf(f, "%lf", &load) != 1) {
            load = -1;
        }
        fclose(f);
    }
    printf("machine: %s, %ld CPUs online, load average %.2f at start\n", model,
           sysconf(_SC_NPROCESSORS_ONLN), load);
}

/* --flow: the flow-controlled columns only, then every run's ratio in run order. */
static void print_flow_header(void)
{
    printf("%5s %-6s | %-44s | %s\n", "", "", "flow-controlled, nothing may be lost", "machine");
    printf("%5s %-6s | %16s %17s %7s | %4s %4s | %s\n", "bytes", "call", "libchannel",
           "ck_ring", "chan/ck", "rt", "dist", "chan/ck of each run");
    printf("%5s %-6s | %7s %8s %8s %8s %7s | %4s %4s |\n", "", "", "M/s", "MB/s", "M/s", "MB/s",
           "lost", "ns", "runs");
}

static void print_header(const struct bench_config *cfg)
{
    printf("channel-bench: libchannel %d.%d vs ck_ring SPSC; %u slots, batch %u, median of %u "
           "runs x %" PRIu64 " ms after a warm-up\n",
           CHANNEL_VERSION_MAJOR, CHANNEL_VERSION_MINOR, cfg->slots, cfg->batch, cfg->runs,
           cfg->run_ns / 1000000u);
    print_machine();
    printf("writer on CPU %d, readers on CPU %d%s; M = 10^6 elements, MB = 10^6 bytes\n",
           cfg->cpus[0], bench_reader_cpu(cfg, 0), cfg->cpu_count > 2 ? " and up" : "");
    printf("rt: cache-line round trip writer-reader before the row; dist: runs kept although "
           "disturbed\n\n");
    if (cfg->flow_only) {
        print_flow_header();
        return;
    }
    /* Same field widths as print_row: 20 | 48 | 29 | 29 | 7 | 9. */
    printf("%20s | %-48s | %-29s | %-29s | %-7s | %s\n", "ceiling",
           "flow-controlled, nothing may be lost", "free-running, 1 reader",
           "free-running, 3 readers", "writer", "machine");
    printf("%5s %-6s %7s | %16s %17s %7s %5s | %7s %8s %7s %4s | %7s %8s %7s %4s | %7s | "
           "%4s %4s\n",
           "bytes", "call", "memcpy", "libchannel", "ck_ring", "chan/ck", "lost", "writer",
           "writer", "reader", "lost", "writer", "writer", "reader", "lost", "M/CPU-s", "rt",
           "dist");
    printf("%5s %-6s %7s | %7s %8s %8s %8s %7s %5s | %7s %8s %7s %4s | %7s %8s %7s %4s | %7s | "
           "%4s %4s\n",
           "", "", "M/s", "M/s", "MB/s", "M/s", "MB/s", "", "", "M/s", "M/CPU-s", "M/s", "%",
           "M/s", "M/CPU-s", "M/s", "%", "3r/1r", "ns", "runs");
    printf("%.5s %.6s %.7s + %.7s %.8s %.8s %.8s %.7s %.5s + %.7s %.8s %.7s %.4s + %.7s %.8s "
           "%.7s %.4s + %.7s + %.4s %.4s\n",
           BENCH_DASHES, BENCH_DASHES, BENCH_DASHES, BENCH_DASHES, BENCH_DASHES, BENCH_DASHES,
           BENCH_DASHES, BENCH_DASHES, BENCH_DASHES, BENCH_DASHES, BENCH_DASHES, BENCH_DASHES,
           BENCH_DASHES, BENCH_DASHES, BENCH_DASHES, BENCH_DASHES, BENCH_DASHES, BENCH_DASHES,
           BENCH_DASHES, BENCH_DASHES);
}

static void print_row(size_t size, bool batch, const struct bench_row *r)
{
    printf("%5zu %-6s %7.1f | %7.2f %8.0f %8.2f %8.0f %6.2f%1s %5" PRIu64 " |", size,
           batch ? "batch" : "single", r->memcpy_rate / 1e6, r->channel_rate / 1e6,
           r->channel_rate * (double)size / 1e6, r->ck_rate / 1e6,
           r->ck_rate * (double)size / 1e6, r->channel_over_ck, batch ? "*" : " ", r->flow_lost);
    printf(" %7.2f %8.2f %7.2f %4.0f | %7.2f %8.2f %7.2f %4.0f | %7.2f | %4.0f %4u%s\n",
           r->free_writer_rate[0] / 1e6, r->free_writer_cpu_rate[0] / 1e6,
           r->free_reader_rate[0] / 1e6, r->free_lost_pct[0], r->free_writer_rate[1] / 1e6,
           r->free_writer_cpu_rate[1] / 1e6, r->free_reader_rate[1] / 1e6, r->free_lost_pct[1],
           r->cpu_3_over_1, r->round_trip_ns, r->disturbed,
           r->free_errors != 0 ? "  ERRORS" : "");
    fflush(stdout);
}

static void print_flow_row(const struct bench_config *cfg, size_t size, bool batch,
                           const struct bench_row *r)
{
    unsigned i;

    printf("%5zu %-6s | %7.2f %8.0f %8.2f %8.0f %6.2f%1s | %4.0f %4u |", size,
           batch ? "batch" : "single", r->channel_rate / 1e6, r->channel_rate * (double)size / 1e6,
           r->ck_rate / 1e6, r->ck_rate * (double)size / 1e6, r->channel_over_ck,
           batch ? "*" : " ", r->round_trip_ns, r->disturbed);
    for (i = 0; i < cfg->runs; i++) {
        printf(" %.2f", r->ratios[i]);
    }
    printf("  lost %" PRIu64 "\n", r->flow_lost);
    fflush(stdout);
}

static void print_any_row(const struct bench_config *cfg, size_t size, bool batch,
                          const struct bench_row *r)
{
    if (cfg->flow_only) {
        print_flow_row(cfg, size, batch, r);
    } else {
        print_row(size, batch, r);
    }
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: channel-bench [--quick] [--runs N] [--ms N] [--slots N] [--batch N]\n"
            "                     [--size N] [--flow]\n"
            "  --quick    5 runs of 40 ms (about 10 s in all) instead of 7 runs of 200 ms\n"
            "  --runs N   measured runs per figure, 5..%u (the median is printed)\n"
            "  --ms N     length of one run in milliseconds\n"
            "  --slots N  slots per ring/channel, a power of two (default 1024)\n"
            "  --batch N  elements per batch call, up to slots/4 (default 32)\n"
            "  --size N   only the rows of N-byte elements (8, 64, 256 or 4096)\n"
            "  --flow     only the flow-controlled scenarios (libchannel and ck_ring), with\n"
            "             every run's ratio: for quick A/B comparisons of library builds\n",
            MAX_RUNS);
}

static bool bench_size_known(unsigned size)
{
    size_t s;

    for (s = 0; s < sizeof(bench_sizes) / sizeof(bench_sizes[0]); s++) {
        if (bench_sizes[s] == size) {
            return true;
        }
    }
    return false;
}

static bool parse_unsigned(const char *text, unsigned min, unsigned max, unsigned *value)
{
    char *end = NULL;
    unsigned long v = strtoul(text, &end, 10);

    if (end == text || *end != '\0' || v < min || v > max) {
        return false;
    }
    *value = (unsigned)v;
    return true;
}

static int parse_options(int argc, char **argv, struct bench_config *cfg)
{
    static const struct option longopts[] = {
        { "quick", no_argument, NULL, 'q' },   { "runs", required_argument, NULL, 'r' },
        { "ms", required_argument, NULL, 'm' }, { "slots", required_argument, NULL, 's' },
        { "batch", required_argument, NULL, 'b' }, { "size", required_argument, NULL, 'z' },
        { "flow", no_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool quick = false;
    unsigned runs = 0;
    unsigned ms = 0;
    int c;

    cfg->slots = 1024;
    cfg->batch = 32;
    cfg->only_size = 0;
    cfg->flow_only = false;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        bool ok = true;

        switch (c) {
        case 'q':
            quick = true;
            break;
        case 'r':
            ok = parse_unsigned(optarg, 5, MAX_RUNS, &runs);
            break;
        case 'm':
            ok = parse_unsigned(optarg, 1, 60000, &ms);
            break;
        case 's':
            ok = parse_unsigned(optarg, 8, 1u << 20, &cfg->slots) &&
                 (cfg->slots & (cfg->slots - 1)) == 0;
            break;
        case 'b':
            ok = parse_unsigned(optarg, 2, 1u << 18, &cfg->batch);
            break;
        case 'z':
            ok = parse_unsigned(optarg, 8, 4096, &cfg->only_size) &&
                 bench_size_known(cfg->only_size);
            break;
        case 'f':
            cfg->flow_only = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            ok = false;
            break;
        }
        if (!ok) {
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc || cfg->batch > cfg->slots / 4) {
        usage(stderr);
        return -1;
    }
    /* Explicit --runs and --ms win over --quick's defaults. */
    cfg->runs = runs != 0 ? runs : quick ? 5 : 7;
    cfg->run_ns = (uint64_t)(ms != 0 ? ms : quick ? 40 : 200) * 1000000u;
    return 0;
}

/* The CPUs this process may run on, lowest first. */
static void find_cpus(struct bench_config *cfg)
{
    cpu_set_t set;
    int cpu;

    cfg->cpu_count = 0;
    if (sched_getaffinity(0, sizeof(set), &set) != 0) {
        cfg->cpus[cfg->cpu_count++] = 0;
        return;
    }
    for (cpu = 0; cpu < CPU_SETSIZE && cfg->cpu_count < 1 + BENCH_MAX_READERS; cpu++) {
        if (CPU_ISSET((size_t)cpu, &set)) {
            cfg->cpus[cfg->cpu_count++] = cpu;
        }
    }
}

/* The verdict on one flow-controlled one-element-per-call row, if it was measured. */
static void print_flow_target(const struct bench_row *r, size_t size)
{
    if (!r->measured) {
        return;
    }
    printf("target: flow-controlled, %zu B, one element per call: libchannel/ck_ring = %.2f "
           "(>= 1.00), lost %" PRIu64 ": %s\n",
           size, r->channel_over_ck, r->flow_lost,
           r->channel_over_ck >= 1.0 && r->flow_lost == 0 ? "met" : "MISSED");
}

static void print_targets(const struct bench_config *cfg, const struct bench_row rows[][2])
{
    double worst = 1e9;
    unsigned s;
    unsigned b;

    for (s = 0; s < sizeof(bench_sizes) / sizeof(bench_sizes[0]); s++) {
        for (b = 0; b < 2; b++) {
            if (rows[s][b].measured && rows[s][b].cpu_3_over_1 < worst) {
                worst = rows[s][b].cpu_3_over_1;
            }
        }
    }
    printf("\n* ck_ring has no batch call: batch rows compare with its one-element figure.\n");
    print_flow_target(&rows[0][0], bench_sizes[0]);
    print_flow_target(&rows[1][0], bench_sizes[1]);
    if (cfg->flow_only) {
        return;
    }
    printf("target: free-running, writer M/CPU-s with 3 readers / with 1 reader, lowest "
           "row = %.2f (>= 0.90): %s\n",
           worst, worst >= 0.9 ? "met" : "MISSED");
}

int main(int argc, char **argv)
{
    struct bench_row rows[sizeof(bench_sizes) / sizeof(bench_sizes[0])][2];
    struct bench_disturbance dist = { 0, 0 };
    struct bench_config cfg;
    unsigned s;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (parse_options(argc, argv, &cfg) != 0) {
        return 2;
    }
    find_cpus(&cfg);
    print_header(&cfg);
    memset(rows, 0, sizeof(rows));
    for (s = 0; s < sizeof(bench_sizes) / sizeof(bench_sizes[0]); s++) {
        if (cfg.only_size != 0 && bench_sizes[s] != cfg.only_size) {
            continue;
        }
        measure_row(&cfg, bench_sizes[s], false, 0, &rows[s][0], &dist);
        print_any_row(&cfg, bench_sizes[s], false, &rows[s][0]);
        measure_row(&cfg, bench_sizes[s], true, rows[s][0].ck_rate, &rows[s][1], &dist);
        print_any_row(&cfg, bench_sizes[s], true, &rows[s][1]);
    }
    print_targets(&cfg, rows);
    printf("runs redone because a measuring thread lost its CPU to another process: %u; "
           "kept disturbed after %u tries: %u\n",
           dist.redone, BENCH_RETRIES + 1, dist.kept);
    return 0;
}
