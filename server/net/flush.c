/* Writing the frames connections queued (gx_conn_send): at the end of each loop iteration
 * for every connection that got some, and from the writable callback (ws.c) when the kernel
 * took less than everything.
 *
 * A socket that got several frames in one iteration gets them in one write. With io_uring
 * (gigcx/sendq.h), the writes of all sockets in one iteration go to the kernel together,
 * in one system call per GX_STAGE_MAX sockets: a fan-out of 2,000 offers costs about half
 * the CPU it costs with a send() each. What the kernel refuses is handed to lws, which
 * keeps it and writes it when the socket drains, as it does for its own writes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/sendq.h"
#include "gigcx/conn.h"

#define GX_BATCH_MAX (64 * 1024) /* bytes of queued frames written in one go */
#define GX_STAGE_MAX 256         /* sockets written per system call */
#define GX_ARENA (4 * GX_BATCH_MAX)

/* One socket's write, handed to the kernel with the others at the end of the pass. */
typedef struct {
    gx_conn *s;             /* a reference */
    gx_buf *b;              /* a lone frame, sent from its own buffer; NULL: from the arena */
    const unsigned char *p; /* framed bytes */
    size_t len;
} gx_staged;

struct gx_flusher {
    gx_sendq *q;
    gx_staged st[GX_STAGE_MAX];
    unsigned n;
    unsigned char *arena; /* several frames of one socket, framed, for each staged write */
    size_t used;
};

int gx_flush_start(gx_net *net, bool batched, unsigned helpers)
{
    gx_flusher *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->q = batched ? gx_sendq_new(GX_STAGE_MAX, helpers) : NULL;
    f->arena = f->q ? malloc(GX_ARENA) : NULL;
    if (f->q && !f->arena) {
        gx_sendq_free(f->q);
        f->q = NULL;
    }
    net->flusher = f;
    return 0;
}

bool gx_flush_batched(const gx_net *net)
{
    return net->flusher && net->flusher->q;
}

void gx_flush_free(gx_net *net)
{
    gx_conn_vec_free(&net->dirty); /* empty by now: the last iterations flushed it */
    free(net->wbuf);
    free(net->peer_ip);
    net->peer_ip = NULL;
    net->peer_cap = 0;
    net->wbuf = NULL;
    gx_flusher *f = net->flusher;
    if (!f)
        return;
    gx_sendq_free(f->q);
    free(f->arena);
    free(f);
    net->flusher = NULL;
}

/* Makes the server's write buffer at least cap bytes; 0, or -1 when out of memory. */
static int wbuf_grow(gx_net *net, size_t cap)
{
    if (net->wcap >= cap)
        return 0;
    unsigned char *n = realloc(net->wbuf, cap);
    if (!n)
        return -1;
    net->wbuf = n;
    net->wcap = cap;
    return 0;
}

/* The size of a server frame's header for a payload of len: 7-, 16- or 64-bit length. */
static size_t head_len(size_t len)
{
    return len < 126 ? 2 : len < 65536 ? 4 : 10;
}

/* A server frame's header (FIN, text, unmasked) for a payload of len; returns its size. */
static size_t frame_head(unsigned char *h, size_t len)
{
    size_t n = head_len(len);
    h[0] = 0x81;
    h[1] = n == 2 ? (unsigned char)len : n == 4 ? 126 : 127;
    for (size_t i = 2; i < n; i++) /* the extended length, big-endian */
        h[i] = (unsigned char)(len >> (8 * (n - 1 - i)));
    return n;
}

static gx_buf *queue_pop(gx_conn *s)
{
    gx_buf *b = s->q[s->qhead];
    s->qhead = (s->qhead + 1) % s->qcap;
    s->qlen--;
    return b;
}

/* How many queued frames fit one batch of GX_BATCH_MAX bytes (at least one), and their
 * framed size. */
static unsigned batch_size(const gx_conn *s, size_t *total)
{
    unsigned k = 0;
    *total = 0;
    for (; k < s->qlen; k++) {
        size_t len = s->q[(s->qhead + k) % s->qcap]->len, add = len + head_len(len);
        if (k && *total + add > GX_BATCH_MAX)
            break;
        *total += add;
    }
    return k;
}

/* Pops k frames and writes them framed at p. */
static void frame_into(gx_conn *s, unsigned k, unsigned char *p)
{
    for (unsigned i = 0; i < k; i++) {
        gx_buf *b = queue_pop(s);
        p += frame_head(p, b->len);
        memcpy(p, b->data + GX_BUF_PRE, b->len);
        p += b->len;
        gx_buf_unref(b);
    }
}

int gx_flush_conn(gx_conn *s)
{
    size_t total;
    unsigned k = s->qlen ? batch_size(s, &total) : 0;
    if (k == 0)
        return 0;
    gx_net *net = s->net;
    if (k > 1 && wbuf_grow(net, LWS_PRE + total))
        k = 1;
    if (k == 1) { /* lws frames a lone frame in place, without a copy */
        gx_buf *b = queue_pop(s);
        int n = lws_write(s->wsi, b->data + GX_BUF_PRE, b->len, LWS_WRITE_TEXT);
        gx_buf_unref(b);
        return n < 0 ? -1 : 0;
    }
    frame_into(s, k, net->wbuf + LWS_PRE);
    /* already framed: lws writes the bytes as they are, keeping what the kernel refuses */
    return lws_write(s->wsi, net->wbuf + LWS_PRE, total, LWS_WRITE_RAW) < 0 ? -1 : 0;
}

static void kill_later(gx_conn *s)
{
    lws_set_timeout(s->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
}

/* Whether s may be written now, rather than left to the writable callback (which also
 * sends pings and close frames in their turn, and drains what lws keeps). */
static bool writable_now(gx_conn *s)
{
    return s->qlen && !s->close_code && !s->close_sent && !s->ping_due &&
           !lws_partial_buffered(s->wsi);
}

static void after_write(gx_conn *s)
{
    if (s->qlen || s->close_code)
        lws_callback_on_writable(s->wsi);
}

/* Writes what s has queued now when nothing stands in the way, through lws. */
static void flush_one(gx_conn *s)
{
    if (writable_now(s) && gx_flush_conn(s) < 0) {
        kill_later(s);
        return;
    }
    after_write(s);
}

/* What the kernel did with one staged write. Whatever it did not take goes to lws, which
 * keeps it until the socket drains; lws_partial_buffered then holds back later writes. */
static void on_sent(void *user, int res, void *arg)
{
    gx_staged *g = user;
    gx_conn *s = g->s;
    gx_net *net = arg;
    if (res == -EAGAIN)
        res = 0;
    if (res < 0) {
        kill_later(s); /* the peer is gone (EPIPE, ECONNRESET) */
    } else if ((size_t)res < g->len) {
        net->m->sends_short++;
        size_t rest = g->len - (size_t)res;
        if (wbuf_grow(net, LWS_PRE + rest) < 0) {
            kill_later(s);
        } else {
            memcpy(net->wbuf + LWS_PRE, g->p + res, rest);
            if (lws_write(s->wsi, net->wbuf + LWS_PRE, rest, LWS_WRITE_RAW) < 0)
                kill_later(s);
        }
    }
    if (res >= 0)
        after_write(s);
    gx_buf_unref(g->b);
    gx_conn_unref(s);
}

static void run_staged(gx_net *net)
{
    gx_flusher *f = net->flusher;
    if (!f->n)
        return;
    net->m->send_batches_shared += f->n >= GX_SENDQ_SHARE_MIN && gx_sendq_helpers(f->q);
    gx_sendq_run(f->q, on_sent, net);
    net->m->send_batches++;
    net->m->sends_batched += f->n;
    f->n = 0;
    f->used = 0;
}

/* Stages s's queued frames (up to GX_BATCH_MAX bytes) for the next run_staged. */
static void stage(gx_net *net, gx_conn *s)
{
    gx_flusher *f = net->flusher;
    size_t total;
    unsigned k = batch_size(s, &total);
    if (f->n == GX_STAGE_MAX || (k > 1 && f->used + total > GX_ARENA))
        run_staged(net);
    gx_staged *g = &f->st[f->n];
    if (k == 1) { /* sent from its own buffer: the header goes in its headroom */
        unsigned char h[10];
        g->b = queue_pop(s);
        size_t hl = frame_head(h, g->b->len);
        g->p = g->b->data + GX_BUF_PRE - hl;
        memcpy((unsigned char *)g->p, h, hl); /* the same bytes for every recipient */
        g->len = hl + g->b->len;
    } else {
        g->b = NULL;
        g->p = f->arena + f->used;
        g->len = total;
        frame_into(s, k, f->arena + f->used);
        f->used += total;
    }
    g->s = gx_conn_ref(s);
    gx_sendq_add(f->q, lws_get_socket_fd(s->wsi), g->p, g->len, g);
    f->n++;
}

void gx_flush_all(gx_net *net)
{
    bool batched = gx_flush_batched(net);
    while (net->dirty.n) {
        gx_cvec d = net->dirty; /* a write may queue more (never for these, but be sure) */
        net->dirty = (gx_cvec){0};
        for (int i = 0; i < d.n; i++) {
            gx_conn *s = d.v[i];
            s->dirty = false;
            if (!s->wsi)
                continue;
            if (batched && writable_now(s) && !lws_is_ssl(s->wsi))
                stage(net, s);
            else
                flush_one(s);
        }
        if (batched)
            run_staged(net); /* before the references below go */
        for (int i = 0; i < d.n; i++)
            gx_conn_unref(d.v[i]);
        gx_conn_vec_free(&d);
    }
}
