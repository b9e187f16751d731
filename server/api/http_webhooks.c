/* GET /api/v1/webhooks/deliveries: a brand's latest webhook attempts, newest first, as the
 * delivery module logged them (webhook.c keeps the last GX_HOOK_LOG_MAX per brand). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/error.h"
#include "gigcx/http_api.h"
#include "gigcx/util.h"
#include "gigcx/webhook.h"

#define GX_DELIVERIES_DEFAULT 50

static bool arg(gx_http_req *r, const char *name, char *out, size_t cap)
{
    char buf[96];
    const char *v = r->wsi ? lws_get_urlarg_by_name(r->wsi, name, buf, sizeof(buf)) : NULL;
    if (!v || strlen(v) >= cap)
        return false;
    snprintf(out, cap, "%s", v);
    return true;
}

static void on_log(redisReply *rep, void *priv)
{
    gx_http_req *r = priv;
    if (!rep || rep->type != REDIS_REPLY_ARRAY) {
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
        gx_http_unref(r);
        return;
    }
    json_t *rows = json_array();
    for (size_t i = 0; i < rep->elements; i++) {
        const redisReply *e = rep->element[i];
        json_t *row = e->type == REDIS_REPLY_STRING ? json_loadb(e->str, e->len, 0, NULL) : NULL;
        if (json_is_object(row))
            json_array_append(rows, row);
        json_decref(row);
    }
    gx_http_reply_json(r, 200, json_pack("{s:s, s:o}", "brand", r->brand, "deliveries", rows));
    gx_http_unref(r);
}

void gx_http_webhooks_get(gx_http_req *r)
{
    char brand[65], limit_s[8];
    if (r->as_admin) { /* the admin names the brand */
        if (!arg(r, "brand=", brand, sizeof(brand)) || !gx_id_valid(brand)) {
            gx_http_error(r, GX_EBADREQ, "'brand' is required with the admin key");
            return;
        }
        snprintf(r->brand, sizeof(r->brand), "%s", brand);
    }
    char *end = NULL;
    long limit = arg(r, "limit=", limit_s, sizeof(limit_s)) ? strtol(limit_s, &end, 10)
                                                            : GX_DELIVERIES_DEFAULT;
    if ((end && (*end || end == limit_s)) || limit < 1 || limit > GX_HOOK_LOG_MAX) {
        gx_http_error(r, GX_EBADREQ, "'limit' must be 1..%d", GX_HOOK_LOG_MAX);
        return;
    }
    if (gx_redis_cmd(gx_req_srv(r)->redis, on_log, gx_http_ref(r), "LRANGE " GX_HOOK_LOG "%s 0 %ld",
                     r->brand, limit - 1)) {
        gx_http_unref(r);
        gx_http_error(r, GX_EUNAVAIL, "storage unavailable");
    }
}
