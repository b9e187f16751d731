/* The one table of error codes: contract strings and HTTP statuses. */
#include "gigcx/error.h"

const char *gx_error_code(int err)
{
    switch (err) {
#define GX_ERR_STR(name, val, str, http)                                                           \
    case val:                                                                                      \
        return str;
        GX_ERRNO_MAP(GX_ERR_STR)
#undef GX_ERR_STR
    }
    return "internal";
}

int gx_error_http_status(int err)
{
    switch (err) {
#define GX_ERR_HTTP(name, val, str, http)                                                          \
    case val:                                                                                      \
        return http;
        GX_ERRNO_MAP(GX_ERR_HTTP)
#undef GX_ERR_HTTP
    }
    return 500;
}
