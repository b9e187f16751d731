/* A connection's transport half (conn.h): references, the outgoing queue, closing, frames
 * held back before hello, and the liveness sweep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/assert.h"
#include "gigcx/conn.h"
#include "gigcx/util.h"

#define GX_QUEUE_MAX 4096 /* frames a socket may lag behind before it is closed */

int gx_conn_vec_push(gx_cvec *v, gx_conn *c)
{
    if (v->n == v->cap) {
        int ncap = v->cap ? v->cap * 2 : 8;
        gx_conn **nv = realloc(v->v, sizeof(*nv) * (size_t)ncap);
        if (!nv)
            return -1;
        v->v = nv;
        v->cap = ncap;
    }
    v->v[v->n++] = c;
    return 0;
}

void gx_conn_vec_free(gx_cvec *v)
{
    free(v->v);
    *v = (gx_cvec){0};
}

void gx_conn_init(gx_conn *c, gx_net *net, struct lws *wsi)
{
    c->refs = 1;
    c->wsi = wsi;
    c->net = net;
    c->born_ms = c->rx_ms = c->ping_ms = gx_now_ms();
    c->next = net->all;
    if (net->all)
        net->all->prev = c;
    net->all = c;
}

gx_conn *gx_conn_ref(gx_conn *c)
{
    c->refs++;
    return c;
}

static void drop_early(gx_conn *c)
{
    for (int i = 0; i < c->nearly; i++)
        gx_buf_unref(c->early[i]);
    free(c->early);
    c->early = NULL;
    c->nearly = 0;
}

void gx_conn_unref(gx_conn *c)
{
    if (!c)
        return;
    gx_assert(c->refs > 0);
    if (--c->refs > 0)
        return;
    gx_assert(!c->wsi && !c->dirty); /* a socket still open holds the transport's reference */
    while (c->qlen) {
        gx_buf_unref(c->q[c->qhead]);
        c->qhead = (c->qhead + 1) % c->qcap;
        c->qlen--;
    }
    free(c->q);
    free(c->rx);
    drop_early(c);
    c->net->ops->conn_free(c);
}

/* Grows the ring to twice its size; -1 when out of memory. */
static int queue_grow(gx_conn *c)
{
    unsigned ncap = c->qcap ? c->qcap * 2 : 4;
    gx_buf **nq = malloc(sizeof(*nq) * ncap);
    if (!nq)
        return -1;
    for (unsigned i = 0; i < c->qlen; i++)
        nq[i] = c->q[(c->qhead + i) % c->qcap];
    free(c->q);
    c->q = nq;
    c->qcap = ncap;
    c->qhead = 0;
    return 0;
}

/* Frames queued while the loop runs its callbacks go out together when it is done with them
 * (gx_flush_all): a socket that gets several at once (a chat.ack and the sender's own
 * chat.message, offers in a burst) gets them in one write, one system call instead of one
 * each, and a socket that gets one is written at once without a writable request (which
 * would cost two epoll_ctl calls and a callback). */
void gx_conn_send(gx_conn *c, gx_buf *b)
{
    if (!gx_conn_live(c) || !b)
        return;
    if (c->qlen == c->qcap) {
        if (c->qcap >= GX_QUEUE_MAX) {
            c->net->m->slow_closed++;
            gx_conn_close(c, 1013, "too far behind; reconnect and resume", false);
            return;
        }
        if (queue_grow(c)) {
            gx_conn_close(c, 1011, "out of memory", false);
            return;
        }
    }
    c->q[(c->qhead + c->qlen) % c->qcap] = gx_buf_ref(b);
    c->qlen++;
    c->net->m->frames_out++;
    if (!c->dirty && !gx_conn_vec_push(&c->net->dirty, c)) {
        c->dirty = true;
        gx_conn_ref(c);
    } else if (!c->dirty) {
        lws_callback_on_writable(c->wsi);
    }
}

void gx_conn_send_json(gx_conn *c, json_t *j, const char *ref)
{
    if (!j) { /* a json_pack format bug: say so loudly rather than drop a reply silently */
        lwsl_err("gx_conn_send_json: no message to send (encoding failed)\n");
        return;
    }
    if (!gx_conn_live(c))
        return;
    if (ref)
        json_object_set_new(j, "ref", json_string(ref));
    gx_buf *b = gx_buf_json(j);
    if (ref)
        json_object_del(j, "ref");
    gx_conn_send(c, b);
    gx_buf_unref(b);
}

void gx_conn_close(gx_conn *c, int code, const char *reason, bool flush)
{
    if (!gx_conn_live(c))
        return;
    if (!c->close_code || !flush) {
        c->close_code = code;
        snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
    }
    if (!flush)
        c->close_now = true;
    lws_callback_on_writable(c->wsi);
}

int gx_conn_hold(gx_conn *c, const char *data, size_t len)
{
    gx_buf **n =
        c->nearly < GX_EARLY_MAX ? realloc(c->early, sizeof(*n) * (size_t)(c->nearly + 1)) : NULL;
    gx_buf *b = n ? gx_buf_new(data, len) : NULL;
    if (n)
        c->early = n;
    if (!b)
        return -1;
    c->early[c->nearly++] = b;
    return 0;
}

void gx_conn_replay(gx_conn *c)
{
    gx_buf **early = c->early;
    int n = c->nearly;
    c->early = NULL;
    c->nearly = 0;
    for (int i = 0; i < n; i++) {
        if (gx_conn_live(c))
            c->net->ops->ws_frame(c, gx_buf_text(early[i]), early[i]->len);
        gx_buf_unref(early[i]);
    }
    free(early);
}

/* Pings go out from the writable callback (lws takes control frames only there). */
static void ping(gx_conn *c, int64_t now)
{
    c->ping_ms = now;
    c->ping_due = true;
    lws_callback_on_writable(c->wsi);
}

void gx_conn_sweep(gx_net *net)
{
    int64_t now = gx_now_ms(), hb = (int64_t)net->cfg->heartbeat_s * 1000;
    for (gx_conn *c = net->all; c; c = c->next) {
        if (!gx_conn_live(c) || c->close_code || c->close_sent)
            continue;
        if (!c->greeted && now - c->born_ms >= net->hello_ms) {
            char why[48];
            snprintf(why, sizeof(why), "no hello within %g s", (double)net->hello_ms / 1000);
            gx_conn_close(c, 4408, why, false);
        } else if (now - c->rx_ms > 3 * hb) { /* silent for three pings: the peer is gone */
            c->hung_up = true;
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
        } else if (now - c->rx_ms >= hb && now - c->ping_ms >= hb) {
            ping(c, now);
        }
    }
}
