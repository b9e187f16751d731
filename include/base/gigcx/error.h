/* Error codes shared by every module: 0 is success, a negative GX_E* is a failure.
 * Each maps to the wire contract's error code string and an HTTP status. */
#ifndef GIGCX_ERROR_H
#define GIGCX_ERROR_H

#define GX_ERRNO_MAP(XX)                                                                           \
    XX(EBADREQ, -1, "bad_request", 400)                                                            \
    XX(EUNAUTH, -2, "unauthenticated", 401)                                                        \
    XX(EFORBIDDEN, -3, "forbidden", 403)                                                           \
    XX(ENOTFOUND, -4, "not_found", 404)                                                            \
    XX(ECONFLICT, -5, "conflict", 409)                                                             \
    XX(ECAPACITY, -6, "capacity", 409)                                                             \
    XX(ERATE, -7, "rate_limited", 429)                                                             \
    XX(EUNAVAIL, -8, "unavailable", 503)                                                           \
    XX(EINTERNAL, -9, "internal", 500)

enum {
#define GX_ERR_ENUM(name, val, str, http) GX_##name = (val),
    GX_ERRNO_MAP(GX_ERR_ENUM)
#undef GX_ERR_ENUM
};

/* The contract's code string for err ("internal" for anything unknown). Never NULL. */
const char *gx_error_code(int err);

/* The HTTP status that fits err (500 for anything unknown). */
int gx_error_http_status(int err);

#endif
