/* A TCP proxy in front of the test's redis-server that holds back the replies of every
 * connection that has not subscribed, by a delay the test sets at any time. gigcxd's
 * command connection then answers late while its subscriber connection stays prompt: the
 * order of the two that a loaded Redis (or a far one) can produce, made on demand.
 * One thread; loopback only; the test stops it. */
#ifndef GIGCX_TEST_LAGPROXY_H
#define GIGCX_TEST_LAGPROXY_H

typedef struct gxt_lag gxt_lag;

/* Listens on 127.0.0.1:port and connects each client to 127.0.0.1:*upstream, read when the
 * client comes (so the upstream port may be chosen after the proxy started). */
gxt_lag *gxt_lag_start(int port, const int *upstream);
/* Replies on non-subscribed connections reach the client this much later from now on. */
void gxt_lag_delay(gxt_lag *l, int ms);
/* From the first client chunk holding marker on, as gxt_lag_delay(l, ms): the reply to
 * that command (already run by Redis) comes late. */
void gxt_lag_delay_after(gxt_lag *l, const char *marker, int ms);
/* How many client chunks forwarded so far contained both a and b. */
int gxt_lag_seen(gxt_lag *l, const char *a, const char *b);
void gxt_lag_stop(gxt_lag *l);

#endif
