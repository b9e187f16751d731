/* Offer waves: a task goes first to the best K eligible experts, then every T seconds
 * unclaimed to the next K, until everyone eligible has it (K, T per brand). A wave is a
 * cut-off score read from the brand's ranking in Redis (ranking.h): every node offers the
 * task to its own eligible experts at or above it who do not hold it yet, so a wave costs
 * one small Redis read and one publish, whatever the number of experts or nodes. The
 * next wave's time lives in Redis (gx:waves), so a node that dies leaves it to another. */
#include "gigcx/waves.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/due.h"
#include "gigcx/handlers.h"
#include "gigcx/ranking.h"
#include "gigcx/request.h"
#include "gigcx/util.h"

#define GX_WAVES_KEY "gx:waves"
#define GX_WAVE_LEASE_MS 5000 /* a taken wave not sent by then is taken again */
#define GX_WAVE_BATCH 200

void gx_wave_free(gx_wave *w)
{
    if (w) {
        free(w->body);
        free(w);
    }
}

/* Sends the wave with cut-off thr ("-" = every eligible expert) and books the next one:
 * waves go on while the task waits, because experts who sat on too many offers get the
 * task only once they are free again (ranking.h). */
static void send_wave(gx_server *srv, gx_wave *w, const char *thr)
{
    if (gx_offer_announce(srv, w, thr))
        return;
    srv->m.waves_sent++;
    gx_summary_observe(&srv->m.cut, (double)(uv_hrtime() - w->t0_ns) / 1e9);
    long long now = (long long)gx_now_ms(), due = now + w->interval_ms;
    gx_redis_cmd(srv->redis, NULL, NULL, "ZADD " GX_WAVES_KEY " %lld %s", due, w->task);
    gx_due_sooner(&srv->wave_tick, gx_waves_on_tick, gx_due_wait_ms(due, now, GX_WAVE_TICK_MS));
}

/* {version, score}: the (n+1)K-th best score, or "-" when nobody ranks below it. The wave
 * then reaches everyone ranked, so it goes to all: experts who get ready later, with any
 * score, are then offered the task from their backlog at once. */
static void on_cut(redisReply *r, void *priv)
{
    gx_wave *w = priv;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING) {
        gx_wave_free(w); /* Redis went away: the lease brings it back */
        return;
    }
    w->ver = atoll(r->element[0]->str);
    send_wave(w->srv, w, r->element[1]->str);
    gx_wave_free(w);
}

void gx_wave_cut(gx_wave *w)
{
    if (w->size <= 0) { /* waves off: everyone at once */
        send_wave(w->srv, w, "-");
        gx_wave_free(w);
        return;
    }
    char key[300], own[120], at[24];
    gx_ranking_key(key, sizeof(key), w->brand, w->tier, w->topic, w->lang);
    gx_ranking_owner_key(own, sizeof(own), w->brand);
    snprintf(at, sizeof(at), "%lld", (long long)(w->n + 1) * w->size - 1);
    const char *argv[] = {key, own, at};
    if (gx_redis_script(w->srv->redis, GX_SCRIPT_WAVE_CUT, on_cut, w, 2, 3, argv, NULL))
        gx_wave_free(w);
}

void gx_wave_drop(gx_server *srv, const char *task)
{
    gx_redis_cmd(srv->redis, NULL, NULL, "ZREM " GX_WAVES_KEY " %s", task);
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
    if (srv->stopping || !gx_redis_up(srv->redis))
        return;
    char now[24], lease[16], batch[16];
    snprintf(now, sizeof(now), "%lld", (long long)gx_now_ms());
    snprintf(lease, sizeof(lease), "%d", GX_WAVE_LEASE_MS);
    snprintf(batch, sizeof(batch), "%d", GX_WAVE_BATCH);
    const char *argv[] = {GX_WAVES_KEY, now, lease, batch};
    if (gx_redis_script(srv->redis, GX_SCRIPT_WAVE_DUE, on_due, srv, 1, 4, argv, NULL) == 0)
        gx_redis_cmd(srv->redis, on_next_due, srv, "ZRANGE " GX_WAVES_KEY " 0 0 WITHSCORES");
}

void gx_waves_on_tick(uv_timer_t *t)
{
    gx_waves_sweep(t->data);
}
