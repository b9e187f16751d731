/* Following Redis Sentinel: which address is the primary of a monitored master now. One
 * connection asks the sentinels in turn (SENTINEL get-master-addr-by-name), another stays
 * subscribed to +switch-master on one of them, so a failover is heard the moment the
 * sentinels decide it. The bus (redis.c) moves its connections when the answer changes. */
#ifndef GIGCX_SENTINEL_H
#define GIGCX_SENTINEL_H

#include <uv.h>

typedef struct gx_sentinel gx_sentinel;

/* The primary is at host:port: an answer to gx_sentinel_ask, a switch the sentinels
 * announced, or the periodic check. It may repeat the address already known. */
typedef void (*gx_sentinel_cb)(const char *host, int port, void *priv);

/* list: "host:port,host:port,..." (copied); master: the monitored name (copied). NULL for a
 * bad list or no memory. Starts the subscription at once. */
gx_sentinel *gx_sentinel_new(uv_loop_t *loop, const char *list, const char *master,
                             gx_sentinel_cb cb, void *priv);

/* Asks the sentinels for the primary; the answer comes through cb (never from inside this
 * call). Asking again while a question is out adds nothing. */
void gx_sentinel_ask(gx_sentinel *s);

/* Drops the connections and frees s once its handles are closed. Accepts NULL. */
void gx_sentinel_close(gx_sentinel *s);

#endif
