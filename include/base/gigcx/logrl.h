/* Logs that cannot flood (logrl.c): a line said again within a second is counted instead of
 * written, and the next one written says how many were left out. Each call site keeps its
 * own count (GX_LOG_LIMITED). A Redis that refuses every write, or a peer that keeps
 * failing, costs one line a second, not one per request. */
#ifndef GIGCX_LOGRL_H
#define GIGCX_LOGRL_H

#include <stdint.h>

typedef struct {
    int64_t last_ms;     /* when this site last wrote a line; 0 never */
    uint64_t suppressed; /* lines left out since */
} gx_logrl;

/* Writes through lws's log at level (LLL_*) unless rl wrote within the last second. */
void gx_logrl_emit(gx_logrl *rl, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define GX_LOG_LIMITED(level, ...)                                                                 \
    do {                                                                                           \
        static gx_logrl rl_;                                                                       \
        gx_logrl_emit(&rl_, level, __VA_ARGS__);                                                   \
    } while (0)

#endif
