/* task.claim: capacity is checked here (this node holds the expert's one session, and counts
 * claims in flight against it); eligibility and "exactly one winner" are decided by the
 * claim script in Redis, which also publishes the withdrawal and the customer's update.
 *
 * An offer makes many experts claim the same task within a millisecond. This node sends
 * Redis one claim per task at a time and holds back the others it gets meanwhile: when the
 * claim in Redis wins, the held ones are answered here with what the script would have
 * said to each (the winner's reply carries the task's brand, topic, language and tier);
 * when it loses, they all go to Redis. A burst of 100 claims costs Redis one script instead
 * of 100, and the losers hear sooner. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/assert.h"
#include "gigcx/claim.h"
#include "gigcx/scripts.h"
#include "gigcx/audit.h"
#include "gigcx/chat.h"
#include "gigcx/privacy.h"
#include "gigcx/pii.h"
#include "gigcx/error.h"
#include "gigcx/presence.h"
#include "gigcx/held.h"
#include "gigcx/request.h"
#include "gigcx/keys.h"
#include "gigcx/util.h"
#include "gigcx/outbox.h"
#include "gigcx/recheck.h"

/* The claims of one task held back while another of this node's is in Redis. */
struct gx_claimq {
    gx_req **v;
    int n, cap;
};

static int send_claim(gx_req *q);
static void settle(gx_server *srv, const char *task, const redisReply *won);

/* An offline message (offline.h) says so, with the customer's e-mail: masked for tier 1. */
static void offline_fields(json_t *a, const redisReply *r, bool masked)
{
    const char *email = gx_reply_str(r, GX_CLAIM_EMAIL);
    if (strcmp(gx_reply_str(r, GX_CLAIM_OFFLINE), "1") == 0)
        json_object_set_new(a, "offline", json_true());
    if (!email[0])
        return;
    char *m = masked ? gx_pii_mask(email, strlen(email), NULL) : NULL;
    json_object_set_new(json_object_get(a, "customer"), "email",
                        json_string(m        ? m
                                    : masked ? "[email]"
                                             : email));
    free(m);
}

static void assigned_reply(gx_req *q, redisReply *r)
{
    gx_session *s = q->s;
    json_t *pay = json_loads(gx_reply_str(r, GX_CLAIM_PAY), 0, NULL);
    if (!json_is_object(pay)) {
        json_decref(pay);
        pay = json_object();
    }
    json_t *history = json_array();
    gx_sid last = {0, 0};
    for (size_t i = GX_CLAIM_HISTORY; i < r->elements; i++) {
        json_t *m = gx_chat_entry_json(q->task, r->element[i], &last);
        if (m)
            json_array_append_new(history, m);
    }
    if (json_array_size(history)) { /* the open message's time is the task's creation time */
        json_t *first = json_array_get(history, 0);
        double wait = (double)(gx_now_ms() - json_integer_value(json_object_get(first, "ts")));
        gx_metrics_hist_observe(&s->srv->m.queue_wait, wait / 1000.0);
        gx_waithist_observe(&s->srv->m.wait_fine, wait / 1000.0);
    }
    gx_join *j = gx_session_join(s, q->task);
    if (j && gx_sid_cmp(last, j->last) > 0)
        j->last = last;
    if (j) {
        j->holds = true;
        gx_recheck_join(s, j, gx_reply_str(r, GX_CLAIM_STATUS));
    }
    json_t *a =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:o, s:o}", "type", "task.assigned",
                  "task", q->task, "status", gx_reply_str(r, GX_CLAIM_STATUS), "brand",
                  gx_reply_str(r, GX_CLAIM_BRAND), "topic", gx_reply_str(r, GX_CLAIM_TOPIC),
                  "language", gx_reply_str(r, GX_CLAIM_LANG), "customer", "name",
                  gx_reply_str(r, GX_CLAIM_CUSTOMER_NAME), "history", history, "pay", pay);
    if (gx_reply_str(r, GX_CLAIM_REASON)[0]) /* staff see why the task came to them */
        json_object_set_new(a, "escalation_reason", json_string(gx_reply_str(r, GX_CLAIM_REASON)));
    offline_fields(a, r, gx_privacy_masked(s));
    if (gx_privacy_masked(s))
        gx_privacy_mask(a); /* history, and the customer's first name only */
    else                    /* tier 2 or staff: what tier 1 sees masked, seen as written */
        gx_audit(s->srv, gx_reply_str(r, GX_CLAIM_BRAND), s->who.uid, "task.view_unmasked", q->task,
                 "claim");
    gx_session_send_json(s, a, gx_request_ref(q));
    json_decref(a);
}

static void claim_won(gx_req *q, redisReply *r)
{
    gx_session *s = q->s;
    gx_server *srv = s->srv;
    /* "dup": the winner claims again after an unavailable (the replicas lagged): answered
     * as won, counted and announced once */
    bool again = strcmp(gx_reply_str(r, GX_REPLY_WORD), "dup") == 0;
    gx_join *j = gx_session_find_join(s, q->task);
    if (!again || !j || !j->holds)
        s->held++;
    if (!again)
        srv->m.claims[0]++;
    assigned_reply(q, r);
    if (!again)
        gx_outbox_emit(srv, gx_reply_str(r, GX_CLAIM_BRAND), "task.assigned", q->task,
                       json_pack("{s:s, s:{s:s, s:s, s:s}}", "status",
                                 gx_reply_str(r, GX_CLAIM_STATUS), "assignee", "id", s->who.sub,
                                 "name", s->who.name, "role", gx_jwt_role_name(s->who.role)));
}

static void claim_lost(gx_req *q, int rc)
{
    static const int slot[] = {
        [-GX_ECONFLICT] = 1, [-GX_ECAPACITY] = 2, [-GX_EFORBIDDEN] = 3, [-GX_ENOTFOUND] = 4};
    static const char *const why[] = {[-GX_ECONFLICT] = "task is no longer claimable",
                                      [-GX_EFORBIDDEN] = "not eligible for this task",
                                      [-GX_ENOTFOUND] = "no such task"};
    if (-rc < (int)(sizeof(slot) / sizeof(slot[0])) && slot[-rc])
        q->s->srv->m.claims[slot[-rc]]++;
    const char *msg = -rc < (int)(sizeof(why) / sizeof(why[0])) && why[-rc]
                          ? why[-rc]
                          : "storage unavailable; try again";
    gx_session_error(q->s, rc, gx_request_ref(q), "%s", msg);
}

/* A claim answered: what it counted against the expert's capacity is released. */
static void claim_end(gx_req *q)
{
    gx_session *s = q->s;
    gx_assert(s->claiming > 0); /* the gate's count: every claim in flight ends once */
    s->claiming--;
    gx_metrics_hist_observe(&s->srv->m.claim_time, (double)(uv_hrtime() - q->t0_ns) / 1e9);
    gx_presence_refresh(s);
    gx_request_free(q);
}

/* What the claim script answers s once the task is taken, from the winner's reply: the
 * eligibility test comes first there, so an ineligible claimer hears forbidden. */
static int taken_verdict(const gx_session *s, const redisReply *won)
{
    const gx_profile *p = &s->prof;
    const char *brand = gx_reply_str(won, GX_CLAIM_BRAND);
    if (s->who.role == GX_ROLE_STAFF)
        return gx_str_csv_has(p->brands_csv, brand) ? GX_ECONFLICT : GX_EFORBIDDEN;
    bool fits = gx_str_csv_has(p->brands_csv, brand) &&
                gx_str_csv_has(p->langs_csv, gx_reply_str(won, GX_CLAIM_LANG)) &&
                gx_str_csv_has(p->skills_csv, gx_reply_str(won, GX_CLAIM_TOPIC)) &&
                p->tier >= atoi(gx_reply_str(won, GX_CLAIM_TIER));
    return fits ? GX_ECONFLICT : GX_EFORBIDDEN;
}

/* Sends q to Redis, or answers it with why it could not go. */
static void send_or_fail(gx_req *q)
{
    int rc = send_claim(q);
    if (!rc)
        return;
    if (q->num == 1) /* the task's claim in Redis that never got there: nothing held yet */
        settle(q->s->srv, q->task, NULL);
    gx_assert(q->s->claiming > 0);
    q->s->claiming--;
    gx_presence_refresh(q->s);
    gx_request_fail(q, rc);
}

/* The task's claim in Redis is answered (won: its reply, else NULL): the claims held back
 * meanwhile are answered here after a win, or go to Redis. */
static void settle(gx_server *srv, const char *task, const redisReply *won)
{
    gx_tlocal *t = gx_server_task(srv, task, false);
    if (t && won)
        t->taken = true; /* until its withdrawal comes: see gx_claim_on_request */
    struct gx_claimq *cq = t ? t->claims : NULL;
    if (!cq)
        return;
    t->claims = NULL;
    for (int i = 0; i < cq->n; i++) {
        gx_req *h = cq->v[i];
        if (won) {
            claim_lost(h, taken_verdict(h->s, won));
            claim_end(h);
        } else {
            send_or_fail(h);
        }
    }
    free(cq->v);
    free(cq);
    gx_server_task_gc(srv, t);
}

static void on_claimed(redisReply *r, void *priv)
{
    gx_req *q = priv;
    q->s->srv->claims_out--;
    int rc = gx_reply_status(r);
    if (rc == 0)
        claim_won(q, r);
    else
        claim_lost(q, rc);
    if (q->num == 1) /* this node's claim of the task in Redis */
        settle(q->s->srv, q->task, rc == 0 ? r : NULL);
    claim_end(q);
}

static int send_claim(gx_req *q)
{
    gx_session *s = q->s;
    const char *task = q->task;
    bool staff = s->who.role == GX_ROLE_STAFF;
    json_t *u = json_pack("{s:s, s:s, s:s, s:{s:s}}", "type", "task.update", "task", task, "status",
                          staff ? "escalated" : "assigned", "expert", "name", s->who.name);
    char *update = gx_bus_update(task, s->origin, NULL, u);
    char *wd = gx_bus_withdraw(task, s->who.uid, "claimed");
    json_decref(u);
    char key[96], chat[96], tier[8], now[24], held[160], work[160];
    gx_keys_task(key, sizeof(key), task, "task");
    gx_keys_task(chat, sizeof(chat), task, "chat");
    snprintf(held, sizeof(held), GX_KEY_USER_TASKS, s->who.uid);
    snprintf(work, sizeof(work), GX_KEY_USER_WORK, s->who.uid);
    snprintf(tier, sizeof(tier), "%d", s->prof.tier);
    snprintf(now, sizeof(now), "%lld", (long long)gx_now_ms());
    const char *argv[] = {key,
                          chat,
                          held,
                          GX_KEY_EXPIRY,
                          work,
                          s->who.sub,
                          s->who.name,
                          gx_jwt_role_name(s->who.role),
                          s->prof.brands_csv,
                          s->prof.langs_csv,
                          s->prof.skills_csv,
                          tier,
                          now,
                          update ? update : "",
                          wd ? wd : "",
                          task};
    int rc = update && wd ? gx_redis_script_durable(s->srv->redis, GX_SCRIPT_CLAIM, on_claimed, q,
                                                    5, 16, argv, NULL)
                          : GX_EINTERNAL;
    if (!rc)
        s->srv->claims_out++;
    free(update);
    free(wd);
    return rc;
}

static int hold(struct gx_claimq *cq, gx_req *q)
{
    if (cq->n == cq->cap) {
        int cap = cq->cap ? 2 * cq->cap : 8;
        gx_req **v = realloc(cq->v, sizeof(*v) * (size_t)cap);
        if (!v)
            return -1;
        cq->v = v;
        cq->cap = cap;
    }
    cq->v[cq->n++] = q;
    return 0;
}

void gx_claim_on_request(gx_session *s, json_t *msg, const char *ref)
{
    const char *task = gx_request_field_id(s, msg, "task", ref);
    if (!task)
        return;
    int cap = s->capacity ? s->capacity : s->prof.capacity;
    if (s->held + s->claiming >= cap) {
        s->srv->m.claims[2]++;
        gx_session_error(s, GX_ECAPACITY, ref, "at capacity (%d of %d)", s->held, cap);
        return;
    }
    /* A claim of this node won the task and its withdrawal is on its way: a holder of the
     * offer (eligible, then) hears conflict here instead of asking Redis, which a burst of
     * instant claims kept busy answering just that. */
    gx_tlocal *won = gx_server_task(s->srv, task, false);
    if (won && won->taken && gx_held_find(s, task) >= 0) {
        s->srv->m.claims[1]++;
        gx_session_error(s, GX_ECONFLICT, ref, "task is no longer claimable");
        return;
    }
    gx_req *q = gx_request_new(s, ref, task);
    if (!q)
        return;
    s->claiming++;
    gx_debug_assert(s->held + s->claiming <= cap); /* the gate: never past capacity */
    gx_presence_refresh(s);
    gx_tlocal *t = gx_server_task(s->srv, task, true);
    if (t && t->claims && hold(t->claims, q) == 0)
        return;
    if (t && !t->claims && (t->claims = calloc(1, sizeof(*t->claims))))
        q->num = 1; /* the task's claim in Redis: its reply settles the ones held back */
    else
        gx_server_task_gc(s->srv, t); /* out of memory: sent without a gate */
    send_or_fail(q);
}

void gx_claim_free_all(gx_tlocal *t)
{
    struct gx_claimq *cq = t->claims;
    if (!cq)
        return;
    for (int i = 0; i < cq->n; i++)
        gx_request_free(cq->v[i]);
    free(cq->v);
    free(cq);
    t->claims = NULL;
}
