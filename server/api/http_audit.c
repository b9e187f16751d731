/* GET /api/v1/audit?limit=: the audit log (audit.h), newest first. A brand reads its own;
 * the admin reads its own list, or a brand's with ?brand=. */
#include <stdio.h>
#include <stdlib.h>
#include <libwebsockets.h>
#include "gigcx/keys.h"
#include "gigcx/audit.h"
#include "gigcx/error.h"
#include "gigcx/http_api.h"
#include "gigcx/util.h"

#define GX_AUDIT_PAGE 100

static void on_audit(redisReply *rep, void *priv)
{
    gx_http_req *r = priv;
    if (!rep || rep->type != REDIS_REPLY_ARRAY) {
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
    } else {
        json_t *entries = json_array();
        for (size_t i = 0; i < rep->elements; i++) {
            json_t *e = rep->element[i]->str ? json_loads(rep->element[i]->str, 0, NULL) : NULL;
            if (e)
                json_array_append_new(entries, e);
        }
        gx_http_reply_json(r, 200, json_pack("{s:o}", "entries", entries));
    }
    gx_http_unref(r);
}

void gx_http_audit_get(gx_http_req *r)
{
    char brand[80] = "";
    long n;
    if (r->as_admin)
        gx_http_query(r, "brand=", brand, sizeof(brand));
    const char *list = r->as_admin ? (brand[0] ? brand : "-") : r->brand;
    if (!gx_http_query_int(r, "limit=", 1, GX_AUDIT_KEEP, GX_AUDIT_PAGE, &n) ||
        (brand[0] && !gx_id_valid(brand))) {
        gx_http_error(r, GX_EBADREQ, "'limit' must be 1 to %d and 'brand' an id", GX_AUDIT_KEEP);
        return;
    }
    if (gx_redis_cmd(gx_req_srv(r)->redis, on_audit, gx_http_ref(r),
                     "LRANGE " GX_KEY_AUDIT " 0 %ld", list, n - 1)) {
        gx_http_unref(r);
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
    }
}
