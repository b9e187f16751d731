/* Events from the subscribed channels, delivered to the local sessions that care: chat
 * messages (in id order, deduplicated per session), typing, status updates, offers and
 * session takeovers. Payloads carry a short tab-separated header so most events are
 * routed without parsing their JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/claim.h"
#include "gigcx/decline.h"
#include "gigcx/hello.h"
#include "gigcx/offer.h"
#include "gigcx/revoke.h"
#include "gigcx/privacy.h"
#include "gigcx/recheck.h"
#include "gigcx/session.h"
#include "gigcx/supervise.h"

static void on_chat(gx_server *srv, const gx_bus_msg *m)
{
    char *const *f = m->f;
    const char *body = m->body;
    gx_sid id;
    gx_tlocal *t = m->n == 3 ? gx_server_task(srv, f[1], false) : NULL;
    if (!t || !t->members.n || gx_sid_parse(f[2], &id))
        return;
    gx_buf *b = gx_buf_new(body, m->blen), *masked = NULL;
    bool tried = false;
    for (int i = 0; b && i < t->members.n; i++) {
        gx_session *s = t->members.v[i];
        gx_join *j = gx_session_find_join(s, t->id);
        if (j)
            gx_session_deliver_chat(s, j, id, gx_privacy_frame(s, b, &masked, &tried));
    }
    gx_buf_unref(masked);
    gx_buf_unref(b);
}

static void on_typing(gx_server *srv, const gx_bus_msg *m)
{
    char *const *f = m->f;
    const char *body = m->body;
    gx_tlocal *t = m->n == 3 ? gx_server_task(srv, f[1], false) : NULL;
    if (!t || !t->members.n)
        return;
    gx_buf *b = gx_buf_new(body, m->blen), *masked = NULL;
    bool tried = false;
    for (int i = 0; b && i < t->members.n; i++) {
        gx_session *s = t->members.v[i];
        if (strcmp(s->who.uid, f[2]) != 0)
            gx_session_send(s, gx_privacy_frame(s, b, &masked, &tried));
    }
    gx_buf_unref(masked);
    gx_buf_unref(b);
}

/* The status a task.update's body says ("" if none): bodies are compact JSON. */
static void status_of(const char *body, char *out, size_t cap)
{
    const char *p = strstr(body, "\"status\":\"");
    size_t n = 0;
    if (p)
        for (p += 10; p[n] && p[n] != '"' && n + 1 < cap; n++)
            out[n] = p[n];
    out[n] = 0;
}

static void on_update(gx_server *srv, const gx_bus_msg *m)
{
    char *const *f = m->f;
    const char *body = m->body;
    gx_tlocal *t = m->n == 4 ? gx_server_task(srv, f[1], false) : NULL;
    if (!t || !t->members.n)
        return;
    char status[12];
    status_of(body, status, sizeof(status));
    t->queued = strcmp(status, "queued") == 0;
    gx_buf *b = gx_buf_new(body, m->blen);
    char task[65];
    snprintf(task, sizeof(task), "%s", t->id);
    bool freed = strcmp(f[3], "*") == 0;
    const char *keep = f[3][0] == '~' ? f[3] + 1 : NULL; /* a take-over: all but the new one */
    /* Collect first: letting go changes the member list we iterate. */
    gx_svec todo = {0};
    for (int i = 0; i < t->members.n; i++) {
        gx_session *s = t->members.v[i];
        gx_join *j = gx_session_find_join(s, task);
        bool fresh = !j || gx_recheck_fresh(j, status); /* not a copy of a re-read's */
        if (fresh && strcmp(s->origin, f[2]) != 0)
            gx_session_send(s, b);
        if ((freed || (keep && strcmp(s->who.uid, keep) != 0)) && s->who.role != GX_ROLE_CUSTOMER)
            gx_svec_push(&todo, s);
    }
    bool reassigned = freed && strstr(body, "\"reason\":\"reassigned\"") != NULL;
    for (int i = 0; i < todo.n; i++) {
        gx_join *j = gx_session_find_join(todo.v[i], task);
        if (reassigned && j && j->holds) /* staff sent it to another expert */
            gx_decline_reassigned(todo.v[i], task);
        gx_session_let_go(todo.v[i], task);
        if (freed) /* the chat is no longer live: its watchers stop too */
            gx_supervise_stop(todo.v[i], task);
    }
    gx_svec_free(&todo);
    gx_buf_unref(b);
}

void gx_events_on_message(const char *channel, const char *payload, size_t len, void *priv)
{
    gx_server *srv = priv;
    srv->m.bus_in++;
    if (strcmp(channel, GX_CH_OFFER) == 0) {
        gx_offer_on_event(srv, payload, len);
        return;
    }
    gx_bus_msg m;
    if (gx_bus_parse(payload, len, &m))
        return;
    switch (m.kind) {
    case 'S': /* a session number: older sessions of the user close */
        if (m.n == 3)
            gx_hello_on_session_event(srv, m.f[1], atoll(m.f[2]));
        break;
    case 'R': /* the user's tokens are revoked up to a time; a 4th field says why */
        if (m.n == 3 || m.n == 4)
            gx_revoke_on_event(srv, m.f[1], atoll(m.f[2]), m.n == 4 ? m.f[3] : NULL);
        break;
    case 'M':
        on_chat(srv, &m);
        break;
    case 'Y':
        on_typing(srv, &m);
        break;
    case 'U':
        on_update(srv, &m);
        break;
    case 'N': /* a whisper: staff and experts only */
        gx_supervise_on_note_event(srv, &m);
        break;
    }
}

void gx_events_on_resubscribed(void *priv)
{
    gx_server *srv = priv;
    /* Live events may have been missed while the subscriber was away: read chat back, and
     * offer the waiting backlog again (offers are idempotent per task for clients). */
    for (gx_session *s = gx_session_first(srv); s; s = gx_session_next(s)) {
        for (int i = 0; i < s->njoins; i++)
            gx_session_catch_up(s, &s->joins[i]);
        if (s->available && s->who.role == GX_ROLE_STAFF)
            gx_backlog_staff(s);
    }
    gx_pull_reseed(srv); /* experts: the copies of the queues are read again, then pulled */
}
