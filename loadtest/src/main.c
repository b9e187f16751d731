/* gigcx-loadtest: replays a peak-season scenario against running gigcxd processes and says
 * whether they survived it. main wires the parts: flags, setup through the admin API, the
 * phases of the run on one libuv loop, and the reports. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "gigcx/util.h"
#include "report.h"
#include "run.h"

#ifndef GXLT_SCENARIO_DIR
#define GXLT_SCENARIO_DIR "loadtest/scenarios"
#endif
#define GXLT_SCENARIO_SHARE "/usr/share/gigcx/scenarios"

#define GXLT_CONNECTING 512 /* expert handshakes in flight at once */

enum phase { P_CONNECT, P_PAIRS, P_MEASURE, P_DRAIN, P_DONE };

typedef struct {
    gxlt_run run;
    enum phase phase;
    uint64_t phase_us, last_tick_us, last_progress_us;
    int connected; /* experts asked to connect so far */
    bool stormed, quiet;
    bool lws_framing; /* --lws-framing: lws's WebSocket client instead of gxclient's own */
    double measured_s;
    const char *json_path, *html_path;
    uint64_t prev_tasks, prev_claims, prev_msgs;
    int interrupted;
    int rc; /* exit status once judged */
} lt;

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    (void)sig;
    got_signal = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gigcx-loadtest SCENARIO [--url ws://127.0.0.1:8080 ...] [--admin-key K]\n"
            "       [--json FILE] [--html FILE] [--source-ips N] [--quiet] [--lws-framing]\n"
            "       [--FIELD VALUE ...]\n\n"
            "SCENARIO is a file, or a name under %s (smoke, steady, black-friday, fanout,\n"
            "chat, reconnect-storm, idle, drain). Any scenario field can be overridden, e.g.\n"
            "--experts 2000 --duration-s 30 --task-rate 50. The admin key may also come from\n"
            "GIGCX_ADMIN_KEY. Exit status: 0 pass, 1 an SLO or a zero-violation counter failed,\n"
            "2 bad usage or setup failure. Sockets are framed by the tester itself (a frame read\n"
            "in one pass); --lws-framing uses libwebsockets' client parser instead. Against\n"
            "this machine, more than 10,000 sockets per --url come from several source\n"
            "addresses (127.0.0.2 ...); --source-ips N sets how many.\n",
            GXLT_SCENARIO_DIR);
}

static int add_url(gxlt_run *run, const char *url)
{
    char host[64];
    int port = 0;
    if (run->nurls == GXLT_URLS_MAX || sscanf(url, "ws://%63[^:/]:%d", host, &port) != 2 ||
        port <= 0 || port > 65535)
        return -1;
    snprintf(run->hosts[run->nurls], sizeof(run->hosts[0]), "%s", host);
    run->ports[run->nurls++] = port;
    return 0;
}

static int load_scenario(gxlt_scenario *sc, const char *arg, char *err, size_t errlen)
{
    if (access(arg, R_OK) == 0)
        return gxlt_scenario_load(sc, arg, err, errlen);
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.json", GXLT_SCENARIO_DIR, arg);
    if (access(path, R_OK) != 0) /* installed from the .deb (deploy/package.cmake) */
        snprintf(path, sizeof(path), "%s/%s.json", GXLT_SCENARIO_SHARE, arg);
    if (access(path, R_OK) != 0)
        snprintf(path, sizeof(path), "loadtest/scenarios/%s.json", arg);
    return gxlt_scenario_load(sc, path, err, errlen);
}

static bool all_loopback(const gxlt_run *run)
{
    for (int i = 0; i < run->nurls; i++)
        if (!gxlt_is_loopback(run->hosts[i]))
            return false;
    return true;
}

static int parse_args(lt *t, int argc, char **argv)
{
    gxlt_run *run = &t->run;
    char err[300];
    const char *key = getenv("GIGCX_ADMIN_KEY");
    snprintf(run->admin_key, sizeof(run->admin_key), "%s", key ? key : "");
    if (argc < 2 || argv[1][0] == '-') {
        usage(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 1 : -1;
    }
    gxlt_scenario_defaults(&run->sc);
    if (load_scenario(&run->sc, argv[1], err, sizeof(err))) {
        fprintf(stderr, "gigcx-loadtest: %s\n", err);
        return -1;
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quiet") == 0) {
            t->quiet = true;
            continue;
        }
        if (strcmp(a, "--lws-framing") == 0) {
            t->lws_framing = true;
            continue;
        }
        if (strncmp(a, "--", 2) != 0 || !v) {
            fprintf(stderr, "gigcx-loadtest: %s needs a value (see --help)\n", a);
            return -1;
        }
        i++;
        if (strcmp(a, "--url") == 0) {
            if (add_url(run, v)) {
                fprintf(stderr, "gigcx-loadtest: --url wants ws://HOST:PORT (IPv4), got '%s'\n", v);
                return -1;
            }
        } else if (strcmp(a, "--admin-key") == 0) {
            snprintf(run->admin_key, sizeof(run->admin_key), "%s", v);
        } else if (strcmp(a, "--json") == 0) {
            t->json_path = v;
        } else if (strcmp(a, "--html") == 0) {
            t->html_path = v;
        } else if (strcmp(a, "--source-ips") == 0) {
            run->source_ips = atoi(v);
        } else {
            int rc = gxlt_scenario_set(&run->sc, a + 2, v, err, sizeof(err));
            if (rc) {
                fprintf(stderr, "gigcx-loadtest: %s\n", rc > 0 ? "unknown flag (see --help)" : err);
                if (rc > 0)
                    fprintf(stderr, "  %s\n", a);
                return -1;
            }
        }
    }
    if (gxlt_scenario_validate(&run->sc, err, sizeof(err))) {
        fprintf(stderr, "gigcx-loadtest: %s\n", err);
        return -1;
    }
    if (!run->nurls)
        add_url(run, "ws://127.0.0.1:8080");
    if (run->source_ips < 0 || run->source_ips > GXLT_SOURCE_IPS_MAX ||
        (run->source_ips > 0 && !all_loopback(run))) {
        fprintf(stderr,
                "gigcx-loadtest: --source-ips takes 0 to %d, and spreads over 127.0.0.x, "
                "which reaches only this machine: every --url must be loopback\n",
                GXLT_SOURCE_IPS_MAX);
        return -1;
    }
    if (!run->admin_key[0]) {
        fprintf(stderr,
                "gigcx-loadtest: the admin key is needed (--admin-key or GIGCX_ADMIN_KEY)\n");
        return -1;
    }
    return 0;
}

/* Many thousands of sockets: a descriptor limit with room for them (and not far beyond:
 * lws walks a table as long as the limit on every connect and close), and source addresses
 * spread over 127.0.0.x when the targets are this machine's and one address would slow the
 * kernel's search for a free ephemeral port (gxlt_source_ips_for). */
static void raise_limits(gxlt_run *run)
{
    double peak =
        run->sc.experts + run->sc.chat_pairs + 2 * run->sc.duration_s * run->sc.profile[0].rate;
    for (int i = 0; i < run->sc.nprofile; i++)
        peak = fmax(peak, run->sc.experts + run->sc.profile[i].rate * run->sc.patience_s);
    if (run->sc.backlog > 0) /* a drain's tasks have no customer sockets */
        peak = run->sc.experts;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rlim_t want = (rlim_t)(peak * 1.25) + 1024;
        rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (!run->source_ips)
        run->source_ips = gxlt_source_ips_for(peak / run->nurls, all_loopback(run));
}

/* A fresh brand per run, so no earlier backlog is offered to this run's experts. */
static int setup_brand(gxlt_run *run)
{
    char rnd[16], path[128], *out = NULL;
    if (gx_id_random(rnd, 6))
        return -1;
    for (char *p = rnd; *p; p++)
        if (*p == '-' || *p == '_')
            *p = 'x';
    snprintf(run->prefix, sizeof(run->prefix), "%.32s-%.8s", run->sc.brand,
             rnd); /* ids stay <= 64 */
    snprintf(path, sizeof(path), "/api/v1/brands/%s?rotate=1", run->prefix);
    char body[384], waves[96] = "", hook[96] = "";
    if (run->sc.wave_size >= 0)
        snprintf(waves, sizeof(waves), ",\"waves\":{\"size\":%d,\"interval_s\":%d}",
                 run->sc.wave_size, run->sc.wave_interval_s);
    if (run->sc.webhook_url[0]) /* webhook cost (docs/scaling.md); p_url kept quotes out */
        snprintf(hook, sizeof(hook), ",\"webhook_url\":\"%s\"", run->sc.webhook_url);
    snprintf(body, sizeof(body),
             "{\"name\":\"Load test\",\"pay\":{\"amount\":4.5,\"currency\":\"EUR\"},"
             "\"widget_origins\":[],\"queue_timeout_s\":3600%s%s}",
             waves, hook);
    int st = gxlt_rest_call(run->rest[0], "PUT", path, run->admin_key, body, &out);
    json_t *j = st / 100 == 2 ? json_loads(out, 0, NULL) : NULL;
    const char *key = json_string_value(json_object_get(j, "api_key"));
    if (key)
        snprintf(run->api_key, sizeof(run->api_key), "%s", key);
    if (!key)
        fprintf(stderr, "gigcx-loadtest: PUT %s answered %d %s\n", path, st, out ? out : "");
    json_decref(j);
    free(out);
    return key ? 0 : -1;
}

static void sample_window(lt *t, double t_s)
{
    gxlt_stats *st = &t->run.st;
    if (st->nseries == st->capseries) {
        size_t ncap = st->capseries ? st->capseries * 2 : 64;
        gxlt_sample *n = realloc(st->series, ncap * sizeof(*n));
        if (!n)
            return;
        st->series = n;
        st->capseries = ncap;
    }
    gxlt_sample *s = &st->series[st->nseries++];
    *s = (gxlt_sample){.t_s = t_s};
    for (int m = 0; m < M_COUNT; m++) {
        s->p50[m] = gxlt_hist_pct(&st->window[m], 50);
        s->p99[m] = gxlt_hist_pct(&st->window[m], 99);
        s->n[m] = st->window[m].n;
        gxlt_hist_init(&st->window[m]);
    }
    uint64_t claims = st->claims_won + st->claims_lost;
    s->tasks = st->tasks_created - t->prev_tasks;
    s->claims = claims - t->prev_claims;
    s->msgs = st->msgs_acked - t->prev_msgs;
    t->prev_tasks = st->tasks_created;
    t->prev_claims = claims;
    t->prev_msgs = st->msgs_acked;
}

static const char *phase_name[] = {"connect", "pairs", "run", "drain", "done"};

static void progress(lt *t, uint64_t now)
{
    gxlt_run *run = &t->run;
    double since = (double)(now - (run->t_start_us ? run->t_start_us : t->phase_us)) / 1e6;
    sample_window(t, since);
    if (t->quiet)
        return;
    gxlt_sample *s = &run->st.series[run->st.nseries - 1];
    uint64_t viol = 0;
    for (int v = 0; v < V_COUNT; v++)
        viol += run->st.v[v];
    if (run->dr.on) {
        fprintf(
            stderr,
            "%s[%5.1fs %-7s] experts %d/%d available %d  tasks created %llu/%d assigned "
            "%llu resolved %llu  waiting %d free slots %d claiming %d  claims %llu/s  violations "
            "%llu%s",
            run->progress_tty ? "\r" : "", since, phase_name[t->phase], gxlt_experts_welcomed(run),
            run->sc.experts, gxlt_experts_available(run), (unsigned long long)run->st.tasks_created,
            run->sc.backlog, (unsigned long long)run->st.tasks_assigned,
            (unsigned long long)run->st.tasks_resolved, run->dr.waiting, run->dr.free_slots,
            run->dr.claiming_slots, (unsigned long long)s->claims, (unsigned long long)viol,
            run->progress_tty ? "   " : "\n");
        return;
    }
    fprintf(stderr,
            "%s[%5.1fs %-7s] experts %d/%d  tasks %llu/s  claims %llu/s  msgs %llu/s  "
            "p99 claim %.1fms chat %.1fms offer %.1fms  violations %llu%s",
            run->progress_tty ? "\r" : "", since, phase_name[t->phase], gxlt_experts_welcomed(run),
            run->sc.experts, (unsigned long long)s->tasks, (unsigned long long)s->claims,
            (unsigned long long)s->msgs, (double)s->p99[M_CLAIM] / 1000.0,
            (double)s->p99[M_CHAT] / 1000.0, (double)s->p99[M_OFFER] / 1000.0,
            (unsigned long long)viol, run->progress_tty ? "   " : "\n");
}

static bool all_customers_done(gxlt_run *run)
{
    return run->st.tasks_rated + run->st.tasks_cancelled >= run->st.tasks_created &&
           run->st.tasks_created >= run->st.tasks_requested;
}

static void enter(lt *t, enum phase p, uint64_t now)
{
    t->phase = p;
    t->phase_us = now;
}

static void arrivals(lt *t, double dt, double since)
{
    gxlt_run *run = &t->run;
    run->task_credit += gxlt_scenario_rate(&run->sc, since) * dt;
    while (run->task_credit >= 1) {
        run->task_credit -= 1;
        if (run->sc.max_tasks && run->st.tasks_requested >= (uint64_t)run->sc.max_tasks)
            continue;
        gxlt_customer_start(run);
    }
}

/* The measured phase begins: server CPU per operation counts from here. */
static void begin_measure(lt *t, uint64_t now)
{
    gxlt_run *run = &t->run;
    for (int i = 0; i < run->nurls; i++)
        gxlt_server_sample_get(run, i, &run->start[i]);
    run->self_cpu_start = gx_now_cpu_s();
    enter(t, P_MEASURE, gxlt_now_us());
    run->t_start_us = t->phase_us;
    (void)now;
}

static void step(lt *t, uint64_t now, double dt)
{
    gxlt_run *run = &t->run;
    double in_phase = (double)(now - t->phase_us) / 1e6;
    switch (t->phase) {
    case P_CONNECT: {
        /* paced, and at most GXLT_CONNECTING handshakes in flight: lws keeps each pending
         * handshake's time-out in one sorted list, so thousands at once cost a walk each */
        int want = (int)(in_phase * run->sc.connect_rate) + 1;
        if (want > t->connected + GXLT_CONNECTING - run->connecting)
            want = t->connected + GXLT_CONNECTING - run->connecting;
        if (want > t->connected) {
            gxlt_experts_connect(run, t->connected, want);
            t->connected = want < run->sc.experts ? want : run->sc.experts;
        }
        /* a drain's backlog waits until every expert is also available */
        if ((gxlt_experts_welcomed(run) >= run->sc.experts &&
             (!run->dr.on || run->sc.backlog_first ||
              gxlt_experts_available(run) >= run->sc.experts)) ||
            in_phase > 120) {
            run->st.connect_all_s = in_phase;
            for (int i = 0; i < run->nurls; i++) /* memory with every socket up and idle */
                gxlt_server_sample_get(run, i, &run->idle[i]);
            for (int i = 0; i < run->sc.chat_pairs; i++)
                gxlt_customer_start(run);
            if (run->sc.chat_pairs) {
                enter(t, P_PAIRS, gxlt_now_us());
            } else {
                begin_measure(t, now);
                if (run->dr.on)
                    gxlt_drain_start(run);
            }
        }
        break;
    }
    case P_PAIRS:
        if (run->st.tasks_assigned >= (uint64_t)run->sc.chat_pairs || in_phase > 60)
            begin_measure(t, now);
        break;
    case P_MEASURE:
        if (run->dr.on) { /* until every task is resolved, or the time-out */
            run->dr.timed_out = !gxlt_drain_done(run) && in_phase >= run->sc.timeout_s;
            if (gxlt_drain_done(run) || run->dr.timed_out) {
                t->measured_s = in_phase;
                enter(t, run->dr.timed_out ? P_DONE : P_DRAIN, now);
            }
            break;
        }
        if (run->sc.chat_pairs)
            gxlt_chat_tick(run, dt);
        else
            arrivals(t, dt, in_phase);
        if (run->sc.storm_at_s > 0 && !t->stormed && in_phase >= run->sc.storm_at_s) {
            t->stormed = true;
            gxlt_experts_storm(run);
        }
        if (in_phase >= run->sc.duration_s) {
            t->measured_s = in_phase;
            enter(t, P_DRAIN, now);
        }
        break;
    case P_DRAIN:
        if (run->dr.on) { /* every offer of a claimed task should be withdrawn by now */
            if (in_phase >= run->sc.drain_s || gxlt_experts_offers_held(run) == 0)
                enter(t, P_DONE, now);
            break;
        }
        if (in_phase >= run->sc.drain_s ||
            (run->sc.chat_pairs == 0 && all_customers_done(run) && in_phase > 0.5 &&
             (!t->stormed || run->st.reconnect_all_s > 0)))
            enter(t, P_DONE, now);
        break;
    case P_DONE:
        break;
    }
}

static int finish(lt *t);

/* The run is over: judge it, then close every socket properly (lws frees a context on a
 * foreign loop cleanly only from inside the loop), then let the loop end by itself. */
static void wind_down(lt *t, uint64_t now)
{
    gxlt_run *run = &t->run;
    if (!run->stopping) {
        t->rc = finish(t);
        t->phase_us = now;
    }
    if (gxc_close_all(run->ws) && now - t->phase_us < 2000000)
        return;
    uv_timer_stop(&run->tick);
    gxc_ctx_free(run->ws);
    for (int i = 0; i < run->nurls; i++)
        gxlt_rest_free(run->rest[i]);
    uv_close((uv_handle_t *)&run->tick, NULL);
}

static void on_tick(uv_timer_t *timer)
{
    lt *t = timer->data;
    gxlt_run *run = &t->run;
    uint64_t now = gxlt_now_us();
    double dt = (double)(now - t->last_tick_us) / 1e6;
    t->last_tick_us = now;
    gxlt_run_due(run);
    gxlt_experts_pump(run, GXLT_CONNECTING);
    step(t, now, dt);
    if (now - t->last_progress_us >= 1000000) {
        t->last_progress_us = now;
        progress(t, now);
    }
    if (got_signal && !t->interrupted) {
        t->interrupted = 1;
        if (t->phase == P_MEASURE)
            t->measured_s = (double)(now - t->phase_us) / 1e6;
        enter(t, P_DONE, now);
    }
    if (t->phase == P_DONE)
        wind_down(t, now);
}

static int write_file(const char *path, json_t *report, int (*fn)(FILE *, json_t *))
{
    FILE *f = fopen(path, "w");
    int rc = f ? fn(f, report) : -1;
    if (f && fclose(f))
        rc = -1;
    if (rc)
        fprintf(stderr, "gigcx-loadtest: cannot write %s\n", path);
    return rc;
}

static int json_writer(FILE *f, json_t *r)
{
    return json_dumpf(r, f, JSON_INDENT(1) | JSON_REAL_PRECISION(6));
}

/* Stop the clients, settle the books and write the reports. 0 pass, 1 fail. */
static int finish(lt *t)
{
    gxlt_run *run = &t->run;
    run->stopping = true;
    gxlt_experts_finish(run);
    gxlt_customers_finish(run);
    run->self_cpu_end = gx_now_cpu_s();
    for (int i = 0; i < run->nurls; i++)
        gxlt_server_sample_get(run, i, &run->after[i]);
    if (run->progress_tty && !t->quiet)
        fprintf(stderr, "\n");
    json_t *report = gxlt_report_build(run, t->measured_s);
    bool pass = gxlt_report_judge(report, &run->sc) && !t->interrupted;
    gxlt_report_text(stdout, report);
    if (t->json_path)
        write_file(t->json_path, report, json_writer);
    if (t->html_path)
        write_file(t->html_path, report, gxlt_report_html);
    json_decref(report);
    return pass ? 0 : 1;
}

static void free_tasks(const char *key, void *val, void *arg)
{
    (void)key, (void)arg;
    gxlt_task *t = val;
    free(t->early);
    free(t);
}

/* After the loop ended: what is left is plain memory. */
static void free_run(lt *t)
{
    gxlt_run *run = &t->run;
    gxc_ctx_finalize(run->ws);
    gxlt_experts_free(run);
    gxlt_customers_free(run);
    gx_map_each(&run->tasks, free_tasks, NULL);
    gx_map_free(&run->tasks);
    free(run->heap);
    free(run->st.series);
    gxlt_drain_free(run);
    json_decref(run->st.errors);
}

int main(int argc, char **argv)
{
    static lt t;
    gxlt_run *run = &t.run;
    int rc = parse_args(&t, argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    srandom((unsigned)gxlt_now_us());
    run->dr.on = run->sc.backlog > 0;
    raise_limits(run);
    uv_loop_t loop;
    uv_loop_init(&loop);
    run->loop = &loop;
    run->st.errors = json_object();
    run->progress_tty = isatty(2);
    for (int i = 0; i < run->nurls; i++)
        run->rest[i] = gxlt_rest_new(&loop, run->hosts[i], run->ports[i], run->sc.rest_connections);
    run->ws = gxc_ctx_new(&loop, !t.lws_framing);
    uv_timer_init(&loop, &run->tick);
    run->tick.data = &t;
    for (int i = 0; i < run->nurls; i++)
        if (!gxlt_server_sample_get(run, i, &run->before[i]))
            fprintf(stderr, "gigcx-loadtest: no /metrics at %s:%d (server figures left out)\n",
                    run->hosts[i], run->ports[i]);
    if (!run->ws || setup_brand(run) || gxlt_experts_setup(run)) {
        fprintf(stderr,
                "gigcx-loadtest: setup failed; is gigcxd running at %s:%d with this "
                "admin key?\n",
                run->hosts[0], run->ports[0]);
        enter(&t, P_DONE, gxlt_now_us());
        run->stopping = true; /* nothing to judge: just wind down */
        uv_timer_start(&run->tick, on_tick, 1, 1);
        uv_run(&loop, UV_RUN_DEFAULT);
        free_run(&t);
        uv_loop_close(&loop);
        return 2;
    }
    fprintf(stderr, "gigcx-loadtest: %s: %d experts on %d server(s), brand %s\n", run->sc.name,
            run->sc.experts, run->nurls, run->prefix);
    t.last_tick_us = t.last_progress_us = gxlt_now_us();
    enter(&t, P_CONNECT, t.last_tick_us);
    uv_timer_start(&run->tick, on_tick, 1, 1);
    uv_run(&loop, UV_RUN_DEFAULT); /* until wind_down has closed everything */
    free_run(&t);
    if (uv_loop_close(&loop))
        fprintf(stderr, "gigcx-loadtest: handles left open at exit\n");
    return t.rc;
}
