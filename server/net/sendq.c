/* Batched non-blocking sends through io_uring (see gigcx/sendq.h for why). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <liburing.h>
#include "gigcx/sendq.h"

/* Sends a thread takes from a shared batch at a time: one system call each. Small enough
 * that a helper preempted in the middle holds back few offers. */
#define CHUNK 32

typedef struct {
    int fd;
    const void *p;
    size_t len;
    void *user;
    int res;
} gx_send;

typedef struct {
    struct io_uring ring;
    pthread_t thread;
    gx_sendq *q;
} gx_helper;

struct gx_sendq {
    struct io_uring ring;
    gx_send *sends;
    unsigned queued, depth;
    gx_helper *h;
    unsigned nh;
    /* A shared run, under mu: sends [next, total) are still to take; finished counts
     * those done. Between runs total is 0, so a helper that wakes late takes nothing. */
    pthread_mutex_t mu;
    pthread_cond_t go, idle;
    unsigned next, total, finished;
    bool quit;
};

static int ring_init(struct io_uring *ring, unsigned depth, bool single_issuer)
{
    /* Completions are reaped right away, by the one thread that submits: the kernel may
     * skip the work it would do for other users of the ring. Older kernels refuse the
     * flags. */
    unsigned flags = IORING_SETUP_COOP_TASKRUN | (single_issuer ? IORING_SETUP_SINGLE_ISSUER : 0);
    if (io_uring_queue_init(depth, ring, flags) < 0 && io_uring_queue_init(depth, ring, 0) < 0)
        return -1;
    return 0;
}

/* Sends n, filling in each res; every send has completed when it returns. */
static void send_all(struct io_uring *ring, gx_send *v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
        /* MSG_DONTWAIT: a full socket completes at once with -EAGAIN instead of waiting
         * in the kernel, so nothing is in flight after gx_sendq_run. */
        io_uring_prep_send(sqe, v[i].fd, v[i].p, v[i].len, MSG_DONTWAIT | MSG_NOSIGNAL);
        io_uring_sqe_set_data(sqe, &v[i]);
    }
    unsigned left = n;
    int tries = 0;
    while (left > 0) {
        int r = io_uring_submit_and_wait(ring, 1);
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY && ++tries > 1000)
            abort(); /* the kernel keeps our buffers: nothing safe is left to do */
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(ring, head, cqe)
        {
            ((gx_send *)io_uring_cqe_get_data(cqe))->res = cqe->res;
            seen++;
        }
        io_uring_cq_advance(ring, seen);
        left -= seen < left ? seen : left;
    }
}

/* Takes sends of the shared run and sends them on ring until none are left; called and
 * returns with mu held. */
static void drain(gx_sendq *q, struct io_uring *ring)
{
    while (q->next < q->total) {
        unsigned i = q->next, n = q->total - i < CHUNK ? q->total - i : CHUNK;
        q->next += n;
        pthread_mutex_unlock(&q->mu);
        send_all(ring, q->sends + i, n);
        pthread_mutex_lock(&q->mu);
        q->finished += n;
        if (q->finished == q->total)
            pthread_cond_signal(&q->idle);
    }
}

static void *helper_main(void *arg)
{
    gx_helper *h = arg;
    gx_sendq *q = h->q;
    pthread_mutex_lock(&q->mu);
    while (!q->quit) {
        drain(q, &h->ring);
        if (!q->quit)
            pthread_cond_wait(&q->go, &q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

static void helpers_start(gx_sendq *q, unsigned want)
{
    /* Signals stay with the loop's thread: the helpers start with all of them blocked. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    q->h = calloc(want, sizeof(*q->h));
    for (unsigned i = 0; q->h && i < want; i++) {
        gx_helper *h = &q->h[q->nh];
        h->q = q;
        if (ring_init(&h->ring, CHUNK, false) < 0)
            break;
        if (pthread_create(&h->thread, NULL, helper_main, h)) {
            io_uring_queue_exit(&h->ring);
            break;
        }
        q->nh++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void helpers_stop(gx_sendq *q)
{
    pthread_mutex_lock(&q->mu);
    q->quit = true;
    pthread_cond_broadcast(&q->go);
    pthread_mutex_unlock(&q->mu);
    for (unsigned i = 0; i < q->nh; i++) {
        pthread_join(q->h[i].thread, NULL);
        io_uring_queue_exit(&q->h[i].ring);
    }
    free(q->h);
}

gx_sendq *gx_sendq_new(unsigned depth, unsigned helpers)
{
    gx_sendq *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->sends = calloc(depth, sizeof(*q->sends));
    if (!q->sends || ring_init(&q->ring, depth, true) < 0) {
        free(q->sends);
        free(q);
        return NULL;
    }
    q->depth = depth;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->go, NULL);
    pthread_cond_init(&q->idle, NULL);
    if (helpers)
        helpers_start(q, helpers);
    return q;
}

void gx_sendq_free(gx_sendq *q)
{
    if (!q)
        return;
    helpers_stop(q);
    pthread_cond_destroy(&q->idle);
    pthread_cond_destroy(&q->go);
    pthread_mutex_destroy(&q->mu);
    io_uring_queue_exit(&q->ring);
    free(q->sends);
    free(q);
}

unsigned gx_sendq_helpers(const gx_sendq *q)
{
    return q->nh;
}

unsigned gx_sendq_count(const gx_sendq *q)
{
    return q->queued;
}

bool gx_sendq_add(gx_sendq *q, int fd, const void *p, size_t len, void *user)
{
    if (q->queued == q->depth)
        return false;
    q->sends[q->queued++] = (gx_send){.fd = fd, .p = p, .len = len, .user = user};
    return true;
}

/* Sends the batch with the helpers' help: each thread takes CHUNK sends at a time, so a
 * helper that is slow to wake (its CPU busy) simply takes fewer. */
static void run_shared(gx_sendq *q)
{
    pthread_mutex_lock(&q->mu);
    q->next = q->finished = 0;
    q->total = q->queued;
    pthread_cond_broadcast(&q->go);
    drain(q, &q->ring);
    while (q->finished < q->total)
        pthread_cond_wait(&q->idle, &q->mu);
    q->next = q->total = q->finished = 0;
    pthread_mutex_unlock(&q->mu);
}

void gx_sendq_run(gx_sendq *q, void (*done)(void *user, int res, void *arg), void *arg)
{
    unsigned n = q->queued;
    if (q->nh && n >= GX_SENDQ_SHARE_MIN)
        run_shared(q);
    else
        send_all(&q->ring, q->sends, n);
    for (unsigned i = 0; i < n; i++)
        done(q->sends[i].user, q->sends[i].res, arg);
    q->queued = 0;
}
