/* Experts who went silent: a connected expert's node refreshes its presence score every
 * heartbeat; when the score is older than the grace period (the socket is gone, or its
 * node died), any node puts the expert's held tasks back in the queue, history kept, and
 * forgets the presence. The release notes each task for the expert's next welcome
 * (taken_back, reason "disconnected", or "deactivated" for gx_absent_release_now). Two nodes
 * sweeping at once is harmless: the release script lets only the assignee's task go, once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/absent.h"
#include "gigcx/error.h"
#include "gigcx/keys.h"
#include "gigcx/tasks.h"
#include "gigcx/party.h"
#include "gigcx/ranking.h"
#include "gigcx/request.h"
#include "gigcx/session.h"
#include "gigcx/util.h"

#define GX_ABSENT_BATCH 100

typedef struct {
    gx_server *srv;
    char user[GX_UID_MAX + 1];
    char task[65];   /* for the per-task step */
    const char *why; /* for the user's next welcome: "disconnected" or "deactivated" (static) */
} gx_absent;

/* The task's holder: released, as its role, while it is still the silent user. */
static void on_holder(redisReply *r, void *priv)
{
    gx_absent *a = priv;
    gx_task_people p = {.brand = gx_reply_str(r, 0),
                        .assignee = gx_reply_str(r, 1),
                        .assignee_role = gx_reply_str(r, 2)};
    if (r && gx_party_of(a->user, &p) == GX_PARTY_ASSIGNEE)
        gx_tasks_release_for(a->srv, a->task, a->user, gx_jwt_role_parse(p.assignee_role), a->why);
    free(a);
}

static void on_tasks(redisReply *r, void *priv)
{
    gx_absent *a = priv;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const char *task = r->element[i]->str;
        gx_absent *each = gx_id_valid(task) ? malloc(sizeof(*each)) : NULL;
        if (!each)
            continue;
        *each = *a;
        snprintf(each->task, sizeof(each->task), "%s", task);
        if (gx_redis_cmd(a->srv->redis, on_holder, each,
                         "HMGET " GX_KEY_TASK " brand assignee assignee_role", task))
            free(each);
    }
    gx_redis_cmd(a->srv->redis, NULL, NULL, "ZREM " GX_KEY_PRESENCE " %s", a->user);
    gx_redis_cmd(a->srv->redis, NULL, NULL, "DEL " GX_KEY_PRES, a->user);
    if (gx_id_valid(a->user)) /* an expert: its node died with it in the rankings */
        gx_ranking_forget(a->srv, a->user);
    free(a);
}

static void on_stale(redisReply *r, void *priv)
{
    gx_server *srv = priv;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const char *user = r->element[i]->str;
        if (!gx_jwt_uid_valid(user) || gx_map_get(&srv->users, user))
            continue; /* connected here: its score is merely late */
        gx_absent *a = calloc(1, sizeof(*a));
        if (!a)
            continue;
        a->srv = srv;
        a->why = "disconnected";
        snprintf(a->user, sizeof(a->user), "%s", user);
        if (gx_redis_cmd(srv->redis, on_tasks, a, "SMEMBERS " GX_KEY_USER_TASKS, user))
            free(a);
    }
}

void gx_absent_sweep(gx_server *srv)
{
    /* never shorter than two heartbeats: connected experts' scores are that old at worst */
    long long grace = srv->cfg->expert_grace_s, beats = 2LL * srv->cfg->heartbeat_s + 1;
    long long stale = (long long)gx_now_ms() - (grace > beats ? grace : beats) * 1000;
    gx_redis_cmd(srv->redis, on_stale, srv,
                 "ZRANGEBYSCORE " GX_KEY_PRESENCE " -inf %lld LIMIT 0 %d", stale, GX_ABSENT_BATCH);
}

int gx_absent_release_now(gx_server *srv, const char *user)
{
    gx_absent *a = calloc(1, sizeof(*a));
    if (!a)
        return GX_EINTERNAL;
    a->srv = srv;
    a->why = "deactivated";
    snprintf(a->user, sizeof(a->user), "%s", user);
    int rc = gx_redis_cmd(srv->redis, on_tasks, a, "SMEMBERS " GX_KEY_USER_TASKS, user);
    if (rc)
        free(a);
    return rc;
}

void gx_absent_touch(gx_session *s)
{
    if (s->who.role == GX_ROLE_CUSTOMER)
        return;
    gx_redis_cmd(s->srv->redis, NULL, NULL, "ZADD " GX_KEY_PRESENCE " %lld %s",
                 (long long)gx_now_ms(), s->who.uid);
}
