/* Rate-limited log lines (see logrl.h). */
#include "gigcx/logrl.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/util.h"

void gx_logrl_emit(gx_logrl *rl, int level, const char *fmt, ...)
{
    int64_t now = gx_now_ms();
    if (rl->last_ms && now - rl->last_ms < 1000) {
        rl->suppressed++;
        return;
    }
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    size_t n = strlen(line);
    if (n && line[n - 1] == '\n')
        line[--n] = '\0';
    if (rl->suppressed)
        _lws_log(level, "%s (and %llu more like it since the last report)\n", line,
                 (unsigned long long)rl->suppressed);
    else
        _lws_log(level, "%s\n", line);
    rl->last_ms = now;
    rl->suppressed = 0;
}
