/* Redis faults gigcxd must come back from by itself, and refusals it must never answer as
 * done: a restart with a dataset that takes a while to load (LOADING), the primary turned
 * into a replica (READONLY) and back, and a full Redis (maxmemory, OOM). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "harness.h"

static const char *const extra[] = {"--redis-timeout", "1000", NULL};
GXT_FIXTURES(1, extra) /* run with GXT_REDIS_DEBUG=1 (CMakeLists.txt) */

static int healthz(void)
{
    return gxt_http(&env, 0, "GET", "/healthz", NULL, NULL, NULL, NULL);
}

/* Waits up to ms for /healthz to answer want; returns the ms it took, or -1. */
static int64_t until_health(int want, int ms)
{
    int64_t t0 = gxt_now_ms();
    while (gxt_now_ms() - t0 < ms) {
        if (healthz() == want)
            return gxt_now_ms() - t0;
        usleep(20000);
    }
    return -1;
}

static void redis_ok(const char *cmd)
{
    char *r = gxt_redis(&env, cmd);
    assert_non_null(r);
    assert_true(r[0] == '+' || r[0] == ':' || r[0] == '$');
    free(r);
}

static bool rewriting(void)
{
    char *r = gxt_redis(&env, "INFO persistence");
    bool busy =
        !r || strstr(r, "aof_rewrite_in_progress:1") || strstr(r, "aof_rewrite_scheduled:1");
    free(r);
    return busy;
}

static int post_task(void)
{
    json_t *out = NULL;
    int st = gxt_http(&env, 0, "POST", "/api/v1/tasks", env.api_key, NULL,
                      "{\"customer\":{\"id\":\"rf\",\"name\":\"Ann\"},\"topic\":\"billing\","
                      "\"language\":\"en\",\"text\":\"hello\"}",
                      &out);
    if (st != 201 && st != 503) { /* say why, for a failure's log */
        char *why = out ? json_dumps(out, JSON_COMPACT) : NULL;
        print_message("POST /api/v1/tasks -> %d %s\n", st, why ? why : "");
        free(why);
    }
    json_decref(out);
    return st;
}

/* A restart whose AOF takes a while to load: gigcxd connects while Redis says LOADING, and
 * must be serving again within 2 s of Redis being ready (it stayed down for good). */
static void test_back_after_loading(void **state)
{
    (void)state;
    redis_ok("DEBUG POPULATE 2000000 filler 100"); /* about 1.5 s to load here */
    redis_ok("BGREWRITEAOF");
    for (int i = 0; i < 600 && rewriting(); i++)
        usleep(50000);
    gxt_redis_stop(&env);
    int64_t t0 = gxt_now_ms();
    gxt_redis_start(&env); /* returns once PING answers: the dataset is in */
    print_message("redis loaded in %lld ms\n", (long long)(gxt_now_ms() - t0));
    int64_t back = until_health(200, 5000);
    print_message("gigcxd ready %lld ms after redis\n", (long long)back);
    assert_true(back >= 0 && back <= 2000);
    assert_int_equal(post_task(), 201);
    redis_ok("FLUSHALL");
    redis_ok("BGREWRITEAOF");
    for (int i = 0; i < 600 && rewriting(); i++)
        usleep(50000);
}

/* A primary that becomes a replica refuses writes (READONLY): gigcxd says unavailable
 * (503, never a 201 or a 500) and is unready until it is a primary again. */
static void test_readonly_is_unavailable(void **state)
{
    (void)state;
    /* a port bound and never listened on: the replica's sync is refused, keeping its data
     * (a free port could meet another test's Redis and sync its dataset) */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "REPLICAOF 127.0.0.1 %d", ntohs(a.sin_port));
    redis_ok(cmd);
    int st = post_task();
    assert_int_equal(st, 503);
    assert_true(until_health(503, 2000) >= 0);
    redis_ok("REPLICAOF NO ONE");
    close(fd);
    assert_true(until_health(200, 5000) >= 0);
    assert_int_equal(post_task(), 201);
}

/* A full Redis (maxmemory, no eviction) refuses writes with OOM: an expert put is not
 * answered as stored. */
static void test_full_redis_is_unavailable(void **state)
{
    (void)state;
    redis_ok("CONFIG SET maxmemory-policy noeviction");
    redis_ok("CONFIG SET maxmemory 1");
    int st = gxt_http(&env, 0, "PUT", "/api/v1/experts/oom1", GXT_ADMIN, NULL,
                      "{\"name\":\"O\",\"skills\":[\"billing\"],\"languages\":[\"en\"],\"tier\":1,"
                      "\"brands\":[\"acme\"],\"capacity\":1}",
                      NULL);
    redis_ok("CONFIG SET maxmemory 0");
    assert_int_equal(st, 503);
    char *r = gxt_redis(&env, "EXISTS gx:expert:oom1");
    assert_non_null(r);
    assert_string_equal(r, ":0\r\n");
    free(r);
    assert_int_equal(post_task(), 201);
}

/* A Redis that stops answering (CLIENT PAUSE, as a stall or a partition would): /metrics
 * still answers at once, and a request is told unavailable after the command time-out
 * (1 s here) instead of hanging; then gigcxd serves again. */
static void test_stalled_redis_times_out(void **state)
{
    (void)state;
    redis_ok("CLIENT PAUSE 3000 ALL");
    int64_t t0 = gxt_now_ms();
    assert_int_equal(gxt_http(&env, 0, "GET", "/metrics", NULL, NULL, NULL, NULL), 200);
    int64_t metrics_ms = gxt_now_ms() - t0;
    t0 = gxt_now_ms();
    int st = post_task();
    int64_t post_ms = gxt_now_ms() - t0;
    print_message("metrics in %lld ms, task refused (%d) in %lld ms\n", (long long)metrics_ms, st,
                  (long long)post_ms);
    assert_true(metrics_ms < 500);
    assert_int_equal(st, 503);
    assert_true(post_ms < 2500);
    redis_ok("CLIENT UNPAUSE");
    assert_true(until_health(200, 5000) >= 0);
    assert_int_equal(post_task(), 201);
}

/* gx:pres:<user> (operators' view of an expert's presence) expires: it was written and
 * never read nor removed, one key per expert ever seen. */
static void test_presence_hash_expires(void **state)
{
    (void)state;
    gxt_expert(&env, "pt1", "acme", 1);
    char *tok = gxt_token(&env, "pt1", "expert", NULL);
    gxt_conn *e = gxt_login(&env, 0, tok, NULL, NULL);
    gxt_send(e, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(e, "presence", 3000));
    char *r = gxt_redis(&env, "TTL gx:pres:pt1");
    assert_non_null(r);
    long ttl = r[0] == ':' ? atol(r + 1) : -9;
    free(r);
    assert_true(ttl > 0 && ttl <= 86400);
    gxt_close(e);
    free(tok);
}

/* A Redis with a password, and a database other than 0: the URL carries both (the
 * password percent-encoded); with requirepass, gigcxd was 503 forever. */
static void test_password_and_database(void **state)
{
    (void)state;
    redis_ok("CONFIG SET requirepass s3cret@1");
    gxt_stop_node(&env, 0);
    char url[128];
    snprintf(url, sizeof(url), "redis://:s3cret%%401@127.0.0.1:%d/2", env.redis_port);
    const char *args[] = {"--redis-timeout", "1000", "--redis", url, NULL};
    gxt_start_node(&env, 0, args); /* fails the test unless healthy */
    json_t *out = NULL;
    assert_int_equal(gxt_http(&env, 0, "PUT", "/api/v1/brands/pw?rotate=1", GXT_ADMIN, NULL,
                              "{\"name\":\"pw\",\"pay\":{\"amount\":5,\"currency\":\"EUR\"},"
                              "\"widget_origins\":[]}",
                              &out),
                     201);
    json_decref(out);
    char *r = gxt_redis(&env, "AUTH s3cret@1\r\nSELECT 2\r\nEXISTS gx:brand:pw");
    assert_non_null(r);
    assert_non_null(strstr(r, "+OK\r\n+OK\r\n:1\r\n")); /* in database 2 */
    free(r);
    r = gxt_redis(&env, "AUTH s3cret@1\r\nCONFIG SET requirepass \"\"");
    free(r);
    gxt_stop_node(&env, 0);
    gxt_start_node(&env, 0, extra);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readonly_is_unavailable),
        cmocka_unit_test(test_full_redis_is_unavailable),
        cmocka_unit_test(test_presence_hash_expires),
        cmocka_unit_test(test_stalled_redis_times_out),
        cmocka_unit_test(test_back_after_loading),
        cmocka_unit_test(test_password_and_database),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
