/* Following Redis Sentinel: which address is the primary of a monitored master now. One
 * connection asks the sentinels in turn (SENTINEL get-master-addr-by-name); one per
 * sentinel listens for a failover's start and its switch, so both are heard the moment the
 * sentinels decide them. The bus (redis.c) moves its connections when the answer changes. */
#ifndef GIGCX_SENTINEL_H
#define GIGCX_SENTINEL_H

#include <stdbool.h>
#include <uv.h>

typedef struct gx_sentinel gx_sentinel;

/* The primary is at host:port: an answer to gx_sentinel_ask, a switch the sentinels
 * announced, or the periodic check. It may repeat the address already known. */
typedef void (*gx_sentinel_cb)(const char *host, int port, void *priv);
/* A sentinel started replacing the primary (starts: +try-failover), or gave up (false:
 * -failover-abort-*). Between the start and the switch the old primary still takes writes
 * that its replacement will not have: the bus stops writing at the start. */
typedef void (*gx_sentinel_failover_cb)(bool starts, void *priv);

/* The sentinels' own credentials (their requirepass, or an ACL user): pass NULL = none; user
 * NULL = the default user. */
typedef struct {
    const char *user, *pass;
} gx_sentinel_auth;

/* list: "host:port,host:port,..." (copied); master: the monitored name (copied); auth may be
 * NULL (copied). NULL for a bad list or no memory. Starts listening to every sentinel at once. */
gx_sentinel *gx_sentinel_new(uv_loop_t *loop, const char *list, const char *master,
                             const gx_sentinel_auth *auth, gx_sentinel_cb cb,
                             gx_sentinel_failover_cb on_failover, void *priv);

/* Asks the sentinels for the primary; the answer comes through cb (never from inside this
 * call). Asking again while a question is out adds nothing. */
void gx_sentinel_ask(gx_sentinel *s);

/* Drops the connections and frees s once its handles are closed. Accepts NULL. */
void gx_sentinel_close(gx_sentinel *s);

#endif
