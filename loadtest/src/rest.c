/* REST client: one blocking keep-alive HTTP/1.1 connection per caller, and worker threads
 * (four by default), each with its own connection, that serve the async queue and hand
 * answers back through uv_async: one connection waiting on each answer in turn cannot keep
 * up with a peak-season task rate, and its queue would count as server latency. gigcxd
 * answers one request per connection at a time (no pipelining), so a burst goes only as
 * fast as the number of connections allows: a drain's backlog takes more workers. Bodies
 * cross threads as strings, never as shared JSON values. */
#include "rest.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    char *buf; /* owned: bytes read past the last response */
    size_t len, cap;
} conn;

typedef struct call {
    struct call *next;
    char *method, *path, *bearer, *body; /* owned */
    gxlt_rest_cb cb;
    void *priv;
    int status;
    char *resp;        /* owned */
    uint64_t *sent_us; /* when not NULL: set by the worker as the request goes out */
} call;

typedef struct {
    struct gxlt_rest *r;
    conn c;
    pthread_t thread;
    bool started;
} worker_t;

struct gxlt_rest {
    char host[64];
    int port;
    conn sync;
    worker_t w[GXLT_REST_WORKERS_MAX];
    int nworkers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    call *todo, *todo_tail, *done; /* under mu */
    bool stop;
    int pending; /* loop thread only */
    uv_async_t async;
};

static int dial(gxlt_rest *r)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)r->port)};
    if (fd < 0 || inet_pton(AF_INET, r->host, &a.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&a, sizeof(a))) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void conn_reset(conn *c)
{
    if (c->fd > 0)
        close(c->fd);
    c->fd = 0;
    c->len = 0;
}

static bool read_more(conn *c)
{
    if (c->len + 4096 > c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16384;
        char *n = realloc(c->buf, ncap);
        if (!n)
            return false;
        c->buf = n;
        c->cap = ncap;
    }
    ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
    if (n <= 0)
        return false;
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    return true;
}

/* Reads one response: status, and the body by Content-Length. */
static int read_response(conn *c, char **out)
{
    char *end;
    while (!(end = c->len ? strstr(c->buf, "\r\n\r\n") : NULL))
        if (!read_more(c))
            return -1;
    size_t hlen = (size_t)(end - c->buf) + 4, blen = 0;
    int status = 0;
    sscanf(c->buf, "HTTP/1.%*d %d", &status);
    for (char *h = strstr(c->buf, "\r\n"); h && h < end; h = strstr(h + 2, "\r\n"))
        if (strncasecmp(h + 2, "content-length:", 15) == 0)
            blen = strtoul(h + 17, NULL, 10);
    while (c->len < hlen + blen)
        if (!read_more(c))
            return -1;
    if (out) {
        *out = malloc(blen + 1);
        if (*out) {
            memcpy(*out, c->buf + hlen, blen);
            (*out)[blen] = '\0';
        }
    }
    memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen);
    c->len -= hlen + blen;
    if (c->buf)
        c->buf[c->len] = '\0';
    return status;
}

/* Writes the head and the body in one system call, so the server reads the request at once
 * (two writes cost gigcxd a second wake-up and read for every task the tester posts). */
static bool write_request(int fd, const char *head, size_t hl, const char *body, size_t bl)
{
    struct iovec v[2] = {{(void *)head, hl}, {(void *)body, bl}};
    int i = 0, n = bl ? 2 : 1;
    for (int tries = 0; i < n && tries < 100; tries++) {
        ssize_t w = writev(fd, v + i, n - i);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        for (; i < n && (size_t)w >= v[i].iov_len; i++) /* what a short write left */
            w -= (ssize_t)v[i].iov_len;
        if (i < n) {
            v[i].iov_base = (char *)v[i].iov_base + w;
            v[i].iov_len -= (size_t)w;
        }
    }
    return i == n;
}

static int do_call(gxlt_rest *r, conn *c, const char *method, const char *path, const char *bearer,
                   const char *body, char **out)
{
    if (out)
        *out = NULL;
    size_t bl = body ? strlen(body) : 0;
    char head[1024];
    int n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n%s%s%s\r\n",
                     method, path, r->host, r->port, bl, bearer ? "Authorization: Bearer " : "",
                     bearer ? bearer : "", bearer ? "\r\n" : "");
    if (n <= 0 || n >= (int)sizeof(head))
        return -1;
    for (int attempt = 0; attempt < 2; attempt++) { /* a kept-alive socket may have closed */
        if (!c->fd && (c->fd = dial(r)) < 0) {
            c->fd = 0;
            return -1;
        }
        if (write_request(c->fd, head, (size_t)n, body, bl)) {
            int st = read_response(c, out);
            if (st > 0)
                return st;
        }
        conn_reset(c);
    }
    return -1;
}

int gxlt_rest_call(gxlt_rest *r, const char *method, const char *path, const char *bearer,
                   const char *body, char **out)
{
    return do_call(r, &r->sync, method, path, bearer, body, out);
}

static void *worker(void *arg)
{
    worker_t *w = arg;
    gxlt_rest *r = w->r;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->todo && !r->stop)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->stop)
            break;
        call *c = r->todo;
        r->todo = c->next;
        if (!r->todo)
            r->todo_tail = NULL;
        pthread_mutex_unlock(&r->mu);
        if (c->sent_us) { /* read on the loop only after the answer: ordered by mu */
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            *c->sent_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
        }
        c->status = do_call(r, &w->c, c->method, c->path, c->bearer, c->body, &c->resp);
        pthread_mutex_lock(&r->mu);
        c->next = r->done;
        r->done = c;
        uv_async_send(&r->async);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static void call_free(call *c)
{
    free(c->method);
    free(c->path);
    free(c->bearer);
    free(c->body);
    free(c->resp);
    free(c);
}

/* Answers, oldest first, on the loop. */
static void on_async(uv_async_t *a)
{
    gxlt_rest *r = a->data;
    pthread_mutex_lock(&r->mu);
    call *list = r->done, *rev = NULL;
    r->done = NULL;
    pthread_mutex_unlock(&r->mu);
    while (list) {
        call *n = list->next;
        list->next = rev;
        rev = list;
        list = n;
    }
    while (rev) {
        call *n = rev->next;
        r->pending--;
        rev->cb(rev->status, rev->resp ? rev->resp : "", rev->priv);
        call_free(rev);
        rev = n;
    }
}

gxlt_rest *gxlt_rest_new(uv_loop_t *loop, const char *host, int port, int workers)
{
    gxlt_rest *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    snprintf(r->host, sizeof(r->host), "%s", host);
    r->port = port;
    r->nworkers = workers < 1                       ? 1
                  : workers > GXLT_REST_WORKERS_MAX ? GXLT_REST_WORKERS_MAX
                                                    : workers;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    uv_async_init(loop, &r->async, on_async);
    r->async.data = r;
    for (int i = 0; i < r->nworkers; i++) {
        r->w[i].r = r;
        r->w[i].started = pthread_create(&r->w[i].thread, NULL, worker, &r->w[i]) == 0;
        if (!r->w[i].started) {
            gxlt_rest_free(r);
            return NULL;
        }
    }
    return r;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void gxlt_rest_async(gxlt_rest *r, const char *method, const char *path, const char *bearer,
                     const char *body, gxlt_rest_cb cb, void *priv)
{
    gxlt_rest_async_stamped(r, method, path, bearer, body, cb, priv, NULL);
}

void gxlt_rest_async_stamped(gxlt_rest *r, const char *method, const char *path, const char *bearer,
                             const char *body, gxlt_rest_cb cb, void *priv, uint64_t *sent_us)
{
    call *c = calloc(1, sizeof(*c));
    if (!c) {
        cb(-1, "", priv);
        return;
    }
    *c = (call){.method = strdup(method),
                .path = strdup(path),
                .bearer = dup_or_null(bearer),
                .body = dup_or_null(body),
                .cb = cb,
                .priv = priv,
                .sent_us = sent_us};
    r->pending++;
    pthread_mutex_lock(&r->mu);
    if (r->todo_tail)
        r->todo_tail->next = c;
    else
        r->todo = c;
    r->todo_tail = c;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

int gxlt_rest_pending(const gxlt_rest *r)
{
    return r->pending;
}

static void on_async_closed(uv_handle_t *h)
{
    gxlt_rest *r = h->data;
    free(r->sync.buf);
    for (int i = 0; i < r->nworkers; i++)
        free(r->w[i].c.buf);
    free(r);
}

void gxlt_rest_free(gxlt_rest *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    for (int i = 0; i < r->nworkers; i++)
        if (r->w[i].started)
            pthread_join(r->w[i].thread, NULL);
    for (call *c = r->todo, *n; c; c = n) { /* never sent */
        n = c->next;
        c->cb(-1, "", c->priv);
        call_free(c);
    }
    on_async(&r->async); /* answered but not yet delivered */
    conn_reset(&r->sync);
    for (int i = 0; i < r->nworkers; i++)
        conn_reset(&r->w[i].c);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    uv_close((uv_handle_t *)&r->async, on_async_closed);
}
