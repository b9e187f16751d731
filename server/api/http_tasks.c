/* GET /api/v1/tasks: a brand's tasks, newest first, filtered by status, topic and creation
 * time, and by text (?q=: task id, customer id or name, a substring without case), in pages
 * with an opaque cursor. Reads the brand's creation index, then the task
 * hashes of a window of candidates, pipelined, and filters them here. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/keys.h"
#include "gigcx/error.h"
#include "gigcx/gather.h"
#include "gigcx/util.h"

#define GX_LIST_DEFAULT 50
#define GX_LIST_LIMIT 200
#define GX_LIST_WINDOW 4 /* candidates read per task asked for, to leave room for filters */

/* A query integer: digits only (no sign, no trailing text), at most 15 of them. */
static bool num(const char *s, long long *out)
{
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 15 || s[n])
        return false;
    *out = atoll(s);
    return true;
}

static json_t *task_row(const char *id, json_t *flat)
{
    json_t *t = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:{s:s, s:s}}", "task", id, "status",
                          gx_gather_flat_field(flat, "status") ?: "", "topic",
                          gx_gather_flat_field(flat, "topic") ?: "", "language",
                          gx_gather_flat_field(flat, "language") ?: "", "priority",
                          atoi(gx_gather_flat_field(flat, "priority") ?: "0"), "created_at",
                          (json_int_t)atoll(gx_gather_flat_field(flat, "created_at") ?: "0"),
                          "customer", "id", gx_gather_flat_field(flat, "customer") ?: "", "name",
                          gx_gather_flat_field(flat, "customer_name") ?: "");
    const char *expert = gx_gather_flat_field(flat, "expert");
    if (expert && expert[0])
        json_object_set_new(t, "expert", json_pack("{s:s}", "id", expert));
    return t;
}

/* needle in hay, ASCII letters compared without case (other bytes as they are). */
static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; hay && *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

/* ?q= matches the task id, the customer's id or the customer's name. */
static bool matches(json_t *flat, const char *id, const char *q)
{
    return !q || contains_nocase(id, q) ||
           contains_nocase(gx_gather_flat_field(flat, "customer"), q) ||
           contains_nocase(gx_gather_flat_field(flat, "customer_name"), q);
}

static bool wanted(json_t *flat, const char *id, json_t *ctx)
{
    const char *status = json_string_value(json_object_get(ctx, "status"));
    const char *topic = json_string_value(json_object_get(ctx, "topic"));
    return json_array_size(flat) &&
           (!status || strcmp(gx_gather_flat_field(flat, "status") ?: "", status) == 0) &&
           (!topic || strcmp(gx_gather_flat_field(flat, "topic") ?: "", topic) == 0) &&
           matches(flat, id, json_string_value(json_object_get(ctx, "q")));
}

/* The cursor names the last task of a page by creation time and id: "<ms>.<task>". */
static void list_done(gx_gather *g)
{
    json_t *ids = json_object_get(g->ctx, "ids"), *rows = json_array();
    size_t limit = (size_t)json_integer_value(json_object_get(g->ctx, "limit")), i;
    char next[96] = "";
    for (i = 0; i < json_array_size(ids) && json_array_size(rows) < limit; i++) {
        json_t *flat = json_array_get(g->replies, i);
        const char *id = json_string_value(json_array_get(json_array_get(ids, i), 0));
        if (wanted(flat, id, g->ctx))
            json_array_append_new(rows, task_row(id, flat));
        snprintf(next, sizeof(next), "%lld.%s",
                 (long long)json_integer_value(json_array_get(json_array_get(ids, i), 1)), id);
    }
    bool more = i < json_array_size(ids) || json_is_true(json_object_get(g->ctx, "full"));
    json_t *out = json_pack("{s:o}", "tasks", rows);
    if (more && next[0])
        json_object_set_new(out, "next_cursor", json_string(next));
    gx_http_reply_json(g->r, 200, out);
}

/* The candidates, newest first, after the cursor; then one HGETALL each. */
static void index_done(gx_gather *g)
{
    json_t *flat = json_array_get(g->replies, 0), *ids = json_array();
    const char *after = json_string_value(json_object_get(g->ctx, "after"));
    bool passed = !after;
    size_t n = json_array_size(flat);
    for (size_t i = 0; i + 1 < n; i += 2) {
        const char *id = json_string_value(json_array_get(flat, i));
        if (!passed) { /* skip up to and including the cursor's task (equal times) */
            passed = strcmp(id, after) == 0;
            continue;
        }
        json_array_append_new(
            ids,
            json_pack("[s, I]", id,
                      (json_int_t)atoll(json_string_value(json_array_get(flat, i + 1)) ?: "0")));
    }
    json_t *ctx = json_deep_copy(g->ctx);
    json_object_set_new(ctx, "ids", ids);
    json_object_set_new(
        ctx, "full",
        json_boolean(n / 2 >= (size_t)json_integer_value(json_object_get(g->ctx, "window"))));
    gx_gather *next = gx_gather_new(g->r, list_done);
    if (!next) {
        json_decref(ctx);
        return;
    }
    next->ctx = ctx;
    for (size_t i = 0; i < json_array_size(ids); i++)
        gx_gather_key(next, "HGETALL", GX_KEY_TASK,
                      json_string_value(json_array_get(json_array_get(ids, i), 0)));
    gx_gather_finish(next);
}

void gx_http_tasks_list(gx_http_req *r)
{
    char status[24], topic[72], since[24], limit_s[24], cursor[96], brand[65], q[101];
    json_t *ctx = json_object();
    if (r->as_admin) { /* the admin names the brand */
        if (!gx_http_query(r, "brand=", brand, sizeof(brand)) || !gx_id_valid(brand)) {
            json_decref(ctx);
            gx_http_error(r, GX_EBADREQ, "'brand' is required with the admin key");
            return;
        }
        snprintf(r->brand, sizeof(r->brand), "%s", brand);
    }
    if (gx_http_query(r, "status=", status, sizeof(status)))
        json_object_set_new(ctx, "status", json_string(status));
    if (gx_http_query(r, "topic=", topic, sizeof(topic)))
        json_object_set_new(ctx, "topic", json_string(topic));
    if (gx_http_query(r, "q=", q, sizeof(q)) && q[0] && /* longer than 100: not a filter */
        json_object_set_new(ctx, "q", json_string(q))) {
        json_decref(ctx);
        gx_http_error(r, GX_EBADREQ, "'q' must be UTF-8 text");
        return;
    }
    long long limit = GX_LIST_DEFAULT, since_ms = 0, max_ms = -1;
    bool ok = (!gx_http_query(r, "limit=", limit_s, sizeof(limit_s)) || num(limit_s, &limit)) &&
              (!gx_http_query(r, "since=", since, sizeof(since)) || num(since, &since_ms));
    if (ok && gx_http_query(r, "cursor=", cursor, sizeof(cursor))) {
        char *dot = strchr(cursor, '.');
        if (!dot || !gx_id_valid(dot + 1)) {
            json_decref(ctx);
            gx_http_error(r, GX_EBADREQ, "'cursor' is not one this server gave");
            return;
        }
        *dot = '\0';
        ok = num(cursor, &max_ms);
        json_object_set_new(ctx, "after", json_string(dot + 1));
    }
    if (!ok || limit < 1 || limit > GX_LIST_LIMIT) {
        json_decref(ctx);
        gx_http_error(
            r, GX_EBADREQ,
            "'limit' must be 1..%d, 'since' a time in ms and 'cursor' one this server gave",
            GX_LIST_LIMIT);
        return;
    }
    long window = (long)limit * GX_LIST_WINDOW + 1;
    json_object_set_new(ctx, "limit", json_integer(limit));
    json_object_set_new(ctx, "window", json_integer(window));
    gx_gather *g = gx_gather_new(r, index_done);
    if (!g) {
        json_decref(ctx);
        return;
    }
    g->ctx = ctx;
    char key[96], hi[24], lo[24], count[24];
    snprintf(key, sizeof(key), GX_KEY_ALL, r->brand);
    snprintf(hi, sizeof(hi), max_ms >= 0 ? "%lld" : "+inf", max_ms);
    snprintf(lo, sizeof(lo), "%lld", since_ms);
    snprintf(count, sizeof(count), "%ld", window);
    const char *argv[] = {"ZREVRANGEBYSCORE", key, hi, lo, "WITHSCORES", "LIMIT", "0", count};
    gx_gather_cmd(g, 8, argv);
    gx_gather_finish(g);
}
