/* The lagging Redis proxy (lagproxy.h): a poll loop on its own thread. Held-back replies
 * wait in a per-connection queue with the time they are due, so the delay stays constant
 * however the bytes were split. */
#include "lagproxy.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LAG_PAIRS 16

typedef struct chunk {
    struct chunk *next;
    int64_t due_ms;
    size_t len;
    char data[];
} chunk;

typedef struct {
    int cfd, ufd; /* -1 when the slot is free */
    bool subscribed;
    chunk *head, *tail; /* replies held back, oldest first */
} pair;

struct gxt_lag {
    pthread_t thread;
    pthread_mutex_t mu;
    int lfd, wake[2];
    const int *upstream;
    int delay_ms;
    pair p[LAG_PAIRS];
    char **sent;  /* every client chunk forwarded, for gxt_lag_seen */
    char arm[64]; /* gxt_lag_delay_after: the marker, "" when not armed */
    int arm_ms;
    int nsent, capsent;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void pair_close(pair *p)
{
    close(p->cfd);
    close(p->ufd);
    for (chunk *c = p->head, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    *p = (pair){.cfd = -1, .ufd = -1};
}

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
        return fd;
    if (fd >= 0)
        close(fd);
    return -1;
}

static void accept_one(gxt_lag *l)
{
    int cfd = accept(l->lfd, NULL, NULL);
    if (cfd < 0)
        return;
    int ufd = dial(*l->upstream);
    for (int i = 0; ufd >= 0 && i < LAG_PAIRS; i++)
        if (l->p[i].cfd < 0) {
            l->p[i] = (pair){.cfd = cfd, .ufd = ufd};
            return;
        }
    close(cfd);
    if (ufd >= 0)
        close(ufd);
}

/* Client to Redis: forwarded at once, remembered, and watched for SUBSCRIBE. */
static bool from_client(gxt_lag *l, pair *p)
{
    char buf[65536];
    ssize_t n = read(p->cfd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    if (strcasestr(buf, "SUBSCRIBE"))
        p->subscribed = true;
    write_all(p->ufd, buf, (size_t)n);
    pthread_mutex_lock(&l->mu);
    if (l->arm[0] && strstr(buf, l->arm)) { /* its reply, and every one after, held back */
        l->delay_ms = l->arm_ms;
        l->arm[0] = '\0';
    }
    if (l->nsent == l->capsent) {
        l->capsent = l->capsent ? l->capsent * 2 : 256;
        l->sent = realloc(l->sent, sizeof(char *) * (size_t)l->capsent);
    }
    l->sent[l->nsent++] = strdup(buf);
    pthread_mutex_unlock(&l->mu);
    return true;
}

/* Redis to client: held back unless the connection subscribed or there is no delay. */
static bool from_redis(gxt_lag *l, pair *p)
{
    char buf[65536];
    ssize_t n = read(p->ufd, buf, sizeof(buf));
    if (n <= 0)
        return false;
    pthread_mutex_lock(&l->mu);
    int delay = l->delay_ms;
    pthread_mutex_unlock(&l->mu);
    if (p->subscribed || (delay == 0 && !p->head)) {
        write_all(p->cfd, buf, (size_t)n);
        return true;
    }
    chunk *c = malloc(sizeof(*c) + (size_t)n);
    *c = (chunk){.due_ms = now_ms() + delay, .len = (size_t)n};
    memcpy(c->data, buf, (size_t)n);
    if (p->tail)
        p->tail->next = c;
    else
        p->head = c;
    p->tail = c;
    return true;
}

/* Writes what is due; returns ms until the next chunk is (or -1 for none). */
static int flush_due(pair *p)
{
    int64_t now = now_ms();
    while (p->head && p->head->due_ms <= now) {
        chunk *c = p->head;
        write_all(p->cfd, c->data, c->len);
        p->head = c->next;
        if (!p->head)
            p->tail = NULL;
        free(c);
    }
    return p->head ? (int)(p->head->due_ms - now) : -1;
}

static void *run(void *arg)
{
    gxt_lag *l = arg;
    for (;;) {
        struct pollfd fds[2 + 2 * LAG_PAIRS];
        int map[2 + 2 * LAG_PAIRS], n = 0, timeout = -1;
        fds[n++] = (struct pollfd){.fd = l->wake[0], .events = POLLIN};
        fds[n++] = (struct pollfd){.fd = l->lfd, .events = POLLIN};
        for (int i = 0; i < LAG_PAIRS; i++) {
            if (l->p[i].cfd < 0)
                continue;
            int t = flush_due(&l->p[i]);
            if (t >= 0 && (timeout < 0 || t < timeout))
                timeout = t;
            map[n] = i;
            fds[n++] = (struct pollfd){.fd = l->p[i].cfd, .events = POLLIN};
            map[n] = i;
            fds[n++] = (struct pollfd){.fd = l->p[i].ufd, .events = POLLIN};
        }
        if (poll(fds, (nfds_t)n, timeout) < 0)
            continue;
        if (fds[0].revents)
            return NULL;
        if (fds[1].revents & POLLIN)
            accept_one(l);
        for (int k = 2; k < n; k += 2) {
            pair *p = &l->p[map[k]];
            bool ok = true;
            if (fds[k].revents)
                ok = from_client(l, p);
            if (ok && fds[k + 1].revents)
                ok = from_redis(l, p);
            if (!ok)
                pair_close(p);
        }
    }
}

gxt_lag *gxt_lag_start(int port, const int *upstream)
{
    gxt_lag *l = calloc(1, sizeof(*l));
    l->upstream = upstream;
    for (int i = 0; i < LAG_PAIRS; i++)
        l->p[i] = (pair){.cfd = -1, .ufd = -1};
    pthread_mutex_init(&l->mu, NULL);
    l->lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(l->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(l->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(l->lfd, 16) || pipe(l->wake) ||
        pthread_create(&l->thread, NULL, run, l)) {
        close(l->lfd);
        free(l);
        return NULL;
    }
    return l;
}

void gxt_lag_delay(gxt_lag *l, int ms)
{
    pthread_mutex_lock(&l->mu);
    l->delay_ms = ms;
    pthread_mutex_unlock(&l->mu);
}

void gxt_lag_delay_after(gxt_lag *l, const char *marker, int ms)
{
    pthread_mutex_lock(&l->mu);
    snprintf(l->arm, sizeof(l->arm), "%s", marker);
    l->arm_ms = ms;
    pthread_mutex_unlock(&l->mu);
}

int gxt_lag_seen(gxt_lag *l, const char *a, const char *b)
{
    int n = 0;
    pthread_mutex_lock(&l->mu);
    for (int i = 0; i < l->nsent; i++)
        n += strstr(l->sent[i], a) && strstr(l->sent[i], b);
    pthread_mutex_unlock(&l->mu);
    return n;
}

void gxt_lag_stop(gxt_lag *l)
{
    if (!l)
        return;
    write_all(l->wake[1], "x", 1);
    pthread_join(l->thread, NULL);
    for (int i = 0; i < LAG_PAIRS; i++)
        if (l->p[i].cfd >= 0)
            pair_close(&l->p[i]);
    for (int i = 0; i < l->nsent; i++)
        free(l->sent[i]);
    free(l->sent);
    close(l->lfd);
    close(l->wake[0]);
    close(l->wake[1]);
    pthread_mutex_destroy(&l->mu);
    free(l);
}
