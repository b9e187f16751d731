/* The listening socket (see listener.h). */
#include "gigcx/listener.h"
#include "gigcx/accept_errno.h"
#include "gigcx/net.h"
#include "gigcx/proxyproto.h"
#include "gigcx/xff.h"
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <libwebsockets.h>

#define GX_ACCEPT_BATCH 64     /* accepts per readable event: others get their turn */
#define GX_ACCEPT_PAUSE_MS 100 /* out of descriptors: look again this much later */
#define GX_PROXY_WAIT_MS 5000  /* a PROXY header not whole this long after accept: closed */

/* A socket whose PROXY header is still coming (--proxy-protocol). */
typedef struct gx_pending {
    uv_poll_t poll;
    uv_timer_t timer;
    struct gx_pending *next, *prev;
    struct gx_listener *l;
    int fd, handles;
    size_t len;
    unsigned char buf[GX_PROXYPROTO_MAX];
} gx_pending;

struct gx_listener {
    uv_poll_t poll;
    uv_timer_t pause;
    int fd, port, handles;
    struct lws_vhost *vh;
    bool closing;
    uint64_t *stalls_out;   /* borrowed: where /metrics counts the pauses */
    uint64_t *errors_out;   /* borrowed: GX_ACCEPT_ERRNO_SLOTS counts of failed accepts */
    uint64_t stalls;        /* times accepting paused for want of descriptors */
    uint64_t stalls_logged; /* as of the last log line */
    int64_t logged_ms;
    gx_net *proxied;     /* borrowed: PROXY headers first, their clients noted here */
    gx_pending *pending; /* sockets whose header is still coming */
};

static int64_t mono_ms(void)
{
    return (int64_t)(uv_hrtime() / 1000000u);
}

static void on_readable(uv_poll_t *h, int status, int events);

static void on_resume(uv_timer_t *t)
{
    gx_listener *l = t->data;
    if (!l->closing)
        uv_poll_start(&l->poll, UV_READABLE, on_readable);
}

/* Out of descriptors: the waiting connections stay in the kernel's queue, and accepting
 * stops for a moment instead of failing again at once, said once a second at most. */
static void stall(gx_listener *l)
{
    l->stalls++;
    if (l->stalls_out)
        (*l->stalls_out)++;
    uv_poll_stop(&l->poll);
    uv_timer_start(&l->pause, on_resume, GX_ACCEPT_PAUSE_MS, 0);
    if (mono_ms() - l->logged_ms >= 1000) {
        lwsl_warn("out of descriptors: accepting paused %llu times since the last report\n",
                  (unsigned long long)(l->stalls - l->stalls_logged));
        l->stalls_logged = l->stalls;
        l->logged_ms = mono_ms();
    }
}

static void on_pending_closed(uv_handle_t *h)
{
    gx_pending *p = h->data;
    if (--p->handles == 0)
        free(p);
}

/* The header is whole and read (ok), the rest still in the kernel for lws; or it will never
 * be, and the socket is closed. */
static void pending_end(gx_pending *p, bool ok)
{
    gx_listener *l = p->l;
    uv_poll_stop(&p->poll); /* off epoll before lws watches the same socket */
    if (p->prev)
        p->prev->next = p->next;
    else
        l->pending = p->next;
    if (p->next)
        p->next->prev = p->prev;
    if (!ok || !l->vh || l->closing)
        close(p->fd);
    else /* not lws_adopt_socket_vhost_readbuf: lws 4.1 fails a request it is handed so */
        lws_adopt_socket_vhost(l->vh, p->fd); /* on failure lws closes fd */
    uv_close((uv_handle_t *)&p->poll, on_pending_closed);
    uv_close((uv_handle_t *)&p->timer, on_pending_closed);
}

static void on_pending_timeout(uv_timer_t *t)
{
    pending_end(t->data, false);
}

static void on_pending_readable(uv_poll_t *h, int status, int events)
{
    gx_pending *p = h->data;
    (void)events;
    /* looked at, not taken: only the header's bytes are read, the request stays for lws */
    ssize_t n = status < 0 ? -1 : recv(p->fd, p->buf + p->len, sizeof(p->buf) - p->len, MSG_PEEK);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) {
        pending_end(p, false);
        return;
    }
    char ip[48];
    int hdr = gx_proxyproto_parse(p->buf, p->len + (size_t)n, ip, sizeof(ip));
    if (hdr < 0 || (hdr == 0 && p->len + (size_t)n == sizeof(p->buf))) {
        pending_end(p, false);
        return;
    }
    /* all of it when the header is not whole yet (everything so far is header), else its
     * rest */
    size_t take = hdr == 0 ? (size_t)n : (size_t)hdr - p->len;
    if (recv(p->fd, p->buf + p->len, take, 0) != (ssize_t)take) {
        pending_end(p, false);
        return;
    }
    p->len += take;
    if (hdr > 0) {
        gx_net_set_peer(p->l->proxied, p->fd, ip);
        pending_end(p, true);
    }
}

/* --proxy-protocol: the socket waits for its header (from a trusted peer, when
 * --trusted-proxies names some) before lws sees it. */
static void pending_start(gx_listener *l, int fd)
{
    const gx_cidrs *trusted = &l->proxied->cfg->trusted;
    if (trusted->n) {
        char peer[INET6_ADDRSTRLEN] = "";
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        if (!getpeername(fd, (struct sockaddr *)&ss, &sl))
            inet_ntop(ss.ss_family,
                      ss.ss_family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                                               : (void *)&((struct sockaddr_in *)&ss)->sin_addr,
                      peer, sizeof(peer));
        if (!gx_xff_cidrs_has(trusted, peer)) {
            close(fd);
            return;
        }
    }
    gx_pending *p = calloc(1, sizeof(*p));
    if (!p || uv_poll_init_socket(l->poll.loop, &p->poll, fd)) {
        free(p);
        close(fd);
        return;
    }
    p->l = l;
    p->fd = fd;
    p->poll.data = p;
    uv_timer_init(l->poll.loop, &p->timer);
    p->timer.data = p;
    p->handles = 2;
    p->next = l->pending;
    if (p->next)
        p->next->prev = p;
    l->pending = p;
    uv_poll_start(&p->poll, UV_READABLE, on_pending_readable);
    uv_timer_start(&p->timer, on_pending_timeout, GX_PROXY_WAIT_MS, 0);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
    gx_listener *l = h->data;
    (void)events;
    if (status < 0 || !l->vh)
        return;
    for (int i = 0; i < GX_ACCEPT_BATCH; i++) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && l->errors_out)
                l->errors_out[gx_accept_errno_slot(errno)]++;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                stall(l);
            return; /* EAGAIN: done for now; ECONNABORTED and the like: the peer's */
        }
        /* as lws's own listener does: a response written in two pieces must not wait for
         * the peer's delayed ACK (40 ms a request) */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (l->proxied)
            pending_start(l, fd);
        else
            lws_adopt_socket_vhost(l->vh, fd); /* on failure lws closes fd */
    }
}

static int bind_listen(const char *host, int port, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                    *res = NULL;
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", port);
    int rc = getaddrinfo(host && host[0] ? host : NULL, ps, &hints, &res);
    if (rc) {
        snprintf(err, errlen, "cannot resolve %s: %s", host ? host : "*", gai_strerror(rc));
        return -1;
    }
    int fd = -1, why = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
                        bind(fd, a->ai_addr, a->ai_addrlen) || listen(fd, SOMAXCONN))) {
            why = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host ? host : "*", port,
                 strerror(why ? why : EADDRNOTAVAIL));
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len))
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

gx_listener *gx_listener_open(uv_loop_t *loop, const char *host, int port, char *err, size_t errlen)
{
    int fd = bind_listen(host, port, err, errlen);
    if (fd < 0)
        return NULL;
    gx_listener *l = calloc(1, sizeof(*l));
    if (!l || uv_poll_init_socket(loop, &l->poll, fd)) {
        snprintf(err, errlen, "cannot watch the listening socket");
        free(l);
        close(fd);
        return NULL;
    }
    l->fd = fd;
    l->port = bound_port(fd);
    l->poll.data = l;
    uv_timer_init(loop, &l->pause);
    l->pause.data = l;
    l->handles = 2;
    return l;
}

void gx_listener_accept(gx_listener *l, struct lws_vhost *vh, uint64_t *pauses, uint64_t *errors)
{
    l->vh = vh;
    l->stalls_out = pauses;
    l->errors_out = errors;
    uv_poll_start(&l->poll, UV_READABLE, on_readable);
}

void gx_listener_proxied(gx_listener *l, gx_net *net)
{
    l->proxied = net;
}

int gx_listener_port(const gx_listener *l)
{
    return l->port;
}

static void on_closed(uv_handle_t *h)
{
    gx_listener *l = h->data;
    if (--l->handles == 0) {
        close(l->fd);
        free(l);
    }
}

void gx_listener_close(gx_listener *l)
{
    if (!l || l->closing)
        return;
    l->closing = true;
    while (l->pending) /* a header still coming: nobody new */
        pending_end(l->pending, false);
    uv_close((uv_handle_t *)&l->poll, on_closed);
    uv_close((uv_handle_t *)&l->pause, on_closed);
}
