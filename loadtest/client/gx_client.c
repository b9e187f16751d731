/* gxclient: WebSocket connections through the lws client API on a foreign libuv loop, and
 * what both framings share (queue, reassembly, teardown). It knows nothing of gigcx
 * messages: frames in, frames out, open and close. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libwebsockets.h>
#include "gigcx/wsframe.h"
#include "gxc_private.h"

#define GXC_SEND_QUEUE_MAX 65536

static void unlink_conn(gxc_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (c->ctx->all == c)
        c->ctx->all = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
}

void gxc__end_conn(gxc_conn *c, int code)
{
    if (c->ended)
        return;
    c->ended = true;
    c->open = false;
    if (c->wsi) /* the wsi may outlive c (context teardown): it must not point at it */
        lws_set_opaque_user_data(c->wsi, NULL);
    c->wsi = NULL;
    unlink_conn(c);
    if (c->cb.on_close)
        c->cb.on_close(c, code, c->user);
    for (gxc_frame *f; (f = gxc__dequeue(c));)
        free(f);
    free(c->hs);
    free(c->in);
    free(c->rx);
    free(c);
}

int gxc__append(char **buf, size_t *len, size_t *cap, const void *in, size_t n)
{
    if (!n)
        return 0;
    if (*len + n > *cap) {
        size_t ncap = *cap ? *cap * 2 : 4096;
        while (ncap < *len + n)
            ncap *= 2;
        char *b = realloc(*buf, ncap);
        if (!b)
            return -1;
        *buf = b;
        *cap = ncap;
    }
    memcpy(*buf + *len, in, n);
    *len += n;
    return 0;
}

static int on_receive(gxc_conn *c, struct lws *wsi, const char *in, size_t len)
{
    bool final = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
    if (final && c->rxlen == 0) {
        if (c->cb.on_text)
            c->cb.on_text(c, in, len, c->user);
        return 0;
    }
    if (gxc__append(&c->rx, &c->rxlen, &c->rxcap, in, len))
        return -1;
    if (final) {
        size_t n = c->rxlen;
        c->rxlen = 0;
        if (c->cb.on_text)
            c->cb.on_text(c, c->rx, n, c->user);
    }
    return 0;
}

static int on_writeable(gxc_conn *c, struct lws *wsi)
{
    if (c->closing) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    gxc_frame *f = gxc__dequeue(c);
    if (!f)
        return 0;
    int n =
        lws_write(wsi, f->data + LWS_PRE, f->len, f->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    free(f);
    if (n < 0)
        return -1;
    if (c->head)
        lws_callback_on_writable(wsi);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    gxc_conn *c = lws_get_opaque_user_data(wsi);
    (void)user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (!c)
            return -1;
        c->open = true;
        if (c->cb.on_open)
            c->cb.on_open(c, c->user);
        if (c->head)
            lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return c ? on_receive(c, wsi, in, len) : -1;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return c ? on_writeable(c, wsi) : -1;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (c && len >= 2)
            c->close_code = ((unsigned char *)in)[0] << 8 | ((unsigned char *)in)[1];
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (c)
            gxc__end_conn(c, -1);
        lws_set_opaque_user_data(wsi, NULL);
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c)
            gxc__end_conn(c, c->close_code ? c->close_code : 1006);
        lws_set_opaque_user_data(wsi, NULL);
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {.name = "gxclient", .callback = callback, .per_session_data_size = 0, .rx_buffer_size = 4096},
    {.name = "gxraw", .callback = gxc__raw_callback, .per_session_data_size = 0},
    {0}};

/* No lws validity pings (the server pings; lws answers them). Given per connection: lws
 * 4.1 takes an all-zero context policy for "unset" and arms a 5-minute validity timer on
 * every socket, re-armed on every frame received, in one sorted list that each re-arm
 * walks to its end: with 10,000 sockets, half the tester's CPU. */
static const lws_retry_bo_t no_validity = {0};

gxc_ctx *gxc_ctx_new(uv_loop_t *loop, bool own_framing)
{
    gxc_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return NULL;
    ctx->own_framing = own_framing;
    ctx->rng = (uint64_t)uv_hrtime() ^ (uint64_t)(uintptr_t)ctx ^ 0x9e3779b97f4a7c15ull;
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL); /* a client library keeps quiet */
    void *foreign[] = {loop};
    struct lws_context_creation_info info = {
        .port = CONTEXT_PORT_NO_LISTEN,
        .protocols = protocols,
        .options = LWS_SERVER_OPTION_LIBUV,
        .foreign_loops = foreign,
        .fd_limit_per_thread = 0,
        .timeout_secs = 10,
    };
    ctx->lws = lws_create_context(&info);
    if (!ctx->lws) {
        free(ctx);
        return NULL;
    }
    return ctx;
}

void gxc_ctx_free(gxc_ctx *ctx)
{
    if (!ctx)
        return;
    while (ctx->all)
        gxc__end_conn(ctx->all, -1);
    lws_context_destroy(ctx->lws); /* on a foreign loop this only starts closing handles */
}

void gxc_ctx_finalize(gxc_ctx *ctx)
{
    if (!ctx)
        return;
    lws_context_destroy(ctx->lws); /* the loop closed lws's handles: now it frees */
    free(ctx);
}

gxc_conn *gxc_connect(gxc_ctx *ctx, const gxc_target *t, const gxc_callbacks *cb, void *user)
{
    gxc_conn *c = calloc(1, sizeof(*c));
    if (!c || !ctx)
        return free(c), NULL;
    c->ctx = ctx;
    c->cb = *cb;
    c->user = user;
    c->next = ctx->all;
    if (ctx->all)
        ctx->all->prev = c;
    ctx->all = c;
    if (ctx->own_framing && gxc__raw_prepare(c, t)) {
        unlink_conn(c);
        return free(c), NULL;
    }
    struct lws_client_connect_info ci = {
        .retry_and_idle_policy = &no_validity,
        .context = ctx->lws,
        .address = t->host,
        .port = t->port,
        .path = t->path ? t->path : "/ws",
        .host = t->host,
        .origin = t->origin,
        .protocol = t->protocol,
        .local_protocol_name = ctx->own_framing ? "gxraw" : "gxclient",
        .method = ctx->own_framing ? "RAW" : NULL,
        .iface = t->source_ip,
        .opaque_user_data = c,
    };
    struct lws *wsi = lws_client_connect_via_info(&ci);
    if (!wsi) /* c was ended by the error callback, or is ended by gxc_ctx_free */
        return NULL;
    c->wsi = wsi;
    return c;
}

gxc_frame *gxc__frame_new(size_t len)
{
    gxc_frame *f = malloc(sizeof(*f) + LWS_PRE + len);
    if (f) {
        f->next = NULL;
        f->len = len;
        f->binary = false;
    }
    return f;
}

gxc_frame *gxc__dequeue(gxc_conn *c)
{
    gxc_frame *f = c->head;
    if (f) {
        c->head = f->next;
        if (!c->head)
            c->tail = NULL;
        c->queued--;
    }
    return f;
}

void gxc__queue(gxc_conn *c, gxc_frame *f)
{
    if (c->tail)
        c->tail->next = f;
    else
        c->head = f;
    c->tail = f;
    c->queued++;
    if (c->open)
        lws_callback_on_writable(c->wsi);
}

static int enqueue(gxc_conn *c, const void *data, size_t len, bool binary)
{
    if (!c || !c->wsi || c->closing || c->queued >= GXC_SEND_QUEUE_MAX)
        return -1;
    gxc_frame *f;
    if (c->ctx->own_framing) {
        f = gxc__raw_frame(c->ctx, binary ? GX_WS_BINARY : GX_WS_TEXT, data, len);
    } else if ((f = gxc__frame_new(len))) {
        f->binary = binary;
        memcpy(f->data + LWS_PRE, data, len);
    }
    if (!f)
        return -1;
    gxc__queue(c, f);
    return 0;
}

int gxc_send(gxc_conn *c, const char *text, size_t len)
{
    return enqueue(c, text, len, false);
}

int gxc_send_binary(gxc_conn *c, const void *data, size_t len)
{
    return enqueue(c, data, len, true);
}

void gxc_close(gxc_conn *c)
{
    if (!c || !c->wsi || c->closing)
        return;
    c->closing = true;
    lws_callback_on_writable(c->wsi);
}

void gxc_pause(gxc_conn *c, bool paused)
{
    if (c && c->wsi)
        lws_rx_flow_control(c->wsi, paused ? 0 : 1);
}

int gxc_close_all(gxc_ctx *ctx)
{
    int n = 0;
    for (gxc_conn *c = ctx ? ctx->all : NULL; c; c = c->next, n++)
        gxc_close(c);
    return n;
}

void gxc_drop(gxc_conn *c)
{
    if (!c || !c->wsi)
        return;
    int fd = (int)lws_get_socket_fd(c->wsi);
    struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* RST, like a cable pulled */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    /* lws reads the end of the stream and closes the wsi. No lws_set_timeout here: lws
     * keeps timeouts in one sorted list, so a storm dropping 10,000 sockets at once would
     * walk it 10,000 times (half the tester's CPU in reconnect-storm). */
    shutdown(fd, SHUT_RDWR);
}

bool gxc_is_open(const gxc_conn *c)
{
    return c && c->open;
}

void *gxc_user(const gxc_conn *c)
{
    return c->user;
}
