/* Several pipelined Redis commands for one HTTP request, their replies gathered as JSON
 * (strings, integers, arrays; nil is null) in the order sent, and one function that shapes
 * the answer once all are in (or answers 503 when any failed). */
#ifndef GIGCX_GATHER_H
#define GIGCX_GATHER_H

#include <stdbool.h>
#include <jansson.h>
#include "gigcx/http_api.h"

typedef struct gx_gather gx_gather;
typedef void (*gx_gather_done)(gx_gather *g);

struct gx_gather {
    gx_http_req *r;  /* a reference */
    json_t *replies; /* owned: one slot per command, in the order sent */
    int pending;     /* replies outstanding, plus one until sealed */
    bool failed;
    gx_gather_done done;
    json_t *ctx; /* owned scratch for the done function */
};

/* Starts a gathering for r (answers 500 and returns NULL when out of memory). */
gx_gather *gx_gather_new(gx_http_req *r, gx_gather_done done);
/* Queues one command (C-string arguments); its reply lands in the next slot. */
void gx_gather_cmd(gx_gather *g, int argc, const char **argv);
/* gx_gather_cmd of "cmd key", the key made from fmt and id. */
void gx_gather_key(gx_gather *g, const char *cmd, const char *fmt, const char *id);
/* Seals the gathering after the last command: done runs once every reply is in, then g
 * is freed. Call exactly once. */
void gx_gather_finish(gx_gather *g);

/* Field f of an HGETALL reply as gathered (a flat [k, v, ...] array), or NULL. */
const char *gx_gather_flat_field(json_t *flat, const char *f);

#endif
