/* Events from the subscribed channels, delivered to the local sessions that care: chat
 * messages (in id order, deduplicated per session), typing, status updates, offers and
 * session takeovers. Payloads carry a short tab-separated header so most events are
 * routed without parsing their JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/handlers.h"
#include "gigcx/offer.h"
#include "gigcx/revoke.h"
#include "gigcx/privacy.h"
#include "gigcx/session.h"

/* Splits the header line into at most max tab-separated fields of buf; returns the body. */
static const char *header(const char *p, size_t len, char *buf, size_t cap, char **f, int max,
                          int *n, size_t *blen)
{
    const char *nl = memchr(p, '\n', len);
    if (!nl || (size_t)(nl - p) >= cap)
        return NULL;
    size_t hl = (size_t)(nl - p);
    memcpy(buf, p, hl);
    buf[hl] = '\0';
    *n = 0;
    for (char *tok = buf; tok && *n < max;) {
        f[(*n)++] = tok;
        tok = strchr(tok, '\t');
        if (tok)
            *tok++ = '\0';
    }
    *blen = len - hl - 1;
    return nl + 1;
}

static void on_chat(gx_server *srv, char **f, int nf, const char *body, size_t blen)
{
    gx_sid id;
    gx_tlocal *t = nf == 3 ? gx_server_task(srv, f[1], false) : NULL;
    if (!t || !t->members.n || gx_sid_parse(f[2], &id))
        return;
    gx_buf *b = gx_buf_new(body, blen), *masked = NULL;
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

static void on_typing(gx_server *srv, char **f, int nf, const char *body, size_t blen)
{
    gx_tlocal *t = nf == 3 ? gx_server_task(srv, f[1], false) : NULL;
    if (!t || !t->members.n)
        return;
    gx_buf *b = gx_buf_new(body, blen), *masked = NULL;
    bool tried = false;
    for (int i = 0; b && i < t->members.n; i++) {
        gx_session *s = t->members.v[i];
        if (strcmp(s->who.uid, f[2]) != 0)
            gx_session_send(s, gx_privacy_frame(s, b, &masked, &tried));
    }
    gx_buf_unref(masked);
    gx_buf_unref(b);
}

static void on_update(gx_server *srv, char **f, int nf, const char *body, size_t blen)
{
    gx_tlocal *t = nf == 4 ? gx_server_task(srv, f[1], false) : NULL;
    if (!t || !t->members.n)
        return;
    t->queued = strstr(body, "\"status\":\"queued\"") != NULL;
    gx_buf *b = gx_buf_new(body, blen);
    char task[65];
    snprintf(task, sizeof(task), "%s", t->id);
    bool freed = strcmp(f[3], "*") == 0;
    /* Collect first: letting go changes the member list we iterate. */
    gx_svec todo = {0};
    for (int i = 0; i < t->members.n; i++) {
        gx_session *s = t->members.v[i];
        if (strcmp(s->origin, f[2]) != 0)
            gx_session_send(s, b);
        if (freed && s->who.role != GX_ROLE_CUSTOMER)
            gx_svec_push(&todo, s);
    }
    for (int i = 0; i < todo.n; i++)
        gx_session_let_go(todo.v[i], task);
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
    char buf[512], *f[6];
    int nf;
    size_t blen;
    const char *body = header(payload, len, buf, sizeof(buf), f, 6, &nf, &blen);
    if (strcmp(channel, GX_CH_SESS) == 0) {
        /* "S\t<user>\t<n>" (a session number) and "R\t<user>\t<s>" (tokens revoked up
         * to s) have no body line */
        char line[160];
        if (len >= sizeof(line))
            return;
        memcpy(line, payload, len);
        line[len] = '\0';
        char *user = strchr(line, '\t'), *n = user ? strchr(user + 1, '\t') : NULL;
        if (!n)
            return;
        *n++ = '\0';
        if (line[0] == 'R')
            gx_revoke_on_event(srv, user + 1, atoll(n));
        else
            gx_hello_on_session_event(srv, user + 1, atoll(n));
        return;
    }
    if (!body || nf < 1)
        return;
    switch (f[0][0]) {
    case 'M':
        on_chat(srv, f, nf, body, blen);
        break;
    case 'Y':
        on_typing(srv, f, nf, body, blen);
        break;
    case 'U':
        on_update(srv, f, nf, body, blen);
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
