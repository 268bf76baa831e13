/*
 * The SVG helpers of moat-polc draw: text escaping (what no policy name can carry today,
 * as the schema forbids it, but a label must never break the XML) and time labels.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "draw.h"

static void escape_is(const char *in, const char *want)
{
    struct polc_buf b = {0};
    polc_svg_escape(&b, in);
    polc_buf_append(&b, "", 1);
    assert_string_equal((const char *)b.data, want);
    polc_buf_free(&b);
}

static void markup_characters_become_entities(void **state)
{
    (void)state;
    escape_is("plain-name_1.x", "plain-name_1.x");
    escape_is("a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&apos;f");
    escape_is("&&", "&amp;&amp;");
    escape_is("", "");
}

static void text_elements_escape_their_content(void **state)
{
    (void)state;
    struct polc_buf b = {0};
    polc_svg_text(&b, 1.0, 2.0, "middle", "note", "x<y");
    polc_buf_append(&b, "", 1);
    assert_string_equal((const char *)b.data,
                        "<text x=\"1.0\" y=\"2.0\" text-anchor=\"middle\" class=\"note\">x&lt;y"
                        "</text>\n");
    polc_buf_free(&b);
}

static void time_is(uint64_t ns, const char *want)
{
    char out[32];
    polc_draw_format_time(out, sizeof(out), ns);
    assert_string_equal(out, want);
}

static void times_read_in_the_largest_whole_unit(void **state)
{
    (void)state;
    time_is(0, "0");
    time_is(999, "999 ns");
    time_is(1000, "1 us");
    time_is(250000, "250 us");
    time_is(1000000, "1 ms");
    time_is(1500000, "1.5 ms");
    time_is(1250000, "1.25 ms");
    time_is(1001000, "1.001 ms");
    time_is(11500000, "11.5 ms");
    time_is(2000000000, "2 s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(markup_characters_become_entities),
        cmocka_unit_test(text_elements_escape_their_content),
        cmocka_unit_test(times_read_in_the_largest_whole_unit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
