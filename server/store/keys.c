/* Key builders (keys.h). */
#include <stdio.h>
#include <string.h>
#include "gigcx/keys.h"

void gx_keys_task(char *out, size_t cap, const char *task, const char *kind)
{
    size_t t = strlen(task), k = strlen(kind);
    if (6 + t + 2 + k + 1 > cap) { /* ids are at most 64: only a caller's mistake gets here */
        snprintf(out, cap, "gx:{t:%s}:%s", task, kind);
        return;
    }
    memcpy(out, "gx:{t:", 6);
    memcpy(out + 6, task, t);
    memcpy(out + 6 + t, "}:", 2);
    memcpy(out + 8 + t, kind, k + 1);
}
