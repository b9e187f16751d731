/* Session lifetime, the outgoing frame queue, task membership and chat catch-up.
 * It does not parse frames or decide what a request means (ws.c and the handlers do). */
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
#include "gigcx/handlers.h"
#include "gigcx/session.h"
#include "gigcx/util.h"

#define GX_QUEUE_MAX 4096 /* frames a socket may lag behind before it is closed */

gx_session *gx_session_ref(gx_session *s)
{
    s->refs++;
    return s;
}

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

void gx_session_unref(gx_session *s)
{
    if (!s)
        return;
    gx_assert(s->refs > 0);
    if (--s->refs > 0)
        return;
    /* Freed while listed, a session would be read again by the next event of a task or
     * brand: gx_session_join and gx_session_list_available refuse sessions not live. */
    gx_assert(s->njoins == 0 && !s->listed && s->state == GX_SS_CLOSED);
    while (s->qlen) {
        gx_buf_unref(s->q[s->qhead]);
        s->qhead = (s->qhead + 1) % s->qcap;
        s->qlen--;
    }
    free(s->q);
    free(s->rx);
    for (int i = 0; i < s->nearly; i++)
        gx_buf_unref(s->early[i]);
    free(s->early);
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

/* Frames queued while the loop runs its callbacks go out together when it is done with them
 * (gx_sessions_flush): a socket that gets several at once (a chat.ack and the sender's own
 * chat.message, offers in a burst) gets them in one write, one system call instead of one
 * each, and a socket that gets one is written at once without a writable request (which
 * would cost two epoll_ctl calls and a callback). */
void gx_session_send(gx_session *s, gx_buf *b)
{
    if (!gx_session_live(s) || !b)
        return;
    if (s->qlen == s->qcap) {
        if (s->qcap >= GX_QUEUE_MAX) {
            s->srv->m.slow_closed++;
            gx_session_close(s, 1013, "too far behind; reconnect and resume", false);
            return;
        }
        unsigned ncap = s->qcap ? s->qcap * 2 : 4;
        gx_buf **nq = malloc(sizeof(*nq) * ncap);
        if (!nq) {
            gx_session_close(s, 1011, "out of memory", false);
            return;
        }
        for (unsigned i = 0; i < s->qlen; i++)
            nq[i] = s->q[(s->qhead + i) % s->qcap];
        free(s->q);
        s->q = nq;
        s->qcap = ncap;
        s->qhead = 0;
    }
    s->q[(s->qhead + s->qlen) % s->qcap] = gx_buf_ref(b);
    s->qlen++;
    s->srv->m.frames_out++;
    if (!s->dirty && !gx_svec_push(&s->srv->dirty, s)) {
        s->dirty = true;
        gx_session_ref(s);
    } else if (!s->dirty) {
        lws_callback_on_writable(s->wsi);
    }
}

void gx_session_send_json(gx_session *s, json_t *j, const char *ref)
{
    if (!j) { /* a json_pack format bug: say so loudly rather than drop a reply silently */
        lwsl_err("gx_session_send_json: no message to send (encoding failed)\n");
        return;
    }
    if (!gx_session_live(s))
        return;
    if (ref)
        json_object_set_new(j, "ref", json_string(ref));
    gx_buf *b = gx_buf_json(j);
    if (ref)
        json_object_del(j, "ref");
    gx_session_send(s, b);
    gx_buf_unref(b);
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
        json_pack("{s:s, s:s, s:s}", "type", "error", "code", gx_strerror(err), "message", msg);
    gx_session_send_json(s, j, ref);
    json_decref(j);
}

void gx_session_close(gx_session *s, int code, const char *reason, bool flush)
{
    if (!gx_session_live(s))
        return;
    if (!s->close_code || !flush) {
        s->close_code = code;
        snprintf(s->close_reason, sizeof(s->close_reason), "%s", reason);
    }
    if (!flush)
        s->close_now = true;
    lws_callback_on_writable(s->wsi);
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
    gx_tlocal *t = gx_tlocal_get(s->srv, task, true);
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
    gx_tlocal *t = gx_tlocal_get(s->srv, task, false);
    if (t) {
        for (int i = 0; i < t->members.n; i++)
            if (t->members.v[i] == s) {
                gx_svec_del(&t->members, i);
                break;
            }
        gx_tlocal_gc(s->srv, t);
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
    gx_task_key(key, sizeof(key), c->task, "chat");
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
    gx_blocal *b = gx_blocal_get(s->srv, s->prof.brands[i], true);
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

/* Pings go out from the writable callback (lws takes control frames only there). */
static void ping(gx_session *s, int64_t now)
{
    s->ping_ms = now;
    s->ping_due = true;
    lws_callback_on_writable(s->wsi);
}

void gx_sessions_sweep(gx_server *srv)
{
    int64_t now = gx_now_ms(), hb = (int64_t)srv->cfg->heartbeat_s * 1000;
    for (gx_session *s = srv->all; s; s = s->next) {
        if (!gx_session_live(s) || s->close_code || s->close_sent)
            continue;
        if (s->state < GX_SS_READY && now - s->born_ms >= srv->cfg->hello_timeout_ms) {
            gx_session_close(s, 4408, "no hello in time", false);
        } else if (now - s->rx_ms > 3 * hb) { /* silent for three pings: the peer is gone */
            s->hung_up = true;
            lws_set_timeout(s->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
        } else if (now - s->rx_ms >= hb && now - s->ping_ms >= hb) {
            ping(s, now);
        }
    }
}
