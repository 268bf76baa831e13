/*
 * Host test kit: log capture (see <moat/testkit.h>). The capture channel belongs to the
 * kit and lives as long as the program, so moat_log() never writes through a pointer
 * into a test that has returned; each capture starts it empty.
 */
#include <string.h>

#include <moat/testkit.h>

#include "testkit_internal.h"

#define TESTKIT_LOG_RECORDS 256u

static struct moat_test_channel testkit_log;
static bool testkit_log_on;

bool testkit_log_capturing(void)
{
    return testkit_log_on;
}

void testkit_log_reset(void)
{
    /* Off the capture channel before it goes. */
    testkit_log_on = false;
    moat_log_use(NULL);
    moat_test_channel_destroy(&testkit_log);
}

int moat_test_log_capture(void)
{
    testkit_log_reset();
    int r = moat_test_channel_create(&testkit_log, TESTKIT_LOG_RECORDS,
                                     sizeof(struct moat_log_record), MOAT_LOG_PROTOCOL);
    if (r == 0) {
        moat_log_use(&testkit_log.writer);
        testkit_log_on = true;
    }
    return r;
}

int moat_test_log_next(char *line, size_t line_size)
{
    if (!testkit_log_on) {
        if (line_size > 0) {
            line[0] = '\0';
        }
        return -1;
    }
    return moat_test_log_read(&testkit_log, line, line_size);
}

int moat_test_log_read(struct moat_test_channel *c, char *line, size_t line_size)
{
    if (line_size == 0) {
        return -1;
    }
    size_t len = 0;
    line[0] = '\0';
    for (;;) {
        struct moat_log_record rec;
        enum channel_result res = channel_read(&c->reader, &rec);
        if (res == CHANNEL_EPOCH_CHANGED) {
            continue;
        }
        if (res != CHANNEL_SUCCESS) {
            return -1;
        }
        size_t n = rec.length < MOAT_LOG_TEXT_MAX ? rec.length : MOAT_LOG_TEXT_MAX;
        if (n > line_size - 1 - len) {
            n = line_size - 1 - len;
        }
        memcpy(line + len, rec.text, n);
        len += n;
        line[len] = '\0';
        if ((rec.flags & MOAT_LOG_CONTINUED) == 0) {
            return 0;
        }
    }
}
