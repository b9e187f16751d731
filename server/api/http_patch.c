/* PATCH /api/v1/experts/{id} and /api/v1/brands/{id}: a JSON merge patch (RFC 7396) on the
 * stored record as GET shows it. The merged result goes through the PUT handler, so it is
 * validated exactly as a PUT and stored by the same writes. An expert's `active` is the
 * deactivation switch: false revokes its tokens (its sessions close on every node, with the
 * revocation among the writes the answer waits for), hands its held tasks back to the queue
 * at once, and keeps new tokens from being minted or passing hello until it is true again. */
#include <stdlib.h>
#include <string.h>
#include "gigcx/absent.h"
#include "gigcx/audit.h"
#include "gigcx/error.h"
#include "gigcx/gather.h"
#include "gigcx/keys.h"

/* RFC 7396: null removes a member, an object merges into the member (an empty object when
 * the member is absent or not an object, so its nulls vanish), anything else replaces. */
static void merge(json_t *target, json_t *patch)
{
    const char *k;
    json_t *v;
    json_object_foreach(patch, k, v)
    {
        json_t *cur = json_object_get(target, k);
        if (json_is_null(v)) {
            json_object_del(target, k);
        } else if (json_is_object(v)) {
            if (!json_is_object(cur)) {
                cur = json_object();
                json_object_set_new(target, k, cur);
            }
            merge(cur, v);
        } else {
            json_object_set_new(target, k, json_deep_copy(v));
        }
    }
}

/* Read-only fields of the admin's view: a patch that names them is refused, not ignored. */
static const char *read_only(json_t *patch, const char *const *fields)
{
    for (; *fields; fields++)
        if (json_object_get(patch, *fields))
            return *fields;
    return NULL;
}

/* The record (done: HGETALL gathered) merged with the patch in r->arg becomes r->body, and
 * put runs on it as if it had been sent. */
static void patched(gx_gather *g, json_t *cur, void (*put)(gx_http_req *r))
{
    gx_http_req *r = g->r;
    merge(cur, r->arg);
    char *body = json_dumps(cur, JSON_COMPACT);
    json_decref(cur);
    if (!body) {
        gx_http_error(r, GX_EINTERNAL, "out of memory");
        return;
    }
    free(r->body);
    r->body = body;
    r->blen = r->bcap = strlen(body);
    put(r);
}

static void expert_read(gx_gather *g)
{
    json_t *flat = json_array_get(g->replies, 0);
    if (!json_array_size(flat)) {
        gx_http_error(g->r, GX_ENOTFOUND, "no expert '%s'", g->r->id);
        return;
    }
    json_t *cur = gx_http_admin_expert_json(g->r->id, flat);
    json_object_del(cur, "id");
    json_object_del(cur, "rating");
    patched(g, cur, gx_http_api_put_expert);
}

static void brand_read(gx_gather *g)
{
    json_t *flat = json_array_get(g->replies, 0);
    if (!json_array_size(flat)) {
        gx_http_error(g->r, GX_ENOTFOUND, "no brand '%s'", g->r->id);
        return;
    }
    json_t *cur = gx_http_admin_brand_json(gx_req_srv(g->r), g->r->id, flat);
    json_object_del(cur, "brand");
    json_object_del(cur, "widget_key");
    patched(g, cur, gx_http_api_put_brand);
}

static void patch(gx_http_req *r, const char *fmt, const char *const *ro, gx_gather_done done)
{
    json_t *p = gx_http_api_body(r); /* kept in r->arg until the record is read */
    const char *bad = p ? read_only(p, ro) : NULL;
    if (!p)
        return;
    r->rotate = false; /* keys rotate through PUT ?rotate=1 only */
    if (bad) {
        gx_http_error(r, GX_EBADREQ, "'%s' cannot be patched", bad);
        return;
    }
    gx_gather *g = gx_gather_new(r, done);
    if (!g)
        return;
    gx_gather_key(g, "HGETALL", fmt, r->id);
    gx_gather_finish(g);
}

void gx_http_patch_expert(gx_http_req *r)
{
    static const char *const ro[] = {"id", "rating", "live", NULL};
    patch(r, GX_KEY_EXPERT, ro, expert_read);
}

void gx_http_patch_brand(gx_http_req *r)
{
    static const char *const ro[] = {"brand", "widget_key", "api_key", "webhook_secret", NULL};
    patch(r, GX_KEY_BRAND, ro, brand_read);
}

void gx_http_patch_before(const redisReply *rep, bool *existed, bool *was_active)
{
    bool arr = rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2;
    const redisReply *active = arr ? rep->element[1] : NULL;
    *existed = arr && rep->element[0]->type == REDIS_REPLY_STRING;
    *was_active = !active || active->type != REDIS_REPLY_STRING || strcmp(active->str, "0") != 0;
}

void gx_http_patch_after_put(gx_http_req *r, json_t *out, bool existed, bool was_active)
{
    json_t *a = json_object_get(out, "active");
    bool now = a ? json_is_true(a) : !existed || was_active;
    json_object_set_new(out, "active", json_boolean(now));
    if (existed && now == was_active)
        return;
    if (!now) /* the sessions are closing (revoked); their chats go back at once */
        gx_absent_release_now(gx_req_srv(r), r->id);
    if (existed || !now)
        gx_audit(gx_req_srv(r), NULL, "admin", now ? "expert.reactivate" : "expert.deactivate",
                 r->id, NULL);
}
