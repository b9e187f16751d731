/* What every WebSocket request handler shares: field validation that answers bad_request
 * itself, the context a request carries across a Redis round trip, and reading the
 * status word our Lua scripts return. */
#ifndef GIGCX_REQUEST_H
#define GIGCX_REQUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <hiredis/hiredis.h>
#include "gigcx/reply.h"
#include "gigcx/session.h"
#include "gigcx/validate.h"

/* A request in flight. Holds a session reference; the reply is dropped if the socket is gone. */
typedef struct {
    gx_session *s; /* a reference */
    char ref[65];
    bool has_ref;
    char task[65];
    uint64_t t0_ns;
    int64_t num;  /* per-handler scratch */
    char str[64]; /* per-handler scratch */
} gx_req;

/* NULL only when out of memory (then an internal error was sent). */
gx_req *gx_request_new(gx_session *s, const char *ref, const char *task);
void gx_request_free(gx_req *r);
static inline const char *gx_request_ref(const gx_req *r)
{
    return r->has_ref ? r->ref : NULL;
}
/* Sends the error for a Redis call that could not be made (rc from gx_redis_*) and frees r. */
void gx_request_fail(gx_req *r, int rc);

/* Field getters: return the value, or NULL/-1 after sending bad_request naming the field.
 * An optional field that is absent gives def (strings: NULL with *present false). */
const char *gx_request_field_id(gx_session *s, json_t *msg, const char *field, const char *ref);
const char *gx_request_field_str(gx_session *s, json_t *msg, const char *field, size_t minchars,
                                 size_t maxchars, bool optional, const char *ref, bool *ok);
bool gx_request_field_int(gx_session *s, json_t *msg, const char *field, long min, long max,
                          long def, const char *ref, long *out);

#endif
