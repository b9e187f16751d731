/* Admin reads for the dashboard: brands, experts and marketplace figures. Each read is a
 * set of pipelined Redis commands gathered into JSON, then shaped into the answer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/keys.h"
#include "gigcx/stats.h"
#include "gigcx/error.h"
#include "gigcx/gather.h"
#include "gigcx/util.h"
#include "gigcx/waves.h"

#define GX_LIST_MAX 1000 /* rows in one listing; enough for a dashboard */

/* ---- shaping ---- */

static json_t *parsed(const char *s, json_t *fallback)
{
    json_t *j = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
    if (!j)
        return fallback;
    json_decref(fallback);
    return j;
}

json_t *gx_http_admin_brand_json(gx_server *srv, const char *id, json_t *flat)
{
    json_t *conf = parsed(gx_gather_flat_field(flat, "config"), json_object());
    json_t *topics = json_object_get(conf, "topics");
    json_t *timeout = json_object_get(conf, "queue_timeout_s");
    json_t *b =
        json_pack("{s:s, s:s, s:o, s:o, s:s, s:O, s:I}", "brand", id, "name",
                  gx_gather_flat_field(flat, "name") ?: "", "pay",
                  parsed(gx_gather_flat_field(flat, "pay"), json_object()), "widget_origins",
                  parsed(gx_gather_flat_field(flat, "widget_origins"), json_array()), "widget_key",
                  gx_gather_flat_field(flat, "widget_key") ?: "", "topics",
                  topics ? topics : json_object(), "queue_timeout_s",
                  (json_int_t)(timeout ? json_integer_value(timeout) : srv->cfg->queue_timeout_s));
    json_t *rule = json_object_get(conf, "on_timeout");
    json_object_set_new(b, "on_timeout",
                        json_string(json_is_string(rule) ? json_string_value(rule) : "expire"));
    json_t *langs = json_object_get(conf, "languages"); /* declared: taken without experts */
    json_object_set_new(b, "languages", json_is_array(langs) ? json_incref(langs) : json_array());
    json_t *waves = json_object_get(conf, "waves");
    json_object_set_new(b, "waves",
                        json_is_object(waves)
                            ? json_incref(waves)
                            : json_pack("{s:i, s:i}", "size", GX_WAVE_SIZE_DEFAULT, "interval_s",
                                        GX_WAVE_INTERVAL_DEFAULT));
    /* Optional settings, shown when set, so a PATCH (applied to what GET shows) keeps them. */
    static const char *const optional[] = {"business_hours", "widget", "offline_timeout_s"};
    for (size_t i = 0; i < sizeof(optional) / sizeof(*optional); i++) {
        json_t *v = json_object_get(conf, optional[i]);
        if (v)
            json_object_set(b, optional[i], v);
    }
    json_object_set_new(b, "canned", parsed(gx_gather_flat_field(flat, "canned"), json_array()));
    const char *hook = gx_gather_flat_field(flat, "webhook_url");
    if (hook && hook[0])
        json_object_set_new(b, "webhook_url", json_string(hook));
    json_decref(conf);
    return b;
}

json_t *gx_http_admin_expert_json(const char *id, json_t *flat)
{
    long long sum = atoll(gx_gather_flat_field(flat, "rating_sum") ?: "0"),
              n = atoll(gx_gather_flat_field(flat, "rating_n") ?: "0");
    json_t *e = json_pack("{s:s, s:s, s:o, s:o, s:i, s:o, s:i}", "id", id, "name",
                          gx_gather_flat_field(flat, "name") ?: "", "skills",
                          parsed(gx_gather_flat_field(flat, "skills"), json_array()), "languages",
                          parsed(gx_gather_flat_field(flat, "languages"), json_array()), "tier",
                          atoi(gx_gather_flat_field(flat, "tier") ?: "1"), "brands",
                          parsed(gx_gather_flat_field(flat, "brands"), json_array()), "capacity",
                          atoi(gx_gather_flat_field(flat, "capacity") ?: "3"));
    const char *active = gx_gather_flat_field(flat, "active");
    json_object_set_new(e, "active", json_boolean(!active || strcmp(active, "0") != 0));
    if (n > 0)
        json_object_set_new(
            e, "rating",
            json_pack("{s:f, s:I}", "avg", (double)sum / (double)n, "count", (json_int_t)n));
    return e;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The ids of a SMEMBERS reply, valid and sorted, at most GX_LIST_MAX (new reference). */
static json_t *sorted_ids(json_t *members)
{
    size_t n = json_array_size(members), k = 0;
    const char **v = calloc(n + 1, sizeof(*v));
    for (size_t i = 0; v && i < n; i++) {
        const char *s = json_string_value(json_array_get(members, i));
        if (gx_id_valid(s))
            v[k++] = s;
    }
    if (v)
        qsort(v, k, sizeof(*v), by_string);
    json_t *out = json_array();
    for (size_t i = 0; v && i < k && i < GX_LIST_MAX; i++)
        json_array_append_new(out, json_string(v[i]));
    free(v);
    return out;
}

/* ---- brands and experts ---- */

typedef json_t *(*gx_shape)(gx_gather *g, const char *id, json_t *flat);

static json_t *shape_brand(gx_gather *g, const char *id, json_t *flat)
{
    return gx_http_admin_brand_json(gx_req_srv(g->r), id, flat);
}

static json_t *shape_expert(gx_gather *g, const char *id, json_t *flat)
{
    (void)g;
    return gx_http_admin_expert_json(id, flat);
}

/* An expert's live state from what presence keeps in Redis (replies at live[0..2]: HMGET
 * status capacity of gx:pres, ZSCORE in gx:presence, SCARD of its held tasks). A heartbeat
 * older than two pings reads as offline: a closed socket shows so within that time. */
static json_t *live_state(gx_server *srv, json_t *replies, size_t at)
{
    json_t *pres = json_array_get(replies, at);
    const char *status = json_string_value(json_array_get(pres, 0));
    const char *cap = json_string_value(json_array_get(pres, 1));
    const char *beat = json_string_value(json_array_get(replies, at + 1));
    long long fresh = (2LL * srv->cfg->heartbeat_s + 1) * 1000;
    bool on = beat && (long long)gx_now_ms() - atoll(beat) <= fresh;
    const char *state = !on                                          ? "offline"
                        : status && strcmp(status, "available") == 0 ? "online"
                                                                     : "away";
    return json_pack("{s:s, s:I, s:i}", "state", state, "held",
                     json_integer_value(json_array_get(replies, at + 2)), "capacity",
                     cap ? atoi(cap) : 0);
}

/* Second stage of a listing: ctx = {ids, key fmt, list name, shape, live?}; one HGETALL per
 * id, and with live three more (live_state). */
static void list_done(gx_gather *g)
{
    json_t *ids = json_object_get(g->ctx, "ids"), *rows = json_array();
    gx_shape shape = (gx_shape)(uintptr_t)json_integer_value(json_object_get(g->ctx, "shape"));
    bool live = json_is_true(json_object_get(g->ctx, "live"));
    size_t stride = live ? 4 : 1;
    for (size_t i = 0; i < json_array_size(ids); i++) {
        json_t *flat = json_array_get(g->replies, i * stride);
        if (!json_array_size(flat))
            continue;
        json_t *row = shape(g, json_string_value(json_array_get(ids, i)), flat);
        if (live)
            json_object_set_new(row, "live",
                                live_state(gx_req_srv(g->r), g->replies, i * stride + 1));
        json_array_append_new(rows, row);
    }
    gx_http_reply_json(
        g->r, 200, json_pack("{s:o}", json_string_value(json_object_get(g->ctx, "list")), rows));
}

static void members_done(gx_gather *g)
{
    json_t *ids = sorted_ids(json_array_get(g->replies, 0));
    gx_gather *next = gx_gather_new(g->r, list_done);
    if (!next) {
        json_decref(ids);
        return;
    }
    next->ctx = json_deep_copy(g->ctx);
    json_object_set_new(next->ctx, "ids", ids);
    const char *fmt = json_string_value(json_object_get(g->ctx, "fmt"));
    bool live = json_is_true(json_object_get(g->ctx, "live"));
    for (size_t i = 0; i < json_array_size(ids); i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        gx_gather_key(next, "HGETALL", fmt, id);
        if (!live)
            continue;
        char pres[96], tasks[96];
        snprintf(pres, sizeof(pres), GX_KEY_PRES, id);
        snprintf(tasks, sizeof(tasks), GX_KEY_USER_TASKS, id);
        const char *hm[] = {"HMGET", pres, "status", "capacity"};
        const char *zs[] = {"ZSCORE", GX_KEY_PRESENCE, id};
        const char *sc[] = {"SCARD", tasks};
        gx_gather_cmd(next, 4, hm);
        gx_gather_cmd(next, 3, zs);
        gx_gather_cmd(next, 2, sc);
    }
    gx_gather_finish(next);
}

static void list_all(gx_http_req *r, const char *set, const char *fmt, const char *list,
                     gx_shape shape)
{
    gx_gather *g = gx_gather_new(r, members_done);
    if (!g)
        return;
    g->ctx = json_pack("{s:s, s:s, s:I, s:b}", "fmt", fmt, "list", list, "shape",
                       (json_int_t)(uintptr_t)shape, "live", shape == shape_expert);
    const char *argv[] = {"SMEMBERS", set};
    gx_gather_cmd(g, 2, argv);
    gx_gather_finish(g);
}

static void one_done(gx_gather *g)
{
    json_t *flat = json_array_get(g->replies, 0);
    gx_shape shape = (gx_shape)(uintptr_t)json_integer_value(json_object_get(g->ctx, "shape"));
    if (!json_array_size(flat))
        gx_http_error(g->r, GX_ENOTFOUND, "no such %s",
                      json_string_value(json_object_get(g->ctx, "what")));
    else
        gx_http_reply_json(g->r, 200, shape(g, g->r->id, flat));
}

static void get_one(gx_http_req *r, const char *fmt, const char *what, gx_shape shape)
{
    gx_gather *g = gx_gather_new(r, one_done);
    if (!g)
        return;
    g->ctx = json_pack("{s:s, s:I}", "what", what, "shape", (json_int_t)(uintptr_t)shape);
    gx_gather_key(g, "HGETALL", fmt, r->id);
    gx_gather_finish(g);
}

void gx_http_admin_brands(gx_http_req *r)
{
    list_all(r, GX_KEY_BRANDS, GX_KEY_BRAND, "brands", shape_brand);
}

void gx_http_admin_brand(gx_http_req *r)
{
    get_one(r, GX_KEY_BRAND, "brand", shape_brand);
}

void gx_http_admin_experts(gx_http_req *r)
{
    list_all(r, GX_KEY_EXPERTS, GX_KEY_EXPERT, "experts", shape_expert);
}

void gx_http_admin_expert(gx_http_req *r)
{
    get_one(r, GX_KEY_EXPERT, "expert", shape_expert);
}

/* ---- marketplace figures ---- */

/* HGET name, ZCARD q, ZCARD esc, ZRANGE q 0 99 WITHSCORES, ZRANGE esc 0 99 WITHSCORES */
#define GX_PER_BRAND 5

/* The oldest creation time among waiting tasks (queued, or escalated and waiting for staff),
 * from at most 100 of each set's first (highest priority) members: scores are
 * (9 - priority) * 1e13 + ms. oldest is the earliest so far (0: none). */
static long long oldest_created(json_t *withscores, long long oldest)
{
    for (size_t i = 1; i < json_array_size(withscores); i += 2) {
        long long c = (long long)(atof(json_string_value(json_array_get(withscores, i)) ?: "0")) %
                      10000000000000LL;
        if (c > 0 && (!oldest || c < oldest))
            oldest = c;
    }
    return oldest;
}

static void stats_done(gx_gather *g)
{
    json_t *ids = json_object_get(g->ctx, "ids"), *rows = json_array();
    long long now = (long long)gx_now_ms();
    for (size_t i = 0; i < json_array_size(ids); i++) {
        json_t *rep = g->replies;
        size_t at = i * GX_PER_BRAND;
        long long oldest_esc = oldest_created(json_array_get(rep, at + 4), 0);
        long long oldest = oldest_created(json_array_get(rep, at + 3), oldest_esc);
        json_array_append_new(
            rows, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "brand",
                            json_string_value(json_array_get(ids, i)), "name",
                            json_string_value(json_array_get(rep, at)) ?: "", "queued",
                            json_integer_value(json_array_get(rep, at + 1)), "escalated",
                            json_integer_value(json_array_get(rep, at + 2)), "oldest_wait_ms",
                            (json_int_t)(oldest ? now - oldest : 0), "oldest_escalated_wait_ms",
                            (json_int_t)(oldest_esc ? now - oldest_esc : 0)));
    }
    json_t *out = json_incref(json_object_get(g->ctx, "sum"));
    json_object_set_new(out, "brands", rows);
    gx_http_reply_json(g->r, 200, out);
}

static void stats_first_done(gx_gather *g)
{
    int nodes;
    json_t *sum = gx_stats_sum(json_array_get(g->replies, 0), gx_now_ms(), &nodes);
    json_object_set_new(sum, "ts", json_integer((json_int_t)gx_now_ms()));
    json_object_set_new(sum, "nodes", json_integer(nodes));
    json_t *ids = sorted_ids(json_array_get(g->replies, 1));
    gx_gather *next = gx_gather_new(g->r, stats_done);
    if (!next) {
        json_decref(ids);
        json_decref(sum);
        return;
    }
    next->ctx = json_pack("{s:o, s:o}", "ids", ids, "sum", sum);
    for (size_t i = 0; i < json_array_size(ids) && i < 200; i++) {
        const char *b = json_string_value(json_array_get(ids, i));
        char brand[96], q[96], esc[96];
        snprintf(brand, sizeof(brand), GX_KEY_BRAND, b);
        snprintf(q, sizeof(q), GX_KEY_QUEUE, b);
        snprintf(esc, sizeof(esc), GX_KEY_ESC, b);
        const char *c0[] = {"HGET", brand, "name"}, *c1[] = {"ZCARD", q}, *c2[] = {"ZCARD", esc},
                   *c3[] = {"ZRANGE", q, "0", "99", "WITHSCORES"},
                   *c4[] = {"ZRANGE", esc, "0", "99", "WITHSCORES"};
        gx_gather_cmd(next, 3, c0);
        gx_gather_cmd(next, 2, c1);
        gx_gather_cmd(next, 2, c2);
        gx_gather_cmd(next, 5, c3);
        gx_gather_cmd(next, 5, c4);
    }
    gx_gather_finish(next);
}

void gx_http_admin_stats(gx_http_req *r)
{
    gx_gather *g = gx_gather_new(r, stats_first_done);
    if (!g)
        return;
    const char *c0[] = {"HGETALL", GX_KEY_NODESTATS}, *c1[] = {"SMEMBERS", GX_KEY_BRANDS};
    gx_gather_cmd(g, 2, c0);
    gx_gather_cmd(g, 2, c1);
    gx_gather_finish(g);
}
