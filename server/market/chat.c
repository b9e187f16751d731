/* Chat: chat.send through the append script (which stores, dedups by cid and publishes),
 * chat.typing (relayed, never stored), chat.history (paged from the stream). Live delivery
 * of stored messages happens in events.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/scripts.h"
#include "gigcx/audit.h"
#include "gigcx/chat.h"
#include "gigcx/party.h"
#include "gigcx/jw.h"
#include "gigcx/privacy.h"
#include "gigcx/error.h"
#include "gigcx/request.h"
#include "gigcx/keys.h"
#include "gigcx/util.h"

#define GX_HISTORY_DEFAULT 50
#define GX_HISTORY_MAX 200

json_t *gx_chat_entry_json(const char *task, const redisReply *e, gx_sid *id)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_ARRAY ||
        gx_sid_parse(e->element[0]->str, id))
        return NULL;
    const redisReply *f = e->element[1];
    const char *cid = "", *role = "", *name = "", *text = "";
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        const char *k = f->element[i]->str, *v = f->element[i + 1]->str;
        if (!k || !v)
            continue;
        if (strcmp(k, "c") == 0)
            cid = v;
        else if (strcmp(k, "r") == 0)
            role = v;
        else if (strcmp(k, "n") == 0)
            name = v;
        else if (strcmp(k, "x") == 0)
            text = v;
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:I}", "type", "chat.message", "task",
                     task, "id", e->element[0]->str, "cid", cid, "from", "role", role, "name", name,
                     "text", text, "ts", (json_int_t)id->ms);
}

json_t *gx_chat_entries(const char *task, const redisReply *r, bool reverse)
{
    json_t *out = json_array();
    for (size_t k = 0; r && r->type == REDIS_REPLY_ARRAY && k < r->elements; k++) {
        gx_sid id;
        json_t *m = gx_chat_entry_json(task, r->element[reverse ? r->elements - 1 - k : k], &id);
        if (m)
            json_array_append_new(out, m);
    }
    return out;
}

static void on_appended(redisReply *r, void *priv)
{
    gx_req *q = priv;
    int rc = gx_reply_status(r);
    if (rc) {
        gx_session_error(q->s, rc, gx_request_ref(q), "%s",
                         rc == GX_EFORBIDDEN  ? "not a participant of this task"
                         : rc == GX_ECONFLICT ? "the task is finished"
                         : rc == GX_ECAPACITY ? "this chat holds the most messages allowed"
                         : rc == GX_ENOTFOUND ? "no such task"
                                              : "storage unavailable; try again");
        gx_request_free(q);
        return;
    }
    if (strcmp(gx_reply_str(r, GX_REPLY_WORD), "ok") == 0)
        q->s->srv->m.chat_appended++;
    gx_jw w; /* one ack per message: written by hand (jw.h says why) */
    gx_jw_begin(&w, 192);
    gx_jw_str(&w, "type", "chat.ack");
    gx_jw_str(&w, "task", q->task);
    gx_jw_str(&w, "cid", q->str);
    gx_jw_str(&w, "id", gx_reply_str(r, GX_APPEND_ID));
    gx_jw_int(&w, "ts", atoll(gx_reply_str(r, GX_APPEND_TS)));
    if (gx_request_ref(q))
        gx_jw_str(&w, "ref", gx_request_ref(q));
    gx_buf *b = gx_jw_end(&w);
    gx_session_send(q->s, b);
    gx_buf_unref(b);
    gx_request_free(q);
}

void gx_chat_on_send(gx_session *s, json_t *msg, const char *ref)
{
    bool ok;
    const char *task = gx_request_field_id(s, msg, "task", ref);
    const char *text = task ? gx_request_field_str(s, msg, "text", 1, 4000, false, ref, &ok) : NULL;
    const char *cid = text ? gx_request_field_str(s, msg, "cid", 1, 64, false, ref, &ok) : NULL;
    if (!cid)
        return;
    gx_req *q = gx_request_new(s, ref, task);
    if (!q)
        return;
    gx_str_copy(q->str, cid, sizeof(q->str));
    char key[96], chat[96], cids[96];
    gx_keys_task(key, sizeof(key), task, "task");
    gx_keys_task(chat, sizeof(chat), task, "chat");
    gx_keys_task(cids, sizeof(cids), task, "cids");
    char most[16];
    snprintf(most, sizeof(most), "%d", s->srv->cfg->chat_max_messages);
    const char *argv[] = {key,         chat, cids, s->who.uid, gx_jwt_role_name(s->who.role),
                          s->who.name, cid,  text, task,       most};
    int rc = gx_redis_script_durable(s->srv->redis, GX_SCRIPT_CHAT_APPEND, on_appended, q, 3, 10,
                                     argv, NULL);
    if (rc)
        gx_request_fail(q, rc);
}

void gx_chat_on_typing(gx_session *s, json_t *msg, const char *ref)
{
    const char *task = gx_request_field_id(s, msg, "task", ref);
    if (!task)
        return;
    gx_join *j = gx_session_find_join(s, task);
    if (!j || j->watching) { /* a supervisor watches silently */
        gx_session_error(s, GX_EFORBIDDEN, ref, "not a participant of this task");
        return;
    }
    json_t *t = json_pack("{s:s, s:s, s:{s:s, s:s}}", "type", "chat.typing", "task", task, "from",
                          "role", gx_jwt_role_name(s->who.role), "name", s->who.name);
    char *body = json_dumps(t, JSON_COMPACT);
    json_decref(t);
    const char *f[] = {task, s->who.uid};
    if (body)
        gx_bus_publish(s->srv->redis, GX_CH_TASK, 'Y', f, 2, body);
    free(body);
}

/* History is two pipelined reads on one connection: who may read the task, then the page.
 * q->num carries the verdict from the first reply to the second: 1 allowed, 2 answered
 * already, -1 the page read could not be sent (the first reply then answers and frees). */
static void on_history_page(redisReply *r, void *priv)
{
    gx_req *q = priv;
    if (q->num == 1 && (!r || r->type != REDIS_REPLY_ARRAY)) {
        gx_session_error(q->s, GX_EUNAVAIL, gx_request_ref(q), "storage unavailable; try again");
    } else if (q->num == 1) {
        json_t *h = json_pack("{s:s, s:s, s:o}", "type", "chat.history", "task", q->task,
                              "messages", gx_chat_entries(q->task, r, true));
        if (gx_privacy_masked(q->s))
            gx_privacy_mask(h);
        else if (q->s->who.role != GX_ROLE_CUSTOMER)
            gx_audit(q->s->srv, q->str, q->s->who.uid, "task.view_unmasked", q->task, "history");
        gx_session_send_json(q->s, h, gx_request_ref(q));
        json_decref(h);
    }
    gx_request_free(q);
}

/* The task's people as history reads them (HMGET order). */
static const char *const people_fields[] = {"brand",         "customer", "assignee",
                                            "assignee_role", "expert",   "staff"};
#define GX_PEOPLE_N (sizeof(people_fields) / sizeof(people_fields[0]))

static int history_verdict(gx_req *q, const redisReply *r)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != GX_PEOPLE_N)
        return GX_EUNAVAIL;
    if (r->element[0]->type == REDIS_REPLY_NIL)
        return GX_ENOTFOUND;
    gx_task_people p = {.brand = gx_reply_str(r, 0),
                        .customer = gx_reply_str(r, 1),
                        .assignee = gx_reply_str(r, 2),
                        .assignee_role = gx_reply_str(r, 3),
                        .expert = gx_reply_str(r, 4),
                        .staff = gx_reply_str(r, 5)};
    if (gx_party_of(q->s->who.uid, &p) == GX_PARTY_NONE)
        return GX_EFORBIDDEN;
    gx_str_copy(q->str, p.brand, sizeof(q->str)); /* the page's audit entry names the brand */
    return 0;
}

static void on_history_access(redisReply *r, void *priv)
{
    gx_req *q = priv;
    int rc = q->num == -1 ? GX_EUNAVAIL : history_verdict(q, r);
    if (rc) {
        gx_session_error(q->s, rc, gx_request_ref(q), "%s",
                         rc == GX_ENOTFOUND    ? "no such task"
                         : rc == GX_EFORBIDDEN ? "not a participant of this task"
                                               : "storage unavailable; try again");
    }
    if (q->num == -1) {
        gx_request_free(q);
        return;
    }
    q->num = rc ? 2 : 1;
}

void gx_chat_on_history(gx_session *s, json_t *msg, const char *ref)
{
    long limit;
    const char *task = gx_request_field_id(s, msg, "task", ref);
    if (!task ||
        !gx_request_field_int(s, msg, "limit", 1, GX_HISTORY_MAX, GX_HISTORY_DEFAULT, ref, &limit))
        return;
    json_t *jb = json_object_get(msg, "before");
    gx_sid before;
    /* nothing is below 0-0: Redis refuses "(0-0" as an end, so it is no id to page from */
    if (jb && (gx_sid_parse(json_string_value(jb), &before) || (!before.ms && !before.seq))) {
        gx_session_error(s, GX_EBADREQ, ref, "'before' must be a message id above 0-0");
        return;
    }
    gx_req *q = gx_request_new(s, ref, task);
    if (!q)
        return;
    char key[96], chat[96], end[48], count[16];
    gx_keys_task(key, sizeof(key), task, "task");
    gx_keys_task(chat, sizeof(chat), task, "chat");
    snprintf(end, sizeof(end), "%s%s", jb ? "(" : "", jb ? json_string_value(jb) : "+");
    snprintf(count, sizeof(count), "%ld", limit);
    const char *a1[2 + GX_PEOPLE_N] = {"HMGET", key};
    memcpy(a1 + 2, people_fields, sizeof(people_fields));
    const char *a2[] = {"XREVRANGE", chat, end, "-", "COUNT", count};
    int rc = gx_redis_argv(s->srv->redis, on_history_access, q, 2 + GX_PEOPLE_N, a1, NULL);
    if (rc) {
        gx_request_fail(q, rc);
        return;
    }
    if (gx_redis_argv(s->srv->redis, on_history_page, q, 6, a2, NULL))
        q->num = -1;
}
