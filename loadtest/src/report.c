/* Report building, judging and rendering. The HTML page loads nothing: styles and SVG
 * charts are inline, so it can be mailed or archived as one file. */
#include "report.h"
#include <math.h>
#include <string.h>
#include <time.h>

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static json_t *latency(const gxlt_hist *h)
{
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "n", (json_int_t)h->n, "p50",
                     ms(gxlt_hist_pct(h, 50)), "p90", ms(gxlt_hist_pct(h, 90)), "p99",
                     ms(gxlt_hist_pct(h, 99)), "p999", ms(gxlt_hist_pct(h, 99.9)), "max",
                     ms(h->max_us), "mean", gxlt_hist_mean(h) / 1000.0);
}

/* Cumulative distribution points [ms, fraction] at each non-empty bucket. */
static json_t *cdf(const gxlt_hist *h)
{
    json_t *a = json_array();
    uint64_t seen = 0;
    for (int i = 0; i < GXLT_HIST_BUCKETS && h->n; i++) {
        if (!h->counts[i])
            continue;
        seen += h->counts[i];
        json_array_append_new(
            a, json_pack("[f, f]", ms(gxlt_hist_low(i)), (double)seen / (double)h->n));
    }
    return a;
}

static json_t *series(const gxlt_run *run)
{
    json_t *a = json_array();
    for (size_t i = 0; i < run->st.nseries; i++) {
        const gxlt_sample *s = &run->st.series[i];
        json_t *p50 = json_object(), *p99 = json_object(), *n = json_object();
        for (int m = 0; m < M_COUNT; m++) {
            if (!s->n[m])
                continue;
            json_object_set_new(p50, gxlt_metric_names[m], json_real(ms(s->p50[m])));
            json_object_set_new(p99, gxlt_metric_names[m], json_real(ms(s->p99[m])));
            json_object_set_new(n, gxlt_metric_names[m], json_integer((json_int_t)s->n[m]));
        }
        json_array_append_new(a, json_pack("{s:f, s:o, s:o, s:o, s:I, s:I, s:I}", "t", s->t_s,
                                           "p50", p50, "p99", p99, "n", n, "tasks",
                                           (json_int_t)s->tasks, "claims", (json_int_t)s->claims,
                                           "messages", (json_int_t)s->msgs));
    }
    return a;
}

/* CPU microseconds per chat message, offer and claim, and operations per CPU second. */
static void per_operation(json_t *o, double cpu, const gxlt_stats *st)
{
    double msgs = (double)st->msgs_acked, offers = (double)st->offers,
           claims = (double)(st->claims_won + st->claims_lost);
    if (msgs > 0)
        json_object_set_new(o, "cpu_us_per_message", json_real(cpu * 1e6 / msgs));
    if (offers > 0)
        json_object_set_new(o, "cpu_us_per_offer", json_real(cpu * 1e6 / offers));
    if (claims > 0)
        json_object_set_new(o, "cpu_us_per_claim", json_real(cpu * 1e6 / claims));
    if (cpu > 0)
        json_object_set_new(o, "operations_per_cpu_s", json_real((msgs + offers + claims) / cpu));
}

static json_t *server(const gxlt_run *run, const gxlt_stats *st)
{
    /* CPU per operation counts from the start of the run (every socket up), so the cost of
     * connecting is reported apart */
    double cpu = 0, cpu_conn = 0, rss_b = 0, rss_i = 0, rss_a = 0;
    bool ok = true;
    for (int i = 0; i < run->nurls; i++) {
        ok &= run->before[i].ok && run->after[i].ok;
        const gxlt_server_sample *from = run->start[i].ok  ? &run->start[i]
                                         : run->idle[i].ok ? &run->idle[i]
                                                           : &run->before[i];
        cpu += run->after[i].cpu_s - from->cpu_s;
        cpu_conn += from->cpu_s - run->before[i].cpu_s;
        rss_b += run->before[i].rss_bytes;
        rss_i += run->idle[i].rss_bytes;
        rss_a += run->after[i].rss_bytes;
    }
    if (!ok)
        return json_pack("{s:b}", "available", 0);
    int socks = run->sc.experts;
    json_t *s =
        json_pack("{s:b, s:f, s:f, s:f, s:f, s:f}", "available", 1, "cpu_s", cpu, "connect_cpu_s",
                  cpu_conn, "rss_before_mib", rss_b / 1048576.0, "rss_connected_mib",
                  rss_i / 1048576.0, "rss_after_mib", rss_a / 1048576.0);
    if (socks > 0 && rss_i > 0)
        json_object_set_new(s, "rss_per_socket_kib",
                            json_real((rss_i - rss_b) / 1024.0 / (double)socks));
    per_operation(s, cpu, st);
    return s;
}

/* The load tester's own CPU over the measured phase, per operation as for the server, and
 * as a share of one core: near 1, the tester rather than the server sets the figures. */
static json_t *tester(const gxlt_run *run, const gxlt_stats *st, double measured_s)
{
    double cpu = run->self_cpu_end - run->self_cpu_start;
    json_t *t = json_pack("{s:f, s:f}", "cpu_s", cpu, "core_share",
                          measured_s > 0 ? cpu / measured_s : 0.0);
    per_operation(t, cpu, st);
    return t;
}

json_t *gxlt_report_build(gxlt_run *run, double measured_s)
{
    const gxlt_stats *st = &run->st;
    json_t *lat = json_object(), *dist = json_object(), *viol = json_object();
    for (int m = 0; m < M_COUNT; m++) {
        json_object_set_new(lat, gxlt_metric_names[m], latency(&st->total[m]));
        json_object_set_new(dist, gxlt_metric_names[m], cdf(&st->total[m]));
    }
    for (int v = 0; v < V_COUNT; v++)
        json_object_set_new(viol, gxlt_violation_names[v], json_integer((json_int_t)st->v[v]));
    double d = measured_s > 0 ? measured_s : 1;
    char date[32];
    time_t now = time(NULL);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    json_t *counts = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
        "welcomed", (json_int_t)st->welcomed, "connect_failures", (json_int_t)st->connect_failures,
        "tasks_requested", (json_int_t)st->tasks_requested, "tasks_created",
        (json_int_t)st->tasks_created, "tasks_assigned", (json_int_t)st->tasks_assigned,
        "tasks_resolved", (json_int_t)st->tasks_resolved, "tasks_rated",
        (json_int_t)st->tasks_rated, "tasks_cancelled", (json_int_t)st->tasks_cancelled,
        "claims_sent", (json_int_t)st->claims_sent, "claims_won", (json_int_t)st->claims_won,
        "claims_lost", (json_int_t)st->claims_lost, "offers", (json_int_t)st->offers, "withdrawals",
        (json_int_t)st->withdrawals, "messages_sent", (json_int_t)st->msgs_sent, "messages_acked",
        (json_int_t)st->msgs_acked, "reconnects", (json_int_t)st->reconnects);
    json_t *r = json_pack(
        "{s:s, s:s, s:i, s:f, s:o, s:{s:f, s:f, s:f, s:f}, s:o, s:O, s:o, s:o, s:o, s:o}",
        "scenario", run->sc.name, "date", date, "experts", run->sc.experts, "measured_s",
        measured_s, "latency_ms", lat, "throughput_per_s", "tasks", (double)st->tasks_created / d,
        "claims", (double)(st->claims_won + st->claims_lost) / d, "messages",
        (double)st->msgs_acked / d, "offers", (double)st->offers / d, "counts", counts, "errors",
        st->errors, "violations", viol, "server", server(run, st), "series", series(run),
        "distribution", dist);
    json_object_set_new(r, "tester", tester(run, st, measured_s));
    if (run->storm_us)
        json_object_set_new(r, "reconnect_all_s", json_real(st->reconnect_all_s));
    json_object_set_new(r, "connect_all_s", json_real(st->connect_all_s));
    json_t *drain = gxlt_drain_report(run);
    if (drain)
        json_object_set_new(r, "drain", drain);
    json_t *urls = json_array();
    for (int i = 0; i < run->nurls; i++) {
        char u[96];
        snprintf(u, sizeof(u), "ws://%s:%d", run->hosts[i], run->ports[i]);
        json_array_append_new(urls, json_string(u));
    }
    json_object_set_new(r, "urls", urls);
    return r;
}

/* One limit on a figure that is not a latency: the entry is {slo, value, limit, pass}.
 * why_not: NULL when the value can be judged, else why it cannot (a failure). */
static void scalar_slo(json_t *slos, json_t *fails, const char *name, double value, double limit,
                       const char *why_not)
{
    bool pass = !why_not && value <= limit;
    json_array_append_new(slos, json_pack("{s:s, s:f, s:f, s:b}", "slo", name, "limit", limit,
                                          "value", value, "pass", pass));
    char msg[160];
    if (why_not)
        snprintf(msg, sizeof(msg), "%s: not judged (%s)", name, why_not);
    else
        snprintf(msg, sizeof(msg), "%s = %.4g > %.4g", name, value, limit);
    if (!pass)
        json_array_append_new(fails, json_string(msg));
}

/* A drain must resolve its whole backlog; its limits are checked against the "drain"
 * figures: the makespan (to the last resolve) against ratio * ideal + slack, the idle share
 * and tasks per expert max / median. */
static void judge_drain(json_t *d, const gxlt_scenario *sc, json_t *slos, json_t *fails)
{
    bool complete = json_is_true(json_object_get(d, "complete"));
    if (!complete) {
        char msg[160];
        snprintf(msg, sizeof(msg), "drain: %lld of %d tasks resolved (%s)",
                 (long long)json_integer_value(json_object_get(d, "resolved")), sc->backlog,
                 json_is_true(json_object_get(d, "timed_out")) ? "timeout_s reached"
                                                               : "run cut short");
        json_array_append_new(fails, json_string(msg));
    }
    const gxlt_drain_slo *o = &sc->dslo;
    const char *unfinished = complete ? NULL : "the drain did not finish";
    if (o->makespan_ratio_max >= 0) {
        double ideal = json_number_value(json_object_get(d, "ideal_s"));
        double limit = o->makespan_ratio_max * ideal + fmax(o->makespan_slack_s, 0);
        scalar_slo(slos, fails, "makespan_s",
                   json_number_value(json_object_get(d, "makespan_resolved_s")), limit, unfinished);
    }
    if (o->idle_share_max >= 0)
        scalar_slo(slos, fails, "idle_share", json_number_value(json_object_get(d, "idle_share")),
                   o->idle_share_max, unfinished);
    if (o->fairness_max_over_median >= 0) {
        json_t *f = json_object_get(json_object_get(d, "tasks_per_expert"), "max_over_median");
        scalar_slo(slos, fails, "fairness_max_over_median", json_number_value(f),
                   o->fairness_max_over_median,
                   unfinished          ? unfinished
                   : json_is_number(f) ? NULL
                                       : "the median expert took no task");
    }
}

bool gxlt_report_judge(json_t *report, const gxlt_scenario *sc)
{
    json_t *fails = json_array(), *slos = json_array();
    for (int i = 0; i < sc->nslo; i++) {
        const gxlt_slo *o = &sc->slo[i];
        json_t *h = json_object_get(json_object_get(report, "latency_ms"), o->metric);
        double n = json_number_value(json_object_get(h, "n"));
        /* the percentile from the histogram: exact enough (1.6 %) for a gate */
        char key[16];
        snprintf(key, sizeof(key), "%s",
                 o->pct >= 99.9 ? "p999"
                 : o->pct >= 99 ? "p99"
                 : o->pct >= 90 ? "p90"
                                : "p50");
        double v = json_number_value(json_object_get(h, key));
        bool pass = n > 0 && v <= o->max_ms;
        char name[64];
        snprintf(name, sizeof(name), "%s.%s_ms", o->metric, key);
        json_array_append_new(slos, json_pack("{s:s, s:f, s:f, s:b, s:I}", "slo", name, "limit_ms",
                                              o->max_ms, "value_ms", v, "pass", pass, "n",
                                              (json_int_t)n));
        if (!pass) {
            char msg[160];
            snprintf(msg, sizeof(msg), n > 0 ? "%s = %.2f ms > %.2f ms" : "%s: no samples", name, v,
                     o->max_ms);
            json_array_append_new(fails, json_string(msg));
        }
    }
    json_t *drain = json_object_get(report, "drain");
    if (drain)
        judge_drain(drain, sc, slos, fails);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(report, "violations"), k, v)
    {
        if (json_integer_value(v) == 0)
            continue;
        char msg[96];
        snprintf(msg, sizeof(msg), "%s = %lld (must be 0)", k, (long long)json_integer_value(v));
        json_array_append_new(fails, json_string(msg));
    }
    bool pass = json_array_size(fails) == 0;
    json_object_set_new(report, "slo", slos);
    json_object_set_new(report, "failures", fails);
    json_object_set_new(report, "pass", json_boolean(pass));
    return pass;
}

static double num(json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

static void print_per_operation(FILE *f, json_t *o)
{
    static const char *const per[] = {"cpu_us_per_message", "cpu_us_per_offer", "cpu_us_per_claim",
                                      "operations_per_cpu_s"};
    for (size_t i = 0; i < sizeof(per) / sizeof(per[0]); i++)
        if (json_object_get(o, per[i]))
            fprintf(f, "  %s %.1f\n", per[i], num(o, per[i]));
}

static void print_drain(FILE *f, json_t *d)
{
    json_t *h = json_object_get(d, "handle_ms"), *w = json_object_get(d, "queue_wait_ms"),
           *e = json_object_get(d, "tasks_per_expert"), *mm = json_object_get(e, "max_over_median");
    fprintf(f,
            "drain: backlog %d tasks, %d experts x %d slots, handle %.0f-%.0f ms; created %lld "
            "in %.2f s, assigned %lld, resolved %lld%s\n",
            (int)json_integer_value(json_object_get(d, "backlog")),
            (int)json_integer_value(json_object_get(d, "experts")),
            (int)json_integer_value(json_object_get(d, "capacity")),
            json_number_value(json_array_get(h, 0)), json_number_value(json_array_get(h, 1)),
            (long long)json_integer_value(json_object_get(d, "created")), num(d, "creation_s"),
            (long long)json_integer_value(json_object_get(d, "assigned")),
            (long long)json_integer_value(json_object_get(d, "resolved")),
            json_is_true(json_object_get(d, "timed_out")) ? " (TIMED OUT)" : "");
    fprintf(f,
            "  makespan %.2f s to the last assigned, %.2f s to the last resolved; ideal %.2f s "
            "(%.0f rounds x %.2f s): ratio %.3f\n",
            num(d, "makespan_assigned_s"), num(d, "makespan_resolved_s"), num(d, "ideal_s"),
            num(d, "rounds"), num(d, "handle_mean_s"), num(d, "makespan_ratio"));
    fprintf(f, "  queue wait p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", num(w, "p50"), num(w, "p99"),
            num(w, "max"));
    fprintf(f,
            "  idle slot-seconds while work waited %.3f (%.4f%% of %.1f slot-s); with a claim in "
            "flight %.3f (%.4f%%)\n",
            num(d, "idle_slot_s"), 100 * num(d, "idle_share"), num(d, "slot_s"),
            num(d, "claiming_slot_s"), 100 * num(d, "claiming_share"));
    fprintf(f, "  tasks per expert: median %.1f, min %d, max %d, max/median ", num(e, "median"),
            (int)json_integer_value(json_object_get(e, "min")),
            (int)json_integer_value(json_object_get(e, "max")));
    if (json_is_number(mm))
        fprintf(f, "%.3f", json_number_value(mm));
    else
        fprintf(f, "-");
    fprintf(f, ", gini %.4f\n", num(e, "gini"));
}

int gxlt_report_text(FILE *f, json_t *r)
{
    fprintf(f, "\nscenario %s, %d experts (all welcomed in %.2f s), %.1f s measured\n\n",
            json_string_value(json_object_get(r, "scenario")),
            (int)json_integer_value(json_object_get(r, "experts")), num(r, "connect_all_s"),
            num(r, "measured_s"));
    fprintf(f, "%-16s %9s %9s %9s %9s %9s %9s\n", "latency (ms)", "n", "p50", "p90", "p99", "p99.9",
            "max");
    const char *k;
    json_t *h;
    json_object_foreach(json_object_get(r, "latency_ms"), k, h)
    {
        if (num(h, "n") == 0)
            continue;
        fprintf(f, "%-16s %9.0f %9.2f %9.2f %9.2f %9.2f %9.2f\n", k, num(h, "n"), num(h, "p50"),
                num(h, "p90"), num(h, "p99"), num(h, "p999"), num(h, "max"));
    }
    json_t *tp = json_object_get(r, "throughput_per_s");
    fprintf(f, "\nthroughput /s: tasks %.1f  claims %.1f  messages %.1f  offers %.1f\n",
            num(tp, "tasks"), num(tp, "claims"), num(tp, "messages"), num(tp, "offers"));
    json_t *s = json_object_get(r, "server");
    if (json_is_true(json_object_get(s, "available"))) {
        fprintf(f, "server: cpu %.2f s, rss %.1f -> %.1f (connected) -> %.1f MiB", num(s, "cpu_s"),
                num(s, "rss_before_mib"), num(s, "rss_connected_mib"), num(s, "rss_after_mib"));
        if (json_object_get(s, "rss_per_socket_kib"))
            fprintf(f, ", %.2f KiB per socket", num(s, "rss_per_socket_kib"));
        fprintf(f, "\n");
        print_per_operation(f, s);
    }
    json_t *lt = json_object_get(r, "tester");
    if (lt) {
        fprintf(f, "tester: cpu %.2f s (%.0f%% of a core)\n", num(lt, "cpu_s"),
                100 * num(lt, "core_share"));
        print_per_operation(f, lt);
    }
    if (json_object_get(r, "reconnect_all_s"))
        fprintf(f, "reconnect storm: all experts back in %.2f s\n", num(r, "reconnect_all_s"));
    json_t *d = json_object_get(r, "drain");
    if (d)
        print_drain(f, d);
    json_t *slo, *v;
    size_t i;
    json_array_foreach(json_object_get(r, "slo"), i, slo)
    {
        bool lat = json_object_get(slo, "value_ms") != NULL;
        fprintf(f, "SLO %-28s %8.*f <= %8.*f  %s\n", json_string_value(json_object_get(slo, "slo")),
                lat ? 2 : 4, num(slo, lat ? "value_ms" : "value"), lat ? 2 : 4,
                num(slo, lat ? "limit_ms" : "limit"),
                json_is_true(json_object_get(slo, "pass")) ? "pass" : "FAIL");
    }
    json_object_foreach(json_object_get(r, "violations"), k, v)
        fprintf(f, "%-28s %lld\n", k, (long long)json_integer_value(v));
    json_array_foreach(json_object_get(r, "failures"), i, v)
        fprintf(f, "FAILED: %s\n", json_string_value(v));
    fprintf(f, "%s\n", json_is_true(json_object_get(r, "pass")) ? "PASS" : "FAIL");
    return ferror(f) ? -1 : 0;
}

/* ---- HTML ---- */

static const char *const colors[M_COUNT] = {"#7b61ff", "#e8590c", "#1c7ed6",
                                            "#2b8a3e", "#c2255c", "#5c940d"};

#define W 720
#define H 260
#define PAD 48

static void axes(FILE *f, const char *label, const char *ytop, const char *xright)
{
    fprintf(f, "<svg viewBox='0 0 %d %d' role='img' aria-label='%s'>", W, H, label);
    fprintf(f, "<rect x='%d' y='10' width='%d' height='%d' fill='none' stroke='#ccc'/>", PAD,
            W - PAD - 10, H - PAD - 10);
    fprintf(f,
            "<text x='4' y='20' font-size='11'>%s</text><text x='4' y='%d' font-size='11'>0"
            "</text><text x='%d' y='%d' font-size='11' text-anchor='end'>%s</text>",
            ytop, H - PAD, W - 10, H - PAD + 16, xright);
}

static void legend(FILE *f, const bool *shown)
{
    int x = PAD;
    for (int m = 0; m < M_COUNT; m++) {
        if (!shown[m])
            continue;
        fprintf(f,
                "<rect x='%d' y='%d' width='10' height='10' fill='%s'/>"
                "<text x='%d' y='%d' font-size='11'>%s</text>",
                x, H - 18, colors[m], x + 14, H - 9, gxlt_metric_names[m]);
        x += 120;
    }
    fprintf(f, "</svg>\n");
}

/* p99 of each metric, second by second. */
static void svg_over_time(FILE *f, json_t *series)
{
    double tmax = 1, ymax = 0.1;
    size_t i;
    json_t *s, *v;
    const char *k;
    json_array_foreach(series, i, s)
    {
        tmax = fmax(tmax, num(s, "t"));
        json_object_foreach(json_object_get(s, "p99"), k, v) ymax =
            fmax(ymax, json_number_value(v));
    }
    char top[32], right[32];
    snprintf(top, sizeof(top), "%.1f ms", ymax);
    snprintf(right, sizeof(right), "%.0f s", tmax);
    axes(f, "p99 latency over time", top, right);
    bool shown[M_COUNT] = {0};
    for (int m = 0; m < M_COUNT; m++) {
        json_array_foreach(series, i, s)
        {
            v = json_object_get(json_object_get(s, "p99"), gxlt_metric_names[m]);
            if (!v)
                continue;
            if (!shown[m])
                fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='1.5' points='",
                        colors[m]);
            shown[m] = true;
            fprintf(f, "%.1f,%.1f ", PAD + (W - PAD - 10) * num(s, "t") / tmax,
                    10 + (H - PAD - 10) * (1 - json_number_value(v) / ymax));
        }
        if (shown[m])
            fprintf(f, "'/>");
    }
    legend(f, shown);
}

/* Cumulative distribution of each metric on a log time axis. */
static void svg_distribution(FILE *f, json_t *dist)
{
    double lo = 1e9, hi = 0;
    const char *k;
    json_t *pts, *p;
    size_t i;
    json_object_foreach(dist, k, pts) json_array_foreach(pts, i, p)
    {
        double x = json_number_value(json_array_get(p, 0));
        lo = fmin(lo, fmax(x, 0.001));
        hi = fmax(hi, x);
    }
    if (hi <= lo)
        hi = lo * 10;
    char top[16], right[32];
    snprintf(top, sizeof(top), "100%%");
    snprintf(right, sizeof(right), "%.3g ms (log)", hi);
    axes(f, "latency distribution", top, right);
    bool shown[M_COUNT] = {0};
    double span = log10(hi) - log10(lo);
    for (int m = 0; m < M_COUNT; m++) {
        pts = json_object_get(dist, gxlt_metric_names[m]);
        if (!json_array_size(pts))
            continue;
        shown[m] = true;
        fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='1.5' points='", colors[m]);
        json_array_foreach(pts, i, p)
        {
            double x = fmax(json_number_value(json_array_get(p, 0)), lo);
            double y = json_number_value(json_array_get(p, 1));
            fprintf(f, "%.1f,%.1f ", PAD + (W - PAD - 10) * (log10(x) - log10(lo)) / span,
                    10 + (H - PAD - 10) * (1 - y));
        }
        fprintf(f, "'/>");
    }
    fprintf(f, "<text x='%d' y='%d' font-size='11'>%.3g ms</text>", PAD, H - PAD + 16, lo);
    legend(f, shown);
}

static void html_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '\'')
            fputs("&#39;", f);
        else
            fputc(*s, f);
    }
}

/* The drain's figures, one row each; nested objects flattened as parent.child. */
static void html_drain(FILE *f, json_t *d)
{
    fprintf(f, "<h2>Drain</h2><table>");
    const char *k, *k2;
    json_t *v, *v2;
    json_object_foreach(d, k, v)
    {
        if (json_is_object(v)) {
            json_object_foreach(v, k2, v2) if (json_is_number(v2))
                fprintf(f, "<tr><td>%s.%s</td><td>%.6g</td></tr>", k, k2, json_number_value(v2));
        } else if (json_is_array(v)) {
            fprintf(f, "<tr><td>%s</td><td>%.6g - %.6g</td></tr>", k,
                    json_number_value(json_array_get(v, 0)),
                    json_number_value(json_array_get(v, 1)));
        } else if (json_is_boolean(v)) {
            fprintf(f, "<tr><td>%s</td><td>%s</td></tr>", k, json_is_true(v) ? "yes" : "no");
        } else if (json_is_number(v)) {
            fprintf(f, "<tr><td>%s</td><td>%.6g</td></tr>", k, json_number_value(v));
        }
    }
    fprintf(f, "</table>");
}

int gxlt_report_html(FILE *f, json_t *r)
{
    fprintf(f, "<!doctype html><html lang='en'><meta charset='utf-8'><title>gigcx-loadtest: ");
    html_escape(f, json_string_value(json_object_get(r, "scenario")));
    fprintf(f, "</title><style>body{font:14px system-ui,sans-serif;max-width:760px;margin:2em auto;"
               "color:#222}table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right;"
               "border-bottom:1px solid #eee}th:first-child,td:first-child{text-align:left}"
               ".pass{color:#2b8a3e}.fail{color:#c92a2a}svg{width:100%%;height:auto}</style>");
    bool pass = json_is_true(json_object_get(r, "pass"));
    fprintf(f, "<h1>");
    html_escape(f, json_string_value(json_object_get(r, "scenario")));
    fprintf(f, " <span class='%s'>%s</span></h1><p>", pass ? "pass" : "fail",
            pass ? "PASS" : "FAIL");
    html_escape(f, json_string_value(json_object_get(r, "date")));
    fprintf(f, ", %d experts, %.1f s measured</p>",
            (int)json_integer_value(json_object_get(r, "experts")), num(r, "measured_s"));
    fprintf(f, "<h2>Latency (ms)</h2><table><tr><th>metric</th><th>n</th><th>p50</th><th>p90</th>"
               "<th>p99</th><th>p99.9</th><th>max</th></tr>");
    const char *k;
    json_t *h, *v;
    json_object_foreach(json_object_get(r, "latency_ms"), k, h)
    {
        if (num(h, "n") == 0)
            continue;
        fprintf(f,
                "<tr><td>%s</td><td>%.0f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f"
                "</td><td>%.2f</td></tr>",
                k, num(h, "n"), num(h, "p50"), num(h, "p90"), num(h, "p99"), num(h, "p999"),
                num(h, "max"));
    }
    fprintf(f, "</table><h2>p99 over time</h2>");
    svg_over_time(f, json_object_get(r, "series"));
    fprintf(f, "<h2>Distribution</h2>");
    svg_distribution(f, json_object_get(r, "distribution"));
    json_t *d = json_object_get(r, "drain");
    if (d)
        html_drain(f, d);
    fprintf(f, "<h2>SLOs and violations</h2><table>");
    size_t i;
    json_array_foreach(json_object_get(r, "slo"), i, v)
    {
        bool lat = json_object_get(v, "value_ms") != NULL;
        fprintf(f, "<tr><td>%s</td><td>%.*f%s</td><td>&le; %.*f%s</td><td class='%s'>%s</td></tr>",
                json_string_value(json_object_get(v, "slo")), lat ? 2 : 4,
                num(v, lat ? "value_ms" : "value"), lat ? " ms" : "", lat ? 2 : 4,
                num(v, lat ? "limit_ms" : "limit"), lat ? " ms" : "",
                json_is_true(json_object_get(v, "pass")) ? "pass" : "fail",
                json_is_true(json_object_get(v, "pass")) ? "pass" : "FAIL");
    }
    json_object_foreach(json_object_get(r, "violations"), k, v)
        fprintf(f, "<tr><td>%s</td><td>%lld</td><td>= 0</td><td class='%s'>%s</td></tr>", k,
                (long long)json_integer_value(v), json_integer_value(v) ? "fail" : "pass",
                json_integer_value(v) ? "FAIL" : "pass");
    static const char *const parts[][2] = {{"server", "Server"}, {"tester", "Load tester"}};
    for (size_t pi = 0; pi < sizeof(parts) / sizeof(parts[0]); pi++) {
        fprintf(f, "</table><h2>%s</h2><table>", parts[pi][1]);
        json_object_foreach(json_object_get(r, parts[pi][0]), k, v) if (json_is_number(v))
            fprintf(f, "<tr><td>%s</td><td>%.2f</td></tr>", k, json_number_value(v));
    }
    fprintf(f, "</table><h2>Counts</h2><table>");
    json_object_foreach(json_object_get(r, "counts"), k, v)
        fprintf(f, "<tr><td>%s</td><td>%lld</td></tr>", k, (long long)json_integer_value(v));
    fprintf(f, "</table></html>\n");
    return ferror(f) ? -1 : 0;
}
