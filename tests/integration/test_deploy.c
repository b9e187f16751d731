/* The deployment kit with the real Debian packages: deploy/haproxy.cfg and deploy/nginx.conf
 * in front of two gigcxd nodes (their addresses put in place of the files' examples).
 * Through HAProxy: a whole chat, then a node drained (SIGTERM, --drain-s 2) while the
 * customer keeps sending: every message acknowledged is stored, once, and the clients are
 * back through HAProxy on the other node; then the drained node rejoins and a shed on the
 * other gives it half the sockets back. Through nginx: a whole chat. Through both: how long
 * clients are away after a kill -9 and a roll. Skipped (77) when haproxy or nginx is not
 * installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "harness.h"

#define LB 2    /* env.node_port[LB]: HAProxy's frontend */
#define NGINX 3 /* env.node_port[NGINX]: nginx's */

static gxt_env env;
static pid_t haproxy_pid, nginx_pid;
static const char *const extra[] = {"--drain-s", "2", NULL};

/* The file with its example addresses replaced; malloc'd. */
static char *render(const char *name, int front)
{
    char path[512], from[3][24], to[3][24];
    snprintf(path, sizeof(path), "%s/%s", GX_DEPLOY_DIR, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[16384];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    int ports[3] = {front, env.node_port[0], env.node_port[1]};
    for (int i = 0; i < 3; i++) {
        snprintf(from[i], sizeof(from[i]), "127.0.0.1:%d", 8080 + i);
        snprintf(to[i], sizeof(to[i]), "127.0.0.1:%d", ports[i]);
    }
    char *out = malloc(2 * sizeof(text)), *o = out;
    for (const char *p = text; *p;) {
        int k = -1;
        for (int i = 0; i < 3 && k < 0; i++)
            if (strncmp(p, from[i], strlen(from[i])) == 0)
                k = i;
        if (k >= 0) {
            o += sprintf(o, "%s", to[k]);
            p += strlen(from[k]);
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static pid_t run(const char *log, char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        FILE *l = freopen(log, "w", stdout);
        (void)l;
        dup2(1, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Waits for GET /readyz through a proxy to answer 200. */
static void wait_ready(int node)
{
    for (int i = 0; i < 100; i++) {
        if (gxt_http(&env, node, "GET", "/readyz", NULL, NULL, NULL, NULL) == 200)
            return;
        usleep(100000);
    }
    fail_msg("no 200 from /readyz through the proxy");
}

static int setup(void **state)
{
    (void)state;
    if (access("/usr/sbin/haproxy", X_OK) || access("/usr/sbin/nginx", X_OK)) {
        print_message("haproxy or nginx not installed: skipped\n");
        exit(77);
    }
    gxt_setup(&env, 2, extra);
    char path[256], log[256];
    env.node_port[LB] = gxt_free_port();
    char *cfg = render("haproxy.cfg", env.node_port[LB]);
    snprintf(path, sizeof(path), "%s/haproxy.cfg", env.dir);
    write_file(path, cfg);
    free(cfg);
    snprintf(log, sizeof(log), "%s/haproxy.log", env.dir);
    char *hargv[] = {"/usr/sbin/haproxy", "-db", "-f", path, NULL};
    haproxy_pid = run(log, hargv);

    env.node_port[NGINX] = gxt_free_port();
    cfg = render("nginx.conf", env.node_port[NGINX]);
    char *http = strstr(cfg, "http {"), temps[1024];
    assert_non_null(http);
    snprintf(temps, sizeof(temps),
             "http {\n    client_body_temp_path %s/nx-body;\n    proxy_temp_path %s/nx-proxy;\n"
             "    fastcgi_temp_path %s/nx-f;\n    uwsgi_temp_path %s/nx-u;\n"
             "    scgi_temp_path %s/nx-s;\n    access_log off;\n",
             env.dir, env.dir, env.dir, env.dir, env.dir);
    char *full = malloc(strlen(cfg) + sizeof(temps));
    sprintf(full, "%.*s%s%s", (int)(http - cfg), cfg, temps, http + strlen("http {\n"));
    snprintf(path, sizeof(path), "%s/nginx.conf", env.dir);
    write_file(path, full);
    free(full);
    free(cfg);
    char globals[512];
    snprintf(globals, sizeof(globals),
             "daemon off; user root; pid %s/nginx.pid; error_log %s/nginx.err;", env.dir, env.dir);
    snprintf(log, sizeof(log), "%s/nginx.log", env.dir);
    char *nargv[] = {"/usr/sbin/nginx", "-c", path, "-g", globals, NULL};
    nginx_pid = run(log, nargv);
    wait_ready(LB);
    wait_ready(NGINX);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pid_t pids[] = {haproxy_pid, nginx_pid};
    for (int i = 0; i < 2; i++)
        if (pids[i] > 0) {
            kill(pids[i], SIGTERM);
            waitpid(pids[i], NULL, 0);
        }
    env.node_port[LB] = env.node_port[NGINX] = 0;
    return gxt_teardown(&env);
}

/* A task through the proxy at node index via, claimed and chatted on; returns the task. */
static json_t *chat_through(int via, const char *expert, gxt_conn **e, gxt_conn **cu, char **etok)
{
    gxt_expert(&env, expert, "acme", 2);
    *etok = gxt_token(&env, expert, "expert", NULL);
    *e = gxt_login(&env, via, *etok, NULL, NULL);
    gxt_send(*e, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(*e, "presence", 3000));
    json_t *t = gxt_task(&env, via, env.api_key, expert, "hello through the proxy", 0);
    *cu = gxt_login(&env, via, gxt_str(t, "customer_token"), NULL, NULL);
    gxt_claim_offered(*e, gxt_str(t, "task"));
    gxt_send(*cu, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", gxt_str(t, "task"), "text",
             "hi", "cid", "first");
    json_decref(gxt_must(*e, "chat.message", 3000));
    return t;
}

static void test_nginx_carries_a_chat(void **state)
{
    (void)state;
    gxt_conn *e, *cu;
    char *tok;
    json_t *t = chat_through(NGINX, "ng1", &e, &cu, &tok);
    gxt_close(e);
    gxt_close(cu);
    json_decref(t);
    free(tok);
}

/* Sends message i with cid "m<i>" (again, after a reconnect: the cid makes it once). */
static void send_msg(gxt_conn *c, const char *task, int i)
{
    char cid[16], text[32];
    snprintf(cid, sizeof(cid), "m%d", i);
    snprintf(text, sizeof(text), "message %d", i);
    gxt_send(c, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", text, "cid",
             cid);
}

static void test_haproxy_drain_loses_nothing(void **state)
{
    (void)state;
    enum { N = 60 };
    gxt_conn *e, *cu;
    char *etok;
    json_t *t = chat_through(LB, "hp1", &e, &cu, &etok);
    const char *task = gxt_str(t, "task");
    char *ctok = strdup(gxt_str(t, "customer_token"));
    bool acked[N] = {false};
    int sent = 0, reconnects = 0;
    int64_t t0 = gxt_now_ms();
    kill(env.node_pid[0], SIGTERM); /* drains for 2 s */
    while (gxt_now_ms() - t0 < 8000) {
        if (sent < N && gxt_now_ms() - t0 >= sent * 50)
            send_msg(cu, task, sent++);
        gxt_pump(&env, 5);
        json_t *a;
        while ((a = gxt_expect(cu, "chat.ack", 0))) {
            int i = atoi(gxt_str(a, "cid") + 1);
            if (i >= 0 && i < N)
                acked[i] = true;
            json_decref(a);
        }
        if (cu->closed) { /* back through HAProxy, and the unacknowledged again */
            gxt_close(cu);
            cu = gxt_login(&env, LB, ctok, NULL, NULL);
            reconnects++;
            for (int i = 0; i < sent; i++)
                if (!acked[i])
                    send_msg(cu, task, i);
        }
        if (e->closed) {
            gxt_close(e);
            e = gxt_login(&env, LB, etok, NULL, NULL);
            reconnects++;
        }
        int done = 0;
        for (int i = 0; i < N; i++)
            done += acked[i];
        if (done == N)
            break;
    }
    for (int i = 0; i < N; i++)
        assert_true(acked[i]);
    print_message("%d messages acknowledged across the drain, %d reconnects\n", N, reconnects);
    assert_true(reconnects >= 1); /* one of the two was on the drained node (leastconn) */
    assert_int_equal(gxt_wait_node(&env, 0, 8000), 0);
    /* each stored once, in the order acknowledged */
    gxt_send(e, "{s:s, s:s, s:i}", "type", "chat.history", "task", task, "limit", 100);
    json_t *h = gxt_must(e, "chat.history", 3000);
    json_t *msgs = json_object_get(h, "messages");
    int seen[N] = {0};
    for (size_t i = 0; i < json_array_size(msgs); i++) {
        const char *text = gxt_str(json_array_get(msgs, i), "text");
        if (strncmp(text, "message ", 8) == 0)
            seen[atoi(text + 8)]++;
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    json_decref(h);
    gxt_close(e);
    gxt_close(cu);
    json_decref(t);
    free(etok);
    free(ctok);
}

/* A customer's token from node 2 (gxt_token asks node 1, down here); malloc'd. */
static char *token_from_node2(const char *sub)
{
    char body[128];
    snprintf(body, sizeof(body), "{\"sub\": \"%s\", \"role\": \"customer\", \"brand\": \"acme\"}",
             sub);
    json_t *out = NULL;
    assert_int_equal(gxt_http(&env, 1, "POST", "/api/v1/tokens", GXT_ADMIN, NULL, body, &out), 201);
    char *tok = strdup(gxt_str(out, "token"));
    json_decref(out);
    return tok;
}

/* A node that rejoins starts empty: shedding half of the other's sockets (POST
 * /api/v1/admin/shed) sends them back through HAProxy's leastconn to the newcomer. Runs
 * after the drain test, which left node 1 down. */
static void test_haproxy_shed_fills_a_rejoined_node(void **state)
{
    (void)state;
    enum { N = 16 };
    gxt_conn *c[N];
    char *tok[N];
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof(id), "rj%d", i);
        tok[i] = token_from_node2(id);
        c[i] = gxt_login(&env, LB, tok[i], NULL, NULL); /* all on node 2: node 1 is down */
    }
    const char *customers = "gigcx_connections{role=\"customer\"}";
    assert_int_equal(gxt_metric(&env, 1, customers), N);
    gxt_start_node(&env, 0, extra);
    json_t *who = NULL;
    for (int i = 0; i < 100 && strcmp(gxt_str(who, "node"), "node1") != 0; i++) {
        json_decref(who);
        who = NULL;
        usleep(100000); /* until HAProxy's checks (rise 2, 1 s apart) let it in */
        gxt_http(&env, LB, "GET", "/readyz", NULL, NULL, NULL, &who);
    }
    assert_string_equal(gxt_str(who, "node"), "node1");
    json_decref(who);

    json_t *out = NULL;
    assert_int_equal(gxt_http(&env, 1, "POST", "/api/v1/admin/shed", GXT_ADMIN, NULL,
                              "{\"share\": 0.5, \"over_s\": 2}", &out),
                     202);
    assert_int_equal(json_integer_value(json_object_get(out, "shedding")), N / 2);
    json_decref(out);
    int back = 0;
    for (int64_t t0 = gxt_now_ms(); back < N / 2 && gxt_now_ms() - t0 < 8000;) {
        gxt_pump(&env, 10);
        for (int i = 0; i < N; i++)
            if (c[i]->closed) { /* as a client does: through the balancer again */
                assert_int_equal(c[i]->close_code, 1001);
                gxt_close(c[i]);
                c[i] = gxt_login(&env, LB, tok[i], NULL, NULL);
                back++;
            }
    }
    long long rejoined = gxt_metric(&env, 0, customers), stayed = gxt_metric(&env, 1, customers);
    print_message("%d shed: the rejoined node has %lld, the other %lld\n", back, rejoined, stayed);
    assert_int_equal(back, N / 2);
    assert_true(rejoined >= N / 2 - 1 && rejoined + stayed == N);
    for (int i = 0; i < N; i++) {
        gxt_close(c[i]);
        free(tok[i]);
    }
}

/* Clients through one front (LB or NGINX) and how long the ones cut off took to be back. */
typedef struct {
    int front, n, back;
    gxt_conn *c[12];
    char *tok[12];
    int64_t gap_ms[12]; /* from the cut (or the close) to the welcome */
} gxt_front;

static void front_open(gxt_front *f, int front, const char *prefix)
{
    *f = (gxt_front){.front = front, .n = 12};
    for (int i = 0; i < f->n; i++) {
        char id[24];
        snprintf(id, sizeof(id), "%s%d", prefix, i);
        f->tok[i] = token_from_node2(id);
        f->c[i] = gxt_login(&env, front, f->tok[i], NULL, NULL);
        assert_non_null(f->c[i]);
    }
}

/* Logs the closed clients in again through their front; since = the kill, or 0 to count
 * from each close. */
static void front_pump(gxt_front *f, int64_t since)
{
    for (int i = 0; i < f->n; i++) {
        if (!f->c[i]->closed)
            continue;
        int64_t t0 = since ? since : gxt_now_ms();
        gxt_close(f->c[i]);
        f->c[i] = NULL;
        for (int k = 0; k < 50 && !f->c[i]; k++)
            f->c[i] = gxt_login(&env, f->front, f->tok[i], NULL, NULL);
        assert_non_null(f->c[i]);
        f->gap_ms[f->back++] = gxt_now_ms() - t0;
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void front_report(gxt_front *f, const char *what)
{
    qsort(f->gap_ms, (size_t)f->back, sizeof(f->gap_ms[0]), cmp_i64);
    print_message("%s through %s: %d of %d clients cut off, back in p50 %lld ms, max %lld ms\n",
                  what, f->front == LB ? "HAProxy" : "nginx", f->back, f->n,
                  f->back ? (long long)f->gap_ms[f->back / 2] : 0LL,
                  f->back ? (long long)f->gap_ms[f->back - 1] : 0LL);
    for (int i = 0; i < f->n; i++) {
        gxt_close(f->c[i]);
        free(f->tok[i]);
    }
}

static void fronts_pump(gxt_front *fs, int64_t since, int ms)
{
    for (int64_t t0 = gxt_now_ms(); gxt_now_ms() - t0 < ms;) {
        gxt_pump(&env, 10);
        for (int k = 0; k < 2; k++)
            front_pump(&fs[k], since);
    }
}

/* How long clients are away when a node dies (kill -9) and when one is rolled (SIGTERM,
 * drained over 2 s), through each balancer. A figure, not a bound on time: the test asks
 * only that every client cut off is back. */
static void test_reconnect_after_kill_and_roll(void **state)
{
    (void)state;
    gxt_front fs[2];
    front_open(&fs[0], LB, "kh");
    front_open(&fs[1], NGINX, "kn");
    int64_t t_kill = gxt_now_ms();
    kill(env.node_pid[0], SIGKILL);
    gxt_wait_node(&env, 0, 5000);
    fronts_pump(fs, t_kill, 3000);
    for (int k = 0; k < 2; k++) {
        assert_true(fs[k].back >= 1);
        front_report(&fs[k], "kill -9 of a node");
    }
    gxt_start_node(&env, 0, extra);
    usleep(2500000); /* HAProxy lets it in after two checks */
    front_open(&fs[0], LB, "rh");
    front_open(&fs[1], NGINX, "rn");
    kill(env.node_pid[1], SIGTERM);
    fronts_pump(fs, 0, 4000);
    for (int k = 0; k < 2; k++) {
        assert_true(fs[k].back >= 1);
        front_report(&fs[k], "a roll (SIGTERM, 2 s drain)");
    }
    assert_int_equal(gxt_wait_node(&env, 1, 5000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nginx_carries_a_chat),
        cmocka_unit_test(test_haproxy_drain_loses_nothing),
        cmocka_unit_test(test_haproxy_shed_fills_a_rejoined_node),
        cmocka_unit_test(test_reconnect_after_kill_and_roll),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
