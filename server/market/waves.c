/* Offer waves: a task goes first to the best K eligible experts, then every T seconds
 * unclaimed to the next K, until everyone eligible has it (K, T per brand). A wave is a
 * cut-off score read from the brand's ranking in Redis (ranking.h): every node offers the
 * task to its own eligible experts at or above it who do not hold it yet, so a wave costs
 * one small Redis read and one publish, whatever the number of experts or nodes. The
 * next wave's time lives in Redis (gx:waves), so a node that dies leaves it to another. */
#include "gigcx/scripts.h"
#include "gigcx/keys.h"
#include "gigcx/waves.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/due.h"
#include "gigcx/offer.h"
#include "gigcx/ranking.h"
#include "gigcx/request.h"
#include "gigcx/util.h"
#include "gigcx/waiting.h"

#define GX_WAVE_LEASE_MS 5000 /* a taken wave not sent by then is taken again */
#define GX_WAVE_BATCH 200
#define GX_WAVE_LAST_REPEAT_MS 60000

void gx_waves_free(gx_wave *w)
{
    if (w) {
        free(w->body);
        free(w);
    }
}

/* A wave out: its cut-off is watched beside the task's rank set (wave_watch.lua). */
typedef struct {
    gx_server *srv;
    char task[65], rank[300], watch[300], thr[32];
} gx_watch;

static void on_watch(redisReply *r, void *priv)
{
    gx_watch *wt = priv;
    if (r && r->type == REDIS_REPLY_INTEGER && r->integer == 1) { /* nobody reached is ready */
        wt->srv->m.waves_given_way++;
        gx_offer_next_wave(wt->srv, wt->task);
    }
    free(wt);
}

static void on_published(redisReply *r, void *priv)
{
    gx_watch *wt = priv;
    const char *argv[] = {wt->rank, wt->watch, wt->task, wt->thr};
    if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != 1 ||
        gx_redis_script(wt->srv->redis, GX_SCRIPT_WAVE_WATCH, on_watch, wt, 2, 4, argv, NULL))
        free(wt);
}

static gx_watch *watch_of(gx_server *srv, const gx_wave *w, const char *thr)
{
    gx_watch *wt = calloc(1, sizeof(*wt));
    if (!wt)
        return NULL;
    wt->srv = srv;
    gx_str_copy(wt->task, w->task, sizeof(wt->task));
    gx_str_copy(wt->thr, thr, sizeof(wt->thr));
    gx_ranking_key(wt->rank, sizeof(wt->rank), w->brand, w->tier, w->topic, w->lang);
    gx_ranking_watch_key(wt->watch, sizeof(wt->watch), w->brand, w->tier, w->topic, w->lang);
    return wt;
}

/* Sends the wave with cut-off thr ("-" = every eligible expert) and books the next one. The next
 * one goes sooner when nobody the waves reached so far can take the task (gx_waves_give_way). */
static void send_wave(gx_server *srv, gx_wave *w, const char *thr)
{
    gx_watch *wt = w->size > 0 ? watch_of(srv, w, thr) : NULL;
    if (gx_offer_announce(srv, w, thr, wt ? on_published : NULL, wt)) {
        free(wt);
        return;
    }
    srv->m.waves_sent++;
    gx_metrics_summary_observe(&srv->m.cut, (double)(uv_hrtime() - w->t0_ns) / 1e9);
    /* After the last wave (everyone), experts who get room pull the task from their node's
     * copy of the queue: the wave comes again only seldom, in case a copy missed it. */
    long long wait = w->interval_ms;
    if (thr[0] == '-' && wait < GX_WAVE_LAST_REPEAT_MS)
        wait = GX_WAVE_LAST_REPEAT_MS;
    long long now = (long long)gx_now_ms(), due = now + wait;
    gx_redis_cmd(srv->redis, NULL, NULL, "ZADD " GX_KEY_WAVES " %lld %s", due, w->task);
    gx_due_sooner(&srv->wave_tick, gx_waves_on_tick, gx_due_wait_ms(due, now, GX_WAVE_TICK_MS));
}

/* {version, score}: the (n+1)K-th best score, or "-" when nobody ranks below it. The wave
 * then reaches everyone ranked, so it goes to all: experts who get ready later, with any
 * score, are then offered the task from their backlog at once. */
static void on_cut(redisReply *r, void *priv)
{
    gx_wave *w = priv;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[GX_WAVE_CUT_VERSION]->type != REDIS_REPLY_STRING ||
        r->element[GX_WAVE_CUT_SCORE]->type != REDIS_REPLY_STRING) {
        gx_waves_free(w); /* Redis went away: the lease brings it back */
        return;
    }
    w->ver = atoll(r->element[GX_WAVE_CUT_VERSION]->str);
    send_wave(w->srv, w, r->element[GX_WAVE_CUT_SCORE]->str);
    gx_waves_free(w);
}

void gx_waves_cut(gx_wave *w)
{
    if (w->size <= 0) { /* waves off: everyone at once */
        send_wave(w->srv, w, "-");
        gx_waves_free(w);
        return;
    }
    char key[300], own[120], at[24];
    gx_ranking_key(key, sizeof(key), w->brand, w->tier, w->topic, w->lang);
    gx_ranking_owner_key(own, sizeof(own), w->brand);
    snprintf(at, sizeof(at), "%lld", (long long)(w->n + 1) * w->size - 1);
    const char *argv[] = {key, own, at};
    if (gx_redis_script(w->srv->redis, GX_SCRIPT_WAVE_CUT, on_cut, w, 2, 3, argv, NULL))
        gx_waves_free(w);
}

void gx_waves_drop(gx_server *srv, const char *task)
{
    gx_redis_cmd(srv->redis, NULL, NULL, "ZREM " GX_KEY_WAVES " %s", task);
}

void gx_waves_forget(gx_server *srv, const char *task, const char *brand, int tier,
                     const char *topic, const char *lang)
{
    char watch[300];
    gx_waves_drop(srv, task);
    gx_ranking_watch_key(watch, sizeof(watch), brand, tier, topic, lang);
    gx_redis_cmd(srv->redis, NULL, NULL, "ZREM %s %s", watch, task);
    gx_redis_cmd(srv->redis, NULL, NULL, "DEL " GX_KEY_DECL, brand, task);
}

void gx_waves_give_way(gx_server *srv, const redisReply *task)
{
    if (task->type == REDIS_REPLY_STRING && gx_id_valid(task->str)) {
        srv->m.waves_given_way++;
        gx_offer_next_wave(srv, task->str);
    }
}

void gx_waves_declined(gx_server *srv, const gx_waiting *w, const char *uid)
{
    if (w->size <= 0 || w->min < 0) /* waves off, or the last one went out */
        return;
    gx_watch *wt = calloc(1, sizeof(*wt));
    if (!wt)
        return;
    char decl[200], ttl[24];
    wt->srv = srv;
    gx_str_copy(wt->task, w->task, sizeof(wt->task));
    gx_ranking_key(wt->rank, sizeof(wt->rank), w->brand, w->tier, w->topic, w->lang);
    gx_ranking_watch_key(wt->watch, sizeof(wt->watch), w->brand, w->tier, w->topic, w->lang);
    snprintf(decl, sizeof(decl), GX_KEY_DECL, w->brand, w->task);
    long long left_s = (w->expires - (long long)gx_now_ms()) / 1000;
    snprintf(ttl, sizeof(ttl), "%lld", (left_s > 0 ? left_s : 0) + 60);
    const char *argv[] = {wt->rank, wt->watch, decl, w->task, uid, ttl};
    if (gx_redis_script(srv->redis, GX_SCRIPT_WAVE_DECLINE, on_watch, wt, 3, 6, argv, NULL))
        free(wt);
}

static void on_due(redisReply *r, void *priv)
{
    gx_server *srv = priv;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING && gx_id_valid(r->element[i]->str))
            gx_offer_next_wave(srv, r->element[i]->str);
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == GX_WAVE_BATCH) /* more are due */
        gx_due_sooner(&srv->wave_tick, gx_waves_on_tick, GX_WAVE_TICK_MS);
}

/* The earliest wave left (after the sweep's leases): look again then. */
static void on_next_due(redisReply *r, void *priv)
{
    gx_server *srv = priv;
    gx_due_after_poll(&srv->wave_tick, gx_waves_on_tick, r, GX_WAVE_TICK_MS);
}

void gx_waves_sweep(gx_server *srv)
{
    if (srv->net.stopping || !gx_redis_up(srv->redis))
        return;
    char now[24], lease[16], batch[16];
    snprintf(now, sizeof(now), "%lld", (long long)gx_now_ms());
    snprintf(lease, sizeof(lease), "%d", GX_WAVE_LEASE_MS);
    snprintf(batch, sizeof(batch), "%d", GX_WAVE_BATCH);
    const char *argv[] = {GX_KEY_WAVES, now, lease, batch};
    if (gx_redis_script(srv->redis, GX_SCRIPT_WAVE_DUE, on_due, srv, 1, 4, argv, NULL) == 0)
        gx_redis_cmd(srv->redis, on_next_due, srv, "ZRANGE " GX_KEY_WAVES " 0 0 WITHSCORES");
}

void gx_waves_on_tick(uv_timer_t *t)
{
    gx_waves_sweep(t->data);
}
