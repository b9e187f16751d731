/* Re-reading a task's status after a join (recheck.h). */
#include "gigcx/recheck.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/keys.h"
#include "gigcx/party.h"
#include "gigcx/redis.h"
#include "gigcx/reply.h"
#include "gigcx/supervise.h"

/* One re-read in flight; holds a reference to the session. */
typedef struct {
    gx_session *s;
    char task[65];
} gx_recheck;

static const char *fields[] = {"status", "assignee_name", GX_TASK_PEOPLE_FIELDS};
enum { F_STATUS, F_NAME, F_PEOPLE, F_N = F_PEOPLE + GX_TASK_PEOPLE_N };

static void note(gx_join *j, const char *status)
{
    snprintf(j->status, sizeof(j->status), "%s", status);
}

/* A status in which someone holds the task. */
static bool held(const char *status)
{
    return strcmp(status, "assigned") == 0 || strcmp(status, "escalated") == 0;
}

/* Whether s still holds the task the re-read r describes. */
static bool still_holds(const gx_session *s, const redisReply *r, const char *status)
{
    gx_task_people p = gx_reply_people(r, F_PEOPLE);
    return held(status) && gx_party_of(s->who.uid, &p) == GX_PARTY_ASSIGNEE;
}

/* task.update as a live one says it; the holder's name when someone holds it. */
static void tell(gx_session *s, gx_join *j, const char *status, const char *name)
{
    json_t *u =
        json_pack("{s:s, s:s, s:s}", "type", "task.update", "task", j->task, "status", status);
    if (name[0] && held(status))
        json_object_set_new(u, "expert", json_pack("{s:s}", "name", name));
    gx_session_send_json(s, u, NULL);
    json_decref(u);
    note(j, status);
    j->told = true;
}

static void on_status(redisReply *r, void *priv)
{
    gx_recheck *c = priv;
    gx_session *s = c->s;
    gx_join *j = gx_session_live(s) ? gx_session_find_join(s, c->task) : NULL;
    const char *status = j && r && r->type == REDIS_REPLY_ARRAY ? gx_reply_str(r, F_STATUS) : "";
    if (status[0] && strcmp(status, j->status) != 0) {
        tell(s, j, status, gx_reply_str(r, F_NAME));
        if (j->holds && !still_holds(s, r, status)) {
            gx_session_let_go(s, c->task);
            gx_supervise_stop(s, c->task);
        }
    }
    gx_session_unref(s);
    free(c);
}

void gx_recheck_join(gx_session *s, gx_join *j, const char *status)
{
    note(j, status);
    j->told = false;
    gx_session_catch_up(s, j);
    gx_recheck *c = calloc(1, sizeof(*c));
    if (!c)
        return;
    c->s = gx_session_ref(s);
    snprintf(c->task, sizeof(c->task), "%s", j->task);
    char key[96];
    gx_keys_task(key, sizeof(key), j->task, "task");
    const char *argv[2 + F_N] = {"HMGET", key};
    memcpy(argv + 2, fields, sizeof(fields));
    if (gx_redis_argv(s->srv->redis, on_status, c, 2 + F_N, argv, NULL)) {
        gx_session_unref(s); /* no re-read: the join stands as it was read */
        free(c);
    }
}

bool gx_recheck_fresh(gx_join *j, const char *status)
{
    bool copy = j->told && strcmp(status, j->status) == 0;
    j->told = false;
    note(j, status);
    return !copy;
}
