/* The process-local indexes: session vectors, task and brand entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/userlim.h"
#include "gigcx/claim.h"
#include "gigcx/server.h"
#include "gigcx/stats.h"
#include "gigcx/session.h"
#include "gigcx/waiting.h"
#include "gigcx/depth.h"

gx_tlocal *gx_server_task(gx_server *srv, const char *task, bool create)
{
    gx_tlocal *t = gx_map_get(&srv->tasks, task);
    if (t || !create)
        return t;
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    snprintf(t->id, sizeof(t->id), "%s", task);
    if (gx_map_set(&srv->tasks, task, t)) {
        free(t);
        return NULL;
    }
    return t;
}

void gx_server_task_gc(gx_server *srv, gx_tlocal *t)
{
    if (!t || t->members.n || t->holders.n || t->readers || t->claims)
        return;
    gx_map_del(&srv->tasks, t->id);
    gx_svec_free(&t->members);
    gx_svec_free(&t->holders);
    free(t);
}

gx_blocal *gx_server_brand(gx_server *srv, const char *brand, bool create)
{
    gx_blocal *b = gx_map_get(&srv->brands, brand);
    if (b || !create)
        return b;
    b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    snprintf(b->id, sizeof(b->id), "%s", brand);
    if (gx_map_set(&srv->brands, brand, b)) {
        free(b);
        return NULL;
    }
    return b;
}

static void free_task(const char *key, void *val, void *arg)
{
    gx_tlocal *t = val;
    (void)key;
    (void)arg;
    for (int i = 0; i < t->holders.n; i++)
        gx_session_unref(t->holders.v[i]);
    gx_claim_free_all(t);
    gx_svec_free(&t->holders);
    gx_svec_free(&t->members);
    free(t);
}

static void free_brand(const char *key, void *val, void *arg)
{
    gx_blocal *b = val;
    (void)key;
    (void)arg;
    gx_svec_free(&b->experts);
    gx_svec_free(&b->staff);
    gx_waiting_free_brand(b);
    free(b);
}

void gx_server_free_indexes(gx_server *srv)
{
    for (int i = 0; i < srv->pull_q.n; i++) /* closed by now: nothing to pull for */
        gx_session_unref(srv->pull_q.v[i]);
    gx_svec_free(&srv->pull_q);
    gx_map_each(&srv->tasks, free_task, NULL);
    gx_waiting_clear(srv);
    gx_depth_free(srv);
    gx_map_each(&srv->brands, free_brand, NULL);
    gx_map_free(&srv->tasks);
    gx_map_free(&srv->brands);
    gx_map_free(&srv->users);
    gx_userlim_free_all(&srv->limits);
    gx_tags_free(&srv->tags);
    json_decref(srv->dev_users);
    srv->dev_users = NULL;
}
