/* Canned responses (canned.h): the brand's, checked when the admin puts the brand, and the
 * personal ones of each expert or staff member, kept in a capped Redis hash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/canned.h"
#include "gigcx/error.h"
#include "gigcx/keys.h"
#include "gigcx/request.h"
#include "gigcx/scripts.h"
#include "gigcx/util.h"

#define GX_CANNED_BRANDS_READ 32 /* brands whose responses one list reads */

/* One response {title, text}: exactly those two members, each within its size. */
static bool check_one(json_t *e, char *why, size_t whylen)
{
    const char *v;
    if (!json_is_object(e) || json_object_size(e) != 2) {
        snprintf(why, whylen, "a canned response is an object of exactly 'title' and 'text'");
        return false;
    }
    return gx_validate_str(e, "title", 1, GX_CANNED_TITLE_MAX, false, &v, why, whylen) &&
           gx_validate_str(e, "text", 1, GX_CANNED_TEXT_MAX, false, &v, why, whylen);
}

bool gx_canned_check(json_t *v, char *why, size_t whylen)
{
    if (!json_is_array(v) || json_array_size(v) > GX_CANNED_BRAND_MAX) {
        snprintf(why, whylen, "'canned' must be an array of at most %d {title, text}",
                 GX_CANNED_BRAND_MAX);
        return false;
    }
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        if (!check_one(e, why, whylen))
            return false;
    }
    return true;
}

/* The personal ones, from a flat HGETALL of id -> JSON. */
static json_t *mine_json(const redisReply *h)
{
    json_t *out = json_array();
    for (size_t i = 0; h && h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2) {
        json_t *e = json_loads(h->element[i + 1]->str ? h->element[i + 1]->str : "", 0, NULL);
        if (json_is_object(e)) {
            json_object_set_new(e, "id", json_string(h->element[i]->str));
            json_array_append(out, e);
        }
        json_decref(e);
    }
    return out;
}

/* The brands' ones, each named by its brand and its place ("<brand>:<n>"). */
static void brand_json(json_t *out, const char *brand, const char *stored)
{
    json_t *arr = stored[0] ? json_loads(stored, 0, NULL) : NULL;
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        char id[96];
        snprintf(id, sizeof(id), "%s:%zu", brand, i);
        json_array_append_new(out, json_pack("{s:s, s:s, s:O, s:O}", "id", id, "brand", brand,
                                             "title", json_object_get(e, "title"), "text",
                                             json_object_get(e, "text")));
    }
    json_decref(arr);
}

/* The brands a session reads: an expert's, or a staff member's one. */
static int brands_of(const gx_session *s, const char **out, int cap)
{
    if (s->who.role == GX_ROLE_STAFF) {
        out[0] = s->who.brand;
        return 1;
    }
    int n = 0;
    for (int i = 0; i < s->prof.nbrands && n < cap; i++)
        out[n++] = s->prof.brands[i];
    return n;
}

static void on_listed(redisReply *r, void *priv)
{
    gx_req *q = priv;
    if (gx_reply_status(r) || r->elements <= GX_CANNED_LIST_MINE) {
        gx_request_fail(q, GX_EUNAVAIL);
        return;
    }
    const char *brands[GX_CANNED_BRANDS_READ];
    int n = brands_of(q->s, brands, GX_CANNED_BRANDS_READ);
    json_t *b = json_array();
    for (int i = 0; i < n && GX_CANNED_LIST_BRANDS + (size_t)i < r->elements; i++)
        brand_json(b, brands[i], gx_reply_str(r, GX_CANNED_LIST_BRANDS + (size_t)i));
    json_t *out = json_pack("{s:s, s:o, s:o}", "type", "canned.list", "brand", b, "mine",
                            mine_json(r->element[GX_CANNED_LIST_MINE]));
    gx_session_send_json(q->s, out, gx_request_ref(q));
    json_decref(out);
    gx_request_free(q);
}

void gx_canned_on_list(gx_session *s, json_t *msg, const char *ref)
{
    (void)msg;
    const char *brands[GX_CANNED_BRANDS_READ];
    int n = brands_of(s, brands, GX_CANNED_BRANDS_READ);
    char keys[1 + GX_CANNED_BRANDS_READ][160];
    const char *argv[1 + GX_CANNED_BRANDS_READ];
    snprintf(keys[0], sizeof(keys[0]), GX_KEY_USER_CANNED, s->who.uid);
    argv[0] = keys[0];
    for (int i = 0; i < n; i++) {
        snprintf(keys[i + 1], sizeof(keys[i + 1]), GX_KEY_BRAND, brands[i]);
        argv[i + 1] = keys[i + 1];
    }
    gx_req *q = gx_request_new(s, ref, NULL);
    if (!q)
        return;
    int rc = gx_redis_script(s->srv->redis, GX_SCRIPT_CANNED_LIST, on_listed, q, 1 + n, 1 + n, argv,
                             NULL);
    if (rc)
        gx_request_fail(q, rc);
}

/* Saved or deleted: answered with the id (q->str); q->num says which. */
static void on_done(redisReply *r, void *priv)
{
    gx_req *q = priv;
    int rc = q->num ? (r && r->type == REDIS_REPLY_INTEGER ? 0 : GX_EUNAVAIL) : gx_reply_status(r);
    if (rc == 0 && q->num && r->integer == 0)
        rc = GX_ENOTFOUND;
    if (rc) {
        gx_session_error(q->s, rc, gx_request_ref(q), "%s",
                         rc == GX_ECAPACITY   ? "too many personal canned responses (at most 100)"
                         : rc == GX_ENOTFOUND ? "no such canned response"
                                              : "storage unavailable; try again");
    } else {
        json_t *out = json_pack("{s:s, s:s}", "type", q->num ? "canned.deleted" : "canned.saved",
                                "id", q->str);
        gx_session_send_json(q->s, out, gx_request_ref(q));
        json_decref(out);
    }
    gx_request_free(q);
}

/* canned.save {id?, title, text}: a new id when none is given (an update otherwise). */
void gx_canned_on_save(gx_session *s, json_t *msg, const char *ref)
{
    char why[160], id[40], key[160], most[16];
    const char *given = NULL;
    if (json_object_get(msg, "id") && !gx_validate_id(msg, "id", &given, why, sizeof(why))) {
        gx_session_error(s, GX_EBADREQ, ref, "%s", why);
        return;
    }
    if (given && strlen(given) > 40) {
        gx_session_error(s, GX_EBADREQ, ref, "'id' must be at most 40 characters");
        return;
    }
    json_t *e = json_pack("{s:O?, s:O?}", "title", json_object_get(msg, "title"), "text",
                          json_object_get(msg, "text"));
    char *body = e && check_one(e, why, sizeof(why)) ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    if (!body) {
        gx_session_error(s, GX_EBADREQ, ref, "%s", e ? why : "out of memory");
        return;
    }
    if (!given && gx_id_random(id, 12) == 0)
        given = id;
    gx_req *q = given ? gx_request_new(s, ref, NULL) : NULL;
    if (q) {
        gx_str_copy(q->str, given, sizeof(q->str));
        snprintf(key, sizeof(key), GX_KEY_USER_CANNED, s->who.uid);
        snprintf(most, sizeof(most), "%d", GX_CANNED_MINE_MAX);
        const char *argv[] = {key, q->str, body, most};
        int rc =
            gx_redis_script(s->srv->redis, GX_SCRIPT_CANNED_SAVE, on_done, q, 1, 4, argv, NULL);
        if (rc)
            gx_request_fail(q, rc);
    }
    free(body);
}

void gx_canned_on_delete(gx_session *s, json_t *msg, const char *ref)
{
    const char *id = gx_request_field_id(s, msg, "id", ref);
    gx_req *q = id ? gx_request_new(s, ref, NULL) : NULL;
    if (!q)
        return;
    gx_str_copy(q->str, id, sizeof(q->str));
    q->num = 1;
    char key[160];
    snprintf(key, sizeof(key), GX_KEY_USER_CANNED, s->who.uid);
    const char *argv[] = {"HDEL", key, q->str};
    int rc = gx_redis_argv(s->srv->redis, on_done, q, 3, argv, NULL);
    if (rc)
        gx_request_fail(q, rc);
}
