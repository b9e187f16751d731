/* task.takeover (supervise.h): a staff member of the task's brand becomes its assignee. The
 * script moves the task and publishes the update (reason "taken_over"); its "freed" field
 * ("~<uid>") makes every other holder let go, wherever it is, while the new one is kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/audit.h"
#include "gigcx/chat.h"
#include "gigcx/error.h"
#include "gigcx/keys.h"
#include "gigcx/outbox.h"
#include "gigcx/presence.h"
#include "gigcx/request.h"
#include "gigcx/scripts.h"
#include "gigcx/supervise.h"
#include "gigcx/util.h"
#include "gigcx/recheck.h"

/* The new assignee's session holds the task from now: task.assigned, as after a claim. */
static void assigned(gx_req *q, redisReply *r)
{
    gx_session *s = q->s;
    json_t *history = json_array();
    gx_sid last = {0, 0};
    for (size_t i = GX_TAKEOVER_HISTORY; i < r->elements; i++) {
        json_t *m = gx_chat_entry_json(q->task, r->element[i], &last);
        if (m)
            json_array_append_new(history, m);
    }
    gx_join *j = gx_session_join(s, q->task);
    if (j && !j->holds) {
        j->holds = true;
        s->held++;
    }
    if (j) {
        j->watching = false;
        if (gx_sid_cmp(last, j->last) > 0)
            j->last = last;
        gx_recheck_join(s, j, "escalated");
    }
#define F(k) gx_reply_str(r, k)
    json_t *a =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:o, s:s}", "type", "task.assigned",
                  "task", q->task, "status", "escalated", "brand", F(GX_TAKEOVER_BRAND), "topic",
                  F(GX_TAKEOVER_TOPIC), "language", F(GX_TAKEOVER_LANG), "customer", "name",
                  F(GX_TAKEOVER_CUSTOMER_NAME), "history", history, "handover", "taken_over");
#undef F
    gx_session_send_json(s, a, gx_request_ref(q));
    json_decref(a);
    /* the history as written, as after a staff claim */
    gx_audit(s->srv, s->who.brand, s->who.uid, "task.view_unmasked", q->task, "take_over");
    gx_presence_refresh(s);
}

static void on_taken(redisReply *r, void *priv)
{
    gx_req *q = priv;
    gx_session *s = q->s;
    if (gx_supervise_refused(q, r, "the chat is not live, or is yours already"))
        return;
    if (gx_session_live(s))
        assigned(q, r);
    const char *brand = gx_reply_str(r, GX_TAKEOVER_BRAND);
    gx_audit(s->srv, brand, s->who.uid, "task.take_over", q->task,
             gx_reply_str(r, GX_TAKEOVER_HOLDER));
    gx_outbox_emit(s->srv, brand, "task.assigned", q->task,
                   json_pack("{s:s, s:{s:s, s:s, s:s}}", "status", "escalated", "assignee", "id",
                             s->who.sub, "name", s->who.name, "role", "staff"));
    gx_request_free(q);
}

void gx_takeover_on_request(gx_session *s, json_t *msg, const char *ref)
{
    const char *task = gx_request_field_id(s, msg, "task", ref);
    if (!task)
        return;
    gx_req *q = gx_request_new(s, ref, task);
    if (!q)
        return;
    json_t *u =
        json_pack("{s:s, s:s, s:s, s:{s:s}, s:s}", "type", "task.update", "task", task, "status",
                  "escalated", "expert", "name", s->who.name, "reason", "taken_over");
    char freed[GX_UID_MAX + 2];
    snprintf(freed, sizeof(freed), "~%s", s->who.uid);
    char *update = gx_bus_update(task, s->origin, freed, u);
    json_decref(u);
    char key[96], chat[96], held[160], work[160], now[24];
    gx_keys_task(key, sizeof(key), task, "task");
    gx_keys_task(chat, sizeof(chat), task, "chat");
    snprintf(held, sizeof(held), GX_KEY_USER_TASKS, s->who.uid);
    snprintf(work, sizeof(work), GX_KEY_USER_WORK, s->who.uid);
    snprintf(now, sizeof(now), "%lld", (long long)gx_now_ms());
    const char *argv[] = {
        key, chat, held, work, s->who.sub, s->who.name, s->who.brand, now, update ? update : "",
        task};
    int rc = update ? gx_redis_script_durable(s->srv->redis, GX_SCRIPT_TAKEOVER, on_taken, q, 4, 10,
                                              argv, NULL)
                    : GX_EINTERNAL;
    free(update);
    if (rc)
        gx_request_fail(q, rc);
}
