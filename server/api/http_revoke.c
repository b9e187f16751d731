/* Revoking tokens before they expire (revoke.h) over HTTP: POST /api/v1/tokens/revoke for a
 * user (the admin for anyone, a brand for its own customers and staff), and DELETE
 * /api/v1/experts/{id}, which removes the expert's profile and revokes its tokens. Each
 * answers only once Redis stored the revocation, and each is in the audit log. */
#include <stdio.h>
#include <string.h>
#include "gigcx/keys.h"
#include "gigcx/audit.h"
#include "gigcx/coverage.h"
#include "gigcx/error.h"
#include "gigcx/http_api.h"
#include "gigcx/jwt.h"
#include "gigcx/revoke.h"
#include "gigcx/util.h"

static void on_revoked(redisReply *rep, void *priv)
{
    gx_http_req *r = priv;
    if (!rep || rep->type == REDIS_REPLY_ERROR) {
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable; the tokens were not revoked");
    } else {
        json_t *a = r->arg;
        const char *sub = json_string_value(json_object_get(a, "sub"));
        const char *role = json_string_value(json_object_get(a, "role"));
        const char *brand = json_string_value(json_object_get(a, "brand"));
        gx_audit(gx_req_srv(r), brand, r->as_admin ? "admin" : "brand", "tokens.revoke", sub, role);
        json_t *out = json_pack("{s:s, s:s, s:I}", "sub", sub, "role", role, "revoked_at",
                                (json_int_t)(gx_now_ms() / 1000));
        if (brand) /* an expert belongs to no brand: no member, rather than null */
            json_object_set_new(out, "brand", json_string(brand));
        gx_http_reply_json(r, 200, out);
    }
    gx_http_unref(r);
}

void gx_http_revoke(gx_http_req *r)
{
    json_t *o = gx_http_api_body(r);
    if (!o)
        return;
    const char *sub, *brand;
    gx_role role;
    if (!gx_http_api_person(r, o, r->as_admin, &sub, &role, &brand))
        return;
    if (brand) /* what the reply and the audit entry name */
        json_object_set_new(o, "brand", json_string(brand));
    else
        json_object_del(o, "brand");
    char uid[GX_UID_MAX + 1];
    gx_jwt_uid_make(uid, role, brand, sub);
    if (gx_revoke_user(gx_req_srv(r), uid, false, on_revoked, gx_http_ref(r))) {
        gx_http_unref(r);
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable; the tokens were not revoked");
    }
}

static void on_expert_deleted(redisReply *rep, void *priv)
{
    gx_http_req *r = priv;
    if (!rep || rep->type != REDIS_REPLY_INTEGER) {
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable; the expert was not deleted");
    } else if (rep->integer == 0) {
        gx_http_error(r, GX_ENOTFOUND, "no expert '%s'", r->id);
    } else {
        gx_redis_cmd(gx_req_srv(r)->redis, NULL, NULL, "SREM " GX_KEY_EXPERTS " %s", r->id);
        gx_coverage_touch(gx_req_srv(r)); /* what only they covered is no longer covered */
        gx_audit(gx_req_srv(r), NULL, "admin", "expert.delete", r->id, NULL);
        gx_http_reply_json(r, 200, json_pack("{s:s, s:b}", "id", r->id, "deleted", 1));
    }
    gx_http_unref(r);
}

void gx_http_revoke_delete_expert(gx_http_req *r)
{
    /* Revoked first, on the same connection: by the time the profile is gone, every node
     * has been told to close the expert's sessions, and no hello of its tokens passes. */
    if (gx_revoke_user(gx_req_srv(r), r->id, true, NULL, NULL)) {
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable; the expert was not deleted");
        return;
    }
    /* the reference is the callback's: dropped here only when it will never be called */
    if (gx_redis_cmd(gx_req_srv(r)->redis, on_expert_deleted, gx_http_ref(r), "DEL " GX_KEY_EXPERT,
                     r->id)) {
        gx_http_unref(r);
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable; the expert was not deleted");
    }
}
