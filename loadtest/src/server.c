/* Reads gigcxd's own figures (CPU seconds, resident memory) from its /metrics, so a run
 * can report server cost per operation, comparable across machines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run.h"

static double metric(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}

bool gxlt_server_sample_get(gxlt_run *run, int i, gxlt_server_sample *out)
{
    char *text = NULL;
    int st = gxlt_rest_call(run->rest[i], "GET", "/metrics", NULL, NULL, &text);
    *out = (gxlt_server_sample){0};
    if (st == 200 && text) {
        out->cpu_s = metric(text, "process_cpu_seconds_total");
        out->rss_bytes = metric(text, "process_resident_memory_bytes");
        out->ok = out->cpu_s >= 0 && out->rss_bytes >= 0;
    }
    free(text);
    return out->ok;
}
