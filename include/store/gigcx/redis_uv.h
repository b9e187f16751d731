/* hiredis's event hooks on a libuv loop, writing commands in batches (redis_uv.c). */
#ifndef GIGCX_REDIS_UV_H
#define GIGCX_REDIS_UV_H

#include <hiredis/async.h>
#include <uv.h>

/* Like hiredis's redisLibuvAttach: REDIS_OK, or REDIS_ERR (already attached, no memory). */
int gx_redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop);

#endif
