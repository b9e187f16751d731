/* Session lifetime (the transport's open, closed and free hooks), errors, task membership and
 * chat catch-up. It does not parse frames or decide what a request means (the API layer's
 * ws_routes.c and the handlers do). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/assert.h"
#include "gigcx/chat.h"
#include "gigcx/privacy.h"
#include "gigcx/ranking.h"
#include "gigcx/error.h"
#include "gigcx/claim.h"
#include "gigcx/presence.h"
#include "gigcx/session.h"
#include "gigcx/userlim.h"
#include "gigcx/keys.h"
#include "gigcx/util.h"

static void join_clear_pending(gx_join *j)
{
    for (int i = 0; i < j->npending; i++)
        gx_buf_unref(j->pending[i]);
    free(j->pending);
    free(j->pending_ids);
    j->pending = NULL;
    j->pending_ids = NULL;
    j->npending = j->cappending = 0;
}

gx_conn *gx_session_open(gx_net *net, struct lws *wsi)
{
    gx_server *srv = net->app;
    gx_session *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    gx_conn_init(&s->c, net, wsi);
    s->srv = srv;
    s->serial = ++srv->serial;
    snprintf(s->origin, sizeof(s->origin), "%s/%llu", srv->cfg->node_id,
             (unsigned long long)s->serial);
    gx_bucket_init(&s->flood, 2.0 * srv->cfg->ws_rate, s->c.born_ms);
    srv->m.conns[0]++;
    return &s->c;
}

/* The socket is gone: unhook the session from every index; in-flight replies keep it. */
void gx_session_closed(gx_conn *c)
{
    gx_session *s = gx_session_of(c);
    gx_server *srv = s->srv;
    srv->m.conns[s->state >= GX_SS_AUTHING ? s->who.role : 0]--;
    gx_session_unlist_available(s);
    while (s->njoins)
        gx_session_leave(s, s->joins[0].task);
    if (s->user_flood)
        gx_userlim_detach(&srv->limits, s->who.uid);
    if (s->who.uid[0] && gx_map_get(&srv->users, s->who.uid) == s) {
        gx_presence_gone(s);
        gx_map_del(&srv->users, s->who.uid);
    }
    s->state = GX_SS_CLOSED;
}

void gx_session_free(gx_conn *c)
{
    gx_session *s = gx_session_of(c);
    /* Freed while listed, a session would be read again by the next event of a task or
     * brand: gx_session_join and gx_session_list_available refuse sessions not live. */
    gx_assert(s->njoins == 0 && !s->listed && s->state == GX_SS_CLOSED);
    for (int i = 0; i < s->njoins; i++)
        join_clear_pending(&s->joins[i]);
    free(s->joins);
    free(s->bpos);
    free(s->moved);
    free(s->offers);
    free(s->declined);
    gx_profile_free(&s->prof);
    free(s);
}

void gx_session_error(gx_session *s, int err, const char *ref, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (-err > 0 && -err < 10)
        s->srv->m.errors[-err]++;
    json_t *j =
        json_pack("{s:s, s:s, s:s}", "type", "error", "code", gx_error_code(err), "message", msg);
    gx_session_send_json(s, j, ref);
    json_decref(j);
}

gx_join *gx_session_find_join(gx_session *s, const char *task)
{
    for (int i = 0; i < s->njoins; i++)
        if (strcmp(s->joins[i].task, task) == 0)
            return &s->joins[i];
    return NULL;
}

gx_join *gx_session_join(gx_session *s, const char *task)
{
    /* The rule that keeps late replies harmless: a session whose socket is gone (or going)
     * is never listed anywhere again, since nothing would unlist it before it is freed. */
    if (!gx_session_live(s))
        return NULL;
    gx_join *j = gx_session_find_join(s, task);
    if (j)
        return j;
    if (s->njoins == s->capjoins) {
        int ncap = s->capjoins ? s->capjoins * 2 : 2;
        gx_join *nj = realloc(s->joins, sizeof(*nj) * (size_t)ncap);
        if (!nj)
            return NULL;
        s->joins = nj;
        s->capjoins = ncap;
    }
    gx_tlocal *t = gx_server_task(s->srv, task, true);
    if (!t || gx_svec_push(&t->members, s))
        return NULL;
    j = &s->joins[s->njoins++];
    memset(j, 0, sizeof(*j));
    snprintf(j->task, sizeof(j->task), "%s", task);
    return j;
}

void gx_session_leave(gx_session *s, const char *task)
{
    gx_join *j = gx_session_find_join(s, task);
    if (!j)
        return;
    gx_tlocal *t = gx_server_task(s->srv, task, false);
    if (t) {
        for (int i = 0; i < t->members.n; i++)
            if (t->members.v[i] == s) {
                gx_svec_del(&t->members, i);
                break;
            }
        gx_server_task_gc(s->srv, t);
    }
    join_clear_pending(j);
    *j = s->joins[--s->njoins];
}

static void pending_push(gx_join *j, gx_sid id, gx_buf *b)
{
    if (j->npending == j->cappending) {
        int ncap = j->cappending ? j->cappending * 2 : 8;
        gx_buf **np = realloc(j->pending, sizeof(*np) * (size_t)ncap);
        if (!np)
            return;
        j->pending = np;
        gx_sid *ni = realloc(j->pending_ids, sizeof(*ni) * (size_t)ncap);
        if (!ni)
            return;
        j->pending_ids = ni;
        j->cappending = ncap;
    }
    j->pending[j->npending] = gx_buf_ref(b);
    j->pending_ids[j->npending++] = id;
}

void gx_session_deliver_chat(gx_session *s, gx_join *j, gx_sid id, gx_buf *b)
{
    if (j->catching_up) {
        pending_push(j, id, b);
        return;
    }
    if (gx_sid_cmp(id, j->last) <= 0)
        return;
    j->last = id;
    s->srv->m.chat_delivered++;
    gx_session_send(s, b);
}

/* A stream read in flight for one session and task. */
typedef struct {
    gx_session *s; /* a reference */
    char task[65];
} gx_catchup;

static void catch_up_read(gx_catchup *c, gx_sid after);

static void on_catch_up(redisReply *r, void *priv)
{
    gx_catchup *c = priv;
    gx_session *s = c->s;
    gx_join *j = gx_session_find_join(s, c->task);
    if (!j || !gx_session_live(s))
        goto done;
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        gx_session_close(s, 1011, "history unavailable; reconnect and resume", true);
        goto done;
    }
    for (size_t i = 0; i < r->elements; i++) {
        gx_sid id;
        json_t *m = gx_chat_entry_json(c->task, r->element[i], &id);
        if (!m)
            continue;
        if (gx_sid_cmp(id, j->last) > 0) {
            if (gx_privacy_masked(s))
                gx_privacy_mask(m);
            gx_buf *b = gx_buf_json(m);
            j->last = id;
            gx_session_send(s, b);
            gx_buf_unref(b);
        }
        json_decref(m);
    }
    if (r->elements == GX_CATCHUP_BATCH) {
        catch_up_read(c, j->last); /* more to read: keep buffering live messages */
        return;
    }
    j->catching_up = false;
    for (int i = 0; i < j->npending; i++)
        gx_session_deliver_chat(s, j, j->pending_ids[i], j->pending[i]);
    join_clear_pending(j);
done:
    gx_session_unref(c->s);
    free(c);
}

static void catch_up_read(gx_catchup *c, gx_sid after)
{
    char key[96], start[48], count[16];
    gx_keys_task(key, sizeof(key), c->task, "chat");
    char idbuf[42];
    gx_sid_format(after, idbuf, sizeof(idbuf));
    snprintf(start, sizeof(start), "(%s", idbuf);
    snprintf(count, sizeof(count), "%d", GX_CATCHUP_BATCH);
    const char *argv[] = {"XRANGE", key, start, "+", "COUNT", count};
    if (gx_redis_argv(c->s->srv->redis, on_catch_up, c, 6, argv, NULL)) {
        gx_session_close(c->s, 1011, "history unavailable; reconnect and resume", true);
        gx_session_unref(c->s);
        free(c);
    }
}

void gx_session_catch_up(gx_session *s, gx_join *j)
{
    if (j->catching_up)
        return; /* the read in flight will pick up everything */
    gx_catchup *c = calloc(1, sizeof(*c));
    if (!c)
        return;
    c->s = gx_session_ref(s);
    snprintf(c->task, sizeof(c->task), "%s", j->task);
    j->catching_up = true;
    catch_up_read(c, j->last);
}

static int list_for(gx_session *s, int i, gx_svec **vec)
{
    gx_blocal *b = gx_server_brand(s->srv, s->prof.brands[i], true);
    if (!b)
        return -1;
    *vec = s->who.role == GX_ROLE_STAFF ? &b->staff : &b->experts;
    return 0;
}

void gx_session_list_available(gx_session *s)
{
    if (!gx_session_live(s))
        return; /* see gx_session_join */
    if (!s->bpos) {
        s->bpos = malloc(sizeof(int) * (size_t)(s->prof.nbrands ? s->prof.nbrands : 1));
        if (!s->bpos)
            return;
        for (int i = 0; i < s->prof.nbrands; i++)
            s->bpos[i] = -1;
    }
    for (int i = 0; i < s->prof.nbrands; i++) {
        gx_svec *v;
        if (s->bpos[i] >= 0 || list_for(s, i, &v) || gx_svec_push(v, s))
            continue;
        s->bpos[i] = v->n - 1;
    }
    s->listed = true;
    gx_ranking_sync(s);
}

/* Finds which of s's brand slots holds position pos in vector v (after a swap-remove). */
static void fix_moved(gx_session *m, gx_svec *v, int oldpos, int newpos)
{
    for (int k = 0; k < m->prof.nbrands; k++) {
        gx_svec *mv;
        if (m->bpos[k] == oldpos && !list_for(m, k, &mv) && mv == v) {
            m->bpos[k] = newpos;
            return;
        }
    }
}

void gx_session_unlist_available(gx_session *s)
{
    s->listed = false;
    gx_ranking_take(s);
    if (!s->bpos)
        return;
    for (int i = 0; i < s->prof.nbrands; i++) {
        gx_svec *v;
        int pos = s->bpos[i];
        if (pos < 0 || list_for(s, i, &v))
            continue;
        int last = v->n - 1;
        gx_svec_del(v, pos);
        if (pos != last)
            fix_moved(v->v[pos], v, last, pos);
        s->bpos[i] = -1;
    }
}

void gx_session_let_go(gx_session *s, const char *task)
{
    gx_join *j = gx_session_find_join(s, task);
    if (!j || !j->holds)
        return;
    j->holds = false;
    if (s->held > 0)
        s->held--;
    gx_session_leave(s, task);
    gx_presence_refresh(s);
}
