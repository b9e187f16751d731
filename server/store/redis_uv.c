/* hiredis on the libuv loop, with fewer system calls than hiredis's own libuv adapter.
 * That adapter calls uv_poll_start on every change of read/write interest, and libuv's
 * uv_poll_start takes the descriptor out of epoll and puts it back each time: a few
 * epoll_ctl calls for every command sent, which at thousands of commands a second cost more
 * than the commands' own writes. Here the socket is watched for reading only; commands
 * queued while the loop runs its callbacks are written in one go at the end of the
 * iteration (uv_check) or before the loop next waits (uv_prepare). Only a write the kernel
 * does not take whole, and the connect, wait for writability. */
#include "gigcx/redis_uv.h"
#include <stdbool.h>
#include <stdlib.h>

typedef struct {
    redisAsyncContext *ac; /* NULL once hiredis let go of it */
    uv_poll_t poll;
    uv_prepare_t prepare;
    uv_check_t check;
    int events;      /* what poll watches */
    bool want_write; /* commands wait to be written at the end of the iteration */
    bool writing;    /* inside redisAsyncHandleWrite: a new write interest means "blocked" */
    int open;        /* handles not closed yet */
} gx_rlink;

static void on_poll(uv_poll_t *h, int status, int events);

static void watch(gx_rlink *l, int events)
{
    if (events == l->events || !l->ac)
        return;
    l->events = events;
    if (events)
        uv_poll_start(&l->poll, events, on_poll);
    else
        uv_poll_stop(&l->poll);
}

static void handle_write(gx_rlink *l)
{
    l->writing = true;
    redisAsyncHandleWrite(l->ac); /* may free the context: l stays until its handles close */
    l->writing = false;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    gx_rlink *l = h->data;
    if (status < 0)
        return;
    if (l->ac && (events & UV_READABLE))
        redisAsyncHandleRead(l->ac);
    if (l->ac && (events & UV_WRITABLE))
        handle_write(l);
}

static void flush(gx_rlink *l)
{
    if (!l->ac || !l->want_write)
        return;
    l->want_write = false;
    if (!(l->events & UV_WRITABLE)) /* else the poll writes when the socket has room */
        handle_write(l);
}

static void on_prepare(uv_prepare_t *h)
{
    flush(h->data);
}

static void on_check(uv_check_t *h)
{
    flush(h->data);
}

static void add_read(void *priv)
{
    gx_rlink *l = priv;
    watch(l, l->events | UV_READABLE);
}

static void del_read(void *priv)
{
    gx_rlink *l = priv;
    watch(l, l->events & ~UV_READABLE);
}

static void add_write(void *priv)
{
    gx_rlink *l = priv;
    /* connecting, or the kernel took only part of the last write: wait for room */
    if (l->writing || !(l->ac->c.flags & REDIS_CONNECTED))
        watch(l, l->events | UV_WRITABLE);
    else
        l->want_write = true;
}

static void del_write(void *priv)
{
    gx_rlink *l = priv;
    l->want_write = false;
    watch(l, l->events & ~UV_WRITABLE);
}

static void on_closed(uv_handle_t *h)
{
    gx_rlink *l = h->data;
    if (--l->open == 0)
        free(l);
}

static void cleanup(void *priv)
{
    gx_rlink *l = priv;
    l->ac = NULL;
    uv_close((uv_handle_t *)&l->poll, on_closed);
    uv_close((uv_handle_t *)&l->prepare, on_closed);
    uv_close((uv_handle_t *)&l->check, on_closed);
}

int gx_redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    if (ac->ev.data)
        return REDIS_ERR;
    gx_rlink *l = calloc(1, sizeof(*l));
    if (!l)
        return REDIS_ERR;
    if (uv_poll_init(loop, &l->poll, ac->c.fd)) {
        free(l);
        return REDIS_ERR;
    }
    uv_prepare_init(loop, &l->prepare);
    uv_check_init(loop, &l->check);
    l->poll.data = l->prepare.data = l->check.data = l;
    l->open = 3;
    l->ac = ac;
    /* these two run every iteration; they must not keep the loop alive by themselves */
    uv_prepare_start(&l->prepare, on_prepare);
    uv_check_start(&l->check, on_check);
    uv_unref((uv_handle_t *)&l->prepare);
    uv_unref((uv_handle_t *)&l->check);
    ac->ev.data = l;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    return REDIS_OK;
}
