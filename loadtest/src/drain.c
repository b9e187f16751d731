/* Drain runs: once every expert is available, a backlog of tasks is created at once through
 * the brand's REST API (every request queued together, sent by the REST workers); the
 * experts (expert.c) claim like the console and hold each task for handle_ms. Measured
 * here: the makespan against the ideal ceil(B / (N * C)) * mean(H), the free slots left
 * idle while work waited, and how evenly the tasks spread over the experts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run.h"

struct gxlt_post {
    gxlt_run *run;
    uint64_t t_req; /* set by the REST worker as the request goes out */
};

/* Brings the integrals up to now. Called before every change of free_slots,
 * claiming_slots or waiting, so the state was constant since the last call: the integrals
 * are exact at events (to the tester's knowledge of them), not sampled. */
static void integrate(gxlt_run *run, uint64_t now)
{
    gxlt_drain *d = &run->dr;
    if (d->waiting > 0 && now > d->idle_since_us) {
        d->idle_slot_us += (double)(now - d->idle_since_us) * d->free_slots;
        d->claiming_slot_us += (double)(now - d->idle_since_us) * d->claiming_slots;
    }
    d->idle_since_us = now;
}

void gxlt_drain_slots(gxlt_run *run, int dfree, int dclaiming)
{
    if (!run->dr.on || (!dfree && !dclaiming))
        return;
    integrate(run, gxlt_now_us());
    run->dr.free_slots += dfree;
    run->dr.claiming_slots += dclaiming;
}

void gxlt_drain_known(gxlt_run *run, gxlt_task *t)
{
    if (!run->dr.on || t->known)
        return;
    t->known = true;
    if (t->assigned_us) /* already taken: it never waited as far as the tester knows */
        return;
    integrate(run, gxlt_now_us());
    run->dr.waiting++;
}

void gxlt_drain_assigned(gxlt_run *run, gxlt_task *t, bool first, uint64_t now)
{
    gxlt_drain *d = &run->dr;
    if (!d->on)
        return;
    if (now > d->last_assigned_us)
        d->last_assigned_us = now;
    if (first && t->known) {
        integrate(run, now);
        d->waiting--;
    }
}

void gxlt_drain_resolved(gxlt_run *run, uint64_t now)
{
    if (run->dr.on && now > run->dr.last_resolved_us)
        run->dr.last_resolved_us = now;
}

static void posted(gxlt_post *p, int status, const char *body);

/* backlog_first: with every task queued, the experts go available; the makespan counts from
 * this moment. */
static void on_posted(int status, const char *body, void *priv)
{
    gxlt_post *p = priv;
    gxlt_run *run = p->run;
    gxlt_drain *d = &run->dr;
    if (run->stopping)
        return;
    d->answered++;
    posted(p, status, body);
    if (run->sc.backlog_first && d->answered >= run->sc.backlog && !d->released) {
        d->start_us = gxlt_now_us();
        gxlt_experts_go_available(run);
    }
}

static void posted(gxlt_post *p, int status, const char *body)
{
    gxlt_run *run = p->run;
    gxlt_drain *d = &run->dr;
    json_t *j = status == 201 ? json_loads(body, 0, NULL) : NULL;
    const char *id = json_string_value(json_object_get(j, "task"));
    if (!id) {
        char code[32];
        snprintf(code, sizeof(code), "http_%d", status);
        gxlt_error(run, code, false);
        json_decref(j);
        return;
    }
    gxlt_task *t = gxlt_task_get(run, id);
    gxlt_task_born(run, t, p->t_req);
    run->st.tasks_created++;
    if (!d->first_created_us || p->t_req < d->first_created_us)
        d->first_created_us = p->t_req;
    d->last_created_us = gxlt_now_us();
    gxlt_drain_known(run, t);
    json_decref(j);
}

void gxlt_drain_start(gxlt_run *run)
{
    gxlt_drain *d = &run->dr;
    int b = run->sc.backlog;
    d->posts = calloc((size_t)b, sizeof(*d->posts));
    if (!d->posts)
        abort(); /* nothing to measure without them */
    for (int i = 0; i < b; i++) {
        gxlt_post *p = &d->posts[i];
        p->run = run;
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"customer\":{\"id\":\"%s-d%d\",\"name\":\"Pat Doe\"},\"topic\":\"billing\","
                 "\"language\":\"en\",\"text\":\"[lt 0] I need help with a bill\"}",
                 run->prefix, i);
        gxlt_rest_async_stamped(run->rest[i % run->nurls], "POST", "/api/v1/tasks", run->api_key,
                                body, on_posted, p, &p->t_req);
        run->st.tasks_requested++;
        d->posted++;
    }
}

bool gxlt_drain_done(const gxlt_run *run)
{
    return run->dr.answered >= run->sc.backlog && run->st.tasks_resolved >= run->st.tasks_created;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void gxlt_fairness(int *counts, int n, double *median, int *max, int *min, double *gini)
{
    *median = *gini = 0;
    *max = *min = 0;
    if (n <= 0)
        return;
    qsort(counts, (size_t)n, sizeof(int), cmp_int);
    *median = n % 2 ? counts[n / 2] : (counts[n / 2 - 1] + counts[n / 2]) / 2.0;
    *min = counts[0];
    *max = counts[n - 1];
    double sum = 0, ranked = 0; /* G = 2 sum(i x_i) / (n sum x) - (n + 1) / n, x ascending */
    for (int i = 0; i < n; i++) {
        sum += counts[i];
        ranked += (double)(i + 1) * counts[i];
    }
    if (sum > 0)
        *gini = 2 * ranked / ((double)n * sum) - (double)(n + 1) / n;
}

static double since_s(uint64_t from, uint64_t to)
{
    return from && to > from ? (double)(to - from) / 1e6 : 0;
}

json_t *gxlt_drain_report(gxlt_run *run)
{
    const gxlt_scenario *sc = &run->sc;
    gxlt_drain *d = &run->dr;
    const gxlt_stats *st = &run->st;
    if (!d->on)
        return NULL;
    uint64_t now = gxlt_now_us();
    integrate(run, now); /* a run cut short still has tasks waiting */
    bool complete =
        st->tasks_created >= (uint64_t)sc->backlog && st->tasks_resolved >= (uint64_t)sc->backlog;
    double mean_h = (sc->handle_ms.lo + sc->handle_ms.hi) / 2000.0;
    long long slots = (long long)sc->experts * sc->capacity;
    double rounds = ceil((double)sc->backlog / (double)slots);
    double ideal = rounds * mean_h;
    /* from the first task created, or (backlog_first) from when the experts went available */
    uint64_t t0 = d->start_us ? d->start_us : d->first_created_us;
    double ms_assigned = since_s(t0, d->last_assigned_us);
    double ms_resolved = since_s(t0, d->last_resolved_us);
    /* slot-seconds of the makespan; for a run cut short, up to its end */
    double span = complete ? ms_resolved : since_s(t0, now);
    double slot_s = (double)slots * span, idle_s = d->idle_slot_us / 1e6;
    int *counts = calloc((size_t)sc->experts + 1, sizeof(int));
    double median = 0, gini = 0;
    int max = 0, min = 0;
    if (counts) {
        gxlt_experts_tasks(run, counts);
        gxlt_fairness(counts, sc->experts, &median, &max, &min, &gini);
        free(counts);
    }
    const gxlt_hist *w = &st->total[M_WAIT];
    json_t *r = json_pack(
        "{s:i, s:i, s:i, s:[f, f], s:f, s:b, s:b, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f,"
        " s:{s:I, s:f, s:f, s:f}, s:f, s:f, s:f, s:f, s:f, s:i, s:i}",
        "backlog", sc->backlog, "experts", sc->experts, "capacity", sc->capacity, "handle_ms",
        sc->handle_ms.lo, sc->handle_ms.hi, "handle_mean_s", mean_h, "complete", complete,
        "timed_out", d->timed_out, "created", (json_int_t)st->tasks_created, "assigned",
        (json_int_t)st->tasks_assigned, "resolved", (json_int_t)st->tasks_resolved, "creation_s",
        since_s(d->first_created_us, d->last_created_us), "makespan_assigned_s", ms_assigned,
        "makespan_resolved_s", ms_resolved, "rounds", rounds, "ideal_s", ideal, "makespan_ratio",
        ideal > 0 ? ms_resolved / ideal : 0.0, "queue_wait_ms", "n", (json_int_t)w->n, "p50",
        (double)gxlt_hist_pct(w, 50) / 1000.0, "p99", (double)gxlt_hist_pct(w, 99) / 1000.0, "max",
        (double)w->max_us / 1000.0, "idle_slot_s", idle_s, "slot_s", slot_s, "idle_share",
        slot_s > 0 ? idle_s / slot_s : 0.0, "claiming_slot_s", d->claiming_slot_us / 1e6,
        "claiming_share", slot_s > 0 ? d->claiming_slot_us / 1e6 / slot_s : 0.0,
        "free_slots_at_end", d->free_slots, "waiting_at_end", d->waiting);
    json_t *f =
        json_pack("{s:f, s:i, s:i, s:f}", "median", median, "max", max, "min", min, "gini", gini);
    /* undefined when the median expert took nothing (fewer tasks than half the experts) */
    json_object_set_new(f, "max_over_median", median > 0 ? json_real(max / median) : json_null());
    json_object_set_new(r, "tasks_per_expert", f);
    return r;
}

void gxlt_drain_free(gxlt_run *run)
{
    free(run->dr.posts);
    run->dr.posts = NULL;
}
