/* The widget's anonymous routes: POST /api/v1/widget/session (and its CORS preflight), and
 * GET /api/v1/widget/availability. Both pass one gate: the address's budget, the widget key's
 * brand, then the brand's budget; the brand's widget_origins decide which pages may call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/keys.h"
#include "gigcx/budget.h"
#include "gigcx/error.h"
#include "gigcx/http_api.h"
#include "gigcx/hours.h"
#include "gigcx/jwt.h"
#include "gigcx/tasks.h"
#include "gigcx/validate.h"
#include "gigcx/reply.h"
#include "gigcx/util.h"

/* ---- widget session ---- */

/* rep: HMGET widget_origins of the brand. True when the page's Origin is one of them;
 * otherwise answers (503 without a reply, 403 for another origin) and returns false. CORS
 * lets the page read either answer, so the widget can tell a refusal from an outage. */
static bool origin_allowed(gx_http_req *r, redisReply *rep)
{
    const char *origins = gx_reply_str(rep, 0);
    json_t *list = json_loads(origins[0] ? origins : "[]", 0, NULL), *v;
    size_t i;
    bool allowed = false;
    json_array_foreach(list, i, v) allowed =
        allowed ||
        (r->origin[0] && json_is_string(v) && strcmp(json_string_value(v), r->origin) == 0);
    json_decref(list);
    snprintf(r->allow_origin, sizeof(r->allow_origin), "%s", r->origin);
    if (!rep)
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
    else if (!allowed)
        gx_http_error(r, GX_EFORBIDDEN, "origin not allowed for this widget");
    return rep && allowed;
}

static void on_widget_brand(redisReply *rep, void *priv)
{
    gx_http_req *r = priv;
    if (origin_allowed(r, rep)) {
        char rnd[24], cid[32];
        gx_id_random(rnd, 12);
        snprintf(cid, sizeof(cid), "w_%s", rnd);
        int64_t exp;
        char *tok = gx_http_api_mint(gx_req_srv(r), cid, GX_ROLE_CUSTOMER, r->brand, "",
                                     GX_TOKEN_TTL_MAX, &exp);
        gx_http_reply_json(r, 201,
                           json_pack("{s:s?, s:{s:s, s:s}, s:s, s:I}", "token", tok, "customer",
                                     "id", cid, "name", "", "brand", r->brand, "expires_at",
                                     (json_int_t)exp));
        free(tok);
    }
    gx_http_unref(r);
}

/* A widget call, anonymous but for its widget key, is budgeted per address and per brand
 * (every process together), so a script that forges Origin headers cannot call without
 * bound: the address's budget, then the key's brand, then the brand's budget. */
typedef struct {
    const char *ip_budget, *brand_budget; /* budget name prefixes */
    const char *ip_over, *brand_over;     /* what a 429 says */
    void (*next)(gx_http_req *r);         /* within both budgets: r->brand is the key's */
} gx_widget_gate;

static void gate_after_brand(bool ok, void *priv)
{
    gx_http_req *r = priv;
    const gx_widget_gate *g = r->ctx;
    if (!ok)
        gx_http_error(r, GX_ERATE, "%s", g->brand_over);
    else
        g->next(r);
    gx_http_unref(r);
}

static void gate_on_key(redisReply *rep, void *priv)
{
    gx_http_req *r = priv;
    const gx_widget_gate *g = r->ctx;
    if (!rep) {
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
    } else if (rep->type != REDIS_REPLY_STRING || !gx_id_valid(rep->str)) {
        gx_http_error(r, GX_EFORBIDDEN, "unknown widget key");
    } else {
        snprintf(r->brand, sizeof(r->brand), "%s", rep->str);
        char name[96];
        snprintf(name, sizeof(name), "%s%s", g->brand_budget, r->brand);
        if (gx_budget_take(gx_req_srv(r)->redis, name, gx_req_srv(r)->cfg->widget_brand_rate, 60,
                           gate_after_brand, gx_http_ref(r)))
            gx_http_unref(r);
    }
    gx_http_unref(r);
}

static void gate_after_ip(bool ok, void *priv)
{
    gx_http_req *r = priv;
    const gx_widget_gate *g = r->ctx;
    const char *key = json_string_value(json_object_get(r->arg, "widget_key"));
    if (!ok) {
        gx_http_error(r, GX_ERATE, "%s", g->ip_over);
    } else if (gx_redis_cmd(gx_req_srv(r)->redis, gate_on_key, gx_http_ref(r),
                            "GET " GX_KEY_WIDGETKEY, key)) {
        gx_http_unref(r);
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
    }
    gx_http_unref(r);
}

/* Starts g's steps for r, whose r->arg holds "widget_key". */
static void widget_gate(gx_http_req *r, const gx_widget_gate *g)
{
    char ip[64] = "", name[96];
    gx_http_client_ip(r, ip, sizeof(ip));
    snprintf(name, sizeof(name), "%s%s", g->ip_budget, ip);
    r->ctx = g;
    if (gx_budget_take(gx_req_srv(r)->redis, name, gx_req_srv(r)->cfg->widget_ip_rate, 60,
                       gate_after_ip, gx_http_ref(r)))
        gx_http_unref(r);
}

/* Reads the brand's widget origins for cb (which holds a reference to r). */
static void read_origins(gx_http_req *r, gx_redis_cb cb)
{
    if (gx_redis_cmd(gx_req_srv(r)->redis, cb, gx_http_ref(r),
                     "HMGET " GX_KEY_BRAND " widget_origins", r->brand)) {
        gx_http_unref(r);
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
    }
}

/* Within the widget budgets: the brand's origins decide whether this page may open one. */
static void widget_session_next(gx_http_req *r)
{
    read_origins(r, on_widget_brand);
}

/* The widget session's budgets; an offline message uses the same (it costs what a chat does). */
#define GX_WIDGET_GATE(next)                                                                       \
    {                                                                                              \
        "wip:", "wb:", "too many widget sessions from this address; try later",                    \
            "this brand's widget sessions are over budget; try later", next                        \
    }

static const gx_widget_gate session_gate = GX_WIDGET_GATE(widget_session_next);

void gx_http_widget_session(gx_http_req *r)
{
    json_t *o = gx_http_api_body(r);
    const char *key = o ? json_string_value(json_object_get(o, "widget_key")) : NULL;
    if (!o)
        return;
    if (!key || strlen(key) > 128 || !gx_id_valid(key + (strncmp(key, "gxw_", 4) ? 0 : 4))) {
        gx_http_error(r, GX_EBADREQ, "'widget_key' is required");
        return;
    }
    widget_gate(r, &session_gate);
}

/* CORS preflight for the one endpoint browsers call from brands' pages. Which origins may
 * use a widget key is decided on the POST itself, where the key is known. */
void gx_http_widget_preflight(gx_http_req *r)
{
    if (!r->origin[0]) {
        gx_http_error(r, GX_EFORBIDDEN, "an Origin header is required");
        return;
    }
    snprintf(r->allow_origin, sizeof(r->allow_origin), "%s", r->origin);
    r->preflight = true;
    gx_http_reply_json(r, 204, NULL);
}

/* ---- widget availability ---- */

/* GET /api/v1/widget/availability?widget_key=&topic=&language=: whether the brand takes
 * tasks on the topic and language (declared or covered, as task creation decides) and how
 * many of its experts could take one now: the experts in the rank set of the topic's tier
 * (GX_KEY_RANK: available with a free slot; a vanished node's stay until the absent sweep).
 * Budgeted like widget sessions, under names of its own. Five pipelined commands. */
enum { AV_BRAND, AV_SKILL, AV_LANG, AV_RANK1, AV_RANK2, AV_ONLINE, AV_N };

typedef struct gx_avail gx_avail;
typedef struct {
    gx_avail *a;
    int i;
} gx_avail_step;
struct gx_avail {
    gx_http_req *r; /* a reference */
    gx_avail_step step[AV_N];
    int left;
    bool failed, origin_ok, topic_declared, lang_declared, open, prechat;
    int tier;
    long long n[AV_N]; /* the integer replies */
};

static void avail_answer(gx_avail *a)
{
    gx_http_req *r = a->r;
    if (a->failed) {
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
    } else if (!a->origin_ok) {
        snprintf(r->allow_origin, sizeof(r->allow_origin), "%s", r->origin);
        gx_http_error(r, GX_EFORBIDDEN, "origin not allowed for this widget");
    } else {
        bool topic = a->topic_declared || a->n[AV_SKILL] > 0;
        bool lang = a->lang_declared || a->n[AV_LANG] > 0;
        long long online = topic && lang ? a->n[a->tier == 2 ? AV_RANK2 : AV_RANK1] : 0;
        snprintf(r->allow_origin, sizeof(r->allow_origin), "%s", r->origin);
        /* online keeps its meaning (a free slot now); available counts the busy too */
        gx_http_reply_json(r, 200,
                           json_pack("{s:b, s:b, s:I, s:I, s:I, s:b, s:b}", "topic_known", topic,
                                     "language_known", lang, "online", (json_int_t)online, "free",
                                     (json_int_t)online, "available", (json_int_t)a->n[AV_ONLINE],
                                     "open", a->open, "prechat", a->prechat));
    }
    gx_http_unref(r);
    free(a);
}

/* The brand's widget_origins and config: is the page allowed, what does the brand declare. */
static void avail_brand(gx_avail *a, redisReply *rep)
{
    gx_http_req *r = a->r;
    const char *topic = json_string_value(json_object_get(r->arg, "topic"));
    const char *lang = json_string_value(json_object_get(r->arg, "language"));
    const char *origins = gx_reply_str(rep, 0), *config = gx_reply_str(rep, 1);
    json_t *list = json_loads(origins[0] ? origins : "[]", 0, NULL), *v;
    size_t i;
    /* a same-origin GET carries no Origin: the key alone then (it is public anyway) */
    a->origin_ok = !r->origin[0];
    json_array_foreach(list, i, v) a->origin_ok =
        a->origin_ok || (json_is_string(v) && strcmp(json_string_value(v), r->origin) == 0);
    json_decref(list);
    json_t *conf = json_loads(config[0] ? config : "{}", 0, NULL);
    json_t *t = json_object_get(json_object_get(conf, "topics"), topic);
    a->topic_declared = t != NULL;
    json_t *hours = json_object_get(conf, "business_hours");
    a->open = !hours || gx_hours_open(hours, gx_now_ms()); /* no hours: always open */
    a->prechat = json_is_true(json_object_get(json_object_get(conf, "widget"), "prechat"));
    a->tier = (int)json_integer_value(json_object_get(t, "tier"));
    json_array_foreach(json_object_get(conf, "languages"), i, v) a->lang_declared =
        a->lang_declared || (json_is_string(v) && strcmp(json_string_value(v), lang) == 0);
    json_decref(conf);
}

static void on_avail_step(redisReply *rep, void *priv)
{
    gx_avail_step *st = priv;
    gx_avail *a = st->a;
    if (st->i == AV_BRAND) {
        if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2)
            a->failed = true;
        else
            avail_brand(a, rep);
    } else if (rep && rep->type == REDIS_REPLY_INTEGER) {
        a->n[st->i] = rep->integer;
    } else {
        a->failed = true;
    }
    if (--a->left == 0)
        avail_answer(a);
}

/* Within the widget budgets: the two rank sets' sizes, read together. */
static void avail_next(gx_http_req *r)
{
    const char *topic = json_string_value(json_object_get(r->arg, "topic"));
    const char *lang = json_string_value(json_object_get(r->arg, "language"));
    gx_avail *a = calloc(1, sizeof(*a));
    if (!a) {
        gx_http_error(r, GX_EINTERNAL, "out of memory");
    } else {
        gx_redis *rd = gx_req_srv(r)->redis;
        char k1[300], k2[300];
        snprintf(k1, sizeof(k1), GX_KEY_RANK, r->brand, 1, topic, lang);
        snprintf(k2, sizeof(k2), GX_KEY_RANK, r->brand, 2, topic, lang);
        for (int i = 0; i < AV_N; i++)
            a->step[i] = (gx_avail_step){.a = a, .i = i};
        int sent = 0;
        bool all = !gx_redis_cmd(rd, on_avail_step, &a->step[AV_BRAND],
                                 "HMGET " GX_KEY_BRAND " widget_origins config", r->brand);
        sent += all;
        if (all && !gx_redis_cmd(rd, on_avail_step, &a->step[AV_SKILL],
                                 "SISMEMBER " GX_KEY_SKILLS " %s", r->brand, topic))
            sent++;
        else
            all = false;
        if (all && !gx_redis_cmd(rd, on_avail_step, &a->step[AV_LANG],
                                 "SISMEMBER " GX_KEY_LANGS " %s", r->brand, lang))
            sent++;
        else
            all = false;
        if (all && !gx_redis_cmd(rd, on_avail_step, &a->step[AV_RANK1], "ZCARD %s", k1))
            sent++;
        else
            all = false;
        if (all && !gx_redis_cmd(rd, on_avail_step, &a->step[AV_RANK2], "ZCARD %s", k2))
            sent++;
        else
            all = false;
        /* online, busy or not, and still heartbeating (the absent sweep clears the dead) */
        if (all && !gx_redis_cmd(rd, on_avail_step, &a->step[AV_ONLINE],
                                 "ZINTERCARD 2 " GX_KEY_ONLINE " " GX_KEY_PRESENCE, r->brand))
            sent++;
        else
            all = false;
        if (!sent) {
            free(a);
            gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
        } else {
            a->r = gx_http_ref(r);
            a->left = sent;
            a->failed = !all;
        }
    }
}

static const gx_widget_gate avail_gate = {
    "wai:", "wab:", "too many widget requests from this address; try later",
    "this brand's widget is over budget; try later", avail_next};

void gx_http_widget_availability(gx_http_req *r)
{
    char key[132] = "", topic[72] = "", lang[72] = "";
    gx_http_query(r, "widget_key=", key, sizeof(key));
    gx_http_query(r, "topic=", topic, sizeof(topic));
    gx_http_query(r, "language=", lang, sizeof(lang));
    if (strlen(key) > 128 || !gx_id_valid(key + (strncmp(key, "gxw_", 4) ? 0 : 4))) {
        gx_http_error(r, GX_EBADREQ, "'widget_key' is required");
        return;
    }
    if (!gx_id_valid(topic) || !gx_id_valid(lang)) {
        gx_http_error(r, GX_EBADREQ, "'topic' and 'language' must be ids ([A-Za-z0-9_-]{1,64})");
        return;
    }
    json_decref(r->arg);
    r->arg = json_pack("{s:s, s:s, s:s}", "widget_key", key, "topic", topic, "language", lang);
    if (!r->arg)
        gx_http_error(r, GX_EINTERNAL, "out of memory");
    else
        widget_gate(r, &avail_gate);
}

/* ---- the widget's brand settings ---- */

bool gx_http_widget_config(gx_http_req *r, json_t *o, json_t *conf)
{
    char why[240];
    long secs;
    json_t *hours = json_object_get(o, "business_hours"), *w = json_object_get(o, "widget");
    json_t *prechat = json_object_get(w, "prechat");
    if (hours && !json_is_null(hours) && !gx_hours_valid(hours, why, sizeof(why))) {
        gx_http_error(r, GX_EBADREQ, "%s", why);
        return false;
    }
    if ((w && !json_is_object(w)) || (prechat && !json_is_boolean(prechat)) ||
        json_object_size(w) > (prechat ? 1u : 0u)) {
        gx_http_error(r, GX_EBADREQ, "'widget' must be {\"prechat\": boolean}");
        return false;
    }
    if (!gx_validate_int(o, "offline_timeout_s", 60, 30 * 86400, 0, true, &secs, why,
                         sizeof(why))) {
        gx_http_error(r, GX_EBADREQ, "%s", why);
        return false;
    }
    if (hours && !json_is_null(hours))
        json_object_set(conf, "business_hours", hours);
    if (prechat)
        json_object_set_new(conf, "widget", json_pack("{s:b}", "prechat", json_is_true(prechat)));
    if (secs)
        json_object_set_new(conf, "offline_timeout_s", json_integer(secs));
    return true;
}

/* ---- offline messages ---- */

/* A plausible address, not a proof: 3..254 visible ASCII characters, one '@' with text
 * before it and a dot in the domain after it. */
static bool email_ok(const char *e)
{
    size_t n = e ? strlen(e) : 0;
    const char *at = e ? strchr(e, '@') : NULL;
    if (n < 3 || n > 254 || !at || at == e || strchr(at + 1, '@') || !strchr(at + 1, '.'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (e[i] <= ' ' || e[i] > '~')
            return false;
    return at[1] != '.' && e[n - 1] != '.';
}

static void on_offline_made(int rc, const char *task, const char *msg_id, int position,
                            bool replayed, void *priv)
{
    gx_http_req *r = priv;
    (void)replayed;
    (void)position;
    snprintf(r->allow_origin, sizeof(r->allow_origin), "%s", r->origin);
    if (rc)
        gx_http_error(r, rc, "%s",
                      rc == GX_EBADREQ && *msg_id ? msg_id : "could not record the message");
    else
        gx_http_reply_json(r, 201, json_pack("{s:s, s:s}", "task", task, "status", "queued"));
    gx_http_unref(r);
}

/* The page is one of the brand's origins: the message becomes an offline task. */
static void on_offline_brand(redisReply *rep, void *priv)
{
    gx_http_req *r = priv;
    char rnd[24], cid[32];
    const json_t *o = r->arg;
    if (!origin_allowed(r, rep)) {
        /* answered */
    } else if (gx_id_random(rnd, 12)) {
        gx_http_error(r, GX_EINTERNAL, "out of memory");
    } else {
        snprintf(cid, sizeof(cid), "o_%s", rnd);
        const char *name = json_string_value(json_object_get(o, "name"));
        gx_task_spec sp = {.brand = r->brand,
                           .topic = json_string_value(json_object_get(o, "topic")),
                           .language = json_string_value(json_object_get(o, "language")),
                           .text = json_string_value(json_object_get(o, "text")),
                           .customer_id = cid,
                           .customer_name = name ? name : "",
                           .email = json_string_value(json_object_get(o, "email")),
                           .offline = true};
        int rc = gx_tasks_create(gx_req_srv(r), &sp, on_offline_made, gx_http_ref(r));
        if (rc) {
            gx_http_unref(r);
            gx_http_error(r, rc, "could not record the message");
        }
    }
    gx_http_unref(r);
}

static void offline_next(gx_http_req *r)
{
    read_origins(r, on_offline_brand);
}

static const gx_widget_gate offline_gate = GX_WIDGET_GATE(offline_next);

void gx_http_widget_offline(gx_http_req *r)
{
    json_t *o = gx_http_api_body(r);
    if (!o)
        return;
    const char *key = json_string_value(json_object_get(o, "widget_key"));
    const char *topic = json_string_value(json_object_get(o, "topic"));
    const char *lang = json_string_value(json_object_get(o, "language"));
    const char *email = json_string_value(json_object_get(o, "email"));
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *text = json_string_value(json_object_get(o, "text"));
    json_t *jn = json_object_get(o, "name");
    if (!key || strlen(key) > 128 || !gx_id_valid(key + (strncmp(key, "gxw_", 4) ? 0 : 4))) {
        gx_http_error(r, GX_EBADREQ, "'widget_key' is required");
    } else if (!gx_id_valid(topic) || !gx_id_valid(lang)) {
        gx_http_error(r, GX_EBADREQ, "'topic' and 'language' must be ids ([A-Za-z0-9_-]{1,64})");
    } else if (!email_ok(email)) {
        gx_http_error(r, GX_EBADREQ, "'email' must be an e-mail address (at most 254 characters)");
    } else if ((jn && !name) || (name && gx_validate_utf8_len(name) > 100)) {
        gx_http_error(r, GX_EBADREQ, "'name' must be a string of at most 100 characters");
    } else if (!text || !gx_validate_utf8_len(text) || gx_validate_utf8_len(text) > 4000) {
        gx_http_error(r, GX_EBADREQ, "'text' must be 1..4000 characters");
    } else {
        widget_gate(r, &offline_gate);
    }
}
