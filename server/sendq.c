/* Batched non-blocking sends through io_uring (see gigcx/sendq.h for why). */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <liburing.h>
#include "gigcx/sendq.h"

struct gx_sendq {
    struct io_uring ring;
    unsigned queued, depth;
};

gx_sendq *gx_sendq_new(unsigned depth)
{
    gx_sendq *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    /* One thread submits, and completions are reaped right away: the kernel may skip the
     * work it would do for other users of the ring. Older kernels refuse the flags. */
    unsigned flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN;
    if (io_uring_queue_init(depth, &q->ring, flags) < 0 &&
        io_uring_queue_init(depth, &q->ring, 0) < 0) {
        free(q);
        return NULL;
    }
    q->depth = depth;
    return q;
}

void gx_sendq_free(gx_sendq *q)
{
    if (!q)
        return;
    io_uring_queue_exit(&q->ring);
    free(q);
}

unsigned gx_sendq_count(const gx_sendq *q)
{
    return q->queued;
}

bool gx_sendq_add(gx_sendq *q, int fd, const void *p, size_t len, void *user)
{
    if (q->queued == q->depth)
        return false;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);
    if (!sqe)
        return false;
    /* MSG_DONTWAIT: a full socket completes at once with -EAGAIN instead of waiting in
     * the kernel, so nothing is in flight after gx_sendq_run. */
    io_uring_prep_send(sqe, fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, user);
    q->queued++;
    return true;
}

void gx_sendq_run(gx_sendq *q, void (*done)(void *user, int res, void *arg), void *arg)
{
    unsigned left = q->queued;
    int tries = 0;
    while (left > 0) {
        int r = io_uring_submit_and_wait(&q->ring, 1);
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY && ++tries > 1000)
            abort(); /* the kernel keeps our buffers: nothing safe is left to do */
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&q->ring, head, cqe)
        {
            done(io_uring_cqe_get_data(cqe), cqe->res, arg);
            seen++;
        }
        io_uring_cq_advance(&q->ring, seen);
        left -= seen < left ? seen : left;
    }
    q->queued = 0;
}
