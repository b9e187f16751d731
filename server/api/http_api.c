/* The HTTP routes: health, metrics, the admin API (brands, experts, tokens), the brand API
 * (tasks, transcripts, tokens) and the widget session. Every body is checked field by
 * field; every failure is {"error":{code,message}} with a fitting status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/scripts.h"
#include "gigcx/keys.h"
#include "gigcx/budget.h"
#include "gigcx/audit.h"
#include "gigcx/depth.h"
#include "gigcx/gather.h"
#include "gigcx/health.h"
#include "gigcx/revoke.h"
#include "gigcx/error.h"
#include "gigcx/tasks.h"
#include "gigcx/canned.h"
#include "gigcx/coverage.h"
#include "gigcx/http_api.h"
#include "gigcx/jwt.h"
#include "gigcx/request.h"
#include "gigcx/util.h"
#include "gigcx/waves.h"
#include "gigcx/validate.h"
#include "gigcx/chat.h"
#include "gigcx/stats.h"
#include "gigcx/webhook.h"
#include "gigcx/poster.h"

#define GX_TRANSCRIPT_MAX 1000 /* messages in one page of a transcript */
#define GX_TRANSCRIPT_PAGE 500

typedef void (*gx_route_fn)(gx_http_req *r);

/* ---- small helpers ---- */

bool gx_http_api_is_admin(const gx_http_req *r)
{
    const char *k = gx_req_srv(r)->cfg->admin_key;
    size_t n = strlen(k);
    return strlen(r->bearer) == n && gx_crypto_equal(r->bearer, k, n);
}

/* The parsed JSON object body, or NULL after a 400. Stored in r->arg (owned there). */
json_t *gx_http_api_body(gx_http_req *r)
{
    json_error_t e;
    json_t *j = r->body ? json_loadb(r->body, r->blen, JSON_REJECT_DUPLICATES, &e) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        gx_http_error(r, GX_EBADREQ, "the body must be a JSON object%s%s", r->body ? ": " : "",
                      r->body ? e.text : "");
        return NULL;
    }
    json_decref(r->arg);
    r->arg = j;
    return j;
}

static const char *str_field(gx_http_req *r, json_t *o, const char *f, size_t min, size_t max,
                             bool optional, bool *ok)
{
    const char *v;
    char why[160];
    *ok = gx_validate_str(o, f, min, max, optional, &v, why, sizeof(why));
    if (!*ok)
        gx_http_error(r, GX_EBADREQ, "%s", why);
    return v;
}

static bool id_array(gx_http_req *r, json_t *o, const char *f)
{
    json_t *a = json_object_get(o, f), *v;
    size_t i;
    bool ok = json_is_array(a) && json_array_size(a) <= 100;
    json_array_foreach(a, i, v) ok = ok && gx_id_valid(json_string_value(v));
    if (!ok)
        gx_http_error(r, GX_EBADREQ, "'%s' must be an array of ids ([A-Za-z0-9_-]{1,64})", f);
    return ok;
}

static bool int_field(gx_http_req *r, json_t *o, const char *f, long min, long max, long def,
                      long *out)
{
    char why[160];
    if (gx_validate_int(o, f, min, max, def, true, out, why, sizeof(why)))
        return true;
    gx_http_error(r, GX_EBADREQ, "%s", why);
    return false;
}

/* The id after prefix in the path (e.g. "/api/v1/brands/"), copied into out, or false. */
static bool path_id(const gx_http_req *r, const char *prefix, const char *suffix, char *out)
{
    size_t pl = strlen(prefix), sl = suffix ? strlen(suffix) : 0, n = strlen(r->path);
    if (strncmp(r->path, prefix, pl) != 0 || n <= pl + sl)
        return false;
    if (sl && strcmp(r->path + n - sl, suffix) != 0)
        return false;
    size_t il = n - pl - sl;
    if (il > 64)
        return false;
    memcpy(out, r->path + pl, il);
    out[il] = '\0';
    return gx_id_valid(out);
}

char *gx_http_api_mint(gx_server *srv, const char *sub, gx_role role, const char *brand,
                       const char *name, long ttl, int64_t *exp_ms)
{
    gx_claims c = {.role = role};
    int64_t now = gx_now_ms() / 1000;
    snprintf(c.sub, sizeof(c.sub), "%s", sub);
    snprintf(c.brand, sizeof(c.brand), "%s", brand ? brand : "");
    snprintf(c.name, sizeof(c.name), "%s", name ? name : "");
    c.iat = now;
    c.exp = now + ttl;
    *exp_ms = c.exp * 1000;
    return gx_jwt_sign(&c, srv->cfg->secret, strlen(srv->cfg->secret));
}

/* Runs fn with r->brand set from the brand api key, or answers 401. */
static void on_brand_key(redisReply *rep, void *priv)
{
    gx_http_req *r = priv;
    gx_route_fn fn = r->next;
    if (!rep)
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
    else if (rep->type != REDIS_REPLY_STRING || !gx_id_valid(rep->str))
        gx_http_error(r, GX_EUNAUTH, "unknown api key");
    else {
        snprintf(r->brand, sizeof(r->brand), "%s", rep->str);
        fn(r);
    }
    gx_http_unref(r);
}

void gx_http_api_with_brand(gx_http_req *r, void (*fn)(gx_http_req *r))
{
    if (gx_http_api_is_admin(r)) { /* the admin reads every brand's tasks: r->brand stays "" */
        r->as_admin = true;
        fn(r);
        return;
    }
    if (!r->bearer[0]) {
        gx_http_error(r, GX_EUNAUTH, "Authorization: Bearer <api key> is required");
        return;
    }
    char hash[65];
    gx_crypto_sha256_hex(r->bearer, strlen(r->bearer), hash);
    r->next = fn;
    int rc = gx_redis_cmd(gx_req_srv(r)->redis, on_brand_key, gx_http_ref(r), "GET " GX_KEY_APIKEY,
                          hash);
    if (rc) {
        gx_http_unref(r);
        gx_http_error(r, rc, "storage unavailable");
    }
}

/* ---- health and metrics ---- */

/* /readyz, and /healthz as it: 503 with the reason while the node should get no work. */
static void get_readyz(gx_http_req *r)
{
    const char *why = gx_health_unready(gx_req_srv(r));
    json_t *o = json_pack("{s:s, s:s, s:b}", "status", why ? "unavailable" : "ok", "node",
                          gx_req_srv(r)->cfg->node_id, "dev", gx_req_srv(r)->cfg->dev);
    if (why) { /* the reason, and the API's error shape beside it */
        json_object_set_new(o, "reason", json_string(why));
        json_object_set_new(o, "error",
                            json_pack("{s:s, s:s}", "code", "unavailable", "message", why));
    }
    gx_http_reply_json(r, why ? 503 : 200, o);
}

/* /livez: the process and its loop answer; nothing else is checked. */
static void get_livez(gx_http_req *r)
{
    gx_http_reply_json(
        r, 200, json_pack("{s:s, s:s}", "status", "ok", "node", gx_req_srv(r)->cfg->node_id));
}

static void reply_metrics(gx_http_req *r, const char *extra)
{
    gx_redis_counters rc = *gx_redis_counters_get(gx_req_srv(r)->redis);
    rc.up = gx_redis_up(gx_req_srv(r)->redis);
    char *text = gx_metrics_render(&gx_req_srv(r)->m, &rc, extra);
    if (!text) {
        gx_http_error(r, GX_EINTERNAL, "out of memory");
        return;
    }
    gx_http_reply_text(r, 200, "text/plain; version=0.0.4", text, strlen(text));
    free(text);
}

/* Open unless --metrics-key is set: the page names every brand. */
static bool metrics_allowed(const gx_http_req *r)
{
    const char *k = gx_req_srv(r)->cfg->metrics_key;
    size_t n = k ? strlen(k) : 0;
    return !k || (strlen(r->bearer) == n && gx_crypto_equal(r->bearer, k, n));
}

static void get_metrics(gx_http_req *r)
{
    if (!metrics_allowed(r)) {
        gx_http_error(r, GX_EUNAUTH, "Authorization: Bearer <metrics key> is required");
        return;
    }
    reply_metrics(r, gx_depth_text(gx_req_srv(r))); /* never waits on Redis */
}

/* ---- admin: brands ---- */

/* pay is {amount, currency}; a lower-case currency ("eur") is taken and stored upper-case. */
static bool valid_pay(gx_http_req *r, json_t *pay)
{
    json_t *amount = json_object_get(pay, "amount");
    const char *cur = json_string_value(json_object_get(pay, "currency"));
    /* exactly these two: anything else would be stored and shown as the brand's */
    bool ok = json_is_object(pay) && json_object_size(pay) == 2 && json_is_number(amount) &&
              json_number_value(amount) >= 0 && json_number_value(amount) < 1e6 && cur &&
              strlen(cur) == 3;
    char up[4] = {0};
    for (int i = 0; ok && i < 3; i++) {
        up[i] = (char)(cur[i] >= 'a' && cur[i] <= 'z' ? cur[i] - 'a' + 'A' : cur[i]);
        ok = up[i] >= 'A' && up[i] <= 'Z';
    }
    if (!ok)
        gx_http_error(r, GX_EBADREQ,
                      "'pay' must be {\"amount\": number >= 0, \"currency\": \"EUR\"-style code} "
                      "and nothing else");
    else
        json_object_set_new(pay, "currency", json_string(up));
    return ok;
}

/* The body names only known members (o is an object); else 400 naming the first unknown. */
static bool known_fields(gx_http_req *r, json_t *o, const char *const *known)
{
    char why[400];
    if (gx_validate_known(o, known, why, sizeof(why)))
        return true;
    gx_http_error(r, GX_EBADREQ, "%s", why);
    return false;
}

static bool valid_url(const char *s)
{
    return s && (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0) &&
           strlen(s) <= 500 && !strpbrk(s, " \t\r\n\"<>");
}

static bool valid_origins(gx_http_req *r, json_t *o)
{
    json_t *a = json_object_get(o, "widget_origins"), *v;
    size_t i;
    bool ok = !a || (json_is_array(a) && json_array_size(a) <= 50);
    json_array_foreach(a, i, v) ok = ok && valid_url(json_string_value(v));
    if (!ok)
        gx_http_error(r, GX_EBADREQ, "'widget_origins' must be an array of http(s) origins");
    return ok;
}

/* waves: {size: 0..1000 (0 = everyone at once), interval_s: 1..3600}, both optional: the
 * defaults fill in. A new reference, or NULL after answering the error. */
static json_t *wave_config(gx_http_req *r, json_t *o)
{
    json_t *w = json_object_get(o, "waves");
    if (w && !json_is_object(w)) {
        gx_http_error(r, GX_EBADREQ,
                      "'waves' must be {\"size\": 0..1000, \"interval_s\": 1..3600}");
        return NULL;
    }
    json_t *empty = json_object();
    long size, interval;
    bool ok =
        int_field(r, w ? w : empty, "size", 0, 1000, GX_WAVE_SIZE_DEFAULT, &size) &&
        int_field(r, w ? w : empty, "interval_s", 1, 3600, GX_WAVE_INTERVAL_DEFAULT, &interval);
    json_decref(empty);
    return ok ? json_pack("{s:i, s:i}", "size", (int)size, "interval_s", (int)interval) : NULL;
}

/* One topic's settings: {tier?: 1|2, sla_s?: 1..86400, pay?: pay}, each defaulting to the
 * brand's (tier 1). */
static bool valid_topic(gx_http_req *r, const char *id, json_t *v)
{
    json_t *tier = json_object_get(v, "tier"), *sla = json_object_get(v, "sla_s");
    json_int_t t = json_integer_value(tier), secs = json_integer_value(sla);
    if (!gx_id_valid(id) || !json_is_object(v) || (tier && t != 1 && t != 2) ||
        (sla && (!json_is_integer(sla) || secs < 1 || secs > 86400))) {
        gx_http_error(r, GX_EBADREQ,
                      "'topics' must map topic ids to {\"tier\": 1 or 2, \"sla_s\": 1..86400, "
                      "\"pay\": {\"amount\", \"currency\"}}, each optional");
        return false;
    }
    json_t *pay = json_object_get(v, "pay");
    return !pay || valid_pay(r, pay);
}

/* topics (valid_topic), languages (ids), queue_timeout_s: 1..86400, on_timeout, waves; all
 * optional. The topics and languages declared are taken even when no expert covers them. */
static json_t *brand_config(gx_http_req *r, json_t *o)
{
    json_t *topics = json_object_get(o, "topics"), *v;
    const char *k;
    long timeout;
    if (topics && (!json_is_object(topics) || json_object_size(topics) > 200)) {
        gx_http_error(r, GX_EBADREQ, "'topics' must be an object of at most 200 topics");
        return NULL;
    }
    json_object_foreach(topics, k, v)
    {
        if (!valid_topic(r, k, v))
            return NULL;
    }
    json_t *langs = json_object_get(o, "languages");
    if (langs && !id_array(r, o, "languages"))
        return NULL;
    if (!int_field(r, o, "queue_timeout_s", 1, 86400, 0, &timeout))
        return NULL;
    json_t *on_timeout = json_object_get(o, "on_timeout");
    const char *rule = json_string_value(on_timeout);
    if (on_timeout && (!rule || (strcmp(rule, "expire") != 0 && strcmp(rule, "escalate") != 0))) {
        gx_http_error(r, GX_EBADREQ, "'on_timeout' must be \"expire\" or \"escalate\"");
        return NULL;
    }
    json_t *waves = wave_config(r, o);
    if (!waves)
        return NULL;
    json_t *conf =
        json_pack("{s:O, s:o}", "topics", topics ? topics : json_object(), "waves", waves);
    if (!topics)
        json_decref(json_object_get(conf, "topics"));
    if (timeout)
        json_object_set_new(conf, "queue_timeout_s", json_integer(timeout));
    if (rule)
        json_object_set_new(conf, "on_timeout", json_string(rule));
    if (langs)
        json_object_set(conf, "languages", langs);
    if (!gx_http_widget_config(r, o, conf)) { /* business hours, offline, pre-chat */
        json_decref(conf);
        return NULL;
    }
    return conf;
}

/* The brand's keys are stored: answer (ctx: {status, out}). */
/* brand_put's reply: the brand and the keys that find it are stored, so the answer may show
 * the api key (once). */
static void on_brand_put(redisReply *rep, void *priv)
{
    gx_http_req *r = priv;
    const char *what = gx_reply_str(rep, GX_BRAND_PUT_WORD);
    if (!what[0]) {
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
        gx_http_unref(r);
        return;
    }
    json_t *out = json_pack("{s:s, s:s}", "brand", r->brand, "widget_key",
                            gx_reply_str(rep, GX_BRAND_PUT_WIDGET_KEY));
    bool created = strcmp(what, "created") == 0, rotated = strcmp(what, "rotated") == 0;
    if (created || rotated)
        json_object_set(out, "api_key", json_object_get(r->arg, "_api_key"));
    const char *secret = gx_reply_str(rep, GX_BRAND_PUT_SECRET);
    if (secret[0]) /* shown once, like the api key: when it was set */
        json_object_set_new(out, "webhook_secret", json_string(secret));
    const char *act = created ? "brand.create" : rotated ? "brand.rotate_keys" : "brand.update";
    gx_audit(gx_req_srv(r), r->brand, "admin", act, r->brand, NULL);
    gx_audit(gx_req_srv(r), NULL, "admin", act, r->brand, NULL);
    json_object_set(out, "name", json_object_get(r->arg, "name"));
    gx_http_reply_json(r, created ? 201 : 200, out);
    gx_http_unref(r);
}

void gx_http_api_put_brand(gx_http_req *r)
{
    bool ok;
    /* brand and widget_key are what GET shows: a GET, edited, may be PUT back (both ignored) */
    static const char *const known[] = {"name",
                                        "pay",
                                        "widget_origins",
                                        "webhook_url",
                                        "topics",
                                        "languages",
                                        "queue_timeout_s",
                                        "on_timeout",
                                        "waves",
                                        "canned",
                                        "business_hours",
                                        "widget",
                                        "offline_timeout_s",
                                        "brand",
                                        "widget_key",
                                        NULL};
    json_t *o = gx_http_api_body(r);
    if (o && !known_fields(r, o, known))
        return;
    const char *name = o ? str_field(r, o, "name", 1, 200, false, &ok) : NULL;
    const char *hook = name ? str_field(r, o, "webhook_url", 0, 500, true, &ok) : NULL;
    if (!name || !ok || !valid_pay(r, json_object_get(o, "pay")) || !valid_origins(r, o))
        return;
    gx_url hook_url;
    if (hook && hook[0] && (!valid_url(hook) || gx_poster_url_parse(hook, &hook_url))) {
        gx_http_error(r, GX_EBADREQ,
                      "'webhook_url' must be an http(s) URL without user info or fragment");
        return;
    }
    /* names are checked again where they resolve, at each delivery */
    if (hook && hook[0] && !gx_req_srv(r)->cfg->webhook_allow_private &&
        gx_poster_host_private(hook_url.host)) {
        gx_http_error(r, GX_EBADREQ,
                      "'webhook_url' may not point at a loopback, link-local or private address");
        return;
    }
    char why[160];
    json_t *canned = json_object_get(o, "canned");
    if (canned && !gx_canned_check(canned, why, sizeof(why))) {
        gx_http_error(r, GX_EBADREQ, "%s", why);
        return;
    }
    json_t *conf = brand_config(r, o);
    if (!conf)
        return;
    snprintf(r->brand, sizeof(r->brand), "%s", r->id);
    char rnd[48], api_key[64], hash[65], wk[64];
    gx_id_random(rnd, 24);
    snprintf(api_key, sizeof(api_key), "gxk_%s", rnd);
    gx_id_random(rnd, 18);
    snprintf(wk, sizeof(wk), "gxw_%s", rnd);
    gx_crypto_sha256_hex(api_key, strlen(api_key), hash);
    json_object_set_new(o, "_api_key", json_string(api_key));
    char secret[64]; /* signs webhooks; stored as is, since the server must sign with it */
    gx_id_random(rnd, 32);
    snprintf(secret, sizeof(secret), "whsec_%s", rnd);
    char *pay = json_dumps(json_object_get(o, "pay"), JSON_COMPACT);
    json_t *origins = json_object_get(o, "widget_origins");
    char *orig = origins ? json_dumps(origins, JSON_COMPACT) : strdup("[]");
    char *cf = json_dumps(conf, JSON_COMPACT);
    /* "=": no canned in the body, they stay (a form that knows nothing of them keeps them) */
    char *cn = !canned                   ? strdup("=")
               : json_array_size(canned) ? json_dumps(canned, JSON_COMPACT)
                                         : strdup("");
    json_decref(conf);
    char key[96], now[24];
    snprintf(key, sizeof(key), GX_KEY_BRAND, r->brand);
    snprintf(now, sizeof(now), "%lld", (long long)gx_now_ms());
    const char *argv[] = {key,
                          name,
                          pay ? pay : "{}",
                          orig ? orig : "[]",
                          hook ? hook : "",
                          r->rotate ? "1" : "0",
                          hash,
                          wk,
                          now,
                          cf ? cf : "{}",
                          secret,
                          r->brand,
                          "1",
                          cn ? cn : "="};
    int rc = gx_redis_script(gx_req_srv(r)->redis, GX_SCRIPT_BRAND_PUT, on_brand_put,
                             gx_http_ref(r), 1, 14, argv, NULL);
    free(cn);
    free(pay);
    free(orig);
    free(cf);
    if (rc) {
        gx_http_unref(r);
        gx_http_error(r, rc, "storage unavailable");
    }
}

/* ---- admin: experts ---- */

/* An expert put is pipelined commands (EXISTS, HSET, SADD, then per brand the SADDs of its
 * coverage: GX_KEY_SKILLS and GX_KEY_LANGS); it is answered once all are in, and as stored
 * only when Redis took every write. Coverage only grows: a skill an expert drops stays
 * covered for the brand (the task is then taken and waits, as before). */
typedef struct {
    gx_http_req *r; /* a reference */
    int left, seen;
    bool failed;
    bool existed, was_active; /* from the first reply, HMGET name active */
} gx_expert_put;

static void on_expert_step(redisReply *rep, void *priv)
{
    gx_expert_put *p = priv;
    if (!rep || rep->type == REDIS_REPLY_ERROR)
        p->failed = true;
    else if (p->seen == 0) /* HMGET name active, answered before HSET: created or updated */
        gx_http_patch_before(rep, &p->existed, &p->was_active);
    p->seen++;
    if (--p->left > 0)
        return;
    gx_http_req *r = p->r;
    if (p->failed) {
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
    } else {
        json_t *out = json_deep_copy(r->arg);
        json_object_set_new(out, "id", json_string(r->id));
        gx_audit(gx_req_srv(r), NULL, "admin", p->existed ? "expert.update" : "expert.create",
                 r->id, NULL);
        gx_http_patch_after_put(r, out, p->existed, p->was_active);
        gx_coverage_touch(gx_req_srv(r)); /* a skill dropped leaves the brand's coverage */
        gx_http_reply_json(r, p->existed ? 200 : 201, out);
    }
    gx_http_unref(r);
    free(p);
}

/* SADD of ids (an array of at most 100) to a brand's coverage set fmt; true when sent. An
 * empty array sends nothing (and is false). */
static bool cover(gx_redis *rd, gx_expert_put *p, const char *fmt, const char *brand, json_t *ids)
{
    const char *argv[2 + 100];
    char key[128];
    size_t n = json_array_size(ids);
    if (!n || n > 100)
        return false;
    snprintf(key, sizeof(key), fmt, brand);
    argv[0] = "SADD";
    argv[1] = key;
    for (size_t i = 0; i < n; i++)
        argv[2 + i] = json_string_value(json_array_get(ids, i));
    return gx_redis_argv(rd, on_expert_step, p, (int)(2 + n), argv, NULL) == 0;
}

static void put_expert_write(gx_http_req *r);

/* SMISMEMBER gx:brands <the expert's brands>: the first unknown one is refused (400). */
static void on_expert_brands(redisReply *rep, void *priv)
{
    gx_http_req *r = priv;
    json_t *brands = json_object_get(r->arg, "brands");
    size_t unknown = 0;
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != json_array_size(brands)) {
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
        gx_http_unref(r);
        return;
    }
    while (unknown < rep->elements && rep->element[unknown]->type == REDIS_REPLY_INTEGER &&
           rep->element[unknown]->integer == 1)
        unknown++;
    if (unknown < rep->elements)
        gx_http_error(r, GX_EBADREQ, "no brand '%s': create it first (PUT /api/v1/brands/{id})",
                      json_string_value(json_array_get(brands, unknown)));
    else
        put_expert_write(r);
    gx_http_unref(r);
}

void gx_http_api_put_expert(gx_http_req *r)
{
    bool ok;
    long tier, cap;
    /* id, rating and live are what GET shows: a GET, edited, may be PUT back (all ignored) */
    static const char *const known[] = {"name",   "skills",   "languages", "tier",
                                        "brands", "capacity", "active",    "id",
                                        "rating", "live",     NULL};
    json_t *o = gx_http_api_body(r);
    if (o && !known_fields(r, o, known))
        return;
    const char *name = o ? str_field(r, o, "name", 1, 200, false, &ok) : NULL;
    json_t *active = o ? json_object_get(o, "active") : NULL;
    if (!name || !id_array(r, o, "skills") || !id_array(r, o, "languages") ||
        !id_array(r, o, "brands") || !int_field(r, o, "tier", 1, 2, 1, &tier) ||
        !int_field(r, o, "capacity", 1, 10, 3, &cap))
        return;
    if (active && !json_is_boolean(active)) {
        gx_http_error(r, GX_EBADREQ, "'active' must be true or false");
        return;
    }
    json_t *clean =
        json_pack("{s:s, s:O, s:O, s:i, s:O, s:i}", "name", name, "skills",
                  json_object_get(o, "skills"), "languages", json_object_get(o, "languages"),
                  "tier", (int)tier, "brands", json_object_get(o, "brands"), "capacity", (int)cap);
    if (active) /* absent: the stored state stays (a new expert is active) */
        json_object_set(clean, "active", active);
    json_decref(r->arg);
    r->arg = clean;
    /* every brand named must exist: an expert on a misspelt brand would wait for nothing */
    json_t *brands = json_object_get(clean, "brands");
    const char *argv[2 + 100] = {"SMISMEMBER", GX_KEY_BRANDS};
    size_t n = json_array_size(brands);
    if (!n) { /* an expert of no brand yet: nothing to check */
        put_expert_write(r);
        return;
    }
    for (size_t i = 0; i < n; i++)
        argv[2 + i] = json_string_value(json_array_get(brands, i));
    int rc = gx_redis_argv(gx_req_srv(r)->redis, on_expert_brands, gx_http_ref(r), (int)(2 + n),
                           argv, NULL);
    if (rc) {
        gx_http_unref(r);
        gx_http_error(r, rc, "storage unavailable");
    }
}

/* The expert's writes, once its brands are known to exist (r->arg: the checked body). */
static void put_expert_write(gx_http_req *r)
{
    json_t *clean = r->arg, *active = json_object_get(clean, "active");
    long tier = (long)json_integer_value(json_object_get(clean, "tier"));
    long cap = (long)json_integer_value(json_object_get(clean, "capacity"));
    const char *name = json_string_value(json_object_get(clean, "name"));
    char *sk = json_dumps(json_object_get(clean, "skills"), JSON_COMPACT);
    char *la = json_dumps(json_object_get(clean, "languages"), JSON_COMPACT);
    char *br = json_dumps(json_object_get(clean, "brands"), JSON_COMPACT);
    char key[96], t[4], c[4];
    snprintf(key, sizeof(key), GX_KEY_EXPERT, r->id);
    snprintf(t, sizeof(t), "%ld", tier);
    snprintf(c, sizeof(c), "%ld", cap);
    gx_redis *rd = gx_req_srv(r)->redis;
    const char *ex[] = {"HMGET", key, "name", "active"};
    const char *hs[] = {"HSET",     key, "name",      name,
                        "skills",   sk,  "languages", la,
                        "tier",     t,   "brands",    br,
                        "capacity", c,   "active",    json_is_false(active) ? "0" : "1"};
    gx_expert_put *p = sk && la && br ? calloc(1, sizeof(*p)) : NULL;
    int rc = p ? gx_redis_argv(rd, on_expert_step, p, 4, ex, NULL) : GX_EINTERNAL;
    if (rc) {
        free(p);
    } else { /* once sent, each command's reply comes (NULL when the connection drops) */
        int sent = 1;
        if (!gx_redis_argv(rd, on_expert_step, p, active ? 16 : 14, hs, NULL))
            sent++;
        if (sent == 2 && !gx_redis_cmd(rd, on_expert_step, p, "SADD " GX_KEY_EXPERTS " %s", r->id))
            sent++;
        /* deactivating: the revocation is one of the writes the answer waits for */
        if (sent == 3 && json_is_false(active) &&
            !gx_revoke_deactivate(gx_req_srv(r), r->id, on_expert_step, p))
            sent++;
        bool all = sent == (json_is_false(active) ? 4 : 3);
        json_t *brands = json_object_get(clean, "brands"), *b;
        size_t i;
        json_array_foreach(brands, i, b)
        {
            static const char *const fmts[] = {GX_KEY_SKILLS, GX_KEY_LANGS};
            static const char *const fields[] = {"skills", "languages"};
            for (int k = 0; k < 2; k++) {
                json_t *ids = json_object_get(clean, fields[k]);
                if (!json_array_size(ids))
                    continue;
                if (all && cover(rd, p, fmts[k], json_string_value(b), ids))
                    sent++;
                else
                    all = false;
            }
        }
        *p = (gx_expert_put){.r = gx_http_ref(r), .left = sent, .failed = !all};
    }
    free(sk);
    free(la);
    free(br);
    if (rc)
        gx_http_error(r, rc, "storage unavailable");
}

/* ---- tokens ---- */

bool gx_http_api_person(gx_http_req *r, json_t *o, bool admin, const char **sub, gx_role *role,
                        const char **brand)
{
    *sub = json_string_value(json_object_get(o, "sub"));
    *role = gx_jwt_role_parse(json_string_value(json_object_get(o, "role")));
    *brand = json_string_value(json_object_get(o, "brand"));
    if (!gx_id_valid(*sub) || *role == GX_ROLE_NONE) {
        gx_http_error(r, GX_EBADREQ, "'sub' must be an id and 'role' expert, customer or staff");
        return false;
    }
    if (!admin) {
        if (*role == GX_ROLE_EXPERT || (*brand && strcmp(*brand, r->brand) != 0)) {
            gx_http_error(r, GX_EFORBIDDEN, "a brand names its own customers and staff only");
            return false;
        }
        *brand = r->brand;
    }
    if (*role != GX_ROLE_EXPERT && !gx_id_valid(*brand)) {
        gx_http_error(r, GX_EBADREQ, "'brand' is required for customers and staff");
        return false;
    }
    if (*role == GX_ROLE_EXPERT)
        *brand = NULL;
    return true;
}

static void sign_reply(gx_http_req *r, const char *sub, gx_role role, const char *brand,
                       const char *name, long ttl)
{
    int64_t exp;
    char *tok = gx_http_api_mint(gx_req_srv(r), sub, role, brand, name, ttl, &exp);
    if (!tok) {
        gx_http_error(r, GX_EINTERNAL, "could not sign the token");
        return;
    }
    gx_http_reply_json(r, 201,
                       json_pack("{s:s, s:I}", "token", tok, "expires_at", (json_int_t)exp));
    free(tok);
}

/* A brand may not mint staff under an expert's id: ids are namespaced, so it would reach
 * nothing of the expert's, but a console and a log that show the same name for both mislead
 * people. The admin may (it makes both). */
static void on_staff_id(redisReply *rep, void *priv)
{
    gx_http_req *r = priv;
    json_t *o = r->arg;
    json_t *ttl = json_object_get(o, "ttl_s");
    if (!rep || rep->type != REDIS_REPLY_INTEGER)
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
    else if (rep->integer)
        gx_http_error(r, GX_ECONFLICT, "'%s' is an expert's id; staff need ids of their own",
                      r->id);
    else
        sign_reply(r, r->id, GX_ROLE_STAFF, r->brand, json_string_value(json_object_get(o, "name")),
                   ttl ? (long)json_integer_value(ttl) : GX_TOKEN_TTL_DEFAULT);
    gx_http_unref(r);
}

/* A deactivated expert (active "0") gets no token: it would only be refused at hello. */
static void on_expert_active(redisReply *rep, void *priv)
{
    gx_http_req *r = priv;
    json_t *ttl = json_object_get(r->arg, "ttl_s");
    if (!rep || rep->type == REDIS_REPLY_ERROR)
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
    else if (rep->type == REDIS_REPLY_STRING && strcmp(rep->str, "0") == 0)
        gx_http_error(r, GX_ECONFLICT, "expert '%s' is deactivated; reactivate them first", r->id);
    else
        sign_reply(r, r->id, GX_ROLE_EXPERT, NULL,
                   json_string_value(json_object_get(r->arg, "name")),
                   ttl ? (long)json_integer_value(ttl) : GX_TOKEN_TTL_DEFAULT);
    gx_http_unref(r);
}

static void issue_token(gx_http_req *r, bool admin)
{
    bool ok;
    long ttl;
    json_t *o = gx_http_api_body(r);
    if (!o)
        return;
    const char *sub, *brand;
    gx_role role;
    const char *name = str_field(r, o, "name", 0, 100, true, &ok);
    if (!ok || !int_field(r, o, "ttl_s", 60, GX_TOKEN_TTL_MAX, GX_TOKEN_TTL_DEFAULT, &ttl) ||
        !gx_http_api_person(r, o, admin, &sub, &role, &brand))
        return;
    if (!admin && role == GX_ROLE_STAFF) { /* not for an expert's id: see on_staff_id */
        gx_str_copy(r->id, sub, sizeof(r->id));
        if (gx_redis_cmd(gx_req_srv(r)->redis, on_staff_id, gx_http_ref(r), "EXISTS " GX_KEY_EXPERT,
                         sub)) {
            gx_http_unref(r);
            gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
        }
        return;
    }
    if (role == GX_ROLE_EXPERT) { /* not for a deactivated expert: see on_expert_active */
        gx_str_copy(r->id, sub, sizeof(r->id));
        if (gx_redis_cmd(gx_req_srv(r)->redis, on_expert_active, gx_http_ref(r),
                         "HGET " GX_KEY_EXPERT " active", sub)) {
            gx_http_unref(r);
            gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
        }
        return;
    }
    sign_reply(r, sub, role, brand, name, ttl);
}

static void post_token_brand(gx_http_req *r)
{
    issue_token(r, false);
}

static void post_token(gx_http_req *r)
{
    if (gx_http_api_is_admin(r))
        issue_token(r, true);
    else
        gx_http_api_with_brand(r, post_token_brand);
}

/* ---- brand: tasks ---- */

static void on_task_made(int rc, const char *task, const char *msg_id, int position, bool replayed,
                         void *priv)
{
    gx_http_req *r = priv;
    if (rc) {
        gx_http_error(r, rc, "%s",
                      rc == GX_ENOTFOUND            ? "brand not found"
                      : rc == GX_EBADREQ && *msg_id ? msg_id /* the topic or language refused */
                      : rc == GX_ECONFLICT ? "this Idempotency-Key made a task for another customer"
                                           : "could not create");
        gx_http_unref(r);
        return;
    }
    json_t *cust = json_object_get(r->arg, "customer");
    int64_t exp;
    char *tok = gx_http_api_mint(
        gx_req_srv(r), json_string_value(json_object_get(cust, "id")), GX_ROLE_CUSTOMER, r->brand,
        json_string_value(json_object_get(cust, "name")), GX_TOKEN_TTL_DEFAULT, &exp);
    json_t *out = json_pack("{s:s, s:s, s:i, s:s?}", "task", task, "status", "queued", "position",
                            position, "customer_token", tok);
    if (replayed) /* the task an earlier request with this Idempotency-Key made */
        json_object_set_new(out, "replayed", json_true());
    gx_http_reply_json(r, 201, out);
    free(tok);
    gx_http_unref(r);
}

static void create_task(gx_http_req *r)
{
    bool ok = true;
    long prio;
    if (r->as_admin) { /* a task belongs to the brand whose key made it */
        gx_http_error(r, GX_EFORBIDDEN, "a brand api key is required to create tasks");
        return;
    }
    if (r->idem_bad) {
        gx_http_error(r, GX_EBADREQ, "Idempotency-Key must be 1..128 visible ASCII characters");
        return;
    }
    json_t *o = gx_http_api_body(r);
    json_t *cust = o ? json_object_get(o, "customer") : NULL;
    if (!o)
        return;
    const char *cid = json_string_value(json_object_get(cust, "id"));
    const char *cname = json_string_value(json_object_get(cust, "name"));
    if (!json_is_object(cust) || !gx_id_valid(cid) ||
        (cname && gx_validate_utf8_len(cname) > 100) || (json_object_get(cust, "name") && !cname)) {
        gx_http_error(r, GX_EBADREQ, "'customer' must be {\"id\": id, \"name\": string}");
        return;
    }
    const char *topic = json_string_value(json_object_get(o, "topic"));
    const char *lang = json_string_value(json_object_get(o, "language"));
    if (!gx_id_valid(topic) || !gx_id_valid(lang)) {
        gx_http_error(r, GX_EBADREQ, "'topic' and 'language' must be ids");
        return;
    }
    const char *text = str_field(r, o, "text", 1, 4000, false, &ok);
    json_t *meta = json_object_get(o, "meta");
    if (!text || !int_field(r, o, "priority", 0, 9, 0, &prio))
        return;
    if (meta && !json_is_object(meta)) {
        gx_http_error(r, GX_EBADREQ, "'meta' must be an object");
        return;
    }
    gx_task_spec sp = {.brand = r->brand,
                       .topic = topic,
                       .language = lang,
                       .text = text,
                       .customer_id = cid,
                       .customer_name = cname ? cname : "",
                       .priority = (int)prio,
                       .meta = meta,
                       .idem_key = r->idem[0] ? r->idem : NULL};
    int rc = gx_tasks_create(gx_req_srv(r), &sp, on_task_made, gx_http_ref(r));
    if (rc) {
        gx_http_unref(r);
        gx_http_error(r, rc, "could not create the task");
    }
}

static void after_task_budget(bool ok, void *priv)
{
    gx_http_req *r = priv;
    if (ok)
        create_task(r);
    else
        gx_http_error(r, GX_ERATE, "this brand's task budget is spent for this minute; retry");
    gx_http_unref(r);
}

/* A brand's tasks are budgeted per minute over every process (a leaked key's flood). */
static void post_task(gx_http_req *r)
{
    char name[96];
    snprintf(name, sizeof(name), "bt:%s", r->brand);
    if (r->as_admin)
        create_task(r); /* which refuses it: a task belongs to a brand's key */
    else if (gx_budget_take(gx_req_srv(r)->redis, name, gx_req_srv(r)->cfg->brand_task_rate, 60,
                            after_task_budget, gx_http_ref(r)))
        gx_http_unref(r);
}

static const char *hget(const redisReply *h, const char *f)
{
    for (size_t i = 0; h && h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2)
        if (strcmp(h->element[i]->str, f) == 0)
            return h->element[i + 1]->str;
    return NULL;
}

static void add_int(json_t *o, const char *k, const char *v)
{
    if (v && v[0])
        json_object_set_new(o, k, json_integer(atoll(v)));
}

static void on_task_get(redisReply *rep, void *priv)
{
    gx_http_req *r = priv;
    const char *brand = hget(rep, "brand");
    if (!rep)
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
    else if (!brand || (!r->as_admin && strcmp(brand, r->brand) != 0))
        gx_http_error(r, GX_ENOTFOUND, "no such task");
    else {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "task", r->id, "brand",
                              brand, "status", hget(rep, "status"), "topic", hget(rep, "topic"),
                              "language", hget(rep, "language"), "customer", "id",
                              hget(rep, "customer"), "name", hget(rep, "customer_name"));
        static const char *const ints[] = {
            "priority",    "created_at",   "expires_at",   "assigned_at", "released_at",
            "resolved_at", "escalated_at", "cancelled_at", "expired_at",  "rated_at"};
        for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
            add_int(o, ints[i], hget(rep, ints[i]));
        const char *ex = hget(rep, "expert");
        if (ex && ex[0])
            json_object_set_new(o, "expert", json_pack("{s:s}", "id", ex));
        const char *asg = hget(rep, "assignee");
        if (asg && asg[0])
            json_object_set_new(o, "assignee",
                                json_pack("{s:s, s:s, s:s}", "id", asg, "name",
                                          hget(rep, "assignee_name") ?: "", "role",
                                          hget(rep, "assignee_role") ?: ""));
        if (hget(rep, "rating"))
            json_object_set_new(o, "rating",
                                json_pack("{s:i, s:s}", "score", atoi(hget(rep, "rating")),
                                          "comment", hget(rep, "rating_comment") ?: ""));
        if (hget(rep, "summary"))
            json_object_set_new(o, "summary", json_string(hget(rep, "summary")));
        if (hget(rep, "escalation_reason"))
            json_object_set_new(o, "escalation_reason",
                                json_string(hget(rep, "escalation_reason")));
        gx_http_reply_json(r, 200, o);
    }
    gx_http_unref(r);
}

static void get_task(gx_http_req *r)
{
    int rc = gx_redis_cmd(gx_req_srv(r)->redis, on_task_get, gx_http_ref(r), "HGETALL " GX_KEY_TASK,
                          r->id);
    if (rc) {
        gx_http_unref(r);
        gx_http_error(r, rc, "storage unavailable");
    }
}

/* Transcript: the owner check and the read are pipelined; the first reply decides. */
static void on_transcript_owner(redisReply *rep, void *priv)
{
    gx_http_req *r = priv;
    if (!rep)
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
    else if (rep->type != REDIS_REPLY_STRING || (!r->as_admin && strcmp(rep->str, r->brand) != 0))
        gx_http_error(r, GX_ENOTFOUND, "no such task");
    gx_http_unref(r);
}

/* A page of the transcript: r->arg holds {limit}; one message more than asked tells whether
 * a next page exists, and "next" is the id to pass as ?after= for it. */
static void on_transcript(redisReply *rep, void *priv)
{
    gx_http_req *r = priv;
    size_t limit = (size_t)json_integer_value(json_object_get(r->arg, "limit"));
    if (rep && rep->type == REDIS_REPLY_ARRAY) {
        json_t *msgs = gx_chat_entries(r->id, rep, false);
        bool more = json_array_size(msgs) > limit;
        if (more)
            json_array_remove(msgs, limit);
        json_t *out = json_pack("{s:s, s:o}", "task", r->id, "messages", msgs);
        json_t *last = json_array_get(msgs, json_array_size(msgs) - 1);
        if (more && last)
            json_object_set(out, "next", json_object_get(last, "id"));
        gx_http_reply_json(r, 200, out);
    } else {
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
    }
    gx_http_unref(r);
}

static void get_transcript(gx_http_req *r)
{
    char after[48] = "";
    long limit;
    gx_http_query(r, "after=", after, sizeof(after));
    gx_sid from;
    if (!gx_http_query_int(r, "limit=", 1, GX_TRANSCRIPT_MAX, GX_TRANSCRIPT_PAGE, &limit) ||
        (after[0] &&
         (gx_sid_parse(after, &from) || (from.ms == UINT64_MAX && from.seq == UINT64_MAX)))) {
        gx_http_error(r, GX_EBADREQ, "'limit' must be 1 to %d and 'after' a message id",
                      GX_TRANSCRIPT_MAX);
        return;
    }
    json_decref(r->arg);
    r->arg = json_pack("{s:I}", "limit", (json_int_t)limit);
    gx_redis *rd = gx_req_srv(r)->redis;
    int rc =
        gx_redis_cmd(rd, on_transcript_owner, gx_http_ref(r), "HGET " GX_KEY_TASK " brand", r->id);
    if (rc) {
        gx_http_unref(r);
        gx_http_error(r, rc, "storage unavailable");
        return;
    }
    if (gx_redis_cmd(rd, on_transcript, gx_http_ref(r), "XRANGE " GX_KEY_CHAT " %s%s + COUNT %ld",
                     r->id, after[0] ? "(" : "-", after, limit + 1))
        gx_http_unref(r);
}

/* ---- --dev only ---- */

static void get_dev_users(gx_http_req *r)
{
    if (!gx_req_srv(r)->cfg->dev || !gx_req_srv(r)->dev_users) {
        gx_http_error(r, GX_ENOTFOUND, "only a --dev server lists demo users");
        return;
    }
    gx_http_reply_json(r, 200, json_incref(gx_req_srv(r)->dev_users));
}

/* ---- the API's own description ---- */

extern const char gx_openapi_json[];

static void get_openapi(gx_http_req *r)
{
    gx_http_reply_text(r, 200, "application/json", gx_openapi_json, strlen(gx_openapi_json));
}

/* ---- the table ---- */

typedef enum { AUTH_NONE, AUTH_ADMIN, AUTH_BRAND, AUTH_ANY } gx_auth;

static const struct {
    int method;
    const char *prefix, *suffix; /* suffix NULL: exact path when id is false */
    bool id;
    gx_auth auth;
    gx_route_fn fn;
} routes[] = {
    {GX_HTTP_GET, "/healthz", NULL, false, AUTH_NONE, get_readyz},
    {GX_HTTP_GET, "/readyz", NULL, false, AUTH_NONE, get_readyz},
    {GX_HTTP_GET, "/livez", NULL, false, AUTH_NONE, get_livez},
    {GX_HTTP_GET, "/api/v1/dev/experts", NULL, false, AUTH_NONE, get_dev_users},
    {GX_HTTP_GET, "/metrics", NULL, false, AUTH_NONE, get_metrics},
    {GX_HTTP_GET, "/api/v1/openapi.json", NULL, false, AUTH_NONE, get_openapi},
    {GX_HTTP_GET, "/api/v1/admin/stats", NULL, false, AUTH_ADMIN, gx_http_admin_stats},
    {GX_HTTP_POST, "/api/v1/admin/shed", NULL, false, AUTH_ADMIN, gx_http_shed},
    {GX_HTTP_GET, "/api/v1/brands", NULL, false, AUTH_ADMIN, gx_http_admin_brands},
    {GX_HTTP_PUT, "/api/v1/brands/", NULL, true, AUTH_ADMIN, gx_http_api_put_brand},
    {GX_HTTP_GET, "/api/v1/brands/", NULL, true, AUTH_ADMIN, gx_http_admin_brand},
    {GX_HTTP_GET, "/api/v1/experts", NULL, false, AUTH_ADMIN, gx_http_admin_experts},
    {GX_HTTP_PUT, "/api/v1/experts/", NULL, true, AUTH_ADMIN, gx_http_api_put_expert},
    {GX_HTTP_GET, "/api/v1/experts/", NULL, true, AUTH_ADMIN, gx_http_admin_expert},
    {GX_HTTP_PATCH, "/api/v1/experts/", NULL, true, AUTH_ADMIN, gx_http_patch_expert},
    {GX_HTTP_PATCH, "/api/v1/brands/", NULL, true, AUTH_ADMIN, gx_http_patch_brand},
    {GX_HTTP_POST, "/api/v1/tokens", NULL, false, AUTH_ANY, post_token},
    {GX_HTTP_POST, "/api/v1/tokens/revoke", NULL, false, AUTH_BRAND, gx_http_revoke},
    {GX_HTTP_DELETE, "/api/v1/experts/", NULL, true, AUTH_ADMIN, gx_http_revoke_delete_expert},
    {GX_HTTP_GET, "/api/v1/audit", NULL, false, AUTH_BRAND, gx_http_audit_get},
    {GX_HTTP_POST, "/api/v1/tasks", NULL, false, AUTH_BRAND, post_task},
    {GX_HTTP_GET, "/api/v1/tasks", NULL, false, AUTH_BRAND, gx_http_tasks_list},
    {GX_HTTP_GET, "/api/v1/tasks/", "/transcript", true, AUTH_BRAND, get_transcript},
    {GX_HTTP_GET, "/api/v1/tasks/", NULL, true, AUTH_BRAND, get_task},
    {GX_HTTP_POST, "/api/v1/widget/session", NULL, false, AUTH_NONE, gx_http_widget_session},
    {GX_HTTP_OPTIONS, "/api/v1/widget/session", NULL, false, AUTH_NONE, gx_http_widget_preflight},
    {GX_HTTP_GET, "/api/v1/widget/availability", NULL, false, AUTH_NONE,
     gx_http_widget_availability},
    {GX_HTTP_POST, "/api/v1/widget/offline", NULL, false, AUTH_NONE, gx_http_widget_offline},
    {GX_HTTP_OPTIONS, "/api/v1/widget/offline", NULL, false, AUTH_NONE, gx_http_widget_preflight},
    {GX_HTTP_GET, "/api/v1/webhooks/deliveries", NULL, false, AUTH_BRAND, gx_http_webhooks_get},
};

void gx_http_api_each_route(void (*fn)(const char *method, const char *path, void *arg), void *arg)
{
    static const char *const names[] = {
        [GX_HTTP_GET] = "get",         [GX_HTTP_POST] = "post",     [GX_HTTP_PUT] = "put",
        [GX_HTTP_OPTIONS] = "options", [GX_HTTP_DELETE] = "delete", [GX_HTTP_PATCH] = "patch"};
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        char path[160];
        snprintf(path, sizeof(path), "%s%s%s", routes[i].prefix, routes[i].id ? "{}" : "",
                 routes[i].suffix ? routes[i].suffix : "");
        fn(names[routes[i].method], path, arg);
    }
}

void gx_http_api_route(gx_http_req *r)
{
    bool path_known = false;
    int method = r->method == GX_HTTP_HEAD ? GX_HTTP_GET : r->method; /* HEAD: GET, no body */
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        bool match = routes[i].id ? path_id(r, routes[i].prefix, routes[i].suffix, r->id)
                                  : strcmp(r->path, routes[i].prefix) == 0;
        if (!match)
            continue;
        path_known = true;
        if (routes[i].method != method)
            continue;
        if (routes[i].auth == AUTH_ADMIN && !gx_http_api_is_admin(r))
            gx_http_error(r, GX_EUNAUTH, "the admin key is required");
        else if (routes[i].auth == AUTH_BRAND)
            gx_http_api_with_brand(r, routes[i].fn);
        else
            routes[i].fn(r);
        return;
    }
    if (path_known)
        gx_http_reply_json(r, 405,
                           json_pack("{s:{s:s, s:s}}", "error", "code", "bad_request", "message",
                                     "method not allowed"));
    else
        gx_http_error(r, GX_ENOTFOUND, "no such endpoint: %.100s", r->path);
}
