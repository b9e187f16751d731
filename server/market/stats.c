/* Marketplace figures for the dashboard. Each node writes its own counts to one Redis hash
 * every second; the stats endpoint sums the fresh ones, so a reading costs one HGETALL
 * however many experts are connected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/keys.h"
#include "gigcx/stats.h"
#include "gigcx/session.h"
#include "gigcx/util.h"

#define GX_STATS_FRESH_MS 10000 /* a node silent this long is gone (or partitioned) */
#define GX_STATS_GONE_MS                                                                           \
    600000 /* a node silent this long leaves the hash (a restart names a                           \
              new node: host-pid) */

void gx_stats_publish(gx_server *srv)
{
    int avail = 0, away = 0, busy = 0;
    for (gx_session *s = gx_session_first(srv); s; s = gx_session_next(s)) {
        if (s->state != GX_SS_READY || s->who.role != GX_ROLE_EXPERT)
            continue;
        int cap = s->capacity ? s->capacity : s->prof.capacity;
        if (s->held >= cap)
            busy++;
        else if (s->available)
            avail++;
        else
            away++;
    }
    const gx_metrics *m = &srv->m;
    json_t *wait = json_array();
    for (int i = 0; i <= GX_WAITHIST_BUCKETS; i++)
        json_array_append_new(wait, json_integer((json_int_t)m->wait_fine.counts[i]));
    json_t *j = json_pack(
        "{s:I, s:{s:i, s:i, s:i}, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I}, s:o}", "ts",
        (json_int_t)gx_now_ms(), "experts", "available", avail, "away", away, "busy", busy,
        "connections", "expert", (json_int_t)m->conns[GX_ROLE_EXPERT], "customer",
        (json_int_t)m->conns[GX_ROLE_CUSTOMER], "staff", (json_int_t)m->conns[GX_ROLE_STAFF],
        "counters", "tasks_created", (json_int_t)m->tasks_created, "offers",
        (json_int_t)m->offers_sent, "claims_won", (json_int_t)m->claims[0], "claims_lost",
        (json_int_t)(m->claims[1] + m->claims[2]), "messages", (json_int_t)m->chat_appended,
        "wait_fine", wait);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (s)
        gx_redis_cmd(srv->redis, NULL, NULL, "HSET " GX_KEY_NODESTATS " %s %s", srv->cfg->node_id,
                     s);
    free(s);
}

static void on_nodestats(redisReply *r, void *priv)
{
    gx_server *srv = priv;
    if (!r || r->type != REDIS_REPLY_ARRAY)
        return;
    int64_t now = gx_now_ms();
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        json_t *j = json_loads(v->str, 0, NULL);
        int64_t ts = (int64_t)json_integer_value(json_object_get(j, "ts"));
        json_decref(j);
        if (now - ts > GX_STATS_GONE_MS) /* HDEL then HSET by a node back meanwhile: rewritten
                                            within a second */
            gx_redis_cmd(srv->redis, NULL, NULL, "HDEL " GX_KEY_NODESTATS " %b", k->str,
                         (size_t)k->len);
    }
}

void gx_stats_forget_gone(gx_server *srv)
{
    gx_redis_cmd(srv->redis, on_nodestats, srv, "HGETALL " GX_KEY_NODESTATS);
}

/* Adds every integer of from into into, recursively, by key. */
static void add_ints(json_t *into, json_t *from)
{
    const char *k;
    json_t *v;
    json_object_foreach(from, k, v)
    {
        json_t *have = json_object_get(into, k);
        if (json_is_integer(v))
            json_object_set_new(into, k,
                                json_integer(json_integer_value(have) + json_integer_value(v)));
        else if (json_is_object(v) && json_is_object(have))
            add_ints(have, v);
    }
}

json_t *gx_stats_sum(json_t *flat, int64_t now, int *nodes)
{
    json_t *sum = json_pack("{s:{s:i, s:i, s:i}, s:{s:i, s:i, s:i}, s:{s:i, s:i, s:i, s:i, s:i}}",
                            "experts", "available", 0, "away", 0, "busy", 0, "connections",
                            "expert", 0, "customer", 0, "staff", 0, "counters", "tasks_created", 0,
                            "offers", 0, "claims_won", 0, "claims_lost", 0, "messages", 0);
    uint64_t wait[GX_WAITHIST_BUCKETS + 1] = {0};
    *nodes = 0;
    for (size_t i = 0; i + 1 < json_array_size(flat); i += 2) {
        const char *text = json_string_value(json_array_get(flat, i + 1));
        json_t *n = text ? json_loads(text, 0, NULL) : NULL;
        json_int_t ts = json_integer_value(json_object_get(n, "ts"));
        if (json_is_object(n) && now - ts <= GX_STATS_FRESH_MS) {
            (*nodes)++;
            add_ints(sum, n);
            json_t *w = json_object_get(n, "wait_fine");
            for (size_t b = 0; b < json_array_size(w) && b <= GX_WAITHIST_BUCKETS; b++)
                wait[b] += (uint64_t)json_integer_value(json_array_get(w, b));
        }
        json_decref(n);
    }
    json_object_set_new(sum, "wait_ms",
                        json_pack("{s:f, s:f}", "p50", 1000.0 * gx_waithist_pct(wait, 50), "p99",
                                  1000.0 * gx_waithist_pct(wait, 99)));
    return sum;
}
