/* The audit log (audit.h): entries pushed to a capped list per brand. */
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include <libwebsockets.h>
#include "gigcx/keys.h"
#include "gigcx/audit.h"
#include "gigcx/logrl.h"
#include "gigcx/util.h"

static void on_pushed(redisReply *r, void *priv)
{
    (void)priv;
    if (!r || r->type == REDIS_REPLY_ERROR)
        GX_LOG_LIMITED(LLL_WARN, "audit: an entry was not stored (%s)\n", r ? r->str : "no reply");
}

void gx_audit(gx_server *srv, const char *brand, const char *actor, const char *action,
              const char *target, const char *detail)
{
    json_t *e = json_pack("{s:I, s:s, s:s, s:s}", "ts", (json_int_t)gx_now_ms(), "actor", actor,
                          "action", action, "target", target ? target : "");
    if (e && detail)
        json_object_set_new(e, "detail", json_string(detail));
    char *s = e ? json_dumps(e, JSON_COMPACT) : NULL;
    json_decref(e);
    if (!s)
        return;
    const char *b = brand && brand[0] ? brand : "-";
    gx_redis_cmd(srv->redis, on_pushed, NULL, "LPUSH " GX_KEY_AUDIT " %s", b, s);
    gx_redis_cmd(srv->redis, NULL, NULL, "LTRIM " GX_KEY_AUDIT " 0 %d", b, GX_AUDIT_KEEP - 1);
    free(s);
}
