/* Offer waves (waves.c): the best K eligible experts first, then the next K every T s. */
#ifndef GIGCX_WAVES_H
#define GIGCX_WAVES_H

#include <hiredis/hiredis.h>
#include "gigcx/server.h"

#define GX_WAVE_SIZE_DEFAULT 20     /* K when the brand sets none */
#define GX_WAVE_INTERVAL_DEFAULT 10 /* T in seconds when the brand sets none */
#define GX_WAVE_TICK_MS 100         /* the most often a node looks for due waves (due.h) */

/* One wave of one task's offer. */
typedef struct {
    gx_server *srv;
    char task[65], brand[65], lang[65], topic[65];
    int tier;
    int n;                 /* 0 for the first wave */
    long size;             /* K; 0 = everyone at once */
    long long interval_ms; /* T */
    char *body;            /* owned: the offer frame */
    uint64_t t0_ns;        /* when the task was read, for gigcx_offer_cut_seconds */
    long long ver;         /* the brand's ranking version the cut-off was read at */
    int prio;              /* the task's priority, creation and expiry (ms): the order of */
    long long created;     /* the nodes' copies of the queue (waiting.h), and what ends */
    long long expires;     /* a decline */
} gx_wave;

/* Finds the wave's cut-off in the brand's ranking, sends the wave (gx_offer_announce) and
 * books the next. Takes w (heap). */
void gx_waves_cut(gx_wave *w);
void gx_waves_free(gx_wave *w);
/* The task left the queue: no more waves. */
void gx_waves_drop(gx_server *srv, const char *task);
/* The same, with the watch of its cut-off and its declines (the task's brand, tier, topic
 * and language name them). */
void gx_waves_forget(gx_server *srv, const char *task, const char *brand, int tier,
                     const char *topic, const char *lang);
/* Nobody the task's waves reached can take it (a task id from rank_set.lua): the next wave
 * now. */
void gx_waves_give_way(gx_server *srv, const redisReply *task);
struct gx_waiting;
/* An expert declined the waiting task w: the next wave now if nobody reached is left. */
void gx_waves_declined(gx_server *srv, const struct gx_waiting *w, const char *uid);
/* Sends the waves that are due (on any node), and sets when to look again. */
void gx_waves_sweep(gx_server *srv);
/* The callback of srv->wave_tick (data: srv). */
void gx_waves_on_tick(uv_timer_t *t);

#endif
