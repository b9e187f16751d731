/* The embedded Redis: without --redis, gigcxd runs its own redis-server child on a unix
 * socket in the data directory (AOF on), and stops it cleanly on exit. It only manages
 * the process; the bus connects to it like to any other Redis. */
#ifndef GIGCX_EMBED_H
#define GIGCX_EMBED_H

#include <stddef.h>
#include <uv.h>

typedef struct gx_embed gx_embed;

/* Creates data_dir if needed, stops a child a crashed run left behind, and spawns
 * redis-server. Writes the url to connect to ("unix:///.../redis.sock") into url.
 * on_exit is called if the child dies on its own (not after gx_embed_stop).
 * Returns NULL with a message in err on failure. */
gx_embed *gx_embed_start(uv_loop_t *loop, const char *binary, const char *data_dir, char *url,
                         size_t urlcap, void (*on_exit)(void *arg), void *arg, char *err,
                         size_t errlen);

/* Asks the child to stop (SIGTERM: Redis flushes its AOF) and calls done once it exited.
 * With NULL e, calls done at once. */
void gx_embed_stop(gx_embed *e, void (*done)(void *arg), void *arg);

#endif
