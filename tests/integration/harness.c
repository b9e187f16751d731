/* Integration harness: processes, synchronous WebSocket driving, blocking HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "harness.h"

static bool port_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Ports come from below the kernel's ephemeral range: a node or receiver that is stopped and
 * started again must find its port still free, and outgoing connections (a load test makes
 * thousands) take their local ports from that range. */
int gxt_free_port(void)
{
    static unsigned seed;
    int lo = 32768;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%d", &lo) != 1)
            lo = 32768;
        fclose(f);
    }
    if (!seed)
        seed = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL);
    for (int i = 0; lo > 12000 && i < 500; i++) {
        int port = 10000 + rand_r(&seed) % (lo - 10000);
        if (port_free(port))
            return port;
    }
    fail_msg("no free port below %d", lo);
    return -1;
}

static pid_t spawn(const char *log, char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
        /* appended: a node started again keeps its earlier log */
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        closefrom(3); /* the test's own sockets (a receiver's listener) stay the test's */
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

void (*gxt_prepare)(gxt_env *env);

pid_t gxt_spawn(gxt_env *env, const char *name, char *const argv[])
{
    char log[200];
    snprintf(log, sizeof(log), "%s/%s.log", env->dir, name);
    return spawn(log, argv);
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {.tv_sec = 30}; /* DEBUG POPULATE on a loaded machine */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
        close(fd);
        return -1;
    }
    return fd;
}

bool gxt_redis_ping(int port)
{
    int fd = connect_to(port);
    char buf[16] = "";
    bool ok = fd >= 0 && write(fd, "PING\r\n", 6) == 6 && read(fd, buf, sizeof(buf) - 1) > 0 &&
              strncmp(buf, "+PONG", 5) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

char *gxt_redis(gxt_env *env, const char *cmd)
{
    return gxt_redis_at(env->redis_port, cmd);
}

char *gxt_redis_at(int port, const char *cmd)
{
    int fd = connect_to(port);
    char buf[4096] = "";
    size_t n = strlen(cmd), have = 0;
    int want = 1, lines = 0; /* one-line replies, one per command line sent */
    for (const char *p = strstr(cmd, "\r\n"); p; p = strstr(p + 2, "\r\n"))
        want++;
    if (fd >= 0 && write(fd, cmd, n) == (ssize_t)n && write(fd, "\r\n", 2) == 2) {
        ssize_t got;
        while (lines < want && have < sizeof(buf) - 1 &&
               (got = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
            have += (size_t)got;
            buf[have] = '\0';
            lines = 0;
            for (const char *p = strstr(buf, "\r\n"); p; p = strstr(p + 2, "\r\n"))
                lines++;
            if (want == 1) /* a single command: its first read, whatever its shape */
                break;
        }
    }
    if (fd >= 0)
        close(fd);
    return have ? strdup(buf) : NULL;
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
}

static int wait_exit(pid_t pid, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        usleep(10000);
    }
    return -1;
}

/* redis-server with AOF (fsync always) in the test's directory, so a restart keeps data. */
void gxt_redis_start(gxt_env *env)
{
    char rp[16], log[200];
    snprintf(rp, sizeof(rp), "%d", env->redis_port);
    snprintf(log, sizeof(log), "%s/redis.log", env->dir);
    char *rargv[] = {"redis-server",
                     "--port",
                     rp,
                     "--bind",
                     "127.0.0.1",
                     "--save",
                     "",
                     "--appendonly",
                     "yes",
                     "--appendfsync",
                     "always",
                     "--dir",
                     env->dir,
                     "--daemonize",
                     "no",
                     NULL,
                     NULL,
                     NULL};
    if (getenv("GXT_REDIS_DEBUG")) { /* DEBUG POPULATE and friends, for fault tests */
        rargv[15] = "--enable-debug-command";
        rargv[16] = "yes";
    }
    env->redis_pid = spawn(log, rargv);
    for (int i = 0; i < 200 && !gxt_redis_ping(env->redis_port); i++)
        usleep(50000);
    if (!gxt_redis_ping(env->redis_port))
        fail_msg("redis-server did not start (see %s)", log);
}

void gxt_redis_stop(gxt_env *env)
{
    if (!env->redis_pid)
        return;
    kill(env->redis_pid, SIGTERM);
    wait_exit(env->redis_pid, 5000);
    env->redis_pid = 0;
}

/* gigcxd as node n on its port, logging to nodeN.log. */
static void spawn_node(gxt_env *env, int n, const char *const *extra)
{
    const char *bin = getenv("GIGCXD");
    if (!bin)
        fail_msg("set GIGCXD to the gigcxd binary");
    char url[256], listen[64], id[16], log[200];
    if (env->redis_url[0])
        snprintf(url, sizeof(url), "%s", env->redis_url);
    else
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d", env->redis_port);
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", env->node_port[n]);
    snprintf(id, sizeof(id), "node%d", n + 1);
    snprintf(log, sizeof(log), "%s/node%d.log", env->dir, n + 1);
    /* no drain window unless a test asks for one: every teardown stops its nodes */
    char *argv[34] = {(char *)bin, "--listen",    listen,        "--redis",   url,
                      "--secret",  GXT_SECRET,    "--admin-key", GXT_ADMIN,   "--node-id",
                      id,          "--log-level", "warn",        "--drain-s", "0"};
    int argc = 15;
    for (int i = 0; extra && extra[i] && argc < 33; i++)
        argv[argc++] = (char *)extra[i];
    argv[argc] = NULL;
    env->node_pid[n] = spawn(log, argv);
}

static void wait_healthy(gxt_env *env, int n)
{
    int st = 0;
    for (int i = 0; i < 200 && st != 200; i++) {
        st = gxt_http(env, n, "GET", "/healthz", NULL, NULL, NULL, NULL);
        if (st != 200)
            usleep(50000);
    }
    if (st != 200)
        fail_msg("gigcxd node %d did not become healthy (see %s)", n + 1, env->dir);
}

void gxt_start_node(gxt_env *env, int i, const char *const *extra)
{
    if (env->node_pid[i])
        fail_msg("node %d is already running", i + 1);
    spawn_node(env, i, extra);
    wait_healthy(env, i);
}

void gxt_setup(gxt_env *env, int nodes, const char *const *extra)
{
    memset(env, 0, sizeof(*env));
    signal(SIGPIPE, SIG_IGN);
    snprintf(env->dir, sizeof(env->dir), "/tmp/gxt-%d", (int)getpid());
    mkdir(env->dir, 0700);
    env->redis_port = gxt_free_port();
    gxt_redis_start(env);
    if (gxt_prepare)
        gxt_prepare(env);
    for (int n = 0; n < nodes; n++) {
        env->node_port[n] = gxt_free_port();
        spawn_node(env, n, extra);
    }
    for (int n = 0; n < nodes; n++)
        wait_healthy(env, n);
    uv_loop_init(&env->loop);
    uv_timer_init(&env->loop, &env->tick);
    uv_timer_start(&env->tick, on_tick, 5, 5); /* the loop never sleeps longer than 5 ms */
    /* GXT_OWN_FRAMING=1 runs a test through the load tester's own framing instead of
     * lws's WebSocket client (CTest runs some tests both ways) */
    const char *own = getenv("GXT_OWN_FRAMING");
    env->ctx = gxc_ctx_new(&env->loop, own && strcmp(own, "1") == 0);
    if (!env->ctx)
        fail_msg("no client context");
    env->api_key = gxt_brand(env, "acme");
}

int gxt_wait_node(gxt_env *env, int i, int ms)
{
    if (!env->node_pid[i])
        return -1;
    int st = wait_exit(env->node_pid[i], ms);
    if (st >= 0)
        env->node_pid[i] = 0;
    return st;
}

int gxt_stop_node(gxt_env *env, int i)
{
    if (!env->node_pid[i])
        return -1;
    kill(env->node_pid[i], SIGTERM);
    int st = wait_exit(env->node_pid[i], 10000);
    if (st < 0)
        kill(env->node_pid[i], SIGKILL);
    env->node_pid[i] = 0;
    return st;
}

int gxt_teardown(gxt_env *env)
{
    int bad = 0;
    free(env->api_key);
    env->api_key = NULL;
    for (int i = 0; i < GXT_NODES_MAX; i++) {
        if (!env->node_pid[i])
            continue;
        int st = gxt_stop_node(env, i);
        if (st != 0) {
            fprintf(stderr, "gigcxd node %d exited with %d (log: %s/node%d.log)\n", i + 1, st,
                    env->dir, i + 1);
            bad++;
        }
    }
    if (env->ctx) {
        gxc_ctx_free(env->ctx);
        uv_close((uv_handle_t *)&env->tick, NULL);
        for (int i = 0; i < 100 && uv_run(&env->loop, UV_RUN_NOWAIT); i++)
            usleep(1000);
        gxc_ctx_finalize(env->ctx);
        env->ctx = NULL;
        uv_loop_close(&env->loop);
    }
    gxt_redis_stop(env);
    if (!bad && !getenv("GXT_KEEP_LOGS")) { /* logs are kept when a node failed, or asked */
        char cmd[200];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", env->dir);
    }
    return bad;
}

int64_t gxt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void gxt_pump(gxt_env *env, int ms)
{
    uint64_t end = uv_now(&env->loop) + (uint64_t)ms;
    do {
        uv_run(&env->loop, UV_RUN_ONCE);
    } while (uv_now(&env->loop) < end);
}

/* ---- WebSocket ---- */

static void on_open(gxc_conn *c, void *user)
{
    (void)c;
    ((gxt_conn *)user)->opened = true;
}

static void on_text(gxc_conn *c, const char *text, size_t len, void *user)
{
    (void)c;
    gxt_conn *t = user;
    json_error_t e;
    json_t *m = json_loadb(text, len, 0, &e);
    if (!m)
        fail_msg("server sent invalid JSON: %.*s", (int)len, text);
    json_array_append_new(t->inbox, m);
}

static void on_close(gxc_conn *c, int code, void *user)
{
    (void)c;
    gxt_conn *t = user;
    t->closed = true;
    t->close_code = code;
    t->c = NULL;
}

static const gxc_callbacks cbs = {.on_open = on_open, .on_text = on_text, .on_close = on_close};

gxt_conn *gxt_ws(gxt_env *env, int node, const char *protocol)
{
    gxt_conn *t = calloc(1, sizeof(*t));
    t->env = env;
    t->inbox = json_array();
    gxc_target tg = {
        .host = "127.0.0.1", .port = env->node_port[node], .path = "/ws", .protocol = protocol};
    t->c = gxc_connect(env->ctx, &tg, &cbs, t);
    for (int i = 0; i < 1000 && !t->opened && !t->closed; i++)
        gxt_pump(env, 5);
    if (!t->opened)
        fail_msg("WebSocket to node %d did not open", node + 1);
    return t;
}

gxt_conn *gxt_login(gxt_env *env, int node, const char *token, json_t *resume, json_t **welcome)
{
    gxt_conn *t = gxt_ws(env, node, "gigcx.v1");
    json_t *h = json_pack("{s:s, s:s}", "type", "hello", "token", token);
    if (resume)
        json_object_set_new(h, "resume", resume); /* stolen */
    char *s = json_dumps(h, JSON_COMPACT);
    gxt_send_raw(t, s, strlen(s));
    free(s);
    json_decref(h);
    json_t *w = gxt_must(t, "welcome", 5000);
    if (welcome)
        *welcome = w;
    else
        json_decref(w);
    return t;
}

gxt_conn *gxt_available(gxt_env *env, int node, const char *id)
{
    char *tok = gxt_token(env, id, "expert", NULL);
    gxt_conn *c = gxt_login(env, node, tok, NULL, NULL);
    free(tok);
    gxt_send(c, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(c, "presence", 3000));
    return c;
}

void gxt_send_raw(gxt_conn *c, const char *text, size_t len)
{
    if (!c->c || gxc_send(c->c, text, len))
        fail_msg("send on a closed connection");
    gxt_pump(c->env, 0);
}

void gxt_send(gxt_conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_error_t e;
    json_t *j = json_vpack_ex(&e, 0, fmt, ap);
    va_end(ap);
    if (!j)
        fail_msg("bad pack format: %s", e.text);
    char *s = json_dumps(j, JSON_COMPACT);
    gxt_send_raw(c, s, strlen(s));
    free(s);
    json_decref(j);
}

static json_t *take(gxt_conn *c, const char *type)
{
    size_t i;
    json_t *m;
    json_array_foreach(c->inbox, i, m)
    {
        const char *t = json_string_value(json_object_get(m, "type"));
        if (!type || (t && strcmp(t, type) == 0)) {
            json_incref(m);
            json_array_remove(c->inbox, i);
            return m;
        }
    }
    return NULL;
}

json_t *gxt_expect(gxt_conn *c, const char *type, int timeout_ms)
{
    json_t *m = take(c, type);
    for (int waited = 0; !m && waited < timeout_ms && !c->closed; waited += 5) {
        gxt_pump(c->env, 5);
        m = take(c, type);
    }
    return m ? m : take(c, type);
}

json_t *gxt_must(gxt_conn *c, const char *type, int timeout_ms)
{
    json_t *m = gxt_expect(c, type, timeout_ms);
    if (!m) {
        char *q = json_dumps(c->inbox, JSON_COMPACT);
        fail_msg("no '%s' within %d ms (closed %d code %d); queued: %.600s", type, timeout_ms,
                 c->closed, c->close_code, q ? q : "");
    }
    return m;
}

const char *gxt_error_code(gxt_conn *c, int timeout_ms)
{
    static char code[32];
    json_t *e = gxt_expect(c, "error", timeout_ms);
    snprintf(code, sizeof(code), "%s",
             e ? json_string_value(json_object_get(e, "code")) : "(none)");
    json_decref(e);
    return code;
}

int gxt_wait_close(gxt_conn *c, int timeout_ms)
{
    for (int waited = 0; !c->closed && waited < timeout_ms; waited += 5)
        gxt_pump(c->env, 5);
    return c->closed ? c->close_code : 0;
}

int gxt_count(gxt_conn *c, const char *type)
{
    int n = 0;
    size_t i;
    json_t *m;
    json_array_foreach(c->inbox, i, m)
    {
        const char *t = json_string_value(json_object_get(m, "type"));
        n += t && strcmp(t, type) == 0;
    }
    return n;
}

void gxt_close(gxt_conn *c)
{
    if (!c)
        return;
    if (c->c) {
        gxc_close(c->c);
        gxt_wait_close(c, 2000);
    }
    if (!c->closed)
        return; /* still owned by the client context; freed with it */
    json_decref(c->inbox);
    free(c);
}

void gxt_drop(gxt_conn *c)
{
    if (c->c)
        gxc_drop(c->c);
    gxt_wait_close(c, 3000);
    if (!c->closed)
        fail_msg("dropped connection did not close");
}

void gxt_claim_offered(gxt_conn *c, const char *task)
{
    json_t *o;
    while ((o = gxt_must(c, "offer", 5000)) && strcmp(gxt_str(o, "task"), task) != 0)
        json_decref(o);
    json_decref(o);
    gxt_send(c, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_decref(gxt_must(c, "task.assigned", 5000));
}

const char *gxt_str(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

/* ---- HTTP ---- */

/* Connects and writes one request; returns the socket, or -1. */
const char *gxt_proxy_header;
size_t gxt_proxy_header_len;

static int http_send_ex(gxt_env *env, int node, const char *method, const char *path,
                        const char *bearer, const char *origin, const char *headers,
                        const char *body)
{
    int fd = connect_to(env->node_port[node]);
    if (fd < 0)
        return -1;
    size_t pl = gxt_proxy_header
                    ? gxt_proxy_header_len ? gxt_proxy_header_len : strlen(gxt_proxy_header)
                    : 0;
    if (pl && write(fd, gxt_proxy_header, pl) != (ssize_t)pl) {
        close(fd);
        return -1;
    }
    char req[8192];
    size_t bl = body ? strlen(body) : 0;
    int n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                     method, path, bl);
    if (bearer)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "Authorization: Bearer %s\r\n", bearer);
    if (origin)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "Origin: %s\r\n", origin);
    if (headers)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "%s", headers);
    n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
    if (write(fd, req, (size_t)n) != n || (bl && write(fd, body, bl) != (ssize_t)bl)) {
        close(fd);
        return -1;
    }
    return fd;
}

static int http_send(gxt_env *env, int node, const char *method, const char *path,
                     const char *bearer, const char *origin, const char *body)
{
    return http_send_ex(env, node, method, path, bearer, origin, NULL, body);
}

/* Reads the whole response from fd and closes it; returns the status. */
static int http_read(int fd, json_t **out)
{
    size_t cap = 65536, len = 0;
    char *resp = malloc(cap);
    for (ssize_t r; (r = read(fd, resp + len, cap - len - 1)) > 0;) {
        len += (size_t)r;
        if (len + 1 >= cap)
            resp = realloc(resp, cap *= 2);
    }
    close(fd);
    resp[len] = '\0';
    int status = 0;
    sscanf(resp, "HTTP/1.%*d %d", &status);
    char *b = strstr(resp, "\r\n\r\n");
    if (out && b && b[4])
        *out = json_loads(b + 4, JSON_DECODE_ANY, NULL);
    free(resp);
    return status;
}

int gxt_http(gxt_env *env, int node, const char *method, const char *path, const char *bearer,
             const char *origin, const char *body, json_t **out)
{
    if (out)
        *out = NULL;
    int fd = http_send(env, node, method, path, bearer, origin, body);
    return fd < 0 ? -1 : http_read(fd, out);
}

int gxt_http_ex(gxt_env *env, int node, const char *method, const char *path, const char *bearer,
                const char *headers, const char *body, json_t **out)
{
    if (out)
        *out = NULL;
    int fd = http_send_ex(env, node, method, path, bearer, NULL, headers, body);
    return fd < 0 ? -1 : http_read(fd, out);
}

static json_t *admin(gxt_env *env, const char *method, const char *path, json_t *body, int want)
{
    char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_t *out;
    int st = gxt_http(env, 0, method, path, GXT_ADMIN, NULL, s, &out);
    free(s);
    json_decref(body);
    if (st != want && !(want == 201 && st == 200))
        fail_msg("%s %s -> %d", method, path, st);
    return out;
}

char *gxt_brand(gxt_env *env, const char *brand)
{
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/brands/%s?rotate=1", brand);
    json_t *out = admin(env, "PUT", path,
                        /* declares what gxt_task asks for: a task may come before its experts */
                        json_pack("{s:s, s:{s:f, s:s}, s:[s], s:{s:{}}, s:[s]}", "name", brand,
                                  "pay", "amount", 5.0, "currency", "EUR", "widget_origins",
                                  "http://127.0.0.1:9", "topics", "billing", "languages", "en"),
                        201);
    char *key = strdup(json_string_value(json_object_get(out, "api_key")));
    json_decref(out);
    return key;
}

void gxt_expert(gxt_env *env, const char *id, const char *brand, int capacity)
{
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/experts/%s", id);
    json_decref(
        admin(env, "PUT", path,
              json_pack("{s:s, s:[s], s:[s], s:i, s:[s], s:i}", "name", id, "skills", "billing",
                        "languages", "en", "tier", 1, "brands", brand, "capacity", capacity),
              201));
}

char *gxt_token(gxt_env *env, const char *sub, const char *role, const char *brand)
{
    json_t *body = json_pack("{s:s, s:s, s:s}", "sub", sub, "role", role, "name", sub);
    if (brand)
        json_object_set_new(body, "brand", json_string(brand));
    json_t *out = admin(env, "POST", "/api/v1/tokens", body, 201);
    char *tok = strdup(json_string_value(json_object_get(out, "token")));
    json_decref(out);
    return tok;
}

static char *task_body(const char *customer, const char *text, int priority)
{
    json_t *b = json_pack("{s:{s:s, s:s}, s:s, s:s, s:s, s:i}", "customer", "id", customer, "name",
                          "Ann Lee", "topic", "billing", "language", "en", "text", text, "priority",
                          priority);
    char *s = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    return s;
}

json_t *gxt_task(gxt_env *env, int node, const char *apikey, const char *customer, const char *text,
                 int priority)
{
    char *s = task_body(customer, text, priority);
    json_t *out;
    int st = gxt_http(env, node, "POST", "/api/v1/tasks", apikey, NULL, s, &out);
    free(s);
    if (st != 201)
        fail_msg("POST /api/v1/tasks -> %d", st);
    return out;
}

void gxt_task_burst(gxt_env *env, int node, const char *apikey, int n, json_t **out)
{
    int fd[64];
    assert_true(n <= 64);
    for (int i = 0; i < n; i++) {
        char customer[16];
        snprintf(customer, sizeof(customer), "burst%d", i);
        char *s = task_body(customer, "one of a burst", 0);
        fd[i] = http_send(env, node, "POST", "/api/v1/tasks", apikey, NULL, s);
        free(s);
        assert_true(fd[i] >= 0);
    }
    for (int i = 0; i < n; i++) {
        out[i] = NULL;
        if (http_read(fd[i], &out[i]) != 201)
            fail_msg("POST /api/v1/tasks in a burst failed");
    }
}

long long gxt_metric(gxt_env *env, int node, const char *name)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)env->node_port[node]),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    static char buf[1 << 20];
    size_t len = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
        const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        if (write(fd, req, strlen(req)) == (ssize_t)strlen(req))
            for (ssize_t r;
                 len + 1 < sizeof(buf) && (r = read(fd, buf + len, sizeof(buf) - len - 1)) > 0;)
                len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    char key[128];
    snprintf(key, sizeof(key), "\n%s ", name);
    const char *p = strstr(buf, key);
    return p ? atoll(p + strlen(key)) : -1;
}

int gxt_run_cases(const char *group, const struct CMUnitTest *tests, size_t n,
                  const char *const *own, CMFixtureFunction setup, CMFixtureFunction teardown)
{
    const char *env = getenv("GXT_OWN_FRAMING");
    if (!env || strcmp(env, "1") != 0 || !own)
        return _cmocka_run_group_tests(group, tests, n, setup, teardown);
    struct CMUnitTest picked[64];
    size_t k = 0;
    for (const char *const *o = own; *o; o++) {
        size_t i = 0;
        while (i < n && strcmp(tests[i].name, *o) != 0)
            i++;
        if (i == n || k == sizeof(picked) / sizeof(picked[0])) {
            fprintf(stderr, "own framing: no case named %s\n", *o);
            return 1;
        }
        picked[k++] = tests[i];
    }
    return _cmocka_run_group_tests(group, picked, k, setup, teardown);
}

json_t *gxt_update(gxt_conn *c, const char *status, int ms)
{
    int64_t end = gxt_now_ms() + ms;
    for (json_t *u; (u = gxt_expect(c, "task.update", (int)(end - gxt_now_ms()))) != NULL;) {
        if (strcmp(gxt_str(u, "status"), status) == 0)
            return u;
        json_decref(u);
    }
    fail_msg("no task.update %s within %d ms", status, ms);
    return NULL;
}
