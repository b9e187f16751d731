/* hello: token check, the one-session-per-expert rule, welcome with the user's open tasks
 * (and, for experts and staff, the chats taken back from them since: taken_back), and resume
 * (every missed message, in order, before any live one).
 * Two Redis round trips: the user's records, then the state of each of their tasks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/hello.h"
#include "gigcx/error.h"
#include "gigcx/decline.h"
#include "gigcx/absent.h"
#include "gigcx/party.h"
#include "gigcx/privacy.h"
#include "gigcx/recheck.h"
#include "gigcx/revoke.h"
#include "gigcx/request.h"
#include "gigcx/keys.h"
#include "gigcx/util.h"

#define GX_RESUME_MAX 50 /* tasks one hello may resume */

typedef struct {
    int refs;
    gx_session *s; /* a reference */
    char ref[65];
    bool has_ref;
    json_t *resume;      /* owned: task -> last id the client holds */
    redisReply *profile; /* owned HGETALL of the expert, or NULL */
    redisReply *taken;   /* owned LRANGE of the user's taken-back notes, or NULL */
    json_t *tasks;       /* owned: task ids to look at */
    redisReply **states; /* owned HMGET replies, one per task */
    size_t nstates, got;
    bool failed;
    bool revoked; /* the token was revoked (revoke.h) */
} gx_hello;

static void hello_unref(gx_hello *h)
{
    if (--h->refs > 0)
        return;
    gx_session_unref(h->s);
    json_decref(h->resume);
    json_decref(h->tasks);
    if (h->profile)
        freeReplyObject(h->profile);
    if (h->taken)
        freeReplyObject(h->taken);
    for (size_t i = 0; i < h->nstates; i++)
        if (h->states[i])
            freeReplyObject(h->states[i]);
    free(h->states);
    free(h);
}

static void reject(gx_session *s, const char *why)
{
    gx_session_error(s, GX_EUNAUTH, NULL, "%s", why);
    gx_session_close(s, 4401, why, true);
}

/* The resume map must be {task id: stream id}; false when it is anything else. */
static bool resume_valid(json_t *resume)
{
    if (!resume)
        return true;
    if (!json_is_object(resume) || json_object_size(resume) > GX_RESUME_MAX)
        return false;
    const char *k;
    json_t *v;
    json_object_foreach(resume, k, v)
    {
        gx_sid sid;
        if (!gx_id_valid(k) || gx_sid_parse(json_string_value(v), &sid))
            return false;
        if (sid.ms == UINT64_MAX && sid.seq == UINT64_MAX) /* nothing is after it (Redis) */
            return false;
    }
    return true;
}

static void load_profile(gx_session *s, const redisReply *h)
{
    gx_profile_load(&s->prof, s->who.role, s->who.brand, h);
    bool spill = false;
    s->prof.lang_bits = gx_tags_mask(&s->srv->tags, s->prof.langs_csv, &spill);
    s->prof.skill_bits = gx_tags_mask(&s->srv->tags, s->prof.skills_csv, &spill);
    s->prof.tags_spill = spill;
    const char *name = gx_reply_field(h, "name");
    if (name && !s->who.name[0])
        snprintf(s->who.name, sizeof(s->who.name), "%s", name);
}

/* Registers s as its user's one session here and tells every node its number. */
static void on_session_number(redisReply *r, void *priv)
{
    gx_hello *h = priv;
    gx_session *s = h->s;
    if (!r || r->type != REDIS_REPLY_INTEGER) {
        h->failed = true;
        hello_unref(h);
        return;
    }
    s->sess_no = r->integer;
    if (gx_session_live(s)) {
        if (s->seen_sess_no > s->sess_no) {
            gx_session_close(s, 4409, "replaced by a newer session", false);
        } else {
            gx_hello_on_session_event(s->srv, s->who.uid, s->sess_no);
            gx_map_set(&s->srv->users, s->who.uid, s);
            char n[24];
            snprintf(n, sizeof(n), "%lld", (long long)s->sess_no);
            const char *f[] = {s->who.uid, n};
            gx_bus_publish(s->srv->redis, GX_CH_SESS, 'S', f, 2, NULL);
        }
    }
    hello_unref(h);
}

void gx_hello_on_session_event(gx_server *srv, const char *user, int64_t n)
{
    gx_session *old = gx_map_get(&srv->users, user);
    if (!old)
        return;
    if (old->seen_sess_no < n)
        old->seen_sess_no = n;
    if (old->sess_no && old->sess_no < n) {
        gx_map_del(&srv->users, user);
        gx_session_close(old, 4409, "replaced by a newer session", false);
    }
}

static void on_profile(redisReply *r, void *priv)
{
    gx_hello *h = priv;
    if (!r)
        h->failed = true;
    else
        h->profile = gx_reply_steal(r);
    hello_unref(h);
}

static void finish(gx_hello *h);

/* The notes of chats taken back (lib.lua note_taken). Not having them is no reason to refuse
 * the hello: welcome then goes without taken_back, and the notes wait for the next one. */
static void on_taken(redisReply *r, void *priv)
{
    gx_hello *h = priv;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements)
        h->taken = gx_reply_steal(r);
    hello_unref(h);
}

/* Sent first, so its reply is in before the task list's: finish() sees the verdict. */
static void on_revocations(redisReply *r, void *priv)
{
    gx_hello *h = priv;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
        h->failed = true;
    else
        h->revoked = gx_revoke_applies(h->s->who.iat, r->element[0]->str, r->element[1]->str);
    hello_unref(h);
}

static void on_task_state(redisReply *r, void *priv)
{
    gx_hello *h = priv;
    if (!r)
        h->failed = true;
    else if (h->got < h->nstates)
        h->states[h->got] = gx_reply_steal(r);
    h->got++;
    if (h->got == h->nstates)
        finish(h);
    hello_unref(h);
}

static const char *state_fields[] = {"topic", "status", "last_id", GX_TASK_PEOPLE_FIELDS};
enum { F_TOPIC, F_STATUS, F_LAST, F_PEOPLE, F_N = F_PEOPLE + GX_TASK_PEOPLE_N };
enum { F_BRAND = F_PEOPLE }; /* the first of the people fields */

static void on_task_list(redisReply *r, void *priv)
{
    gx_hello *h = priv;
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        h->failed = true;
        finish(h);
        hello_unref(h);
        return;
    }
    for (size_t i = 0; i < r->elements && json_array_size(h->tasks) < 200; i++)
        if (gx_id_valid(r->element[i]->str) && !json_object_get(h->resume, r->element[i]->str))
            json_array_append_new(h->tasks, json_string(r->element[i]->str));
    h->nstates = json_array_size(h->tasks);
    h->states = calloc(h->nstates ? h->nstates : 1, sizeof(redisReply *));
    if (!h->nstates || !h->states) {
        finish(h);
        hello_unref(h);
        return;
    }
    size_t i;
    json_t *t;
    json_array_foreach(h->tasks, i, t)
    {
        char key[96];
        gx_keys_task(key, sizeof(key), json_string_value(t), "task");
        const char *argv[2 + F_N] = {"HMGET", key};
        memcpy(argv + 2, state_fields, sizeof(state_fields));
        h->refs++;
        if (gx_redis_argv(h->s->srv->redis, on_task_state, h, 2 + F_N, argv, NULL)) {
            h->refs--;
            h->failed = true;
            h->got = h->nstates; /* nothing more will come */
            finish(h);
            break;
        }
    }
    hello_unref(h);
}

static bool is_open(const char *status)
{
    return strcmp(status, "queued") == 0 || strcmp(status, "assigned") == 0 ||
           strcmp(status, "escalated") == 0;
}

/* How the user stands with one task: 2 active participant (a customer's open task, the
 * holder's task), 1 past participant, 0 none. */
static int standing(const gx_session *s, const redisReply *st)
{
    const char *status = gx_reply_str(st, F_STATUS);
    if (!status[0])
        return 0;
    gx_task_people p = gx_reply_people(st, F_PEOPLE);
    switch (gx_party_of(s->who.uid, &p)) {
    case GX_PARTY_CUSTOMER:
        return is_open(status) ? 2 : 1;
    case GX_PARTY_ASSIGNEE:
        return is_open(status) && strcmp(status, "queued") != 0 ? 2 : 1;
    case GX_PARTY_PAST:
        return 1;
    default:
        return 0;
    }
}

static void drop_stale(gx_session *s, const char *task)
{
    gx_redis_cmd(s->srv->redis, NULL, NULL, "SREM " GX_KEY_USER_TASKS " %s", s->who.uid, task);
}

/* One note of a chat taken back, as welcome.taken_back shows it to s: {task, reason, at,
 * customer?:{name}, by?:{name}} (the customer's name masked for tier 1, as in task.assigned),
 * or NULL when the note is not one. */
static json_t *taken_item(gx_session *s, const redisReply *note)
{
    if (!note || note->type != REDIS_REPLY_STRING)
        return NULL;
    json_t *n = json_loadb(note->str, note->len, 0, NULL);
    const char *task = json_string_value(json_object_get(n, "task"));
    const char *reason = json_string_value(json_object_get(n, "reason"));
    const char *at = json_string_value(json_object_get(n, "at"));
    const char *customer = json_string_value(json_object_get(n, "customer"));
    const char *by = json_string_value(json_object_get(n, "by"));
    json_t *item = NULL;
    if (task && gx_id_valid(task) && reason && reason[0]) {
        item = json_pack("{s:s, s:s, s:I}", "task", task, "reason", reason, "at",
                         (json_int_t)(at ? strtoll(at, NULL, 10) : 0));
        if (customer && customer[0])
            json_object_set_new(item, "customer", json_pack("{s:s}", "name", customer));
        if (by && by[0])
            json_object_set_new(item, "by", json_pack("{s:s}", "name", by));
        if (gx_privacy_masked(s))
            gx_privacy_mask(item); /* the customer's first name only */
    }
    json_decref(n);
    return item;
}

/* welcome.taken_back: the notes read at hello, oldest first (the list is newest first). */
static void add_taken(gx_session *s, json_t *w, const redisReply *taken)
{
    if (!taken || taken->type != REDIS_REPLY_ARRAY || !taken->elements)
        return;
    json_t *list = json_array();
    for (size_t i = taken->elements; i-- > 0;) {
        json_t *item = taken_item(s, taken->element[i]);
        if (item)
            json_array_append_new(list, item);
    }
    if (json_array_size(list))
        json_object_set_new(w, "taken_back", list);
    else
        json_decref(list);
}

/* Read once: the notes welcome carried go (exactly those: one written meanwhile stays for
 * the next welcome). */
static void forget_taken(gx_session *s, const redisReply *taken)
{
    for (size_t i = 0; taken && taken->type == REDIS_REPLY_ARRAY && i < taken->elements; i++)
        if (taken->element[i]->type == REDIS_REPLY_STRING)
            gx_redis_cmd(s->srv->redis, NULL, NULL, "LREM " GX_KEY_USER_TAKEN " 1 %b", s->who.uid,
                         taken->element[i]->str, taken->element[i]->len);
}

static json_t *welcome_json(gx_session *s)
{
    json_t *w = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:[]}", "type", "welcome", "user",
                          s->who.sub, "role", gx_jwt_role_name(s->who.role), "name", s->who.name,
                          "session", s->origin, "heartbeat_s", s->srv->cfg->heartbeat_s, "tasks");
    if (s->who.brand[0])
        json_object_set_new(w, "brand", json_string(s->who.brand));
    return w;
}

/* A task hello joins once welcome is out, or refuses (resumed without taking part). */
typedef struct {
    const char *task, *last, *status;
    json_t *resume_at; /* the client's last id, or NULL when it did not resume the task */
    bool holds, deny;
} gx_later;

/* Joins one task after welcome, from the client's resume point or else the read's last id;
 * recheck.h reads what came after that. */
static void join_task(gx_session *s, const gx_later *l)
{
    gx_join *j = gx_session_join(s, l->task);
    if (!j)
        return;
    if (l->holds && !j->holds && s->who.role != GX_ROLE_CUSTOMER) {
        j->holds = true;
        s->held++;
    }
    gx_sid_parse(l->resume_at ? json_string_value(l->resume_at) : l->last, &j->last);
    gx_recheck_join(s, j, l->status); /* what the task did since the read went unheard */
}

static void finish(gx_hello *h)
{
    gx_session *s = h->s;
    const char *ref = h->has_ref ? h->ref : NULL;
    if (!gx_session_live(s))
        return;
    /* before the revocation, which a deactivation also wrote: this says why */
    const char *active = h->profile ? gx_reply_field(h->profile, "active") : NULL;
    if (s->who.role == GX_ROLE_EXPERT && active && strcmp(active, "0") == 0) {
        reject(s, "expert deactivated"); /* PATCH active:false; a fresh token is no way back */
        return;
    }
    if (h->revoked) {
        reject(s, "token revoked");
        return;
    }
    if (h->failed) {
        gx_session_error(s, GX_EUNAVAIL, ref, "storage unavailable; reconnect later");
        gx_session_close(s, 1011, "storage unavailable", true);
        return;
    }
    if (s->who.role != GX_ROLE_CUSTOMER)
        load_profile(s, h->profile);
    if (s->who.role == GX_ROLE_EXPERT)
        gx_decline_load(s); /* pulls wait for them: a declined task is not offered again */
    json_t *w = welcome_json(s), *list = json_object_get(w, "tasks");
    if (s->who.role != GX_ROLE_CUSTOMER)
        add_taken(s, w, h->taken);
    /* tasks joined (or refused) once welcome is queued; strings borrowed from h */
    gx_later *later = calloc(h->nstates ? h->nstates : 1, sizeof(*later));
    size_t nlater = 0;
    for (size_t i = 0; later && i < h->nstates; i++) {
        const char *task = json_string_value(json_array_get(h->tasks, i));
        const redisReply *st = h->states[i];
        json_t *resume_at = json_object_get(h->resume, task);
        int standing_now = standing(s, st);
        if (standing_now == 2) {
            json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "task", task,
                                                  "brand", gx_reply_str(st, F_BRAND), "topic",
                                                  gx_reply_str(st, F_TOPIC), "status",
                                                  gx_reply_str(st, F_STATUS), "last_id",
                                                  gx_reply_str(st, F_LAST)));

        } else if (!resume_at) {
            drop_stale(s, task);
            continue;
        }
        later[nlater++] = (gx_later){
            .task = task,
            .last = gx_reply_str(st, F_LAST),
            .status = gx_reply_str(st, F_STATUS),
            .resume_at = resume_at,
            /* a held task counts against capacity from the first moment of the session */
            .holds = standing_now == 2 && s->who.role != GX_ROLE_CUSTOMER,
            .deny = !standing_now && resume_at,
        };
    }
    s->state = GX_SS_READY;
    s->c.greeted = true;
    gx_absent_touch(s);
    gx_session_send_json(s, w, ref);
    json_decref(w);
    forget_taken(s, h->taken);
    for (size_t i = 0; i < nlater; i++) {
        if (later[i].deny)
            gx_session_error(s, GX_EFORBIDDEN, ref, "cannot resume task %s", later[i].task);
        else
            join_task(s, &later[i]);
    }
    free(later);
    gx_conn_replay(&s->c);
}

static int start_lookups(gx_hello *h)
{
    gx_session *s = h->s;
    gx_redis *r = s->srv->redis;
    int rc = 0;
    h->refs++;
    if ((rc = gx_redis_cmd(r, on_revocations, h, "MGET " GX_KEY_REVOKED " " GX_KEY_REVOKED_BRAND,
                           s->who.uid, s->who.role == GX_ROLE_EXPERT ? "-" : s->who.brand))) {
        h->refs--;
        return rc;
    }
    if (s->who.role != GX_ROLE_CUSTOMER) {
        h->refs++;
        if ((rc = gx_redis_cmd(r, on_session_number, h, "INCR " GX_KEY_SESS, s->who.uid))) {
            h->refs--;
            return rc;
        }
    }
    if (s->who.role == GX_ROLE_EXPERT) {
        h->refs++;
        if ((rc = gx_redis_cmd(r, on_profile, h, "HGETALL " GX_KEY_EXPERT, s->who.sub))) {
            h->refs--;
            return rc;
        }
    }
    /* before the task list: its reply is in when finish() runs */
    if (s->who.role != GX_ROLE_CUSTOMER) {
        h->refs++;
        if ((rc = gx_redis_cmd(r, on_taken, h, "LRANGE " GX_KEY_USER_TAKEN " 0 %d", s->who.uid,
                               GX_TAKEN_MAX - 1))) {
            h->refs--;
            return rc;
        }
    }
    h->refs++;
    if ((rc = gx_redis_cmd(r, on_task_list, h, "SMEMBERS " GX_KEY_USER_TASKS, s->who.uid)))
        h->refs--;
    return rc;
}

void gx_hello_on_request(gx_session *s, json_t *msg, const char *ref)
{
    const char *token = json_string_value(json_object_get(msg, "token"));
    json_t *resume = json_object_get(msg, "resume");
    gx_claims c;
    const char *const keys[] = {s->srv->cfg->secret, s->srv->cfg->secret_previous};
    if (!token || gx_jwt_verify_any(token, strlen(token), keys, 2, gx_now_ms() / 1000, &c)) {
        reject(s, "invalid or expired token");
        return;
    }
    if (!resume_valid(resume)) {
        reject(s, "resume must map task ids to message ids (at most 50)");
        return;
    }
    gx_hello *h = calloc(1, sizeof(*h));
    if (!h) {
        reject(s, "out of memory");
        return;
    }
    s->who = c;
    s->state = GX_SS_AUTHING;
    s->srv->m.conns[0]--;
    s->srv->m.conns[c.role]++;
    *h = (gx_hello){.refs = 1, .s = gx_session_ref(s), .tasks = json_array()};
    h->resume = resume ? json_deep_copy(resume) : json_object();
    if (ref) {
        snprintf(h->ref, sizeof(h->ref), "%s", ref);
        h->has_ref = true;
    }
    const char *k;
    json_t *v;
    json_object_foreach(h->resume, k, v) json_array_append_new(h->tasks, json_string(k));
    if (start_lookups(h)) {
        h->failed = true;
        finish(h);
    }
    hello_unref(h);
}
