/* gigcxd: wires the parts together and runs the one loop. Config, then (embedded) Redis,
 * then libwebsockets on the same libuv loop; SIGTERM/SIGINT close every socket with 1001,
 * flush, and exit 0; SIGUSR2 sheds a quarter of the sockets (shed.h). No business logic
 * lives here. */
#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/coalesce.h"
#include "gigcx/build_info.h"
#include "gigcx/config.h"
#include "gigcx/dev.h"
#include "gigcx/due.h"
#include "gigcx/embed.h"
#include "gigcx/offer.h"
#include "gigcx/health.h"
#include "gigcx/http_api.h"
#include "gigcx/listener.h"
#include "gigcx/ranking.h"
#include "gigcx/session.h"
#include "gigcx/shed.h"
#include "gigcx/util.h"
#include "gigcx/waves.h"
#include "gigcx/ws_routes.h"
#include "gigcx/tick.h"
#include "gigcx/tlsreload.h"
#include "gigcx/webhook.h"

#define GX_DRAIN_MS 3000     /* longest wait for sockets to flush on shutdown */
#define GX_DRAIN_TICK_MS 100 /* how often the drain window looks at the clock */

static const char *const channels[] = {GX_CH_TASK, GX_CH_OFFER, GX_CH_SESS, NULL};

typedef struct {
    gx_server srv;
    gx_embed *embed;
    uv_signal_t sigterm, sigint, sighup, sigusr2;
    uv_timer_t drain;
    int drain_ms;
    bool seeded;
    int port;
    gx_listener *listener; /* owned; NULL once closed */
    int exit_code;
    struct lws_context *lws_closing; /* destroyed once, awaiting the second call */
    uv_prepare_t coalesce_prepare;
    gx_coalesce coalesce;
} gx_main;

static void on_redis_state(bool up, void *priv)
{
    gx_main *m = priv;
    lwsl_user("redis %s\n", up ? "connected" : "unreachable; requests get 'unavailable'");
    if (up) /* ready as soon as a write goes through, not at the next tick */
        gx_health_probe(&m->srv);
    if (up && m->srv.cfg->dev && !m->seeded) {
        m->seeded = true;
        gx_dev_seed(&m->srv, m->port);
    }
}

static void on_tick(uv_timer_t *t)
{
    gx_tick(t->data);
}

static void on_flush_check(uv_check_t *h)
{
    gx_server *srv = h->data;
    gx_pull_run(srv); /* offers to experts who got room, written with the rest */
    gx_flush_all(&srv->net);
    gx_ranking_flush(h->data);
}

static void on_flush_prepare(uv_prepare_t *h)
{
    gx_server *srv = h->data;
    gx_pull_run(srv);
    gx_flush_all(&srv->net);
    gx_ranking_flush(h->data);
}

/* Pauses before the loop waits, while busy (coalesce.h). This handle runs after every other
 * prepare handle, the writes included, because libuv runs the most recently started first
 * and this one is started before the others (start_coalescing). */
static void on_coalesce(uv_prepare_t *h)
{
    gx_main *m = h->data;
    gx_metrics *mt = &m->srv.m;
    uint64_t d = gx_coalesce_pause(&m->coalesce, uv_hrtime(), mt->frames_in + mt->bus_in,
                                   m->srv.claims_out > 0);
    if (d) {
        struct timespec ts = {(time_t)(d / 1000000000u), (long)(d % 1000000000u)};
        nanosleep(&ts, NULL);
        mt->loop_pauses++;
        mt->loop_pause_ns += d;
    }
    gx_coalesce_waiting(&m->coalesce, uv_hrtime());
}

static void start_coalescing(gx_main *m, uv_loop_t *loop)
{
    gx_coalesce_init(&m->coalesce, (unsigned)m->srv.cfg->coalesce_us);
    uv_prepare_init(loop, &m->coalesce_prepare);
    m->coalesce_prepare.data = m;
    uv_prepare_start(&m->coalesce_prepare, on_coalesce);
}

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

static void on_embed_stopped(void *arg)
{
    (void)arg;
}

/* Last step of shutdown: everything closed, the loop runs dry and main returns. */
static void finish_stop(gx_main *m)
{
    gx_webhook_stop(&m->srv); /* before lws closes the deliveries' connections */
    if (m->srv.ctx) {         /* on a foreign loop this only starts closing lws's handles */
        lws_context_destroy(m->srv.ctx);
        m->lws_closing = m->srv.ctx;
        m->srv.ctx = NULL;
    }
    gx_ranking_flush(&m->srv); /* what the closed sessions changed, while Redis is there */
    gx_redis_close(m->srv.redis);
    m->srv.redis = NULL;
    uv_close((uv_handle_t *)&m->srv.tick, on_handle_closed);
    uv_close((uv_handle_t *)&m->srv.wave_tick, on_handle_closed);
    uv_close((uv_handle_t *)&m->srv.flush_check, on_handle_closed);
    uv_close((uv_handle_t *)&m->srv.flush_prepare, on_handle_closed);
    uv_close((uv_handle_t *)&m->coalesce_prepare, on_handle_closed);
    uv_close((uv_handle_t *)&m->drain, on_handle_closed);
    uv_close((uv_handle_t *)&m->sigterm, on_handle_closed);
    uv_close((uv_handle_t *)&m->sigint, on_handle_closed);
    uv_close((uv_handle_t *)&m->sighup, on_handle_closed);
    uv_close((uv_handle_t *)&m->sigusr2, on_handle_closed);
    gx_shed_free(&m->srv);
    gx_embed_stop(m->embed, on_embed_stopped, m);
}

static void on_drain(uv_timer_t *t)
{
    gx_main *m = t->data;
    m->drain_ms += 50;
    if (m->srv.net.all && m->drain_ms < GX_DRAIN_MS)
        return;
    uv_timer_stop(t);
    finish_stop(m);
}

static void begin_stop(gx_main *m)
{
    if (m->srv.net.stopping)
        return;
    m->srv.net.stopping = true;
    gx_listener_close(m->listener); /* nobody new: the balancer sends them elsewhere */
    m->listener = NULL;
    lwsl_user("shutting down: closing sockets with 1001\n");
    for (gx_conn *c = m->srv.net.all; c; c = c->next)
        gx_conn_close(c, 1001, "server shutting down", true);
    uv_timer_start(&m->drain, on_drain, 50, 50);
}

/* The drain window's tick: the first half serves as usual (the balancer sees /readyz 503
 * and stops sending anyone); the second stops accepting and sheds every socket in batches
 * (shed.h), so their reconnects spread over the other nodes instead of arriving at once. */
static void on_drain_tick(uv_timer_t *t)
{
    gx_main *m = t->data;
    int total = m->srv.cfg->drain_s * 1000, half = total / 2;
    m->drain_ms += GX_DRAIN_TICK_MS;
    if (m->drain_ms >= total) {
        uv_timer_stop(t);
        m->drain_ms = 0;
        begin_stop(m); /* whatever is left, and the flush */
        return;
    }
    if (m->drain_ms < half || !m->listener) /* the second half began at an earlier tick */
        return;
    gx_listener_close(m->listener);
    m->listener = NULL;
    gx_shed_start(&m->srv, gx_shed_candidates(&m->srv), total - m->drain_ms, GX_SHED_DRAIN);
}

static void begin_drain(gx_main *m)
{
    if (m->srv.net.stopping)
        return;
    if (m->srv.draining || m->srv.cfg->drain_s == 0) {
        m->drain_ms = 0;
        begin_stop(m); /* a second signal, or no window: now (its timer takes over) */
        return;
    }
    m->srv.draining = true;
    lwsl_user("draining: unready now, closing sockets over %d s\n", m->srv.cfg->drain_s);
    uv_timer_start(&m->drain, on_drain_tick, GX_DRAIN_TICK_MS, GX_DRAIN_TICK_MS);
}

/* SIGTERM (a service manager, a rolling deploy) drains; SIGINT (Ctrl-C at a terminal)
 * stops at once. */
static void on_signal(uv_signal_t *h, int sig)
{
    if (sig == SIGINT)
        begin_stop(h->data);
    else
        begin_drain(h->data);
}

/* SIGUSR2: a quarter of the sockets move to other nodes (one that just rejoined gets them
 * through the balancer's leastconn), as POST /api/v1/admin/shed does. */
static void on_sigusr2(uv_signal_t *h, int sig)
{
    gx_main *m = h->data;
    (void)sig;
    int rc = gx_shed_start(&m->srv, gx_shed_count(&m->srv, GX_SHED_SIGNAL_SHARE),
                           GX_SHED_WINDOW_S * 1000, GX_SHED_LOAD);
    if (rc < 0)
        lwsl_warn("SIGUSR2: not shedding: a shed is in progress or the node is draining\n");
}

/* SIGHUP: a renewed certificate is loaded without a restart. */
static void on_sighup(uv_signal_t *h, int sig)
{
    gx_main *m = h->data;
    (void)sig;
    if (m->srv.cfg->tls_cert)
        gx_tlsreload(m->srv.ctx, m->srv.cfg->tls_cert, m->srv.cfg->tls_key);
}

static void on_embed_exit(void *arg)
{
    gx_main *m = arg;
    m->exit_code = 1;
    begin_stop(m);
}

/* The layers above the transport plug in here (net.h). */
static const gx_net_ops net_ops = {
    .ws_open = gx_session_open,
    .ws_frame = gx_ws_routes_frame,
    .ws_closed = gx_session_closed,
    .conn_free = gx_session_free,
    .http_route = gx_http_api_route,
};

static void wire_net(gx_server *srv)
{
    srv->net.ops = &net_ops;
    srv->net.app = srv;
    srv->net.cfg = srv->cfg;
    srv->net.m = &srv->m;
    srv->net.hello_ms = srv->cfg->hello_timeout_ms;
}

static const struct lws_protocols protocols[] = {
    {.name = "gigcx.v1",
     .callback = (lws_callback_function *)gx_ws_callback,
     .per_session_data_size = sizeof(gx_pss),
     /* frames are small; bigger ones arrive in pieces that ws.c reassembles, and every
      * socket keeps a buffer this size for as long as it lives */
     .rx_buffer_size = 256,
     /* without it lws would send at most rx_buffer_size bytes per send() and queue the
      * rest for a writable callback: two writes and two epoll_ctl calls for most frames */
     .tx_packet_size = 1 << 20},
    {0}};

/* Headers on every response. Scripts only from our origin; inline styles are allowed
 * because the widget styles its own shadow root on our demo page. */
static const struct lws_protocol_vhost_options sec_headers[] = {
    {&sec_headers[1], NULL, "content-security-policy:",
     "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
     "img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; "
     "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
    {&sec_headers[2], NULL, "x-content-type-options:", "nosniff"},
    {NULL, NULL, "referrer-policy:", "no-referrer"},
};

/* Mounts: the REST API, health and metrics go to our callback; the rest is static files.
 * The demo shop exists only under --dev. */
static struct lws_http_mount mounts[7];

static void set_mounts(const gx_config *cfg)
{
    static char demo_dir[600];
    snprintf(demo_dir, sizeof(demo_dir), "%s/demo", cfg->static_dir);
    static const char *const dyn[] = {"/api", "/healthz", "/metrics", "/readyz", "/livez"};
    for (int i = 0; i < 5; i++)
        mounts[i] = (struct lws_http_mount){.mountpoint = dyn[i],
                                            .mountpoint_len = (unsigned char)strlen(dyn[i]),
                                            .origin = "gigcx.v1",
                                            .origin_protocol = LWSMPRO_CALLBACK};
    mounts[5] =
        (struct lws_http_mount){.mountpoint = "/demo",
                                .mountpoint_len = 5,
                                .origin = cfg->dev ? demo_dir : "gigcx.v1",
                                .def = "index.html",
                                .origin_protocol = cfg->dev ? LWSMPRO_FILE : LWSMPRO_CALLBACK};
    mounts[6] = (struct lws_http_mount){.mountpoint = "/",
                                        .mountpoint_len = 1,
                                        .origin = cfg->static_dir,
                                        .def = "index.html",
                                        .origin_protocol = LWSMPRO_FILE,
                                        .cache_max_age = 60,
                                        .cache_reusable = 1,
                                        .cache_revalidate = 1};
    for (int i = 0; i < 6; i++)
        mounts[i].mount_next = &mounts[i + 1];
}

/* lws serves the sockets our listener accepts (listener.h): it listens on nothing itself. */
static int start_lws(gx_main *m, uv_loop_t *loop, char *err, size_t errlen)
{
    gx_config *cfg = m->srv.cfg;
    m->listener = gx_listener_open(loop, cfg->listen_host, cfg->listen_port, err, errlen);
    if (!m->listener)
        return -1;
    set_mounts(cfg);
    /* No lws validity timers: without a policy lws pings every 300 s by default, and each
     * socket's timer sits in one sorted list (every insert walks it). gx_conn_sweep
     * pings and drops quiet sockets instead. */
    static const lws_retry_bo_t no_validity = {.secs_since_valid_ping = 0,
                                               .secs_since_valid_hangup = 0};
    void *foreign[] = {loop};
    struct lws_context_creation_info info = {
        .port = CONTEXT_PORT_NO_LISTEN_SERVER,
        .protocols = protocols,
        .mounts = mounts,
        .headers = sec_headers,
        .options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_VALIDATE_UTF8 |
                   (cfg->tls_cert ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0),
        .foreign_loops = foreign,
        .retry_and_idle_policy = &no_validity,
        .user = &m->srv.net,
        .ssl_cert_filepath = cfg->tls_cert,
        .ssl_private_key_filepath = cfg->tls_key,
        /* HTTP/1.1 only over TLS: the HTTP layer's one-request-at-a-time rule and the
         * WebSocket close handling are written for one connection per socket; on an lws 4.1
         * HTTP/2 connection a finished request stream took the WebSocket streams sharing
         * the connection down with it (browser_tls) */
        .alpn = "http/1.1",
        .timeout_secs = 30,
        .max_http_header_data = 4096,
    };
    m->srv.ctx = lws_create_context(&info);
    m->srv.vh = m->srv.ctx ? lws_get_vhost_by_name(m->srv.ctx, "default") : NULL;
    if (!m->srv.vh) {
        snprintf(err, errlen, "cannot start the web server%s", cfg->tls_cert ? " (TLS?)" : "");
        return -1;
    }
    if (cfg->proxy_protocol)
        gx_listener_proxied(m->listener, &m->srv.net);
    gx_listener_accept(m->listener, m->srv.vh, &m->srv.m.accept_pauses, m->srv.m.accept_errors);
    m->port = gx_listener_port(m->listener);
    return 0;
}

static char log_node[72]; /* every log line names the node, so merged logs stay readable */

static void emit_line(int level, const char *line)
{
    char ts[64];
    ts[0] = '\0';
    lwsl_timestamp(level, ts, sizeof(ts));
    fprintf(stderr, "%s%s %s", ts, log_node, line);
}

static void set_log_level(int level, const char *node_id)
{
    snprintf(log_node, sizeof(log_node), "%s", node_id);
    int mask = LLL_ERR | LLL_USER;
    if (level >= 1)
        mask |= LLL_WARN;
    if (level >= 2)
        mask |= LLL_NOTICE;
    if (level >= 3)
        mask |= LLL_INFO;
    lws_set_log_level(mask, emit_line);
}

static int run(gx_main *m, uv_loop_t *loop)
{
    gx_config *cfg = m->srv.cfg;
    char url[600], err[512];
    if (cfg->redis_url) {
        snprintf(url, sizeof(url), "%s", cfg->redis_url);
    } else {
        m->embed = gx_embed_start(loop, cfg->redis_server, cfg->data_dir, url, sizeof(url),
                                  on_embed_exit, m, err, sizeof(err));
        if (!m->embed) {
            fprintf(stderr, "gigcxd: %s\n", err);
            return 1;
        }
    }
    if (start_lws(m, loop, err, sizeof(err))) {
        fprintf(stderr, "gigcxd: %s\n", err);
        gx_listener_close(m->listener);
        m->listener = NULL;
        if (m->srv.ctx) /* lws 4.1 cannot be torn down cleanly from here: leave at once */
            _exit(1);
        gx_embed_stop(m->embed, on_embed_stopped, m);
        uv_run(loop, UV_RUN_DEFAULT);
        return 1;
    }
    start_coalescing(m, loop); /* before any other prepare handle: on_coalesce says why */
    gx_redis_hooks hooks = {.on_message = gx_events_on_message,
                            .on_state = on_redis_state,
                            .on_resubscribed = gx_events_on_resubscribed,
                            .priv = &m->srv};
    /* on_state gets &m->srv, which is the first member of m */
    m->srv.redis = gx_redis_new(loop, url, channels, &hooks, m->srv.cfg->sentinel_user,
                                m->srv.cfg->sentinel_pass);
    if (!m->srv.redis) {
        fprintf(stderr, "gigcxd: --redis: expected redis://[[user]:password@]host[:port][/db], "
                        "unix:///path or sentinel://[[user]:password@]host:port[,host:port...]"
                        "/master[/db]\n"); /* not echoed: it may hold a password */
        return 1;
    }
    gx_redis_set_timeout(m->srv.redis, m->srv.cfg->redis_timeout_ms);
    gx_redis_set_wait(m->srv.redis, m->srv.cfg->redis_wait_replicas, m->srv.cfg->redis_wait_ms);
    uv_timer_init(loop, &m->srv.tick);
    m->srv.tick.data = &m->srv;
    uv_timer_start(&m->srv.tick, on_tick, 1000, 1000);
    uv_timer_init(loop, &m->srv.wave_tick);
    m->srv.wave_tick.data = &m->srv;
    uv_timer_start(&m->srv.wave_tick, gx_waves_on_tick, GX_WAVE_TICK_MS, GX_DUE_IDLE_MS);
    uv_check_init(loop, &m->srv.flush_check);
    uv_prepare_init(loop, &m->srv.flush_prepare);
    m->srv.flush_check.data = m->srv.flush_prepare.data = &m->srv;
    uv_check_start(&m->srv.flush_check, on_flush_check);
    uv_prepare_start(&m->srv.flush_prepare, on_flush_prepare);
    gx_webhook_start(&m->srv); /* without it the server still runs, and says so */
    uv_timer_init(loop, &m->drain);
    m->drain.data = m;
    uv_signal_init(loop, &m->sigterm);
    uv_signal_init(loop, &m->sigint);
    m->sigterm.data = m->sigint.data = m;
    uv_signal_start(&m->sigterm, on_signal, SIGTERM);
    uv_signal_start(&m->sigint, on_signal, SIGINT);
    uv_signal_init(loop, &m->sighup);
    m->sighup.data = m;
    uv_signal_start(&m->sighup, on_sighup, SIGHUP);
    uv_signal_init(loop, &m->sigusr2);
    m->sigusr2.data = m;
    uv_signal_start(&m->sigusr2, on_sigusr2, SIGUSR2);
    char shown[600];
    lwsl_user("gigcxd %s listening on %s:%d (redis %s)\n", cfg->node_id, cfg->listen_host, m->port,
              cfg->redis_url ? gx_str_url_redacted(cfg->redis_url, shown, sizeof(shown))
                             : "embedded");
    printf("gigcxd listening on http://%s:%d\n", cfg->listen_host, m->port);
    fflush(stdout);
    uv_run(loop, UV_RUN_DEFAULT);
    if (m->lws_closing) /* the loop closed lws's handles: the second call frees the context */
        lws_context_destroy(m->lws_closing);
    return m->exit_code;
}

#define GX_FD_RESERVE 256 /* Redis, webhooks, static files, the embedded server's pipes */

/* The descriptor limit: room for max_sockets, and not far beyond. lws 4.1 sizes its fd
 * table by this limit and walks the whole table on every close (a sanity check left in
 * release builds): at the 524,288 a systemd host allows, that is 0.3 ms per close, and a
 * reconnect storm of 10,000 would spend 3 s of CPU on it. */
static int set_fd_limit(int max_sockets, bool given)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return 0;
    rlim_t want = (rlim_t)max_sockets + GX_FD_RESERVE;
    if (want > rl.rlim_max && given) {
        fprintf(stderr,
                "gigcxd: --max-sockets %d needs %llu descriptors, above this process's hard "
                "limit of %llu: lower it, or raise the limit (ulimit -Hn, LimitNOFILE=)\n",
                max_sockets, (unsigned long long)want, (unsigned long long)rl.rlim_max);
        return -1;
    }
    if (want > rl.rlim_max)
        want = rl.rlim_max;
    if (want == rl.rlim_cur)
        return 0;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl))
        lwsl_warn("cannot set the descriptor limit to %llu\n", (unsigned long long)want);
    else if (want < (rlim_t)max_sockets + GX_FD_RESERVE)
        lwsl_notice("descriptor limit %llu: room for about %llu sockets\n",
                    (unsigned long long)want, (unsigned long long)(want - GX_FD_RESERVE));
    return 0;
}

int main(int argc, char **argv, char **envp)
{
    gx_config cfg;
    char err[512];
    signal(SIGPIPE, SIG_IGN);
    if (gx_config_parse(&cfg, argc, argv, envp, err, sizeof(err))) {
        fprintf(stderr, "gigcxd: %s\nTry 'gigcxd --help'.\n", err);
        gx_config_free(&cfg);
        return 2;
    }
    if (cfg.help || cfg.version) {
        if (cfg.help)
            gx_config_usage(stdout, argv[0]);
        else
            printf("gigcxd %s (%s)\n", GX_BUILD_VERSION, GX_BUILD_COMMIT);
        gx_config_free(&cfg);
        return 0;
    }
    if (gx_config_finish(&cfg, err, sizeof(err))) {
        fprintf(stderr, "gigcxd: %s\nTry 'gigcxd --help'.\n", err);
        gx_config_free(&cfg);
        return 2;
    }
    set_log_level(cfg.log_level, cfg.node_id);
    if (set_fd_limit(cfg.max_sockets, cfg.max_sockets_given)) {
        gx_config_free(&cfg);
        return 2;
    }
    static gx_main m;
    m.srv.cfg = &cfg;
    m.srv.m.start_s = (double)gx_now_ms() / 1000.0;
    uv_loop_t *loop = uv_default_loop();
    m.srv.loop = loop;
    wire_net(&m.srv);
    if (gx_flush_start(&m.srv.net, !cfg.plain_send, (unsigned)cfg.send_threads)) {
        fprintf(stderr, "gigcxd: out of memory\n");
        return 1;
    }
    if (!cfg.plain_send && !gx_flush_batched(&m.srv.net))
        lwsl_warn("io_uring unavailable: each socket write is its own system call\n");
    int rc = run(&m, loop);
    gx_ranking_flush(&m.srv); /* Redis is gone: lets go of the sessions the changes held */
    gx_webhook_free(&m.srv);
    gx_server_free_indexes(&m.srv);
    gx_flush_free(&m.srv.net);
    uv_loop_close(loop);
    gx_config_free(&cfg);
    return rc;
}
