/* The always-on assertion's failure path (assert.h). */
#include <stdio.h>
#include <stdlib.h>
#include "gigcx/assert.h"

void gx_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "assertion failed: %s at %s:%d\n", expr, file, line);
    fflush(stderr);
    abort();
}
