/* Staff supervision (supervise.h): the brand's live chats, and watching one read-only. A
 * watcher joins the task locally (marked watching), so chat messages and whispers reach it
 * like a participant's, while the chat scripts, which check participants in Redis, still
 * refuse anything it sends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/audit.h"
#include "gigcx/error.h"
#include "gigcx/keys.h"
#include "gigcx/privacy.h"
#include "gigcx/request.h"
#include "gigcx/scripts.h"
#include "gigcx/sid.h"
#include "gigcx/supervise.h"
#include "gigcx/util.h"

static void on_listed(redisReply *r, void *priv)
{
    gx_req *q = priv;
    if (gx_reply_status(r)) {
        gx_request_fail(q, GX_EUNAVAIL);
        return;
    }
    json_t *chats = json_array();
    for (size_t i = 1; i + GX_LIVE_LIST_FIELDS <= r->elements; i += GX_LIVE_LIST_FIELDS) {
#define F(k) gx_reply_str(r, i + (k))
        json_array_append_new(
            chats, json_pack("{s:s, s:s, s:s, s:s, s:{s:s}, s:{s:s, s:s, s:s}, s:I}", "task", F(0),
                             "status", F(1), "topic", F(2), "language", F(3), "customer", "name",
                             F(4), "assignee", "id", F(5), "name", F(6), "role", F(7),
                             "assigned_at", (json_int_t)atoll(F(8))));
#undef F
    }
    json_t *out = json_pack("{s:s, s:o}", "type", "live.list", "chats", chats);
    gx_session_send_json(q->s, out, gx_request_ref(q));
    json_decref(out);
    gx_request_free(q);
}

void gx_supervise_on_list(gx_session *s, json_t *msg, const char *ref)
{
    (void)msg;
    gx_req *q = gx_request_new(s, ref, NULL);
    if (!q)
        return;
    char all[160], scan[16];
    snprintf(all, sizeof(all), GX_KEY_ALL, s->who.brand);
    snprintf(scan, sizeof(scan), "%d", GX_LIVE_LIST_SCAN);
    const char *argv[] = {all, scan};
    int rc = gx_redis_script(s->srv->redis, GX_SCRIPT_LIVE_LIST, on_listed, q, 1, 2, argv, NULL);
    if (rc)
        gx_request_fail(q, rc);
}

json_t *gx_supervise_note_json(const char *task, const redisReply *e)
{
    gx_sid id;
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_ARRAY ||
        gx_sid_parse(e->element[0]->str, &id))
        return NULL;
    const redisReply *f = e->element[1];
    const char *name = "", *text = "";
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        const char *k = f->element[i]->str, *v = f->element[i + 1]->str;
        if (k && v && strcmp(k, "n") == 0)
            name = v;
        else if (k && v && strcmp(k, "x") == 0)
            text = v;
    }
    return json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:I, s:b}", "type", "chat.whisper", "task",
                     task, "id", e->element[0]->str, "from", "role", "staff", "name", name, "text",
                     text, "ts", (json_int_t)id.ms, "internal", 1);
}

static int watching(const gx_session *s)
{
    int n = 0;
    for (int i = 0; i < s->njoins; i++)
        n += s->joins[i].watching;
    return n;
}

bool gx_supervise_refused(gx_req *q, redisReply *r, const char *conflict)
{
    int rc = gx_reply_status(r);
    if (!rc)
        return false;
    gx_session_error(q->s, rc, gx_request_ref(q), "%s",
                     rc == GX_ENOTFOUND    ? "no such task"
                     : rc == GX_EFORBIDDEN ? "not a task of your brand"
                     : rc == GX_ECONFLICT  ? conflict
                                           : "storage unavailable; try again");
    gx_request_free(q);
    return true;
}

/* Allowed: the watcher joins (so live messages come), then reads the chat from its start
 * (catch-up: no gap, no duplicate) after the reply that carries the whispers so far. */
static void on_watch(redisReply *r, void *priv)
{
    gx_req *q = priv;
    gx_session *s = q->s;
    if (gx_supervise_refused(q, r, "the chat is not live"))
        return;
    gx_join *j = gx_session_find_join(s, q->task);
    if (!j && gx_session_live(s) && (j = gx_session_join(s, q->task)))
        j->watching = true;
    json_t *notes = json_array();
    for (size_t i = GX_WATCH_NOTES; i < r->elements; i++) {
        json_t *n = gx_supervise_note_json(q->task, r->element[i]);
        if (n)
            json_array_append_new(notes, n);
    }
#define F(k) gx_reply_str(r, k)
    json_t *out = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:{s:s, s:s}, s:o}", "type", "chat.watching", "task",
        q->task, "status", F(GX_WATCH_STATUS), "topic", F(GX_WATCH_TOPIC), "language",
        F(GX_WATCH_LANG), "customer", "name", F(GX_WATCH_CUSTOMER_NAME), "assignee", "name",
        F(GX_WATCH_ASSIGNEE_NAME), "role", F(GX_WATCH_ASSIGNEE_ROLE), "whispers", notes);
#undef F
    gx_session_send_json(s, out, gx_request_ref(q));
    json_decref(out);
    /* staff see the chat as written: an unmasked view, like a staff claim or history read */
    gx_audit(s->srv, s->who.brand, s->who.uid, "task.view_unmasked", q->task, "watch");
    if (j && j->watching)
        gx_session_catch_up(s, j);
    gx_request_free(q);
}

void gx_supervise_on_watch(gx_session *s, json_t *msg, const char *ref)
{
    const char *task = gx_request_field_id(s, msg, "task", ref);
    if (!task)
        return;
    if (!gx_session_find_join(s, task) && watching(s) >= GX_WATCH_MAX) {
        gx_session_error(s, GX_ECAPACITY, ref, "at most %d chats watched at once", GX_WATCH_MAX);
        return;
    }
    gx_req *q = gx_request_new(s, ref, task);
    if (!q)
        return;
    char key[96], notes[96];
    gx_keys_task(key, sizeof(key), task, "task");
    gx_keys_task(notes, sizeof(notes), task, "notes");
    const char *argv[] = {key, notes, s->who.brand};
    int rc = gx_redis_script(s->srv->redis, GX_SCRIPT_WATCH, on_watch, q, 2, 3, argv, NULL);
    if (rc)
        gx_request_fail(q, rc);
}

void gx_supervise_on_unwatch(gx_session *s, json_t *msg, const char *ref)
{
    const char *task = gx_request_field_id(s, msg, "task", ref);
    if (!task)
        return;
    gx_join *j = gx_session_find_join(s, task);
    if (!j || !j->watching) {
        gx_session_error(s, GX_ENOTFOUND, ref, "not watching this chat");
        return;
    }
    gx_session_leave(s, task);
    json_t *out = json_pack("{s:s, s:s}", "type", "chat.unwatched", "task", task);
    gx_session_send_json(s, out, ref);
    json_decref(out);
}

void gx_supervise_stop(gx_session *s, const char *task)
{
    gx_join *j = gx_session_find_join(s, task);
    if (j && j->watching)
        gx_session_leave(s, task);
}

void gx_supervise_on_note_event(gx_server *srv, const gx_bus_msg *m)
{
    gx_tlocal *t = m->n == 3 ? gx_server_task(srv, m->f[1], false) : NULL;
    if (!t || !t->members.n)
        return;
    gx_buf *b = gx_buf_new(m->body, m->blen), *masked = NULL;
    bool tried = false;
    for (int i = 0; b && i < t->members.n; i++) {
        gx_session *s = t->members.v[i];
        gx_join *j = gx_session_find_join(s, t->id);
        /* never to a customer, nor to a former participant who only resumed the chat: the
         * holder and the watchers; a tier-1 expert gets it masked, like the chat */
        if (s->who.role != GX_ROLE_CUSTOMER && j && (j->holds || j->watching))
            gx_session_send(s, gx_privacy_frame(s, b, &masked, &tried));
    }
    gx_buf_unref(masked);
    gx_buf_unref(b);
}
