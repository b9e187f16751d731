/* The Redis bus: two hiredis async connections on the server's libuv loop, one for
 * commands (pipelined) and one for subscriptions. Both reconnect with backoff; while the
 * command connection is down every call fails at once with GX_EUNAVAIL, so nothing is
 * queued forever. Lua scripts are loaded on every (re)connect and run with EVALSHA. */
#ifndef GIGCX_REDIS_H
#define GIGCX_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include <hiredis/hiredis.h>
#include "gigcx/metrics.h"

typedef struct gx_redis gx_redis;

/* r is NULL when the connection dropped before a reply came. r is freed after the call. */
typedef void (*gx_redis_cb)(redisReply *r, void *priv);

typedef struct {
    /* A message on a subscribed channel; payload is not NUL-terminated. */
    void (*on_message)(const char *channel, const char *payload, size_t len, void *priv);
    /* The command connection came up (true, scripts loaded) or went down (false). */
    void (*on_state)(bool up, void *priv);
    /* The subscriber connection (re)subscribed and commands work: live events may have been
     * missed. Also called after the first subscribe. */
    void (*on_resubscribed)(void *priv);
    void *priv;
} gx_redis_hooks;

typedef enum {
    GX_SCRIPT_TASK_CREATE,
    GX_SCRIPT_CLAIM,
    GX_SCRIPT_CHAT_APPEND,
    GX_SCRIPT_TRANSITION,
    GX_SCRIPT_RATE,
    GX_SCRIPT_BRAND_PUT,
    GX_SCRIPT_RANK_SET,
    GX_SCRIPT_OUTCOME,
    GX_SCRIPT_WAVE_DUE,
    GX_SCRIPT_WAVE_CUT,
    GX_SCRIPT_WAVE_PUB,
    GX_SCRIPT_HOOK_EMIT,
    GX_SCRIPT_HOOK_CLAIM,
    GX_SCRIPT_HOOK_DONE,
    GX_SCRIPT_WAVE_WATCH,
    GX_SCRIPT_WAVE_DECLINE,
    GX_SCRIPT_CANNED_SAVE,
    GX_SCRIPT_CANNED_LIST,
    GX_SCRIPT_WATCH,
    GX_SCRIPT_WHISPER,
    GX_SCRIPT_TAKEOVER,
    GX_SCRIPT_LIVE_LIST,
    GX_SCRIPT_NOTES,
    GX_SCRIPT_REASSIGN,
    GX_SCRIPT_TASK_PURGE,
    GX_SCRIPT_COVERAGE,
    GX_SCRIPT_WORK_LIST,
    GX_SCRIPT_COUNT
} gx_script;

/* Starts connecting to url ("redis://host:port", "unix:///path", or
 * "sentinel://host:port,.../master": the primary the sentinels name, followed) and subscribing to
 * the NULL-terminated channel list (borrowed; must outlive the bus). Never fails for an unreachable
 * server (it retries); returns NULL only for a bad url or no memory. sentinel_pass: the
 * sentinels' own password when they ask one (NULL = none), sentinel_user their ACL user (NULL =
 * the default user); both copied. */
gx_redis *gx_redis_new(uv_loop_t *loop, const char *url, const char *const *channels,
                       const gx_redis_hooks *hooks, const char *sentinel_user,
                       const char *sentinel_pass);

/* True while commands can be sent. */
bool gx_redis_up(const gx_redis *r);
/* True while the subscriber connection is subscribed. */
bool gx_redis_sub_up(const gx_redis *r);
/* A command unanswered for ms drops the connection (every caller in flight hears no
 * reply) and it is made again; 0 = wait forever. */
void gx_redis_set_timeout(gx_redis *r, int ms);

/* Sends one command (argv with lengths; lens may be NULL for C strings). cb may be NULL.
 * Returns 0, or GX_EUNAVAIL when the connection is down (cb is then never called). */
int gx_redis_argv(gx_redis *r, gx_redis_cb cb, void *priv, int argc, const char **argv,
                  const size_t *lens);

/* printf-style command as hiredis formats it (%s, %b, %d ...). Same contract as argv. */
int gx_redis_cmd(gx_redis *r, gx_redis_cb cb, void *priv, const char *fmt, ...);

/* Runs a compiled-in script with nkeys keys followed by args (keys then args in argv).
 * Falls back to EVAL when Redis forgot the script. Same contract as gx_redis_argv. */
int gx_redis_script(gx_redis *r, gx_script s, gx_redis_cb cb, void *priv, int nkeys, int argc,
                    const char **argv, const size_t *lens);

/* Like gx_redis_script, for a write the caller acknowledges to a user (a chat message, a
 * claim, a new task): with gx_redis_set_wait on, the reply reaches cb only once a WAIT says
 * enough replicas have it, and cb hears NULL (unavailable) when they do not within the
 * wait, so a failover never loses what was acknowledged. Replies keep their order. */
int gx_redis_script_durable(gx_redis *r, gx_script s, gx_redis_cb cb, void *priv, int nkeys,
                            int argc, const char **argv, const size_t *lens);
/* Durable calls wait for replicas (at least 1) for up to ms; ms 0 = they do not wait. */
void gx_redis_set_wait(gx_redis *r, int replicas, int ms);

/* What the bus counted since start (for /metrics; up is not filled in). */
const gx_redis_counters *gx_redis_counters_get(const gx_redis *r);

/* Disconnects both connections gracefully (pending replies still arrive) and frees the bus
 * once both are closed. Accepts NULL. */
void gx_redis_close(gx_redis *r);

#endif
