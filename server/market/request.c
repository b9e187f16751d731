/* Shared request plumbing for the WebSocket handlers: hostile-input checks that answer
 * bad_request themselves, the in-flight request context, and script reply words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/error.h"
#include "gigcx/request.h"
#include "gigcx/util.h"
#include "gigcx/validate.h"

gx_req *gx_req_new(gx_session *s, const char *ref, const char *task)
{
    gx_req *r = calloc(1, sizeof(*r));
    if (!r) {
        gx_session_error(s, GX_EINTERNAL, ref, "out of memory");
        return NULL;
    }
    r->s = gx_session_ref(s);
    if (ref) {
        gx_strlcpy(r->ref, ref, sizeof(r->ref));
        r->has_ref = true;
    }
    if (task)
        gx_strlcpy(r->task, task, sizeof(r->task));
    r->t0_ns = uv_hrtime();
    return r;
}

void gx_req_free(gx_req *r)
{
    if (!r)
        return;
    gx_session_unref(r->s);
    free(r);
}

void gx_req_fail(gx_req *r, int rc)
{
    gx_session_error(r->s, rc, gx_req_ref(r),
                     rc == GX_EUNAVAIL ? "storage unavailable; try again" : "internal error");
    gx_req_free(r);
}

const char *gx_field_id(gx_session *s, json_t *msg, const char *field, const char *ref)
{
    const char *v;
    char why[160];
    if (!gx_check_id(msg, field, &v, why, sizeof(why))) {
        gx_session_error(s, GX_EBADREQ, ref, "%s", why);
        return NULL;
    }
    return v;
}

const char *gx_field_str(gx_session *s, json_t *msg, const char *field, size_t minchars,
                         size_t maxchars, bool optional, const char *ref, bool *ok)
{
    const char *v;
    char why[160];
    *ok = gx_check_str(msg, field, minchars, maxchars, optional, &v, why, sizeof(why));
    if (!*ok)
        gx_session_error(s, GX_EBADREQ, ref, "%s", why);
    return v;
}

bool gx_field_int(gx_session *s, json_t *msg, const char *field, long min, long max, long def,
                  const char *ref, long *out)
{
    char why[160];
    if (gx_check_int(msg, field, min, max, def, true, out, why, sizeof(why)))
        return true;
    gx_session_error(s, GX_EBADREQ, ref, "%s", why);
    return false;
}

int gx_script_status(const redisReply *r)
{
    if (!r)
        return GX_EUNAVAIL;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
        r->element[0]->type != REDIS_REPLY_STRING)
        return GX_EINTERNAL;
    const char *w = r->element[0]->str;
    if (strcmp(w, "ok") == 0 || strcmp(w, "dup") == 0)
        return 0;
    static const struct {
        const char *word;
        int err;
    } words[] = {{"not_found", GX_ENOTFOUND},
                 {"forbidden", GX_EFORBIDDEN},
                 {"conflict", GX_ECONFLICT},
                 {"bad_request", GX_EBADREQ},
                 {"capacity", GX_ECAPACITY}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(w, words[i].word) == 0)
            return words[i].err;
    return GX_EINTERNAL;
}

const char *gx_reply_str(const redisReply *r, size_t i)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements)
        return "";
    const redisReply *e = r->element[i];
    return (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) ? e->str : "";
}

const char *gx_reply_field(const redisReply *r, const char *field)
{
    if (!r || r->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, field) == 0 &&
            r->element[i + 1]->type == REDIS_REPLY_STRING)
            return r->element[i + 1]->str;
    return NULL;
}

redisReply *gx_reply_steal(redisReply *r)
{
    if (!r)
        return NULL;
    redisReply *copy = calloc(1, sizeof(*copy));
    if (!copy)
        return NULL;
    *copy = *r;
    memset(r, 0, sizeof(*r));
    r->type = REDIS_REPLY_NIL;
    return copy;
}
