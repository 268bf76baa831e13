/*
 * The log protocol on the host: moat_log() splits lines into records published
 * together, the log server's renderer prints `[label] line` and survives records a
 * hostile writer made up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <moat/log.h>
#include <moat/testkit.h>

static void splits_long_lines_into_continued_records(void **state)
{
    (void)state;
    char text[300];
    memset(text, 'a', sizeof(text));
    struct moat_log_record rec[8];
    size_t n = moat_log_records(text, sizeof(text), 42, rec, 8);
    assert_int_equal(n, 3);
    assert_int_equal(rec[0].length, MOAT_LOG_TEXT_MAX);
    assert_int_equal(rec[0].flags, MOAT_LOG_CONTINUED);
    assert_int_equal(rec[1].flags, MOAT_LOG_CONTINUED);
    assert_int_equal(rec[2].length, 300 - 2 * MOAT_LOG_TEXT_MAX);
    assert_int_equal(rec[2].flags, 0);
    assert_int_equal(rec[2].tsc, 42);
}

static void splits_at_newlines_and_drops_a_trailing_one(void **state)
{
    (void)state;
    struct moat_log_record rec[8];
    const char *text = "one\n\nthree\n";
    size_t n = moat_log_records(text, strlen(text), 0, rec, 8);
    assert_int_equal(n, 3);
    assert_int_equal(rec[0].length, 3);
    assert_memory_equal(rec[0].text, "one", 3);
    assert_int_equal(rec[1].length, 0);
    assert_int_equal(rec[2].length, 5);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rec[i].flags, 0);
    }
    /* A line that does not fit in what is left is dropped whole. */
    char line[200];
    memset(line, 'b', sizeof(line));
    assert_int_equal(moat_log_records(line, sizeof(line), 0, rec, 1), 0);
}

static void moat_log_writes_formatted_lines_to_the_log_channel(void **state)
{
    (void)state;
    assert_int_equal(moat_test_log_capture(), 0);
    assert_int_equal(moat_log("value=%d name=%s", -5, "x"), 15);
    moat_log("first\nsecond");
    char line[MOAT_LOG_LINE_MAX];
    assert_int_equal(moat_test_log_next(line, sizeof(line)), 0);
    assert_string_equal(line, "value=-5 name=x");
    assert_int_equal(moat_test_log_next(line, sizeof(line)), 0);
    assert_string_equal(line, "first");
    assert_int_equal(moat_test_log_next(line, sizeof(line)), 0);
    assert_string_equal(line, "second");
    assert_int_equal(moat_test_log_next(line, sizeof(line)), -1);

    /* Output past MOAT_LOG_LINE_MAX is cut, not lost whole. */
    char big[600];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(moat_log("%s", big), MOAT_LOG_LINE_MAX - 1);
    assert_int_equal(moat_test_log_next(line, sizeof(line)), 0);
    assert_int_equal(strlen(line), MOAT_LOG_LINE_MAX - 1);
}

static void moat_log_finds_the_log_channel_in_sinfo(void **state)
{
    (void)state;
    struct moat_test_channel log;
    struct moat_test_channel other;
    assert_int_equal(
        moat_test_channel_create(&log, 16, sizeof(struct moat_log_record), MOAT_LOG_PROTOCOL), 0);
    assert_int_equal(moat_test_channel_create(&other, 16, 8, 3), 0);
    static struct moat_test_sinfo sinfo;
    moat_test_sinfo_init(&sinfo, "sensor");
    assert_int_equal(moat_test_sinfo_add_channel(&sinfo, "samples", &other, true), 0);
    assert_int_equal(moat_test_sinfo_add_channel(&sinfo, "sensor.log", &log, true), 0);
    assert_int_equal(moat_test_sinfo_attach(&sinfo), MOAT_SINFO_OK);
    /* Back to automatic discovery: the first written channel with the log protocol. */
    moat_log_use(NULL);
    assert_int_equal(moat_log("hello %u", 7u), 7);
    char line[64];
    assert_int_equal(moat_test_log_read(&log, line, sizeof(line)), 0);
    assert_string_equal(line, "hello 7");
    uint64_t element;
    assert_int_equal(channel_read(&other.reader, &element), CHANNEL_EPOCH_CHANGED);
    assert_int_equal(channel_read(&other.reader, &element), CHANNEL_NO_DATA);

    /* Without a log channel moat_log() reports it and writes nothing. */
    moat_test_sinfo_init(&sinfo, "quiet");
    assert_int_equal(moat_test_sinfo_attach(&sinfo), MOAT_SINFO_OK);
    moat_log_use(NULL);
    assert_int_equal(moat_log("dropped"), -1);
    moat_test_channel_destroy(&other);
    moat_test_channel_destroy(&log);
}

static void renders_lines_with_the_channel_label(void **state)
{
    (void)state;
    struct moat_log_printer p;
    moat_log_printer_init(&p, "sensor.log");
    assert_string_equal(p.label, "sensor");
    struct moat_log_record rec[4];
    const char *text = "temperature 21";
    size_t n = moat_log_records(text, strlen(text), 0, rec, 4);
    char out[256];
    assert_int_equal(n, 1);
    size_t len = moat_log_render(&p, &rec[0], out, sizeof(out));
    assert_string_equal(out, "[sensor] temperature 21\n");
    assert_int_equal(len, strlen(out));

    /* A long line: the label once, then the continuation, then the newline. */
    char longline[150];
    memset(longline, 'q', sizeof(longline));
    n = moat_log_records(longline, sizeof(longline), 0, rec, 4);
    assert_int_equal(n, 2);
    moat_log_render(&p, &rec[0], out, sizeof(out));
    assert_memory_equal(out, "[sensor] qqq", 12);
    assert_int_equal(strlen(out), 9 + MOAT_LOG_TEXT_MAX);
    moat_log_render(&p, &rec[1], out, sizeof(out));
    assert_int_equal(out[0], 'q');
    assert_int_equal(strlen(out), 150 - MOAT_LOG_TEXT_MAX + 1);
    assert_int_equal(out[strlen(out) - 1], '\n');

    moat_log_printer_init(&p, "plain");
    assert_string_equal(p.label, "plain");
    moat_log_printer_init(&p, ".log");
    assert_string_equal(p.label, ".log");
}

static void renders_hostile_records_safely(void **state)
{
    (void)state;
    struct moat_log_printer p;
    moat_log_printer_init(&p, "evil.log");
    struct moat_log_record rec;
    memset(&rec, 0, sizeof(rec));
    rec.length = 0xffff;
    memcpy(rec.text, "\x1b[2J\r\nfake]\x7f", 12);
    char out[512];
    size_t len = moat_log_render(&p, &rec, out, sizeof(out));
    /* Length clamped to the record; escape, CR, LF and DEL replaced. */
    assert_int_equal(len, strlen("[evil] ") + MOAT_LOG_TEXT_MAX + 1);
    assert_memory_equal(out, "[evil] ?[2J??fake]?", 19);
    assert_null(memchr(out, '\n', len - 1));

    /* A tiny output buffer is never overrun and stays terminated. */
    char small[8];
    memset(small, 'Z', sizeof(small));
    len = moat_log_render(&p, &rec, small, 5);
    assert_int_equal(len, 4);
    assert_int_equal(small[4], '\0');
    assert_int_equal(small[5], 'Z');
}

/* Random records, as a hostile writer could publish them: output bounded and printable. */
static void renders_random_records_within_bounds(void **state)
{
    (void)state;
    uint32_t seed = 0x12345678u;
    struct moat_log_printer p;
    moat_log_printer_init(&p, "fuzz.log");
    for (unsigned round = 0; round < 20000; round++) {
        struct moat_log_record rec;
        unsigned char *bytes = (unsigned char *)&rec;
        for (size_t i = 0; i < sizeof(rec); i++) {
            seed = seed * 1664525u + 1013904223u;
            bytes[i] = (unsigned char)(seed >> 24);
        }
        char out[200];
        size_t size = 1 + round % sizeof(out);
        memset(out, 'Z', sizeof(out));
        size_t len = moat_log_render(&p, &rec, out, size);
        assert_true(len < size);
        assert_int_equal(out[len], '\0');
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)out[i];
            assert_true((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n');
        }
        if (size < sizeof(out)) {
            assert_int_equal(out[size], 'Z');
        }
    }
}

static void reports_lost_records_on_a_line_of_their_own(void **state)
{
    (void)state;
    struct moat_log_printer p;
    moat_log_printer_init(&p, "fast.log");
    struct moat_log_record rec;
    memset(&rec, 0, sizeof(rec));
    rec.length = 3;
    rec.flags = MOAT_LOG_CONTINUED;
    memcpy(rec.text, "abc", 3);
    char out[128];
    moat_log_render(&p, &rec, out, sizeof(out));
    assert_string_equal(out, "[fast] abc");
    moat_log_render_lost(&p, 12, out, sizeof(out));
    assert_string_equal(out, "\n[fast] (12 log records lost)\n");
    assert_true(p.at_line_start);
}

/* A log channel and the log server's source reading it. */
struct pump_fixture {
    struct moat_test_channel channel;
    struct moat_log_source source;
};

static void pump_setup(struct pump_fixture *f, size_t elements)
{
    assert_int_equal(moat_test_channel_create(&f->channel, elements, sizeof(struct moat_log_record),
                                              MOAT_LOG_PROTOCOL),
                     0);
    assert_int_equal(moat_log_source_init(&f->source, "app.log", f->channel.mem, f->channel.size),
                     0);
}

static void write_record(struct pump_fixture *f, const char *text, uint16_t flags)
{
    struct moat_log_record rec;
    memset(&rec, 0, sizeof(rec));
    rec.length = (uint16_t)strlen(text);
    rec.flags = flags;
    memcpy(rec.text, text, rec.length);
    channel_write(&f->channel.writer, &rec);
}

/* Everything the source prints now, line after line (at most max_records per fill). */
static void drain(struct pump_fixture *f, unsigned max_records, char *out, size_t out_size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < 64; i++) {
        if (!moat_log_source_fill(&f->source, max_records) && i == 0) {
            moat_log_source_idle(&f->source);
        }
        size_t len;
        uint64_t tsc;
        const char *line = moat_log_source_line(&f->source, &len, &tsc);
        if (line == NULL) {
            return;
        }
        assert_int_equal(len, strlen(line));
        assert_true(used + len < out_size);
        memcpy(out + used, line, len + 1);
        used += len;
        moat_log_source_next(&f->source);
    }
}

static void source_builds_whole_lines_with_their_label(void **state)
{
    (void)state;
    struct pump_fixture f;
    pump_setup(&f, 16);
    moat_log_use(&f.channel.writer);
    moat_log("first");
    moat_log("second %d", 2);
    char out[4 * MOAT_LOG_LINE_OUT_MAX];
    drain(&f, 16, out, sizeof(out));
    assert_string_equal(out, "[app] first\n[app] second 2\n");
    assert_false(moat_log_source_fill(&f.source, 16));
    size_t len;
    uint64_t tsc;
    assert_null(moat_log_source_line(&f.source, &len, &tsc));
    moat_test_channel_destroy(&f.channel);
}

static void source_keeps_an_open_line_until_it_is_whole(void **state)
{
    (void)state;
    struct pump_fixture f;
    pump_setup(&f, 16);
    char out[4 * MOAT_LOG_LINE_OUT_MAX];
    size_t len;
    uint64_t tsc;
    /* Half a line is not printable; the rest, read one record per fill, completes it. */
    write_record(&f, "half ", MOAT_LOG_CONTINUED);
    assert_true(moat_log_source_fill(&f.source, 1));
    assert_true(moat_log_source_fill(&f.source, 1)); /* the epoch, then the record */
    assert_null(moat_log_source_line(&f.source, &len, &tsc));
    write_record(&f, "whole", 0);
    drain(&f, 1, out, sizeof(out));
    assert_string_equal(out, "[app] half whole\n");

    /* A line longer than MOAT_LOG_LINE_MAX is cut; the rest comes with the label again. */
    for (int i = 0; i < 6; i++) {
        write_record(&f, "0123456789012345678901234567890123456789012345678901234567890123456789"
                         "012345678901234567890123456789", MOAT_LOG_CONTINUED);
    }
    write_record(&f, "end", 0);
    drain(&f, 16, out, sizeof(out));
    char *second = strstr(out, "\n[app] ");
    assert_non_null(second);
    assert_memory_equal(out, "[app] 0123", 10);
    assert_true((size_t)(second - out) <= MOAT_LOG_LINE_MAX + MOAT_LOG_TEXT_MAX);
    assert_string_equal(out + strlen(out) - 4, "end\n");
    moat_test_channel_destroy(&f.channel);
}

static void source_ends_lines_a_writer_left_open(void **state)
{
    (void)state;
    struct pump_fixture f;
    pump_setup(&f, 16);
    char out[4 * MOAT_LOG_LINE_OUT_MAX];
    /* A writer that stops mid-line: after two idle passes the line is ended. */
    write_record(&f, "half", MOAT_LOG_CONTINUED);
    drain(&f, 16, out, sizeof(out));
    assert_string_equal(out, "");
    drain(&f, 16, out, sizeof(out));
    assert_string_equal(out, "");
    drain(&f, 16, out, sizeof(out));
    assert_string_equal(out, "[app] half\n");
    write_record(&f, "rest", 0);
    drain(&f, 16, out, sizeof(out));
    assert_string_equal(out, "[app] rest\n");

    /* A writer that restarts mid-line: the cut line ends, new lines start on their own. */
    write_record(&f, "cut", MOAT_LOG_CONTINUED);
    drain(&f, 16, out, sizeof(out));
    assert_int_equal(channel_writer_init(&f.channel.writer, f.channel.mem, f.channel.size,
                                         MOAT_LOG_PROTOCOL, sizeof(struct moat_log_record), 7),
                     0);
    write_record(&f, "again", 0);
    drain(&f, 16, out, sizeof(out));
    assert_string_equal(out, "[app] cut\n[app] again\n");
    moat_test_channel_destroy(&f.channel);
}

static void source_reports_records_lost_to_a_lapping_writer(void **state)
{
    (void)state;
    struct pump_fixture f;
    pump_setup(&f, 4);
    char out[8 * MOAT_LOG_LINE_OUT_MAX];
    drain(&f, 16, out, sizeof(out));
    write_record(&f, "open", MOAT_LOG_CONTINUED);
    for (int i = 0; i < 10; i++) {
        write_record(&f, "spam", 0);
    }
    drain(&f, 16, out, sizeof(out));
    assert_non_null(strstr(out, "[app] (7 log records lost)\n"));
    assert_non_null(strstr(out, "[app] spam\n"));
    /* Every line is labelled: none continues another. */
    for (char *l = out; *l != '\0'; l = strchr(l, '\n') + 1) {
        assert_memory_equal(l, "[app] ", 6);
    }
    moat_test_channel_destroy(&f.channel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splits_long_lines_into_continued_records),
        cmocka_unit_test(splits_at_newlines_and_drops_a_trailing_one),
        cmocka_unit_test(moat_log_writes_formatted_lines_to_the_log_channel),
        cmocka_unit_test(moat_log_finds_the_log_channel_in_sinfo),
        cmocka_unit_test(renders_lines_with_the_channel_label),
        cmocka_unit_test(renders_hostile_records_safely),
        cmocka_unit_test(renders_random_records_within_bounds),
        cmocka_unit_test(reports_lost_records_on_a_line_of_their_own),
        cmocka_unit_test(source_builds_whole_lines_with_their_label),
        cmocka_unit_test(source_keeps_an_open_line_until_it_is_whole),
        cmocka_unit_test(source_ends_lines_a_writer_left_open),
        cmocka_unit_test(source_reports_records_lost_to_a_lapping_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
