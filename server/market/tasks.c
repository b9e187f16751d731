/* Task lifecycle: creation (socket or REST), release, resolve, escalate, cancel, rating,
 * the expiry sweep and queue positions. Status changes themselves happen in the transition
 * script; this module does the queue and index upkeep around them. */
#include <stdio.h>
#include <openssl/sha.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/tasks.h"
#include "gigcx/scripts.h"
#include "gigcx/error.h"
#include "gigcx/claim.h"
#include "gigcx/decline.h"
#include "gigcx/offer.h"
#include "gigcx/opencap.h"
#include "gigcx/pii.h"
#include "gigcx/ranking.h"
#include "gigcx/request.h"
#include "gigcx/keys.h"
#include "gigcx/util.h"
#include "gigcx/outbox.h"
#include "gigcx/offline.h"
#include "gigcx/validate.h"
#include "gigcx/recheck.h"

#define GX_PREVIEW_CHARS 280
#define GX_SWEEP_BATCH 100
#define GX_CUSTOMER_TASKS_MAX 20 /* tasks one customer socket may take part in */

/* Sorted-set score: higher priority first, then older first. */
typedef struct {
    gx_server *srv;
    gx_task_created_cb cb;
    void *priv;
    char id[24], brand[65], topic[65], language[65], customer[65];
    char customer_uid[GX_UID_MAX + 1]; /* the customer's key: c:<brand>:<id> */
    char *text, *customer_name, *meta, *email;
    bool offline;
    char *pay, preview[GX_PREVIEW_CHARS * 4 + 8]; /* for the first offer */
    char tier[8], prio[8], wave_k[24], wave_t[24];
    int priority;
    char msg_id[48];
    long long created, expires;
    bool replayed;            /* an earlier request with its Idempotency-Key made the task */
    bool escalate_on_timeout; /* the brand sends unclaimed tasks to its staff, not to expiry */
    /* the brand read: its hash and its coverage, pipelined; the last reply goes on */
    int left;                           /* replies still to come */
    int brand_rc;                       /* what reading the brand hash found wrong, or 0 */
    bool unsent;                        /* a command of the read could not be sent */
    bool topic_declared, lang_declared; /* in the brand's config.topics / config.languages */
    int topic_covered, lang_covered;    /* SISMEMBER of the coverage sets: 1, 0, or -1 */
    char timeout[24];
    char why[200]; /* for the caller when the task is refused */
} gx_create;

static void create_free(gx_create *c)
{
    free(c->text);
    free(c->customer_name);
    free(c->email);
    free(c->meta);
    free(c->pay);
    free(c);
}

static void create_done(gx_create *c, int rc, int position)
{
    c->cb(rc, rc ? NULL : c->id, rc ? c->why : c->msg_id, position, c->replayed, c->priv);
    create_free(c);
}

static void first_offer(gx_create *c, redisReply *r)
{
    gx_offer_spec sp = {.brand = c->brand,
                        .topic = c->topic,
                        .lang = c->language,
                        .priority = c->prio,
                        .preview = c->preview,
                        .pay = c->pay,
                        .created_at = gx_reply_str(r, GX_CREATE_CREATED),
                        .expires_at = gx_reply_str(r, GX_CREATE_EXPIRES),
                        .tier = c->tier,
                        .wave_k = c->wave_k,
                        .wave_t = c->wave_t,
                        .offline = c->offline ? "1" : ""};
    gx_offer_first_wave(c->srv, c->id, &sp);
}

/* The script made the task whole ("ok"), or found it made by an earlier request with the
 * same Idempotency-Key ("exists"): that one is answered again, and announced only once. */
static void on_created(redisReply *r, void *priv)
{
    gx_create *c = priv;
    bool again = r && r->type == REDIS_REPLY_ARRAY && r->elements == 5 &&
                 strcmp(gx_reply_str(r, GX_REPLY_WORD), "exists") == 0;
    int rc = again ? 0 : gx_reply_status(r);
    if (rc || r->elements < GX_CREATE_FIELDS ||
        r->element[GX_CREATE_RANK]->type != REDIS_REPLY_INTEGER) {
        create_done(c, rc ? rc : GX_EINTERNAL, 0);
        return;
    }
    snprintf(c->msg_id, sizeof(c->msg_id), "%s", gx_reply_str(r, GX_CREATE_MSG_ID));
    c->created = atoll(gx_reply_str(r, GX_CREATE_CREATED));
    c->expires = atoll(gx_reply_str(r, GX_CREATE_EXPIRES));
    c->replayed = again;
    if (!again) {
        c->srv->m.tasks_created++;
        first_offer(c, r);
        gx_outbox_emit(c->srv, c->brand, "task.created", c->id,
                       json_pack("{s:s}", "status", "queued"));
        if (c->offline) /* the brand may acknowledge it by e-mail: the message goes with it */
            gx_outbox_emit(c->srv, c->brand, "task.offline_message", c->id,
                           json_pack("{s:s}", "message", c->text));
    }
    long long rank = r->element[GX_CREATE_RANK]->integer;
    create_done(c, 0, rank >= 0 ? (int)rank + 1 : 0);
}

/* The creation script, durable (--redis-wait): every key it writes is named here. */
static void create_run(gx_create *c, const char *timeout)
{
    char key[96], chat[96], cids[96], queue[96], mine[160], all[96];
    gx_keys_task(key, sizeof(key), c->id, "task");
    gx_keys_task(chat, sizeof(chat), c->id, "chat");
    gx_keys_task(cids, sizeof(cids), c->id, "cids");
    snprintf(queue, sizeof(queue), GX_KEY_QUEUE, c->brand);
    snprintf(mine, sizeof(mine), GX_KEY_USER_TASKS, c->customer_uid);
    snprintf(all, sizeof(all), GX_KEY_ALL, c->brand);
    const char *argv[] = {key,
                          chat,
                          cids,
                          queue,
                          GX_KEY_EXPIRY,
                          mine,
                          all,
                          c->id,
                          c->brand,
                          c->topic,
                          c->language,
                          c->prio,
                          c->customer,
                          c->customer_name,
                          c->text,
                          c->tier,
                          timeout,
                          c->pay,
                          c->meta ? c->meta : "{}",
                          c->preview,
                          c->wave_k,
                          c->wave_t,
                          c->escalate_on_timeout ? "escalate" : "",
                          c->email ? c->email : "",
                          c->offline ? "1" : ""};
    int rc = gx_redis_script_durable(c->srv->redis, GX_SCRIPT_TASK_CREATE, on_created, c, 7, 25,
                                     argv, NULL);
    if (rc)
        create_done(c, rc, 0);
}

/* Whether a's array holds the string v. */
static bool array_has(json_t *a, const char *v)
{
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x)
    {
        if (json_is_string(x) && strcmp(json_string_value(x), v) == 0)
            return true;
    }
    return false;
}

/* Every reply of the brand read is in: refuse a task nobody can take, or make it. A topic
 * (language) is known when the brand declares it in config.topics (config.languages) or an
 * expert of the brand was put with it (GX_KEY_SKILLS, GX_KEY_LANGS). */
static void create_go(gx_create *c)
{
    if (c->unsent || c->brand_rc) {
        create_done(c, c->brand_rc ? c->brand_rc : GX_EUNAVAIL, 0);
        return;
    }
    if (c->topic_covered < 0 || c->lang_covered < 0) {
        create_done(c, GX_EUNAVAIL, 0);
        return;
    }
    const char *field = !c->topic_declared && !c->topic_covered ? "topic"
                        : !c->lang_declared && !c->lang_covered ? "language"
                                                                : NULL;
    if (field) {
        snprintf(c->why, sizeof(c->why),
                 "'%s' \"%s\" is unknown to this brand: no expert of it covers it and the brand "
                 "does not declare it (config.%s)",
                 field, field[0] == 't' ? c->topic : c->language,
                 field[0] == 't' ? "topics" : "languages");
        create_done(c, GX_EBADREQ, 0);
        return;
    }
    create_run(c, c->timeout);
}

static void create_step(gx_create *c)
{
    if (--c->left == 0)
        create_go(c);
}

static void on_topic_covered(redisReply *r, void *priv)
{
    gx_create *c = priv;
    c->topic_covered = r && r->type == REDIS_REPLY_INTEGER ? (r->integer != 0) : -1;
    create_step(c);
}

static void on_lang_covered(redisReply *r, void *priv)
{
    gx_create *c = priv;
    c->lang_covered = r && r->type == REDIS_REPLY_INTEGER ? (r->integer != 0) : -1;
    create_step(c);
}

/* The brand decides the pay, the tier a topic needs and how long a task may wait. */
static void read_brand(gx_create *c, redisReply *r)
{
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        c->brand_rc = GX_EUNAVAIL;
        return;
    }
    if (r->elements == 0) {
        c->brand_rc = GX_ENOTFOUND;
        return;
    }
    json_t *conf =
        json_loads(gx_reply_field(r, "config") ? gx_reply_field(r, "config") : "{}", 0, NULL);
    json_t *topic = json_object_get(json_object_get(conf, "topics"), c->topic);
    c->topic_declared = topic != NULL;
    c->lang_declared = array_has(json_object_get(conf, "languages"), c->language);
    json_int_t tier = json_integer_value(json_object_get(topic, "tier"));
    /* a topic's own SLA and pay win over the brand's */
    json_int_t timeout_s = json_integer_value(json_object_get(topic, "sla_s"));
    if (timeout_s <= 0)
        timeout_s = json_integer_value(json_object_get(conf, "queue_timeout_s"));
    if (c->offline) { /* answered later, by e-mail: a long wait of its own */
        timeout_s = json_integer_value(json_object_get(conf, "offline_timeout_s"));
        if (timeout_s <= 0)
            timeout_s = GX_OFFLINE_TIMEOUT_DEFAULT_S;
    }
    json_t *tpay = json_object_get(topic, "pay");
    char *topic_pay = tpay ? json_dumps(tpay, JSON_COMPACT) : NULL;
    const char *pay = topic_pay ? topic_pay : gx_reply_field(r, "pay");
    const char *on_timeout = json_string_value(json_object_get(conf, "on_timeout"));
    c->escalate_on_timeout = on_timeout && strcmp(on_timeout, "escalate") == 0;
    json_t *waves = json_object_get(conf, "waves");
    json_t *k = json_object_get(waves, "size"), *t = json_object_get(waves, "interval_s");
    snprintf(c->wave_k, sizeof(c->wave_k), "%lld",
             k ? (long long)json_integer_value(k) : (long long)GX_WAVE_SIZE_DEFAULT);
    snprintf(c->wave_t, sizeof(c->wave_t), "%lld",
             (t ? (long long)json_integer_value(t) : GX_WAVE_INTERVAL_DEFAULT) * 1000LL);
    json_decref(conf);
    snprintf(c->tier, sizeof(c->tier), "%d", tier == 2 ? 2 : 1);
    snprintf(c->prio, sizeof(c->prio), "%d", c->priority);
    snprintf(c->timeout, sizeof(c->timeout), "%lld",
             (long long)(timeout_s > 0 ? timeout_s : c->srv->cfg->queue_timeout_s) * 1000);
    /* never cut inside an e-mail, phone, card or IBAN: tier 1 gets the preview masked */
    gx_pii_prefix(c->text, GX_PREVIEW_CHARS, c->preview, sizeof(c->preview));
    c->pay = strdup(pay ? pay : "{}");
    free(topic_pay);
    if (!c->pay)
        c->brand_rc = GX_EINTERNAL;
}

static void on_brand_for_create(redisReply *r, void *priv)
{
    gx_create *c = priv;
    read_brand(c, r);
    create_step(c);
}

/* The task id an Idempotency-Key stands for, within its brand: the same 16 characters
 * for every retry, so the creation script finds the task the first request made. */
static int idem_id(char *out, const char *brand, const char *key)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    char in[64 + 1 + GX_IDEM_MAX + 8];
    int n = snprintf(in, sizeof(in), "idem\n%s\n%s", brand, key);
    if (n < 0 || (size_t)n >= sizeof(in) || !SHA256((const unsigned char *)in, (size_t)n, md))
        return GX_EINTERNAL;
    gx_b64url_encode(md, 12, out);
    return 0;
}

int gx_tasks_create(gx_server *srv, const gx_task_spec *sp, gx_task_created_cb cb, void *priv)
{
    gx_create *c = calloc(1, sizeof(*c));
    if (!c)
        return GX_EINTERNAL;
    *c = (gx_create){.srv = srv, .cb = cb, .priv = priv, .priority = sp->priority};
    snprintf(c->brand, sizeof(c->brand), "%s", sp->brand);
    snprintf(c->topic, sizeof(c->topic), "%s", sp->topic);
    snprintf(c->language, sizeof(c->language), "%s", sp->language);
    snprintf(c->customer, sizeof(c->customer), "%s", sp->customer_id);
    gx_jwt_uid_make(c->customer_uid, GX_ROLE_CUSTOMER, c->brand, c->customer);
    c->text = strdup(sp->text);
    c->customer_name = strdup(sp->customer_name ? sp->customer_name : "");
    c->meta = sp->meta ? json_dumps(sp->meta, JSON_COMPACT) : NULL;
    c->email = sp->email ? strdup(sp->email) : NULL;
    c->offline = sp->offline;
    if (!c->text || !c->customer_name || (sp->email && !c->email) ||
        (sp->idem_key ? idem_id(c->id, c->brand, sp->idem_key) : gx_id_random(c->id, 12))) {
        create_free(c);
        return GX_EINTERNAL;
    }
    /* one pipelined read: the coverage first, the brand hash last (its reply goes on) */
    int rc = gx_redis_cmd(srv->redis, on_topic_covered, c, "SISMEMBER " GX_KEY_SKILLS " %s",
                          c->brand, c->topic);
    if (rc) {
        create_free(c);
        return rc;
    }
    c->left = 1;
    if (gx_redis_cmd(srv->redis, on_lang_covered, c, "SISMEMBER " GX_KEY_LANGS " %s", c->brand,
                     c->language) == 0)
        c->left++;
    else
        c->unsent = true;
    if (!c->unsent &&
        gx_redis_cmd(srv->redis, on_brand_for_create, c, "HGETALL " GX_KEY_BRAND, c->brand) == 0)
        c->left++;
    else
        c->unsent = true;
    return 0; /* the last reply calls cb, with GX_EUNAVAIL when a command was not sent */
}

/* task.open over the socket: the customer's brand comes from the token. */
static void on_opened(int rc, const char *task, const char *msg_id, int position, bool replayed,
                      void *priv)
{
    (void)replayed; /* sockets send no Idempotency-Key */
    gx_req *q = priv;
    gx_session *s = q->s;
    if (rc) {
        gx_session_error(s, rc, gx_request_ref(q), "%s",
                         rc == GX_ENOTFOUND            ? "brand not found"
                         : rc == GX_EBADREQ && *msg_id ? msg_id /* the reason */
                                                       : "could not open the task");
        gx_request_free(q);
        return;
    }
    gx_join *j = gx_session_join(s, task);
    if (j) {
        gx_sid_parse(msg_id, &j->last); /* the opening text is history, never pushed live */
        gx_recheck_join(s, j, "queued");
    }
    gx_tlocal *t = gx_server_task(s->srv, task, false);
    if (t) {
        snprintf(t->brand, sizeof(t->brand), "%s", s->who.brand);
        t->queued = true;
        t->position = position;
    }
    json_t *m = json_pack("{s:s, s:s, s:s, s:i}", "type", "task.created", "task", task, "status",
                          "queued", "position", position);
    gx_session_send_json(s, m, gx_request_ref(q));
    json_decref(m);
    gx_request_free(q);
}

/* task.open once its fields were checked and the customer is below the open-task cap. */
static void open_now(gx_session *s, json_t *msg, const char *ref)
{
    gx_req *q = gx_request_new(s, ref, NULL);
    if (!q)
        return;
    json_int_t prio = json_integer_value(json_object_get(msg, "priority"));
    /* the widget's pre-chat form: a name for a customer whose token has none, and an e-mail
     * (personal data: masked for tier 1 like the rest) */
    json_t *meta = json_object_get(msg, "meta");
    const char *pname = json_string_value(json_object_get(meta, "name"));
    const char *pmail = json_string_value(json_object_get(meta, "email"));
    if (s->who.name[0] || !pname || gx_validate_utf8_len(pname) > 100)
        pname = s->who.name;
    if (pmail && (strlen(pmail) > 254 || !strchr(pmail, '@')))
        pmail = NULL;
    gx_task_spec sp = {.brand = s->who.brand,
                       .topic = json_string_value(json_object_get(msg, "topic")),
                       .language = json_string_value(json_object_get(msg, "language")),
                       .text = json_string_value(json_object_get(msg, "text")),
                       .customer_id = s->who.sub,
                       .customer_name = pname,
                       .email = pmail,
                       .priority = (int)prio,
                       .meta = meta};
    int rc = gx_tasks_create(s->srv, &sp, on_opened, q);
    if (rc)
        gx_request_fail(q, rc);
}

void gx_tasks_on_open(gx_session *s, json_t *msg, const char *ref)
{
    bool ok;
    const char *topic = gx_request_field_id(s, msg, "topic", ref);
    const char *lang = topic ? gx_request_field_id(s, msg, "language", ref) : NULL;
    const char *text = lang ? gx_request_field_str(s, msg, "text", 1, 4000, false, ref, &ok) : NULL;
    json_t *meta = json_object_get(msg, "meta");
    long prio;
    if (!text || !gx_request_field_int(s, msg, "priority", 0, 9, 0, ref, &prio))
        return;
    if (meta && !json_is_object(meta)) {
        gx_session_error(s, GX_EBADREQ, ref, "'meta' must be an object");
        return;
    }
    if (s->njoins >= GX_CUSTOMER_TASKS_MAX) {
        gx_session_error(s, GX_ECAPACITY, ref, "too many tasks open on this connection (%d)",
                         GX_CUSTOMER_TASKS_MAX);
        return;
    }
    gx_opencap_check(s, msg, ref, open_now);
}

/* What each action turns the task into, as the requester's role sees it. */
static const char *target_status(const char *action, gx_role role)
{
    if (strcmp(action, "release") == 0)
        return role == GX_ROLE_STAFF ? "escalated" : "queued";
    if (strcmp(action, "resolve") == 0)
        return "resolved";
    if (strcmp(action, "escalate") == 0)
        return "escalated";
    if (strcmp(action, "cancel") == 0)
        return "cancelled";
    if (strcmp(action, "timeout") == 0) /* the brand's staff take what nobody claimed */
        return "escalated";
    return "expired";
}

static const char *withdraw_reason(const char *action)
{
    if (strcmp(action, "cancel") == 0)
        return "cancelled";
    if (strcmp(action, "expire") == 0 || strcmp(action, "timeout") == 0)
        return "expired";
    return NULL;
}

/* What follows a transition outside Redis (the script moved the task's indexes): the next
 * offer of a task back in a queue, and the brand's webhook event. */
static void after_transition(gx_server *srv, const char *task, const char *action,
                             const redisReply *r)
{
    const char *status = gx_reply_str(r, GX_TRANS_STATUS), *brand = gx_reply_str(r, GX_TRANS_BRAND);
    if (strcmp(status, "queued") == 0 || strcmp(status, "escalated") == 0)
        gx_offer_publish(srv, task);
    gx_outbox_emit(srv, brand, gx_outbox_type_of(action), task,
                   json_pack("{s:s}", "status", status));
    if (strcmp(action, "resolve") == 0)
        gx_offline_resolved(srv, brand, task);
}

static void on_transition(redisReply *r, void *priv)
{
    gx_req *q = priv;
    int rc = gx_reply_status(r);
    if (rc) {
        static const char *const why[] = {[-GX_ECONFLICT] = "the task is not in a state for that",
                                          [-GX_EFORBIDDEN] = "not your task",
                                          [-GX_ENOTFOUND] = "no such task"};
        const char *msg = -rc < (int)(sizeof(why) / sizeof(why[0])) && why[-rc]
                              ? why[-rc]
                              : "storage unavailable; try again";
        gx_session_error(q->s, rc, gx_request_ref(q), "%s %s: %s", q->str, q->task, msg);
        gx_request_free(q);
        return;
    }
    if (strcmp(q->str, "release") == 0 && q->s->who.role == GX_ROLE_EXPERT)
        gx_decline_hold_back(q->s, q->task, atoll(gx_reply_str(r, GX_TRANS_EXPIRES)));
    after_transition(q->s->srv, q->task, q->str, r);
    if (q->s->who.role == GX_ROLE_EXPERT) /* resolve, release or escalate: their task ended */
        gx_ranking_outcome(q->s->srv, q->s->who.sub, strcmp(q->str, "resolve") == 0);
    /* The requester's own hold ends now, not when the broadcast comes back: its next claim
     * must already see the freed capacity. */
    gx_session_let_go(q->s, q->task);
    json_t *u = json_pack("{s:s, s:s, s:s}", "type", "task.update", "task", q->task, "status",
                          gx_reply_str(r, GX_TRANS_STATUS));
    if (strcmp(q->str, "release") == 0) /* their own release, as everyone else hears it */
        json_object_set_new(u, "reason", json_string("released"));
    gx_session_send_json(q->s, u, gx_request_ref(q));
    json_decref(u);
    gx_request_free(q);
}

/* Runs the transition script for action on task; cb gets the reply. */
static int run_transition(gx_server *srv, const char *task, const char *action, const char *user,
                          gx_role role, const char *origin, const char *note, const char *taken,
                          gx_redis_cb cb, void *priv)
{
    json_t *u = json_pack("{s:s, s:s, s:s}", "type", "task.update", "task", task, "status",
                          target_status(action, role));
    /* a release says whose doing it was: the expert's, or the server's for a silent one */
    const char *handover = strcmp(action, "release") != 0 ? ""
                           : strcmp(origin, "-") == 0     ? "requeued"
                                                          : "released";
    if (handover[0])
        json_object_set_new(u, "reason", json_string(handover));
    char *update = gx_bus_update(task, origin, "*", u);
    const char *reason = withdraw_reason(action);
    char *wd = reason ? gx_bus_withdraw(task, NULL, reason) : NULL;
    json_decref(u);
    char key[96], now[24];
    gx_keys_task(key, sizeof(key), task, "task");
    snprintf(now, sizeof(now), "%lld", (long long)gx_now_ms());
    const char *argv[] = {key,
                          action,
                          user,
                          role == GX_ROLE_NONE ? "system" : gx_jwt_role_name(role),
                          now,
                          update ? update : "",
                          wd ? wd : "",
                          note ? note : "",
                          task,
                          handover,
                          taken ? taken : ""};
    int rc = update && (!reason || wd)
                 ? gx_redis_script(srv->redis, GX_SCRIPT_TRANSITION, cb, priv, 1, 11, argv, NULL)
                 : GX_EINTERNAL;
    free(update);
    free(wd);
    return rc;
}

void gx_tasks_on_transition(gx_session *s, json_t *msg, const char *ref, const char *action)
{
    bool ok;
    const char *task = gx_request_field_id(s, msg, "task", ref);
    if (!task)
        return;
    const char *note = NULL;
    if (strcmp(action, "escalate") == 0)
        note = gx_request_field_str(s, msg, "reason", 1, 1000, false, ref, &ok);
    else if (strcmp(action, "resolve") == 0)
        note = gx_request_field_str(s, msg, "summary", 0, 4000, true, ref, &ok);
    else
        note = gx_request_field_str(s, msg, "reason", 0, 1000, true, ref, &ok);
    if (!ok)
        return;
    gx_req *q = gx_request_new(s, ref, task);
    if (!q)
        return;
    snprintf(q->str, sizeof(q->str), "%s", action);
    int rc = run_transition(s->srv, task, action, s->who.uid, s->who.role, s->origin, note, NULL,
                            on_transition, q);
    if (rc)
        gx_request_fail(q, rc);
}

static void on_rated(redisReply *r, void *priv)
{
    gx_req *q = priv;
    int rc = gx_reply_status(r);
    if (rc) {
        gx_session_error(
            q->s, rc, gx_request_ref(q), "%s",
            rc == GX_ECONFLICT
                ? "only a resolved task, or one ended while an expert had it, can be rated, once"
            : rc == GX_ENOTFOUND  ? "no such task"
            : rc == GX_EFORBIDDEN ? "not your task"
                                  : "storage unavailable; try again");
        gx_request_free(q);
        return;
    }
    gx_outbox_emit(q->s->srv, gx_reply_str(r, GX_RATE_BRAND), "task.rated", q->task,
                   json_pack("{s:I}", "score", (json_int_t)q->num));
    json_t *m = json_pack("{s:s, s:s}", "type", "task.rated", "task", q->task);
    gx_session_send_json(q->s, m, gx_request_ref(q));
    json_decref(m);
    gx_request_free(q);
}

void gx_tasks_on_rate(gx_session *s, json_t *msg, const char *ref)
{
    bool ok;
    long score;
    const char *task = gx_request_field_id(s, msg, "task", ref);
    if (!task || !gx_request_field_int(s, msg, "score", 1, 5, 0, ref, &score))
        return;
    if (!json_object_get(msg, "score")) {
        gx_session_error(s, GX_EBADREQ, ref, "'score' (1 to 5) is required");
        return;
    }
    const char *comment = gx_request_field_str(s, msg, "comment", 0, 2000, true, ref, &ok);
    if (!ok)
        return;
    gx_req *q = gx_request_new(s, ref, task);
    if (!q)
        return;
    q->num = score;
    char key[96], sc[8], now[24];
    gx_keys_task(key, sizeof(key), task, "task");
    snprintf(sc, sizeof(sc), "%ld", score);
    snprintf(now, sizeof(now), "%lld", (long long)gx_now_ms());
    const char *argv[] = {key, s->who.uid, sc, comment ? comment : "", now, task};
    int rc = gx_redis_script(s->srv->redis, GX_SCRIPT_RATE, on_rated, q, 1, 6, argv, NULL);
    if (rc)
        gx_request_fail(q, rc);
}

/* Expiry: any node may run it; the script makes a second run a no-op. */
typedef struct {
    gx_server *srv;
    char task[65];
    char action[12]; /* "expire", or "timeout" (escalate to staff) */
} gx_expiring;

static void on_expired(redisReply *r, void *priv)
{
    gx_expiring *e = priv;
    int rc = gx_reply_status(r);
    if (rc == 0)
        after_transition(e->srv, e->task, e->action, r);
    else if (rc == GX_ECONFLICT || rc == GX_ENOTFOUND) /* claimed, or gone: not ours to expire */
        gx_redis_cmd(e->srv->redis, NULL, NULL, "ZREM " GX_KEY_EXPIRY " %s", e->task);
    free(e);
}

/* The brand's rule for this task: expire it, or hand it to the brand's staff. */
static void on_timeout_rule(redisReply *r, void *priv)
{
    gx_expiring *e = priv;
    bool escalate = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "escalate") == 0;
    const char *action = escalate ? "timeout" : "expire";
    snprintf(e->action, sizeof(e->action), "%s", action);
    if (run_transition(e->srv, e->task, action, "", GX_ROLE_NONE, "-", "queue time-out", NULL,
                       on_expired, e))
        free(e);
}

static void on_due(redisReply *r, void *priv)
{
    gx_server *srv = priv;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        gx_expiring *e = calloc(1, sizeof(*e));
        if (!e || !gx_id_valid(r->element[i]->str)) {
            free(e);
            continue;
        }
        e->srv = srv;
        snprintf(e->task, sizeof(e->task), "%s", r->element[i]->str);
        if (gx_redis_cmd(srv->redis, on_timeout_rule, e, "HGET " GX_KEY_TASK " on_timeout",
                         e->task))
            free(e);
    }
}

void gx_tasks_expire_sweep(gx_server *srv)
{
    gx_redis_cmd(srv->redis, on_due, srv, "ZRANGEBYSCORE " GX_KEY_EXPIRY " -inf %lld LIMIT 0 %d",
                 (long long)gx_now_ms(), GX_SWEEP_BATCH);
}

/* A release the server makes for an absent assignee: the task goes back to its queue. */
typedef struct {
    gx_server *srv;
    char task[65];
    char user[GX_UID_MAX + 1];
    gx_role role;
} gx_releasing;

static void on_released(redisReply *r, void *priv)
{
    gx_releasing *e = priv;
    if (gx_reply_status(r) == 0) {
        lwsl_user("task %s back in its queue: its assignee went silent\n", e->task);
        after_transition(e->srv, e->task, "release", r);
        if (e->role == GX_ROLE_EXPERT)
            gx_ranking_outcome(e->srv, e->user, false);
    }
    free(e);
}

int gx_tasks_release_for(gx_server *srv, const char *task, const char *user, gx_role role,
                         const char *why)
{
    gx_releasing *e = calloc(1, sizeof(*e));
    if (!e)
        return GX_EINTERNAL;
    e->srv = srv;
    e->role = role;
    snprintf(e->task, sizeof(e->task), "%s", task);
    snprintf(e->user, sizeof(e->user), "%s", user);
    int rc = run_transition(srv, task, "release", user, role, "-", "assignee went silent", why,
                            on_released, e);
    if (rc)
        free(e);
    return rc;
}

/* Queue positions: a waiting customer hears when its place changes. */
typedef struct {
    gx_server *srv;
    char task[65];
} gx_posq;

static void on_rank(redisReply *r, void *priv)
{
    gx_posq *p = priv;
    gx_tlocal *t = gx_server_task(p->srv, p->task, false);
    if (t && t->queued && r && r->type == REDIS_REPLY_INTEGER && r->integer + 1 != t->position) {
        t->position = (int)r->integer + 1;
        json_t *u = json_pack("{s:s, s:s, s:s, s:i}", "type", "task.update", "task", p->task,
                              "status", "queued", "position", t->position);
        gx_buf *b = gx_buf_json(u);
        for (int i = 0; i < t->members.n; i++)
            if (t->members.v[i]->who.role == GX_ROLE_CUSTOMER)
                gx_session_send(t->members.v[i], b);
        gx_buf_unref(b);
        json_decref(u);
    }
    free(p);
}

static void ask_rank(const char *key, void *val, void *arg)
{
    gx_tlocal *t = val;
    gx_server *srv = arg;
    (void)key;
    if (!t->queued || !t->brand[0] || !t->members.n)
        return;
    gx_posq *p = calloc(1, sizeof(*p));
    if (!p)
        return;
    p->srv = srv;
    snprintf(p->task, sizeof(p->task), "%s", t->id);
    if (gx_redis_cmd(srv->redis, on_rank, p, "ZRANK " GX_KEY_QUEUE " %s", t->brand, t->id))
        free(p);
}

void gx_tasks_positions(gx_server *srv)
{
    gx_map_each(&srv->tasks, ask_rank, srv);
}
