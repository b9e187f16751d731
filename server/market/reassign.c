/* task.reassign (supervise.h): a staff member of the brand sends a chat its expert holds
 * back to the queue for another expert. The script requeues it and records the expert as
 * having declined it; the expert's session lets go (the update's "*") and, told by the
 * update's reason, keeps it out of its offers (decline.h, gx_decline_reassigned). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/audit.h"
#include "gigcx/error.h"
#include "gigcx/keys.h"
#include "gigcx/offer.h"
#include "gigcx/request.h"
#include "gigcx/scripts.h"
#include "gigcx/supervise.h"
#include "gigcx/util.h"

static void on_reassigned(redisReply *r, void *priv)
{
    gx_req *q = priv;
    gx_session *s = q->s;
    if (gx_supervise_refused(q, r, "only a chat an expert holds can be reassigned"))
        return;
    gx_offer_publish(s->srv, q->task); /* back in the queue: offered again, in waves */
    gx_audit(s->srv, s->who.brand, s->who.uid, "task.reassign", q->task, gx_reply_str(r, 2));
    json_t *u = json_pack("{s:s, s:s, s:s, s:s}", "type", "task.update", "task", q->task, "status",
                          "queued", "reason", "reassigned");
    gx_session_send_json(s, u, gx_request_ref(q));
    json_decref(u);
    gx_request_free(q);
}

void gx_reassign_on_request(gx_session *s, json_t *msg, const char *ref)
{
    const char *task = gx_request_field_id(s, msg, "task", ref);
    gx_req *q = task ? gx_request_new(s, ref, task) : NULL;
    if (!q)
        return;
    json_t *u = json_pack("{s:s, s:s, s:s, s:s}", "type", "task.update", "task", task, "status",
                          "queued", "reason", "reassigned");
    char *update = gx_bus_update(task, s->origin, "*", u);
    json_decref(u);
    char key[96], now[24];
    gx_keys_task(key, sizeof(key), task, "task");
    snprintf(now, sizeof(now), "%lld", (long long)gx_now_ms());
    const char *argv[] = {key, s->who.brand, now, update ? update : "", task};
    int rc = update ? gx_redis_script_durable(s->srv->redis, GX_SCRIPT_REASSIGN, on_reassigned, q,
                                              1, 5, argv, NULL)
                    : GX_EINTERNAL;
    free(update);
    if (rc)
        gx_request_fail(q, rc);
}
