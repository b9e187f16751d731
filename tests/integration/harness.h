/* The integration test harness: a private redis-server and real gigcxd processes on free
 * loopback ports, WebSocket clients (gxclient) driven synchronously with time bounds, and a
 * tiny blocking HTTP client. Every wait is bounded; children die with the test. */
#ifndef GIGCX_TEST_HARNESS_H
#define GIGCX_TEST_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>
#include <uv.h>
#include "gigcx/client.h"

#define GXT_NODES_MAX 4
#define GXT_SECRET "integration-secret-0123456789"
#define GXT_ADMIN "integration-admin-key"

typedef struct {
    uv_loop_t loop;
    gxc_ctx *ctx;
    uv_timer_t tick;
    pid_t redis_pid;
    int redis_port;
    pid_t node_pid[GXT_NODES_MAX];
    int node_port[GXT_NODES_MAX];
    char dir[128];       /* logs */
    char *api_key;       /* owned: the api key of brand "acme", which gxt_setup creates */
    char redis_url[256]; /* the nodes' --redis, when set (a gxt_prepare hook sets it) */
} gxt_env;

/* Runs in gxt_setup once its redis-server is up, before any node starts: a test puts
 * replicas and sentinels beside it there, and may set env->redis_url. */
extern void (*gxt_prepare)(gxt_env *env);

/* When set, every HTTP request the harness sends begins with these bytes (a balancer's PROXY
 * header, for a node run with --proxy-protocol); len 0 = strlen. */
extern const char *gxt_proxy_header;
extern size_t gxt_proxy_header_len;

typedef struct {
    gxt_env *env;
    gxc_conn *c;   /* NULL once closed */
    json_t *inbox; /* messages not yet taken, in arrival order */
    bool opened, closed;
    int close_code;
} gxt_conn;

/* Starts redis and nodes gigcxd processes (extra args appended to each, may be NULL).
 * Fails the test (cmocka) if anything does not come up within 10 s. */
void gxt_setup(gxt_env *env, int nodes, const char *const *extra);
/* The cmocka group fixtures of a test file: a static env named env with nodes gigcxd
 * processes (extra arguments may be NULL), started once for the whole group. */
#define GXT_FIXTURES(nodes, extra)                                                                 \
    static gxt_env env;                                                                            \
    static int setup(void **state)                                                                 \
    {                                                                                              \
        (void)state;                                                                               \
        gxt_setup(&env, nodes, extra);                                                             \
        return 0;                                                                                  \
    }                                                                                              \
    static int teardown(void **state)                                                              \
    {                                                                                              \
        (void)state;                                                                               \
        return gxt_teardown(&env);                                                                 \
    }

/* Stops everything. Returns non-zero (and says which) if a node did not exit 0 on SIGTERM:
 * a sanitizer report or a leak in gigcxd fails the test that ran it. */
int gxt_teardown(gxt_env *env);
/* Stops (SIGTERM) and starts again the test's redis-server on the same port; its data
 * survives (AOF). */
void gxt_redis_stop(gxt_env *env);
void gxt_redis_start(gxt_env *env);
/* Inline commands (several: "\r\n" between) to the test's redis-server: the first read of
 * the reply to one, or for several their one-line replies (malloc'd); NULL when nothing
 * could be sent or nothing came within 10 s. */
char *gxt_redis(gxt_env *env, const char *cmd);
/* The same, to the Redis (or sentinel) on port. */
char *gxt_redis_at(int port, const char *cmd);
/* True when the Redis on port answers PING. */
bool gxt_redis_ping(int port);
/* Starts a process that dies with the test, its output in <env->dir>/<name>.log. */
pid_t gxt_spawn(gxt_env *env, const char *name, char *const argv[]);
/* Waits up to ms for node i to exit by itself; its exit status, or -1. */
int gxt_wait_node(gxt_env *env, int i, int ms);
/* Sends SIGTERM to node i and returns its exit status (or -1 after 10 s). */
int gxt_stop_node(gxt_env *env, int i);
/* Starts node i again (after gxt_stop_node) on its port with extra arguments (may be NULL,
 * and may differ from the first start); fails the test if it is not healthy within 10 s. */
void gxt_start_node(gxt_env *env, int i, const char *const *extra);

/* A loopback port nobody uses, outside the range outgoing connections take theirs from. */
int gxt_free_port(void);

/* Monotonic milliseconds. */
int64_t gxt_now_ms(void);
/* Runs the loop for about ms milliseconds. */
void gxt_pump(gxt_env *env, int ms);

/* A WebSocket to node i; NULL if it did not open within 5 s. protocol NULL = none. */
gxt_conn *gxt_ws(gxt_env *env, int node, const char *protocol);
/* gxt_ws + hello {token, resume} + the welcome (returned in *welcome when not NULL).
 * Takes the reference to resume. */
gxt_conn *gxt_login(gxt_env *env, int node, const char *token, json_t *resume, json_t **welcome);
/* An expert (already PUT) signed in on node with a fresh token and set available. */
gxt_conn *gxt_available(gxt_env *env, int node, const char *id);
/* Sends a JSON text built like json_pack, or raw text. */
void gxt_send(gxt_conn *c, const char *fmt, ...);
void gxt_send_raw(gxt_conn *c, const char *text, size_t len);
/* The first waiting message of type (others stay queued), or NULL after timeout. New ref. */
json_t *gxt_expect(gxt_conn *c, const char *type, int timeout_ms);
/* Like gxt_expect but fails the test when nothing comes. */
json_t *gxt_must(gxt_conn *c, const char *type, int timeout_ms);
/* The error a request got: its code string (static), after waiting up to timeout. */
const char *gxt_error_code(gxt_conn *c, int timeout_ms);
/* Waits for the close; returns its code (or 0 if still open). */
int gxt_wait_close(gxt_conn *c, int timeout_ms);
/* Counts queued messages of type (without taking them). */
int gxt_count(gxt_conn *c, const char *type);
void gxt_close(gxt_conn *c);
/* Cuts the TCP connection without a close frame (RST), as a lost network would, and waits
 * for the client to notice. */
void gxt_drop(gxt_conn *c);

/* Waits for the offer of task (other offers are dropped), claims it and waits for
 * task.assigned; fails the test when either does not come within 5 s. */
void gxt_claim_offered(gxt_conn *c, const char *task);

/* The next task.update of c with status (owned; others dropped); fails the test after ms. */
json_t *gxt_update(gxt_conn *c, const char *status, int ms);

/* The string member k of o, or "" (never NULL), for terse assertions. */
const char *gxt_str(json_t *o, const char *k);

/* HTTP to node i. Returns the status; *out gets the JSON body (NULL if none). */
int gxt_http(gxt_env *env, int node, const char *method, const char *path, const char *bearer,
             const char *origin, const char *body, json_t **out);

/* The same with extra header lines ("Name: value\r\n" each, may be NULL). */
int gxt_http_ex(gxt_env *env, int node, const char *method, const char *path, const char *bearer,
                const char *headers, const char *body, json_t **out);

/* The value of one unlabelled series of node's /metrics, or -1. */
long long gxt_metric(gxt_env *env, int node, const char *name);

/* Admin helpers (fail the test on error). Returned strings are malloc'd. */
char *gxt_brand(gxt_env *env, const char *brand);
void gxt_expert(gxt_env *env, const char *id, const char *brand, int capacity);
char *gxt_token(gxt_env *env, const char *sub, const char *role, const char *brand);
/* POST /api/v1/tasks on node; returns the body ({task, customer_token, ...}). */
json_t *gxt_task(gxt_env *env, int node, const char *apikey, const char *customer, const char *text,
                 int priority);
/* Creates n tasks (at most 64) at once: every request is written before any reply is read.
 * Fills out[i] with each reply (owned). */
void gxt_task_burst(gxt_env *env, int node, const char *apikey, int n, json_t **out);

/* Runs a test file's cases (tests, n of them, with the group fixtures). CTest runs some files
 * a second time through gxclient's own framing (GXT_OWN_FRAMING=1); that run is about the
 * client library, so it runs only the cases named in own (NULL-terminated): those whose
 * frames, pings and closes go through the client's framing. A name in own that matches no
 * case fails the run. Needs <setjmp.h>, <stdarg.h>, <stddef.h> and <cmocka.h> first. */
#ifdef cmocka_unit_test
int gxt_run_cases(const char *group, const struct CMUnitTest *tests, size_t n,
                  const char *const *own, CMFixtureFunction setup, CMFixtureFunction teardown);
#define GXT_RUN_CASES(tests, own, setup, teardown)                                                 \
    gxt_run_cases(#tests, tests, sizeof(tests) / sizeof((tests)[0]), own, setup, teardown)
#endif

#endif
