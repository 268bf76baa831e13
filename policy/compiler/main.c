/* moat-polc: the Moat policy compiler's entry point (see driver.c and docs/policy.md). */
#include <stdio.h>

#include "polc.h"

int main(int argc, char **argv)
{
    struct polc_buf out = {0};
    struct polc_buf err = {0};
    int status = polc_main(argc, argv, &out, &err);
    if (out.len != 0) {
        fwrite(out.data, 1, out.len, stdout);
    }
    if (err.len != 0) {
        fwrite(err.data, 1, err.len, stderr);
    }
    polc_buf_free(&out);
    polc_buf_free(&err);
    return status;
}
