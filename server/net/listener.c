/* The listening socket (see listener.h). */
#include "gigcx/listener.h"
#include "gigcx/accept_errno.h"
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
    uv_close((uv_handle_t *)&l->poll, on_closed);
    uv_close((uv_handle_t *)&l->pause, on_closed);
}
