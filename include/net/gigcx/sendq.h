/* Batched socket writes: the sends one loop iteration makes, handed to the kernel with one
 * io_uring system call instead of one send() each. On this kind of machine a system call
 * costs about 1 us and a loopback send 7-10 us; batched, a send costs about half
 * (gigcx-bench-send-floor shows both). Every send is non-blocking (MSG_DONTWAIT), so all of
 * them have completed when gx_sendq_run returns: buffers need to live only until then.
 *
 * A big batch (a fan-out) may also be shared with helper threads, each with a ring of its
 * own: the kernel's work for a send (most of its cost) then runs on several CPUs at once,
 * and the last offer of a fan-out leaves sooner. The helpers only make system calls; the
 * results are reported on the caller's thread. */
#ifndef GIGCX_SENDQ_H
#define GIGCX_SENDQ_H

#include <stdbool.h>
#include <stddef.h>

/* Batches smaller than this are sent by the caller alone: waking a helper costs more than
 * it saves. */
#define GX_SENDQ_SHARE_MIN 64

typedef struct gx_sendq gx_sendq;

/* A queue of at most depth sends, shared out with up to helpers threads when big; NULL when
 * the kernel has no io_uring for us (too old, or turned off by its administrator or a
 * sandbox): callers then send as usual. A helper that cannot be started is done without. */
gx_sendq *gx_sendq_new(unsigned depth, unsigned helpers);
void gx_sendq_free(gx_sendq *q);

/* How many helper threads q has. */
unsigned gx_sendq_helpers(const gx_sendq *q);

/* Queues a send of len bytes at p on fd, p to stay valid until gx_sendq_run. False when
 * the queue is full: run it, then add again. Two sends to one socket in one run keep their
 * order only in a queue without helpers (gigcxd queues a socket at most once a run). */
bool gx_sendq_add(gx_sendq *q, int fd, const void *p, size_t len, void *user);

/* How many sends are queued. */
unsigned gx_sendq_count(const gx_sendq *q);

/* Sends everything queued, then calls done(user, res, arg) once per send, in the order they
 * were added, res being the bytes sent (which may be fewer than asked) or -errno (-EAGAIN:
 * the socket is full). */
void gx_sendq_run(gx_sendq *q, void (*done)(void *user, int res, void *arg), void *arg);

#endif
