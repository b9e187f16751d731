/* Shared request plumbing for the WebSocket handlers: hostile-input checks that answer
 * bad_request themselves, the in-flight request context, and script reply words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/error.h"
#include "gigcx/request.h"
#include "gigcx/util.h"
#include "gigcx/validate.h"

gx_req *gx_request_new(gx_session *s, const char *ref, const char *task)
{
    gx_req *r = calloc(1, sizeof(*r));
    if (!r) {
        gx_session_error(s, GX_EINTERNAL, ref, "out of memory");
        return NULL;
    }
    r->s = gx_session_ref(s);
    if (ref) {
        gx_str_copy(r->ref, ref, sizeof(r->ref));
        r->has_ref = true;
    }
    if (task)
        gx_str_copy(r->task, task, sizeof(r->task));
    r->t0_ns = uv_hrtime();
    return r;
}

void gx_request_free(gx_req *r)
{
    if (!r)
        return;
    gx_session_unref(r->s);
    free(r);
}

void gx_request_fail(gx_req *r, int rc)
{
    gx_session_error(r->s, rc, gx_request_ref(r),
                     rc == GX_EUNAVAIL ? "storage unavailable; try again" : "internal error");
    gx_request_free(r);
}

const char *gx_request_field_id(gx_session *s, json_t *msg, const char *field, const char *ref)
{
    const char *v;
    char why[160];
    if (!gx_validate_id(msg, field, &v, why, sizeof(why))) {
        gx_session_error(s, GX_EBADREQ, ref, "%s", why);
        return NULL;
    }
    return v;
}

const char *gx_request_field_str(gx_session *s, json_t *msg, const char *field, size_t minchars,
                                 size_t maxchars, bool optional, const char *ref, bool *ok)
{
    const char *v;
    char why[160];
    *ok = gx_validate_str(msg, field, minchars, maxchars, optional, &v, why, sizeof(why));
    if (!*ok)
        gx_session_error(s, GX_EBADREQ, ref, "%s", why);
    return v;
}

bool gx_request_field_int(gx_session *s, json_t *msg, const char *field, long min, long max,
                          long def, const char *ref, long *out)
{
    char why[160];
    if (gx_validate_int(msg, field, min, max, def, true, out, why, sizeof(why)))
        return true;
    gx_session_error(s, GX_EBADREQ, ref, "%s", why);
    return false;
}
