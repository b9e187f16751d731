/* The open-task cap of a customer: the user's task set (gx:u:<uid>:tasks) is read first; it
 * also keeps resolved tasks until they are rated, so only when it reaches the cap are the
 * statuses read to count the open ones. Two customer sockets opening at the same moment may
 * pass together: the cap is a bound on abuse, not an exact count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/keys.h"
#include "gigcx/error.h"
#include "gigcx/opencap.h"
#include "gigcx/request.h"
#include "gigcx/util.h"

#define GX_OPENCAP_READ_MAX 200 /* statuses read at most; past that the set counts as full */

typedef struct {
    gx_session *s; /* a reference */
    json_t *msg;   /* a reference */
    char ref[65];
    bool has_ref;
    gx_opencap_go go;
    size_t pending, open;
    bool failed;
} gx_opencap;

static void done(gx_opencap *c, int rc)
{
    gx_session *s = c->s;
    int max = s->srv->cfg->customer_open_max;
    const char *ref = c->has_ref ? c->ref : NULL;
    if (rc)
        gx_session_error(s, rc, ref, "storage unavailable; try again");
    else if (c->open >= (size_t)max)
        gx_session_error(s, GX_ECAPACITY, ref, "at most %d open tasks per customer", max);
    else if (gx_session_live(s))
        c->go(s, c->msg, ref);
    json_decref(c->msg);
    gx_session_unref(s);
    free(c);
}

static void on_status(redisReply *r, void *priv)
{
    gx_opencap *c = priv;
    const char *st = r && r->type == REDIS_REPLY_STRING ? r->str : "";
    if (!r)
        c->failed = true;
    else if (strcmp(st, "queued") == 0 || strcmp(st, "assigned") == 0 ||
             strcmp(st, "escalated") == 0)
        c->open++;
    if (--c->pending == 0)
        done(c, c->failed ? GX_EUNAVAIL : 0);
}

static void on_members(redisReply *r, void *priv)
{
    gx_opencap *c = priv;
    size_t max = (size_t)c->s->srv->cfg->customer_open_max;
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        done(c, GX_EUNAVAIL);
        return;
    }
    if (r->elements < max || r->elements > GX_OPENCAP_READ_MAX) {
        c->open = r->elements < max ? 0 : max;
        done(c, 0);
        return;
    }
    c->pending = 1; /* held until every read is sent */
    for (size_t i = 0; i < r->elements; i++) {
        const char *task = r->element[i]->str;
        if (!task || !gx_id_valid(task))
            continue;
        c->pending++;
        if (gx_redis_cmd(c->s->srv->redis, on_status, c, "HGET " GX_KEY_TASK " status", task)) {
            c->pending--;
            c->failed = true;
            break;
        }
    }
    if (--c->pending == 0)
        done(c, c->failed ? GX_EUNAVAIL : 0);
}

void gx_opencap_check(gx_session *s, json_t *msg, const char *ref, gx_opencap_go go)
{
    if (s->srv->cfg->customer_open_max <= 0) {
        go(s, msg, ref);
        return;
    }
    gx_opencap *c = calloc(1, sizeof(*c));
    if (!c) {
        gx_session_error(s, GX_EINTERNAL, ref, "out of memory");
        return;
    }
    *c = (gx_opencap){.s = gx_session_ref(s), .msg = json_incref(msg), .go = go};
    if (ref) {
        gx_str_copy(c->ref, ref, sizeof(c->ref));
        c->has_ref = true;
    }
    if (gx_redis_cmd(s->srv->redis, on_members, c, "SMEMBERS " GX_KEY_USER_TASKS, s->who.uid))
        done(c, GX_EUNAVAIL);
}
