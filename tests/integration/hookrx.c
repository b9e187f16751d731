/* The test webhook receiver: one thread, one connection at a time, bounded reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "gigcx/util.h"
#include "harness.h"
#include "hookrx.h"

#define RX_HEAD_MAX (64 * 1024)
#define RX_BODY_MAX (1024 * 1024)
#define RX_HELD_MAX 16
#define RX_HOLD_MS 5000

struct hookrx {
    int port;
    int lfd; /* thread-owned; -1 while down */
    pthread_t th;
    pthread_mutex_t mu;
    /* under mu */
    json_t *reqs;
    char plan[64];
    size_t plan_pos;
    bool stop, want_down, is_down;
    /* thread-owned: connections left unanswered ('h'), closed after RX_HOLD_MS */
    int held[RX_HELD_MAX];
    int64_t held_until[RX_HELD_MAX];
    int nheld;
    int err; /* why the port could not be opened again */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int listen_on(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)*port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof(a);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64) ||
        getsockname(fd, (struct sockaddr *)&a, &n)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        errno = e;
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* The value of header name in the head (NUL-terminated), copied into out, or "". */
static void header(const char *head, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    out[0] = '\0';
    for (const char *l = strstr(head, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
        const char *h = l + 2;
        if (strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
            h += nl + 1;
            while (*h == ' ')
                h++;
            size_t vl = strcspn(h, "\r\n");
            snprintf(out, cap, "%.*s", (int)(vl < cap ? vl : cap - 1), h);
            return;
        }
    }
}

/* Reads one request: the head (up to RX_HEAD_MAX) and a Content-Length body. Returns the
 * whole request (malloc'd, NUL-terminated, *body_at the body's offset) or NULL. */
static char *read_request(int fd, size_t *body_at, size_t *body_len)
{
    size_t cap = RX_HEAD_MAX + RX_BODY_MAX + 1, len = 0;
    char *buf = malloc(cap), *end = NULL;
    while (buf && !end && len < RX_HEAD_MAX) {
        ssize_t r = read(fd, buf + len, RX_HEAD_MAX - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    char cl[24] = "";
    if (end)
        header(buf, "content-length", cl, sizeof(cl));
    long n = atol(cl);
    if (!end || n < 0 || n > RX_BODY_MAX) {
        free(buf);
        return NULL;
    }
    *body_at = (size_t)(end + 4 - buf);
    *body_len = (size_t)n;
    while (len < *body_at + *body_len) {
        ssize_t r = read(fd, buf + len, *body_at + *body_len - len);
        if (r <= 0) {
            free(buf);
            return NULL;
        }
        len += (size_t)r;
    }
    buf[*body_at + *body_len] = '\0';
    return buf;
}

static void record(hookrx *rx, const char *req, size_t body_at)
{
    static const char *const names[][2] = {{"id", "gigcx-event-id"},
                                           {"type", "gigcx-event-type"},
                                           {"attempt", "gigcx-delivery-attempt"},
                                           {"signature", "gigcx-signature"},
                                           {"content_type", "content-type"},
                                           {"user_agent", "user-agent"}};
    json_t *o = json_object();
    char v[512];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        header(req, names[i][1], v, sizeof(v));
        json_object_set_new(o, names[i][0], json_string(v));
    }
    char path[256] = "";
    sscanf(req, "POST %255s HTTP/1.1", path);
    json_object_set_new(o, "path", json_string(path));
    json_object_set_new(o, "body", json_string(req + body_at));
    pthread_mutex_lock(&rx->mu);
    json_array_append_new(rx->reqs, o);
    pthread_mutex_unlock(&rx->mu);
}

static char next_step(hookrx *rx)
{
    pthread_mutex_lock(&rx->mu);
    char c = rx->plan[rx->plan_pos] ? rx->plan[rx->plan_pos++] : 'o';
    pthread_mutex_unlock(&rx->mu);
    return c;
}

static void say(int fd, const char *s)
{
    if (send(fd, s, strlen(s), MSG_NOSIGNAL) < 0) /* the client may hang up first: fine */
        return;
}

static void answer(hookrx *rx, int fd, char step)
{
    if (step == 'h' && rx->nheld < RX_HELD_MAX) {
        rx->held[rx->nheld] = fd;
        rx->held_until[rx->nheld++] = now_ms() + RX_HOLD_MS;
        return;
    }
    if (step == 'e')
        say(fd, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n"
                "Connection: close\r\n\r\noops");
    else if (step == 'g')
        say(fd, "SPAM SPAM SPAM\r\n\r\n");
    else if (step == 'b') {
        size_t n = 256 * 1024;
        char *big = malloc(n + 64);
        if (big) {
            memcpy(big, "HTTP/1.1 200 OK\r\nX-Big: ", 24);
            memset(big + 24, 'a', n);
            memcpy(big + 24 + n, "\r\n\r\n", 5);
            say(fd, big);
            free(big);
        }
    } else
        say(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    close(fd);
}

static void serve(hookrx *rx, int fd)
{
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    size_t at, len;
    char *req = read_request(fd, &at, &len);
    if (!req) {
        close(fd);
        return;
    }
    record(rx, req, at);
    free(req);
    answer(rx, fd, next_step(rx));
}

static void release_held(hookrx *rx, bool all)
{
    int64_t now = now_ms();
    for (int i = 0; i < rx->nheld;)
        if (all || rx->held_until[i] <= now) {
            close(rx->held[i]);
            rx->held[i] = rx->held[--rx->nheld];
            rx->held_until[i] = rx->held_until[rx->nheld];
        } else {
            i++;
        }
}

/* Applies a requested down/up; returns false when the thread should end. */
static bool follow_orders(hookrx *rx)
{
    pthread_mutex_lock(&rx->mu);
    bool stop = rx->stop, down = rx->want_down;
    pthread_mutex_unlock(&rx->mu);
    if (stop)
        return false;
    if (down && rx->lfd >= 0) {
        close(rx->lfd);
        rx->lfd = -1;
    } else if (!down && rx->lfd < 0) {
        rx->lfd = listen_on(&rx->port);
        if (rx->lfd < 0)
            rx->err = errno;
    }
    pthread_mutex_lock(&rx->mu);
    rx->is_down = rx->lfd < 0;
    pthread_mutex_unlock(&rx->mu);
    return true;
}

static void *run(void *arg)
{
    hookrx *rx = arg;
    while (follow_orders(rx)) {
        release_held(rx, false);
        if (rx->lfd < 0) {
            usleep(20000);
            continue;
        }
        struct pollfd p = {.fd = rx->lfd, .events = POLLIN};
        if (poll(&p, 1, 20) == 1) {
            int fd = accept4(rx->lfd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                serve(rx, fd);
        }
    }
    release_held(rx, true);
    if (rx->lfd >= 0)
        close(rx->lfd);
    return NULL;
}

hookrx *hookrx_start(void)
{
    hookrx *rx = calloc(1, sizeof(*rx));
    rx->port = gxt_free_port(); /* outside the ephemeral range: still free after a down */
    rx->lfd = listen_on(&rx->port);
    if (rx->lfd < 0)
        fail_msg("receiver: cannot listen: %s", strerror(errno));
    rx->reqs = json_array();
    pthread_mutex_init(&rx->mu, NULL);
    if (pthread_create(&rx->th, NULL, run, rx))
        fail_msg("receiver: no thread");
    return rx;
}

void hookrx_free(hookrx *rx)
{
    if (!rx)
        return;
    pthread_mutex_lock(&rx->mu);
    rx->stop = true;
    pthread_mutex_unlock(&rx->mu);
    pthread_join(rx->th, NULL);
    pthread_mutex_destroy(&rx->mu);
    json_decref(rx->reqs);
    free(rx);
}

int hookrx_port(const hookrx *rx)
{
    return rx->port;
}

void hookrx_plan(hookrx *rx, const char *plan)
{
    pthread_mutex_lock(&rx->mu);
    snprintf(rx->plan, sizeof(rx->plan), "%s", plan);
    rx->plan_pos = 0;
    pthread_mutex_unlock(&rx->mu);
}

void hookrx_down(hookrx *rx, bool down)
{
    pthread_mutex_lock(&rx->mu);
    rx->want_down = down;
    pthread_mutex_unlock(&rx->mu);
    for (int i = 0; i < 200; i++) { /* up to 4 s */
        pthread_mutex_lock(&rx->mu);
        bool done = rx->is_down == down;
        pthread_mutex_unlock(&rx->mu);
        if (done)
            return;
        usleep(20000);
    }
    fail_msg("receiver did not go %s (port %d: %s)", down ? "down" : "up", rx->port,
             strerror(rx->err));
}

json_t *hookrx_requests(hookrx *rx)
{
    pthread_mutex_lock(&rx->mu);
    json_t *copy = json_deep_copy(rx->reqs);
    pthread_mutex_unlock(&rx->mu);
    return copy;
}

bool hookrx_signed(const char *secret, const char *sig, const char *body)
{
    long long t;
    char v1[80];
    if (!secret || !sig || sscanf(sig, "t=%lld,v1=%79s", &t, v1) != 2 || strlen(v1) != 64)
        return false;
    if (llabs((long long)time(NULL) - t) > 300)
        return false;
    size_t bl = strlen(body);
    char *msg = malloc(bl + 32);
    int n = snprintf(msg, 32, "%lld.", t);
    memcpy(msg + n, body, bl);
    unsigned char mac[32];
    gx_crypto_hmac_sha256(secret, strlen(secret), msg, (size_t)n + bl, mac);
    free(msg);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    return strcmp(hex, v1) == 0;
}
