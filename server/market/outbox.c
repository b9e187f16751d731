/* Recording webhook events: after a task's state changed, read whether its brand wants
 * webhooks and, only when it does, the task as it now stands; build the event body once and
 * put it in the outbox with one script. The body is stored as sent, so every redelivery carries
 * the same id and bytes. The customer's text never goes into an event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/logrl.h"
#include <libwebsockets.h>
#include "gigcx/error.h"
#include "gigcx/redis.h"
#include "gigcx/request.h"
#include "gigcx/util.h"
#include "gigcx/keys.h"
#include "gigcx/outbox.h"

typedef struct {
    gx_server *srv; /* borrowed */
    char id[32], brand[65], type[40], task[65];
    long long at;
    json_t *given; /* owned: what the caller knows for certain */
} gx_hook_emit;

const char *gx_outbox_type_of(const char *action)
{
    static const char *const map[][2] = {
        {"resolve", "task.resolved"}, {"escalate", "task.escalated"}, {"timeout", "task.escalated"},
        {"expire", "task.expired"},   {"cancel", "task.cancelled"},
    };
    for (size_t i = 0; action && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(action, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

static void emit_free(gx_hook_emit *e)
{
    json_decref(e->given);
    free(e);
}

static void lost(gx_hook_emit *e, const char *why)
{
    e->srv->m.hooks_lost++;
    GX_LOG_LIMITED(LLL_WARN, "webhook %s (%s of task %s) not recorded: %s\n", e->id, e->type,
                   e->task, why);
}

static void put_str(json_t *o, const char *k, const char *v)
{
    if (v && v[0])
        json_object_set_new(o, k, json_string(v));
}

static void put_person(json_t *o, const char *k, const redisReply *t, const char *idf,
                       const char *namef, const char *rolef)
{
    const char *id = gx_reply_field(t, idf);
    if (!id || !id[0])
        return;
    json_t *p = json_pack("{s:s}", "id", id);
    put_str(p, "name", namef ? gx_reply_field(t, namef) : NULL);
    put_str(p, "role", rolef ? gx_reply_field(t, rolef) : NULL);
    json_object_set_new(o, k, p);
}

/* The event's data: the task as it stands, then the caller's fields on top (they are what the
 * event was about; the task may have moved on since). */
static json_t *event_data(const char *type, const redisReply *t, json_t *given)
{
    json_t *d = json_object();
    put_str(d, "status", gx_reply_field(t, "status"));
    put_str(d, "topic", gx_reply_field(t, "topic"));
    put_str(d, "language", gx_reply_field(t, "language"));
    const char *prio = gx_reply_field(t, "priority");
    if (prio)
        json_object_set_new(d, "priority", json_integer(atoi(prio)));
    put_person(d, "customer", t, "customer", NULL, NULL);
    const char *offline = gx_reply_field(t, "offline");
    if (offline && strcmp(offline, "1") == 0) { /* the brand answers it by e-mail: whom to */
        json_object_set_new(d, "offline", json_true());
        json_t *c = json_object_get(d, "customer");
        put_str(c, "name", gx_reply_field(t, "customer_name"));
        put_str(c, "email", gx_reply_field(t, "customer_email"));
    }
    put_person(d, "assignee", t, "assignee", "assignee_name", "assignee_role");
    put_person(d, "expert", t, "expert", NULL, NULL);
    put_person(d, "staff", t, "staff", NULL, NULL);
    json_t *meta = json_loads(gx_reply_field(t, "meta") ?: "", 0, NULL);
    if (json_is_object(meta) && json_object_size(meta))
        json_object_set(d, "meta", meta);
    json_decref(meta);
    if (strcmp(type, "task.escalated") == 0)
        put_str(d, "reason", gx_reply_field(t, "escalation_reason"));
    if (strcmp(type, "task.resolved") == 0)
        put_str(d, "summary", gx_reply_field(t, "summary"));
    const char *rating = gx_reply_field(t, "rating");
    if (strcmp(type, "task.rated") == 0 && rating) {
        json_object_set_new(d, "score", json_integer(atoi(rating)));
        put_str(d, "comment", gx_reply_field(t, "rating_comment"));
    }
    if (json_is_object(given))
        json_object_update(d, given);
    return d;
}

static void on_recorded(redisReply *r, void *priv)
{
    gx_hook_emit *e = priv;
    if (r && r->type == REDIS_REPLY_INTEGER) {
        e->srv->m.hooks_emitted++;
        if (e->srv->outbox_kick)
            e->srv->outbox_kick(e->srv);
    } else {
        lost(e, r ? "unexpected reply" : "Redis connection lost");
    }
    emit_free(e);
}

static void record(gx_hook_emit *e, const redisReply *task)
{
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "id", e->id, "type", e->type, "brand",
                           e->brand, "task", e->task, "created_at", (json_int_t)e->at, "data",
                           event_data(e->type, task, e->given));
    char *body = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    char key[64], created[24];
    snprintf(key, sizeof(key), GX_HOOK_EVENT "%s", e->id);
    snprintf(created, sizeof(created), "%lld", e->at);
    const char *argv[] = {key,     GX_HOOK_DUE,      e->id,  e->brand, e->type,
                          e->task, body ? body : "", created};
    int rc =
        body ? gx_redis_script(e->srv->redis, GX_SCRIPT_HOOK_EMIT, on_recorded, e, 2, 8, argv, NULL)
             : GX_EINTERNAL;
    free(body);
    if (rc) {
        lost(e, "Redis unavailable");
        emit_free(e);
    }
}

/* The task as it stands now, read only for brands that want its events. */
static void on_task(redisReply *r, void *priv)
{
    gx_hook_emit *e = priv;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements) {
        record(e, r);
        return;
    }
    lost(e, r ? "the task is gone" : "Redis connection lost");
    emit_free(e);
}

static void on_brand(redisReply *r, void *priv)
{
    gx_hook_emit *e = priv;
    if (!r || r->type != REDIS_REPLY_STRING || !r->len) { /* no webhook_url: no event */
        emit_free(e);
        return;
    }
    if (gx_redis_cmd(e->srv->redis, on_task, e, "HGETALL " GX_KEY_TASK, e->task)) {
        lost(e, "Redis unavailable");
        emit_free(e);
    }
}

void gx_outbox_emit(gx_server *srv, const char *brand, const char *type, const char *task,
                    json_t *data)
{
    gx_hook_emit *e = NULL;
    char rnd[24];
    if (!type || !gx_id_valid(brand) || !gx_id_valid(task) || gx_id_random(rnd, 15) ||
        !(e = calloc(1, sizeof(*e)))) {
        json_decref(data);
        return;
    }
    *e = (gx_hook_emit){.srv = srv, .at = gx_now_ms(), .given = data};
    snprintf(e->id, sizeof(e->id), "evt_%s", rnd);
    snprintf(e->brand, sizeof(e->brand), "%s", brand);
    snprintf(e->type, sizeof(e->type), "%s", type);
    snprintf(e->task, sizeof(e->task), "%s", task);
    if (gx_redis_cmd(srv->redis, on_brand, e, "HGET " GX_KEY_BRAND " webhook_url", brand)) {
        lost(e, "Redis unavailable");
        emit_free(e);
    }
}
