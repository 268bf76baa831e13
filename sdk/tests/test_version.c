/*
 * <moat/version.h> must say what the Meson project says: the build passes the project
 * version as MOAT_PROJECT_VERSION, and a release that forgets the header fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <moat/version.h>

static void header_version_matches_the_project(void **state)
{
    (void)state;
    assert_string_equal(MOAT_SDK_VERSION_STRING, MOAT_PROJECT_VERSION);
    char joined[32];
    snprintf(joined, sizeof(joined), "%d.%d.%d", MOAT_SDK_VERSION_MAJOR, MOAT_SDK_VERSION_MINOR,
             MOAT_SDK_VERSION_PATCH);
    assert_string_equal(joined, MOAT_SDK_VERSION_STRING);
    assert_int_equal(MOAT_SDK_VERSION, (MOAT_SDK_VERSION_MAJOR << 16) |
                                           (MOAT_SDK_VERSION_MINOR << 8) | MOAT_SDK_VERSION_PATCH);
    assert_int_equal(MOAT_SDK_SINFO_VERSION, MOAT_SINFO_VERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_version_matches_the_project),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
